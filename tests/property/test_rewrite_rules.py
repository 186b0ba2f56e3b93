"""Every rewrite rule keeps the type and the meaning of random programs at random sites; refusals are explained.

For each rule: random programs (``lift.testing.programs``, weighted so that the rule's pattern is likely) are
drawn until one has a site where the pattern matches (at most ``TRIES``), and one such site is chosen at random.
A parametrised rule takes its parameter from what the pattern bound there: mostly a value that satisfies its
side conditions (a divisor of the length), sometimes one that does not. Then:

* where every side condition holds, ``apply`` succeeds, the result has the same type, and the interpreter gives
  the same results on random inputs: exactly for ``i32`` data, within 1e-5 of the float64 reference for
  ``f32`` (whose inputs are small integers, so that reassociated sums are in fact exact too);
* where one fails, ``apply`` raises ``RewriteError`` naming that condition.

Programs are concrete (sizes in the types) or, a third of the time, symbolic (``[f32]N`` with ``N`` bound only
when running), where side conditions must be proved from the program's size facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, reject, settings
from hypothesis import strategies as st

import lift.rewrite as rw
from lift.dsl import pretty
from lift.dsl.ir import Fun
from lift.errors import RewriteError
from lift.rewrite import Bindings, Rule, Site
from lift.testing import assert_equivalent, programs
from lift.types import ArithExpr, f32, i32
from lift.types.checker import types_equal

TRIES = 8
"""Programs drawn per example in search of a site for the rule."""

Sizes = Mapping[str, int] | None


def _value(e: ArithExpr | int, sizes: Sizes) -> int:
    return e if isinstance(e, int) else e.evaluate(dict(sizes or {}))


def _factor(data: st.DataObject, n: int) -> int:
    """Mostly a divisor of ``n``, sometimes (to exercise the refusal) any factor up to ``n + 1``."""
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    if data.draw(st.integers(0, 4), label="refuse?") == 0:
        return data.draw(st.integers(2, n + 1), label="any factor")
    return data.draw(st.sampled_from(divisors), label="divisor")


def _slide_step(data: st.DataObject, b: Bindings, sizes: Sizes) -> Rule:
    n, s, total = (_value(b[k], sizes) for k in ("n", "s", "length"))
    windows = (total - n) // s + 1

    def covers(v: int) -> bool:
        u = v + n - s
        return v % s == 0 and total >= u and ((total - u) // v + 1) * (v // s) == windows

    good = [v for v in range(1, total + 1) if covers(v)]
    if good and data.draw(st.integers(0, 3), label="refuse?") > 0:
        return rw.slide_tiling(data.draw(st.sampled_from(good), label="tile step"))
    return rw.slide_tiling(data.draw(st.integers(1, total + 1), label="tile step"))


@dataclass(frozen=True)
class Case:
    """How to test one rule."""

    probe: Rule
    """Finds the sites: the rule itself, or an instance of it whose pattern matches wherever the rule's does."""
    options: dict[str, Any] = field(default_factory=dict)
    """Options of ``programs(...)`` that make the rule's pattern likely."""
    choose: Callable[[st.DataObject, Bindings, Sizes], Rule] | None = None
    """For a parametrised rule: the instance to test at a site, from what the pattern bound there."""
    prepare: Rule | None = None
    """A rule applied first, at a random site, to create the pattern (``partial_reduce`` before splitting it)."""


ROWS = {"rank": 2}
CASES: dict[str, Case] = {
    "map_fusion": Case(rw.map_fusion, {"weights": {"map": 8}}),
    "map_fission": Case(rw.map_fission, {**ROWS, "weights": {"map": 5}}),
    "split_join": Case(
        rw.split_join(1),
        {"weights": {"map": 4}},
        lambda data, b, sizes: rw.split_join(_factor(data, _value(b["length"], sizes))),
    ),
    "join_split": Case(rw.join_split, {**ROWS, "weights": {"map": 5}}),
    "join_split_id": Case(rw.join_split_id, {"weights": {"roundtrip": 5, "split": 3}}),
    "split_join_id": Case(rw.split_join_id, {**ROWS, "weights": {"roundtrip": 5, "join": 3}}),
    "transpose_transpose_id": Case(rw.transpose_transpose_id, {**ROWS, "weights": {"roundtrip": 6, "transpose": 3}}),
    "gather_scatter_id": Case(rw.gather_scatter_id, {"weights": {"roundtrip": 5, "gather": 3, "scatter": 3}}),
    "scatter_gather_id": Case(rw.scatter_gather_id, {"weights": {"roundtrip": 5, "gather": 3, "scatter": 3}}),
    "reduce_map_fusion": Case(rw.reduce_map_fusion, {"weights": {"map": 6, "reduce": 4, "reduce_seq": 4}}),
    "partial_reduce": Case(rw.partial_reduce, {"weights": {"reduce": 5}}),
    "partial_reduce_split_join": Case(
        rw.partial_reduce_split_join(1),
        {"weights": {"reduce": 5}},
        lambda data, b, sizes: rw.partial_reduce_split_join(_factor(data, _value(b["length"], sizes))),
        prepare=rw.partial_reduce,
    ),
    "map_reduce_interchange": Case(
        rw.map_reduce_interchange, {**ROWS, "weights": {"map": 4, "reduce": 4, "reduce_seq": 2}}
    ),
    "map_map_interchange": Case(rw.map_map_interchange, {"weights": {"map": 5, "cartesian": 3}}),
    "slide_tiling": Case(rw.slide_tiling(1), {"weights": {"slide": 5}}, _slide_step),
    "tile_2d": Case(
        rw.tile_2d(1, 1),
        {**ROWS, "weights": {"map": 5}},
        lambda data, b, sizes: rw.tile_2d(
            _factor(data, _value(b["rows"], sizes)), _factor(data, _value(b["cols"], sizes))
        ),
    ),
    "add_id": Case(rw.add_id),
    "remove_id": Case(rw.remove_id, {"weights": {"id": 4}}),
    "implement_id": Case(rw.implement_id, {"weights": {"id": 4}}),
}


def _draw_program(data: st.DataObject, case: Case) -> tuple[Fun, Sizes, list[Site]]:
    """A random program with a site for ``case.probe``, its sizes, and the sites."""
    ranks = case.options.get("rank", (1, 2))
    rank = ranks if isinstance(ranks, int) else data.draw(st.sampled_from(ranks), label="rank")
    sizes: dict[str, int] | None = None
    if data.draw(st.integers(0, 2), label="symbolic?") == 0:
        dims = st.sampled_from([8, 6, 4, 12, 3, 5])
        sizes = {name: data.draw(dims, label=name) for name in ("N", "M")[:rank]}
    dtype = data.draw(st.sampled_from([f32, i32]), label="dtype")
    options = {k: v for k, v in case.options.items() if k != "rank"}
    for _ in range(TRIES):
        shape = {"sizes": sizes} if sizes is not None else {"rank": rank}
        prog = data.draw(programs(dtype=dtype, min_stages=2, max_stages=5, **shape, **options), label="program")
        if case.prepare is not None:
            enabling = rw.sites(prog, case.prepare)
            if not enabling:
                continue
            prog = rw.apply(prog, case.prepare, data.draw(st.sampled_from(enabling), label="prepared at"))
        found = rw.candidate_sites(prog, case.probe)
        if found:
            return prog, sizes, found
    reject()


@pytest.mark.parametrize("name", sorted(CASES))
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(data=st.data())
def test_rule_keeps_type_and_meaning(name: str, data: st.DataObject) -> None:
    case = CASES[name]
    prog, sizes, found = _draw_program(data, case)
    site = data.draw(st.sampled_from(found), label="site")
    rule = case.probe if case.choose is None else case.choose(data, rw.bindings(prog, case.probe, site), sizes)
    note(f"{rule.name} at {site.description}, sizes {sizes}\n{pretty(prog, types=True)}")
    (here,) = [s for s in rw.candidate_sites(prog, rule) if s == site]
    if here.refusals:
        condition = here.refusals[0].split(" fails: ")[0]
        with pytest.raises(RewriteError, match=condition):
            rw.apply(prog, rule, site)
        event(f"refused: {condition}")
        return
    new = rw.apply(prog, rule, site)
    note(f"rewritten:\n{pretty(new, types=True)}")
    assert new.param_types == prog.param_types
    assert types_equal(new.type.result, prog.type.result, prog.constraints)
    assert_equivalent(prog, new, sizes=sizes, data=data, examples=2)
    event("applied")
