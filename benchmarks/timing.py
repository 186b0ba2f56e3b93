"""Device timing of the baselines (PyTorch on CUDA), shared by the benchmarks: CUDA events around each call,
the median of ``repeat`` calls after ``warmup`` calls."""

from __future__ import annotations

import statistics
from collections.abc import Callable


def cuda_median_seconds(fn: Callable[[], object], *, repeat: int = 20, warmup: int = 3) -> float:
    """Median device seconds of ``fn()`` (a PyTorch call on the GPU), measured with CUDA events."""
    import torch

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) * 1e-3)
    return statistics.median(times)
