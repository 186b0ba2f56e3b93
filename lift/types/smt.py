"""Deciding size and index questions with Z3 where the canonical forms of ``arith`` cannot.

One Z3 context serves the whole process (many contexts have crashed Z3): every formula is built in Z3's main
context. That context is not thread-safe, so every use of Z3 in lift-ir — building terms as well as solving —
runs inside :func:`z3_session`, one process-wide re-entrant lock (threads take turns at Z3; everything else runs
in parallel). Z3 objects that Python frees in another thread only queue their release (Z3's concurrent
dec-ref), so garbage collection never races a running query.

Every query has a time limit (:class:`TimeLimits`, set with :func:`set_timeout`, the environment variables
``LIFT_SOLVER_TIMEOUT`` and ``LIFT_OPERATION_TIMEOUT``, or scoped with :func:`time_limits`). :func:`check` is for
questions that must be answered (an undecided one raises :class:`~lift.errors.LiftTimeoutError` naming the
query); :func:`decide` for questions where "unknown" has a safe meaning (not proved, a barrier is needed).

Size constraints (``N % 4 == 0``, ``N >= 3``) are :class:`Constraint` values with a formula for Z3 and a plain
evaluator on concrete values.
"""

from __future__ import annotations

import contextvars
import math
import operator
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Literal

import z3
from z3.z3core import Z3_enable_concurrent_dec_ref

from lift.errors import LiftTimeoutError, LiftValueError
from lift.types.arith import (
    NO_FACTS,
    ArithExpr,
    Cst,
    Facts,
    FloorDiv,
    Max,
    Min,
    Mod,
    PerNodeKind,
    Prod,
    Sum,
    Var,
    simplify,
    variables,
)

__all__ = [
    "DEFAULT_OPERATION_TIMEOUT_S",
    "DEFAULT_SOLVER_TIMEOUT_S",
    "SAFE_QUERY_TIMEOUT_S",
    "Constraint",
    "Deadline",
    "TimeLimits",
    "check",
    "decide",
    "equal",
    "facts_of",
    "limits",
    "prove",
    "satisfiable",
    "set_timeout",
    "time_limits",
    "to_z3",
    "z3_session",
]

# ---- one Z3 for the whole process ----------------------------------------------------------------------------

_Z3_LOCK = threading.RLock()
# Python frees Z3 terms whenever their last reference goes, in whichever thread: with concurrent dec-ref Z3
# queues those releases and applies them at its next call from the lock holder.
Z3_enable_concurrent_dec_ref(z3.main_ctx().ref())


@contextmanager
def z3_session() -> Iterator[None]:
    """Hold Z3 (the process-wide lock) for a block that builds terms or solves: re-entrant, so helpers that
    take it may call each other. Keep no Z3 object in use after the block ends (holding references is fine)."""
    with _Z3_LOCK:
        yield


# ---- time limits --------------------------------------------------------------------------------------------

DEFAULT_SOLVER_TIMEOUT_S = 10.0
"""The default limit of one solver call (seconds); ``LIFT_SOLVER_TIMEOUT`` overrides it."""
DEFAULT_OPERATION_TIMEOUT_S = 120.0
"""The default limit of one whole operation that calls the solver and the backend many times (``count()``,
``best()``, ``explain()``, a tuning space); ``LIFT_OPERATION_TIMEOUT`` overrides it."""
SAFE_QUERY_TIMEOUT_S = 2.0
"""Questions whose "unknown" has a safe meaning (a size proof: not proved; a barrier decision: place a barrier)
stop after this long, or the solver limit if shorter: giving up early is always sound there."""


@dataclass(frozen=True)
class TimeLimits:
    """How long Z3 may take: one solver call, and one whole operation."""

    solver_s: float = DEFAULT_SOLVER_TIMEOUT_S
    """Seconds one solver call may take."""
    operation_s: float = DEFAULT_OPERATION_TIMEOUT_S
    """Seconds one operation (an enumeration, a search for the best mapping, an explanation) may take."""


def _seconds(value: object, what: str) -> float:
    """A positive, finite number of seconds, or a LiftValueError naming ``what``."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise LiftValueError(f"{what}: expected a positive number of seconds, found {value!r}")
    return seconds


def _from_environment() -> TimeLimits:
    limits = TimeLimits()
    for variable, field in (("LIFT_SOLVER_TIMEOUT", "solver_s"), ("LIFT_OPERATION_TIMEOUT", "operation_s")):
        text = os.environ.get(variable, "").strip()
        if text:
            limits = replace(limits, **{field: _seconds(text, f"the environment variable {variable}")})
    return limits


# The process-wide setting (read from the environment once, changed by set_timeout), and a per-context override
# (time_limits): a thread sees the override of its own context, else the process-wide setting.
_process_limits: list[TimeLimits] = []
_scoped_limits: contextvars.ContextVar[TimeLimits | None] = contextvars.ContextVar("lift_time_limits", default=None)


def _process_setting() -> TimeLimits:
    if not _process_limits:
        _process_limits.append(_from_environment())
    return _process_limits[-1]


def limits() -> TimeLimits:
    """The time limits in force here: this context's :func:`time_limits`, else the process-wide setting."""
    scoped = _scoped_limits.get()
    return scoped if scoped is not None else _process_setting()


def set_timeout(solver: float | None = None, *, operation: float | None = None) -> TimeLimits:
    """Set the process-wide limits, in seconds, of one solver call and of one whole operation (either may be
    left as it is); returns the previous limits. :func:`time_limits` sets them for one block instead."""
    previous = _process_setting()
    new = previous
    if solver is not None:
        new = replace(new, solver_s=_seconds(solver, "set_timeout(solver=…)"))
    if operation is not None:
        new = replace(new, operation_s=_seconds(operation, "set_timeout(operation=…)"))
    _process_limits[:] = [new]
    return previous


@contextmanager
def time_limits(solver: float | None = None, *, operation: float | None = None) -> Iterator[TimeLimits]:
    """Limits, in seconds, for the queries made inside the block by this thread (other threads keep theirs)."""
    current = limits()
    scoped = TimeLimits(
        _seconds(solver, "time_limits(solver=…)") if solver is not None else current.solver_s,
        _seconds(operation, "time_limits(operation=…)") if operation is not None else current.operation_s,
    )
    token = _scoped_limits.set(scoped)
    try:
        yield scoped
    finally:
        _scoped_limits.reset(token)


@dataclass(frozen=True)
class Deadline:
    """The time left to one operation, and what to say when it runs out."""

    query: str
    """What is asked, e.g. ``count`` or ``barrier decision``."""
    program: str
    """The program it is asked about."""
    hint: str
    """How to narrow the question (fix some choices, bind sizes…)."""
    limit_s: float
    """The operation's limit."""
    ends: float
    """When it runs out (``time.monotonic()``)."""

    @staticmethod
    def start(query: str, program: str, hint: str) -> Deadline:
        """A deadline starting now, with the operation limit in force."""
        limit = limits().operation_s
        return Deadline(query, program, hint, limit, time.monotonic() + limit)

    def remaining_s(self) -> float:
        return self.ends - time.monotonic()

    def expire_if_past(self) -> None:
        """Raise the operation's timeout error once its time is up (called between steps of a long loop)."""
        if self.remaining_s() <= 0:
            raise self.error(f"the operation time limit of {self.limit_s:g} s")

    def error(self, which: str, reason: str = "") -> LiftTimeoutError:
        """The timeout error for this operation: which limit, and how to narrow the question or raise it."""
        why = f" (Z3: {reason})" if reason and reason != "timeout" else ""
        return LiftTimeoutError(
            f"{self.query} of {self.program}: ran past {which}{why}. Narrow the question: {self.hint}; or raise "
            "the limits: lift.solve.set_timeout(solver=seconds, operation=seconds), or the environment variables "
            "LIFT_SOLVER_TIMEOUT / LIFT_OPERATION_TIMEOUT",
            query=self.query,
        )


def _milliseconds(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def check(solver: z3.Solver | z3.Optimize, *assumptions: z3.BoolRef, deadline: Deadline) -> z3.CheckSatResult:
    """``sat`` or ``unsat`` for a question that must be answered, within the solver limit and what is left of
    ``deadline``; an undecided one raises :class:`~lift.errors.LiftTimeoutError`."""
    with z3_session():
        deadline.expire_if_past()
        solver_s = limits().solver_s
        budget_s = min(solver_s, deadline.remaining_s())
        solver.set("timeout", _milliseconds(budget_s))
        result = solver.check(*assumptions)
        if result != z3.unknown:
            return result
        reason = solver.reason_unknown()
        if deadline.remaining_s() <= 0:
            raise deadline.error(f"the operation time limit of {deadline.limit_s:g} s", reason)
        raise deadline.error(f"the solver time limit of {solver_s:g} s for one query", reason)


def decide(formulas: Iterable[z3.BoolRef], *, timeout_s: float = SAFE_QUERY_TIMEOUT_S) -> z3.CheckSatResult:
    """``sat``, ``unsat`` or ``unknown`` for ``formulas`` within ``timeout_s`` (and the solver limit): for
    questions where the caller gives "unknown" a safe meaning."""
    with z3_session():
        s = z3.Solver()
        s.set("timeout", _milliseconds(min(timeout_s, limits().solver_s)))
        s.add(*formulas)
        return s.check()


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
        with z3_session():
            return _COMPARE[self.op](to_z3(self.lhs), to_z3(self.rhs))

    def free_vars(self) -> frozenset[Var]:
        return variables([self.lhs, self.rhs])


def to_z3(e: ArithExpr) -> z3.ArithRef:
    """The Z3 integer term of ``e`` (variables become ``z3.Int`` of the same name)."""
    with z3_session():
        return _to_z3(e)


def _to_z3(e: ArithExpr) -> z3.ArithRef:
    return _TO_Z3(e)


def _z3_pick(e: Min | Max, keep_a: Callable[[z3.ArithRef, z3.ArithRef], z3.BoolRef]) -> z3.ArithRef:
    """``a`` where ``keep_a(a, b)`` holds, else ``b`` (``<=`` picks the minimum, ``>=`` the maximum)."""
    a, b = _to_z3(e.a), _to_z3(e.b)
    return z3.If(keep_a(a, b), a, b)


# Z3's div and mod are Euclidean; with the positive divisors we allow they equal floor division.
_TO_Z3: PerNodeKind[z3.ArithRef] = PerNodeKind(
    "to_z3",
    {
        Cst: lambda e: z3.IntVal(e.value),
        Var: lambda e: z3.Int(e.name),
        Sum: lambda e: z3.Sum([_to_z3(t) for t in e.terms]),
        Prod: lambda e: z3.Product([_to_z3(f) for f in e.factors]),
        FloorDiv: lambda e: _to_z3(e.num) / _to_z3(e.den),
        Mod: lambda e: _to_z3(e.num) % _to_z3(e.den),
        Min: lambda e: _z3_pick(e, operator.le),
        Max: lambda e: _z3_pick(e, operator.ge),
    },
)


def range_constraints(vs: Iterable[Var]) -> list[z3.BoolRef]:
    """The ranges of variables (and of the variables in their bounds, transitively), as Z3 formulas."""
    with z3_session():
        return _range_constraints(vs)


def _range_constraints(vs: Iterable[Var]) -> list[z3.BoolRef]:
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


def prove(claim: Constraint, assuming: Iterable[Constraint] = (), *, timeout_s: float = SAFE_QUERY_TIMEOUT_S) -> bool:
    """True when ``claim`` holds for every value of its variables within their ranges, given ``assuming``.

    ``False`` means "not proved": either a counterexample exists or Z3 gave up within ``timeout_s``. Decided
    answers are remembered (the type checker asks the same questions of every lowered variant of a program).
    """
    key = (claim, tuple(assuming))
    known = _PROVED.get(key)
    if known is not None:
        return known
    assuming = list(key[1])
    vs = claim.free_vars() | variables([e for c in assuming for e in (c.lhs, c.rhs)])
    with z3_session():
        formulas = range_constraints(vs) + [c.to_z3() for c in assuming] + [z3.Not(claim.to_z3())]
        formulas += _divisor_positivity([claim, *assuming])
        answer = decide(formulas, timeout_s=timeout_s)
    if answer != z3.unknown:  # a time-out is not an answer: a later call with more time may decide
        if len(_PROVED) >= _MAX_REMEMBERED:
            _PROVED.pop(next(iter(_PROVED)))
        _PROVED[key] = answer == z3.unsat
    return answer == z3.unsat


_MAX_REMEMBERED = 4096
_PROVED: dict[tuple[Constraint, tuple[Constraint, ...]], bool] = {}
"""Decided claims (a pure function of the claim and its assumptions: a memo, never read for anything else)."""


def satisfiable(constraints: Iterable[Constraint], *, timeout_s: float = SAFE_QUERY_TIMEOUT_S) -> bool:
    """False only when the constraints are proved contradictory under the variables' ranges."""
    constraints = list(constraints)
    vs = variables([e for c in constraints for e in (c.lhs, c.rhs)])
    with z3_session():
        formulas = range_constraints(vs) + [c.to_z3() for c in constraints] + _divisor_positivity(constraints)
        return decide(formulas, timeout_s=timeout_s) != z3.unsat


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
    if not (a2 - b2).free_vars():  # a non-zero constant apart
        return False
    return prove(Constraint(a, "==", b), assuming)
