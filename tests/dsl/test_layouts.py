"""Layout combinators declared once (``lift.dsl.layout``): ``take``, ``drop`` and ``reorder_stride`` type-check,
interpret, print, round-trip through JSON and compile to views that compute what the interpreter computes (PoCL;
Oclgrind finds no race or out-of-bounds access); a layout missing a rule is refused when its class is made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lift
from lift import Array, f32, fun, size
from lift.dsl import drop, from_json, join, map, pad, reorder_stride, split, take, to_json
from lift.dsl.ir import Fun
from lift.dsl.layout import LAYOUTS, Layout
from lift.dsl.prelude import square
from lift.types.arith import ArithExpr
from tests.ocl.conftest import HAS_OCLGRIND, assert_same_results, needs_pocl, random_inputs, run_under_oclgrind

N = size("N")


@fun
def cropped(x: Array[f32, N]):
    """Pad to whole tiles of 4, compute on tiles, drop the first element and keep N - 2."""
    return x >> pad(0, 3, 0.0) >> split(4) >> map(map(square)) >> join >> drop(1) >> take(N - 2)


@fun
def strided(x: Array[Array[f32, 4], N]):
    return x >> map(lambda row: row >> reorder_stride(2) >> map(square))


@fun
def rows_dropped(x: Array[Array[f32, N], N]):
    return x >> drop(1) >> map(lambda row: row >> take(2) >> map(square))


PROGRAMS: dict[str, tuple[Fun, dict[str, int]]] = {
    "cropped": (cropped, {"N": 9}),
    "strided": (strided, {"N": 6}),
    "rows_dropped": (rows_dropped, {"N": 5}),
}


def test_every_layout_is_registered_with_its_rules() -> None:
    assert {"take", "drop", "reorder_stride"} <= set(LAYOUTS)
    for spelling, cls in LAYOUTS.items():
        assert cls.spelling == spelling
        for rule in ("result", "meaning", "read", "show"):
            assert getattr(cls, rule) is not getattr(Layout, rule), f"{cls.__name__} has no {rule}"


def test_a_layout_without_a_rule_is_refused_when_its_class_is_made() -> None:
    with pytest.raises(TypeError, match=r"layout combinator Half: no meaning, read"):

        @dataclass(frozen=True, eq=False, repr=False)
        class Half(Layout):
            spelling = "half_for_a_test"

            def result(self, t: Any, check: Any) -> Any:
                return t

            def show(self) -> str:
                return "half"


def test_types_and_spelling() -> None:
    assert str(cropped.type) == "([f32]N) -> [f32](N - 2)"
    assert "drop(1)" in str(cropped) and "take(N - 2)" in str(cropped)
    assert str(rows_dropped.type) == "([[f32]N]N) -> [[f32]2](N - 1)"


@pytest.mark.parametrize(
    ("combinator", "message"),
    [
        (lambda: take(5), r"take\(5\): expected at least 5 elements"),
        (lambda: drop(3), r"drop\(3\): expected more than 3 elements"),
        (lambda: reorder_stride(2), r"reorder_stride\(2\): expected an array whose size is divisible by 2"),
    ],
)
def test_impossible_sizes_are_type_errors(combinator: Callable[[], Layout], message: str) -> None:
    with pytest.raises(lift.LiftTypeError, match=message):
        lift.typecheck(combinator(), Array[f32, 3])


def test_size_arguments_are_checked_where_written() -> None:
    with pytest.raises(lift.LiftTypeError, match=r"take\(n\): must be at least 1"):
        take(0)
    with pytest.raises(lift.LiftTypeError, match=r"drop\(n\): expected an int or a size expression"):
        drop("2")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_json_round_trip(name: str) -> None:
    prog, _ = PROGRAMS[name]
    assert from_json(to_json(prog)) == prog


@given(st.integers(3, 40), st.integers(1, 2))
def test_checker_shape_is_the_interpreters(n: int, k: int) -> None:
    @fun
    def prog(x: Array[f32, N]):
        return x >> drop(k) >> take(N - k) >> reorder_stride(1)

    x = np.arange(n, dtype=np.float32)
    got = lift.interpret(prog, x)
    expected_size: ArithExpr = prog.type.result.size  # type: ignore[attr-defined]
    assert got.shape == (expected_size.evaluate({"N": n}),)
    np.testing.assert_array_equal(got, x[k:])


@fun
def _reordered(x: Array[f32, 8]):
    return x >> reorder_stride(2)


def test_reorder_stride_meaning() -> None:
    x = np.arange(8, dtype=np.float32)
    # element i is (i % s) * (n / s) + i / s: 0, 4, 1, 5, … (consecutive elements n / s apart)
    np.testing.assert_array_equal(lift.interpret(_reordered, x), [0, 4, 1, 5, 2, 6, 3, 7])


@needs_pocl
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_compiled_equals_interpreted(name: str) -> None:
    prog, sizes = PROGRAMS[name]
    arrays = random_inputs(prog, sizes)
    expected = lift.interpret(prog, *arrays)
    # the model's mappings (a sample), or the default compile when the model has none
    kernels = [
        lift.compile(prog, sizes=sizes, mapping=mapping, device="pocl")
        for mapping in lift.mappings(prog, sizes=sizes).sample(4, seed=0)
    ] or [lift.compile(prog, sizes=sizes, device="pocl")]
    for kernel in kernels:
        assert_same_results(kernel(*arrays), expected, rtol=1e-6)
    if HAS_OCLGRIND:
        checked = lift.compile(prog, sizes=sizes, device="oclgrind")
        assert_same_results(run_under_oclgrind(checked, *arrays), expected, rtol=1e-6)


@needs_pocl
def test_a_cropped_result_is_written_through_with_guarded_stores() -> None:
    """``… >> drop(1) >> take(N - 2)`` at the end: each computed element is stored where it lands, only if kept
    (one merged guard), with no temporary and no copy; the model finds mappings for it."""
    assert lift.mappings(cropped, sizes={"N": 9}).count() > 0
    kernel = lift.compile(cropped, sizes={"N": 9}, device="pocl")
    assert "global float* tmp" not in kernel.source
    guarded = [line.strip() for line in kernel.source.splitlines() if line.strip().startswith("if (")]
    assert guarded and all(line.count("&&") == 1 for line in guarded), kernel.source
    x = np.arange(9, dtype=np.float32)
    assert_same_results(kernel(x), lift.interpret(cropped, x))
