"""The mapping space: counting, enumeration, sampling, optimisation, SMT-LIB export, tuning values, and the
agreement of every rule's Z3 formula with its plain evaluator."""

from __future__ import annotations

import z3
from hypothesis import given
from hypothesis import strategies as st

import examples
import lift
from lift.dsl.prelude import add, mult, square
from lift.solve import MALI_G72, MappingSpace
from lift.solve.kernels import cut_key, level_key
from lift.solve.rules import CODES, SPACE_CODES

MATMUL = examples.load("matmul")
CONV = examples.load("conv2d")


def test_count_equals_the_number_of_distinct_mappings_enumerated() -> None:
    space = lift.mappings(MATMUL.program, sizes=MATMUL.test_sizes)
    every = list(space)
    assert len(every) == space.count() == len(set(every)) > 5
    for m in every:
        assert not [r.name for r in space.violations({**m.levels, **{f"space:{k}": v for k, v in m.spaces.items()}})]


def test_every_enumerated_mapping_compiles_and_computes_the_meaning() -> None:
    import numpy as np

    from tests.ocl.conftest import random_inputs

    space = lift.mappings(MATMUL.program, sizes=MATMUL.test_sizes)
    arrays = random_inputs(MATMUL.program, MATMUL.test_sizes)
    expected = lift.interpret(MATMUL.program, *arrays)
    for m in space.sample(6, seed=3):
        kernel = lift.compile(MATMUL.program, sizes=MATMUL.test_sizes, mapping=m, device="pocl")
        np.testing.assert_allclose(kernel(*arrays), expected, rtol=1e-5, atol=1e-5)


def test_sample_is_distinct_reproducible_and_spread() -> None:
    space = lift.mappings(MATMUL.program, sizes=MATMUL.test_sizes)
    a, b = space.sample(5, seed=7), space.sample(5, seed=7)
    assert a == b and len(set(a)) == 5
    assert space.sample(5, seed=8) != a
    assert set(space.sample(10_000, seed=0)) == set(space)


def test_best_mappings() -> None:
    space = lift.mappings(MATMUL.program, sizes=MATMUL.test_sizes)
    most = space.best("parallelism")
    assert most in set(space)
    assert sum(c not in ("seq", "fuse") for c in most.levels.values()) == max(
        sum(c not in ("seq", "fuse") for c in m.levels.values()) for m in space
    )
    assert space.best("barriers") in set(space)
    assert space.best("local_memory") in set(space)


def test_smtlib_is_the_same_model() -> None:
    space = lift.mappings(MATMUL.program, sizes=MATMUL.test_sizes)
    text = space.smtlib()
    assert "; nested-parallel-dims:map0>map1:" in text
    s = z3.Solver()
    s.from_string(text)
    count = 0
    variables = [z3.Int(f"level_{m}") for m in space.levels] + [z3.Int(f"space_{m}") for m in space.spaces]
    while s.check() == z3.sat and count < 10_000:
        model = s.model()
        s.add(z3.Or(*[v != model.eval(v, model_completion=True) for v in variables]))
        count += 1
    # the structural model admits at least every valid mapping (index-expression rules come on top)
    assert count >= space.count()


def test_tuning_space_of_local_sizes() -> None:
    space = lift.mappings(MATMUL.program, sizes=MATMUL.test_sizes, device=MALI_G72)
    m = lift.Mapping({"map0": "wrg0", "map1": "lcl0", "map2": "seq"})
    tuning = space.tuning(m)
    values = list(tuning)
    assert values and all(MATMUL.test_sizes["N"] % v["ls0"] == 0 for v in values)
    assert tuning.count() == len(values) == len({v["ls0"] for v in values})
    assert tuning.sample(2, seed=1) == tuning.sample(2, seed=1)
    kernel = lift.compile(MATMUL.program, sizes=MATMUL.test_sizes, mapping=m, values=values[-1], device="pocl")
    assert kernel.local_size == (values[-1]["ls0"],)


def test_a_model_for_a_device_that_is_not_present() -> None:
    space = lift.mappings(CONV.program, sizes={"H": 14, "W": 14, "C": 512, "K": 512}, device=MALI_G72)
    assert space.device.max_work_group_size == 384
    assert space.count() > 0


SPACE = MappingSpace(examples.load("stencil2d").program, examples.load("stencil2d").test_sizes)


@given(
    levels=st.fixed_dictionaries({m: st.sampled_from(list(CODES)) for m in SPACE.levels}),
    spaces=st.fixed_dictionaries({m: st.sampled_from(list(SPACE_CODES)) for m in SPACE.spaces}),
)
def test_every_rule_formula_agrees_with_its_evaluator(levels: dict[str, str], spaces: dict[str, str]) -> None:
    level_codes = {m: CODES[c] for m, c in levels.items()}
    space_codes = {m: SPACE_CODES[c] for m, c in spaces.items()}
    substitution = [(SPACE.levels[m], z3.IntVal(v)) for m, v in level_codes.items()]
    substitution += [(SPACE.spaces[m], z3.IntVal(v)) for m, v in space_codes.items()]
    for rule in SPACE.rules:
        formula = z3.simplify(z3.substitute(rule.formula(SPACE.levels, SPACE.spaces), *substitution))
        assert z3.is_true(formula) == rule.holds(level_codes, space_codes), rule.name


@lift.fun
def _reduce_then_map(x: lift.Array[lift.f32, 64], y: lift.Array[lift.f32, 64]) -> lift.dsl.ir.Expr:
    """A map, a whole-array reduction it may be fused into, and a map of the sum: cuts around the reduction."""
    return lift.dsl.zip(x, y) >> lift.dsl.map(mult) >> lift.dsl.reduce(add, 0.0) >> lift.dsl.map(square)


KERNELS = [
    MappingSpace(_reduce_then_map, {}),
    MappingSpace(examples.load("softmax").program, examples.load("softmax").test_sizes),
]


@given(data=st.data(), which=st.sampled_from([0, 1]))
def test_the_rules_on_cuts_and_reductions_agree_with_their_evaluators(data: st.DataObject, which: int) -> None:
    space = KERNELS[which]
    assert space.cuts  # the programs offer cuts
    level_codes = {m: data.draw(st.sampled_from(list(CODES.values())), label=m) for m in space.levels}
    others = {m: data.draw(st.sampled_from(list(SPACE_CODES.values())), label=f"space:{m}") for m in space.spaces}
    others |= {cut_key(c): data.draw(st.sampled_from([0, 1]), label=cut_key(c)) for c in space.cuts}
    others |= {
        level_key(r): data.draw(st.sampled_from([CODES["seq"], CODES["wrg0"]]), label=r) for r in space.reductions
    }
    substitution = [(space.levels[m], z3.IntVal(v)) for m, v in level_codes.items()]
    substitution += [(space.spaces[m], z3.IntVal(others[m])) for m in space.spaces]
    substitution += [(v, z3.IntVal(others[cut_key(c)])) for c, v in space.cuts.items()]
    substitution += [(v, z3.IntVal(others[level_key(r)])) for r, v in space.reductions.items()]
    for rule, formula in zip(space.rules, space._formulas):
        got = z3.simplify(z3.substitute(formula, *substitution))
        assert z3.is_true(got) == rule.holds(level_codes, others), rule.name
