"""Matrix multiplication on a GPU: lift-ir's low-level matmul programs against cuBLAS SGEMM (PyTorch, TF32 off),
measured in the same run.

    python benchmarks/matmul.py --device nvidia [--sizes 1024 2048 4096] [--configs tiled128x128x16/8x8 ...]

Each configuration is a program of ``lift.examples.matmul_blocked`` (``blockedRxC``: one thread per ``R x C``
block, read straight from global memory; ``tiledTMxTNxTK/RxC``: work-group tiles copied to local memory, a
``R x C`` register block per thread, its rows and columns interleaved with the other threads' — or adjacent, with
``-adjacent``; ``-padP``: local rows padded by ``P`` elements, the ``lpad`` value), compiled for the size, checked against cuBLAS in float64
(``|C - ref| / |ref|``, fresh random inputs, output poisoned first by the backend's fresh buffer) and timed with
OpenCL profiling events: the median of 20 launches after 3 warm-up launches. cuBLAS is timed with CUDA events the
same way. TFLOP/s counts ``2·n³`` operations.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lift
from benchmarks.timing import cuda_median_seconds
from lift.dsl.ir import Fun
from lift.examples.matmul_blocked import register_blocked, work_group_tiled

CONFIGS = ("blocked4x4", "blocked8x8", "tiled64x64x8/4x4", "tiled128x128x8/8x8", "tiled128x128x16/8x8")


def program_of(config: str) -> tuple[Fun, dict[str, int]]:
    """The program a configuration names, with its tuning values."""
    blocked = re.fullmatch(r"blocked(\d+)x(\d+)", config)
    if blocked:
        return register_blocked(int(blocked[1]), int(blocked[2])), {}
    tiled = re.fullmatch(r"tiled(\d+)x(\d+)x(\d+)/(\d+)x(\d+)(-adjacent)?(-pad(\d+))?", config)
    if tiled:
        values = {"lpad": int(tiled[8])} if tiled[8] else {}
        return work_group_tiled(*(int(g) for g in tiled.groups()[:5]), interleaved=not tiled[6]), values
    raise SystemExit(f"unknown configuration {config!r}: blockedRxC or tiledTMxTNxTK/RxC[-adjacent][-padP]")


def cublas_seconds(a: np.ndarray, b: np.ndarray, repeat: int = 20) -> tuple[float, np.ndarray]:
    """Median device seconds of torch.mm (cuBLAS SGEMM, TF32 off), and the float64 reference product."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    seconds = cuda_median_seconds(lambda: torch.mm(ta, tb), repeat=repeat)
    reference = (ta.double() @ tb.double()).cpu().numpy()
    return seconds, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="nvidia")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--source", type=Path, default=None, help="write each kernel's source into this folder")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for n in args.sizes:
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        base, reference = cublas_seconds(a, b)
        flops = 2 * n**3
        for config in args.configs:
            started = time.perf_counter()
            try:
                prog, values = program_of(config)
                kernel = lift.compile(prog, sizes={"M": n, "K": n, "N": n}, device=args.device, values=values)
            except lift.LiftError as err:
                print(f"{n} {config}: not compiled: {err}", flush=True)
                continue
            compile_s = time.perf_counter() - started
            if args.source:
                args.source.mkdir(parents=True, exist_ok=True)
                (args.source / f"{config.replace('/', '_')}_{n}.cl").write_text(kernel.source)
            out = kernel(a, b)
            error = float(np.linalg.norm(out - reference) / np.linalg.norm(reference))
            kernel.profile(a, b, repeat=3)  # warm-up
            seconds = kernel.profile(a, b, repeat=20).median
            rows.append((n, config, seconds, base, error, compile_s))
            print(
                f"{n} {config}: {seconds * 1e3:.3f} ms, {flops / seconds / 1e12:.2f} TFLOP/s, "
                f"{base / seconds:.3f}x cuBLAS, error {error:.1e}, compiled in {compile_s:.1f} s",
                flush=True,
            )
    print(
        f"\n{'n':>5} {'configuration':<22} {'lift ms':>9} {'TFLOP/s':>8} {'cuBLAS ms':>10} {'TFLOP/s':>8} {'ratio':>6} {'error':>8}"
    )
    for n, config, seconds, base, error, _ in rows:
        flops = 2 * n**3
        print(
            f"{n:>5} {config:<22} {seconds * 1e3:9.3f} {flops / seconds / 1e12:8.2f} {base * 1e3:10.3f} "
            f"{flops / base / 1e12:8.2f} {base / seconds:6.3f} {error:8.1e}"
        )


if __name__ == "__main__":
    main()
