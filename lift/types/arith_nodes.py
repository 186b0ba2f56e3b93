"""The node kinds of ``ArithExpr`` and the one way an operation dispatches over them.

Every operation over expressions (evaluating, printing, rebuilding, bounding, translating to Z3…) is a
:class:`PerNodeKind`: a table with one case for each kind in :data:`NODE_KINDS`, checked complete when the table
is built, so a new kind of node cannot be forgotten by an operation without an error at import naming both.

The operators build simplified expressions through :mod:`lift.types.arith_simplify`; printing, evaluation and
substitution live in their own modules. Those modules import the node classes from here, so this module imports
them at its end, once the classes exist, and the methods below reach them through the module at call time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar, Union

from lift.errors import LiftInternalError, LiftTypeError

__all__ = [
    "NODE_KINDS",
    "ArithExpr",
    "ArithLike",
    "Cst",
    "FloorDiv",
    "Max",
    "Min",
    "Mod",
    "PerNodeKind",
    "Prod",
    "Sum",
    "Var",
    "as_arith",
]

ArithLike = Union["ArithExpr", int]


class ArithExpr:
    """Base class of symbolic integer expressions; arithmetic operators build simplified expressions."""

    __slots__ = ()

    # --- operators -------------------------------------------------------------------------------------
    def __add__(self, other: ArithLike) -> ArithExpr:
        return _arith_simplify.DEFAULT.add(self, as_arith(other))

    def __radd__(self, other: ArithLike) -> ArithExpr:
        return _arith_simplify.DEFAULT.add(as_arith(other), self)

    def __sub__(self, other: ArithLike) -> ArithExpr:
        s = _arith_simplify.DEFAULT
        return s.add(self, s.mul(Cst(-1), as_arith(other)))

    def __rsub__(self, other: ArithLike) -> ArithExpr:
        s = _arith_simplify.DEFAULT
        return s.add(as_arith(other), s.mul(Cst(-1), self))

    def __neg__(self) -> ArithExpr:
        return _arith_simplify.DEFAULT.mul(Cst(-1), self)

    def __mul__(self, other: ArithLike) -> ArithExpr:
        return _arith_simplify.DEFAULT.mul(self, as_arith(other))

    def __rmul__(self, other: ArithLike) -> ArithExpr:
        return _arith_simplify.DEFAULT.mul(as_arith(other), self)

    def __floordiv__(self, other: ArithLike) -> ArithExpr:
        return _arith_simplify.DEFAULT.floordiv(self, as_arith(other))

    def __rfloordiv__(self, other: ArithLike) -> ArithExpr:
        return _arith_simplify.DEFAULT.floordiv(as_arith(other), self)

    def __mod__(self, other: ArithLike) -> ArithExpr:
        return _arith_simplify.DEFAULT.mod(self, as_arith(other))

    def __rmod__(self, other: ArithLike) -> ArithExpr:
        return _arith_simplify.DEFAULT.mod(as_arith(other), self)

    def __truediv__(self, other: object) -> ArithExpr:
        raise LiftTypeError("sizes are integers: use floor division `//` (and `%` for the remainder), not `/`")

    __rtruediv__ = __truediv__

    # --- queries ---------------------------------------------------------------------------------------
    def children(self) -> tuple[ArithExpr, ...]:
        """The subexpressions an operation recurses into (a variable's range is not one of them)."""
        raise NotImplementedError(f"{type(self).__name__} is no ArithExpr node kind: build Cst, Var, … instead")

    def free_vars(self) -> frozenset[Var]:
        """Every variable the expression mentions (including those in the ranges of its variables)."""
        out: frozenset[Var] = frozenset()
        for c in self.children():
            out |= c.free_vars()
        return out

    def subs(self, mapping: Mapping[Var, ArithLike] | Mapping[str, ArithLike]) -> ArithExpr:
        """Substitute variables (given as ``Var`` or by name) and simplify."""
        by_name = {(k.name if isinstance(k, Var) else k): as_arith(v) for k, v in mapping.items()}
        return _arith_simplify.substitute(self, by_name)

    def evaluate(self, env: Mapping[str, int] | None = None) -> int:
        """The integer value under ``env`` (variable name → value); ``KeyError`` names a missing variable."""
        return _arith_eval.evaluate_int(self, env or {})

    def __int__(self) -> int:
        raise LiftTypeError(f"size {self} is symbolic; bind its variables first")

    def __index__(self) -> int:
        return int(self)

    def __str__(self) -> str:
        return _arith_print.print_arith(self)

    def __repr__(self) -> str:
        return f"ArithExpr({self})"


@dataclass(frozen=True, eq=True, repr=False)
class Cst(ArithExpr):
    """An integer constant."""

    value: int
    """The value."""

    def children(self) -> tuple[ArithExpr, ...]:
        return ()

    def __int__(self) -> int:
        return self.value


@dataclass(frozen=True, eq=True, repr=False)
class Var(ArithExpr):
    """A named integer variable with a range ``lo <= v`` (and ``v < hi`` when ``hi`` is given).

    Sizes are variables with ``lo = 1``; loop and thread indices have ``lo = 0`` and ``hi`` their trip count.
    """

    name: str
    """The name, unique within a program."""
    lo: int = 0
    """Inclusive lower bound."""
    hi: ArithExpr | None = None
    """Exclusive upper bound, or ``None`` when unbounded."""

    def children(self) -> tuple[ArithExpr, ...]:
        return ()

    def free_vars(self) -> frozenset[Var]:
        return frozenset({self}) | (self.hi.free_vars() if self.hi is not None else frozenset())


@dataclass(frozen=True, eq=True, repr=False)
class Sum(ArithExpr):
    """A sum of monomials in canonical order (built only by the simplifier)."""

    terms: tuple[ArithExpr, ...]
    """The monomials, highest degree first, the constant last."""

    def children(self) -> tuple[ArithExpr, ...]:
        return self.terms


@dataclass(frozen=True, eq=True, repr=False)
class Prod(ArithExpr):
    """A product: an optional constant coefficient first, then atoms in canonical order."""

    factors: tuple[ArithExpr, ...]
    """The factors."""

    def children(self) -> tuple[ArithExpr, ...]:
        return self.factors


@dataclass(frozen=True, eq=True, repr=False)
class FloorDiv(ArithExpr):
    """``num // den`` rounded towards minus infinity; ``den`` is positive."""

    num: ArithExpr
    """The dividend."""
    den: ArithExpr
    """The (positive) divisor."""

    def children(self) -> tuple[ArithExpr, ...]:
        return (self.num, self.den)


@dataclass(frozen=True, eq=True, repr=False)
class Mod(ArithExpr):
    """``num % den`` in ``[0, den)``; ``den`` is positive."""

    num: ArithExpr
    """The dividend."""
    den: ArithExpr
    """The (positive) divisor."""

    def children(self) -> tuple[ArithExpr, ...]:
        return (self.num, self.den)


@dataclass(frozen=True, eq=True, repr=False)
class Min(ArithExpr):
    """The smaller of two expressions."""

    a: ArithExpr
    """First operand."""
    b: ArithExpr
    """Second operand."""

    def children(self) -> tuple[ArithExpr, ...]:
        return (self.a, self.b)


@dataclass(frozen=True, eq=True, repr=False)
class Max(ArithExpr):
    """The larger of two expressions."""

    a: ArithExpr
    """First operand."""
    b: ArithExpr
    """Second operand."""

    def children(self) -> tuple[ArithExpr, ...]:
        return (self.a, self.b)


NODE_KINDS: tuple[type[ArithExpr], ...] = (Cst, Var, Sum, Prod, FloorDiv, Mod, Min, Max)
"""Every kind of ``ArithExpr`` node: each :class:`PerNodeKind` operation has a case for each."""

Result = TypeVar("Result")


@dataclass(frozen=True)
class PerNodeKind(Generic[Result]):
    """One operation over expressions, as a case for every node kind in :data:`NODE_KINDS`.

    ``op(e, *extra)`` calls the case of ``type(e)`` with ``e`` and ``extra``. A table that misses a kind, or names
    a class that is no node kind, is a :class:`~lift.errors.LiftInternalError` when it is built (at import).
    """

    operation: str
    """What the operation computes, named in errors (e.g. ``to_z3``)."""
    cases: Mapping[type[ArithExpr], Callable[..., Result]]
    """The case of each node kind: called with the node first, then the operation's other arguments."""

    def __post_init__(self) -> None:
        missing = [kind.__name__ for kind in NODE_KINDS if kind not in self.cases]
        strangers = [getattr(kind, "__name__", repr(kind)) for kind in self.cases if kind not in NODE_KINDS]
        if missing or strangers:
            problems = [f"no case for {', '.join(missing)}"] if missing else []
            problems += [f"a case for {', '.join(strangers)}, which is no ArithExpr node kind"] if strangers else []
            raise LiftInternalError(
                f"the ArithExpr operation {self.operation!r} has {' and '.join(problems)}: give it exactly one case "
                f"for each node kind of lift.types.arith_nodes.NODE_KINDS "
                f"({', '.join(kind.__name__ for kind in NODE_KINDS)})"
            )
        # a read-only copy: the table cannot lose a case after the check
        object.__setattr__(self, "cases", MappingProxyType(dict(self.cases)))

    def __call__(self, e: ArithExpr, *extra: Any) -> Result:
        return self.cases[type(e)](e, *extra)


def as_arith(x: ArithLike) -> ArithExpr:
    """An ``ArithExpr`` from an int or an ``ArithExpr`` (booleans and other values are refused)."""
    if isinstance(x, ArithExpr):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return Cst(x)
    raise LiftTypeError(f"expected an integer or a size expression, found {type(x).__name__} {x!r}")


# The operations import the node classes above, so they come last: whichever module is imported first, the classes
# exist by the time an operation module asks for them, and the methods above find the modules at call time.
from lift.types import arith_eval as _arith_eval  # noqa: E402
from lift.types import arith_print as _arith_print  # noqa: E402
from lift.types import arith_simplify as _arith_simplify  # noqa: E402
