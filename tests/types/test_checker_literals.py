"""An untyped literal's type comes from its context."""

from __future__ import annotations

import numpy as np

import lift
from lift import Array, f64, fun, size, userfun
from lift.dsl import reduce_seq, zip

N = size("N")


@userfun
def add64(x: f64, y: f64) -> f64:
    return x + y


@userfun
def mult64(x: f64, y: f64) -> f64:
    return x * y


def test_a_float_literal_folding_over_tuples_takes_their_float_type() -> None:
    @fun
    def dot64(x: Array[f64, N], y: Array[f64, N]):
        return zip(x, y) >> reduce_seq(lambda acc, p: add64(acc, mult64(p[0], p[1])), 0.0)

    assert dot64.type.result == Array[f64, 1]
    v = np.arange(4, dtype=np.float64)
    np.testing.assert_array_equal(lift.interpret(dot64, v, v), [14.0])
