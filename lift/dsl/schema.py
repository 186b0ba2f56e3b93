"""The schema of program documents: which node classes a program may contain, and what each field may hold.

A document is untrusted data. Decoding checks every field against this schema and builds values only through
the public constructors, so that nothing in a refused document is ever run or printed as code:

* only the public IR, size and type classes of :data:`SCHEMA` may appear (never internal ones), each where
  its category is expected (an expression where an expression is expected, a size where a size is);
* every field has a type and a range: sizes are at least 1, map levels are ``seq``/``glb``/``wrg``/``lcl``
  (or none) with dimensions 0 to 2, address spaces are ``global``/``local``/``private``, names are C
  identifiers, counts and constants are bounded (:data:`MAX_INT`, :data:`MAX_COUNT`);
* objects have no unknown, duplicate or missing required keys; nesting is bounded (:data:`MAX_DEPTH`);
* size expressions are rebuilt with the arithmetic operators, so they come back in canonical form;
* a user function's source is parsed and translated again by lift's own translator, and its stored name must
  be the name its ``def`` defines (a translation is never read from a document: it is always rebuilt).

Every refusal is a :class:`~lift.errors.SerializationError` naming the path in the document
(``$.program.body.args[0].f.n``), what was expected there and what was found.
"""

from __future__ import annotations

import ast
import dataclasses
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import lift.dsl.layouts
import lift.dsl.sources  # noqa: F401  (and the sources)
from lift.dsl import ir
from lift.dsl.layout import LAYOUTS
from lift.dsl.mapper import NodeMapper
from lift.dsl.source import SOURCES
from lift.dsl.userfun_syntax import parse_function_source
from lift.errors import LiftError, SerializationError
from lift.types import arith, data

__all__ = [
    "MAX_COUNT",
    "MAX_DEPTH",
    "MAX_IDENTIFIER_LENGTH",
    "MAX_INT",
    "MAX_ITERATIONS",
    "SCHEMA",
    "decode",
    "encodable",
    "is_identifier",
]

MAX_DEPTH = 2 * ir.MAX_PROGRAM_DEPTH + 64
"""The deepest nesting of JSON objects and arrays a document may have: every program lift-ir accepts
(:data:`lift.dsl.ir.MAX_PROGRAM_DEPTH`, each level an object and its list of arguments) fits."""
MAX_INT = 2**62
"""The largest magnitude of an integer in a size expression."""
MAX_COUNT = 1 << 16
"""The largest zip arity, tuple index and array length a document may ask for."""
MAX_ITERATIONS = 1 << 10
"""The largest ``iterate`` count a document may ask for (the backend unrolls iterations)."""
MAX_TEXT = 1 << 20
"""The longest user-function source, in characters."""
MAX_IDENTIFIER_LENGTH = 255
"""The longest name a document may hold (and lift-ir print into OpenCL C)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_identifier(name: object) -> bool:
    """Whether ``name`` is a C identifier: ASCII letters, digits and ``_``, not starting with a digit, at most
    :data:`MAX_IDENTIFIER_LENGTH` characters. Every name in a document, and every name printed into OpenCL C,
    is one."""
    return isinstance(name, str) and len(name) <= MAX_IDENTIFIER_LENGTH and _IDENTIFIER.fullmatch(name) is not None


Decoder = Callable[[Any, str, int], Any]
"""Decodes one JSON value found at a path, at a nesting depth, into a Python value (or refuses it)."""


class _Describe(NodeMapper[str]):
    """A short description of a JSON value for messages, by the value's class."""

    def map_none_type(self, x: None) -> str:
        return "null"

    def map_bool(self, x: bool) -> str:
        return "true" if x else "false"

    def map_int(self, x: int) -> str:
        text = repr(x)
        return text if len(text) <= 24 else text[:21] + "..."

    map_float = map_int

    def map_str(self, x: str) -> str:
        text = repr(x)
        return f"the string {text}" if len(text) <= 60 else f"the string {text[:57]}..."

    def map_list(self, x: list[Any]) -> str:
        return f"an array of {len(x)}"

    def map_dict(self, x: dict[str, Any]) -> str:
        node = x.get("node")
        return f"a {node!r} object" if isinstance(node, str) and len(node) < 40 else "an object"

    def map_object(self, x: object) -> str:
        return type(x).__name__


_found = _Describe()


def refuse(path: str, expected: str, found: Any) -> SerializationError:
    """The error for a value at ``path`` that is not what was ``expected``."""
    return SerializationError(f"from_json: {path}: expected {expected}, found {_found(found)}")


# ---- decoders of plain values --------------------------------------------------------------------------


def integer(lo: int, hi: int) -> Decoder:
    """An integer (not a boolean) in ``[lo, hi]``."""

    def decode_int(x: Any, path: str, depth: int) -> int:
        if isinstance(x, bool) or not isinstance(x, int) or not lo <= x <= hi:
            raise refuse(path, f"an integer from {lo} to {hi}", x)
        return x

    return decode_int


def boolean(x: Any, path: str, depth: int) -> bool:
    """``true`` or ``false``."""
    if not isinstance(x, bool):
        raise refuse(path, "true or false", x)
    return x


def identifier(x: Any, path: str, depth: int) -> str:
    """A C identifier (:func:`is_identifier`)."""
    if not is_identifier(x):
        raise refuse(path, "a name made of ASCII letters, digits and _ (not starting with a digit)", x)
    return x


def one_of(*words: str) -> Decoder:
    """One of the given strings."""

    def decode_word(x: Any, path: str, depth: int) -> str:
        if not isinstance(x, str) or x not in words:
            raise refuse(path, "one of " + ", ".join(repr(w) for w in words), x)
        return x

    return decode_word


def text(x: Any, path: str, depth: int) -> str:
    """A string of at most :data:`MAX_TEXT` characters."""
    if not isinstance(x, str) or len(x) > MAX_TEXT:
        raise refuse(path, f"a string of at most {MAX_TEXT} characters", x)
    return x


def file_name(x: Any, path: str, depth: int) -> str:
    """Where a user function was written, for messages: only a file's base name is kept (never a path)."""
    name = text(x, path, depth)
    base = posixpath.basename(name.replace("\\", "/"))
    return "".join(c for c in base if c.isprintable())[:255] or "<userfun>"


def number(x: Any, path: str, depth: int) -> float | int | bool:
    """A scalar constant: a number or a boolean (integers bounded by 2**63)."""
    if isinstance(x, (bool, float)) or (isinstance(x, int) and -(2**63) <= x < 2**63):
        return x
    raise refuse(path, "a number (integers between -2**63 and 2**63 - 1) or a boolean", x)


def literal_value(x: Any, path: str, depth: int) -> Any:
    """A literal's value: a number, or a non-empty array of numbers (a tuple constant)."""
    if isinstance(x, list):
        if not x or len(x) > MAX_COUNT:
            raise refuse(path, "a number or a non-empty array of numbers", x)
        return tuple(number(v, f"{path}[{k}]", depth + 1) for k, v in enumerate(x))
    return number(x, path, depth)


def optional(decoder: Decoder) -> Decoder:
    """``null`` or what ``decoder`` accepts."""

    def decode_optional(x: Any, path: str, depth: int) -> Any:
        return None if x is None else decoder(x, path, depth)

    return decode_optional


def array(decoder: Decoder, *, min_len: int = 0, max_len: int = MAX_COUNT, unique: bool = False) -> Decoder:
    """An array of what ``decoder`` accepts, as a tuple (``unique``: no two equal elements)."""

    def decode_array(x: Any, path: str, depth: int) -> tuple[Any, ...]:
        if not isinstance(x, list) or not min_len <= len(x) <= max_len:
            raise refuse(path, f"an array of {min_len} to {max_len} elements", x)
        out = []
        for k, v in enumerate(x):
            out.append(decoder(v, f"{path}[{k}]", depth + 1))
        if unique and len(set(out)) != len(out):
            raise refuse(path, "an array without repeated elements", x)
        return tuple(out)

    return decode_array


# ---- node classes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeSpec:
    """How one node class is written: its category, its fields, and how it is built from decoded fields."""

    category: str
    """``expr``, ``fun``, ``index``, ``type`` or ``size``: where the node may appear."""
    fields: Mapping[str, Decoder]
    """Every field, with its decoder."""
    defaults: Mapping[str, Any]
    """The fields that may be left out, with their values."""
    build: Callable[[dict[str, Any], str], Any]
    """The value from the decoded fields (and the node's path, for messages)."""


def node(*categories: str) -> Decoder:
    """An object ``{"node": ClassName, field: value, …}`` of one of the given categories."""

    def decode_node(x: Any, path: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise SerializationError(
                f"from_json: {path}: the document is nested deeper than {MAX_DEPTH} levels; lift-ir does not "
                "decode deeper programs (split them into smaller ones)"
            )
        wanted = " or ".join(_CATEGORY_NAMES[c] for c in categories)
        if not isinstance(x, dict):
            raise refuse(path, f"{wanted} (an object with a 'node' key)", x)
        name = x.get("node")
        spec = SCHEMA.get(name) if isinstance(name, str) else None
        if spec is None or spec.category not in categories:
            known = ", ".join(sorted(n for n, s in SCHEMA.items() if s.category in categories))
            raise refuse(f"{path}.node", f"{wanted}: one of {known}", name)
        unknown = sorted(set(x) - set(spec.fields) - {"node"})
        if unknown:
            raise SerializationError(
                f"from_json: {path}: a {name} has no field(s) {', '.join(repr(k[:40]) for k in unknown)}; its "
                f"fields are {', '.join(spec.fields) or 'none'}"
            )
        values: dict[str, Any] = {}
        for key, decoder in spec.fields.items():
            if key in x:
                values[key] = decoder(x[key], f"{path}.{key}", depth + 1)
            elif key in spec.defaults:
                values[key] = spec.defaults[key]
            else:
                raise SerializationError(f"from_json: {path}: a {name} needs the field {key!r}")
        return spec.build(values, path)

    return decode_node


_CATEGORY_NAMES = {
    "expr": "an expression",
    "fun": "a function",
    "index": "an index function",
    "type": "a data type",
    "size": "a size expression",
}

EXPR, FUN, INDEX, TYPE, SIZE = (node(c) for c in ("expr", "fun", "index", "type", "size"))


def _checked(build: Callable[..., Any]) -> Callable[[dict[str, Any], str], Any]:
    """``build(**fields)``, with the constructor's own refusals (a lift error) reported at the node's path."""

    def checked_build(fields: dict[str, Any], path: str) -> Any:
        try:
            return build(**fields)
        except LiftError as err:
            raise SerializationError(f"from_json: {path}: {err}") from None

    return checked_build


def _size(minimum: int) -> Decoder:
    """A size expression whose value, when it is constant, is at least ``minimum`` (and at most
    :data:`MAX_INT`, also after folding: ``2**62 * 2**62`` is refused)."""

    def decode_size(x: Any, path: str, depth: int) -> arith.ArithExpr:
        e = SIZE(x, path, depth)
        if isinstance(e, arith.Cst) and not minimum <= e.value <= MAX_INT:
            raise refuse(path, f"a size from {minimum} to {MAX_INT}", e.value)
        return e

    return decode_size


def _instance(decoder: Decoder, cls: type, expected: str) -> Decoder:
    """What ``decoder`` accepts, when it is a ``cls`` (a parameter where an expression could be another)."""

    def decode_instance(x: Any, path: str, depth: int) -> Any:
        value = decoder(x, path, depth)
        if not isinstance(value, cls):
            raise refuse(path, expected, x)
        return value

    return decode_instance


def _divisor(x: Any, path: str, depth: int) -> arith.ArithExpr:
    """The divisor of ``//`` or ``%``: positive (sizes and strides are)."""
    return _size(1)(x, path, depth)


def _fold(op: Callable[[Any, Any], arith.ArithExpr]) -> Callable[..., arith.ArithExpr]:
    def build(**fields: Any) -> arith.ArithExpr:
        (parts,) = fields.values()
        out = parts[0]
        for p in parts[1:]:
            out = op(out, p)
        return out

    return build


def _var(name: str, lo: int, hi: arith.ArithExpr | None) -> arith.Var:
    return arith.Var(name, lo, hi)


def _scalar(name: str) -> data.ScalarType:
    return data.SCALARS[name]


def _userfun(fields: dict[str, Any], path: str) -> ir.UserFun:
    """A user function from a document: its source is parsed and translated again (never trusted), it must
    define the stored name, and simple type annotations in it must agree with the stored types."""
    f = ir.UserFun(**fields)
    try:
        fn = parse_function_source(f.source, filename=f.filename, first_line=f.first_line)
    except LiftError as err:
        raise SerializationError(f"from_json: {path}.source: {err}") from None
    if fn.name != f.name:
        raise SerializationError(
            f"from_json: {path}: the user function is stored as {f.name!r} but its source defines {fn.name!r}; "
            "a user function's name must be the one its source defines"
        )
    declared = [(a.arg, a.annotation) for a in fn.args.args] + [("the result", fn.returns)]
    for (what, annotation), t in zip(declared, (*f.param_types, f.result_type)):
        if isinstance(annotation, ast.Name) and annotation.id in data.SCALARS and data.SCALARS[annotation.id] != t:
            raise SerializationError(
                f"from_json: {path}: {what} is annotated {annotation.id} in the source but stored as {t}"
            )
    try:
        f.translated  # noqa: B018  (translate again now: a source outside the supported subset is refused)
    except LiftError as err:
        raise SerializationError(f"from_json: {path}.source: {err}") from None
    return f


def _lambda(cls: type[ir.Lambda]) -> Callable[[dict[str, Any], str], Any]:
    def build(fields: dict[str, Any], path: str) -> ir.Lambda:
        names = [p.name for p in fields["params"]]
        if len(set(names)) != len(names):
            raise SerializationError(f"from_json: {path}.params: two parameters have the same name: {names}")
        if cls is ir.Fun and len(fields["param_types"]) != len(names):
            raise SerializationError(
                f"from_json: {path}.param_types: expected one type per parameter ({len(names)}), found "
                f"{len(fields['param_types'])}"
            )
        return cls(**fields)

    return build


_PARAM = _instance(EXPR, ir.Param, "a parameter (a 'Param' object)")
_LITERAL = _instance(EXPR, ir.Literal, "a constant (a 'Literal' object)")
_SCALAR = _instance(TYPE, data.ScalarType, "a scalar type (a 'ScalarType' object)")
_SPACE = one_of("global", "local", "private")
_COUNT = integer(0, MAX_COUNT)
_INT = integer(-MAX_INT, MAX_INT)


def _spec(category: str, build: Any, fields: dict[str, Decoder], **defaults: Any) -> NodeSpec:
    return NodeSpec(category, fields, defaults, build)


SCHEMA: dict[str, NodeSpec] = {
    # expressions
    "Param": _spec("expr", _checked(ir.Param), {"name": identifier}),
    "Literal": _spec("expr", _checked(ir.Literal), {"value": literal_value, "scalar": optional(_SCALAR)}, scalar=None),
    "FunCall": _spec("expr", _checked(ir.FunCall), {"f": FUN, "args": array(EXPR, min_len=1)}),
    # functions
    "Lambda": _spec("fun", _lambda(ir.Lambda), {"params": array(_PARAM, min_len=1), "body": EXPR}),
    "Fun": _spec(
        "fun",
        _lambda(ir.Fun),
        {"params": array(_PARAM), "body": EXPR, "name": identifier, "param_types": array(TYPE)},
    ),
    "UserFun": _spec(
        "fun",
        _userfun,
        {
            "name": identifier,
            "param_names": array(identifier, min_len=1, unique=True),
            "param_types": array(TYPE, min_len=1),
            "result_type": TYPE,
            "source": text,
            "filename": file_name,
            "first_line": integer(1, 10**7),
        },
        filename="<userfun>",
        first_line=1,
    ),
    "Map": _spec(
        "fun",
        _checked(ir.Map),
        {
            "f": FUN,
            "level": one_of("", "seq", "glb", "wrg", "lcl"),
            "dim": integer(0, 2),
            "name": optional(identifier),
        },
        level="",
        dim=0,
        name=None,
    ),
    "Reduce": _spec("fun", _checked(ir.Reduce), {"f": FUN, "init": EXPR, "seq": boolean}, seq=False),
    "Zip": _spec("fun", _checked(ir.Zip), {"n": integer(2, MAX_COUNT)}),
    "Get": _spec("fun", _checked(ir.Get), {"i": _COUNT}),
    "Iterate": _spec("fun", _checked(ir.Iterate), {"k": integer(0, MAX_ITERATIONS), "f": FUN}),
    "Id": _spec("fun", _checked(ir.Id), {}),
    "ToMem": _spec("fun", _checked(ir.ToMem), {"space": _SPACE, "f": FUN}),
    # index functions
    "Reverse": _spec("index", _checked(ir.Reverse), {}),
    "Stride": _spec("index", _checked(ir.Stride), {"s": _size(1)}),
    # data types
    "ScalarType": _spec("type", _checked(_scalar), {"name": one_of(*data.SCALARS)}),
    "ArrayType": _spec("type", _checked(data.ArrayType), {"elem": TYPE, "size": _size(1)}),
    "TupleType": _spec("type", _checked(data.TupleType), {"elems": array(TYPE, min_len=1)}),
    # sizes, rebuilt by the arithmetic operators (canonical forms)
    "Cst": _spec("size", _checked(arith.Cst), {"value": _INT}),
    "Var": _spec(
        "size",
        _checked(_var),
        {"name": identifier, "lo": integer(1, MAX_INT), "hi": optional(SIZE)},
        lo=1,
        hi=None,
    ),
    "Sum": _spec("size", _checked(_fold(lambda a, b: a + b)), {"terms": array(SIZE, min_len=1)}),
    "Prod": _spec("size", _checked(_fold(lambda a, b: a * b)), {"factors": array(SIZE, min_len=1)}),
    "FloorDiv": _spec("size", _checked(lambda num, den: num // den), {"num": SIZE, "den": _divisor}),
    "Mod": _spec("size", _checked(lambda num, den: num % den), {"num": SIZE, "den": _divisor}),
    "Min": _spec("size", _checked(arith.minimum), {"a": SIZE, "b": SIZE}),
    "Max": _spec("size", _checked(arith.maximum), {"a": SIZE, "b": SIZE}),
}
"""Every class a program document may contain, by name."""

# Every source (lift.dsl.source) and layout combinator (lift.dsl.layout), from the kinds of its fields
_FIELD_KINDS: dict[str, Decoder] = {
    "size": _size(1),
    "count": _size(0),
    "index": INDEX,
    "literal": _LITERAL,
    "fill": optional(_LITERAL),
    "type": TYPE,
}
SCHEMA.update(
    {
        cls.__name__: _spec("expr", _checked(cls), {k: _FIELD_KINDS[kind] for k, kind in cls.schema.items()})
        for cls in SOURCES.values()
    }
)

# (a layout's fields are size arguments unless its schema says otherwise)
SCHEMA.update(
    {
        cls.__name__: _spec(
            "fun",
            _checked(cls),
            {f.name: _FIELD_KINDS[cls.schema.get(f.name, "size")] for f in dataclasses.fields(cls)},  # type: ignore[arg-type]
        )
        for cls in LAYOUTS.values()
    }
)


def encodable(x: object) -> bool:
    """Whether ``x`` is of a class a document may contain (``to_json`` writes nothing else)."""
    return type(x).__name__ in SCHEMA and type(x) is _CLASSES.get(type(x).__name__)


_CLASSES: dict[str, type] = {
    **{n: getattr(ir, n) for n in SCHEMA if hasattr(ir, n)},
    **{n: getattr(data, n) for n in SCHEMA if hasattr(data, n)},
    **{n: getattr(arith, n) for n in SCHEMA if hasattr(arith, n)},
    **{cls.__name__: cls for cls in LAYOUTS.values()},
    **{cls.__name__: cls for cls in SOURCES.values()},
}


def decode(program: Any) -> ir.Fun:
    """The program of a document's ``"program"`` value (at ``$.program``), checked against the schema, with
    consistent size variables (each name one variable)."""
    prog = node("fun")(program, "$.program", 1)
    if not isinstance(prog, ir.Fun):
        raise refuse("$.program", "a program (a 'Fun' object)", program)
    _check_size_variables(prog)
    return prog


def _check_size_variables(prog: ir.Fun) -> None:
    """Every size variable named once: two different variables of one name would print as one."""
    seen: dict[str, arith.Var] = {}
    types = [t for n in ir.walk(prog) for t in _types_of(n)] + list(prog.param_types)
    exprs = [e for t in types for e in data.sizes_of(t)]
    exprs += [v for n in ir.walk(prog) for v in n.fields().values() if isinstance(v, arith.ArithExpr)]
    for e in exprs:
        for v in e.free_vars():
            known = seen.setdefault(v.name, v)
            if known != v:
                raise SerializationError(
                    f"from_json: $.program: the size variable {v.name!r} is declared twice with different ranges "
                    f"({_range(known)} and {_range(v)})"
                )


def _types_of(n: ir.Node) -> list[data.DataType]:
    return [v for v in n.fields().values() if isinstance(v, data.DataType)]


def _range(v: arith.Var) -> str:
    return f"{v.lo} <= {v.name}" + (f" < {v.hi}" if v.hi is not None else "")
