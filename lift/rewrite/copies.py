"""Copy rules: where an intermediate value can be materialised, and how a copy becomes a map.

An ``id`` is a copy: a point where a value may be written to memory, in an address space the mapping model
chooses (global, local or private). Copies can be introduced at any expression — a parameter (the input of a
pipeline, or the element a map's function receives: Lift's ``addIdForMapParam``), a call's argument (Lift's
``addId``), or a call's result, including the result a map's function produces for each element and the
result of a reduction (Lift's ``addIdAfterReduce``). Through the engine's eta-expansion, ``add_id`` at the body
of ``map(f)`` gives ``map(λx. id(f(x)))`` and at its parameter ``map(λx. f(id(x)))``.
"""

from __future__ import annotations

from typing import Any

from lift.dsl.ir import Expr, FunCall, Id, Literal, Map
from lift.rewrite.rule import Bindings, Condition, Rule, applied, is_array

__all__ = ["add_id", "implement_id", "remove_id"]


def _add_id_match(e: Expr) -> dict[str, Any] | None:
    if isinstance(e, Literal):
        return None
    return {"e": e}


def _is_copy(e: Expr) -> bool:
    return applied(e, Id) is not None


add_id = Rule(
    "add_id",
    "e  =  e >> id",
    _add_id_match,
    lambda b: FunCall(Id(), (b["e"],)),
    (Condition("not_a_copy", "the value {e} must not already be a copy (id)", lambda b: not _is_copy(b["e"])),),
    lift_name="CopyRules.addId / addIdForMapParam / addIdAfterReduce",
    group="copy",
)
"""Any value may be copied: a materialisation point."""


def _id_match(e: Expr) -> dict[str, Any] | None:
    found = applied(e, Id)
    return None if found is None else {"x": found[1]}


def _the_input(b: Bindings) -> Expr:
    x: Expr = b["x"]
    return x


remove_id = Rule(
    "remove_id",
    "x >> id  =  x",
    _id_match,
    _the_input,
    lift_name="SimplificationRules.dropId",
    group="copy",
)
"""A copy can be dropped."""

implement_id = Rule(
    "implement_id",
    "x >> id  =  x >> map(id)",
    _id_match,
    lambda b: FunCall(Map(Id()), (b["x"],)),
    (
        Condition(
            "array",
            "the copied value {x} must be an array (a copy of a scalar is already one element)",
            lambda b: is_array(b["x"].type),
        ),
    ),
    lift_name="CopyRules.implementOneLevelOfId",
    group="copy",
)
"""A copy of an array is a map of copies: one level of the copy, whose map the mapping model places on threads."""
