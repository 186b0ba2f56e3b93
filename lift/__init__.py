"""lift-ir: typed functional array programs, their meaning, and their mapping onto OpenCL devices.

See ``docs/`` for the user guide. The public API::

    import lift
    from lift import Array, Tuple, f32, f64, i32, i64, size, fun, userfun
"""

from collections.abc import Mapping as _AbcMapping
from typing import Any

from lift import rewrite
from lift._public import public
from lift.dsl.combinators import fun, userfun
from lift.dsl.interpret import interpret
from lift.dsl.ir import Fun
from lift.errors import (
    DeviceError,
    LiftError,
    LiftInternalError,
    LiftLimitError,
    LiftTimeoutError,
    LiftTypeError,
    LiftValueError,
    MappingError,
    RewriteError,
    SerializationError,
    UserFunError,
)
from lift.ocl.check import OPENCL as _OPENCL
from lift.ocl.device import select_device as _select_device
from lift.ocl.kernel import Kernel, compile_program
from lift.ocl.sequence import KernelSequence
from lift.solve.backend import install_default_backend as _install_default_backend
from lift.solve.device import DeviceDescription
from lift.solve.device import install_device_chooser as _install_device_chooser
from lift.solve.mapping import Mapping
from lift.solve.model import Explanation, MappingSpace
from lift.types.checker import typecheck
from lift.types.data import (
    Array,
    Tuple,
    f32,
    f32x2,
    f32x4,
    f32x8,
    f32x16,
    f64,
    f64x2,
    f64x4,
    f64x8,
    f64x16,
    i32,
    i32x2,
    i32x4,
    i32x8,
    i32x16,
    i64,
    size,
)

_install_default_backend(_OPENCL)  # the mapping model decides index-expression rules with the OpenCL backend
_install_device_chooser(_select_device)  # and finds the device named by LIFT_DEVICE's words through ocl


@public
def compile(
    prog: Fun,
    sizes: _AbcMapping[str, int] | None = None,
    mapping: Mapping | None = None,
    values: _AbcMapping[str, int] | None = None,
    device: Any = None,
) -> Kernel | KernelSequence:
    """Compile ``prog`` to an OpenCL kernel: ``k.source``, ``k.mapping``, ``k(*arrays)``, ``k.profile(...)``,
    ``k.kernels`` and ``k.extra_bytes``.

    Where work-groups would have to wait for each other — a whole-array reduction, a value read across
    work-groups — the mapping cuts the program (``mapping.cuts``) and the result is a
    :class:`~lift.ocl.sequence.KernelSequence`: one callable with the same interface, its kernels launched in
    order on one queue, the temporaries between them kept on the device (``k.extra_bytes``).

    ``sizes`` fixes size variables at compile time (needed for local and private arrays); ``mapping`` chooses
    the thread level of every map and the address space of intermediates (default: the mapping model's most
    parallel valid mapping; a hand-lowered program is compiled as written); ``values`` sets tuning values
    (``ls0..2`` local sizes, ``gs0..2`` global sizes); ``device`` is a pyopencl device or the words of
    ``LIFT_DEVICE`` (``pocl``, ``oclgrind``, ``nvidia``, a name fragment, an index).

    An explicit mapping, or the one a hand-lowered program makes, is checked against the mapping model first
    (the rules ``lift.explain`` names): one that breaks a rule raises ``MappingError`` listing the rules.
    ``values`` that do not fit the program's extents or the device raise ``LiftValueError`` naming the value,
    the allowed range and why (see ``lift.ocl.launch``).
    """
    return compile_program(prog, sizes, mapping, values, device, check_model=True)


@public
def mappings(prog: Fun, sizes: _AbcMapping[str, int] | None = None, device: Any = None) -> MappingSpace:
    """The space of valid mappings of ``prog``: ``count()``, iteration, ``sample(k, seed)``, ``best()``,
    ``smtlib()``, ``tuning(m)``. ``device`` is a ``DeviceDescription`` (e.g. ``lift.solve.MALI_G72``), a pyopencl
    device or the words of ``LIFT_DEVICE``; with none, a generic GPU (256 threads, 32 KiB local memory)."""
    return MappingSpace(prog, sizes, device)


@public
def explain(
    prog: Fun, choices: _AbcMapping[str, str], sizes: _AbcMapping[str, int] | None = None, device: Any = None
) -> Explanation:
    """The named rules that make the partial mapping ``choices`` impossible (``{"map1": "lcl0"}``, and
    ``{"space:map0": "local"}`` for address spaces), as sentences; empty when it is possible."""
    return MappingSpace(prog, sizes, device).explain(choices)


@public
def check(prog: Fun, sizes: _AbcMapping[str, int] | None = None, device: Any = None) -> Explanation:
    """``explain`` for a hand-written low-level program: the rules its mapping violates (empty when valid). As when
    ``lift.compile`` checks an explicit mapping, only rules count: the search heuristics that prune the model's
    own choices (``nested-sequential-maps-fuse`` …) do not apply to a program written by hand."""
    from lift.solve.lowered import choices_of

    return MappingSpace(prog, sizes, device, heuristics=False).explain(choices_of(prog))


__all__ = [
    "Array",
    "DeviceDescription",
    "DeviceError",
    "Explanation",
    "Kernel",
    "KernelSequence",
    "LiftError",
    "LiftInternalError",
    "LiftLimitError",
    "LiftTimeoutError",
    "LiftTypeError",
    "LiftValueError",
    "Mapping",
    "MappingError",
    "MappingSpace",
    "RewriteError",
    "SerializationError",
    "Tuple",
    "UserFunError",
    "check",
    "compile",
    "explain",
    "f32",
    "f32x2",
    "f32x4",
    "f32x8",
    "f32x16",
    "f64",
    "f64x2",
    "f64x4",
    "f64x8",
    "f64x16",
    "fun",
    "i32",
    "i32x2",
    "i32x4",
    "i32x8",
    "i32x16",
    "i64",
    "interpret",
    "mappings",
    "rewrite",
    "size",
    "typecheck",
    "userfun",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # lift.testing needs Hypothesis: import it only when it is asked for
    if name == "testing":
        import importlib

        return importlib.import_module("lift.testing")
    raise AttributeError(f"module 'lift' has no attribute {name!r}")
