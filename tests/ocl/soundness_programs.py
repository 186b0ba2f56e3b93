"""Programs written from published benchmark definitions whose accepted mappings once computed wrong answers:
each reads a map-produced intermediate through ``slide``/``transpose``/``pad`` in a later map, so a producer
and its consumer may sit in different work-groups (see issue 8)."""

from __future__ import annotations

from lift import Array, f32, fun, size, userfun
from lift.dsl import (
    get,
    id,
    iterate,
    join,
    map,
    map_lcl,
    map_seq,
    map_wrg,
    pad,
    reduce,
    reduce_seq,
    slide,
    split,
    to_global,
    to_private,
    transpose,
    zip,
)
from lift.dsl.ir import Expr
from lift.dsl.prelude import add, mult

__all__ = ["PROGRAMS", "bicg", "fdtd_2d_step", "jacobi_1d_steps", "jacobi_2d_two_steps", "rows_then_down"]

H = size("H")
W = size("W")
N = size("N")


@userfun
def neg(x: f32) -> f32:
    return -x


@userfun
def rsub(acc: f32, x: f32) -> f32:
    """Folded over ``[a, b]`` from 0: ``b - a``."""
    return x - acc


@userfun
def relax_e(e: f32, d: f32) -> f32:
    return e - 0.5 * d


@userfun
def relax_h(h: f32, dx: f32, dy: f32) -> f32:
    return h - 0.7 * (dx + dy)


@userfun
def third(x: f32) -> f32:
    return x * 0.33333334


@fun
def rows_then_down(x: Array[Array[f32, W], H]) -> Expr:
    """The issue's minimal case: an intermediate written row by row, read two rows at a time down the columns."""
    y = x >> map(map(neg))
    return y >> slide(2, 1) >> map(lambda rows: rows >> transpose >> map(reduce(add, 0.0)) >> join)


def _down(a: Expr, left: int, right: int) -> Expr:
    """``a[i+right][j] - a[i-left][j]`` row by row (edges repeated)."""
    return (
        a
        >> pad(left, right, "clamp")
        >> slide(2, 1)
        >> map(lambda w: w >> transpose >> map(reduce_seq(rsub, 0.0)) >> join)
    )


def _across(a: Expr, left: int, right: int) -> Expr:
    """``a[i][j+right] - a[i][j-left]`` (edges repeated)."""
    return a >> map(lambda row: row >> pad(left, right, "clamp") >> slide(2, 1) >> map(reduce_seq(rsub, 0.0)) >> join)


@fun
def fdtd_2d_step(ex: Array[Array[f32, W], H], ey: Array[Array[f32, W], H], hz: Array[Array[f32, W], H]) -> Expr:
    """One time step of PolyBench's fdtd-2d (edges repeated instead of the fictitious source row): ``ey`` and
    ``ex`` relaxed by backward differences of ``hz``, then ``hz`` by forward differences of the new fields."""
    ey1 = zip(ey, _down(hz, 1, 0)) >> map(lambda p: zip(get(p, 0), get(p, 1)) >> map(relax_e))
    ex1 = zip(ex, _across(hz, 1, 0)) >> map(lambda p: zip(get(p, 0), get(p, 1)) >> map(relax_e))
    dx = _across(ex1, 0, 1)
    dy = _down(ey1, 0, 1)
    return zip(hz, dx, dy) >> map(lambda p: zip(get(p, 0), get(p, 1), get(p, 2)) >> map(relax_h))


def _jacobi_step(a: Expr, weights: Expr) -> Expr:
    """PolyBench's jacobi-2d update: the five-point cross (weights 0.2 on a 3x3 window, corners 0)."""
    padded = a >> map(pad(1, 1, "clamp")) >> pad(1, 1, "clamp")
    windows = padded >> slide(3, 1) >> map(lambda band: band >> map(slide(3, 1)) >> transpose)
    return windows >> map(
        lambda row: row >> map(lambda w: zip(w >> join, weights) >> map(mult) >> reduce(add, 0.0)) >> join
    )


@fun
def jacobi_2d_two_steps(a: Array[Array[f32, W], H], weights: Array[f32, 9]) -> Expr:
    """Two time steps of jacobi-2d, unrolled by hand: the second reads the first's result across rows."""
    return _jacobi_step(_jacobi_step(a, weights), weights)


@fun
def jacobi_1d_steps(a: Array[f32, N]) -> Expr:
    """Three time steps of a 3-point jacobi-1d with ``iterate`` over a computing function."""

    def step(v: Expr) -> Expr:
        return v >> pad(1, 1, "clamp") >> slide(3, 1) >> map(lambda w: w >> reduce(add, 0.0) >> map(third)) >> join

    return a >> iterate(3, step)


@fun
def bicg(A: Array[Array[f32, N], N], p: Array[f32, N], r: Array[f32, N]) -> Expr:
    """PolyBench's bicg: ``q = A p`` and ``s = Aᵀ r``, returned together as an array of pairs."""
    q = A >> map(lambda row: zip(row, p) >> map(mult) >> reduce(add, 0.0)) >> join
    s = A >> transpose >> map(lambda col: zip(col, r) >> map(mult) >> reduce(add, 0.0)) >> join
    return zip(q, s)


@fun
def rows_halved_twice(x: Array[Array[f32, W], H]) -> Expr:
    """Each row summed in pairs twice with ``iterate`` (the row shrinks at each step): the steps' maps may run on
    their own NDRange dimension, which must be launched for the sizes of every step."""
    return x >> map(lambda r: r >> iterate(2, lambda h: h >> split(2) >> map(reduce(add, 0.0)) >> join))


@fun
def rows_negated_twice(x: Array[Array[f32, W], H]) -> Expr:
    """``iterate`` of a bare map (no lambda around it) inside a map: its map needs a launch dimension too."""
    return x >> map(lambda r: r >> iterate(2, map(neg)))


PROGRAMS = {
    "rows_then_down": (rows_then_down, {"H": 16, "W": 20}),
    "fdtd_2d_step": (fdtd_2d_step, {"H": 6, "W": 5}),
    "jacobi_2d_two_steps": (jacobi_2d_two_steps, {"H": 6, "W": 5}),
    "jacobi_1d_steps": (jacobi_1d_steps, {"N": 12}),
    "bicg": (bicg, {"N": 8}),
    "rows_halved_twice": (rows_halved_twice, {"H": 3, "W": 8}),
    "rows_negated_twice": (rows_negated_twice, {"H": 3, "W": 4}),
}
"""Each program with small sizes."""


@userfun
def plus_one(x: f32) -> f32:
    return x + 1.0


@fun
def private_rows_read_by_columns(x: Array[Array[Array[f32, 4], 4], N]) -> Expr:
    """Hand-lowered: each thread keeps a row in private memory, then threads read columns — elements another
    thread wrote into its own private memory. The backend must refuse it (private-is-one-thread)."""
    return x >> map_wrg(
        lambda tile: tile >> map_lcl(to_private(map_seq(plus_one))) >> transpose >> map_lcl(to_global(map_seq(id)))
    )


@fun
def private_rows_read_by_rows(x: Array[Array[Array[f32, 4], 4], N]) -> Expr:
    """Hand-lowered, valid: each thread reads back the private row it wrote (two map_lcl, Lift's
    privateGlobalMemory2 shape)."""
    return x >> map_wrg(lambda tile: tile >> map_lcl(to_private(map_seq(plus_one))) >> map_lcl(to_global(map_seq(id))))
