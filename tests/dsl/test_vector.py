"""``as_vector(w)`` / ``as_scalar`` and the vector scalar types (``f32x4`` …): typing, errors, meaning (a trailing
lanes axis in numpy), user functions applied lane by lane, printing, JSON, the rewrite engine and the mapping model
on them (OpenCL kernels: tests/ocl/test_vectors.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lift
from lift import Array, Tuple, f32, f32x4, fun, i32, size, userfun
from lift.dsl import as_scalar, as_vector, from_json, map, split, to_json, zip
from lift.dsl.ir import Fun
from lift.dsl.layout import LAYOUTS, Layout
from lift.dsl.prelude import add, mult
from lift.rewrite import rules
from lift.rewrite.engine import candidate_sites
from lift.solve.model import MappingSpace
from lift.types.arith import Cst
from lift.types.data import SCALARS, DataType, vector

N = size("N")
M = size("M")


@fun
def vector_add(x: Array[f32, N], y: Array[f32, N]):
    return zip(x >> as_vector(4), y >> as_vector(4)) >> map(add) >> as_scalar


@fun
def doubled(v: Array[f32x4, N]):
    return v >> map(lambda a: mult(a, a)) >> as_scalar >> split(2)


def test_vector_types_are_scalars_of_lanes() -> None:
    assert (str(f32x4), f32x4.c_name, f32x4.lanes, f32x4.element) == ("f32x4", "float4", 4, f32)
    assert vector(f32, 4) == f32x4 and f32x4.byte_count() == Cst(16) and f32x4.scalar_count() == Cst(4)
    assert str(Array[f32x4, N]) == "[f32x4]N" and lift.i32x8.c_name == "int8"
    assert {"f32x2", "f64x16", "i32x4"} <= set(SCALARS)
    with pytest.raises(lift.LiftTypeError, match=r"vector\(f32, 3\): a vector holds 2, 4, 8 or 16 lanes"):
        vector(f32, 3)


def test_types_and_spelling() -> None:
    assert {"as_vector", "as_scalar"} <= set(LAYOUTS)
    assert str(vector_add.type) == "([f32]N, [f32]N) -> [f32]N"
    assert "as_vector(4)" in str(vector_add) and "as_scalar" in str(vector_add)
    assert str(doubled.type) == "([f32x4]N) -> [[f32]2](2*N)"
    assert str(lift.typecheck(as_vector(8), Array[i32, 16])) == "([i32]16) -> [i32x8]2"


@pytest.mark.parametrize(
    ("make", "arg", "message"),
    [
        (lambda: as_vector(4), Array[f32, 6], r"as_vector\(4\): expected an array whose size is divisible by 4"),
        (lambda: as_vector(2), Array[f32x4, 4], r"as_vector\(2\): expected an array of scalars"),
        (lambda: as_vector(2), Array[Tuple[f32, f32], 4], r"as_vector\(2\): expected an array of scalars"),
        (lambda: as_scalar, Array[f32, 4], r"as_scalar: expected an array of vectors"),
    ],
)
def test_impossible_arguments_are_type_errors(make: Callable[[], Layout], arg: DataType, message: str) -> None:
    with pytest.raises(lift.LiftTypeError, match=message):
        lift.typecheck(make(), arg)


def test_widths_are_checked_where_written() -> None:
    for w in (1, 3, 32, N):
        with pytest.raises(lift.LiftTypeError, match=r"the width must be 2, 4, 8 or 16"):
            as_vector(w)


def test_a_user_function_applies_lane_by_lane_to_vectors_of_one_width() -> None:
    @fun
    def lanes(v: Array[lift.f32x16, 4]):
        return v >> map(lambda a: add(a, a))

    @fun
    def widths(x: Array[f32, 8]):
        return zip(x >> as_vector(4), x >> as_vector(2) >> split(2) >> map(as_scalar) >> map(as_vector(2))) >> map(add)

    assert str(lanes.type.result) == "[f32x16]4"
    with pytest.raises(lift.LiftTypeError, match=r"user function add: applied lane by lane, every argument must"):
        lift.typecheck(widths)


def test_mixing_scalars_and_vectors_and_tuple_parameters_are_refused() -> None:
    @userfun
    def scale(a: f32, k: i32) -> f32:
        return a * k

    @fun
    def mixed(v: Array[f32x4, 4], s: f32):
        return v >> map(lambda a: add(a, s))

    @fun
    def wrong_lanes(v: Array[f32x4, 4]):
        return v >> map(lambda a: scale(a, a))

    with pytest.raises(lift.LiftTypeError, match=r"user function add: applied lane by lane, every argument"):
        lift.typecheck(mixed)
    with pytest.raises(lift.LiftTypeError, match=r"user function scale: parameter 'k' expects i32, found f32 lanes"):
        lift.typecheck(wrong_lanes)


def test_meaning_is_a_trailing_lanes_axis() -> None:
    x = np.arange(8, dtype=np.float32)
    np.testing.assert_array_equal(lift.interpret(vector_add, x, 2 * x), 3 * x)
    vectors = lift.interpret(_as_vectors, x)
    assert vectors.shape == (2, 4)
    np.testing.assert_array_equal(vectors, x.reshape(2, 4))
    v = x.reshape(2, 4)
    np.testing.assert_array_equal(lift.interpret(doubled, v), (x * x).reshape(4, 2))
    with pytest.raises(lift.LiftTypeError, match=r"parameter 'v': expected the lanes of f32x4 as a last axis of 4"):
        lift.interpret(doubled, x)


@fun
def _as_vectors(x: Array[f32, N]):
    return x >> as_vector(4)


@fun
def _nested(m: Array[Array[f32, 8], N]):
    return m >> map(lambda row: row >> as_vector(2) >> map(lambda a: add(a, a)) >> as_scalar)


@pytest.mark.parametrize("prog", [vector_add, doubled, _as_vectors, _nested])
def test_json_round_trip_and_every_rewrite_rule_matches(prog: Fun) -> None:
    assert from_json(to_json(prog)) == prog
    for rule in rules():
        candidate_sites(prog, rule)


def test_the_mapping_model_reads_vector_programs() -> None:
    # the backend compiles vectors: the map is parallel, or sequential in one thread
    assert MappingSpace(vector_add, {"N": 8}).count() > 0


@given(st.integers(1, 6), st.integers(1, 3), st.sampled_from([2, 4, 8, 16]))
def test_checker_shape_is_the_interpreters(rows: int, k: int, w: int) -> None:
    m = np.arange(rows * k * w, dtype=np.float32).reshape(rows, k * w)
    prog = _rows_vectorised(w)
    result = lift.interpret(prog, m)
    t = prog.type.result
    assert result.shape == (*(int(d.evaluate({"N": rows, "M": k * w})) for d in t.array_shape), w)
    np.testing.assert_array_equal(result, 2 * m.reshape(rows, k, w))
    np.testing.assert_array_equal(lift.interpret(_rows_vectorised(w, back=True), m), 2 * m)


def _rows_vectorised(w: int, back: bool = False) -> Fun:
    @fun
    def prog(m: Array[Array[f32, M], N]):
        vectors = m >> map(lambda row: row >> as_vector(w) >> map(lambda a: add(a, a)))
        return vectors >> map(as_scalar) if back else vectors

    return prog


def test_opencl_compiles_vectors() -> None:
    # the kernels themselves are tested in tests/ocl/test_vectors.py
    assert "vload4" in lift.compile(vector_add, sizes={"N": 8}, device="pocl").source
