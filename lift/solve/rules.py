"""The mapping model's constraints: named rules, each with a sentence a user can read.

Every rule is written once, over *codes* (one integer a map, its ``Level.code`` from :mod:`lift.dsl.levels`:
``0`` seq, ``1`` fuse, ``10+d`` lcl d, ``20+d`` wrg d, ``30+d`` glb d; one an intermediate, its
``AddressSpace.code``: ``0`` global, ``1`` local, ``2`` private), with connectives that build a Z3 formula
when given Z3 variables and a plain ``bool`` when given Python integers. So each rule has both forms — the
formula the solver works on, and an evaluator on concrete choices — and tests check that they agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import z3

from lift.dsl.levels import ALL_LEVELS, AddressSpace, Level, LevelKind
from lift.errors import MappingError
from lift.solve.device import DeviceDescription
from lift.solve.kernels import Roots, cut_key, level_key
from lift.solve.structure import ProgramStructure
from lift.types.arith import Cst
from lift.types.smt import z3_session

__all__ = ["CODES", "KERNEL_RULES", "SPACE_CODES", "KernelRule", "Levels", "Rule", "rules_for"]

CODES: dict[str, int] = {str(level): level.code for level in sorted(ALL_LEVELS, key=lambda level: level.code)}
"""Level choice → code (:attr:`Level.code <lift.dsl.levels.Level.code>`), by increasing code."""
SPACE_CODES: dict[str, int] = {space.value: space.code for space in AddressSpace}
"""Address space → code (:attr:`AddressSpace.code <lift.dsl.levels.AddressSpace.code>`)."""
PARALLEL: list[Level] = [level for level in sorted(ALL_LEVELS, key=lambda level: level.code) if level.is_parallel]
"""The parallel levels, by increasing code (lcl, wrg, glb)."""

SEQ = Level("seq").code
FUSE = Level("fuse").code
GLOBAL = AddressSpace.GLOBAL.code
LOCAL = AddressSpace.LOCAL.code
PRIVATE = AddressSpace.PRIVATE.code
_FIRST_PARALLEL = min(level.code for level in PARALLEL)
_LAST_SEQUENTIAL = max(SEQ, FUSE)
assert _LAST_SEQUENTIAL < _FIRST_PARALLEL  # is_par and is_seq_or_fuse split the codes into two ranges

Formula = Any  # z3.BoolRef, or bool when evaluated on concrete codes


def AND(*xs: Formula) -> Formula:
    return all(xs) if all(isinstance(x, bool) for x in xs) else z3.And(*xs)


def OR(*xs: Formula) -> Formula:
    return any(xs) if all(isinstance(x, bool) for x in xs) else z3.Or(*xs)


def NOT(x: Formula) -> Formula:
    return (not x) if isinstance(x, bool) else z3.Not(x)


def IMPLIES(a: Formula, b: Formula) -> Formula:
    return OR(NOT(a), b)


def IF(c: Formula, a: Any, b: Any) -> Any:
    return (a if c else b) if isinstance(c, bool) else z3.If(c, a, b)


@cache  # the rules ask for the same few codes many times over when evaluated on concrete choices
def code(kind: LevelKind, dim: int = 0) -> int:
    """The code of ``Level(kind, dim)``."""
    return Level(kind, dim).code


def is_kind(c: Any, kind: LevelKind) -> Formula:
    """The code ``c`` is a level of ``kind`` (in some dimension): the codes of a kind are consecutive."""
    return AND(c >= code(kind, 0), c <= code(kind, 2))


def is_lcl(c: Any) -> Formula:
    return is_kind(c, "lcl")


def is_wrg(c: Any) -> Formula:
    return is_kind(c, "wrg")


def is_glb(c: Any) -> Formula:
    return is_kind(c, "glb")


def is_par(c: Any) -> Formula:
    return c >= _FIRST_PARALLEL


def is_seq_or_fuse(c: Any) -> Formula:
    return c <= _LAST_SEQUENTIAL


class Levels(Mapping[str, Any]):
    """The level codes of the maps, by label (Z3 variables or integers), with the formula "some map uses this
    code" built once per code: it recurs in a rule per nest and per intermediate, and rebuilding it each time
    made the model of a 200-map pipeline take minutes to state."""

    def __init__(self, codes: Mapping[str, Any]) -> None:
        self._codes = dict(codes)
        self._used: dict[int, Formula] = {}  # a memo of derived formulas, never changed once built

    def __getitem__(self, label: str) -> Any:
        return self._codes[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def used(self, code: int) -> Formula:
        """Some map has level ``code``."""
        if code not in self._used:
            self._used[code] = OR(*[c == code for c in self._codes.values()], False)
        return self._used[code]


def as_levels(codes: Mapping[str, Any]) -> Levels:
    return codes if isinstance(codes, Levels) else Levels(codes)


@dataclass(frozen=True)
class Rule:
    """One named constraint."""

    name: str
    """A unique name, e.g. ``nested-parallel-dims:map0>map1``."""
    sentence: str
    """What it says, in plain words."""
    build: Callable[..., Formula] = lambda lv, sp: True
    """The constraint over level codes and space codes (Z3 variables or integers)."""
    heuristic: bool = False
    """True for Lift's search heuristics (which prune valid mappings rather than invalid ones)."""

    def formula(self, levels: Mapping[str, z3.ArithRef], spaces: Mapping[str, z3.ArithRef]) -> z3.BoolRef:
        """The rule as a Z3 formula (pass one :class:`Levels` to many rules to share their common terms)."""
        with z3_session():
            f = self.build(as_levels(levels), spaces)
            return z3.BoolVal(f) if isinstance(f, bool) else f

    def holds(self, levels: Mapping[str, int], spaces: Mapping[str, int]) -> bool:
        """The rule evaluated on concrete codes."""
        return bool(self.build(as_levels(levels), spaces))


def rules_for(s: ProgramStructure, device: DeviceDescription, *, heuristics: bool = True) -> list[Rule]:
    """Every rule for the program's structure and the device."""
    out: list[Rule] = []
    by = s.by_label

    for k, what in enumerate(s.unmappable):
        out.append(
            Rule(
                f"top-level-computation:{k}",
                f"{what} is computed outside every map, so every thread would compute it; put it inside a map",
                lambda lv, sp: False,
            )
        )
    kernels = _KernelGroups(s)
    out.append(
        Rule(
            "no-glb-with-wrg-lcl",
            "map_glb cannot be mixed with map_wrg or map_lcl in one kernel (their thread ids would collide)",
            kernels.no_glb_with_wrg_lcl,
        )
    )
    out.extend(cut_rules(s))
    fusible = s.roots.fused_producers()
    for m in s.maps:
        ancestors = s.ancestors(m.label)
        for a in ancestors:
            out.append(
                Rule(
                    f"nested-parallel-dims:{a}>{m.label}",
                    f"{m.label} is nested in {a}, so when both are parallel they must differ in level or dimension",
                    lambda lv, sp, a=a, m=m.label: IMPLIES(AND(is_par(lv[a]), is_par(lv[m])), lv[a] != lv[m]),
                )
            )
            out.append(
                Rule(
                    f"no-wrg-inside-lcl:{a}>{m.label}",
                    f"{m.label} cannot be a map_wrg inside {a} as a map_lcl of the same dimension",
                    lambda lv, sp, a=a, m=m.label: NOT(
                        AND(is_lcl(lv[a]), is_wrg(lv[m]), lv[m] - (code("wrg") - code("lcl")) == lv[a])
                    ),
                )
            )
        if m.parent is None:
            into = fusible.get(m.label)
            out.append(
                Rule(
                    f"top-level-parallel:{m.label}",
                    f"{m.label} is outside every other map, so it must run on map_glb or map_wrg (as a sequential or "
                    "local map every thread would run all of it)"
                    + (f", or be fused into {into}, which reads nothing else" if into else ""),
                    lambda lv, sp, m=m.label, into=into: OR(is_glb(lv[m]), is_wrg(lv[m]), bool(into) and lv[m] == FUSE),
                )
            )
        if m.label in fusible:
            pass  # it may be fused into the reduction that reads it: the rule on that fusion says when
        elif m.perfect_parent is None:
            out.append(
                Rule(
                    f"fuse-needs-perfect-nesting:{m.label}",
                    f"{m.label} is not the whole function of an enclosing map, so it cannot be fused into one",
                    lambda lv, sp, m=m.label: lv[m] != FUSE,
                )
            )
        else:
            p = m.perfect_parent
            out.append(
                Rule(
                    f"fuse-once:{p}>{m.label}",
                    f"{m.label} can be fused into {p} only if {p} is not itself fused",
                    lambda lv, sp, p=p, m=m.label: IMPLIES(lv[m] == FUSE, lv[p] != FUSE),
                )
            )
            if heuristics:
                out.append(
                    Rule(
                        f"nested-sequential-maps-fuse:{p}>{m.label}",
                        f"{p} and {m.label} are perfectly nested: they are not both sequential (fuse one into the other)",
                        lambda lv, sp, p=p, m=m.label: NOT(AND(lv[p] == SEQ, lv[m] == SEQ)),
                        heuristic=True,
                    )
                )
    reductions = {r.label for r in s.roots.nested}
    # a map fused into a reduction inside a map runs where the reduction's threads read: at the reduction's level
    fused_into = {r.producer: r.label for r in s.roots.nested if r.producer is not None}

    def at(lv: Mapping[str, Any], m: str) -> Any:
        """The level the map ``m`` runs at, in a nest."""
        return IF(lv[m] == FUSE, lv[fused_into[m]], lv[m]) if m in fused_into else lv[m]

    for chain in s.chains:
        shown = " > ".join(chain)
        # a nest ending at a reduction inside a map is a nest of its own only when the reduction is shared by
        # threads; run in each thread, it is part of its map's work
        # (a map whose only nest it is keeps it, as the nest of that map's work)
        shared = chain[-1] in reductions and any(o != chain and o[: len(chain) - 1] == chain[:-1] for o in s.chains)
        nest = (lambda lv, c=chain: is_par(lv[c[-1]])) if shared else (lambda lv: True)
        for d in range(3):
            out.append(
                Rule(
                    f"wrg-with-lcl:{shown}:{d}",
                    f"in the nest {shown}, a map_wrg in dimension {d} needs a map_lcl in dimension {d}, and the other way round",
                    lambda lv, sp, c=chain, d=d, nest=nest: IMPLIES(
                        nest(lv),
                        OR(*[at(lv, m) == code("wrg", d) for m in c], False)
                        == OR(*[at(lv, m) == code("lcl", d) for m in c], False),
                    ),
                )
            )
        for level in PARALLEL:
            out.append(
                Rule(
                    f"same-dims-in-every-nest:{shown}:{level}",
                    f"every nest of maps uses the same parallel levels: {level} is used, so the nest {shown} uses it too",
                    lambda lv, sp, c=chain, k=level.code, nest=nest: IMPLIES(
                        AND(nest(lv), kernels.used_with(lv, sp, c[0], k)), OR(*[at(lv, m) == k for m in c], False)
                    ),
                )
            )
            alike = [m for other in s.chains if len(other) == len(chain) for m in other]
            if heuristics and kernels.split and len(alike) > len(chain):
                # each kernel may choose its levels alone, which multiplies the space by every kernel's choices;
                # Lift's rule across the nests of one depth keeps it near one kernel's, while a shallower nest
                # (a row's statistics between two passes over the rows' elements) may use fewer levels
                out.append(
                    Rule(
                        f"same-dims-across-kernels:{shown}:{level}",
                        f"nests of one depth use the same parallel levels in every kernel: {level} is used in a nest "
                        f"as deep as {shown}, so {shown} uses it too",
                        lambda lv, sp, c=chain, k=level.code, alike=tuple(alike): IMPLIES(
                            OR(*[at(lv, m) == k for m in alike], False), OR(*[at(lv, m) == k for m in c], False)
                        ),
                        heuristic=True,
                    )
                )
    local_arrays: list[LocalArray] = []
    for m in s.maps:
        if not m.intermediate:
            continue
        readers = [c for c in m.consumers if c is not None]
        ancestors = s.ancestors(m.label)
        # every part of a private array must be written and read by the same thread. The backend decides that
        # exactly on the index expressions (a parallel writer and reader that agree on every element, as in
        # Lift's privateGlobalMemory tests, are fine); the structural form below is a search heuristic that
        # keeps the space small: nothing nested in the writer or its readers spreads the work over threads
        if heuristics:
            involved = list(
                dict.fromkeys(
                    [m.label, *s.descendants(m.label), *readers, *[d for r in readers for d in s.descendants(r)]]
                )
            )
            out.append(
                Rule(
                    f"private-is-one-thread:{m.label}",
                    f"the output of {m.label} can be private only if one thread writes and reads all of it: "
                    f"{', '.join(involved)} (its writers and readers, with the maps nested in them) must be sequential",
                    lambda lv, sp, m=m.label, r=tuple(involved): IMPLIES(
                        sp[m] == PRIVATE, AND(*[is_seq_or_fuse(lv[x]) for x in r])
                    ),
                    heuristic=True,
                )
            )
        # (that neither the writer nor a reader of local memory is a map_wrg or map_glb follows from the next
        # rule with nested-parallel-dims and no-glb-with-wrg-lcl, so it is not stated again)
        out.append(
            Rule(
                f"local-inside-map-wrg:{m.label}",
                f"local memory for {m.label} exists only inside a work-group: {m.label} must sit inside a map_wrg of "
                "every work-group dimension in use",
                lambda lv, sp, m=m.label, anc=tuple(ancestors): IMPLIES(
                    sp[m] == LOCAL,
                    AND(
                        OR(*[is_wrg(lv[a]) for a in anc], False),
                        *[
                            IMPLIES(lv.used(code("wrg", d)), OR(*[lv[a] == code("wrg", d) for a in anc], False))
                            for d in range(3)
                        ],
                    ),
                ),
            )
        )
        if not isinstance(m.elements, Cst):
            out.append(
                Rule(
                    f"constant-size-for-local-private:{m.label}",
                    f"the output of {m.label} has {m.elements} elements, not a constant: it can only be global "
                    "(pass sizes= to allow local or private memory)",
                    lambda lv, sp, m=m.label: sp[m] == GLOBAL,
                )
            )
            continue
        n = m.elements.value
        # the parallel maps computing a private intermediate spread it over threads: each keeps its own part
        spreading = tuple(
            (d, e.value) for d in (m.label, *s.descendants(m.label)) if isinstance(e := by[d].extent, Cst)
        )
        out.append(
            Rule(
                f"private-memory-fits:{m.label}",
                f"the output of {m.label} has {n} elements and the parallel maps computing it do not spread it "
                f"over threads enough: a thread keeps at most {device.max_private_elements} in private memory",
                lambda lv, sp, m=m.label, n=n, spreading=spreading: IMPLIES(
                    sp[m] == PRIVATE, n <= device.max_private_elements * _spread(lv, spreading)
                ),
            )
        )
        copies = tuple((a, e.value) for a in ancestors if isinstance(e := by[a].extent, Cst))
        assert isinstance(m.bytes, Cst)  # constant with the element count: the same sizes
        local_arrays.append(LocalArray(m.label, m.bytes.value, copies))
    if local_arrays:
        out.append(
            Rule(
                "local-memory-fits",
                f"the local memory used must fit the device's {device.local_mem_size} bytes ({device.name})",
                lambda lv, sp: sum((a.bytes(lv, sp) for a in local_arrays), start=0) <= device.local_mem_size,
            )
        )
    return out


# ---- kernels: cuts, whole-array reductions, and the rules that hold within one kernel ------------------------------
def cut_after(sp: Mapping[str, Any], roots: Roots, label: str) -> Formula:
    """The program is cut after the root ``label`` (``False`` where no cut is offered)."""
    return sp[cut_key(label)] == 1 if label in roots.cut_points else False


class _KernelGroups:
    """Which maps run in one kernel: those of the roots between two cuts (a map under no root, inside a lambda
    applied at the top level, is counted with every root). Without cut points, every map."""

    def __init__(self, s: ProgramStructure) -> None:
        self.roots = s.roots
        in_root = {r.label: [r.label, *s.descendants(r.label)] for r in s.roots.roots if r.reduction is None}
        covered = {m for labels in in_root.values() for m in labels}
        loose = [m.label for m in s.maps if m.label not in covered]
        self.groups: list[tuple[int, tuple[str, ...]]] = [
            (k, (*in_root[r.label], *loose)) for k, r in enumerate(s.roots.roots) if r.label in in_root
        ]
        self.position = {m: k for k, labels in self.groups for m in labels}
        self.labels = tuple(m.label for m in s.maps)
        self.split = bool(s.roots.cut_points)

    def same_kernel(self, sp: Mapping[str, Any], i: int, j: int) -> Formula:
        """The roots at positions ``i`` and ``j`` run in one kernel: no cut between them."""
        i, j = min(i, j), max(i, j)
        return AND(*[NOT(cut_after(sp, self.roots, r.label)) for r in self.roots.roots[i:j]], True)

    def no_glb_with_wrg_lcl(self, lv: Mapping[str, Any], sp: Mapping[str, Any]) -> Formula:
        def glb(labels: tuple[str, ...]) -> Formula:
            return OR(*[is_glb(lv[m]) for m in labels], False)

        def wrg_lcl(labels: tuple[str, ...]) -> Formula:
            return OR(*[OR(is_wrg(lv[m]), is_lcl(lv[m])) for m in labels], False)

        if not self.split:
            return NOT(AND(glb(self.labels), wrg_lcl(self.labels)))
        return AND(
            *[
                IMPLIES(self.same_kernel(sp, i, j), NOT(OR(AND(glb(a), wrg_lcl(b)), AND(glb(b), wrg_lcl(a)))))
                for n, (i, a) in enumerate(self.groups)
                for j, b in self.groups[n:]
            ],
            True,
        )

    def used_with(self, lv: Levels, sp: Mapping[str, Any], label: str, k: int) -> Formula:
        """Some map in the kernel of the map ``label`` has level code ``k``."""
        if not self.split or label not in self.position:
            return lv.used(k)
        i = self.position[label]
        return OR(
            *[AND(self.same_kernel(sp, i, j), OR(*[lv[m] == k for m in labels], False)) for j, labels in self.groups],
            False,
        )


def cut_rules(s: ProgramStructure) -> list[Rule]:
    """The rules on cuts and reductions (:mod:`lift.solve.kernels`)."""
    roots = s.roots
    by = s.by_label
    out: list[Rule] = []
    for r in roots.nested:
        parent = r.parent
        assert parent is not None
        out.append(
            Rule(
                f"work-group-reduction:{r.label}",
                f"{r.label} reduces inside {parent}: it runs sequentially in each thread, or the threads of "
                f"{parent}'s work-group share it (map_lcl in the dimension of {parent}'s map_wrg)",
                lambda lv, sp, r=r.label, p=parent: OR(
                    lv[r] == SEQ, *[AND(lv[r] == code("lcl", d), lv[p] == code("wrg", d)) for d in range(3)]
                ),
            )
        )
        if r.serial_reason is not None:
            out.append(
                Rule(
                    f"parallel-reduction:{r.label}",
                    f"{r.serial_reason}: it runs in one thread",
                    lambda lv, sp, r=r.label: lv[r] == SEQ,
                )
            )
        if r.producer is not None:
            inside = tuple(s.descendants(r.producer))
            out.append(
                Rule(
                    f"fused-into-reduction:{r.producer}>{r.label}",
                    f"{r.producer} fused into {r.label} computes each element where {r.label} reads it: nothing "
                    f"stored, and the maps inside {r.producer} ({', '.join(inside) or 'none'}) sequential",
                    lambda lv, sp, p=r.producer, inside=inside: IMPLIES(
                        lv[p] == FUSE,
                        AND(
                            sp[p] == GLOBAL if p in by and by[p].intermediate else True,
                            *[is_seq_or_fuse(lv[d]) for d in inside],
                        ),
                    ),
                )
            )
    for label in roots.cut_points:
        if label in by and by[label].intermediate:
            out.append(
                Rule(
                    f"cut-writes-global:{label}",
                    f"the program is cut after {label} only if {label}'s output is in global memory (the next kernel "
                    "reads it there)",
                    lambda lv, sp, m=label: IMPLIES(cut_after(sp, roots, m), sp[m] == GLOBAL),
                )
            )
    for r in roots.reductions:
        key = level_key(r.label)
        if r.serial_reason is not None:
            out.append(
                Rule(
                    f"parallel-reduction:{r.label}",
                    f"{r.serial_reason}: it runs in one work-item",
                    lambda lv, sp, key=key: sp[key] == SEQ,
                )
            )
        before = roots.before(r.label)
        producer = r.producer
        if producer is not None and before is not None and before.label == producer:
            earlier = roots.before(producer)
            inside = tuple(s.descendants(producer))
            out.append(
                Rule(
                    f"fused-into-reduction:{producer}>{r.label}",
                    f"{producer} fused into {r.label} computes each element where {r.label} reads it: no cut between "
                    f"them, nothing stored, and the maps inside {producer} ({', '.join(inside) or 'none'}) sequential",
                    lambda lv, sp, p=producer, inside=inside: IMPLIES(
                        lv[p] == FUSE,
                        AND(
                            NOT(cut_after(sp, roots, p)),
                            sp[p] == GLOBAL if p in by and by[p].intermediate else True,
                            *[is_seq_or_fuse(lv[d]) for d in inside],
                        ),
                    ),
                )
            )
            cut_before: Any = lambda lv, sp, p=producer, e=earlier: IF(  # noqa: E731
                lv[p] == FUSE, cut_after(sp, roots, e.label) if e is not None else True, cut_after(sp, roots, p)
            )
        else:
            cut_before = lambda lv, sp, b=before: cut_after(sp, roots, b.label) if b is not None else True  # noqa: E731
        after = roots.after(r.label)
        out.append(
            Rule(
                f"reduction-in-kernels-of-its-own:{r.label}",
                f"{r.label} reduces a whole array outside every map: work-groups cannot wait for each other, so it "
                "runs in kernels of its own — the program is cut before it (after what it reads, unless that is "
                "fused into it) and after it",
                lambda lv, sp, before=cut_before, r=r.label, after=after: AND(
                    before(lv, sp), cut_after(sp, roots, r) if after is not None else True
                ),
            )
        )
    return out


def _spread(lv: Mapping[str, Any], maps: tuple[tuple[str, int], ...]) -> Any:
    """Over how many threads the maps ``(label, extent)`` spread their iterations: the product of the extents of
    those mapped to a parallel level (each thread runs one iteration of each)."""
    product: Any = 1
    for label, extent in maps:
        product = product * IF(is_par(lv[label]), extent, 1)
    return product


@dataclass(frozen=True)
class LocalArray:
    """The local memory an intermediate takes if it is placed there: one copy per work-group, times the local
    threads that each compute one (every enclosing map that is a ``map_lcl``)."""

    label: str
    """The map whose output it is."""
    bytes_per_copy: int
    """The size of one copy."""
    copies: tuple[tuple[str, int], ...]
    """The enclosing maps, with their trip counts: a ``map_lcl`` among them multiplies the copies."""

    def bytes(self, lv: Mapping[str, Any], sp: Mapping[str, Any]) -> Any:
        total: Any = self.bytes_per_copy
        for label, extent in self.copies:
            total = IF(is_lcl(lv[label]), total * extent, total)
        return IF(sp[self.label] == LOCAL, total, 0)


# ---- rules the backend decides on a candidate's kernel ------------------------------------------------------
@dataclass(frozen=True)
class KernelRule:
    """A rule decided on the kernel of one candidate mapping (on its index expressions, or on what only the
    generated kernel shows), by the backend the model is given (:mod:`lift.solve.backend`). The backend raises
    it by reference (``raise NO_WRITE_WRITE_RACE.refuse(message, labels=…)``), so every refusal names its rule,
    and ``lift.explain`` reports it with the others."""

    name: str
    """A unique name, e.g. ``no-write-write-race``."""
    sentence: str
    """What it says, in plain words."""

    def refuse(
        self, message: str, *, labels: frozenset[str] = frozenset(), uses: frozenset[str] = frozenset()
    ) -> MappingError:
        """The error refusing a mapping under this rule: ``message`` says where, in the program's words (map
        labels, "the output of map1"); ``labels`` and ``uses`` say which choices decide it (see
        :class:`~lift.errors.MappingError`)."""
        return MappingError(message, rule=self.name, labels=labels, uses=uses)


NO_SYNC_BETWEEN_WORK_GROUPS = KernelRule(
    "no-sync-between-work-groups",
    "work-groups cannot synchronise within a kernel: an element one thread writes is read or written by threads "
    "of its own work-group only",
)
BARRIER_REACHED_BY_ALL_THREADS = KernelRule(
    "barrier-reached-by-all-threads",
    "every thread of a work-group reaches each barrier: none sits in a loop whose trip count differs between threads",
)
NO_WRITE_WRITE_RACE = KernelRule(
    "no-write-write-race", "each element of global or local memory is written by one thread of the launch"
)
PRIVATE_READ_BY_ITS_WRITER = KernelRule(
    "private-is-one-thread", "an element of private memory is read only by the thread that wrote it"
)
WRITTEN_INSIDE_PARALLEL_MAPS = KernelRule(
    "written-inside-parallel-maps",
    "global and local memory are written inside a parallel map: outside every one, each thread would write it",
)
LOCAL_INSIDE_WORK_GROUPS = KernelRule(
    "local-inside-map-wrg", "local memory is written inside a map_wrg: it exists only within a work-group"
)
CONSTANT_SIZE_LOCAL_PRIVATE = KernelRule(
    "constant-size-for-local-private", "local and private arrays have a constant number of elements"
)
PARALLEL_OUTSIDE_SEQUENTIAL = KernelRule(
    "top-level-parallel", "a sequential map runs inside a parallel one: outside every one each thread would run it"
)
LEVELS_GO_TOGETHER = KernelRule(
    "levels-go-together",
    "a kernel uses map_glb, or map_wrg with map_lcl of the same dimensions: thread ids of both kinds would collide",
)
NDRANGE_DIMENSIONS = KernelRule("ndrange-dimensions", "parallel maps use NDRange dimensions 0, 1 and 2")
MAPPING_NAMES_EVERY_MAP = KernelRule(
    "mapping-names-every-map", "a mapping gives a level to every computing map of the program and names no other"
)
FUSE_APPLIED_MAP_ONLY = KernelRule(
    "fuse-applied-map-only", "a fused map is the whole function of a computing map (map(map(g)))"
)
FUSE_ONCE = KernelRule("fuse-once", "a map fused into an enclosing map is not fused into it twice")
BACKEND_SUPPORT = KernelRule(
    "backend-support", "the OpenCL backend can generate the program's combinators at the levels chosen"
)

KERNEL_RULES: tuple[KernelRule, ...] = (
    NO_SYNC_BETWEEN_WORK_GROUPS,
    BARRIER_REACHED_BY_ALL_THREADS,
    NO_WRITE_WRITE_RACE,
    PRIVATE_READ_BY_ITS_WRITER,
    WRITTEN_INSIDE_PARALLEL_MAPS,
    LOCAL_INSIDE_WORK_GROUPS,
    CONSTANT_SIZE_LOCAL_PRIVATE,
    PARALLEL_OUTSIDE_SEQUENTIAL,
    LEVELS_GO_TOGETHER,
    NDRANGE_DIMENSIONS,
    MAPPING_NAMES_EVERY_MAP,
    FUSE_APPLIED_MAP_ONLY,
    FUSE_ONCE,
    BACKEND_SUPPORT,
)
"""Every rule a backend decides on a candidate's kernel, by name once each."""
