"""Capture-avoiding substitution, renaming and alpha-equivalence for IR trees.

A ``Lambda`` (and a ``Fun``) binds its parameters in its body; every other node is transparent. A ``Param`` is
*free* in a node when no enclosing lambda inside that node binds its name. Substituting an expression for a
free parameter renames any binder that would otherwise capture a free parameter of that expression, so
``(λy. add(x, y))[x := y]`` is ``λy1. add(y, y1)``, never ``λy. add(y, y)``.

Two trees are *alpha-equivalent* when they differ only in the names of bound parameters;
:func:`alpha_normalize` renames bound parameters canonically (``v0, v1, …`` in pre-order), so alpha-equivalent
trees normalise to structurally equal ones. A program's own parameters (those of the root ``Fun``) are its
interface and keep their names.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TypeVar

from lift.dsl.ir import Expr, Fun, Lambda, Node, Param, fresh_name, names_in
from lift.dsl.mapper import NodeMapper
from lift.dsl.traversal import map_children

__all__ = [
    "alpha_equal",
    "alpha_normalize",
    "free_params",
    "occurrences",
    "occurs_under_lambda",
    "rename",
    "substitute",
]

N = TypeVar("N", bound=Node)


class _FreeParams(NodeMapper[frozenset[str]]):
    """The names of the parameters that occur free in a node."""

    covers = (Node,)

    def map_node(self, node: Node) -> frozenset[str]:
        return frozenset().union(*(self(child) for child in node.children()))

    def map_param(self, node: Param) -> frozenset[str]:
        return frozenset({node.name})

    def map_lambda(self, node: Lambda) -> frozenset[str]:
        return self(node.body) - {p.name for p in node.params}


_FREE_PARAMS = _FreeParams()


def free_params(node: Node) -> frozenset[str]:
    """The names of the parameters that occur free in ``node``."""
    return _FREE_PARAMS(node)


class _Occurrences(NodeMapper[int]):
    """How many times a parameter occurs free in a node: ``occurrences(node, name)``."""

    covers = (Node,)

    def map_node(self, node: Node, name: str) -> int:
        return sum(self(c, name) for c in node.children())

    def map_param(self, node: Param, name: str) -> int:
        return int(node.name == name)

    def map_lambda(self, node: Lambda, name: str) -> int:
        if any(p.name == name for p in node.params):
            return 0
        return self(node.body, name)


_OCCURRENCES = _Occurrences()


def occurrences(node: Node, name: str) -> int:
    """How many times the parameter ``name`` occurs free in ``node``."""
    return _OCCURRENCES(node, name)


class _OccursUnderLambda(NodeMapper[bool]):
    """Whether a parameter occurs free inside some lambda of a node."""

    covers = (Node,)

    def map_node(self, node: Node, name: str) -> bool:
        return any(self(c, name) for c in node.children())

    def map_lambda(self, node: Lambda, name: str) -> bool:
        return not any(p.name == name for p in node.params) and occurrences(node.body, name) > 0


_OCCURS_UNDER_LAMBDA = _OccursUnderLambda()


def occurs_under_lambda(node: Node, name: str) -> bool:
    """True when ``name`` occurs free in ``node`` inside some lambda of ``node`` (e.g. in a map's function).

    Substituting an expression there would evaluate it once per element instead of once: same meaning, more
    work. Rewrite builders use this to decide whether inlining an argument is cheap.
    """
    return _OCCURS_UNDER_LAMBDA(node, name)


def substitute(node: N, mapping: Mapping[str, Expr]) -> N:
    """``node`` with every free occurrence of the parameter ``name`` replaced by ``mapping[name]``.

    Substitution is simultaneous (a replacement is not itself substituted into) and capture-avoiding: a lambda
    parameter that would bind a free parameter of a replacement is renamed to a fresh name first.
    """
    if not mapping:
        return node
    avoid = frozenset().union(*(names_in(v) for v in mapping.values()))
    return _SUBST(node, dict(mapping), avoid)  # type: ignore[return-value]


def rename(node: N, old: str, new: str) -> N:
    """``node`` with the free parameter ``old`` renamed to ``new`` (capture-avoiding)."""
    return substitute(node, {old: Param(new)})


class _Subst(NodeMapper[Node]):
    """Simultaneous, capture-avoiding substitution (see :func:`substitute`): ``avoid`` holds the names the
    replacements mention, which a renamed binder must not take."""

    covers = (Node,)

    def map_node(self, node: Node, mapping: dict[str, Expr], avoid: frozenset[str]) -> Node:
        return map_children(node, lambda child: self(child, mapping, avoid))

    def map_param(self, node: Param, mapping: dict[str, Expr], avoid: frozenset[str]) -> Node:
        replacement = mapping.get(node.name)
        return node if replacement is None else replacement

    def map_lambda(self, node: Lambda, mapping: dict[str, Expr], avoid: frozenset[str]) -> Node:
        bound = {p.name for p in node.params}
        inner = {k: v for k, v in mapping.items() if k not in bound}
        live = free_params(node.body)
        inner = {k: v for k, v in inner.items() if k in live}
        if not inner:
            return node
        # the binders that would capture a free parameter of a replacement
        captured = frozenset().union(*(free_params(v) for v in inner.values())) & bound
        params = node.params
        body: Node = node.body
        if captured:
            taken = set(names_in(node)) | set(avoid) | set(inner)
            renames: dict[str, Expr] = {}
            new_params = []
            for p in params:
                if p.name in captured:
                    name = fresh_name(p.name, taken)
                    taken.add(name)
                    renames[p.name] = Param(name, p.type)
                    new_params.append(Param(name, p.type))
                else:
                    new_params.append(p)
            params = tuple(new_params)
            # the new names are fresh in the body, so this renaming cannot capture anything itself
            body = self(body, renames, avoid)
        return node.replace(params=params, body=self(body, inner, avoid))


_SUBST = _Subst()


class _Normalize(NodeMapper[Node]):
    """Renames bound parameters ``v0, v1, …`` in pre-order, skipping the names in ``free``; ``env`` maps each
    bound name in scope to its new name."""

    covers = (Node,)

    def __init__(self, free: frozenset[str]) -> None:
        self.fresh = (name for name in (f"v{k}" for k in itertools.count()) if name not in free)

    def map_node(self, n: Node, env: dict[str, str]) -> Node:
        return map_children(n, lambda child: self(child, env))

    def map_param(self, n: Param, env: dict[str, str]) -> Node:
        name = env.get(n.name, n.name)
        return n if name == n.name else Param(name, n.type)

    def map_lambda(self, n: Lambda, env: dict[str, str]) -> Node:
        inner = dict(env)
        params = []
        for p in n.params:
            inner[p.name] = next(self.fresh)
            params.append(Param(inner[p.name], p.type))
        return n.replace(params=tuple(params), body=self(n.body, inner))


def alpha_normalize(node: N) -> N:
    """``node`` with its bound parameters renamed ``v0, v1, …`` in pre-order (skipping names that occur free).

    Alpha-equivalent trees normalise to structurally equal trees, so the result serves as a key for
    deduplication. The parameters of a root ``Fun`` (the program's interface) keep their names.
    """
    free = free_params(node)
    if isinstance(node, Fun):  # the root program's parameters are its interface: they keep their names
        normalize = _Normalize(free | {p.name for p in node.params})
        return map_children(node, lambda child: normalize(child, {}), keep=("params",))  # type: ignore[return-value]
    return _Normalize(free)(node, {})  # type: ignore[return-value]


def alpha_equal(a: Node, b: Node) -> bool:
    """True when ``a`` and ``b`` differ at most in the names of bound parameters."""
    return a == b or alpha_normalize(a) == alpha_normalize(b)
