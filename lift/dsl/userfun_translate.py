"""Translate the Python source of a user function into OpenCL C and into a vectorised numpy callable.

A user function is a typed scalar function such as ``def mult(x: f32, y: f32) -> f32: return x * y``. Its body
is read once, typed (every subexpression gets a :class:`ScalarType` or :class:`TupleType`), and printed twice:
as an OpenCL C function and as a straight-line Python function over numpy arrays. Both come from the same typed
walk, so the two agree on every implicit conversion and on the type of every literal.

The supported subset: arithmetic, comparisons, ``and``/``or``/``not``, conditional expressions, ``math``
functions, ``abs``/``min``/``max``/``float``/``int``, locals (plain, augmented and tuple-unpacking assignments),
``if``/``elif``/``else`` statements, tuple parameters indexed by literals, and tuple results. Anything else is a
:class:`~lift.errors.UserFunError` naming the file, line and construct.

Known differences from plain Python: integers are fixed-width (overflow wraps in numpy and is undefined in C);
``math.floor``/``math.ceil`` return floats, as in C; domain errors (``math.sqrt(-1.0)``, float division by zero)
give NaN/inf instead of raising, and integer division by zero is undefined in C (0 in numpy); float
``min``/``max`` ignore NaN (C and numpy ``fmin``/``fmax``); a local first assigned an int literal and later a
float (``acc = 0; acc += x``) is a float throughout.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, NoReturn

import numpy as np

from lift.dsl.userfun_syntax import (
    ADD,
    AND,
    ARITH,
    BUILTINS,
    C_RESERVED,
    C_VECTOR,
    CMP,
    COND,
    CONSTRUCTS,
    EQ,
    MATH,
    MATH_CONSTS,
    MUL,
    OR,
    OTHER_OPS,
    PRIMARY,
    REL,
    UNARY,
    c_literal,
    c_type,
    compile_python,
    default_struct_name,
    parse_function_source,
    parse_python,
    required_structs,
    struct_definition,
)
from lift.errors import LiftTypeError, UserFunError
from lift.types.data import DataType, ScalarType, TupleType, bool_, f32, f64, i32, i64

__all__ = [
    "TranslatedUserFun",
    "default_struct_name",
    "parse_function_source",
    "required_structs",
    "struct_definition",
    "translate_userfun",
]


@dataclass(frozen=True)
class TranslatedUserFun:
    """A user function translated to OpenCL C and to numpy."""

    c_definition: str
    """The OpenCL C function definition (tuple structs are referenced by name, not defined here)."""
    evaluate: Callable[..., Any]
    """The numpy evaluator: arrays (a tuple of arrays for a tuple parameter) in, arrays of the result dtype out."""
    numpy_source: str = ""
    """The generated Python source behind ``evaluate``, for debugging."""


Const = int | float  # a literal value not yet committed to a type (bool included, as a subclass of int)


@dataclass(frozen=True)
class _X:
    """A typed expression: its C text, the C precedence of its top operator, and its numpy expression."""

    t: DataType
    c: str
    prec: int
    py: ast.expr
    const: Const | None = None
    """A literal (folded) value whose type adapts to the other operand, like ``2`` in ``x * 2``."""
    elems: tuple[_X, ...] | None = None
    """The components of a tuple literal, kept so that each can adapt to a declared tuple type."""


def _wrap(x: _X, prec: int) -> str:
    """``x``'s C text, parenthesised if its operator binds looser than ``prec``."""
    return x.c if x.prec >= prec else f"({x.c})"


def _join(a: ScalarType, b: ScalarType) -> ScalarType:
    """The type of ``a op b`` (the usual arithmetic conversions of C, which numpy mirrors via explicit casts)."""
    if a.is_float or b.is_float:
        return f64 if f64 in (a, b) else f32
    return i64 if i64 in (a, b) else i32


def _widens(src: DataType, dst: DataType) -> bool:
    """Whether ``src`` converts to ``dst`` without an explicit cast (int to float, or to a wider type)."""
    if not (isinstance(src, ScalarType) and isinstance(dst, ScalarType)) or bool_ in (src, dst):
        return src == dst
    return src == dst or (dst.is_float and (not src.is_float or dst == f64)) or (src, dst) == (i32, i64)


def _load(name: str) -> ast.expr:
    return ast.Name(name, ast.Load())


def _np_call(fn: str, *args: ast.expr) -> ast.expr:
    return ast.Call(ast.Attribute(_load("_lift_np"), fn, ast.Load()), list(args), [])


def _np_attr(t: ScalarType) -> str:
    return "bool_" if t == bool_ else t.numpy


def _np_cast(x: Any, dtype: Any) -> Any:
    return np.asarray(x).astype(dtype, copy=False)


def _literal(v: Const, t: ScalarType, const: Const | None = None) -> _X:
    with np.errstate(over="ignore"):
        c = c_literal(v, t)
        value = bool(v) if t == bool_ else int(v) if not t.is_float else float(t.dtype.type(v))
    py = _np_call(_np_attr(t), ast.Constant(value))
    return _X(t, c, UNARY if c.startswith("-") else PRIMARY, py, const)


class _Translator:
    """One translation: walks the body once, appending C lines and numpy statements side by side."""

    def __init__(
        self,
        fn: ast.FunctionDef,
        name: str,
        params: Sequence[tuple[str, DataType]],
        result: DataType,
        filename: str,
        first_line: int,
        struct_name: Callable[[TupleType], str],
        promote: dict[str, ScalarType],
    ) -> None:
        self.fn, self.name, self.params, self.result, self.promote = fn, name, params, result, promote
        self.filename, self.first_line, self.struct_name = filename, first_line, struct_name
        self.check_signature()
        scalars = [s for _, t in (*params, ("", result)) for s in _scalars(t)]
        # the function's float and int types: what float literals, float(x) and int(x) mean here
        self.F = f32 if f32 in scalars else f64
        self.I = i32 if i32 in scalars or i64 not in scalars else i64
        self.types: dict[str, DataType] = dict(params)  # every local's single C type
        self.assigned: set[str] = set(self.types)  # definitely assigned at the current point
        self.locals = set(self.types) | {
            n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        self.int_init: set[str] = set()  # locals first assigned an int literal
        self.cnames: dict[str, str] = {}
        self.declared: set[str] = set(self.types)
        self.lines: list[str] = []
        self.depth = 1
        self.hoisted: list[str] = []  # declarations of locals first assigned inside an if statement
        self.elif_ = False
        # numpy side: straight-line code; `if` becomes masks (self.path) and returns merge into _lift_res
        self.body: list[ast.stmt] = []
        self.py_defined: set[str] = set(self.types)
        self.path: ast.expr | None = None
        self.cond_returned = self.py_returned = False
        self.ntmp = 0

    # -- errors ----------------------------------------------------------------------------------------------

    def fail(self, node: ast.AST, msg: str) -> NoReturn:
        line = self.first_line + getattr(node, "lineno", 1) - 1
        raise UserFunError(f"{self.filename}:{line}: user function '{self.name}': {msg}")

    def unsupported(self, node: ast.AST, what: str, hint: str) -> NoReturn:
        self.fail(node, f"{what} is not supported in user functions; {hint}")

    def reject(self, node: ast.AST) -> NoReturn:
        if isinstance(node, ast.Constant):
            self.unsupported(node, f"the literal {node.value!r}", "user functions compute numbers")
        known = CONSTRUCTS.get(type(node))
        what, hint = known or (f"the Python construct {type(node).__name__}", "see the supported subset")
        self.unsupported(node, what, hint)

    def check_signature(self) -> None:
        a = self.fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs:
            self.unsupported(self.fn, "*args, **kwargs, keyword-only or default parameters", "list plain ones")
        names = [p.arg for p in a.args]
        if names != [p for p, _ in self.params]:
            self.fail(self.fn, f"the parameters {names} differ from the declared {[p for p, _ in self.params]}")
        if not self.name.isidentifier() or not self.name.isascii() or self.name in C_RESERVED:
            self.fail(self.fn, f"the name {self.name!r} cannot name an OpenCL C function")
        for p, t in (*self.params, ("the result", self.result)):
            if not all(isinstance(s, ScalarType) for s in _scalars(t)) or _scalars(t) == []:
                self.fail(self.fn, f"{p} has type {t}; user functions take and return scalars or tuples of them")
        for n in ast.walk(self.fn):
            ident = n.id if isinstance(n, ast.Name) else n.arg if isinstance(n, ast.arg) else "x"
            if not ident.isascii() or ident.startswith("_lift_"):
                self.fail(n, f"the name {ident!r} cannot be used: C names are ASCII, and _lift_ is reserved")

    # -- helpers ---------------------------------------------------------------------------------------------

    def cname(self, name: str) -> str:
        if name not in self.cnames:
            c = "v" + name if name.startswith("__") or re.match("_[A-Z]", name) else name  # reserved in C
            while c in C_RESERVED or C_VECTOR.fullmatch(c) or c in self.cnames.values():
                c += "_"
            self.cnames[name] = c
        return self.cnames[name]

    def ctype(self, t: DataType) -> str:
        return c_type(t, self.struct_name)

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def emit(self, stmt: ast.stmt, src: ast.AST) -> None:
        stmt.lineno = stmt.end_lineno = self.first_line + getattr(src, "lineno", 1) - 1
        stmt.col_offset = stmt.end_col_offset = 0
        self.body.append(stmt)

    def temp(self, value: ast.expr, src: ast.AST, prefix: str = "m") -> ast.expr:
        self.ntmp += 1
        name = f"_lift_{prefix}{self.ntmp}"
        self.emit(ast.Assign([ast.Name(name, ast.Store())], value), src)
        return _load(name)

    def select(self, mask: ast.expr, a: ast.expr, b: ast.expr, t: DataType) -> ast.expr:
        """numpy ``a where mask else b``, componentwise for tuples."""
        if isinstance(t, TupleType):
            parts = [ast.Subscript(x, ast.Constant(i), ast.Load()) for x in (a, b) for i in range(len(t.elems))]
            n = len(t.elems)
            return ast.Tuple([self.select(mask, parts[i], parts[n + i], e) for i, e in enumerate(t.elems)], ast.Load())
        return _np_call("where", mask, a, b)

    def commit(self, v: Const, t: ScalarType, node: ast.AST) -> _X:
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
        return _literal(v, t)

    def default(self, v: Const) -> ScalarType:
        return bool_ if type(v) is bool else self.F if isinstance(v, float) else self.I

    def fix(self, x: _X, node: ast.AST) -> _X:
        """``x`` with its type settled (a literal takes its default type: int literals ``I``, floats ``F``)."""
        return x if x.const is None else self.commit(x.const, self.default(x.const), node)

    def weak(self, v: object, node: ast.AST) -> _X:
        if type(v) not in (int, float, bool):
            self.fail(node, f"this constant expression has the value {v!r}, which is not a real number")
        assert isinstance(v, (int, float))
        return _literal(v, self.default(v), const=v)

    def fold(self, fn: Callable[..., object], args: Sequence[Const], node: ast.AST) -> _X:
        try:
            return self.weak(fn(*args), node)
        except (ArithmeticError, ValueError) as err:
            self.fail(node, f"this constant expression cannot be evaluated: {err}")

    def common(self, xs: Sequence[_X], node: ast.AST, what: str) -> ScalarType:
        """The type numeric operands are converted to; literals adapt to the typed operands."""
        for x in xs:
            if not isinstance(x.t, ScalarType) or x.t == bool_:
                self.fail(node, f"{what} needs numbers, found a {x.t} value")
        strong = [x.t for x in xs if x.const is None and isinstance(x.t, ScalarType)]
        floats = any(isinstance(x.const, float) for x in xs)
        t = reduce(_join, strong) if strong else self.F if floats else self.I
        return self.F if floats and not t.is_float else t

    def convert(self, x: _X, t: ScalarType, node: ast.AST, explicit: bool = False) -> _X:
        """``x`` as a ``t``; the C cast is printed only if ``explicit`` (C converts operands implicitly)."""
        if x.const is not None:
            return self.commit(x.const, t, node)
        if x.t == t:
            return x
        py = ast.Call(_load("_lift_cast"), [x.py, ast.Attribute(_load("_lift_np"), _np_attr(t), ast.Load())], [])
        if explicit:
            return _X(t, f"({t.c_name}){_wrap(x, UNARY)}", UNARY, py)
        return _X(t, x.c, x.prec, py)

    def coerce(self, x: _X, t: DataType, node: ast.AST, what: str) -> _X:
        """``x`` as a value of the declared type ``t``, if the conversion is safe."""
        if isinstance(t, TupleType):
            if x.elems is not None and len(x.elems) == len(t.elems):
                ys = [
                    self.coerce(e, et, node, f"component {i} of {what}")
                    for i, (e, et) in enumerate(zip(x.elems, t.elems))
                ]
                return self.tuple(ys, node, t)
            if x.t != t:
                self.fail(node, f"{what} has type {x.t} but {t} is expected")
            return x
        assert isinstance(t, ScalarType)
        if isinstance(x.t, TupleType):
            self.fail(node, f"{what} is a tuple {x.t} but {t} is expected")
        if x.const is not None:
            return self.commit(x.const, t, node)
        if _widens(x.t, t):
            return self.convert(x, t, node, explicit=True)
        fix = "int(...)" if not t.is_float else "float(...)"
        self.fail(node, f"{what} has type {x.t} but {t} is declared; convert explicitly with {fix}")

    def cond(self, node: ast.expr) -> _X:
        x = self.expr(node)
        if x.t != bool_:
            self.fail(node, f"a condition must be a comparison or a bool, found a {x.t} value; write e.g. 'x != 0'")
        return x

    # -- expressions -----------------------------------------------------------------------------------------

    def expr(self, node: ast.expr) -> _X:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
            return self.weak(node.value, node)
        if isinstance(node, ast.Name):
            return self.var(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left), self.expr(node.right), node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Compare):
            xs = [self.expr(e) for e in (node.left, *node.comparators)]
            parts = [self.compare(op, a, b, node) for op, a, b in zip(node.ops, xs, xs[1:])]
            return parts[0] if len(parts) == 1 else self.logic(ast.And(), parts, node)  # a < b < c
        if isinstance(node, ast.BoolOp):
            return self.logic(node.op, [self.cond(v) for v in node.values], node)
        if isinstance(node, ast.IfExp):
            return self.ifexp(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "math" and "math" not in self.locals:
                if node.attr in MATH_CONSTS:
                    return self.weak(MATH_CONSTS[node.attr], node)
                if node.attr in MATH:
                    self.fail(node, f"math.{node.attr} is used as a value; call it")
            self.unsupported(node, f"attribute access '{ast.unparse(node)}'", "only math.<function> is available")
        if isinstance(node, ast.Tuple):
            return self.tuple([self.expr(e) for e in node.elts], node)
        self.reject(node)

    def var(self, node: ast.Name) -> _X:
        n = node.id
        if n in self.locals:
            if n not in self.assigned:
                self.fail(node, f"the local '{n}' is used before it is assigned (on some path)")
            return _X(self.types[n], self.cname(n), PRIMARY, _load(n))
        if n in MATH or n in BUILTINS:
            self.fail(node, f"the function '{n}' is used as a value; call it")
        self.unsupported(node, f"the global or closure variable '{n}'", "pass the value as a parameter")

    def binop(self, op: ast.operator, a: _X, b: _X, node: ast.AST) -> _X:
        if type(op) not in ARITH:
            self.unsupported(node, f"the operator '{OTHER_OPS.get(type(op), '?')}'", "use + - * / // % **")
        sym, prec, fn = ARITH[type(op)]
        t = self.common([a, b], node, f"the operator '{sym}'")
        if a.const is not None and b.const is not None:
            if isinstance(op, ast.Pow) and abs(b.const) > 4096:  # 10 ** 10 ** 10 would never finish
                self.fail(node, "this constant power is too large")
            return self.fold(fn, [a.const, b.const], node)
        if isinstance(op, ast.Div) and not t.is_float:
            self.unsupported(node, "'/' on integers", "use '//' for floor division, or float(a) / b")
        if isinstance(op, (ast.FloorDiv, ast.Mod)) and t.is_float:
            self.unsupported(node, f"'{sym}' on floats", "use math.floor(a / b) or math.fmod(a, b)")
        if isinstance(op, ast.Pow):
            return self.power(a, b, t, node)
        bconst = b.const
        a, b = self.convert(a, t, node), self.convert(b, t, node)
        py = ast.BinOp(a.py, op, b.py)
        if isinstance(op, (ast.FloorDiv, ast.Mod)):
            return _X(t, _c_floor(isinstance(op, ast.Mod), a, b, bconst), ADD, py)
        return _X(t, f"{_wrap(a, prec)} {sym} {_wrap(b, prec + 1)}", prec, py)

    def power(self, a: _X, b: _X, t: ScalarType, node: ast.AST) -> _X:
        if t.is_float:
            a, b = self.convert(a, t, node, True), self.convert(b, t, node, True)
            return _X(t, f"pow({a.c}, {b.c})", PRIMARY, _np_call("power", a.py, b.py))
        if not (type(b.const) is int and 0 <= b.const <= 8):
            self.unsupported(node, "'**' on integers without a literal exponent 0..8", "use float(x) ** y")
        if b.const == 0:
            return self.commit(1, t, node)
        base = x = self.convert(a, t, node)
        for _ in range(b.const - 1):  # C has no integer pow: multiply out
            x = self.binop(ast.Mult(), x, base, node)
        return x

    def unary(self, node: ast.UnaryOp) -> _X:
        if isinstance(node.op, ast.Not):
            x = self.cond(node.operand)
            if x.const is not None:
                return self.weak(not x.const, node)
            return _X(bool_, "!" + _wrap(x, UNARY), UNARY, _np_call("logical_not", x.py))
        x = self.expr(node.operand)
        if isinstance(node.op, ast.Invert):
            self.unsupported(node, "the operator '~'", "user functions have no bitwise operators")
        self.common([x], node, "unary minus/plus")
        if isinstance(node.op, ast.UAdd):
            return x
        if x.const is not None:
            return self.weak(-x.const, node)
        c = "-" + _wrap(x, UNARY)
        return _X(x.t, "-(" + c[1:] + ")" if c.startswith("--") else c, UNARY, ast.UnaryOp(ast.USub(), x.py))

    def compare(self, op: ast.cmpop, a: _X, b: _X, node: ast.AST) -> _X:
        if type(op) not in CMP:
            self.unsupported(node, f"the operator '{OTHER_OPS.get(type(op), '?')}'", "use < <= > >= == !=")
        sym, prec, fn = CMP[type(op)]
        if bool_ in (a.t, b.t):
            if a.t != b.t or prec != EQ:
                self.fail(node, f"'{sym}' cannot compare {a.t} with {b.t}")
            t = bool_
        else:
            t = self.common([a, b], node, f"the comparison '{sym}'")
        if a.const is not None and b.const is not None:
            return self.fold(fn, [a.const, b.const], node)
        a, b = self.convert(a, t, node), self.convert(b, t, node)
        py = ast.Compare(a.py, [op], [b.py])
        return _X(bool_, f"{_wrap(a, REL + 1)} {sym} {_wrap(b, REL + 1)}", prec, py)

    def logic(self, op: ast.boolop, xs: list[_X], node: ast.AST) -> _X:
        is_and = isinstance(op, ast.And)
        if all(x.const is not None for x in xs):
            return self.weak((all if is_and else any)(x.const for x in xs), node)
        xs = [self.fix(x, node) for x in xs]
        # && inside || gets parentheses too: legal C without them, but easier to read (and gcc asks for them)
        c = (" && " if is_and else " || ").join(_wrap(x, AND + 1) for x in xs)
        py = reduce(lambda p, q: _np_call("logical_and" if is_and else "logical_or", p, q), [x.py for x in xs])
        return _X(bool_, c, AND if is_and else OR, py)

    def ifexp(self, node: ast.IfExp) -> _X:
        test, a, b = self.cond(node.test), self.expr(node.body), self.expr(node.orelse)
        if test.const is not None:
            return a if test.const else b
        if isinstance(a.t, TupleType) or isinstance(b.t, TupleType):
            t: DataType = b.t if a.elems is not None and b.elems is None else a.t  # a literal adapts
            a, b = self.coerce(a, t, node, "this branch"), self.coerce(b, t, node, "this branch")
        elif bool_ in (a.t, b.t):
            if a.t != b.t:
                self.fail(node, f"the branches have types {a.t} and {b.t}")
            a, b, t = self.fix(a, node), self.fix(b, node), bool_
        else:
            t = self.common([a, b], node, "a conditional expression")
            a, b = self.convert(a, t, node), self.convert(b, t, node)
        c = f"{_wrap(test, COND + 1)} ? {_wrap(a, COND + 1)} : {_wrap(b, COND)}"
        return _X(t, c, COND, self.select(test.py, a.py, b.py, t))

    def call(self, node: ast.Call) -> _X:
        f = node.func
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.unsupported(node, "keyword or starred arguments", "pass arguments by position")
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "math":
            fname = f.attr
            if fname not in MATH or "math" in self.locals:
                self.unsupported(node, f"math.{fname}", f"the math functions available are {', '.join(MATH)}")
        elif isinstance(f, ast.Name) and f.id not in self.locals and (f.id in MATH or f.id in BUILTINS):
            fname = f.id
        else:
            hint = "call only math functions, abs, min, max, float and int; inline other functions"
            self.unsupported(node, f"a call to '{ast.unparse(f)}'", hint)
        args = [self.expr(a) for a in node.args]
        if fname in ("float", "int"):
            if len(args) != 1 or isinstance(args[0].t, TupleType):
                self.fail(node, f"{fname}() takes one number")
            x, t = args[0], self.F if fname == "float" else self.I
            if x.const is not None:
                return self.fold(float if fname == "float" else int, [x.const], node)
            return self.convert(x, t, node, explicit=True)
        arity = 1 if fname == "abs" else MATH[fname][2] if fname in MATH else len(args)
        if len(args) != arity or (arity == 1 and fname in ("min", "max")):
            self.fail(node, f"{fname}() takes {arity if fname not in ('min', 'max') else 'two or more'} arguments")
        t = self.common(args, node, f"{fname}()")
        consts = [a.const for a in args if a.const is not None]
        if fname in ("abs", "min", "max") and len(consts) == len(args):
            folds: dict[str, Callable[..., object]] = {"abs": abs, "min": min, "max": max}
            return self.fold(folds[fname], consts, node)
        if fname in MATH and not t.is_float:
            t = self.F
        # explicit casts for arguments: OpenCL overloads math builtins, and mixed argument types are ambiguous
        xs = [self.convert(a, t, node, explicit=True) for a in args]
        if fname == "abs":
            if t.is_float:
                return _X(t, f"fabs({xs[0].c})", PRIMARY, _np_call("abs", xs[0].py))
            # OpenCL's integer abs returns the unsigned type; cast back so that abs(x) - 5 stays signed
            return _X(t, f"({t.c_name})abs({xs[0].c})", UNARY, _np_call("abs", xs[0].py))
        if fname in ("min", "max"):
            cn = ("f" + fname) if t.is_float else fname
            nn = ("f" + fname) if t.is_float else {"min": "minimum", "max": "maximum"}[fname]
            return reduce(lambda p, q: _X(t, f"{cn}({p.c}, {q.c})", PRIMARY, _np_call(nn, p.py, q.py)), xs)
        cn, nn, _ = MATH[fname]
        return _X(t, f"{cn}({', '.join(x.c for x in xs)})", PRIMARY, _np_call(nn, *[x.py for x in xs]))

    def subscript(self, node: ast.Subscript) -> _X:
        base = self.expr(node.value)
        if not isinstance(base.t, TupleType):
            self.unsupported(node, f"subscript of a {base.t} value", "only tuples can be indexed, as p[0]")
        i = self.expr(node.slice)
        n = len(base.t.elems)
        if type(i.const) is not int or not -n <= i.const < n:
            self.fail(
                node, f"a tuple index must be an integer literal in range(-{n}, {n}), found {ast.unparse(node.slice)}"
            )
        return self.index(base, i.const % n)

    def index(self, base: _X, i: int) -> _X:
        assert isinstance(base.t, TupleType)
        if base.elems is not None:
            return base.elems[i]
        py = ast.Subscript(base.py, ast.Constant(i), ast.Load())
        return _X(base.t.elems[i], f"{_wrap(base, PRIMARY)}._{i}", PRIMARY, py)

    def tuple(self, xs: Sequence[_X], node: ast.AST, t: TupleType | None = None) -> _X:
        """A tuple literal: a C compound literal ``(Tuple_float_int){a, b}`` (inner tuples as braces)."""
        fixed = [self.fix(x, node) for x in xs]
        t = t or TupleType(tuple(x.t for x in fixed))

        def braces(ys: Sequence[_X]) -> str:
            return "{" + ", ".join(braces(y.elems) if y.elems else self.fix(y, node).c for y in ys) + "}"

        py = ast.Tuple([x.py for x in fixed], ast.Load())
        return _X(t, f"({self.struct_name(t)}){braces(xs)}", PRIMARY, py, elems=tuple(xs))

    # -- statements ------------------------------------------------------------------------------------------

    def block(self, stmts: Sequence[ast.stmt]) -> bool:
        """Translate ``stmts``; whether every path through them returns."""
        done = False
        for s in stmts:
            if done:
                self.fail(s, "this statement is unreachable (it follows a return)")
            done = self.stmt(s)
        return done

    def stmt(self, s: ast.stmt) -> bool:
        if isinstance(s, ast.Return):
            if s.value is None:
                self.fail(s, "a bare return returns nothing; user functions must return a value")
            x = self.coerce(self.expr(s.value), self.result, s, "the returned value")
            self.line(f"return {x.c};")
            self.py_return(x, s)
            return True
        if isinstance(s, ast.If):
            return self.if_(s)
        if isinstance(s, ast.Assign):
            if len(s.targets) != 1:
                self.unsupported(s, "a chained assignment (a = b = ...)", "assign each name separately")
            self.assign(s.targets[0], self.expr(s.value), s)
        elif isinstance(s, ast.AnnAssign) and s.value is not None:
            self.assign(s.target, self.expr(s.value), s)
        elif isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
            self.augassign(s.target.id, s)
        elif isinstance(s, ast.Expr):
            self.expr(s.value)
            self.unsupported(s, "an expression statement", "its value would be lost; assign or return it")
        elif not isinstance(s, ast.Pass):
            self.reject(s)
        return False

    def assign(self, target: ast.expr, x: _X, s: ast.stmt) -> None:
        if isinstance(target, ast.Tuple):
            if not isinstance(x.t, TupleType) or len(x.t.elems) != len(target.elts):
                self.fail(s, f"cannot unpack a {x.t} value into {len(target.elts)} names")
            reads = {n.id for n in ast.walk(getattr(s, "value", s)) if isinstance(n, ast.Name)}
            if reads & {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}:
                self.unsupported(s, "a tuple assignment that reads a name it assigns", "use a temporary")
            for i, e in enumerate(target.elts):
                self.assign(e, self.index(x, i), s)
            return
        if not isinstance(target, ast.Name):
            self.unsupported(s, f"assignment to '{ast.unparse(target)}'", "assign to a local name")
        n, cn = target.id, self.cname(target.id)
        if n in self.types:
            self.check_promote(n, x.t)
            x = self.coerce(x, self.types[n], s, f"the value assigned to '{n}'")
        else:
            if type(x.const) is int:  # `acc = 0`: int, unless a float is assigned later (then retranslated)
                self.int_init.add(n)
                x = self.commit(x.const, self.promote[n], s) if n in self.promote else x
            x = self.fix(x, s)
            self.types[n] = x.t
        if n in self.declared:
            self.line(f"{cn} = {x.c};")
        elif self.depth == 1:
            self.line(f"{self.ctype(x.t)} {cn} = {x.c};")
        else:  # first assigned inside an if: declared before the whole if statement, where later code sees it
            self.hoisted.append(f"{self.ctype(x.t)} {cn};")
            self.line(f"{cn} = {x.c};")
        self.declared.add(n)
        self.assigned.add(n)
        self.py_assign(n, x, s)

    def augassign(self, n: str, s: ast.AugAssign) -> None:
        cur, rhs = self.var(ast.Name(n, ast.Load(), lineno=s.lineno)), self.expr(s.value)
        t, res = self.types[n], self.binop(s.op, cur, rhs, s)
        self.check_promote(n, res.t)
        x = self.coerce(res, t, s, f"the new value of '{n}'")
        sym = ARITH[type(s.op)][0]
        if isinstance(t, ScalarType) and res.t == t and sym in ("+", "-", "*", "/"):  # C's `t op= e` fits
            self.line(f"{cur.c} {sym}= {self.convert(rhs, t, s).c};")
        else:
            self.line(f"{cur.c} = {x.c};")
        self.py_assign(n, x, s)

    def check_promote(self, n: str, new: DataType) -> None:
        if n in self.int_init and isinstance(new, ScalarType) and new.is_float:
            if n not in self.promote or _join(self.promote[n], new) != self.promote[n]:  # at most f32, then f64
                raise _Promote(n, new if n not in self.promote else _join(self.promote[n], new))

    def if_(self, s: ast.If) -> bool:
        test = self.cond(s.test)
        top, start = self.depth == 1 and not self.elif_, len(self.lines)
        if self.elif_:
            self.lines[-1] += f"if ({test.c}) {{"
            self.elif_ = False
        else:
            self.line(f"if ({test.c}) {{")
        outer, before = self.path, set(self.assigned)
        m = self.temp(test.py, s)
        self.path = m if outer is None else self.temp(_np_call("logical_and", outer, m), s)
        self.depth += 1
        then_done, then_assigned = self.block(s.body), self.assigned
        self.depth -= 1
        self.assigned, else_done = set(before), False
        if s.orelse:
            m = _np_call("logical_not", m)
            self.path = self.temp(m if outer is None else _np_call("logical_and", outer, m), s)
            if len(s.orelse) == 1 and isinstance(s.orelse[0], ast.If):
                self.line("} else ")
                self.elif_ = True
                else_done = self.if_(s.orelse[0])
            else:
                self.line("} else {")
                self.depth += 1
                else_done = self.block(s.orelse)
                self.depth -= 1
                self.line("}")
        else:
            self.line("}")
        self.path = outer
        if then_done != else_done:
            self.assigned = self.assigned if then_done else then_assigned
        else:
            self.assigned &= then_assigned
        if top:
            self.lines[start:start] = ["    " + d for d in self.hoisted]
            self.hoisted = []
        return then_done and else_done

    # -- numpy side ------------------------------------------------------------------------------------------

    def py_assign(self, n: str, x: _X, s: ast.stmt) -> None:
        value = x.py
        if self.path is not None and n in self.py_defined:  # only the lanes on this path take the new value
            value = self.select(self.path, value, _load(n), x.t)
        self.emit(ast.Assign([ast.Name(n, ast.Store())], value), s)
        self.py_defined.add(n)

    def py_return(self, x: _X, s: ast.stmt) -> None:
        res, done = _load("_lift_res"), _load("_lift_done")
        if self.path is None:
            value = self.select(done, res, x.py, self.result) if self.cond_returned else x.py
            self.emit(ast.Return(value), s)
            self.py_returned = True
            return
        # a return under a condition: lanes on this path that have not returned yet take x
        value = self.select(done, res, x.py, self.result) if self.cond_returned else x.py
        mask = _np_call("logical_or", done, self.path) if self.cond_returned else self.path
        self.emit(ast.Assign([ast.Name("_lift_res", ast.Store())], value), s)
        self.emit(ast.Assign([ast.Name("_lift_done", ast.Store())], mask), s)
        self.cond_returned = True

    # -- driver ----------------------------------------------------------------------------------------------

    def translate(self) -> TranslatedUserFun:
        body = self.fn.body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:] if isinstance(body[0].value.value, str) else body  # the docstring
        if not self.block(body):
            self.fail(body[-1] if body else self.fn, "the function can end without a return; return on every path")
        if not self.py_returned:
            self.emit(ast.Return(_load("_lift_res")), body[-1])
        params = ", ".join(f"{self.ctype(t)} {self.cname(p)}" for p, t in self.params)
        c_def = f"{self.ctype(self.result)} {self.name}({params})\n{{\n" + "\n".join(self.lines) + "\n}\n"
        module = parse_python(f"def {self.name}({', '.join(p for p, _ in self.params)}):\n    pass\n")
        ast.increment_lineno(module, self.first_line + self.fn.lineno - 2)
        fdef = module.body[0]
        assert isinstance(fdef, ast.FunctionDef)
        fdef.body = self.body
        ast.fix_missing_locations(module)
        namespace: dict[str, Any] = {"_lift_np": np, "_lift_cast": _np_cast}
        exec(compile_python(module, self.filename), namespace)
        fn = _make_evaluate(namespace[self.name], self.name, [t for _, t in self.params], self.result)
        return TranslatedUserFun(c_def, fn, ast.unparse(module))


def _scalars(t: DataType) -> list[DataType]:
    return [s for e in t.elems for s in _scalars(e)] if isinstance(t, TupleType) else [t]


def _c_floor(is_mod: bool, a: _X, b: _X, bconst: Const | None) -> str:
    """C for Python's integer ``a // b`` or ``a % b``, which round toward minus infinity (C truncates)."""
    r = f"{_wrap(a, MUL)} % {_wrap(b, MUL + 1)}"
    if bconst is not None:  # a literal divisor: the remainder's sign alone says whether to adjust
        fix = f"{r} < 0" if bconst > 0 else f"{r} > 0"
    else:
        fix = f"{r} != 0 && ({r} < 0) != ({_wrap(b, REL + 1)} < 0)"
    if is_mod:
        return f"{r} + ({fix} ? {_wrap(b, COND + 1)} : 0)"
    return f"{_wrap(a, MUL)} / {_wrap(b, MUL + 1)} - ({fix})"


def _make_evaluate(
    fn: Callable[..., Any], name: str, param_types: Sequence[DataType], result: DataType
) -> Callable[..., Any]:
    def arg(v: Any, t: DataType) -> Any:
        if isinstance(t, TupleType):
            if not isinstance(v, tuple) or len(v) != len(t.elems):
                raise LiftTypeError(f"user function '{name}': expected a tuple of {len(t.elems)} arrays for {t}")
            return tuple(arg(e, et) for e, et in zip(v, t.elems))
        assert isinstance(t, ScalarType)
        return np.asarray(v, dtype=t.dtype)  # the parameter's C type: float32 stays float32

    def out(v: Any, t: DataType, shape: tuple[int, ...]) -> Any:
        if isinstance(t, TupleType):
            return tuple(out(e, et, shape) for e, et in zip(v, t.elems))
        assert isinstance(t, ScalarType)
        a = np.asarray(v).astype(t.dtype, copy=False)
        return a if a.shape == shape else np.array(np.broadcast_to(a, shape))  # e.g. a constant result

    def evaluate(*args: Any) -> Any:
        if len(args) != len(param_types):
            raise LiftTypeError(f"user function '{name}' takes {len(param_types)} arguments, got {len(args)}")
        vals = [arg(v, t) for v, t in zip(args, param_types)]
        shape = np.broadcast_shapes(*(np.shape(s) for v in vals for s in _leaves(v)))
        with np.errstate(all="ignore"):  # C gives inf/NaN silently; np.where also computes the untaken branch
            return out(fn(*vals), result, shape)

    evaluate.__name__ = evaluate.__qualname__ = name
    return evaluate


def _leaves(v: Any) -> list[Any]:
    return [s for e in v for s in _leaves(e)] if isinstance(v, tuple) else [v]


def translate_userfun(
    source: str,
    *,
    name: str,
    param_names: Sequence[str],
    param_types: Sequence[DataType],
    result_type: DataType,
    filename: str = "<userfun>",
    first_line: int = 1,
    struct_name: Callable[[TupleType], str] = default_struct_name,
) -> TranslatedUserFun:
    """Translate the Python source of a user function into OpenCL C and a vectorised numpy evaluator.

    ``source`` is the text of one ``def`` (as from :func:`inspect.getsource`); ``first_line`` is the line of its
    first line in ``filename``, so that errors point into the user's file. Tuple-typed parameters and results
    are C structs named by ``struct_name``, whose typedefs (:func:`struct_definition`) the caller emits.
    Raises :class:`UserFunError` for anything outside the supported subset (see the module docstring).
    """
    if len(param_names) != len(param_types):
        raise UserFunError(
            f"{filename}:{first_line}: user function '{name}': {len(param_names)} names, {len(param_types)} types"
        )
    fn = parse_function_source(source, filename=filename, first_line=first_line)
    params = list(zip(param_names, param_types))
    promote: dict[str, ScalarType] = {}
    while True:  # Python's `acc = 0; acc += x` makes acc a float: retranslate with acc a float from the start
        try:
            return _Translator(fn, name, params, result_type, filename, first_line, struct_name, promote).translate()
        except _Promote as p:
            promote[p.name] = p.type


class _Promote(Exception):
    """A local initialised with an int literal is later assigned a float."""

    def __init__(self, name: str, t: ScalarType) -> None:
        self.name, self.type = name, t
