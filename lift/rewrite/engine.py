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
    Zip,
    computes,
    fresh_name,
    map_labels,
    names_in,
    program_order,
    transform,
)
from lift.dsl.printer import show
from lift.dsl.substitute import free_params, rename
from lift.errors import LiftError, LiftTypeError, RewriteError
from lift.rewrite.rule import Bindings, Rule, proved
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


def expand(prog: Fun) -> tuple[Fun, frozenset[str]]:
    """``prog`` with every non-lambda function in function position eta-expanded, and the names introduced."""
    taken = set(names_in(prog))
    introduced: set[str] = set()

    def eta(f: FunDecl, arity: int) -> FunDecl:
        if isinstance(f, Lambda):
            return f
        params = []
        for _ in range(arity):
            name = fresh_name(ETA, taken)
            taken.add(name)
            introduced.add(name)
            params.append(Param(name))
        return Lambda(tuple(params), FunCall(f, tuple(params)))

    def fun(f: FunDecl) -> FunDecl:
        if isinstance(f, Lambda):
            return f.replace(body=expr(f.body))
        if isinstance(f, Map):
            return f.replace(f=eta(fun(f.f), 1))
        if isinstance(f, Reduce):
            return f.replace(f=eta(fun(f.f), 2), init=expr(f.init))
        if isinstance(f, Iterate):
            return f.replace(f=eta(fun(f.f), 1))
        if isinstance(f, ToMem):
            inner = fun(f.f)
            # a user function or zip under to_*(…) takes as many arguments as the call gives it: unknown here
            one_argument = not isinstance(inner, (Lambda, UserFun, Zip))
            return f.replace(f=eta(inner, 1) if one_argument else inner)
        return f

    def expr(e: Expr) -> Expr:
        if isinstance(e, FunCall):
            return FunCall(fun(e.f), tuple(expr(a) for a in e.args))
        return e

    expanded = prog.replace(body=expr(prog.body))
    return expanded, frozenset(introduced)


def contract(node: Node, introduced: frozenset[str]) -> Any:
    """Undo the eta-expansions whose parameters are in ``introduced``; rename those that a rewrite kept."""
    if not introduced:
        return node

    def fn(n: Node) -> Node | None:
        if isinstance(n, Lambda) and not isinstance(n, Fun) and all(p.name in introduced for p in n.params):
            reduced = _eta_contract(n)
            if reduced is not None:
                return reduced
        return None

    out = transform(node, fn)
    leftover = [n for n in _walk_lambdas(out) if not isinstance(n, Fun) and any(p.name in introduced for p in n.params)]
    if not leftover:
        return out
    # an expansion whose body a rule changed (``map(λeta. square(id(eta)))``): give it an ordinary name
    taken = set(names_in(out))

    def rename_fn(n: Node) -> Node | None:
        if isinstance(n, Lambda) and not isinstance(n, Fun) and any(p.name in introduced for p in n.params):
            lam: Lambda = n
            for p in n.params:
                if p.name in introduced:
                    new = fresh_name("x", taken)
                    taken.add(new)
                    body = rename(lam.body, p.name, new)
                    params = tuple(Param(new, q.type) if q.name == p.name else q for q in lam.params)
                    lam = lam.replace(params=params, body=body)
            return lam
        return None

    return transform(out, rename_fn)


def _eta_contract(lam: Lambda) -> FunDecl | None:
    body = lam.body
    if not isinstance(body, FunCall) or len(body.args) != len(lam.params):
        return None
    names = [p.name for p in lam.params]
    if not all(isinstance(a, Param) and a.name == n for a, n in zip(body.args, names)):
        return None
    if free_params(body.f) & set(names):
        return None
    return body.f


def _walk_lambdas(node: Node) -> Iterator[Lambda]:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Lambda):
            yield n
        stack.extend(n.children())


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
        if isinstance(n, (Map, Reduce, Iterate, ToMem)) and isinstance(n.f, Lambda):
            names = [p.name for p in n.f.params]
            if not all(name in introduced for name in names):
                continue
            owner = labels.get(id(n)) or _short(n, introduced)
            if isinstance(n, Map):
                kinds = ["element"]
            elif isinstance(n, Reduce):
                kinds = ["accumulator", "element"]
            else:
                kinds = ["argument"] * len(names)
            for name, kind in zip(names, kinds):
                out[name] = (kind, owner)
    return out


def _short(node: Node, introduced: frozenset[str]) -> str:
    text = show(contract(node, introduced))
    return text if len(text) <= 40 else text[:37] + "..."


def _expressions(prep: _Prepared) -> Iterator[tuple[tuple[Step, ...], Expr, bool]]:
    """Every expression of the typed, expanded program with its path, in program order.

    The flag says whether it lies in the body of an ``iterate`` that runs more than once (typed at its last
    iteration only). The bodies of ``iterate(0, f)`` never run and carry no types: they are skipped.
    """

    def expr(e: Expr, path: tuple[Step, ...], repeated: bool) -> Iterator[tuple[tuple[Step, ...], Expr, bool]]:
        if isinstance(e, FunCall):
            for i, a in enumerate(e.args):
                yield from expr(a, (*path, ("args", i)), repeated)
            yield path, e, repeated
            yield from fun(e.f, (*path, ("f", None)), repeated)
        elif isinstance(e, (Param, Literal)):
            yield path, e, repeated

    def fun(f: FunDecl, path: tuple[Step, ...], repeated: bool) -> Iterator[tuple[tuple[Step, ...], Expr, bool]]:
        if isinstance(f, Lambda):
            yield from expr(f.body, (*path, ("body", None)), repeated)
        elif isinstance(f, Iterate):
            if f.k > 0:
                yield from fun(f.f, (*path, ("f", None)), repeated or f.k > 1)
        elif isinstance(f, (Map, ToMem)):
            yield from fun(f.f, (*path, ("f", None)), repeated)
        elif isinstance(f, Reduce):
            yield from expr(f.init, (*path, ("init", None)), repeated)
            yield from fun(f.f, (*path, ("f", None)), repeated)

    yield from expr(prep.typed.body, (("body", None),), False)


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


def _what(prep: _Prepared, f: FunDecl) -> str:
    if isinstance(f, Map):
        return prep.labels.get(id(f)) or _short(f, prep.introduced)
    if isinstance(f, (Reduce, Lambda, ToMem, Iterate)):
        return f.short_name()
    if isinstance(f, UserFun):
        return f.name
    return show(f)


def _describe(prep: _Prepared, e: Expr) -> str:
    """``map1 at `x >> map(square)```; ``square in map0 at `square```; ``parameter x``; ``element of map0``."""
    if isinstance(e, Param):
        if e.name in prep.roles:
            kind, owner = prep.roles[e.name]
            return f"{kind} of {owner}"
        return f"parameter {e.name}"
    if isinstance(e, Literal):
        return f"literal {show(e)}"
    assert isinstance(e, FunCall)
    what = _what(prep, e.f)
    shown: Node = e
    if e.args and all(isinstance(a, Param) and a.name in prep.roles for a in e.args):
        # the body of an eta-expansion: the function value itself, in the pattern that applies it
        shown = e.f
        last = e.args[-1]
        assert isinstance(last, Param)
        what = f"{what} in {prep.roles[last.name][1]}"
    text = show(contract(shown, prep.introduced))
    if len(text) > 72:
        text = text[:69] + "..."
    return f"{what} at `{text}`"


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
        site = Site(path, _describe(prep, e), refusals)
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
    node: Node = prep.typed
    for step in path:
        if isinstance(node, Iterate) and node.k > 1:
            return True
        node = _get(node, (step,))
    return False


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
    if not isinstance(node, Expr) or _describe(prep, node) != site.description:
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
    assert isinstance(body, Fun)
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
