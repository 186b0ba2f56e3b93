"""A VGG-style 3x3 convolution layer: stride 1, zero padding 1, no bias.

``out[y][x][k] = sum_{i,j,c} img[y+i-1][x+j-1][c] * weights[k][i][j][c]`` (zero outside the image).
Type ``([[[f32]C]W]H, [[[[f32]C]3]3]K) -> [[[f32]K]W]H``: the input is HWC (height, width, channels), the
weights are ``K`` filters of ``3 x 3 x C`` (KHWC) and the output is HWK. The image is zero-padded in both
spatial dimensions, cut into 3x3 windows of ``[[[f32]C]3]3`` by ``slide`` in both dimensions, and each window
is flattened (``join >> join``) and dotted with each flattened filter. This is the paper's flagship case; the
demo ``sizes`` are VGG-16's layers conv3_2 and conv3_3 (56 x 56 pixels, 256 channels in and out).
Run it with ``python -m lift.examples.conv2d [H=...] [W=...] [C=...] [K=...]``.
"""

import numpy as np

import lift
from lift import Array, f32, fun, size
from lift.dsl import get, join, map, pad, reduce, slide, split, transpose, zip
from lift.dsl.ir import Expr, Fun
from lift.dsl.prelude import add, mult
from lift.examples import demo, uniform

H = size("H")
W = size("W")
C = size("C")
K = size("K")


def convolution(img: Expr, weights: Expr) -> Expr:
    """The 3x3 convolution of an ``[[[f32]c]w]h`` image with ``[[[[f32]c]3]3]k`` weights: ``[[[f32]k]w]h``."""
    padded = img >> map(pad(1, 1, 0.0)) >> pad(1, 1, 0.0)
    windows = padded >> slide(3, 1) >> map(lambda band: band >> map(slide(3, 1)) >> transpose)
    filters = weights >> map(lambda k: k >> join >> join)  # [[f32]9*C]K: each filter flattened

    def pixel(win: Expr) -> Expr:
        """One output pixel: the flattened 3x3xC window dotted with each of the K filters."""
        return filters >> map(lambda f: zip(win >> join >> join, f) >> map(mult) >> reduce(add, 0.0)) >> join

    return windows >> map(map(pixel))


@fun
def conv3x3(
    img: Array[Array[Array[f32, C], W], H],
    weights: Array[Array[Array[Array[f32, C], 3], 3], K],
) -> Expr:
    return convolution(img, weights)


def split_k(slices: int) -> Fun:
    """The convolution with its channel sum split in ``slices`` parts (split-K): the image's and the filters'
    channels are cut into ``slices`` slices of ``C / slices``, each slice convolved on its own (a partial sum per
    output element and slice), and the partial sums added. The slices' convolutions spread the work of a layer
    with few pixels over more threads; the model cuts the program before the sum, which reads partial sums other
    work-groups wrote (``k.kernels``: the partial sums, then the result)."""
    if not isinstance(slices, int) or isinstance(slices, bool) or slices < 1:
        raise lift.LiftValueError(f"split_k: slices must be a positive int, found {slices!r}")

    @fun
    def conv3x3_split_k(
        img: Array[Array[Array[f32, C], W], H],
        weights: Array[Array[Array[Array[f32, C], 3], 3], K],
    ) -> Expr:
        depth = C // slices
        # [[[[f32]C/S]W]H]S and [[[[[f32]C/S]3]3]K]S: the slice axis moved outermost
        img_slices = img >> map(map(split(depth))) >> map(transpose) >> transpose
        weight_slices = weights >> map(map(map(split(depth)))) >> map(map(transpose)) >> map(transpose) >> transpose
        partial = zip(img_slices, weight_slices) >> map(lambda p: convolution(get(p, 0), get(p, 1)))  # [S][H][W][K]
        by_pixel = partial >> transpose >> map(transpose) >> map(map(transpose))  # [H][W][K][S]
        return by_pixel >> map(map(lambda pixel: pixel >> map(reduce(add, 0.0)) >> join))

    return conv3x3_split_k


program = conv3x3
sizes: dict[str, int] = {"H": 56, "W": 56, "C": 256, "K": 256}  # VGG-16 conv3_2 and conv3_3
test_sizes: dict[str, int] = {"H": 6, "W": 5, "C": 4, "K": 3}
# The mapping the main job compiles with: one thread per output pixel.
mapping = lift.Mapping({"map0": "glb1", "map1": "glb0", "map2": "seq", "map3": "seq"})


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A random ``H x W x C`` image and ``K`` random ``3 x 3 x C`` filters."""
    h, w, c, k = sizes["H"], sizes["W"], sizes["C"], sizes["K"]
    return uniform(rng, h, w, c), uniform(rng, k, 3, 3, c)


def reference(img: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The convolution in float64 (one matrix product over all 3x3 windows), shape ``(H, W, K)``."""
    padded = np.pad(img.astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(0, 1))  # H, W, C, 3, 3
    return np.tensordot(windows, weights.astype(np.float64), axes=([3, 4, 2], [1, 2, 3]))


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
