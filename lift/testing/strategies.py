"""Hypothesis strategies: random well-typed programs over the combinators, and random inputs for a program.

``programs(...)`` builds a program stage by stage, knowing the concrete shape of the value at every point (the
type checker gives each stage's result type: the combinators' own typing rules, never a copy of them here), so
that every stage's precondition holds by construction: ``split`` by a divisor of the length, ``slide`` windows
no longer than the array, ``transpose`` and ``join`` only on arrays of arrays, a ``reduce`` only with a neutral
initial value. Values stay integers of bounded magnitude (inputs in ``[-3, 3]``, every intermediate at most
``2**20`` in absolute value), so float32 computes them exactly, whatever the order of summation: two
programs with the same meaning give bitwise equal results, and a rewrite that reassociates a sum is judged
exactly. Integer programs (``dtype=i32``) use the prelude's user functions retyped to ``i32``.

``inputs_for(prog, sizes)`` draws arrays of the shapes the program's parameter types give at ``sizes``, with
small integer values, never all zeros (a zero input hides most wrong rewrites).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from math import prod
from typing import Any, cast

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lift.dsl import prelude
from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Gather,
    Get,
    Id,
    IndexFun,
    Iterate,
    Join,
    Lambda,
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
    Transpose,
    UserFun,
    Zip,
)
from lift.dsl.layout import LAYOUTS, Layout
from lift.dsl.mapper import NodeMapper
from lift.errors import LiftError
from lift.rewrite.rule import eta_reduce
from lift.testing.retype import retype_userfun
from lift.types.arith import ArithExpr, Cst
from lift.types.checker import typecheck
from lift.types.data import (
    ArrayType,
    DataType,
    FunType,
    ScalarType,
    TupleType,
    VectorType,
    f32,
    f64,
    i32,
    i64,
    size,
    sizes_of,
)

__all__ = ["COMBINATORS", "STAGES", "inputs_for", "programs"]

COMBINATORS: tuple[str, ...] = (
    "map",
    "reduce",
    "reduce_seq",
    "zip",
    "split",
    "join",
    "slide",
    "pad",
    "transpose",
    "gather",
    "scatter",
    "iterate",
    "id",
    # every layout combinator that says how to draw itself (lift.dsl.layout.Layout.draw_for)
    *(s for s, cls in LAYOUTS.items() if cls.draw_for.__func__ is not Layout.draw_for.__func__),  # type: ignore[attr-defined]
)
"""The combinators ``programs(combinators=...)`` chooses from (``get`` comes with ``zip``)."""

OWN_STAGE_LAYOUTS: tuple[str, ...] = ("split", "join", "slide", "transpose", "gather", "scatter", "pad")
"""The layout combinators with a stage of their own here; the others are drawn by their ``Layout.draw_for``."""

MAX_MAGNITUDE = 2**20
"""No intermediate value exceeds this in absolute value: float32 represents every integer up to 2**24."""
INPUT_MAGNITUDE = 3
"""Inputs are integers in ``[-INPUT_MAGNITUDE, INPUT_MAGNITUDE]``."""
MAX_RANK = 4
"""No intermediate array has more dimensions."""
_DIMS = (4, 6, 8, 2, 3, 12, 16, 1, 5, 7)  # the first (simplest) is where Hypothesis shrinks to
STAGES: tuple[str, ...] = (
    *(c for c in COMBINATORS if c not in LAYOUTS or c in OWN_STAGE_LAYOUTS),
    "layout",
    "cartesian",
    "reduce_rows",
    "roundtrip",
)
"""Every kind of stage, for ``programs(weights=...)``: a combinator, ``layout`` (one of the layout combinators
that draw themselves, such as ``take``), or one of three compound stages: ``cartesian`` (a map of maps over
every pair of elements), ``reduce_rows`` (a reduction of rows with an array accumulator) and ``roundtrip`` (a
pair that cancels: ``split >> join``, ``transpose >> transpose``, …)."""


# ======================================================================================================
# Programs
# ======================================================================================================


@dataclass(frozen=True)
class _Pool:
    """The user functions and constants of one scalar type."""

    scalar: ScalarType
    """The scalar type of the data."""
    add: UserFun
    """``x + y`` (the prelude's, retyped to ``scalar``), likewise the others."""
    subtract: UserFun
    mult: UserFun
    square: UserFun
    maximum: UserFun
    minimum: UserFun

    def lit(self, v: int) -> Literal:
        """The constant ``v`` as a literal of the data's kind (``2.0`` for floats, ``2`` for integers)."""
        return Literal(float(v) if self.scalar.is_float else v)

    @property
    def big(self) -> int:
        """Larger than any value: the neutral element of ``minimum`` (and its negation of ``maximum``)."""
        return 2**24 if self.scalar.is_float else 2**30

    @property
    def pair(self) -> TupleType:
        """A pair of scalars (every scalar of a random program is of the one scalar type)."""
        return TupleType((self.scalar, self.scalar))

    def rows_pair(self, t: TupleType) -> bool:
        """Whether ``t`` is a pair of equally long rows of scalars."""
        row = t.elems[0]
        # a row holds as many scalars as it is long: it is the array of that many scalars
        return t.elems == (row, row) and row == _arr(self.scalar, int(row.scalar_count()))


def _pool(scalar: ScalarType) -> _Pool:
    fs = (prelude.add, prelude.subtract, prelude.mult, prelude.square, prelude.maximum, prelude.minimum)
    retyped = [retype_userfun(f, {f32: scalar}) for f in fs]
    return _Pool(scalar, *retyped)


@dataclass(frozen=True)
class _Options:
    """The options of ``programs(...)``, checked."""

    combinators: frozenset[str]
    """The combinators stages may use."""
    weights: Mapping[str, int]
    """Relative weights of the kinds of stage (default 1)."""
    max_depth: int
    """How deep maps may nest."""
    max_stages: int
    """The most stages of a top-level pipeline (nested pipelines get half)."""
    max_elems: int
    """The most scalars any intermediate value may hold."""
    pool: _Pool
    """The user functions."""


@dataclass(frozen=True)
class _Val:
    """A value under construction: its expression, its type with concrete sizes, a bound on its magnitude."""

    expr: Expr
    """The expression computing it."""
    type: ArrayType
    """Its type, as the type checker gives it at constant sizes (the concrete shape even where the program's
    types are symbolic). Every stage gives an array (a reduction an array of one element)."""
    bound: int
    """No scalar of it exceeds this in absolute value."""
    rows: int | None = None
    """The row length before the last ``join`` (a ``split`` by it undoes the ``join``)."""


def _arr(elem: DataType, n: int) -> ArrayType:
    return ArrayType(elem, Cst(n))


def _divisors(n: int) -> list[int]:
    """The divisors of ``n`` other than 1 and ``n`` (those split trivially), or all of them if there are none."""
    inner = [d for d in range(2, n) if n % d == 0]
    return inner or sorted({1, n})


def _call(f: FunDecl, *args: Expr) -> FunCall:
    return FunCall(f, tuple(args))


_NEEDS: dict[str, tuple[str, ...]] = {
    "cartesian": ("map",),
    "reduce_rows": ("reduce", "reduce_seq", "zip", "transpose", "join", "map"),
    "layout": (),  # checks its own (the allowed layouts that draw themselves)
    "roundtrip": (),  # likewise (Generator.roundtrips)
}
"""The combinators each compound kind of stage uses; any other kind needs the combinator of its name."""

_EVERY_ARRAY = frozenset({"pad", "gather", "scatter", "iterate", "id"})
"""The kinds of stage that apply to every array, whatever its element and rank."""


class _ElementStages(NodeMapper[frozenset[str]]):
    """The kinds of stage an array admits because of its element type, by the element type's class."""

    covers = (DataType,)

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen

    def map_scalar_type(self, e: ScalarType, depth: int) -> frozenset[str]:
        return frozenset({"map", "reduce", "reduce_seq", "zip", "cartesian"})

    def map_vector_type(self, e: VectorType, depth: int) -> frozenset[str]:
        # user functions apply lane by lane to vectors of one width: no pairing with scalars (zip, cartesian)
        return frozenset({"map", "reduce", "reduce_seq"})

    def map_array_type(self, e: ArrayType, depth: int) -> frozenset[str]:
        out = {"join", "transpose", "zip"}
        if depth < self.gen.opts.max_depth:  # a map of a nested pipeline
            out.add("map")
        if e.elem == self.gen.pool.scalar:  # rows of scalars, summed as vectors
            out.add("reduce_rows")
        return frozenset(out)

    def map_tuple_type(self, e: TupleType, depth: int) -> frozenset[str]:
        if e == self.gen.pool.pair:
            return frozenset({"map", "reduce_seq"})
        if self.gen.pool.rows_pair(e) and self.gen.allow("zip"):  # rows added by a map over their zip
            return frozenset({"map"})
        return frozenset()


class _Functions(NodeMapper[tuple[FunDecl, int] | None]):
    """A random function on values of one type, by the type's class, with the bound on the magnitude of its
    result (``None`` where there is none); its result type is the type checker's."""

    covers = (DataType,)

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen

    def map_scalar_type(self, e: ScalarType, b: int, depth: int) -> tuple[FunDecl, int] | None:
        gen, P = self.gen, self.gen.pool
        choice = gen.draw(st.sampled_from(["square", "double", "relu", "decrement"]))
        v = gen.param("v")
        if choice == "square" and b * b <= MAX_MAGNITUDE:
            return P.square, b * b
        if choice == "double":
            return Lambda((v,), _call(P.add, v, v)), 2 * b
        if choice == "decrement":
            return Lambda((v,), _call(P.subtract, v, P.lit(1))), b + 1
        # relu, also where squaring would exceed the magnitude bound
        return Lambda((v,), _call(P.maximum, v, P.lit(0))), b

    def map_vector_type(self, e: VectorType, b: int, depth: int) -> tuple[FunDecl, int] | None:
        """A function of the vector alone (its lanes are not mixed with scalar constants)."""
        gen, P = self.gen, self.gen.pool
        if gen.draw(st.booleans()) and b * b <= MAX_MAGNITUDE:
            return P.square, b * b
        v = gen.param("v")
        return Lambda((v,), _call(P.add, v, v)), 2 * b

    def map_tuple_type(self, e: TupleType, b: int, depth: int) -> tuple[FunDecl, int] | None:
        gen, P = self.gen, self.gen.pool
        if e == P.pair:
            choice = gen.draw(st.sampled_from(["add", "mult", "subtract", "maximum", "mixed"]))
            if choice == "mixed":
                p = gen.param("p")
                return Lambda((p,), _call(P.add, _call(Get(0), p), _call(P.square, _call(Get(1), p)))), b + b * b
            return getattr(P, choice), b * b if choice == "mult" else 2 * b
        if P.rows_pair(e):
            p = gen.param("p")
            op = gen.draw(st.sampled_from(["add", "subtract"]))
            return Lambda((p,), _call(Map(getattr(P, op)), _call(Zip(2), _call(Get(0), p), _call(Get(1), p)))), 2 * b
        return None

    def map_array_type(self, e: ArrayType, b: int, depth: int) -> tuple[FunDecl, int] | None:
        if depth >= self.gen.opts.max_depth:
            return None
        p = self.gen.param("r")
        inner = self.gen.pipeline(_Val(p, e, b), depth + 1, max(1, self.gen.opts.max_stages // 2))
        return eta_reduce(Lambda((p,), inner.expr)), inner.bound


class _Generator:
    """One program's construction: Hypothesis's ``draw`` and a counter for fresh parameter names.

    A stage builds its expression; the type checker gives its result type (the combinators' own typing rules,
    never a copy of them here)."""

    def __init__(self, draw: st.DrawFn, opts: _Options, second: _Val | None) -> None:
        self.draw = draw
        self.opts = opts
        self.pool = opts.pool
        self.second = second
        self.names = 0
        self.element_stages = _ElementStages(self)
        self.functions = _Functions(self)

    def param(self, base: str) -> Param:
        self.names += 1
        return Param(f"{base}{self.names}")

    def allow(self, *names: str) -> bool:
        return all(n in self.opts.combinators for n in names)

    def fits(self, t: ArrayType, bound: int) -> bool:
        return (
            len(t.array_shape) <= MAX_RANK and int(t.scalar_count()) <= self.opts.max_elems and bound <= MAX_MAGNITUDE
        )

    @staticmethod
    def apply(f: FunDecl, bound: int, *args: _Val, rows: int | None = None) -> _Val:
        """``f`` applied to ``args``, its result type given by the type checker."""
        result = cast(FunType, typecheck(f, *(a.type for a in args))).result
        assert isinstance(result, ArrayType), result  # see _Val.type
        return _Val(_call(f, *(a.expr for a in args)), result, bound, rows)

    # ---- pipelines and stages --------------------------------------------------------------------------
    def pipeline(self, v: _Val, depth: int, max_stages: int, min_stages: int = 1) -> _Val:
        for _ in range(self.draw(st.integers(min(min_stages, max_stages), max(1, max_stages)))):
            kinds = self.kinds(v.type, depth)
            if not kinds:
                break
            weighted = [k for k in kinds for _ in range(self.opts.weights.get(k, 1))]
            kind = self.draw(st.sampled_from(weighted))
            new = getattr(self, f"stage_{kind}")(v, depth)
            if new is not None and self.fits(new.type, new.bound):
                v = new
        return v

    def kinds(self, t: ArrayType, depth: int) -> list[str]:
        """The kinds of stage that apply to a value of type ``t`` with the allowed combinators."""
        admitted = _EVERY_ARRAY | self.element_stages(t.elem, depth)
        if len(t.array_shape) < MAX_RANK:
            admitted |= {"split", "slide"}
        if self.layouts():
            admitted |= {"layout"}
        if self.roundtrips(t):
            admitted |= {"roundtrip"}
        return [k for k in STAGES if k in admitted and self.allow(*_NEEDS.get(k, (k,)))]

    def layouts(self) -> list[str]:
        """The allowed layout combinators that draw themselves."""
        return [s for s in COMBINATORS if s in LAYOUTS and s not in OWN_STAGE_LAYOUTS and self.allow(s)]

    def roundtrips(self, t: ArrayType) -> list[str]:
        out = []
        rank = len(t.array_shape)
        if self.allow("split", "join") and rank < MAX_RANK:
            out.append("split_join")
        if self.allow("split", "join") and rank > 1:
            out.append("join_split")
        if self.allow("transpose") and rank > 1:
            out.append("transpose_transpose")
        if self.allow("gather", "scatter"):
            out += ["gather_scatter", "scatter_gather"]
        return out

    def stage_roundtrip(self, v: _Val, depth: int) -> _Val | None:
        """Two stages that cancel out: the data moves, the value does not change."""
        kind = self.draw(st.sampled_from(self.roundtrips(v.type)))
        n, b = int(v.type.size), v.bound
        if kind == "split_join":
            d = self.draw(st.sampled_from(_divisors(n)))
            return self.apply(Join(), b, self.apply(Split(Cst(d)), b, v))
        if kind == "join_split":
            return self.apply(Split(v.type.array_shape[1]), b, self.apply(Join(), b, v))
        if kind == "transpose_transpose":
            return self.apply(Transpose(), b, self.apply(Transpose(), b, v))
        idx = self.index_function(n)
        first, then = (Gather, Scatter) if kind == "gather_scatter" else (Scatter, Gather)
        return self.apply(then(idx), b, self.apply(first(idx), b, v))

    def stage_map(self, v: _Val, depth: int) -> _Val | None:
        found = self.functions(v.type.elem, v.bound, depth)
        if found is None:
            return None
        f, bound = found
        return self.apply(Map(f), bound, v)

    def stage_reduce(self, v: _Val, depth: int) -> _Val | None:
        P, n = self.pool, int(v.type.size)
        choice = self.draw(st.sampled_from(["add", "maximum", "minimum", "add_lambda"]))
        if choice == "add_lambda":  # not a recognised binary user function: the interpreter's generic path
            a, c = self.param("u"), self.param("w")
            f: FunDecl = Lambda((a, c), _call(P.add, c, a))
        else:
            f = getattr(P, choice)
        init = {"maximum": -P.big, "minimum": P.big}.get(choice, 0)
        bound = n * v.bound if choice in ("add", "add_lambda") else v.bound
        return self.apply(Reduce(f, P.lit(init)), bound, v)

    def stage_reduce_seq(self, v: _Val, depth: int) -> _Val | None:
        P, n, b = self.pool, int(v.type.size), v.bound
        acc = self.param("acc")
        if v.type.elem == P.pair:
            p = self.param("p")
            dot = _call(P.add, acc, _call(P.mult, _call(Get(0), p), _call(Get(1), p)))
            return self.apply(Reduce(Lambda((acc, p), dot), P.lit(0), True), n * b * b, v)
        choice = self.draw(st.sampled_from(["add", "squares", "maximum"]))
        if choice == "squares":
            x = self.param("v")
            step = Lambda((acc, x), _call(P.add, acc, _call(P.square, x)))
            return self.apply(Reduce(step, P.lit(0), True), n * b * b, v)
        if choice == "maximum":
            return self.apply(Reduce(P.maximum, P.lit(-P.big), True), b, v)
        return self.apply(Reduce(P.add, P.lit(0), True), n * b, v)

    def stage_reduce_rows(self, v: _Val, depth: int) -> _Val | None:
        """Rows summed with a vector addition; the zero row comes from the data: a reduction whose
        accumulator is an array initialised by an expression."""
        P, n = self.pool, int(v.type.size)
        a, r1, r2, acc, x = (self.param(s) for s in ("a", "s", "t", "acc", "v"))
        vadd = Lambda((r1, r2), _call(Map(P.add), _call(Zip(2), r1, r2)))
        keep = Lambda((acc, x), acc)
        zeros = _call(Join(), _call(Map(Reduce(keep, P.lit(0), True)), _call(Transpose(), a)))
        return self.apply(Lambda((a,), _call(Reduce(vadd, zeros), a)), n * v.bound, v)

    def stage_zip(self, v: _Val, depth: int) -> _Val | None:
        options = ["same"]
        if self.allow("gather"):
            options.append("reversed")
        if self.allow("scatter"):
            options.append("scattered")
        if self.allow("map") and v.type.elem == self.pool.scalar:
            options.append("squared")
        if self.second is not None and depth == 0 and self.second.type == v.type:
            options.append("second")
        choice = self.draw(st.sampled_from(options))
        if choice == "second":
            assert self.second is not None
            return self.apply(Zip(2), max(v.bound, self.second.bound), v, self.second)
        a = self.param("a")
        partner: Expr = a
        if choice == "reversed":
            partner = _call(Gather(Reverse()), a)
        elif choice == "scattered":
            partner = _call(Scatter(Reverse()), a)
        elif choice == "squared":
            partner = _call(Map(self.pool.square), a)
        bound = v.bound * v.bound if choice == "squared" else v.bound
        return self.apply(Lambda((a,), _call(Zip(2), a, partner)), bound, v)

    def stage_layout(self, v: _Val, depth: int) -> _Val | None:
        """One of the allowed layout combinators that draw themselves, drawn by its own rule."""
        choices = self.layouts()
        if v.type.elem.vector_lanes() > 1 and "as_scalar" in choices and self.draw(st.booleans()):
            spelling = "as_scalar"  # as in real programs, vectors are soon seen as scalars again
        else:
            spelling = self.draw(st.sampled_from(choices))
        layout = LAYOUTS[spelling].draw_for(v.type, lambda choices: self.draw(st.sampled_from(list(choices))))
        return None if layout is None else self.apply(layout, v.bound, v)

    def stage_split(self, v: _Val, depth: int) -> _Val | None:
        n = int(v.type.size)
        if v.rows is not None and n % v.rows == 0 and self.draw(st.booleans()):
            d = v.rows  # undo the join just before
        else:
            d = self.draw(st.sampled_from(_divisors(n)))
        return self.apply(Split(Cst(d)), v.bound, v)

    def stage_join(self, v: _Val, depth: int) -> _Val | None:
        return self.apply(Join(), v.bound, v, rows=int(v.type.array_shape[1]))

    def stage_transpose(self, v: _Val, depth: int) -> _Val | None:
        return self.apply(Transpose(), v.bound, v)

    def stage_slide(self, v: _Val, depth: int) -> _Val | None:
        width = self.draw(st.integers(1, min(int(v.type.size), 4)))
        step = self.draw(st.integers(1, 3))
        return self.apply(Slide(Cst(width), Cst(step)), v.bound, v)

    def stage_pad(self, v: _Val, depth: int) -> _Val | None:
        left, right = self.draw(st.integers(0, 2)), self.draw(st.integers(0, 2))
        # a constant fills scalars (of elements of any shape); arrays of tuples are padded by clamping
        constant = v.type.scalar_type() is not None and self.draw(st.booleans())
        return self.apply(Pad(Cst(left), Cst(right), self.pool.lit(0) if constant else None), v.bound, v)

    def index_function(self, n: int) -> IndexFun:
        s = self.draw(st.sampled_from([0, *(d for d in _divisors(n) if d not in (1, n))]))
        return Reverse() if s == 0 else Stride(Cst(s))

    def stage_gather(self, v: _Val, depth: int) -> _Val | None:
        return self.apply(Gather(self.index_function(int(v.type.size))), v.bound, v)

    def stage_scatter(self, v: _Val, depth: int) -> _Val | None:
        return self.apply(Scatter(self.index_function(int(v.type.size))), v.bound, v)

    def stage_id(self, v: _Val, depth: int) -> _Val | None:
        return self.apply(Id(), v.bound, v)

    def stage_cartesian(self, v: _Val, depth: int) -> _Val | None:
        """Every pair of elements multiplied: a map of maps over two arrays (here the same one)."""
        a, u, w = self.param("a"), self.param("u"), self.param("w")
        inner = Lambda((u,), _call(Map(Lambda((w,), _call(self.pool.mult, u, w))), a))
        return self.apply(Lambda((a,), _call(Map(inner), a)), v.bound * v.bound, v)

    def stage_iterate(self, v: _Val, depth: int) -> _Val | None:
        P, n, scalars = self.pool, int(v.type.size), v.type.elem == self.pool.scalar
        k = self.draw(st.integers(0, 3))
        options = []
        if self.allow("gather"):
            options.append("reverse")
        if self.allow("pad"):
            options.append("clamp")
        if self.allow("map") and scalars:
            options.append("relu")
        if self.allow("split", "map", "reduce", "join") and scalars and n % 2**k == 0:
            options.append("halve")
        if not options:
            return None
        choice = self.draw(st.sampled_from(options))
        if choice == "reverse":
            return self.apply(Iterate(k, Gather(Reverse())), v.bound, v)
        if choice == "clamp":
            left, right = self.draw(st.integers(0, 1)), self.draw(st.integers(0, 1))
            return self.apply(Iterate(k, Pad(Cst(left), Cst(right), None)), v.bound, v)
        if choice == "relu":
            x = self.param("v")
            return self.apply(Iterate(k, Map(Lambda((x,), _call(P.maximum, x, P.lit(0))))), v.bound, v)
        p = self.param("h")
        halve = _call(Join(), _call(Map(Reduce(P.add, P.lit(0))), _call(Split(Cst(2)), p)))
        return self.apply(Iterate(k, Lambda((p,), halve)), v.bound * 2**k, v)


def programs(
    *,
    sizes: Mapping[str, int] | None = None,
    rank: int | tuple[int, ...] = (1, 2),
    max_dim: int = 8,
    dtype: ScalarType = f32,
    combinators: Collection[str] | None = None,
    max_depth: int = 2,
    max_stages: int = 4,
    min_stages: int = 1,
    max_elems: int = 1024,
    inputs: int = 1,
    weights: Mapping[str, int] | None = None,
) -> st.SearchStrategy[Fun]:
    """Random well-typed programs: pipelines of ``min_stages`` to ``max_stages`` stages over ``inputs`` parameters.

    ``sizes`` names the input's dimensions, outermost first, with their values (``{"N": 8, "M": 4}``: the input
    is ``[[t]M]N``, symbolic; stages are chosen so that the program's size facts hold at these values). Without
    ``sizes`` the input's rank is drawn from ``rank``, each dimension up to ``max_dim``, and the types are
    concrete. ``dtype`` is the scalar type (``f32``, ``f64``, ``i32``, ``i64``); ``combinators`` restricts the
    combinators used (default :data:`COMBINATORS`); ``max_depth`` bounds the nesting of maps; ``max_elems`` the
    number of scalars of every intermediate value; ``weights`` makes some stage kinds (:data:`STAGES`) likelier
    than others (``{"map": 4}``: a stage is a map four times as often as any other applicable kind; 0 never).
    Programs print with ``lift.dsl.pretty``.
    """
    chosen = frozenset(COMBINATORS if combinators is None else combinators)
    unknown = sorted(chosen - set(COMBINATORS))
    if unknown:
        raise LiftError(f"programs(combinators=...): unknown {unknown}; choose from {', '.join(COMBINATORS)}")
    if dtype not in (f32, f64, i32, i64):
        raise LiftError(f"programs(dtype=...): expected f32, f64, i32 or i64, found {dtype!r}")
    if inputs not in (1, 2):
        raise LiftError(f"programs(inputs=...): expected 1 or 2, found {inputs}")
    ranks = (rank,) if isinstance(rank, int) else tuple(rank)
    if sizes is not None and (not sizes or any(not isinstance(v, int) or v < 1 for v in sizes.values())):
        raise LiftError(f"programs(sizes=...): expected names with positive int values, found {dict(sizes)}")
    weights = dict(weights or {})
    bad = sorted(k for k, w in weights.items() if k not in STAGES or not isinstance(w, int) or w < 0)
    if bad:
        raise LiftError(
            f"programs(weights=...): expected stage kinds ({', '.join(STAGES)}) with non-negative int "
            f"weights, found {bad}"
        )
    opts = _Options(chosen, weights, max_depth, max_stages, max_elems, _pool(dtype))
    dims_choice = [d for d in _DIMS if d <= max_dim] or [1]

    @st.composite
    def build(draw: st.DrawFn) -> Fun:
        if sizes is not None:
            shape = list(sizes.values())
            annotated: list[ArithExpr] = [size(name) for name in sizes]
        else:
            shape = [draw(st.sampled_from(dims_choice)) for _ in range(draw(st.sampled_from(ranks)))]
            while prod(shape) > max_elems and max(shape) > 1:
                shape[shape.index(max(shape))] //= 2
            annotated = [Cst(n) for n in shape]
        params = tuple(Param(name) for name in ("x", "y")[:inputs])
        if not shape:  # scalar inputs: no stage applies
            return Fun(params, params[0], "random_program", (dtype,) * inputs)
        concrete, declared = _arr(dtype, shape[-1]), ArrayType(dtype, annotated[-1])
        for n, a in zip(reversed(shape[:-1]), reversed(annotated[:-1])):
            concrete, declared = _arr(concrete, n), ArrayType(declared, a)
        second = _Val(params[1], concrete, INPUT_MAGNITUDE) if inputs == 2 else None
        gen = _Generator(draw, opts, second)
        result = gen.pipeline(_Val(params[0], concrete, INPUT_MAGNITUDE), 0, max_stages, min_stages)
        return Fun(params, result.expr, "random_program", (declared,) * inputs)

    return build()


# ======================================================================================================
# Inputs
# ======================================================================================================


def _nonzero(a: np.ndarray) -> np.ndarray:
    if a.size and not a.any():
        a = a.copy()
        a.flat[0] = 1
    return a


class _InputData(NodeMapper[st.SearchStrategy[Any]]):
    """Numpy data for a value of a type, under the array dimensions around it (arrays of tuples as tuples of
    arrays), by the type's class."""

    covers = (DataType,)

    def map_array_type(
        self, t: ArrayType, outer: tuple[int, ...], sizes: Mapping[str, int], magnitude: int
    ) -> st.SearchStrategy[Any]:
        return self(t.elem, (*outer, t.size.evaluate(sizes)), sizes, magnitude)

    def map_tuple_type(
        self, t: TupleType, outer: tuple[int, ...], sizes: Mapping[str, int], magnitude: int
    ) -> st.SearchStrategy[Any]:
        return st.tuples(*(self(e, outer, sizes, magnitude) for e in t.elems))

    def map_scalar_type(
        self, t: ScalarType, outer: tuple[int, ...], sizes: Mapping[str, int], magnitude: int
    ) -> st.SearchStrategy[Any]:
        ints = hnp.arrays(np.int64, outer, elements=st.integers(-magnitude, magnitude))
        return ints.map(lambda a: _nonzero(a).astype(t.dtype))


def inputs_for(
    prog: Fun, sizes: Mapping[str, int] | None = None, *, magnitude: int = INPUT_MAGNITUDE
) -> st.SearchStrategy[tuple[Any, ...]]:
    """Random arguments for ``prog`` at ``sizes``: one numpy array per parameter (a tuple of arrays for an array
    of tuples), of small integers in ``[-magnitude, magnitude]``, never all zeros.

    Raises ``LiftError`` when ``sizes`` misses a size variable or violates one of the program's size facts.
    """
    if not isinstance(prog, Fun):
        raise LiftError(f"inputs_for: expected a program made with @fun, found {type(prog).__name__}")
    env = dict(sizes or {})
    needed = {v.name for t in prog.param_types for n in sizes_of(t) for v in n.free_vars()}
    missing = sorted(needed - set(env))
    if missing:
        raise LiftError(f"inputs_for: {prog.name} needs a value for {', '.join(missing)} in sizes=")
    for c in prog.constraints:
        if not c.holds(env):
            raise LiftError(f"inputs_for: {prog.name} needs {c}, which fails at sizes {env}")
    parts = [_InputData()(t, (), env, magnitude) for t in prog.param_types]
    return st.tuples(*parts)
