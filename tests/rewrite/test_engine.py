"""The engine: sites and their descriptions, eta-expansion, site checks, the final verification, ``iterate``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

import lift.rewrite as rw
from lift import Array, f32, fun, size
from lift.dsl import iterate, join, map, pad, reduce, show, split
from lift.dsl.ir import Expr, FunCall, Map
from lift.dsl.prelude import add, square
from lift.errors import LiftError, RewriteError
from lift.rewrite import Condition, Rule
from lift.rewrite.engine import contract, expand
from lift.testing import programs

N = size("N")


@fun
def nested(x: Array[Array[f32, 4], 8]):
    return x >> map(map(square)) >> map(reduce(add, 0.0))


def test_sites_come_in_program_order_with_readable_descriptions() -> None:
    assert [str(s) for s in rw.sites(nested, rw.split_join(2))] == [
        "map0 at `x >> map(map(square))`",
        "map1 in map0 at `map(square)`",
        "map2 at `x >> map(map(square)) >> map(reduce(add, 0.0))`",
    ]
    assert [s.description for s in rw.sites(nested, rw.partial_reduce)] == ["reduce in map2 at `reduce(add, 0.0)`"]


def test_a_site_is_a_path_through_the_eta_expanded_program() -> None:
    (inner,) = [s for s in rw.sites(nested, rw.split_join(2)) if "map1" in s.description]
    # the outer map's function map(square) is seen as λeta. map(square)(eta): its body is the site
    assert inner.path == (("body", None), ("args", 0), ("f", None), ("f", None), ("body", None))
    assert show(rw.apply(nested, rw.split_join(2), inner).body) == (
        "x >> map(lambda x1: x1 >> split(2) >> map(map(square)) >> join) >> map(reduce(add, 0.0))"
    )


def test_candidate_sites_include_refusals_and_sites_only_where_the_rule_applies() -> None:
    candidates = rw.candidate_sites(nested, rw.split_join(8))
    assert [c.applies for c in candidates] == [True, False, True]
    assert candidates[1].refusals == ("divides fails: the chunk size 8 must divide the length 4 of the mapped array",)
    assert rw.sites(nested, rw.split_join(8)) == [candidates[0], candidates[2]]


def test_bindings_show_what_the_pattern_bound() -> None:
    b = rw.bindings(nested, rw.split_join(3), 0)
    assert str(b["length"]) == "8" and str(b["n"]) == "3"
    assert show(b["x"]) == "x"
    assert b.text()["map"] == "map(map(square))"


def test_expand_and_contract_are_inverse() -> None:
    expanded, introduced = expand(nested)
    assert show(expanded.body) == (
        "x >> map(lambda eta4: eta4 >> map(lambda eta3: square(eta3))) >> map(lambda eta2: eta2 >> "
        "reduce(lambda eta, eta1: add(eta, eta1), 0.0))"
    )
    assert introduced == {"eta", "eta1", "eta2", "eta3", "eta4"}
    assert contract(expanded, introduced) == nested


@given(programs())
def test_expand_and_contract_are_inverse_on_random_programs(prog: Any) -> None:
    expanded, introduced = expand(prog)
    assert expanded.type == prog.type
    assert contract(expanded, introduced) == prog


def test_apply_by_index_and_its_errors() -> None:
    assert (
        show(rw.apply(nested, rw.join_split, 0).body) == "x >> join >> map(square) >> split(4) >> map(reduce(add, 0.0))"
    )
    with pytest.raises(LiftError, match=r"join_split: there are 1 site\(s\) where it applies, so no site number 1"):
        rw.apply(nested, rw.join_split, 1)
    with pytest.raises(LiftError, match="expected a Site or an int"):
        rw.apply(nested, rw.join_split, "map0")  # type: ignore[arg-type]
    with pytest.raises(LiftError, match="expected a Rule"):
        rw.apply(nested, "join_split", 0)  # type: ignore[arg-type]


def test_a_site_of_another_program_or_rule_is_rejected() -> None:
    @fun
    def other(x: Array[f32, 8]):
        return x >> reduce(add, 0.0)

    site = rw.sites(nested, rw.join_split)[0]
    with pytest.raises(LiftError, match="is not a site of the program other"):
        rw.apply(other, rw.join_split, site)
    reduce_site = rw.sites(nested, rw.partial_reduce)[0]
    with pytest.raises(RewriteError, match=r"join_split does not match at reduce in map2"):
        rw.apply(nested, rw.join_split, reduce_site)


def test_inside_iterate_the_rewrite_must_hold_at_every_iteration() -> None:
    @fun
    def growing(x: Array[f32, 4]):
        # the body's map runs over 5 elements, then over 6; the body is typed at its last iteration
        return x >> iterate(2, lambda h: h >> pad(1, 0, "clamp") >> map(square))

    (six,) = rw.candidate_sites(growing, rw.split_join(3))
    assert six.refusals and six.refusals[0].startswith("every_iteration fails:")
    assert "ill-typed" in six.refusals[0]
    assert rw.sites(growing, rw.split_join(3)) == []
    with pytest.raises(
        RewriteError, match=r"split_join\(3\) cannot be applied at map0 .*: the condition every_iteration fails"
    ) as info:
        rw.apply(growing, rw.split_join(3), six)
    assert (info.value.rule, info.value.condition) == ("split_join(3)", "every_iteration")
    assert len(rw.sites(growing, rw.split_join(1))) == 1


def test_iterate_zero_times_has_no_sites() -> None:
    @fun
    def never(x: Array[f32, 4]):
        return x >> iterate(0, map(square))

    assert rw.candidate_sites(never, rw.split_join(2)) == []


def _map_call(e: Expr) -> dict[str, Any] | None:
    if isinstance(e, FunCall) and isinstance(e.f, Map):
        return {"x": e}
    return None


def test_a_rule_that_changes_the_type_is_caught() -> None:
    @fun
    def squares(x: Array[f32, 8]):
        return x >> map(square)

    wrong = Rule("wrong", "e  =  e >> split(2)", _map_call, lambda b: split(2)(b["x"]))
    with pytest.raises(RewriteError, match=r"wrong at map0 at `x >> map\(square\)`: the rewritten program has type "):
        rw.apply(squares, wrong, 0)
    with pytest.raises(
        RewriteError, match=r"wrong at map0 at .*: the rewritten program is ill-typed: reduce\(add, 0.0\)"
    ):
        rw.apply(nested, wrong, 0)


def test_a_rule_that_needs_a_new_size_fact_is_caught() -> None:
    @fun
    def symbolic(x: Array[f32, N]):
        return x >> map(square)

    split_join_without_condition = Rule(
        "split_join_without_condition", rw.split_join(2).equation, rw.split_join(2).match, rw.split_join(2).build
    )
    with pytest.raises(RewriteError, match=r"needs the size fact N % 2 == 0, which the original program does not"):
        rw.apply(symbolic, split_join_without_condition, 0)


def test_user_defined_rules_are_ordinary_values() -> None:
    def square_of_square(e: Expr) -> dict[str, Any] | None:
        if isinstance(e, FunCall) and e.f == square and isinstance(e.args[0], FunCall) and e.args[0].f == square:
            return {"v": e.args[0].args[0]}
        return None

    never = Condition("never", "this rule is switched off for {v}", lambda b: False)
    fourth = Rule("fourth_power", "square(square(v))  =  square(square(v))", square_of_square, lambda b: b["v"])
    off = Rule("off", fourth.equation, square_of_square, lambda b: b["v"], (never,))

    @fun
    def quartic(x: Array[f32, 8]):
        return x >> map(lambda v: square(square(v)))

    (site,) = rw.sites(quartic, fourth)
    assert site.description == "square at `square(square(v))`"
    with pytest.raises(LiftError, match="the condition never fails: this rule is switched off for v"):
        rw.apply(quartic, off, rw.candidate_sites(quartic, off)[0])


def test_split_and_join_helpers_keep_programs_intact() -> None:
    @fun
    def chain(x: Array[f32, 16]):
        return x >> split(4) >> join >> split(2) >> map(reduce(add, 0.0)) >> join

    new = rw.apply(chain, rw.join_split_id, 0)
    assert show(new.body) == "x >> split(2) >> map(reduce(add, 0.0)) >> join"
    assert new.name == "chain" and new.param_types == chain.param_types


def test_a_refused_rewrite_names_its_rule_site_and_condition() -> None:
    @fun
    def eight(x: Array[f32, 8]):
        return x >> map(square)

    (site,) = rw.candidate_sites(eight, rw.split_join(3))
    with pytest.raises(RewriteError) as info:
        rw.apply(eight, rw.split_join(3), site)
    assert isinstance(info.value, LiftError)
    assert info.value.rule == "split_join(3)"
    assert info.value.site == site.description
    assert info.value.condition and info.value.condition in str(info.value)
