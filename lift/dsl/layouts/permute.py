"""``gather(f)`` and ``scatter(f)``: an array permuted by an index function (``reverse``, ``stride(s)``).

Both are views, and both can be written through: a computation whose result is gathered writes each element
where the inverse permutation puts it, one that is scattered where the permutation does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lift.dsl.ir import IndexFun, fresh_name
from lift.dsl.layout import Layout, TypingContext, parenthesised
from lift.types.arith import ArithExpr, Cst, Var, evaluate_array
from lift.types.data import ArrayType, DataType
from lift.types.smt import Constraint

__all__ = ["Gather", "Scatter"]


class _Permutation(Layout, abstract=True):
    """What gather and scatter share: the index function, its size requirement, its numpy permutation."""

    __slots__ = ()

    idx: IndexFun
    schema: ClassVar[dict[str, str]] = {"idx": "index"}

    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        required = self.idx.requirement(t.size)
        if required is not None:
            expr, divisor = required
            check.require(
                Constraint(expr % divisor, "==", Cst(0)),
                self.show(),
                f"expected an array whose size is divisible by {divisor}, found {t}",
                f"{parenthesised(expr)} % {parenthesised(divisor)} == 0",
            )
        return t

    def positions(self, n: int, sizes: Mapping[str, int]) -> np.ndarray:
        """``idx`` on ``range(n)``, evaluated on all positions at once."""
        position = fresh_name("i", set(sizes))
        expr = self.idx.index(Var(position, 0, Cst(n)), Cst(n))
        perm = np.asarray(evaluate_array(expr, {**sizes, position: np.arange(n)}), dtype=np.int64)
        return np.broadcast_to(perm, (n,)).copy()

    def show(self) -> str:
        return f"{self.spelling}({self.idx!r})"

    def sizes(self) -> tuple[ArithExpr, ...]:
        return tuple(v for v in self.idx.fields().values() if isinstance(v, ArithExpr))

    def with_sizes(self, fn: Callable[[ArithExpr], ArithExpr]) -> Layout:
        changes = {k: fn(v) if isinstance(v, ArithExpr) else v for k, v in self.idx.fields().items()}
        return dataclasses.replace(self, idx=type(self.idx)(**changes))  # type: ignore[type-var]


@dataclass(frozen=True, eq=False, repr=False)
class Gather(_Permutation):
    """``gather(f)`` : ``out[i] = in[f(i)]``."""

    idx: IndexFun
    """The index function."""

    spelling = "gather"
    writes = 1

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        return np.take(a, self.positions(a.shape[axis], sizes), axis=axis)

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        return [self.idx.index(i, t.size)]

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        return [self.idx.inverse_index(i, t.size)]

    def __repr__(self) -> str:
        return f"Gather({self.idx!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Scatter(_Permutation):
    """``scatter(f)`` : ``out[f(i)] = in[i]``."""

    idx: IndexFun
    """The index function."""

    spelling = "scatter"
    writes = 1

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        forward = self.positions(a.shape[axis], sizes)
        inverse = np.empty_like(forward)
        inverse[forward] = np.arange(len(forward))
        return np.take(a, inverse, axis=axis)

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        return [self.idx.inverse_index(i, t.size)]

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        (i,) = indices
        return [self.idx.index(i, t.size)]

    def __repr__(self) -> str:
        return f"Scatter({self.idx!r})"
