"""Every rule of the mapping model: a program and a complete choice that violate that rule and no other, and
an explanation that names it; the rules decided on index expressions by the backend; ``lift.check``."""

from __future__ import annotations

import pytest

import lift
from lift import Array, f32, f64, fun, size, userfun
from lift.dsl import (
    gather,
    id,
    join,
    map,
    map_glb,
    map_lcl,
    map_wrg,
    reduce,
    reduce_seq,
    reverse,
    slide,
    split,
    to_local,
    transpose,
    zip,
)
from lift.dsl.prelude import add, mult, square
from lift.solve import DeviceDescription, MappingSpace

N = size("N")
M = size("M")


@fun
def nest3(x: Array[Array[Array[f32, 4], 4], 4]):
    """Three perfectly nested computing maps."""
    return x >> map(map(map(square)))


@fun
def two_nests(x: Array[Array[f32, 8], 8]):
    """map0 with two maps in sequence: map1 writes an intermediate that map2 reads reversed."""
    return x >> map(lambda r: r >> map(square) >> gather(reverse) >> map(square))


@fun
def whole_sum(x: Array[f32, 16]):
    return x >> reduce(add, 0.0)


@fun
def dot16(x: Array[f32, 16], y: Array[f32, 16]):
    return zip(x, y) >> map(mult) >> reduce(add, 0.0)


@fun
def fold16(x: Array[f32, 16]):
    return x >> reduce_seq(add, 0.0)


@fun
def copied(x: Array[f32, 16]):
    """A copy (``id``) of a whole array outside every map."""
    return x >> map(square) >> id


@fun
def squares_transposed(x: Array[Array[f32, 8], 8]):
    """Rows written by one kernel, read by columns by the next (nests of one depth in both)."""
    return x >> map(map(square)) >> transpose >> map(map(square))


@fun
def cube_row_sums(x: Array[Array[Array[f32, 4], 4], 4]):
    """A reduction inside a map inside a map."""
    return x >> map(map(reduce(add, 0.0)))


@fun
def rows_down(x: Array[Array[f32, 8], 8]):
    """Rows written by one kernel, read two at a time down the columns by the next."""
    y = x >> map(map(square))
    return y >> slide(2, 1) >> map(lambda rows: rows >> transpose >> map(reduce(add, 0.0)) >> join)


@fun
def big_rows(x: Array[Array[f32, 512], 8]):
    return x >> map(lambda r: r >> map(square) >> gather(reverse) >> map(square))


@fun
def symbolic_rows(x: Array[Array[f32, M], N]):
    return x >> map(lambda r: r >> map(square) >> gather(reverse) >> map(square))


@fun
def nest4(x: Array[Array[Array[Array[f32, 2], 2], 2], 2]):
    return x >> map(map(map(map(square))))


TINY = DeviceDescription("tiny", 256, local_mem_size=1024)

# For every kind of rule: a program, a complete choice, and the one rule instance it breaks (found by a search
# with the plain evaluator; the test checks that nothing else breaks).
ALONE = [
    (copied, None, {"map0": "glb0"}, "top-level-computation:0"),
    (dot16, None, {"map0": "glb0", "reduce0": "seq", "cut:map0": "no"}, "reduction-in-kernels-of-its-own:reduce0"),
    (dot16, None, {"map0": "fuse", "reduce0": "wrg0", "cut:map0": "yes"}, "fused-into-reduction:map0>reduce0"),
    (fold16, None, {"reduce0": "wrg0"}, "parallel-reduction:reduce0"),
    (
        squares_transposed,
        None,
        {"map0": "glb0", "map1": "glb1", "map2": "glb0", "map3": "seq", "cut:map0": "yes"},
        "same-dims-across-kernels:map2 > map3:glb1",
    ),
    (cube_row_sums, None, {"map0": "wrg0", "map1": "seq", "map1_reduce0": "lcl0"}, "work-group-reduction:map1_reduce0"),
    (nest3, None, {"map0": "glb2", "map1": "wrg0", "map2": "lcl0"}, "no-glb-with-wrg-lcl"),
    (nest3, None, {"map0": "glb2", "map1": "glb0", "map2": "glb2"}, "nested-parallel-dims:map0>map2"),
    (nest4, None, {"map0": "wrg2", "map1": "lcl1", "map2": "lcl2", "map3": "wrg1"}, "no-wrg-inside-lcl:map1>map3"),
    (nest3, None, {"map0": "seq", "map1": "fuse", "map2": "glb2"}, "top-level-parallel:map0"),
    (
        two_nests,
        None,
        {"map0": "glb1", "map1": "fuse", "map2": "seq", "space:map1": "private"},
        "fuse-needs-perfect-nesting:map1",
    ),
    (nest3, None, {"map0": "glb1", "map1": "fuse", "map2": "fuse"}, "fuse-once:map1>map2"),
    (nest3, None, {"map0": "glb1", "map1": "seq", "map2": "seq"}, "nested-sequential-maps-fuse:map1>map2"),
    (nest3, None, {"map0": "wrg1", "map1": "seq", "map2": "fuse"}, "wrg-with-lcl:map0 > map1 > map2:1"),
    (two_nests, None, {"map0": "glb0", "map1": "seq", "map2": "glb1"}, "same-dims-in-every-nest:map0 > map1:glb1"),
    (
        two_nests,
        None,
        {"map0": "wrg0", "map1": "lcl0", "map2": "lcl0", "space:map1": "private"},
        "private-is-one-thread:map1",
    ),
    (
        two_nests,
        None,
        {"map0": "glb1", "map1": "seq", "map2": "seq", "space:map1": "local"},
        "local-inside-map-wrg:map1",
    ),
    (
        symbolic_rows,
        None,
        {"map0": "glb2", "map1": "seq", "map2": "seq", "space:map1": "private"},
        "constant-size-for-local-private:map1",
    ),
    (
        big_rows,
        TINY,
        {"map0": "glb1", "map1": "seq", "map2": "seq", "space:map1": "private"},
        "private-memory-fits:map1",
    ),
    (big_rows, TINY, {"map0": "wrg0", "map1": "lcl0", "map2": "lcl0", "space:map1": "local"}, "local-memory-fits"),
]


# Rules that other rules imply while Lift's search heuristics are on: cases for the model without them.
UNPRUNED = [
    (
        dot16,
        None,
        {"map0": "glb0", "reduce0": "seq", "cut:map0": "yes", "space:map0": "private"},
        "cut-writes-global:map0",
    ),
]


def test_every_kind_of_rule_has_a_case() -> None:
    programs = (nest3, two_nests, whole_sum, symbolic_rows, nest4, dot16, fold16, copied, squares_transposed)
    programs += (cube_row_sums,)
    kinds = {
        r.name.split(":")[0]
        for prog in programs
        for r in MappingSpace(prog, {} if prog is not symbolic_rows else None).rules
    }
    kinds |= {r.name.split(":")[0] for r in MappingSpace(big_rows, {}, TINY).rules}
    assert kinds == {rule.split(":")[0] for *_, rule in [*ALONE, *UNPRUNED]}


@pytest.mark.parametrize(
    ("prog", "device", "choice", "rule", "heuristics"),
    [(*c, True) for c in ALONE] + [(*c, False) for c in UNPRUNED],
    ids=[c[-1] for c in [*ALONE, *UNPRUNED]],
)
def test_a_choice_violating_only_this_rule_is_explained_by_it(
    prog: lift.dsl.ir.Fun, device: DeviceDescription | None, choice: dict[str, str], rule: str, heuristics: bool
) -> None:
    space = MappingSpace(prog, None if prog is symbolic_rows else {}, device, heuristics=heuristics)
    assert [r.name for r in space.violations(choice)] == [rule]
    explanation = space.explain(choice)
    assert explanation.names == [rule], str(explanation)
    assert dict(explanation.rules)[rule] in list(explanation)


def test_a_possible_choice_has_no_explanation() -> None:
    assert not lift.explain(nest3, {"map0": "glb0", "map1": "glb1"})
    assert not lift.explain(two_nests, {"map0": "wrg0", "map1": "lcl0", "space:map1": "local"}, sizes={})


def test_index_expressions_decide_barriers_between_work_groups() -> None:
    @fun
    def flip(x: Array[f32, 64]):
        return x >> split(64) >> map(lambda c: c >> map(square) >> gather(reverse) >> map(square)) >> join

    explanation = lift.explain(flip, {"map0": "glb0", "map1": "glb1", "map2": "glb1"})
    assert explanation.names == ["no-sync-between-work-groups"], str(explanation)
    assert not lift.explain(flip, {"map0": "wrg0", "map1": "lcl0", "map2": "lcl0"})


def test_two_writers_of_one_element_are_refused() -> None:
    @fun
    def rows_then_dot(x: Array[Array[f32, 8], 8], y: Array[f32, 8]):
        return x >> map(lambda r: zip(r, y) >> map(mult) >> reduce(add, 0.0)) >> join

    # every thread of the work-group sums the row itself, and writes the one element
    explanation = lift.explain(rows_then_dot, {"map0": "wrg0", "map1": "lcl0", "map0_reduce0": "seq"})
    assert explanation.names == ["no-write-write-race"], str(explanation)
    # shared by the threads (a work-group reduction), one of them writes it
    assert not lift.explain(rows_then_dot, {"map0": "wrg0", "map1": "lcl0", "map0_reduce0": "lcl0"})


def test_check_reads_the_mapping_of_a_low_level_program() -> None:
    @fun
    def good(x: Array[f32, 64]):
        return x >> split(16) >> map_wrg(lambda c: c >> to_local(map_lcl(id)) >> gather(reverse) >> map_lcl(id)) >> join

    @fun
    def bad(x: Array[Array[f32, 8], 8]):
        return x >> map_glb(map_lcl(square))

    @fun
    def not_lowered(x: Array[f32, 8]):
        return x >> map(square)

    assert not lift.check(good, sizes={})
    assert lift.solve.choices_of(good) == {"map0": "wrg0", "map1": "lcl0", "space:map1": "local", "map2": "lcl0"}
    assert "no-glb-with-wrg-lcl" in lift.check(bad).names
    with pytest.raises(lift.LiftError, match="no level"):
        lift.check(not_lowered)


def test_explain_rejects_unknown_names() -> None:
    with pytest.raises(lift.LiftError, match="no map 'map9'"):
        lift.explain(nest3, {"map9": "glb0"})
    with pytest.raises(lift.LiftError, match="unknown level"):
        lift.explain(nest3, {"map0": "gpu0"})
    with pytest.raises(lift.LiftError, match="no address-space choice"):
        lift.explain(nest3, {"space:map0": "local"})


def test_a_private_array_filled_by_parallel_maps_is_refused() -> None:
    """Found by the soundness property test: map1's private output is written by map2's threads, each in its own
    private copy, then read whole by map3 — every thread would read parts no one wrote in its copy."""
    from lift.dsl.ir import Fun, FunCall, Lambda, Map, Param
    from lift.types.arith import Cst
    from lift.types.data import ArrayType

    def outer(a: Param) -> FunCall:
        return a >> map(lambda u: a >> map(lambda w: mult(u, w)))

    x = Param("x")
    row = Lambda((x,), outer(x) >> map(lambda a: outer(a)))
    rows = Param("rows")
    prog = Fun((rows,), FunCall(Map(row), (rows,)), "outer2", (ArrayType(Array[f32, 4], Cst(4)),))
    choice = {"map0": "glb0", "map1": "seq", "map2": "glb2", "map3": "seq", "map4": "seq", "map5": "glb2",
              "space:map1": "private"}  # fmt: skip
    assert "private-is-one-thread:map1" in lift.explain(prog, choice, sizes={}).names


@userfun
def square64(x: f64) -> f64:
    return x * x


@fun
def rows64(x: Array[Array[f64, 128], 8]):
    return x >> map(lambda r: r >> map(square64) >> gather(reverse) >> map(square64))


@fun
def rows32(x: Array[Array[f32, 128], 8]):
    return x >> map(lambda r: r >> map(square) >> gather(reverse) >> map(square))


def test_local_memory_counts_each_scalar_at_its_width() -> None:
    """A row of 128 floats takes 512 bytes and fits 600; a row of 128 doubles takes 1024 and does not."""
    choice = {"map0": "wrg0", "map1": "lcl0", "map2": "lcl0", "space:map1": "local"}
    small = MappingSpace(rows32, {}, DeviceDescription("tiny", 256, local_mem_size=600))
    large = MappingSpace(rows64, {}, DeviceDescription("tiny", 256, local_mem_size=600))
    assert "local-memory-fits" not in {r.name for r in small.violations(choice)}
    assert "local-memory-fits" in {r.name for r in large.violations(choice)}
