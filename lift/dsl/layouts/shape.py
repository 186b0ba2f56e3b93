"""``split``, ``join``, ``transpose`` and ``slide``: the layout combinators that change an array's shape.

Each is declared once (see :mod:`lift.dsl.layout`). ``split``, ``join`` and ``transpose`` can also be written
through (:meth:`~lift.dsl.layout.Layout.write`): a computation whose result is split, joined or transposed
writes its elements straight into their places in the destination, with no copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lift.dsl.layout import Layout, TypingContext, parenthesised
from lift.types.arith import ArithExpr, Cst
from lift.types.data import ArrayType, DataType
from lift.types.smt import Constraint

__all__ = ["Join", "Slide", "Split", "Transpose"]


@dataclass(frozen=True, eq=False, repr=False)
class Split(Layout):
    """``split(n)`` : ``[a]m → [[a]n]m/n`` (requires ``m % n == 0``)."""

    n: ArithExpr
    """The chunk size."""

    spelling = "split"
    consumes = 2
    writes = 1

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        check.require(
            Constraint(t.size % self.n, "==", Cst(0)),
            self.show(),
            f"expected an array whose size is divisible by {self.n}, found {t}",
            f"{parenthesised(t.size)} % {parenthesised(self.n)} == 0",
        )
        return ArrayType(ArrayType(t.elem, self.n), check.size(t.size // self.n))

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        k = self.n.evaluate(sizes)
        return a.reshape(a.shape[:axis] + (a.shape[axis] // k, k) + a.shape[axis + 1 :])

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        i, j = indices
        return [i * self.n + j]

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (k,) = indices
        return [k // self.n, k % self.n]

    def show(self) -> str:
        return f"split({self.n})"

    def __repr__(self) -> str:
        return f"Split({self.n})"


@dataclass(frozen=True, eq=False, repr=False)
class Join(Layout):
    """``join`` : ``[[a]n]m → [a]n*m``."""

    spelling = "join"
    writes = 2

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        rows = check.array(t.elem, "join", f"join: expected an array of arrays, found {t}")
        return ArrayType(rows.elem, check.size(rows.size * t.size))

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        return a.reshape(a.shape[:axis] + (-1,) + a.shape[axis + 2 :])

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (k,) = indices
        n = _row_size(t)
        return [k // n, k % n]

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        i, j = indices
        return [i * _row_size(t) + j]

    def show(self) -> str:
        return "join"

    def __repr__(self) -> str:
        return "Join()"


def _row_size(t: ArrayType) -> ArithExpr:
    assert isinstance(t.elem, ArrayType), f"join of {t}"
    return t.elem.size


@dataclass(frozen=True, eq=False, repr=False)
class Transpose(Layout):
    """``transpose`` : ``[[a]m]n → [[a]n]m``."""

    spelling = "transpose"
    consumes = 2
    writes = 2

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        rows = check.array(t.elem, "transpose", f"transpose: expected a 2-D array [[a]m]n, found {t}")
        return ArrayType(ArrayType(rows.elem, t.size), rows.size)

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        return np.swapaxes(a, axis, axis + 1)

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        i, j = indices
        return [j, i]

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        i, j = indices
        return [j, i]

    def show(self) -> str:
        return "transpose"

    def __repr__(self) -> str:
        return "Transpose()"


@dataclass(frozen=True, eq=False, repr=False)
class Slide(Layout):
    """``slide(size, step)`` : ``[a]m → [[a]size](m-size)/step+1`` (requires ``m >= size``)."""

    size: ArithExpr
    """The window size."""
    step: ArithExpr
    """The distance between windows."""

    spelling = "slide"
    consumes = 2

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        check.require(
            Constraint(t.size, ">=", self.size),
            self.show(),
            f"expected at least {self.size} elements, found {t}",
        )
        return ArrayType(ArrayType(t.elem, self.size), check.size((t.size - self.size) // self.step + 1))

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        width, step = self.size.evaluate(sizes), self.step.evaluate(sizes)
        windows = sliding_window_view(a, width, axis=axis)
        windows = windows[(slice(None),) * axis + (slice(None, None, step),)]
        return np.moveaxis(windows, -1, axis + 1)

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        i, j = indices
        return [i * self.step + j]

    def show(self) -> str:
        return f"slide({self.size}, {self.step})"

    def __repr__(self) -> str:
        return f"Slide({self.size}, {self.step})"
