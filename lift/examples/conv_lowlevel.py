"""A VGG-style 3x3 convolution written at the low level, with the schedule of the tiled matrix multiplication.

Same meaning and layouts as :mod:`lift.examples.conv2d` (stride 1, zero padding 1, no bias): type
``([[[f32]C]W]H, [[[[f32]C]3]3]K) -> [[[f32]K]W]H``, the image HWC, the filters KHWC, the result HWK.

The convolution is a matrix product ``A · B`` with ``M = H * W`` rows (output pixels), ``N = K`` columns (output
channels) and a reduction of depth ``9 * C``: row ``p`` of ``A`` is pixel ``p``'s 3x3 window of the zero-padded
image flattened in the order (window row, window column, channel), and column ``k`` of ``B`` is filter ``k``
flattened in the same order. Neither matrix exists in memory: ``A`` is a view (``pad`` in both spatial
dimensions, ``slide`` in both, ``join``), so a read of ``A[p][r]`` is index arithmetic on the image with a bounds
test for the padding (no im2col buffer), and ``B`` is the weights array read as it is.

The schedule is :func:`lift.examples.matmul_blocked.work_group_tiled`'s:

* a work-group computes a tile of ``tile_height x tile_width`` pixels (a rectangle of the image, taken as
  ``tile_pixels = tile_height * tile_width`` rows of ``A``) x ``tile_channels`` output channels with
  ``(tile_pixels / rows) x (tile_channels / cols)`` threads (``map_wrg`` over both, ``map_lcl`` inside);
* the reduction runs over slices of ``tile_depth`` (``tile_depth`` divides ``C``: a slice is a chunk of channels at
  one position of the 3x3 window; the ``9 * C / tile_depth`` slices cover the whole window): for each, the
  work-group copies its windows' slice (``tile_pixels x tile_depth``) and its filters' slice
  (``tile_channels x tile_depth``) cooperatively to local memory, each thread copying elements a work-group apart
  in the order they lie in global memory (consecutive threads, consecutive channels: coalesced reads). The
  window tile keeps that layout (a warp's threads read it a whole row apart, mostly the same word: broadcast);
  the filter tile is written transposed (``filters_transposed``, through a ``transpose`` after the copy), so that
  the threads of a warp read consecutive words of it, at the price of conflicting stores once per slice;
* each thread keeps a ``rows x cols`` block of sums in private memory from start to end
  (``value(0.0, …) >> map_lcl(map_lcl(to_private(map_seq(map_seq(id)))))``), updated in place by a ``reduce_seq``
  over the slice with :func:`~lift.examples.matmul_blocked.outer_product_update`;
* a thread's pixels and output channels are a work-group apart (``reorder_stride``: thread ``t`` takes columns
  ``t``, ``t + threads``, …), so that a warp reads neighbouring words of the local tiles, not words in one bank;
  ``interleaved=False`` makes them adjacent instead;
* the blocks are copied out of private memory and written through the untiling views (``join``,
  ``transpose``, ``reorder_stride`` written through, and ``split(W)`` back to rows of the image): no temporary.

The analysis places the two barriers (tiles copied → products; products → the next slice's copies).

Why rectangles of pixels rather than runs of ``tile_pixels`` consecutive pixels of ``H * W``: a run that crosses
rows of the image makes the result's write index ``K*W*(p // W) + K*(p % W)`` for a pixel ``p``, which the index
simplifier leaves as it is, and Z3 may then not prove within its time limit that no two threads write the same
element (the compile is refused). With rectangles, the divisions are by the constant ``tile_width`` of in-tile
positions and by ``W / tile_width`` of work-group numbers, which it proves at once.
"""

import numpy as np

from lift import Array, f32, fun, size
from lift.dsl import (
    get,
    id,
    join,
    map,
    map_glb,
    map_lcl,
    map_seq,
    map_wrg,
    pad,
    reduce_seq,
    slide,
    to_private,
    transpose,
    value,
    zip,
)
from lift.dsl import split as split_by
from lift.dsl.ir import Expr, Fun, FunDecl, as_fundecl
from lift.dsl.prelude import add
from lift.errors import LiftValueError
from lift.examples import conv2d, demo
from lift.examples.matmul_blocked import copied_to_local, register_block_products, reordered, threads_per_tile

H = size("H")
W = size("W")
C = size("C")
K = size("K")


def work_group_tiled(
    tile_height: int = 4,
    tile_width: int = 8,
    tile_channels: int = 32,
    tile_depth: int = 8,
    rows: int = 4,
    cols: int = 4,
    *,
    interleaved: bool = True,
    filters_transposed: bool = True,
    split: int = 1,
) -> Fun:
    """The convolution with work-group tiles of ``tile_height x tile_width`` pixels by ``tile_channels`` output
    channels, reduction slices of ``tile_depth`` input channels and ``rows x cols`` register blocks per thread.

    The sizes must fit: ``tile_height`` divides ``H``, ``tile_width`` ``W``, ``tile_channels`` ``K`` and
    ``tile_depth`` ``C``; ``rows`` divides ``tile_height * tile_width`` and ``cols`` ``tile_channels``; the
    work-group's threads (``tile_height * tile_width / rows * tile_channels / cols``) divide both tiles' sizes
    (``tile_height * tile_width * tile_depth`` and ``tile_channels * tile_depth``), since each thread copies the same
    number of elements. ``interleaved``: a thread's pixels and channels a work-group apart (else adjacent);
    ``filters_transposed``: the local filter tile stored one slice position per row (else one filter per row).

    ``split`` > 1 splits the reduction (split-K): its ``9 * C`` terms are cut into ``split`` parts
    (``tile_depth`` must divide ``9 * C / split``), a third dimension of work-groups (``map_wrg(dim=2)``) computes
    each part's partial sums of the whole result, and a second kernel adds them, one thread an output element.
    Small layers (few pixels, many channels) then have enough work-groups to fill the device; the mapping model
    cuts the program between the two (the sums read what other work-groups wrote)."""
    if not isinstance(split, int) or isinstance(split, bool) or split < 1:
        raise LiftValueError(f"conv_lowlevel.work_group_tiled: split must be a positive int, found {split!r}")

    tile_pixels = tile_height * tile_width
    restore_rows = reordered(tile_pixels // rows, interleaved)
    restore_cols = reordered(tile_channels // cols, interleaved)
    threads_1, threads_0 = threads_per_tile(
        tile_pixels, tile_channels, tile_depth, rows, cols, "conv_lowlevel.work_group_tiled"
    )
    blocks = Array[Array[Array[Array[f32, cols], rows], threads_0], threads_1]

    def per_thread(f: FunDecl) -> FunDecl:
        return map_lcl(map_lcl(f, dim=0), dim=1)

    def copied(tile: Expr, transposed: bool) -> Expr:
        """A tile of rows of ``tile_depth`` in local memory, its rows made columns when ``transposed``."""
        layout = (lambda x: x >> transpose) if transposed else None
        return tile >> copied_to_local(tile_depth, threads_1, threads_0, then=layout)

    def filters_of(filter_tile: Expr) -> Expr:
        """The local filter tile as rows of ``tile_depth`` (one per filter), whichever its layout."""
        return filter_tile >> transpose if filters_transposed else filter_tile

    def k_slice(block_sums: Expr, tiles: Expr) -> Expr:
        # the tiles are copied once, before the threads use them: a lambda applied to the copies (a let)
        step = as_fundecl(
            lambda window_tile, filter_tile: register_block_products(
                block_sums, window_tile, filters_of(filter_tile), rows=rows, cols=cols, interleaved=interleaved
            ),
            "k_slice",
        )
        return step(copied(tiles[0], False), copied(tiles[1], filters_transposed))

    @fun
    def conv3x3_tiled(
        img: Array[Array[Array[f32, C], W], H],
        weights: Array[Array[Array[Array[f32, C], 3], 3], K],
    ) -> Expr:
        padded = img >> map(pad(1, 1, 0.0)) >> pad(1, 1, 0.0)
        windows = padded >> slide(3, 1) >> map(lambda band: band >> map(slide(3, 1)) >> transpose)
        flat_windows = windows >> map(map(lambda window: window >> join >> join))  # [[[f32]9*C]W]H: im2col, a view
        # tiles of tile_height x tile_width pixels, each as rows of A: [[[f32]9*C]tile_pixels](H*W/tile_pixels)
        window_tiles = (
            flat_windows
            >> split_by(tile_height)
            >> map(lambda band: band >> map(split_by(tile_width)) >> transpose >> map(join))
            >> join
        )
        filters = weights >> map(lambda f: f >> join >> join)  # [[f32]9*C]K
        zero = value(0.0, blocks) >> per_thread(to_private(map_seq(map_seq(id))))

        def tile(window_rows: Expr, filter_rows: Expr) -> Expr:
            return restore_rows(
                zip(
                    window_rows >> map(split_by(tile_depth)) >> transpose,
                    filter_rows >> map(split_by(tile_depth)) >> transpose,
                )
                >> reduce_seq(k_slice, zero)
                >> join
                >> per_thread(map_seq(map_seq(id)))
                >> map_seq(transpose >> map_seq(lambda row: restore_cols(row >> join)))
                >> join
            )

        def convolved(window_tiles: Expr, filters: Expr) -> Expr:
            """The (partial) sums of every output element over the reduction the rows of ``window_tiles`` and
            ``filters`` hold: ``[[[f32]K]W]H``."""
            filter_blocks = filters >> split_by(tile_channels)  # [[[f32]depth]tile_channels]K/tile_channels
            return (
                window_tiles
                >> map_wrg(
                    lambda window_rows: (
                        filter_blocks
                        >> map_wrg(lambda filter_rows: tile(window_rows, filter_rows), dim=0)
                        >> transpose
                        >> map_seq(join)
                    ),
                    dim=1,
                )
                >> map(split_by(tile_width))  # back from tiles to rows of the image: [[[[f32]K]tile_width]tile_height]…
                >> split_by(W // tile_width)
                >> map(lambda band: band >> transpose >> map(join))
                >> join
            )

        if split == 1:
            return convolved(window_tiles, filters)

        def parts(rows: Expr) -> Expr:
            """``[[f32]9*C]n`` as ``split`` parts of the reduction: ``[[[f32]9*C/split]n]split``."""
            return rows >> map(split_by(9 * C // split)) >> transpose

        window_parts = window_tiles >> map(parts) >> transpose  # [[[[f32]9*C/split]tile_pixels]tiles]split
        # a work-group a part in dimension 2, of one thread in that dimension (map_wrg with map_lcl, as in Lift)
        partial_sums = (
            zip(window_parts, filters >> parts)
            >> split_by(1)
            >> map_wrg(map_lcl(lambda part: convolved(get(part, 0), get(part, 1)), dim=2), dim=2)
            >> join
        )  # [[[[f32]K]W]H]split
        by_element = partial_sums >> transpose >> map(transpose) >> map(map(transpose))  # [[[[f32]split]K]W]H
        return by_element >> map_glb(
            lambda row: row >> join >> map_glb(reduce_seq(add, 0.0), dim=0) >> join >> split_by(K), dim=1
        )

    return conv3x3_tiled


program = work_group_tiled()
sizes: dict[str, int] = {"H": 56, "W": 56, "C": 128, "K": 256}  # VGG-16 conv3_1
test_sizes: dict[str, int] = {"H": 8, "W": 8, "C": 8, "K": 32}


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A random ``H x W x C`` image and ``K`` random ``3 x 3 x C`` filters (as :mod:`lift.examples.conv2d`)."""
    return conv2d.inputs(sizes, rng)


def reference(img: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The convolution in float64, shape ``(H, W, K)`` (:func:`lift.examples.conv2d.reference`)."""
    return conv2d.reference(img, weights)


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
