"""Run-time argument checks at the public boundary.

Public functions are wrapped with typeguard so that a wrong argument (``split("4")``, ``map(3)``) fails at
once, and the failure is a :class:`~lift.errors.LiftTypeError` that names the function and the argument.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

from typeguard import TypeCheckError, typechecked

from lift.errors import LiftTypeError

__all__ = ["public"]

F = TypeVar("F", bound=Callable[..., Any])

# The type aliases of the DSL's signatures, in words.
_WORDS = {
    "Size": "an int or a size expression such as size('N') // 4",
    "FunLike": "a function: a combinator such as map(f), a @userfun or a Python lambda",
    "Scalar | tuple[Scalar, ...] | Expr": "a number, a tuple of numbers or a program expression",
    "Scalar | TLiteral['clamp']": "a number or 'clamp'",
    "IndexFun": "an index function (reverse or stride(s))",
    "str | None": "a name (str) or None",
}


def _describe(annotation: object) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    return _WORDS.get(text, text)


def public(fn: F) -> F:
    """Check ``fn``'s arguments against its annotations on every call; report a mismatch as LiftTypeError."""
    checked = typechecked(fn)
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return checked(*args, **kwargs)
        except TypeCheckError as err:
            match = re.search(r'argument "(\w+)"', str(err))
            if match is None:
                raise
            name = match.group(1)
            bound = signature.bind_partial(*args, **kwargs).arguments
            value = bound.get(name, "?")
            expected = _describe(signature.parameters[name].annotation)
            raise LiftTypeError(
                f"{fn.__name__}(): argument {name!r} must be {expected}, found {type(value).__name__} {value!r}"
            ) from None

    return wrapper  # type: ignore[return-value]
