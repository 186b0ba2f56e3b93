"""Rewrite rules as values: a name, an equation, a pattern, side conditions and a builder.

A :class:`Rule` is data; one engine (:mod:`lift.rewrite.engine`) finds where rules match and applies them. The
pattern (``match``) looks at one *typed* expression of the eta-expanded program (see the engine) and returns
the pieces it binds, or ``None``. Each side condition (:class:`Condition`) is a named predicate on those
:class:`Bindings` with a sentence that says what must hold; where one fails, the rule is refused at that site
and the sentence, filled in with the site's values, is the reason. ``build`` turns the bindings into the
replacement expression.

This module also holds the helpers that rules share: deciding size facts under the program's constraints,
inspecting typed expressions, and building expressions without duplicating work or capturing names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lift.dsl.ir import (
    Expr,
    FunCall,
    FunDecl,
    Get,
    Lambda,
    Map,
    Node,
    Param,
    UserFun,
    fresh_name,
    transform,
)
from lift.dsl.mapper import NodeMapper
from lift.dsl.printer import show
from lift.dsl.substitute import free_params, occurrences, occurs_under_lambda, substitute
from lift.rewrite.engine_nodes import element_of, is_atom, param_name, pinned, plain_lambda
from lift.types.arith import ArithExpr, Cst, simplify
from lift.types.data import DataType, TupleType
from lift.types.smt import Constraint, facts_of, prove

__all__ = [
    "Bindings",
    "Condition",
    "Rule",
    "algorithmic",
    "applied",
    "call",
    "call_on",
    "divides",
    "element_type",
    "eta_reduce",
    "is_array",
    "length",
    "let",
    "level",
    "pinned",
    "proved",
    "row_length",
    "unary_lambda",
    "unnamed",
    "uses",
]

F = TypeVar("F", bound=FunDecl)
N = TypeVar("N", bound=Node)

Match = Callable[[Expr], "dict[str, Any] | None"]
"""A pattern: a typed expression to the values it binds, or ``None`` where it does not match."""
Build = Callable[["Bindings"], Expr]
"""A builder: the bindings of a match to the replacement expression."""


@dataclass(frozen=True, eq=False)
class Bindings(Mapping[str, Any]):
    """What a pattern bound at a site, with what the site's program knows: its size facts and its names."""

    bound: Mapping[str, Any]
    """The bound values by name: typed sub-expressions, function values, sizes."""
    facts: tuple[Constraint, ...] = ()
    """The program's size facts (e.g. ``N % 4 == 0``), under which side conditions on sizes are decided."""
    taken: frozenset[str] = frozenset()
    """Every parameter name in the program: names a builder creates must avoid them."""
    hidden: Mapping[str, str] = field(default_factory=dict)
    """The parameters the engine introduced by eta-expansion, with what they stand for (``element of map0``):
    messages show that instead of their names."""

    def __getitem__(self, key: str) -> Any:
        return self.bound[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.bound)

    def __len__(self) -> int:
        return len(self.bound)

    def fresh(self, *bases: str) -> tuple[str, ...]:
        """Distinct parameter names, one per base (``x`` → ``x``, ``x1``, …), that the program does not use."""
        taken = set(self.taken)
        out = []
        for base in bases:
            name = fresh_name(base, taken)
            taken.add(name)
            out.append(name)
        return tuple(out)

    def text(self) -> dict[str, str]:
        """Every binding as DSL text, for the sentences of side conditions."""
        from lift.rewrite.engine import contract

        readable = {name: Param(f"‹{role}›") for name, role in self.hidden.items()}
        out = {}
        for k, v in self.bound.items():
            if isinstance(v, Node):
                out[k] = show(substitute(contract(v, frozenset(self.hidden)), readable))
            else:
                out[k] = str(v)
            if isinstance(v, Map):
                out[f"{k}_level"] = level(v)
        return out


@dataclass(frozen=True)
class Condition:
    """A side condition: a name, the sentence saying what must hold, and the predicate deciding it."""

    name: str
    """A short identifier, e.g. ``divides``."""
    sentence: str
    """What must hold, with ``{binding}`` fields filled from the site, e.g. ``"{n} must divide {length}"``."""
    holds: Callable[[Bindings], bool] = field(compare=False)
    """The predicate, on the bindings of a match."""

    def explain(self, bindings: Bindings) -> str:
        """The sentence with the site's values filled in."""
        return self.sentence.format_map(bindings.text())


@dataclass(frozen=True)
class Rule:
    """A rewrite rule: ``lhs = rhs`` where the side conditions hold. Rules compare by name and equation."""

    name: str
    """The name, with its parameters for parametrised rules (``split_join(4)``)."""
    equation: str
    """The equation in the DSL's pipeline notation, e.g. ``map(f) >> map(g)  =  map(f >> g)``."""
    match: Match = field(compare=False, repr=False)
    """The pattern, on one typed expression of the eta-expanded program."""
    build: Build = field(compare=False, repr=False)
    """The replacement, from the bindings."""
    conditions: tuple[Condition, ...] = field(default=(), compare=False, repr=False)
    """The side conditions, each decided on the bindings and the program's size facts."""
    lift_name: str = field(default="", compare=False, repr=False)
    """The corresponding rule of Lift (Scala), e.g. ``Rules.splitJoin``."""
    group: str = field(default="algorithmic", compare=False, repr=False)
    """``algorithmic``, ``simplification``, ``reduction``, ``interchange``, ``macro`` or ``copy``."""

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        """The rule in words: its name, its equation and its side conditions."""
        lines = [f"{self.name}:  {self.equation}"]
        lines += [f"  if {c.name}: {c.sentence}" for c in self.conditions]
        return "\n".join(lines)


# ======================================================================================================
# Helpers shared by the rules
# ======================================================================================================


def proved(c: Constraint, facts: tuple[Constraint, ...]) -> bool:
    """True when the size fact ``c`` follows from ``facts`` (decided at once on constants, else by Z3)."""
    known = facts_of(facts)
    lhs, rhs = simplify(c.lhs, known), simplify(c.rhs, known)
    if isinstance(lhs, Cst) and isinstance(rhs, Cst):
        return Constraint(lhs, c.op, rhs).holds({})
    return prove(Constraint(lhs, c.op, rhs), facts)


def divides(n: ArithExpr, m: ArithExpr, facts: tuple[Constraint, ...]) -> bool:
    """True when ``m % n == 0`` is proved."""
    return proved(Constraint(m % n, "==", Cst(0)), facts)


def is_array(t: DataType | None) -> bool:
    """True for an array type."""
    return t is not None and bool(t.array_shape)


def _array_shape(e: Expr) -> tuple[ArithExpr, ...]:
    return e.type.array_shape if e.type is not None else ()


def length(e: Expr) -> ArithExpr | None:
    """The outermost size of a typed array expression (``None`` for other values)."""
    shape = _array_shape(e)
    return shape[0] if shape else None


def row_length(e: Expr) -> ArithExpr | None:
    """The size of the rows of a typed array of arrays (``None`` for other values)."""
    shape = _array_shape(e)
    return shape[1] if len(shape) > 1 else None


def unary_lambda(f: FunDecl) -> tuple[Param, Expr] | None:
    """``(x, body)`` for a one-parameter lambda ``λx. body`` (not a program)."""
    lam = plain_lambda(f)
    if lam is not None and len(lam.params) == 1:
        return lam.params[0], lam.body
    return None


def eta_reduce(f: FunDecl) -> FunDecl:
    """``λx. g(x)`` with ``x`` not free in ``g`` is ``g``; any other function is itself."""
    lam = plain_lambda(f)
    if lam is not None and isinstance(lam.body, FunCall):
        names = [p.name for p in lam.params]
        g = lam.body.f
        if [param_name(a) for a in lam.body.args] == names and not free_params(g) & set(names):
            return g
    return f


def call(f: FunDecl, *args: Expr) -> Expr:
    """``f(args…)``, inlined when ``f`` is a lambda and inlining duplicates no work.

    An argument is inlined when it is a parameter or a literal, or when its parameter occurs at most once in
    the body and not inside a nested lambda (where it would be evaluated once per element). Otherwise the
    lambda stays applied (a *let*). Substitution is capture-avoiding.
    """
    lam = plain_lambda(f)
    if lam is not None and len(lam.params) == len(args):
        body = lam.body
        cheap = all(
            is_atom(a) or (occurrences(body, p.name) <= 1 and not occurs_under_lambda(body, p.name))
            for p, a in zip(lam.params, args)
        )
        if cheap:
            return substitute(body, {p.name: pinned(a) for p, a in zip(lam.params, args)})
    return FunCall(f, tuple(args))


def let(b: Bindings, value: Expr, base: str, body: Callable[[Expr], Expr]) -> Expr:
    """``body(value)``, with ``value`` bound once to a fresh parameter (``(λv. body(v))(value)``) unless it is a
    parameter already: a builder that uses a value twice must not compute it twice."""
    if param_name(value) is not None:
        return body(value)
    (name,) = b.fresh(base)
    p = Param(name)
    return FunCall(Lambda((p,), body(p)), (value,))


def call_on(f: FunDecl, x: Expr, elem: DataType | None) -> Expr:
    """``f(x)`` for an element ``x`` of type ``elem``: a user function of k parameters applied to a k-tuple
    takes its components (``mult(p[0], p[1])``), as ``map(mult)`` over a zip does; otherwise :func:`call`."""
    g = eta_reduce(f)
    if isinstance(g, UserFun) and isinstance(elem, TupleType) and g.num_args() == len(elem.elems) > 1:
        return FunCall(g, tuple(FunCall(Get(i), (x,)) for i in range(g.num_args())))
    return call(f, x)


def element_type(e: Expr) -> DataType | None:
    """The element type of a typed array expression (``None`` for other values)."""
    return element_of(e.type) if e.type is not None else None


class _Unnamed(NodeMapper[Node | None]):
    """A labelled map without its label; ``None`` (keep the node, look inside) for every other node."""

    covers = (Node,)

    def map_node(self, node: Node) -> None:
        return None

    def map_map(self, m: Map) -> Map | None:
        return m.replace(name=None) if m.name is not None else None


def unnamed(node: N) -> N:
    """``node`` without the user labels of its maps: a copy a rule adds must not repeat a label."""
    return transform(node, _Unnamed())  # type: ignore[return-value]


def uses(node: Node, p: Param) -> bool:
    """True when the parameter ``p`` occurs free in ``node``."""
    return p.name in free_params(node)


def applied(e: Expr, cls: type[F]) -> tuple[F, Expr] | None:
    """``(f, x)`` when ``e`` is the call ``f(x)`` of a one-argument function of class ``cls``."""
    if isinstance(e, FunCall) and isinstance(e.f, cls) and len(e.args) == 1:
        return e.f, e.args[0]
    return None


def level(m: Map) -> str:
    """How a map is written: ``map``, ``map_seq``, ``map_glb(dim=1)``."""
    return m.short_name() + (f"(dim={m.dim})" if m.level in ("glb", "wrg", "lcl") else "")


def algorithmic(*keys: str) -> Condition:
    """The maps bound to ``keys`` are algorithmic: rules that restructure maps leave lowered ones alone."""
    found = " and ".join("{" + k + "_level}" for k in keys)
    what = "the map must be" if len(keys) == 1 else "both maps must be"
    return Condition(
        "algorithmic",
        f"{what} algorithmic map(…), not lowered (found {found}); a lowered map keeps the level its mapping gave it",
        lambda b: all(isinstance(b[k], Map) and b[k].level == "" for k in keys),
    )
