"""The passes on the kernel plan: un-flattening loops over mixed-radix digits and hoisting invariant divisions
change how a kernel is spelled, never what it computes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import lift
from lift import examples
from lift.dsl.levels import Level
from lift.ocl.passes import hoist_invariant_indices, unflatten_loops
from lift.ocl.plan import Block, Buffer, Constant, Declare, For, Load, Loop, Stmt, Store, loops_in
from lift.ocl.printer import Printer
from lift.types.arith import ArithExpr, Cst, Var
from lift.types.data import f32
from tests.ocl.conftest import needs_pocl
from tests.snapshot import matches_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
OUT = Buffer("out", f32, "global", Cst(1000), "output")
X = Buffer("x", f32, "global", Cst(1000), "input")


def seq(name: str, extent: int) -> Var:
    return Var(name, 0, Cst(extent))


SEQ = Level("seq")


def loop(var: Var, body: tuple[Stmt, ...], level: Level = SEQ, *, once: bool = False) -> For:
    return For(Loop(var, level), Block(body), once=once, guard=False)


def copy(dest: ArithExpr, src: ArithExpr) -> Store:
    return Store(OUT, dest, Load(X, src))


def printed(body: Block) -> str:
    return "\n".join(Printer().block(body, 0))


def test_a_loop_over_a_joined_window_becomes_a_nest_over_its_digits() -> None:
    i = seq("i", 36)
    body = Block((loop(i, (copy(i, 20 * (i // 12) + 4 * ((i // 4) % 3) + i % 4),)),))
    out = unflatten_loops(body, taken={"i"})
    assert [(s.var, s.stop) for s in loops_in(out)] == [("i_2", Cst(3)), ("i_1", Cst(3)), ("i_0", Cst(4))]
    text = printed(out)
    assert "/" not in text and "%" not in text
    assert "out[i_0 + 4*i_1 + 12*i_2] = x[i_0 + 4*i_1 + 20*i_2];" in text


@pytest.mark.parametrize(
    "index",
    [
        pytest.param(lambda i: i // 2 + 7 * (i % 3), id="overlapping-digits"),
        pytest.param(lambda i: i, id="nothing-divided"),
        pytest.param(lambda i: i // 5, id="radix-not-dividing-the-extent"),
    ],
)
def test_loops_that_are_not_one_mixed_radix_are_left_alone(index) -> None:  # type: ignore[no-untyped-def]
    i = seq("i", 12)
    body = Block((loop(i, (copy(i, index(i)),)),))
    assert unflatten_loops(body, taken={"i"}) == body


def test_a_loop_whose_inner_bound_depends_on_its_variable_is_left_alone() -> None:
    i = seq("i", 12)
    j = Var("j", 0, i // 4 + 1)
    body = Block((loop(i, (loop(j, (copy(i, j + i % 4),)),)),))
    assert unflatten_loops(body, taken={"i", "j"}) == body


def test_invariant_divisions_are_computed_once_before_the_loop_that_repeats() -> None:
    gid = Var("gid0", 0, Cst(40))
    i = seq("i", 3)
    inner = loop(i, (copy(3 * (gid // 5) + i, 4 * (gid % 5) + (i // 2)),))
    body = Block((loop(gid, (inner,), Level("glb", 0), once=True),))
    out = hoist_invariant_indices(body, taken={"gid0", "i", "gid0_div_5"})
    text = printed(out)
    assert "const int gid0_div_5_1 = gid0 / 5;" in text  # a fresh name: gid0_div_5 was taken
    assert "const int gid0_mod_5 = gid0 % 5;" in text
    assert text.index("gid0 % 5;") < text.index("for (int i = 0;")
    assert "i / 2" in text  # it changes with i: computed in the loop
    (once,) = out.stmts
    assert isinstance(once, For)
    assert [type(s).__name__ for s in once.body.stmts] == ["Declare", "Declare", "For"]


def test_nothing_is_hoisted_out_of_a_loop_that_runs_once() -> None:
    gid = Var("gid0", 0, Cst(40))
    body = Block(
        (Declare("a", f32, Constant("0.0f", f32)), loop(gid, (copy(gid // 5, gid),), Level("glb", 0), once=True))
    )
    assert hoist_invariant_indices(body, taken={"gid0", "a"}) == body


@needs_pocl
@pytest.mark.parametrize(
    "mapping",
    [
        {"map0": "glb1", "map1": "glb0", "map2": "seq", "map3": "seq"},
        {"map0": "glb0", "map1": "fuse", "map2": "seq", "map3": "seq"},
        {"map0": "wrg0", "map1": "fuse", "map2": "lcl0", "map3": "seq"},
    ],
)
def test_conv_kernels_divide_nothing_in_their_innermost_loop_and_compute_the_same(mapping: dict[str, str]) -> None:
    module = examples.load("conv2d")
    kernel = lift.compile(module.program, module.test_sizes, lift.Mapping(mapping), device="pocl")
    innermost = kernel.source.split("for (")[-1]
    assert not re.search(r"[/%] \d", innermost.split("}")[0]), kernel.source
    inputs = module.inputs(module.test_sizes, np.random.default_rng(0))
    np.testing.assert_allclose(kernel(*inputs), module.reference(*inputs), rtol=1e-5, atol=1e-5)


@needs_pocl
def test_the_fused_conv_kernel_snapshot() -> None:
    module = examples.load("conv2d")
    mapping = lift.Mapping({"map0": "glb0", "map1": "fuse", "map2": "seq", "map3": "seq"})
    kernel = lift.compile(module.program, module.test_sizes, mapping, device="pocl")
    header = f"// conv2d at {module.test_sizes}, {kernel.mapping}: hoisted divisions, un-flattened window loop"
    assert matches_snapshot(f"{header}\n{kernel.source}", SNAPSHOTS / "conv2d_fused.cl")
