"""The example programs: meaning (interpreter vs numpy), inferred types, other sizes, argument errors."""

import types

import numpy as np
import pytest

import examples
import lift
from examples.__main__ import main as cli_main
from lift import Array, f32, size
from lift.dsl.ir import Fun
from lift.types.data import ArrayType, DataType, sizes_of

H, W, C, K, M, N = (size(n) for n in ("H", "W", "C", "K", "M", "N"))

EXPECTED_RESULT: dict[str, DataType] = {
    "dot": Array[f32, 1],
    "asum": Array[f32, 1],
    "softmax": Array[Array[f32, M], N],
    "gemv": Array[f32, M],
    "matmul": Array[Array[f32, N], M],
    "matmul_blocked": Array[Array[f32, N], M],
    "stencil1d": Array[f32, N],
    "stencil2d": Array[Array[f32, W], H],
    "conv2d": Array[Array[Array[f32, K], W], H],
}

OTHER_SIZES: dict[str, dict[str, int]] = {
    "dot": {"N": 1},
    "asum": {"N": 6},
    "softmax": {"N": 3, "M": 64},
    "gemv": {"M": 1, "N": 7},
    "matmul": {"M": 5, "K": 1, "N": 9},
    "matmul_blocked": {"M": 8, "K": 1, "N": 12},
    "stencil1d": {"N": 1},
    "stencil2d": {"H": 1, "W": 2},
    "conv2d": {"H": 3, "W": 7, "C": 1, "K": 2},
}

# (parameter index, axis) of a dimension whose size is fixed by another argument or by the type
WRONG_AXIS: dict[str, tuple[int, int]] = {
    "dot": (1, 0),
    "gemv": (1, 0),
    "matmul": (1, 0),
    "matmul_blocked": (1, 0),
    "stencil1d": (1, 0),
    "conv2d": (1, 3),
}

RTOL = 1e-4


def _rel_err(result: np.ndarray, expected: np.ndarray) -> float:
    assert result.shape == expected.shape
    return float(np.max(np.abs(result - expected)) / np.max(np.abs(expected)))


def _inputs(mod: types.ModuleType, sizes: dict[str, int], seed: int = 0) -> list[np.ndarray]:
    return list(mod.inputs(sizes, np.random.default_rng(seed)))


@pytest.fixture(params=examples.NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_names_cover_expectations() -> None:
    assert set(examples.NAMES) == set(EXPECTED_RESULT) == set(OTHER_SIZES)


def test_interface(name: str) -> None:
    mod = examples.load(name)
    assert mod.__doc__ and len(mod.__doc__.strip()) > 40
    assert isinstance(mod.program, Fun)
    declared = {v.name for t in mod.program.type.params for s in sizes_of(t) for v in s.free_vars()}
    assert set(mod.sizes) == set(mod.test_sizes) == declared
    assert callable(mod.main) and callable(mod.reference)
    arrays = _inputs(mod, mod.test_sizes)
    assert len(arrays) == len(mod.program.params)
    for a in arrays:
        assert a.dtype == np.float32 and np.any(a != 0)


def test_interpret_matches_reference(name: str) -> None:
    mod = examples.load(name)
    arrays = _inputs(mod, mod.test_sizes, seed=1)
    result = lift.interpret(mod.program, *arrays)
    expected = mod.reference(*arrays)
    assert expected.dtype == np.float64
    assert _rel_err(result, expected) <= RTOL
    assert examples.check(name, seed=1) <= RTOL


def test_result_type(name: str) -> None:
    mod = examples.load(name)
    assert mod.program.type.result == EXPECTED_RESULT[name]
    assert lift.typecheck(mod.program) == mod.program.type


def test_result_shape_matches_type(name: str) -> None:
    mod = examples.load(name)
    expected_type = mod.program.type.result
    assert isinstance(expected_type, ArrayType)
    arrays = _inputs(mod, mod.test_sizes)
    shape = tuple(s.evaluate(mod.test_sizes) for s in expected_type.shape)
    assert lift.interpret(mod.program, *arrays).shape == shape


def test_other_sizes(name: str) -> None:
    sizes = OTHER_SIZES[name]
    assert examples.check(name, sizes=sizes, seed=2) <= RTOL


@pytest.mark.parametrize("wrong", sorted(WRONG_AXIS))
def test_wrong_size_names_parameter(wrong: str) -> None:
    # stencil2d is absent: every shape of its one parameter is valid (its rank is tested below)
    name = wrong
    mod = examples.load(name)
    index, axis = WRONG_AXIS[name]
    arrays = _inputs(mod, mod.test_sizes)
    shape = list(arrays[index].shape)
    shape[axis] += 1
    arrays[index] = np.ones(shape, np.float32)
    param = mod.program.params[index].name
    with pytest.raises(lift.LiftTypeError, match=f"parameter '{param}'"):
        lift.interpret(mod.program, *arrays)


def test_wrong_dtype_names_parameter(name: str) -> None:
    mod = examples.load(name)
    arrays = _inputs(mod, mod.test_sizes)
    arrays[0] = arrays[0].astype(np.float64)
    param = mod.program.params[0].name
    with pytest.raises(lift.LiftTypeError, match=f"parameter '{param}': .*float64"):
        lift.interpret(mod.program, *arrays)


def test_wrong_rank_names_parameter(name: str) -> None:
    mod = examples.load(name)
    arrays = _inputs(mod, mod.test_sizes)
    arrays[-1] = arrays[-1][..., None]
    param = mod.program.params[-1].name
    with pytest.raises(lift.LiftTypeError, match=f"parameter '{param}'"):
        lift.interpret(mod.program, *arrays)


def test_stencil1d_zero_padding() -> None:
    mod = examples.load("stencil1d")
    for n in (1, 2, 3, 50):
        x, w = _inputs(mod, {"N": n}, seed=n)
        assert _rel_err(lift.interpret(mod.stencil1d_zero, x, w), mod.reference_zero(x, w)) <= RTOL
        assert _rel_err(lift.interpret(mod.program, x, w), mod.reference(x, w)) <= RTOL
    x = np.array([1, 2, 3], np.float32)
    w = np.array([1, 10, 100], np.float32)
    assert lift.interpret(mod.stencil1d_zero, x, w).tolist() == [210, 321, 32]
    assert lift.interpret(mod.program, x, w).tolist() == [211, 321, 332]


def test_load_unknown_name() -> None:
    with pytest.raises(
        ValueError, match="dot, asum, softmax, gemv, matmul, matmul_blocked, stencil1d, stencil2d, conv2d"
    ):
        examples.load("fft")


def test_check_reports_wrong_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = examples.load("dot")
    monkeypatch.setattr(mod, "reference", lambda x, y: np.array([np.dot(x, y) + 1.0]))
    message = r"example 'dot' at sizes \{'N': 1000\} \(seed 0\): max relative error"
    with pytest.raises(AssertionError, match=message):
        examples.check("dot")
    monkeypatch.setattr(mod, "reference", lambda x, y: np.array(np.dot(x, y)))
    with pytest.raises(AssertionError, match=r"result shape \(1,\) differs from the reference shape \(\)"):
        examples.check("dot")


def test_demo_prints_program_and_error() -> None:
    lines: list[str] = []
    err = examples.demo("examples.dot", ["N=64"], print_=lines.append)
    assert err <= RTOL
    text = "\n".join(lines)
    assert "fun dot(x: [f32]N, y: [f32]N) -> [f32]1 =" in text
    assert "sizes: N=64" in text and "max relative error" in text


def test_parse_sizes_rejects_bad_arguments() -> None:
    assert examples.parse_sizes(["N=8"], {"N": 4, "M": 2}) == {"N": 8, "M": 2}
    for bad in ("N", "Q=3", "N=0", "N=x"):
        with pytest.raises(SystemExit):
            examples.parse_sizes([bad], {"N": 4})


def test_cli_test_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--test-sizes", "dot", "gemv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dot ") and "gemv " in out


def test_check_sizes_default_to_test_sizes() -> None:
    assert examples.check("conv2d", sizes={"K": 5}) <= RTOL
    with pytest.raises(ValueError, match="example 'gemv' has no size Q; it has \\['M', 'N'\\]"):
        examples.check("gemv", sizes={"Q": 3})
