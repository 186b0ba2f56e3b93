"""Lift's interchange rules and the 2-D tiling macro rule: reordering nested maps and reductions with transposes."""

from __future__ import annotations

from typing import Any

from lift.dsl.ir import (
    Expr,
    FunCall,
    FunDecl,
    Get,
    Join,
    Lambda,
    Map,
    Param,
    Reduce,
    Split,
    Transpose,
    UserFun,
    Zip,
    size_arg,
)
from lift.dsl.substitute import free_params, substitute
from lift.rewrite.engine_nodes import param_name
from lift.rewrite.rule import (
    Bindings,
    Condition,
    Rule,
    algorithmic,
    applied,
    call,
    divides,
    eta_reduce,
    length,
    let,
    pinned,
    row_length,
    unary_lambda,
    uses,
)
from lift.types.arith import ArithExpr

__all__ = ["map_map_interchange", "map_reduce_interchange", "tile_2d"]

Size = int | ArithExpr


def _transpose(e: Expr) -> Expr:
    return FunCall(Transpose(), (e,))


# ---- map of reduce ----------------------------------------------------------------------------------------


def _map_reduce_match(e: Expr) -> dict[str, Any] | None:
    m = applied(e, Map)
    if m is None or row_length(m[1]) is None:
        return None
    r = eta_reduce(m[0].f)
    if not isinstance(r, Reduce):
        return None
    return {"map": m[0], "reduce": r, "x": m[1]}


def _map_reduce_build(b: Bindings) -> Expr:
    r: Reduce = b["reduce"]
    acc, row, pair, each = (Param(n) for n in b.fresh("acc", "row", "p", "r"))
    f = eta_reduce(r.f)
    combine: FunDecl
    if isinstance(f, UserFun) and f.num_args() == 2:
        combine = f  # map(add) over zip(acc, row): the user function takes the pair's components
    else:
        combine = Lambda((pair,), call(r.f, FunCall(Get(0), (pair,)), FunCall(Get(1), (pair,))))
    columnwise = Lambda((acc, row), FunCall(Map(combine), (FunCall(Zip(2), (acc, row)),)))

    def interchanged(xs: Expr) -> Expr:
        # one initial value per row of xs, i.e. per column being reduced after the transpose
        inits = FunCall(Map(Lambda((each,), pinned(r.init))), (xs,))
        return _transpose(FunCall(Reduce(columnwise, inits, r.seq), (_transpose(xs),)))

    return let(b, b["x"], "xs", interchanged)


map_reduce_interchange = Rule(
    "map_reduce_interchange",
    "x >> map(reduce(f, z))  =  x >> transpose >> reduce(λacc, row. zip(acc, row) >> map(f), x >> map(λr. z)) "
    ">> transpose",
    _map_reduce_match,
    _map_reduce_build,
    (algorithmic("map"),),
    lift_name="InterchangeRules.mapReduceInterchange",
    group="interchange",
)
"""Reducing every row is reducing the rows together, column-wise (also for ``reduce_seq``: each column is still
folded in order). The initial value ``x >> map(λr. z)`` has one ``z`` per row of ``x``."""


# ---- map of map -------------------------------------------------------------------------------------------


def _map_map_match(e: Expr) -> dict[str, Any] | None:
    m = applied(e, Map)
    if m is None:
        return None
    lam = unary_lambda(m[0].f)
    if lam is None:
        return None
    x, body = lam
    inner = applied(body, Map)
    if inner is None:
        return None
    over = inner[1]
    nested = param_name(over) == x.name
    return {"outer": m[0], "inner": inner[0], "xs": m[1], "x": x, "ys": over, "f": inner[0].f, "nested": nested}


def _map_map_build(b: Bindings) -> Expr:
    outer: Map = b["outer"]
    inner: Map = b["inner"]
    if b["nested"]:
        # every row of xs is mapped by the same map: map the columns instead
        columns = FunCall(Map(inner, outer.level, outer.dim, outer.name), (_transpose(b["xs"]),))
        return _transpose(columns)
    lam = unary_lambda(inner.f)
    assert lam is not None, "the engine eta-expands map functions"
    y, body = lam
    x: Param = b["x"]
    x2, y2 = x, y
    if x.name == y.name or y.name in free_params(b["xs"]):
        # xs moves under the binder of y, and the binders swap: rename them where that could capture
        x_name, y_name = b.fresh(x.name, y.name)
        x2, y2 = Param(x_name), Param(y_name)
        body = substitute(body, {x.name: x2, y.name: y2})
    over_xs = Map(Lambda((x2,), body), outer.level, outer.dim, outer.name)
    over_ys = Map(Lambda((y2,), FunCall(over_xs, (b["xs"],))), inner.level, inner.dim, inner.name)
    return _transpose(FunCall(over_ys, (b["ys"],)))


map_map_interchange = Rule(
    "map_map_interchange",
    "xs >> map(λx. ys >> map(λy. f(x, y)))  =  ys >> map(λy. xs >> map(λx. f(x, y))) >> transpose;  "
    "xs >> map(map(f))  =  xs >> transpose >> map(map(f)) >> transpose",
    _map_map_match,
    _map_map_build,
    (
        algorithmic("outer", "inner"),
        Condition(
            "array_independent",
            "the inner map must iterate over the outer element {x} itself, or over an array that does not "
            "depend on it (found {ys})",
            lambda b: b["nested"] or not uses(b["ys"], b["x"]),
        ),
        Condition(
            "function_independent",
            "the inner map's function {f} must not use the outer element {x} when it iterates over it",
            lambda b: not b["nested"] or not uses(b["f"], b["x"]),
        ),
    ),
    lift_name="InterchangeRules.mapMapInterchange / InterchangeRules.transposeBothSides",
    group="interchange",
)
"""Swapping two nested maps transposes the result: for a cartesian ``map`` of ``map`` (Lift's
``mapMapInterchange``) and for a map of the same map over every row (Lift's ``transposeBothSides``)."""


# ---- 2-D tiling ---------------------------------------------------------------------------------------------


def tile_2d(rows: Size, cols: Size) -> Rule:
    """``tile_2d(r, c)``: a map of maps over ``[[a]M]N`` computed in ``r × c`` tiles (``r | N``, ``c | M``)."""
    tr = size_arg(rows, "tile_2d(rows, cols): rows")
    tc = size_arg(cols, "tile_2d(rows, cols): cols")

    def match(e: Expr) -> dict[str, Any] | None:
        m = applied(e, Map)
        if m is None or row_length(m[1]) is None:
            return None
        inner = eta_reduce(m[0].f)
        if not isinstance(inner, Map):
            return None
        return {
            "outer": m[0],
            "inner": inner,
            "x": m[1],
            "r": tr,
            "c": tc,
            "rows": length(m[1]),
            "cols": row_length(m[1]),
        }

    def build(b: Bindings) -> Expr:
        outer: Map = b["outer"]
        block, tiles_row = (Param(n) for n in b.fresh("block", "tiles"))
        # [[a]M]N -> [[[[a]c]r]M/c]N/r: the tile (i, j) holds rows i*r.. and columns j*c..
        cut = Lambda((block,), _transpose(FunCall(Map(Split(tc)), (block,))))
        tiled = FunCall(Map(cut), (FunCall(Split(tr), (b["x"],)),))
        per_tile = Map(b["inner"], "", 0, outer.name)
        computed = FunCall(Map(Map(per_tile)), (tiled,))
        # back: for each row of tiles, [[[b]c]r]M/c -> [[[b]c]M/c]r -> [[b]M]r; then join the rows of tiles
        glue = Lambda((tiles_row,), FunCall(Map(Join()), (_transpose(tiles_row),)))
        return FunCall(Join(), (FunCall(Map(glue), (computed,)),))

    return Rule(
        f"tile_2d({tr}, {tc})",
        f"x >> map(map(f))  =  x >> split({tr}) >> map(λb. b >> map(split({tc})) >> transpose) "
        f">> map(map(map(map(f)))) >> map(λt. t >> transpose >> map(join)) >> join",
        match,
        build,
        (
            algorithmic("outer", "inner"),
            Condition(
                "rows_divide",
                "the tile height {r} must divide the number of rows {rows}",
                lambda b: divides(b["r"], b["rows"], b.facts),
            ),
            Condition(
                "cols_divide",
                "the tile width {c} must divide the number of columns {cols}",
                lambda b: divides(b["c"], b["cols"], b.facts),
            ),
        ),
        lift_name="ReuseRules.tileMapMap",
        group="macro",
    )
