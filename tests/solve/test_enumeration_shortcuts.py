"""The mapping model's shortcuts change how fast the valid mappings are found, never which ones are valid.

``MappingSpace.all()`` excludes a refused candidate together with every mapping its refusal generalises to (the
maps that decide it, the parallel levels in use, every renaming of the NDRange dimensions), shares the answers to
conflict questions between candidates and builds one kernel per dimension-symmetry class. Here the same space is
enumerated the slow way: every structurally valid mapping, each excluded alone, each checked by the backend from
scratch (a fresh table of answers); the two lists must be equal.
"""

from __future__ import annotations

from typing import Any

import pytest
import z3

from lift import Array, f32, fun
from lift.dsl import join, map, reduce, split, transpose, zip
from lift.dsl.prelude import add, mult, square
from lift.errors import LiftTypeError
from lift.examples import load
from lift.solve import MappingSpace
from lift.solve.mapping import Mapping
from lift.types.smt import z3_session


@fun
def two_products(A: Array[Array[f32, 4], 4], B: Array[Array[f32, 4], 4], C: Array[Array[f32, 4], 4]):
    def mm(x: Any, y: Any) -> Any:
        columns = y >> transpose
        return x >> map(lambda row: columns >> map(lambda col: zip(row, col) >> map(mult) >> reduce(add, 0.0)) >> join)

    return mm(mm(A, B), C)


@fun
def rows_then_columns(x: Array[Array[f32, 8], 4]):
    return x >> map(map(square)) >> transpose >> map(lambda c: c >> split(2) >> map(map(square)) >> join)


def exhaustive(space: MappingSpace) -> set[Mapping]:
    """Every structurally valid mapping the backend accepts, found without any shortcut."""
    found = set()
    with z3_session():
        solver = space.solver()
    while True:
        with z3_session():
            if solver.check() != z3.sat:
                return found
            candidate = space._mapping(solver.model())
            solver.add(space._block(candidate))
        sizes = space.sizes or None
        if space.backend.refusal(space.program, sizes, candidate, answers={}) is None:
            found.add(candidate)


CASES = [
    pytest.param(two_products, {}, id="two-products"),
    pytest.param(rows_then_columns, {}, id="rows-then-columns"),
    pytest.param(load("conv2d").program, load("conv2d").test_sizes, id="conv2d"),
    pytest.param(load("matmul").program, {"M": 4, "K": 6, "N": 8}, id="matmul"),
]


@pytest.mark.parametrize(("prog", "sizes"), CASES)
def test_shortcuts_find_exactly_the_valid_mappings(prog: Any, sizes: dict[str, int]) -> None:
    fast = MappingSpace(prog, sizes).all()
    assert fast, "the case has valid mappings: an empty list would compare nothing"
    assert len(fast) == len(set(fast)), "a mapping was listed twice"
    assert set(fast) == exhaustive(MappingSpace(prog, sizes))


def test_a_backend_without_the_protocol_is_refused_where_given() -> None:
    with pytest.raises(LiftTypeError, match=r"backend= must have the methods refusal and barrier_count"):
        MappingSpace(two_products, {}, backend=object())  # type: ignore[arg-type]
