"""Sum of absolute values (BLAS ``asum``): ``sum(|x[i]|)``.

Type ``[f32]N -> [f32]1``. A whole-array reduction: the mapping model runs it in kernels of its own — by default
work-groups each reduce a part of the array (``|x|`` computed as each element is read: the map is fused into the
reduction), and a last work-group adds their partial sums. Run it with ``python -m lift.examples.asum [N=...]``.
"""

import numpy as np

from lift import Array, f32, fun, size, userfun
from lift.dsl import map, reduce
from lift.dsl.ir import Expr
from lift.dsl.prelude import add
from lift.examples import demo, uniform

N = size("N")


@userfun
def absolute(x: f32) -> f32:
    return abs(x)


@fun
def asum(x: Array[f32, N]) -> Expr:
    return x >> map(absolute) >> reduce(add, 0.0)


program = asum
sizes: dict[str, int] = {"N": 1 << 20}
test_sizes: dict[str, int] = {"N": 4096}


def inputs(sizes: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A random vector of ``N`` floats of both signs."""
    return (uniform(rng, sizes["N"]) - np.float32(0.5),)


def reference(x: np.ndarray) -> np.ndarray:
    """``[sum |x|]`` in float64, shape ``(1,)``."""
    return np.array([np.abs(x.astype(np.float64)).sum()])


def main() -> None:
    demo(__name__)


if __name__ == "__main__":
    main()
