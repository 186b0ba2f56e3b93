"""Time and depth limits: every Z3 query has a time limit and says which query ran out and how to narrow it;
long pipelines and deep nests are answered (or refused) in bounded time; programs deeper than
``MAX_PROGRAM_DEPTH`` are refused by name, never with a RecursionError; ``iterate(k, f)`` is typed without
unrolling ``k`` steps."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
import z3

import examples
import lift
from lift import Array, f32, fun, size
from lift.dsl import iterate, join, map, reduce, split, to_json, transpose
from lift.dsl.ir import MAX_PROGRAM_DEPTH, Fun, map_labels, program_depth
from lift.dsl.prelude import add, square
from lift.ocl.kernel import compile_unsynchronised
from lift.solve.model import MappingSpace
from lift.types import smt
from lift.types.checker import MAX_TYPED_ITERATIONS
from tests.ocl.conftest import needs_pocl

N = size("N")


def pipeline(stages: int) -> Fun:
    """``x >> map(square) >> map(square) >> …``: ``stages`` computing maps in a row."""

    @fun
    def pipe(x: Array[f32, N]) -> Any:
        y = x
        for _ in range(stages):
            y = y >> map(square)
        return y

    return pipe


def nest(depth: int) -> Fun:
    """``depth`` perfectly nested maps over a ``depth``-dimensional array of 2s."""
    t: Any = f32
    for _ in range(depth):
        t = Array[t, 2]
    inner: Any = square
    for _ in range(depth - 1):
        inner = map(inner)

    def deep(x: Any) -> Any:
        return x >> map(inner)

    deep.__annotations__["x"] = t  # a type built here, which a string annotation could not name
    return fun(deep)


def answered_or_timed_out(ask: Any) -> tuple[Any, float]:
    """The answer (or the LiftTimeoutError) and the seconds it took."""
    start = time.monotonic()
    try:
        answer = ask()
    except lift.LiftTimeoutError as err:
        answer = err
    return answer, time.monotonic() - start


# ---- time limits ----------------------------------------------------------------------------------------------


def test_best_mapping_of_a_200_map_pipeline_within_the_limit() -> None:
    with lift.solve.time_limits(solver=5, operation=60):
        answer, seconds = answered_or_timed_out(lambda: lift.mappings(pipeline(200), sizes={"N": 8}).best())
    assert seconds < 60
    if not isinstance(answer, lift.LiftTimeoutError):
        assert all(level.startswith(("glb", "wrg")) for level in answer.levels.values())


def test_best_mapping_of_a_12_deep_nest_within_the_limit() -> None:
    with lift.solve.time_limits(solver=5, operation=60):
        answer, seconds = answered_or_timed_out(lambda: lift.mappings(nest(12)).best())
    assert seconds < 60
    if not isinstance(answer, lift.LiftTimeoutError):
        parallel = [c for c in answer.levels.values() if c not in ("seq", "fuse")]
        assert len(parallel) == 6 == len(set(parallel))  # three work-group and three local dimensions


@pytest.mark.parametrize(
    ("query", "ask"),
    [
        ("count", lambda space: space.count()),
        ("best", lambda space: space.best()),
        ("explain", lambda space: space.explain({"map1": "glb0"})),
        ("tuning", lambda space: space.tuning(lift.Mapping({"map0": "wrg0", "map1": "lcl0", "map2": "seq"})).count()),
    ],
)
def test_a_query_past_its_limit_names_itself_the_program_and_the_ways_out(query: str, ask: Any) -> None:
    module = examples.load("matmul")
    space = MappingSpace(module.program, dict(module.test_sizes))
    with lift.solve.time_limits(solver=0.001, operation=0.001), pytest.raises(lift.LiftTimeoutError) as caught:
        ask(space)
    err = caught.value
    assert err.query.startswith(query) and isinstance(err, TimeoutError)
    message = str(err)
    assert module.program.name in message and "time limit" in message
    assert "set_timeout" in message and "LIFT_SOLVER_TIMEOUT" in message  # raise the limit
    assert "sizes" in message  # or narrow the question


def test_an_operation_stops_at_its_budget() -> None:
    """A loop of many quick queries (enumerating a space) stops at the operation's limit, not after them all."""
    space = lift.mappings(nest(6))
    with lift.solve.time_limits(operation=0.3), pytest.raises(lift.LiftTimeoutError) as caught:
        space.count()
    assert "operation time limit of 0.3 s" in str(caught.value)


@needs_pocl
def test_compile_falls_back_to_one_work_item_when_the_model_runs_out_of_time() -> None:
    module = examples.load("gemv")
    sizes = {**module.test_sizes, "M": 46}  # sizes of their own: the default-mapping cache has not seen them
    arrays = module.inputs(sizes, np.random.default_rng(1))
    with lift.solve.time_limits(solver=0.001, operation=0.001):
        kernel = lift.compile(module.program, sizes=sizes, device="pocl")
    assert kernel.global_size == (1,)
    np.testing.assert_allclose(kernel(*arrays), lift.interpret(module.program, *arrays), rtol=1e-5, atol=1e-5)
    assert lift.compile(module.program, sizes=sizes, device="pocl").global_size != (1,)  # not cached


def test_undecided_questions_keep_their_safe_meaning() -> None:
    """``decide`` answers "unknown" past its limit; a proof then fails (not proved), quickly."""
    x, y, z = z3.Ints("x y z")
    fermat = [x > 0, y > 0, z > 0, x * x * x + y * y * y == z * z * z]
    start = time.monotonic()
    assert smt.decide(fermat, timeout_s=0.05) == z3.unknown
    assert time.monotonic() - start < 5


def test_a_barrier_decision_out_of_time_is_conservative() -> None:
    """Undecided race questions count as races: the kernel keeps its barrier, or is refused — never built
    without it."""
    from tests.ocl.test_kernels import reverse_in_groups

    with lift.solve.time_limits(solver=0.001):
        try:
            kernel = lift.compile(reverse_in_groups, sizes={"N": 64})
        except lift.MappingError as err:
            assert err.rule is not None  # refused by a named rule
            return
    assert [(b.local, b.global_) for b in kernel.barriers] == [(True, False)]


def test_limits_are_configured_and_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smt, "_process_limits", [])
    monkeypatch.setenv("LIFT_SOLVER_TIMEOUT", " 7.5 ")
    monkeypatch.setenv("LIFT_OPERATION_TIMEOUT", "90")
    assert lift.solve.limits() == lift.solve.TimeLimits(7.5, 90.0)
    previous = lift.solve.set_timeout(3, operation=30)
    assert previous == lift.solve.TimeLimits(7.5, 90.0) and lift.solve.limits() == lift.solve.TimeLimits(3, 30)
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(lift.LiftValueError, match="positive number of seconds"):
            lift.solve.set_timeout(bad)
    monkeypatch.setattr(smt, "_process_limits", [])
    monkeypatch.setenv("LIFT_SOLVER_TIMEOUT", "soon")
    with pytest.raises(lift.LiftValueError, match="LIFT_SOLVER_TIMEOUT"):
        lift.solve.limits()


# ---- depth ----------------------------------------------------------------------------------------------------


def test_a_1000_stage_pipeline_is_refused_by_name() -> None:
    with pytest.raises(lift.LiftLimitError, match="MAX_PROGRAM_DEPTH"):
        pipeline(1000)


def test_every_pass_handles_a_program_at_the_depth_limit() -> None:
    """Type checking, printing, interpreting, JSON and code generation of a program just under the limit, in
    a thread (whose stack is smaller than the main thread's)."""
    prog = pipeline(MAX_PROGRAM_DEPTH - 5)
    assert MAX_PROGRAM_DEPTH - 10 < program_depth(prog) <= MAX_PROGRAM_DEPTH
    x = np.linspace(-1, 1, 4, dtype=np.float32)
    outcome: dict[str, Any] = {}

    def passes() -> None:
        try:
            outcome["type"] = prog.type
            outcome["text"] = str(prog)
            outcome["json"] = to_json(prog)
            outcome["value"] = lift.interpret(prog, x)
            # code generation without the barrier analysis, which takes seconds on 500 maps (and is no recursion)
            mapping = lift.Mapping({label: "glb0" for _, label in map_labels(prog)})
            outcome["source"] = compile_unsynchronised(prog, {"N": 4}, mapping).source
        except BaseException as err:
            outcome["error"] = err

    worker = threading.Thread(target=passes)
    worker.start()
    worker.join()
    assert "error" not in outcome, repr(outcome.get("error"))
    assert outcome["value"].shape == (4,) and outcome["source"].count("square(") >= 1


# ---- iterate --------------------------------------------------------------------------------------------------


def timed_type(build: Any) -> tuple[Any, float]:
    start = time.monotonic()
    prog = build()
    return prog.type, time.monotonic() - start


def test_iterate_of_a_type_preserving_function_is_typed_at_once() -> None:
    @fun
    def many(x: Array[f32, N]) -> Any:
        return x >> iterate(10**8, map(square))

    t, seconds = timed_type(lambda: many)
    assert t.result == Array[f32, N] and seconds < 1


def test_iterate_of_a_cycle_is_read_off_the_cycle() -> None:
    @fun
    def odd(x: Array[Array[f32, 4], N]) -> Any:
        return x >> iterate(10**8 + 1, transpose)

    @fun
    def even(x: Array[Array[f32, 4], N]) -> Any:
        return x >> iterate(10**8, transpose)

    assert timed_type(lambda: odd)[0].result == Array[Array[f32, N], 4]
    assert timed_type(lambda: even)[0].result == Array[Array[f32, 4], N]
    x = np.arange(12, dtype=np.float32).reshape(3, 4)

    @fun
    def three(x: Array[Array[f32, 4], N]) -> Any:
        return x >> iterate(3, transpose)

    np.testing.assert_array_equal(lift.interpret(three, x), x.T)


def halve() -> Any:
    return split(2) >> map(reduce(add, 0.0)) >> join


def test_iterate_of_a_size_changing_function_is_followed_for_few_steps() -> None:
    @fun
    def sums(x: Array[f32, 64]) -> Any:
        return x >> iterate(3, halve())

    assert sums.type.result == Array[f32, 8]
    x = np.arange(64, dtype=np.float32)
    np.testing.assert_allclose(lift.interpret(sums, x), x.reshape(8, 8).sum(axis=1))


def test_iterate_of_a_size_changing_function_is_refused_for_many_steps() -> None:
    @fun
    def endless(x: Array[f32, N]) -> Any:
        return x >> iterate(10**8, halve())

    start = time.monotonic()
    with pytest.raises(lift.LiftLimitError, match=f"MAX_TYPED_ITERATIONS = {MAX_TYPED_ITERATIONS}"):
        _ = endless.type
    assert time.monotonic() - start < 10
