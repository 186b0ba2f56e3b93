"""Unit tests of ``lift.types.smt``: Z3 translation, proofs, equality and satisfiability of size facts."""

from __future__ import annotations

import itertools

import pytest
import z3

from lift.types.arith import ArithExpr, Cst, Facts, Var, ceil_div, maximum, minimum
from lift.types.smt import Constraint, equal, facts_of, prove, satisfiable, to_z3

N = Var("N", 1)
M = Var("M", 1)
i = Var("i", 0, N)
j = Var("j", 0, M)

DIV4 = Constraint(N % 4, "==", Cst(0))


# ---- Constraint ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("==", [False, True, False]),
        ("!=", [True, False, True]),
        (">=", [False, True, True]),
        (">", [False, False, True]),
        ("<=", [True, True, False]),
        ("<", [True, False, False]),
    ],
)
def test_constraint_holds(op: str, expected: list[bool]) -> None:
    c = Constraint(N, op, Cst(4))  # type: ignore[arg-type]
    assert [c.holds({"N": n}) for n in (3, 4, 5)] == expected


def test_constraint_holds_with_expressions() -> None:
    c = Constraint(N % 4, "==", Cst(0), "split(4)")
    assert c.holds({"N": 8})
    assert not c.holds({"N": 6})
    with pytest.raises(KeyError, match="N"):
        c.holds({})


def test_constraint_text() -> None:
    c = Constraint(N % 4, "==", Cst(0), "split(4)")
    assert str(c) == "N % 4 == 0"
    assert repr(c) == "Constraint(N % 4 == 0, from split(4))"
    assert repr(Constraint(N, ">=", Cst(3))) == "Constraint(N >= 3)"
    assert c.free_vars() == frozenset({N})


def test_facts_of() -> None:
    facts = facts_of([DIV4, Constraint(N, ">=", Cst(3)), Constraint(M % N, "==", Cst(0))])
    assert facts == Facts(frozenset({(N, Cst(4)), (M, N)}))
    assert facts_of([]) == Facts()


# ---- to_z3 -----------------------------------------------------------------------------------------------


EXPRS: list[ArithExpr] = [
    N * M + 1,
    N - M,
    (N + 1) // 2,
    (N - 7) // 3,
    (N - 7) % 3,
    N % M,
    (N * M - 5) // M,
    minimum(N, M) - maximum(N, M),
    ceil_div(N, M),
    (i * M + j) % N,
]


@pytest.mark.parametrize("e", EXPRS, ids=str)
def test_z3_agrees_with_evaluate(e: ArithExpr) -> None:
    for n, m, iv, jv in itertools.product((1, 2, 5, 8), (1, 3, 4), (0, 1), (0, 2)):
        env = {"N": n, "M": m, "i": iv, "j": jv}
        subst = [(z3.Int(k), z3.IntVal(v)) for k, v in env.items()]
        value = z3.simplify(z3.substitute(to_z3(e), *subst))
        assert z3.is_int_value(value), value
        assert value.as_long() == e.evaluate(env), (e, env)


def test_to_z3_variables_are_named_ints() -> None:
    t = to_z3(N + M)
    assert t.sort() == z3.IntSort()
    assert {str(v) for v in (z3.Int("N"), z3.Int("M"))} <= {str(c) for c in t.children()}


# ---- prove -----------------------------------------------------------------------------------------------


def test_prove_uses_ranges() -> None:
    assert prove(Constraint(N, ">=", Cst(1)))
    assert not prove(Constraint(N, ">=", Cst(2)))
    assert prove(Constraint(i, "<", N))
    assert prove(Constraint(N * M, ">=", N))
    assert prove(Constraint(i * M + j, "<", N * M))
    assert not prove(Constraint(i * M + j, "<", N * M - 1))


def test_prove_with_assumptions() -> None:
    claim = Constraint((N // 4) * 4, "==", N)
    assert not prove(claim)
    assert prove(claim, [DIV4])
    assert prove(Constraint(N % 2, "==", Cst(0)), [DIV4])
    assert not prove(Constraint(N % 8, "==", Cst(0)), [DIV4])
    assert prove(Constraint(N, ">=", Cst(4)), [DIV4])


def test_prove_nonlinear_division() -> None:
    assert prove(Constraint((N * M) // M, "==", N))
    assert prove(Constraint(ceil_div(N, M) * M, ">=", N))


# ---- equal -----------------------------------------------------------------------------------------------


def test_equal_structural_and_canonical() -> None:
    assert equal(N * M + 1, 1 + M * N)
    assert equal(N * N - 1, (N + 1) * (N - 1))
    assert not equal(N, N + 1)
    assert not equal(N, M)


def test_equal_by_z3() -> None:
    assert equal(minimum(N, M) + maximum(N, M), N + M)
    assert equal((N + 1) // 2 + N // 2, N)
    assert equal(2 * (N // 2) + N % 2, N)
    assert not equal((N + 1) // 2, N // 2)


def test_equal_with_assumptions() -> None:
    assert not equal((N // 4) * 4, N)
    assert equal((N // 4) * 4, N, [DIV4])
    odd = Constraint(N % 2, "==", Cst(1))
    assert not equal((N + 1) // 2 * 2, N + 1)
    assert equal((N + 1) // 2 * 2, N + 1, [odd])
    assert equal(N // 2, (N - 1) // 2, [odd])
    assert not equal(N // 2, (N - 1) // 2, [DIV4])


# ---- satisfiable ---------------------------------------------------------------------------------------


def test_satisfiable() -> None:
    assert satisfiable([])
    assert satisfiable([DIV4])
    assert satisfiable([DIV4, Constraint(N, "<", Cst(8))])
    assert not satisfiable([DIV4, Constraint(N, "<", Cst(4))])
    assert not satisfiable([Constraint(N, "<", Cst(1))])  # sizes are at least 1
    assert not satisfiable([Constraint(N % 2, "==", Cst(0)), Constraint(N % 2, "==", Cst(1))])
    assert satisfiable([Constraint(N % M, "==", Cst(0)), Constraint(M, ">", Cst(1))])
    assert not satisfiable([Constraint(i, ">=", N)])
