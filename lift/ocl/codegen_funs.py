"""What code generation asks of a function before it emits anything: its result type, its parallel maps, whether it
is printed inline as a C expression. Each question is one mapper with a method per combinator (see
:mod:`lift.dsl.mapper`), so a new combinator is refused at import until every question has its answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from lift.dsl.ir import (
    Expr,
    FunCall,
    FunDecl,
    Get,
    Id,
    Iterate,
    Lambda,
    Map,
    Node,
    Reduce,
    ToMem,
    UserFun,
    Zip,
    computes,
    walk,
)
from lift.dsl.layout import Layout
from lift.dsl.mapper import NodeMapper
from lift.dsl.printer import show
from lift.types.arith import ArithExpr, Cst
from lift.types.checker import typecheck, typed_for
from lift.types.data import ArrayType, DataType, ScalarType, TupleType

__all__ = [
    "MAX_UNROLLED_ITERATIONS",
    "fusable_map",
    "holds",
    "is_scalar_function",
    "parallel_extents",
    "result_type",
    "steps",
]

MAX_UNROLLED_ITERATIONS = 64
"""The most steps of an ``iterate`` over a computing function the backend unrolls."""

Extents = dict[tuple[str, int], list[ArithExpr]]


class _ResultType(NodeMapper[DataType]):
    """The type of a function applied to a ``t``, read off the typed program where the function may use outer
    parameters (lambdas carry typed bodies), derived by the checker's rules for closed patterns."""

    covers = (FunDecl,)

    def map_lambda(self, f: Lambda, t: DataType) -> DataType:
        assert f.body.type is not None
        return f.body.type

    def map_user_fun(self, f: UserFun, t: DataType) -> DataType:
        return f.result_type

    def map_to_mem(self, f: ToMem, t: DataType) -> DataType:
        return self(f.f, t)

    def map_map(self, f: Map, t: DataType) -> DataType:
        assert isinstance(t, ArrayType)
        return ArrayType(self(f.f, t.elem), t.size)

    def map_reduce(self, f: Reduce, t: DataType) -> DataType:
        assert f.init.type is not None
        return ArrayType(f.init.type, Cst(1))

    def map_iterate(self, f: Iterate, t: DataType) -> DataType:
        results = [out_t for _, _, out_t in steps(f, t)]
        return results[-1] if results else t

    def checked(self, f: Zip | Get | Id | Layout, t: DataType) -> DataType:
        """A closed pattern: the checker's rule gives its result."""
        return typecheck(f, t).result  # type: ignore[attr-defined]

    map_zip = map_get = map_id = map_layout = checked


result_type = _ResultType()
"""``result_type(f, t)``: the type of ``f`` applied to a ``t``."""


def steps(f: Iterate, t: DataType, *, limit: int | None = None) -> Iterator[tuple[FunDecl, DataType, DataType]]:
    """``iterate``'s steps, each ``(g, argument type, result type)`` with ``g`` typed for its own argument (the
    sizes may change from one step to the next); at most ``limit`` of them."""
    for _ in range(f.k if limit is None else min(f.k, limit)):
        g = typed_for(f.f, t)
        out_t = result_type(g, t)
        yield g, t, out_t
        t = out_t


class _Extents(NodeMapper[None]):
    """Records the trip count of every parallel map a function applied to a ``t`` runs, by (level, dim)."""

    covers = (FunDecl,)

    def __init__(self) -> None:
        self.extents: Extents = {}

    def calls(self, node: Node) -> None:
        """Every one-argument call inside ``node``, with its argument's type."""
        for n in walk(node):
            if isinstance(n, FunCall) and len(n.args) == 1:
                self(n.f, n.args[0].type)

    def map_to_mem(self, f: ToMem, t: DataType | None) -> None:
        self(f.f, t)

    def map_map(self, f: Map, t: DataType | None) -> None:
        if not isinstance(t, ArrayType):  # an untyped argument: the call that applies it is visited instead
            return
        if f.level in ("glb", "wrg", "lcl") and computes(f.f):
            self.extents.setdefault((f.level, f.dim), []).append(t.size)
        self(f.f, t.elem)

    def map_iterate(self, f: Iterate, t: DataType | None) -> None:
        if t is not None and computes(f):
            # every unrolled step, typed for its own argument (the sizes may change from step to step)
            for g, t_in, _ in steps(f, t, limit=MAX_UNROLLED_ITERATIONS):
                self(g, t_in)
                self.calls(g)

    def without_maps(self, f: FunDecl, t: DataType | None) -> None:
        """No map of its own (a lambda's or a reduction's body is walked as calls)."""

    map_lambda = map_user_fun = map_reduce = map_zip = map_get = map_id = map_layout = without_maps


def parallel_extents(prog: Node) -> Extents:
    """The trip count of every parallel map of ``prog``, by (level, dim), before any loop is printed."""
    visitor = _Extents()
    visitor.calls(prog)
    return visitor.extents


class _ScalarFunction(NodeMapper[bool]):
    """A user function, or a lambda of them computing a scalar or tuple: printed inline as a C expression."""

    covers = (FunDecl,)

    def map_user_fun(self, f: UserFun) -> bool:
        return True

    def map_lambda(self, f: Lambda) -> bool:
        return isinstance(f.body.type, ScalarType | TupleType) and not any(
            isinstance(n, FunCall) and isinstance(n.f, (Map, Reduce)) for n in walk(f.body)
        )

    def loops(self, f: FunDecl) -> bool:
        """A pattern: it runs loops or rearranges arrays."""
        return False

    map_map = map_reduce = map_zip = map_get = map_iterate = map_id = map_to_mem = map_layout = loops


is_scalar_function = _ScalarFunction()
"""``is_scalar_function(f)``: whether ``f`` is printed inline as a C expression."""


def fusable_map(arg: Expr) -> tuple[FunDecl, Expr] | None:
    """``(g, x)`` when ``arg`` is ``map_seq(g) $ x`` with a scalar ``g`` and no address space asked for: its
    result is read once, element by element, by the reduction, so it need not be stored."""
    if not (isinstance(arg, FunCall) and isinstance(arg.f, Map) and arg.f.level in ("", "seq")):
        return None
    g = arg.f.f
    return (g, arg.args[0]) if is_scalar_function(g) else None


def holds(f: FunDecl) -> str:
    """What an intermediate computed by ``f`` is, in the program's words: ``the output of map1``."""
    inner = f.f if isinstance(f, ToMem) else f
    if isinstance(inner, Map) and inner.name:
        return f"the output of {inner.name}"
    text = show(f)
    return f"the result of {text if len(text) <= 60 else text[:57] + '...'}"
