"""``value(x, T)``: an array of type ``T`` with every element ``x`` (Lift's ``Value``).

The zero accumulator of a register block is ``value(0.0, Array[Array[f32, 8], 8])``. Nothing is stored: every
element of it that a kernel reads is the constant itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from lift.dsl.ir import Literal
from lift.dsl.layout import TypingContext
from lift.dsl.source import Source
from lift.errors import LiftTypeError
from lift.types.arith import ArithExpr
from lift.types.data import ArrayType, DataType, scalar_of, sizes_of

__all__ = ["Filled", "value"]


@dataclass(frozen=True, eq=False, repr=False)
class Filled(Source):
    """``value(x, T)`` : ``T``, every scalar ``x``."""

    fill: Literal
    """The scalar every element is."""
    shape: DataType
    """The array type made (arrays of a scalar type)."""
    type: DataType | None = field(default=None, compare=False)
    """Filled in by the type checker."""

    spelling = "value"
    schema: ClassVar[dict[str, str]] = {"fill": "literal", "shape": "type"}

    def result(self, check: TypingContext) -> DataType:
        scalar = scalar_of(self.shape)
        if not isinstance(self.shape, ArrayType) or scalar is None:
            raise LiftTypeError(f"{self.show()}: expected an array type of scalars, found {self.shape}")
        check.literal(self.fill, scalar, self.show())
        return self.shape

    def meaning(self, size: Callable[[ArithExpr], int]) -> np.ndarray:
        scalar = scalar_of(self.shape)
        assert scalar is not None
        dims = tuple(size(n) for n in sizes_of(self.shape))
        return np.full(dims, self.fill.value, dtype=scalar.dtype)

    def element(self, indices: list[ArithExpr]) -> Literal:
        scalar = scalar_of(self.shape)
        return Literal(self.fill.value, scalar, scalar)

    def show(self) -> str:
        return f"value({self.fill.value!r}, {self.shape})"


def value(x: float | int | bool, t: DataType) -> Filled:
    """An array of type ``t`` whose every element is the scalar ``x``."""
    if isinstance(x, tuple) or not isinstance(x, (int, float, bool)):
        raise LiftTypeError(f"value(x, T): x must be a number, found {type(x).__name__} {x!r}")
    if not isinstance(t, DataType):
        raise LiftTypeError(f"value(x, T): T must be a data type such as Array[f32, 8], found {t!r}")
    return Filled(Literal(x), t)
