"""``take(n)`` and ``drop(n)``: the first ``n`` elements of the outermost dimension, and all but them.

With ``pad`` they are how partial tiles are handled: pad a dimension up to a multiple of the tile, compute on
whole tiles, ``take`` the real elements back. Both are views: the kernel reads the argument's element ``i``
(``take``) or ``i + n`` (``drop``) where the result's element ``i`` is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lift.dsl.ir import size_arg
from lift.dsl.layout import Layout, TypingContext
from lift.types.arith import ArithExpr, Cst
from lift.types.data import ArrayType, DataType
from lift.types.smt import Constraint

__all__ = ["Drop", "Take", "drop", "take"]


def _along(a: np.ndarray, axis: int, part: slice) -> np.ndarray:
    return a[(slice(None),) * axis + (part,)]


@dataclass(frozen=True, eq=False, repr=False)
class Take(Layout):
    """``take(n)`` : ``[a]m → [a]n`` (requires ``n <= m``)."""

    n: ArithExpr
    """How many elements are kept."""

    spelling = "take"

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        check.require(
            Constraint(t.size, ">=", self.n),
            self.show(),
            f"take({self.n}): expected at least {self.n} elements, found {t}",
        )
        return ArrayType(t.elem, self.n)

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        return _along(a, axis, slice(0, self.n.evaluate(sizes)))

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        return indices

    def show(self) -> str:
        return f"take({self.n})"

    writes = 1

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        return indices

    def kept(self, indices: list[ArithExpr], t: ArrayType) -> tuple[ArithExpr, ArithExpr] | None:
        return (Cst(0), self.n)

    @classmethod
    def draw_for(cls, t: ArrayType, choose: Callable[[Sequence[int]], int]) -> Take | None:
        return Take(Cst(choose(range(1, int(t.size) + 1))))


@dataclass(frozen=True, eq=False, repr=False)
class Drop(Layout):
    """``drop(n)`` : ``[a]m → [a]m-n`` (requires ``n < m``: arrays are never empty)."""

    n: ArithExpr
    """How many leading elements are left out."""

    spelling = "drop"

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        check.require(
            Constraint(t.size, ">", self.n),
            self.show(),
            f"drop({self.n}): expected more than {self.n} elements (arrays are never empty), found {t}",
        )
        return ArrayType(t.elem, check.size(t.size - self.n))

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        return _along(a, axis, slice(self.n.evaluate(sizes), None))

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        return [i + self.n]

    def show(self) -> str:
        return f"drop({self.n})"

    writes = 1

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        return [i - self.n]

    def kept(self, indices: list[ArithExpr], t: ArrayType) -> tuple[ArithExpr, ArithExpr] | None:
        return (self.n, t.size)

    @classmethod
    def draw_for(cls, t: ArrayType, choose: Callable[[Sequence[int]], int]) -> Drop | None:
        n = int(t.size)
        return Drop(Cst(choose(range(1, n)))) if n > 1 else None


def take(n: ArithExpr | int) -> Take:
    """The first ``n`` elements of the outermost dimension: ``[a]m → [a]n``."""
    return Take(size_arg(n, "take(n)"))


def drop(n: ArithExpr | int) -> Drop:
    """All but the first ``n`` elements of the outermost dimension: ``[a]m → [a]m-n``."""
    return Drop(size_arg(n, "drop(n)"))
