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
    IndexFun,
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
from lift.dsl.mapper import NodeMapper
from lift.dsl.source import Source
from lift.errors import LiftError, LiftInternalError

__all__ = ["listing", "pretty", "show"]


class _Show(NodeMapper[str]):
    """The one-line DSL text of each node: an expression, a function value, or an index function."""

    covers = (Node,)

    # ---- expressions ----------------------------------------------------------------------------------
    def map_param(self, e: Param) -> str:
        return e.name

    def map_literal(self, e: Literal) -> str:
        return repr(e.value)

    def map_source(self, e: Source) -> str:
        return e.show()

    def map_fun_call(self, e: FunCall) -> str:
        inlined = _inlined(e.f, e.args)
        if inlined is not None:
            return self(inlined)
        if len(e.args) == 1 and _is_stage(e.f):
            return f"{self(e.args[0])} >> {self(e.f)}"
        return _show_call(e.f, e.args)

    # ---- function values ------------------------------------------------------------------------------
    def map_fun(self, f: Fun) -> str:
        return f.name

    def map_lambda(self, f: Lambda) -> str:
        ps = ", ".join(p.name for p in f.params)
        return f"lambda {ps}: {self(f.body)}"

    def map_user_fun(self, f: UserFun) -> str:
        return f.name

    def map_map(self, f: Map) -> str:
        dim = f", dim={f.dim}" if f.level in ("glb", "wrg", "lcl") and f.dim else ""
        name = f", name={f.name!r}" if f.name is not None else ""
        return f"{f.short_name()}({self(f.f)}{dim}{name})"

    def map_reduce(self, f: Reduce) -> str:
        return f"{f.short_name()}({self(f.f)}, {self(f.init)})"

    def map_layout(self, f: Layout) -> str:
        return f.show()

    def map_zip(self, f: Zip) -> str:
        return "zip"

    def map_get(self, f: Get) -> str:
        return f"get({f.i})"

    def map_iterate(self, f: Iterate) -> str:
        return f"iterate({f.k}, {self(f.f)})"

    def map_id(self, f: Id) -> str:
        return "id"

    def map_to_mem(self, f: ToMem) -> str:
        return f"to_{f.space}({self(f.f)})"

    def map_index_fun(self, f: IndexFun) -> str:
        return repr(f)


_SHOW = _Show()


def show(node: Node) -> str:
    """The one-line DSL text of an expression or a function value."""
    return _SHOW(node)


class _IsStage(NodeMapper[bool]):
    """Whether a call of a function on one argument reads as a pipeline stage, ``a >> f``: a combinator with its
    static arguments does; a lambda, a user function or a tuple component is called (``f(a)``, ``p[i]``)."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl) -> bool:
        return True

    def map_lambda(self, f: Lambda) -> bool:
        return False

    def map_user_fun(self, f: UserFun) -> bool:
        return False

    def map_get(self, f: Get) -> bool:
        return False


_is_stage = _IsStage()


class _ShowCall(NodeMapper[str]):
    """How a call that is not a pipeline stage is written: ``f(a, b)``, ``(lambda x: …)(a)``, ``p[i]``."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl, args: tuple[Expr, ...]) -> str:
        return f"{show(f)}({', '.join(show(a) for a in args)})"

    def map_lambda(self, f: Lambda, args: tuple[Expr, ...]) -> str:
        return f"({show(f)})({', '.join(show(a) for a in args)})"

    def map_fun(self, f: Fun, args: tuple[Expr, ...]) -> str:
        return self.map_fun_decl(f, args)  # a program is called by its name

    def map_get(self, f: Get, args: tuple[Expr, ...]) -> str:
        if len(args) == 1:
            return f"{_operand(args[0])}[{f.i}]"
        return self.map_fun_decl(f, args)


_show_call = _ShowCall()


class _Inlined(NodeMapper[Expr | None]):
    """``(lambda v: v >> f >> g)(a)``, as composition builds it, is ``a >> f >> g``: the expression to print
    for a call of a lambda written inside a program; ``None`` for any other call."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl, args: tuple[Expr, ...]) -> None:
        return None

    def map_fun(self, f: Fun, args: tuple[Expr, ...]) -> None:
        return None  # a program keeps its name

    def map_lambda(self, f: Lambda, args: tuple[Expr, ...]) -> Expr | None:
        if len(f.params) != 1 or len(args) != 1:
            return None
        source, calls = _stages(f.body)
        param = f.params[0]
        if source != param or sum(1 for n in walk(f.body) if n == param) != 1:
            return None
        rebuilt: Expr = args[0]
        for call in calls:
            rebuilt = FunCall(call.f, (rebuilt,), call.type)
        return rebuilt


_inlined = _Inlined()


def _operand(e: Expr) -> str:
    s = show(e)
    return f"({s})" if " >> " in s else s


def _stages(e: Expr) -> tuple[Expr, list[FunCall]]:
    """The pipeline ``a >> f >> g`` as its source ``a`` and its stages ``[f(a), g(f(a))]``."""
    if isinstance(e, FunCall):
        inlined = _inlined(e.f, e.args)
        if inlined is not None:
            e = inlined
    calls: list[FunCall] = []
    while isinstance(e, FunCall) and len(e.args) == 1 and _is_stage(e.f):
        calls.append(e)
        e = e.args[0]
    return e, calls[::-1]


def pretty(prog: Node, *, types: bool = False) -> str:
    """A multi-line layout of a program: one pipeline stage a line, with its type when ``types``."""
    if isinstance(prog, Fun):
        program: Fun = prog.typed.program if types else prog
        params = ", ".join(f"{p.name}: {t}" for p, t in zip(program.params, program.param_types))
        result = f" -> {program.type.result}" if types else ""
        header = f"fun {program.name}({params}){result} ="
        body = program.body
    elif isinstance(prog, Expr):
        header, body = "", prog
    else:
        return show(prog)
    source, calls = _stages(body)
    stages = [source, *calls]
    texts = [show(source)] + [">> " + show(c.f) for c in calls]
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
