"""Changing the scalar type of a program: user functions, literals and parameter types.

Used to build a program's float64 *reference* (every ``f32`` becomes ``f64``, so the same program computes with
more precision) and to derive integer versions of the prelude's user functions for exact tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from lift.dsl.ir import Fun, Literal, Node, UserFun, transform
from lift.types.data import ArrayType as _ArrayType
from lift.types.data import DataType, ScalarType, TupleType, f32, f64

__all__ = ["retype", "retype_userfun", "widen"]


def _retype_data(t: DataType, mapping: Mapping[ScalarType, ScalarType]) -> DataType:
    if isinstance(t, ScalarType):
        return mapping.get(t, t)
    if isinstance(t, _ArrayType):
        return _ArrayType(_retype_data(t.elem, mapping), t.size)
    if isinstance(t, TupleType):
        return TupleType(tuple(_retype_data(e, mapping) for e in t.elems))
    return t


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

    def fn(n: Node) -> Node | None:
        if isinstance(n, UserFun):
            return retype_userfun(n, mapping)
        if isinstance(n, Literal) and n.scalar is not None and n.scalar in mapping:
            return Literal(n.value, mapping[n.scalar])
        return None

    out = transform(prog, fn)
    assert isinstance(out, Fun)
    return Fun(out.params, out.body, out.name, tuple(_retype_data(t, mapping) for t in prog.param_types))


def widen(prog: Fun) -> Fun:
    """``prog`` computing in float64 where it computes in float32: its reference for tolerances."""
    return retype(prog, {f32: f64})
