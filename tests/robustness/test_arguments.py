"""Arguments (issue 8): scalars in every numpy and Python form for scalar parameters; scalars, strings, objects
and masked arrays refused where arrays are expected, with the parameter, what was expected and a fix; the
same checks for ``lift.interpret`` and compiled kernels (``lift.dsl.bind``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, f32, fun, i32, size
from lift.dsl import map
from lift.dsl.prelude import add, mult
from tests.ocl.conftest import needs_pocl

N = size("N")
X = np.arange(6, dtype=np.float32)


@fun
def scale(x: Array[f32, N], a: f32):
    return x >> map(lambda v: mult(v, a))


@fun
def shift(x: Array[i32, N], k: i32):
    return x >> map(lambda v: v)  # the scalar is only bound, never used: binding is what is tested


@fun
def total(x: Array[f32, N]):
    return x >> map(lambda v: add(v, v))


@pytest.mark.parametrize(
    "a",
    [np.float32(2), np.array(2, dtype=np.float32), np.array(2.0, dtype=np.float32), 2.0, 2, np.int16(2), True],
    ids=["np.float32", "0-d f32", "0-d f32 from float", "float", "int", "np.int16", "bool"],
)
def test_every_form_of_a_scalar_is_accepted_for_a_scalar_parameter(a: Any) -> None:
    expected = X * np.float32(float(a))
    np.testing.assert_array_equal(lift.interpret(scale, X, a), expected)


@pytest.mark.parametrize(
    ("a", "words"),
    [
        (np.array([2.0], dtype=np.float32), ["parameter 'a'", "0-D"]),
        (np.float64(2.0), ["parameter 'a'", "float64", "astype(np.float32)"]),
        (np.array(2.0), ["parameter 'a'", "float64", "astype"]),
        ("2", ["parameter 'a'", "str"]),
        (None, ["parameter 'a'", "NoneType"]),
        (2 + 1j, ["parameter 'a'", "complex"]),
    ],
)
def test_wrong_scalars_are_refused_naming_the_parameter(a: Any, words: list[str]) -> None:
    with pytest.raises(lift.LiftTypeError) as info:
        lift.interpret(scale, X, a)
    assert all(w in str(info.value) for w in words), str(info.value)


@pytest.mark.parametrize("x", [np.float32(2), 2.0, 3, np.array(2.0, dtype=np.float32)])
def test_a_scalar_where_an_array_is_expected_is_refused(x: Any) -> None:
    with pytest.raises(lift.LiftTypeError, match=r"parameter 'x'.*(scalar|1-D array)"):
        lift.interpret(total, x)


@pytest.mark.parametrize(
    ("x", "words"),
    [
        (["1", "2", "3"], ["strings", "never parses"]),
        (np.array(["1.5", "2"]), ["strings"]),
        (np.array([1.0, None], dtype=object), ["Python objects"]),
        ([[1.0, 2.0], [3.0]], ["rectangular"]),
        (np.array([1 + 2j, 3j]), ["complex"]),
        (b"\x00\x00\x80?", ["bytes"]),
        ({"x": 1.0}, ["Python objects"]),
    ],
)
def test_non_numbers_are_refused_never_parsed(x: Any, words: list[str]) -> None:
    with pytest.raises(lift.LiftTypeError) as info:
        lift.interpret(total, x)
    message = str(info.value)
    assert "parameter 'x'" in message and all(w in message for w in words), message


def test_masked_arrays_are_refused_with_a_hint_to_fill_them() -> None:
    masked = np.ma.masked_array(X, mask=X > 3)
    with pytest.raises(lift.LiftTypeError, match=r"masked array.*\.filled\("):
        lift.interpret(total, masked)
    np.testing.assert_array_equal(lift.interpret(total, masked.filled(0.0)), np.where(X > 3, 0, 2 * X))


def test_nan_and_inf_are_data() -> None:
    x = np.array([np.nan, np.inf, -np.inf, 1.0], dtype=np.float32)
    np.testing.assert_array_equal(lift.interpret(total, x), 2 * x)
    np.testing.assert_array_equal(lift.interpret(scale, x[3:], float("inf")), [np.inf])


def test_python_numbers_are_converted_by_value() -> None:
    np.testing.assert_array_equal(lift.interpret(total, [1.0, 2.5]), [2.0, 5.0])
    np.testing.assert_array_equal(lift.interpret(total, [1, 2]), [2.0, 4.0])
    with pytest.raises(lift.LiftTypeError, match="expected integers"):
        lift.interpret(shift, [1.5, 2.0], 1)
    with pytest.raises(lift.LiftValueError, match=r"parameter 'k'.*-2147483648 \.\. 2147483647"):
        lift.interpret(shift, [1, 2], 2**40)
    with pytest.raises(lift.LiftValueError, match=r"parameter 'x'.*beyond the range of f32"):
        lift.interpret(total, [1e300, 1.0])


def test_numpy_arrays_must_cast_safely() -> None:
    with pytest.raises(lift.LiftTypeError, match=r"x\.astype\(np\.int32\)"):
        lift.interpret(shift, np.arange(3, dtype=np.int64), 1)
    np.testing.assert_array_equal(lift.interpret(total, np.arange(3, dtype=np.int16)), [0.0, 2.0, 4.0])


@needs_pocl
def test_compiled_kernels_bind_arguments_the_same_way() -> None:
    kernel = lift.compile(scale, device="pocl")
    for a in (np.float32(2), np.array(2, dtype=np.float32), 2.0):
        np.testing.assert_array_equal(kernel(X, a), 2 * X)
    with pytest.raises(lift.LiftTypeError, match="masked array"):
        kernel(np.ma.masked_array(X), 2.0)
    with pytest.raises(lift.LiftTypeError, match="strings"):
        kernel(["1"] * 6, 2.0)
