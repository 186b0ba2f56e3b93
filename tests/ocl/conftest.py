"""Running kernels on PoCL and under Oclgrind, with Oclgrind's findings turned into test failures."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lift
from lift.ocl.device import list_devices


def _has(platform_fragment: str) -> bool:
    try:
        return any(platform_fragment in d.platform.lower() for d in list_devices())
    except Exception:  # pyopencl missing or no ICD loader: the OpenCL tests are skipped, not failed
        return False


HAS_POCL = _has("portable computing language")
HAS_OCLGRIND = _has("oclgrind")

needs_pocl = pytest.mark.skipif(not HAS_POCL, reason="PoCL's CPU device is not available")
needs_oclgrind = pytest.mark.skipif(not HAS_OCLGRIND, reason="Oclgrind is not installed")


class OclgrindFindings(AssertionError):
    """Oclgrind reported a data race, barrier divergence or an invalid access."""


def _log() -> Path:
    return Path(os.environ["OCLGRIND_LOG"])


def run_under_oclgrind(kernel: lift.Kernel, *arrays: Any) -> Any:
    """Run a kernel compiled for Oclgrind; raise :class:`OclgrindFindings` with the report if it found anything."""
    log = _log()
    before = log.stat().st_size if log.exists() else 0
    result = kernel(*arrays)
    after = log.read_text(errors="replace")[before:] if log.exists() else ""
    if after.strip():
        raise OclgrindFindings(f"Oclgrind found problems in {kernel.name}:\n{after}\n\n{kernel.source}")
    return result


@pytest.fixture
def oclgrind() -> Callable[..., Any]:
    if not HAS_OCLGRIND:
        pytest.skip("Oclgrind is not installed")
    return run_under_oclgrind


def random_inputs(prog: lift.dsl.ir.Fun, sizes: dict[str, int], seed: int = 0) -> list[np.ndarray]:
    """Random float32 inputs in [-1, 1) of the shapes the program's parameter types give at ``sizes``."""
    rng = np.random.default_rng(seed)
    out = []
    for t in prog.param_types:
        shape = [int(n.evaluate(sizes)) for n in getattr(t, "shape", ())]
        out.append(rng.uniform(-1.0, 1.0, size=shape).astype(np.float32))
    return out


def assert_same_results(got: Any, expected: Any, *, rtol: float = 0.0, atol: float = 0.0) -> None:
    """``got`` equals ``expected`` (arrays, or tuples of arrays for arrays of tuples), exactly unless tolerances
    are given."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), f"expected {len(expected)} arrays, got {got!r}"
        for g, e in zip(got, expected):
            assert_same_results(g, e, rtol=rtol, atol=atol)
        return
    if rtol or atol:
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, expected)
