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

Symbolic values are :class:`_Scalar` (a Z3 term) and :class:`_Tuple`; the IR is evaluated by node mappers
(:class:`_ApplyFunction`, :class:`_EvaluateExpr`), a user function's body by ``ast`` visitors
(:class:`_Statement`, :class:`_Expression`) with operator tables keyed by the ``ast`` operator class.
"""

from __future__ import annotations

import ast
import itertools
import math
import operator
import textwrap
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal as TLiteral

import z3

from lift.dsl.ir import Expr, FunCall, FunDecl, Get, Lambda, Literal, Param, UserFun
from lift.dsl.mapper import NodeMapper
from lift.dsl.userfun_syntax import parse_python
from lift.errors import LiftTypeError
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, bool_, f32, i32
from lift.types.smt import SAFE_QUERY_TIMEOUT_S, limits, z3_session

__all__ = ["LawVerdict", "check_reduce_laws", "literal_scalar", "reduce_laws"]

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


def literal_scalar(value: object) -> ScalarType:
    """The scalar type of a constant written without one: ``f32`` for a float, ``i32`` for an integer."""
    return f32 if isinstance(value, float) else i32


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


def _decide(
    law: str, claim: z3.BoolRef, inputs: Mapping[str, _Value], sides: Sequence[tuple[str, _Value]]
) -> LawVerdict:
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
    values = ", ".join(f"{name} = {v.show(model)}" for name, v in inputs.items())
    left, right = ((text, v.show(model)) for text, v in sides)
    example = f"{left[0]} = {left[1]} but {right[0]} = {right[1]}" + (f" for {values}" if values else "")
    return LawVerdict(law, "refuted", example)


_SIMPLE_VALUES = (0, 1, -1, 2)
_MAX_SIMPLE_TRIES = 64


def _simple_counterexample(solver: z3.Solver, inputs: Mapping[str, _Value]) -> z3.ModelRef | None:
    """A counterexample with small whole inputs (0, 1, -1, 2), tried in a fixed order: the message then
    reads the same whatever Z3's state (its own models depend on what the process asked before)."""
    leaves = [leaf for v in inputs.values() for leaf in v.leaves() if z3.is_int(leaf) or z3.is_real(leaf)]
    for values in itertools.islice(itertools.product(_SIMPLE_VALUES, repeat=len(leaves)), _MAX_SIMPLE_TRIES):
        if solver.check(*[leaf == value for leaf, value in zip(leaves, values)]) == z3.sat:
            return solver.model()
    return None


def _equal(x: _Value, y: _Value) -> z3.BoolRef:
    return x.pairwise(y, lambda a, b: operator.eq(*_promote(a, b))).conjunction()


def _call_text(f: FunDecl) -> Callable[[str, str], str]:
    name = f.name if isinstance(f, UserFun) else "f"
    return lambda x, y: f"{name}({x}, {y})"


# ---- symbolic values ---------------------------------------------------------------------------------


class _Value(ABC):
    """A symbolic value: a Z3 term for a scalar, a tuple of values for a tuple. Asking a scalar question of a
    tuple (or the reverse) is outside the subset: the default answers raise :class:`_Unknown`."""

    @abstractmethod
    def leaves(self) -> list[z3.ExprRef]:
        """The scalar terms, in order."""

    @abstractmethod
    def show(self, model: z3.ModelRef) -> str:
        """The value in ``model``, as a message shows it."""

    @abstractmethod
    def pairwise(self, other: _Value, combine: Callable[[z3.ExprRef, z3.ExprRef], z3.ExprRef]) -> _Value:
        """``combine`` applied to the scalars of ``self`` and ``other`` at the same place (same shapes only)."""

    @abstractmethod
    def conjunction(self) -> z3.BoolRef:
        """A boolean value (a tuple of them: all of them) as one Z3 formula."""

    def spread(self) -> tuple[_Value, ...]:
        """The components of a tuple; a scalar is its own only component."""
        return (self,)

    def term(self) -> z3.ExprRef:
        """The Z3 term of a scalar."""
        raise _Unknown

    def number(self) -> z3.ArithRef:
        """The Z3 term of a number."""
        raise _Unknown

    def truth(self) -> z3.BoolRef:
        """The Z3 term of a boolean."""
        raise _Unknown

    def parts(self, n: int) -> tuple[_Value, ...]:
        """The components of a tuple of ``n``."""
        raise _Unknown

    def component(self, i: int) -> _Value:
        """Component ``i`` of a tuple (negative from the end, as in Python)."""
        raise _Unknown


@dataclass(frozen=True, eq=False)
class _Scalar(_Value):
    """A scalar: one Z3 term (a real, an integer or a boolean)."""

    z3_term: z3.ExprRef
    """The term."""

    def leaves(self) -> list[z3.ExprRef]:
        return [self.z3_term]

    def show(self, model: z3.ModelRef) -> str:
        value = model.eval(self.z3_term, model_completion=True)
        if z3.is_rational_value(value):
            fraction = value.as_fraction()
            return str(int(fraction)) + ".0" if fraction.denominator == 1 else repr(float(fraction))
        return str(value)

    def pairwise(self, other: _Value, combine: Callable[[z3.ExprRef, z3.ExprRef], z3.ExprRef]) -> _Value:
        return _Scalar(combine(self.z3_term, other.term()))

    def conjunction(self) -> z3.BoolRef:
        return self.z3_term

    def term(self) -> z3.ExprRef:
        return self.z3_term

    def number(self) -> z3.ArithRef:
        if not z3.is_arith(self.z3_term):
            raise _Unknown  # a boolean used as a number: outside the subset
        return self.z3_term

    def truth(self) -> z3.BoolRef:
        if not z3.is_bool(self.z3_term):
            raise _Unknown  # a number used as a condition: outside the subset
        return self.z3_term


@dataclass(frozen=True, eq=False)
class _Tuple(_Value):
    """A tuple of values."""

    items: tuple[_Value, ...]
    """The components, in order."""

    def leaves(self) -> list[z3.ExprRef]:
        return [leaf for item in self.items for leaf in item.leaves()]

    def show(self, model: z3.ModelRef) -> str:
        return "(" + ", ".join(item.show(model) for item in self.items) + ")"

    def pairwise(self, other: _Value, combine: Callable[[z3.ExprRef, z3.ExprRef], z3.ExprRef]) -> _Value:
        return _Tuple(tuple(x.pairwise(y, combine) for x, y in zip(self.items, other.parts(len(self.items)))))

    def conjunction(self) -> z3.BoolRef:
        return z3.And(*[item.conjunction() for item in self.items])

    def spread(self) -> tuple[_Value, ...]:
        return self.items

    def parts(self, n: int) -> tuple[_Value, ...]:
        if len(self.items) != n:
            raise _Unknown
        return self.items

    def component(self, i: int) -> _Value:
        if not -len(self.items) <= i < len(self.items):
            raise _Unknown
        return self.items[i]


class _Fresh(NodeMapper[_Value]):
    """A value of a type made of fresh Z3 constants named after ``name`` (``a0``, ``a1`` for a pair ``a``)."""

    covers = (DataType,)

    def map_tuple_type(self, t: TupleType, name: str) -> _Value:
        return _Tuple(tuple(self(e, f"{name}{i}") for i, e in enumerate(t.elems)))

    def map_scalar_type(self, t: ScalarType, name: str) -> _Value:
        if t == bool_:
            return _Scalar(z3.Bool(name))
        return _Scalar(z3.Real(name) if t.is_float else z3.Int(name))

    def map_array_type(self, t: ArrayType, name: str) -> _Value:
        raise _Unknown  # arrays: the operator works elementwise through maps, not translated


_fresh = _Fresh()


class _Coerce(NodeMapper[_Value]):
    """A value returned as type ``t`` (an integer returned as a float is converted)."""

    covers = (DataType,)

    def map_tuple_type(self, t: TupleType, v: _Value) -> _Value:
        return _Tuple(tuple(self(e, x) for e, x in zip(t.elems, v.parts(len(t.elems)))))

    def map_scalar_type(self, t: ScalarType, v: _Value) -> _Value:
        term = v.term()
        if t.is_float and z3.is_int(term):
            return _Scalar(z3.ToReal(term))
        if t != bool_ and not t.is_float and z3.is_real(term):
            raise _Unknown  # a float truncated to an integer: outside the subset
        return v

    def map_array_type(self, t: ArrayType, v: _Value) -> _Value:
        raise _Unknown  # arrays are not translated (see _Fresh)


_coerce = _Coerce()


def _literal_value(init: Expr) -> object:
    """The Python value of a literal initial value (``None`` for any other expression)."""
    return init.value if isinstance(init, Literal) else None


def _constant(value: object, t: DataType) -> _Value:
    """The Python constant ``value`` as a value of type ``t`` (an integer constant of a float type is a real)."""
    if isinstance(value, tuple):
        if not (isinstance(t, TupleType) and len(t.elems) == len(value)):
            raise _Unknown
        return _Tuple(tuple(_constant(v, e) for v, e in zip(value, t.elems)))
    scalar = t if isinstance(t, ScalarType) else None
    if isinstance(value, bool):
        return _Scalar(z3.BoolVal(value))
    if isinstance(value, int):
        return _Scalar(z3.RealVal(value) if scalar is not None and scalar.is_float else z3.IntVal(value))
    if isinstance(value, float) and math.isfinite(value):
        if scalar is not None and not scalar.is_float:
            if not value.is_integer():
                raise _Unknown
            return _Scalar(z3.IntVal(int(value)))
        return _Scalar(z3.RealVal(value))
    raise _Unknown  # inf and NaN are not reals


def _promote(x: z3.ExprRef, y: z3.ExprRef) -> tuple[z3.ExprRef, z3.ExprRef]:
    """Mixed integer and real operands: the integer is converted, as C and numpy do."""
    if z3.is_int(x) and z3.is_real(y):
        return z3.ToReal(x), y
    if z3.is_real(x) and z3.is_int(y):
        return x, z3.ToReal(y)
    return x, y


def _select(cond: z3.BoolRef, then: _Value, orelse: _Value) -> _Value:
    """``then`` where ``cond`` holds, else ``orelse`` (of the same shape)."""

    def choose(a: z3.ExprRef, b: z3.ExprRef) -> z3.ExprRef:
        return z3.If(cond, *(_promote(a, b) if z3.is_arith(a) and z3.is_arith(b) else (a, b)))

    return then.pairwise(orelse, choose)


# ---- applying function values -----------------------------------------------------------------------


class _ApplyFunction(NodeMapper[_Value]):
    """The symbolic result of a function value applied to ``args``: user functions run their Python body,
    lambdas their body; tuple components are taken apart. Any other combinator is outside the subset."""

    covers = (FunDecl,)

    def map_user_fun(self, f: UserFun, args: list[_Value]) -> _Value:
        if len(args) == 1 and len(f.param_names) > 1:
            args = list(args[0].spread())  # a k-parameter user function applied to a k-tuple
        if len(args) != len(f.param_names):
            raise _Unknown
        env = {n: _coerce(t, a) for n, a, t in zip(f.param_names, args, f.param_types)}
        return _coerce(f.result_type, _Body(_function_def(f.source)).run(env))

    def map_lambda(self, f: Lambda, args: list[_Value]) -> _Value:
        if len(f.params) != len(args):
            raise _Unknown
        return _evaluate(f.body, {p.name: a for p, a in zip(f.params, args)})

    def map_get(self, f: Get, args: list[_Value]) -> _Value:
        if len(args) != 1:
            raise _Unknown
        return args[0].component(f.i)

    def map_fun_decl(self, f: FunDecl, args: list[_Value]) -> _Value:
        raise _Unknown  # maps, layouts …: not scalar operators


_apply = _ApplyFunction()


class _EvaluateExpr(NodeMapper[_Value]):
    """The symbolic value of an expression of a lambda's body, given its parameters' values."""

    covers = (Expr,)

    def map_param(self, e: Param, env: Mapping[str, _Value]) -> _Value:
        if e.name not in env:
            raise _Unknown
        return env[e.name]

    def map_literal(self, e: Literal, env: Mapping[str, _Value]) -> _Value:
        return _constant(e.value, e.type if e.type is not None else literal_scalar(e.value))

    def map_fun_call(self, e: FunCall, env: Mapping[str, _Value]) -> _Value:
        return _apply(e.f, [self(a, env) for a in e.args])

    def map_expr(self, e: Expr, env: Mapping[str, _Value]) -> _Value:
        raise _Unknown  # sources make arrays: not scalar values


_evaluate = _EvaluateExpr()


@lru_cache(maxsize=512)
def _function_def(source: str) -> ast.FunctionDef:
    tree = parse_python(textwrap.dedent(source))
    defs = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
    if len(defs) != 1:
        raise _Unknown
    return defs[0]


# ---- running a user function's body ------------------------------------------------------------------

_MAX_STEPS = 10_000
"""Statements executed symbolically per application, at most (each ``if`` runs what follows it twice)."""


class _Body:
    """Symbolic execution of a user function's body: every path ends in a ``return``, whose values are
    merged with ``If`` on the branch conditions."""

    def __init__(self, fdef: ast.FunctionDef) -> None:
        self.fdef = fdef
        """The function definition."""
        self.steps_left = _MAX_STEPS
        """Statements that may still be run (shared by every path)."""

    def run(self, env: Mapping[str, _Value]) -> _Value:
        return self.block(self.fdef.body, dict(env))

    def block(self, stmts: Sequence[ast.stmt], env: dict[str, _Value]) -> _Value:
        """The value returned by ``stmts`` (what follows an ``if`` runs in both branches)."""
        for i, s in enumerate(stmts):
            self.steps_left -= 1
            if self.steps_left < 0:
                raise _Unknown  # sequential ifs double the paths: past this, too big to be worth a proof
            returned = _Statement(self, env, stmts[i + 1 :]).visit(s)
            if returned is not None:
                return returned
        raise _Unknown  # a path without a return


class _Statement(ast.NodeVisitor):
    """One statement, run in ``env``: each ``visit_*`` returns the value the body returns there (a ``return``,
    or an ``if``, which runs the ``rest`` of the block in each branch), or ``None`` to go on with the next
    statement. A statement of another kind is outside the subset."""

    def __init__(self, body: _Body, env: dict[str, _Value], rest: Sequence[ast.stmt]) -> None:
        self.body = body
        """The body being run (its step budget, its blocks)."""
        self.env = env
        """The local variables, updated by assignments."""
        self.rest = rest
        """The statements after this one in its block."""

    def value(self, node: ast.expr) -> _Value:
        return _Expression(self.env).evaluate(node)

    def visit_Return(self, s: ast.Return) -> _Value:
        if s.value is None:
            raise _Unknown
        return self.value(s.value)

    def visit_Expr(self, s: ast.Expr) -> None:
        if not isinstance(s.value, ast.Constant):
            raise _Unknown  # a call for its effect
        # a docstring: nothing to run

    def visit_Assign(self, s: ast.Assign) -> None:
        if len(s.targets) != 1:
            raise _Unknown
        _Assignment(self.env, self.value(s.value)).visit(s.targets[0])

    def visit_AnnAssign(self, s: ast.AnnAssign) -> None:
        if s.value is None:
            raise _Unknown
        _Assignment(self.env, self.value(s.value)).visit(s.target)

    def visit_AugAssign(self, s: ast.AugAssign) -> None:
        current = self.value(s.target)
        _Assignment(self.env, _arithmetic(s.op, current, self.value(s.value))).visit(s.target)

    def visit_If(self, s: ast.If) -> _Value:
        cond = self.value(s.test).truth()
        then = self.body.block([*s.body, *self.rest], dict(self.env))
        orelse = self.body.block([*s.orelse, *self.rest], dict(self.env))
        return _select(cond, then, orelse)

    def generic_visit(self, node: ast.AST) -> None:
        raise _Unknown


class _Assignment(ast.NodeVisitor):
    """``target = value``: a name is bound; a tuple of targets takes a tuple value apart."""

    def __init__(self, env: dict[str, _Value], value: _Value) -> None:
        self.env = env
        """The local variables."""
        self.value = value
        """The value assigned."""

    def visit_Name(self, target: ast.Name) -> None:
        self.env[target.id] = self.value

    def visit_Tuple(self, target: ast.Tuple) -> None:
        for t, v in zip(target.elts, self.value.parts(len(target.elts))):
            _Assignment(self.env, v).visit(t)

    def generic_visit(self, node: ast.AST) -> None:
        raise _Unknown  # attributes, subscripts, starred targets


_CONSTANT_TYPES: dict[type, DataType] = {bool: bool_, int: i32, float: f32}
"""The type of a constant in a user function's body, by its Python class (other constants are not numbers)."""

_ARITHMETIC: dict[type[ast.operator], Callable[[z3.ArithRef, z3.ArithRef], z3.ArithRef]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}
"""The binary operators understood (division, powers, bit operations are outside the subset)."""

_UNARY: dict[type[ast.unaryop], Callable[[_Value], z3.ExprRef]] = {
    ast.Not: lambda x: z3.Not(x.truth()),
    ast.USub: lambda x: -x.number(),
    ast.UAdd: lambda x: x.number(),
}
"""The unary operators understood (``~`` is outside the subset)."""

_BOOLEAN: dict[type[ast.boolop], Callable[..., z3.BoolRef]] = {ast.And: z3.And, ast.Or: z3.Or}
"""``and`` and ``or``."""

_COMPARISONS: dict[type[ast.cmpop], Callable[[z3.ArithRef, z3.ArithRef], z3.BoolRef]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
"""The comparisons understood (``is``, ``in`` are outside the subset)."""


def _arithmetic(op: ast.operator, x: _Value, y: _Value) -> _Value:
    a, b = _promote(x.number(), y.number())
    operation = _ARITHMETIC.get(type(op))
    if operation is None:
        raise _Unknown
    return _Scalar(operation(a, b))


class _Expression(ast.NodeVisitor):
    """The symbolic value of a Python expression in a user function's body, given the local variables."""

    def __init__(self, env: Mapping[str, _Value]) -> None:
        self.env = env
        """The local variables and parameters."""

    def evaluate(self, node: ast.expr) -> _Value:
        return self.visit(node)

    def visit_Name(self, node: ast.Name) -> _Value:
        if node.id not in self.env:
            raise _Unknown  # a global name
        return self.env[node.id]

    def visit_Constant(self, node: ast.Constant) -> _Value:
        t = _CONSTANT_TYPES.get(type(node.value))
        if t is None:
            raise _Unknown  # strings, None …
        return _constant(node.value, t)

    def visit_Tuple(self, node: ast.Tuple) -> _Value:
        return _Tuple(tuple(self.evaluate(e) for e in node.elts))

    def visit_Subscript(self, node: ast.Subscript) -> _Value:
        if not isinstance(node.slice, ast.Constant):
            raise _Unknown  # a computed index
        base, i = self.evaluate(node.value), node.slice.value
        if not isinstance(i, int):
            raise _Unknown
        return base.component(i)

    def visit_BinOp(self, node: ast.BinOp) -> _Value:
        return _arithmetic(node.op, self.evaluate(node.left), self.evaluate(node.right))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> _Value:
        operation = _UNARY.get(type(node.op))
        if operation is None:
            raise _Unknown
        return _Scalar(operation(self.evaluate(node.operand)))

    def visit_BoolOp(self, node: ast.BoolOp) -> _Value:
        return _Scalar(_BOOLEAN[type(node.op)](*[self.evaluate(v).truth() for v in node.values]))

    def visit_Compare(self, node: ast.Compare) -> _Value:
        terms = [self.evaluate(e).number() for e in (node.left, *node.comparators)]
        parts = []
        for op, left, right in zip(node.ops, terms, terms[1:]):
            relation = _COMPARISONS.get(type(op))
            if relation is None:
                raise _Unknown
            parts.append(relation(*_promote(left, right)))
        return _Scalar(z3.And(*parts) if len(parts) > 1 else parts[0])

    def visit_IfExp(self, node: ast.IfExp) -> _Value:
        cond = self.evaluate(node.test).truth()
        return _select(cond, self.evaluate(node.body), self.evaluate(node.orelse))

    def visit_Call(self, node: ast.Call) -> _Value:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise _Unknown  # methods, keyword arguments
        return _builtin(node.func.id, [self.evaluate(a) for a in node.args])

    def generic_visit(self, node: ast.AST) -> _Value:
        raise _Unknown  # lambdas, comprehensions, attributes …


def _builtin(name: str, args: list[_Value]) -> _Value:
    """A call of a Python built-in of the subset."""
    if name in ("max", "min") and len(args) >= 2:
        out = args[0].number()
        for nxt in args[1:]:
            a, b = _promote(out, nxt.number())
            out = z3.If(a >= b, a, b) if name == "max" else z3.If(a <= b, a, b)
        return _Scalar(out)
    if name == "abs" and len(args) == 1:
        a = args[0].number()
        return _Scalar(z3.If(a >= 0, a, -a))
    if name == "float" and len(args) == 1:
        a = args[0].number()
        return _Scalar(z3.ToReal(a) if z3.is_int(a) else a)
    raise _Unknown  # math functions, int() truncation, other user code
