"""The OpenCL C lift-ir generates for every example, stored as files a reviewer can read
(``tests/ocl/snapshots/NAME.cl``): the example compiled at its test sizes with the mapping its module names, or
with the model's default mapping. After an intended change of code generation, rewrite them with
``LIFT_UPDATE_SNAPSHOTS=1 pytest tests/ocl/test_kernel_snapshots.py`` and review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

import examples
import lift
from tests.ocl.conftest import needs_pocl
from tests.snapshot import matches_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"


@needs_pocl
@pytest.mark.parametrize("name", examples.NAMES)
def test_every_example_kernel_matches_its_snapshot(name: str) -> None:
    module = examples.load(name)
    mapping = getattr(module, "mapping", None)
    kernel = lift.compile(module.program, sizes=module.test_sizes, mapping=mapping, device="pocl")
    header = f"// {name} at {module.test_sizes}, {kernel.mapping}"
    assert matches_snapshot(f"{header}\n{kernel.source}", SNAPSHOTS / f"{name}.cl")
