"""Evaluating ``ArithExpr``: on Python integers (checked), or elementwise on numpy arrays.

Both are one walk over the expression (``_EVALUATE``); what differs is how values are looked up and combined
(``_ON_INTS``, ``_ON_ARRAYS``). Floor semantics throughout: Python's ``//`` and ``%`` and numpy's ``floor_divide`` and
``mod`` agree.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lift.errors import LiftValueError
from lift.types.arith_nodes import ArithExpr, Cst, FloorDiv, Max, Min, Mod, PerNodeKind, Prod, Sum, Var

__all__ = ["evaluate_array", "evaluate_int"]


@dataclass(frozen=True)
class _Arithmetic:
    """How the values of one kind of evaluation are looked up and combined."""

    convert: Callable[[Any], Any]
    """Applied to a variable's value as it is looked up."""
    floordiv: Callable[[FloorDiv, Any, Any], Any]
    """``num // den`` of two values (the node, for messages)."""
    mod: Callable[[Mod, Any, Any], Any]
    """``num % den`` of two values (the node, for messages)."""
    minimum: Callable[[Any, Any], Any]
    """The smaller of two values."""
    maximum: Callable[[Any, Any], Any]
    """The larger of two values."""

    def variable(self, v: Var, env: Mapping[str, Any]) -> Any:
        if v.name not in env:
            raise KeyError(f"no value for size variable {v.name!r}")
        return self.convert(env[v.name])


def _positive_divisor(divide: Callable[[int, int], int]) -> Callable[[FloorDiv | Mod, int, int], int]:
    """``divide`` on integers, refusing a divisor that is not positive (floor division and Z3's Euclidean
    division agree only for positive ones) with an error naming the expression."""

    def checked(e: FloorDiv | Mod, num: int, den: int) -> int:
        if den <= 0:
            raise LiftValueError(f"{e}: the divisor {e.den} evaluates to {den}; divisors must be positive")
        return divide(num, den)

    return checked


def _elementwise(divide: Callable[[Any, Any], Any]) -> Callable[[FloorDiv | Mod, Any, Any], Any]:
    """``divide`` on arrays (numpy leaves a zero divisor to its own warnings, as plain numpy code would)."""
    return lambda e, num, den: divide(num, den)


def _as_is(value: Any) -> Any:
    return value


_ON_INTS = _Arithmetic(int, _positive_divisor(operator.floordiv), _positive_divisor(operator.mod), min, max)
_ON_ARRAYS = _Arithmetic(_as_is, _elementwise(np.floor_divide), _elementwise(np.mod), np.minimum, np.maximum)


def evaluate_int(e: ArithExpr, env: Mapping[str, int]) -> int:
    """The integer value of ``e`` under ``env``; ``KeyError`` names a missing variable, ``LiftValueError`` a
    divisor that is not positive."""
    return _evaluate(e, env, _ON_INTS)


def evaluate_array(e: ArithExpr, env: Mapping[str, Any]) -> Any:
    """Evaluate with numpy arrays (or ints) as variable values, elementwise; floor semantics throughout."""
    return _evaluate(e, env, _ON_ARRAYS)


def _evaluate(e: ArithExpr, env: Mapping[str, Any], on: _Arithmetic) -> Any:
    # the case looked up directly: evaluation runs once per node of every size the interpreter binds
    return _EVALUATE.cases[type(e)](e, [_evaluate(c, env, on) for c in e.children()], env, on)


_EVALUATE: PerNodeKind[Any] = PerNodeKind(
    "evaluate",
    {
        Cst: lambda e, values, env, on: e.value,
        Var: lambda e, values, env, on: on.variable(e, env),
        Sum: lambda e, values, env, on: functools.reduce(operator.add, values),
        Prod: lambda e, values, env, on: functools.reduce(operator.mul, values),
        FloorDiv: lambda e, values, env, on: on.floordiv(e, *values),
        Mod: lambda e, values, env, on: on.mod(e, *values),
        Min: lambda e, values, env, on: on.minimum(*values),
        Max: lambda e, values, env, on: on.maximum(*values),
    },
)
