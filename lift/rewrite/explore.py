"""Breadth-first exploration: every distinct program reachable in at most ``depth`` rule applications.

Programs are deduplicated by structure up to the names of bound parameters (``alpha_normalize``), so two
derivations of the same program count once (the first, shortest one is kept). The cost is bounded by
``max_programs`` and reported: how many rewrites were performed, how many gave a program already reached, how
many sites were refused by the engine's final checks, and whether the bound cut the search short.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lift.dsl.ir import Fun
from lift.dsl.substitute import alpha_normalize
from lift.errors import LiftError
from lift.rewrite.engine import Site, apply, sites
from lift.rewrite.rule import Rule

__all__ = ["Exploration", "Reached", "explore"]


@dataclass(frozen=True)
class Reached:
    """A program found by the exploration, with how it was derived from the original."""

    program: Fun
    """The program."""
    derivation: tuple[tuple[Rule, Site], ...]
    """The rules applied, in order, each with its site in the program it was applied to."""

    @property
    def depth(self) -> int:
        """How many rule applications produced it."""
        return len(self.derivation)

    def __str__(self) -> str:
        steps = "; ".join(f"{r.name} at {s.description}" for r, s in self.derivation) or "the original"
        return f"[{self.depth}] {steps}"


@dataclass(frozen=True)
class Exploration:
    """The result of :func:`explore`: the distinct programs reached and what reaching them cost."""

    programs: tuple[Reached, ...]
    """Every distinct program reached, breadth-first (the original first)."""
    depth: int
    """The bound on the number of rule applications."""
    applications: int
    """How many rewrites were performed."""
    duplicates: int
    """How many of them gave a program already reached (up to the names of bound parameters)."""
    refused: int
    """How many sites the engine's final checks refused (see ``apply``)."""
    truncated: bool
    """True when ``max_programs`` stopped the search before it was complete."""

    def __len__(self) -> int:
        return len(self.programs)

    def __iter__(self) -> Iterator[Reached]:
        return iter(self.programs)

    def summary(self) -> str:
        """One line: programs, rewrites, duplicates, refusals and whether the bound was reached."""
        cut = ", stopped at max_programs" if self.truncated else ""
        return (
            f"{len(self.programs)} distinct programs within {self.depth} rewrites: {self.applications} rewrites "
            f"performed, {self.duplicates} duplicates, {self.refused} refused{cut}"
        )


def explore(prog: Fun, rules: Sequence[Rule], *, depth: int = 2, max_programs: int = 1000) -> Exploration:
    """Every distinct program reachable from ``prog`` by at most ``depth`` applications of ``rules``.

    The search is breadth-first, so the programs come by increasing number of rewrites, and stops (setting
    ``truncated``) once ``max_programs`` programs have been found.
    """
    if not isinstance(prog, Fun):
        raise LiftError(f"explore: expected a program made with @fun, found {type(prog).__name__}")
    if depth < 0 or max_programs < 1:
        raise LiftError(f"explore: depth must be >= 0 and max_programs >= 1, found {depth} and {max_programs}")
    rules = tuple(rules)
    for r in rules:
        if not isinstance(r, Rule):
            raise LiftError(f"explore: expected rules, found {type(r).__name__} {r!r}")
    found = [Reached(prog, ())]
    seen = {alpha_normalize(prog)}
    frontier = [found[0]]
    applications = duplicates = refused = 0
    truncated = len(found) >= max_programs
    for _ in range(depth):
        if truncated or not frontier:
            break
        next_frontier = []
        for reached in frontier:
            for rule in rules:
                for site in sites(reached.program, rule):
                    try:
                        new = apply(reached.program, rule, site)
                    except LiftError:
                        refused += 1
                        continue
                    applications += 1
                    key = alpha_normalize(new)
                    if key in seen:
                        duplicates += 1
                        continue
                    seen.add(key)
                    item = Reached(new, (*reached.derivation, (rule, site)))
                    found.append(item)
                    next_frontier.append(item)
                    if len(found) >= max_programs:
                        truncated = True
                        break
                if truncated:
                    break
            if truncated:
                break
        frontier = next_frontier
    return Exploration(tuple(found), depth, applications, duplicates, refused, truncated)
