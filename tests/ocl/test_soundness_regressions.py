"""Soundness regressions (issue 8): programs that read a map-produced intermediate across work-groups. Every
mapping the model accepts computes the interpreter's answer on PoCL and is clean under Oclgrind; a program with
no single-kernel parallel mapping runs correctly in one work-item."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, f32, fun, size
from lift.dsl import iterate, map
from lift.dsl.ir import Fun
from lift.ocl.codegen import MAX_UNROLLED_ITERATIONS
from tests.ocl.conftest import HAS_OCLGRIND, assert_same_results, needs_pocl, random_inputs, run_under_oclgrind
from tests.ocl.soundness_programs import PROGRAMS, private_rows_read_by_columns, private_rows_read_by_rows, third


def assert_same(got: Any, expected: Any) -> None:
    assert_same_results(got, expected, rtol=1e-5, atol=1e-5)


def _check(prog: Fun, sizes: dict[str, int], mapping: lift.Mapping, arrays: list[np.ndarray], expected: Any) -> None:
    kernel = lift.compile(prog, sizes=sizes, mapping=mapping, device="pocl")
    assert_same(kernel(*arrays), expected)
    if HAS_OCLGRIND:
        checked = lift.compile(prog, sizes=sizes, mapping=mapping, device="oclgrind")
        assert_same(run_under_oclgrind(checked, *arrays), expected)


def _sequential(prog: Fun) -> lift.Mapping:
    from lift.dsl.ir import map_labels, name_maps

    return lift.Mapping({label: "seq" for _, label in map_labels(name_maps(prog))})


@needs_pocl
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_accepted_mapping_is_correct(name: str) -> None:
    prog, sizes = PROGRAMS[name]
    arrays = random_inputs(prog, sizes)
    expected = lift.interpret(prog, *arrays)
    space = lift.mappings(prog, sizes=sizes)
    # programs of several kernels have spaces of many valid mappings: a seeded sample of them in CI
    thorough = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
    accepted = space.all() if thorough else space.first(16)
    # each accepted mapping under PoCL; Oclgrind (slow) on a sample
    for k, mapping in enumerate(sorted(accepted, key=repr)):
        kernel = lift.compile(prog, sizes=sizes, mapping=mapping, device="pocl")
        assert_same(kernel(*arrays), expected)
        if k < 3 and HAS_OCLGRIND:
            checked = lift.compile(prog, sizes=sizes, mapping=mapping, device="oclgrind")
            assert_same(run_under_oclgrind(checked, *arrays), expected)
    # the one-work-item mapping (every map sequential) is always there and right
    _check(prog, sizes, _sequential(prog), arrays, expected)


@needs_pocl
def test_the_issues_mapping_is_refused_as_a_cross_group_read() -> None:
    prog, sizes = PROGRAMS["rows_then_down"]
    for d in range(3):
        # in one kernel (no cut after map0): work-groups would read rows other work-groups write
        choices = {"map0": f"wrg{d}", "map1": f"lcl{d}", "map2": f"wrg{d}", "map3": f"lcl{d}", "cut:map0": "no"}
        explanation = lift.explain(prog, choices, sizes=sizes)
        assert "no-sync-between-work-groups" in str(explanation)
        assert "the output of map0" in str(explanation)  # the program's words, not only the C buffer


def test_a_cross_group_read_is_refused_by_the_backend() -> None:
    prog, sizes = PROGRAMS["rows_then_down"]
    mapping = lift.Mapping({"map0": "wrg0", "map1": "lcl0", "map2": "wrg0", "map3": "lcl0"})
    from lift.ocl.kernel import compile_program

    with pytest.raises(lift.MappingError, match="another work-group"):
        compile_program(prog, sizes, mapping)


@needs_pocl
def test_default_compile_cuts_where_work_groups_would_wait_for_each_other() -> None:
    prog, sizes = PROGRAMS["rows_then_down"]
    arrays = random_inputs(prog, sizes)
    kernel = lift.compile(prog, sizes=sizes, device="pocl")
    assert kernel.mapping.cuts == ("map0",)  # the rows are complete before another kernel reads them down
    assert [k.completes for k in kernel.kernels] == ["map0", "result"]
    assert_same(kernel(*arrays), lift.interpret(prog, *arrays))
    again = lift.compile(prog, sizes=sizes, mapping=kernel.mapping, device="pocl")
    assert again.source == kernel.source  # the program's own labels and cuts, reusable


@needs_pocl
def test_the_one_work_item_mapping_is_one_kernel() -> None:
    prog, sizes = PROGRAMS["rows_then_down"]
    arrays = random_inputs(prog, sizes)
    kernel = lift.compile(prog, sizes=sizes, mapping=_sequential(prog), device="pocl")
    assert kernel.kernels == (kernel,)
    assert_same(kernel(*arrays), lift.interpret(prog, *arrays))


@needs_pocl
def test_two_reductions_zipped_get_a_parallel_mapping() -> None:
    prog, sizes = PROGRAMS["bicg"]
    kernel = lift.compile(prog, sizes=sizes, device="pocl")
    assert any(level.startswith(("glb", "wrg")) for level in kernel.mapping.levels.values())
    arrays = random_inputs(prog, sizes)
    assert_same(kernel(*arrays), lift.interpret(prog, *arrays))


N = size("N")


@fun
def many_steps(a: Array[f32, N]) -> Any:
    return a >> iterate(MAX_UNROLLED_ITERATIONS + 1, map(third))


def test_iterate_over_a_computing_function_beyond_the_unroll_limit_is_refused() -> None:
    with pytest.raises(lift.LiftLimitError, match="unrolls iterate"):
        lift.compile(many_steps, sizes={"N": 8}, device="pocl")


def test_private_data_read_by_another_thread_is_refused_by_the_backend() -> None:
    """The model's structural private rule is a search heuristic; an explicit program is held to the exact
    rule, decided on the index expressions."""
    with pytest.raises(lift.MappingError, match="private memory") as info:
        lift.compile(private_rows_read_by_columns, sizes={"N": 3}, device="pocl")
    assert info.value.rule == "private-is-one-thread"


@needs_pocl
def test_private_data_read_back_by_its_writer_compiles() -> None:
    sizes = {"N": 3}
    arrays = random_inputs(private_rows_read_by_rows, sizes)
    expected = lift.interpret(private_rows_read_by_rows, *arrays)
    kernel = lift.compile(private_rows_read_by_rows, sizes=sizes, device="pocl")
    assert "float ptmp[" in kernel.source  # the rows stay in private memory
    assert_same(kernel(*arrays), expected)
    if HAS_OCLGRIND:
        checked = lift.compile(private_rows_read_by_rows, sizes=sizes, device="oclgrind")
        assert_same(run_under_oclgrind(checked, *arrays), expected)


@fun
def no_steps(a: Array[f32, N]) -> Any:
    return a >> map(lambda v: v) >> iterate(0, map(third))


@needs_pocl
def test_iterate_zero_times_over_a_computing_function_is_the_argument() -> None:
    arrays = random_inputs(no_steps, {"N": 8})
    assert_same(lift.compile(no_steps, sizes={"N": 8}, device="pocl")(*arrays), arrays[0])
