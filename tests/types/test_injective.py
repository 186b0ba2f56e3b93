"""The structural injectivity proof agrees with Z3: whatever it proves, Z3 cannot refute."""

from __future__ import annotations

import z3
from hypothesis import given
from hypothesis import strategies as st

from lift.types.arith import ArithExpr, Cst, Var
from lift.types.injective import injective
from lift.types.smt import to_z3, z3_session

i = Var("i", 0, Cst(56))
j = Var("j", 0, Cst(256))
g = Var("g", 0, Cst(3136))


def collide(index: ArithExpr, variables: list[Var]) -> bool:
    """Z3: two different assignments of ``variables`` give ``index`` one value."""
    with z3_session():
        a = {v.name: Var(v.name + "_a", 0, v.hi) for v in variables}
        b = {v.name: Var(v.name + "_b", 0, v.hi) for v in variables}
        s = z3.Solver()
        for x in [*a.values(), *b.values()]:
            assert x.hi is not None
            s.add(to_z3(x) >= 0, to_z3(x) < to_z3(x.hi))
        s.add(to_z3(index.subs(a)) == to_z3(index.subs(b)))
        s.add(z3.Or(*[to_z3(a[v.name]) != to_z3(b[v.name]) for v in variables]))
        return s.check() == z3.sat


def test_row_major_and_split_indices_are_proved() -> None:
    assert injective(256 * i + j, [i, j])
    assert injective(14336 * (g // 56) + 256 * (g % 56) + j, [g, j])
    assert injective(i + 56 * j + 7, [i, j])  # an offset changes nothing


def test_colliding_or_unknown_shapes_are_not_proved() -> None:
    assert not injective(255 * i + j, [i, j])  # 255*1 + 0 == 0 + 255
    assert not injective(i + j, [i, j])
    assert not injective(256 * (g % 56) + j, [g, j])  # g // 56 is lost
    assert not injective(256 * i * j, [i, j])  # a product of variables: not this proof's shape
    n = Var("N", 1)
    assert not injective(n * i + j, [i, Var("j", 0, n)])  # a symbolic coefficient


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["i", "j"]),
            st.integers(1, 9),
            st.one_of(st.none(), st.integers(1, 9)),
            st.integers(1, 80),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(1, 12),
    st.integers(1, 12),
)
def test_every_proof_holds_in_z3(digits: list[tuple[str, int, int | None, int]], hi_i: int, hi_j: int) -> None:
    variables = {"i": Var("i", 0, Cst(hi_i)), "j": Var("j", 0, Cst(hi_j))}
    index: ArithExpr = Cst(0)
    for name, divisor, modulus, coefficient in digits:
        atom: ArithExpr = variables[name] // divisor if divisor > 1 else variables[name]
        if modulus is not None:
            atom = atom % modulus
        index = index + coefficient * atom
    used = [v for v in variables.values() if v.name in {x.name for x in index.free_vars()}]
    if used and injective(index, used):
        assert not collide(index, used), f"{index} was proved injective, but Z3 finds a collision"
