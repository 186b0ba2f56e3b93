"""Softmax of each row: ``exp(x - max(row)) / sum(exp(x - max(row)))``.

Type ``[[f32]M]N -> [[f32]M]N``. A row's statistics are a pair ``(m, s)``: its maximum and the sum of
``exp(x - m)``. Two pairs combine as ``(m, s) ⊕ (m', s') = (M, s·exp(m − M) + s'·exp(m' − M))`` with
``M = max(m, m')`` — associative and commutative, with neutral element ``(−∞, 0)`` (the "online softmax"), so a
row's statistics are a ``reduce`` of its elements' pairs ``(x, 1)``, which the threads of a work-group may share:

1. each row's statistics: ``map(stat_of) >> reduce(combine, NEUTRAL)``;
2. each element normalised, ``exp(x − m) / s``.

The mapping model decides how: by default a work-group a row, its threads sharing the reduction (``lcl0``, the
map of pairs fused into it) and then normalising the row, in one kernel (the statistics of row ``r`` are written
and read by work-group ``r`` only); with other mappings, a cut between the two steps. Run it with
``python -m lift.examples.softmax [N=... M=...]``.
"""

import math

import numpy as np

from lift import Array, Tuple, f32, fun, size, userfun
from lift.dsl import get, join, map, reduce, zip
from lift.dsl.ir import Expr
from lift.examples import demo, uniform

N = size("N")
M = size("M")

NEUTRAL = (-math.inf, 0.0)
"""The statistics of an empty row."""


@userfun
def stat_of(x: f32) -> Tuple[f32, f32]:
    """The statistics of one element: ``(x, 1)``."""
    return (x, 1.0)


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
    stats = x >> map(lambda row: row >> map(stat_of) >> reduce(combine, NEUTRAL)) >> join
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
