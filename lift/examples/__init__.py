"""Example programs written in the lift DSL, each runnable and checked against plain numpy.

The examples ship inside the package (``lift.examples``), so ``lift types matmul`` and the other commands work
from any installation; in a checkout the top-level ``examples`` package is the same modules under a shorter name
(``import examples``, ``python -m examples.dot``). Every example module (``lift.examples.dot``, ``.gemv``,
``.matmul``, ``.stencil1d``, ``.stencil2d``, ``.conv2d``) has the same small interface:

* ``program`` — the ``@fun`` program;
* ``sizes`` / ``test_sizes`` — default demo sizes and small sizes for fast tests (size name → value);
* ``mapping`` (optional) — the ``lift.Mapping`` the example is best compiled with;
* ``inputs(sizes, rng)`` — random ``float32`` inputs for those sizes;
* ``reference(*arrays)`` — the meaning in plain numpy, computed in ``float64``, with the same result shape as
  ``lift.interpret`` (a ``reduce`` keeps a leading axis of 1);
* ``main()`` — the demo: print the program with its types, run it, compare with ``reference``.

A user's own file may follow the same convention; the command line (``lift run my_file.py:NAME``) then uses it
(see ``lift.targets``). Run one example with ``python -m lift.examples.dot`` (sizes may be overridden:
``python -m lift.examples.dot N=4096``), or several with ``python -m lift.examples [NAME ...]``. From Python::

    from lift import examples
    examples.check("matmul")                 # max relative error at test_sizes; AssertionError if too large
    mod = examples.load("conv2d")            # the module
"""

import importlib
import sys
import time
import types
from collections.abc import Callable, Mapping, Sequence

import numpy as np

import lift
from lift.dsl import pretty

__all__ = ["NAMES", "check", "demo", "load", "max_relative_error", "parse_sizes", "uniform"]

NAMES: tuple[str, ...] = (
    "dot",
    "asum",
    "softmax",
    "gemv",
    "matmul",
    "matmul_blocked",
    "stencil1d",
    "stencil2d",
    "conv2d",
)
"""The example modules, simplest first."""


def load(name: str) -> types.ModuleType:
    """The example module called ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise ValueError(f"unknown example {name!r}; the examples are: {', '.join(NAMES)}")
    return importlib.import_module(f"{__name__}.{name}")


def uniform(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Random ``float32`` values in ``[-1, 1)`` of the given shape (never all zeros)."""
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def max_relative_error(result: object, expected: np.ndarray) -> float:
    """``max |result - expected| / max |expected|``; an AssertionError if the shapes differ."""
    if not isinstance(result, np.ndarray):
        raise AssertionError(f"expected a numpy array, found {type(result).__name__}")
    if result.shape != expected.shape:
        raise AssertionError(f"result shape {result.shape} differs from the reference shape {expected.shape}")
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    diff = float(np.max(np.abs(result.astype(np.float64) - expected))) if expected.size else 0.0
    return diff / scale if scale > 0 else diff


Outcome = tuple[object, np.ndarray, float, float]
"""A result, the reference, and the seconds each took."""


def _run(module: types.ModuleType, sizes: Mapping[str, int], seed: int) -> Outcome:
    """Interpret ``module.program`` and evaluate ``module.reference`` on the same random inputs."""
    arrays = module.inputs(dict(sizes), np.random.default_rng(seed))
    start = time.perf_counter()
    result = lift.interpret(module.program, *arrays)
    interpret_s = time.perf_counter() - start
    start = time.perf_counter()
    expected = module.reference(*arrays)
    reference_s = time.perf_counter() - start
    return result, expected, interpret_s, reference_s


def check(name: str, sizes: Mapping[str, int] | None = None, seed: int = 0, rtol: float = 1e-4) -> float:
    """Run example ``name`` with ``lift.interpret`` and with its numpy reference; the max relative error.

    ``sizes`` defaults to the module's ``test_sizes``; names it leaves out keep their test size, and an
    unknown name is a ValueError. The error is relative to ``max |reference|``; above ``rtol`` (or with a
    wrong result shape) an AssertionError says which example, sizes and seed failed.
    """
    module = load(name)
    unknown = sorted(set(sizes or {}) - set(module.test_sizes))
    if unknown:
        raise ValueError(f"example {name!r} has no size {', '.join(unknown)}; it has {sorted(module.sizes)}")
    chosen = {**module.test_sizes, **(sizes or {})}
    result, expected, _, _ = _run(module, chosen, seed)
    where = f"example {name!r} at sizes {chosen} (seed {seed})"
    try:
        err = max_relative_error(result, expected)
    except AssertionError as exc:
        raise AssertionError(f"{where}: {exc}") from None
    if not err <= rtol:
        raise AssertionError(f"{where}: max relative error {err:.3g} exceeds {rtol:.3g}")
    return err


def parse_sizes(args: Sequence[str], defaults: Mapping[str, int]) -> dict[str, int]:
    """``["N=4096", "M=64"]`` over ``defaults``; unknown names or bad values raise ``SystemExit``."""
    sizes = dict(defaults)
    for arg in args:
        name, sep, value = arg.partition("=")
        if not sep or name not in defaults or not value.isdigit() or int(value) < 1:
            raise SystemExit(f"bad size {arg!r}: expected NAME=VALUE, NAME in {sorted(defaults)}, VALUE >= 1")
        sizes[name] = int(value)
    return sizes


def demo(module_name: str, argv: Sequence[str] | None = None, print_: Callable[[str], None] = print) -> float:
    """The shared ``main()`` of the examples: print, run, compare, time. Returns the max relative error.

    ``module_name`` is the example module's import name; ``argv`` (default ``sys.argv[1:]``) may override sizes
    as ``NAME=VALUE``.
    """
    module = importlib.import_module(module_name)  # also a name that stands for the module (examples.dot)
    sizes = parse_sizes(sys.argv[1:] if argv is None else argv, module.sizes)
    program = module.program
    print_(pretty(program, types=True))
    if program.constraints:
        print_("size facts: " + ", ".join(str(c) for c in program.constraints))
    print_("sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items()))
    result, expected, interpret_s, reference_s = _run(module, sizes, seed=0)
    err = max_relative_error(result, expected)
    print_(f"lift.interpret: {interpret_s * 1e3:.1f} ms, numpy float64 reference: {reference_s * 1e3:.1f} ms")
    print_(f"result shape {expected.shape}, max relative error {err:.2e}")
    return err
