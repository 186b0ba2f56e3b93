"""Soundness of the mapping model: random programs × sampled valid mappings compile to kernels that agree with
the interpreter on PoCL, and in which Oclgrind finds no data race, no barrier divergence, no invalid access.

Two families: a random computation mapped over rows, and a map-produced intermediate read by a later map
through ``slide``/``transpose``/``pad``/``gather`` (elements written by one work-group and read by another: the
shape that once slipped through the model)."""

from __future__ import annotations

from hypothesis import Phase, assume, event, given, note, settings
from hypothesis import strategies as st

import lift
from lift.dsl import gather, join, map, pad, pretty, reduce, reduce_seq, reverse, slide, transpose
from lift.dsl.ir import Expr, Fun, FunCall, Lambda, Map, Param
from lift.dsl.prelude import add, square, subtract
from lift.testing import inputs_for, programs
from lift.types.arith import Cst
from lift.types.data import ArrayType, f32
from tests.ocl.conftest import HAS_OCLGRIND, assert_same_results, needs_pocl, run_under_oclgrind

ROWS = 4


@st.composite
def mapped_programs(draw: st.DrawFn) -> Fun:
    """``rows >> map(λx. p(x))`` for a random program ``p`` over one row: a top-level map, so that the program
    has parallel mappings, around random nested computations."""
    inner = draw(programs(rank=1, max_stages=3, max_depth=2, max_elems=64))
    (row_type,) = inner.param_types
    rows = Param("rows")
    body = FunCall(Map(Lambda(inner.params, inner.body)), (rows,))
    return Fun((rows,), body, "mapped", (ArrayType(row_type, Cst(ROWS)),))


@needs_pocl
@settings(max_examples=max(10, settings.default.max_examples // 2))  # each example runs several kernels
@given(data=st.data(), prog=mapped_programs())
def test_sampled_mappings_are_correct_and_race_free(data: st.DataObject, prog: Fun) -> None:
    note(pretty(prog, types=True))
    space = lift.mappings(prog, sizes={})
    valid = space.sample(3, seed=data.draw(st.integers(0, 1000)))
    assume(valid)  # a program with no valid mapping (a reduction outside every map) has nothing to check
    event(f"mappings: {min(space.count(), 20)}+" if space.count() >= 20 else f"mappings: {space.count()}")
    arrays = data.draw(inputs_for(prog))
    expected = lift.interpret(prog, *arrays)
    for mapping in valid:
        note(repr(mapping))
        kernel = lift.compile(prog, sizes={}, mapping=mapping, device="pocl")
        assert_same_results(kernel(*arrays), expected)
        if HAS_OCLGRIND:
            checked = lift.compile(prog, sizes={}, mapping=mapping, device="oclgrind")
            assert_same_results(run_under_oclgrind(checked, *arrays), expected)


def _down(y: Expr) -> Expr:
    """Two rows at a time, summed down each column (the issue's minimal case)."""
    return y >> slide(2, 1) >> map(lambda rows: rows >> transpose >> map(reduce(add, 0.0)) >> join)


def _columns(y: Expr) -> Expr:
    """Each column summed: every output reads an element of every row."""
    return y >> transpose >> map(lambda col: col >> reduce(add, 0.0)) >> join


def _vertical_stencil(y: Expr) -> Expr:
    """A clamped three-row stencil down the columns."""
    return (
        y >> pad(1, 1, "clamp") >> slide(3, 1) >> map(lambda band: band >> transpose >> map(reduce(add, 0.0)) >> join)
    )


def _reversed_rows(y: Expr) -> Expr:
    """The rows in reverse order, squared."""
    return y >> gather(reverse) >> map(map(square))


def _own_row(y: Expr) -> Expr:
    """Each row summed where it was written: a read that can stay in one thread."""
    return y >> map(lambda row: row >> reduce(add, 0.0)) >> join


def _square_rows(x: Expr) -> Expr:
    return x >> map(map(square))


def _row_differences(x: Expr) -> Expr:
    """Within each row, neighbours subtracted (a row stencil as the producer)."""
    return x >> map(lambda row: row >> pad(1, 0, "clamp") >> slide(2, 1) >> map(reduce_seq(subtract, 0.0)) >> join)


PRODUCERS = {"square": _square_rows, "row_differences": _row_differences}
READERS = {
    "down": _down,
    "columns": _columns,
    "vertical_stencil": _vertical_stencil,
    "reversed_rows": _reversed_rows,
    "own_row": _own_row,
}


@st.composite
def cross_reading_programs(draw: st.DrawFn) -> Fun:
    """``x >> producer >> reader``: an intermediate computed by maps, read by a later map through a
    rearrangement, over a small 2-D input."""
    rows, cols = draw(st.integers(2, 6)), draw(st.integers(1, 6))
    producer = draw(st.sampled_from(sorted(PRODUCERS)))
    reader = draw(st.sampled_from(sorted(READERS)))
    x = Param("x")
    body = READERS[reader](PRODUCERS[producer](x))
    return Fun((x,), body, f"{producer}_then_{reader}", (ArrayType(ArrayType(f32, Cst(cols)), Cst(rows)),))


@needs_pocl
@settings(max_examples=max(8, settings.default.max_examples // 3), phases=tuple(set(Phase) - {Phase.explain}))
@given(data=st.data(), prog=cross_reading_programs())
def test_intermediates_read_across_work_groups_are_never_wrong(data: st.DataObject, prog: Fun) -> None:
    note(pretty(prog, types=True))
    space = lift.mappings(prog, sizes={})
    valid = space.sample(3, seed=data.draw(st.integers(0, 1000)))
    event(f"valid mappings: {'some' if valid else 'none'}")
    arrays = data.draw(inputs_for(prog))
    expected = lift.interpret(prog, *arrays)
    for mapping in valid:
        note(repr(mapping))
        assert_same_results(lift.compile(prog, sizes={}, mapping=mapping, device="pocl")(*arrays), expected)
        if HAS_OCLGRIND:
            checked = lift.compile(prog, sizes={}, mapping=mapping, device="oclgrind")
            assert_same_results(run_under_oclgrind(checked, *arrays), expected)
    # the default policy: the most parallel valid mapping, or one work-item when there is none
    assert_same_results(lift.compile(prog, sizes={}, device="pocl")(*arrays), expected)
