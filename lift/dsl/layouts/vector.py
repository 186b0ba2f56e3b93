"""``as_vector(w)`` and ``as_scalar``: an array of scalars seen as an array of vectors of ``w`` lanes, and back.

``as_vector(4)`` turns ``[f32]N`` into ``[f32x4]N/4``: element ``i`` is the vector of the scalars ``4*i`` …
``4*i+3``; ``as_scalar`` undoes it. A user function on scalars applied to vectors runs lane by lane, so that
``zip(as_vector(4) x, as_vector(4) y) >> map(add) >> as_scalar`` adds four floats at a time (OpenCL ``float4``,
read with ``vload4`` and written with ``vstore4``). Neither copies: in numpy they reshape the last axis (a
vector's lanes are a trailing axis); in a kernel lane ``k`` of vector ``i`` is scalar ``w*i + k``.

Random programs (:func:`lift.testing.programs`) do not draw them yet: a vector must meet only user functions applied
to vectors of its width, which needs a stage of its own (``as_vector(w) >> map(f) >> as_scalar``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np

from lift.dsl.ir import size_arg
from lift.dsl.layout import Layout, TypingContext, parenthesised
from lift.errors import LiftTypeError
from lift.types.arith import ArithExpr, Cst
from lift.types.data import VECTOR_WIDTHS, ArrayType, DataType, ScalarType, VectorType, bool_, vector
from lift.types.smt import Constraint

__all__ = ["AsScalar", "AsVector", "as_scalar", "as_vector"]


@dataclass(frozen=True, eq=False, repr=False)
class AsVector(Layout):
    """``as_vector(w)`` : ``[s]n → [s x w]n/w`` for a scalar ``s`` (requires ``n % w == 0``; ``w`` is 2, 4, 8 or
    16)."""

    w: ArithExpr
    """The lanes of each vector."""

    spelling = "as_vector"

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        if not _plain_scalar(t.elem):  # a vector of vectors, of tuples, of arrays: none
            raise LiftTypeError(f"{self.show()}: expected an array of scalars (f32, f64, i32, i64), found {t}")
        check.require(
            Constraint(t.size % self.w, "==", Cst(0)),
            self.show(),
            f"expected an array whose size is divisible by {self.w}, found {t}",
            f"{parenthesised(t.size)} % {self.w} == 0",
        )
        return ArrayType(vector(t.elem, self.lanes), check.size(t.size // self.w))

    @property
    def lanes(self) -> int:
        """The width as a number (refused unless it is one of OpenCL's vector widths)."""
        return _width(self.w)

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        # the scalars' axis is the last: it becomes the vectors' axis and their lanes' trailing axis
        return a.reshape(a.shape[:axis] + (a.shape[axis] // self.lanes, self.lanes))

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        """The argument's index of the vector's first lane (lane ``k`` is the next ``k``-th scalar)."""
        (i,) = indices
        return [i * self.w]

    def show(self) -> str:
        return f"as_vector({self.w})"

    @classmethod
    def draw_for(cls, t: ArrayType, choose: Callable[[Sequence[int]], int]) -> AsVector | None:
        # 16 lanes are left out: PoCL's CPU device on a processor without AVX-512 fails on float16 at times
        widths = [w for w in (2, 4, 8) if int(t.size) % w == 0]
        return AsVector(Cst(choose(widths))) if widths and _plain_scalar(t.elem) else None


@dataclass(frozen=True, eq=False, repr=False)
class AsScalar(Layout):
    """``as_scalar`` : ``[s x w]m → [s]m*w``: the lanes of every vector, in order."""

    spelling = "as_scalar"

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        lanes = _vector_of(t)
        return ArrayType(lanes.element, check.size(t.size * lanes.lanes))

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        return a.reshape(a.shape[:axis] + (-1,))

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        """The argument's vector that holds the scalar (its lane: the index modulo the width)."""
        (j,) = indices
        return [j // _vector_of(t).lanes]

    def show(self) -> str:
        return "as_scalar"

    @classmethod
    def draw_for(cls, t: ArrayType, choose: Callable[[Sequence[int]], int]) -> AsScalar | None:
        return AsScalar() if t.elem.vector_lanes() > 1 else None

    def __repr__(self) -> str:
        return "AsScalar()"


def _plain_scalar(t: DataType) -> TypeGuard[ScalarType]:
    """A scalar of one lane that vectors can hold (not ``bool``)."""
    return isinstance(t, ScalarType) and t.vector_lanes() == 1 and t != bool_


def _width(w: ArithExpr) -> int:
    if not (isinstance(w, Cst) and w.value in VECTOR_WIDTHS):
        raise LiftTypeError(f"as_vector({w}): the width must be 2, 4, 8 or 16 (OpenCL's vector widths)")
    return w.value


def _vector_of(t: ArrayType) -> VectorType:
    if t.elem.vector_lanes() == 1:
        raise LiftTypeError(f"as_scalar: expected an array of vectors (such as [f32x4]n), found {t}")
    return t.elem  # type: ignore[return-value]


def as_vector(w: ArithExpr | int) -> AsVector:
    """The array of scalars seen as vectors of ``w`` lanes: ``[s]n → [s x w]n/w`` (``w``: 2, 4, 8 or 16)."""
    width = size_arg(w, "as_vector(w)")
    _width(width)  # refused where the user wrote it, rather than when the program is checked
    return AsVector(width)


as_scalar = AsScalar()
"""The lanes of an array of vectors, in order: ``[s x w]m → [s]m*w``."""
