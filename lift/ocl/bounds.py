"""Index safety of a generated kernel: every access stays inside its buffer, and index arithmetic is wide enough.

Two questions are answered on the index expressions that code generation records in the kernel plan (:class:`~lift.ocl.plan.Access`):

* **Bounds.** For every access, ``0 <= index < buffer size`` for every value the enclosing loops can take, under
  the access's guards (constant padding) and the program's size facts. Interval arithmetic proves the common case
  at no cost; what it cannot prove, Z3 decides. The loop ranges hold whatever the launch sizes, because
  :mod:`lift.ocl.launch` refuses launch sizes that would run a loop past its extent, so an access that is not
  proved is a bug in lift-ir (:class:`~lift.errors.LiftInternalError`), never the user's.
* **Width.** OpenCL C's ``int`` is 32 bits: a loop variable, and every index expression it takes part in, is
  declared ``long`` when some value of that expression (or of one of its subexpressions, as C evaluates them)
  can reach ``2**31``, decided from the sizes bound at compile time; a symbolic size has no bound, so
  expressions over it are always ``long``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import z3

from lift.errors import LiftInternalError, LiftLimitError
from lift.ocl.codegen import Generated
from lift.ocl.plan import Access, For, Guard, accesses_in, loops_in
from lift.types.arith import ArithExpr, Cst, FloorDiv, Max, Min, Mod, PerNodeKind, Prod, Sum, Var
from lift.types.smt import Constraint, range_constraints, to_z3, z3_session

__all__ = ["INT_MAX", "LONG_MAX", "check_bounds", "check_long_range", "interval", "overflows", "wide_index_vars"]

INT_MAX = 2**31 - 1
"""The largest value of OpenCL C's ``int``."""
LONG_MAX = 2**63 - 1
"""The largest value of OpenCL C's ``long``."""

_STEP_SLACK = 2**16
"""What a strided parallel loop adds to its variable beyond the extent: its step (a launch size) is at most the
extent rounded up to a multiple of the local size, and local sizes are far below this."""

PROOF_TIMEOUT_MS = 2000
"""The time limit of one Z3 bounds query."""

Bound = int | float
"""An inclusive bound: an int, or ``±math.inf`` when unbounded."""


@dataclass(frozen=True)
class Interval:
    """``lo <= e <= hi`` for every value of the variables (``±inf`` when unknown)."""

    lo: Bound
    hi: Bound

    def within(self, lo: Bound, hi: Bound) -> bool:
        return lo <= self.lo and self.hi <= hi


_UNBOUNDED = Interval(-math.inf, math.inf)


def _mul(a: Bound, b: Bound) -> Bound:
    return 0 if a == 0 or b == 0 else a * b  # 0 × ∞ is 0 here: a zero factor makes the product zero


def _floordiv(a: Bound, b: Bound) -> Bound:
    if math.isinf(a):
        return a if b > 0 else -a
    if math.isinf(b):
        return 0 if a >= 0 else -1
    return int(a) // int(b)


@functools.lru_cache(maxsize=65536)
def interval(e: ArithExpr) -> Interval:
    """The values ``e`` can take, from the ranges of its variables (sound: the true range lies inside)."""
    return _INTERVAL(e)


def _interval_var(e: Var) -> Interval:
    hi = interval(e.hi).hi - 1 if e.hi is not None else math.inf
    return Interval(e.lo, hi)


def _interval_sum(e: Sum) -> Interval:
    parts = [interval(t) for t in e.terms]
    return Interval(sum(p.lo for p in parts), sum(p.hi for p in parts))


def _interval_prod(e: Prod) -> Interval:
    out = Interval(1, 1)
    for f in e.factors:
        x = interval(f)
        corners = [_mul(a, b) for a in (out.lo, out.hi) for b in (x.lo, x.hi)]
        out = Interval(min(corners), max(corners))
    return out


def _interval_floordiv(e: FloorDiv) -> Interval:
    num, den = interval(e.num), interval(e.den)
    if den.lo <= 0:
        return _UNBOUNDED
    corners = [_floordiv(a, b) for a in (num.lo, num.hi) for b in (den.lo, den.hi)]
    return Interval(min(corners), max(corners))


def _interval_mod(e: Mod) -> Interval:
    den = interval(e.den)
    if den.lo <= 0:
        return _UNBOUNDED
    # floor modulo by a positive divisor: never below 0, never above the dividend when it is non-negative
    num = interval(e.num)
    top = den.hi - 1 if num.lo < 0 else min(num.hi, den.hi - 1)
    return Interval(0, top)


def _interval_pick(e: Min | Max, pick: Callable[[Bound, Bound], Bound]) -> Interval:
    """The interval of ``pick(a, b)`` for a monotone ``pick`` (``min`` or ``max``)."""
    a, b = interval(e.a), interval(e.b)
    return Interval(pick(a.lo, b.lo), pick(a.hi, b.hi))


_INTERVAL: PerNodeKind[Interval] = PerNodeKind(
    "interval",
    {
        Cst: lambda e: Interval(e.value, e.value),
        Var: _interval_var,
        Sum: _interval_sum,
        Prod: _interval_prod,
        FloorDiv: _interval_floordiv,
        Mod: _interval_mod,
        Min: lambda e: _interval_pick(e, min),
        Max: lambda e: _interval_pick(e, max),
    },
)


def _subexpressions(e: ArithExpr) -> Iterator[ArithExpr]:
    yield e
    for c in e.children():
        yield from _subexpressions(c)


def overflows(e: ArithExpr, top: int = INT_MAX) -> bool:
    """Some subexpression of ``e`` (C evaluates each) can leave the range ``-top - 1 .. top`` (``int`` by
    default)."""
    return not all(interval(x).within(-top - 1, top) for x in _subexpressions(e))


def _loop_var_overflows(stmt: For) -> bool:
    """The loop variable itself can pass ``INT_MAX``: its last value plus one step (a thread id's step is a
    launch size, about the extent)."""
    top = interval(stmt.stop).hi
    reach = top if stmt.loop.level == "seq" else 2 * top + _STEP_SLACK
    return reach > INT_MAX


def _index_expressions(a: Access) -> Iterator[ArithExpr]:
    yield a.index
    for g in a.guards:
        yield from (g.value, g.lo, g.hi)


def _kernel_index_expressions(gen: Generated) -> list[ArithExpr]:
    """Every index expression, guard and loop bound the kernel prints, each once."""
    expressions = [e for a in accesses_in(gen.body) for e in _index_expressions(a)]
    expressions += [s.stop for s in loops_in(gen.body)]
    return list(dict.fromkeys(expressions))


def wide_index_vars(gen: Generated) -> frozenset[str]:
    """The loop variables of ``gen`` that must be ``long``: those taking part in an index expression, guard or
    loop bound that can reach ``2**31``, and those whose own values can."""
    loops = loops_in(gen.body)
    loop_vars = {s.var for s in loops}
    wide = {s.var for s in loops if _loop_var_overflows(s)}
    for e in _kernel_index_expressions(gen):
        if overflows(e):
            wide |= {x.name for x in _free_vars_deep(e)} & loop_vars
    return frozenset(wide)


def check_long_range(gen: Generated) -> None:
    """Refuse (:class:`~lift.errors.LiftLimitError`) a kernel whose sizes make an index pass ``2**63 - 1``, the
    largest ``long``: even 64-bit arithmetic would wrap."""
    for e in _kernel_index_expressions(gen):
        if overflows(e, LONG_MAX) and all(math.isfinite(interval(x).hi) for x in _subexpressions(e)):
            raise LiftLimitError(
                f"{gen.name}: the index {e} can reach {interval(e).hi}, beyond the largest 64-bit integer "
                f"{LONG_MAX}; use smaller sizes"
            )


def _free_vars_deep(e: ArithExpr) -> set[Var]:
    """The variables of ``e`` and of their bounds (a loop's extent may name an outer loop's variable)."""
    out: set[Var] = set()
    todo = list(e.free_vars())
    while todo:
        x = todo.pop()
        if x not in out:
            out.add(x)
            if x.hi is not None:
                todo.extend(x.hi.free_vars())
    return out


# ---- bounds -----------------------------------------------------------------------------------------------
def check_bounds(gen: Generated, facts: Sequence[Constraint] = ()) -> None:
    """Prove that every access of ``gen`` stays inside its buffer; :class:`LiftInternalError` names the first
    access that does not (with a counterexample when Z3 found one)."""
    fact_key = tuple(dict.fromkeys(facts))
    for a in dict.fromkeys(accesses_in(gen.body)):
        with z3_session():  # Z3 is shared by the whole process: one thread builds terms and solves at a time
            problem = _out_of_bounds(a.index, a.buffer.size, a.guards, fact_key)
        if problem is not None:
            kind = "write" if a.write else "read"
            raise LiftInternalError(
                f"{gen.name}: the {kind} {a.buffer.name}[{a.index}] may leave its buffer of {a.buffer.size} "
                f"elements ({problem}). This is a bug in lift-ir's code generation: please report it with the "
                "program and the mapping"
            )


@functools.lru_cache(maxsize=16384)
def _out_of_bounds(
    index: ArithExpr, size: ArithExpr, guards: tuple[Guard, ...], facts: tuple[Constraint, ...]
) -> str | None:
    """``None`` when ``0 <= index < size`` is proved, else why not."""
    top = interval(size).lo - 1  # the smallest the buffer can be
    if interval(index).within(0, top):
        return None
    variables = set(index.free_vars()) | set(size.free_vars())
    for g in guards:
        variables |= set(g.value.free_vars()) | set(g.lo.free_vars()) | set(g.hi.free_vars())
    solver = z3.Solver()
    solver.set("timeout", PROOF_TIMEOUT_MS)
    solver.add(*range_constraints(variables), *(c.to_z3() for c in facts))
    for g in guards:
        value = to_z3(g.value)
        solver.add(value >= to_z3(g.lo), value < to_z3(g.hi))
    i = to_z3(index)
    solver.add(z3.Or(i < 0, i >= to_z3(size)))
    verdict = solver.check()
    if verdict == z3.unsat:
        return None
    if verdict == z3.sat:
        model = solver.model()
        shown = ", ".join(f"{d.name()} = {model[d]}" for d in sorted(model.decls(), key=lambda d: d.name()))
        return f"for instance at {shown}"
    return f"Z3 could not decide it within {PROOF_TIMEOUT_MS} ms"
