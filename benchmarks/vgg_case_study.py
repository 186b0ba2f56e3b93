"""The VGG-16 case study on a GPU: sampled valid mappings of the convolution, compiled by lift-ir and run through
the device's OpenCL driver, against cuDNN and im2col + cuBLAS through PyTorch, in the same run.

    python benchmarks/vgg_case_study.py --device nvidia [--layers conv5_1 conv4_2] [--samples 8] [--json out.json]

lift-ir's time is the best median (OpenCL profiling events, after a warm-up) over the sampled mappings, each
verified against the interpreter first. The baselines use CUDA events, TF32 off (OpenCL has no tensor-core
path), medians of 20 runs after warm-up, random data. TFLOP/s counts 2·H·W·C·K·9 operations.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import examples
from benchmarks.timing import cuda_median_seconds
from lift.tune import VGG16_LAYERS, explore


def baselines(hw: int, cin: int, cout: int, repeat: int = 20) -> dict[str, float]:
    """Median device seconds of cuDNN and of im2col + cuBLAS for one layer (batch 1, pad 1, stride 1)."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    x = torch.randn(1, cin, hw, hw, device="cuda")
    w = torch.randn(cout, cin, 3, 3, device="cuda")

    def cudnn() -> object:
        return torch.nn.functional.conv2d(x, w, padding=1)

    def im2col() -> object:
        cols = torch.nn.functional.unfold(x, 3, padding=1)  # 1 x (cin*9) x (hw*hw)
        return w.view(cout, -1) @ cols[0]

    return {
        name: cuda_median_seconds(fn, repeat=repeat, warmup=5)
        for name, fn in (("cudnn", cudnn), ("im2col_cublas", im2col))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="nvidia")
    parser.add_argument("--layers", nargs="+", default=["conv5_1"], choices=sorted(VGG16_LAYERS))
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    program = examples.load("conv2d").program
    rows = []
    for layer in args.layers:
        hw, cin, cout = VGG16_LAYERS[layer]
        sizes = {"H": hw, "W": hw, "C": cin, "K": cout}
        result = explore(program, sizes, device=args.device, samples=args.samples, rng=np.random.default_rng(1))
        print(f"{layer}: {result.count} valid mappings; sampled:\n{result.table()}", flush=True)
        base = baselines(hw, cin, cout)
        flops = 2 * hw * hw * cin * cout * 9
        best = result.best
        rows.append({
            "layer": layer, "valid_mappings": result.count, "sampled": len(result.trials),
            "lift_s": best.seconds, "lift_mapping": repr(best.mapping), **{f"{k}_s": v for k, v in base.items()},
            "lift_tflops": flops / best.seconds / 1e12, "cudnn_tflops": flops / base["cudnn"] / 1e12,
            "im2col_tflops": flops / base["im2col_cublas"] / 1e12,
        })  # fmt: skip
    print(
        f"\n{'layer':<8} {'mappings':>8} {'lift ms':>9} {'TFLOP/s':>8} {'cuDNN ms':>9} {'TFLOP/s':>8} "
        f"{'im2col ms':>9} {'TFLOP/s':>8} {'lift/cuDNN':>10}"
    )
    for r in rows:
        print(
            f"{r['layer']:<8} {r['valid_mappings']:>8} {r['lift_s'] * 1e3:9.3f} {r['lift_tflops']:8.3f} "
            f"{r['cudnn_s'] * 1e3:9.3f} {r['cudnn_tflops']:8.3f} {r['im2col_cublas_s'] * 1e3:9.3f} "
            f"{r['im2col_tflops']:8.3f} {r['cudnn_s'] / r['lift_s']:10.4f}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
