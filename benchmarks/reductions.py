"""Reductions on a GPU: lift-ir's multi-kernel programs against PyTorch (cuBLAS / CUDA kernels) and against the
bandwidth limit, measured in the same run.

    python benchmarks/reductions.py --device nvidia [--exponents 20 22 24 26] [--rows 4096 16384 65536]

* ``dot`` and ``asum`` (``lift.examples.dot``, ``lift.examples.asum``) at ``2^e`` elements, against
  ``torch.dot`` and ``torch.linalg.vector_norm(x, 1)``;
* the row ``softmax`` (``lift.examples.softmax``) of ``2^24`` elements in rows of ``M``, against
  ``torch.softmax``.

Each program is compiled with the mapping model's default choice (its mapping, cuts and kernels are printed),
checked against a float64 reference on fresh random inputs, and timed with OpenCL profiling events — for several
kernels from the first one's start to the last one's end — the median of 20 launches after 3 warm-up launches.
PyTorch is timed with CUDA events the same way (TF32 off). The bandwidth reference is a device-to-device copy
(``dst.copy_(src)``, 256 MiB) measured in the same run: a program's bandwidth is the bytes it must read and write
once (its inputs and its result) over its time, reported as a fraction of the copy's (read + written bytes over
its time).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lift
from benchmarks.timing import cuda_median_seconds
from lift.examples import asum, dot, softmax
from lift.ocl import stages


def copy_bandwidth() -> float:
    """Bytes per second of a device-to-device copy of 256 MiB (read + written)."""
    import torch

    src = torch.rand(1 << 26, device="cuda")
    dst = torch.empty_like(src)
    seconds = cuda_median_seconds(lambda: dst.copy_(src))
    return 2 * src.numel() * 4 / seconds


def measure(
    prog: lift.dsl.ir.Fun,
    sizes: dict[str, int],
    arrays: tuple[np.ndarray, ...],
    reference: np.ndarray,
    device: str,
) -> tuple[float, float, Any]:
    """``(seconds, relative error, kernel)`` of the default compilation of ``prog``."""
    kernel = lift.compile(prog, sizes=sizes, device=device)
    out = np.asarray(kernel(*arrays), dtype=np.float64)
    error = float(np.max(np.abs(out - reference)) / max(np.max(np.abs(reference)), 1e-30))
    kernel.profile(*arrays, repeat=3)  # warm-up
    profile = kernel.profile(*arrays, repeat=20)
    return profile.median, error, (kernel, profile)


def describe(kernel: Any, profile: Any) -> str:
    parts = [f"mapping {kernel.mapping}", f"{len(kernel.kernels)} kernel(s)"]
    if profile.kernels:
        parts.append("; ".join(f"{name} {np.median(times) * 1e6:.1f} us" for name, times in profile.kernels))
    parts.append(f"extra {kernel.extra_bytes} B")
    return ", ".join(parts)


def torch_seconds(fn: Callable[[], object]) -> float:
    return cuda_median_seconds(fn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="nvidia")
    parser.add_argument("--exponents", type=int, nargs="+", default=[20, 22, 24, 26])
    parser.add_argument("--rows", type=int, nargs="+", default=[4096, 16384, 65536], help="softmax row lengths")
    parser.add_argument("--softmax-elements", type=int, default=1 << 24)
    parser.add_argument(
        "--groups",
        type=int,
        nargs="+",
        default=[stages.REDUCTION_GROUPS],
        help="the most work-groups a two-stage reduction's first kernel uses (lift.ocl.stages.REDUCTION_GROUPS); "
        "dot and asum are measured for each",
    )
    args = parser.parse_args()

    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rng = np.random.default_rng(0)
    copy = copy_bandwidth()
    print(f"device-to-device copy: {copy / 1e12:.3f} TB/s (read + written bytes over time)", flush=True)
    rows: list[tuple[str, str, float, float, float, float]] = []

    def report(name: str, shape: str, seconds: float, base: float, moved: int, error: float, how: str) -> None:
        fraction = moved / seconds / copy
        rows.append((name, shape, seconds, base, fraction, error))
        print(
            f"{name} {shape}: {seconds * 1e6:.1f} us, {moved / seconds / 1e12:.3f} TB/s = {fraction:.0%} of copy, "
            f"{base / seconds:.2f}x torch ({base * 1e6:.1f} us), error {error:.1e}; {how}",
            flush=True,
        )

    for groups, e in [(g, e) for g in args.groups for e in args.exponents]:
        stages.REDUCTION_GROUPS = groups
        n = 1 << e
        x = (rng.random(n, dtype=np.float32) - np.float32(0.5)).astype(np.float32)
        y = (rng.random(n, dtype=np.float32) - np.float32(0.5)).astype(np.float32)
        tx, ty = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()
        ref = np.array([np.dot(x.astype(np.float64), y.astype(np.float64))])
        seconds, error, (k, p) = measure(dot.program, {"N": n}, (x, y), ref, args.device)
        report(
            "dot",
            f"2^{e}/G{groups}",
            seconds,
            torch_seconds(lambda tx=tx, ty=ty: torch.dot(tx, ty)),
            2 * n * 4,
            error,
            describe(k, p),
        )
        ref = np.array([np.abs(x.astype(np.float64)).sum()])
        seconds, error, (k, p) = measure(asum.program, {"N": n}, (x,), ref, args.device)
        base = torch_seconds(lambda tx=tx: torch.linalg.vector_norm(tx, 1))
        report("asum", f"2^{e}/G{groups}", seconds, base, n * 4, error, describe(k, p))
    stages.REDUCTION_GROUPS = args.groups[0]
    for m in args.rows:
        count = max(1, args.softmax_elements // m)
        x = ((rng.random((count, m), dtype=np.float32) - np.float32(0.5)) * np.float32(8.0)).astype(np.float32)
        tx = torch.from_numpy(x).cuda()
        ref = softmax.reference(x)
        seconds, error, (k, p) = measure(softmax.program, {"N": count, "M": m}, (x,), ref, args.device)
        base = torch_seconds(lambda tx=tx: torch.softmax(tx, dim=1))
        report("softmax", f"{count}x{m}", seconds, base, 2 * x.nbytes, error, describe(k, p))
    print(f"\n{'program':<8} {'size':<12} {'lift us':>9} {'torch us':>9} {'x torch':>8} {'of copy':>8} {'error':>8}")
    for name, shape, seconds, base, fraction, error in rows:
        print(
            f"{name:<8} {shape:<12} {seconds * 1e6:9.1f} {base * 1e6:9.1f} {base / seconds:8.2f} {fraction:8.0%} "
            f"{error:8.1e}"
        )


if __name__ == "__main__":
    main()
