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

The work is split in three: :mod:`lift.dsl.userfun_values` (typed values and their conversion rules),
:mod:`lift.dsl.userfun_expr` (expressions) and this module (statements, the numpy evaluator, and the entry
point :func:`translate_userfun`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from lift.dsl.mapper import NodeMapper
from lift.dsl.userfun_expr import ExprTranslator
from lift.dsl.userfun_syntax import (
    ARITH,
    C_RESERVED,
    c_type,
    compile_python,
    default_struct_name,
    names_in,
    parse_function_source,
    required_structs,
    struct_definition,
)
from lift.dsl.userfun_values import Value, join_types, load, np_call, np_cast
from lift.errors import LiftTypeError, UserFunError
from lift.types.data import DataType, ScalarType, TupleType, bool_, f32, f64, i32, i64, vector

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


class _Translator(ExprTranslator):
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
        lanes: int = 1,
    ) -> None:
        # the function's float and int types: what float literals, float(x) and int(x) mean here
        leaves = [s for _, t in (*params, ("", result)) for s in t.components()]
        float_type = f32 if f32 in leaves else f64
        int_type = i32 if i32 in leaves or i64 not in leaves else i64
        super().__init__(fn, params, name, filename, first_line, struct_name, float_type, int_type)
        self.fn, self.params, self.result, self.promote = fn, params, result, promote
        self.lanes = lanes
        self.check_signature()
        self.int_init: set[str] = set()  # locals first assigned an int literal
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

    # -- checks and output -----------------------------------------------------------------------------------

    def check_signature(self) -> None:
        """Refuse a signature C cannot express: odd parameters, names, or types that are not scalars."""
        a = self.fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs:
            self.unsupported(self.fn, "*args, **kwargs, keyword-only or default parameters", "list plain ones")
        names = [p.arg for p in a.args]
        if names != [p for p, _ in self.params]:
            self.fail(self.fn, f"the parameters {names} differ from the declared {[p for p, _ in self.params]}")
        if not self.name.isidentifier() or not self.name.isascii() or self.name in C_RESERVED:
            self.fail(self.fn, f"the name {self.name!r} cannot name an OpenCL C function")
        for p, t in (*self.params, ("the result", self.result)):
            if not all(isinstance(s, ScalarType) for s in t.components()) or t.components() == []:
                self.fail(self.fn, f"{p} has type {t}; user functions take and return scalars or tuples of them")
        for n in ast.walk(self.fn):
            ident = IDENTIFIERS.get(type(n), lambda _: "x")(n)
            if not ident.isascii() or ident.startswith("_lift_"):
                self.fail(n, f"the name {ident!r} cannot be used: C names are ASCII, and _lift_ is reserved")

    def ctype(self, t: DataType) -> str:
        if self.lanes == 1:
            return c_type(t, self.struct_name)
        if t == bool_:  # a comparison on vectors gives an integer vector, not bools
            self.unsupported(self.fn, "a bool local in a function applied to vectors", "use the comparison inline")
        return vector(cast(ScalarType, t), self.lanes).c_name

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
        return load(name)

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
        """Translate ``s``; whether it returns on every path. A statement outside the subset is refused."""
        translate = STATEMENTS.get(type(s))
        if translate is None:
            self.reject(s)
        return translate(self, s)

    def return_(self, s: ast.Return) -> bool:
        if s.value is None:
            self.fail(s, "a bare return returns nothing; user functions must return a value")
        x = self.coerce(self.expr(s.value), self.result, s, "the returned value")
        self.line(f"return {x.c};")
        self.py_return(x, s)
        return True

    def assign_statement(self, s: ast.Assign) -> bool:
        if len(s.targets) != 1:
            self.unsupported(s, "a chained assignment (a = b = ...)", "assign each name separately")
        self.assign(s.targets[0], self.expr(s.value), s)
        return False

    def annotated_assign(self, s: ast.AnnAssign) -> bool:
        if s.value is None:
            self.reject(s)  # a bare annotation declares nothing C could use
        self.assign(s.target, self.expr(s.value), s)
        return False

    def augmented_assign(self, s: ast.AugAssign) -> bool:
        if not isinstance(s.target, ast.Name):
            self.reject(s)  # p[0] += 1: tuples are values, not places
        self.augassign(s.target.id, s)
        return False

    def expression_statement(self, s: ast.Expr) -> bool:
        self.expr(s.value)  # an unsupported construct inside is reported first, as the more specific error
        self.unsupported(s, "an expression statement", "its value would be lost; assign or return it")

    def pass_(self, s: ast.Pass) -> bool:
        return False

    def assign(self, target: ast.expr, x: Value, s: ast.stmt) -> None:
        assign = TARGETS.get(type(target))
        if assign is None:
            self.unsupported(s, f"assignment to '{ast.unparse(target)}'", "assign to a local name")
        assign(self, target, x, s)

    def assign_tuple(self, target: ast.Tuple, x: Value, s: ast.stmt) -> None:
        if not isinstance(x.t, TupleType) or len(x.t.elems) != len(target.elts):
            self.fail(s, f"cannot unpack a {x.t} value into {len(target.elts)} names")
        if names_in(getattr(s, "value", s)) & names_in(target):
            self.unsupported(s, "a tuple assignment that reads a name it assigns", "use a temporary")
        for i, e in enumerate(target.elts):
            self.assign(e, self.index(x, x.t, i), s)

    def assign_name(self, target: ast.Name, x: Value, s: ast.stmt) -> None:
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
        sym, scalar = ARITH[type(s.op)][0], t.scalar_type()  # no scalar for a tuple
        if scalar is not None and res.t == t and sym in ("+", "-", "*", "/"):  # C's `t op= e` fits
            self.line(f"{cur.c} {sym}= {self.convert(rhs, scalar, s).c};")
        else:
            self.line(f"{cur.c} = {x.c};")
        self.py_assign(n, x, s)

    def check_promote(self, n: str, new: DataType) -> None:
        scalar = new.scalar_type()  # no scalar for a tuple
        if n in self.int_init and scalar is not None and scalar.is_float:
            if n not in self.promote or join_types(self.promote[n], scalar) != self.promote[n]:  # f32, then f64
                raise _Promote(n, scalar if n not in self.promote else join_types(self.promote[n], scalar))

    def if_(self, s: ast.If) -> bool:
        if self.lanes > 1:  # lanes may take different branches
            self.unsupported(s, "an if statement in a function applied to vectors", "use a conditional expression")
        test = self.cond(s.test)
        top, start = self.depth == 1 and not self.elif_, len(self.lines)
        if self.elif_:
            self.lines[-1] += f"if ({test.c}) {{"
            self.elif_ = False
        else:
            self.line(f"if ({test.c}) {{")
        outer, before = self.path, set(self.assigned)
        m = self.temp(test.py, s)
        self.path = m if outer is None else self.temp(np_call("logical_and", outer, m), s)
        self.depth += 1
        then_done, then_assigned = self.block(s.body), self.assigned
        self.depth -= 1
        self.assigned, else_done = set(before), False
        if s.orelse:
            m = np_call("logical_not", m)
            self.path = self.temp(m if outer is None else np_call("logical_and", outer, m), s)
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

    def py_assign(self, n: str, x: Value, s: ast.stmt) -> None:
        value = x.py
        if self.path is not None and n in self.py_defined:  # only the lanes on this path take the new value
            value = self.select(self.path, value, load(n), x.t)
        self.emit(ast.Assign([ast.Name(n, ast.Store())], value), s)
        self.py_defined.add(n)

    def py_return(self, x: Value, s: ast.stmt) -> None:
        res, done = load("_lift_res"), load("_lift_done")
        if self.path is None:
            value = self.select(done, res, x.py, self.result) if self.cond_returned else x.py
            self.emit(ast.Return(value), s)
            self.py_returned = True
            return
        # a return under a condition: lanes on this path that have not returned yet take x
        value = self.select(done, res, x.py, self.result) if self.cond_returned else x.py
        mask = np_call("logical_or", done, self.path) if self.cond_returned else self.path
        self.emit(ast.Assign([ast.Name("_lift_res", ast.Store())], value), s)
        self.emit(ast.Assign([ast.Name("_lift_done", ast.Store())], mask), s)
        self.cond_returned = True

    # -- driver ----------------------------------------------------------------------------------------------

    def translate(self) -> TranslatedUserFun:
        body = self.fn.body[1:] if ast.get_docstring(self.fn, clean=False) is not None else self.fn.body
        if not self.block(body):
            self.fail(body[-1] if body else self.fn, "the function can end without a return; return on every path")
        if not self.py_returned:
            self.emit(ast.Return(load("_lift_res")), body[-1])
        params = ", ".join(f"{self.ctype(t)} {self.cname(p)}" for p, t in self.params)
        c_def = f"{self.ctype(self.result)} {self.name}({params})\n{{\n" + "\n".join(self.lines) + "\n}\n"
        signature = f"def {self.name}({', '.join(p for p, _ in self.params)}):\n    pass\n"
        fdef = parse_function_source(signature, filename=self.filename)
        ast.increment_lineno(fdef, self.first_line + self.fn.lineno - 2)
        fdef.body = self.body
        module = ast.Module([fdef], [])
        ast.fix_missing_locations(module)
        namespace: dict[str, Any] = {"_lift_np": np, "_lift_cast": np_cast}
        exec(compile_python(module, self.filename), namespace)
        fn = _make_evaluate(namespace[self.name], self.name, [t for _, t in self.params], self.result)
        return TranslatedUserFun(c_def, fn, ast.unparse(module))


STATEMENTS: dict[type[ast.stmt], Callable[[_Translator, Any], bool]] = {
    ast.Return: _Translator.return_,
    ast.If: _Translator.if_,
    ast.Assign: _Translator.assign_statement,
    ast.AnnAssign: _Translator.annotated_assign,
    ast.AugAssign: _Translator.augmented_assign,
    ast.Expr: _Translator.expression_statement,
    ast.Pass: _Translator.pass_,
}
"""The supported statements: the method of the translator that translates each kind (it returns whether the
statement returns on every path); any other kind is refused by name."""

TARGETS: dict[type[ast.expr], Callable[[_Translator, Any, Value, ast.stmt], None]] = {
    ast.Name: _Translator.assign_name,
    ast.Tuple: _Translator.assign_tuple,
}
"""The targets an assignment can have: a local name, or a tuple of targets that unpacks a tuple value."""

IDENTIFIERS: dict[type[ast.AST], Callable[[Any], str]] = {ast.Name: lambda n: n.id, ast.arg: lambda n: n.arg}
"""The syntax nodes that name a local or a parameter, and their name."""


def _make_evaluate(
    fn: Callable[..., Any], name: str, param_types: Sequence[DataType], result: DataType
) -> Callable[..., Any]:
    def evaluate(*args: Any) -> Any:
        if len(args) != len(param_types):
            raise LiftTypeError(f"user function '{name}' takes {len(param_types)} arguments, got {len(args)}")
        vals = [_ARGUMENT(t, v, name) for v, t in zip(args, param_types)]
        shape = np.broadcast_shapes(*(np.shape(s) for v in vals for s in _leaves(v)))
        with np.errstate(all="ignore"):  # C gives inf/NaN silently; np.where also computes the untaken branch
            return _RESULT(result, fn(*vals), shape)

    evaluate.__name__ = evaluate.__qualname__ = name
    return evaluate


class _Argument(NodeMapper[Any]):
    """An argument of the numpy evaluator as the parameter's type has it: an array of the parameter's dtype (so
    float32 stays float32), or a tuple of them for a tuple (user functions take no arrays: a partial mapper)."""

    def map_tuple_type(self, t: TupleType, v: Any, name: str) -> Any:
        if not isinstance(v, tuple) or len(v) != len(t.elems):
            raise LiftTypeError(f"user function '{name}': expected a tuple of {len(t.elems)} arrays for {t}")
        return tuple(self(et, e, name) for e, et in zip(v, t.elems))

    def map_scalar_type(self, t: ScalarType, v: Any, name: str) -> Any:
        return np.asarray(v, dtype=t.dtype)


class _Result(NodeMapper[Any]):
    """The evaluator's result as the result type has it, every array of the lanes' ``shape`` (a constant result
    is broadcast)."""

    def map_tuple_type(self, t: TupleType, v: Any, shape: tuple[int, ...]) -> Any:
        return tuple(self(et, e, shape) for e, et in zip(v, t.elems))

    def map_scalar_type(self, t: ScalarType, v: Any, shape: tuple[int, ...]) -> Any:
        a = np.asarray(v).astype(t.dtype, copy=False)
        return a if a.shape == shape else np.array(np.broadcast_to(a, shape))


_ARGUMENT = _Argument()
_RESULT = _Result()


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
    # a function of vectors is its scalar version applied lane by lane: typed with the lanes, printed with vectors
    lanes = result_type.vector_lanes()
    params = [(p, t.lane_type()) for p, t in zip(param_names, param_types)]
    result = result_type.lane_type()
    promote: dict[str, ScalarType] = {}
    while True:  # Python's `acc = 0; acc += x` makes acc a float: retranslate with acc a float from the start
        try:
            return _Translator(fn, name, params, result, filename, first_line, struct_name, promote, lanes).translate()
        except _Promote as p:
            promote[p.name] = p.type


class _Promote(Exception):
    """A local initialised with an int literal is later assigned a float."""

    def __init__(self, name: str, t: ScalarType) -> None:
        self.name, self.type = name, t
