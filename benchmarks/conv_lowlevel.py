"""VGG-16 3x3 convolution layers on a GPU: lift-ir's low-level tiled convolution against cuDNN (PyTorch, TF32 off),
measured in the same run.

    python benchmarks/conv_lowlevel.py --device nvidia [--layers conv1_2 conv3_1] [--configs 4x32x64x8/8x8 ...]
    python benchmarks/conv_lowlevel.py --device pocl --compile-only     # check that every configuration compiles

Each configuration is a program of :func:`lift.examples.conv_lowlevel.work_group_tiled`, named
``THxTWxTNxTD/RxC`` (``-adjacent``: a thread's rows and columns adjacent rather than interleaved;
``-filters-as-read``: the local filter tile kept in the layout it is read in rather than transposed; ``-splitS``: the
reduction split in ``S`` parts, a kernel of partial sums and one adding them): work-groups of
``TH x TW`` output pixels (a rectangle of the image; ``TW`` divides the width, ``TH`` the height) by ``TN`` output
channels, reduction slices of ``TD`` input channels, an ``R x C`` register block per thread. The pixel tiles must
divide the image, so conv5_1 (14 x 14 = 196 pixels) uses tiles of one or two rows of 14 pixels (14 or 28 pixels,
no padding), conv3_1 (56 x 56) rectangles of 8 x 8 or 4 x 8 or 2 x 56, conv1_2 (224 x 224) rows of 32 or 112.

Each kernel is compiled for the layer's sizes, checked against a float64 reference (``torch`` conv2d on the GPU
in float64; ``|out - ref| / |ref|``, fresh random inputs) and timed with OpenCL profiling events: the median of 20
launches after 3 warm-up launches. cuDNN (``torch.nn.functional.conv2d``, ``cudnn.benchmark = True``, TF32 off) is
timed with CUDA events the same way, in both the NCHW and the NHWC (channels-last) layouts; the faster one is the
baseline. TFLOP/s counts ``2·H·W·C·K·9`` operations.
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
from lift.examples.conv_lowlevel import work_group_tiled
from lift.tune import VGG16_LAYERS

CONFIGS: dict[str, tuple[str, ...]] = {
    # 224 x 224 pixels, 64 -> 64 channels: tiles of rows of 32 or 112 pixels, all 64 output channels
    "conv1_2": ("4x32x64x8/8x8", "8x32x64x8/8x8", "4x32x64x16/8x8", "1x112x64x8/7x8", "4x16x64x8/4x4"),
    # 56 x 56 pixels, 128 -> 256 channels: 8 x 8 or 4 x 8 rectangles or two rows of 56 pixels
    "conv3_1": ("8x8x64x8/8x8", "8x8x128x8/8x8", "4x8x128x8/4x8", "8x8x64x8/4x4", "4x8x64x8/4x4", "2x56x64x8/7x8"),
    # 14 x 14 pixels, 512 -> 512 channels: one or two rows of 14 pixels (196 = 7 * 28 = 14 * 14)
    # split-K: the reduction's 9 * 512 terms in 4 to 32 parts, a work-group a part, then a kernel adding them
    "conv5_1": (
        "2x14x32x8/7x4",
        "2x14x64x8/7x8",
        "1x14x32x8/7x4",
        "2x14x64x16/7x4",
        "2x14x32x8/7x4-split4",
        "2x14x32x8/7x4-split8",
        "2x14x64x8/7x8-split8",
        "2x14x64x8/7x8-split16",
        "2x14x64x8/7x8-split32",
    ),
}
"""The configurations measured per layer by default."""


def program_of(config: str) -> Fun:
    """The program a configuration names."""
    tiled = re.fullmatch(r"(\d+)x(\d+)x(\d+)x(\d+)/(\d+)x(\d+)((?:-adjacent|-filters-as-read|-split\d+)*)", config)
    if not tiled:
        raise SystemExit(f"unknown configuration {config!r}: THxTWxTNxTD/RxC[-adjacent][-filters-as-read][-splitS]")
    flags = tiled[7]
    split = re.search(r"-split(\d+)", flags)
    return work_group_tiled(
        *(int(g) for g in tiled.groups()[:6]),
        interleaved="-adjacent" not in flags,
        filters_transposed="-filters-as-read" not in flags,
        split=int(split[1]) if split else 1,
    )


def cudnn_seconds(img: np.ndarray, weights: np.ndarray, repeat: int = 20) -> tuple[float, np.ndarray]:
    """Median device seconds of cuDNN's convolution (TF32 off, the faster of NCHW and NHWC), and the float64
    reference result as ``(H, W, K)``."""
    import torch
    import torch.nn.functional as F

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    x = torch.from_numpy(img).cuda().permute(2, 0, 1).unsqueeze(0).contiguous()  # 1 x C x H x W
    w = torch.from_numpy(weights).cuda().permute(0, 3, 1, 2).contiguous()  # K x C x 3 x 3
    best = float("inf")
    for layout in (torch.contiguous_format, torch.channels_last):
        xl, wl = x.contiguous(memory_format=layout), w.contiguous(memory_format=layout)
        seconds = cuda_median_seconds(lambda xl=xl, wl=wl: F.conv2d(xl, wl, padding=1), repeat=repeat)
        best = min(best, seconds)
    reference = F.conv2d(x.double(), w.double(), padding=1)[0].permute(1, 2, 0).cpu().numpy()
    return best, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="nvidia")
    parser.add_argument("--layers", nargs="+", default=list(CONFIGS), choices=sorted(VGG16_LAYERS))
    parser.add_argument("--configs", nargs="+", default=None, help="the same configurations for every layer")
    parser.add_argument("--compile-only", action="store_true", help="compile every configuration, run nothing")
    parser.add_argument("--source", type=Path, default=None, help="write each kernel's source into this folder")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for layer in args.layers:
        hw, channels, filters = VGG16_LAYERS[layer]
        sizes = {"H": hw, "W": hw, "C": channels, "K": filters}
        flops = 2 * hw * hw * channels * filters * 9
        img = rng.uniform(-1, 1, (hw, hw, channels)).astype(np.float32)
        weights = rng.uniform(-1, 1, (filters, 3, 3, channels)).astype(np.float32)
        base, reference = (0.0, np.zeros(0)) if args.compile_only else cudnn_seconds(img, weights)
        for config in args.configs or CONFIGS.get(layer, ()):
            started = time.perf_counter()
            try:
                kernel = lift.compile(program_of(config), sizes=sizes, device=args.device)
            except lift.LiftError as err:
                print(f"{layer} {config}: not compiled: {err}", flush=True)
                continue
            compile_s = time.perf_counter() - started
            if args.source:
                args.source.mkdir(parents=True, exist_ok=True)
                (args.source / f"{layer}_{config.replace('/', '_')}.cl").write_text(kernel.source)
            if args.compile_only:
                print(
                    f"{layer} {config}: compiled in {compile_s:.1f} s, work-groups of {kernel.local_size}, "
                    f"global size {kernel.global_size}",
                    flush=True,
                )
                continue
            out = kernel(img, weights)
            error = float(np.linalg.norm(out - reference) / np.linalg.norm(reference))
            kernel.profile(img, weights, repeat=3)  # warm-up
            seconds = kernel.profile(img, weights, repeat=20).median
            rows.append((layer, config, seconds, base, error))
            print(
                f"{layer} {config}: {seconds * 1e3:.3f} ms, {flops / seconds / 1e12:.2f} TFLOP/s, "
                f"{base / seconds:.3f}x cuDNN, error {error:.1e}, compiled in {compile_s:.1f} s, "
                f"{len(kernel.kernels)} kernel(s), extra {kernel.extra_bytes} B",
                flush=True,
            )
    if not rows:
        return
    print(
        f"\n{'layer':<8} {'configuration':<26} {'lift ms':>9} {'TFLOP/s':>8} {'cuDNN ms':>9} {'TFLOP/s':>8} "
        f"{'ratio':>6} {'error':>8}"
    )
    for layer, config, seconds, base, error in rows:
        hw, channels, filters = VGG16_LAYERS[layer]
        flops = 2 * hw * hw * channels * filters * 9
        print(
            f"{layer:<8} {config:<26} {seconds * 1e3:9.3f} {flops / seconds / 1e12:8.2f} {base * 1e3:9.3f} "
            f"{flops / base / 1e12:8.2f} {base / seconds:6.3f} {error:8.1e}"
        )


if __name__ == "__main__":
    main()
