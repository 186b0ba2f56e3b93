"""The user-facing combinators: each returns an IR function value (or, for ``zip``/``get``, an expression).

Combinators with static arguments are functions of those arguments (``map(f)``, ``split(4)``); those with
none are values used bare (``join``, ``transpose``, ``id``). Every one checks its arguments at run time.
"""

from __future__ import annotations

import builtins
import inspect
import textwrap
from collections.abc import Callable
from typing import Any
from typing import Literal as TLiteral

from lift._public import public
from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Gather,
    Id,
    IndexFun,
    Iterate,
    Join,
    Literal,
    Map,
    Pad,
    Param,
    Reduce,
    Reverse,
    Scatter,
    Slide,
    Split,
    Stride,
    ToMem,
    Transpose,
    UserFun,
    Zip,
    _as_expr,
    as_fundecl,
    size_arg,
)
from lift.dsl.userfun_syntax import parse_python
from lift.errors import LiftTypeError
from lift.types.arith import ArithExpr
from lift.types.data import DataType

__all__ = [
    "fun",
    "gather",
    "get",
    "id",
    "iterate",
    "join",
    "map",
    "map_glb",
    "map_lcl",
    "map_seq",
    "map_wrg",
    "pad",
    "reduce",
    "reduce_seq",
    "reverse",
    "scatter",
    "slide",
    "split",
    "stride",
    "to_global",
    "to_local",
    "to_private",
    "transpose",
    "userfun",
    "zip",
]

FunLike = FunDecl | Callable[..., Any]
Size = int | ArithExpr
Scalar = float | int

join = Join()
"""``join`` : ``[[a]n]m → [a]n*m``."""
transpose = Transpose()
"""``transpose`` : ``[[a]m]n → [[a]n]m``."""
id = Id()
"""``id`` : a copy."""
reverse = Reverse()
"""The index function ``i ↦ n - 1 - i`` for ``gather``/``scatter``."""


def _label(name: str | None) -> str | None:
    if name is not None and not name.isidentifier():
        raise LiftTypeError(f"map(name=...): {name!r} is not an identifier; use letters, digits and _")
    return name


@public
def map(f: FunLike, name: str | None = None) -> Map:
    """``map(f)`` : ``[a]n → [b]n``; ``name`` labels it in mappings (default ``map0, map1, …``)."""
    return Map(as_fundecl(f, "map(f)"), "", 0, _label(name))


def _dim(dim: int, where: str) -> int:
    if dim not in (0, 1, 2):
        raise LiftTypeError(f"{where}: dim must be 0, 1 or 2, found {dim}")
    return dim


@public
def map_seq(f: FunLike, name: str | None = None) -> Map:
    """A map executed as a sequential loop by one thread."""
    return Map(as_fundecl(f, "map_seq(f)"), "seq", 0, _label(name))


@public
def map_glb(f: FunLike, dim: int = 0, name: str | None = None) -> Map:
    """A map over global thread ids of NDRange dimension ``dim``."""
    return Map(as_fundecl(f, "map_glb(f)"), "glb", _dim(dim, "map_glb"), _label(name))


@public
def map_wrg(f: FunLike, dim: int = 0, name: str | None = None) -> Map:
    """A map over work-groups of NDRange dimension ``dim``."""
    return Map(as_fundecl(f, "map_wrg(f)"), "wrg", _dim(dim, "map_wrg"), _label(name))


@public
def map_lcl(f: FunLike, dim: int = 0, name: str | None = None) -> Map:
    """A map over the local threads of a work-group in dimension ``dim``."""
    return Map(as_fundecl(f, "map_lcl(f)"), "lcl", _dim(dim, "map_lcl"), _label(name))


def _init(init: Scalar | tuple[Scalar, ...] | Expr) -> Expr:
    return _as_expr(init, "reduce(f, init)")


@public
def reduce(f: FunLike, init: Scalar | tuple[Scalar, ...] | Expr) -> Reduce:
    """``reduce(f, init)`` : ``[a]n → [a]1`` for an associative, commutative ``f`` with neutral ``init``."""
    return Reduce(as_fundecl(f, "reduce(f, init)"), _init(init), False)


@public
def reduce_seq(f: FunLike, init: Scalar | tuple[Scalar, ...] | Expr) -> Reduce:
    """``reduce_seq(f, init)`` : ``[a]n → [acc]1``, folding ``f : (acc, a) → acc`` from the left."""
    return Reduce(as_fundecl(f, "reduce_seq(f, init)"), _init(init), True)


@public
def split(n: Size) -> Split:
    """``split(n)`` : ``[a]m → [[a]n]m/n`` (requires ``m % n == 0``)."""
    return Split(size_arg(n, "split(n)"))


@public
def slide(size: Size, step: Size) -> Slide:
    """``slide(size, step)`` : ``[a]m → [[a]size](m-size)/step+1``."""
    return Slide(size_arg(size, "slide(size, step): size"), size_arg(step, "slide(size, step): step"))


@public
def pad(left: Size, right: Size, value: Scalar | TLiteral["clamp"]) -> Pad:
    """``pad(left, right, value)`` adds elements around the outermost dimension: a constant or ``"clamp"``."""
    lit = None if value == "clamp" else Literal(value)
    return Pad(
        size_arg(left, "pad(left, right, value): left", positive=False),
        size_arg(right, "pad(left, right, value): right", positive=False),
        lit,
    )


@public
def zip(*arrays: Expr) -> FunCall:
    """``zip(a, b, …)`` : ``[a]n, [b]n, … → [(a, b, …)]n``."""
    if len(arrays) < 2:
        raise LiftTypeError(f"zip(): expected at least 2 arrays, found {len(arrays)}")
    return FunCall(Zip(len(arrays)), tuple(arrays))


@public
def get(p: Expr, i: int) -> Expr:
    """``get(p, i)``: the ``i``-th component of the tuple ``p`` (same as ``p[i]``)."""
    return p[i]


@public
def stride(s: Size) -> Stride:
    """The index function ``i ↦ (i % s) * (n / s) + i / s`` for ``gather``/``scatter``."""
    return Stride(size_arg(s, "stride(s)"))


@public
def gather(f: IndexFun) -> Gather:
    """``gather(f)`` : ``out[i] = in[f(i)]`` (``f`` is ``reverse`` or ``stride(s)``)."""
    return Gather(f)


@public
def scatter(f: IndexFun) -> Scatter:
    """``scatter(f)`` : ``out[f(i)] = in[i]``."""
    return Scatter(f)


@public
def iterate(k: int, f: FunLike) -> Iterate:
    """``iterate(k, f)``: ``f`` applied ``k`` times."""
    if k < 0:
        raise LiftTypeError(f"iterate(k, f): k must be non-negative, found {k}")
    return Iterate(k, as_fundecl(f, "iterate(k, f)"))


@public
def to_global(f: FunLike) -> ToMem:
    """``f`` writing its result to global memory."""
    return ToMem("global", as_fundecl(f, "to_global(f)"))


@public
def to_local(f: FunLike) -> ToMem:
    """``f`` writing its result to local (work-group shared) memory."""
    return ToMem("local", as_fundecl(f, "to_local(f)"))


@public
def to_private(f: FunLike) -> ToMem:
    """``f`` writing its result to private (per-thread) memory."""
    return ToMem("private", as_fundecl(f, "to_private(f)"))


# ======================================================================================================
# Programs and user functions
# ======================================================================================================


def _annotations(fn: Callable[..., Any], where: str) -> tuple[list[str], list[Any], Any]:
    try:
        sig = inspect.signature(fn, eval_str=True)
    except NameError as err:
        raise LiftTypeError(
            f"{where} {getattr(fn, '__name__', fn)}: an annotation names something undefined ({err}); sizes and "
            "types used in annotations must be visible where the function is defined"
        ) from None
    names, types = [], []
    for p in sig.parameters.values():
        if p.kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            raise LiftTypeError(f"{where} {fn.__name__}: parameter {p.name!r} must be a plain positional parameter")
        if p.annotation is inspect.Parameter.empty:
            example = "f32" if where == "@userfun" else "Array[f32, N]"
            raise LiftTypeError(
                f"{where} {fn.__name__}: parameter {p.name!r} needs a type annotation, e.g. {p.name}: {example}"
            )
        names.append(p.name)
        types.append(p.annotation)
    return names, types, sig.return_annotation


def _check_types(types: list[Any], names: list[str], where: str) -> tuple[DataType, ...]:
    for n, t in builtins.zip(names, types):
        if not isinstance(t, DataType):
            raise LiftTypeError(
                f"{where}: parameter {n!r} is annotated with {t!r}, which is not a lift data type "
                "(f32, f64, i32, i64, Array[...], Tuple[...])"
            )
    return tuple(types)


def fun(fn: Callable[..., Any]) -> Fun:
    """Make a typed program from a Python function whose parameters are annotated with lift types."""
    if not callable(fn) or isinstance(fn, (FunDecl, Expr)):
        raise LiftTypeError(f"@fun: expected a Python function, found {type(fn).__name__} {fn!r}")
    names, types, _ = _annotations(fn, "@fun")
    param_types = _check_types(types, names, f"@fun {fn.__name__}")
    params = tuple(Param(n) for n in names)
    body = fn(*params)
    if isinstance(body, FunDecl):
        raise LiftTypeError(
            f"@fun {fn.__name__}: the body returned the function {body.short_name()} instead of a value; "
            "apply it to the parameters (e.g. `x >> f`)"
        )
    return Fun(params, _as_expr(body, f"@fun {fn.__name__}"), fn.__name__, param_types)


def userfun(fn: Callable[..., Any]) -> UserFun:
    """Make a scalar user function from an annotated Python function; its body is translated to OpenCL C."""
    if not callable(fn) or isinstance(fn, (FunDecl, Expr)):
        raise LiftTypeError(f"@userfun: expected a Python function, found {type(fn).__name__} {fn!r}")
    names, types, result = _annotations(fn, "@userfun")
    where = f"@userfun {fn.__name__}"
    param_types = _check_types(types, names, where)
    if result is inspect.Signature.empty:
        raise LiftTypeError(f"{where}: needs a result annotation, e.g. `-> f32`")
    (result_type,) = _check_types([result], ["result"], where)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        filename = inspect.getsourcefile(fn) or "<userfun>"
        first_line = inspect.getsourcelines(fn)[1]
    except (OSError, TypeError) as err:
        raise LiftTypeError(f"{where}: cannot read the function's source ({err}); define it in a file") from None
    parse_python(source)
    uf = UserFun(fn.__name__, tuple(names), param_types, result_type, source, filename, first_line)
    uf.translated  # translate now, so that unsupported Python fails at decoration time  # noqa: B018
    return uf
