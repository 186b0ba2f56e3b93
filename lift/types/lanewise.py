"""A user function on scalars applied to vectors: it runs lane by lane (``add`` on two ``f32x4`` is an ``f32x4``).

The checker asks :func:`lanewise` for the scalar types the function sees and the width of its arguments, and
:func:`vectorised` for its result type; the interpreter needs nothing more (a vector's lanes are a trailing numpy
axis, which the function's numpy translation broadcasts over); the OpenCL backend prints a vector version of the function (``add_f32x4``).
"""

from __future__ import annotations

from collections.abc import Sequence

from lift.errors import LiftTypeError
from lift.types.data import DataType, ScalarType, vector

__all__ = ["lanewise", "vectorised"]


def lanewise(name: str, params: Sequence[DataType], args: Sequence[DataType]) -> tuple[list[DataType], int]:
    """The types a user function ``name`` of parameter types ``params`` sees for one lane of the arguments of types
    ``args``, and the width of the vectors (1 when no argument is a vector: the arguments themselves)."""
    widths = {t.vector_lanes() for t in args}
    if widths == {1}:
        return list(args), 1
    if len(widths) > 1:
        shown = ", ".join(map(str, args))
        raise LiftTypeError(
            f"user function {name}: applied lane by lane, every argument must be a vector of one width; found {shown}"
        )
    (width,) = widths
    for want in params:
        if type(want) is not ScalarType:  # a tuple (or a vector) parameter has no lane-by-lane meaning
            raise LiftTypeError(
                f"user function {name}: only a function of scalars applies to vectors lane by lane, but it takes {want}"
            )
    return [t.lane_type() for t in args], width


def vectorised(result: DataType, width: int, name: str) -> DataType:
    """The result of a user function returning ``result`` applied to vectors of ``width`` lanes."""
    if width == 1:
        return result
    if type(result) is not ScalarType:
        raise LiftTypeError(
            f"user function {name}: only a function with a scalar result applies to vectors, but it returns {result}"
        )
    return vector(result, width)
