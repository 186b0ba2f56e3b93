"""Soundness of the mapping model: random programs × sampled valid mappings compile to kernels that agree with
the interpreter on PoCL, and in which Oclgrind finds no data race, no barrier divergence, no invalid access."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume, event, given, note, settings
from hypothesis import strategies as st

import lift
from lift.dsl import pretty
from lift.dsl.ir import Fun, FunCall, Lambda, Map, Param
from lift.testing import inputs_for, programs
from lift.types.arith import Cst
from lift.types.data import ArrayType
from tests.ocl.conftest import HAS_OCLGRIND, needs_pocl, run_under_oclgrind


def _equal(got: Any, expected: Any) -> None:
    if isinstance(expected, tuple):
        for g, e in zip(got, expected):
            _equal(g, e)
        return
    np.testing.assert_array_equal(got, expected)


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
        _equal(kernel(*arrays), expected)
        if HAS_OCLGRIND:
            checked = lift.compile(prog, sizes={}, mapping=mapping, device="oclgrind")
            _equal(run_under_oclgrind(checked, *arrays), expected)
