"""Typed values of a user function's body, and the rules that convert them.

Every subexpression of a user function becomes a :class:`Value`: its type, its OpenCL C text and its numpy
expression, built side by side so that C and numpy agree on every implicit conversion. :class:`ValueRules` holds
the rules both the expression and the statement translators follow: C's usual arithmetic conversions
(:func:`join_types`), literals that take the type of the other operand (``2`` in ``x * 2``) and are checked
when they commit to one, the conversions a declared type allows without a cast (:func:`widens`), tuple values,
and the errors that point into the user's file.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, NoReturn

import numpy as np

from lift.dsl.mapper import NodeMapper
from lift.dsl.userfun_syntax import CONSTRUCTS, PRIMARY, UNARY, c_literal
from lift.errors import UserFunError
from lift.types.data import DataType, ScalarType, TupleType, bool_, f32, f64, i32, i64

Const = int | float  # a literal value not yet committed to a type (bool included, as a subclass of int)


@dataclass(frozen=True)
class Value:
    """A typed expression: its C text, the C precedence of its top operator, and its numpy expression."""

    t: DataType
    """The value's type: a scalar, or a tuple of them."""
    c: str
    """The OpenCL C text."""
    prec: int
    """The C precedence of the top operator of ``c`` (``PRIMARY`` for a name or a call), for parenthesising."""
    py: ast.expr
    """The numpy expression computing the value for every lane at once."""
    const: Const | None = None
    """A literal (folded) value whose type adapts to the other operand, like ``2`` in ``x * 2``."""
    elems: tuple[Value, ...] | None = None
    """The components of a tuple literal, kept so that each can adapt to a declared tuple type."""


def wrap(x: Value, prec: int) -> str:
    """``x``'s C text, parenthesised if its operator binds looser than ``prec``."""
    return x.c if x.prec >= prec else f"({x.c})"


def join_types(a: ScalarType, b: ScalarType) -> ScalarType:
    """The type of ``a op b`` (the usual arithmetic conversions of C, which numpy mirrors via explicit casts)."""
    if a.is_float or b.is_float:
        return f64 if f64 in (a, b) else f32
    return i64 if i64 in (a, b) else i32


def widens(src: ScalarType, dst: ScalarType) -> bool:
    """Whether ``src`` converts to ``dst`` without an explicit cast (int to float, or to a wider type)."""
    if bool_ in (src, dst):
        return src == dst
    return src == dst or (dst.is_float and (not src.is_float or dst == f64)) or (src, dst) == (i32, i64)


def load(name: str) -> ast.expr:
    """The numpy side's read of the variable ``name``."""
    return ast.Name(name, ast.Load())


def np_call(fn: str, *args: ast.expr) -> ast.expr:
    """The numpy side's call ``np.fn(args…)`` (numpy is bound to ``_lift_np`` where the code runs)."""
    return ast.Call(ast.Attribute(load("_lift_np"), fn, ast.Load()), list(args), [])


def np_attr(t: ScalarType) -> str:
    """The name of ``t``'s numpy scalar type."""
    return "bool_" if t == bool_ else t.numpy


def np_cast(x: Any, dtype: Any) -> Any:
    """The numpy side's conversion (bound to ``_lift_cast`` where the code runs): C's conversion, lane by lane."""
    return np.asarray(x).astype(dtype, copy=False)


def literal(v: Const, t: ScalarType, const: Const | None = None) -> Value:
    """The literal ``v`` as a ``t`` value, unchecked (``const`` keeps it adaptable, see :attr:`Value.const`)."""
    with np.errstate(over="ignore"):
        c = c_literal(v, t)
        value = bool(v) if t == bool_ else int(v) if not t.is_float else float(t.dtype.type(v))
    py = np_call(np_attr(t), ast.Constant(value))
    return Value(t, c, UNARY if c.startswith("-") else PRIMARY, py, const)


class ValueRules:
    """The typing rules of one user function: how literals commit to a type, how values convert, and how an
    error names the place in the user's file."""

    lanes: int = 1
    """The width of the vectors the function is translated for, lane by lane (1: scalars). OpenCL applies its
    operators and math functions to vectors lane by lane, but converts no vector to another lane type implicitly,
    and its comparisons give ``-1`` for true in a lane: what would differ is refused."""

    def __init__(
        self,
        name: str,
        filename: str,
        first_line: int,
        struct_name: Callable[[TupleType], str],
        float_type: ScalarType,
        int_type: ScalarType,
    ) -> None:
        self.name, self.filename, self.first_line, self.struct_name = name, filename, first_line, struct_name
        # the function's float and int types: what float literals, float(x) and int(x) mean here
        self.F, self.I = float_type, int_type

    # -- errors ----------------------------------------------------------------------------------------------

    def fail(self, node: ast.AST, msg: str) -> NoReturn:
        line = self.first_line + getattr(node, "lineno", 1) - 1
        raise UserFunError(f"{self.filename}:{line}: user function '{self.name}': {msg}")

    def unsupported(self, node: ast.AST, what: str, hint: str) -> NoReturn:
        self.fail(node, f"{what} is not supported in user functions; {hint}")

    def reject(self, node: ast.AST) -> NoReturn:
        known = CONSTRUCTS.get(type(node))
        what, hint = known or (f"the Python construct {type(node).__name__}", "see the supported subset")
        self.unsupported(node, what, hint)

    # -- literals and conversions ----------------------------------------------------------------------------

    def commit(self, v: Const, t: ScalarType, node: ast.AST) -> Value:
        """The literal ``v`` as a value of type ``t`` (checked: no float in an int, no out-of-range value)."""
        if (type(v) is bool) != (t == bool_) or (isinstance(v, float) and not t.is_float):
            self.fail(node, f"the literal {v!r} cannot be a {t} value here; convert with float()/int()")
        if t in (i32, i64) and not np.iinfo(t.dtype).min <= v <= np.iinfo(t.dtype).max:
            self.fail(node, f"the literal {v!r} is out of range for {t}")
        with np.errstate(over="ignore"):
            if t.is_float and (
                (not isinstance(v, float) and abs(v) > 2**1023)
                or (math.isfinite(v) and not np.isfinite(t.dtype.type(v)))
            ):
                self.fail(node, f"the literal {v!r} is out of range for {t}")
        return literal(v, t)

    def default(self, v: Const) -> ScalarType:
        return {bool: bool_, int: self.I, float: self.F}[type(v)]

    def fix(self, x: Value, node: ast.AST) -> Value:
        """``x`` with its type settled (a literal takes its default type: int literals ``I``, floats ``F``)."""
        return x if x.const is None else self.commit(x.const, self.default(x.const), node)

    def weak(self, v: object, node: ast.AST) -> Value:
        if type(v) not in (int, float, bool):
            self.fail(node, f"this constant expression has the value {v!r}, which is not a real number")
        assert isinstance(v, (int, float))
        return literal(v, self.default(v), const=v)

    def fold(self, fn: Callable[..., object], args: Sequence[Const], node: ast.AST) -> Value:
        try:
            return self.weak(fn(*args), node)
        except (ArithmeticError, ValueError) as err:
            self.fail(node, f"this constant expression cannot be evaluated: {err}")

    def common(self, xs: Sequence[Value], node: ast.AST, what: str) -> ScalarType:
        """The type numeric operands are converted to; literals adapt to the typed operands."""
        strong: list[ScalarType] = []
        for x in xs:
            scalar = x.t.scalar_type()  # None for a tuple (a user function holds no arrays)
            if scalar is None or scalar == bool_:
                self.fail(node, f"{what} needs numbers, found a {x.t} value")
            if x.const is None:
                strong.append(scalar)
        floats = any(isinstance(x.const, float) for x in xs)
        t = reduce(join_types, strong) if strong else self.F if floats else self.I
        return self.F if floats and not t.is_float else t

    def convert(self, x: Value, t: ScalarType, node: ast.AST, explicit: bool = False) -> Value:
        """``x`` as a ``t``; the C cast is printed only if ``explicit`` (C converts operands implicitly)."""
        if x.const is not None:
            return self.commit(x.const, t, node)
        if x.t == t:
            return x
        if self.lanes > 1:
            self.unsupported(node, f"a conversion from {x.t} to {t} on vectors", "apply it to scalars")
        py = ast.Call(load("_lift_cast"), [x.py, ast.Attribute(load("_lift_np"), np_attr(t), ast.Load())], [])
        if explicit:
            return Value(t, f"({t.c_name}){wrap(x, UNARY)}", UNARY, py)
        return Value(t, x.c, x.prec, py)

    def coerce(self, x: Value, t: DataType, node: ast.AST, what: str) -> Value:
        """``x`` as a value of the declared type ``t``, if the conversion is safe."""
        return _Coercion(self, x, node, what)(t)

    # -- tuples ---------------------------------------------------------------------------------------------

    def index(self, base: Value, t: TupleType, i: int) -> Value:
        """Component ``i`` of ``base``, a value of the tuple type ``t``."""
        if base.elems is not None:
            return base.elems[i]
        py = ast.Subscript(base.py, ast.Constant(i), ast.Load())
        return Value(t.elems[i], f"{wrap(base, PRIMARY)}._{i}", PRIMARY, py)

    def tuple(self, xs: Sequence[Value], node: ast.AST, t: TupleType | None = None) -> Value:
        """A tuple literal: a C compound literal ``(Tuple_float_int){a, b}`` (inner tuples as braces)."""
        fixed = [self.fix(x, node) for x in xs]
        t = t or TupleType(tuple(x.t for x in fixed))

        def braces(ys: Sequence[Value]) -> str:
            return "{" + ", ".join(braces(y.elems) if y.elems else self.fix(y, node).c for y in ys) + "}"

        py = ast.Tuple([x.py for x in fixed], ast.Load())
        return Value(t, f"({self.struct_name(t)}){braces(xs)}", PRIMARY, py, elems=tuple(xs))

    def select(self, mask: ast.expr, a: ast.expr, b: ast.expr, t: DataType) -> ast.expr:
        """numpy ``a where mask else b``, componentwise for tuples."""
        return _SELECT(t, mask, a, b)


class _Select(NodeMapper[ast.expr]):
    """numpy ``a where mask else b`` for values of each kind of type (user functions hold no arrays: a partial
    mapper)."""

    def map_tuple_type(self, t: TupleType, mask: ast.expr, a: ast.expr, b: ast.expr) -> ast.expr:
        parts = [ast.Subscript(x, ast.Constant(i), ast.Load()) for x in (a, b) for i in range(len(t.elems))]
        n = len(t.elems)
        return ast.Tuple([self(e, mask, parts[i], parts[n + i]) for i, e in enumerate(t.elems)], ast.Load())

    def map_scalar_type(self, t: ScalarType, mask: ast.expr, a: ast.expr, b: ast.expr) -> ast.expr:
        return np_call("where", mask, a, b)


_SELECT = _Select()


@dataclass(frozen=True)
class _Coercion(NodeMapper[Value]):
    """One value as a value of a declared type, by the kind of that type (user functions hold no arrays: a
    partial mapper)."""

    rules: ValueRules
    """The function's typing rules, which also report the errors."""
    x: Value
    """The value converted."""
    node: ast.AST
    """Where the conversion happens, for errors."""
    what: str
    """What the value is, for errors (``the returned value``)."""

    def map_tuple_type(self, t: TupleType) -> Value:
        x, node, what = self.x, self.node, self.what
        if x.elems is not None and len(x.elems) == len(t.elems):
            ys = [
                self.rules.coerce(e, et, node, f"component {i} of {what}")
                for i, (e, et) in enumerate(zip(x.elems, t.elems))
            ]
            return self.rules.tuple(ys, node, t)
        if x.t != t:
            self.rules.fail(node, f"{what} has type {x.t} but {t} is expected")
        return x

    def map_scalar_type(self, t: ScalarType) -> Value:
        x, node, what = self.x, self.node, self.what
        scalar = x.t.scalar_type()  # None for a tuple
        if scalar is None:
            self.rules.fail(node, f"{what} is a tuple {x.t} but {t} is expected")
        if x.const is not None:
            return self.rules.commit(x.const, t, node)
        if widens(scalar, t):
            return self.rules.convert(x, t, node, explicit=True)
        fix = "int(...)" if not t.is_float else "float(...)"
        self.rules.fail(node, f"{what} has type {x.t} but {t} is declared; convert explicitly with {fix}")
