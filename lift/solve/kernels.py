"""Where a program may run as several kernels: its top-level computations, the points between them where it may
be cut, and its whole-array reductions.

Work-groups cannot synchronise inside a kernel, so a value that threads of other work-groups read must be
complete before they start: the program is *cut* there, the first kernel writing a global temporary that the
next one reads. Cuts sit between the **roots** of the program — the computations reached from its body through
arguments only (a computing map outside every other map, or a whole-array ``reduce``), in program order, which
is the order the kernels run in. The model decides the cuts (``cut:<label>``: cut after the root ``label``), with
the rules below; :func:`cut_rules` states them.

A cut is offered just before each root that may read what threads of other work-groups wrote (through a
rearrangement, inside its function, as a reduction, or element by element with maps inside the producer or the
reader, whose threads may share an element) and just after each whole-array reduction. One cut before a reader
separates it from everything before it, so cuts elsewhere add kernels and nothing else; between two flat maps
that read each other element by element a kernel boundary is never needed. Offering no more keeps the spaces of
long pipelines their size.

A **whole-array reduction** (``reduce(f, z)`` outside every map) runs in kernels of its own, one work-item
(``seq``) or as two stages (``wrg0``: work-groups reduce parts of the array in local memory, a last work-group
their partial results); a map whose only reader is the reduction may be fused into it (``fuse``: each element
computed where it is read, Lift's ``reduceMapFusion``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lift.dsl.ir import Expr, FunCall, FunDecl, Lambda, Map, Node, Reduce, Zip, computes, walk
from lift.solve.structure_nodes import computing_map, uncopied
from lift.types.arith import ArithExpr, Cst
from lift.types.data import ArrayType

__all__ = [
    "PARALLEL_REDUCTION",
    "Root",
    "Roots",
    "count_readers",
    "cut_key",
    "direct_reductions",
    "find_roots",
    "level_key",
    "nested_label",
    "nested_site",
    "reduction_label",
]


def reduction_label(k: int) -> str:
    """The label of the ``k``-th whole-array reduction in program order."""
    return f"reduce{k}"


@dataclass(frozen=True)
class Root:
    """A computation reached from the program's body through arguments only."""

    label: str
    """The map's label, or ``reduce<k>`` for a whole-array reduction."""
    call: FunCall
    """Its call in the (named, typed) program."""
    reduction: Reduce | None
    """The reduction, for a whole-array reduction; ``None`` for a map."""
    extent: ArithExpr
    """The length of the array it maps over or reduces (sizes substituted where given)."""
    producer: str | None = None
    """For a reduction: the map computing its argument directly when nothing else reads that map's output (the
    map may be fused into it)."""
    serial_reason: str | None = None
    """For a reduction that cannot run in parallel: why (``None``: it can)."""
    parent: str | None = None
    """For a reduction inside a map's function: that map (its threads may share the reduction)."""
    consumed: bool = False
    """For a reduction inside a map's function: whether the function computes more from its result (kept in
    local memory then) rather than returning it."""


@dataclass(frozen=True)
class Roots:
    """The roots of a program in program order, and where a cut is offered."""

    roots: tuple[Root, ...]
    """Every root, in program order (the order its kernels would run in)."""
    cut_points: tuple[str, ...]
    """The roots after which a cut is offered, in program order."""
    nested: tuple[Root, ...] = ()
    """The reductions a map's function applies directly (labelled ``<map>_reduce<j>``): sequential, or shared by
    the threads of a work-group."""

    @property
    def reductions(self) -> tuple[Root, ...]:
        """The whole-array reductions among the roots."""
        return tuple(r for r in self.roots if r.reduction is not None)

    def index(self, label: str) -> int:
        """The position of the root ``label`` in program order."""
        return [r.label for r in self.roots].index(label)

    def before(self, label: str) -> Root | None:
        """The root just before ``label`` in program order (``None`` for the first)."""
        k = self.index(label)
        return self.roots[k - 1] if k > 0 else None

    def after(self, label: str) -> Root | None:
        """The root just after ``label`` (``None`` for the last)."""
        k = self.index(label)
        return self.roots[k + 1] if k + 1 < len(self.roots) else None

    def fused_producers(self) -> dict[str, str]:
        """Map label → the reduction it may be fused into."""
        return {r.producer: r.label for r in (*self.reductions, *self.nested) if r.producer is not None}


def nested_label(parent: str, j: int) -> str:
    """The label of the ``j``-th reduction the function of the map ``parent`` applies directly."""
    return f"{parent}_reduce{j}"


def direct_reductions(f: FunDecl) -> list[tuple[Node, bool]]:
    """The reductions a map's function ``f`` applies directly — calls in its body reached through arguments (not
    inside a map or a function applied there), or ``f`` itself (``map(reduce(g))``) — in program order, each
    with whether the function computes more from its result."""
    whole = uncopied(f)
    if isinstance(whole, Reduce):
        return [(whole, False)] if _simple(whole) else []
    if not isinstance(f, Lambda):
        return []
    calls: list[FunCall] = []

    def visit(e: Expr) -> None:
        if isinstance(e, FunCall):
            for a in e.args:
                visit(a)
            red = uncopied(e.f)
            if isinstance(red, Reduce) and _simple(red):
                calls.append(e)

    visit(f.body)
    return [(call, _read_by_a_computation(f.body, call)) for call in calls]


def _simple(red: Reduce) -> bool:
    """A reduction whose operator computes no arrays (no map inside it): one the threads of a work-group could
    share. Others (an accumulator of arrays updated by maps) are their maps' work."""
    return not any(isinstance(n, Map) and computing_map(n) is not None for n in (*walk(red.f), *walk(red.init)))


def _read_by_a_computation(body: Expr, call: FunCall) -> bool:
    """Whether a computation in ``body`` other than ``call`` reads ``call``'s result (through rearrangements)."""

    def reaches(e: Expr) -> bool:
        if e is call:
            return True
        return isinstance(e, FunCall) and not computes(e.f) and any(reaches(a) for a in e.args)

    return any(
        isinstance(n, FunCall) and n is not call and computes(n.f) and any(reaches(a) for a in n.args)
        for n in walk(body)
    )


def nested_site(parent: str, j: int, node: Node, consumed: bool, extent: ArithExpr, readers: Mapping[str, int]) -> Root:
    """The reduction ``node`` (a call, or the map's function itself) applied directly by the map ``parent``."""
    label = nested_label(parent, j)
    reduction = uncopied(node.f) if isinstance(node, FunCall) else node
    assert isinstance(reduction, Reduce)
    producer = _sole_producer(node.args[0], readers) if isinstance(node, FunCall) else None
    reason = _serial_reason(label, reduction, extent)
    call = node if isinstance(node, FunCall) else FunCall(reduction, ())
    return Root(label, call, reduction, extent, producer, reason, parent, consumed)


def _sole_producer(arg: Expr, readers: Mapping[str, int]) -> str | None:
    """The map computing ``arg`` directly when nothing else reads its output (it may be fused into the reduction
    applied to ``arg``)."""
    direct = computing_map(uncopied(arg.f)) if isinstance(arg, FunCall) else None
    return direct.name if direct is not None and direct.name and readers.get(direct.name) == 1 else None


def _serial_reason(label: str, reduction: Reduce, extent: ArithExpr) -> str | None:
    if reduction.seq:
        return f"{label} is a reduce_seq (a fold from the left, in order)"
    if not isinstance(extent, Cst):
        return f"{label} reduces {extent} elements, not a constant: pass sizes= to share it between threads"
    return None


def count_readers(body: Expr, producers: Any) -> dict[str, int]:
    """How many times each map's output is read (by calls anywhere in ``body``)."""
    readers: dict[str, int] = {}
    for n in walk(body):
        if isinstance(n, FunCall):
            for a in n.args:
                for p in producers(a):
                    readers[p] = readers.get(p, 0) + 1
    return readers


def find_roots(body: Expr, concrete: Any, producers: Any) -> Roots:
    """The roots of a typed, named program body. ``concrete`` substitutes known sizes into an extent;
    ``producers(e)`` lists the computing maps whose output the expression ``e`` is (through rearrangements)."""
    found: list[tuple[FunCall, str, Reduce | None]] = []

    def visit(e: Expr) -> None:
        if not isinstance(e, FunCall):
            return
        for a in e.args:
            visit(a)
        f = uncopied(e.f)
        m = computing_map(f)
        if m is not None and m.name:
            found.append((e, m.name, None))
        elif isinstance(f, Reduce):
            found.append((e, reduction_label(sum(1 for *_, r in found if r is not None)), f))

    visit(body)
    readers = count_readers(body, producers)  # to fuse a map into the one reduction reading it
    # which roots may read what other threads wrote: through a rearrangement, inside their function, or element
    # by element with maps inside the producer or the reader (whose threads share an element)
    nested = {label for call, label, reduction in found if reduction is None and _has_inner_maps(call)}
    reads_across: set[str] = set()
    for call, label, reduction in found:
        m = computing_map(uncopied(call.f))
        inside = [a for n in walk(m.f) if isinstance(n, FunCall) for a in n.args] if m is not None else []
        if reduction is not None or any(producers(a) for a in inside):
            reads_across.add(label)
            continue
        for a in call.args:
            aligned = _elementwise(a)
            read = producers(a)
            if any(p not in aligned or p in nested for p in read) or (read and m is not None and _has_inner_maps(call)):
                reads_across.add(label)
    roots: list[Root] = []
    for call, label, reduction in found:
        t = call.args[0].type
        extent = concrete(t.size) if isinstance(t, ArrayType) else Cst(1)
        if reduction is None:
            roots.append(Root(label, call, None, extent))
            continue
        producer = _sole_producer(call.args[0], readers)
        roots.append(Root(label, call, reduction, extent, producer, _serial_reason(label, reduction, extent)))
    # a cut just before each root that may read across threads (one there separates it from everything it reads),
    # and just after each whole-array reduction
    cut_points = [
        r.label for r, nxt in itertools.pairwise(roots) if nxt.label in reads_across or r.reduction is not None
    ]
    return Roots(tuple(roots), tuple(cut_points))


def _has_inner_maps(call: FunCall) -> bool:
    m = computing_map(uncopied(call.f))
    return m is not None and any(isinstance(n, Map) and computing_map(n) is not None for n in walk(m.f))


def _elementwise(e: Expr) -> set[str]:
    """The maps whose outputs ``e`` is, element for element: the map itself, or zipped with others."""
    if not isinstance(e, FunCall):
        return set()
    f = uncopied(e.f)
    m = computing_map(f)
    if m is not None and m.name:
        return {m.name}
    if isinstance(f, Zip):
        return {p for a in e.args for p in _elementwise(a)}
    return set()


# ---- the names of the model's choices on cuts and reductions ------------------------------------------------
def cut_key(label: str) -> str:
    """The model's name for the choice "cut after ``label``" (1: cut, 0: not)."""
    return f"cut:{label}"


def level_key(label: str) -> str:
    """The model's name for the level choice of the whole-array reduction ``label``."""
    return f"level:{label}"


PARALLEL_REDUCTION = "wrg0"
"""The level of a whole-array reduction split over work-groups (its other level is ``seq``)."""
