"""Run-time argument checks at the public boundary.

Public functions are wrapped so that a wrong argument (``split("4")``, ``map(3)``, ``sizes={"N": "8"}``) fails at
once, and the failure is a :class:`~lift.errors.LiftTypeError` that names the function, the argument, what it
must be and what was found. Each argument is checked against its annotation with typeguard's ``check_type``,
every item of a collection (not only the first, typeguard's default).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

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
    signature = inspect.signature(fn)
    hints: dict[str, Any] | None = None

    def resolved() -> dict[str, Any]:
        # resolved on first use: the annotations may name classes defined after ``fn``'s module is imported
        nonlocal hints
        if hints is None:
            hints = typing.get_type_hints(fn, include_extras=True)
        return hints

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise LiftTypeError(f"{fn.__name__}(): {err}") from None
        for name, value in bound.arguments.items():
            expected = resolved().get(name)
            if expected is None:
                continue
            kind = signature.parameters[name].kind
            values = (
                value
                if kind is inspect.Parameter.VAR_POSITIONAL
                else (value.values() if kind is inspect.Parameter.VAR_KEYWORD else (value,))
            )
            for item in values:
                try:
                    check_type(item, expected, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
                except TypeCheckError:
                    described = _describe(signature.parameters[name].annotation)
                    raise LiftTypeError(
                        f"{fn.__name__}(): argument {name!r} must be {described}, found {type(item).__name__} {item!r}"
                    ) from None
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
