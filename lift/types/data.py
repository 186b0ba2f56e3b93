"""Data types: scalars, arrays with symbolic sizes, tuples, and function types.

``Array[f32, N]`` is an array of ``N`` floats; nest for more dimensions (outermost first).
``Tuple[f32, i32]`` is a pair. Types are immutable values that compare structurally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, TypeAlias

import numpy as np

from lift.errors import LiftTypeError
from lift.types.arith import ArithExpr, Cst, Var, as_arith

__all__ = [
    "MAX_SIZE",
    "Array",
    "ArrayType",
    "DataType",
    "FunType",
    "ScalarType",
    "Tuple",
    "TupleType",
    "Type",
    "VectorType",
    "bool_",
    "byte_count",
    "f32",
    "f32x2",
    "f32x4",
    "f32x8",
    "f32x16",
    "f64",
    "f64x2",
    "f64x4",
    "f64x8",
    "f64x16",
    "i32",
    "i32x2",
    "i32x4",
    "i32x8",
    "i32x16",
    "i64",
    "scalar_count",
    "scalar_of",
    "size",
    "vector",
]


class Type:
    """Base class of every type."""

    __slots__ = ()

    def sizes(self) -> list[ArithExpr]:
        """Every size expression in this type, outermost first (none in a scalar)."""
        return []

    def with_sizes(self, fn: Callable[[ArithExpr], ArithExpr]) -> Self:
        """This type with every size ``n`` replaced by ``fn(n)`` (a scalar is itself)."""
        return self


class DataType(Type):
    """Base class of the types of values: scalars, arrays and tuples.

    Each kind answers the questions that walk a type (its bytes, its scalars, its shape) for itself."""

    __slots__ = ()

    @property
    def array_shape(self) -> tuple[ArithExpr, ...]:
        """The sizes of the nested array dimensions, outermost first (``()`` for a scalar or a tuple)."""
        return ()

    @property
    def innermost(self) -> DataType:
        """The innermost non-array type: the element under every array dimension (itself for a non-array)."""
        return self

    def components(self) -> list[DataType]:
        """The non-tuple types inside this type's (nested) tuples, in order (itself for a non-tuple)."""
        return [self]

    def vector_lanes(self) -> int:
        """How many lanes a value of this type has: 1 but for a vector (``f32x4``: 4)."""
        return 1

    def lane_type(self) -> DataType:
        """The type of one lane of a value of this type: itself but for a vector (``f32x4``: ``f32``)."""
        return self

    def scalar_type(self) -> ScalarType | None:
        """The scalar type at the bottom of this type's arrays (``None`` when it is a tuple)."""
        raise NotImplementedError(type(self).__name__)

    def byte_count(self) -> ArithExpr:
        """The bytes a value of this type occupies, each scalar at its own width (``[f64]N`` is ``8*N``)."""
        raise NotImplementedError(type(self).__name__)

    def scalar_count(self, component: tuple[int, ...] = ()) -> ArithExpr:
        """How many scalars of one component (a path of tuple indices; all of them for ``()``) a value of this
        type holds."""
        raise NotImplementedError(type(self).__name__)


@dataclass(frozen=True)
class ScalarType(DataType):
    """A scalar: ``f32``, ``f64``, ``i32``, ``i64`` (and ``bool`` for conditions inside user functions)."""

    name: str
    """The DSL name (``f32``)."""
    c_name: str
    """The OpenCL C name (``float``)."""
    numpy: str
    """The numpy dtype name (``float32``)."""

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(self.numpy)

    @property
    def is_float(self) -> bool:
        return self.dtype.kind == "f"

    def scalar_type(self) -> ScalarType:
        return self

    def byte_count(self) -> ArithExpr:
        return Cst(self.dtype.itemsize)

    def scalar_count(self, component: tuple[int, ...] = ()) -> ArithExpr:
        return Cst(1)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return self.name


DslAnnotation: TypeAlias = Any
"""What a Python type checker sees for the names that annotate DSL parameters (``f32``, ``Array``, …).

Users write lift types as annotations (``x: f32``, ``img: Array[Array[f32, W], H]``), but lift's types are
values with symbolic and literal sizes, which no Python type system expresses. A name declared ``Any`` is a
valid annotation to mypy (it means ``Any``, and its subscript is not examined), so a user's program
type-checks without ignores; lift's own checker checks the lift types when the program is built.
"""

f32: DslAnnotation = ScalarType("f32", "float", "float32")
"""32-bit floating point: OpenCL ``float``, numpy ``float32``."""
f64: DslAnnotation = ScalarType("f64", "double", "float64")
"""64-bit floating point: OpenCL ``double``, numpy ``float64``."""
i32: DslAnnotation = ScalarType("i32", "int", "int32")
"""32-bit signed integer: OpenCL ``int``, numpy ``int32``."""
i64: DslAnnotation = ScalarType("i64", "long", "int64")
"""64-bit signed integer: OpenCL ``long``, numpy ``int64``."""
bool_ = ScalarType("bool", "bool", "bool")


@dataclass(frozen=True, repr=False)
class VectorType(ScalarType):
    """``lanes`` scalars of one type operated on together, lane by lane: ``f32x4`` (OpenCL ``float4``).

    A value of this type is one element of an array (``[f32x4]N``), made by ``as_vector(4)``; a user function on
    scalars applies to vectors lane by lane. In numpy it is its element scalar with a trailing axis of ``lanes``
    after the array's axes; in memory, ``lanes`` consecutive scalars (buffers stay arrays of the element scalar)."""

    lanes: int
    """How many scalars it holds: 2, 4, 8 or 16 (OpenCL's vector widths)."""
    element: ScalarType
    """The scalar of each lane."""

    def vector_lanes(self) -> int:
        return self.lanes

    def lane_type(self) -> ScalarType:
        return self.element

    def byte_count(self) -> ArithExpr:
        return Cst(self.dtype.itemsize * self.lanes)

    def scalar_count(self, component: tuple[int, ...] = ()) -> ArithExpr:
        return Cst(self.lanes)  # counted in element scalars, as buffers hold them


VECTOR_WIDTHS = (2, 4, 8, 16)
"""The vector widths OpenCL has (``float2`` … ``float16``; 3 is left out: ``vload3`` pads oddly)."""


def vector(element: ScalarType, lanes: int) -> VectorType:
    """The vector of ``lanes`` scalars of type ``element`` (``vector(f32, 4)`` is ``f32x4``)."""
    if lanes not in VECTOR_WIDTHS or type(element) is not ScalarType or element == bool_:
        raise LiftTypeError(
            f"vector({element}, {lanes}): a vector holds 2, 4, 8 or 16 lanes of one of f32, f64, i32, i64"
        )
    return VectorType(f"{element.name}x{lanes}", f"{element.c_name}{lanes}", element.numpy, lanes, element)


f32x2: DslAnnotation = vector(f32, 2)
"""Two ``f32`` lanes: OpenCL ``float2``."""
f32x4: DslAnnotation = vector(f32, 4)
"""Four ``f32`` lanes: OpenCL ``float4``."""
f32x8: DslAnnotation = vector(f32, 8)
"""Eight ``f32`` lanes: OpenCL ``float8``."""
f32x16: DslAnnotation = vector(f32, 16)
"""Sixteen ``f32`` lanes: OpenCL ``float16``."""
f64x2: DslAnnotation = vector(f64, 2)
"""Two ``f64`` lanes: OpenCL ``double2``."""
f64x4: DslAnnotation = vector(f64, 4)
"""Four ``f64`` lanes: OpenCL ``double4``."""
f64x8: DslAnnotation = vector(f64, 8)
"""Eight ``f64`` lanes: OpenCL ``double8``."""
f64x16: DslAnnotation = vector(f64, 16)
"""Sixteen ``f64`` lanes: OpenCL ``double16``."""
i32x2: DslAnnotation = vector(i32, 2)
"""Two ``i32`` lanes: OpenCL ``int2``."""
i32x4: DslAnnotation = vector(i32, 4)
"""Four ``i32`` lanes: OpenCL ``int4``."""
i32x8: DslAnnotation = vector(i32, 8)
"""Eight ``i32`` lanes: OpenCL ``int8``."""
i32x16: DslAnnotation = vector(i32, 16)
"""Sixteen ``i32`` lanes: OpenCL ``int16``."""

SCALARS: dict[str, ScalarType] = {
    t.name: t
    for t in (f32, f64, i32, i64, bool_) + tuple(vector(s, w) for s in (f32, f64, i32, i64) for w in VECTOR_WIDTHS)
}
"""Every scalar type by its DSL name, vectors included (JSON documents name them)."""


@dataclass(frozen=True)
class ArrayType(DataType):
    """``[elem]size``: ``size`` elements of type ``elem``."""

    elem: DataType
    """The element type (itself an array for more dimensions)."""
    size: ArithExpr
    """The number of elements, a positive size expression."""

    def __str__(self) -> str:
        return f"[{self.elem}]{_size_str(self.size)}"

    def __repr__(self) -> str:
        return f"Array[{self.elem!r}, {self.size}]"

    @property
    def shape(self) -> tuple[ArithExpr, ...]:
        """The sizes of the nested array dimensions, outermost first (stops at a non-array element)."""
        return self.array_shape

    @property
    def scalar(self) -> DataType:
        """The innermost non-array element type."""
        return self.innermost

    @property
    def array_shape(self) -> tuple[ArithExpr, ...]:
        return (self.size, *self.elem.array_shape)

    @property
    def innermost(self) -> DataType:
        return self.elem.innermost

    def sizes(self) -> list[ArithExpr]:
        return [self.size, *self.elem.sizes()]

    def with_sizes(self, fn: Callable[[ArithExpr], ArithExpr]) -> ArrayType:
        return ArrayType(self.elem.with_sizes(fn), fn(self.size))

    def scalar_type(self) -> ScalarType | None:
        return self.elem.scalar_type()

    def byte_count(self) -> ArithExpr:
        return self.size * self.elem.byte_count()

    def scalar_count(self, component: tuple[int, ...] = ()) -> ArithExpr:
        return self.size * self.elem.scalar_count(component)


@dataclass(frozen=True)
class TupleType(DataType):
    """``(a, b, …)``: a tuple of values."""

    elems: tuple[DataType, ...]
    """The component types."""

    def __str__(self) -> str:
        return "(" + ", ".join(str(e) for e in self.elems) + ")"

    def __repr__(self) -> str:
        return "Tuple[" + ", ".join(repr(e) for e in self.elems) + "]"

    def components(self) -> list[DataType]:
        return [c for e in self.elems for c in e.components()]

    def sizes(self) -> list[ArithExpr]:
        return [s for e in self.elems for s in e.sizes()]

    def with_sizes(self, fn: Callable[[ArithExpr], ArithExpr]) -> TupleType:
        return TupleType(tuple(e.with_sizes(fn) for e in self.elems))

    def scalar_type(self) -> None:
        return None

    def byte_count(self) -> ArithExpr:
        total: ArithExpr = Cst(0)
        for e in self.elems:
            total = total + e.byte_count()
        return total

    def scalar_count(self, component: tuple[int, ...] = ()) -> ArithExpr:
        if component:
            return self.elems[component[0]].scalar_count(component[1:])
        total: ArithExpr = Cst(0)  # every component together
        for e in self.elems:
            total = total + e.scalar_count()
        return total


@dataclass(frozen=True)
class FunType(Type):
    """The type of a function: parameter types to a result type."""

    params: tuple[DataType, ...]
    """The parameter types."""
    result: DataType
    """The result type."""

    def __str__(self) -> str:
        ps = ", ".join(str(p) for p in self.params)
        return f"({ps}) -> {self.result}"

    def sizes(self) -> list[ArithExpr]:
        return [s for p in (*self.params, self.result) for s in p.sizes()]

    def with_sizes(self, fn: Callable[[ArithExpr], ArithExpr]) -> FunType:
        return FunType(tuple(p.with_sizes(fn) for p in self.params), self.result.with_sizes(fn))


def _size_str(n: ArithExpr) -> str:
    s = str(n)
    return s if isinstance(n, (Cst, Var)) else f"({s})"


MAX_SIZE: int = 2**63 - 1
"""The largest size lift-ir accepts: sizes are passed to kernels as 64-bit integers."""


def _check_size(n: object, where: str) -> ArithExpr:
    if isinstance(n, bool) or not isinstance(n, (int, ArithExpr)):
        raise LiftTypeError(
            f"{where}: a size must be an int or a size expression such as size('N'), found {type(n).__name__} {n!r}"
        )
    e = as_arith(n)
    if isinstance(e, Cst):
        if e.value < 1:
            raise LiftTypeError(f"{where}: a size must be at least 1, found {e.value}")
        if e.value > MAX_SIZE:
            raise LiftTypeError(f"{where}: a size must be at most {MAX_SIZE} (2**63 - 1), found {e.value}")
    return e


def _check_data_type(t: object, where: str) -> DataType:
    if isinstance(t, DataType):
        return t
    raise LiftTypeError(
        f"{where}: expected a data type (f32, f64, i32, i64, Array[...] or Tuple[...]), found {type(t).__name__} {t!r}"
    )


class _ArrayBuilder:
    """``Array[elem, n]`` builds an :class:`ArrayType`."""

    def __getitem__(self, key: tuple[object, object]) -> ArrayType:
        if not isinstance(key, tuple) or len(key) != 2:
            raise LiftTypeError(f"Array[...] takes an element type and a size, as in Array[f32, N]; found {key!r}")
        elem, n = key
        return ArrayType(_check_data_type(elem, "Array[elem, n]"), _check_size(n, "Array[elem, n]"))

    def __repr__(self) -> str:
        return "Array"


class _TupleBuilder:
    """``Tuple[a, b, …]`` builds a :class:`TupleType`."""

    def __getitem__(self, key: object) -> TupleType:
        elems = key if isinstance(key, tuple) else (key,)
        return TupleType(tuple(_check_data_type(e, "Tuple[...]") for e in elems))

    def __repr__(self) -> str:
        return "Tuple"


Array: DslAnnotation = _ArrayBuilder()
"""``Array[elem, n]``: the type of arrays of ``n`` elements of type ``elem`` (``Array[f32, N]`` is ``[f32]N``)."""
Tuple: DslAnnotation = _TupleBuilder()
"""``Tuple[a, b, …]``: the type of tuples of those element types (``Tuple[f32, i32]`` is ``(f32, i32)``)."""


def size(name: str) -> Var:
    """A symbolic size: an integer variable ``>= 1`` named ``name`` (a C identifier)."""
    if not isinstance(name, str):
        raise LiftTypeError(f"size(name): name must be a str, found {type(name).__name__} {name!r}")
    if not name.isidentifier():
        raise LiftTypeError(f"size(name): {name!r} is not an identifier; use letters, digits and _")
    return Var(name, 1)


def sizes_of(t: Type) -> list[ArithExpr]:
    """Every size expression in ``t``, outermost first."""
    return t.sizes()


def byte_count(t: DataType) -> ArithExpr:
    """The bytes a value of type ``t`` occupies, each scalar at its own width (``[f64]N`` is ``8*N``)."""
    return t.byte_count()


def scalar_of(t: DataType) -> ScalarType | None:
    """The scalar type at the bottom of ``t``'s arrays (``None`` when it is a tuple)."""
    return t.scalar_type()


def scalar_count(t: DataType, component: tuple[int, ...] = ()) -> ArithExpr:
    """How many scalars of one component (a path of tuple indices; all of them for ``()``) a value of type
    ``t`` holds."""
    return t.scalar_count(component)


def map_sizes(t: Type, fn: Any) -> Any:
    """``t`` with every size ``n`` replaced by ``fn(n)``."""
    return t.with_sizes(fn)
