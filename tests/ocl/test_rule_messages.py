"""Every refusal of a mapping names its rule (one of the model's rules or the backend's :data:`KERNEL_RULES`) and
speaks of the program — map labels, "the output of map1" — never of the kernel's C names."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

import lift
from lift.dsl.ir import Fun
from lift.errors import MappingError
from lift.examples import load
from lift.ocl.kernel import compile_program
from lift.solve import MappingSpace
from lift.solve.rules import (
    BARRIER_REACHED_BY_ALL_THREADS,
    CODES,
    KERNEL_RULES,
    NO_SYNC_BETWEEN_WORK_GROUPS,
    NO_WRITE_WRITE_RACE,
    PRIVATE_READ_BY_ITS_WRITER,
    SPACE_CODES,
)
from tests.ocl.soundness_programs import PROGRAMS, private_rows_read_by_columns
from tests.ocl.test_barriers_lift import S1, invalid_kernel_uneven, sequential_map_follows_parallel

C_NAMES = re.compile(r"\b(?:l|p)?tmp\d*(?:_\d+)*\b|\b(?:gid|lid|wg)\d(?:_\d+)*\b|\bacc\d*\b|\bout(?:_\d+)*\b(?! of)")
"""The names lift-ir's kernels give their buffers, thread ids and accumulators."""

KERNEL_RULE_NAMES = {r.name for r in KERNEL_RULES}


def assert_speaks_of_the_program(err: MappingError) -> None:
    message = str(err)
    assert not C_NAMES.search(message), f"a C name in: {message}"


def refusal(prog: Fun, sizes: dict[str, int], mapping: dict[str, str], **values: Any) -> MappingError:
    with pytest.raises(MappingError) as info:
        compile_program(prog, sizes, lift.Mapping(mapping), values or None)
    return info.value


def test_a_read_across_work_groups() -> None:
    prog, sizes = PROGRAMS["rows_then_down"]
    err = refusal(prog, sizes, {"map0": "wrg0", "map1": "lcl0", "map2": "wrg0", "map3": "lcl0"})
    assert err.rule == NO_SYNC_BETWEEN_WORK_GROUPS.name
    assert "the output of map" in str(err) and "in map" in str(err)
    assert_speaks_of_the_program(err)


def test_every_thread_writing_one_element() -> None:
    with pytest.raises(MappingError) as info:
        compile_program(sequential_map_follows_parallel, sizes=S1)
    assert info.value.rule == NO_WRITE_WRITE_RACE.name
    assert_speaks_of_the_program(info.value)


def test_private_data_read_by_another_thread() -> None:
    with pytest.raises(MappingError) as info:
        lift.compile(private_rows_read_by_columns, sizes={"N": 3})  # a hand-lowered program, held to the exact rule
    err = info.value
    assert err.rule == PRIVATE_READ_BY_ITS_WRITER.name
    assert_speaks_of_the_program(err)


def test_a_barrier_some_threads_skip() -> None:
    with pytest.raises(MappingError) as info:
        lift.compile(invalid_kernel_uneven, sizes={"N": 2})
    assert info.value.rule == BARRIER_REACHED_BY_ALL_THREADS.name
    assert_speaks_of_the_program(info.value)


@pytest.mark.parametrize("name", ["conv2d", "matmul", "rows_then_down", "bicg"])
def test_every_refusal_of_random_mappings_names_a_rule_and_no_c_name(name: str) -> None:
    if name in PROGRAMS:
        prog, sizes = PROGRAMS[name]
    else:
        module = load(name)
        prog, sizes = module.program, module.test_sizes
    space = MappingSpace(prog, sizes)
    model_rules = {r.name for r in space.rules} | {"known-level-names", "no-valid-mapping"}
    rng = random.Random(0)
    seen = set()
    for _ in range(60):
        levels = {m: rng.choice(list(CODES)) for m in space.levels}
        spaces = {m: rng.choice(list(SPACE_CODES)) for m in space.spaces}
        mapping = lift.Mapping(levels, {m: s for m, s in spaces.items() if s != "global"})
        try:
            lift.compile(prog, sizes, mapping)
        except MappingError as err:
            assert err.rule in KERNEL_RULE_NAMES | model_rules, f"{mapping}: unnamed rule {err.rule!r}: {err}"
            assert_speaks_of_the_program(err)
            seen.add(err.rule)
    assert seen, "no random mapping was refused: the test checked nothing"
