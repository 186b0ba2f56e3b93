"""A weighted 3-point stencil: ``y[i] = w[0] * x[i-1] + w[1] * x[i] + w[2] * x[i+1]``.

Type ``([f32]N, [f32]3) -> [f32]N``. The input is padded by one element on each side (``[f32]N+2``), cut into
overlapping windows of 3 (``slide(3, 1)`` : ``[[f32]3]N``) and every window is multiplied element-wise by the
weights and summed. ``program`` (``stencil1d_clamp``) repeats the edge element at the borders
(``pad(1, 1, "clamp")``); ``stencil1d_zero`` pads with zeros (``pad(1, 1, 0.0)``) and is checked against
``reference_zero``. Run it with ``python -m lift.examples.stencil1d [N=...]``.
"""

from typing import Literal

import numpy as np

import lift
from lift import Array, f32, fun, size
from lift.dsl import join, map, pad, reduce, slide, zip
from lift.dsl.ir import Expr
from lift.dsl.prelude import add, mult
from lift.examples import demo, uniform

N = size("N")


def weighted3(x: Expr, weights: Expr, boundary: float | Literal["clamp"]) -> Expr:
    """The stencil as a DSL expression: a Python function that builds part of a program."""
    windows = x >> pad(1, 1, boundary) >> slide(3, 1)
    return windows >> map(lambda w: zip(w, weights) >> map(mult) >> reduce(add, 0.0)) >> join


@fun
def stencil1d_clamp(x: Array[f32, N], weights: Array[f32, 3]) -> Expr:
    return weighted3(x, weights, "clamp")


@fun
def stencil1d_zero(x: Array[f32, N], weights: Array[f32, 3]) -> Expr:
    return weighted3(x, weights, 0.0)


program = stencil1d_clamp
sizes: dict[str, int] = {"N": 1 << 22}
test_sizes: dict[str, int] = {"N": 100}
# The mapping the main job compiles with: one thread per output element.
mapping = lift.Mapping({"map0": "glb0", "map1": "seq"})


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A random vector of ``N`` floats and 3 random weights."""
    return uniform(rng, sizes["N"]), uniform(rng, 3)


def _reference(x: np.ndarray, weights: np.ndarray, mode: Literal["edge", "constant"]) -> np.ndarray:
    padded = np.pad(x.astype(np.float64), 1, mode=mode)
    w = weights.astype(np.float64)
    return w[0] * padded[:-2] + w[1] * padded[1:-1] + w[2] * padded[2:]


def reference(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The clamped stencil in float64, shape ``(N,)``."""
    return _reference(x, weights, "edge")


def reference_zero(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The zero-padded stencil (``stencil1d_zero``) in float64, shape ``(N,)``."""
    return _reference(x, weights, "constant")


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
