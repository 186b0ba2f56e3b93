"""Lift's algorithmic rules on maps and slides: fusion, fission, split-join, join-split and slide tiling.

Equations are written in the DSL's pipeline notation (``x >> f`` applies ``f``; read left to right); each rule's
``lift_name`` names the Scala rule it follows.
"""

from __future__ import annotations

from typing import Any

from lift.dsl.ir import Expr, FunCall, Join, Lambda, Map, Param, Slide, Split, size_arg
from lift.rewrite.engine_nodes import param_name
from lift.rewrite.rule import (
    Bindings,
    Condition,
    Rule,
    algorithmic,
    applied,
    call,
    call_on,
    divides,
    element_type,
    eta_reduce,
    length,
    pinned,
    proved,
    row_length,
    unary_lambda,
    uses,
)
from lift.types.arith import ArithExpr
from lift.types.smt import Constraint

__all__ = ["join_split", "map_fission", "map_fusion", "slide_tiling", "split_join"]

Size = int | ArithExpr


# ---- map fusion -----------------------------------------------------------------------------------------


def _fusion_match(e: Expr) -> dict[str, Any] | None:
    second = applied(e, Map)
    if second is None:
        return None
    first = applied(second[1], Map)
    if first is None:
        return None
    return {"first": first[0], "then": second[0], "x": first[1]}


def _fusion_build(b: Bindings) -> Expr:
    first, then = b["first"], b["then"]
    (name,) = b.fresh("x")
    p = Param(name)
    label = first.name if first.name is not None else then.name
    x: Expr = b["x"]
    fused = Map(Lambda((p,), call(then.f, call_on(first.f, p, element_type(x)))), first.level, first.dim, label)
    return FunCall(fused, (b["x"],))


map_fusion = Rule(
    "map_fusion",
    "x >> map(f) >> map(g)  =  x >> map(f >> g)",
    _fusion_match,
    _fusion_build,
    (
        Condition(
            "same_level",
            "both maps must run at the same level (found {first_level} then {then_level})",
            lambda b: (b["first"].level, b["first"].dim) == (b["then"].level, b["then"].dim),
        ),
    ),
    lift_name="FusionRules.mapFusion",
)
"""``map(f)`` then ``map(g)`` is one ``map`` of ``f`` then ``g``: one pass, no intermediate array."""


# ---- map fission ----------------------------------------------------------------------------------------


def _fission_match(e: Expr) -> dict[str, Any] | None:
    m = applied(e, Map)
    if m is None:
        return None
    lam = unary_lambda(m[0].f)
    if lam is None:
        return None
    x, body = lam
    if not isinstance(body, FunCall) or not body.args:
        return None
    # the argument of the last call that computes from the element (the first, if several do)
    using = [i for i, a in enumerate(body.args) if uses(a, x)]
    i = using[0] if using else 0
    inner = body.args[i]
    if param_name(inner) == x.name:
        return None  # λx. g(…, x, …): nothing to split off
    rest = tuple(a for j, a in enumerate(body.args) if j != i)
    return {"map": m[0], "xs": m[1], "x": x, "last": body, "g": body.f, "i": i, "e": inner, "rest": rest}


def _fission_build(b: Bindings) -> Expr:
    m: Map = b["map"]
    last: FunCall = b["last"]
    first = eta_reduce(Lambda((b["x"],), pinned(b["e"])))
    (name,) = b.fresh("y")
    y = Param(name)
    args = tuple(y if j == b["i"] else pinned(a) for j, a in enumerate(last.args))
    then = eta_reduce(Lambda((y,), FunCall(last.f, args)))
    produce = FunCall(Map(first, m.level, m.dim, m.name), (b["xs"],))
    return FunCall(Map(then, m.level, m.dim, None), (produce,))


def _independent(b: Bindings) -> bool:
    x = b["x"]
    return not uses(b["g"], x) and not any(uses(a, x) for a in b["rest"])


map_fission = Rule(
    "map_fission",
    "x >> map(λv. g(f(v)))  =  x >> map(f) >> map(g)",
    _fission_match,
    _fission_build,
    (
        Condition(
            "independent",
            "apart from the computation {e}, the last call {last} must not use the map's element {x}",
            _independent,
        ),
    ),
    lift_name="FissionRules.mapFission",
)
"""A map whose function ends with a call ``g(…)`` is a map computing ``g``'s argument, then a map of ``g``
(the inverse of fusion); ``g``'s other arguments must not depend on the element."""


# ---- split-join and join-split ----------------------------------------------------------------------------


def split_join(n: Size) -> Rule:
    """``split_join(n)``: a map over ``[a]m`` is a map over ``m/n`` chunks of ``n`` (``n`` must divide ``m``)."""
    chunk = size_arg(n, "split_join(n)")

    def match(e: Expr) -> dict[str, Any] | None:
        m = applied(e, Map)
        if m is None or length(m[1]) is None:
            return None
        return {"map": m[0], "x": m[1], "n": chunk, "length": length(m[1])}

    def build(b: Bindings) -> Expr:
        chunks = FunCall(Split(chunk), (b["x"],))
        return FunCall(Join(), (FunCall(Map(b["map"]), (chunks,)),))

    return Rule(
        f"split_join({chunk})",
        f"x >> map(f)  =  x >> split({chunk}) >> map(map(f)) >> join",
        match,
        build,
        (
            algorithmic("map"),
            Condition(
                "divides",
                "the chunk size {n} must divide the length {length} of the mapped array",
                lambda b: divides(b["n"], b["length"], b.facts),
            ),
        ),
        lift_name="Rules.splitJoin",
    )


def _join_split_match(e: Expr) -> dict[str, Any] | None:
    m = applied(e, Map)
    if m is None:
        return None
    inner = eta_reduce(m[0].f)
    rows = row_length(m[1])
    if not isinstance(inner, Map) or rows is None:
        return None
    return {"outer": m[0], "inner": inner, "x": m[1], "m": rows}


def _join_split_build(b: Bindings) -> Expr:
    flat = FunCall(Join(), (b["x"],))
    return FunCall(Split(b["m"]), (FunCall(b["inner"], (flat,)),))


join_split = Rule(
    "join_split",
    "x >> map(map(f))  =  x >> join >> map(f) >> split(m)",
    _join_split_match,
    _join_split_build,
    (algorithmic("outer", "inner"),),
    lift_name="Rules.joinSplit",
)
"""A map of maps over ``[[a]m]n`` is one map over the ``m*n`` joined elements, split back into rows."""


# ---- slide tiling ---------------------------------------------------------------------------------------


def slide_tiling(step: Size) -> Rule:
    """``slide_tiling(v)``: ``slide(n, s)`` as overlapping tiles ``slide(v + n - s, v)`` each slid by ``(n, s)``.

    Each tile holds ``v / s`` windows; the tiles must cover exactly the windows of the original slide.
    """
    v = size_arg(step, "slide_tiling(step)")

    def match(e: Expr) -> dict[str, Any] | None:
        s = applied(e, Slide)
        if s is None or length(s[1]) is None:
            return None
        sl, x = s
        n, st, total = sl.size, sl.step, length(x)
        assert total is not None
        u = v + n - st
        return {
            "slide": sl,
            "x": x,
            "n": n,
            "s": st,
            "v": v,
            "u": u,
            "length": total,
            "windows": (total - n) // st + 1,
            "tiles": (total - u) // v + 1 if isinstance(u, ArithExpr) else u,
            "per_tile": v // st,
        }

    def build(b: Bindings) -> Expr:
        tiles = FunCall(Slide(b["u"], v), (b["x"],))
        return FunCall(Join(), (FunCall(Map(b["slide"]), (tiles,)),))

    return Rule(
        f"slide_tiling({v})",
        f"x >> slide(n, s)  =  x >> slide({v} + n - s, {v}) >> map(slide(n, s)) >> join",
        match,
        build,
        (
            Condition(
                "multiple",
                "the tile step {v} must be a multiple of the slide step {s}",
                lambda b: divides(b["s"], b["v"], b.facts),
            ),
            Condition(
                "fits",
                "a tile of {u} elements must fit in the array of {length}",
                lambda b: proved(Constraint(b["length"], ">=", b["u"]), b.facts),
            ),
            Condition(
                "covers",
                "the tiles ({tiles} of {per_tile} windows each) must cover exactly the {windows} windows of the slide",
                lambda b: proved(Constraint(b["tiles"] * b["per_tile"], "==", b["windows"]), b.facts),
            ),
        ),
        lift_name="Rules.slideTiling",
    )
