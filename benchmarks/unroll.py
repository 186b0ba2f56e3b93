"""Does ``#pragma unroll`` on register-block loops matter on a device? The same lift-ir kernel built twice — as
printed, and with its ``#pragma unroll`` lines removed — and timed in the same run (OpenCL profiling events,
median of 20 launches after 3 warm-up launches, random data).

    python benchmarks/unroll.py --device nvidia [--configs tiled128x128x16/8x8 ...] [--n 2048]

The configurations are those of ``benchmarks/matmul.py``. With ``--verbose`` the NVIDIA compiler's resource report
(registers, spills) is printed for both builds (``-cl-nv-verbose``; other devices ignore it or refuse it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lift
from benchmarks.matmul import program_of
from lift.ocl import device as dev


def median_seconds(device: object, source: str, name: str, args: list[object], geometry: tuple, verbose: bool) -> float:
    import pyopencl as cl

    queue = dev.queue_for(device)
    options = ["-cl-nv-verbose"] if verbose else []
    program = cl.Program(queue.context, source).build(options=options)
    if verbose:
        print(program.get_build_info(device, cl.program_build_info.LOG).strip())
    kernel = cl.Kernel(program, name)
    times = []
    for k in range(23):
        event = kernel(queue, geometry[0], geometry[1], *args)
        event.wait()
        if k >= 3:
            times.append((event.profile.end - event.profile.start) * 1e-9)
    return statistics.median(times)


def main() -> None:
    import pyopencl as cl

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="nvidia")
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--configs", nargs="+", default=["tiled128x128x16/8x8", "blocked8x8"])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    n = args.n
    device = dev.select_device(args.device)
    queue = dev.queue_for(device)
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    mf = cl.mem_flags
    buffers = [
        cl.Buffer(queue.context, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=a),
        cl.Buffer(queue.context, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=b),
        cl.Buffer(queue.context, mf.WRITE_ONLY, a.nbytes),
    ]
    print(f"{'configuration':<24} {'with #pragma unroll ms':>23} {'without ms':>11}")
    for config in args.configs:
        prog, values = program_of(config)
        kernel = lift.compile(prog, sizes={"M": n, "K": n, "N": n}, device=args.device, values=values)
        geometry = kernel.launch_config({})
        plain = "\n".join(line for line in kernel.source.splitlines() if line.strip() != "#pragma unroll")
        with_pragma = median_seconds(device, kernel.source, kernel.name, buffers, geometry, args.verbose)
        without = median_seconds(device, plain, kernel.name, buffers, geometry, args.verbose)
        print(f"{config:<24} {with_pragma * 1e3:23.3f} {without * 1e3:11.3f}", flush=True)


if __name__ == "__main__":
    main()
