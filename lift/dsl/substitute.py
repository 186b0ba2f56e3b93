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

from collections.abc import Mapping
from typing import Any, TypeVar

from lift.dsl.ir import Expr, Fun, Lambda, Node, Param, fresh_name, names_in
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


def free_params(node: Node) -> frozenset[str]:
    """The names of the parameters that occur free in ``node``."""
    if isinstance(node, Param):
        return frozenset({node.name})
    if isinstance(node, Lambda):
        return free_params(node.body) - {p.name for p in node.params}
    out: frozenset[str] = frozenset()
    for child in node.children():
        out |= free_params(child)
    return out


def occurrences(node: Node, name: str) -> int:
    """How many times the parameter ``name`` occurs free in ``node``."""
    if isinstance(node, Param):
        return int(node.name == name)
    if isinstance(node, Lambda):
        if any(p.name == name for p in node.params):
            return 0
        return occurrences(node.body, name)
    return sum(occurrences(c, name) for c in node.children())


def occurs_under_lambda(node: Node, name: str) -> bool:
    """True when ``name`` occurs free in ``node`` inside some lambda of ``node`` (e.g. in a map's function).

    Substituting an expression there would evaluate it once per element instead of once: same meaning, more
    work. Rewrite builders use this to decide whether inlining an argument is cheap.
    """
    if isinstance(node, Lambda):
        return not any(p.name == name for p in node.params) and occurrences(node.body, name) > 0
    return any(occurs_under_lambda(c, name) for c in node.children())


def substitute(node: N, mapping: Mapping[str, Expr]) -> N:
    """``node`` with every free occurrence of the parameter ``name`` replaced by ``mapping[name]``.

    Substitution is simultaneous (a replacement is not itself substituted into) and capture-avoiding: a lambda
    parameter that would bind a free parameter of a replacement is renamed to a fresh name first.
    """
    if not mapping:
        return node
    avoid = frozenset().union(*(names_in(v) for v in mapping.values()))
    return _subst(node, dict(mapping), avoid)  # type: ignore[return-value]


def rename(node: N, old: str, new: str) -> N:
    """``node`` with the free parameter ``old`` renamed to ``new`` (capture-avoiding)."""
    return substitute(node, {old: Param(new)})


def _subst(node: Node, mapping: dict[str, Expr], avoid: frozenset[str]) -> Node:
    if isinstance(node, Param):
        replacement = mapping.get(node.name)
        return node if replacement is None else replacement
    if isinstance(node, Lambda):
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
            body = _subst(body, renames, avoid)
        return node.replace(params=params, body=_subst(body, inner, avoid))
    changes: dict[str, Any] = {}
    for name, value in node.fields().items():
        if isinstance(value, Node):
            new = _subst(value, mapping, avoid)
            if new is not value:
                changes[name] = new
        elif isinstance(value, tuple) and any(isinstance(v, Node) for v in value):
            new_t = tuple(_subst(v, mapping, avoid) if isinstance(v, Node) else v for v in value)
            if any(a is not b for a, b in zip(new_t, value)):
                changes[name] = new_t
    return node.replace(**changes) if changes else node


def alpha_normalize(node: N) -> N:
    """``node`` with its bound parameters renamed ``v0, v1, …`` in pre-order (skipping names that occur free).

    Alpha-equivalent trees normalise to structurally equal trees, so the result serves as a key for
    deduplication. The parameters of a root ``Fun`` (the program's interface) keep their names.
    """
    free = free_params(node)
    if isinstance(node, Fun):
        free |= {p.name for p in node.params}
    counter = [0]

    def next_name() -> str:
        while True:
            name = f"v{counter[0]}"
            counter[0] += 1
            if name not in free:
                return name

    def norm(n: Node, env: dict[str, str]) -> Node:
        if isinstance(n, Param):
            name = env.get(n.name, n.name)
            return n if name == n.name else Param(name, n.type)
        if isinstance(n, Lambda) and not (isinstance(n, Fun) and n is node):
            inner = dict(env)
            params = []
            for p in n.params:
                inner[p.name] = next_name()
                params.append(Param(inner[p.name], p.type))
            return n.replace(params=tuple(params), body=norm(n.body, inner))
        # the root program's parameters keep their names
        return map_children(n, lambda child: norm(child, env), keep=("params",) if isinstance(n, Lambda) else ())

    return norm(node, {})  # type: ignore[return-value]


def alpha_equal(a: Node, b: Node) -> bool:
    """True when ``a`` and ``b`` differ at most in the names of bound parameters."""
    return a == b or alpha_normalize(a) == alpha_normalize(b)
