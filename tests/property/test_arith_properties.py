"""Property tests of ``lift.types.arith`` and ``lift.types.smt``.

Expressions are drawn as *recipes* (small trees of operations) that are built twice: once through the
``ArithExpr`` operators (which simplify eagerly) and once as a naive evaluation on Python ints. The naive
evaluation is the oracle, so it does not depend on the simplifier under test.

Variables: sizes ``N``, ``M`` (``>= 1``) and indices ``i in [0, N)``, ``j in [0, M)``. Divisors are positive
constants, sizes, or sizes plus a constant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import z3
from hypothesis import given
from hypothesis import strategies as st

from lift.types.arith import (
    ArithExpr,
    Cst,
    Facts,
    Simplifier,
    Var,
    ceil_div,
    evaluate_array,
    is_nonneg,
    maximum,
    minimum,
    simplify,
)
from lift.types.smt import Constraint, equal, to_z3

N = Var("N", 1)
M = Var("M", 1)
i = Var("i", 0, N)
j = Var("j", 0, M)
VARS = {"N": N, "M": M, "i": i, "j": j}

Recipe = tuple[Any, ...]
Env = Mapping[str, int]

# ---- recipes ---------------------------------------------------------------------------------------------

leaves = st.one_of(
    st.sampled_from([("var", "N"), ("var", "M"), ("var", "i"), ("var", "j")]),
    st.integers(-6, 6).map(lambda c: ("cst", c)),
)

divisors = st.one_of(
    st.integers(1, 8).map(lambda c: ("cst", c)),
    st.sampled_from([("var", "N"), ("var", "M")]),
    st.tuples(st.sampled_from(["N", "M"]), st.integers(1, 3)).map(lambda t: ("add", ("var", t[0]), ("cst", t[1]))),
)


def _extend(children: st.SearchStrategy[Recipe]) -> st.SearchStrategy[Recipe]:
    binary = st.tuples(st.sampled_from(["add", "sub", "mul", "min", "max"]), children, children)
    by_divisor = st.tuples(st.sampled_from(["floordiv", "mod", "ceil_div"]), children, divisors)
    # shapes the simplifier has rules for: (a // d) * d, (a*d + b) // d, (a*d + b) % d
    round_down = st.tuples(children, divisors).map(lambda t: ("mul", ("floordiv", t[0], t[1]), t[1]))
    decompose = st.tuples(st.sampled_from(["floordiv", "mod"]), children, children, divisors).map(
        lambda t: (t[0], ("add", ("mul", t[1], t[3]), t[2]), t[3])
    )
    # sums of a size and a constant, as the facts about padded sizes mention them
    size_plus = st.tuples(st.sampled_from(["N", "M"]), st.integers(1, 3), divisors).map(
        lambda t: (("mul", ("floordiv", ("add", ("var", t[0]), ("cst", t[1])), t[2]), t[2]))
    )
    return st.one_of(binary, by_divisor, round_down, decompose, size_plus)


recipes = st.recursive(leaves, _extend, max_leaves=8)
small_recipes = st.recursive(leaves, _extend, max_leaves=4)


def build(r: Recipe) -> ArithExpr:
    """The recipe built through the ``ArithExpr`` operators."""
    op = r[0]
    if op == "var":
        return VARS[r[1]]
    if op == "cst":
        return Cst(r[1])
    a, b = build(r[1]), build(r[2])
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "floordiv":
        return a // b
    if op == "mod":
        return a % b
    if op == "ceil_div":
        return ceil_div(a, b)
    if op == "min":
        return minimum(a, b)
    if op == "max":
        return maximum(a, b)
    raise AssertionError(op)


def naive(r: Recipe, env: Env) -> int:
    """The recipe evaluated directly on Python ints (the oracle)."""
    op = r[0]
    if op == "var":
        return env[r[1]]
    if op == "cst":
        return r[1]
    a, b = naive(r[1], env), naive(r[2], env)
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "floordiv":
        return a // b
    if op == "mod":
        return a % b
    if op == "ceil_div":
        return -(-a // b)
    if op == "min":
        return min(a, b)
    if op == "max":
        return max(a, b)
    raise AssertionError(op)


# ---- points --------------------------------------------------------------------------------------------


@st.composite
def points(draw: st.DrawFn, n_multiple: int = 1, m_multiple: int = 1) -> dict[str, int]:
    """Values of N, M, i, j within their ranges (N a multiple of ``n_multiple``, M of ``m_multiple``)."""
    n = n_multiple * draw(st.integers(1, 12 // n_multiple or 1))
    m = m_multiple * draw(st.integers(1, 12 // m_multiple or 1))
    return {"N": n, "M": m, "i": draw(st.integers(0, n - 1)), "j": draw(st.integers(0, m - 1))}


point_lists = st.lists(points(), min_size=1, max_size=8)


# ---- soundness of the eager simplification ---------------------------------------------------------------


@given(recipes, point_lists)
def test_operators_are_sound(r: Recipe, envs: list[dict[str, int]]) -> None:
    e = build(r)
    for env in envs:
        assert e.evaluate(env) == naive(r, env), (r, str(e), env)


size_replacements = st.one_of(
    st.tuples(st.integers(1, 3), st.integers(0, 3)).map(
        lambda t: ("add", ("mul", ("var", "N"), ("cst", t[0])), ("cst", t[1]))
    ),
    st.just(("mul", ("var", "N"), ("var", "N"))),
    st.integers(1, 3).map(lambda d: ("add", ("floordiv", ("var", "N"), ("cst", d)), ("cst", 1))),
    st.integers(1, 5).map(lambda c: ("cst", c)),
)


@given(recipes, size_replacements, point_lists)
def test_substitution_is_sound(r: Recipe, s: Recipe, envs: list[dict[str, int]]) -> None:
    """``e.subs({M: s})`` evaluates like ``e`` with ``M`` set to the value of ``s`` (a size in terms of N)."""
    e = build(r)
    substituted = e.subs({"M": build(s)})
    for env in envs:
        m = naive(s, env)
        env2 = {**env, "M": m, "j": min(env["j"], m - 1)}
        assert substituted.evaluate(env2) == naive(r, env2), (r, s, str(e), str(substituted), env2)


# ---- soundness of simplification under facts -------------------------------------------------------------


@st.composite
def facts_and_points(draw: st.DrawFn) -> tuple[Facts, list[dict[str, int]]]:
    """Divisibility facts about N and M, with points where they hold."""
    kind = draw(st.sampled_from(["const", "const2", "symbolic", "affine"]))
    if kind == "const":
        d = draw(st.sampled_from([2, 3, 4]))
        facts = Facts().with_divisible(N, Cst(d))
        envs = draw(st.lists(points(n_multiple=d), min_size=1, max_size=8))
    elif kind == "const2":
        d, dm = draw(st.sampled_from([2, 4])), draw(st.sampled_from([2, 3]))
        facts = Facts().with_divisible(N, Cst(d)).with_divisible(M, Cst(dm))
        envs = draw(st.lists(points(n_multiple=d, m_multiple=dm), min_size=1, max_size=8))
    elif kind == "affine":  # (N + c) % d == 0, a fact about a sum (as split(d) after pad(c) needs)
        c, d = draw(st.integers(1, 3)), draw(st.sampled_from([2, 3, 4]))
        facts = Facts().with_divisible(N + c, Cst(d))
        envs = [
            {**env, "N": n, "i": min(env["i"], n - 1)}
            for env in draw(st.lists(points(), min_size=1, max_size=8))
            for n in [env["N"] + (-(env["N"] + c)) % d]
        ]
    else:  # M divides N
        facts = Facts().with_divisible(N, M)
        envs = []
        for env in draw(st.lists(points(), min_size=1, max_size=8)):
            k = draw(st.integers(1, 4))
            n = env["M"] * k
            envs.append({**env, "N": n, "i": min(env["i"], n - 1)})
    return facts, envs


@given(recipes, facts_and_points())
def test_simplify_with_facts_is_sound(r: Recipe, fp: tuple[Facts, list[dict[str, int]]]) -> None:
    facts, envs = fp
    e = build(r)
    s = simplify(e, facts)
    for env in envs:
        assert s.evaluate(env) == naive(r, env), (r, str(e), str(s), facts, env)


@given(recipes, facts_and_points())
def test_simplify_with_facts_is_idempotent(r: Recipe, fp: tuple[Facts, list[dict[str, int]]]) -> None:
    facts, _ = fp
    s = simplify(build(r), facts)
    assert simplify(s, facts) == s, (r, str(s))


# ---- canonical forms are fixed points; printing ----------------------------------------------------------


@given(recipes)
def test_canonical_forms_are_fixed_points(r: Recipe) -> None:
    e = build(r)
    assert Simplifier().rebuild(e) == e, (r, str(e), str(Simplifier().rebuild(e)))


@given(recipes, point_lists)
def test_printing_never_crashes_and_reads_back(r: Recipe, envs: list[dict[str, int]]) -> None:
    e = build(r)
    text = str(e)
    assert isinstance(text, str) and text
    assert repr(e) == f"ArithExpr({text})"
    # the printed form is Python syntax with the same meaning
    for env in envs:
        assert eval(text, {"min": min, "max": max}, dict(env)) == naive(r, env), (r, text, env)


@given(recipes, recipes)
def test_commutativity_is_structural(r: Recipe, s: Recipe) -> None:
    a, b = build(r), build(s)
    assert a + b == b + a
    assert a * b == b * a
    assert (a + b) - b == a
    assert minimum(a, b) == minimum(b, a)
    assert maximum(a, b) == maximum(b, a)


# ---- evaluate_array --------------------------------------------------------------------------------------


@given(recipes, st.lists(points(), min_size=1, max_size=16))
def test_evaluate_array_is_elementwise_evaluate(r: Recipe, envs: list[dict[str, int]]) -> None:
    e = build(r)
    arrays = {k: np.array([env[k] for env in envs], dtype=np.int64) for k in VARS}
    got = np.broadcast_to(np.asarray(evaluate_array(e, arrays)), (len(envs),))
    assert got.tolist() == [e.evaluate(env) for env in envs], (r, str(e))


# ---- Z3 ------------------------------------------------------------------------------------------------


@given(recipes, point_lists)
def test_z3_agrees_with_evaluate(r: Recipe, envs: list[dict[str, int]]) -> None:
    e = build(r)
    term = to_z3(e)
    for env in envs:
        value = z3.simplify(z3.substitute(term, *[(z3.Int(k), z3.IntVal(v)) for k, v in env.items()]))
        assert z3.is_int_value(value), (str(e), env, value)
        assert value.as_long() == e.evaluate(env), (r, str(e), env)


@st.composite
def related_pairs(draw: st.DrawFn) -> tuple[Recipe, Recipe]:
    """Pairs of recipes that are often, but not always, equal."""
    a = draw(small_recipes)
    how = draw(st.sampled_from(["other", "shuffle", "split", "shift"]))
    if how == "other":
        return a, draw(small_recipes)
    if how == "shuffle":  # a rearranged: (a + b) - b
        b = draw(small_recipes)
        return a, ("sub", ("add", b, a), b)
    if how == "split":  # a == d*(a // d) + a % d
        d = draw(divisors)
        return a, ("add", ("mul", d, ("floordiv", a, d)), ("mod", a, d))
    c = draw(st.integers(-2, 2))  # a + c, equal only when c == 0
    return a, ("add", a, ("cst", c))


@given(related_pairs(), point_lists)
def test_equal_implies_equal_values(pair: tuple[Recipe, Recipe], envs: list[dict[str, int]]) -> None:
    ra, rb = pair
    a, b = build(ra), build(rb)
    if equal(a, b):
        for env in envs:
            assert naive(ra, env) == naive(rb, env), (ra, rb, str(a), str(b), env)


@given(related_pairs(), st.lists(points(n_multiple=4), min_size=1, max_size=8))
def test_equal_under_assumptions_implies_equal_values(pair: tuple[Recipe, Recipe], envs: list[dict[str, int]]) -> None:
    ra, rb = pair
    a, b = build(ra), build(rb)
    if equal(a, b, [Constraint(N % 4, "==", Cst(0))]):
        for env in envs:
            assert naive(ra, env) == naive(rb, env), (ra, rb, str(a), str(b), env)


@given(recipes, point_lists)
def test_is_nonneg_is_sound(r: Recipe, envs: list[dict[str, int]]) -> None:
    e = build(r)
    if is_nonneg(e):
        for env in envs:
            assert naive(r, env) >= 0, (r, str(e), env)


@given(related_pairs(), point_lists)
def test_is_nonneg_of_differences_is_sound(pair: tuple[Recipe, Recipe], envs: list[dict[str, int]]) -> None:
    ra, rb = pair
    d = build(ra) - build(rb)
    if is_nonneg(d):
        for env in envs:
            assert naive(ra, env) >= naive(rb, env), (ra, rb, str(d), env)


@given(recipes, recipes, point_lists)
def test_min_max_are_sound(r: Recipe, s: Recipe, envs: list[dict[str, int]]) -> None:
    lo, hi = minimum(build(r), build(s)), maximum(build(r), build(s))
    for env in envs:
        a, b = naive(r, env), naive(s, env)
        assert lo.evaluate(env) == min(a, b)
        assert hi.evaluate(env) == max(a, b)
