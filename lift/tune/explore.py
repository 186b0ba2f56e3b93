"""Exploration: sample valid mappings and tuning values, compile, run, verify against the interpreter, and keep
the fastest — the CC'22 case study's loop, on any OpenCL device."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lift.dsl.interpret import interpret
from lift.dsl.ir import Fun
from lift.errors import LiftError
from lift.ocl.kernel import compile_program
from lift.solve.mapping import Mapping as LiftMapping
from lift.solve.model import MappingSpace
from lift.types.data import DataType

__all__ = ["Exploration", "Trial", "explore"]


@dataclass(frozen=True)
class Trial:
    """One compiled and measured point of the space."""

    mapping: LiftMapping
    """The mapping."""
    values: Mapping[str, int]
    """The tuning values (local sizes)."""
    seconds: float
    """Median device time of the timed runs."""
    error: float
    """Max relative error against the interpreter."""
    barriers: int
    """Barriers in the kernel."""


@dataclass
class Exploration:
    """What an exploration tried and found."""

    program: str
    count: int
    """How many valid mappings the space has."""
    trials: list[Trial] = field(default_factory=list)

    @property
    def best(self) -> Trial:
        if not self.trials:
            raise LiftError(f"{self.program}: nothing was measured")
        return min(self.trials, key=lambda t: t.seconds)

    def table(self) -> str:
        lines = [f"{'time (ms)':>10}  {'error':>9}  {'barriers':>8}  mapping, values"]
        for t in sorted(self.trials, key=lambda t: t.seconds):
            values = ", ".join(f"{k}={v}" for k, v in t.values.items())
            lines.append(
                f"{t.seconds * 1e3:10.3f}  {t.error:9.2e}  {t.barriers:8d}  {t.mapping}"
                + (f" [{values}]" if values else "")
            )
        return "\n".join(lines)


def _shape(t: DataType, sizes: Mapping[str, int]) -> list[int]:
    if not t.array_shape:
        raise LiftError(f"explore: parameters must be arrays of scalars, found {t}")
    return [int(n.evaluate(dict(sizes))) for n in t.array_shape]


def explore(
    prog: Fun,
    sizes: Mapping[str, int],
    *,
    device: Any = None,
    samples: int = 8,
    seed: int = 0,
    repeat: int = 3,
    rtol: float = 1e-4,
    rng: np.random.Generator | None = None,
) -> Exploration:
    """Sample ``samples`` valid mappings (one tuning point each), compile, check each against the interpreter on
    random inputs, time it on ``device`` (median of ``repeat`` runs after one warm-up), keep every result."""
    space = MappingSpace(prog, sizes, device)
    result = Exploration(prog.name, space.count())
    generator = rng or np.random.default_rng(seed)
    arrays = [generator.uniform(-1, 1, size=_shape(t, sizes)).astype(np.float32) for t in prog.param_types]
    expected = interpret(prog, *arrays)
    scale = float(np.max(np.abs(expected))) or 1.0
    for k, mapping in enumerate(space.sample(samples, seed=seed)):
        tuning = space.tuning(mapping).sample(1, seed=seed + k)
        values = tuning[0] if tuning else {}
        kernel = compile_program(prog, sizes, mapping, values, device)
        got = kernel(*arrays)
        error = float(np.max(np.abs(got - expected))) / scale
        if error > rtol:
            raise LiftError(f"{prog.name}: mapping {mapping} computes a wrong result (relative error {error:.2e})")
        seconds = kernel.profile(*arrays, repeat=repeat).median
        result.trials.append(Trial(mapping, values, seconds, error, len(kernel.barriers)))
    return result
