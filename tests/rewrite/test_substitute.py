"""Capture-avoiding substitution and alpha-equivalence (``lift.dsl.substitute``)."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from lift import Array, f32, fun
from lift.dsl import map, reduce, show
from lift.dsl.ir import FunCall, Lambda, Param
from lift.dsl.prelude import add, mult
from lift.dsl.substitute import (
    alpha_equal,
    alpha_normalize,
    free_params,
    occurrences,
    occurs_under_lambda,
    rename,
    substitute,
)
from lift.testing import programs

x, y, z = Param("x"), Param("y"), Param("z")


def test_free_params_and_occurrences() -> None:
    lam = Lambda((y,), add(x, y))
    assert free_params(lam) == {"x"}
    assert free_params(FunCall(lam, (z,))) == {"x", "z"}
    body = add(x, FunCall(Lambda((y,), mult(x, y)), (x,)))
    assert occurrences(body, "x") == 3
    assert occurrences(Lambda((x,), x), "x") == 0
    assert occurs_under_lambda(body, "x")
    assert not occurs_under_lambda(add(x, y), "x")


def test_substitution_avoids_capture() -> None:
    lam = Lambda((y,), add(x, y))
    out = substitute(lam, {"x": y})
    assert show(out) == "lambda y1: add(y, y1)"
    assert substitute(lam, {"y": z}) == lam  # y is bound: nothing to substitute
    assert show(substitute(add(x, y), {"x": y, "y": x})) == "add(y, x)"  # simultaneous


def test_rename_is_capture_avoiding_too() -> None:
    lam = Lambda((y,), add(x, y))
    assert show(rename(lam, "x", "y")) == "lambda y1: add(y, y1)"


def test_alpha_equivalence() -> None:
    a = Lambda((y,), add(x, y))
    b = Lambda((z,), add(x, z))
    assert a != b and alpha_equal(a, b)
    assert not alpha_equal(a, Lambda((z,), add(z, z)))
    assert show(alpha_normalize(a)) == "lambda v0: add(x, v0)"
    # a free v0 is not captured by the canonical names
    assert show(alpha_normalize(Lambda((y,), add(Param("v0"), y)))) == "lambda v1: add(v0, v1)"


def test_a_programs_parameters_keep_their_names() -> None:
    @fun
    def p(x: Array[f32, 4]):
        return x >> map(lambda a: add(a, a)) >> reduce(add, 0.0)

    @fun
    def q(x: Array[f32, 4]):
        return x >> map(lambda b: add(b, b)) >> reduce(add, 0.0)

    assert alpha_equal(p, q.replace(name="p"))
    assert not alpha_equal(p, q)  # the name is part of a program
    assert show(alpha_normalize(p).body) == "x >> map(lambda v0: add(v0, v0)) >> reduce(add, 0.0)"


@given(programs())
def test_normalisation_is_idempotent_and_keeps_the_type(prog: Any) -> None:
    normal = alpha_normalize(prog)
    assert alpha_normalize(normal) == normal
    assert alpha_equal(prog, normal)
    assert normal.type == prog.type
