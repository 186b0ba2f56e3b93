"""Deciding size and index questions with Z3 where the canonical forms of ``arith`` cannot.

One Z3 context serves the whole process (many contexts have crashed Z3): every formula is built in Z3's main
context. Size constraints (``N % 4 == 0``, ``N >= 3``) are :class:`Constraint` values with a formula for Z3 and
a plain evaluator on concrete values.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import z3

from lift.types.arith import (
    NO_FACTS,
    ArithExpr,
    Cst,
    Facts,
    FloorDiv,
    Max,
    Min,
    Mod,
    Prod,
    Sum,
    Var,
    simplify,
    variables,
)

__all__ = ["Constraint", "equal", "facts_of", "prove", "satisfiable", "to_z3"]

Op = Literal["==", "!=", ">=", ">", "<=", "<"]
_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Constraint:
    """A size fact ``lhs op rhs`` that a program needs, with the combinator that needs it."""

    lhs: ArithExpr
    """Left-hand side."""
    op: Op
    """Comparison."""
    rhs: ArithExpr
    """Right-hand side."""
    origin: str = ""
    """Which combinator needs it, e.g. ``split(4)``."""

    def __str__(self) -> str:
        return f"{self.lhs} {self.op} {self.rhs}"

    def __repr__(self) -> str:
        return f"Constraint({self}" + (f", from {self.origin}" if self.origin else "") + ")"

    def holds(self, env: Mapping[str, int]) -> bool:
        """Evaluate on concrete sizes."""
        return bool(_COMPARE[self.op](self.lhs.evaluate(env), self.rhs.evaluate(env)))

    def to_z3(self) -> z3.BoolRef:
        """The same comparison as a Z3 formula (Z3's terms overload the comparison operators)."""
        return _COMPARE[self.op](to_z3(self.lhs), to_z3(self.rhs))

    def free_vars(self) -> frozenset[Var]:
        return variables([self.lhs, self.rhs])


def to_z3(e: ArithExpr) -> z3.ArithRef:
    """The Z3 integer term of ``e`` (variables become ``z3.Int`` of the same name)."""
    if isinstance(e, Cst):
        return z3.IntVal(e.value)
    if isinstance(e, Var):
        return z3.Int(e.name)
    if isinstance(e, Sum):
        return z3.Sum([to_z3(t) for t in e.terms])
    if isinstance(e, Prod):
        return z3.Product([to_z3(f) for f in e.factors])
    # Z3's div and mod are Euclidean; with the positive divisors we allow they equal floor division.
    if isinstance(e, FloorDiv):
        return to_z3(e.num) / to_z3(e.den)
    if isinstance(e, Mod):
        return to_z3(e.num) % to_z3(e.den)
    if isinstance(e, Min):
        a, b = to_z3(e.a), to_z3(e.b)
        return z3.If(a <= b, a, b)
    if isinstance(e, Max):
        a, b = to_z3(e.a), to_z3(e.b)
        return z3.If(a >= b, a, b)
    raise TypeError(f"unknown ArithExpr node {type(e).__name__}")


def range_constraints(vs: Iterable[Var]) -> list[z3.BoolRef]:
    """The ranges of variables (and of the variables in their bounds, transitively), as Z3 formulas."""
    out: list[z3.BoolRef] = []
    seen: set[Var] = set()
    todo = list(vs)
    while todo:
        v = todo.pop()
        if v in seen:
            continue
        seen.add(v)
        out.append(z3.Int(v.name) >= v.lo)
        if v.hi is not None:
            out.append(z3.Int(v.name) < to_z3(v.hi))
            todo.extend(v.hi.free_vars())
    return out


def facts_of(constraints: Iterable[Constraint]) -> Facts:
    """The divisibility facts (``x % d == 0``) among ``constraints``, for the simplifier."""
    facts = NO_FACTS
    for c in constraints:
        if c.op == "==" and c.rhs == Cst(0) and isinstance(c.lhs, Mod):
            facts = facts.with_divisible(c.lhs.num, c.lhs.den)
    return facts


def _check(formulas: list[z3.BoolRef], timeout_ms: int) -> z3.CheckSatResult:
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(*formulas)
    return s.check()


def prove(claim: Constraint, assuming: Iterable[Constraint] = (), *, timeout_ms: int = 2000) -> bool:
    """True when ``claim`` holds for every value of its variables within their ranges, given ``assuming``.

    ``False`` means "not proved": either a counterexample exists or Z3 gave up within ``timeout_ms``.
    """
    assuming = list(assuming)
    vs = claim.free_vars() | variables([e for c in assuming for e in (c.lhs, c.rhs)])
    formulas = range_constraints(vs) + [c.to_z3() for c in assuming] + [z3.Not(claim.to_z3())]
    formulas += _divisor_positivity([claim, *assuming])
    return _check(formulas, timeout_ms) == z3.unsat


def satisfiable(constraints: Iterable[Constraint], *, timeout_ms: int = 2000) -> bool:
    """False only when the constraints are proved contradictory under the variables' ranges."""
    constraints = list(constraints)
    vs = variables([e for c in constraints for e in (c.lhs, c.rhs)])
    formulas = range_constraints(vs) + [c.to_z3() for c in constraints] + _divisor_positivity(constraints)
    return _check(formulas, timeout_ms) != z3.unsat


def _divisor_positivity(constraints: Iterable[Constraint]) -> list[z3.BoolRef]:
    """Every divisor is positive, so Z3's Euclidean division agrees with floor division."""
    out: list[z3.BoolRef] = []

    def walk(e: ArithExpr) -> None:
        if isinstance(e, (FloorDiv, Mod)):
            out.append(to_z3(e.den) > 0)
        for c in e.children():
            walk(c)

    for c in constraints:
        walk(c.lhs)
        walk(c.rhs)
    return out


def equal(a: ArithExpr, b: ArithExpr, assuming: Iterable[Constraint] = ()) -> bool:
    """True when ``a == b`` is proved: first by canonical forms under the facts, then by Z3."""
    assuming = list(assuming)
    if a == b:
        return True
    facts = facts_of(assuming)
    a2, b2 = simplify(a, facts), simplify(b, facts)
    if a2 == b2:
        return True
    if isinstance(a2 - b2, Cst):
        return False
    return prove(Constraint(a, "==", b), assuming)
