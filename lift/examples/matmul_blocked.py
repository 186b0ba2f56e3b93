"""Register-blocked matrix multiplication, written at the low level as Lift's own fast kernels are.

Type ``([[f32]K]M, [[f32]N]K) -> [[f32]N]M``, the same meaning as :mod:`lift.examples.matmul`. Each thread
computes a ``ROWS x COLS`` block of ``C``: ``A`` is split into blocks of rows, ``B``'s columns into blocks of
columns, and the pair of blocks is zipped along ``K`` (``A``'s block transposed gives, for every ``k``, the block's
``ROWS`` values of column ``k``; ``B``'s block the ``COLS`` values of row ``k``). A ``reduce_seq`` over ``k`` keeps the
block of sums in an array accumulator (``value(0.0, …)``: it starts at zero) and adds the outer product of the two
vectors to it at every step. The backend keeps the accumulator in private memory and updates it in place (no
copy per step), and the blocks are written straight into ``C`` through the untiling views
(``join``, ``transpose``, ``map(join)``): no temporary. Run it with
``python -m lift.examples.matmul_blocked [M=...] [K=...] [N=...]``.
"""

from collections.abc import Callable

from lift import Array, f32, fun, size
from lift.dsl import (
    id,
    join,
    map,
    map_glb,
    map_lcl,
    map_seq,
    map_wrg,
    reduce_seq,
    reorder_stride,
    split,
    to_local,
    to_private,
    transpose,
    value,
    zip,
)
from lift.dsl.ir import Expr, Fun, FunDecl, as_fundecl
from lift.dsl.prelude import mult_add
from lift.errors import LiftValueError
from lift.examples import demo
from lift.examples.matmul import inputs as inputs  # the same meaning as matmul: its inputs and reference
from lift.examples.matmul import reference as reference

M = size("M")
K = size("K")
N = size("N")


def outer_product_update(block: Expr, column_and_row: Expr) -> Expr:
    """``block + a ⊗ b`` for a ``rows x cols`` block and the pair ``(a, b)`` of a column of ``A``'s rows and a row of
    ``B``'s columns: every element ``block[i][j] + a[i] * b[j]``."""
    a, b = column_and_row[0], column_and_row[1]
    return zip(block, a) >> map_seq(
        lambda block_row_and_a: (
            zip(block_row_and_a[0], b) >> map_seq(lambda c_and_b: mult_add(c_and_b[0], block_row_and_a[1], c_and_b[1]))
        )
    )


def register_blocked(rows: int = 4, cols: int = 4) -> Fun:
    """The program with ``rows x cols`` blocks per thread (``M`` a multiple of ``rows``, ``N`` of ``cols``)."""

    @fun
    def matmul_blocked(A: Array[Array[f32, K], M], B: Array[Array[f32, N], K]) -> Expr:
        zero_block = value(0.0, Array[Array[f32, cols], rows])
        column_blocks = B >> transpose >> split(cols)  # [[[f32]K]cols]N/cols

        def block_row(row_block: Expr) -> Expr:
            return (
                column_blocks
                >> map_glb(
                    lambda column_block: (
                        zip(row_block >> transpose, column_block >> transpose)
                        >> reduce_seq(outer_product_update, zero_block)
                        >> join
                    ),
                    dim=0,
                )
                >> transpose
                >> map_seq(join)
            )

        return A >> split(rows) >> map_glb(block_row, dim=1) >> join

    return matmul_blocked


def reordered(s: int, interleaved: bool) -> Callable[[Expr], Expr]:
    """``reorder_stride(s)`` when ``interleaved``, else nothing: how a thread's rows (or columns) are picked from a
    tile — a work-group apart, or adjacent — and put back in order."""
    return (lambda x: x >> reorder_stride(s)) if interleaved else (lambda x: x)


def register_block_products(
    block_sums: Expr, a_rows: Expr, b_columns: Expr, *, rows: int, cols: int, interleaved: bool
) -> Expr:
    """Every thread's ``rows x cols`` block of sums plus the products of its rows of ``a_rows`` (a local tile of
    ``A``, a row per output row) and its columns of ``b_columns`` (a tile of ``B``, a row per output column): the
    work of one reduction slice, a thread per block (``map_lcl`` in dimensions 1 and 0). With ``interleaved``, a
    thread's rows and columns are a work-group apart (:func:`reordered`), so that a warp reads neighbouring words."""
    return zip(block_sums, reordered(rows, interleaved)(a_rows) >> split(rows)) >> map_lcl(
        lambda sums_and_rows: (
            zip(sums_and_rows[0], reordered(cols, interleaved)(b_columns) >> split(cols))
            >> map_lcl(
                lambda sums_and_cols: (
                    zip(sums_and_rows[1] >> transpose, sums_and_cols[1] >> transpose)
                    >> reduce_seq(outer_product_update, sums_and_cols[0])
                    >> join
                ),
                dim=0,
            )
        ),
        dim=1,
    )


def copied_to_local(
    width: int, threads_1: int, threads_0: int, *, then: Callable[[Expr], Expr] | None = None
) -> FunDecl:
    """A tile of rows of ``width`` copied to local memory by a work-group of ``threads_1 x threads_0`` threads:
    flattened, dealt out a work-group at a time (element ``j * threads + t`` to thread ``t``: consecutive threads,
    consecutive addresses) and written back in place through the same views, then laid out by ``then`` (written
    through too)."""
    threads = threads_1 * threads_0
    layout = then if then is not None else (lambda x: x)
    return to_local(
        as_fundecl(
            lambda tile: layout(
                tile
                >> join
                >> split(threads)
                >> transpose
                >> split(threads_0)
                >> map_lcl(map_lcl(map_seq(id), dim=0), dim=1)
                >> join
                >> transpose
                >> join
                >> split(width)
            ),
            "copy",
        )
    )


def threads_per_tile(
    tile_rows: int, tile_cols: int, tile_depth: int, rows: int, cols: int, where: str
) -> tuple[int, int]:
    """The work-group's ``(threads_1, threads_0)`` for tiles of ``tile_rows x tile_cols`` outputs computed in
    ``rows x cols`` blocks, reduction slices of ``tile_depth``; a :class:`~lift.errors.LiftValueError` naming the
    parameters when the blocks do not divide the tile, or the threads cannot share the copies of the input tiles
    (``tile_rows x tile_depth`` and ``tile_depth x tile_cols`` elements) equally."""
    sizes = {"tile rows": tile_rows, "tile columns": tile_cols, "tile depth": tile_depth, "rows": rows, "cols": cols}
    bad = [f"{name} = {n}" for name, n in sizes.items() if isinstance(n, bool) or not isinstance(n, int) or n < 1]
    if bad:
        raise LiftValueError(f"{where}: {', '.join(bad)}: every tile and block size is a positive int")
    if tile_rows % rows or tile_cols % cols:
        raise LiftValueError(
            f"{where}: blocks of {rows} x {cols} do not divide the tile of {tile_rows} x {tile_cols}; choose block "
            "sizes that divide the tile's"
        )
    threads = (tile_rows // rows) * (tile_cols // cols)
    if (tile_rows * tile_depth) % threads or (tile_depth * tile_cols) % threads:
        raise LiftValueError(
            f"{where}: the {threads} threads of a work-group cannot share the copies of the input tiles "
            f"({tile_rows} x {tile_depth} and {tile_depth} x {tile_cols} elements) equally; choose a tile depth "
            f"that makes both a multiple of {threads}"
        )
    return tile_rows // rows, tile_cols // cols


def work_group_tiled(
    tile_rows: int = 8,
    tile_cols: int = 8,
    tile_depth: int = 4,
    rows: int = 2,
    cols: int = 2,
    *,
    interleaved: bool = True,
) -> Fun:
    """Lift's tiled and register-blocked matrix multiplication: a work-group computes a ``tile_rows x tile_cols``
    tile of ``C`` with ``(tile_rows / rows) x (tile_cols / cols)`` threads, each a ``rows x cols`` block of it. For
    every slice of ``tile_depth`` along ``K`` the work-group copies the tiles of ``A`` (``tile_rows x tile_depth``)
    and ``B`` (``tile_depth x tile_cols``), in their own row-major layouts, to local memory, every thread copying
    elements a work-group apart (consecutive threads, consecutive addresses); then each thread adds the products of
    its rows and columns of them to its block, which lives in its private memory from the start
    (``value(0.0, …) >> map_lcl(map_lcl(to_private(…)))``) to the end (copied out by ``map_lcl(map_lcl(…))`` and
    written through the untiling views). The barriers between the copies and the products, and before the next
    slice overwrites the tiles, are placed by the analysis.

    ``interleaved``: a thread's rows and columns are a work-group apart (thread ``t`` takes columns ``t``,
    ``t + threads``, …: ``reorder_stride``), so that the threads of a warp read neighbouring words of the local
    tiles rather than words ``cols`` apart in one memory bank; the untiling views put the elements back in
    order (``reorder_stride`` again, written through). Otherwise each thread's rows and columns are adjacent."""

    restore_rows = reordered(tile_rows // rows, interleaved)
    restore_cols = reordered(tile_cols // cols, interleaved)
    threads_1, threads_0 = threads_per_tile(tile_rows, tile_cols, tile_depth, rows, cols, "work_group_tiled")
    blocks = Array[Array[Array[Array[f32, cols], rows], threads_0], threads_1]

    def per_thread(f: FunDecl) -> FunDecl:
        return map_lcl(map_lcl(f, dim=0), dim=1)

    def k_slice(block_sums: Expr, tiles: Expr) -> Expr:
        # the tiles are copied once, before the threads use them: a lambda applied to the copies (a let)
        step = as_fundecl(
            lambda a_tile, b_tile: register_block_products(
                block_sums, a_tile, b_tile >> transpose, rows=rows, cols=cols, interleaved=interleaved
            ),
            "k_slice",
        )
        return step(
            tiles[0] >> copied_to_local(tile_depth, threads_1, threads_0),
            tiles[1] >> copied_to_local(tile_cols, threads_1, threads_0),
        )

    @fun
    def matmul_tiled(A: Array[Array[f32, K], M], B: Array[Array[f32, N], K]) -> Expr:
        zero = value(0.0, blocks) >> per_thread(to_private(map_seq(map_seq(id))))

        def tile(a_rows: Expr, b_columns: Expr) -> Expr:
            return restore_rows(
                zip(a_rows >> map(split(tile_depth)) >> transpose, b_columns >> split(tile_depth))
                >> reduce_seq(k_slice, zero)
                >> join
                >> per_thread(map_seq(map_seq(id)))
                >> map_seq(transpose >> map_seq(lambda row: restore_cols(row >> join)))
                >> join
            )

        column_blocks = B >> map(split(tile_cols)) >> transpose  # [[[f32]tile_cols]K]N/tile_cols
        return (
            A
            >> split(tile_rows)
            >> map_wrg(
                lambda a_rows: (
                    column_blocks
                    >> map_wrg(lambda b_columns: tile(a_rows, b_columns), dim=0)
                    >> transpose
                    >> map_seq(join)
                ),
                dim=1,
            )
            >> join
        )

    return matmul_tiled


program = register_blocked()
sizes: dict[str, int] = {"M": 512, "K": 512, "N": 512}
test_sizes: dict[str, int] = {"M": 16, "K": 12, "N": 24}


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
