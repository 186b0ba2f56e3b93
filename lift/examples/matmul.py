"""Matrix multiplication: ``C[i][j] = sum_k A[i][k] * B[k][j]``.

Type ``([[f32]K]M, [[f32]N]K) -> [[f32]N]M``. Both matrices are taken in their natural row-major layout;
the program transposes ``B`` itself (``B >> transpose`` : ``[[f32]K]N``, its columns), so every entry is the
dot product of a row of ``A`` with a column of ``B``. The inner ``reduce`` gives ``[[f32]1]N`` per row,
flattened by ``join``. Run it with ``python -m lift.examples.matmul [M=...] [K=...] [N=...]``.
"""

import numpy as np

import lift
from lift import Array, f32, fun, size
from lift.dsl import join, map, reduce, transpose, zip
from lift.dsl.ir import Expr
from lift.dsl.prelude import add, mult
from lift.examples import demo, uniform

M = size("M")
K = size("K")
N = size("N")


def dot(a: Expr, b: Expr) -> Expr:
    """The dot product of two vectors, ``[f32]1``: a Python function that builds part of a program."""
    return zip(a, b) >> map(mult) >> reduce(add, 0.0)


@fun
def matmul(A: Array[Array[f32, K], M], B: Array[Array[f32, N], K]) -> Expr:
    columns = B >> transpose  # [[f32]K]N
    return A >> map(lambda row: columns >> map(lambda col: dot(row, col)) >> join)


program = matmul
sizes: dict[str, int] = {"M": 512, "K": 512, "N": 512}
test_sizes: dict[str, int] = {"M": 24, "K": 40, "N": 32}
# The mapping the main job compiles with: one thread per output element.
mapping = lift.Mapping({"map0": "glb1", "map1": "glb0", "map2": "seq"})


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A random ``M x K`` matrix ``A`` and a random ``K x N`` matrix ``B``."""
    return uniform(rng, sizes["M"], sizes["K"]), uniform(rng, sizes["K"], sizes["N"])


def reference(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` in float64, shape ``(M, N)``."""
    return A.astype(np.float64) @ B.astype(np.float64)


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
