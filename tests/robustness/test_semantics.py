"""Semantics that cannot disagree (issue 8): ``reduce`` needs an associative, commutative operator and an
idempotent initial value, proved with Z3 where it can; ``interpret`` never hands back (or writes into) the
caller's arrays."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import lift
from lift import Array, Tuple, f32, fun, i32, size, userfun
from lift.dsl import id as copy
from lift.dsl import join, map, reduce, reduce_seq, split, transpose, zip
from lift.dsl.prelude import add, maximum, minimum, mult, subtract
from lift.types.laws import reduce_laws

N = size("N")
M = size("M")
VEC = Array[f32, N]


@userfun
def add_pairs(p: Tuple[f32, f32], q: Tuple[f32, f32]) -> Tuple[f32, f32]:
    return (p[0] + q[0], p[1] + q[1])


@userfun
def add_ints(x: i32, y: i32) -> i32:
    return x + y


@userfun
def larger(x: f32, y: f32) -> f32:
    if x >= y:
        return x
    return y


@userfun
def first_positive(x: f32, y: f32) -> f32:
    return x if x > 0.0 else y


@userfun
def log_sum_exp(x: f32, y: f32) -> f32:
    return math.log(math.exp(x) + math.exp(y))


@userfun
def halfway(x: f32, y: f32) -> f32:
    return (x + y) * 0.5


def _refusal(op: object, init: object, t: object = VEC) -> str:
    with pytest.raises(lift.LiftTypeError) as info:
        lift.typecheck(reduce(op, init), t)  # type: ignore[arg-type]
    return str(info.value)


def test_reduce_of_subtract_is_refused_with_a_counterexample_that_is_one() -> None:
    message = _refusal(subtract, 0.0)
    assert "reduce(subtract, 0.0)" in message and "reduce_seq" in message
    assert "not associative" in message and "not commutative" in message
    found = re.search(r"for a = (\S+), b = (\S+), c = (\S+?) \(", message)
    assert found, message
    a, b, c = (np.float64(float(v)) for v in found.groups())
    f = subtract.translated.evaluate
    assert f(f(a, b), c) != f(a, f(b, c))  # the values Z3 gave really break associativity


def test_the_program_of_the_issue_is_refused_before_it_runs() -> None:
    @fun
    def fold(x: Array[f32, N]):
        return x >> reduce(subtract, 0.0)

    with pytest.raises(lift.LiftTypeError, match="subtract"):
        lift.interpret(fold, np.arange(9, dtype=np.float32))


@pytest.mark.parametrize(
    ("op", "init", "t"),
    [
        (add, 0.0, VEC),
        (mult, 1.0, VEC),
        (maximum, -math.inf, VEC),
        (minimum, math.inf, VEC),
        (maximum, -100.0, VEC),  # not neutral, but idempotent: the result does not depend on the mapping
        (mult, 0.0, VEC),
        (larger, -1e30, VEC),
        (add_ints, 0, Array[i32, N]),
        (add_pairs, (0.0, 0.0), Array[Tuple[f32, f32], N]),
        (lambda u, v: add(v, u), 0.0, VEC),
    ],
)
def test_lawful_operators_are_accepted(op: object, init: object, t: object) -> None:
    assert lift.typecheck(reduce(op, init), t) is not None  # type: ignore[arg-type]


def test_lawful_operators_are_proved_not_just_accepted() -> None:
    for op in (add, mult, maximum, minimum, larger, add_pairs):
        elem = op.param_types[0]
        assert [v.status for v in reduce_laws(op, elem)] == ["proved", "proved"], op.name


@pytest.mark.parametrize("op", [first_positive, halfway, lambda u, v: subtract(v, u)])
def test_operators_that_break_a_law_are_refused(op: object) -> None:
    message = _refusal(op, 0.0)
    assert "not associative" in message or "not commutative" in message


def test_a_non_idempotent_initial_value_is_refused_with_a_hint() -> None:
    message = _refusal(add, 1.0)
    assert "initial value 1.0" in message and "add(init, init) = 2.0" in message and "neutral" in message


def test_operators_outside_the_translated_subset_are_the_users_promise() -> None:
    assert [v.status for v in reduce_laws(log_sum_exp, f32)] == ["unknown", "unknown"]
    assert lift.typecheck(reduce(log_sum_exp, -math.inf), VEC) is not None


def test_reduce_seq_takes_any_operator() -> None:
    assert lift.typecheck(reduce_seq(subtract, 0.0), VEC) is not None


def test_verdicts_are_cached_per_operator() -> None:
    reduce_laws(subtract, f32)
    hits = reduce_laws.cache_info().hits
    lift.typecheck(reduce(add, 0.0), VEC)
    lift.typecheck(reduce(add, 0.0), Array[f32, M])
    assert reduce_laws.cache_info().hits >= hits + 1


# ---- interpret never aliases or writes its inputs ------------------------------------------------------


@fun
def identity(x: Array[f32, N]):
    return x >> copy


@fun
def split_join(x: Array[f32, N]):
    return x >> split(2) >> join


@fun
def self_zip(x: Array[f32, N]):
    return zip(x, x)


@fun
def swapped(x: Array[Array[f32, M], N]):
    return x >> transpose


@fun
def rows_copied(x: Array[Array[f32, M], N]):
    return x >> map(lambda row: row >> copy)


CASES = [
    (identity, (8,)),
    (split_join, (8,)),
    (self_zip, (8,)),
    (swapped, (4, 1)),
    (swapped, (1, 4)),
    (rows_copied, (3, 4)),
]


def _leaves(result: object) -> list[np.ndarray]:
    return list(result) if isinstance(result, tuple) else [result]  # type: ignore[list-item]


@pytest.mark.parametrize(("prog", "shape"), CASES)
def test_results_share_no_memory_with_inputs_or_each_other(prog: lift.dsl.ir.Fun, shape: tuple[int, ...]) -> None:
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    leaves = _leaves(lift.interpret(prog, x))
    for i, leaf in enumerate(leaves):
        assert not np.shares_memory(leaf, x)
        assert leaf.flags.writeable and leaf.flags.c_contiguous
        assert not any(np.shares_memory(leaf, other) for other in leaves[:i])


@pytest.mark.parametrize(("prog", "shape"), CASES)
def test_writing_into_the_result_leaves_the_input_unchanged(prog: lift.dsl.ir.Fun, shape: tuple[int, ...]) -> None:
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    before = x.copy()
    for leaf in _leaves(lift.interpret(prog, x)):
        leaf[...] = -1.0
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(("prog", "shape"), CASES)
def test_read_only_inputs_are_never_written(prog: lift.dsl.ir.Fun, shape: tuple[int, ...]) -> None:
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    x.flags.writeable = False  # any write into it would raise
    assert all(leaf.flags.writeable for leaf in _leaves(lift.interpret(prog, x)))
