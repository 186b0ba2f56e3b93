"""What the mapping model needs to know about a program: its computing maps, how they nest, which outputs are
materialised (and so get an address space), and computations that no mapping can parallelise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Iterate,
    Lambda,
    Map,
    Node,
    Reduce,
    ToMem,
    computes,
    name_maps,
    walk,
)
from lift.dsl.mapper import NodeMapper
from lift.dsl.printer import show
from lift.solve.kernels import Root, Roots, count_readers, direct_reductions, find_roots, nested_site
from lift.solve.structure_nodes import computing_map, runs_alone, uncopied, whole_map
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
    """Computations outside every map other than maps and whole-array reductions (a user function applied to a
    whole array, say): every thread would run them."""
    roots: Roots = field(default_factory=lambda: Roots((), ()))
    """The computations reached from the body through arguments only, and where the program may be cut into
    kernels (:mod:`lift.solve.kernels`)."""

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


class _Analysis(NodeMapper[None]):
    """Records the computing maps of a typed program: how they nest, who consumes their outputs, and the
    computations outside every map that no mapping can spread over threads.

    An expression is visited with the nearest enclosing computing map (``parent``); a function with the type of
    the argument it is applied to (``t``), ``parent``, and the map it is the whole function of (``perfect``).
    """

    covers = (Expr, FunDecl)

    def __init__(
        self,
        env: Mapping[str, ArithExpr],
        reductions: frozenset[int] = frozenset(),
        readers: Mapping[str, int] | None = None,
    ) -> None:
        self.env = env
        """The sizes to substitute into extents (none: keep them symbolic)."""
        self.reductions = reductions
        """The ids of the calls of whole-array reductions (roots: they run in kernels of their own)."""
        self.readers = readers or {}
        """How many times each map's output is read."""
        self.nested: list[Root] = []
        """The reductions maps' functions apply directly, in program order."""
        self.sites: dict[str, dict[str, object]] = {}
        """What is known of each map so far, by label."""
        self.order: list[str] = []
        """The labels of the computing maps, in program order."""
        self.unmappable: list[str] = []
        """The computations outside every map that every thread would run."""

    def concrete(self, n: ArithExpr) -> ArithExpr:
        return n.subs(self.env) if self.env else n

    # expressions

    def map_expr(self, e: Expr, parent: str | None) -> None:
        return None  # a parameter, a literal or a source computes nothing

    def map_fun_call(self, e: FunCall, parent: str | None) -> None:
        consumes = computes(e.f)  # a rearrangement passes its arguments on; a computation reads them
        for a in e.args:
            self(a, parent)
            for producer in _producers(a) if consumes else []:
                self.sites.setdefault(producer, {})["consumer_of"] = True
                self.sites[producer].setdefault("consumers", []).append(_consumer(e.f, parent))  # type: ignore[attr-defined]
        if parent is None and runs_alone(uncopied(e.f)) and id(e) not in self.reductions:
            self.unmappable.append(show(e.f))
        self(e.f, e.args[0].type if len(e.args) == 1 else None, parent, None)

    # functions, with the type of their argument

    def map_to_mem(self, f: ToMem, t: DataType | None, parent: str | None, perfect: str | None) -> None:
        self(f.f, t, parent, perfect)

    def map_map(self, f: Map, t: DataType | None, parent: str | None, perfect: str | None) -> None:
        if not computes(f.f) or not isinstance(t, ArrayType):
            return  # a view: no loop, and nothing computed inside
        label = f.name or ""
        self.order.append(label)
        self.sites[label] = {"parent": parent, "extent": self.concrete(t.size), "perfect": perfect}
        self(f.f, t.elem, label, label if whole_map(f.f) else None)
        for j, (node, consumed) in enumerate(direct_reductions(f.f)):
            arg = node.args[0].type if isinstance(node, FunCall) else t.elem
            extent = self.concrete(arg.size) if isinstance(arg, ArrayType) else Cst(1)
            self.nested.append(nested_site(label, j, node, consumed, extent, self.readers))

    def map_lambda(self, f: Lambda, t: DataType | None, parent: str | None, perfect: str | None) -> None:
        self(f.body, parent)

    def map_reduce(self, f: Reduce, t: DataType | None, parent: str | None, perfect: str | None) -> None:
        # the initial value is computed where the reduction is, and the reduction reads it (an array
        # accumulator computed by per-thread maps is that accumulator's memory)
        self(f.init, parent)
        for producer in _producers(f.init):
            self.sites.setdefault(producer, {})["consumer_of"] = True
            self.sites[producer].setdefault("consumers", []).append(None)  # type: ignore[attr-defined]
        self(f.f, t, parent, None)

    def map_iterate(self, f: Iterate, t: DataType | None, parent: str | None, perfect: str | None) -> None:
        self(f.f, t, parent, None)

    def _no_function_inside(self, f: FunDecl, t: DataType | None, parent: str | None, perfect: str | None) -> None:
        return None

    map_user_fun = map_zip = map_get = map_id = map_layout = _no_function_inside


def structure_of(prog: Fun, sizes: Mapping[str, int] | None = None) -> ProgramStructure:
    """Analyse ``prog`` (sizes, when given, make extents and memory sizes concrete)."""
    named = name_maps(prog)
    typed = named.typed.program
    env = {k: Cst(v) for k, v in (sizes or {}).items()}
    roots = find_roots(typed.body, lambda n: n.subs(env) if env else n, _producers)
    readers = count_readers(typed.body, _producers)
    analysis = _Analysis(env, frozenset(id(r.call) for r in roots.reductions), readers)
    analysis(typed.body, None)
    roots = dataclasses.replace(roots, nested=tuple(analysis.nested))
    # a reduction shared by a work-group's threads is a level of its own under its map
    for r in analysis.nested:
        analysis.order.append(r.label)
        analysis.sites[r.label] = {"parent": r.parent, "extent": r.extent, "perfect": None}
    sites, concrete = analysis.sites, analysis.concrete
    types = _output_types(typed)
    maps = []
    for label in analysis.order:
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
    return ProgramStructure(named, tuple(maps), tuple(chains), tuple(analysis.unmappable), roots)


def _producers(e: Expr) -> list[str]:
    """The computing maps whose output ``e`` is, seen through rearrangements and lets."""
    return _PRODUCERS(e)


class _Producers(NodeMapper[list[str]]):
    """The computing maps whose output an expression is (see :func:`_producers`); a call asks its function,
    given the call's arguments: a computing map gives its own output, a computing lambda its body's, a
    rearrangement passes on its arguments', any other computation none."""

    covers = (Expr, FunDecl)

    def map_expr(self, e: Expr) -> list[str]:
        return []

    def map_fun_call(self, e: FunCall) -> list[str]:
        return self(uncopied(e.f), e.args)

    def map_fun_decl(self, f: FunDecl, args: tuple[Expr, ...]) -> list[str]:
        return [] if computes(f) else self.passed_on(args)

    def map_map(self, f: Map, args: tuple[Expr, ...]) -> list[str]:
        if computes(f.f):
            return [f.name] if f.name else []
        return self.passed_on(args)

    def map_lambda(self, f: Lambda, args: tuple[Expr, ...]) -> list[str]:
        return self(f.body) if computes(f) else self.passed_on(args)

    def passed_on(self, args: tuple[Expr, ...]) -> list[str]:
        return [p for a in args for p in self(a)]


_PRODUCERS = _Producers()


def _consumer(f: FunDecl, parent: str | None) -> str | None:
    """The map whose iterations read an intermediate, or ``None`` when the code enclosing the producer reads it
    (a reduction in the parent's body: the very threads that wrote it)."""
    m = computing_map(uncopied(f))
    return m.name if m is not None else None


def _output_types(typed: Fun) -> dict[str, DataType]:
    """The output type of every computing map that is applied (its FunCall's type)."""
    out: dict[str, DataType] = {}
    for n in walk(typed):
        _OUTPUT_TYPE(n, out)
    return out


class _OutputType(NodeMapper[None]):
    """Records the type of a call of a computing map (through a ``to_*``) under the map's label."""

    covers = (Node,)

    def map_node(self, node: Node, out: dict[str, DataType]) -> None:
        return None

    def map_fun_call(self, e: FunCall, out: dict[str, DataType]) -> None:
        m = computing_map(uncopied(e.f))
        if m is not None and m.name and e.type is not None:
            out[m.name] = e.type


_OUTPUT_TYPE = _OutputType()
