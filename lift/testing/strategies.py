"""Hypothesis strategies: random well-typed programs over the combinators, and random inputs for a program.

``programs(...)`` builds a program stage by stage, knowing the concrete shape of the value at every point, so
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
from typing import Any

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
from lift.errors import LiftError
from lift.rewrite.rule import eta_reduce
from lift.testing.retype import retype_userfun
from lift.types.arith import Cst
from lift.types.checker import typecheck
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, f32, f64, i32, i64, size, sizes_of

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
    type: DataType
    """Its type, with constant sizes (the concrete shape even where the program's types are symbolic)."""
    bound: int
    """No scalar of it exceeds this in absolute value."""
    rows: int | None = None
    """The row length before the last ``join`` (a ``split`` by it undoes the ``join``)."""


def _dims(t: DataType) -> list[int]:
    out = []
    while isinstance(t, ArrayType):
        out.append(int(t.size))
        t = t.elem
    return out


def _leaf(t: DataType) -> DataType:
    while isinstance(t, ArrayType):
        t = t.elem
    return t


def _count(t: DataType) -> int:
    if isinstance(t, ArrayType):
        return int(t.size) * _count(t.elem)
    if isinstance(t, TupleType):
        return sum(_count(e) for e in t.elems)
    return 1


def _arr(elem: DataType, n: int) -> ArrayType:
    return ArrayType(elem, Cst(n))


def _divisors(n: int) -> list[int]:
    """The divisors of ``n`` other than 1 and ``n`` (those split trivially), or all of them if there are none."""
    inner = [d for d in range(2, n) if n % d == 0]
    return inner or sorted({1, n})


def _pair_of_scalars(t: DataType) -> bool:
    return isinstance(t, TupleType) and len(t.elems) == 2 and all(isinstance(e, ScalarType) for e in t.elems)


def _call(f: FunDecl, *args: Expr) -> FunCall:
    return FunCall(f, tuple(args))


class _Generator:
    """One program's construction: Hypothesis's ``draw`` and a counter for fresh parameter names."""

    def __init__(self, draw: st.DrawFn, opts: _Options, second: _Val | None) -> None:
        self.draw = draw
        self.opts = opts
        self.pool = opts.pool
        self.second = second
        self.names = 0

    def param(self, base: str) -> Param:
        self.names += 1
        return Param(f"{base}{self.names}")

    def allow(self, *names: str) -> bool:
        return all(n in self.opts.combinators for n in names)

    def fits(self, t: DataType, bound: int) -> bool:
        return len(_dims(t)) <= MAX_RANK and _count(t) <= self.opts.max_elems and bound <= MAX_MAGNITUDE

    # ---- pipelines and stages --------------------------------------------------------------------------
    def pipeline(self, v: _Val, depth: int, max_stages: int, min_stages: int = 1) -> _Val:
        for _ in range(self.draw(st.integers(min(min_stages, max_stages), max(1, max_stages)))):
            kinds = self.kinds(v, depth)
            if not kinds:
                break
            weighted = [k for k in kinds for _ in range(self.opts.weights.get(k, 1))]
            kind = self.draw(st.sampled_from(weighted))
            new = getattr(self, f"stage_{kind}")(v, depth)
            if new is not None and self.fits(new.type, new.bound):
                v = new
        return v

    def kinds(self, v: _Val, depth: int) -> list[str]:
        t = v.type
        if not isinstance(t, ArrayType):
            return []
        e, rank = t.elem, len(_dims(t))
        out = []
        if self.allow("map") and self.can_map(e, depth):
            out.append("map")
        if self.allow("reduce") and isinstance(e, ScalarType):
            out.append("reduce")
        if self.allow("reduce_seq") and (isinstance(e, ScalarType) or _pair_of_scalars(e)):
            out.append("reduce_seq")
        if self.allow("split") and rank < MAX_RANK:
            out.append("split")
        if self.allow("join") and isinstance(e, ArrayType):
            out.append("join")
        if self.allow("transpose") and isinstance(e, ArrayType):
            out.append("transpose")
        if self.allow("zip") and not isinstance(e, TupleType):
            out.append("zip")
        if self.allow("slide") and rank < MAX_RANK:
            out.append("slide")
        if self.allow("pad"):
            out.append("pad")
        if self.allow("gather"):
            out.append("gather")
        if self.allow("scatter"):
            out.append("scatter")
        if self.allow("iterate"):
            out.append("iterate")
        if self.allow("id"):
            out.append("id")
        if self.allow("map") and isinstance(e, ScalarType) and rank < MAX_RANK:
            out.append("cartesian")
        if any(s in LAYOUTS and self.allow(s) for s in COMBINATORS):
            out.append("layout")
        if self.allow("reduce", "reduce_seq", "zip", "transpose", "join", "map") and isinstance(e, ArrayType):
            if isinstance(e.elem, ScalarType):
                out.append("reduce_rows")
        if self.roundtrips(t):
            out.append("roundtrip")
        return out

    def roundtrips(self, t: ArrayType) -> list[str]:
        out = []
        if self.allow("split", "join") and len(_dims(t)) < MAX_RANK:
            out.append("split_join")
        if self.allow("split", "join") and isinstance(t.elem, ArrayType):
            out.append("join_split")
        if self.allow("transpose") and isinstance(t.elem, ArrayType):
            out.append("transpose_transpose")
        if self.allow("gather", "scatter"):
            out += ["gather_scatter", "scatter_gather"]
        return out

    def stage_roundtrip(self, v: _Val, depth: int) -> _Val | None:
        """Two stages that cancel out: the data moves, the value does not change."""
        assert isinstance(v.type, ArrayType)
        kind = self.draw(st.sampled_from(self.roundtrips(v.type)))
        n = int(v.type.size)
        if kind == "split_join":
            d = self.draw(st.sampled_from(_divisors(n)))
            return _Val(_call(Join(), _call(Split(Cst(d)), v.expr)), v.type, v.bound)
        if kind == "join_split":
            assert isinstance(v.type.elem, ArrayType)
            return _Val(_call(Split(v.type.elem.size), _call(Join(), v.expr)), v.type, v.bound)
        if kind == "transpose_transpose":
            return _Val(_call(Transpose(), _call(Transpose(), v.expr)), v.type, v.bound)
        idx = self.index_function(n)
        first, then = (Gather, Scatter) if kind == "gather_scatter" else (Scatter, Gather)
        return _Val(_call(then(idx), _call(first(idx), v.expr)), v.type, v.bound)

    def can_map(self, e: DataType, depth: int) -> bool:
        if isinstance(e, ScalarType) or _pair_of_scalars(e):
            return True
        if isinstance(e, ArrayType):
            return depth < self.opts.max_depth
        return self.rows_pair(e) is not None and self.allow("zip")

    @staticmethod
    def rows_pair(e: DataType) -> ArrayType | None:
        """For a pair of equally long rows of scalars, the row type."""
        if isinstance(e, TupleType) and len(e.elems) == 2:
            a, b = e.elems
            if isinstance(a, ArrayType) and isinstance(b, ArrayType) and a.size == b.size:
                if isinstance(a.elem, ScalarType) and a.elem == b.elem:
                    return a
        return None

    def stage_map(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        found = self.function(v.type.elem, v.bound, depth)
        if found is None:
            return None
        f, out, bound = found
        return _Val(_call(Map(f), v.expr), _arr(out, int(v.type.size)), bound)

    def function(self, e: DataType, b: int, depth: int) -> tuple[FunDecl, DataType, int] | None:
        """A random function on values of type ``e`` of magnitude at most ``b``: the function, its result type
        and the bound on its result."""
        P = self.pool
        if isinstance(e, ScalarType):
            choice = self.draw(st.sampled_from(["square", "double", "relu", "decrement"]))
            v = self.param("v")
            if choice == "square" and b * b <= MAX_MAGNITUDE:
                return P.square, e, b * b
            if choice == "double":
                return Lambda((v,), _call(P.add, v, v)), e, 2 * b
            if choice == "decrement":
                return Lambda((v,), _call(P.subtract, v, P.lit(1))), e, b + 1
            # relu, also where squaring would exceed the magnitude bound
            return Lambda((v,), _call(P.maximum, v, P.lit(0))), e, b
        if _pair_of_scalars(e):
            assert isinstance(e, TupleType)
            choice = self.draw(st.sampled_from(["add", "mult", "subtract", "maximum", "mixed"]))
            if choice == "mixed":
                p = self.param("p")
                body = _call(P.add, _call(Get(0), p), _call(P.square, _call(Get(1), p)))
                return Lambda((p,), body), e.elems[0], b + b * b
            bound = b * b if choice == "mult" else 2 * b
            return getattr(P, choice), e.elems[0], bound
        rows = self.rows_pair(e)
        if rows is not None:
            p = self.param("p")
            op = self.draw(st.sampled_from(["add", "subtract"]))
            body = _call(Map(getattr(P, op)), _call(Zip(2), _call(Get(0), p), _call(Get(1), p)))
            return Lambda((p,), body), rows, 2 * b
        if isinstance(e, ArrayType) and depth < self.opts.max_depth:
            p = self.param("r")
            inner = self.pipeline(_Val(p, e, b), depth + 1, max(1, self.opts.max_stages // 2))
            return eta_reduce(Lambda((p,), inner.expr)), inner.type, inner.bound
        return None

    def stage_reduce(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        P, n, e = self.pool, int(v.type.size), v.type.elem
        choice = self.draw(st.sampled_from(["add", "maximum", "minimum", "add_lambda"]))
        if choice == "add_lambda":  # not a recognised binary user function: the interpreter's generic path
            a, c = self.param("u"), self.param("w")
            f: FunDecl = Lambda((a, c), _call(P.add, c, a))
        else:
            f = getattr(P, choice)
        init = {"maximum": -P.big, "minimum": P.big}.get(choice, 0)
        bound = n * v.bound if choice in ("add", "add_lambda") else v.bound
        return _Val(_call(Reduce(f, P.lit(init)), v.expr), _arr(e, 1), bound)

    def stage_reduce_seq(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        P, n, e, b = self.pool, int(v.type.size), v.type.elem, v.bound
        acc = self.param("acc")
        if _pair_of_scalars(e):
            p = self.param("p")
            dot = _call(P.add, acc, _call(P.mult, _call(Get(0), p), _call(Get(1), p)))
            return _Val(_call(Reduce(Lambda((acc, p), dot), P.lit(0), True), v.expr), _arr(P.scalar, 1), n * b * b)
        choice = self.draw(st.sampled_from(["add", "squares", "maximum"]))
        if choice == "squares":
            x = self.param("v")
            step = Lambda((acc, x), _call(P.add, acc, _call(P.square, x)))
            return _Val(_call(Reduce(step, P.lit(0), True), v.expr), _arr(e, 1), n * b * b)
        if choice == "maximum":
            return _Val(_call(Reduce(P.maximum, P.lit(-P.big), True), v.expr), _arr(e, 1), b)
        return _Val(_call(Reduce(P.add, P.lit(0), True), v.expr), _arr(e, 1), n * b)

    def stage_reduce_rows(self, v: _Val, depth: int) -> _Val | None:
        """Rows summed with a vector addition; the zero row comes from the data: a reduction whose
        accumulator is an array initialised by an expression."""
        assert isinstance(v.type, ArrayType) and isinstance(v.type.elem, ArrayType)
        P, n = self.pool, int(v.type.size)
        a, r1, r2, acc, x = (self.param(s) for s in ("a", "s", "t", "acc", "v"))
        vadd = Lambda((r1, r2), _call(Map(P.add), _call(Zip(2), r1, r2)))
        keep = Lambda((acc, x), acc)
        zeros = _call(Join(), _call(Map(Reduce(keep, P.lit(0), True)), _call(Transpose(), a)))
        body = _call(Reduce(vadd, zeros), a)
        return _Val(_call(Lambda((a,), body), v.expr), _arr(v.type.elem, 1), n * v.bound)

    def stage_zip(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        e = v.type.elem
        options = ["same"]
        if self.allow("gather"):
            options.append("reversed")
        if self.allow("scatter"):
            options.append("scattered")
        if self.allow("map") and isinstance(e, ScalarType):
            options.append("squared")
        if self.second is not None and depth == 0 and self.second.type == v.type:
            options.append("second")
        choice = self.draw(st.sampled_from(options))
        pair = _arr(TupleType((e, e)), int(v.type.size))
        if choice == "second":
            assert self.second is not None
            return _Val(_call(Zip(2), v.expr, self.second.expr), pair, max(v.bound, self.second.bound))
        a = self.param("a")
        partner: Expr = a
        if choice == "reversed":
            partner = _call(Gather(Reverse()), a)
        elif choice == "scattered":
            partner = _call(Scatter(Reverse()), a)
        elif choice == "squared":
            partner = _call(Map(self.pool.square), a)
        bound = v.bound * v.bound if choice == "squared" else v.bound
        zipped = _call(Zip(2), a, partner)
        return _Val(_call(Lambda((a,), zipped), v.expr), pair, bound)

    def stage_layout(self, v: _Val, depth: int) -> _Val | None:
        """One of the allowed layout combinators that draw themselves, drawn by its own rule, its result type
        given by its own typing rule (through the type checker)."""
        assert isinstance(v.type, ArrayType)
        spelling = self.draw(st.sampled_from([s for s in COMBINATORS if s in LAYOUTS and self.allow(s)]))
        layout = LAYOUTS[spelling].draw_for(v.type, lambda choices: self.draw(st.sampled_from(list(choices))))
        if layout is None:
            return None
        result = typecheck(layout, v.type).result  # type: ignore[attr-defined]
        return _Val(_call(layout, v.expr), result, v.bound)

    def stage_split(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        n = int(v.type.size)
        if v.rows is not None and n % v.rows == 0 and self.draw(st.booleans()):
            d = v.rows  # undo the join just before
        else:
            d = self.draw(st.sampled_from(_divisors(n)))
        return _Val(_call(Split(Cst(d)), v.expr), _arr(_arr(v.type.elem, d), n // d), v.bound)

    def stage_join(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType) and isinstance(v.type.elem, ArrayType)
        n, m = int(v.type.size), int(v.type.elem.size)
        return _Val(_call(Join(), v.expr), _arr(v.type.elem.elem, n * m), v.bound, rows=m)

    def stage_transpose(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType) and isinstance(v.type.elem, ArrayType)
        n, m = int(v.type.size), int(v.type.elem.size)
        return _Val(_call(Transpose(), v.expr), _arr(_arr(v.type.elem.elem, n), m), v.bound)

    def stage_slide(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        n = int(v.type.size)
        width = self.draw(st.integers(1, min(n, 4)))
        step = self.draw(st.integers(1, 3))
        count = (n - width) // step + 1
        return _Val(_call(Slide(Cst(width), Cst(step)), v.expr), _arr(_arr(v.type.elem, width), count), v.bound)

    def stage_pad(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        left, right = self.draw(st.integers(0, 2)), self.draw(st.integers(0, 2))
        constant = isinstance(_leaf(v.type), ScalarType) and self.draw(st.booleans())
        pad = Pad(Cst(left), Cst(right), self.pool.lit(0) if constant else None)
        return _Val(_call(pad, v.expr), _arr(v.type.elem, int(v.type.size) + left + right), v.bound)

    def index_function(self, n: int) -> IndexFun:
        s = self.draw(st.sampled_from([0, *(d for d in _divisors(n) if d not in (1, n))]))
        return Reverse() if s == 0 else Stride(Cst(s))

    def stage_gather(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        return _Val(_call(Gather(self.index_function(int(v.type.size))), v.expr), v.type, v.bound)

    def stage_scatter(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        return _Val(_call(Scatter(self.index_function(int(v.type.size))), v.expr), v.type, v.bound)

    def stage_id(self, v: _Val, depth: int) -> _Val | None:
        return _Val(_call(Id(), v.expr), v.type, v.bound)

    def stage_cartesian(self, v: _Val, depth: int) -> _Val | None:
        """Every pair of elements multiplied: a map of maps over two arrays (here the same one)."""
        assert isinstance(v.type, ArrayType)
        n = int(v.type.size)
        a, u, w = self.param("a"), self.param("u"), self.param("w")
        inner = Lambda((u,), _call(Map(Lambda((w,), _call(self.pool.mult, u, w))), a))
        body = _call(Map(inner), a)
        return _Val(_call(Lambda((a,), body), v.expr), _arr(v.type, n), v.bound * v.bound)

    def stage_iterate(self, v: _Val, depth: int) -> _Val | None:
        assert isinstance(v.type, ArrayType)
        P, n, e = self.pool, int(v.type.size), v.type.elem
        k = self.draw(st.integers(0, 3))
        options = []
        if self.allow("gather"):
            options.append("reverse")
        if self.allow("pad"):
            options.append("clamp")
        if self.allow("map") and isinstance(e, ScalarType):
            options.append("relu")
        if self.allow("split", "map", "reduce", "join") and isinstance(e, ScalarType) and n % 2**k == 0:
            options.append("halve")
        if not options:
            return None
        choice = self.draw(st.sampled_from(options))
        if choice == "reverse":
            return _Val(_call(Iterate(k, Gather(Reverse())), v.expr), v.type, v.bound)
        if choice == "clamp":
            left, right = self.draw(st.integers(0, 1)), self.draw(st.integers(0, 1))
            grown = _arr(e, n + k * (left + right))
            return _Val(_call(Iterate(k, Pad(Cst(left), Cst(right), None)), v.expr), grown, v.bound)
        if choice == "relu":
            x = self.param("v")
            relu = Map(Lambda((x,), _call(P.maximum, x, P.lit(0))))
            return _Val(_call(Iterate(k, relu), v.expr), v.type, v.bound)
        p = self.param("h")
        halve = _call(Join(), _call(Map(Reduce(P.add, P.lit(0))), _call(Split(Cst(2)), p)))
        return _Val(_call(Iterate(k, Lambda((p,), halve)), v.expr), _arr(e, n // 2**k), v.bound * 2**k)


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
            annotated: list[Any] = [size(name) for name in sizes]
        else:
            shape = [draw(st.sampled_from(dims_choice)) for _ in range(draw(st.sampled_from(ranks)))]
            while prod(shape) > max_elems and max(shape) > 1:
                shape[shape.index(max(shape))] //= 2
            annotated = list(shape)
        concrete: DataType = dtype
        declared: DataType = dtype
        for n, a in zip(reversed(shape), reversed(annotated)):
            concrete = _arr(concrete, n)
            declared = ArrayType(declared, a if not isinstance(a, int) else Cst(a))
        params = tuple(Param(name) for name in ("x", "y")[:inputs])
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


def _data(t: DataType, outer: tuple[int, ...], sizes: Mapping[str, int], magnitude: int) -> st.SearchStrategy[Any]:
    """Numpy data for a value of type ``t`` under ``outer`` array dimensions (arrays of tuples as tuples)."""
    while isinstance(t, ArrayType):
        outer = (*outer, t.size.evaluate(sizes))
        t = t.elem
    if isinstance(t, TupleType):
        return st.tuples(*(_data(e, outer, sizes, magnitude) for e in t.elems))
    assert isinstance(t, ScalarType)
    dtype = t.dtype
    ints = hnp.arrays(np.int64, outer, elements=st.integers(-magnitude, magnitude))
    return ints.map(lambda a: _nonzero(a).astype(dtype))


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
    parts = [_data(t, (), env, magnitude) for t in prog.param_types]
    return st.tuples(*parts)
