"""The expressions of a user function's body, translated to typed values (OpenCL C and numpy side by side).

:class:`ExprTranslator` dispatches on the Python syntax node's class through :data:`EXPRESSIONS`, one method a
construct; a construct with no entry there is outside the supported subset, and is refused with a
:class:`~lift.errors.UserFunError` that names it (and, for the common ones, says what to write instead).
Statements, which also need expressions, are in :mod:`lift.dsl.userfun_translate`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from typing import Any

from lift.dsl.userfun_syntax import (
    ADD,
    AND,
    ARITH,
    BUILTINS,
    C_RESERVED,
    C_VECTOR,
    CMP,
    COND,
    EQ,
    MATH,
    MATH_CONSTS,
    MUL,
    OR,
    OTHER_OPS,
    PRIMARY,
    REL,
    UNARY,
    names_in,
)
from lift.dsl.userfun_values import Const, Value, ValueRules, load, np_call, wrap
from lift.types.data import DataType, ScalarType, TupleType, bool_

__all__ = ["BINARY", "CALLEES", "EXPRESSIONS", "LOGIC", "UNARY_OPERATORS", "ExprTranslator", "c_floor"]


class ExprTranslator(ValueRules):
    """Translates the expressions of one user function; knows its locals (their types, whether each is assigned
    at the current point) and their C names."""

    def __init__(
        self,
        fn: ast.FunctionDef,
        params: Sequence[tuple[str, DataType]],
        name: str,
        filename: str,
        first_line: int,
        struct_name: Callable[[TupleType], str],
        float_type: ScalarType,
        int_type: ScalarType,
    ) -> None:
        super().__init__(name, filename, first_line, struct_name, float_type, int_type)
        self.types: dict[str, DataType] = dict(params)  # every local's single C type
        self.assigned: set[str] = set(self.types)  # definitely assigned at the current point
        self.locals = set(self.types) | names_in(fn, ast.Store)
        self.cnames: dict[str, str] = {}

    def cname(self, name: str) -> str:
        """The C name of the local ``name``: itself, unless C reserves it or another local took it."""
        if name not in self.cnames:
            c = "v" + name if name.startswith("__") or re.match("_[A-Z]", name) else name  # reserved in C
            while c in C_RESERVED or C_VECTOR.fullmatch(c) or c in self.cnames.values():
                c += "_"
            self.cnames[name] = c
        return self.cnames[name]

    # -- expressions -----------------------------------------------------------------------------------------

    def expr(self, node: ast.expr) -> Value:
        """The typed value of ``node``; a construct outside the supported subset is a UserFunError naming it."""
        translate = EXPRESSIONS.get(type(node))
        if translate is None:
            self.reject(node)
        return translate(self, node)

    def constant(self, node: ast.Constant) -> Value:
        if type(node.value) not in (int, float, bool):
            self.unsupported(node, f"the literal {node.value!r}", "user functions compute numbers")  # a str, None…
        return self.weak(node.value, node)

    def binary(self, node: ast.BinOp) -> Value:
        return self.binop(node.op, self.expr(node.left), self.expr(node.right), node)

    def comparison(self, node: ast.Compare) -> Value:
        xs = [self.expr(e) for e in (node.left, *node.comparators)]
        parts = [self.compare(op, a, b, node) for op, a, b in zip(node.ops, xs, xs[1:])]
        return parts[0] if len(parts) == 1 else self.logic(ast.And(), parts, node)  # a < b < c

    def boolean(self, node: ast.BoolOp) -> Value:
        return self.logic(node.op, [self.cond(v) for v in node.values], node)

    def attribute(self, node: ast.Attribute) -> Value:
        if _names_math(node) and "math" not in self.locals:
            if node.attr in MATH_CONSTS:
                return self.weak(MATH_CONSTS[node.attr], node)
            if node.attr in MATH:
                self.fail(node, f"math.{node.attr} is used as a value; call it")
        self.unsupported(node, f"attribute access '{ast.unparse(node)}'", "only math.<function> is available")

    def tuple_display(self, node: ast.Tuple) -> Value:
        return self.tuple([self.expr(e) for e in node.elts], node)

    def var(self, node: ast.Name) -> Value:
        n = node.id
        if n in self.locals:
            if n not in self.assigned:
                self.fail(node, f"the local '{n}' is used before it is assigned (on some path)")
            return Value(self.types[n], self.cname(n), PRIMARY, load(n))
        if n in MATH or n in BUILTINS:
            self.fail(node, f"the function '{n}' is used as a value; call it")
        self.unsupported(node, f"the global or closure variable '{n}'", "pass the value as a parameter")

    def binop(self, op: ast.operator, a: Value, b: Value, node: ast.AST) -> Value:
        if type(op) not in ARITH:
            self.unsupported(node, f"the operator '{OTHER_OPS.get(type(op), '?')}'", "use + - * / // % **")
        sym, _, fn = ARITH[type(op)]
        t = self.common([a, b], node, f"the operator '{sym}'")
        if a.const is not None and b.const is not None:
            if isinstance(op, ast.Pow) and abs(b.const) > 4096:  # 10 ** 10 ** 10 would never finish
                self.fail(node, "this constant power is too large")
            return self.fold(fn, [a.const, b.const], node)
        return BINARY[type(op)](self, op, a, b, t, node)

    def infix(self, op: ast.operator, a: Value, b: Value, t: ScalarType, node: ast.AST) -> Value:
        """``a op b`` as C writes it (``+``, ``-``, ``*`` and float ``/``)."""
        sym, prec, _ = ARITH[type(op)]
        a, b = self.convert(a, t, node), self.convert(b, t, node)
        return Value(t, f"{wrap(a, prec)} {sym} {wrap(b, prec + 1)}", prec, ast.BinOp(a.py, op, b.py))

    def true_division(self, op: ast.operator, a: Value, b: Value, t: ScalarType, node: ast.AST) -> Value:
        if not t.is_float:
            self.unsupported(node, "'/' on integers", "use '//' for floor division, or float(a) / b")
        return self.infix(op, a, b, t, node)

    def floor_division(self, op: ast.operator, a: Value, b: Value, t: ScalarType, node: ast.AST) -> Value:
        """Python's ``//`` and ``%`` on integers, which round toward minus infinity (C truncates)."""
        sym = ARITH[type(op)][0]
        if t.is_float:
            self.unsupported(node, f"'{sym}' on floats", "use math.floor(a / b) or math.fmod(a, b)")
        if self.lanes > 1:  # its C adds a comparison's truth, -1 in a vector's lane
            self.unsupported(node, f"'{sym}' on integer vectors", "apply it to scalars")
        bconst = b.const
        a, b = self.convert(a, t, node), self.convert(b, t, node)
        return Value(t, c_floor(sym == "%", a, b, bconst), ADD, ast.BinOp(a.py, op, b.py))

    def power_operator(self, op: ast.operator, a: Value, b: Value, t: ScalarType, node: ast.AST) -> Value:
        return self.power(a, b, t, node)

    def power(self, a: Value, b: Value, t: ScalarType, node: ast.AST) -> Value:
        if t.is_float:
            a, b = self.convert(a, t, node, True), self.convert(b, t, node, True)
            return Value(t, f"pow({a.c}, {b.c})", PRIMARY, np_call("power", a.py, b.py))
        if not (type(b.const) is int and 0 <= b.const <= 8):
            self.unsupported(node, "'**' on integers without a literal exponent 0..8", "use float(x) ** y")
        if b.const == 0:
            return self.commit(1, t, node)
        base = x = self.convert(a, t, node)
        for _ in range(b.const - 1):  # C has no integer pow: multiply out
            x = self.binop(ast.Mult(), x, base, node)
        return x

    def unary(self, node: ast.UnaryOp) -> Value:
        return UNARY_OPERATORS[type(node.op)](self, node)

    def negation(self, node: ast.UnaryOp) -> Value:
        x = self.cond(node.operand)
        if x.const is not None:
            return self.weak(not x.const, node)
        return Value(bool_, "!" + wrap(x, UNARY), UNARY, np_call("logical_not", x.py))

    def bitwise_not(self, node: ast.UnaryOp) -> Value:
        self.expr(node.operand)  # an unsupported construct inside is reported first, as the more specific error
        self.unsupported(node, "the operator '~'", "user functions have no bitwise operators")

    def plus(self, node: ast.UnaryOp) -> Value:
        x = self.expr(node.operand)
        self.common([x], node, "unary minus/plus")
        return x

    def minus(self, node: ast.UnaryOp) -> Value:
        x = self.expr(node.operand)
        self.common([x], node, "unary minus/plus")
        if x.const is not None:
            return self.weak(-x.const, node)
        c = "-" + wrap(x, UNARY)
        return Value(x.t, "-(" + c[1:] + ")" if c.startswith("--") else c, UNARY, ast.UnaryOp(ast.USub(), x.py))

    def compare(self, op: ast.cmpop, a: Value, b: Value, node: ast.AST) -> Value:
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
        return Value(bool_, f"{wrap(a, REL + 1)} {sym} {wrap(b, REL + 1)}", prec, py)

    def logic(self, op: ast.boolop, xs: list[Value], node: ast.AST) -> Value:
        sym, prec, numpy_fn, fold = LOGIC[type(op)]
        if all(x.const is not None for x in xs):
            return self.weak(fold(x.const for x in xs), node)
        xs = [self.fix(x, node) for x in xs]
        # && inside || gets parentheses too: legal C without them, but easier to read (and gcc asks for them)
        c = f" {sym} ".join(wrap(x, AND + 1) for x in xs)
        py = reduce(lambda p, q: np_call(numpy_fn, p, q), [x.py for x in xs])
        return Value(bool_, c, prec, py)

    def ifexp(self, node: ast.IfExp) -> Value:
        test, a, b = self.cond(node.test), self.expr(node.body), self.expr(node.orelse)
        if test.const is not None:
            return a if test.const else b
        if None in (a.t.scalar_type(), b.t.scalar_type()):  # a tuple branch (a user function holds no arrays)
            t: DataType = b.t if a.elems is not None and b.elems is None else a.t  # a literal adapts
            a, b = self.coerce(a, t, node, "this branch"), self.coerce(b, t, node, "this branch")
        elif bool_ in (a.t, b.t):
            if a.t != b.t:
                self.fail(node, f"the branches have types {a.t} and {b.t}")
            a, b, t = self.fix(a, node), self.fix(b, node), bool_
        else:
            t = self.common([a, b], node, "a conditional expression")
            a, b = self.widened(a, self.convert(a, t, node), t), self.widened(b, self.convert(b, t, node), t)
        c = f"{wrap(test, COND + 1)} ? {wrap(a, COND + 1)} : {wrap(b, COND)}"
        return Value(t, c, COND, self.select(test.py, a.py, b.py, t))

    def call(self, node: ast.Call) -> Value:
        f = node.func
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.unsupported(node, "keyword or starred arguments", "pass arguments by position")
        callee = CALLEES.get(type(f))
        fname = callee(self, f, node) if callee is not None else None
        if fname is None:
            hint = "call only math functions, abs, min, max, float and int; inline other functions"
            self.unsupported(node, f"a call to '{ast.unparse(f)}'", hint)
        args = [self.expr(a) for a in node.args]
        if fname in ("float", "int"):
            if len(args) != 1 or args[0].t.scalar_type() is None:  # no number but a tuple
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
        xs = [self.widened(a, self.convert(a, t, node, explicit=True), t) for a in args]
        if fname == "abs":
            if t.is_float:
                return Value(t, f"fabs({xs[0].c})", PRIMARY, np_call("abs", xs[0].py))
            # OpenCL's integer abs returns the unsigned type; cast back so that abs(x) - 5 stays signed
            if self.lanes > 1:
                self.unsupported(node, "abs() of integer vectors", "apply it to scalars")
            return Value(t, f"({t.c_name})abs({xs[0].c})", UNARY, np_call("abs", xs[0].py))
        if fname in ("min", "max"):
            cn = ("f" + fname) if t.is_float else fname
            nn = ("f" + fname) if t.is_float else {"min": "minimum", "max": "maximum"}[fname]
            return reduce(lambda p, q: Value(t, f"{cn}({p.c}, {q.c})", PRIMARY, np_call(nn, p.py, q.py)), xs)
        cn, nn, _ = MATH[fname]
        return Value(t, f"{cn}({', '.join(x.c for x in xs)})", PRIMARY, np_call(nn, *[x.py for x in xs]))

    def widened(self, source: Value, x: Value, t: ScalarType) -> Value:
        """``x``, the operand ``source`` as a ``t``, made a vector when the function is translated for vectors and
        ``source`` is a literal (OpenCL's ``pow`` and ``?:`` widen no scalar operand); ``x`` itself otherwise."""
        if self.lanes == 1 or source.const is None:
            return x
        return Value(t, f"({t.c_name}{self.lanes})({x.c})", PRIMARY, x.py)

    def math_callee(self, f: ast.Attribute, node: ast.Call) -> str | None:
        """The function ``math.<name>`` calls (refused if math has no such function here); ``None`` for a method
        call on something else."""
        if not _names_math(f):
            return None
        if f.attr not in MATH or "math" in self.locals:
            self.unsupported(node, f"math.{f.attr}", f"the math functions available are {', '.join(MATH)}")
        return f.attr

    def builtin_callee(self, f: ast.Name, node: ast.Call) -> str | None:
        """The math function or builtin a plain name calls; ``None`` for a local or another function."""
        return f.id if f.id not in self.locals and (f.id in MATH or f.id in BUILTINS) else None

    def subscript(self, node: ast.Subscript) -> Value:
        base = self.expr(node.value)
        if not isinstance(base.t, TupleType):
            self.unsupported(node, f"subscript of a {base.t} value", "only tuples can be indexed, as p[0]")
        i = self.expr(node.slice)
        n = len(base.t.elems)
        if type(i.const) is not int or not -n <= i.const < n:
            self.fail(
                node, f"a tuple index must be an integer literal in range(-{n}, {n}), found {ast.unparse(node.slice)}"
            )
        return self.index(base, base.t, i.const % n)

    def cond(self, node: ast.expr) -> Value:
        """The value of ``node``, which must be a bool (a condition)."""
        x = self.expr(node)
        if x.t != bool_:
            self.fail(node, f"a condition must be a comparison or a bool, found a {x.t} value; write e.g. 'x != 0'")
        return x


EXPRESSIONS: dict[type[ast.expr], Callable[[ExprTranslator, Any], Value]] = {
    ast.Constant: ExprTranslator.constant,
    ast.Name: ExprTranslator.var,
    ast.BinOp: ExprTranslator.binary,
    ast.UnaryOp: ExprTranslator.unary,
    ast.Compare: ExprTranslator.comparison,
    ast.BoolOp: ExprTranslator.boolean,
    ast.IfExp: ExprTranslator.ifexp,
    ast.Call: ExprTranslator.call,
    ast.Subscript: ExprTranslator.subscript,
    ast.Attribute: ExprTranslator.attribute,
    ast.Tuple: ExprTranslator.tuple_display,
}
"""The supported expressions: the method of :class:`ExprTranslator` that translates each kind of syntax node
(any other kind is refused by :meth:`~lift.dsl.userfun_values.ValueRules.reject`)."""

CALLEES: dict[type[ast.expr], Callable[[ExprTranslator, Any, ast.Call], str | None]] = {
    ast.Attribute: ExprTranslator.math_callee,
    ast.Name: ExprTranslator.builtin_callee,
}
"""How each kind of callee names the function called (``math.sqrt``, ``abs``); a call of any other kind, or
one these answer ``None`` for, is refused."""

BINARY: dict[type[ast.operator], Callable[[ExprTranslator, Any, Value, Value, ScalarType, ast.AST], Value]] = {
    ast.Add: ExprTranslator.infix,
    ast.Sub: ExprTranslator.infix,
    ast.Mult: ExprTranslator.infix,
    ast.Div: ExprTranslator.true_division,
    ast.FloorDiv: ExprTranslator.floor_division,
    ast.Mod: ExprTranslator.floor_division,
    ast.Pow: ExprTranslator.power_operator,
}
"""How each arithmetic operator of :data:`~lift.dsl.userfun_syntax.ARITH` on typed operands (not both literals,
which fold) is translated."""

UNARY_OPERATORS: dict[type[ast.unaryop], Callable[[ExprTranslator, ast.UnaryOp], Value]] = {
    ast.Not: ExprTranslator.negation,
    ast.Invert: ExprTranslator.bitwise_not,
    ast.UAdd: ExprTranslator.plus,
    ast.USub: ExprTranslator.minus,
}
"""How each unary operator is translated (``~`` is refused)."""

LOGIC: dict[type[ast.boolop], tuple[str, int, str, Callable[[Iterable[Any]], bool]]] = {
    ast.And: ("&&", AND, "logical_and", all),
    ast.Or: ("||", OR, "logical_or", any),
}
"""Each boolean operator: its C symbol and precedence, its numpy function and how literals fold."""


def _names_math(node: ast.Attribute) -> bool:
    """Whether ``node`` is ``math.<name>`` (the name ``math`` itself, before any attribute of something else)."""
    return isinstance(node.value, ast.Name) and node.value.id == "math"


def c_floor(is_mod: bool, a: Value, b: Value, bconst: Const | None) -> str:
    """C for Python's integer ``a // b`` or ``a % b``, which round toward minus infinity (C truncates)."""
    r = f"{wrap(a, MUL)} % {wrap(b, MUL + 1)}"
    if bconst is not None:  # a literal divisor: the remainder's sign alone says whether to adjust
        fix = f"{r} < 0" if bconst > 0 else f"{r} > 0"
    else:
        fix = f"{r} != 0 && ({r} < 0) != ({wrap(b, REL + 1)} < 0)"
    if is_mod:
        return f"{r} + ({fix} ? {wrap(b, COND + 1)} : 0)"
    return f"{wrap(a, MUL)} / {wrap(b, MUL + 1)} - ({fix})"
