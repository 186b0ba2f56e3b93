"""Array-making expressions declared once: a class per kind holds its typing rule, meaning, elements and spelling.

A *source* makes an array from its static arguments alone (``value(0.0, T)``: a constant array; an index
generator would be another). As with layout combinators (:mod:`lift.dsl.layout`), its class is the one place it
is defined: the type checker calls :meth:`Source.result`, the interpreter :meth:`Source.meaning`, the OpenCL
views :meth:`Source.element` (every element is known statically: nothing is stored), the printer
:meth:`Source.show`, the JSON schema reads :attr:`Source.schema`, and size specialisation
:meth:`Source.with_sizes`. A subclass that leaves a rule undefined is refused when its class is created.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from lift.dsl.ir import Expr, Literal
from lift.dsl.layout import TypingContext
from lift.types.arith import ArithExpr
from lift.types.data import DataType, map_sizes, sizes_of

__all__ = ["SOURCES", "Source"]

SOURCES: dict[str, type[Source]] = {}
"""Every source, by its spelling (filled as the classes are defined; never changed afterwards)."""

_RULES = ("result", "meaning", "element", "show")


class Source(Expr, abstract=True):
    """An expression that makes an array from its static arguments; subclasses are frozen dataclasses with a
    ``type`` field (not compared) that the type checker fills in."""

    __slots__ = ()

    spelling: ClassVar[str] = ""
    """The name users write (``value``)."""
    schema: ClassVar[dict[str, str]] = {}
    """Each field's kind in a JSON document: ``literal``, ``type`` or ``size``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        missing = [rule for rule in _RULES if getattr(cls, rule) is getattr(Source, rule)]
        if missing or not cls.spelling:
            what = ", ".join(missing + ([] if cls.spelling else ["spelling"]))
            raise TypeError(f"source {cls.__name__}: no {what}; a Source defines {', '.join(_RULES)}")
        super().__init_subclass__(**kwargs)
        SOURCES[cls.spelling] = cls

    def result(self, check: TypingContext) -> DataType:
        """Its type (checked: a wrong static argument is a type error naming it)."""
        raise NotImplementedError

    def meaning(self, size: Callable[[ArithExpr], int]) -> np.ndarray:
        """The array it makes (``size`` evaluates a size)."""
        raise NotImplementedError

    def element(self, indices: list[ArithExpr]) -> Literal:
        """The (typed) scalar at ``indices``, one index per array dimension."""
        raise NotImplementedError

    def show(self) -> str:
        """How a user writes it."""
        raise NotImplementedError

    def sizes(self) -> list[ArithExpr]:
        """Every size in its static arguments."""
        out: list[ArithExpr] = []
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, ArithExpr):
                out.append(value)
            elif isinstance(value, DataType) and f.compare:
                out.extend(sizes_of(value))
        return out

    def typed(self, t: DataType) -> Source:
        """A copy carrying its type (what the type checker returns)."""
        return dataclasses.replace(self, type=t)  # type: ignore[type-var]

    def with_sizes(self, fn: Callable[[ArithExpr], ArithExpr]) -> Source:
        """A copy with ``fn`` applied to every size in its static arguments."""
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, ArithExpr):
                changes[f.name] = fn(value)
            elif isinstance(value, DataType) and f.compare:
                changes[f.name] = map_sizes(value, fn)
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def __repr__(self) -> str:
        return self.show()
