"""How fast the mapping model is on the VGG convolution (or PolyBench's 3mm), and how rare valid mappings are
without a solver.

    python benchmarks/mapping_model.py [--program conv2d|3mm] [--layer conv3_1] [--random 2000] [--json out.json]

For one VGG-16 layer (shapes from the shared VGG table), the convolution example's program — or ``3mm``
(``E = A·B, F = C·D, G = E·F`` in one program, 9 maps, N = 64): the time to build the model, to find the most
parallel mapping, to count every valid mapping (the structural rules in Z3, the barrier/race rules decided on
the index expressions for each candidate), and to sample 100 distinct mappings; then the share of uniformly
random assignments of levels and address spaces (no solver) that are valid, the measurement the CC'22 artifact
made to motivate the solver. Each timing is of a fresh model (nothing one query learns is reused by the next).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import examples
import lift
from lift import Array, f32, fun, size
from lift.dsl import join, map, reduce, transpose, zip
from lift.dsl.ir import Expr
from lift.dsl.prelude import add, mult
from lift.solve import MALI_G72, MappingSpace
from lift.solve.rules import CODES, SPACE_CODES

N = size("N")


def _mm(a: Expr, b: Expr) -> Expr:
    columns = b >> transpose
    return a >> map(lambda row: columns >> map(lambda col: zip(row, col) >> map(mult) >> reduce(add, 0.0)) >> join)


@fun
def three_mm(
    A: Array[Array[f32, N], N], B: Array[Array[f32, N], N], C: Array[Array[f32, N], N], D: Array[Array[f32, N], N]
) -> Expr:
    """PolyBench's 3mm: ``G = (A·B)·(C·D)``."""
    return _mm(_mm(A, B), _mm(C, D))


LAYERS = {
    "conv1_2": (224, 64, 64),
    "conv2_1": (112, 64, 128),
    "conv3_1": (56, 128, 256),
    "conv4_2": (28, 512, 512),
    "conv5_1": (14, 512, 512),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--program", default="conv2d", choices=("conv2d", "3mm"))
    parser.add_argument("--layer", default="conv3_1", choices=sorted(LAYERS))
    parser.add_argument("--random", type=int, default=2000, help="random assignments to try without the solver")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    hw, cin, cout = LAYERS[args.layer]
    if args.program == "3mm":
        program, sizes = three_mm, {"N": 64}
        title = "PolyBench 3mm (N=64)"
    else:
        program, sizes = examples.load("conv2d").program, {"H": hw, "W": hw, "C": cin, "K": cout}
        title = f"VGG-16 {args.layer} (H=W={hw}, C={cin}, K={cout})"
    rows = {}

    start = time.perf_counter()
    space = MappingSpace(program, sizes, MALI_G72)
    rows["build the model"] = time.perf_counter() - start

    start = time.perf_counter()
    count = space.count()  # first: nothing in the process has been decided yet
    rows["count every valid mapping"] = time.perf_counter() - start

    start = time.perf_counter()
    best = MappingSpace(program, sizes, MALI_G72).best("parallelism")  # a fresh model
    rows["most parallel mapping"] = time.perf_counter() - start

    start = time.perf_counter()
    sample = space.sample(100, seed=0)
    rows["sample 100 distinct"] = time.perf_counter() - start

    rng = random.Random(0)
    valid = set(space)
    hits = 0
    for _ in range(args.random):
        levels = {m: rng.choice(list(CODES)) for m in space.levels}
        spaces = {m: rng.choice(list(SPACE_CODES)) for m in space.spaces}
        candidate = lift.Mapping(levels, {m: s for m, s in spaces.items() if s != "global"})
        hits += candidate in valid
    share = hits / args.random

    print(
        f"{title} on {space.device.name}: {len(space.levels)} maps, "
        f"{len(space.spaces)} intermediates, {len(space.rules)} structural rules"
    )
    for label, seconds in rows.items():
        print(f"  {label:<28} {seconds:8.2f} s")
    print(f"  valid mappings: {count}; sampled {len(sample)} distinct; most parallel: {best}")
    print(f"  random assignments that are valid: {hits} of {args.random} ({share:.3%})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "program": args.program,
                    "layer": args.layer,
                    "seconds": rows,
                    "count": count,
                    "random_valid_share": share,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
