"""Where a program may run as several kernels: its top-level computations, the points between them where it may
be cut, and its whole-array reductions.

Work-groups cannot synchronise inside a kernel, so a value that threads of other work-groups read must be
complete before they start: the program is *cut* there, the first kernel writing a global temporary that the
next one reads. Cuts sit between the **roots** of the program — the computations reached from its body through
arguments only (a computing map outside every other map, or a whole-array ``reduce``), in program order, which
is the order the kernels run in. The model decides the cuts (``cut:<label>``: cut after the root ``label``), with
the rules below; :func:`cut_rules` states them.

A cut is offered after a root whose output is read other than element by element (through a rearrangement,
inside another computation's function, or by a reduction) and next to every whole-array reduction: between two
maps that read each other element by element a kernel boundary is never needed, and not offering one keeps
long pipelines' spaces their size.

A **whole-array reduction** (``reduce(f, z)`` outside every map) runs in kernels of its own, one work-item
(``seq``) or as two stages (``wrg0``: work-groups reduce parts of the array in local memory, a last work-group
their partial results); a map whose only reader is the reduction may be fused into it (``fuse``: each element
computed where it is read, Lift's ``reduceMapFusion``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lift.dsl.ir import Expr, FunCall, Reduce, Zip, walk
from lift.solve.structure_nodes import computing_map, uncopied
from lift.types.arith import ArithExpr, Cst
from lift.types.data import ArrayType

__all__ = ["PARALLEL_REDUCTION", "Root", "Roots", "cut_key", "find_roots", "level_key", "reduction_label"]


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


@dataclass(frozen=True)
class Roots:
    """The roots of a program in program order, and where a cut is offered."""

    roots: tuple[Root, ...]
    """Every root, in program order (the order its kernels would run in)."""
    cut_points: tuple[str, ...]
    """The roots after which a cut is offered, in program order."""

    @property
    def reductions(self) -> tuple[Root, ...]:
        return tuple(r for r in self.roots if r.reduction is not None)

    @property
    def by_label(self) -> Mapping[str, Root]:
        return {r.label: r for r in self.roots}

    def index(self, label: str) -> int:
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
        return {r.producer: r.label for r in self.reductions if r.producer is not None}


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
    root_calls = {id(call) for call, _, _ in found}
    # who reads each map's output, and whether element by element (a root map applied to it, or to a zip of it)
    readers: dict[str, int] = {}
    scattered: set[str] = set()
    for n in walk(body):
        if not isinstance(n, FunCall):
            continue
        is_root_map = id(n) in root_calls and computing_map(uncopied(n.f)) is not None
        for a in n.args:
            read = producers(a)
            for p in read:
                readers[p] = readers.get(p, 0) + 1
            aligned = _elementwise(a) if is_root_map else set()
            scattered.update(p for p in read if p not in aligned)
    roots: list[Root] = []
    for call, label, reduction in found:
        t = call.args[0].type
        extent = concrete(t.size) if isinstance(t, ArrayType) else Cst(1)
        if reduction is None:
            roots.append(Root(label, call, None, extent))
            continue
        arg = call.args[0]
        direct = computing_map(uncopied(arg.f)) if isinstance(arg, FunCall) else None
        producer = direct.name if direct is not None and direct.name and readers.get(direct.name) == 1 else None
        if reduction.seq:
            reason = f"{label} is a reduce_seq (a fold from the left, in order)"
        elif not isinstance(extent, Cst):
            reason = f"{label} reduces {extent} elements, not a constant: pass sizes= to split it over work-groups"
        else:
            reason = None
        roots.append(Root(label, call, reduction, extent, producer, reason))
    cut_points = []
    for k, r in enumerate(roots[:-1]):
        nxt = roots[k + 1]
        if r.reduction is not None or nxt.reduction is not None or r.label in scattered:
            cut_points.append(r.label)
    return Roots(tuple(roots), tuple(cut_points))


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
