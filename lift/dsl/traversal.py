"""Traversals of the IR and the program queries built on them: one walk in pre-order, one bottom-up rebuild,
program order (producers before consumers), depth, which functions compute, where a result lives, and the
labels of the maps that compute.

The node classes are in :mod:`lift.dsl.ir`, which re-exports everything here (``from lift.dsl.ir import walk``
works as before). Every function reads nodes through their generic interface (``children``, ``fields``,
``replace``) except where a node's kind decides the answer: ``computes`` and ``output_space`` are mappers, one
method per combinator (:mod:`lift.dsl.mapper`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

from lift.dsl.ir import FunCall, FunDecl, Get, Id, Iterate, Lambda, Map, Node, Reduce, ToMem, UserFun, Zip
from lift.dsl.layout import Layout
from lift.dsl.mapper import NodeMapper

__all__ = [
    "computes",
    "map_children",
    "map_labels",
    "name_maps",
    "output_space",
    "program_depth",
    "program_order",
    "transform",
    "walk",
]


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (fields in order)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(n.children())))


def map_children(node: Node, fn: Callable[[Node], Node], *, keep: Collection[str] = ()) -> Node:
    """``node`` rebuilt from its class and its fields with ``fn`` applied to every child node (in a field, or in a
    tuple field), except in the fields named in ``keep``; ``node`` itself when no child changed."""
    changes: dict[str, Any] = {}
    for name, value in node.fields().items():
        if name in keep:
            continue
        if isinstance(value, Node):
            new = fn(value)
            if new is not value:
                changes[name] = new
        elif isinstance(value, tuple) and any(isinstance(v, Node) for v in value):
            new_t = tuple(fn(v) if isinstance(v, Node) else v for v in value)
            if any(a is not b for a, b in zip(new_t, value)):
                changes[name] = new_t
    return node.replace(**changes) if changes else node


def transform(node: Node, fn: Callable[[Node], Node | None]) -> Node:
    """Rebuild the tree bottom-up; ``fn(n)`` may return a replacement for each rebuilt node (or ``None``)."""
    rebuilt = map_children(node, lambda child: transform(child, fn))
    out = fn(rebuilt)
    return rebuilt if out is None else out


def program_depth(node: Node) -> int:
    """The number of nodes on the longest path from ``node`` to a leaf, computed without recursion (so that it
    can measure any program, however deep). Each node keeps its depth once measured (nodes are immutable), so
    a program rebuilt around old subtrees costs only its new nodes."""

    def known(n: Node) -> int | None:
        return n.__dict__.get("_depth")

    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        n, children_done = stack.pop()
        if known(n) is not None:
            continue
        kids = list(n.children())
        if children_done:
            object.__setattr__(n, "_depth", 1 + max((known(k) or 0 for k in kids), default=0))
        else:
            stack.append((n, True))
            stack.extend((k, False) for k in kids if known(k) is None)
    depth = known(node)
    assert depth is not None
    return depth


class _Computes(NodeMapper[bool]):
    """Whether applying a function computes values: each combinator says so once, here (a new combinator
    must decide, or the mapper refuses it)."""

    covers = (FunDecl,)

    def map_user_fun(self, f: UserFun) -> bool:
        return True

    def map_reduce(self, f: Reduce) -> bool:
        return True

    def map_id(self, f: Id) -> bool:
        return True  # a copy, a point where an intermediate is materialised

    def map_to_mem(self, f: ToMem) -> bool:
        return True

    def map_map(self, f: Map) -> bool:
        return self(f.f)

    def map_iterate(self, f: Iterate) -> bool:
        return self(f.f)

    def map_lambda(self, f: Lambda) -> bool:
        return any(isinstance(n, FunCall) and self(n.f) for n in walk(f.body))

    def map_zip(self, f: Zip) -> bool:
        return False

    def map_get(self, f: Get) -> bool:
        return False

    def map_layout(self, f: Layout) -> bool:
        return False


_COMPUTES = _Computes()


def computes(f: FunDecl) -> bool:
    """True when applying ``f`` computes values (a user function, a reduction or a copy is involved); False
    for functions that only rearrange data (``split``, ``map(transpose)``, ``λx. zip(x, x)``), which compile
    to index expressions rather than loops."""
    return _COMPUTES(f)


class _OutputSpace(NodeMapper[str]):
    """Where a function's result lives: as in Lift, where its innermost function writes it."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl) -> str:
        return "global"  # unless some to_… says otherwise

    def map_to_mem(self, f: ToMem) -> str:
        return f.space

    def map_map(self, f: Map) -> str:
        return self(f.f)

    def map_lambda(self, f: Lambda) -> str:
        return self(f.body.f) if isinstance(f.body, FunCall) else "global"


_OUTPUT_SPACE = _OutputSpace()


def output_space(f: FunDecl) -> str:
    """Where the result of ``f`` lives: as in Lift, where its innermost function writes it (``map(to_local(g))``
    puts the whole map's result in local memory); global memory unless some ``to_…`` says otherwise."""
    return _OUTPUT_SPACE(f)


def map_labels(prog: Node) -> list[tuple[Map, str]]:
    """Every ``Map`` that computes, with its label, in program order (maps that only rearrange data are
    views, not loops, and get no label).

    Program order: a call's arguments (its producers) before the call, a map before the maps nested in its
    function. So in ``x >> map(f) >> map(g)`` the first map is ``map0``; in ``map(λr. r >> map(h))`` the
    outer map is ``map0`` and the inner ``map1``. User names (``map(f, name="rows")``) replace the default.
    """
    named = [n for n in program_order(name_maps(prog)) if isinstance(n, Map) and computes(n.f)]
    return [(n, n.name) for n in named if n.name is not None]


def program_order(node: Node) -> Iterator[Node]:
    """Every node in program order: a call's arguments before the call's function, parents before children."""
    if isinstance(node, FunCall):
        for a in node.args:
            yield from program_order(a)
        yield node
        yield from program_order(node.f)
        return
    yield node
    for c in node.children():
        yield from program_order(c)


def name_maps(prog: Node) -> Any:
    """``prog`` with every computing map's ``name`` set to its label (see :func:`map_labels`)."""
    count = 0

    def rebuild(n: Node) -> Node:
        nonlocal count
        if isinstance(n, FunCall):
            args = tuple(rebuild(a) for a in n.args)
            return n.replace(args=args, f=rebuild(n.f))
        if isinstance(n, Map) and computes(n.f):
            label = n.name if n.name is not None else f"map{count}"
            count += 1
            return n.replace(name=label, f=rebuild(n.f))
        return map_children(n, rebuild)

    return rebuild(prog)
