"""Dot product: ``sum(x[i] * y[i])``.

Type ``([f32]N, [f32]N) -> [f32]1``: the two vectors are zipped into pairs, each pair is multiplied
(``map(mult)``) and the products are summed (``reduce(add, 0.0)``). A ``reduce`` keeps a leading axis of
one element, so the result is an array of shape ``(1,)``. Run it with ``python -m lift.examples.dot [N=...]``.
"""

import numpy as np

from lift import Array, f32, fun, size
from lift.dsl import map, reduce, zip
from lift.dsl.ir import Expr
from lift.dsl.prelude import add, mult
from lift.examples import demo, uniform

N = size("N")


@fun
def dot(x: Array[f32, N], y: Array[f32, N]) -> Expr:
    return zip(x, y) >> map(mult) >> reduce(add, 0.0)


program = dot
sizes: dict[str, int] = {"N": 1 << 20}
test_sizes: dict[str, int] = {"N": 1000}


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Two random vectors of ``N`` floats."""
    return uniform(rng, sizes["N"]), uniform(rng, sizes["N"])


def reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``[x · y]`` in float64, shape ``(1,)``."""
    return np.array([np.dot(x.astype(np.float64), y.astype(np.float64))])


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
