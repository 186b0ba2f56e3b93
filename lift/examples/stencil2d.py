"""A 3x3 box blur: every pixel becomes the mean of its 3x3 neighbourhood, edges repeated.

Type ``[[f32]W]H -> [[f32]W]H``. Both dimensions are padded with ``"clamp"`` (each row with
``map(pad(1, 1, "clamp"))``, then the rows themselves with ``pad(1, 1, "clamp")``) to ``[[f32]W+2]H+2``;
``slide(3, 1)`` in both dimensions (rows of windows, then a ``transpose`` per band of 3 rows) gives a
``[[f32]3]3`` window per pixel, ``[[[[f32]3]3]W]H``. Each window is flattened, summed and scaled by the user
function ``ninth``. Run it with ``python -m lift.examples.stencil2d [H=...] [W=...]``.
"""

import numpy as np

import lift
from lift import Array, f32, fun, size, userfun
from lift.dsl import join, map, pad, reduce, slide, transpose
from lift.dsl.ir import Expr
from lift.dsl.prelude import add
from lift.examples import demo, uniform

H = size("H")
W = size("W")


@userfun
def ninth(x: f32) -> f32:
    return x / 9.0


@fun
def box_blur(img: Array[Array[f32, W], H]) -> Expr:
    padded = img >> map(pad(1, 1, "clamp")) >> pad(1, 1, "clamp")
    windows = padded >> slide(3, 1) >> map(lambda band: band >> map(slide(3, 1)) >> transpose)

    def mean(w: Expr) -> Expr:
        """One window [[f32]3]3 -> its mean, [f32]1."""
        return w >> join >> reduce(add, 0.0) >> map(ninth)

    return windows >> map(lambda row: row >> map(mean) >> join)


program = box_blur
sizes: dict[str, int] = {"H": 2048, "W": 2048}
test_sizes: dict[str, int] = {"H": 17, "W": 23}
# The mapping the main job compiles with: one thread per output pixel.
mapping = lift.Mapping({"map0": "glb1", "map1": "glb0", "map2": "seq"})


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A random ``H x W`` image."""
    return (uniform(rng, sizes["H"], sizes["W"]),)


def reference(img: np.ndarray) -> np.ndarray:
    """The blurred image in float64, shape ``(H, W)``."""
    padded = np.pad(img.astype(np.float64), 1, mode="edge")
    h, w = img.shape
    total = np.zeros((h, w))
    for i in range(3):
        for j in range(3):
            total += padded[i : i + h, j : j + w]
    return total / 9.0


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
