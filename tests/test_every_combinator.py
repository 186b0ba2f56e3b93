"""Every combinator and expression class of the IR goes through every pass: no pass meets an "unknown node".

``SAMPLES`` holds, for every concrete class of :mod:`lift.dsl` (found by walking the subclasses of ``FunDecl`` and
``Expr``, so a new combinator is listed without being named here), a small program that uses it. Each pass —
the type checker, the interpreter, the printer, JSON, the rewrite engine, the mapping model and the OpenCL
backend on PoCL — runs on every sample. A class with no sample fails the first test: adding a combinator means
adding a sample, and then every pass is checked on it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, f32, fun, size
from lift.dsl import (
    drop,
    from_json,
    gather,
    get,
    id,
    iterate,
    join,
    map,
    pad,
    reduce,
    reduce_seq,
    reorder_stride,
    reverse,
    scatter,
    slide,
    split,
    stride,
    take,
    to_json,
    to_local,
    transpose,
    value,
    zip,
)
from lift.dsl.ir import Expr, Fun, FunDecl, walk
from lift.dsl.prelude import add, square
from lift.rewrite import candidate_sites, rules
from lift.solve import MappingSpace
from tests.ocl.conftest import assert_same_results, needs_pocl, random_inputs

N = size("N")


@fun
def every_layout(x: Array[Array[f32, 8], N]):
    return (
        x
        >> map(lambda r: r >> split(4) >> join >> slide(2, 2) >> map(reduce_seq(add, 0.0)) >> join)
        >> transpose
        >> map(lambda c: c >> gather(reverse) >> scatter(stride(1)) >> reorder_stride(1) >> take(N - 1) >> drop(1))
        >> transpose
        >> map(map(square))
    )


@fun
def tuples_and_iterate(x: Array[f32, N], y: Array[f32, N]):
    return zip(x, y) >> map(lambda p: get(p, 0)) >> iterate(2, map(square)) >> map(id)


@fun
def padded_sum(x: Array[f32, N]):
    return x >> pad(1, 1, 0.0) >> reduce(add, 0.0)


@fun
def local_copy(x: Array[Array[f32, 4], N]):
    return x >> map(to_local(map(square)) >> map(square))


@fun
def filled(x: Array[Array[f32, 4], N]):
    return zip(x, value(2.0, Array[Array[f32, 4], N])) >> map(lambda p: zip(p[0], p[1]) >> map(add))


SAMPLES: dict[str, tuple[Fun, dict[str, int]]] = {
    "every_layout": (every_layout, {"N": 4}),
    "tuples_and_iterate": (tuples_and_iterate, {"N": 8}),
    "padded_sum": (padded_sum, {"N": 6}),
    "local_copy": (local_copy, {"N": 4}),
    "filled": (filled, {"N": 3}),
}


def _concrete_subclasses(base: type) -> set[type]:
    out: set[type] = set()
    for cls in base.__subclasses__():
        out |= _concrete_subclasses(cls)
        if dataclasses.is_dataclass(cls) and not cls.__name__.startswith("_") and cls.__module__.startswith("lift."):
            out.add(cls)
    return out


def test_every_class_has_a_sample() -> None:
    used = {type(n) for prog, _ in SAMPLES.values() for n in walk(prog)}
    classes = _concrete_subclasses(FunDecl) | _concrete_subclasses(Expr)
    missing = sorted(c.__name__ for c in classes - used)
    assert not missing, f"no sample program uses {missing}: add one to SAMPLES"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_pass_knows_every_node(name: str) -> None:
    prog, sizes = SAMPLES[name]
    assert prog.type is not None  # the type checker
    assert str(prog)  # the printer
    assert from_json(to_json(prog)) == prog  # JSON
    for rule in rules():  # the rewrite engine matches every rule's pattern against every node
        candidate_sites(prog, rule)
    MappingSpace(prog, sizes).count()  # the mapping model: structure, rules and the backend's checks
    arrays = random_inputs(prog, sizes)
    expected = lift.interpret(prog, *arrays)  # the interpreter
    assert expected is not None


@needs_pocl
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_node_compiles_and_computes(name: str) -> None:
    prog, sizes = SAMPLES[name]
    arrays = random_inputs(prog, sizes)
    expected: Any = lift.interpret(prog, *arrays)
    kernel = lift.compile(prog, sizes=sizes, device="pocl")
    assert_same_results(kernel(*arrays), expected, rtol=1e-5, atol=1e-5)
    assert isinstance(np.asarray(expected), np.ndarray)
