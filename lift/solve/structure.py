"""What the mapping model needs to know about a program: its computing maps, how they nest, which outputs are
materialised (and so get an address space), and computations that no mapping can parallelise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lift.dsl.ir import Expr, Fun, FunCall, FunDecl, Iterate, Lambda, Map, Reduce, ToMem, computes, name_maps
from lift.dsl.printer import show
from lift.types.arith import ArithExpr, Cst
from lift.types.data import ArrayType, DataType, byte_count, scalar_count

__all__ = ["MapSite", "ProgramStructure", "structure_of"]


@dataclass(frozen=True)
class MapSite:
    """One computing map of the program."""

    label: str
    """Its label (``map0``… or the user's name)."""
    parent: str | None
    """The nearest enclosing computing map, or ``None`` at the top level."""
    extent: ArithExpr
    """Its trip count (the length of the array it maps over)."""
    perfect_parent: str | None
    """The enclosing map when this map is that map's whole function (``map(map(g))``): it may be fused."""
    intermediate: bool
    """True when its output is consumed by another computation (so it is stored, in some address space)."""
    consumers: tuple[str | None, ...]
    """For an intermediate: the maps whose iterations read it (``None``: the code around the producer)."""
    elements: ArithExpr
    """How many scalars its output holds (for memory limits)."""
    bytes: ArithExpr
    """How many bytes its output takes, each scalar at its own width (for the local-memory limit)."""
    text: str
    """How it is written, for messages."""


@dataclass(frozen=True)
class ProgramStructure:
    """The maps of a program and how they nest."""

    program: Fun
    """The program with every computing map named by its label."""
    maps: tuple[MapSite, ...]
    """The computing maps, in program order."""
    chains: tuple[tuple[str, ...], ...]
    """Every root-to-leaf path in the tree of computing maps."""
    unmappable: tuple[str, ...]
    """Computations outside every map other than maps (a top-level reduction): every thread would run them."""

    @property
    def by_label(self) -> Mapping[str, MapSite]:
        return {m.label: m for m in self.maps}

    def descendants(self, label: str) -> list[str]:
        """The computing maps nested in ``label``'s function, at any depth."""
        out: list[str] = []
        frontier = [label]
        while frontier:
            parent = frontier.pop()
            kids = [m.label for m in self.maps if m.parent == parent]
            out.extend(kids)
            frontier.extend(kids)
        return out

    def ancestors(self, label: str) -> list[str]:
        out = []
        parent = self.by_label[label].parent
        while parent is not None:
            out.append(parent)
            parent = self.by_label[parent].parent
        return out


def structure_of(prog: Fun, sizes: Mapping[str, int] | None = None) -> ProgramStructure:
    """Analyse ``prog`` (sizes, when given, make extents and memory sizes concrete)."""
    named = name_maps(prog)
    typed = named.typed.program
    env = {k: Cst(v) for k, v in (sizes or {}).items()}
    sites: dict[str, dict[str, object]] = {}
    order: list[str] = []
    unmappable: list[str] = []

    def concrete(n: ArithExpr) -> ArithExpr:
        return n.subs(env) if env else n

    def visit_fun(f: FunDecl, t: DataType | None, parent: str | None, perfect: str | None) -> None:
        if isinstance(f, ToMem):
            visit_fun(f.f, t, parent, perfect)
        elif isinstance(f, Map) and computes(f.f) and isinstance(t, ArrayType):
            label = f.name or ""
            order.append(label)
            sites[label] = {"parent": parent, "extent": concrete(t.size), "perfect": perfect, "text": show(f)}
            inner = f.f
            inner_perfect = None
            if isinstance(inner, Map) or (isinstance(inner, ToMem) and isinstance(inner.f, Map)):
                inner_perfect = label
            elif isinstance(inner, Lambda) and len(inner.params) == 1 and isinstance(inner.body, FunCall):
                body = inner.body
                if body.args == (inner.params[0],) and isinstance(body.f, Map):
                    inner_perfect = label
            visit_fun(inner, t.elem, label, inner_perfect)
        elif isinstance(f, Lambda):
            visit_expr(f.body, parent)
        elif isinstance(f, (Reduce, Iterate)):
            visit_fun(f.f, t, parent, None)

    def visit_expr(e: Expr, parent: str | None) -> None:
        if not isinstance(e, FunCall):
            return
        consumes = computes(e.f)  # a rearrangement passes its arguments on; a computation reads them
        for a in e.args:
            visit_expr(a, parent)
            for producer in _producers(a) if consumes else []:
                sites.setdefault(producer, {})["consumer_of"] = True
                sites[producer].setdefault("consumers", []).append(_consumer(e.f, parent))  # type: ignore[attr-defined]
        f = e.f.f if isinstance(e.f, ToMem) else e.f
        if parent is None and computes(f) and not isinstance(f, (Map, Lambda)):
            unmappable.append(show(e.f))
        visit_fun(e.f, e.args[0].type if len(e.args) == 1 else None, parent, None)

    visit_expr(typed.body, None)
    types = _output_types(typed)
    maps = []
    for label in order:
        s = sites[label]
        t = types.get(label)
        elements = concrete(scalar_count(t)) if t is not None else Cst(1)
        size_in_bytes = concrete(byte_count(t)) if t is not None else Cst(4)
        maps.append(
            MapSite(
                label,
                s["parent"],  # type: ignore[arg-type]
                s["extent"],  # type: ignore[arg-type]
                s["perfect"],  # type: ignore[arg-type]
                bool(s.get("consumer_of")),
                tuple(s.get("consumers", ())),  # type: ignore[arg-type]
                elements,
                size_in_bytes,
                s["text"],  # type: ignore[arg-type]
            )
        )
    children: dict[str | None, list[str]] = {}
    for m in maps:
        children.setdefault(m.parent, []).append(m.label)
    chains: list[tuple[str, ...]] = []

    def walk_chain(label: str, path: tuple[str, ...]) -> None:
        path = (*path, label)
        kids = children.get(label, [])
        if not kids:
            chains.append(path)
        for k in kids:
            walk_chain(k, path)

    for root in children.get(None, []):
        walk_chain(root, ())
    return ProgramStructure(named, tuple(maps), tuple(chains), tuple(unmappable))


def _producers(e: Expr) -> list[str]:
    """The computing maps whose output ``e`` is, seen through rearrangements and lets."""
    if not isinstance(e, FunCall):
        return []
    f = e.f.f if isinstance(e.f, ToMem) else e.f
    if isinstance(f, Map) and computes(f.f):
        return [f.name] if f.name else []
    if computes(f):
        if isinstance(f, Lambda):
            return _producers(f.body)
        return []
    return [p for a in e.args for p in _producers(a)]


def _consumer(f: FunDecl, parent: str | None) -> str | None:
    """The map whose iterations read an intermediate, or ``None`` when the code enclosing the producer reads it
    (a reduction in the parent's body: the very threads that wrote it)."""
    g = f.f if isinstance(f, ToMem) else f
    if isinstance(g, Map) and computes(g.f) and g.name:
        return g.name
    return None


def _output_types(typed: Fun) -> dict[str, DataType]:
    """The output type of every computing map that is applied (its FunCall's type)."""
    out: dict[str, DataType] = {}
    from lift.dsl.ir import walk

    for n in walk(typed):
        if isinstance(n, FunCall) and n.type is not None:
            f = n.f.f if isinstance(n.f, ToMem) else n.f
            if isinstance(f, Map) and f.name:
                out[f.name] = n.type
    return out
