"""Each rule on a hand-written program: the exact result, the meaning kept, and the refusals with their reasons."""

from __future__ import annotations

import numpy as np
import pytest

import lift
import lift.rewrite as rw
from lift import Array, f32, fun, i32, size
from lift.dsl import (
    gather,
    id,
    join,
    map,
    map_glb,
    map_seq,
    reduce,
    reduce_seq,
    reverse,
    scatter,
    show,
    slide,
    split,
    stride,
    transpose,
    zip,
)
from lift.dsl.ir import Fun, Map, walk
from lift.dsl.prelude import add, maximum, mult, square
from lift.errors import LiftError
from lift.rewrite import Rule
from lift.types.checker import types_equal

N, M = size("N"), size("M")
RNG = np.random.default_rng(7)


def rewrite(prog: Fun, rule: Rule, site: int = 0) -> str:
    """The rewritten program's body, after checking that it means the same on random small integers."""
    new = rw.apply(prog, rule, site)
    assert types_equal(new.type.result, prog.type.result, prog.constraints)
    sizes = {"N": 8, "M": 4}
    args = []
    for t in prog.param_types:
        shape = tuple(s.evaluate(sizes) for s in t.shape)  # type: ignore[attr-defined]
        args.append(RNG.integers(-3, 4, shape).astype(t.scalar.dtype))  # type: ignore[attr-defined]
    np.testing.assert_array_equal(lift.interpret(new, *args), lift.interpret(prog, *args))
    return show(new.body)


def refusal(prog: Fun, rule: Rule, site: int = 0) -> str:
    """The message of applying ``rule`` at its ``site``-th candidate site, where a condition fails."""
    candidate = rw.candidate_sites(prog, rule)[site]
    assert candidate.refusals
    with pytest.raises(LiftError) as err:
        rw.apply(prog, rule, candidate)
    return str(err.value)


@fun
def two_maps(x: Array[f32, 8]):
    return x >> map(square) >> map(lambda v: add(v, 1.0))


@fun
def grid(x: Array[Array[f32, 4], 8]):
    return x >> map(map(square))


@fun
def dot(x: Array[f32, N], y: Array[f32, N]):
    return zip(x, y) >> map(mult) >> reduce(add, 0.0)


def test_map_fusion() -> None:
    assert rewrite(two_maps, rw.map_fusion) == "x >> map(lambda x1: add(square(x1), 1.0))"


def test_map_fusion_refuses_maps_at_different_levels() -> None:
    @fun
    def mixed(x: Array[f32, 8]):
        return x >> map_seq(square) >> map_glb(square)

    assert "same_level fails: both maps must run at the same level (found map_seq then map_glb(dim=0))" in (
        refusal(mixed, rw.map_fusion)
    )


def test_map_fission() -> None:
    @fun
    def fused(x: Array[f32, 8]):
        return x >> map(lambda v: add(square(v), 1.0))

    @fun
    def rows(x: Array[Array[f32, 4], 8]):
        return x >> map(lambda r: r >> map(square) >> reduce(add, 0.0))

    assert rewrite(fused, rw.map_fission) == "x >> map(square) >> map(lambda y: add(y, 1.0))"
    assert rewrite(rows, rw.map_fission) == "x >> map(map(square)) >> map(reduce(add, 0.0))"


def test_map_fission_refuses_a_last_call_using_the_element() -> None:
    @fun
    def twice(x: Array[f32, 8]):
        return x >> map(lambda v: add(square(v), v))

    assert "independent fails: apart from the computation square(v), the last call add(square(v), v) must not use" in (
        refusal(twice, rw.map_fission)
    )


def test_split_join() -> None:
    assert rewrite(two_maps, rw.split_join(4)) == (
        "x >> split(4) >> map(map(square)) >> join >> map(lambda v: add(v, 1.0))"
    )


def test_split_join_refuses_a_factor_that_does_not_divide() -> None:
    message = refusal(two_maps, rw.split_join(3))
    assert message == (
        "split_join(3) cannot be applied at map0 at `x >> map(square)`: the condition divides fails: the chunk "
        "size 3 must divide the length 8 of the mapped array"
    )
    assert rw.sites(two_maps, rw.split_join(3)) == []


def test_split_join_on_symbolic_sizes_uses_the_programs_facts() -> None:
    @fun
    def known(x: Array[f32, N]):
        return x >> split(4) >> join >> map(square)

    @fun
    def unknown(x: Array[f32, N]):
        return x >> map(square)

    assert rewrite(known, rw.split_join(2)) == "x >> split(4) >> join >> split(2) >> map(map(square)) >> join"
    assert len(rw.sites(known, rw.split_join(4))) == 1
    assert "the chunk size 8 must divide the length N" in refusal(known, rw.split_join(8))
    assert "the chunk size 2 must divide the length N" in refusal(unknown, rw.split_join(2))


def test_split_join_refuses_lowered_maps() -> None:
    @fun
    def lowered(x: Array[f32, 8]):
        return x >> map_glb(square)

    assert "algorithmic fails: the map must be algorithmic map(…), not lowered (found map_glb(dim=0))" in (
        refusal(lowered, rw.split_join(2))
    )


def test_join_split() -> None:
    assert rewrite(grid, rw.join_split) == "x >> join >> map(square) >> split(4)"


def test_join_split_id_and_split_join_id() -> None:
    @fun
    def split_then_join(x: Array[f32, N]):
        return x >> split(4) >> join >> map(square)

    @fun
    def join_then_split(x: Array[Array[f32, M], N]):
        return x >> join >> split(M)

    @fun
    def join_then_other_split(x: Array[Array[f32, 4], 8]):
        return x >> join >> split(2)

    assert rewrite(split_then_join, rw.join_split_id) == "x >> map(square)"
    assert rewrite(join_then_split, rw.split_join_id) == "x"
    assert "same_length fails: the chunk size 2 must equal the length 4 of the rows that join concatenated" in (
        refusal(join_then_other_split, rw.split_join_id)
    )


def test_transpose_transpose_id() -> None:
    @fun
    def twice(x: Array[Array[f32, M], N]):
        return x >> transpose >> transpose >> map(map(square))

    assert rewrite(twice, rw.transpose_transpose_id) == "x >> map(map(square))"


def test_gather_scatter_id_and_scatter_gather_id() -> None:
    @fun
    def scattered(x: Array[f32, 8]):
        return x >> scatter(stride(2)) >> gather(stride(2))

    @fun
    def gathered(x: Array[f32, 8]):
        return x >> gather(reverse) >> scatter(reverse)

    @fun
    def different(x: Array[f32, 8]):
        return x >> scatter(stride(2)) >> gather(stride(4))

    assert rewrite(scattered, rw.gather_scatter_id) == "x"
    assert rewrite(gathered, rw.scatter_gather_id) == "x"
    assert "same_index fails: both must reorder by the same index function (found stride(2) and stride(4))" in (
        refusal(different, rw.gather_scatter_id)
    )
    assert rw.candidate_sites(scattered, rw.scatter_gather_id) == []


def test_reduce_map_fusion() -> None:
    assert rewrite(dot, rw.reduce_map_fusion) == (
        "zip(x, y) >> reduce_seq(lambda acc, x1: add(acc, mult(x1[0], x1[1])), 0.0)"
    )


def test_reduce_map_fusion_refuses_a_parallel_map() -> None:
    @fun
    def parallel(x: Array[f32, 8]):
        return x >> map_glb(square) >> reduce_seq(add, 0.0)

    assert "sequential_map fails: the map must be algorithmic or sequential, found map_glb(dim=0)" in (
        refusal(parallel, rw.reduce_map_fusion)
    )


def test_partial_reduce_and_partial_reduce_split_join() -> None:
    @fun
    def total(x: Array[f32, 16]):
        return x >> reduce(add, 0.0)

    partial = rw.apply(total, rw.partial_reduce, 0)
    assert show(partial.body) == "x >> reduce(add, 0.0) >> reduce(add, 0.0)"
    assert rewrite(partial, rw.partial_reduce_split_join(4)) == (
        "x >> split(4) >> map(reduce(add, 0.0)) >> join >> reduce(add, 0.0)"
    )
    assert "divides fails: the chunk size 3 must divide the length 16 of the reduced array" in (
        refusal(partial, rw.partial_reduce_split_join(3))
    )


def test_partial_reduce_refuses_reduce_seq_and_different_reductions() -> None:
    @fun
    def folded(x: Array[f32, 16]):
        return x >> reduce_seq(add, 0.0)

    @fun
    def two(x: Array[f32, 16]):
        return x >> reduce(maximum, -100.0) >> reduce(add, 0.0)

    assert "associative fails: the reduction must be an algorithmic reduce(f, z)" in refusal(folded, rw.partial_reduce)
    assert "same_reduction fails: the partial reduction reduce(maximum, -100.0) must be the reduction" in (
        refusal(two, rw.partial_reduce_split_join(2))
    )


def test_map_reduce_interchange() -> None:
    @fun
    def rows(x: Array[Array[f32, 4], 8]):
        return x >> map(reduce(add, 0.0))

    @fun
    def computed_rows(x: Array[Array[f32, 4], 8]):
        return x >> map(map(square)) >> map(reduce_seq(add, 0.0))

    assert rewrite(rows, rw.map_reduce_interchange) == (
        "x >> transpose >> reduce(lambda acc, row: zip(acc, row) >> map(add), x >> map(lambda r: 0.0)) >> transpose"
    )
    # the rows are computed once, bound to xs, not once for the reduction and once for its initial value
    assert rewrite(computed_rows, rw.map_reduce_interchange, 0) == (
        "(lambda xs: xs >> transpose >> reduce_seq(lambda acc, row: zip(acc, row) >> map(add), "
        "xs >> map(lambda r: 0.0)) >> transpose)(x >> map(map(square)))"
    )


def test_map_map_interchange() -> None:
    @fun
    def outer(x: Array[f32, 4], y: Array[f32, 3]):
        return x >> map(lambda a: y >> map(lambda b: mult(a, b)))

    @fun
    def dependent(x: Array[Array[f32, 4], 8]):
        return x >> map(lambda r: r >> split(2) >> map(map(square)))

    assert rewrite(grid, rw.map_map_interchange) == "x >> transpose >> map(map(square)) >> transpose"
    assert rewrite(outer, rw.map_map_interchange) == "y >> map(lambda b: x >> map(lambda a: mult(a, b))) >> transpose"
    assert "array_independent fails: the inner map must iterate over the outer element r itself, or over an array" in (
        refusal(dependent, rw.map_map_interchange)
    )


def test_map_map_interchange_renames_binders_that_would_capture() -> None:
    @fun
    def shadowing(b: Array[f32, 4], y: Array[f32, 3]):
        return b >> map(lambda a: y >> map(lambda b: mult(a, b)))  # the inner b shadows the parameter b

    assert rewrite(shadowing, rw.map_map_interchange) == (
        "y >> map(lambda b1: b >> map(lambda a1: mult(a1, b1))) >> transpose"
    )


def test_tile_2d() -> None:
    assert rewrite(grid, rw.tile_2d(2, 2)) == (
        "x >> split(2) >> map(lambda block: block >> map(split(2)) >> transpose) >> map(map(map(map(square)))) "
        ">> map(lambda tiles: tiles >> transpose >> map(join)) >> join"
    )
    assert "cols_divide fails: the tile width 3 must divide the number of columns 4" in refusal(grid, rw.tile_2d(4, 3))
    assert "rows_divide fails: the tile height 3 must divide the number of rows 8" in refusal(grid, rw.tile_2d(3, 2))


def test_slide_tiling() -> None:
    @fun
    def stencil(x: Array[f32, 10]):
        return x >> slide(3, 1) >> map(reduce(add, 0.0))

    assert rewrite(stencil, rw.slide_tiling(4)) == (
        "x >> slide(6, 4) >> map(slide(3, 1)) >> join >> map(reduce(add, 0.0))"
    )
    assert "covers fails: the tiles (2 of 3 windows each) must cover exactly the 8 windows of the slide" in (
        refusal(stencil, rw.slide_tiling(3))
    )


def test_slide_tiling_refuses_a_step_that_is_not_a_multiple() -> None:
    @fun
    def strided(x: Array[f32, 13]):
        return x >> slide(3, 2)

    assert "multiple fails: the tile step 3 must be a multiple of the slide step 2" in (
        refusal(strided, rw.slide_tiling(3))
    )
    assert rewrite(strided, rw.slide_tiling(4)) == "x >> slide(5, 4) >> map(slide(3, 2)) >> join"


def test_copies() -> None:
    @fun
    def squares(x: Array[f32, 8]):
        return x >> map(square)

    assert [str(s) for s in rw.sites(squares, rw.add_id)] == [
        "parameter x",
        "map0 at `x >> map(square)`",
        "element of map0",
        "square in map0 at `square`",
    ]
    assert [rewrite(squares, rw.add_id, i) for i in range(4)] == [
        "x >> id >> map(square)",
        "x >> map(square) >> id",
        "x >> map(lambda x1: square(x1 >> id))",
        "x >> map(lambda x1: square(x1) >> id)",
    ]
    copied = rw.apply(squares, rw.add_id, 1)
    assert rewrite(copied, rw.implement_id) == "x >> map(square) >> map(id)"
    assert rewrite(copied, rw.remove_id) == "x >> map(square)"
    assert "not_a_copy fails: the value x >> map(square) >> id must not already be a copy (id)" in (
        refusal(copied, rw.add_id, 4)
    )


def test_implement_id_refuses_a_scalar_copy() -> None:
    @fun
    def scalar_copy(x: Array[f32, 8]):
        return x >> map(lambda v: square(v) >> id)

    assert "array fails: the copied value square(v) must be an array" in refusal(scalar_copy, rw.implement_id)


def test_rules_on_integer_data_and_tuples() -> None:
    @fun
    def pairs(x: Array[i32, 6], y: Array[i32, 6]):
        return zip(x, y) >> split(3) >> map(map(lambda p: p[0]))

    assert rewrite(pairs, rw.join_split) == "zip(x, y) >> split(3) >> join >> map(lambda p: p[0]) >> split(3)"


def test_every_rule_is_documented_with_its_equation_and_lift_name() -> None:
    for rule in rw.rules(factors=(2,), copies=True):
        assert rule.equation and "  =  " in rule.equation, rule
        assert rule.lift_name, rule
        assert rule.describe().startswith(f"{rule.name}:  {rule.equation}")
    assert rw.split_join(4) == rw.split_join(4) and rw.split_join(4) != rw.split_join(2)


def test_a_copied_reduction_does_not_repeat_map_labels() -> None:
    @fun
    def column_sums(x: Array[Array[f32, 4], 8]):
        zeros = x >> transpose >> map(reduce_seq(lambda acc, v: acc, 0.0)) >> join
        return x >> reduce(lambda a, b: zip(a, b) >> map(add, name="cols"), zeros)

    new = rw.apply(column_sums, rw.partial_reduce, 0)
    assert sum(1 for n in walk(new) if isinstance(n, Map) and n.name == "cols") == 1
    assert rewrite(column_sums, rw.partial_reduce).count("name='cols'") == 1
