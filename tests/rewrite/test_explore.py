"""The breadth-first explorer: distinct programs, their derivations, and the reported cost."""

from __future__ import annotations

import itertools

import pytest

import lift.rewrite as rw
from lift import Array, f32, fun
from lift.dsl import map, reduce, show
from lift.dsl.prelude import add, square
from lift.dsl.substitute import alpha_equal
from lift.errors import LiftError
from lift.testing import assert_equivalent


@fun
def sum_of_fourth_powers(x: Array[f32, 16]):
    return x >> map(square) >> map(square) >> reduce(add, 0.0)


RULES = [rw.map_fusion, rw.map_fission, rw.split_join(4), rw.join_split, rw.reduce_map_fusion]


def test_explore_lists_distinct_programs_breadth_first() -> None:
    found = rw.explore(sum_of_fourth_powers, RULES, depth=2)
    assert found.summary() == ("15 distinct programs within 2 rewrites: 18 rewrites performed, 4 duplicates, 0 refused")
    assert [r.depth for r in found] == sorted(r.depth for r in found)
    assert found.programs[0].program == sum_of_fourth_powers and str(found.programs[0]) == "[0] the original"
    one = [show(r.program.body) for r in found if r.depth == 1]
    assert one == [
        "x >> map(lambda x1: square(square(x1))) >> reduce(add, 0.0)",
        "x >> split(4) >> map(map(square)) >> join >> map(square) >> reduce(add, 0.0)",
        "x >> map(square) >> split(4) >> map(map(square)) >> join >> reduce(add, 0.0)",
        "x >> map(square) >> reduce_seq(lambda acc, x1: add(acc, square(x1)), 0.0)",
    ]
    for a, b in itertools.combinations(found, 2):
        assert not alpha_equal(a.program, b.program)


def test_derivations_replay_and_every_program_means_the_same() -> None:
    found = rw.explore(sum_of_fourth_powers, RULES, depth=2)
    for reached in found:
        prog = sum_of_fourth_powers
        for rule, site in reached.derivation:
            prog = rw.apply(prog, rule, site)
        assert prog == reached.program
        assert_equivalent(sum_of_fourth_powers, reached.program, inputs=[[1, -2, 3, 0] * 4])


def test_the_bound_is_reported() -> None:
    capped = rw.explore(sum_of_fourth_powers, rw.rules(factors=(2, 4)), depth=3, max_programs=40)
    assert len(capped) == 40 and capped.truncated
    assert capped.summary().endswith("stopped at max_programs")
    nothing = rw.explore(sum_of_fourth_powers, RULES, depth=0)
    assert len(nothing) == 1 and nothing.applications == 0 and not nothing.truncated


def test_explore_checks_its_arguments() -> None:
    with pytest.raises(LiftError, match="depth must be >= 0"):
        rw.explore(sum_of_fourth_powers, RULES, depth=-1)
    with pytest.raises(LiftError, match="expected rules"):
        rw.explore(sum_of_fourth_powers, ["map_fusion"], depth=1)  # type: ignore[list-item]
