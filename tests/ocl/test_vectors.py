"""Vector types on OpenCL: ``as_vector(w)`` / ``as_scalar`` read and written with ``vloadN`` / ``vstoreN`` (or lane
by lane where the lanes are not consecutive), user functions applied to vectors through their vector versions
(``add_f32x4``), vector accumulators, vector parameters and results — on PoCL against the interpreter, and under
Oclgrind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lift
from lift import Array, f32, f32x4, fun, i32, size, userfun
from lift.dsl import as_scalar, as_vector, gather, id, join, map, map_glb, reduce_seq, reverse, split, to_private, zip
from lift.dsl.ir import Fun, as_fundecl
from lift.dsl.prelude import add, mult
from lift.types.data import ArrayType, DataType
from tests.ocl.conftest import assert_same_results, needs_pocl
from tests.snapshot import matches_snapshot

N = size("N")


@userfun
def madd(acc: f32, a: f32, b: f32) -> f32:
    return acc + a * b


@userfun
def relu_pow(a: f32) -> f32:
    return max(a, 0.0) ** 2.0 if a > -0.5 else 1.0


def vector_add(w: int) -> Fun:
    @fun
    def prog(x: Array[f32, N], y: Array[f32, N]):
        return zip(x >> as_vector(w), y >> as_vector(w)) >> map(add) >> as_scalar

    return prog


@fun
def dot_chunks(x: Array[f32, N], y: Array[f32, N]):
    """Each thread accumulates two vectors of products in a vector accumulator (a ``float4`` variable)."""
    return (
        zip(x >> as_vector(4), y >> as_vector(4))
        >> split(2)
        >> map(lambda c: c >> reduce_seq(lambda acc, p: madd(acc, p[0], p[1]), 0.0))
        >> join
    )


@fun
def reversed_vectors(x: Array[f32, N]):
    """Vectors of a reversed array: their lanes are not consecutive ascending, so they are assembled lane by lane."""
    return x >> gather(reverse) >> as_vector(4) >> map(lambda a: add(a, a)) >> as_scalar


@fun
def vector_parameter(v: Array[f32x4, N]):
    return v >> map(lambda a: mult(a, a)) >> as_scalar


@fun
def vector_result(x: Array[f32, N]):
    return x >> as_vector(8) >> map(relu_pow)


@fun
def scattered_lanes(x: Array[f32, N]):
    """Vectors written through ``as_scalar`` into a reversed destination: stored lane by lane."""
    return x >> as_vector(2) >> map(lambda a: add(a, a)) >> as_scalar >> gather(reverse)


@fun
def private_vector(x: Array[f32, N]):
    """A vector copied to a private variable, then used twice."""
    return (
        x >> as_vector(4) >> map_glb(lambda v: as_fundecl(lambda w: mult(w, w), "sq")(v >> to_private(id))) >> as_scalar
    )


@fun
def vector_dot(x: Array[f32, N], y: Array[f32, N]):
    """``add(acc, mult(p[0], p[1]))`` over vectors: lane by lane, not one contraction of whole elements."""
    return zip(x >> as_vector(4), y >> as_vector(4)) >> reduce_seq(lambda acc, p: add(acc, mult(p[0], p[1])), 0.0)


CASES: dict[str, tuple[Fun, dict[str, int]]] = {
    "private_vector": (private_vector, {"N": 16}),
    "vector_dot": (vector_dot, {"N": 16}),
    "add2": (vector_add(2), {"N": 16}),
    "add4": (vector_add(4), {"N": 16}),
    "add8": (vector_add(8), {"N": 32}),
    "dot_chunks": (dot_chunks, {"N": 32}),
    "reversed_vectors": (reversed_vectors, {"N": 16}),
    "vector_parameter": (vector_parameter, {"N": 4}),
    "vector_result": (vector_result, {"N": 16}),
    "scattered_lanes": (scattered_lanes, {"N": 8}),
}


def inputs(prog: Fun, sizes: dict[str, int], seed: int = 0) -> list[np.ndarray]:
    """Random float32 inputs in [-1, 1), a vector's lanes as a trailing axis (as the interpreter takes them)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, size=_shape(t, sizes)).astype(np.float32) for t in prog.param_types]


def _shape(t: DataType, sizes: dict[str, int]) -> tuple[int, ...]:
    assert isinstance(t, ArrayType)
    lanes = t.elem.vector_lanes()
    return (int(t.size.evaluate(sizes)), *((lanes,) if lanes > 1 else ()))


@needs_pocl
@pytest.mark.parametrize("name", sorted(CASES))
def test_pocl_result_is_the_interpreters(name: str) -> None:
    prog, sizes = CASES[name]
    arrays = inputs(prog, sizes)
    got = lift.compile(prog, sizes=sizes, device="pocl")(*arrays)
    assert_same_results(got, lift.interpret(prog, *arrays), rtol=1e-5, atol=1e-6)


WIDEST = {"add16": (vector_add(16), {"N": 32})}
"""Sixteen lanes: PoCL's CPU device (built without AVX-512) loses, now and then, a kernel that loads or stores a
``float16`` (``clCreateKernel`` then finds no kernel), so they run under Oclgrind only."""


@pytest.mark.parametrize("name", sorted({**CASES, **WIDEST}))
def test_under_oclgrind_no_race_and_no_invalid_access(name: str, oclgrind: Any) -> None:
    prog, sizes = {**CASES, **WIDEST}[name]
    arrays = inputs(prog, sizes)
    kernel = lift.compile(prog, sizes=sizes, device="oclgrind")
    assert_same_results(oclgrind(kernel, *arrays), lift.interpret(prog, *arrays), rtol=1e-5, atol=1e-6)


@needs_pocl
@pytest.mark.parametrize("w", [2, 4, 8, 16])
def test_contiguous_vectors_are_loaded_and_stored_whole(w: int) -> None:
    source = lift.compile(vector_add(w), sizes={"N": 32}, device="pocl").source
    assert f"float{w} add_f32x{w}(float{w} x, float{w} y)" in source
    assert f"vload{w}(" in source and f"vstore{w}(" in source


@needs_pocl
def test_other_lanes_are_assembled_and_stored_one_by_one() -> None:
    assert "(float4)(x[" in lift.compile(reversed_vectors, sizes={"N": 16}, device="pocl").source
    source = lift.compile(scattered_lanes, sizes={"N": 8}, device="pocl").source
    assert "vstore2" not in source and ".s1;" in source


@needs_pocl
def test_a_vector_accumulator_is_a_vector_variable() -> None:
    source = lift.compile(dot_chunks, sizes={"N": 32}, device="pocl").source
    assert "float4 acc = (float4)(0.0f);" in source


@needs_pocl
def test_a_private_vector_is_a_vector_variable() -> None:
    source = lift.compile(private_vector, sizes={"N": 16}).source
    assert "float4 ptmp;" in source and "ptmp = vload4(gid0, x);" in source


def test_the_vector_kernel_matches_its_snapshot() -> None:
    kernel = lift.compile(dot_chunks, sizes={"N": 32}, device="pocl")
    assert matches_snapshot(kernel.source, Path(__file__).parent / "snapshots" / "vector_dot_chunks.cl")


@userfun
def branchy(a: f32) -> f32:
    if a > 0.0:
        return a
    return 0.0


@userfun
def converted(a: f32, k: i32) -> f32:
    return a * k


@fun
def branch_on_vectors(x: Array[f32, N]):
    return x >> as_vector(4) >> map(branchy) >> as_scalar


@fun
def conversion_on_vectors(x: Array[f32, N], k: Array[i32, N]):
    return zip(x >> as_vector(4), k >> as_vector(4)) >> map(converted) >> as_scalar


@pytest.mark.parametrize(
    ("prog", "message"),
    [
        (branch_on_vectors, r"an if statement in a function applied to vectors is not supported"),
        (conversion_on_vectors, r"a conversion from i32 to f32 on vectors is not supported"),
    ],
)
def test_what_opencl_does_not_apply_lane_by_lane_is_refused_by_name(prog: Fun, message: str) -> None:
    with pytest.raises(lift.UserFunError, match=message):
        lift.compile(prog, sizes={"N": 8}, device="pocl").source  # noqa: B018


@needs_pocl
@settings(max_examples=12, deadline=None)
@given(st.sampled_from([2, 4, 8]), st.integers(1, 4), st.integers(0, 2**16))
def test_compiled_is_interpreted_for_random_sizes_and_widths(w: int, vectors: int, seed: int) -> None:
    sizes = {"N": w * vectors}
    for prog in (vector_add(w), _vectors_through(w)):
        arrays = inputs(prog, sizes, seed)
        got = lift.compile(prog, sizes=sizes, device="pocl")(*arrays)
        assert_same_results(got, lift.interpret(prog, *arrays), rtol=1e-5, atol=1e-6)


def _vectors_through(w: int) -> Fun:
    @fun
    def prog(x: Array[f32, N]):
        return x >> gather(reverse) >> as_vector(w) >> map(relu_pow)

    return prog
