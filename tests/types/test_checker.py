"""The type rule of every combinator, and the errors the checker gives for ill-typed programs."""

from __future__ import annotations

import pytest

import lift
from lift import Array, Tuple, f32, i32, size
from lift.dsl import (
    gather,
    id,
    iterate,
    join,
    map,
    map_glb,
    map_lcl,
    map_seq,
    map_wrg,
    pad,
    reduce,
    reduce_seq,
    reverse,
    scatter,
    slide,
    split,
    stride,
    to_global,
    to_local,
    to_private,
    transpose,
    zip,
)
from lift.dsl.ir import Fun, Param
from lift.dsl.prelude import add, mult, square
from lift.types.arith import Cst

N = size("N")
M = size("M")


def program(*param_types: object, body: object) -> Fun:
    """A one-off program ``λ x0 x1 …. body(x0, x1, …)`` with the given parameter types."""
    params = tuple(Param(f"x{k}") for k in range(len(param_types)))
    return Fun(params, body(*params), "p", tuple(param_types))  # type: ignore[operator,arg-type]


def result_of(*param_types: object, body: object) -> object:
    return program(*param_types, body=body).type.result


VEC = Array[f32, N]
MAT = Array[Array[f32, M], N]


@pytest.mark.parametrize(
    ("param_types", "body", "expected"),
    [
        ((VEC,), lambda x: x >> map(square), Array[f32, N]),
        ((VEC,), lambda x: x >> map_seq(square), Array[f32, N]),
        ((MAT,), lambda x: x >> map_wrg(map_lcl(square)), MAT),
        ((MAT,), lambda x: x >> map_glb(map_glb(square, dim=1)), MAT),
        ((VEC,), lambda x: x >> reduce(add, 0.0), Array[f32, 1]),
        ((VEC,), lambda x: x >> reduce_seq(add, 0.0), Array[f32, 1]),
        ((VEC, VEC), lambda x, y: zip(x, y), Array[Tuple[f32, f32], N]),
        ((VEC, VEC), lambda x, y: zip(x, y) >> map(lambda p: p[1]), Array[f32, N]),
        ((VEC, VEC), lambda x, y: zip(x, y) >> map(mult), Array[f32, N]),
        ((VEC,), lambda x: x >> split(4), Array[Array[f32, 4], N // 4]),
        ((VEC,), lambda x: x >> split(4) >> join, Array[f32, N]),
        ((MAT,), lambda x: x >> join, Array[f32, M * N]),
        ((MAT,), lambda x: x >> transpose, Array[Array[f32, N], M]),
        ((MAT,), lambda x: x >> transpose >> transpose, MAT),
        ((VEC,), lambda x: x >> slide(3, 1), Array[Array[f32, 3], N - 2]),
        ((VEC,), lambda x: x >> slide(3, 2), Array[Array[f32, 3], (N - 3) // 2 + 1]),
        ((VEC,), lambda x: x >> pad(1, 2, 0.0), Array[f32, N + 3]),
        ((MAT,), lambda x: x >> pad(1, 1, "clamp"), Array[Array[f32, M], N + 2]),
        ((VEC,), lambda x: x >> pad(1, 1, 0.0) >> slide(3, 1), Array[Array[f32, 3], N]),
        ((VEC,), lambda x: x >> gather(reverse) >> scatter(reverse), VEC),
        ((VEC,), lambda x: x >> gather(stride(4)), VEC),
        ((VEC,), lambda x: x >> iterate(2, split(2) >> map(reduce(add, 0.0)) >> join), Array[f32, N // 4]),
        ((VEC,), lambda x: x >> iterate(0, split(2)), VEC),
        ((VEC,), lambda x: x >> id, VEC),
        ((VEC,), lambda x: x >> to_global(map(square)) >> to_local(id) >> to_private(id), VEC),
        ((Array[f32, 8],), lambda x: x >> split(2), Array[Array[f32, 2], 4]),
        ((Array[f32, 8],), lambda x: x >> slide(3, 1), Array[Array[f32, 3], 6]),
    ],
)
def test_type_rule(param_types: tuple[object, ...], body: object, expected: object) -> None:
    assert result_of(*param_types, body=body) == expected


def test_typecheck_returns_the_function_type() -> None:
    p = program(VEC, VEC, body=lambda x, y: zip(x, y) >> map(mult) >> reduce(add, 0.0))
    t = lift.typecheck(p)
    assert t == p.type
    assert t.params == (VEC, VEC)
    assert t.result == Array[f32, 1]


def test_size_facts_are_collected() -> None:
    p = program(VEC, body=lambda x: x >> split(4) >> map(slide(3, 1)))
    assert [str(c) for c in p.constraints] == ["N % 4 == 0"]
    assert [c.origin for c in p.constraints] == ["split(4)"]
    q = program(VEC, body=lambda x: x >> slide(3, 1))
    assert [str(c) for c in q.constraints] == ["N >= 3"]


def test_facts_that_follow_from_earlier_ones_are_not_repeated() -> None:
    p = program(VEC, body=lambda x: x >> split(4) >> join >> split(2))
    assert [str(c) for c in p.constraints] == ["N % 4 == 0"]


def test_literal_takes_the_type_of_its_context() -> None:
    p = program(Array[i32, N], body=lambda x: x >> pad(1, 1, 0))
    assert p.type.result == Array[i32, N + 2]


ERRORS = [
    ((VEC, Array[f32, M]), lambda x, y: zip(x, y), ["zip", "N == M", "[f32]N", "[f32]M"]),
    ((VEC,), lambda x: x >> join, ["join", "array of arrays", "[f32]N"]),
    ((VEC,), lambda x: x >> transpose, ["transpose", "[f32]N"]),
    ((Array[f32, 8],), lambda x: x >> split(3), ["split(3)", "8 % 3 == 0", "[f32]8"]),
    ((Array[f32, 2],), lambda x: x >> slide(3, 1), ["slide(3, 1)", "2 >= 3"]),
    ((Array[f32, N * 2 + 1],), lambda x: x >> split(2), ["split(2)", "2*N + 1"]),
    ((Array[i32, N],), lambda x: x >> map(square), ["square", "f32", "i32"]),
    ((VEC,), lambda x: x >> map(mult), ["mult", "2 argument"]),
    ((Array[i32, N],), lambda x: x >> reduce(add, 0), ["add", "i32", "f32"]),
    ((Array[Tuple[f32, f32], N],), lambda x: x >> pad(1, 1, 0.0), ["pad", "scalars"]),
    ((Array[Tuple[f32, f32], N],), lambda x: x >> map(lambda p: p[2]), ["get(2)", "2 components"]),
    ((VEC,), lambda x: x >> map(lambda v: v[0]), ["get(0)", "tuple", "f32"]),
    ((Array[f32, 6],), lambda x: x >> gather(stride(4)), ["gather(stride(4))", "6 % 4 == 0"]),
    ((VEC,), lambda x: x >> reduce_seq(lambda acc, v: zip(acc, v), 0.0), ["zip"]),
]


@pytest.mark.parametrize(("param_types", "body", "fragments"), ERRORS)
def test_ill_typed_programs_are_rejected_with_a_clear_message(
    param_types: tuple[object, ...], body: object, fragments: list[str]
) -> None:
    p = program(*param_types, body=body)
    with pytest.raises(lift.LiftTypeError) as info:
        _ = p.type
    for fragment in fragments:
        assert fragment in str(info.value)


def test_a_fact_that_can_never_hold_is_refuted() -> None:
    # N % 2 == 0 from the first split, then (N // 2 + 1) would need to be even as well as N // 2
    p = program(VEC, body=lambda x: zip(x >> split(2), x >> split(2) >> pad(0, 1, 0.0) >> split(1)))
    with pytest.raises(lift.LiftTypeError, match="zip"):
        _ = p.type


def test_parameter_used_outside_its_lambda() -> None:
    stray = Param("stray")
    p = program(VEC, body=lambda x: zip(x, stray))
    with pytest.raises(lift.LiftTypeError, match="stray"):
        _ = p.type


def test_sizes_simplify_under_facts() -> None:
    p = program(VEC, body=lambda x: x >> split(4) >> map(split(2)) >> join >> join)
    assert p.type.result == VEC
    assert result_of(MAT, body=lambda x: x >> join >> split(M)) == MAT


def test_constant_sizes_in_programs() -> None:
    assert result_of(Array[f32, 12], body=lambda x: x >> split(3) >> transpose) == Array[Array[f32, 4], 3]
    assert Cst(12) // 3 == Cst(4)
