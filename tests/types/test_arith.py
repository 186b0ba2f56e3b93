"""Unit tests of ``lift.types.arith``: canonical forms, simplification, facts, substitution, evaluation, printing."""

from __future__ import annotations

import dataclasses
import importlib
import random

import numpy as np
import pytest
import z3

from lift.errors import LiftInternalError, LiftValueError
from lift.ocl.bounds import interval
from lift.types.arith import (
    NODE_KINDS,
    ArithExpr,
    Cst,
    Facts,
    FloorDiv,
    Max,
    Min,
    Mod,
    PerNodeKind,
    Prod,
    Simplifier,
    Sum,
    Var,
    as_arith,
    ceil_div,
    evaluate_array,
    is_nonneg,
    is_positive,
    maximum,
    minimum,
    replace_subterms,
    simplify,
)
from lift.types.smt import Constraint, equal, facts_of, to_z3

N = Var("N", 1)
M = Var("M", 1)
K = Var("K", 1)
i = Var("i", 0, N)
j = Var("j", 0, M)


# ---- canonical forms ---------------------------------------------------------------------------------


def test_constants_fold() -> None:
    assert Cst(2) + 3 == Cst(5)
    assert 2 * Cst(3) - 1 == Cst(5)
    assert Cst(7) // 2 == Cst(3)
    assert Cst(-7) // 2 == Cst(-4)
    assert Cst(-7) % 3 == Cst(2)


def test_add_then_subtract_cancels() -> None:
    assert (N + 2) - 2 == N
    assert N - N == Cst(0)
    assert (N + M) - M == N
    assert N * M - M * N == Cst(0)


def test_commutativity_and_associativity_are_structural() -> None:
    assert N * M + 1 == 1 + M * N
    assert (N + M) + K == N + (M + K) == K + (M + N)
    assert (N * M) * K == N * (M * K) == K * M * N
    assert hash(N * M + 1) == hash(1 + M * N)


def test_distributivity() -> None:
    assert N * (M + 1) == N * M + N
    assert (N + 1) * (N - 1) == N * N - 1
    assert 2 * (N + M) - N == N + 2 * M


def test_like_terms_collect() -> None:
    e = N + N + N
    assert e == 3 * N
    assert isinstance(e, Prod)
    assert e.factors == (Cst(3), N)


def test_sum_structure_is_canonical() -> None:
    e = 1 + N * M + N
    assert isinstance(e, Sum)
    # highest degree first, the constant last
    assert e.terms[-1] == Cst(1)
    assert e.terms[0] == N * M


def test_multiplying_by_zero_and_one() -> None:
    assert N * 0 == Cst(0)
    assert N * 1 == N
    assert N + 0 == N


# ---- floor division and modulo -----------------------------------------------------------------------


def test_multiple_of_divisor_stays_without_facts() -> None:
    e = (N // 4) * 4
    assert e == 4 * (N // 4)
    assert e != N
    assert isinstance(e, Prod)
    assert str(e) == "4*(N // 4)"


def test_multiple_of_divisor_cancels_with_fact() -> None:
    e = (N // 4) * 4
    facts = Facts().with_divisible(N, Cst(4))
    assert simplify(e, facts) == N
    assert simplify(e * M + 1, facts) == N * M + 1
    # a cofactor that is a multiple of the divisor cancels too
    assert simplify(8 * (N // 4), facts) == 2 * N
    # without the fact, simplify leaves it
    assert simplify(e) == e


def test_fact_makes_modulo_vanish() -> None:
    facts = Facts().with_divisible(N, Cst(4))
    assert simplify(N % 4, facts) == Cst(0)
    assert simplify(N % 2, facts) == Cst(0)  # 4 | N implies 2 | N
    assert simplify((2 * N * M) % 8, facts) == Cst(0)
    assert simplify(N % 8, facts) != Cst(0)


def test_facts_accept_ints() -> None:
    assert Facts().with_divisible(N, 4) == Facts().with_divisible(N, Cst(4))
    assert simplify((N // 4) * 4, Facts().with_divisible(N, 4)) == N


def test_symbolic_divisor_fact() -> None:
    facts = Facts().with_divisible(N, M)
    assert simplify((N // M) * M, facts) == N
    assert simplify(N % M, facts) == Cst(0)
    assert Facts().with_divisible(N, M).with_divisible(K, Cst(2)).divisible == frozenset({(N, M), (K, Cst(2))})


def test_index_decomposition() -> None:
    assert (i * M + j) // M == i
    assert (i * M + j) % M == j
    assert (j + M * i) // M == i


def test_floordiv_and_mod_of_affine_forms() -> None:
    assert (N * 4 + 3) // 4 == N
    assert (N * 4 + 3) % 4 == Cst(3)
    assert (2 * N + 1) % 2 == Cst(1)
    assert (2 * N + 1) // 2 == N
    assert (6 * N) // 3 == 2 * N
    assert (6 * N) % 3 == Cst(0)
    assert (N * M) // M == N
    assert (N * M) % N == Cst(0)
    assert N // N == Cst(1)
    assert N // 1 == N
    assert N % 1 == Cst(0)


def test_nested_floordiv_by_constants_merges() -> None:
    assert (N // 2) // 3 == N // 6


def test_mod_of_mod() -> None:
    assert (N % 4) % 4 == N % 4


def test_mod_and_div_of_small_values() -> None:
    # 0 <= j < M
    assert j // M == Cst(0)
    assert j % M == j
    # 0 <= N % 4 < 4
    assert (N % 4) // 4 == Cst(0)


def test_undecidable_division_is_kept() -> None:
    e = (N + 1) // 2
    assert isinstance(e, FloorDiv)
    assert e.evaluate({"N": 4}) == 2
    m = N % M
    assert isinstance(m, Mod)


def test_division_by_zero_or_negative_constant_raises() -> None:
    with pytest.raises(LiftValueError, match="positive"):
        N // 0
    with pytest.raises(LiftValueError, match="positive"):
        N // -2
    with pytest.raises(LiftValueError, match="positive"):
        N % 0
    with pytest.raises(LiftValueError, match="positive"):
        N % -3


def test_true_division_is_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match="//"):
        N / 2  # type: ignore[operator]
    with pytest.raises(TypeError, match="//"):
        2 / N  # type: ignore[operator]
    with pytest.raises(TypeError, match="//"):
        N / M  # type: ignore[operator]


def test_ceil_div() -> None:
    assert ceil_div(N, 4) == (N + 3) // 4
    assert ceil_div(8, 4) == Cst(2)
    assert ceil_div(9, 4) == Cst(3)
    assert ceil_div(4 * N, 4) == N
    assert ceil_div(4 * N + 1, 4) == N + 1
    for n in range(1, 20):
        assert ceil_div(N, 4).evaluate({"N": n}) == -(-n // 4)
        assert ceil_div(N, M).evaluate({"N": n, "M": 3}) == -(-n // 3)


# ---- min / max ----------------------------------------------------------------------------------------


def test_min_max_of_constants() -> None:
    assert minimum(3, 5) == Cst(3)
    assert maximum(3, 5) == Cst(5)
    assert minimum(-2, Cst(4)) == Cst(-2)


def test_min_max_with_known_order() -> None:
    assert minimum(N, N + 1) == N
    assert maximum(N, N + 1) == N + 1
    assert minimum(i, N) == i
    assert maximum(i, N) == N
    assert minimum(N - 1, i) == i
    assert maximum(j, M - 1) == M - 1
    assert minimum(N, N) == N
    assert maximum(1, N) == N  # N >= 1
    assert minimum(0, i) == Cst(0)


def test_min_max_with_unknown_order() -> None:
    a = minimum(N, M)
    assert isinstance(a, Min)
    assert a == minimum(M, N)
    b = maximum(N, M)
    assert isinstance(b, Max)
    assert b == maximum(M, N)
    assert a.evaluate({"N": 3, "M": 7}) == 3
    assert b.evaluate({"N": 3, "M": 7}) == 7


# ---- ranges --------------------------------------------------------------------------------------------


def test_is_nonneg_and_is_positive() -> None:
    assert is_nonneg(N)
    assert is_nonneg(N - 1)
    assert not is_nonneg(N - 2)
    assert is_positive(N)
    assert is_nonneg(i)
    assert is_nonneg(N - 1 - i)
    assert is_nonneg(M - j - 1)
    assert not is_nonneg(i - 1)
    assert is_nonneg(N % 4)
    assert is_nonneg(3 - N % 4)
    assert is_nonneg(N * M - 1)
    assert not is_nonneg(-N)


# ---- printing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (N + 1, "N + 1"),
        (N - M, "-M + N"),
        (2 * N * M - 3, "2*M*N - 3"),
        (-N, "-N"),
        (2 - N, "-N + 2"),
        (N * N, "N*N"),
        ((N + 1) // 2, "(N + 1) // 2"),
        (3 * (N // 2), "3*(N // 2)"),
        ((N + M) % 4, "(M + N) % 4"),
        (2 * (N % 3), "2*(N % 3)"),
        (minimum(N, M) + 1, "min(M, N) + 1"),
        (maximum(N, M) * 2, "2*max(M, N)"),
        (N * (M + 1), "M*N + N"),
        (Cst(-3), "-3"),
    ],
)
def test_printing(expr: ArithExpr, text: str) -> None:
    assert str(expr) == text


def test_repr() -> None:
    assert repr(N + 1) == "ArithExpr(N + 1)"


def test_printed_form_evaluates_like_the_expression() -> None:
    env = {"N": 7, "M": 3, "i": 2, "j": 1}
    exprs = [N - M, 2 - N, (N - 1) // 2, 3 * (N // 2) - M, (N + M) % 4 * 2, i * M + j - N * M, minimum(N, M) - 1]
    for e in exprs:
        assert eval(str(e), {"min": min, "max": max}, dict(env)) == e.evaluate(env)


# ---- substitution, evaluation, free variables ------------------------------------------------------------


def test_subs() -> None:
    assert N.subs({"N": 5}) == Cst(5)
    assert (N + M).subs({"N": 3, M: 4}) == Cst(7)
    assert (i * M + j).subs({i: 2}) == 2 * M + j
    assert (N * M).subs({N: M}) == M * M
    # substitution simplifies
    assert (N // 4).subs({N: 4 * M}) == M
    assert (N % M).subs({N: 3 * M}) == Cst(0)
    assert minimum(N, M).subs({"M": N + 1}) == N
    # unknown names are left alone
    assert (N + 1).subs({"Q": 3}) == N + 1


def test_evaluate() -> None:
    assert (N * M + 1).evaluate({"N": 3, "M": 4}) == 13
    assert ((N - 1) // 2).evaluate({"N": 6}) == 2
    assert (N % 4).evaluate({"N": 11}) == 3
    assert Cst(3).evaluate() == 3
    assert minimum(N, M).evaluate({"N": 2, "M": 5}) == 2


def test_evaluate_names_the_missing_variable() -> None:
    with pytest.raises(KeyError, match="'M'"):
        (N + M).evaluate({"N": 1})
    with pytest.raises(KeyError, match="N"):
        N.evaluate()


def test_evaluate_array_is_elementwise() -> None:
    e = (i * M + 3) // 4 - minimum(i, M) + i % 3
    xs = np.arange(10)
    got = evaluate_array(e, {"i": xs, "M": 5})
    assert list(got) == [e.evaluate({"i": int(x), "M": 5}) for x in xs]


def test_free_vars() -> None:
    assert (N * M + 1).free_vars() == frozenset({N, M})
    assert Cst(3).free_vars() == frozenset()
    # the ranges of variables count
    assert i.free_vars() == frozenset({i, N})
    assert (i * M + j).free_vars() == frozenset({i, j, N, M})


def test_int() -> None:
    assert int(Cst(5)) == 5
    assert [10, 20, 30][Cst(1)] == 20
    with pytest.raises(TypeError, match="symbolic"):
        int(N)


def test_rebuild_is_identity_on_canonical_forms() -> None:
    for e in [N * M + 1, (N + 1) // 2, N % M, minimum(N, M), maximum(N, M), 3 * N, i * M + j]:
        assert Simplifier().rebuild(e) == e


@pytest.mark.parametrize("e", [N, Cst(3), (N + 1) // 2, N % M, minimum(N, M), maximum(N, M), N * M + 1, 3 * N])
def test_children_are_the_subexpressions(e: ArithExpr) -> None:
    fields = [getattr(e, f.name) for f in dataclasses.fields(e)]  # type: ignore[arg-type]
    expected = [x for f in fields for x in (f if isinstance(f, tuple) else [f]) if isinstance(x, ArithExpr)]
    # a variable's range is part of its type, not a subexpression that operations recurse into
    assert list(e.children()) == ([] if isinstance(e, Var) else expected)


# ---- as_arith -------------------------------------------------------------------------------------------


def test_as_arith() -> None:
    assert as_arith(3) == Cst(3)
    assert as_arith(N) is N
    for bad in [True, False, "3", 1.5, None]:
        with pytest.raises(TypeError, match="expected an integer"):
            as_arith(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        N + True
    with pytest.raises(TypeError):
        N * 1.5  # type: ignore[operator]


# ---- one dispatch per operation ----------------------------------------------------------------------------

# Every module with an operation over ArithExpr, and the operations each holds (see PerNodeKind).
OPERATION_MODULES = {
    "lift.types.arith_print": {"print"},
    "lift.types.arith_eval": {"evaluate"},
    "lift.types.arith_simplify": {"polynomial form", "bound", "non-negative atom", "rebuild"},
    "lift.types.smt": {"to_z3"},
    "lift.ocl.bounds": {"interval"},
    "lift.types.injective": {"digit parts"},
}


def _operations(module_name: str) -> dict[str, PerNodeKind[object]]:
    module = importlib.import_module(module_name)
    return {v.operation: v for v in vars(module).values() if isinstance(v, PerNodeKind)}


def test_node_kinds_are_every_arith_expr_class() -> None:
    # a node class missing from NODE_KINDS would escape the completeness check of every table
    assert set(NODE_KINDS) == set(ArithExpr.__subclasses__())
    assert len(NODE_KINDS) == len(set(NODE_KINDS))


@pytest.mark.parametrize("module_name", sorted(OPERATION_MODULES))
def test_every_operation_has_a_case_for_every_node_kind(module_name: str) -> None:
    operations = _operations(module_name)
    assert set(operations) == OPERATION_MODULES[module_name]
    for name, op in operations.items():
        assert set(op.cases) == set(NODE_KINDS), name


def test_an_incomplete_operation_is_refused_at_construction() -> None:
    cases = {kind: (lambda e: 0) for kind in NODE_KINDS if kind is not Mod}
    with pytest.raises(LiftInternalError, match=r"'size' has no case for Mod: .*NODE_KINDS"):
        PerNodeKind("size", cases)
    with pytest.raises(LiftInternalError, match=r"'size' has a case for int, which is no ArithExpr node kind"):
        PerNodeKind("size", {**cases, Mod: lambda e: 0, int: lambda e: 0})  # type: ignore[dict-item]


def test_an_operation_table_cannot_be_changed_after_its_check() -> None:
    op = _operations("lift.types.arith_print")["print"]
    with pytest.raises(TypeError):
        op.cases[Mod] = lambda e: ""  # type: ignore[index]


# Raw trees, built with the node constructors rather than the simplifying operators, so that every kind of node
# sits at every position (a Sum inside a Min inside a FloorDiv…); divisors are positive expressions.
POSITIVE = [Cst(1), Cst(3), N, M, Sum((N, Cst(2))), Max(M, Cst(4)), Prod((N, M))]
RANGED_ENVS = [{"N": 1, "M": 1, "i": 0, "j": 0}, {"N": 5, "M": 3, "i": 4, "j": 2}, {"N": 7, "M": 4, "i": 3, "j": 0}]


def _raw(rng: random.Random, depth: int) -> ArithExpr:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([N, M, i, j, Cst(rng.randint(-4, 6))])
    kind = rng.choice(NODE_KINDS[2:])
    if kind in (Sum, Prod):
        return kind(tuple(_raw(rng, depth - 1) for _ in range(rng.randint(2, 3))))
    if kind in (FloorDiv, Mod):
        return kind(_raw(rng, depth - 1), rng.choice(POSITIVE))
    return kind(_raw(rng, depth - 1), _raw(rng, depth - 1))  # type: ignore[call-arg]


RAW = [_raw(random.Random(seed), 4) for seed in range(60)]


@pytest.mark.parametrize("e", RAW, ids=str)
def test_operations_agree_on_every_node_kind(e: ArithExpr) -> None:
    """Evaluation on ints, on arrays and in Z3, the interval, rebuilding, printing and substitution all give the
    value of the same expression."""
    rebuilt = Simplifier().rebuild(e)
    term = to_z3(e)
    for env in RANGED_ENVS:
        value = e.evaluate(env)
        on_arrays = evaluate_array(e, {k: np.array([v, v]) for k, v in env.items()})
        assert np.broadcast_to(on_arrays, (2,)).tolist() == [value, value]
        z3_value = z3.simplify(z3.substitute(term, *[(z3.Int(k), z3.IntVal(v)) for k, v in env.items()]))
        assert z3_value.as_long() == value
        assert interval(e).lo <= value <= interval(e).hi
        assert rebuilt.evaluate(env) == value
        assert eval(str(e), {"min": min, "max": max}, dict(env)) == value
        # substitution keeps the ranges: j becomes i % M, which lies in [0, M) as j does
        sizes = {"N": Cst(env["N"]), "M": Cst(env["M"])}
        substituted = e.subs({**sizes, "j": Mod(i, M)})
        assert substituted.evaluate(env) == e.evaluate({**env, "j": env["i"] % env["M"]})
        assert replace_subterms(e, {j: Mod(i, M)}).evaluate(env) == e.evaluate({**env, "j": env["i"] % env["M"]})


def test_a_quotient_and_its_remainder_recombine() -> None:
    x = Var("x", 0, Cst(1000))
    n = Var("n", 1, None)
    assert 4 * (x // 4) + x % 4 == x
    assert 14336 * ((x + 5) // 224) + 64 * ((x + 5) % 224) == 64 * x + 320  # a joined index, split again
    assert n * (x // n) + x % n == x
    assert 3 * (x // 4) + x % 4 != x  # not a quotient-remainder pair: left alone


def test_a_polynomial_divides_its_multiples() -> None:
    n, m = Var("n", 1, None), Var("m", 1, None)
    q = (m + 1) // 2
    assert (n * q - n) % (q - 1) == Cst(0)  # n * (q - 1)
    assert (n * n - 1) % (n + 1) == Cst(0)
    assert (n * n + 1) % (n + 1) != Cst(0)


def test_a_polynomial_divides_a_multiple_of_its_primitive_part_under_the_facts() -> None:
    n, m = Var("n", 1, None), Var("m", 1, None)
    q = (m + 1) // 2
    facts = facts_of([Constraint(n % 3, "==", Cst(0))])
    assert simplify((n * q - n) % (3 * q - 3), facts) == Cst(0)  # n * (q - 1), with 3 | n
    assert simplify((n * q - n) % (3 * q - 3)) != Cst(0)  # 3 | n unknown: not proved


def test_a_sum_of_known_multiples_divides_term_by_term() -> None:
    n, m = Var("n", 1, None), Var("m", 1, None)
    q = (m + 2) // 3
    facts = facts_of([Constraint(q % 2, "==", Cst(0))])
    assert simplify((n * q + q) // 2, facts) == simplify(n * ((m + 2) // 6) + (m + 2) // 6, facts)
    assert simplify((n * q) // 2, facts) == n * ((m + 2) // 6)
    assert isinstance(simplify((n * q + q) // 2), FloorDiv)  # without the fact: left alone


def test_merged_floors_of_a_known_multiple_split_again() -> None:
    n, m = Var("n", 1, None), Var("m", 1, None)
    q = (m + 2) // 3
    facts = [Constraint(q % 2, "==", Cst(0))]
    assert simplify(2 * ((m + 2) // 6), facts_of(facts)) == q  # (q // 2) * 2 with q even
    assert equal(q + (n * q) // 2, n * ((m + 2) // 6) + 2 * ((m + 2) // 6), facts)
