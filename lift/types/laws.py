"""The algebraic laws ``reduce`` relies on, proved (or refuted) with Z3.

``reduce(f, init)`` may combine its elements in any order and grouping: a parallel kernel reduces chunks in
threads and combines the partial results, the interpreter combines halves. Every such evaluation computes the
same value only when ``f`` is **associative** (``f(f(a, b), c) == f(a, f(b, c))``) and **commutative**
(``f(a, b) == f(b, a)``), and when ``init`` may be combined once or many times with the same effect
(``f(init, init) == init`` — true of a neutral element such as ``0.0`` for ``add``, and of any value for
``maximum``): each partial reduction of a kernel starts from ``init``.

The laws are decided on the operator's meaning: its Python body (a ``@userfun``) or a lambda made of user
function calls and tuple components is translated to Z3 terms over **exact reals** (``f32``/``f64``) and
**unbounded integers** (``i32``/``i64``) — the algebraic law the user means, not the rounding of floating
point (``add`` is associative over reals though not bit-for-bit over floats) nor wrap-around of integers. The
arithmetic subset understood: ``+ - *``, unary ``-``, ``abs``, ``min``/``max``, ``float()``, comparisons,
``and``/``or``/``not``, conditional expressions and ``if`` statements, locals, tuples and constants. Anything
else (``math.exp``, division, arrays) is *unknown*: the law is then the user's promise, as in Lift.
"""

from __future__ import annotations

import ast
import itertools
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal as TLiteral
from typing import NoReturn, TypeAlias

import z3

from lift.dsl.ir import Expr, FunCall, FunDecl, Get, Lambda, Literal, Param, UserFun
from lift.dsl.userfun_syntax import parse_python
from lift.errors import LiftTypeError
from lift.types.data import DataType, ScalarType, TupleType, bool_, f32, i32
from lift.types.smt import SAFE_QUERY_TIMEOUT_S, limits, z3_session

__all__ = ["LawVerdict", "check_reduce_laws", "reduce_laws"]

Sym: TypeAlias = "z3.ExprRef | tuple[Sym, ...]"
"""A symbolic value: a Z3 term for a scalar, a tuple of them for a tuple."""

Status = TLiteral["proved", "refuted", "unknown"]


@dataclass(frozen=True)
class LawVerdict:
    """The verdict on one law of a reduction operator."""

    law: str
    """``associative``, ``commutative`` or ``idempotent initial value``."""
    status: Status
    """Whether Z3 proved it, refuted it (with a counterexample) or could not decide."""
    counterexample: str = ""
    """For a refuted law: the values and the two sides that differ, as a sentence."""


class _Unknown(Exception):
    """The operator uses something outside the subset translated to Z3."""


# ---- public entry points -----------------------------------------------------------------------------


def check_reduce_laws(f: FunDecl, init: Expr, elem: DataType, *, where: str, op_name: str) -> None:
    """Refuse ``reduce(f, init)`` over elements of type ``elem`` when a law it needs is refuted.

    A ``LiftTypeError`` names the operator, the laws that fail with a counterexample each, and the fix
    (``reduce_seq`` for a fold from the left, or a neutral initial value). Unknown laws are accepted.
    """
    verdicts = [*reduce_laws(f, elem), _idempotent_init(f, elem, _literal_value(init))]
    refuted = [v for v in verdicts if v.status == "refuted"]
    if not refuted:
        return
    subject = op_name if isinstance(f, UserFun) else f"the operator f = {op_name}"
    reasons = "; ".join(
        f"the initial value {_literal_value(init)!r} is neither neutral nor idempotent for {op_name}: {v.counterexample}"
        if v.law == "idempotent initial value"
        else f"{subject} is not {v.law}: {v.counterexample}"
        for v in refuted
    )
    if any(v.law != "idempotent initial value" for v in refuted):
        fix = (
            f"reduce combines elements in any order and grouping, so the interpreter and a parallel kernel would "
            f"disagree; use reduce_seq({op_name}, ...) to fold from the left, or an associative and commutative "
            "operator"
        )
    else:
        fix = (
            "each partial reduction of a parallel kernel starts from the initial value, so the result would depend "
            f"on the mapping; use {op_name}'s neutral element (0.0 for add, 1.0 for mult, -inf for maximum), "
            "combine the value after the reduce, or use reduce_seq"
        )
    raise LiftTypeError(f"{where}: {reasons} (reasoning over exact reals and integers); {fix}")


@lru_cache(maxsize=512)
def reduce_laws(f: FunDecl, elem: DataType) -> tuple[LawVerdict, LawVerdict]:
    """Commutativity and associativity of ``f : (elem, elem) -> elem``, decided once per operator (function
    values are immutable, so the verdict is cached)."""
    with z3_session():  # Z3 is shared by the whole process: one thread builds terms and solves at a time
        try:
            a, b, c = (_fresh(elem, name) for name in ("a", "b", "c"))
            ab, ba = _apply(f, [a, b]), _apply(f, [b, a])
            ab_c, a_bc = _apply(f, [ab, c]), _apply(f, [a, _apply(f, [b, c])])
            call = _call_text(f)
            commutative = _decide(
                "commutative", _equal(ab, ba), {"a": a, "b": b}, [(call("a", "b"), ab), (call("b", "a"), ba)]
            )
            associative = _decide(
                "associative",
                _equal(ab_c, a_bc),
                {"a": a, "b": b, "c": c},
                [(call(call("a", "b"), "c"), ab_c), (call("a", call("b", "c")), a_bc)],
            )
        except _Unknown:
            return LawVerdict("commutative", "unknown"), LawVerdict("associative", "unknown")
    return commutative, associative


@lru_cache(maxsize=512)
def _idempotent_init(f: FunDecl, elem: DataType, init: object) -> LawVerdict:
    """``f(init, init) == init`` for a literal ``init`` (``None`` for an expression: unknown)."""
    law = "idempotent initial value"
    with z3_session():
        try:
            if init is None:
                raise _Unknown
            value = _constant(init, elem)
            twice = _apply(f, [value, value])
            return _decide(law, _equal(twice, value), {}, [(_call_text(f)("init", "init"), twice), ("init", value)])
        except _Unknown:
            return LawVerdict(law, "unknown")


# ---- deciding ----------------------------------------------------------------------------------------


def _decide(law: str, claim: z3.BoolRef, inputs: Mapping[str, Sym], sides: Sequence[tuple[str, Sym]]) -> LawVerdict:
    """Prove ``claim`` for every value of ``inputs``, or describe a counterexample from Z3's model."""
    solver = z3.Solver()
    # "unknown" is safe here (the law becomes the user's promise): a short limit, as for size proofs
    solver.set("timeout", int(1000 * min(SAFE_QUERY_TIMEOUT_S, limits().solver_s)))
    solver.add(z3.Not(claim))
    result = solver.check()
    if result == z3.unsat:
        return LawVerdict(law, "proved")
    if result != z3.sat:
        return LawVerdict(law, "unknown")
    model = _simple_counterexample(solver, inputs) or solver.model()
    values = ", ".join(f"{name} = {_show(model, v)}" for name, v in inputs.items())
    left, right = ((text, _show(model, v)) for text, v in sides)
    example = f"{left[0]} = {left[1]} but {right[0]} = {right[1]}" + (f" for {values}" if values else "")
    return LawVerdict(law, "refuted", example)


_SIMPLE_VALUES = (0, 1, -1, 2)
_MAX_SIMPLE_TRIES = 64


def _simple_counterexample(solver: z3.Solver, inputs: Mapping[str, Sym]) -> z3.ModelRef | None:
    """A counterexample with small whole inputs (0, 1, -1, 2), tried in a fixed order: the message then
    reads the same whatever Z3's state (its own models depend on what the process asked before)."""
    leaves: list[z3.ExprRef] = []

    def flatten(v: Sym) -> None:
        if isinstance(v, tuple):
            for x in v:
                flatten(x)
        elif z3.is_int(v) or z3.is_real(v):
            leaves.append(v)

    for v in inputs.values():
        flatten(v)
    for values in itertools.islice(itertools.product(_SIMPLE_VALUES, repeat=len(leaves)), _MAX_SIMPLE_TRIES):
        if solver.check(*[leaf == value for leaf, value in zip(leaves, values)]) == z3.sat:
            return solver.model()
    return None


def _equal(x: Sym, y: Sym) -> z3.BoolRef:
    if isinstance(x, tuple) and isinstance(y, tuple):
        return z3.And(*[_equal(p, q) for p, q in zip(x, y)])
    if isinstance(x, tuple) or isinstance(y, tuple):
        raise _Unknown
    x, y = _promote(x, y)
    return x == y


def _show(model: z3.ModelRef, v: Sym) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_show(model, x) for x in v) + ")"
    value = model.eval(v, model_completion=True)
    if z3.is_rational_value(value):
        fraction = value.as_fraction()
        return str(int(fraction)) + ".0" if fraction.denominator == 1 else repr(float(fraction))
    return str(value)


def _call_text(f: FunDecl) -> Callable[[str, str], str]:
    name = f.name if isinstance(f, UserFun) else "f"
    return lambda x, y: f"{name}({x}, {y})"


# ---- symbolic values ---------------------------------------------------------------------------------


def _fresh(t: DataType, name: str) -> Sym:
    if isinstance(t, TupleType):
        return tuple(_fresh(e, f"{name}{i}") for i, e in enumerate(t.elems))
    if t == bool_:
        return z3.Bool(name)
    if isinstance(t, ScalarType):
        return z3.Real(name) if t.is_float else z3.Int(name)
    raise _Unknown  # arrays: the operator works elementwise through maps, not translated


def _literal_value(init: Expr) -> object:
    return init.value if isinstance(init, Literal) else None


def _constant(value: object, t: DataType) -> Sym:
    if isinstance(value, tuple):
        if not (isinstance(t, TupleType) and len(t.elems) == len(value)):
            raise _Unknown
        return tuple(_constant(v, e) for v, e in zip(value, t.elems))
    if isinstance(value, bool):
        return z3.BoolVal(value)
    if isinstance(value, int):
        return z3.RealVal(value) if isinstance(t, ScalarType) and t.is_float else z3.IntVal(value)
    if isinstance(value, float) and math.isfinite(value):
        if isinstance(t, ScalarType) and not t.is_float:
            if not value.is_integer():
                raise _Unknown
            return z3.IntVal(int(value))
        return z3.RealVal(value)
    raise _Unknown  # inf and NaN are not reals


def _promote(x: z3.ExprRef, y: z3.ExprRef) -> tuple[z3.ExprRef, z3.ExprRef]:
    """Mixed integer and real operands: the integer is converted, as C and numpy do."""
    if z3.is_int(x) and z3.is_real(y):
        return z3.ToReal(x), y
    if z3.is_real(x) and z3.is_int(y):
        return x, z3.ToReal(y)
    return x, y


def _coerce(v: Sym, t: DataType) -> Sym:
    """A value returned as type ``t`` (an integer returned as a float is converted)."""
    if isinstance(t, TupleType) and isinstance(v, tuple) and len(v) == len(t.elems):
        return tuple(_coerce(x, e) for x, e in zip(v, t.elems))
    if isinstance(v, tuple) or isinstance(t, TupleType):
        raise _Unknown
    if isinstance(t, ScalarType) and t.is_float and z3.is_int(v):
        return z3.ToReal(v)
    if isinstance(t, ScalarType) and t != bool_ and not t.is_float and z3.is_real(v):
        raise _Unknown  # a float truncated to an integer: outside the subset
    return v


# ---- applying function values -----------------------------------------------------------------------


def _apply(f: FunDecl, args: list[Sym]) -> Sym:
    """The symbolic result of ``f`` applied to ``args``."""
    if isinstance(f, UserFun):
        if len(args) == 1 and len(f.param_names) > 1 and isinstance(args[0], tuple):
            args = list(args[0])  # a k-parameter user function applied to a k-tuple
        if len(args) != len(f.param_names):
            raise _Unknown
        env = {n: _coerce(a, t) for n, a, t in zip(f.param_names, args, f.param_types)}
        return _coerce(_Body(_function_def(f.source)).run(env), f.result_type)
    if isinstance(f, Lambda) and len(f.params) == len(args):
        return _expr(f.body, {p.name: a for p, a in zip(f.params, args)})
    raise _Unknown


def _expr(e: Expr, env: Mapping[str, Sym]) -> Sym:
    if isinstance(e, Param) and e.name in env:
        return env[e.name]
    if isinstance(e, Literal):
        return _constant(e.value, e.type if e.type is not None else _literal_type(e.value))
    if isinstance(e, FunCall):
        args = [_expr(a, env) for a in e.args]
        if isinstance(e.f, Get) and len(args) == 1 and isinstance(args[0], tuple) and e.f.i < len(args[0]):
            return args[0][e.f.i]
        return _apply(e.f, args)
    raise _Unknown


def _literal_type(value: object) -> DataType:
    return f32 if isinstance(value, float) else i32


@lru_cache(maxsize=512)
def _function_def(source: str) -> ast.FunctionDef:
    tree = parse_python(textwrap.dedent(source))
    defs = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
    if len(defs) != 1:
        raise _Unknown
    return defs[0]


_MAX_STEPS = 10_000
"""Statements executed symbolically per application, at most (each ``if`` runs what follows it twice)."""


class _Body:
    """Symbolic execution of a user function's body: every path ends in a ``return``, whose values are
    merged with ``If`` on the branch conditions."""

    def __init__(self, fdef: ast.FunctionDef) -> None:
        self.fdef = fdef
        self.steps_left = _MAX_STEPS

    def run(self, env: Mapping[str, Sym]) -> Sym:
        return self.block(self.fdef.body, dict(env))

    def block(self, stmts: Sequence[ast.stmt], env: dict[str, Sym]) -> Sym:
        """The value returned by ``stmts`` (what follows an ``if`` runs in both branches)."""
        for i, s in enumerate(stmts):
            self.steps_left -= 1
            if self.steps_left < 0:
                self.unknown()  # sequential ifs double the paths: past this, too big to be worth a proof
            if isinstance(s, ast.Return) and s.value is not None:
                return self.expr(s.value, env)
            if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
                continue  # a docstring
            if isinstance(s, ast.Assign) and len(s.targets) == 1:
                self.assign(s.targets[0], self.expr(s.value, env), env)
            elif isinstance(s, ast.AnnAssign) and s.value is not None:
                self.assign(s.target, self.expr(s.value, env), env)
            elif isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
                current = self.expr(s.target, env)
                env[s.target.id] = self.binop(s.op, current, self.expr(s.value, env))
            elif isinstance(s, ast.If):
                rest = list(stmts[i + 1 :])
                cond = self.truth(self.expr(s.test, env))
                then = self.block([*s.body, *rest], dict(env))
                orelse = self.block([*s.orelse, *rest], dict(env))
                return _select(cond, then, orelse)
            else:
                self.unknown()
        self.unknown()  # a path without a return

    def assign(self, target: ast.expr, value: Sym, env: dict[str, Sym]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, ast.Tuple) and isinstance(value, tuple) and len(value) == len(target.elts):
            for t, v in zip(target.elts, value):
                self.assign(t, v, env)
        else:
            self.unknown()

    def expr(self, node: ast.expr, env: Mapping[str, Sym]) -> Sym:
        if isinstance(node, ast.Name) and node.id in env:
            return env[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, float)):
            return _constant(node.value, bool_ if isinstance(node.value, bool) else _literal_type(node.value))
        if isinstance(node, ast.Tuple):
            return tuple(self.expr(e, env) for e in node.elts)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            base, i = self.expr(node.value, env), node.slice.value
            if isinstance(base, tuple) and isinstance(i, int) and -len(base) <= i < len(base):
                return base[i]
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left, env), self.expr(node.right, env))
        if isinstance(node, ast.UnaryOp):
            return self.unary(node.op, self.expr(node.operand, env))
        if isinstance(node, ast.BoolOp):
            parts = [self.truth(self.expr(v, env)) for v in node.values]
            return z3.And(*parts) if isinstance(node.op, ast.And) else z3.Or(*parts)
        if isinstance(node, ast.Compare):
            return self.compare(node, env)
        if isinstance(node, ast.IfExp):
            cond = self.truth(self.expr(node.test, env))
            return _select(cond, self.expr(node.body, env), self.expr(node.orelse, env))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            return self.call(node.func.id, [self.expr(a, env) for a in node.args])
        self.unknown()

    def binop(self, op: ast.operator, x: Sym, y: Sym) -> Sym:
        a, b = self.number(x), self.number(y)
        a, b = _promote(a, b)
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        self.unknown()  # division, powers, bit operations: outside the subset

    def unary(self, op: ast.unaryop, x: Sym) -> Sym:
        if isinstance(op, ast.Not):
            return z3.Not(self.truth(x))
        a = self.number(x)
        if isinstance(op, ast.USub):
            return -a
        if isinstance(op, ast.UAdd):
            return a
        self.unknown()

    def compare(self, node: ast.Compare, env: Mapping[str, Sym]) -> z3.BoolRef:
        relations = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
        terms = [self.number(self.expr(e, env)) for e in (node.left, *node.comparators)]
        parts = []
        for op, left, right in zip(node.ops, terms, terms[1:]):
            symbol = relations.get(type(op))
            if symbol is None:
                self.unknown()
            a, b = _promote(left, right)
            parts.append(_RELATIONS[symbol](a, b))
        return z3.And(*parts) if len(parts) > 1 else parts[0]

    def call(self, name: str, args: list[Sym]) -> Sym:
        if name in ("max", "min") and len(args) >= 2:
            out = self.number(args[0])
            for nxt in args[1:]:
                a, b = _promote(out, self.number(nxt))
                out = z3.If(a >= b, a, b) if name == "max" else z3.If(a <= b, a, b)
            return out
        if name == "abs" and len(args) == 1:
            a = self.number(args[0])
            return z3.If(a >= 0, a, -a)
        if name == "float" and len(args) == 1:
            a = self.number(args[0])
            return z3.ToReal(a) if z3.is_int(a) else a
        self.unknown()  # math functions, int() truncation, other user code

    def number(self, x: Sym) -> z3.ArithRef:
        if isinstance(x, tuple) or not z3.is_arith(x):
            self.unknown()
        return x

    def truth(self, x: Sym) -> z3.BoolRef:
        if isinstance(x, tuple) or not z3.is_bool(x):
            self.unknown()  # a number used as a condition: outside the subset
        return x

    @staticmethod
    def unknown() -> NoReturn:
        raise _Unknown


_RELATIONS: dict[str, Callable[[z3.ArithRef, z3.ArithRef], z3.BoolRef]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _select(cond: z3.BoolRef, then: Sym, orelse: Sym) -> Sym:
    if isinstance(then, tuple) and isinstance(orelse, tuple) and len(then) == len(orelse):
        return tuple(_select(cond, x, y) for x, y in zip(then, orelse))
    if isinstance(then, tuple) or isinstance(orelse, tuple):
        raise _Unknown
    a, b = _promote(then, orelse) if z3.is_arith(then) and z3.is_arith(orelse) else (then, orelse)
    return z3.If(cond, a, b)
