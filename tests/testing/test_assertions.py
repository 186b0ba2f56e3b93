"""``assert_equivalent``: same type, same results within the stated tolerance, and a readable counterexample."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lift import Array, f32, f64, fun, i32, size, userfun
from lift.dsl import join, map, reduce, reduce_seq, split, zip
from lift.dsl.prelude import add, mult, square
from lift.errors import LiftError
from lift.testing import assert_equivalent, widen

N = size("N")


@fun
def total(x: Array[f32, N]):
    return x >> reduce(add, 0.0)


@fun
def total_in_chunks(x: Array[f32, N]):
    return x >> split(4) >> map(reduce(add, 0.0)) >> join >> reduce(add, 0.0)


@fun
def squares(x: Array[f32, 8]):
    return x >> map(square)


@fun
def doubles(x: Array[f32, 8]):
    return x >> map(lambda v: add(v, v))


def test_equivalent_programs_pass() -> None:
    assert_equivalent(total, total_in_chunks, sizes={"N": 16})
    assert_equivalent(squares, squares, examples=3)


def test_a_difference_shows_both_programs_and_a_shrunk_counterexample() -> None:
    with pytest.raises(AssertionError) as err:
        assert_equivalent(squares, doubles, examples=50)
    message = str(err.value)
    assert message.startswith("p and q differ:\n  q differs from the float64 reference (p computed in f64) at (")
    assert (
        "p:\nfun squares(x: [f32]8) -> [f32]8 =\n    x                : [f32]8\n    >> map(square)   : [f32]8"
        in message
    )
    assert "q:\nfun doubles(x: [f32]8) -> [f32]8 =" in message
    # shrunk: one element is enough to tell x*x from x+x (0 and 2 agree), and the others shrink to 0
    (shown,) = re.findall(r"counterexample \(sizes \{\}\):\n  x = (\[.*\])", message)
    values = [float(v) for v in shown.strip("[]").split()]
    assert sum(v != 0 for v in values) == 1 and any(v not in (0.0, 2.0) for v in values), shown
    assert "p gives:" in message and "q gives:" in message and "float64 reference:" in message


def test_different_types_are_reported() -> None:
    @fun
    def chunks(x: Array[f32, 8]):
        return x >> split(2)

    with pytest.raises(AssertionError, match=r"p and q have different types: \(\[f32\]8\) -> \[f32\]8 and "):
        assert_equivalent(squares, chunks)


@userfun
def iadd(x: i32, y: i32) -> i32:
    return x + y


@userfun
def imult(x: i32, y: i32) -> i32:
    return x * y


def test_integer_results_must_be_equal() -> None:
    @fun
    def dot(x: Array[i32, N], y: Array[i32, N]):
        return zip(x, y) >> map(imult) >> reduce(iadd, 0)

    @fun
    def dot_seq(x: Array[i32, N], y: Array[i32, N]):
        return zip(x, y) >> reduce_seq(lambda acc, p: iadd(acc, imult(p[0], p[1])), 0)

    @fun
    def off_by_one(x: Array[i32, N], y: Array[i32, N]):
        return zip(x, y) >> reduce_seq(lambda acc, p: iadd(acc, imult(p[0], p[1])), 1)

    assert_equivalent(dot, dot_seq, sizes={"N": 5})
    with pytest.raises(AssertionError, match=r"at \(0,\): p gives -?\d+, q gives -?\d+"):
        assert_equivalent(dot, off_by_one, sizes={"N": 5}, inputs=[np.arange(5, dtype=np.int32)] * 2)


def test_the_tolerance_is_relative_to_the_float64_reference() -> None:
    @fun
    def nearly(x: Array[f32, 8]):
        return x >> map(lambda v: mult(square(v), 1.000001))

    @fun
    def off(x: Array[f32, 8]):
        return x >> map(lambda v: mult(square(v), 1.001))

    assert_equivalent(squares, nearly)
    with pytest.raises(AssertionError, match=r"allowed \|error\| <= 1e-05 \* \|ref\|"):
        assert_equivalent(squares, off)
    assert_equivalent(squares, off, rtol=1e-2)


def test_the_reference_is_the_program_in_float64() -> None:
    wide = widen(total)
    assert wide.param_types == (Array[f64, N],)
    assert str(wide.type) == "([f64]N) -> [f64]1"
    assert wide.body.f.f.param_types == (f64, f64)  # type: ignore[attr-defined]  # add, retranslated for f64


def test_inside_a_hypothesis_test_inputs_come_from_its_data() -> None:
    @given(st.data())
    def with_data(data: st.DataObject) -> None:
        assert_equivalent(total, total_in_chunks, sizes={"N": 8}, data=data, examples=2)

    @given(st.integers())
    def without_data(_: int) -> None:
        assert_equivalent(total, total_in_chunks, sizes={"N": 8})

    with_data()
    with pytest.raises(LiftError, match=r"pass the test's data=st.data\(\) object"):
        without_data()


def test_q_must_hold_at_the_sizes() -> None:
    with pytest.raises(AssertionError, match=r"q needs N % 4 == 0, which fails at sizes \{'N': 6\}"):
        assert_equivalent(total, total_in_chunks, sizes={"N": 6})
