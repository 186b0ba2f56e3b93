"""Common scalar user functions, ready to use: ``from lift.dsl.prelude import add, mult``."""

from __future__ import annotations

from lift.dsl.combinators import userfun
from lift.types.data import f32

__all__ = ["add", "maximum", "minimum", "mult", "mult_add", "square", "subtract"]


@userfun
def add(x: f32, y: f32) -> f32:
    """``x + y``."""
    return x + y


@userfun
def mult(x: f32, y: f32) -> f32:
    """``x * y``."""
    return x * y


@userfun
def mult_add(acc: f32, x: f32, y: f32) -> f32:
    """``acc + x * y``: one step of a dot product, the update of a register block."""
    return acc + x * y


@userfun
def subtract(x: f32, y: f32) -> f32:
    """``x - y``."""
    return x - y


@userfun
def square(x: f32) -> f32:
    """``x * x``."""
    return x * x


@userfun
def maximum(x: f32, y: f32) -> f32:
    """The larger of ``x`` and ``y``."""
    return max(x, y)


@userfun
def minimum(x: f32, y: f32) -> f32:
    """The smaller of ``x`` and ``y``."""
    return min(x, y)
