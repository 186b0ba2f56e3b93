"""Run-time argument checks at the public boundary.

Public functions are wrapped with typeguard so that a wrong argument (``split("4")``, ``map(3)``) fails at
once, and the failure is a :class:`~lift.errors.LiftTypeError` that names the function and the argument.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from typeguard import TypeCheckError, typechecked

from lift.errors import LiftTypeError

__all__ = ["public"]

F = TypeVar("F", bound=Callable[..., Any])


def public(fn: F) -> F:
    """Check ``fn``'s arguments against its annotations on every call; report a mismatch as LiftTypeError."""
    checked = typechecked(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return checked(*args, **kwargs)
        except TypeCheckError as err:
            if not str(err).startswith("argument"):
                raise
            raise LiftTypeError(f"{fn.__name__}(): {err}") from None

    return wrapper  # type: ignore[return-value]
