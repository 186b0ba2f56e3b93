"""64-bit index arithmetic where a size, or a product of sizes, can reach 2**31; ``int`` elsewhere (issue 8).

Decided by source inspection: nothing of the large sizes is allocated."""

from __future__ import annotations

import re

import numpy as np
import pytest

import lift
from lift import Array, f32, fun, size
from lift.dsl import join, map, pad, reduce, slide
from lift.dsl.prelude import add
from lift.ocl.bounds import INT_MAX
from tests.ocl.conftest import needs_pocl

R, C, N = size("R"), size("C"), size("N")


@fun
def row_sums(x: Array[Array[f32, C], R]):
    return x >> map(reduce(add, 0.0)) >> join


def declarations(source: str) -> dict[str, str]:
    """Loop variable → its C type, from ``int gid0 = …`` and ``for (long i = …``."""
    return dict((name, t) for t, name in re.findall(r"\b(int|long) (\w+) = ", source))


def test_a_row_sum_past_2_to_the_31_uses_64_bit_indices() -> None:
    k = lift.compile(row_sums, sizes={"R": 65537, "C": 32768})
    assert 65537 * 32768 > INT_MAX
    assert "x[32768*gid0 + i]" in k.source
    # gid0 and i both take part in 32768*gid0 + i, which passes 2**31: both are long
    assert declarations(k.source) == {"gid0": "long", "i": "long"}


def test_a_small_row_sum_keeps_int() -> None:
    k = lift.compile(row_sums, sizes={"R": 64, "C": 32})
    assert declarations(k.source) == {"gid0": "int", "i": "int"}
    assert "long" not in k.source


def test_symbolic_sizes_are_long_arguments_and_long_indices() -> None:
    k = lift.compile(row_sums)
    assert "long C, long R)" in k.source
    assert set(declarations(k.source).values()) == {"long"}


def test_clamped_indices_in_a_64_bit_kernel_cast_min_and_max_operands() -> None:
    @fun
    def clamp3(x: Array[f32, N]):
        return x >> pad(1, 1, "clamp") >> slide(3, 1) >> map(reduce(add, 0.0)) >> join

    small = lift.compile(clamp3, sizes={"N": 64})
    assert "max(0, " in small.source and "(long)" not in small.source
    big = lift.compile(clamp3, sizes={"N": 3 * 2**30})
    assert "(long)" in big.source and declarations(big.source)["gid0"] == "long"


def test_an_index_beyond_64_bits_is_refused() -> None:
    with pytest.raises(lift.LiftLimitError, match="beyond the largest 64-bit integer"):
        lift.compile(row_sums, sizes={"R": 2**40, "C": 2**40})


@needs_pocl
def test_a_symbolic_kernel_runs_on_pocl_with_64_bit_sizes() -> None:
    k = lift.compile(row_sums, device="pocl")
    x = np.random.default_rng(0).uniform(-1, 1, (37, 19)).astype(np.float32)
    np.testing.assert_allclose(k(x), x.sum(axis=1), rtol=1e-5, atol=1e-5)
