"""The rewrite engine: where a rule matches (its *sites*), and applying it at one of them.

**Eta-expansion, designed once.** A function value in function position that is not a lambda — the ``map(f)`` in
``map(map(f))``, the ``add`` in ``reduce(add, 0.0)`` — is viewed as its eta-expansion ``λx. map(f)(x)``
(``λa, b. add(a, b)``). The engine expands every such position of the program before matching, so rules only
ever match *applied* forms (``map(f)(x)``), and contracts the expansions it introduced afterwards, so a rewrite
changes nothing but its site. The positions are the function of a ``map``, ``reduce``, ``iterate`` and of a
``to_*`` around a combinator.

**Sites.** A :class:`Site` is a path from the program (a tuple of ``(field, index)`` steps through the
eta-expanded program, ``index`` being ``None`` for a plain field) and a readable description such as ``map1 at
`x >> map(square) >> map(square)```. :func:`candidate_sites` lists every expression where the rule's pattern
matches, each with the sentences of the side conditions that fail there (none where the rule applies);
:func:`sites` lists only those where it applies. Sites come in program order (producers first).

**Matching on types.** Patterns and side conditions see the *typed* program (``prog.typed.program``): every
argument carries its ``.type``, with the sizes the conditions need (a split factor must divide a length).

**Applying.** :func:`apply` checks the site belongs to the program, re-checks the side conditions (raising
``LiftError`` with the failed condition's sentence), builds the replacement, and verifies the result: it must
type-check, have the same type, and need no size fact that the original program does not guarantee. (This
last check matters inside ``iterate``, whose body is matched at the types of its last iteration only.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Iterate,
    Lambda,
    Literal,
    Map,
    Node,
    Param,
    Reduce,
    ToMem,
    UserFun,
    computes,
    fresh_name,
    map_labels,
    names_in,
    program_order,
    transform,
    walk,
)
from lift.dsl.mapper import NodeMapper
from lift.dsl.printer import show
from lift.dsl.substitute import rename
from lift.errors import LiftError, LiftTypeError, RewriteError
from lift.rewrite.engine_nodes import param_name, plain_lambda, takes_every_argument
from lift.rewrite.rule import Bindings, Rule, eta_reduce, proved
from lift.types.checker import types_equal
from lift.types.data import FunType
from lift.types.smt import Constraint

__all__ = ["Site", "apply", "bindings", "candidate_sites", "contract", "expand", "sites"]

Step = tuple[str, int | None]
"""One step of a path: a field name and, for a tuple field (a call's ``args``), the index in it."""

ETA = "eta"
"""The base name of the parameters of eta-expansions (renamed where an expansion survives a rewrite)."""


@dataclass(frozen=True)
class Site:
    """A place in a program where a rule's pattern matches."""

    path: tuple[Step, ...]
    """The steps from the program to the matched expression, through the eta-expanded program."""
    description: str
    """What is there, in words: ``map1 at `x >> map(square) >> map(square)```."""
    refusals: tuple[str, ...] = field(default=(), compare=False)
    """The sentences of the side conditions that fail here; empty where the rule applies."""

    @property
    def applies(self) -> bool:
        """True when every side condition holds here."""
        return not self.refusals

    def __str__(self) -> str:
        return self.description


# ======================================================================================================
# Eta-expansion and contraction
# ======================================================================================================


class _Expand(NodeMapper[Any]):
    """A node with every non-lambda function in function position eta-expanded (a function for a function, an
    expression for an expression), collecting the parameter names it introduces."""

    covers = (FunDecl, Expr)

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        """Every name in use: the names of new parameters avoid them."""
        self.introduced: set[str] = set()
        """The parameters of the expansions made so far."""

    def eta(self, f: FunDecl, arity: int) -> FunDecl:
        """``λeta…. f(eta…)`` for a function ``f`` that is not a lambda already."""
        if isinstance(f, Lambda):
            return f
        params = []
        for _ in range(arity):
            name = fresh_name(ETA, self.taken)
            self.taken.add(name)
            self.introduced.add(name)
            params.append(Param(name))
        return Lambda(tuple(params), FunCall(f, tuple(params)))

    # functions that apply a function: their function is a function position

    def map_lambda(self, f: Lambda) -> Lambda:
        return f.replace(body=self(f.body))

    def map_map(self, f: Map) -> Map:
        return f.replace(f=self.eta(self(f.f), 1))

    def map_reduce(self, f: Reduce) -> Reduce:
        return f.replace(f=self.eta(self(f.f), 2), init=self(f.init))

    def map_iterate(self, f: Iterate) -> Iterate:
        return f.replace(f=self.eta(self(f.f), 1))

    def map_to_mem(self, f: ToMem) -> ToMem:
        inner = self(f.f)
        return f.replace(f=inner if takes_every_argument(inner) else self.eta(inner, 1))

    # functions with no function inside

    def _leaf(self, f: FunDecl) -> FunDecl:
        return f

    map_user_fun = map_zip = map_get = map_id = map_layout = _leaf

    # expressions: only a call holds functions

    def map_fun_call(self, e: FunCall) -> FunCall:
        return FunCall(self(e.f), tuple(self(a) for a in e.args))

    def _atom(self, e: Expr) -> Expr:
        return e

    map_param = map_literal = map_source = _atom


def expand(prog: Fun) -> tuple[Fun, frozenset[str]]:
    """``prog`` with every non-lambda function in function position eta-expanded, and the names introduced."""
    expansion = _Expand(set(names_in(prog)))
    expanded = prog.replace(body=expansion(prog.body))
    return expanded, frozenset(expansion.introduced)


def contract(node: Node, introduced: frozenset[str]) -> Any:
    """Undo the eta-expansions whose parameters are in ``introduced``; rename those that a rewrite kept."""
    if not introduced:
        return node

    def fn(n: Node) -> Node | None:
        lam = plain_lambda(n)
        if lam is not None and all(p.name in introduced for p in lam.params):
            reduced = eta_reduce(lam)
            if reduced is not lam:
                return reduced
        return None

    out = transform(node, fn)
    if not any(
        (lam := plain_lambda(n)) is not None and any(p.name in introduced for p in lam.params) for n in walk(out)
    ):
        return out
    # an expansion whose body a rule changed (``map(λeta. square(id(eta)))``): give it an ordinary name
    taken = set(names_in(out))

    def rename_fn(n: Node) -> Node | None:
        lam = plain_lambda(n)
        if lam is None or not any(p.name in introduced for p in lam.params):
            return None
        for p in lam.params:
            if p.name in introduced:
                new = fresh_name("x", taken)
                taken.add(new)
                body = rename(lam.body, p.name, new)
                params = tuple(Param(new, q.type) if q.name == p.name else q for q in lam.params)
                lam = lam.replace(params=params, body=body)
        return lam

    return transform(out, rename_fn)


# ======================================================================================================
# The prepared program: expanded, typed, labelled (cached: programs are immutable values)
# ======================================================================================================


@dataclass(frozen=True, eq=False)
class _Prepared:
    original: Fun
    typed: Fun
    type: FunType
    introduced: frozenset[str]
    labels: dict[int, str]
    roles: dict[str, tuple[str, str]]
    constraints: tuple[Constraint, ...]
    taken: frozenset[str]


@lru_cache(maxsize=128)
def _prepare(prog: Fun) -> _Prepared:
    """The program eta-expanded and typed, with its map labels and the roles of the expansions' parameters."""
    if not isinstance(prog, Fun):
        raise LiftError(f"lift.rewrite: expected a program made with @fun, found {type(prog).__name__}")
    expanded, introduced = expand(prog)
    checked = expanded.typed  # the same type and size facts as the program itself
    typed = checked.program
    # map_labels numbers the computing maps in program order (on a relabelled copy): pair them up by position
    maps = [n for n in program_order(typed) if isinstance(n, Map) and computes(n.f)]
    named = map_labels(typed)
    labels = {id(m): label for m, (_, label) in zip(maps, named)} if len(maps) == len(named) else {}
    roles = _roles(typed, introduced, labels)
    return _Prepared(
        prog,
        typed,
        checked.type,
        introduced,
        labels,
        roles,
        tuple(checked.constraints),
        frozenset(names_in(typed)),
    )


def _roles(typed: Fun, introduced: frozenset[str], labels: dict[int, str]) -> dict[str, tuple[str, str]]:
    """What each parameter of an eta-expansion stands for, and whose: ``("element", "map0")``."""
    out: dict[str, tuple[str, str]] = {}
    for n in program_order(typed):
        applied = _applied_function(n)
        if applied is None:
            continue
        lam = plain_lambda(applied[0])
        if lam is None:
            continue
        names = [p.name for p in lam.params]
        if not all(name in introduced for name in names):
            continue
        owner = labels.get(id(n)) or _short(n, introduced)
        for name, kind in zip(names, applied[1]):
            out[name] = (kind, owner)
    return out


class _AppliedFunction(NodeMapper["tuple[FunDecl, tuple[str, ...]] | None"]):
    """The function a combinator applies, with what each parameter of its eta-expansion stands for; ``None`` for
    nodes that apply no function (an expansion has one parameter, two for a reduction's operator)."""

    covers = (Node,)

    def map_node(self, node: Node) -> None:
        return None

    def map_map(self, f: Map) -> tuple[FunDecl, tuple[str, ...]]:
        return f.f, ("element",)

    def map_reduce(self, f: Reduce) -> tuple[FunDecl, tuple[str, ...]]:
        return f.f, ("accumulator", "element")

    def map_iterate(self, f: Iterate) -> tuple[FunDecl, tuple[str, ...]]:
        return f.f, ("argument",)

    def map_to_mem(self, f: ToMem) -> tuple[FunDecl, tuple[str, ...]]:
        return f.f, ("argument",)


_applied_function = _AppliedFunction()


def _short(node: Node, introduced: frozenset[str]) -> str:
    text = show(contract(node, introduced))
    return text if len(text) <= 40 else text[:37] + "..."


Found = Iterator[tuple[tuple[Step, ...], Expr, bool]]
"""Expressions with their paths and whether they lie in an ``iterate`` that runs more than once."""


class _Expressions(NodeMapper[Found]):
    """Every expression under a node with its path, in program order (see :func:`_expressions`)."""

    covers = (FunDecl, Expr)

    def map_fun_call(self, e: FunCall, path: tuple[Step, ...], repeated: bool) -> Found:
        for i, a in enumerate(e.args):
            yield from self(a, (*path, ("args", i)), repeated)
        yield path, e, repeated
        yield from self(e.f, (*path, ("f", None)), repeated)

    def _leaf_expression(self, e: Expr, path: tuple[Step, ...], repeated: bool) -> Found:
        yield path, e, repeated

    map_param = map_literal = _leaf_expression

    def map_source(self, e: Expr, path: tuple[Step, ...], repeated: bool) -> Found:
        return iter(())  # a source value (``value(…)``) is left out: no rule rewrites one

    def map_lambda(self, f: Lambda, path: tuple[Step, ...], repeated: bool) -> Found:
        yield from self(f.body, (*path, ("body", None)), repeated)

    def map_iterate(self, f: Iterate, path: tuple[Step, ...], repeated: bool) -> Found:
        if f.k > 0:
            yield from self(f.f, (*path, ("f", None)), repeated or f.k > 1)

    def map_map(self, f: Map | ToMem, path: tuple[Step, ...], repeated: bool) -> Found:
        yield from self(f.f, (*path, ("f", None)), repeated)

    map_to_mem = map_map

    def map_reduce(self, f: Reduce, path: tuple[Step, ...], repeated: bool) -> Found:
        yield from self(f.init, (*path, ("init", None)), repeated)
        yield from self(f.f, (*path, ("f", None)), repeated)

    def _no_function_inside(self, f: FunDecl, path: tuple[Step, ...], repeated: bool) -> Found:
        return iter(())

    map_user_fun = map_zip = map_get = map_id = map_layout = _no_function_inside


def _expressions(prep: _Prepared) -> Found:
    """Every expression of the typed, expanded program with its path, in program order.

    The flag says whether it lies in the body of an ``iterate`` that runs more than once (typed at its last
    iteration only). The bodies of ``iterate(0, f)`` never run and carry no types: they are skipped.
    """
    return _Expressions()(prep.typed.body, (("body", None),), False)


def _get(root: Node, path: tuple[Step, ...]) -> Node:
    node = root
    for name, index in path:
        value = getattr(node, name, None)
        if index is not None:
            value = value[index] if isinstance(value, tuple) and 0 <= index < len(value) else None
        if not isinstance(value, Node):
            raise LiftError(f"lift.rewrite: the path {path} does not lead to an expression of this program")
        node = value
    return node


def _replace(root: Node, path: tuple[Step, ...], new: Node) -> Node:
    if not path:
        return new
    (name, index), rest = path[0], path[1:]
    value = getattr(root, name)
    if index is None:
        return root.replace(**{name: _replace(value, rest, new)})
    items = list(value)
    items[index] = _replace(items[index], rest, new)
    return root.replace(**{name: tuple(items)})


class _What(NodeMapper[str]):
    """How a site's function is named in its description: a map by its label, a user function by its name."""

    covers = (FunDecl,)

    def map_map(self, f: Map, prep: _Prepared) -> str:
        return prep.labels.get(id(f)) or _short(f, prep.introduced)

    def _short_name(self, f: FunDecl, prep: _Prepared) -> str:
        return f.short_name()

    map_reduce = map_lambda = map_to_mem = map_iterate = _short_name

    def map_user_fun(self, f: UserFun, prep: _Prepared) -> str:
        return f.name

    def _shown(self, f: FunDecl, prep: _Prepared) -> str:
        return show(f)

    map_zip = map_get = map_id = map_layout = _shown


_what = _What()


class _Describe(NodeMapper[str]):
    """``map1 at `x >> map(square)```; ``square in map0 at `square```; ``parameter x``; ``element of map0``."""

    covers = (Expr,)

    def map_param(self, e: Param, prep: _Prepared) -> str:
        if e.name in prep.roles:
            kind, owner = prep.roles[e.name]
            return f"{kind} of {owner}"
        return f"parameter {e.name}"

    def map_literal(self, e: Literal, prep: _Prepared) -> str:
        return f"literal {show(e)}"

    def map_source(self, e: Expr, prep: _Prepared) -> str:
        return f"value {show(e)}"

    def map_fun_call(self, e: FunCall, prep: _Prepared) -> str:
        what = _what(e.f, prep)
        shown: Node = e
        roles = [prep.roles[name] for a in e.args if (name := param_name(a)) is not None and name in prep.roles]
        if e.args and len(roles) == len(e.args):
            # the body of an eta-expansion: the function value itself, in the pattern that applies it
            shown = e.f
            what = f"{what} in {roles[-1][1]}"
        text = show(contract(shown, prep.introduced))
        if len(text) > 72:
            text = text[:69] + "..."
        return f"{what} at `{text}`"


_describe = _Describe()


def _bindings(prep: _Prepared, values: dict[str, Any]) -> Bindings:
    roles = {name: f"{kind} of {owner}" for name, (kind, owner) in prep.roles.items()}
    return Bindings(values, prep.constraints, prep.taken, {n: roles.get(n, "argument") for n in prep.introduced})


# ======================================================================================================
# The public API
# ======================================================================================================


def candidate_sites(prog: Fun, rule: Rule) -> list[Site]:
    """Every site where ``rule``'s pattern matches, with the side conditions that fail there (``refusals``)."""
    prep = _prepare(prog)
    out = []
    for path, e, repeated in _expressions(prep):
        values = rule.match(e)
        if values is None:
            continue
        b = _bindings(prep, values)
        refusals = tuple(f"{c.name} fails: {c.explain(b)}" for c in rule.conditions if not c.holds(b))
        site = Site(path, _describe(e, prep), refusals)
        if repeated and not refusals:
            # matched at the last iteration's types only: the rewrite must hold at every iteration's
            try:
                _rewrite(prep, rule, site, b)
            except LiftError as err:
                site = Site(path, site.description, (f"every_iteration fails: {err}",))
        out.append(site)
    return out


def sites(prog: Fun, rule: Rule) -> list[Site]:
    """The sites where ``rule`` applies (its pattern matches and every side condition holds)."""
    return [s for s in candidate_sites(prog, rule) if s.applies]


def bindings(prog: Fun, rule: Rule, site: Site | int) -> Bindings:
    """What ``rule``'s pattern binds at ``site`` (e.g. ``"length"`` for ``split_join``), whether or not its
    side conditions hold there; ``site`` may be an index into ``candidate_sites(prog, rule)``."""
    prep = _prepare(prog)
    site = _resolve(prog, rule, site, candidate_sites, "its pattern matches")
    return _bindings(prep, _matched(prep, rule, site))


def apply(prog: Fun, rule: Rule, site: Site | int) -> Fun:
    """``prog`` rewritten by ``rule`` at ``site`` (a :class:`Site` or an index into ``sites(prog, rule)``).

    The result has the same type and the same meaning. Raises ``LiftError`` when the site is not one of
    ``prog``, when the pattern does not match there, or naming the side condition that fails there.
    """
    if not isinstance(rule, Rule):
        raise LiftError(f"apply(prog, rule, site): expected a Rule, found {type(rule).__name__} {rule!r}")
    prep = _prepare(prog)
    site = _resolve(prog, rule, site, sites, "it applies")
    b = _bindings(prep, _matched(prep, rule, site))
    for c in rule.conditions:
        if not c.holds(b):
            raise RewriteError(
                f"{rule.name} cannot be applied at {site.description}: the condition {c.name} fails: {c.explain(b)}",
                rule=rule.name,
                site=site.description,
                condition=c.name,
            )
    try:
        return _rewrite(prep, rule, site, b)
    except LiftError as err:
        if not _repeated(prep, site.path):
            raise
        raise RewriteError(
            f"{rule.name} cannot be applied at {site.description}: the condition every_iteration fails: {err}",
            rule=rule.name,
            site=site.description,
            condition="every_iteration",
        ) from None


def _repeated(prep: _Prepared, path: tuple[Step, ...]) -> bool:
    """True when the path leads into the body of an ``iterate`` that runs more than once."""
    return any(repeated for found, _, repeated in _expressions(prep) if found == path)


def _resolve(prog: Fun, rule: Rule, site: object, listing: Callable[[Fun, Rule], list[Site]], where: str) -> Site:
    """The site itself, or the site with that index in ``listing(prog, rule)``."""
    if isinstance(site, int) and not isinstance(site, bool):
        found = listing(prog, rule)
        if not 0 <= site < len(found):
            raise LiftError(f"{rule.name}: there are {len(found)} site(s) where {where}, so no site number {site}")
        return found[site]
    if not isinstance(site, Site):
        raise LiftError(f"{rule.name}: expected a Site or an int, found {type(site).__name__} {site!r}")
    return site


def _matched(prep: _Prepared, rule: Rule, site: Site) -> dict[str, Any]:
    node = _get(prep.typed, site.path)
    if not isinstance(node, Expr) or _describe(node, prep) != site.description:
        raise LiftError(f"{rule.name}: the site {site.description} is not a site of the program {prep.original.name}")
    values = rule.match(node)
    if values is None:
        raise RewriteError(
            f"{rule.name} does not match at {site.description} (its equation: {rule.equation})",
            rule=rule.name,
            site=site.description,
        )
    return values


def _rewrite(prep: _Prepared, rule: Rule, site: Site, b: Bindings) -> Fun:
    replacement = rule.build(b)
    body = _replace(prep.typed, site.path, replacement)
    new = contract(body, prep.introduced)
    new = Fun(new.params, new.body, prep.original.name, prep.original.param_types)
    _verify(prep, new, rule, site)
    return new


def _verify(prep: _Prepared, new: Fun, rule: Rule, site: Site) -> None:
    where = f"{rule.name} at {site.description}"
    refused = {"rule": rule.name, "site": site.description}
    try:
        new_type = new.type
        needs = new.constraints
    except LiftTypeError as err:
        raise RewriteError(f"{where}: the rewritten program is ill-typed: {err}", **refused) from None
    old_type = prep.type
    if not types_equal(new_type.result, old_type.result, prep.constraints):
        raise RewriteError(f"{where}: the rewritten program has type {new_type}, not {old_type}", **refused)
    for c in needs:
        if c not in prep.constraints and not proved(c, prep.constraints):
            raise RewriteError(
                f"{where}: the rewritten program needs the size fact {c}, which the original program does not "
                "guarantee",
                **refused,
            )
