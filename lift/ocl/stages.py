"""A program cut into kernels: the stages of a mapping with cuts or whole-array reductions.

The mapping model decides where the program is cut (``Mapping.cuts``) and how each whole-array reduction runs
(:mod:`lift.solve.kernels`); this module turns those choices into one program per kernel. Each stage is an
ordinary program whose parameters are the program's own and the temporaries earlier stages wrote, so each
compiles, and is checked for races and barriers, exactly as a one-kernel program is.

A whole-array ``reduce(f, z)`` at level ``wrg0`` becomes two stages (Lift's two-stage reduction):

* the *parts*: ``data >> split(C) >> map_wrg(part) >> join`` — each work-group reduces ``C`` elements: its ``L``
  threads fold strided elements (thread ``l`` reads ``l, l + L, …``, so neighbouring threads read neighbouring
  elements) into local memory, then halve them pairwise (``split(L/2) >> transpose``: element ``i`` with
  ``i + L/2``, no bank conflicts) until one value is left, which goes to a global temporary;
* the *final* work-group does the same to the partial results.

A map fused into the reduction (``fuse``) is applied to each element as the threads read it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Param,
    Reduce,
    fresh_name,
    map_labels,
    names_in,
    walk,
)
from lift.errors import LiftInternalError
from lift.ocl.lower import lower, runs_in_one_work_item
from lift.ocl.reductions import REDUCTION_THREADS, fold, threads_for, work_group_parts
from lift.solve.kernels import PARALLEL_REDUCTION, Root
from lift.solve.mapping import Mapping as LiftMapping
from lift.solve.rules import MAPPING_NAMES_EVERY_MAP
from lift.solve.structure import ProgramStructure, structure_of
from lift.solve.structure_nodes import computing_map, uncopied
from lift.types.arith import Cst
from lift.types.data import DataType

__all__ = ["REDUCTION_GROUPS", "REDUCTION_THREADS", "Stage", "reduction_shape", "stages_of"]

REDUCTION_GROUPS = 1024
"""The most work-groups the first stage of a two-stage reduction uses (a divisor of the array's length)."""


@dataclass(frozen=True)
class Stage:
    """One kernel of a program cut into several."""

    program: Fun
    """The stage as a program of its own (parameters: the program's and earlier stages' temporaries)."""
    lowered: Fun
    """Its low-level program."""
    completes: str
    """What its kernel completes: a root's label (``map0``), ``reduce0.parts`` for a two-stage reduction's
    partial results, or ``result`` for the last kernel."""
    output: str | None
    """The name of the temporary it writes (a parameter of later stages); ``None`` for the program's result."""


def reduction_shape(n: int, *, threads: int | None = None, groups: int | None = None) -> tuple[int, int]:
    """``(L, G)`` for reducing ``n`` elements over work-groups: ``L`` threads a group, the largest power of two
    at most ``threads`` dividing ``n``, and ``G`` groups, the largest divisor of ``n / L`` at most ``groups``
    (by default :data:`~lift.ocl.reductions.REDUCTION_THREADS` and :data:`REDUCTION_GROUPS`)."""
    groups = REDUCTION_GROUPS if groups is None else groups
    lanes = threads_for(n, threads)
    rest = n // lanes
    count = max(g for g in range(1, min(groups, rest) + 1) if rest % g == 0)
    return lanes, count


def stages_of(prog: Fun, mapping: LiftMapping, sizes: Mapping[str, int] | None) -> tuple[Stage, ...] | None:
    """The kernels of ``prog`` for ``mapping``; ``None`` when it is one kernel (no cut, no whole-array reduction
    in the mapping)."""
    if not mapping.cuts and runs_in_one_work_item(mapping):
        return None  # the whole program in one work-item: one kernel
    structure = _structure(prog, tuple(sorted((sizes or {}).items())))
    unknown = [c for c in mapping.cuts if c not in structure.roots.cut_points]
    if unknown:
        offered = ", ".join(structure.roots.cut_points) or "nowhere"
        raise MAPPING_NAMES_EVERY_MAP.refuse(
            f"{prog.name}: the mapping cuts after {', '.join(unknown)}, where the program offers no cut; it may be "
            f"cut after {offered} (lift.mappings(prog, sizes).structure.roots.cut_points)"
        )
    reductions = {r.label for r in structure.roots.reductions}
    if not mapping.cuts and not (reductions & set(mapping.levels)):
        return None
    return _Cutter(structure.program, mapping, structure.roots.roots, sizes).run()


@functools.lru_cache(maxsize=64)
def _structure(prog: Fun, sizes: tuple[tuple[str, int], ...]) -> ProgramStructure:
    """The program's structure (its roots): the mapping model asks for the stages of every candidate mapping of one
    program, so it is analysed once. Its nodes are those the stages are cut from (the same typed program)."""
    return structure_of(prog, dict(sizes) or None)


def cuts_of_hand_lowered(prog: Fun, sizes: Mapping[str, int] | None, device: object = None) -> LiftMapping | None:
    """For a program written at the low level: its own levels and spaces with the fewest cuts that make it valid
    (the model decides each candidate, as for its own mappings); ``None`` when it offers no cut, or when no set
    of cuts makes it valid (then it compiles as one kernel, whose errors say why)."""
    from itertools import combinations

    from lift.solve.lowered import choices_of
    from lift.solve.model import MappingSpace

    points = _structure(prog, tuple(sorted((sizes or {}).items()))).roots.cut_points
    if not points:
        return None
    choices = choices_of(prog)
    levels = {k: v for k, v in choices.items() if not k.startswith("space:")}
    spaces = {k[len("space:") :]: v for k, v in choices.items() if k.startswith("space:")}
    space = MappingSpace(prog, sizes, device, heuristics=False)
    for count in range(1, len(points) + 1):
        for cuts in combinations(points, count):
            chosen = {**choices, **{f"cut:{c}": "yes" for c in cuts}}
            mapping = LiftMapping(levels, spaces, cuts)
            if not space.violations(chosen) and space.verdict(mapping) is None:
                return mapping
    return None


class _Cutter:
    """Rebuilds the program's body root by root (program order), emitting a stage at each cut."""

    def __init__(self, named: Fun, mapping: LiftMapping, roots: tuple[Root, ...], sizes: Mapping[str, int] | None):
        self.mapping = mapping
        self.sizes = sizes
        self.typed = named.typed.program
        # the roots were found on the typed program: the same nodes as ``self.typed``'s (it is cached)
        self.roots = {id(r.call): r for r in roots}
        self.name = named.name
        self.types: dict[str, DataType] = dict(zip((p.name for p in named.params), named.param_types))
        """The type of each parameter a stage may take: the program's, then the temporaries'."""
        self.order = [p.name for p in named.params]
        self.types_given = set(self.order)
        self.stages: list[Stage] = []
        self.taken = names_in(named)

        self.one_work_item = False
        """Whether the stage being built holds a reduction run in one work-item."""

    def run(self) -> tuple[Stage, ...]:
        if not self.roots:
            raise LiftInternalError(f"{self.name}: the program's roots are not nodes of its typed program")
        body = self.rebuild(self.typed.body)
        self.emit(body, "result", final=True)
        return tuple(self.stages)

    def level(self, r: Root) -> str:
        return self.mapping.levels.get(r.label, "seq")

    def rebuild(self, e: Expr) -> Expr:
        if not isinstance(e, FunCall):
            return e
        r = self.roots.get(id(e))
        if r is not None and r.reduction is not None:
            value = self.reduction(e, r)
        else:
            args = tuple(self.rebuild(a) for a in e.args)
            value = FunCall(e.f, args)
        if r is None:
            return value
        if r.reduction is not None and self.level(r) != PARALLEL_REDUCTION:
            self.one_work_item = True
        if r.label in self.mapping.cuts:
            return self.emit(value, r.label)
        return value

    def reduction(self, e: FunCall, r: Root) -> Expr:
        red = r.reduction
        assert red is not None
        arg = e.args[0]
        element: FunDecl | None = None
        if r.producer is not None and self.mapping.levels.get(r.producer) == "fuse":
            assert isinstance(arg, FunCall)
            m = computing_map(uncopied(arg.f))
            assert m is not None
            element = m.f
            data = self.rebuild(arg.args[0])
        else:
            data = self.rebuild(arg)
        fold_in = fold(red.f, element, self.taken)
        if self.level(r) != PARALLEL_REDUCTION:
            return FunCall(Reduce(fold_in, red.init, True), (data,))
        n = r.extent
        if not isinstance(n, Cst):
            raise LiftInternalError(f"{r.label}: a two-stage reduction needs a constant length, found {n}")
        threads, groups = reduction_shape(n.value)
        parts = work_group_parts(
            data,
            n=n.value,
            groups=groups,
            threads=threads,
            fold_in=fold_in,
            combine=red.f,
            init=red.init,
            name=f"{r.label}_parts",
        )
        if groups == 1:
            return parts
        partial = self.emit(parts, f"{r.label}.parts", output=f"{r.label}_parts")
        lanes = threads_for(groups)
        return work_group_parts(
            partial,
            n=groups,
            groups=1,
            threads=lanes,
            fold_in=red.f,
            combine=red.f,
            init=red.init,
            name=f"{r.label}_final",
        )

    def emit(self, value: Expr, completes: str, *, output: str | None = None, final: bool = False) -> Expr:
        """A stage computing ``value``; returns the parameter later stages read its result through."""
        used = {p.name for p in walk(value) if isinstance(p, Param)}
        # a program of one kernel takes every parameter of the program (as it is called); otherwise each kernel
        # takes what it reads
        alone = final and not self.stages
        params = tuple(Param(name) for name in self.order if name in used or (alone and name in self.types_given))
        name = self.name if final else f"{self.name}_{completes.replace('.', '_')}"
        stage = Fun(params, value, name, tuple(self.types[p.name] for p in params))
        result = stage.type.result
        out = None if final else fresh_name(output or f"{completes}_out", self.taken)
        self.stages.append(Stage(stage, self.lowered(stage, self.one_work_item), completes, out))
        self.one_work_item = False
        if out is None:
            return value
        self.taken.add(out)
        self.types[out] = result
        self.order.append(out)
        return Param(out)

    def lowered(self, stage: Fun, single: bool) -> Fun:
        if single:
            return lower(stage, single_thread=True, sizes=self.sizes)
        labels = {label for _, label in map_labels(stage)}
        levels = {
            label: level
            for label, level in self.mapping.levels.items()
            if label in labels or label.rsplit("_reduce", 1)[0] in labels  # a map's, or a reduction's inside it
        }
        levels |= {label: str(m.at) for m, label in map_labels(stage) if m.level}
        spaces = {label: sp for label, sp in self.mapping.spaces.items() if label in labels}
        return lower(stage, LiftMapping(levels, spaces), sizes=self.sizes)
