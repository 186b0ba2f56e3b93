"""Programs of several kernels: where the mapping model cuts, what each kernel completes, running them in order
on PoCL and under Oclgrind (every kernel of the sequence), profiling and the temporaries' bytes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import examples
import lift
from lift import Array, f32, fun
from lift.dsl import map, reduce
from lift.dsl.ir import as_fundecl
from lift.dsl.prelude import add, mult
from lift.examples import conv2d
from lift.ocl.sequence import KernelSequence
from lift.ocl.stages import reduction_shape
from tests.ocl.conftest import HAS_OCLGRIND, needs_pocl, random_inputs, run_under_oclgrind

DOT = examples.load("dot").program


def _same(got: Any, expected: Any) -> None:
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


# (program, sizes, what each kernel completes under the model's default mapping)
CASES = {
    "dot": (DOT, {"N": 4096}, ["reduce0.parts", "result"]),
    "asum": (examples.load("asum").program, {"N": 3000}, ["reduce0.parts", "result"]),
    # a work-group a row: the row's statistics shared by its threads, then its elements normalised, one kernel
    "softmax": (examples.load("softmax").program, {"N": 4, "M": 256}, ["result"]),
    "conv_split_k": (conv2d.split_k(4), {"H": 5, "W": 4, "C": 8, "K": 3}, ["map0", "result"]),
}


@needs_pocl
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_model_cuts_and_every_kernel_agrees_with_the_interpreter(name: str) -> None:
    prog, sizes, completes = CASES[name]
    arrays = random_inputs(prog, sizes, seed=3)
    expected = lift.interpret(prog, *arrays)
    kernel = lift.compile(prog, sizes=sizes, device="pocl")
    assert isinstance(kernel, KernelSequence) == (len(completes) > 1)
    assert [k.completes for k in kernel.kernels] == completes  # the cut points, named
    assert [k.completes for k in kernel.kernels[:-1] if "." not in k.completes] == list(kernel.mapping.cuts)
    _same(kernel(*arrays), expected)
    if HAS_OCLGRIND:  # every kernel of the sequence, under the race and bounds checker
        checked = lift.compile(prog, sizes=sizes, device="oclgrind")
        _same(run_under_oclgrind(checked, *arrays), expected)


@needs_pocl
def test_softmax_rows_shared_by_work_groups_in_one_kernel_or_two() -> None:
    prog, sizes = examples.load("softmax").program, {"N": 3, "M": 128}
    arrays = random_inputs(prog, sizes, seed=6)
    expected = lift.interpret(prog, *arrays)
    one = lift.compile(prog, sizes=sizes, device="pocl")
    assert one.mapping.levels["map0_reduce0"] == "lcl0"  # the threads of a row's work-group share its statistics
    assert one.mapping.levels["map1"] == "fuse"  # each element's pair made where the reduction reads it
    two = lift.Mapping(
        {"map0": "wrg0", "map0_reduce0": "lcl0", "map1": "fuse", "map2": "wrg0", "map3": "lcl0"}, cuts=["map0"]
    )
    assert not lift.explain(prog, {**two.levels, "cut:map0": "yes"}, sizes=sizes)
    for mapping, kernels in ((one.mapping, 1), (two, 2)):
        kernel = lift.compile(prog, sizes=sizes, mapping=mapping, device="pocl")
        assert len(kernel.kernels) == kernels
        _same(kernel(*arrays), expected)
        if HAS_OCLGRIND:
            checked = lift.compile(prog, sizes=sizes, mapping=mapping, device="oclgrind")
            _same(run_under_oclgrind(checked, *arrays), expected)


@needs_pocl
def test_every_valid_mapping_of_the_dot_product_computes_it() -> None:
    sizes = {"N": 1536}
    arrays = random_inputs(DOT, sizes, seed=4)
    expected = lift.interpret(DOT, *arrays)
    space = lift.mappings(DOT, sizes=sizes)
    mappings = space.all()
    assert len(mappings) == 8  # map0 on glb0..2 then a cut, or fused into reduce0; reduce0 seq or wrg0
    for mapping in mappings:
        kernel = lift.compile(DOT, sizes=sizes, mapping=mapping, device="pocl")
        _same(kernel(*arrays), expected)
        kernels = len(kernel.kernels)
        assert kernels == len(mapping.cuts) + 1 + (mapping.levels["reduce0"] == "wrg0"), mapping


@needs_pocl
@pytest.mark.parametrize("name", ["gemv", "matmul", "matmul_blocked", "stencil1d", "stencil2d", "conv2d"])
def test_a_program_that_fits_one_kernel_is_one_kernel(name: str) -> None:
    module = examples.load(name)
    kernel = lift.compile(module.program, sizes=module.test_sizes, device="pocl")
    assert not isinstance(kernel, KernelSequence)
    assert kernel.kernels == (kernel,)
    assert kernel.mapping.cuts == ()


def test_a_forced_single_kernel_dot_is_refused_by_name() -> None:
    one_kernel = lift.Mapping({"map0": "glb0", "reduce0": "seq"})
    with pytest.raises(lift.MappingError, match="reduction-in-kernels-of-its-own:reduce0") as err:
        lift.compile(DOT, sizes={"N": 1024}, mapping=one_kernel)
    assert err.value.rule == "reduction-in-kernels-of-its-own:reduce0"
    explanation = lift.explain(DOT, {"map0": "glb0", "cut:map0": "no"}, sizes={"N": 1024})
    assert explanation.names == ["reduction-in-kernels-of-its-own:reduce0"]


def test_a_parallel_reduction_needs_its_length() -> None:
    explanation = lift.explain(DOT, {"reduce0": "wrg0"})  # N unknown: no split over work-groups
    assert explanation.names == ["parallel-reduction:reduce0"]
    assert "pass sizes=" in str(explanation)


def test_cut_choices_are_checked() -> None:
    with pytest.raises(lift.LiftError, match="cannot be cut after 'map7'; it may be cut after map0"):
        lift.explain(DOT, {"cut:map7": "yes"}, sizes={"N": 64})
    with pytest.raises(lift.LiftError, match="'yes' or 'no'"):
        lift.explain(DOT, {"cut:map0": "maybe"}, sizes={"N": 64})
    with pytest.raises(lift.LiftTypeError, match="cuts must be a collection of labels"):
        lift.Mapping({"map0": "glb0"}, cuts="map0")


def test_a_cut_where_the_program_offers_none_is_refused() -> None:
    mapping = lift.Mapping({"map0": "glb0", "reduce0": "seq"}, cuts=["map0", "reduce0", "map9"])
    with pytest.raises(lift.MappingError, match="cuts after map9, reduce0, where the program offers no cut") as err:
        lift.compile(DOT, sizes={"N": 64}, mapping=mapping)
    assert "it may be cut after map0" in str(err.value)


def test_a_split_k_convolution_needs_a_positive_count() -> None:
    with pytest.raises(lift.LiftValueError, match="slices must be a positive int"):
        conv2d.split_k(0)


def test_mappings_with_cuts_are_values() -> None:
    a = lift.Mapping({"map0": "glb0", "reduce0": "seq"}, cuts=["map0"])
    b = lift.Mapping({"reduce0": "seq", "map0": "glb0"}, {}, ("map0",))
    assert a == b and hash(a) == hash(b)
    assert a != lift.Mapping({"map0": "glb0", "reduce0": "seq"})
    assert str(a) == "map0=glb0 reduce0=seq; cut after map0"
    assert eval(repr(a), {"Mapping": lift.Mapping}) == a


@needs_pocl
def test_profile_reports_each_kernel_and_the_temporaries() -> None:
    n = 1 << 14
    kernel = lift.compile(DOT, sizes={"N": n}, device="pocl")
    arrays = random_inputs(DOT, {"N": n}, seed=5)
    profile = kernel.profile(*arrays, repeat=3)
    assert [name for name, _ in profile.kernels] == [k.name for k in kernel.kernels]
    assert all(len(times) == 3 for _, times in profile.kernels)
    # the whole sequence, first start to last end, is no shorter than its kernels
    assert all(t >= 0.99 * sum(ts[i] for _, ts in profile.kernels) for i, t in enumerate(profile.times))
    _, groups = reduction_shape(n)
    assert kernel.extra_bytes == 4 * groups  # one partial sum a work-group, kept on the device
    assert "// kernel 1 of 2: completes reduce0.parts" in kernel.source


def test_the_default_reduction_shape() -> None:
    assert reduction_shape(1 << 26) == (256, 1024)
    assert reduction_shape(1000) == (8, 125)  # the largest power of two dividing n, then a divisor
    assert reduction_shape(7) == (1, 7)
    assert reduction_shape(1) == (1, 1)


@fun
def _row_sum_times_row(rows: Array[Array[f32, 4], 4]) -> lift.dsl.ir.Expr:
    """Each row's sum, computed once (a lambda applied to it), then read by a map over the sum."""
    return rows >> map(
        lambda x: as_fundecl(lambda s: s >> map(lambda u: s >> map(lambda w: mult(u, w))), "per_row")(
            x >> reduce(add, 0.0)
        )
    )


@needs_pocl
def test_a_work_group_reduction_read_by_one_thread_is_race_free() -> None:
    # found by Hypothesis: the sum written to local memory by one thread, read by that thread inside a loop the
    # others skip; the compiler hoists the load out of the loop, so every thread now keeps the sum privately
    mapping = lift.Mapping({"map0": "wrg2", "map1": "seq", "map2": "lcl2", "map0_reduce0": "lcl2"})
    arrays = random_inputs(_row_sum_times_row, {}, seed=7)
    expected = lift.interpret(_row_sum_times_row, *arrays)
    _same(lift.compile(_row_sum_times_row, mapping=mapping, device="pocl")(*arrays), expected)
    if HAS_OCLGRIND:
        checked = lift.compile(_row_sum_times_row, mapping=mapping, device="oclgrind")
        _same(run_under_oclgrind(checked, *arrays), expected)
