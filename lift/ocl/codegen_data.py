"""Data types in a kernel: the scalar components a value is stored as, and values written as C constants or
held in variables (one mapper per question, a method per kind of data type)."""

from __future__ import annotations

from lift.dsl.mapper import NodeMapper
from lift.dsl.userfun_syntax import c_literal
from lift.errors import LiftInternalError
from lift.ocl.plan import Buffer, Constant, Pack, Value, Variable
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, VectorType

__all__ = ["constant", "scalars", "tuple_of_vars", "variables"]

Path = tuple[int, ...]
Scalar = float | int | bool


class _Scalars(NodeMapper[list[tuple[Path, ScalarType]]]):
    """The scalar components of a type (through arrays), by tuple path: a value is stored as one buffer each."""

    covers = (DataType,)

    def map_array_type(self, t: ArrayType, prefix: Path = ()) -> list[tuple[Path, ScalarType]]:
        return self(t.elem, prefix)

    def map_tuple_type(self, t: TupleType, prefix: Path = ()) -> list[tuple[Path, ScalarType]]:
        return [c for k, e in enumerate(t.elems) for c in self(e, (*prefix, k))]

    def map_scalar_type(self, t: ScalarType, prefix: Path = ()) -> list[tuple[Path, ScalarType]]:
        return [(prefix, t)]

    def map_vector_type(self, t: VectorType, prefix: Path = ()) -> list[tuple[Path, ScalarType]]:
        # buffers hold the lanes as consecutive scalars (their sizes count lanes: see scalar_count)
        return [(prefix, t.element)]


scalars = _Scalars()
"""``scalars(t)``: the scalar components of ``t`` (through arrays), by tuple path."""


class _Variables(_Scalars):
    """The components of a scalar or tuple held in private variables, by tuple path: a vector is one variable of
    its vector type (``float4``), not its lanes."""

    def map_vector_type(self, t: VectorType, prefix: Path = ()) -> list[tuple[Path, ScalarType]]:
        return [(prefix, t)]


variables = _Variables()
"""``variables(t)``: the components of a private scalar or tuple ``t`` held in variables, by tuple path."""


class _Constant(NodeMapper[Value]):
    """A literal's value of a type, as a C constant (a tuple of them for a tuple)."""

    covers = (DataType,)

    def map_scalar_type(self, t: ScalarType, value: Scalar) -> Value:
        return Constant(c_literal(value, t), t)

    def map_vector_type(self, t: VectorType, value: Scalar) -> Value:
        return Constant(f"({t.c_name})({c_literal(value, t.element)})", t)  # the value in every lane

    def map_tuple_type(self, t: TupleType, value: tuple[Scalar, ...]) -> Value:
        return Pack(t, tuple(self(s, x) for x, s in zip(value, t.elems)))

    def map_array_type(self, t: ArrayType, value: object) -> Value:
        raise LiftInternalError(f"an array literal of type {t}: literals are scalars or tuples")


constant = _Constant()
"""``constant(t, value)``: the literal ``value`` of type ``t`` as a plan value."""


def tuple_of_vars(t: DataType, buffers: dict[Path, Buffer], prefix: Path = ()) -> Value:
    """A private scalar or tuple held in variables, one per scalar component (named after its buffer)."""
    if isinstance(t, TupleType):
        return Pack(t, tuple(tuple_of_vars(e, buffers, (*prefix, k)) for k, e in enumerate(t.elems)))
    b = buffers[prefix]
    return Variable(b.name, b.scalar)
