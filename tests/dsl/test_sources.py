"""``value(x, T)``, the first source (``lift.dsl.source``): typed, interpreted, printed, read back from JSON and
compiled with every element the constant itself (nothing stored), on PoCL and under Oclgrind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, f32, fun, i32, size
from lift.dsl import from_json, map, reduce, to_json, value, zip
from lift.dsl.prelude import add, mult
from lift.dsl.source import SOURCES, Source
from tests.ocl.conftest import HAS_OCLGRIND, assert_same_results, needs_pocl, run_under_oclgrind

N = size("N")
M = size("M")


@fun
def shifted(x: Array[f32, N]):
    return zip(x, value(1.5, Array[f32, N])) >> map(add)


@fun
def scaled_rows(x: Array[Array[f32, 4], N]):
    return zip(x, value(2.0, Array[Array[f32, 4], N])) >> map(lambda p: zip(p[0], p[1]) >> map(mult))


@lift.userfun
def add_i(a: i32, b: i32) -> i32:
    return a + b


@fun
def count(x: Array[i32, N]):
    return value(1, Array[i32, N]) >> reduce(add_i, 0)


def test_registered_with_its_rules() -> None:
    assert SOURCES["value"].__name__ == "Filled"
    with pytest.raises(TypeError, match=r"source Nothing: no meaning, element, show"):

        @dataclass(frozen=True, eq=False, repr=False)
        class Nothing(Source):
            spelling = "nothing_for_a_test"

            def result(self, check: Any) -> Any:
                return None


def test_types_spelling_and_meaning() -> None:
    assert str(shifted.type) == "([f32]N) -> [f32]N"
    assert "value(1.5, [f32]N)" in str(shifted)
    x = np.arange(5, dtype=np.float32)
    np.testing.assert_array_equal(lift.interpret(shifted, x), x + 1.5)
    rows = np.ones((3, 4), dtype=np.float32)
    np.testing.assert_array_equal(lift.interpret(scaled_rows, rows), rows * 2)
    np.testing.assert_array_equal(lift.interpret(count, np.zeros(7, dtype=np.int32)), [7])


def test_refusals_name_the_source() -> None:
    with pytest.raises(lift.LiftTypeError, match=r"value\(1\.5, i32\): expected an array type of scalars"):

        @fun
        def scalar(x: Array[f32, N]):
            return zip(x, value(1.5, i32)) >> map(add)

        _ = scalar.type
    with pytest.raises(lift.LiftTypeError, match=r"the size M is not fixed by any parameter"):

        @fun
        def unbound(x: Array[f32, N]):
            return value(0.0, Array[f32, M]) >> map(lift.dsl.prelude.square)

        _ = unbound.type
    with pytest.raises(lift.LiftTypeError, match=r"value\(x, T\): x must be a number"):
        value("0", Array[f32, N])  # type: ignore[arg-type]


@pytest.mark.parametrize("prog", [shifted, scaled_rows, count], ids=lambda p: p.name)
def test_json_round_trip(prog: Any) -> None:
    assert from_json(to_json(prog)) == prog


@needs_pocl
def test_compiled_elements_are_the_constant() -> None:
    x = np.random.default_rng(0).random(6, dtype=np.float32)
    kernel = lift.compile(shifted, {"N": 6}, device="pocl")
    assert "add(x[gid0], 1.5f)" in kernel.source  # nothing stored: the element is the constant
    assert_same_results(kernel(x), lift.interpret(shifted, x))
    rows = np.random.default_rng(1).random((5, 4), dtype=np.float32)
    for mapping in lift.mappings(scaled_rows, sizes={"N": 5}).sample(3, seed=0):
        k = lift.compile(scaled_rows, {"N": 5}, mapping, device="pocl")
        assert_same_results(k(rows), lift.interpret(scaled_rows, rows))
    if HAS_OCLGRIND:
        checked = lift.compile(scaled_rows, {"N": 5}, device="oclgrind")
        assert_same_results(run_under_oclgrind(checked, rows), lift.interpret(scaled_rows, rows))
