"""Printing programs in the DSL's own pipeline notation, optionally with every stage's type.

``show(prog)`` gives one line such as ``zip(x, y) >> map(mult) >> reduce(add, 0.0)``; ``pretty(prog,
types=True)`` lays a program out one stage a line, each with its type::

    fun dot(x: [f32]N, y: [f32]N) -> [f32]1 =
        zip(x, y)             : [(f32, f32)]N
        >> map(mult)          : [f32]N
        >> reduce(add, 0.0)   : [f32]1
"""

from __future__ import annotations

from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Get,
    Id,
    Iterate,
    Lambda,
    Literal,
    Map,
    Node,
    Param,
    Reduce,
    ToMem,
    UserFun,
    Zip,
    walk,
)
from lift.dsl.layout import Layout
from lift.dsl.source import Source
from lift.errors import LiftError, LiftInternalError

__all__ = ["listing", "pretty", "show"]


def show(node: Node) -> str:
    """The one-line DSL text of an expression or a function value."""
    if isinstance(node, Expr):
        return _expr(node)
    if isinstance(node, FunDecl):
        return _fun(node)
    return repr(node)


def _literal(e: Literal) -> str:
    return repr(e.value)


def _expr(e: Expr) -> str:
    if isinstance(e, Param):
        return e.name
    if isinstance(e, Literal):
        return _literal(e)
    if isinstance(e, Source):
        return e.show()
    if isinstance(e, FunCall):
        f = e.f
        inlined = _inline_pipeline(e)
        if inlined is not None:
            return _expr(inlined)
        if isinstance(f, Get) and len(e.args) == 1:
            return f"{_operand(e.args[0])}[{f.i}]"
        if len(e.args) == 1 and not isinstance(f, (UserFun, Lambda)):
            return f"{_expr(e.args[0])} >> {_fun(f)}"
        return f"{_fun(f, callee=True)}({', '.join(_expr(a) for a in e.args)})"
    return repr(e)


def _inline_pipeline(e: FunCall) -> Expr | None:
    """``(lambda v: v >> f >> g)(a)``, as composition builds it, is ``a >> f >> g``: the expression to print."""
    f = e.f
    if not (isinstance(f, Lambda) and not isinstance(f, Fun) and len(f.params) == 1 and len(e.args) == 1):
        return None
    stages = _stages(f.body)
    param = f.params[0]
    if stages[0] != param or sum(1 for n in walk(f.body) if n == param) != 1:
        return None
    rebuilt: Expr = e.args[0]
    for stage in stages[1:]:
        assert isinstance(stage, FunCall)
        rebuilt = FunCall(stage.f, (rebuilt,), stage.type)
    return rebuilt


def _operand(e: Expr) -> str:
    s = _expr(e)
    return f"({s})" if " >> " in s else s


def _fun(f: FunDecl, callee: bool = False) -> str:
    if isinstance(f, Fun):
        return f.name
    if isinstance(f, Lambda):
        ps = ", ".join(p.name for p in f.params)
        s = f"lambda {ps}: {_expr(f.body)}"
        return f"({s})" if callee else s
    if isinstance(f, UserFun):
        return f.name
    if isinstance(f, Map):
        dim = f", dim={f.dim}" if f.level in ("glb", "wrg", "lcl") and f.dim else ""
        name = f", name={f.name!r}" if f.name is not None else ""
        return f"{f.short_name()}({_fun(f.f)}{dim}{name})"
    if isinstance(f, Reduce):
        return f"{f.short_name()}({_fun(f.f)}, {_expr(f.init)})"
    if isinstance(f, Layout):
        return f.show()
    if isinstance(f, Zip):
        return "zip"
    if isinstance(f, Get):
        return f"get({f.i})"
    if isinstance(f, Iterate):
        return f"iterate({f.k}, {_fun(f.f)})"
    if isinstance(f, Id):
        return "id"
    if isinstance(f, ToMem):
        return f"to_{f.space}({_fun(f.f)})"
    return repr(f)


def _stages(e: Expr) -> list[Expr]:
    """The pipeline ``a >> f >> g`` as its stages ``[a, f(a), g(f(a))]``."""
    if isinstance(e, FunCall):
        inlined = _inline_pipeline(e)
        if inlined is not None:
            e = inlined
    out = [e]
    while isinstance(e, FunCall) and len(e.args) == 1 and not isinstance(e.f, (UserFun, Lambda, Get)):
        e = e.args[0]
        out.append(e)
    return out[::-1]


def pretty(prog: Node, *, types: bool = False) -> str:
    """A multi-line layout of a program: one pipeline stage a line, with its type when ``types``."""
    if isinstance(prog, Fun) and types:
        prog = prog.typed.program
    if isinstance(prog, Fun):
        params = ", ".join(f"{p.name}: {t}" for p, t in zip(prog.params, prog.param_types))
        result = f" -> {prog.type.result}" if types else ""
        header = f"fun {prog.name}({params}){result} ="
        body = prog.body
    elif isinstance(prog, Expr):
        header, body = "", prog
    else:
        return show(prog)
    stages = _stages(body)
    texts = [_expr(stages[0])] + [">> " + _fun(s.f) for s in stages[1:] if isinstance(s, FunCall)]
    # align the types in a column, but let an unusually long stage push only its own type out
    width = min(max(len(t) for t in texts), 48)
    lines = []
    for text, stage in zip(texts, stages):
        if types and stage.type is not None:
            lines.append(f"    {text.ljust(width)}   : {stage.type}")
        else:
            lines.append(f"    {text}")
    return "\n".join(([header] if header else []) + lines)


def listing(prog: Fun) -> str:
    """``str(prog)``: :func:`pretty` with types, or without them when the program does not type-check.

    Printing is how a program is inspected, above all one that is wrong, so a type error (or a limit the
    checker reaches, or a checker bug) leaves the types out, with a last line saying why, instead of
    propagating: ``str`` never raises on a built program.
    """
    try:
        return pretty(prog, types=True)
    except (LiftError, LiftInternalError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        return f"{pretty(prog, types=False)}\n    # does not type-check: {reason}"
