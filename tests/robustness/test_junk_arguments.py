"""Random junk in every argument position of the public API (arrays, scalars, sizes dicts, mappings, partial
choices) raises a ``LiftError`` — or works — and never anything else (issue 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lift
from lift import Array, f32, fun, i32, size
from lift.dsl import map, reduce, zip
from lift.dsl.prelude import add, mult
from lift.solve.mapping import LEVELS, SPACES

N = size("N")


@fun
def dot(x: Array[f32, N], y: Array[f32, N]):
    return zip(x, y) >> map(mult) >> reduce(add, 0.0)


@fun
def scale(x: Array[i32, N], a: f32):
    return x >> map(lambda v: v) >> map(lambda v: v)


_DTYPES = st.sampled_from(["float32", "float64", "int32", "int64", "int8", "uint64", "bool", "complex64", "<U3"])
_ARRAYS = hnp.arrays(_DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.sampled_from([np.float32(2), np.float64(2), np.int64(3), np.uint8(1), np.bool_(True), np.str_("1")]),
)
_SPECIAL = st.sampled_from(
    [
        np.array([1.0, None], dtype=object),
        np.ma.masked_array(np.arange(4, dtype=np.float32), mask=[1, 0, 0, 0]),
        np.arange(8, dtype=np.float32)[::2],
        np.zeros((0, 2), np.float32),
        object(),
        add,
        N,
    ]
)
JUNK = st.recursive(
    st.one_of(_SCALARS, _ARRAYS, _SPECIAL),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), inner, max_size=3),
    ),
    max_leaves=6,
)
SIZES = st.one_of(
    JUNK,
    st.dictionaries(
        st.one_of(st.sampled_from(["N", "M", "N M", "", "0"]), st.text(max_size=3)),
        st.one_of(st.integers(min_value=-(2**70), max_value=2**70), JUNK),
        max_size=3,
    ),
)
CHOICES = st.one_of(
    JUNK,
    st.dictionaries(
        st.one_of(st.sampled_from(["map0", "map1", "space:map0", "x y"]), st.text(max_size=3), st.integers()),
        st.one_of(st.sampled_from([*LEVELS, *SPACES, "bogus", ""]), JUNK),
        max_size=3,
    ),
)


def _named_or_works(call: Callable[[], Any]) -> None:
    try:
        call()
    except lift.LiftError:
        pass  # a named refusal; anything else propagates and fails the test


@settings(max_examples=max(25, settings.default.max_examples))
@given(JUNK, JUNK)
def test_junk_arrays_and_scalars(x: Any, y: Any) -> None:
    _named_or_works(lambda: lift.interpret(dot, x, y))
    _named_or_works(lambda: lift.interpret(scale, x, y))
    _named_or_works(lambda: lift.interpret(dot, np.arange(3, dtype=np.float32), y))


@given(SIZES)
def test_junk_sizes(sizes: Any) -> None:
    _named_or_works(lambda: lift.mappings(dot, sizes=sizes).count())
    _named_or_works(lambda: lift.explain(dot, {"map0": "glb0"}, sizes=sizes))


@given(CHOICES, CHOICES)
def test_junk_mappings_and_choices(levels: Any, spaces: Any) -> None:
    _named_or_works(lambda: lift.Mapping(levels, spaces))
    _named_or_works(lambda: lift.Mapping(levels))
    _named_or_works(lambda: lift.explain(dot, levels, sizes={"N": 8}))
