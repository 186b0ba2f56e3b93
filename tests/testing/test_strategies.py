"""``lift.testing``'s strategies: only well-typed programs, every combinator reached, inputs of the right shapes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

import lift
from lift import Array, Tuple, f32, fun, i32, size
from lift.dsl import pretty
from lift.dsl.ir import (
    Fun,
    Gather,
    Get,
    Id,
    Iterate,
    Join,
    Lambda,
    Map,
    Node,
    Pad,
    Reduce,
    Scatter,
    Slide,
    Split,
    Transpose,
    UserFun,
    Zip,
    walk,
)
from lift.dsl.layout import LAYOUTS
from lift.errors import LiftError
from lift.testing import COMBINATORS, inputs_for, programs
from lift.testing.strategies import OWN_STAGE_LAYOUTS
from lift.types import ArrayType

N = size("N")

NODES: dict[str, Any] = {
    "map": lambda n: isinstance(n, Map),
    "reduce": lambda n: isinstance(n, Reduce) and not n.seq,
    "reduce_seq": lambda n: isinstance(n, Reduce) and n.seq,
    "zip": lambda n: isinstance(n, Zip),
    "get": lambda n: isinstance(n, Get),
    "split": lambda n: isinstance(n, Split),
    "join": lambda n: isinstance(n, Join),
    "slide": lambda n: isinstance(n, Slide),
    "pad": lambda n: isinstance(n, Pad) and n.value is not None,
    "pad_clamp": lambda n: isinstance(n, Pad) and n.value is None,
    "transpose": lambda n: isinstance(n, Transpose),
    "gather": lambda n: isinstance(n, Gather),
    "scatter": lambda n: isinstance(n, Scatter),
    "iterate": lambda n: isinstance(n, Iterate) and n.k > 1,
    "id": lambda n: isinstance(n, Id),
    "lambda": lambda n: isinstance(n, Lambda) and not isinstance(n, Fun),
    "user function": lambda n: isinstance(n, UserFun),
    "map of map": lambda n: isinstance(n, Map) and isinstance(n.f, Map),
    "map in a reduce": lambda n: isinstance(n, Reduce) and any(isinstance(m, Map) for m in walk(n.f)),
    # every layout combinator that draws itself (take, drop, reorder_stride, …)
    **{s: (lambda n, c=cls: isinstance(n, c)) for s, cls in LAYOUTS.items() if s not in OWN_STAGE_LAYOUTS},
}


def _leaves(v: Any) -> list[np.ndarray]:
    return [leaf for x in v for leaf in _leaves(x)] if isinstance(v, tuple) else [v]


def _check(prog: Fun, sizes: dict[str, int] | None, data: st.DataObject) -> None:
    """Well-typed, the size facts hold at ``sizes``, and the interpreter's result has the type's shape."""
    result = prog.type.result
    for c in prog.constraints:
        assert c.holds(sizes or {}), (c, pretty(prog))
    args = data.draw(inputs_for(prog, sizes))
    leaves = _leaves(lift.interpret(prog, *args))
    assert isinstance(result, ArrayType)
    assert leaves[0].shape[0] == result.size.evaluate(sizes or {})
    for leaf in leaves:
        assert np.all(np.abs(leaf) <= 2**24), pretty(prog)  # the magnitude bound keeps float32 exact


@given(programs(), st.data())
def test_programs_are_well_typed(prog: Fun, data: st.DataObject) -> None:
    _check(prog, None, data)


@given(st.data())
def test_symbolic_programs_are_well_typed_at_their_sizes(data: st.DataObject) -> None:
    sizes = {"N": data.draw(st.sampled_from([4, 6, 8, 12])), "M": data.draw(st.sampled_from([2, 3, 5]))}
    prog = data.draw(programs(sizes=sizes, dtype=data.draw(st.sampled_from([f32, i32]))))
    assert prog.param_types[0] == Array[Array[prog.param_types[0].scalar, size("M")], N]  # type: ignore[attr-defined]
    _check(prog, sizes, data)


@given(programs(inputs=2, rank=1, weights={"zip": 4}), st.data())
def test_two_input_programs_are_well_typed(prog: Fun, data: st.DataObject) -> None:
    assert len(prog.params) == 2
    _check(prog, None, data)


@given(programs(combinators={"split", "join", "transpose"}, rank=2))
def test_programs_use_only_the_chosen_combinators(prog: Fun) -> None:
    others = (Map, Reduce, Zip, Slide, Pad, Gather, Scatter, Id, Iterate)
    assert not any(isinstance(n, others) for n in walk(prog)), pretty(prog)


@pytest.mark.parametrize("what", sorted(NODES))
def test_programs_reach_every_combinator(what: str) -> None:
    found = find(
        programs(),
        lambda p: any(NODES[what](n) for n in walk(p)),
        settings=settings(max_examples=3000, phases=[Phase.generate], database=None),
    )
    assert any(NODES[what](n) for n in walk(found))


def test_the_combinators_list_is_covered() -> None:
    assert set(COMBINATORS) <= set(NODES)


def _count(prog: Node, what: str) -> int:
    return sum(1 for n in walk(prog) if NODES[what](n))


def test_weights_make_a_combinator_likelier() -> None:
    many = find(
        programs(weights={"map": 10}, min_stages=4, max_stages=4, rank=1),
        lambda p: _count(p, "map") >= 4,
        settings=settings(max_examples=500, phases=[Phase.generate], database=None),
    )
    assert _count(many, "map") >= 4


@given(st.data())
def test_inputs_have_the_parameters_shapes_and_are_never_all_zero(data: st.DataObject) -> None:
    @fun
    def pairs(x: Array[Tuple[f32, i32], N], m: Array[Array[i32, 3], N]):
        return x

    n = data.draw(st.integers(1, 5))
    (x0, x1), m = data.draw(inputs_for(pairs, {"N": n}))
    assert x0.shape == (n,) and x0.dtype == np.float32 and x1.dtype == np.int32
    assert m.shape == (n, 3) and m.dtype == np.int32
    for a in (x0, x1, m):
        assert a.any() and np.all(np.abs(a) <= 3)


def test_inputs_for_needs_sizes_that_satisfy_the_program() -> None:
    from lift.dsl import split

    @fun
    def chunks(x: Array[f32, N]):
        return x >> split(4)

    with pytest.raises(LiftError, match="chunks needs a value for N in sizes="):
        inputs_for(chunks)
    with pytest.raises(LiftError, match=r"chunks needs N % 4 == 0, which fails at sizes \{'N': 6\}"):
        inputs_for(chunks, {"N": 6})


def test_programs_checks_its_options() -> None:
    with pytest.raises(LiftError, match="unknown \\['scan'\\]"):
        programs(combinators={"map", "scan"})
    with pytest.raises(LiftError, match="weights"):
        programs(weights={"loop": 2})
    with pytest.raises(LiftError, match="dtype"):
        programs(dtype="float")  # type: ignore[arg-type]
    with pytest.raises(LiftError, match="sizes"):
        programs(sizes={"N": 0})
