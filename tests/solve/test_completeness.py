"""Completeness, measured: for small programs, every assignment of levels and address spaces is compiled and
run (under Oclgrind, against the interpreter), and compared with the model's verdict.

Categories: the model accepts and the kernel works (must be every accepted one); the model rejects and the
kernel works (kept small, each named by the rules that reject it, and listed below); the kernel fails or the
backend refuses it (must all be rejected). A mapping rejected because work-groups would have to synchronise,
forced through the backend without barriers, shows the race in Oclgrind.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, f32, fun
from lift.dsl import gather, map, reverse
from lift.dsl.prelude import square
from lift.errors import MappingError
from lift.ocl.kernel import compile_unsynchronised
from lift.solve import MappingSpace
from tests.ocl.conftest import OclgrindFindings, needs_oclgrind, random_inputs, run_under_oclgrind

LEVELS = ["seq", "fuse", "glb0", "glb1", "wrg0", "wrg1", "lcl0", "lcl1"]  # dimension 2 adds nothing here


@fun
def nest(x: Array[Array[f32, 4], 4]):
    return x >> map(map(square))


@fun
def reversed_rows(x: Array[Array[f32, 4], 4]):
    return x >> map(lambda r: r >> map(square) >> gather(reverse) >> map(square))


# Mappings that work but the model rejects, by the rule that rejects them (Lift's rules are conservative):
# - wrg-with-lcl: a map_wrg with no map_lcl under it runs with one thread a group: correct, but Lift pairs them;
# - top-level-parallel: a top-level sequential map with nothing parallel runs in one thread: correct, slow;
# - private-is-one-thread: a private intermediate read by a sibling parallel map works when every thread of
#   that map recomputes the whole intermediate for itself (redundant work), which Lift's rule 1 forbids;
# - nested-sequential-maps-fuse: Lift's heuristic, pruning valid kernels on purpose.
KNOWN_REJECTED_BUT_WORKING = {
    "wrg-with-lcl",
    "top-level-parallel",
    "private-is-one-thread",
    "nested-sequential-maps-fuse",
    "same-dims-in-every-nest",
}


def _works(prog: Any, mapping: lift.Mapping, arrays: list[np.ndarray], expected: np.ndarray) -> bool:
    try:
        kernel = lift.compile(prog, sizes={}, mapping=mapping, device="oclgrind")
        result = run_under_oclgrind(kernel, *arrays)
    except (MappingError, OclgrindFindings):
        return False
    return bool(np.allclose(result, expected, rtol=1e-5, atol=1e-5))


@needs_oclgrind
@pytest.mark.parametrize("prog", [nest, reversed_rows], ids=lambda p: p.name)
def test_completeness_table(prog: Any) -> None:
    space = MappingSpace(prog, {})
    accepted = set(space)
    labels = list(space.levels)
    intermediates = list(space.spaces)
    arrays = random_inputs(prog, {}, seed=5)
    expected = lift.interpret(prog, *arrays)
    table: Counter[str] = Counter()
    rejected_working: Counter[str] = Counter()
    for levels in itertools.product(LEVELS, repeat=len(labels)):
        for spaces in itertools.product(["global", "local", "private"], repeat=len(intermediates)):
            mapping = lift.Mapping(
                dict(zip(labels, levels)), {m: s for m, s in zip(intermediates, spaces) if s != "global"}
            )
            in_model = mapping in accepted
            works = _works(prog, mapping, arrays, expected)
            if in_model:
                assert works, f"the model accepts {mapping}, but its kernel fails"
                table["accepted, works"] += 1
            elif works:
                table["rejected, works"] += 1
                choice = {**mapping.levels, **{f"space:{k}": v for k, v in mapping.spaces.items()}}
                kinds = {r.name.split(":")[0] for r in space.violations(choice)} or {"index-expressions"}
                rejected_working.update(kinds & KNOWN_REJECTED_BUT_WORKING or kinds)
                assert kinds & KNOWN_REJECTED_BUT_WORKING, f"{mapping} works but is rejected by {kinds}"
            else:
                table["rejected, fails"] += 1
    print(f"\n{prog.name}: {dict(table)}; working but rejected, by rule: {dict(rejected_working)}")
    assert table["accepted, works"] == len([m for m in accepted if all(c in LEVELS for c in m.levels.values())])
    assert table["rejected, works"] <= table["accepted, works"] * 3


@needs_oclgrind
def test_a_mapping_rejected_for_a_race_shows_the_race_without_barriers() -> None:
    @fun
    def flip(x: Array[f32, 32]):
        from lift.dsl import join, split

        return x >> split(32) >> map(lambda c: c >> map(square) >> gather(reverse) >> map(square)) >> join

    mapping = lift.Mapping({"map0": "glb0", "map1": "glb1", "map2": "glb1"})
    assert lift.explain(flip, dict(mapping.levels)).names == ["no-sync-between-work-groups"]
    kernel = compile_unsynchronised(flip, {}, mapping, device="oclgrind")
    with pytest.raises(OclgrindFindings, match="data race"):
        run_under_oclgrind(kernel, np.arange(32, dtype=np.float32))
