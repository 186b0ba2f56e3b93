"""Every raw exception the adversarial test of issue 8 found is now a named lift error that says what was
wrong, where, and how to fix it: ``ZeroDivisionError``, ``MemoryError``, ``OverflowError``, ``AttributeError``
and accepted nonsense (sizes of 0, negative sizes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, f32, fun, i32, size
from lift.dsl import map, pad, reduce, zip
from lift.dsl.interpret import MEMORY_LIMIT_BYTES
from lift.dsl.prelude import add, mult
from lift.solve.model import MappingSpace

N = size("N")
M = size("M")


@fun
def dot(x: Array[f32, N], y: Array[f32, N]):
    return zip(x, y) >> map(mult) >> reduce(add, 0.0)


@fun
def rows(x: Array[Array[f32, M], N]):
    return x >> map(map(lambda v: add(v, v)))


@pytest.mark.parametrize(
    "make",
    [lambda: N // 0, lambda: N % 0, lambda: N // -2, lambda: N % -3, lambda: (N + 1) // 0],
    ids=["N // 0", "N % 0", "N // -2", "N % -3", "(N + 1) // 0"],
)
def test_division_by_zero_or_a_negative_divisor_is_a_value_error(make: Callable[[], Any]) -> None:
    with pytest.raises(lift.LiftValueError, match="divisor must be a positive integer"):
        make()


def test_a_divisor_that_evaluates_to_zero_is_a_value_error() -> None:
    with pytest.raises(lift.LiftValueError, match="evaluates to 0"):
        (N // M).evaluate({"N": 4, "M": 0})


# values of the wrong kind may be refused by the public signature check (a LiftTypeError) before the size check
BAD_SIZES: list[tuple[Any, type[lift.LiftError], str]] = [
    ({"N": 0}, lift.LiftValueError, "at least 1"),
    ({"N": -24}, lift.LiftValueError, "at least 1"),
    ({"N": True}, lift.LiftValueError, "bool"),
    ({"N": 2**63}, lift.LiftValueError, "beyond the largest size"),
    ({"N": 10**30}, lift.LiftValueError, "beyond the largest size"),
    ({"N M": 4}, lift.LiftValueError, "not an identifier"),
    ({"N": 4.0}, lift.LiftError, "4.0"),
    ({"N": "4"}, lift.LiftError, "'4'"),
    ({4: 4}, lift.LiftError, "4"),
    ("N=4", lift.LiftError, "N=4"),
]


@pytest.mark.parametrize(("sizes", "error", "words"), BAD_SIZES, ids=repr)
def test_bad_sizes_are_refused_by_mappings(sizes: Any, error: type[lift.LiftError], words: str) -> None:
    with pytest.raises(error, match=re.escape(words)):
        lift.mappings(rows, sizes=sizes)


@pytest.mark.parametrize(("sizes", "error", "words"), BAD_SIZES, ids=repr)
def test_bad_sizes_are_refused_by_compile_and_explain(sizes: Any, error: type[lift.LiftError], words: str) -> None:
    with pytest.raises(error, match=re.escape(words)):
        lift.compile(rows, sizes=sizes)
    with pytest.raises(error, match=re.escape(words)):
        lift.explain(rows, {"map0": "glb0"}, sizes=sizes)


@pytest.mark.parametrize(("sizes", "words"), [({"N": 4.0}, "use 4"), ({"N": "4"}, "str"), ("N=4", "must be a dict")])
def test_the_size_check_itself_names_kinds_of_values(sizes: Any, words: str) -> None:
    with pytest.raises(lift.LiftValueError, match=words):
        MappingSpace(rows, sizes)


def test_the_negative_size_of_the_issue_has_no_valid_mappings() -> None:
    with pytest.raises(lift.LiftValueError, match=r"size M: .*found -24"):
        lift.mappings(rows, sizes={"M": -24, "N": 4}).count()


def test_the_size_check_takes_numpy_integers() -> None:
    assert MappingSpace(dot, {"N": np.int64(8)}).sizes == {"N": 8}


def test_an_empty_dimension_where_a_size_is_at_least_one_is_refused() -> None:
    with pytest.raises(lift.LiftTypeError, match="size N = 0"):
        lift.interpret(dot, np.zeros(0, np.float32), np.zeros(0, np.float32))


def test_padding_beyond_memory_is_a_limit_error_before_numpy_allocates() -> None:
    @fun
    def huge(x: Array[f32, N]):
        return x >> pad(0, 10**12, 0.0)

    with pytest.raises(lift.LiftLimitError) as info:
        lift.interpret(huge, np.ones(4, np.float32))
    message = str(info.value)
    assert "4000000000016 bytes" in message and str(MEMORY_LIMIT_BYTES) in message


def test_a_broadcast_beyond_memory_is_a_limit_error() -> None:
    big = 2**17

    @fun
    def outer(x: Array[f32, N], y: Array[f32, M]):
        return x >> map(lambda a: y >> map(lambda b: mult(a, b)))

    x, y = np.ones(big, np.float32), np.ones(big, np.float32)
    if big * big * 4 > MEMORY_LIMIT_BYTES:
        with pytest.raises(lift.LiftLimitError, match="user function mult"):
            lift.interpret(outer, x, y)


def test_an_integer_literal_beyond_its_type_is_a_value_error_not_an_overflow() -> None:
    @fun
    def padded(x: Array[i32, N]):
        return x >> pad(1, 1, 2**40)

    with pytest.raises(lift.LiftValueError, match="does not fit int32"):
        lift.interpret(padded, np.arange(3, dtype=np.int32))


def test_a_float_literal_beyond_its_type_is_refused_but_infinities_are_values() -> None:
    @fun
    def padded(x: Array[f32, N]):
        return x >> pad(1, 0, 1e300)

    @fun
    def padded_inf(x: Array[f32, N]):
        return x >> pad(1, 0, float("-inf"))

    with pytest.raises(lift.LiftValueError, match="beyond the largest float32"):
        lift.interpret(padded, np.ones(2, np.float32))
    np.testing.assert_array_equal(lift.interpret(padded_inf, np.ones(2, np.float32)), [-np.inf, 1.0, 1.0])


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: lift.Mapping("glb0"), lift.LiftTypeError, "Mapping({...})"),  # type: ignore[arg-type]
        (lambda: lift.Mapping(["map0", "glb0"]), lift.LiftTypeError, "must be a dict"),  # type: ignore[arg-type]
        (lambda: lift.Mapping({1: "glb0"}), lift.LiftTypeError, "not an identifier"),  # type: ignore[dict-item]
        (lambda: lift.Mapping({"map0": 0}), lift.LiftTypeError, "must be a str"),  # type: ignore[dict-item]
        (lambda: lift.Mapping({"map0": "glb0"}, "local"), lift.LiftTypeError, "spaces"),  # type: ignore[arg-type]
        (lambda: lift.Mapping({"map0": "bogus"}), lift.MappingError, "unknown level 'bogus'"),
        (lambda: lift.Mapping({"map0": "glb0"}, {"map0": "vram"}), lift.MappingError, "unknown address space"),
    ],
)
def test_malformed_mappings_say_how_to_build_one(make: Callable[[], Any], error: type, words: str) -> None:
    with pytest.raises(error) as info:
        make()
    assert words in str(info.value)


def test_a_constant_size_beyond_64_bits_is_refused_in_a_type() -> None:
    with pytest.raises(lift.LiftTypeError, match="at most 9223372036854775807"):
        Array[f32, 2**70]
