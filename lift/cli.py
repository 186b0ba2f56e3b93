"""The command line: ``python -m lift …`` (also installed as ``lift``).

TARGET is a bundled example (dot, asum, softmax, gemv, matmul, matmul_blocked, stencil1d, stencil2d, conv2d),
path/to/file.py:NAME or package.module:NAME, where NAME is a @fun program (see ``lift.targets`` and docs/cli.md).

``lift examples [--device D]``   every example: interpreted and compiled to OpenCL, both checked against numpy
``lift types TARGET``            the program with the type of every stage
``lift run TARGET [-s N=64]``    interpret it on random inputs (checked against its reference when it has one)
``lift kernel TARGET [--print] [--run] [--device D] [-s N=64] [--mapping map0=glb0,map1=seq] [--out FILE]``
                                 its OpenCL kernel; --run checks it against the reference or the interpreter
``lift devices``                 the OpenCL devices, and how to register a driver when none is found
``lift doctor [--fix DIR] [--fix-system]``   (also ``lift devices --doctor``) drivers installed but not registered,
                                 the one-line fix; --fix DIR writes the vendor files into DIR (exit 1: no usable device)
``lift mappings TARGET [--count] [--list N] [--explain map1=lcl0 …] [--device mali] [-s N=64]``
                                 its valid mappings, or why a choice is impossible
``lift case-study [--layer conv5_1] [--shrink 4] [--samples 8] [--device D]``
                                 the VGG-16 convolution: count its mappings, sample, compile, verify, time

Errors are one ``error: …`` line on stderr with exit status 2 (3 for an internal error of lift-ir).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lift.dsl.printer import pretty
from lift.errors import LiftError, LiftInternalError, LiftValueError
from lift.solve.mapping import Mapping
from lift.targets import (
    TARGET_FORMS,
    Target,
    check_host_memory,
    load_target,
    parse_choices,
    parse_mapping,
    relative_error,
)

__all__ = ["COMMANDS", "Command", "main"]

MAX_SIZE = 2**62
"""The largest size the command line accepts: indices are 64-bit, and sizes multiply."""

RTOL = 1e-4
"""The largest relative error a checked result may have (float32 arithmetic against a float64 reference)."""


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


def _shown(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "no sizes"


def _checked(target: Target, result: Any, expected: Any, against: str) -> float:
    """The relative error of ``result``; a ``LiftError`` when it is too large or shaped differently."""
    try:
        error = relative_error(result, expected)
    except AssertionError as err:
        raise LiftError(f"{target.label}: the result does not match {against}: {err}") from None
    if error > RTOL:
        raise LiftError(f"{target.label}: the result differs from {against} (max relative error {error:.2e})")
    return error


def _kernel(
    target: Target,
    sizes: dict[str, int] | None,
    device: str | None,
    show: bool,
    run: bool,
    mapping: Mapping | None,
    out: str | None,
) -> None:
    import lift

    # running needs every size (inputs are made); printing compiles with what is known, the rest stays symbolic
    used = target.choose_sizes(sizes, target.sizes, complete=run)
    # a module may name the mapping its program is best compiled with; sizes are fixed so private arrays are sized
    kernel = lift.compile(target.program, sizes=used, mapping=mapping or target.mapping, device=device)
    if out is not None:
        _write(out, kernel.source)
        print(f"wrote the kernel of {target.label} ({_shown(used)}; mapping {kernel.mapping}) to {out}")
    if show or (not run and out is None):
        print(kernel.source)
    if run:
        kernel.check_memory(used, host_inputs=True)  # before the inputs are made: refuse what cannot fit
        arrays = target.make_inputs(used)
        result = kernel(*arrays)
        against = "the interpreter" if target.reference is None else "the reference"
        error = _checked(target, result, target.expected(arrays), against)
        seconds = kernel.profile(*arrays, repeat=3).median
        print(
            f"{target.label:<14} {_shown(used):<28} on {_device_name(device)}: max relative error against "
            f"{against} {error:.2e}, {seconds * 1e3:.3f} ms (median of 3)"
        )


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text)
    except OSError as err:
        raise LiftValueError(f"--out {path}: cannot write the kernel there: {err.strerror or err}") from None


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


def _mappings(
    target: Target,
    sizes: dict[str, int] | None,
    device: str | None,
    count: bool,
    listed: int | None,
    explain: list[str],
) -> None:
    import lift
    from lift.solve import MALI_G72

    used = target.choose_sizes(sizes, target.test_sizes, complete=False)
    chosen_device = MALI_G72 if device == "mali" else device
    space = lift.mappings(target.program, sizes=used, device=chosen_device)
    if explain:
        choices = {k: v for item in explain for k, v in parse_choices(item, "--explain").items()}
        why = space.explain(choices)
        print(f"{target.label}: {', '.join(explain)} is " + ("possible" if not why else f"impossible:\n{why}"))
        return
    if count or listed is None:
        print(f"{target.label} ({_shown(used)}) on {space.device.name}: {space.count()} valid mappings")
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
    program = load_target("conv2d").program
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


def _run(target: Target, sizes: dict[str, int] | None) -> None:
    from lift.dsl.interpret import interpret

    used = target.choose_sizes(sizes, target.sizes, complete=True)
    check_host_memory(target.program, used)
    arrays = target.make_inputs(used)
    start = time.perf_counter()
    result = interpret(target.program, *arrays)
    elapsed = f"{(time.perf_counter() - start) * 1e3:8.1f} ms"
    if target.reference is None:
        print(
            f"{target.label:<14} {_shown(used):<28} result shape {_shapes(result)}   {elapsed}   interpreted "
            "(define reference(*arrays) next to the program to check it)"
        )
        return
    error = _checked(target, result, target.expected(arrays), "the reference")
    print(f"{target.label:<14} {_shown(used):<28} max relative error {error:.2e}   {elapsed}   ok")


def _shapes(result: Any) -> str:
    """The shape of a result, or the shapes of a tuple of arrays."""
    if isinstance(result, tuple):
        return "(" + ", ".join(_shapes(r) for r in result) + ")"
    return str(np.shape(result))


# ---- the sub-commands -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One sub-command: its name, a one-line help, how it declares its arguments and what it does with them.

    A new sub-command is a ``Command`` added to :data:`COMMANDS`; ``main`` builds the parser from that list.
    """

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int | None]
    """What the command does; an int it returns is the exit status (``None``: 0)."""


def _target_arguments(parser: argparse.ArgumentParser, *, sizes: bool = True, device: bool = True) -> None:
    """The arguments every command that works on one program shares."""
    parser.add_argument("target", metavar="TARGET", help=TARGET_FORMS)
    if sizes:
        parser.add_argument("-s", "--size", action="append", default=[], metavar="NAME=INT", help="a size value")
    if device:
        parser.add_argument("--device", default=None, help="pocl, oclgrind, nvidia, a name fragment or an index")


def _kernel_arguments(parser: argparse.ArgumentParser) -> None:
    _target_arguments(parser)
    parser.add_argument("--print", action="store_true", dest="show", help="print the kernel (default without --run)")
    parser.add_argument("--run", action="store_true", help="run it on inputs and check it against the reference")
    parser.add_argument("--mapping", default=None, metavar="LABEL=LEVEL,…", help="map0=glb0,map1=seq,space:map1=local")
    parser.add_argument("--out", default=None, metavar="FILE", help="write the kernel source to FILE")


def _mappings_arguments(parser: argparse.ArgumentParser) -> None:
    _target_arguments(parser, device=False)
    parser.add_argument("--count", action="store_true")
    parser.add_argument("--list", type=int, default=None, metavar="N", help="N valid mappings, sampled")
    parser.add_argument("--explain", action="append", default=[], metavar="LABEL=CHOICE[,…]")
    parser.add_argument("--device", default=None, help="'mali' for the paper's Mali-G72, or an OpenCL device")


def _case_study_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--layer", default="conv5_1")
    parser.add_argument("--shrink", type=int, default=4, help="divide the channels by this (1: the real layer)")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--device", default=None)


def _examples_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default=None, help="pocl, oclgrind, nvidia, a name fragment or an index")


def _every_example(args: argparse.Namespace) -> None:
    from lift.examples import NAMES

    for name in NAMES:
        _run(load_target(name), None)
    for name in NAMES:
        _kernel(load_target(name), None, args.device, show=False, run=True, mapping=None, out=None)


def _types_arguments(parser: argparse.ArgumentParser) -> None:
    _target_arguments(parser, sizes=False, device=False)


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    _target_arguments(parser, device=False)


def _types_command(args: argparse.Namespace) -> None:
    print(pretty(load_target(args.target).program, types=True))


def _run_command(args: argparse.Namespace) -> None:
    _run(load_target(args.target), _sizes(args.size))


def _kernel_command(args: argparse.Namespace) -> None:
    mapping = parse_mapping(args.mapping) if args.mapping else None
    _kernel(load_target(args.target), _sizes(args.size), args.device, args.show, args.run, mapping, args.out)


def _devices_arguments(parser: argparse.ArgumentParser, doctor: bool = False) -> None:
    if not doctor:
        parser.add_argument("--doctor", action="store_true", help="also find drivers installed but not registered")
    parser.add_argument("--fix", type=Path, default=None, metavar="DIR", help="write the vendor files into DIR")
    parser.add_argument("--fix-system", action="store_true", help="write them into /etc/OpenCL/vendors (root)")


def _doctor_command(args: argparse.Namespace) -> int:
    from lift.ocl.doctor import doctor

    text, status = doctor(fix_dir=args.fix, fix_system=args.fix_system)
    print(text)
    return status


def _devices_command(args: argparse.Namespace) -> int | None:
    if args.doctor or args.fix or args.fix_system:
        return _doctor_command(args)
    _devices()
    return None


def _mappings_command(args: argparse.Namespace) -> None:
    _mappings(load_target(args.target), _sizes(args.size), args.device, args.count, args.list, args.explain)


def _case_study_command(args: argparse.Namespace) -> None:
    _case_study(args.layer, args.shrink, args.samples, args.device)


COMMANDS: tuple[Command, ...] = (
    Command(
        "examples",
        "every example, interpreted and compiled, checked against numpy",
        _examples_arguments,
        _every_example,
    ),
    Command("types", "print a program with its types", _types_arguments, _types_command),
    Command("run", "interpret a program on random inputs and check it", _run_arguments, _run_command),
    Command("kernel", "print, save and/or run a program's OpenCL kernel", _kernel_arguments, _kernel_command),
    Command("devices", "list the OpenCL devices", _devices_arguments, _devices_command),
    Command(
        "doctor",
        "find OpenCL drivers installed but not registered, and the fix",
        lambda parser: _devices_arguments(parser, doctor=True),
        _doctor_command,
    ),
    Command("mappings", "count, list or explain a program's mappings", _mappings_arguments, _mappings_command),
    Command(
        "case-study",
        "the VGG-16 convolution: mappings sampled, compiled, verified, timed",
        _case_study_arguments,
        _case_study_command,
    ),
)
"""The sub-commands, in the order ``lift --help`` lists them."""


def _parser(commands: tuple[Command, ...]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lift", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in commands:
        command.arguments(sub.add_parser(command.name, help=command.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); the exit status (0 ok, 2 a user error, 3 an
    internal error). argparse itself exits with status 2 on arguments it cannot parse."""
    args = _parser(COMMANDS).parse_args(argv)
    handlers = {command.name: command.run for command in COMMANDS}
    try:
        status = handlers[args.command](args)
    except (LiftError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of host memory; use smaller sizes (-s NAME=INT)", file=sys.stderr)
        return 2
    except LiftInternalError as err:
        print(f"error: internal error in lift-ir (please report it): {err}", file=sys.stderr)
        return 3
    return status if status is not None else 0
