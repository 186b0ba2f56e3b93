"""The command line: ``python -m lift …`` (also installed as ``lift``).

``lift examples [--device D]``   every example: interpreted and compiled to OpenCL, both checked against numpy
``lift types EXAMPLE``           an example's program with the type of every stage
``lift run EXAMPLE [-s N=64]``   interpret one example on random inputs and check it
``lift kernel EXAMPLE [--print] [--run] [--device D] [-s N=64]``   an example's OpenCL kernel
``lift devices``                 the OpenCL devices, and how to register a driver when none is found
``lift doctor [--fix DIR] [--fix-system]``   (also ``lift devices --doctor``) drivers installed but not registered,
                                 the one-line fix; --fix DIR writes the vendor files into DIR (exit 1: no usable device)
``lift mappings EXAMPLE [--count] [--list N] [--explain map1=lcl0 …] [--device mali] [-s N=64]``
                                 the valid mappings of an example, or why a choice is impossible
``lift case-study [--layer conv5_1] [--shrink 4] [--samples 8] [--device D]``
                                 the VGG-16 convolution: count its mappings, sample, compile, verify, time
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from lift.dsl.ir import Fun
from lift.dsl.printer import pretty
from lift.errors import LiftError, LiftInternalError, LiftLimitError, LiftValueError
from lift.types.data import ArrayType, DataType, ScalarType, TupleType

__all__ = ["main"]


def _examples() -> ModuleType:
    """The repository's ``examples`` package (next to the ``lift`` package in a checkout)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "examples" / "__init__.py").exists():
        raise LiftError(f"no examples/ folder next to {Path(__file__).parent}; run from a checkout of lift-ir")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module("examples")


MAX_SIZE = 2**62
"""The largest size the command line accepts: indices are 64-bit, and sizes multiply."""


def _sizes(pairs: list[str]) -> dict[str, int] | None:
    """``["N=64", "M=3"]`` as a dict, every value a positive int (a ``LiftValueError`` names the first bad one)."""
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        name, _, value = (part.strip() for part in pair.partition("="))
        if not name.isidentifier() or not value.lstrip("+-").isdigit():
            raise LiftValueError(f"--size expects NAME=INT such as N=1024, found {pair!r}")
        n = int(value)
        if not 1 <= n <= MAX_SIZE:
            raise LiftValueError(
                f"--size {name}={value}: a size must be an int at least 1 and at most 2**62, found {n}"
            )
        out[name] = n
    return out


def _known_sizes(example: str, given: dict[str, int] | None, known: dict[str, int]) -> dict[str, int]:
    """The example's sizes with ``given`` applied; a name the example does not have is refused."""
    unknown = sorted(set(given or {}) - set(known))
    if unknown:
        raise LiftValueError(
            f"{example} has no size {', '.join(unknown)}; its sizes are {', '.join(known) or 'none'} (-s NAME=INT)"
        )
    return {**known, **(given or {})}


def _kernel(name: str, sizes: dict[str, int] | None, device: str | None, show: bool, run: bool) -> None:
    import lift

    examples = _examples()
    module = examples.load(name)
    used = _known_sizes(name, sizes, module.sizes)
    # an example may name the mapping it is best compiled with; sizes are fixed so private arrays are sized
    kernel = lift.compile(module.program, sizes=used, mapping=getattr(module, "mapping", None), device=device)
    if show or not run:
        print(kernel.source)
    if run:
        kernel.check_memory(used, host_inputs=True)  # before the inputs are made: refuse what cannot fit
        arrays = module.inputs(used, np.random.default_rng(0))
        result = kernel(*arrays)
        expected = module.reference(*arrays)
        error = examples.max_relative_error(result, expected)
        seconds = kernel.profile(*arrays, repeat=3).median
        shown = ", ".join(f"{k}={v}" for k, v in used.items())
        print(
            f"{name:<10} {shown:<28} on {_device_name(device)}: max relative error {error:.2e}, "
            f"{seconds * 1e3:.3f} ms (median of 3)"
        )
        if error > 1e-4:
            raise LiftError(f"{name}: the kernel's result differs from numpy (max relative error {error:.2e})")


def _check_host_memory(program: Fun, sizes: dict[str, int]) -> None:
    """Refuse sizes whose inputs and result would not fit the host's free memory (interpreting needs them)."""
    from lift.ocl.launch import host_available_bytes

    needed = sum(_bytes_of(t, sizes) for t in (*program.param_types, program.type.result))
    available = host_available_bytes()
    if available is not None and needed > available:
        raise LiftLimitError(
            f"the arrays at {', '.join(f'{k}={v}' for k, v in sizes.items())} need {needed} bytes "
            f"({needed / 2**30:.2f} GiB), more than the host's free memory, {available} bytes "
            f"({available / 2**30:.2f} GiB); use smaller sizes"
        )


def _bytes_of(t: DataType, sizes: dict[str, int]) -> int:
    """Bytes of a value of type ``t`` at ``sizes``."""
    count = 1
    while isinstance(t, ArrayType):
        count *= t.size.evaluate(sizes)
        t = t.elem
    if isinstance(t, TupleType):
        return count * sum(_bytes_of(e, sizes) for e in t.elems)
    assert isinstance(t, ScalarType)
    return count * np.dtype(t.dtype).itemsize


def _device_name(device: str | None) -> str:
    from lift.ocl.device import select_device

    return select_device(device).name.strip()


def _devices() -> None:
    from lift.ocl.device import NO_DEVICE_HELP, list_devices

    found = list_devices()
    if not found:
        print(NO_DEVICE_HELP)
        return
    for d in found:
        print(
            f"{d.index}: {d.platform} / {d.name} ({d.kind}, max work-group {d.max_work_group_size}, "
            f"local memory {d.local_mem_size // 1024} KiB)"
        )
    print("(a driver installed but missing here: lift doctor finds it and says how to register it)")


def _doctor(fix_dir: Path | None, fix_system: bool) -> int:
    from lift.ocl.doctor import doctor

    text, code = doctor(fix_dir=fix_dir, fix_system=fix_system)
    print(text)
    return code


def _mappings(
    name: str, sizes: dict[str, int] | None, device: str | None, count: bool, listed: int | None, explain: list[str]
) -> None:
    import lift
    from lift.solve import MALI_G72

    module = _examples().load(name)
    used = _known_sizes(name, sizes, module.test_sizes)
    target = MALI_G72 if device == "mali" else device
    space = lift.mappings(module.program, sizes=used, device=target)
    if explain:
        choices = {}
        for item in explain:
            key, _, value = item.partition("=")
            if not value:
                raise LiftError(f"--explain expects LABEL=CHOICE such as map1=lcl0 or space:map1=local, found {item!r}")
            choices[key] = value
        why = space.explain(choices)
        print(f"{name}: {', '.join(explain)} is " + ("possible" if not why else f"impossible:\n{why}"))
        return
    if count or listed is None:
        print(
            f"{name} ({', '.join(f'{k}={v}' for k, v in used.items())}) on {space.device.name}: "
            f"{space.count()} valid mappings"
        )
    if listed is not None:
        for m in space.sample(listed, seed=0):
            print(m)


def _case_study(layer: str, shrink: int, samples: int, device: str | None) -> None:
    from lift.tune import VGG16_LAYERS, explore

    if layer not in VGG16_LAYERS:
        raise LiftError(f"unknown layer {layer!r}; the VGG-16 layers are {', '.join(VGG16_LAYERS)}")
    if shrink < 1:
        raise LiftError("--shrink must be at least 1")
    hw, cin, cout = VGG16_LAYERS[layer]
    sizes = {"H": hw, "W": hw, "C": max(1, cin // shrink), "K": max(1, cout // shrink)}
    program = _examples().load("conv2d").program
    result = explore(program, sizes, device=device, samples=samples)
    flops = 2 * 9 * sizes["H"] * sizes["W"] * sizes["C"] * sizes["K"]
    print(
        f"VGG-16 {layer} (H=W={hw}, C={sizes['C']}, K={sizes['K']}"
        + (f", channels / {shrink}" if shrink > 1 else "")
        + f") on {_device_name(device)}: {result.count} valid mappings, {len(result.trials)} sampled, compiled, "
        "verified against the interpreter and timed"
    )
    print(result.table())
    best = result.best
    print(f"best: {best.mapping}, {best.seconds * 1e3:.3f} ms, {flops / best.seconds / 1e9:.2f} GFLOP/s")


def _run(name: str, sizes: dict[str, int] | None) -> None:
    examples = _examples()
    module = examples.load(name)
    used = _known_sizes(name, sizes, module.sizes)
    _check_host_memory(module.program, used)
    start = time.perf_counter()
    error = examples.check(name, sizes=used)
    elapsed = time.perf_counter() - start
    shown = ", ".join(f"{k}={v}" for k, v in used.items())
    print(f"{name:<10} {shown:<28} max relative error {error:.2e}   {elapsed * 1e3:8.1f} ms   ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lift", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_examples = sub.add_parser("examples", help="every example, interpreted and compiled, checked against numpy")
    p_examples.add_argument("--device", default=None, help="pocl, oclgrind, nvidia, a name fragment or an index")
    p_types = sub.add_parser("types", help="print an example's program with its types")
    p_types.add_argument("example")
    p_run = sub.add_parser("run", help="interpret an example on random inputs and check it")
    p_run.add_argument("example")
    p_run.add_argument("-s", "--size", action="append", default=[], metavar="NAME=INT")
    p_kernel = sub.add_parser("kernel", help="print and/or run an example's OpenCL kernel")
    p_kernel.add_argument("example")
    p_kernel.add_argument("--print", action="store_true", dest="show", help="print the kernel (default without --run)")
    p_kernel.add_argument("--run", action="store_true", help="run it on random inputs and check it against numpy")
    p_kernel.add_argument("--device", default=None)
    p_kernel.add_argument("-s", "--size", action="append", default=[], metavar="NAME=INT")
    p_devices = sub.add_parser("devices", help="list the OpenCL devices")
    p_devices.add_argument("--doctor", action="store_true", help="also find drivers installed but not registered")
    p_doctor = sub.add_parser("doctor", help="find OpenCL drivers installed but not registered, and the fix")
    for p in (p_devices, p_doctor):
        p.add_argument("--fix", type=Path, default=None, metavar="DIR", help="write the vendor files into DIR")
        p.add_argument("--fix-system", action="store_true", help="write them into /etc/OpenCL/vendors (root)")
    p_maps = sub.add_parser("mappings", help="count, list or explain an example's mappings")
    p_maps.add_argument("example")
    p_maps.add_argument("--count", action="store_true")
    p_maps.add_argument("--list", type=int, default=None, metavar="N", help="N valid mappings, sampled")
    p_maps.add_argument("--explain", action="append", default=[], metavar="LABEL=CHOICE")
    p_maps.add_argument("--device", default=None, help="'mali' for the paper's Mali-G72, or an OpenCL device")
    p_maps.add_argument("-s", "--size", action="append", default=[], metavar="NAME=INT")
    p_case = sub.add_parser("case-study", help="the VGG-16 convolution: mappings sampled, compiled, verified, timed")
    p_case.add_argument("--layer", default="conv5_1")
    p_case.add_argument("--shrink", type=int, default=4, help="divide the channels by this (1: the real layer)")
    p_case.add_argument("--samples", type=int, default=8)
    p_case.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "examples":
            for name in _examples().NAMES:
                _run(name, None)
            for name in _examples().NAMES:
                _kernel(name, None, args.device, show=False, run=True)
        elif args.command == "kernel":
            _kernel(args.example, _sizes(args.size), args.device, args.show, args.run)
        elif args.command == "doctor" or (args.command == "devices" and (args.doctor or args.fix or args.fix_system)):
            return _doctor(args.fix, args.fix_system)
        elif args.command == "devices":
            _devices()
        elif args.command == "case-study":
            _case_study(args.layer, args.shrink, args.samples, args.device)
        elif args.command == "mappings":
            _mappings(args.example, _sizes(args.size), args.device, args.count, args.list, args.explain)
        elif args.command == "types":
            print(pretty(_examples().load(args.example).program, types=True))
        elif args.command == "run":
            _run(args.example, _sizes(args.size))
    except (LiftError, ValueError) as err:  # examples.load reports an unknown name as ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of host memory; use smaller sizes (-s NAME=INT)", file=sys.stderr)
        return 2
    except LiftInternalError as err:
        print(f"error: internal error in lift-ir (please report it): {err}", file=sys.stderr)
        return 3
    return 0
