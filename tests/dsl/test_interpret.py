"""The meaning of every combinator, against plain numpy, and the interpreter's argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import lift
from lift import Array, Tuple, f32, f64, i32, size, userfun
from lift.dsl import (
    gather,
    id,
    iterate,
    join,
    map,
    map_glb,
    map_lcl,
    map_seq,
    map_wrg,
    pad,
    reduce,
    reduce_seq,
    reverse,
    scatter,
    slide,
    split,
    stride,
    to_local,
    transpose,
    zip,
)
from lift.dsl.ir import Fun, Param
from lift.dsl.prelude import add, maximum, mult, square, subtract

N = size("N")
M = size("M")
VEC = Array[f32, N]
MAT = Array[Array[f32, M], N]

rng = np.random.default_rng(7)
V = rng.standard_normal(12).astype(np.float32)
A = rng.standard_normal((6, 4)).astype(np.float32)


def run(param_types: tuple[object, ...], body: object, *arrays: object) -> object:
    params = tuple(Param(f"x{k}") for k in range(len(param_types)))
    prog = Fun(params, body(*params), "p", tuple(param_types))  # type: ignore[operator,arg-type]
    return lift.interpret(prog, *arrays)


@userfun
def axpy(a: f32, x: f32, y: f32) -> f32:
    return a * x + y


@userfun
def fold_diff(acc: f32, x: f32) -> f32:
    return acc * 0.5 - x


CASES = [
    ("map", (VEC,), lambda x: x >> map(square), (V,), V * V),
    ("map_seq", (VEC,), lambda x: x >> map_seq(square), (V,), V * V),
    ("map_glb", (MAT,), lambda x: x >> map_glb(map_glb(square, dim=1)), (A,), A * A),
    ("map_wrg_lcl", (MAT,), lambda x: x >> map_wrg(map_lcl(square)), (A,), A * A),
    ("reduce", (VEC,), lambda x: x >> reduce(add, 0.0), (V,), V.sum(keepdims=True)),
    ("reduce_max", (VEC,), lambda x: x >> reduce(maximum, -1e30), (V,), V.max(keepdims=True)),
    ("reduce_rows", (MAT,), lambda x: x >> map(reduce(add, 0.0)), (A,), A.sum(axis=1, keepdims=True)),
    ("zip_map", (VEC, VEC), lambda x, y: zip(x, y) >> map(subtract), (V, V[::-1].copy()), V - V[::-1]),
    ("zip3", (VEC, VEC, VEC), lambda x, y, z: zip(x, y, z) >> map(axpy), (V, V, V), V * V + V),
    ("get", (VEC, VEC), lambda x, y: zip(x, y) >> map(lambda p: p[1]), (V, 2 * V), 2 * V),
    ("split", (VEC,), lambda x: x >> split(4), (V,), V.reshape(3, 4)),
    ("join", (MAT,), lambda x: x >> join, (A,), A.reshape(-1)),
    ("transpose", (MAT,), lambda x: x >> transpose, (A,), A.T),
    ("slide", (VEC,), lambda x: x >> slide(3, 2), (V,), np.stack([V[i : i + 3] for i in range(0, 10, 2)])),
    ("pad_constant", (VEC,), lambda x: x >> pad(2, 1, 0.5), (V,), np.pad(V, (2, 1), constant_values=0.5)),
    ("pad_clamp", (MAT,), lambda x: x >> pad(1, 2, "clamp"), (A,), np.pad(A, ((1, 2), (0, 0)), mode="edge")),
    ("pad_inner", (MAT,), lambda x: x >> map(pad(1, 0, 0.0)), (A,), np.pad(A, ((0, 0), (1, 0)))),
    ("gather_reverse", (VEC,), lambda x: x >> gather(reverse), (V,), V[::-1]),
    ("scatter_reverse", (VEC,), lambda x: x >> scatter(reverse), (V,), V[::-1]),
    ("gather_stride", (VEC,), lambda x: x >> gather(stride(3)), (V,), V.reshape(3, 4).T.reshape(-1)),
    (
        "scatter_stride",
        (VEC,),
        lambda x: x >> gather(stride(3)) >> scatter(stride(3)),
        (V,),
        V,
    ),
    (
        "iterate",
        (VEC,),
        lambda x: x >> iterate(2, split(2) >> map(reduce(add, 0.0)) >> join),
        (V,),
        V.reshape(3, 4).sum(axis=1),
    ),
    ("id", (VEC,), lambda x: x >> id >> to_local(map(square)), (V,), V * V),
    ("reduce_seq_order", (VEC,), lambda x: x >> reduce_seq(fold_diff, 1.0), (V,), None),
    (
        "matmul",
        (MAT, Array[Array[f32, M], 5]),
        lambda a, b: a >> map(lambda r: b >> map(lambda c: zip(r, c) >> map(mult) >> reduce(add, 0.0)) >> join),
        (A, rng.standard_normal((5, 4)).astype(np.float32)),
        None,
    ),
]


def _fold_reference(v: np.ndarray) -> np.ndarray:
    acc = np.float32(1.0)
    for x in v:
        acc = np.float32(acc * np.float32(0.5) - x)
    return np.array([acc], dtype=np.float32)


@pytest.mark.parametrize(("name", "types", "body", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_meaning(
    name: str, types: tuple[object, ...], body: object, args: tuple[object, ...], expected: object
) -> None:
    got = run(types, body, *args)
    if name == "reduce_seq_order":
        expected = _fold_reference(V)
    if name == "matmul":
        expected = args[0] @ args[1].T  # type: ignore[union-attr,operator]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # type: ignore[arg-type]


def test_array_of_tuples_comes_back_as_tuple_of_arrays() -> None:
    got = run((VEC, VEC), lambda x, y: zip(x, y) >> gather(reverse), V, 2 * V)
    assert isinstance(got, tuple) and len(got) == 2
    np.testing.assert_array_equal(got[0], V[::-1])
    np.testing.assert_array_equal(got[1], 2 * V[::-1])


def test_tuple_arguments_are_tuples_of_arrays() -> None:
    got = run((Array[Tuple[f32, f32], N],), lambda x: x >> map(mult), (V, V))
    np.testing.assert_allclose(got, V * V)  # type: ignore[arg-type]


def test_reduce_of_tuples() -> None:
    @userfun
    def add_pairs(a: Tuple[f32, f32], b: Tuple[f32, f32]) -> Tuple[f32, f32]:
        return (a[0] + b[0], a[1] + b[1])

    got = run((VEC, VEC), lambda x, y: zip(x, y) >> reduce(add_pairs, (0.0, 0.0)), V, 2 * V)
    assert isinstance(got, tuple)
    np.testing.assert_allclose(got[0], V.sum(keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(got[1], 2 * V.sum(keepdims=True), rtol=1e-5)


def test_outer_parameters_broadcast_inside_maps() -> None:
    # every row sees the whole vector y: out[i][j] = x[i] * y[j]
    got = run((VEC, Array[f32, M]), lambda x, y: x >> map(lambda a: y >> map(lambda b: mult(a, b))), V, A[0])
    np.testing.assert_allclose(got, np.outer(V, A[0]), rtol=1e-6)  # type: ignore[arg-type]


def test_a_map_whose_body_ignores_its_element() -> None:
    got = run((VEC, Array[f32, M]), lambda x, y: x >> map(lambda a: y >> reduce(add, 0.0)), V, A[0])
    np.testing.assert_allclose(got, np.full((12, 1), A[0].sum()), rtol=1e-5)  # type: ignore[arg-type]


def test_float32_precision_is_kept() -> None:
    got = run((VEC,), lambda x: x >> map(square), V)
    assert got.dtype == np.float32  # type: ignore[union-attr]
    got64 = run((Array[f64, N],), lambda x: x >> pad(1, 1, 0.0), V.astype(np.float64))
    assert got64.dtype == np.float64  # type: ignore[union-attr]


def test_safe_casts_are_accepted() -> None:
    got = run((Array[f64, N],), lambda x: x >> id, V)
    assert got.dtype == np.float64  # type: ignore[union-attr]
    got_list = run((VEC,), lambda x: x >> id, [1.0, 2.0])
    np.testing.assert_array_equal(got_list, [1.0, 2.0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("types", "body", "args", "fragments"),
    [
        ((VEC,), lambda x: x >> split(4), (V[:10],), ["split(4)", "N % 4 == 0", "N = 10"]),
        ((VEC,), lambda x: x >> id, (A,), ["'x0'", "1-D", "(6, 4)"]),
        ((VEC,), lambda x: x >> id, (V.astype(np.float64),), ["'x0'", "float64", "cannot be cast safely"]),
        ((Array[i32, N],), lambda x: x >> id, (V,), ["'x0'", "float32", "int32"]),
        ((VEC, VEC), lambda x, y: zip(x, y), (V, V[:5]), ["'x1'", "N", "12", "5"]),
        ((VEC,), lambda x: x >> id, (V, V), ["takes 1 argument"]),
        ((Array[f32, 4],), lambda x: x >> id, (V,), ["'x0'", "4", "12"]),
        ((Array[Tuple[f32, f32], N],), lambda x: x >> id, (V,), ["'x0'", "tuple of 2 arrays"]),
        ((VEC,), lambda x: x >> slide(3, 1), (V[:2],), ["slide(3, 1)", "N >= 3", "N = 2"]),
    ],
)
def test_bad_arguments_are_named(
    types: tuple[object, ...], body: object, args: tuple[object, ...], fragments: list[str]
) -> None:
    with pytest.raises(lift.LiftTypeError) as info:
        run(types, body, *args)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_interpret_needs_a_program() -> None:
    with pytest.raises(lift.LiftTypeError, match="@fun"):
        lift.interpret(map(square), V)  # type: ignore[arg-type]


def test_sizes_solved_from_linear_shapes() -> None:
    got = run((Array[f32, N + 2],), lambda x: x >> slide(3, 1), V)
    assert got.shape == (10, 3)  # type: ignore[union-attr]
    got2 = run((Array[f32, 2 * N],), lambda x: x >> split(N), V)
    assert got2.shape == (2, 6)  # type: ignore[union-attr]
