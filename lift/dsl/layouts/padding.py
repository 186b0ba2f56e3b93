"""``pad(left, right, value)``: the outermost dimension grown by ``left`` and ``right`` elements, filled with a
constant (of any shape: a row of rows is all that constant) or, with ``"clamp"``, with the edge element repeated.

A view: the kernel reads the argument's element ``i - left`` where the result's ``i`` is asked for, under a guard
``left <= i < left + n`` with the constant outside (:meth:`Pad.fill`), or clamped into ``0 .. n-1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lift.dsl.ir import Literal
from lift.dsl.layout import Layout, TypingContext
from lift.dsl.limits import check_allocation, fitting
from lift.errors import LiftTypeError
from lift.types.arith import ArithExpr, maximum, minimum
from lift.types.data import ArrayType, DataType, scalar_of

__all__ = ["Pad"]


@dataclass(frozen=True, eq=False, repr=False)
class Pad(Layout):
    """``pad(left, right, value)`` : ``[a]m → [a]left+m+right``; ``value="clamp"`` repeats the edge element."""

    left: ArithExpr
    """Elements added before."""
    right: ArithExpr
    """Elements added after."""
    value: Literal | None
    """The scalar filling the new elements (of any shape), or ``None`` to clamp (repeat the edge)."""

    spelling = "pad"
    schema: ClassVar[dict[str, str]] = {"left": "count", "right": "count", "value": "fill"}

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        if self.value is not None:
            scalar = scalar_of(t.elem)
            if scalar is None:
                raise LiftTypeError(f"{self.show()}: a constant can only pad arrays of scalars, found {t}")
            check.literal(self.value, scalar, self.show())
        return ArrayType(t.elem, check.size(self.left + t.size + self.right))

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        left, right = self.left.evaluate(sizes), self.right.evaluate(sizes)
        widths = [(0, 0)] * a.ndim
        widths[axis] = (left, right)
        grown = a.shape[:axis] + (a.shape[axis] + left + right,) + a.shape[axis + 1 :]
        check_allocation(grown, a.dtype.itemsize, f"pad({left}, {right}, ...)")
        if self.value is None:
            return np.pad(a, widths, mode="edge")
        fill = fitting(self.value.value, a.dtype, f"pad({left}, {right}, {self.value.value!r})")
        return np.pad(a, widths, mode="constant", constant_values=fill)

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        shifted = i - self.left
        if self.value is None:
            return [maximum(0, minimum(shifted, t.size - 1))]
        return [shifted]

    def fill(self, indices: list[ArithExpr], t: ArrayType) -> tuple[ArithExpr, ArithExpr, ArithExpr, Literal] | None:
        if self.value is None:
            return None
        (i,) = indices
        return (i, self.left, self.left + t.size, self.value)

    def show(self) -> str:
        value = "'clamp'" if self.value is None else repr(self.value.value)
        return f"pad({self.left}, {self.right}, {value})"

    def __repr__(self) -> str:
        return f"Pad({self.left}, {self.right}, {self.value!r})"
