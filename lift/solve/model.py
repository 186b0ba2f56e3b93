"""The mapping space of a program: every valid choice of thread levels and address spaces, found with Z3.

Structural rules (Lift's rules 1–7, address-space legality, device limits; ``lift.solve.rules``) are Z3
assertions over one integer a map and one an intermediate. What depends on the index expressions — a barrier
that would need work-groups to synchronise, a barrier some threads would not reach, two threads writing one
element — is decided by Z3 on those expressions in the backend (``lift.ocl.barriers``), for each candidate the
solver proposes; a failing candidate is excluded together with every mapping that makes the same choices for
the maps involved (a lemma, as in lazy SMT), so enumeration yields valid mappings only, each once.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import z3

from lift.dsl.ir import Fun
from lift.errors import LiftError, MappingError
from lift.solve.device import describe
from lift.solve.mapping import Mapping as LiftMapping
from lift.solve.rules import CODES, SPACE_CODES, Rule, rules_for
from lift.solve.structure import ProgramStructure, structure_of

__all__ = ["Explanation", "MappingSpace", "TuningSpace", "mappings"]

_LEVEL_OF = {v: k for k, v in CODES.items()}
_SPACE_OF = {v: k for k, v in SPACE_CODES.items()}
MAX_ENUMERATION = 20_000
"""Enumeration stops (with an error) beyond this many candidates."""


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


class MappingSpace:
    """Every valid mapping of a program on a device: ``count()``, iteration, ``sample(k, seed)``, ``best()``,
    ``smtlib()``, ``tuning(m)`` and ``explain(choices)``."""

    def __init__(
        self, prog: Fun, sizes: Mapping[str, int] | None = None, device: Any = None, *, heuristics: bool = True
    ) -> None:
        if not isinstance(prog, Fun):
            raise LiftError(f"mappings: expected a program made with @fun, found {type(prog).__name__}")
        self.program = prog
        self.sizes = dict(sizes or {})
        self.device = describe(device)
        self.structure: ProgramStructure = structure_of(prog, self.sizes)
        self.rules: list[Rule] = rules_for(self.structure, self.device, heuristics=heuristics)
        self.levels = {m.label: z3.Int(f"level_{m.label}") for m in self.structure.maps}
        self.spaces = {m.label: z3.Int(f"space_{m.label}") for m in self.structure.maps if m.intermediate}
        self._valid: list[LiftMapping] | None = None
        self._verdicts: dict[LiftMapping, MappingError | None] = {}

    # ---- the solver -----------------------------------------------------------------------------------
    def domains(self) -> list[z3.BoolRef]:
        out = [z3.Or(*[v == c for c in CODES.values()]) for v in self.levels.values()]
        out += [z3.Or(*[v == c for c in SPACE_CODES.values()]) for v in self.spaces.values()]
        return out

    def solver(self) -> z3.Solver:
        s = z3.Solver()
        s.add(*self.domains())
        for r in self.rules:
            s.add(r.formula(self.levels, self.spaces))
        return s

    def smtlib(self) -> str:
        """The structural model as SMT-LIB 2 (each rule preceded by its name and sentence as a comment)."""
        lines = [
            "; lift-ir mapping model of " + self.program.name,
            "; levels: 0 seq, 1 fuse, 10+d lcl d, 20+d wrg d, 30+d glb d; spaces: 0 global, 1 local, 2 private",
        ]
        for v in [*self.levels.values(), *self.spaces.values()]:
            lines.append(f"(declare-const {v} Int)")
        for f in self.domains():
            lines.append(f"(assert {f.sexpr()})")
        for r in self.rules:
            lines.append(f"; {r.name}: {r.sentence}")
            lines.append(f"(assert {r.formula(self.levels, self.spaces).sexpr()})")
        lines.append("(check-sat)")
        return "\n".join(lines) + "\n"

    def _mapping(self, model: z3.ModelRef) -> LiftMapping:
        levels = {m: _LEVEL_OF[model.eval(v, model_completion=True).as_long()] for m, v in self.levels.items()}
        spaces = {m: _SPACE_OF[model.eval(v, model_completion=True).as_long()] for m, v in self.spaces.items()}
        return LiftMapping(levels, {m: sp for m, sp in spaces.items() if sp != "global"})

    def _block(self, mapping: LiftMapping, labels: frozenset[str] | None = None) -> z3.BoolRef:
        """Exclude ``mapping``, or every mapping making its choices for ``labels`` (and all spaces)."""
        keep = [m for m in self.levels if labels is None or m in labels or mapping.levels[m] == "fuse"]
        terms = [self.levels[m] != CODES[mapping.levels[m]] for m in keep]
        terms += [self.spaces[m] != SPACE_CODES[mapping.spaces.get(m, "global")] for m in self.spaces]
        return z3.Or(*terms) if terms else z3.BoolVal(False)

    # ---- the checks that need the index expressions ---------------------------------------------------------
    def verdict(self, mapping: LiftMapping) -> MappingError | None:
        """``None`` when the backend builds a correct kernel for ``mapping``, else the error it gives."""
        if mapping not in self._verdicts:
            from lift.ocl.kernel import compile_program

            try:
                compile_program(self.program, self.sizes or None, mapping)
                self._verdicts[mapping] = None
            except MappingError as err:
                self._verdicts[mapping] = err
        return self._verdicts[mapping]

    def _enumerate(self, extra: list[z3.BoolRef] | None = None, limit: int | None = None) -> Iterator[LiftMapping]:
        s = self.solver()
        s.add(*(extra or []))
        seen = 0
        while s.check() == z3.sat:
            seen += 1
            if seen > MAX_ENUMERATION:
                raise LiftError(
                    f"mappings of {self.program.name}: more than {MAX_ENUMERATION} candidates; "
                    "fix some choices (explain/partial choices) or use sample()"
                )
            m = self._mapping(s.model())
            err = self.verdict(m)
            if err is None:
                yield m
                s.add(self._block(m))
                if limit is not None:
                    limit -= 1
                    if limit == 0:
                        return
            else:
                generalise = err.rule == "no-sync-between-work-groups" and bool(err.labels)
                s.add(self._block(m, err.labels if generalise else None))

    def __iter__(self) -> Iterator[LiftMapping]:
        """Every valid mapping, each once (a stable order: the solver's)."""
        return iter(self.all())

    def all(self) -> list[LiftMapping]:
        if self._valid is None:
            self._valid = list(self._enumerate())
        return list(self._valid)

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
            raise MappingError(f"{self.program.name}: no valid mapping\n{self.explain({})}")
        keys = {"parallelism": self._parallelism, "barriers": self._barriers, "local_memory": self._local}
        if objective not in keys:
            raise LiftError(f"best(objective=…): expected one of {', '.join(keys)}, found {objective!r}")
        return min(valid, key=lambda m: (keys[objective](m), repr(m)))

    def _most_parallel(self) -> LiftMapping:
        """The most parallel valid mapping without enumerating the space: Z3 maximises the number of parallel
        maps (then of NDRange dimensions, then prefers lower dimensions), the backend checks the candidate, a
        failing one is excluded, and so on."""
        opt = z3.Optimize()
        opt.add(*self.domains())
        for r in self.rules:
            opt.add(r.formula(self.levels, self.spaces))
        parallel = z3.Sum([z3.If(v >= 10, 1, 0) for v in self.levels.values()] or [z3.IntVal(0)])
        dims = z3.Sum(
            [z3.If(z3.Or(*[v == c for v in self.levels.values()]), 1, 0) for c in CODES.values() if c >= 10]
            or [z3.IntVal(0)]
        )
        opt.maximize(parallel)
        opt.maximize(dims)
        opt.minimize(z3.Sum([v % 10 for v in self.levels.values()] or [z3.IntVal(0)]))
        opt.minimize(z3.Sum([v for v in self.spaces.values()] or [z3.IntVal(0)]))
        for _ in range(MAX_ENUMERATION):
            if opt.check() != z3.sat:
                break
            m = self._mapping(opt.model())
            err = self.verdict(m)
            if err is None:
                return m
            generalise = err.rule == "no-sync-between-work-groups" and bool(err.labels)
            opt.add(self._block(m, err.labels if generalise else None))
        raise MappingError(f"{self.program.name}: no valid mapping\n{self.explain({})}")

    @staticmethod
    def _parallelism(m: LiftMapping) -> tuple[int, int]:
        parallel = [c for c in m.levels.values() if c not in ("seq", "fuse")]
        return (-len(parallel), -len(set(parallel)))

    def _barriers(self, m: LiftMapping) -> tuple[int, tuple[int, int]]:
        from lift.ocl.kernel import compile_program

        return (len(compile_program(self.program, self.sizes or None, m).barriers), self._parallelism(m))

    def _local(self, m: LiftMapping) -> tuple[int, tuple[int, int]]:
        return (sum(1 for sp in m.spaces.values() if sp == "local"), self._parallelism(m))

    def violations(self, choices: Mapping[str, str]) -> list[Rule]:
        """The structural rules a complete choice breaks, by the plain evaluator (no solver)."""
        levels = {m: CODES[choices[m]] for m in self.levels}
        spaces = {m: SPACE_CODES[choices.get(f"space:{m}", "global")] for m in self.spaces}
        return [r for r in self.rules if not r.holds(levels, spaces)]

    # ---- explanations ---------------------------------------------------------------------------------
    def explain(self, choices: Mapping[str, str]) -> Explanation:
        """Why the partial mapping ``choices`` (``{"map1": "lcl0", "space:map0": "local"}``) is impossible;
        empty when some valid mapping makes those choices."""
        assumptions, _ = self._assumptions(choices)
        s = z3.Solver()
        s.add(*self.domains())
        tracked: dict[str, Rule] = {}
        for r in self.rules:
            flag = z3.Bool(f"rule::{r.name}")
            tracked[str(flag)] = r
            s.assert_and_track(r.formula(self.levels, self.spaces), flag)
        for flag, f in assumptions:
            s.assert_and_track(f, flag)
        if s.check() == z3.unsat:
            core = [tracked[str(c)] for c in s.unsat_core() if str(c) in tracked]
            core = self._minimal(core, [f for _, f in assumptions])
            return Explanation(tuple((r.name, r.sentence) for r in core))
        # structurally possible: the index expressions decide
        errors: dict[str, str] = {}
        for m in self._enumerate_raw([f for _, f in assumptions]):
            err = self.verdict(m)
            if err is None:
                return Explanation(())
            errors.setdefault(err.rule or "backend", str(err))
        return Explanation(tuple(errors.items()))

    def _minimal(self, core: list[Rule], assumptions: list[z3.BoolRef]) -> list[Rule]:
        """A minimal unsatisfiable subset of ``core`` (deletion: drop each rule that is not needed)."""
        needed = list(core)
        for r in list(core):
            trial = [x for x in needed if x is not r]
            s = z3.Solver()
            s.add(*self.domains(), *assumptions, *[x.formula(self.levels, self.spaces) for x in trial])
            if s.check() == z3.unsat:
                needed = trial
        return needed

    def _enumerate_raw(self, extra: list[z3.BoolRef]) -> Iterator[LiftMapping]:
        s = self.solver()
        s.add(*extra)
        for _ in range(MAX_ENUMERATION):
            if s.check() != z3.sat:
                return
            m = self._mapping(s.model())
            yield m
            err = self.verdict(m)
            generalise = err is not None and err.rule == "no-sync-between-work-groups" and bool(err.labels)
            s.add(self._block(m, err.labels if err is not None and generalise else None))

    def _assumptions(self, choices: Mapping[str, str]) -> tuple[list[tuple[z3.BoolRef, z3.BoolRef]], list[str]]:
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
            else:
                if key not in self.levels:
                    raise LiftError(f"explain: the program has no map {key!r}; its maps are {', '.join(self.levels)}")
                if value not in CODES:
                    raise LiftError(f"explain: unknown level {value!r}; the levels are {', '.join(CODES)}")
                f = self.levels[key] == CODES[value]
            out.append((z3.Bool(f"choice::{key}={value}"), f))
            names.append(f"{key}={value}")
        return out, names

    # ---- tuning values --------------------------------------------------------------------------------
    def tuning(self, mapping: LiftMapping) -> TuningSpace:
        """The tuning values (local sizes) valid for ``mapping``."""
        return TuningSpace(self, mapping)


class TuningSpace:
    """The second stage: local sizes for the ``lcl`` dimensions of one mapping (each divides the longest
    ``map_lcl`` of its dimension, their product fits the device's work-group limit)."""

    def __init__(self, space: MappingSpace, mapping: LiftMapping) -> None:
        from lift.types.arith import Cst

        self.mapping = mapping
        extents: dict[int, int] = {}
        for m in space.structure.maps:
            choice = mapping.levels[m.label]
            if choice.startswith("lcl"):
                if not isinstance(m.extent, Cst):
                    raise LiftError(f"tuning: the size of {m.label} is {m.extent}; pass sizes= to mappings()")
                d = int(choice[3])
                extents[d] = max(extents.get(d, 1), m.extent.value)
        self.dims = sorted(extents)
        ls = {d: z3.Int(f"ls{d}") for d in self.dims}
        self._vars = ls
        s = z3.Solver()
        for d, v in ls.items():
            divisors = [k for k in range(1, extents[d] + 1) if extents[d] % k == 0]
            s.add(z3.Or(*[v == k for k in divisors]))
        if ls:
            product: Any = 1
            for v in ls.values():
                product = product * v
            s.add(product <= space.device.max_work_group_size)
        self._solver = s

    def all(self) -> list[dict[str, int]]:
        s = z3.Solver()
        s.add(*self._solver.assertions())
        out = []
        while s.check() == z3.sat:
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
        return len(self.all())

    def sample(self, k: int, seed: int = 0) -> list[dict[str, int]]:
        values = sorted(self.all(), key=lambda d: sorted(d.items()))
        return values if k >= len(values) else random.Random(seed).sample(values, k)


def mappings(prog: Fun, sizes: Mapping[str, int] | None = None, device: Any = None) -> MappingSpace:
    """The space of valid mappings of ``prog`` (see :class:`MappingSpace`)."""
    return MappingSpace(prog, sizes, device)
