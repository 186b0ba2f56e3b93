"""lift-ir: typed functional array programs, their meaning, and their mapping onto OpenCL devices.

See ``docs/`` for the user guide. The public API::

    import lift
    from lift import Array, Tuple, f32, f64, i32, i64, size, fun, userfun
"""

from lift.dsl.combinators import fun, userfun
from lift.dsl.interpret import interpret
from lift.errors import LiftError, LiftTypeError, MappingError, UserFunError
from lift.types.checker import typecheck
from lift.types.data import Array, Tuple, f32, f64, i32, i64, size

__all__ = [
    "Array",
    "LiftError",
    "LiftTypeError",
    "MappingError",
    "Tuple",
    "UserFunError",
    "f32",
    "f64",
    "fun",
    "i32",
    "i64",
    "interpret",
    "size",
    "typecheck",
    "userfun",
]

__version__ = "0.1.0"
