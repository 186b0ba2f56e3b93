"""Matrix-vector product: ``y[i] = sum_j A[i][j] * x[j]``.

Type ``([[f32]N]M, [f32]N) -> [f32]M``: every row of ``A`` is zipped with ``x`` and reduced as a dot
product. Each row's ``reduce`` gives a one-element array, so the ``M`` results ``[[f32]1]M`` are flattened
with ``join`` (``1 * M`` simplifies to ``M``). Run it with ``python -m lift.examples.gemv [M=...] [N=...]``.
"""

import numpy as np

import lift
from lift import Array, f32, fun, size
from lift.dsl import join, map, reduce, zip
from lift.dsl.ir import Expr
from lift.dsl.prelude import add, mult
from lift.examples import demo, uniform

M = size("M")
N = size("N")


@fun
def gemv(A: Array[Array[f32, N], M], x: Array[f32, N]) -> Expr:
    return A >> map(lambda row: zip(row, x) >> map(mult) >> reduce(add, 0.0)) >> join


program = gemv
sizes: dict[str, int] = {"M": 4096, "N": 4096}
test_sizes: dict[str, int] = {"M": 48, "N": 40}
# The mapping the main job compiles with: one thread per output row.
mapping = lift.Mapping({"map0": "glb0", "map1": "seq"})


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A random ``M x N`` matrix and a random vector of ``N`` floats."""
    return uniform(rng, sizes["M"], sizes["N"]), uniform(rng, sizes["N"])


def reference(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``A @ x`` in float64, shape ``(M,)``."""
    return A.astype(np.float64) @ x.astype(np.float64)


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
