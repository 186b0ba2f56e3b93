"""Every combinator and expression class of the IR goes through every pass: no pass meets an "unknown node".

``SAMPLES`` holds, for every concrete class of :mod:`lift.dsl` (the registered node classes of the ``FunDecl`` and
``Expr`` families, so a new combinator is listed without being named here), a small program that uses it. Each pass —
the type checker, the interpreter, the printer, JSON, the rewrite engine, the mapping model and the OpenCL
backend on PoCL — runs on every sample. A class with no sample fails the first test: adding a combinator means
adding a sample, and then every pass is checked on it.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, f32, fun, size
from lift.dsl import (
    as_scalar,
    as_vector,
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
from lift.dsl.mapper import MAPPERS, concrete_node_classes
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


@fun
def vectors(x: Array[f32, N], y: Array[f32, N]):
    return zip(x >> as_vector(4), y >> as_vector(4)) >> map(add) >> as_scalar


SAMPLES: dict[str, tuple[Fun, dict[str, int]]] = {
    "every_layout": (every_layout, {"N": 4}),
    "tuples_and_iterate": (tuples_and_iterate, {"N": 8}),
    "padded_sum": (padded_sum, {"N": 6}),
    "local_copy": (local_copy, {"N": 4}),
    "filled": (filled, {"N": 3}),
    "vectors": (vectors, {"N": 8}),
}


# The passes over the IR, each made of node mappers (lift.dsl.mapper) with one method per node class:
# (module, mapper classes, the node families the pass must handle). A mapper's completeness over the families it
# covers is checked when its class is created; this list says which passes must be complete over which families,
# so that none silently becomes partial.
FUNCTIONS_AND_EXPRESSIONS = (FunDecl, Expr)
IR_PASSES: dict[str, tuple[str, tuple[str, ...], tuple[type, ...]]] = {
    "type checker": ("lift.types.checker", ("_TypeExpr", "_TypeApplication"), FUNCTIONS_AND_EXPRESSIONS),
    "interpreter": ("lift.dsl.interpret", ("_Interpreter",), FUNCTIONS_AND_EXPRESSIONS),
    "printer": ("lift.dsl.printer", ("_Show",), FUNCTIONS_AND_EXPRESSIONS),
    "substitution": ("lift.dsl.substitute", ("_Subst", "_FreeParams"), FUNCTIONS_AND_EXPRESSIONS),
    "which functions compute": ("lift.dsl.traversal", ("_Computes",), (FunDecl,)),
    "rewrite engine": ("lift.rewrite.engine", ("_Expand", "_Expressions"), FUNCTIONS_AND_EXPRESSIONS),
    "mapping model": ("lift.solve.structure", ("_Analysis", "_Producers"), FUNCTIONS_AND_EXPRESSIONS),
    "lowering": ("lift.ocl.lower", ("_Lowering",), FUNCTIONS_AND_EXPRESSIONS),
    "code generation": ("lift.ocl.codegen", ("_Values", "_Views", "_Into", "_ApplyInto"), FUNCTIONS_AND_EXPRESSIONS),
}


@pytest.mark.parametrize("name", sorted(IR_PASSES))
def test_every_pass_has_a_rule_for_every_node_class(name: str) -> None:
    module_name, mapper_names, families = IR_PASSES[name]
    module = importlib.import_module(module_name)
    mappers = [getattr(module, m) for m in mapper_names]
    assert all(m in MAPPERS for m in mappers), f"{name}: every mapper of the pass checks its completeness"
    for kind in concrete_node_classes():
        if issubclass(kind, families):
            handled_by = [m for m in mappers if issubclass(kind, m.covers) and m.handles(kind)]
            assert handled_by, f"the {name} has no rule for {kind.__name__}"


def test_every_class_has_a_sample() -> None:
    used = {type(n) for prog, _ in SAMPLES.values() for n in walk(prog)}
    classes = {
        kind
        for kind in concrete_node_classes()
        if issubclass(kind, FUNCTIONS_AND_EXPRESSIONS) and kind.__module__.startswith("lift.")
    }
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
