"""Data-layout combinators declared once: a class per combinator holds its typing rule, meaning, view and spelling.

A *layout* combinator takes one array and rearranges it without computing (``take``, ``drop``,
``reorder_stride`` …). Its class, a subclass of :class:`Layout`, is the one place it is defined; every pass
reads it from there, as JAX reads a primitive's registered rules:

========================  ==============================  =====================================================
pass                      reads                           for
========================  ==============================  =====================================================
type checker              :meth:`Layout.result`            the result type and the size facts it needs
interpreter (numpy)       :meth:`Layout.meaning`           the meaning, along one axis of a numpy array
OpenCL views              :attr:`~Layout.consumes`,        which element of the argument each element of the
                          :meth:`Layout.read`              result is (index arithmetic, no copy)
printer                   :meth:`Layout.show`              how a user writes it
JSON (``lift.dsl.schema``) the dataclass fields             one schema entry per layout, made from its fields
size specialisation       the :class:`ArithExpr` fields     substituting bound sizes (``with_sizes``)
========================  ==============================  =====================================================

A subclass that leaves one of those rules undefined is refused when the class is created (``TypeError`` naming the
class and the missing rules), not in a user's run; every subclass is registered by its :attr:`~Layout.spelling`
(:data:`LAYOUTS`), so that the schema, the program printer and the tests find all of them. Adding a layout
combinator is one module: see :mod:`lift.dsl.layouts` for those that ship.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

import numpy as np

from lift.dsl.ir import FunDecl, Literal
from lift.types.arith import ArithExpr, Cst, Var
from lift.types.data import ArrayType, DataType
from lift.types.smt import Constraint

__all__ = ["LAYOUTS", "Layout", "TypingContext"]


class TypingContext(Protocol):
    """What a layout's typing rule may ask of the type checker."""

    def array(self, t: DataType, name: str, message: str | None = None) -> ArrayType:
        """``t`` as an array type, or a type error naming ``name``."""
        ...

    def require(self, c: Constraint, combinator: str, what: str, formula: str | None = None) -> None:
        """Record the size fact ``c`` that ``combinator`` needs (refused, saying ``what`` was expected, when it is
        proved false)."""
        ...

    def size(self, e: ArithExpr) -> ArithExpr:
        """``e`` simplified under the program's size facts."""
        ...

    def literal(self, e: Literal, expected: DataType | None, where: str) -> Literal:
        """The constant ``e`` typed as ``expected`` (a type error naming ``where`` when it does not fit)."""
        ...


LAYOUTS: dict[str, type[Layout]] = {}
"""Every layout combinator, by its spelling (filled as the classes are defined; never changed afterwards)."""

_RULES = ("result", "meaning", "read", "show")


def parenthesised(e: ArithExpr) -> str:
    """``e`` as it reads inside a larger formula in a message: bare when it is a name or a number."""
    return str(e) if isinstance(e, (Cst, Var)) else f"({e})"


class Layout(FunDecl, abstract=True):
    """A combinator that rearranges one array without computing; subclasses are frozen dataclasses whose fields
    are all size arguments (:class:`ArithExpr`)."""

    __slots__ = ()

    spelling: ClassVar[str] = ""
    """The name users write (``take``); the JSON schema and the printer use it too."""
    consumes: ClassVar[int] = 1
    """How many leading indices of the result :meth:`read` maps (1: the outermost dimension only)."""
    schema: ClassVar[dict[str, str]] = {}
    """Each field's kind in a JSON document when it is not a size: ``index`` (an index function)."""
    writes: ClassVar[int] = 0
    """How many leading indices of the argument :meth:`write` maps; 0 when the layout cannot be written through
    (a computation whose result goes through it is stored first, then rearranged by a copy)."""

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        if abstract:  # a base shared by a family of layouts (gather and scatter): its members are checked
            super().__init_subclass__(abstract=True, **kwargs)
            return
        missing = [rule for rule in _RULES if getattr(cls, rule) is getattr(Layout, rule)]
        if missing or not cls.spelling:
            what = ", ".join(missing + ([] if cls.spelling else ["spelling"]))
            raise TypeError(f"layout combinator {cls.__name__}: no {what}; a Layout defines {', '.join(_RULES)}")
        if cls.spelling in LAYOUTS and LAYOUTS[cls.spelling].__qualname__ != cls.__qualname__:
            raise TypeError(f"layout combinator {cls.__name__}: the spelling {cls.spelling!r} is taken")
        super().__init_subclass__(**kwargs)
        LAYOUTS[cls.spelling] = cls

    # ---- the rules every layout defines -----------------------------------------------------------------
    def result(self, t: ArrayType, check: TypingContext) -> DataType:
        """The result type for an argument of type ``t`` (size facts recorded through ``check``)."""
        raise NotImplementedError

    def meaning(self, a: np.ndarray, axis: int, sizes: Mapping[str, int]) -> np.ndarray:
        """The result for a numpy array whose dimension ``axis`` is the argument's outermost (``sizes`` binds
        the program's size variables)."""
        raise NotImplementedError

    def read(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        """The argument's leading indices of the element at the result's leading ``indices`` (``consumes`` of
        them; ``t`` is the argument's type)."""
        raise NotImplementedError

    def show(self) -> str:
        """How a user writes it."""
        raise NotImplementedError

    def fill(self, indices: list[ArithExpr], t: ArrayType) -> tuple[ArithExpr, ArithExpr, ArithExpr, Literal] | None:
        """For a layout that adds constant elements (``pad``): ``(value, lo, hi, constant)``, the argument read
        only where ``lo <= value < hi`` and the constant elsewhere; ``None``: every element is the argument's."""
        return None

    def kept(self, indices: list[ArithExpr], t: ArrayType) -> tuple[ArithExpr, ArithExpr] | None:
        """For a layout that keeps only some of its argument (``take``, ``drop``), written through: the range
        ``[lo, hi)`` of the argument's outermost index whose elements are written (the others are computed and
        dropped); ``None``: every element is written."""
        return None

    def write(self, indices: list[ArithExpr], t: ArrayType) -> list[ArithExpr]:
        """Where in the result the argument's element at leading ``indices`` goes (``writes`` of them): the view
        a computation writes through. Defined by the layouts with ``writes > 0``."""
        raise NotImplementedError(f"{self.spelling} cannot be written through")

    def __repr__(self) -> str:
        return self.show()

    @classmethod
    def draw_for(cls, t: ArrayType, choose: Callable[[Sequence[int]], int]) -> Layout | None:
        """An instance that applies to an argument of type ``t`` (constant sizes), its size arguments picked
        from candidates by ``choose``: how random programs (:func:`lift.testing.programs`) use the layout, their
        types then derived by :meth:`result` through the type checker. ``None`` when none applies; by default
        the layout is not drawn (``split``, ``join``, ``transpose`` and ``slide`` have their own stages)."""
        return None

    # ---- derived from the fields --------------------------------------------------------------------
    def sizes(self) -> tuple[ArithExpr, ...]:
        """The size arguments."""
        return tuple(v for v in self.fields().values() if isinstance(v, ArithExpr))

    def with_sizes(self, fn: Callable[[ArithExpr], ArithExpr]) -> Layout:
        """A copy with ``fn`` applied to every size argument."""
        changes = {k: fn(v) for k, v in self.fields().items() if isinstance(v, ArithExpr)}
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]
