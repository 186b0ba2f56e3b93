"""Softmax of each row: ``exp(x - max(row)) / sum(exp(x - max(row)))``, as three kernels.

Type ``[[f32]M]N -> [[f32]M]N``. A row's statistics are a pair ``(m, s)``: its maximum and the sum of
``exp(x - m)``. Two pairs combine as ``(m, s) ⊕ (m', s') = (M, s·exp(m − M) + s'·exp(m' − M))`` with
``M = max(m, m')`` — associative and commutative, with neutral element ``(−∞, 0)`` (the "online softmax"), so a
row's statistics can be computed in parts:

1. each row is cut into parts of ``PART`` elements, part ``c`` holding elements ``c, c + M / PART, …``
   (neighbouring parts start at neighbouring elements), and each part's statistics folded;
2. each row's parts combined;
3. each element normalised, ``exp(x − m) / s``.

Threads of step 2 read parts other threads wrote, and threads of step 3 a row's statistics: the mapping model
cuts the program before each (``k.kernels``). Run it with ``python -m lift.examples.softmax [N=... M=...]``.
"""

import math

import numpy as np

from lift import Array, Tuple, f32, fun, size, userfun
from lift.dsl import get, join, map, reduce, reduce_seq, split, transpose, zip
from lift.dsl.ir import Expr
from lift.examples import demo, uniform

N = size("N")
M = size("M")

PART = 64
"""How many elements each part of a row holds (``M`` must be a multiple): a row of ``M`` has ``M / PART`` parts."""

NEUTRAL = (-math.inf, 0.0)
"""The statistics of an empty row."""


@userfun
def fold_in(st: Tuple[f32, f32], x: f32) -> Tuple[f32, f32]:
    """``st ⊕ (x, 1)``: one more element in a part's statistics."""
    m = max(st[0], x)
    return (m, st[1] * math.exp(st[0] - m) + math.exp(x - m))


@userfun
def combine(a: Tuple[f32, f32], b: Tuple[f32, f32]) -> Tuple[f32, f32]:
    """``a ⊕ b``: the statistics of two parts together."""
    m = max(a[0], b[0])
    return (m, a[1] * math.exp(a[0] - m) + b[1] * math.exp(b[0] - m))


@userfun
def normalised(x: f32, st: Tuple[f32, f32]) -> f32:
    return math.exp(x - st[0]) / st[1]


@fun
def softmax(x: Array[Array[f32, M], N]) -> Expr:
    parts = x >> map(lambda row: row >> split(M // PART) >> transpose >> map(reduce_seq(fold_in, NEUTRAL)))
    stats = parts >> map(lambda p: p >> join >> reduce(combine, NEUTRAL)) >> join
    return zip(x, stats) >> map(lambda r: get(r, 0) >> map(lambda v: normalised(v, get(r, 1))))


program = softmax
sizes: dict[str, int] = {"N": 256, "M": 4096}
test_sizes: dict[str, int] = {"N": 8, "M": 256}


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``N`` random rows of ``M`` floats in [-4, 4)."""
    return ((uniform(rng, sizes["N"], sizes["M"]) - np.float32(0.5)) * np.float32(8.0),)


def reference(x: np.ndarray) -> np.ndarray:
    """Each row's softmax in float64."""
    e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
