"""Lift's simplification rules: pairs of reshapes or reorderings that cancel out.

Names follow Lift, whose composition ``Join() o Split(n)`` reads right to left: ``join_split_id`` removes a
``split`` followed by a ``join``; ``gather_scatter_id`` removes a ``scatter`` followed by a ``gather``.
"""

from __future__ import annotations

from typing import Any

from lift.dsl.ir import Expr, FunDecl, Gather, IndexFun, Join, Scatter, Split, Stride, Transpose
from lift.rewrite.rule import Bindings, Condition, Rule, applied, proved, row_length
from lift.types.smt import Constraint

__all__ = ["gather_scatter_id", "join_split_id", "scatter_gather_id", "split_join_id", "transpose_transpose_id"]


def _pair(e: Expr, second: type[FunDecl], first: type[FunDecl]) -> dict[str, Any] | None:
    """``x >> first >> second``: the two functions and ``x``."""
    outer = applied(e, second)
    if outer is None:
        return None
    inner = applied(outer[1], first)
    if inner is None:
        return None
    return {"second": outer[0], "first": inner[0], "x": inner[1]}


def _the_input(b: Bindings) -> Expr:
    x: Expr = b["x"]
    return x


join_split_id = Rule(
    "join_split_id",
    "x >> split(n) >> join  =  x",
    lambda e: _pair(e, Join, Split),
    _the_input,
    lift_name="SimplificationRules.joinSplitId",
    group="simplification",
)
"""Splitting into chunks and joining them back is the identity."""


def _split_join_id_match(e: Expr) -> dict[str, Any] | None:
    found = _pair(e, Split, Join)
    if found is None or row_length(found["x"]) is None:
        return None
    return {**found, "n": found["second"].n, "rows": row_length(found["x"])}


split_join_id = Rule(
    "split_join_id",
    "x >> join >> split(m)  =  x",
    _split_join_id_match,
    _the_input,
    (
        Condition(
            "same_length",
            "the chunk size {n} must equal the length {rows} of the rows that join concatenated",
            lambda b: proved(Constraint(b["n"], "==", b["rows"]), b.facts),
        ),
    ),
    lift_name="SimplificationRules.splitJoinId",
    group="simplification",
)
"""Joining rows of ``m`` and splitting again into chunks of ``m`` is the identity."""


transpose_transpose_id = Rule(
    "transpose_transpose_id",
    "x >> transpose >> transpose  =  x",
    lambda e: _pair(e, Transpose, Transpose),
    _the_input,
    lift_name="SimplificationRules.transposeTransposeId",
    group="simplification",
)
"""Transposing twice is the identity."""


def _same_index(b: Bindings) -> bool:
    f: IndexFun = b["second"].idx
    g: IndexFun = b["first"].idx
    if isinstance(f, Stride) and isinstance(g, Stride):
        return proved(Constraint(f.s, "==", g.s), b.facts)
    return f == g


def _reorder_pair(e: Expr, second: type[FunDecl], first: type[FunDecl]) -> dict[str, Any] | None:
    found = _pair(e, second, first)
    if found is None:
        return None
    return {**found, "f": found["first"].idx, "g": found["second"].idx}


_SAME_INDEX = Condition("same_index", "both must reorder by the same index function (found {f} and {g})", _same_index)

gather_scatter_id = Rule(
    "gather_scatter_id",
    "x >> scatter(f) >> gather(f)  =  x",
    lambda e: _reorder_pair(e, Gather, Scatter),
    _the_input,
    (_SAME_INDEX,),
    lift_name="SimplificationRules.gatherScatterId",
    group="simplification",
)
"""Scattering by a permutation and gathering by the same one is the identity."""

scatter_gather_id = Rule(
    "scatter_gather_id",
    "x >> gather(f) >> scatter(f)  =  x",
    lambda e: _reorder_pair(e, Scatter, Gather),
    _the_input,
    (_SAME_INDEX,),
    lift_name="SimplificationRules.scatterGatherId",
    group="simplification",
)
"""Gathering by a permutation and scattering by the same one is the identity."""
