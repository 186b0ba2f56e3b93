"""Every example compiles with at least two lowerings and agrees with the interpreter, on PoCL and under
Oclgrind (which must find no data race, no barrier divergence and no invalid access)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import examples
import lift
from lift import Array, f32, fun, size
from lift.dsl import join, map_lcl, map_wrg, reduce_seq, split, to_local, zip
from lift.dsl.prelude import add, mult
from lift.examples.matmul_blocked import register_blocked
from tests.ocl.conftest import needs_pocl, random_inputs

N = size("N")


@fun
def dot_work_group(x: Array[f32, N], y: Array[f32, N]):
    """The dot product by one work-group: local partial sums of 4 elements, a barrier, one final sum."""
    return (
        zip(x, y)
        >> split(N)
        >> map_wrg(
            lambda whole: (
                whole
                >> split(4)
                >> to_local(map_lcl(lambda c: c >> reduce_seq(lambda acc, p: add(acc, mult(p[0], p[1])), 0.0)))
                >> join
                >> split(N // 4)
                >> map_lcl(reduce_seq(add, 0.0))
                >> join
            )
        )
        >> join
    )


# (example, mapping levels or a hand-lowered program, spaces, whether sizes must be fixed at compile time)
LOWERINGS: list[tuple[str, Any, dict[str, str], bool]] = [
    ("dot", None, {}, False),
    ("dot", dot_work_group, {}, True),
    ("dot", {"map0": "glb0", "reduce0": "wrg0", "cut:map0": "yes"}, {}, True),
    ("asum", None, {}, False),
    ("asum", {"map0": "fuse", "reduce0": "wrg0"}, {}, True),
    ("softmax", None, {}, False),
    (
        "softmax",
        {"map0": "wrg0", "map0_reduce0": "lcl0", "map1": "fuse", "map2": "glb1", "map3": "glb0", "cut:map0": "yes"},
        {},
        True,
    ),
    ("gemv", None, {}, False),
    ("gemv", {"map0": "glb0", "map1": "seq"}, {"map1": "private"}, True),
    ("matmul", None, {}, False),
    ("matmul", {"map0": "glb1", "map1": "glb0", "map2": "seq"}, {"map2": "private"}, True),
    ("matmul", {"map0": "wrg0", "map1": "lcl0", "map2": "seq"}, {}, False),
    ("matmul_blocked", None, {}, False),
    ("matmul_blocked", register_blocked(2, 8), {}, False),
    ("stencil1d", None, {}, False),
    ("stencil1d", {"map0": "glb0", "map1": "seq"}, {"map1": "private"}, True),
    ("stencil2d", None, {}, False),
    ("stencil2d", {"map0": "glb1", "map1": "glb0", "map2": "seq"}, {}, False),
    ("conv2d", None, {}, False),
    ("conv2d", {"map0": "glb2", "map1": "glb1", "map2": "glb0", "map3": "seq"}, {}, False),
    ("conv2d", {"map0": "glb0", "map1": "fuse", "map2": "seq", "map3": "seq"}, {"map3": "private"}, True),
]


def _compile(name: str, lowering: Any, spaces: dict[str, str], fixed: bool, sizes: dict[str, int], device: str) -> Any:
    module = examples.load(name)
    program = module.program
    mapping = None
    if isinstance(lowering, lift.dsl.ir.Fun):
        program = lowering
    elif lowering is not None:
        levels = {k: v for k, v in lowering.items() if not k.startswith("cut:")}
        cuts = [k[len("cut:") :] for k, v in lowering.items() if k.startswith("cut:") and v == "yes"]
        mapping = lift.Mapping(levels, spaces, cuts)
    kernel = lift.compile(program, sizes=sizes if fixed else None, mapping=mapping, device=device)
    return module, program, kernel


def _ids() -> list[str]:
    out = []
    for name, lowering, spaces, _ in LOWERINGS:
        if lowering is None:
            out.append(f"{name}-default")
        elif isinstance(lowering, lift.dsl.ir.Fun):
            out.append(f"{name}-{lowering.name}")
        else:
            out.append(
                f"{name}-"
                + "-".join(f"{k}{v}".replace(":", "") for k, v in lowering.items())
                + "".join(spaces.values())
            )
    return out


@needs_pocl
@pytest.mark.parametrize(("name", "lowering", "spaces", "fixed"), LOWERINGS, ids=_ids())
def test_on_pocl(name: str, lowering: Any, spaces: dict[str, str], fixed: bool) -> None:
    sizes = dict(examples.load(name).test_sizes)
    module, program, kernel = _compile(name, lowering, spaces, fixed, sizes, "pocl")
    arrays = random_inputs(program, sizes, seed=1)
    got = kernel(*arrays)
    expected = lift.interpret(program, *arrays)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got, module.reference(*arrays), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("name", "lowering", "spaces", "fixed"), LOWERINGS, ids=_ids())
def test_under_oclgrind(name: str, lowering: Any, spaces: dict[str, str], fixed: bool, oclgrind: Any) -> None:
    sizes = dict(examples.load(name).test_sizes)
    _, program, kernel = _compile(name, lowering, spaces, fixed, sizes, "oclgrind")
    arrays = random_inputs(program, sizes, seed=2)
    got = oclgrind(kernel, *arrays)
    np.testing.assert_allclose(got, lift.interpret(program, *arrays), rtol=1e-5, atol=1e-5)


def test_fuse_needs_a_perfectly_nested_map() -> None:
    mapping = lift.Mapping({"map0": "glb0", "map1": "fuse", "map2": "seq"})
    with pytest.raises(lift.MappingError, match="map1: 'fuse' merges a map into its enclosing map"):
        lift.compile(examples.load("matmul").program, mapping=mapping)


def test_the_two_lowerings_differ() -> None:
    for name in examples.NAMES:
        kernels = [
            _compile(n, low, sp, fx, dict(examples.load(n).test_sizes), "pocl")[2]
            for n, low, sp, fx in LOWERINGS
            if n == name
        ]
        assert len({k.source for k in kernels}) >= 2, name
