"""lift-ir called from several threads: compile, run, explain, count, best and interpret at once give exactly
the answers of a serial run, and never crash Z3 (one process-wide Z3 session, ``lift.types.smt.z3_session``).
Processes sharing the compiled-program caches are safe too.

``LIFT_STRESS_JOBS`` sets the jobs per thread (default 50: 8 threads × 50 jobs).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import examples
import lift
from lift.solve.model import MappingSpace
from tests.ocl.conftest import HAS_POCL, needs_pocl

THREADS = 8
JOBS_PER_THREAD = int(os.environ.get("LIFT_STRESS_JOBS", "50"))
EXAMPLES = ("gemv", "stencil1d", "matmul")

Job = tuple[str, Callable[[], Any]]


def _comparable(x: Any) -> Any:
    """A value that compares exactly (arrays by dtype, shape and bytes)."""
    if isinstance(x, np.ndarray):
        return (str(x.dtype), x.shape, x.tobytes())
    if isinstance(x, tuple):
        return tuple(_comparable(v) for v in x)
    return x


def _jobs() -> list[Job]:
    """Small jobs of every kind on the examples, each a pure function of its name."""
    out: list[Job] = []
    for name in EXAMPLES:
        module = examples.load(name)
        sizes = dict(module.test_sizes)
        arrays = module.inputs(sizes, np.random.default_rng(0))
        prog = module.program
        out += [
            (f"interpret {name}", lambda p=prog, a=arrays: lift.interpret(p, *a)),
            (f"count {name}", lambda p=prog, s=sizes: lift.mappings(p, sizes=s).count()),
            (f"best {name}", lambda p=prog, s=sizes: lift.mappings(p, sizes=s).best()),
            (f"explain {name}", lambda p=prog, s=sizes: tuple(lift.explain(p, {"map1": "glb0"}, sizes=s))),
            (f"explain top {name}", lambda p=prog, s=sizes: tuple(lift.explain(p, {"map0": "lcl0"}, sizes=s))),
        ]
        if HAS_POCL:
            out.append(
                (f"compile {name}", lambda p=prog, s=sizes, a=arrays: lift.compile(p, sizes=s, device="pocl")(*a))
            )
    return out


def _run_threads(jobs: list[Job], per_thread: int) -> list[tuple[str, Any]]:
    """Each of ``THREADS`` threads runs ``per_thread`` jobs drawn in its own order; (name, result) pairs."""

    def worker(seed: int) -> list[tuple[str, Any]]:
        rng = random.Random(seed)
        return [(name, _comparable(fn())) for name, fn in (rng.choice(jobs) for _ in range(per_thread))]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return [r for results in pool.map(worker, range(THREADS)) for r in results]


def test_threads_give_the_serial_answers() -> None:
    jobs = _jobs()
    serial = {name: _comparable(fn()) for name, fn in jobs}
    threaded = _run_threads(jobs, JOBS_PER_THREAD)
    assert len(threaded) == THREADS * JOBS_PER_THREAD
    different = [name for name, result in threaded if result != serial[name]]
    assert not different, f"threads answered differently from the serial run: {sorted(set(different))}"


def test_one_mapping_space_shared_by_threads() -> None:
    """The space's caches (its valid mappings, the backend's verdicts) are shared safely."""
    module = examples.load("matmul")
    sizes = dict(module.test_sizes)
    expected = MappingSpace(module.program, sizes)
    answers = (expected.count(), expected.best(), tuple(expected.explain({"map1": "glb0"})))
    shared = MappingSpace(module.program, sizes)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        found = list(
            pool.map(lambda _: (shared.count(), shared.best(), tuple(shared.explain({"map1": "glb0"}))), range(THREADS))
        )
    assert found == [answers] * THREADS
    assert sorted(map(repr, shared.all())) == sorted(map(repr, expected.all()))


def test_time_limits_are_per_thread_when_scoped() -> None:
    """``time_limits`` changes the limits of the thread that sets it only."""
    with lift.solve.time_limits(solver=0.5):
        with ThreadPoolExecutor(max_workers=1) as pool:
            other = pool.submit(lambda: lift.solve.limits().solver_s).result()
        assert lift.solve.limits().solver_s == 0.5
    assert other == lift.solve.limits().solver_s != 0.5


_CHILD = textwrap.dedent(
    """
    import numpy as np, lift, examples
    module = examples.load("stencil1d")
    sizes = dict(module.test_sizes)
    arrays = module.inputs(sizes, np.random.default_rng(0))
    result = lift.compile(module.program, sizes=sizes, device="pocl")(*arrays)
    np.testing.assert_allclose(result, lift.interpret(module.program, *arrays), rtol=1e-5, atol=1e-6)
    print("ok")
    """
)


@needs_pocl
def test_processes_sharing_the_program_caches(tmp_path: Path) -> None:
    """Processes that build the same kernel at once into one fresh cache (pyopencl's and PoCL's) all get it
    right: pyopencl takes a lock file for its cache, PoCL writes its entries by atomic renames."""
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "POCL_CACHE_DIR": str(tmp_path / "pocl"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outcomes = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, outcomes):
        assert child.returncode == 0 and out.decode().strip() == "ok", err.decode()[-2000:]


@pytest.mark.parametrize("kind", ["count", "best"])
def test_a_timeout_in_one_thread_leaves_the_others_answering(kind: str) -> None:
    """A query that runs out of time raises in its own thread; the same question in another thread, with the
    default limits, is answered."""
    module = examples.load("matmul")
    sizes = dict(module.test_sizes)

    def ask() -> Any:
        space = MappingSpace(module.program, sizes)
        return space.count() if kind == "count" else space.best()

    def starved() -> str:
        with lift.solve.time_limits(solver=0.001, operation=0.001):
            try:
                ask()
            except lift.LiftTimeoutError as err:
                return err.query
        return "answered"

    with ThreadPoolExecutor(max_workers=2) as pool:
        starved_result, normal = pool.submit(starved), pool.submit(ask)
        assert starved_result.result().startswith(kind)
        assert normal.result() == ask()
