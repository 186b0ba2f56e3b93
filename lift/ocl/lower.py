"""Lowering: from an algorithmic program and a ``Mapping`` to a low-level program.

In a lowered program every computing map has a level (``map_glb/map_wrg/map_lcl/map_seq`` with a dimension),
every reduction is ``reduce_seq``, and an intermediate placed by the mapping is wrapped in ``to_global``,
``to_local`` or ``to_private``. A program written by hand at this level is used as it is.

The default mapping (until the solver chooses one, see ``lift.solve``): every computing map that is not
nested inside another computing map runs on ``glb0``; every other map is sequential; intermediates stay in
global memory. If the program's result is a rearrangement that cannot be written in place (``transpose`` can,
``pad`` or ``slide`` cannot), the default lowering ends the program with a copy.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from typing import cast

from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Id,
    Iterate,
    Join,
    Lambda,
    Map,
    Node,
    Param,
    Reduce,
    Split,
    ToMem,
    computes,
    fresh_name,
    map_labels,
    name_maps,
    names_in,
    program_order,
    walk,
)
from lift.dsl.layout import Layout
from lift.dsl.levels import Level
from lift.dsl.mapper import NodeMapper
from lift.ocl.reductions import fold, threads_for, work_group_reduction
from lift.solve.kernels import direct_reductions, nested_label
from lift.solve.mapping import Mapping
from lift.solve.rules import BACKEND_SUPPORT, FUSE_APPLIED_MAP_ONLY, FUSE_ONCE, MAPPING_NAMES_EVERY_MAP
from lift.solve.structure_nodes import computing_map, uncopied
from lift.types.arith import Cst
from lift.types.data import ArrayType, DataType

__all__ = ["default_mapping", "is_lowered", "lower", "runs_in_one_work_item"]


def is_lowered(prog: Fun) -> bool:
    """True when every computing map already has a level and every reduction is sequential."""
    return all(_lowered(n) for n in program_order(prog))


class _Lowered(NodeMapper[bool]):
    """Whether a node already has what lowering gives it (its children are asked on their own)."""

    covers = (Node,)

    def map_map(self, f: Map) -> bool:
        return bool(f.level) or not computes(f.f)

    def map_reduce(self, f: Reduce) -> bool:
        return f.seq

    def nothing_to_lower(self, n: Node) -> bool:
        """Lowering gives it nothing: only maps get levels and reductions their sequential form."""
        return True

    map_param = map_literal = map_source = map_fun_call = map_lambda = map_user_fun = nothing_to_lower
    map_zip = map_get = map_iterate = map_id = map_to_mem = map_layout = map_index_fun = nothing_to_lower


_lowered = _Lowered()


def default_mapping(prog: Fun) -> Mapping:
    """The documented default: outermost computing maps on ``glb0``, all others sequential."""
    levels: dict[str, str] = {}
    named = name_maps(prog)
    outer = _outermost_maps(named)
    for m, label in map_labels(named):
        levels[label] = str(Level("glb", 0) if m in outer else Level("seq"))
    return Mapping(levels)


def _outermost_maps(prog: Node) -> list[Map]:
    """Computing maps not nested inside the function of another computing map."""
    out: list[Map] = []

    def visit(n: Node, inside: bool) -> None:
        if isinstance(n, Map) and computes(n.f):
            if not inside:
                out.append(n)
            visit(n.f, True)
            return
        for c in n.children():
            visit(c, inside)

    visit(prog, False)
    return out


def lower(
    prog: Fun,
    mapping: Mapping | None = None,
    *,
    single_thread: bool = False,
    sizes: AbcMapping[str, int] | None = None,
) -> Fun:
    """The low-level program for ``mapping`` (the default mapping when ``None``); a hand-lowered program as is.

    ``single_thread`` (with no mapping) runs the whole program in one work-item: the fallback of the default
    policy when its parallel mapping would need work-groups to synchronise. ``sizes`` are the sizes the program
    will be compiled for (a reduction shared by a work-group's threads needs its length).
    """
    if mapping is not None and runs_in_one_work_item(mapping):
        # every map sequential: the whole program in one work-item (the maps keep their levels)
        # (the program's own labels first; the wrapper's label is added to them and to the mapping)
        return lower(_single_thread(name_maps(prog)), _with_single(mapping), sizes=sizes)
    if mapping is None:
        # hand-lowered: every computation has its level, and some map runs in parallel
        parallel = any(isinstance(n, Map) and n.level in ("glb", "wrg") for n in program_order(prog.body))
        if is_lowered(prog) and parallel:
            return prog
        # the program's own labels, before a wrapper or a copy adds maps
        prog = name_maps(prog)
        computes_anything = any(isinstance(n, FunCall) and computes(n.f) for n in program_order(prog.body))
        if computes_anything and (single_thread or not _top_level_maps_only(prog.body)):
            prog = _single_thread(prog)
        elif result_is_a_view(prog.body):
            prog = Fun(prog.params, _copy(prog.typed.type.result)(prog.body), prog.name, prog.param_types)
        mapping = default_mapping(prog)
    named = name_maps(prog)
    labels = [label for _, label in map_labels(named)]
    typed = named.typed.program
    reductions = reductions_in_maps(typed)
    known = {*labels, *(label for label, _ in reductions.values())}
    unknown = sorted(set(mapping.levels) - known) + sorted(set(mapping.spaces) - set(labels))
    if unknown:
        own = [label for label in labels if label != SINGLE]
        raise MAPPING_NAMES_EVERY_MAP.refuse(
            f"{prog.name}: the mapping names {', '.join(unknown)}, which the program does not have; its maps are "
            f"{', '.join(own) or 'none'}"
        )
    missing = [label for label in labels if label not in mapping.levels]
    if missing:
        raise MAPPING_NAMES_EVERY_MAP.refuse(f"{prog.name}: the mapping gives no level for {', '.join(missing)}")
    body = _Lowering(mapping, reductions, names_in(typed), sizes).expr(typed.body)
    return Fun(prog.params, body, prog.name, prog.param_types)


def reductions_in_maps(typed: Fun) -> dict[int, tuple[str, bool]]:
    """The reductions the maps' functions of a typed, named program apply directly, by node id: their labels
    (``map1_reduce0``) and whether the function computes more from their result."""
    out: dict[int, tuple[str, bool]] = {}
    for n in walk(typed):
        if isinstance(n, Map) and n.name and computes(n.f):
            for j, (node, consumed) in enumerate(direct_reductions(n.f)):
                out[id(node)] = (nested_label(n.name, j), consumed)
    return out


def runs_in_one_work_item(mapping: Mapping) -> bool:
    """True for the mapping that makes every map sequential: the whole program runs in one work-item (always
    valid, never parallel; what ``lift.compile`` falls back to when the model has no parallel mapping)."""
    return bool(mapping.levels) and all(mapping.level_of(label) == Level("seq") for label in mapping.levels)


SINGLE = "single"
"""The label of the map that runs a whole program in one work-item."""


def _with_single(mapping: Mapping) -> Mapping:
    return Mapping({**mapping.levels, SINGLE: str(Level("glb", 0))}, dict(mapping.spaces))


def result_is_a_view(body: Expr) -> bool:
    """True when the program's result is not computed in place: a parameter, or computed data seen through a
    rearrangement that cannot be written directly (``pad``, ``slide``, ``zip``, a component of a tuple)."""
    return _result_is_a_view(body)


class _ResultIsAView(NodeMapper[bool]):
    """Whether an expression's value is seen through a view rather than computed in place (a call is asked of
    its function, with the call)."""

    covers = (Expr, FunDecl)

    def map_param(self, e: Param) -> bool:
        return True

    def map_fun_call(self, e: FunCall) -> bool:
        return self(e.f, e)

    def map_layout(self, f: Layout, e: FunCall) -> bool:
        return self(e.args[0]) if f.writes else True  # written through to its argument, or only read

    def computed_unless_a_rearrangement(self, f: Map | Lambda | Iterate, e: FunCall) -> bool:
        """A view when it only rearranges."""
        return not computes(f)

    def rearranged(self, f: FunDecl, e: FunCall) -> bool:
        """Read through a view, never written."""
        return True

    def computed(self, n: Node, e: FunCall | None = None) -> bool:
        """Computed in place (a constant is written where it is needed)."""
        return False

    map_map = map_lambda = map_iterate = computed_unless_a_rearrangement
    map_zip = map_get = rearranged
    map_literal = map_source = map_user_fun = map_reduce = map_id = map_to_mem = computed


_result_is_a_view = _ResultIsAView()


def _top_level_maps_only(body: Expr) -> bool:
    """True when every computation outside the computing maps is itself a map (then the maps can run in
    parallel; a top-level reduction or copy would run in every thread) and there is one."""
    visitor = _TopLevelMaps()
    return visitor(body) and visitor.found


class _TopLevelMaps(NodeMapper[bool]):
    """Whether every computation in an expression, outside the computing maps, is itself a map (a call is asked
    of its function and of its arguments); ``found``: whether it met a computing map."""

    covers = (Expr, FunDecl)

    def __init__(self) -> None:
        self.found = False

    def map_fun_call(self, e: FunCall) -> bool:
        return self(e.f) and all(self(a) for a in e.args)

    def map_to_mem(self, f: ToMem) -> bool:
        return self(f.f)

    def map_map(self, f: Map) -> bool:
        self.found = self.found or computes(f)
        return True

    def rearrangement(self, f: Lambda | Iterate) -> bool:
        """Allowed when it only rearranges (a function that does not compute has no computation inside)."""
        return not computes(f)

    def computation(self, f: FunDecl) -> bool:
        """A computation that is not a map: it would run in every thread."""
        return False

    def allowed(self, n: Node) -> bool:
        """Nothing computed here."""
        return True

    map_lambda = map_iterate = rearrangement
    map_user_fun = map_reduce = map_id = computation
    map_param = map_literal = map_source = map_zip = map_get = map_layout = allowed


def _single_thread(prog: Fun) -> Fun:
    """The whole program in one thread: ``x >> split(n) >> map_glb(λ_. body) >> join`` over a one-element
    split of its first array parameter (the body still refers to the parameters themselves)."""
    typed = prog.typed
    single = Map(Lambda((Param("_whole"),), prog.body), "glb", 0, SINGLE)
    for p, t in zip(prog.params, prog.param_types):
        if isinstance(t, ArrayType):  # the first array parameter
            body = FunCall(Join(), (FunCall(single, (FunCall(Split(t.size), (p,)),)),))
            break
    else:
        raise BACKEND_SUPPORT.refuse(f"{prog.name}: a program without array parameters has nothing to map onto threads")
    if not isinstance(typed.type.result, ArrayType):
        raise BACKEND_SUPPORT.refuse(f"{prog.name}: the result must be an array")
    return Fun(prog.params, body, prog.name, prog.param_types)


def _in_place(f: FunDecl) -> FunDecl:
    """``f`` as it is: its result written where the enclosing function's goes."""
    return f


def _copy(t: object) -> FunDecl:
    """``map(map(… id))`` over the dimensions of ``t``: a copy, its outer map on ``glb0`` (named ``copy``)."""
    assert isinstance(t, ArrayType)
    return Map(_sequential_copy(t.elem), "glb", 0, "copy")


class _SequentialCopy(NodeMapper[FunDecl]):
    """``map_seq(map_seq(… id))`` over the dimensions of a type: a copy of a value of it in one thread."""

    covers = (DataType,)

    def map_array_type(self, t: ArrayType) -> FunDecl:
        return Map(self(t.elem), "seq")

    def element(self, t: DataType) -> FunDecl:
        """A scalar or tuple: copied whole."""
        return Id()

    map_scalar_type = map_tuple_type = element


_sequential_copy = _SequentialCopy()


class _Lowering(NodeMapper[Node]):
    """A node of the typed program, lowered by the mapping: every computing map gets its level (and its address
    space), every reduction becomes ``reduce_seq``, a map fused into its enclosing map is merged with it."""

    covers = (Expr, FunDecl)

    def __init__(
        self,
        mapping: Mapping,
        reductions: dict[int, tuple[str, bool]] | None = None,
        taken: set[str] | None = None,
        sizes: AbcMapping[str, int] | None = None,
    ) -> None:
        self.mapping = mapping
        self.sizes = {k: Cst(int(v)) for k, v in (sizes or {}).items()}
        """The sizes the program is compiled for."""
        self.reductions = reductions or {}
        """The reductions inside maps, by node id: label, and whether their result is read in the map."""
        self.taken = taken if taken is not None else set()
        """The names in use (fresh parameters of fused functions avoid them)."""
        self.argument: DataType | None = None
        """The type of the argument of the function being lowered, where a call or a map's type tells it."""

    def expr(self, e: Expr) -> Expr:
        return cast(Expr, self(e))  # an expression lowers to an expression

    def fun(self, f: FunDecl) -> FunDecl:
        return cast(FunDecl, self(f))  # a function to a function

    def map_fun_call(self, e: FunCall) -> Expr:
        if id(e) in self.reductions:
            return self.reduction(e, *self.reductions[id(e)])
        args = tuple(self.expr(a) for a in e.args)
        self.argument = e.args[0].type if len(e.args) == 1 else None
        if isinstance(e.f, Map) and e.f.name is not None and computes(e.f.f):
            fused = self.fused_inner(e.f)
            if fused is not None:
                return self.fuse(e.f, fused, args[0], e)
        return FunCall(self.fun(e.f), args)

    def map_lambda(self, f: Lambda) -> FunDecl:
        return Lambda(f.params, self.expr(f.body))

    def map_map(self, f: Map) -> FunDecl:
        t, self.argument = self.argument, None
        element = t.elem if isinstance(t, ArrayType) else None
        if f.name is None or not computes(f.f):
            self.argument = element
            return f.replace(f=self.fun(f.f))
        level = self.mapping.level_of(f.name)
        if level.kind == "fuse":
            raise FUSE_APPLIED_MAP_ONLY.refuse(
                f"{f.name}: 'fuse' merges a map into its enclosing map, so {f.name} must be the whole "
                "function of a computing map (map(map(g)) or map(λx. x >> map(g)))",
                labels=frozenset({f.name}),  # refused whatever the other maps do: the model excludes it
            )
        red = uncopied(f.f)
        if isinstance(red, Reduce) and id(red) in self.reductions:  # map(reduce(g)): each element reduced
            x = Param(fresh_name("xs", self.taken), element)
            self.taken.add(x.name)
            label, consumed = self.reductions[id(red)]
            reduced = self.reduction(FunCall(f.f, (x,)), label, consumed, original=red)
            return self.placed(f.replace(f=Lambda((x,), reduced)), level)
        self.argument = element
        return self.placed(f.replace(f=self.fun(f.f)), level)

    def placed(self, f: Map, level: Level) -> FunDecl:
        """``f`` (its function lowered) at ``level`` (not ``fuse``), in the address space the mapping gives its
        output."""
        assert level.kind != "fuse"
        lowered: FunDecl = Map(f.f, level.kind, level.dim, f.name)
        space = self.mapping.space_of(f.name or "")
        return ToMem(space.value, lowered) if space else lowered

    def reduction(self, e: FunCall, label: str, consumed: bool, *, original: Reduce | None = None) -> Expr:
        """A reduction inside a map: sequential (``reduce_seq``), or shared by the threads of the work-group
        (``lcl d``, :func:`lift.ocl.reductions.work_group_reduction`), with the map producing its elements fused
        in where the mapping fuses it."""
        red = original or uncopied(e.f)
        assert isinstance(red, Reduce)
        arg = e.args[0]
        producer = computing_map(uncopied(arg.f)) if isinstance(arg, FunCall) else None
        element: FunDecl | None = None
        if producer is not None and producer.name and self.mapping.levels.get(producer.name) == "fuse":
            assert isinstance(arg, FunCall)
            element, data = self.fun(producer.f), self.expr(arg.args[0])
        else:
            data = self.expr(arg)
        combine, init = self.fun(red.f), self.expr(red.init)
        fold_in = fold(combine, element, self.taken)
        level = self.mapping.level_of(label) if label in self.mapping.levels else Level("seq")
        if level.kind != "lcl":
            seq: FunDecl = Reduce(fold_in, init, True)
            return FunCall(ToMem(e.f.space, seq) if isinstance(e.f, ToMem) and original is None else seq, (data,))
        n = arg.type.size.subs(self.sizes) if isinstance(arg.type, ArrayType) else None
        if not isinstance(n, Cst):
            raise BACKEND_SUPPORT.refuse(
                f"{label}: the threads of a work-group share a reduction of a constant length, not {n}",
                labels=frozenset({label}),
            )
        return work_group_reduction(
            data,
            threads=threads_for(n.value),
            fold_in=fold_in,
            combine=combine,
            init=init,
            dim=level.dim,
            name=label,
            last=None if consumed else _in_place,  # consumed: every thread keeps the result
        )

    def map_reduce(self, f: Reduce) -> FunDecl:
        return Reduce(self.fun(f.f), self.expr(f.init), True)

    def map_to_mem(self, f: ToMem) -> FunDecl:
        return ToMem(f.space, self.fun(f.f))

    def map_iterate(self, f: Iterate) -> FunDecl:
        return f.replace(f=self.fun(f.f))

    def unchanged(self, n: Node) -> Node:
        """Nothing in it is mapped: a leaf of the program, or a pattern without a function argument."""
        return n

    map_param = map_literal = map_source = map_user_fun = map_zip = map_get = map_id = map_layout = unchanged

    def fused_inner(self, outer: Map) -> Map | None:
        """The perfectly nested inner map of ``outer`` when the mapping fuses it into ``outer``."""
        inner: FunDecl | None = outer.f
        if isinstance(inner, Lambda) and len(inner.params) == 1:  # λx. x >> map(g)
            body = inner.body
            inner = body.f if isinstance(body, FunCall) and body.args == (inner.params[0],) else None
        if isinstance(inner, Map) and inner.name in self.mapping.levels:
            if self.mapping.level_of(inner.name or "").kind == "fuse":
                return inner
        return None

    def fuse(self, outer: Map, inner: Map, arg: Expr, call: FunCall) -> Expr:
        """``map_L(map(g)) $ x`` as ``split(m) $ map_L(g) $ join $ x``: one loop over all elements."""
        t = call.args[0].type
        assert isinstance(t, ArrayType) and isinstance(t.elem, ArrayType)
        m = t.elem.size
        level = self.mapping.level_of(outer.name or "")
        if level.kind == "fuse":
            raise FUSE_ONCE.refuse(f"{outer.name}: cannot fuse both {outer.name} and {inner.name}")
        flat = Map(self.fun(inner.f), level.kind, level.dim, outer.name)
        space = self.mapping.space_of(outer.name or "")
        applied: FunDecl = ToMem(space.value, flat) if space else flat
        return FunCall(Split(m), (FunCall(applied, (FunCall(Join(), (arg,)),)),))
