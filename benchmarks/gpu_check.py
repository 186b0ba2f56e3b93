"""Correctness on a GPU driver: every example, and the soundness regression programs under their default and
sampled valid mappings, compiled for ``--device`` and compared with the interpreter. Not a benchmark (it
times nothing): the check that kernels accepted on PoCL also build and compute right on a vendor's compiler.

    python benchmarks/gpu_check.py --device nvidia
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import examples
import lift
from tests.ocl.conftest import random_inputs
from tests.ocl.soundness_programs import PROGRAMS


def _error(got: object, expected: object) -> float:
    if isinstance(expected, tuple):
        assert isinstance(got, tuple)
        return max(_error(g, e) for g, e in zip(got, expected))
    scale = max(1.0, float(np.abs(np.asarray(expected)).max()))
    return float(np.abs(np.asarray(got, dtype=np.float64) - np.asarray(expected, dtype=np.float64)).max()) / scale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="nvidia")
    parser.add_argument("--samples", type=int, default=4)
    args = parser.parse_args()
    failures = 0
    for name in examples.NAMES:
        module = examples.load(name)
        sizes = dict(module.test_sizes)
        arrays = module.inputs(sizes, np.random.default_rng(0))
        kernel = lift.compile(module.program, sizes=sizes, device=args.device)
        err = _error(kernel(*arrays), module.reference(*arrays))
        failures += err > 1e-4
        print(f"example {name:12} {kernel.mapping}  relative error {err:.2e}")
    for name, (prog, sizes) in PROGRAMS.items():
        arrays = random_inputs(prog, sizes)
        expected = lift.interpret(prog, *arrays)
        for mapping in [None, *lift.mappings(prog, sizes=sizes).sample(args.samples, seed=0)]:
            kernel = lift.compile(prog, sizes=sizes, mapping=mapping, device=args.device)
            err = _error(kernel(*arrays), expected)
            failures += err > 1e-4
            print(f"{name:20} {kernel.mapping}  relative error {err:.2e}")
    print("failures:", failures)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
