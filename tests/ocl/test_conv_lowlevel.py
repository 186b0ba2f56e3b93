"""The low-level tiled 3x3 convolution (lift.examples.conv_lowlevel): its kernels agree with the interpreter and
with the conv2d example's reference, the model accepts it as written, Oclgrind finds nothing, and the kernel has
the tiled matmul's shape (private register blocks, fixed work-groups, two barriers, no temporaries)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import lift
from lift.dsl.ir import Fun
from lift.examples import conv2d, conv_lowlevel
from lift.tune import VGG16_LAYERS
from tests.ocl.conftest import assert_same_results, needs_pocl
from tests.snapshot import matches_snapshot

SIZES = {"H": 8, "W": 8, "C": 8, "K": 16}

CASES: dict[str, tuple[Fun, int]] = {
    # name: (program, register block size)
    "2x8 pixels x 16 channels, 4x4 blocks": (conv_lowlevel.work_group_tiled(2, 8, 16, 8, 4, 4), 16),
    "4x4 pixels x 8 channels, 4x2 blocks": (conv_lowlevel.work_group_tiled(4, 4, 8, 8, 4, 2), 8),
    "half a row, slices of 4 channels, adjacent, filters as read": (
        conv_lowlevel.work_group_tiled(1, 4, 16, 4, 2, 4, interleaved=False, filters_transposed=False),
        8,
    ),
}


def inputs(seed: int = 0) -> tuple[np.ndarray, ...]:
    return conv_lowlevel.inputs(SIZES, np.random.default_rng(seed))


@needs_pocl
@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_agrees_with_the_interpreter_and_the_conv2d_reference(name: str) -> None:
    prog, _ = CASES[name]
    img, weights = inputs()
    result = lift.compile(prog, sizes=SIZES, device="pocl")(img, weights)
    assert result.shape == (8, 8, 16)
    assert_same_results(result, lift.interpret(prog, img, weights), rtol=1e-5, atol=1e-5)
    assert_same_results(result, conv2d.reference(img, weights), rtol=1e-5, atol=1e-5)
    assert_same_results(result, lift.interpret(conv2d.program, img, weights), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_model_accepts_the_program_as_written(name: str) -> None:
    prog, _ = CASES[name]
    assert not lift.check(prog, sizes=SIZES), str(lift.check(prog, sizes=SIZES))


@pytest.mark.parametrize("name", sorted(CASES))
def test_under_oclgrind_no_race_and_no_invalid_access(name: str, oclgrind: object) -> None:
    prog, _ = CASES[name]
    img, weights = inputs(seed=1)
    kernel = lift.compile(prog, sizes=SIZES, device="oclgrind")
    result = oclgrind(kernel, img, weights)  # type: ignore[operator]
    assert_same_results(result, conv2d.reference(img, weights), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_kernel_has_private_blocks_fixed_work_groups_and_two_barriers(name: str) -> None:
    prog, block = CASES[name]
    kernel = lift.compile(prog, sizes=SIZES)
    source = kernel.source
    assert f"float ptmp[{block}];" in source and source.count("float ptmp") == 1, source  # one block per thread
    assert "reqd_work_group_size(" in source
    assert "get_local_size" not in source  # every map_lcl is one index per thread
    assert len(kernel.barriers) == 2  # tiles copied -> products; products -> the next slice's copies
    assert source.count("barrier(") == 2
    assert source.count("local float ltmp") == 2  # a window tile and a filter tile
    assert re.search(r"ptmp\[([^\]]+)\] = mult_add\w*\(ptmp\[\1\], ltmp", source), source
    assert "tmp[" not in source.replace("ptmp[", "").replace("ltmp", "")  # no temporary in global memory


def test_the_work_group_shape_follows_the_tiles() -> None:
    kernel = lift.compile(conv_lowlevel.work_group_tiled(2, 8, 16, 8, 4, 4), sizes=SIZES)
    assert "reqd_work_group_size(4, 4, 1)" in kernel.source  # 16 / 4 columns of threads, 2 * 8 / 4 rows
    assert kernel.local_size == (4, 4)


def test_the_example_module_interface_matches_conv2d() -> None:
    img, weights = conv_lowlevel.inputs(conv_lowlevel.test_sizes, np.random.default_rng(2))
    expected = conv2d.reference(img, weights)
    np.testing.assert_allclose(lift.interpret(conv_lowlevel.program, img, weights), expected, rtol=1e-5, atol=1e-5)
    assert conv_lowlevel.program.type == conv2d.program.type


@needs_pocl
@pytest.mark.parametrize(
    ("layer", "tiles", "local_size"),
    [
        ("conv1_2", (4, 32, 64, 8, 8, 8), (8, 16)),
        ("conv3_1", (8, 8, 64, 8, 8, 8), (8, 8)),
        ("conv5_1", (2, 14, 32, 8, 7, 4), (8, 4)),
    ],
)
def test_the_vgg_layers_compile_with_tiles_that_divide_them(
    layer: str, tiles: tuple[int, ...], local_size: tuple[int, int]
) -> None:
    """At the real sizes the analysis proves the writes race-free (no refusal from an undecided query)."""
    hw, channels, filters = VGG16_LAYERS[layer]
    sizes = {"H": hw, "W": hw, "C": channels, "K": filters}
    kernel = lift.compile(conv_lowlevel.work_group_tiled(*tiles), sizes=sizes, device="pocl")
    assert kernel.local_size == local_size
    assert len(kernel.barriers) == 2


def test_the_kernel_matches_its_snapshot() -> None:
    prog, _ = CASES["2x8 pixels x 16 channels, 4x4 blocks"]
    source = lift.compile(prog, sizes=SIZES).source
    assert matches_snapshot(source, Path(__file__).parent / "snapshots" / "conv_lowlevel.cl")


@needs_pocl
def test_split_k_runs_as_two_kernels_and_agrees() -> None:
    # the reduction's 9 * 8 terms in 3 parts of 24: a work-group a part, then a kernel adding the partial sums
    prog = conv_lowlevel.work_group_tiled(2, 8, 16, 8, 4, 4, split=3)
    img, weights = inputs(seed=2)
    kernel = lift.compile(prog, sizes=SIZES, device="pocl")
    assert [k.completes for k in kernel.kernels] == ["map0", "result"]  # cut where the sums read other groups' parts
    assert kernel.extra_bytes == 3 * 8 * 8 * 16 * 4  # the partial sums
    expected = conv2d.reference(img, weights)
    assert_same_results(kernel(img, weights), expected, rtol=1e-5, atol=1e-5)
    assert_same_results(lift.interpret(prog, img, weights), expected, rtol=1e-5, atol=1e-5)


def test_split_k_under_oclgrind(oclgrind: object) -> None:
    prog = conv_lowlevel.work_group_tiled(2, 8, 16, 8, 4, 4, split=3)
    img, weights = inputs(seed=3)
    kernel = lift.compile(prog, sizes=SIZES, device="oclgrind")
    result = oclgrind(kernel, img, weights)  # type: ignore[operator]
    assert_same_results(result, conv2d.reference(img, weights), rtol=1e-5, atol=1e-5)


def test_a_split_must_be_a_positive_int() -> None:
    with pytest.raises(lift.LiftValueError, match="split must be a positive int"):
        conv_lowlevel.work_group_tiled(split=0)
