"""``reorder_stride(s)``: the permutation Lift uses for conflict-free local-memory reads, as a view.

Element ``i`` of the result is element ``(i % s) * (n / s) + i / s`` of the argument (``n`` elements): consecutive
threads read elements ``n / s`` apart, so a work-group of ``s`` threads reading a tile row by row touches
distinct banks. It is ``gather(stride(s))`` as one combinator: the same index function
(:class:`~lift.dsl.ir.Stride`), read in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lift.dsl.ir import Stride, size_arg
from lift.dsl.layout import Layout, TypingContext
from lift.types.arith import ArithExpr, Cst
from lift.types.data import ArrayType, DataType
from lift.types.smt import Constraint

__all__ = ["ReorderStride", "reorder_stride"]


@dataclass(frozen=True, eq=False, repr=False)
class ReorderStride(Layout):
    """``reorder_stride(s)`` : ``[a]n → [a]n`` (requires ``n % s == 0``)."""

    s: ArithExpr
    """The stride factor."""

    spelling = "reorder_stride"

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        check.require(
            Constraint(t.size % self.s, "==", Cst(0)),
            self.show(),
            f"reorder_stride({self.s}): expected an array whose size is divisible by {self.s}, found {t}",
        )
        return t

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        n, s = a.shape[axis], self.s.evaluate(sizes)
        positions = [(i % s) * (n // s) + i // s for i in range(n)]
        return np.take(a, positions, axis=axis)

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        return [Stride(self.s).index(i, t.size)]

    def show(self) -> str:
        return f"reorder_stride({self.s})"

    writes = 1

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        return [Stride(self.s).inverse_index(i, t.size)]  # a computation writes its element i where it is read

    @classmethod
    def draw_for(cls, t: ArrayType, choose: Callable[[Sequence[int]], int]) -> ReorderStride | None:
        n = int(t.size)
        factors = [s for s in range(2, n) if n % s == 0]
        return ReorderStride(Cst(choose(factors))) if factors else None


def reorder_stride(s: ArithExpr | int) -> ReorderStride:
    """Read an array with stride ``n / s``: ``[a]n → [a]n``, element ``i`` is ``(i % s) * (n / s) + i / s``."""
    return ReorderStride(size_arg(s, "reorder_stride(s)"))
