"""``lift.compile`` refuses what the mapping model refuses, launch values that do not fit the program or the
device, and kernels whose accesses are not proved inside their buffers (issue 8)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import examples
import lift
from lift import Array, f32, fun, size
from lift.dsl import id as copy
from lift.dsl import join, map_glb, map_lcl, map_wrg, split
from lift.dsl.ir import Fun, Map
from lift.dsl.prelude import add
from lift.ocl import bounds, launch
from lift.ocl.codegen import generate
from lift.ocl.kernel import compile_program
from lift.ocl.plan import Block, For
from lift.types.arith import Var
from tests.ocl.conftest import needs_pocl

MATMUL = examples.load("matmul")
SIZES = MATMUL.test_sizes  # M=24, K=40, N=32
N = size("N")


def inputs() -> tuple[np.ndarray, ...]:
    return MATMUL.inputs(SIZES, np.random.default_rng(0))


# ---- the mapping model guards compilation -----------------------------------------------------------------
def test_a_mapping_the_model_rejects_is_refused_with_its_rules() -> None:
    choices = {"map0": "glb0", "map1": "glb0", "map2": "seq"}
    why = lift.explain(MATMUL.program, choices, sizes=SIZES)
    assert why, "the model rejects this mapping"
    with pytest.raises(lift.MappingError) as info:
        lift.compile(MATMUL.program, sizes=SIZES, mapping=lift.Mapping(choices), device="pocl")
    message = str(info.value)
    for name, sentence in why.rules:
        assert name in message and sentence in message
    assert info.value.rule == why.names[0]


def test_a_mapping_the_model_accepts_compiles_and_is_right() -> None:
    k = lift.compile(MATMUL.program, sizes=SIZES, mapping=MATMUL.mapping, device="pocl")
    result = k(*inputs())
    np.testing.assert_allclose(result, MATMUL.reference(*inputs()), rtol=1e-4, atol=1e-4)


def test_a_hand_lowered_program_is_checked_as_lift_check_does() -> None:
    @fun
    def nested_glb0(x: Array[Array[f32, 8], N]):
        return x >> map_glb(map_glb(copy))

    assert "nested-parallel-dims" in " ".join(lift.check(nested_glb0).names)
    with pytest.raises(lift.MappingError, match="nested-parallel-dims"):
        lift.compile(nested_glb0)


def test_map_dimensions_outside_0_to_2_are_refused() -> None:
    with pytest.raises(lift.LiftTypeError, match="dim must be 0, 1 or 2"):
        map_glb(copy, 7)

    @fun
    def prog(x: Array[f32, N]):
        return x >> map_glb(copy)

    built_by_hand = Map(copy, "glb", 7)  # IR nodes built directly bypass the combinator's check
    low = Fun(prog.params, prog.body.replace(f=built_by_hand), prog.name, prog.param_types)
    with pytest.raises(lift.MappingError, match="dimensions 0, 1 and 2"):
        compile_program(low)


# ---- values -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"gs0": 1, "gs1": 1}, "gs0 = 1 is not allowed: .*fewer threads would skip work"),
        ({"gs0": 10**6}, r"gs0 = 1000000 is not allowed: .*allowed: 32\b"),
        ({"ls0": 0}, "ls0 must be a positive int"),
        ({"ls0": -1}, "ls0 must be a positive int"),
        ({"ls0": True}, "ls0 must be a positive int"),
        ({"tile": 4}, "unknown tuning value 'tile'"),
        ({"gs2": 3}, "no parallel map in dimension 2"),
        ({"ls0": 8, "gs0": 40}, "gs0 = 40 is not allowed: .*a multiple of ls0 = 8"),
        ({"ls0": 10**5}, "ls0 = 100000 is not allowed: .*limits dimension 0"),
        ({"ls0": 128, "ls1": 64}, "a work-group of 128 x 64 = 8192 threads exceeds the maximum"),
    ],
)
def test_bad_values_on_a_global_mapping_are_refused(values: dict[str, int], match: str) -> None:
    with pytest.raises(lift.LiftValueError, match=match):
        lift.compile(MATMUL.program, sizes=SIZES, mapping=MATMUL.mapping, values=values, device="pocl")


def test_values_of_the_wrong_type_are_refused_at_the_boundary() -> None:
    with pytest.raises(lift.LiftTypeError, match="argument 'values'"):
        lift.compile(MATMUL.program, sizes=SIZES, values={"ls0": 2.0}, device="pocl")  # type: ignore[dict-item]


WORK_GROUPS = lift.Mapping({"map0": "wrg0", "map1": "lcl0", "map2": "seq"})


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"ls0": 7}, r"ls0 = 7 is not allowed: .*a divisor of 32 \(1, 2, 4, 8, 16, 32\)"),
        ({"ls0": 8, "gs0": 40}, "gs0 = 40 is not allowed: .*fewer work-groups would skip work"),
        ({"ls0": 8, "gs0": 12}, "gs0 = 12 is not allowed: .*multiple of the local size ls0 = 8"),
        ({"gs0": 10**6}, "more groups only idle"),
        ({"ls1": 2}, "no parallel map in dimension 1"),
    ],
)
def test_bad_values_on_a_work_group_mapping_are_refused(values: dict[str, int], match: str) -> None:
    with pytest.raises(lift.LiftValueError, match=match):
        lift.compile(MATMUL.program, sizes=SIZES, mapping=WORK_GROUPS, values=values, device="pocl")


@needs_pocl
@pytest.mark.parametrize(
    ("mapping", "values", "geometry"),
    [
        (MATMUL.mapping, {"ls0": 5}, ((35, 24), (5, 1))),  # rounded up; the spare threads test gid0 < 32
        (MATMUL.mapping, {"ls0": 8, "ls1": 4}, ((32, 24), (8, 4))),
        (WORK_GROUPS, {"ls0": 8}, ((192,), (8,))),
        (WORK_GROUPS, {"ls0": 16, "gs0": 384}, ((384,), (16,))),
    ],
)
def test_values_that_fit_run_right(
    mapping: lift.Mapping, values: dict[str, int], geometry: tuple[tuple[int, ...], tuple[int, ...]]
) -> None:
    k = lift.compile(MATMUL.program, sizes=SIZES, mapping=mapping, values=values, device="pocl")
    assert (k.global_size, k.local_size) == geometry
    np.testing.assert_allclose(k(*inputs()), MATMUL.reference(*inputs()), rtol=1e-4, atol=1e-4)


def test_a_rounded_up_launch_guards_its_spare_threads() -> None:
    k = lift.compile(MATMUL.program, sizes=SIZES, mapping=MATMUL.mapping, values={"ls0": 5}, device="pocl")
    assert "if (gid0 < 32) {" in k.source
    exact = lift.compile(MATMUL.program, sizes=SIZES, mapping=MATMUL.mapping, device="pocl")
    assert "if (gid0" not in exact.source


def test_a_strided_loop_may_run_with_fewer_threads() -> None:
    """A ``glb`` loop printed with a stride (``gid += get_global_size(0)``: maps of different lengths share the
    dimension) is covered by any number of threads; a one-thread-per-iteration loop needs them all."""
    limits = launch.DeviceLimits(256, (256, 256, 64), 2**30, 2**28, "test device")
    strided = launch.geometry({("glb", 0): 64}, frozenset(), {"gs0": 3}, limits)
    assert strided == launch.Geometry((3,), None)
    with pytest.raises(lift.LiftValueError, match=r"gs0 = 65 is not allowed: .*allowed: 1..64"):
        launch.geometry({("glb", 0): 64}, frozenset(), {"gs0": 65}, limits)
    with pytest.raises(lift.LiftValueError, match="fewer threads would skip work"):
        launch.geometry({("glb", 0): 64}, frozenset({("glb", 0)}), {"gs0": 3}, limits)


@needs_pocl
def test_values_with_symbolic_sizes_are_checked_at_launch() -> None:
    @fun
    def squares(x: Array[f32, N]):
        return x >> map_glb(copy)

    k = lift.compile(squares, values={"gs0": 8}, device="pocl")
    with pytest.raises(lift.LiftValueError, match="gs0 = 8 is not allowed"):
        k(np.ones(10, np.float32))
    np.testing.assert_array_equal(k(np.ones(8, np.float32)), np.ones(8, np.float32))


# ---- bounds ----------------------------------------------------------------------------------------------------
def test_every_access_of_the_examples_is_proved_in_bounds() -> None:
    for name in examples.NAMES:
        module = examples.load(name)
        k = lift.compile(module.program, sizes=module.test_sizes)  # check_bounds runs in compile
        assert k.source


def test_an_access_outside_its_buffer_is_a_lift_bug() -> None:
    @fun
    def shifted(x: Array[f32, N]):
        return x >> map_glb(copy)

    gen = generate(shifted)
    # corrupt one recorded read, as a code-generation bug would: x[gid0 + 1] reads past the end
    (loop,) = gen.body.stmts
    assert isinstance(loop, For)
    (store,) = loop.body.stmts
    read = next(a for a in store.accesses if not a.write)
    wrong = replace(read, index=read.index + 1)
    gen.body = Block((replace(loop, body=Block((replace(store, accesses=(wrong,)),))),))
    with pytest.raises(lift.LiftInternalError, match=r"may leave its buffer .*for instance at"):
        bounds.check_bounds(gen)


def test_guarded_padding_reads_are_in_bounds() -> None:
    from lift.dsl import pad, slide

    @fun
    def blur(x: Array[f32, N]):
        return x >> pad(1, 1, 0.0) >> slide(3, 1) >> map_glb(lambda w: w >> lift.dsl.reduce_seq(add, 0.0)) >> join

    k = lift.compile(blur, sizes={"N": 16})  # the reads x[gid0 + i - 1] are proved under their guards
    assert "0.0f" in k.source


def test_interval_bounds() -> None:
    i = Var("i", 0, lift.types.arith.Cst(10))
    assert bounds.interval(3 * i + 2) == bounds.Interval(2, 29)
    assert bounds.interval((3 * i) // 4).hi == 6
    assert bounds.interval(i % 4) == bounds.Interval(0, 3)
    n = Var("n", 1)
    assert bounds.interval(n * i).hi == float("inf")


def test_launch_geometry_directly() -> None:
    limits = launch.DeviceLimits(256, (256, 256, 64), 2**30, 2**28, "test device")
    once = frozenset({("glb", 0)})
    assert launch.geometry({("glb", 0): 100}, once, {}, limits) == launch.Geometry((100,), None)
    assert launch.geometry({("glb", 0): 100}, once, {"ls0": 32}, limits) == launch.Geometry((128,), (32,))
    with pytest.raises(lift.LiftValueError, match="allowed: 100"):
        launch.geometry({("glb", 0): 100}, once, {"gs0": 99}, limits)
    groups = {("wrg", 0): 10, ("lcl", 0): 48}
    assert launch.geometry(groups, frozenset({("wrg", 0)}), {}, limits) == launch.Geometry((480,), (48,))
    with pytest.raises(lift.LiftValueError, match="has 3"):
        launch.geometry({("glb", 3): 4}, frozenset(), {}, limits)


def test_memory_beyond_the_device_is_refused_with_the_numbers() -> None:
    limits = launch.DeviceLimits(256, (256, 256, 64), 2**30, 2**28, "test device")
    with pytest.raises(lift.LiftLimitError, match=r"buffer x needs 536870912 bytes .*largest allocation"):
        launch.check_memory({"x": 2**29}, 0, limits, None)
    with pytest.raises(lift.LiftLimitError, match="global memory of test device"):
        launch.check_memory({f"x{k}": 2**28 for k in range(5)}, 0, limits, None)
    with pytest.raises(lift.LiftLimitError, match="host's free memory"):
        launch.check_memory({"x": 10}, 2**40, limits, 2**30)
    launch.check_memory({"x": 10}, 10, limits, 2**30)


@needs_pocl
def test_a_launch_that_does_not_fit_is_refused_before_allocating() -> None:
    @fun
    def squares(x: Array[f32, N]):
        return x >> map_glb(copy)

    k = lift.compile(squares, device="pocl")
    with pytest.raises(lift.LiftLimitError, match="bytes"):
        k.check_memory({"N": 2**40}, host_inputs=True)
    k.check_memory({"N": 1024}, host_inputs=True)


def test_a_local_memory_program_is_accepted_with_its_model_spaces() -> None:
    @fun
    def through_local(x: Array[f32, N]):
        return x >> split(16) >> map_wrg(lambda c: c >> lift.dsl.to_local(map_lcl(copy)) >> map_lcl(copy)) >> join

    assert not lift.check(through_local, sizes={"N": 64})
    lift.compile(through_local, sizes={"N": 64})
