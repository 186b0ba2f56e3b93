"""How fast the reference interpreter is on the large oracle cases (CPU; no device involved).

    python benchmarks/interpreter.py [--repeat 5] [--json results/interpreter.json]

Cases: dot product of 2^22 elements, 512^3 matrix multiplication, and VGG-16 layer conv3_1 (56x56, 128 -> 256
channels, 3x3, pad 1). Each is run on random float32 data; the median of the repeats after one warm-up run is
reported, together with the error against a float64 numpy reference.

The interpreter evaluates ``reduce(add) ∘ map(mult) ∘ zip`` as one einsum (BLAS); the "generic" matmul case
writes the dot product as a ``reduce_seq`` of a multiply-add user function, which the interpreter does not
recognise, to show the speed of the general path (a left fold of K vectorised steps).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import examples
import lift
from lift import Array, f32, fun, size, userfun
from lift.dsl import join, map, reduce_seq, transpose, zip

M, K, N = size("M"), size("K"), size("N")


@userfun
def multiply_add(acc: f32, x: f32, y: f32) -> f32:
    return acc + x * y


@fun
def matmul_generic(a: Array[Array[f32, K], M], b: Array[Array[f32, N], K]):
    return a >> map(
        lambda row: (
            b
            >> transpose
            >> map(lambda col: zip(row, col) >> reduce_seq(lambda acc, p: multiply_add(acc, p[0], p[1]), 0.0))
            >> join
        )
    )


CASES = {
    "dot 2^22": ("dot", {"N": 1 << 22}),
    "matmul 512^3": ("matmul", {"M": 512, "K": 512, "N": 512}),
    "VGG conv3_1": ("conv2d", {"H": 56, "W": 56, "C": 128, "K": 256}),
    "matmul generic": ("matmul", {"M": 512, "K": 512, "N": 512}),
}
PROGRAMS = {"matmul generic": matmul_generic}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for label, (name, sizes) in CASES.items():
        module = examples.load(name)
        missing = set(module.sizes) - set(sizes)
        if missing:
            raise SystemExit(f"{label}: the example {name} also needs sizes {sorted(missing)}")
        arrays = module.inputs(sizes, rng)
        program = PROGRAMS.get(label, module.program)
        lift.interpret(program, *arrays)  # warm-up: type checking, translation, caches
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = lift.interpret(program, *arrays)
            times.append(time.perf_counter() - start)
        reference = module.reference(*arrays)
        error = float(np.max(np.abs(result - reference)) / np.max(np.abs(reference)))
        rows.append({"case": label, "sizes": sizes, "median_s": statistics.median(times), "rel_error": error})
    print(f"{'case':<16} {'median':>10} {'rel. error':>12}")
    for row in rows:
        print(f"{row['case']:<16} {row['median_s'] * 1e3:>8.1f} ms {row['rel_error']:>12.2e}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
