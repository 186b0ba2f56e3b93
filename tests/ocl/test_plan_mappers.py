"""Every pass over the kernel plan handles every plan class, and a plan class no pass can handle is refused
where it is defined, not when a kernel using it is built."""

from __future__ import annotations

import gc
from dataclasses import dataclass

import pytest

from lift.dsl.mapper import MAPPERS, members
from lift.ocl import passes, printer  # noqa: F401  (their passes register as they are defined)
from lift.ocl.plan import Stmt, Value

PLAN_PASSES = {"_Accesses", "_LoopsRewritten", "_ValueIndices", "_StmtIndices", "Printer", "_StatementPrinter"}


def test_every_plan_pass_handles_every_plan_class() -> None:
    covering = [m for m in MAPPERS if set(m.covers) & {Value, Stmt}]
    assert PLAN_PASSES <= {m.__name__ for m in covering}
    for mapper in covering:
        for family in mapper.covers:
            assert all(mapper.handles(kind) for kind in members(family)), mapper.__name__


def test_a_value_class_no_pass_handles_is_refused_where_it_is_defined() -> None:
    with pytest.raises(TypeError, match=r"Twice: .*no method for it \(map_twice\)"):

        @dataclass(frozen=True)
        class Twice(Value):
            value: Value

    _forget_refused_classes(Value, "Twice")


def test_a_statement_class_no_pass_handles_is_refused_where_it_is_defined() -> None:
    with pytest.raises(TypeError, match=r"While: .*no method for it \(map_while\)"):

        @dataclass(frozen=True)
        class While(Stmt):
            body: tuple[Stmt, ...]

    _forget_refused_classes(Stmt, "While")


def _forget_refused_classes(family: type, name: str) -> None:
    """A refused class lingers among its base's subclasses until collected: a pass defined later must not be
    asked to handle it."""
    gc.collect()
    assert name not in {kind.__name__ for kind in members(family)}
