"""The mapping space of a program: every valid choice of thread levels and address spaces, found with Z3.

Structural rules (Lift's rules 1–7, address-space legality, device limits; ``lift.solve.rules``) are Z3
assertions over one integer a map and one an intermediate. What depends on the index expressions — a barrier
that would need work-groups to synchronise, a barrier some threads would not reach, two threads writing one
element — is decided by Z3 on those expressions by the backend (:mod:`lift.solve.backend`), for each candidate the
solver proposes; a failing candidate is excluded together with every mapping that makes the same choices for
the maps involved (a lemma, as in lazy SMT), so enumeration yields valid mappings only, each once.

Every query runs inside the process-wide Z3 session (``lift.types.smt.z3_session``: threads take turns at Z3)
and under time limits: each solver call has the solver limit, and each operation (``count()``, ``best()``,
``explain()``, a tuning space) a deadline; past either, :class:`~lift.errors.LiftTimeoutError` names the query and
how to narrow it. The lock is never held while a generator is suspended: enumeration takes it step by step.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import z3

from lift.dsl.bind import check_sizes
from lift.dsl.ir import Fun
from lift.dsl.levels import ALL_LEVELS, AddressSpace, Level
from lift.errors import LiftError, LiftLimitError, LiftTypeError, MappingError
from lift.solve.backend import Backend, default_backend
from lift.solve.device import describe
from lift.solve.kernels import PARALLEL_REDUCTION, cut_key, level_key
from lift.solve.mapping import Mapping as LiftMapping
from lift.solve.mapping import check_choices
from lift.solve.rules import CODES, SPACE_CODES, Levels, Rule, rules_for
from lift.solve.structure import ProgramStructure, structure_of
from lift.types.arith import Cst
from lift.types.smt import Deadline, check, z3_session

__all__ = ["Explanation", "MappingSpace", "TuningSpace", "mappings"]

_LEVEL_OF = {level.code: str(level) for level in ALL_LEVELS}
_SPACE_OF = {space.code: space.value for space in AddressSpace}
MAX_ENUMERATION = 20_000
"""Enumeration stops (with a :class:`~lift.errors.LiftLimitError`) beyond this many candidates."""

MAX_PARALLEL_PER_NEST = 6
"""Three work-group and three local dimensions (or three global ones) at most along one nest of maps."""

# How to narrow each query when it runs out of time.
_NARROW_SPACE = (
    "fix some choices (lift.explain(prog, {'map0': 'glb0'}) says whether a partial mapping is possible; "
    "lift.compile(prog, mapping=...) takes a whole one), or bind the sizes (sizes={...})"
)
_NARROW_EXPLAIN = "fix more maps in the partial mapping, or bind the sizes (sizes={...})"
_NARROW_TUNING = "give the local sizes yourself (values={'ls0': ...}), or bind the sizes"

Objective = tuple[str, list[tuple[z3.BoolRef, int]]]
"""``("max" | "min", weighted conditions)``: a pseudo-Boolean sum to optimise."""


@dataclass(frozen=True)
class Explanation:
    """Why a choice is impossible: the violated rules by name, with their sentences."""

    rules: tuple[tuple[str, str], ...]
    """``(name, sentence)`` pairs."""

    def __bool__(self) -> bool:
        return bool(self.rules)

    def __iter__(self) -> Iterator[str]:
        return (sentence for _, sentence in self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.rules]

    def __str__(self) -> str:
        return "\n".join(f"- {name}: {sentence}" for name, sentence in self.rules) or "(possible)"


_HOW_TO_CHOOSE = "give a dict such as {'map1': 'lcl0', 'space:map0': 'local'} (map labels to levels)"


class MappingSpace:
    """Every valid mapping of a program on a device: ``count()``, iteration, ``sample(k, seed)``, ``best()``,
    ``smtlib()``, ``tuning(m)`` and ``explain(choices)``."""

    def __init__(
        self,
        prog: Fun,
        sizes: Mapping[str, int] | None = None,
        device: Any = None,
        *,
        heuristics: bool = True,
        backend: Backend | None = None,
    ) -> None:
        if not isinstance(prog, Fun):
            raise LiftError(f"mappings: expected a program made with @fun, found {type(prog).__name__}")
        self.program = prog
        self.sizes = check_sizes(sizes, "mappings")  # positive 64-bit integers, or a LiftValueError
        self.device = describe(device)
        if backend is not None and not all(callable(getattr(backend, m, None)) for m in ("refusal", "barrier_count")):
            raise LiftTypeError(
                f"mappings: backend= must have the methods refusal and barrier_count (lift.solve.backend.Backend), "
                f"found {type(backend).__name__}; leave it out to use the OpenCL backend"
            )
        self.backend = backend if backend is not None else default_backend()
        self._root_position: dict[str, int] = {}
        """The position of the root holding each map and whole-array reduction (program order)."""
        """Decides the rules on index expressions for each candidate (:mod:`lift.solve.backend`)."""
        self.structure: ProgramStructure = structure_of(prog, self.sizes)
        self._nested = frozenset(r.label for r in self.structure.roots.nested)
        """The reductions inside maps (a level each; ``seq`` when a mapping leaves them out)."""
        self.rules: list[Rule] = rules_for(self.structure, self.device, heuristics=heuristics)
        for k, root in enumerate(self.structure.roots.roots):
            for label in [root.label, *(self.structure.descendants(root.label) if root.reduction is None else [])]:
                self._root_position[label] = k
        with z3_session():
            self.levels = {m.label: z3.Int(f"level_{m.label}") for m in self.structure.maps}
            self.spaces = {m.label: z3.Int(f"space_{m.label}") for m in self.structure.maps if m.intermediate}
            roots = self.structure.roots
            self.reductions = {r.label: z3.Int(f"level_{r.label}") for r in roots.reductions}
            """The level of each whole-array reduction: ``seq`` or ``wrg0`` (:mod:`lift.solve.kernels`)."""
            self.cuts = {label: z3.Int(f"cut_{label}") for label in roots.cut_points}
            """Whether the program is cut after each root that offers it (1: cut)."""
            shared = Levels(self.levels)  # the rules' common terms are built once
            self._formulas = tuple(r.formula(shared, self._other_choices()) for r in self.rules)
            self._domains = tuple(
                [z3.Or(*[v == c for c in CODES.values()]) for v in self.levels.values()]
                + [z3.Or(*[v == c for c in SPACE_CODES.values()]) for v in self.spaces.values()]
                + [z3.Or(v == CODES["seq"], v == CODES[PARALLEL_REDUCTION]) for v in self.reductions.values()]
                + [z3.Or(v == 0, v == 1) for v in self.cuts.values()]
            )
        # Caches of answers that never change; a race between threads can only compute one twice, the same
        # way (a verdict is a pure function of the mapping, assignment of a dict entry or a field is atomic).
        self._valid: list[LiftMapping] | None = None
        self._verdicts: dict[LiftMapping, MappingError | None] = {}
        self._valid_classes: set[LiftMapping] = set()  # the dimension-symmetry classes known valid
        self._answers: dict[Hashable, object] = {}  # the backend's answers, shared between candidates

    def _other_choices(self) -> dict[str, Any]:
        """The choices besides map levels, as the rules read them: spaces by label, cuts and reduction levels by
        their keys (:func:`~lift.solve.kernels.cut_key`, :func:`~lift.solve.kernels.level_key`)."""
        return {
            **self.spaces,
            **{cut_key(label): v for label, v in self.cuts.items()},
            **{level_key(label): v for label, v in self.reductions.items()},
        }

    def _variables(self) -> list[z3.ArithRef]:
        return [*self.levels.values(), *self.spaces.values(), *self.reductions.values(), *self.cuts.values()]

    # ---- the solver -----------------------------------------------------------------------------------
    def domains(self) -> list[z3.BoolRef]:
        """Each variable takes one of its codes."""
        return list(self._domains)

    def solver(self) -> z3.Solver:
        """A fresh solver holding the whole structural model."""
        with z3_session():
            s = z3.Solver()
            s.add(*self._domains, *self._formulas)
            return s

    def _deadline(self, query: str, hint: str = _NARROW_SPACE) -> Deadline:
        return Deadline.start(query, self.program.name, hint)

    def smtlib(self) -> str:
        """The structural model as SMT-LIB 2 (each rule preceded by its name and sentence as a comment)."""
        lines = [
            "; lift-ir mapping model of " + self.program.name,
            "; levels: 0 seq, 1 fuse, 10+d lcl d, 20+d wrg d, 30+d glb d; spaces: 0 global, 1 local, 2 private; "
            "cuts: 1 cut after that computation",
        ]
        with z3_session():
            for v in self._variables():
                lines.append(f"(declare-const {v} Int)")
            for f in self._domains:
                lines.append(f"(assert {f.sexpr()})")
            for r, f in zip(self.rules, self._formulas):
                lines.append(f"; {r.name}: {r.sentence}")
                lines.append(f"(assert {f.sexpr()})")
        lines.append("(check-sat)")
        return "\n".join(lines) + "\n"

    def _mapping(self, model: z3.ModelRef) -> LiftMapping:
        """The mapping a model gives (call inside the Z3 session)."""

        def value(v: z3.ArithRef) -> int:
            return model.eval(v, model_completion=True).as_long()

        levels = {m: _LEVEL_OF[value(v)] for m, v in [*self.levels.items(), *self.reductions.items()]}
        # a reduction inside a map that stays sequential is left out, as a space that stays global
        levels = {m: c for m, c in levels.items() if not (m in self._nested and c == "seq")}
        spaces = {m: _SPACE_OF[value(v)] for m, v in self.spaces.items()}
        cuts = [label for label, v in self.cuts.items() if value(v) == 1]
        return LiftMapping(levels, {m: sp for m, sp in spaces.items() if sp != "global"}, cuts)

    def _block(self, mapping: LiftMapping, refusal: MappingError | None = None) -> z3.BoolRef:
        """Exclude ``mapping``; for a refusal that names the maps deciding it (``MappingError.labels``), every
        mapping making the same choices for them (and for every address space, reduction and cut that can matter)
        and using each parallel level the refusal depends on (``MappingError.uses``). Call inside the Z3 session."""
        labels = refusal.labels if refusal is not None and refusal.labels else None
        uses = refusal.uses if refusal is not None else frozenset()
        if labels is not None and not uses <= self._levels_in_use(mapping):
            labels = None  # a level used by none of the program's own maps (a copy lowering adds): no lemma
        if labels is not None:
            labels = self._sites_of(labels)
            within = self._roots_of(labels) if self.cuts else None
            in_use = {mapping.levels.get(m, "seq") for m in self._spread() if within is None or m in within}
            if not uses <= in_use:
                labels = None  # the levels it depends on are not all in use there: no lemma beyond the mapping
        if labels is not None and not labels & set(self.levels):
            labels = None  # only maps a lowering adds (a copy's): no lemma beyond the mapping
        # a reduction inside a map decides how the maps around it are lowered: the level of each in the roots
        # involved is part of a lemma
        involved = self._roots_of(labels) if labels is not None else None
        keep = [
            m
            for m in self.levels
            if labels is None
            or m in labels
            or (m in self._nested and (involved is None or m in involved))
            or mapping.levels.get(m) == "fuse"
        ]
        terms = [self.levels[m] != CODES[mapping.levels.get(m, "seq")] for m in keep]
        terms += [self.spaces[m] != SPACE_CODES[mapping.spaces.get(m, "global")] for m in self.spaces]
        terms += [v != CODES[mapping.levels[label]] for label, v in self.reductions.items()]
        terms += [v != int(c in mapping.cuts) for c, v in self.cuts.items() if self._cut_decides(c, labels)]
        if labels is not None:
            # with cuts, a level in use elsewhere may be in another kernel: count the maps of the roots involved
            within = self._roots_of(labels) if self.cuts else None
            terms += [z3.Not(self._in_use(level, within)) for level in sorted(uses)]
        return z3.Or(*terms) if terms else z3.BoolVal(False)

    def _roots_of(self, labels: frozenset[str]) -> frozenset[str] | None:
        """The maps of the roots from the first to the last holding ``labels`` (``None``: not all are in roots)."""
        positions = [self._root_position[m] for m in labels if m in self._root_position]
        if len(positions) != len(labels):
            return None
        lo, hi = min(positions), max(positions)
        return frozenset(m for m, k in self._root_position.items() if lo <= k <= hi)

    def _sites_of(self, labels: frozenset[str]) -> frozenset[str]:
        """``labels`` with each map a reduction's lowering adds (``map1_reduce0_tree2``) named by its reduction and
        the maps around it (the refusal may depend on where the reduction runs)."""
        sites = {*self._nested, *self.reductions}
        out = set()
        for label in labels:
            site = next((r for r in sites if label.startswith(f"{r}_")), None)
            if site is None:
                out.add(label)
            elif site in self.levels:
                out |= {site, *self.structure.ancestors(site)}
            else:
                out.add(site)
        return frozenset(out)

    def _cut_decides(self, cut: str, labels: frozenset[str] | None) -> bool:
        """Whether a refusal naming the maps ``labels`` may depend on the cut after ``cut``: a refusal inside one
        kernel involves the roots of those maps, and only the cuts between them change that kernel's part that
        holds them (``None``: every cut decides)."""
        if labels is None:
            return True
        roots = self.structure.roots
        positions = [self._root_position[m] for m in labels if m in self._root_position]
        if len(positions) != len(labels):
            return True
        return min(positions) <= roots.index(cut) < max(positions)

    def _spread(self) -> list[str]:
        """The maps of more than one iteration: those that put more than one thread along their level."""
        return [m.label for m in self.structure.maps if m.extent != Cst(1)]

    def _levels_in_use(self, mapping: LiftMapping) -> set[str]:
        return {mapping.levels.get(m, "seq") for m in self._spread()}

    def _in_use(self, level: str, within: frozenset[str] | None = None) -> z3.BoolRef:
        """Some map of more than one iteration (among ``within``, when given) runs at ``level`` (``"glb1"``). Call
        inside the Z3 session."""
        spread = [m for m in self._spread() if within is None or m in within]
        return z3.Or(z3.BoolVal(False), *[self.levels[m] == CODES[level] for m in spread])

    # ---- the checks that need the index expressions ---------------------------------------------------------
    def verdict(self, mapping: LiftMapping) -> MappingError | None:
        """``None`` when the backend builds a correct kernel for ``mapping``, else the error it gives."""
        if mapping not in self._verdicts:
            representative = min(_dimension_images(mapping), key=repr)
            if representative in self._valid_classes:
                self._verdicts[mapping] = None  # the kernel of a valid one with its NDRange dimensions renamed
            else:
                sizes = self.sizes or None
                err = self.backend.refusal(self.program, sizes, mapping, answers=self._answers)
                if err is None:
                    self._valid_classes.add(representative)
                self._verdicts[mapping] = err
        return self._verdicts[mapping]

    def _blocks(self, mapping: LiftMapping, refusal: MappingError | None) -> list[z3.BoolRef]:
        """The lemmas excluding ``mapping`` (:meth:`_block`) and, for a refusal, every mapping that renames its
        NDRange dimensions: the rules on index expressions never tell dimension 0 from 1 or 2 (only launch
        geometry does, which no rule reads), so a kernel refused in one naming is refused in all. Call inside
        the Z3 session."""
        if refusal is None:
            return [self._block(mapping)]
        out = []
        for permutation in _PERMUTATIONS:
            uses = frozenset(_renamed_level(level, permutation) for level in refusal.uses)
            image = MappingError(str(refusal), rule=refusal.rule, labels=refusal.labels, uses=uses)
            out.append(self._block(_renamed_dimensions(mapping, permutation), image))
        return out

    def _candidates(self, extra: list[z3.BoolRef], deadline: Deadline) -> Iterator[tuple[LiftMapping, bool]]:
        """The structurally valid mappings with ``extra``, each with whether the backend accepts it: each one
        is excluded once seen, a refused one with every mapping that makes the same choices for the maps its
        failure names (a lemma). Stops with LiftLimitError past ``MAX_ENUMERATION`` candidates."""
        with z3_session():
            s = self.solver()
            s.add(*extra)
        for _ in range(MAX_ENUMERATION):
            with z3_session():
                if check(s, deadline=deadline) == z3.unsat:
                    return
                m = self._mapping(s.model())
            err = self.verdict(m)
            yield m, err is None
            with z3_session():
                s.add(*self._blocks(m, err))
        raise LiftLimitError(
            f"{deadline.query} of {self.program.name}: more than {MAX_ENUMERATION} candidate mappings; "
            f"{_NARROW_SPACE}, or draw some with sample()"
        )

    def __iter__(self) -> Iterator[LiftMapping]:
        """Every valid mapping, each once (a stable order: the solver's)."""
        return iter(self.all())

    def all(self) -> list[LiftMapping]:
        """Every valid mapping, as a list."""
        if self._valid is None:
            deadline = self._deadline("count (enumerating every valid mapping)")
            self._valid = [m for m, valid in self._candidates([], deadline) if valid]
        return list(self._valid)

    def first(self, k: int) -> list[LiftMapping]:
        """``k`` valid mappings (all of them when fewer) in the solver's order, without enumerating the whole
        space: for spaces too large to count."""
        if self._valid is not None:
            return self._valid[:k]
        deadline = self._deadline(f"first({k})")
        out: list[LiftMapping] = []
        for m, valid in self._candidates([], deadline):
            if valid:
                out.append(m)
                if len(out) >= k:
                    break
        return out

    def count(self) -> int:
        """The exact number of valid mappings."""
        return len(self.all())

    def sample(self, k: int, seed: int = 0) -> list[LiftMapping]:
        """``k`` distinct valid mappings drawn uniformly over the whole space (all of them when fewer)."""
        valid = sorted(self.all(), key=repr)
        rng = random.Random(seed)
        return valid if k >= len(valid) else rng.sample(valid, k)

    def best(self, objective: str = "parallelism") -> LiftMapping:
        """The valid mapping that is best for ``objective``: ``parallelism`` (most parallel maps, then the
        most distinct NDRange dimensions), ``barriers`` (fewest barriers) or ``local_memory`` (least local
        memory). Ties are broken deterministically."""
        if objective == "parallelism" and self._valid is None:
            return self._most_parallel()
        valid = self.all()
        if not valid:
            raise self._no_valid_mapping()
        keys = {"parallelism": self._parallelism, "barriers": self._barriers, "local_memory": self._local}
        if objective not in keys:
            raise LiftError(f"best(objective=…): expected one of {', '.join(keys)}, found {objective!r}")
        return min(valid, key=lambda m: (keys[objective](m), repr(m)))

    def _most_parallel(self) -> LiftMapping:
        """The most parallel valid mapping without enumerating the space: the lexicographic optimum of the
        structural model (:meth:`_optimum`), checked by the backend; a refused candidate is excluded (with its
        lemma) and the search repeats."""
        deadline = self._deadline("best (the most parallel mapping)")
        with z3_session():
            s = self.solver()
            s.add(*self._parallel_per_nest())
            objectives = self._objectives()
        optimum: tuple[int, ...] = ()
        for _ in range(MAX_ENUMERATION):
            found = self._optimum(s, objectives, optimum, deadline)
            if found is None:
                break
            m, optimum = found
            err = self.verdict(m)
            if err is None:
                return m
            with z3_session():
                s.add(*self._blocks(m, err))
        raise self._no_valid_mapping()

    def _no_valid_mapping(self) -> MappingError:
        """The error for a program with no valid mapping: every rule that excludes them all, explained."""
        explanation = self.explain({})
        rule = explanation.names[0] if explanation else "no-valid-mapping"
        return MappingError(f"{self.program.name}: no valid mapping\n{explanation}", rule=rule)

    def _parallel_per_nest(self) -> list[z3.BoolRef]:
        """At most 6 parallel maps in a nest: implied by the rules (nested parallel maps take distinct codes, and
        ``glb`` excludes ``wrg``/``lcl``: 3 + 3 dimensions at most), but stated as a cardinality constraint it
        spares Z3 a pigeonhole proof that takes seconds on deep nests. Call inside the Z3 session."""
        return [
            z3.AtMost(*[self.levels[m] >= 10 for m in chain], MAX_PARALLEL_PER_NEST)
            for chain in self.structure.chains
            if len(chain) > MAX_PARALLEL_PER_NEST
        ]

    def _objectives(self) -> list[Objective]:
        """In order: most parallel maps and whole-array reductions (a map fused into a parallel reduction counts
        as parallel), fewest cuts, fewest reductions inside maps shared by threads (a work-group
        per element only pays where it saves a cut), most distinct NDRange dimensions, lowest dimensions, fewest
        non-global intermediates (local before private); call inside the Z3 session."""
        levels = list(self.levels.values())
        maps = [v for m, v in self.levels.items() if m not in self._nested]
        parallel_codes = [c for c in CODES.values() if c >= 10]
        parallel = [(v >= 10, 1) for v in maps]
        parallel += [(v >= 10, 1) for v in self.reductions.values()]
        reductions = {**self.levels, **self.reductions}
        parallel += [
            (z3.And(self.levels[m] == CODES["fuse"], reductions[r] >= 10), 1)
            for m, r in self.structure.roots.fused_producers().items()
            if m in self.levels
        ]
        return [
            ("max", parallel),
            ("min", [(v == 1, 1) for v in self.cuts.values()]),
            ("min", [(self.levels[r] >= 10, 1) for r in self._nested]),
            # a map fused into the reduction reading it stores nothing
            (
                "max",
                [
                    (self.levels[m] == CODES["fuse"], 1)
                    for m in self.structure.roots.fused_producers()
                    if m in self.levels
                ],
            ),
            ("max", [(z3.Or(*[v == c for v in levels]), 1) for c in parallel_codes if levels]),
            ("min", [(z3.Or(*[v == base + d for base in (10, 20, 30)]), d) for v in levels for d in (1, 2)]),
            (
                "min",
                [(v == SPACE_CODES[sp], SPACE_CODES[sp]) for v in self.spaces.values() for sp in ("local", "private")],
            ),
        ]

    def _optimum(
        self, s: z3.Solver, objectives: list[Objective], previous: tuple[int, ...], deadline: Deadline
    ) -> tuple[LiftMapping, tuple[int, ...]] | None:
        """The lexicographic optimum of ``objectives`` over ``s``'s models, with its objective values; ties are
        broken by the smallest code of each map then of each intermediate in program order (so the answer never
        depends on Z3's history); ``None`` when ``s`` has no model. Each objective is found by binary search
        over satisfiability with a pseudo-Boolean bound — far faster than ``z3.Optimize`` on long pipelines and
        deep nests. ``previous`` is the optimum before ``s`` gained constraints: it bounds the new one (while
        the objectives before agree), which spares the hardest queries, the proofs that no better value
        exists."""
        with z3_session():
            s.push()
            try:
                if check(s, deadline=deadline) == z3.unsat:
                    return None
                model = s.model()
                values: list[int] = []
                for k, (sense, terms) in enumerate(objectives):
                    known = previous[k] if len(previous) > k and tuple(values) == previous[:k] else None
                    model, value = _bound_objective(s, model, sense, terms, known, deadline)
                    values.append(value)
                # ties: the innermost maps first take the lowest codes, so that the map over neighbouring elements
                # runs on dimension 0, whose neighbouring threads share a memory transaction
                for v in [*reversed(self.levels.values()), *self._variables()[len(self.levels) :]]:
                    model = _smallest_value(s, model, v, deadline)
                return self._mapping(model), tuple(values)
            finally:
                s.pop()

    def _parallelism(self, m: LiftMapping) -> tuple[int, int, int, int, int]:
        """As the solver's objectives rank them: parallel maps and whole-array reductions (a map fused into a
        parallel one counts), fewest cuts, fewest shared reductions inside maps, most distinct levels."""
        parallel = [c for label, c in m.levels.items() if c not in ("seq", "fuse") and label not in self._nested]
        shared = sum(1 for label, c in m.levels.items() if label in self._nested and c not in ("seq", "fuse"))
        fused = sum(
            1
            for p, r in self.structure.roots.fused_producers().items()
            if m.levels.get(p) == "fuse" and m.levels.get(r) not in (None, "seq")
        )
        fusions = sum(1 for p in self.structure.roots.fused_producers() if m.levels.get(p) == "fuse")
        levels = -len(set(m.levels.values()) - {"seq", "fuse"})
        return (-len(parallel) - fused, len(m.cuts), shared, -fusions, levels)

    def _barriers(self, m: LiftMapping) -> tuple[int, tuple[int, int, int, int, int]]:
        return (self.backend.barrier_count(self.program, self.sizes or None, m), self._parallelism(m))

    def _local(self, m: LiftMapping) -> tuple[int, tuple[int, int, int, int, int]]:
        return (sum(1 for sp in m.spaces.values() if sp == "local"), self._parallelism(m))

    def violations(self, choices: Mapping[str, str]) -> list[Rule]:
        """The structural rules a complete choice breaks, by the plain evaluator (no solver)."""
        levels = {m: CODES[choices[m] if m not in self._nested else choices.get(m, "seq")] for m in self.levels}
        others: dict[str, int] = {m: SPACE_CODES[choices.get(f"space:{m}", "global")] for m in self.spaces}
        others |= {level_key(r): CODES[choices.get(r, "seq")] for r in self.reductions}
        others |= {cut_key(c): int(choices.get(cut_key(c), "no") == "yes") for c in self.cuts}
        return [r for r in self.rules if not r.holds(levels, others)]

    # ---- explanations ---------------------------------------------------------------------------------
    def explain(self, choices: Mapping[str, str]) -> Explanation:
        """Why the partial mapping ``choices`` (``{"map1": "lcl0", "space:map0": "local"}``) is impossible;
        empty when some valid mapping makes those choices."""
        deadline = self._deadline("explain", _NARROW_EXPLAIN)
        with z3_session():
            assumptions, _ = self._assumptions(choices)
            s = z3.Solver()
            s.add(*self._domains)
            tracked: dict[str, Rule] = {}
            for r, f in zip(self.rules, self._formulas):
                flag = z3.Bool(f"rule::{r.name}")
                tracked[str(flag)] = r
                s.assert_and_track(f, flag)
            for flag, f in assumptions:
                s.assert_and_track(f, flag)
            if check(s, deadline=deadline) == z3.unsat:
                # in rule order, not the core's: the minimal core found must not depend on Z3's history
                in_core = {str(c) for c in s.unsat_core()}
                core = [r for name, r in tracked.items() if name in in_core]
                core = self._minimal(core, [f for _, f in assumptions], deadline)
                return Explanation(tuple((r.name, r.sentence) for r in core))
        # structurally possible: the index expressions decide
        errors: dict[str, str] = {}
        for m, valid in self._candidates([f for _, f in assumptions], deadline):
            if valid:
                return Explanation(())
            err = self.verdict(m)
            errors.setdefault((err.rule if err else None) or "backend", str(err))
        return Explanation(tuple(errors.items()))

    def _minimal(self, core: list[Rule], assumptions: list[z3.BoolRef], deadline: Deadline) -> list[Rule]:
        """A minimal unsatisfiable subset of ``core`` (deletion: drop each rule that is not needed)."""
        formula = dict(zip(self.rules, self._formulas))
        needed = list(core)
        with z3_session():
            for r in list(core):
                trial = [x for x in needed if x is not r]
                s = z3.Solver()
                s.add(*self._domains, *assumptions, *[formula[x] for x in trial])
                if check(s, deadline=deadline) == z3.unsat:
                    needed = trial
        return needed

    def _assumptions(self, choices: Mapping[str, str]) -> tuple[list[tuple[z3.BoolRef, z3.BoolRef]], list[str]]:
        """Each choice as a tracked formula ``(flag, formula)``, with its name; call inside the Z3 session."""
        check_choices(choices, "explain: choices", _HOW_TO_CHOOSE, identifiers=False)
        out = []
        names = []
        for key, value in choices.items():
            if key.startswith("space:"):
                label = key[len("space:") :]
                if label not in self.spaces:
                    raise LiftError(
                        f"explain: {label!r} has no address-space choice; intermediates: "
                        f"{', '.join(self.spaces) or 'none'}"
                    )
                if value not in SPACE_CODES:
                    raise LiftError(f"explain: unknown address space {value!r}")
                f = self.spaces[label] == SPACE_CODES[value]
            elif key.startswith("cut:"):
                label = key[len("cut:") :]
                if label not in self.cuts:
                    raise LiftError(
                        f"explain: the program cannot be cut after {label!r}; it may be cut after "
                        f"{', '.join(self.cuts) or 'nothing'}"
                    )
                if value not in ("yes", "no"):
                    raise LiftError(f"explain: {key} is 'yes' or 'no', found {value!r}")
                f = self.cuts[label] == int(value == "yes")
            else:
                variables = {**self.levels, **self.reductions}
                if key not in variables:
                    raise LiftError(
                        f"explain: the program has no map {key!r}; its maps are {', '.join(variables) or 'none'}"
                    )
                if value not in CODES:
                    raise LiftError(f"explain: unknown level {value!r}; the levels are {', '.join(CODES)}")
                f = variables[key] == CODES[value]
            out.append((z3.Bool(f"choice::{key}={value}"), f))
            names.append(f"{key}={value}")
        return out, names

    # ---- tuning values --------------------------------------------------------------------------------
    def tuning(self, mapping: LiftMapping) -> TuningSpace:
        """The tuning values (local sizes) valid for ``mapping``."""
        return TuningSpace(self, mapping)


_PERMUTATIONS = tuple(itertools.permutations(range(3)))


def _renamed_level(level: str, permutation: tuple[int, ...]) -> str:
    """``level`` with its NDRange dimension ``d`` renamed ``permutation[d]`` (``glb0`` → ``glb2``)."""
    if level in ("seq", "fuse"):
        return level
    return f"{level[:3]}{permutation[int(level[3])]}"


def _renamed_dimensions(mapping: LiftMapping, permutation: tuple[int, ...]) -> LiftMapping:
    levels = {m: _renamed_level(level, permutation) for m, level in mapping.levels.items()}
    return LiftMapping(levels, dict(mapping.spaces), mapping.cuts)


def _dimension_images(mapping: LiftMapping) -> set[LiftMapping]:
    """``mapping`` under every renaming of the NDRange dimensions."""
    return {_renamed_dimensions(mapping, p) for p in _PERMUTATIONS}


class TuningSpace:
    """The second stage: local sizes for the ``lcl`` dimensions of one mapping (each divides the longest
    ``map_lcl`` of its dimension, their product fits the device's work-group limit)."""

    def __init__(self, space: MappingSpace, mapping: LiftMapping) -> None:
        self.mapping = mapping
        self._program = space.program.name
        extents: dict[int, int] = {}
        for m in space.structure.maps:
            level = Level.parse(mapping.levels.get(m.label, "seq"))
            if level.kind == "lcl":
                if not isinstance(m.extent, Cst):
                    raise LiftError(f"tuning: the size of {m.label} is {m.extent}; pass sizes= to mappings()")
                extents[level.dim] = max(extents.get(level.dim, 1), m.extent.value)
        self.dims = sorted(extents)
        limit = space.device.max_work_group_size
        with z3_session():
            self._vars = {d: z3.Int(f"ls{d}") for d in self.dims}
            constraints = [z3.Or(*[v == k for k in _divisors(extents[d]) if k <= limit]) for d, v in self._vars.items()]
            if self._vars:
                product: Any = 1
                for v in self._vars.values():
                    product = product * v
                constraints.append(product <= limit)
            self._constraints = tuple(constraints)

    def all(self) -> list[dict[str, int]]:
        """Every valid assignment of local sizes."""
        deadline = Deadline.start("tuning (local sizes)", self._program, _NARROW_TUNING)
        out: list[dict[str, int]] = []
        with z3_session():
            s = z3.Solver()
            s.add(*self._constraints)
            while check(s, deadline=deadline) == z3.sat:
                model = s.model()
                values = {f"ls{d}": model.eval(v).as_long() for d, v in self._vars.items()}
                out.append(values)
                if not self._vars:
                    break
                s.add(z3.Or(*[v != values[f"ls{d}"] for d, v in self._vars.items()]))
        return out

    def __iter__(self) -> Iterator[dict[str, int]]:
        return iter(self.all())

    def count(self) -> int:
        """The number of valid assignments."""
        return len(self.all())

    def sample(self, k: int, seed: int = 0) -> list[dict[str, int]]:
        """``k`` distinct valid assignments (all of them when fewer), reproducible from ``seed``."""
        values = sorted(self.all(), key=lambda d: sorted(d.items()))
        return values if k >= len(values) else random.Random(seed).sample(values, k)


def _divisors(n: int) -> list[int]:
    """The divisors of ``n`` in increasing order (trial division up to its square root)."""
    small = [k for k in range(1, math.isqrt(n) + 1) if n % k == 0]
    return small + [n // k for k in reversed(small) if k * k != n]


def _model_value(model: z3.ModelRef, terms: list[tuple[z3.BoolRef, int]]) -> int:
    return sum(w for b, w in terms if z3.is_true(model.eval(b, model_completion=True)))


def _bound_objective(
    s: z3.Solver,
    model: z3.ModelRef,
    sense: str,
    terms: list[tuple[z3.BoolRef, int]],
    known: int | None,
    deadline: Deadline,
) -> tuple[z3.ModelRef, int]:
    """Binary search for the best value of ``sense`` (``max``/``min``) of the weighted sum ``terms`` over
    ``s``'s models, starting from ``model``'s value and never better than ``known`` (a bound proved before);
    asserts that value in ``s`` and returns a model reaching it, with the value. Call inside the Z3 session."""
    if not terms:
        return model, 0
    best = _model_value(model, terms)
    if sense == "max":
        lo, hi = best, sum(w for _, w in terms) if known is None else max(best, known)
    else:
        lo, hi = (0 if known is None else min(best, known)), best
    while lo < hi:
        mid = (lo + hi + 1) // 2 if sense == "max" else (lo + hi) // 2
        s.push()
        s.add(z3.PbGe(terms, mid) if sense == "max" else z3.PbLe(terms, mid))
        if check(s, deadline=deadline) == z3.sat:
            model = s.model()
            best = _model_value(model, terms)
            lo, hi = (best, hi) if sense == "max" else (lo, best)
        else:
            lo, hi = (lo, mid - 1) if sense == "max" else (mid + 1, hi)
        s.pop()
    s.add(z3.PbGe(terms, lo) if sense == "max" else z3.PbLe(terms, hi))
    return model, lo if sense == "max" else hi


def _smallest_value(s: z3.Solver, model: z3.ModelRef, v: z3.ArithRef, deadline: Deadline) -> z3.ModelRef:
    """Lower ``v`` as far as ``s`` allows (from ``model``'s value), assert that value in ``s``, and return a
    model with it. Call inside the Z3 session."""
    value = model.eval(v, model_completion=True).as_long()
    while check(s, v < value, deadline=deadline) == z3.sat:
        model = s.model()
        value = model.eval(v, model_completion=True).as_long()
    s.add(v == value)
    return model


def mappings(prog: Fun, sizes: Mapping[str, int] | None = None, device: Any = None) -> MappingSpace:
    """The space of valid mappings of ``prog`` (see :class:`MappingSpace`)."""
    return MappingSpace(prog, sizes, device)
