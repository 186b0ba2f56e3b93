"""The interpreter's limits, shared by the passes that compute in numpy (the interpreter, a layout's meaning):
how much memory one array may take, and whether a constant fits its type."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from lift.errors import LiftLimitError, LiftValueError

__all__ = ["MEMORY_LIMIT_BYTES", "check_allocation", "fitting"]


def _default_memory_limit() -> int:
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        physical = 16 * 2**30
    return max(physical, 2**30) // 2


MEMORY_LIMIT_BYTES: int = _default_memory_limit()
"""The largest array the interpreter allocates: half the host's physical memory (8 GiB when it cannot be
read). A bigger intermediate raises ``LiftLimitError`` with its size before numpy tries to allocate it."""


def check_allocation(shape: tuple[int, ...], bytes_per_element: int, what: str) -> None:
    """Refuse, with the numbers, an array over :data:`MEMORY_LIMIT_BYTES` before it is allocated."""
    count = 1
    for n in shape:
        count *= int(n)  # Python integers: the product cannot overflow
    nbytes = count * bytes_per_element
    if nbytes > MEMORY_LIMIT_BYTES:
        raise LiftLimitError(
            f"interpret: {what} would allocate {nbytes} bytes ({_gib(nbytes)}, shape {tuple(shape)}), beyond the "
            f"interpreter's limit of {MEMORY_LIMIT_BYTES} bytes ({_gib(MEMORY_LIMIT_BYTES)}, half the host's "
            "memory: lift.dsl.limits.MEMORY_LIMIT_BYTES); use smaller sizes"
        )


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def fitting(value: Any, dtype: np.dtype[Any], where: str) -> Any:
    """``value`` when ``dtype`` can hold it; a literal beyond the type's range is refused (NaN and infinities
    are values of a float type, a finite float that would round to infinity is not)."""
    if dtype.kind in "iu" and not isinstance(value, bool):
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise LiftValueError(
                f"interpret: {where} does not fit {dtype} (range {info.min} .. {info.max}); use a smaller value "
                "or a wider type (i64)"
            )
    if dtype.kind == "f" and math.isfinite(value) and abs(value) > float(np.finfo(dtype).max):
        raise LiftValueError(
            f"interpret: {where} is beyond the largest {dtype} ({np.finfo(dtype).max}); use a smaller value or f64"
        )
    return value
