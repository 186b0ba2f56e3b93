"""Lift's reduction rules: fusing a map into a sequential reduction, and partial reductions.

Lift has a ``PartRed`` pattern (a reduction to any number of partial results); lift-ir expresses a partial
reduction with the combinators it has: ``reduce(f, z)`` itself is the partial reduction to one result, and
``x >> split(n) >> map(reduce(f, z)) >> join`` the partial reduction to ``len/n`` results. So
``partial_reduce`` introduces a partial reduction consumed by the same reduction, and
``partial_reduce_split_join(n)`` splits that partial reduction into chunks. Both need ``f`` associative and
commutative with ``z`` neutral, which an algorithmic ``reduce`` promises and ``reduce_seq`` does not.
"""

from __future__ import annotations

from typing import Any

from lift.dsl.ir import Expr, FunCall, Join, Lambda, Map, Param, Reduce, Split, size_arg
from lift.dsl.substitute import alpha_equal
from lift.rewrite.rule import (
    Bindings,
    Condition,
    Rule,
    applied,
    call,
    call_on,
    divides,
    element_type,
    length,
    pinned,
    unnamed,
)
from lift.types.arith import ArithExpr

__all__ = ["partial_reduce", "partial_reduce_split_join", "reduce_map_fusion"]

Size = int | ArithExpr


def _reduce_map_match(e: Expr) -> dict[str, Any] | None:
    r = applied(e, Reduce)
    if r is None:
        return None
    m = applied(r[1], Map)
    if m is None:
        return None
    return {"reduce": r[0], "map": m[0], "x": m[1]}


def _reduce_map_build(b: Bindings) -> Expr:
    r: Reduce = b["reduce"]
    m: Map = b["map"]
    acc, x = (Param(n) for n in b.fresh("acc", "x"))
    step = Lambda((acc, x), call(r.f, acc, call_on(m.f, x, element_type(b["x"]))))
    return FunCall(Reduce(step, pinned(r.init), True), (b["x"],))


reduce_map_fusion = Rule(
    "reduce_map_fusion",
    "x >> map(g) >> reduce(f, z)  =  x >> reduce_seq(λacc, v. f(acc, g(v)), z)",
    _reduce_map_match,
    _reduce_map_build,
    (
        Condition(
            "sequential_map",
            "the map must be algorithmic or sequential, found {map_level} (a parallel map cannot become part of "
            "one sequential loop)",
            lambda b: b["map"].level in ("", "seq"),
        ),
    ),
    lift_name="FusionRules.reduceSeqMapSeqFusion / MacroRules.reduceMapFusion",
    group="reduction",
)
"""A reduction (``reduce`` or ``reduce_seq``) of a map is one sequential reduction applying ``g`` on the fly."""


def _algorithmic_reduce(*keys: str) -> Condition:
    what = "the reduction must be" if len(keys) == 1 else "both reductions must be"
    return Condition(
        "associative",
        f"{what} an algorithmic reduce(f, z), whose f is associative and commutative with z neutral; reduce_seq "
        "promises neither",
        lambda b: all(not b[k].seq for k in keys),
    )


def _partial_reduce_match(e: Expr) -> dict[str, Any] | None:
    r = applied(e, Reduce)
    if r is None:
        return None
    return {"reduce": r[0], "x": r[1]}


partial_reduce = Rule(
    "partial_reduce",
    "x >> reduce(f, z)  =  x >> reduce(f, z) >> reduce(f, z)",
    _partial_reduce_match,
    lambda b: FunCall(b["reduce"], (FunCall(unnamed(b["reduce"]), (b["x"],)),)),
    (_algorithmic_reduce("reduce"),),
    lift_name="ReduceRules.partialReduce",
    group="reduction",
)
"""A reduction is a partial reduction (here: to one element) followed by the same reduction."""


def partial_reduce_split_join(n: Size) -> Rule:
    """``partial_reduce_split_join(n)``: a partial reduction consumed by the same reduction, done in chunks of n."""
    chunk = size_arg(n, "partial_reduce_split_join(n)")

    def match(e: Expr) -> dict[str, Any] | None:
        outer = applied(e, Reduce)
        if outer is None:
            return None
        inner = applied(outer[1], Reduce)
        if inner is None or length(inner[1]) is None:
            return None
        return {"outer": outer[0], "inner": inner[0], "x": inner[1], "n": chunk, "length": length(inner[1])}

    def build(b: Bindings) -> Expr:
        chunks = FunCall(Split(chunk), (b["x"],))
        partial = FunCall(Join(), (FunCall(Map(b["inner"]), (chunks,)),))
        return FunCall(b["outer"], (partial,))

    return Rule(
        f"partial_reduce_split_join({chunk})",
        f"x >> reduce(f, z) >> reduce(f, z)  =  x >> split({chunk}) >> map(reduce(f, z)) >> join >> reduce(f, z)",
        match,
        build,
        (
            _algorithmic_reduce("inner", "outer"),
            Condition(
                "same_reduction",
                "the partial reduction {inner} must be the reduction {outer} that consumes it",
                lambda b: alpha_equal(b["inner"], b["outer"]),
            ),
            Condition(
                "divides",
                "the chunk size {n} must divide the length {length} of the reduced array",
                lambda b: divides(b["n"], b["length"], b.facts),
            ),
        ),
        lift_name="ReduceRules.partialReduceSplitJoin",
        group="reduction",
    )
