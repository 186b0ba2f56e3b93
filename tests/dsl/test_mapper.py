"""The node mapper: one method per node class, found along the class's bases, completeness checked when a
mapper or a node class is created."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import lift.types.checker  # noqa: F401  (its passes are among those that must refuse a new class)
from lift import Array, f32, size
from lift.dsl import map, split, take
from lift.dsl.ir import FunDecl, IndexFun, Lambda, Map, Reverse, Stride
from lift.dsl.layout import Layout
from lift.dsl.mapper import MAPPERS, NodeMapper, concrete_node_classes, members, method_name
from lift.dsl.prelude import square
from lift.types.arith import ArithExpr
from lift.types.data import ArrayType, DataType, ScalarType, TupleType


def test_method_names_follow_the_class_name() -> None:
    assert method_name(Map) == "map_map"
    assert method_name(FunDecl) == "map_fun_decl"
    assert method_name(ArrayType) == "map_array_type"


def test_a_method_for_a_base_serves_its_family() -> None:
    class Kind(NodeMapper[str]):
        def map_map(self, f: Map) -> str:
            return "map"

        def map_layout(self, f: Layout) -> str:
            return f"layout {f.show()}"

        def map_lambda(self, f: Lambda) -> str:
            return "lambda"

    kind = Kind()
    assert kind(map(square)) == "map"
    assert kind(split(4)) == "layout split(4)"
    assert kind(take(2)) == "layout take(2)"
    assert kind(map(square) >> map(square)) == "lambda"


def test_a_partial_mapper_names_the_class_it_cannot_handle() -> None:
    class OnlyMaps(NodeMapper[str]):
        def map_map(self, f: Map) -> str:
            return "map"

    with pytest.raises(TypeError, match=r"OnlyMaps has no method for Split \(map_split\)"):
        OnlyMaps()(split(4))


def test_a_mapper_that_misses_a_class_of_its_family_is_refused_when_defined() -> None:
    with pytest.raises(TypeError, match=r"Incomplete has no method for .*Lambda \(map_lambda\)"):

        class Incomplete(NodeMapper[str]):
            covers = (FunDecl,)

            def map_map(self, f: Map) -> str:
                return "map"


def test_any_hierarchy_can_be_covered() -> None:
    class Rank(NodeMapper[int]):
        covers = (DataType,)

        def map_scalar_type(self, t: ScalarType) -> int:
            return 0

        def map_array_type(self, t: ArrayType) -> int:
            return 1 + self(t.elem)

        def map_tuple_type(self, t: TupleType) -> int:
            return max(self(e) for e in t.elems)

    assert Rank()(Array[Array[f32, 4], size("N")]) == 2
    assert {ScalarType, ArrayType, TupleType} <= set(members(DataType))


def test_a_new_node_class_that_a_complete_mapper_cannot_handle_is_refused() -> None:
    class Index(NodeMapper[str]):
        covers = (IndexFun,)

        def map_reverse(self, f: Reverse) -> str:
            return "reverse"

        def map_stride(self, f: Stride) -> str:
            return "stride"

    try:
        with pytest.raises(TypeError, match=r"Index has no method for Rotate \(map_rotate\)"):

            @dataclass(frozen=True, eq=False, repr=False)
            class Rotate(IndexFun):
                k: ArithExpr

        assert "Rotate" not in {k.__name__ for k in concrete_node_classes()}
    finally:
        MAPPERS.remove(Index)


def test_the_library_passes_cover_every_node_class() -> None:
    def families(mapper: type[NodeMapper[object]]) -> Iterator[type]:
        yield from mapper.covers

    for mapper in MAPPERS:
        for family in families(mapper):
            for kind in members(family):
                assert mapper.handles(kind), f"{mapper.__qualname__} cannot handle {kind.__name__}"


def test_a_new_combinator_is_refused_with_every_pass_that_lacks_a_rule() -> None:
    with pytest.raises(TypeError, match=r"(?s)Scan: \d+ passes have no method for it \(map_scan\).*_TypeApplication"):

        @dataclass(frozen=True, eq=False, repr=False)
        class Scan(FunDecl):
            f: FunDecl

    assert "Scan" not in {k.__name__ for k in concrete_node_classes()}
