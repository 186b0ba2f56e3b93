"""The Python subset user functions are written in: parsing, the tables of supported operators and
functions, the constructs refused (with a hint), and how tuple types are named as OpenCL C structs."""

from __future__ import annotations

import ast
import math
import operator
import re
import textwrap
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import CodeType
from typing import Any

import numpy as np

from lift.dsl.mapper import NodeMapper
from lift.errors import UserFunError
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, bool_, f32

_AST_LOCK = threading.RLock()
"""CPython 3.11 tracks the recursion depth of its conversions between Python and C syntax trees per interpreter,
not per thread: two threads parsing or compiling trees at once can fail with "AST constructor recursion depth
mismatch" (CPython issue 106905). Every conversion lift-ir makes goes through :func:`parse_python` and
:func:`compile_python`, which take this lock."""


def parse_python(source: str) -> ast.Module:
    """``ast.parse(source)``, safe to call from several threads."""
    with _AST_LOCK:
        return ast.parse(source)


def compile_python(module: ast.Module, filename: str) -> CodeType:
    """``compile(module, filename, "exec")``, safe to call from several threads."""
    with _AST_LOCK:
        return compile(module, filename, "exec")


def default_struct_name(t: TupleType) -> str:
    """The C name of the struct for ``t``: ``Tuple[f32, i32]`` is ``Tuple_float_int``.

    A nested tuple is spelled ``Tuple<arity>_...`` (``Tuple[Tuple[f32, f32], i32]`` is
    ``Tuple_Tuple2_float_float_int``), which keeps names of different types distinct.
    """
    return "Tuple_" + "_".join(struct_part(e) for e in t.elems)


def struct_part(t: DataType) -> str:
    """How ``t`` is spelled inside a struct name: a scalar by its C name, a nested tuple as ``Tuple<arity>_...``."""
    return c_type(t, _nested_struct_name)


def _nested_struct_name(t: TupleType) -> str:
    return f"Tuple{len(t.elems)}_" + "_".join(struct_part(e) for e in t.elems)


def struct_definition(t: TupleType, struct_name: Callable[[TupleType], str] = default_struct_name) -> str:
    """The C typedef of the struct for ``t``: ``typedef struct { float _0; float _1; } Tuple_float_float;``."""
    fields = " ".join(f"{c_type(e, struct_name)} _{i};" for i, e in enumerate(t.elems))
    return f"typedef struct {{ {fields} }} {struct_name(t)};"


def required_structs(types: Iterable[DataType]) -> list[TupleType]:
    """Every tuple type inside ``types``, each once, inner tuples before the tuples that contain them."""
    out: list[TupleType] = []
    for t in types:
        if isinstance(t, TupleType):
            out += [u for u in [*required_structs(t.elems), t] if u not in out]
    return out


def c_type(t: DataType, struct_name: Callable[[TupleType], str]) -> str:
    """The C type of a user function's value of type ``t``: a scalar's C name, a tuple's struct name."""
    return _CType(struct_name)(t)


@dataclass(frozen=True)
class _CType(NodeMapper[str]):
    """The C type of each kind of data type a user function can hold (an array it cannot)."""

    covers = (DataType,)

    struct_name: Callable[[TupleType], str]
    """How tuple types are named as structs."""

    def map_scalar_type(self, t: ScalarType) -> str:
        return t.c_name

    def map_tuple_type(self, t: TupleType) -> str:
        return self.struct_name(t)

    def map_array_type(self, t: ArrayType) -> str:
        raise UserFunError(f"user functions take scalars and tuples of scalars, found {t}")


def parse_function_source(source: str, *, filename: str = "<userfun>", first_line: int = 1) -> ast.FunctionDef:
    """Parse the source of one ``def`` (possibly indented, possibly decorated); decorators are removed.

    Line numbers in the result count from the first line of ``source`` (line 1).
    """
    try:
        tree = parse_python(textwrap.dedent(source))
    except SyntaxError as err:
        try:  # dedent gives up when a multi-line string is less indented than the def; a block still parses
            block = parse_python("if 1:\n" + source).body[0]
            assert isinstance(block, ast.If)
            tree = ast.Module(block.body, [])
            ast.increment_lineno(tree, -1)
        except SyntaxError:
            line = first_line + (err.lineno or 1) - 1
            raise UserFunError(f"{filename}:{line}: cannot parse the user function: {err.msg}") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise UserFunError(
            f"{filename}:{first_line}: expected the source of exactly one function definition (def ...), "
            f"found {len(tree.body)} statement(s)"
        )
    fn = tree.body[0]
    fn.decorator_list = []
    return fn


def names_in(tree: ast.AST, context: type[ast.expr_context] = ast.expr_context) -> set[str]:
    """Every name ``tree`` uses in ``context`` (``ast.Store``: the names it assigns; by default all of them)."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


# C precedence levels (higher binds tighter), for the operators we print.
PRIMARY, UNARY, MUL, ADD, REL, EQ, AND, OR, COND = 16, 15, 13, 12, 10, 9, 5, 4, 3

ARITH: dict[type[ast.operator], tuple[str, int, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", ADD, operator.add),
    ast.Sub: ("-", ADD, operator.sub),
    ast.Mult: ("*", MUL, operator.mul),
    ast.Div: ("/", MUL, operator.truediv),
    ast.FloorDiv: ("//", MUL, operator.floordiv),
    ast.Mod: ("%", MUL, operator.mod),
    ast.Pow: ("**", MUL, operator.pow),
}
CMP: dict[type[ast.cmpop], tuple[str, int, Callable[[Any, Any], Any]]] = {
    ast.Lt: ("<", REL, operator.lt),
    ast.LtE: ("<=", REL, operator.le),
    ast.Gt: (">", REL, operator.gt),
    ast.GtE: (">=", REL, operator.ge),
    ast.Eq: ("==", EQ, operator.eq),
    ast.NotEq: ("!=", EQ, operator.ne),
}
OTHER_OPS: dict[type[ast.AST], str] = {ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<"}
OTHER_OPS |= {ast.RShift: ">>", ast.MatMult: "@", ast.Invert: "~", ast.Is: "is", ast.IsNot: "is not"}
OTHER_OPS |= {ast.In: "in", ast.NotIn: "not in"}

# Python math function -> (OpenCL C function, numpy function, arity); the pairs agree on NaN and domain errors.
MATH: dict[str, tuple[str, str, int]] = {
    **{f: (f, f, 1) for f in "sqrt exp log tanh sin cos tan sinh cosh floor ceil log2 log10 exp2 cbrt".split()},
    **{f: (f, f, 1) for f in "expm1 log1p".split()},
    **{f: (f, "arc" + f[1:], 1) for f in ("asin", "acos", "atan")},
    "fabs": ("fabs", "abs", 1),
    "pow": ("pow", "power", 2),
    "atan2": ("atan2", "arctan2", 2),
    **{f: (f, f, 2) for f in ("fmin", "fmax", "fmod", "hypot", "copysign")},
}
MATH_CONSTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf, "nan": math.nan}
BUILTINS = ("abs", "min", "max", "float", "int")

# Names a local may not take in C: keywords, OpenCL types and qualifiers, and the functions we print calls to.
C_RESERVED = frozenset(
    """auto break case char const continue default do double else enum extern float for goto if inline int long
    register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
    bool true false half uchar ushort uint ulong size_t ptrdiff_t kernel global local constant private read_only
    write_only read_write image2d_t image3d_t sampler_t event_t complex imaginary abs min max INFINITY NAN main
    """.split()
) | {c for c, _, _ in MATH.values()}
C_VECTOR = re.compile(r"(u?char|u?short|u?int|u?long|float|double|half|bool)(2|3|4|8|16)")

LOOP_HINT = "use a combinator (map/reduce/iterate) instead"
DATA_HINT = "user functions compute on scalars and tuples; use a tuple, or a combinator over an array"
CONSTRUCTS: dict[type[ast.AST], tuple[str, str]] = {
    ast.While: ("a while loop", LOOP_HINT),
    ast.For: ("a for loop", LOOP_HINT),
    ast.ListComp: ("a list comprehension", LOOP_HINT),
    ast.GeneratorExp: ("a generator expression", LOOP_HINT),
    ast.List: ("a list", DATA_HINT),
    ast.Dict: ("a dict", DATA_HINT),
    ast.Lambda: ("a lambda", "write the expression inline"),
    ast.FunctionDef: ("a nested function definition", "define it as a separate user function"),
    ast.Import: ("an import", "import math at module level and call math.sqrt(...)"),
    ast.Global: ("a global statement", "pass the value as a parameter"),
    ast.Try: ("a try statement", "user functions cannot raise or catch exceptions"),
    ast.Raise: ("a raise statement", "user functions cannot raise exceptions"),
    ast.Assert: ("an assert statement", "check inputs before calling the program"),
    ast.NamedExpr: ("an assignment expression (:=)", "assign in a separate statement"),
    ast.Slice: ("a slice", "index tuples with an integer literal, as p[0]"),
    ast.AugAssign: ("an augmented assignment to a non-name", "assign to a local name"),
    ast.AnnAssign: ("an annotation without a value", "assign a value"),
}


def c_literal(v: int | float, t: ScalarType) -> str:
    """A scalar literal in OpenCL C: ``0.5f`` for f32, ``0.5`` for f64, ``3`` for integers."""
    if t == bool_:
        return "true" if v else "false"
    if not t.is_float:
        return str(int(v))
    fv = float(np.float32(v)) if t == f32 else float(v)
    if math.isnan(fv) or math.isinf(fv):
        return "NAN" if math.isnan(fv) else ("INFINITY" if fv > 0 else "-INFINITY")
    # the shortest decimal that reads back as the same float32, so C and numpy use the very same value
    return f"{np.float32(fv)!s}f" if t == f32 else repr(fv)
