"""Changing the scalar type of a program: user functions, literals and parameter types.

Used to build a program's float64 *reference* (every ``f32`` becomes ``f64``, so the same program computes with
more precision) and to derive integer versions of the prelude's user functions for exact tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from lift.dsl.ir import Fun, Literal, Node, UserFun, transform
from lift.dsl.mapper import NodeMapper
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, f32, f64

__all__ = ["retype", "retype_userfun", "widen"]


class _RetypeData(NodeMapper[DataType]):
    """A data type with its scalar types replaced, by the type's class."""

    covers = (DataType,)

    def map_scalar_type(self, t: ScalarType, mapping: Mapping[ScalarType, ScalarType]) -> DataType:
        return mapping.get(t, t)

    def map_array_type(self, t: ArrayType, mapping: Mapping[ScalarType, ScalarType]) -> DataType:
        return ArrayType(self(t.elem, mapping), t.size)

    def map_tuple_type(self, t: TupleType, mapping: Mapping[ScalarType, ScalarType]) -> DataType:
        return TupleType(tuple(self(e, mapping) for e in t.elems))


_retype_data = _RetypeData()


class _RetypeNode(NodeMapper[Node | None]):
    """The replacement of one node of a program (``None``: the node is rebuilt from its retyped children), by
    the node's class: user functions and typed literals change."""

    def map_user_fun(self, f: UserFun, mapping: Mapping[ScalarType, ScalarType]) -> Node | None:
        return retype_userfun(f, mapping)

    def map_literal(self, lit: Literal, mapping: Mapping[ScalarType, ScalarType]) -> Node | None:
        if lit.scalar is not None and lit.scalar in mapping:
            return Literal(lit.value, mapping[lit.scalar])
        return None

    def map_node(self, n: Node, mapping: Mapping[ScalarType, ScalarType]) -> Node | None:
        return None


_retype_node = _RetypeNode()


@lru_cache(maxsize=256)
def _retyped_userfun(uf: UserFun, pairs: tuple[tuple[ScalarType, ScalarType], ...]) -> UserFun:
    mapping = dict(pairs)
    params = tuple(_retype_data(t, mapping) for t in uf.param_types)
    result = _retype_data(uf.result_type, mapping)
    if params == uf.param_types and result == uf.result_type:
        return uf
    # the same Python source, translated again at the new types (cached, so translated once)
    return UserFun(uf.name, uf.param_names, params, result, uf.source, uf.filename, uf.first_line)


def retype_userfun(uf: UserFun, mapping: Mapping[ScalarType, ScalarType]) -> UserFun:
    """``uf`` with its scalar types replaced (``{f32: i32}``), translated from the same source."""
    return _retyped_userfun(uf, tuple(sorted(mapping.items(), key=lambda kv: kv[0].name)))


def retype(prog: Fun, mapping: Mapping[ScalarType, ScalarType]) -> Fun:
    """``prog`` with every scalar type ``a`` in ``mapping`` replaced by ``mapping[a]``.

    Parameter types, user functions and literals with a declared type (also ``pad``'s) change; untyped
    literals take their type from the context, as always.
    """

    out = transform(prog, lambda n: _retype_node(n, mapping))
    assert isinstance(out, Fun)
    return Fun(out.params, out.body, out.name, tuple(_retype_data(t, mapping) for t in prog.param_types))


def widen(prog: Fun) -> Fun:
    """``prog`` computing in float64 where it computes in float32: its reference for tolerances."""
    return retype(prog, {f32: f64})
