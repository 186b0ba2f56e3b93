"""Array accumulators of ``reduce_seq`` (updated in place where proved safe) and results written through
rearrangements (no temporary), on PoCL and under Oclgrind."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import lift
from lift import Array, f32, fun, size
from lift.dsl import (
    gather,
    id,
    join,
    map_glb,
    map_lcl,
    map_seq,
    map_wrg,
    reduce_seq,
    reorder_stride,
    reverse,
    split,
    to_private,
    transpose,
    value,
    zip,
)
from lift.dsl.levels import Level
from lift.dsl.prelude import add
from lift.examples.matmul_blocked import register_blocked, work_group_tiled
from lift.ocl.inplace import updates_in_place
from lift.ocl.kernel import compile_unsynchronised
from lift.ocl.plan import Block, Buffer, Load, Loop, Store, accesses_of
from lift.solve.lowered import choices_of
from lift.types.arith import Cst, Var
from tests.ocl.conftest import (
    HAS_OCLGRIND,
    OclgrindFindings,
    assert_same_results,
    needs_oclgrind,
    needs_pocl,
    random_inputs,
    run_under_oclgrind,
)
from tests.snapshot import matches_snapshot

M, N = size("M"), size("N")


@fun
def reversed_running_sum(x: Array[Array[Array[f32, 4], N], M]):
    """Each step reads the accumulator reversed: ``acc'[i] = acc[3 - i] + x[i]`` reads elements another element's
    store replaces, so the update cannot be in place."""
    return x >> map_glb(
        reduce_seq(lambda acc, row: zip(acc >> gather(reverse), row) >> map_seq(add), value(0.0, Array[f32, 4])) >> join
    )


@fun
def running_sum(x: Array[Array[Array[f32, 4], N], M]):
    return x >> map_glb(reduce_seq(lambda acc, row: zip(acc, row) >> map_seq(add), value(0.0, Array[f32, 4])) >> join)


@fun
def untiled(x: Array[Array[f32, N], M]):
    """Blocks of 2 x 2 computed per thread and written back through ``transpose >> map(join)`` and ``join``."""
    return (
        x
        >> split(2)
        >> map_glb(
            lambda rows: (
                rows
                >> transpose
                >> split(2)
                >> map_glb(map_seq(map_seq(lambda a: add(a, a))), dim=0)
                >> map_seq(transpose)
                >> transpose
                >> map_seq(join)
            ),
            dim=1,
        )
        >> join
    )


@fun
def reordered(x: Array[Array[f32, 8], M]):
    """A computed result written through ``reorder_stride`` and ``map(reorder_stride)``: no temporary."""
    return x >> map_glb(map_seq(lambda a: add(a, a)) >> reorder_stride(4)) >> reorder_stride(2)


TILED_SIZES = {"M": 16, "K": 8, "N": 24}

CASES = {
    "tiled, interleaved": (work_group_tiled(8, 12, 4, 2, 3), TILED_SIZES),
    "tiled, adjacent": (work_group_tiled(8, 12, 4, 2, 3, interleaved=False), TILED_SIZES),
    "reorder_stride written through": (reordered, {"M": 6}),
    "register blocks (in place)": (register_blocked(2, 4), {"M": 6, "K": 5, "N": 8}),
    "running sum (in place)": (running_sum, {"M": 3, "N": 5}),
    "reversed running sum (second array)": (reversed_running_sum, {"M": 3, "N": 5}),
    "untiled": (untiled, {"M": 4, "N": 6}),
}


@needs_pocl
@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_agrees_with_the_interpreter(name: str) -> None:
    prog, sizes = CASES[name]
    arrays = random_inputs(prog, sizes)
    kernel = lift.compile(prog, sizes=sizes, device="pocl")
    assert_same_results(kernel(*arrays), lift.interpret(prog, *arrays), rtol=1e-5, atol=1e-6)
    assert not lift.check(prog, sizes=sizes), str(lift.check(prog, sizes=sizes))  # the model accepts it


@pytest.mark.parametrize("name", sorted(CASES))
def test_under_oclgrind_no_race_and_no_invalid_access(name: str, oclgrind: object) -> None:
    prog, sizes = CASES[name]
    arrays = random_inputs(prog, sizes)
    kernel = lift.compile(prog, sizes=sizes, device="oclgrind")
    assert_same_results(oclgrind(kernel, *arrays), lift.interpret(prog, *arrays), rtol=1e-5, atol=1e-6)  # type: ignore[operator]


def test_an_elementwise_update_is_made_in_place() -> None:
    source = lift.compile(running_sum, sizes={"M": 3, "N": 5}).source
    assert len(re.findall(r"float ptmp\w*\[4\];", source)) == 1  # one accumulator, no second array
    assert re.search(r"ptmp\[(\w+)\] = add\w*\(ptmp\[\1\], ", source), source


def test_the_register_block_is_updated_in_place_and_written_through() -> None:
    source = lift.compile(register_blocked(4, 4), sizes={"M": 16, "K": 12, "N": 24}).source
    assert "float ptmp[16];" in source and source.count("float ptmp") == 1
    assert re.search(r"ptmp\[([^\]]+)\] = mult_add\w*\(ptmp\[\1\], A\[", source), source
    assert "tmp[" not in source.replace("ptmp[", "")  # the blocks go straight to the output: no global temporary


def test_an_update_that_reads_replaced_elements_uses_a_second_array() -> None:
    source = lift.compile(reversed_running_sum, sizes={"M": 3, "N": 5}).source
    assert len(re.findall(r"float ptmp\w*\[4\];", source)) == 2


@pytest.mark.parametrize("prog, sizes", [(untiled, {"M": 4, "N": 6}), (reordered, {"M": 6})])
def test_a_rearranged_result_needs_no_temporary(prog: lift.dsl.ir.Fun, sizes: dict[str, int]) -> None:
    source = lift.compile(prog, sizes=sizes).source
    assert "global float* tmp" not in source


# ---- the decision on small plans ---------------------------------------------------------------------------

ACC = Buffer("acc", f32, "private", Cst(4), "temp", "the accumulator")
X = Buffer("x", f32, "global", Cst(4), "input", "x")
IDX = Var("i", 0, Cst(4))
LOOP = Loop(IDX, Level("seq", 0))


def _store(index: object, value: object) -> Store:
    stmt = Store(ACC, index, value)  # type: ignore[arg-type]
    return Store(ACC, stmt.index, stmt.value, accesses=accesses_of(stmt, (LOOP,)))


def test_a_store_reading_its_own_element_is_in_place() -> None:
    update = Block((_store(IDX, Load(ACC, IDX)),))
    assert updates_in_place(update, [ACC])


def test_a_store_reading_another_element_is_not() -> None:
    update = Block((_store(IDX, Load(ACC, 3 - IDX)),))
    assert not updates_in_place(update, [ACC])


def test_a_nested_accumulation_reading_its_own_element_is_in_place() -> None:
    update = Block((_store(IDX // 2, Load(ACC, IDX // 2)),))
    assert updates_in_place(update, [ACC])


def test_a_read_by_another_statement_is_not() -> None:
    copy = Store(X, IDX, Load(ACC, IDX))
    update = Block((Store(X, IDX, copy.value, accesses=accesses_of(copy, (LOOP,))), _store(IDX, Load(X, IDX))))
    assert not updates_in_place(update, [ACC])


def test_two_stores_to_the_accumulator_are_not() -> None:
    update = Block((_store(IDX, Load(ACC, IDX)), _store(IDX, Load(X, IDX))))
    assert not updates_in_place(update, [ACC])


def test_no_input_is_ever_zero() -> None:
    # the comparisons above are meaningful only on data that is not all zeros
    prog, sizes = CASES["register blocks (in place)"]
    assert all(np.any(a != 0) for a in random_inputs(prog, sizes))


def test_the_tiled_kernel_has_private_blocks_fixed_work_groups_and_two_barriers() -> None:
    kernel = lift.compile(work_group_tiled(8, 12, 4, 2, 3), sizes=TILED_SIZES)
    source = kernel.source
    assert "reqd_work_group_size(4, 4, 1)" in source  # 12 / 3 columns of threads, 8 / 2 rows
    assert "float ptmp[6];" in source and source.count("float ptmp") == 1  # each thread's 2 x 3 block only
    assert "get_local_size" not in source  # every map_lcl is one index per thread
    assert len(kernel.barriers) == 2  # tiles copied -> products; products -> the next slice's copies
    assert "#pragma unroll" in source
    assert re.search(r"ptmp\[([^\]]+)\] = mult_add\w*\(ptmp\[\1\], ltmp", source), source


@fun
def retiled(x: Array[Array[Array[f32, 64], 224], N]):
    """Tiles of 128 pixels of a 224-pixel row structure: the write index recombines ``224*(i // 224) + i % 224``."""
    return (
        x
        >> join
        >> split(128)
        >> map_wrg(lambda t: t >> split(16) >> transpose >> map_lcl(map_seq(map_seq(id))) >> transpose >> join)
        >> join
        >> split(224)
    )


def test_indices_through_join_and_split_recombine() -> None:
    source = lift.compile(retiled, sizes={"N": 224}).source
    assert "out[1024*i + i1 + 64*lid0 + 8192*wg0] = x[1024*i + i1 + 64*lid0 + 8192*wg0];" in source


# ---- broken variants: refused by a named rule, or racing once the barriers are left out --------------------


@fun
def slices_read_by_others(x: Array[Array[f32, 4], N]):
    """Each thread's private row is read back, reversed, by another thread."""
    return (
        x
        >> split(8)
        >> map_wrg(lambda rows: rows >> map_lcl(to_private(map_seq(id))) >> gather(reverse) >> map_lcl(map_seq(id)))
        >> join
    )


@fun
def shared_accumulator(x: Array[Array[Array[f32, 8], 5], N]):
    """A private accumulator spread over the threads, whose update reads other threads' parts."""
    zero = value(0.0, Array[f32, 8]) >> map_lcl(to_private(id))
    return x >> map_wrg(
        lambda rows: (
            rows
            >> reduce_seq(lambda acc, row: zip(acc >> gather(reverse), row) >> map_lcl(add), zero)
            >> join
            >> map_lcl(id)
        )
    )


@pytest.mark.parametrize("prog, sizes", [(slices_read_by_others, {"N": 16}), (shared_accumulator, {"N": 3})])
def test_private_data_of_another_thread_is_refused_by_name(prog: lift.dsl.ir.Fun, sizes: dict[str, int]) -> None:
    with pytest.raises(lift.MappingError, match="private memory holds each thread's own data") as info:
        lift.compile(prog, sizes=sizes)
    assert info.value.rule == "private-is-one-thread"


@needs_oclgrind
def test_tiles_read_without_the_barriers_race() -> None:
    prog = work_group_tiled(8, 12, 4, 2, 3)
    choices = choices_of(prog)
    mapping = lift.Mapping(
        {k: v for k, v in choices.items() if not k.startswith("space:")},
        {k.removeprefix("space:"): v for k, v in choices.items() if k.startswith("space:")},
    )
    kernel = compile_unsynchronised(prog, TILED_SIZES, mapping, device="oclgrind")
    assert not kernel.barriers
    with pytest.raises(OclgrindFindings, match="data race"):
        run_under_oclgrind(kernel, *random_inputs(prog, TILED_SIZES))


def test_the_tiled_kernel_matches_its_snapshot() -> None:
    source = lift.compile(work_group_tiled(16, 16, 4, 4, 4), sizes={"M": 32, "K": 8, "N": 32}).source
    assert matches_snapshot(source, Path(__file__).parent / "snapshots" / "matmul_tiled.cl")


# ---- padded local rows ------------------------------------------------------------------------------------------


@needs_pocl
@pytest.mark.parametrize("device", ["pocl", "oclgrind"])
def test_padded_local_rows_compute_the_same(device: str) -> None:
    if device == "oclgrind" and not HAS_OCLGRIND:
        pytest.skip("Oclgrind is not installed")
    prog = work_group_tiled(8, 12, 4, 2, 3, interleaved=False)
    arrays = random_inputs(prog, TILED_SIZES)
    kernel = lift.compile(prog, sizes=TILED_SIZES, device=device, values={"lpad": 1})
    run = run_under_oclgrind if device == "oclgrind" else (lambda k, *a: k(*a))
    assert_same_results(run(kernel, *arrays), lift.interpret(prog, *arrays), rtol=1e-5, atol=1e-6)


def test_padded_local_rows_are_longer_by_the_padding() -> None:
    source = lift.compile(work_group_tiled(8, 12, 4, 2, 3), sizes=TILED_SIZES, values={"lpad": 2}).source
    assert "local float ltmp[48];" in source  # the A tile: 8 rows of 4, each padded to 6
    assert "local float ltmp1[56];" in source  # the B tile: 4 rows of 12, each padded to 14


def test_padding_a_kernel_without_local_rows_is_refused() -> None:
    with pytest.raises(lift.LiftValueError, match="lpad = 1 pads the rows of local arrays of rows, but"):
        lift.compile(running_sum, sizes={"M": 3, "N": 5}, values={"lpad": 1})


def test_no_padding_is_the_default() -> None:
    prog = work_group_tiled(8, 12, 4, 2, 3)
    assert (
        lift.compile(prog, sizes=TILED_SIZES, values={"lpad": 0}).source == lift.compile(prog, sizes=TILED_SIZES).source
    )
    with pytest.raises(lift.LiftValueError, match="lpad must be a non-negative int, found int -1"):
        lift.compile(prog, sizes=TILED_SIZES, values={"lpad": -1})


@pytest.mark.parametrize(
    "args, message",
    [
        ((8, 12, 4, 3, 3), "blocks of 3 x 3 do not divide the tile of 8 x 12"),
        ((8, 8, 3, 2, 2), "the 16 threads of a work-group cannot share the copies of the input tiles"),
        ((8, 8, 0, 2, 2), "tile depth = 0: every tile and block size is a positive int"),
    ],
)
def test_a_tiling_that_cannot_work_is_refused_where_it_is_asked_for(args: tuple[int, ...], message: str) -> None:
    with pytest.raises(lift.LiftValueError, match=message):
        work_group_tiled(*args)
