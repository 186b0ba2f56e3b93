"""The IR as values: composition, structural equality, traversal, labels, printing, JSON, argument checks."""

from __future__ import annotations

import pytest

import lift
from lift import Array, f32, fun, size
from lift.dsl import (
    from_json,
    gather,
    join,
    map,
    map_glb,
    pad,
    pretty,
    reduce,
    reverse,
    show,
    slide,
    split,
    to_json,
    transpose,
    zip,
)
from lift.dsl.ir import FunCall, Lambda, Literal, Map, Param, Split, map_labels, transform, walk
from lift.dsl.prelude import add, mult, square
from lift.types.arith import Cst

N = size("N")


@fun
def dot(x: Array[f32, N], y: Array[f32, N]):
    return zip(x, y) >> map(mult) >> reduce(add, 0.0)


def test_application_forms_agree() -> None:
    x = Param("x")
    assert x >> split(4) == split(4)(x) == FunCall(Split(Cst(4)), (x,))


def test_composition_forms_agree() -> None:
    x = Param("v")
    then = split(4) >> join
    after = join << split(4)
    assert isinstance(then, Lambda)
    assert then == after
    assert show(x >> then) == show(then(x))


def test_python_lambdas_become_ir_lambdas() -> None:
    m = map(lambda row: row >> reduce(add, 0.0))
    assert isinstance(m.f, Lambda)
    assert m.f.params == (Param("row"),)


def test_structural_equality_and_hashing() -> None:
    a = map(lambda r: r >> map(square))
    b = map(lambda r: r >> map(square))
    assert a == b and hash(a) == hash(b)
    assert a != map(lambda r: r >> map(add))
    assert len({a, b}) == 1


def test_nodes_rebuild_from_class_and_fields() -> None:
    for node in walk(dot):
        assert type(node)(**node.fields()) == node


def test_transform_rebuilds_bottom_up() -> None:
    def double_split(n: object) -> object:
        return Split(n.n * 2) if isinstance(n, Split) else None

    p = map(lambda r: r >> split(2))
    q = transform(p, double_split)  # type: ignore[arg-type]
    assert show(q) == "map(lambda r: r >> split(4))"
    assert show(p) == "map(lambda r: r >> split(2))"


def test_map_labels_in_program_order() -> None:
    @fun
    def two(x: Array[Array[f32, N], N]):
        return x >> map(lambda r: r >> map(square)) >> map(map(square, name="inner"), name="rows")

    assert [label for _, label in map_labels(two)] == ["map0", "map1", "rows", "inner"]


def test_maps_that_only_rearrange_data_get_no_label() -> None:
    @fun
    def views(x: Array[Array[f32, N], N]):
        return x >> map(split(1)) >> map(map(join)) >> map(map(square))

    assert [label for _, label in map_labels(views)] == ["map0", "map1"]
    assert map_labels(views)[0][0].f.f == square  # type: ignore[attr-defined]


def test_map_names_must_be_identifiers() -> None:
    with pytest.raises(lift.LiftTypeError, match="identifier"):
        map(square, name="not a name")


def test_show_and_pretty() -> None:
    assert show(dot.body) == "zip(x, y) >> map(mult) >> reduce(add, 0.0)"
    text = pretty(dot, types=True)
    assert text.splitlines()[0] == "fun dot(x: [f32]N, y: [f32]N) -> [f32]1 ="
    assert "zip(x, y)" in text and ": [(f32, f32)]N" in text and ": [f32]1" in text
    assert show(map_glb(square, dim=1)) == "map_glb(square, dim=1)"
    assert show(pad(1, 1, "clamp")) == "pad(1, 1, 'clamp')"
    assert show(gather(reverse)) == "gather(reverse)"


def test_json_round_trip() -> None:
    back = from_json(to_json(dot))
    assert back == dot
    assert back.type == dot.type


def test_json_round_trip_of_every_combinator() -> None:
    @fun
    def everything(x: Array[Array[f32, N], N]):
        return (
            x
            >> transpose
            >> map(lambda r: r >> pad(1, 1, "clamp") >> slide(3, 1) >> map(reduce(add, 0.0)) >> join)
            >> map(gather(reverse))
            >> join
            >> split(N)
        )

    back = from_json(to_json(everything))
    assert back == everything
    assert back.type == everything.type


def test_json_errors() -> None:
    with pytest.raises(lift.LiftError, match="not JSON"):
        from_json("{")
    with pytest.raises(lift.LiftError, match="format"):
        from_json('{"program": {}}')


N_ = size("N")


@fun
def _identity(x: Array[f32, N_]):
    return x >> map(lambda v: v)


@pytest.mark.parametrize(
    ("call", "fragments"),
    [
        (lambda: split("4"), ["split()", "'n'", "str"]),
        (lambda: split(0), ["split(n)", "at least 1"]),
        (lambda: map(3), ["map()", "'f'", "int"]),
        (lambda: slide(3, 0), ["slide", "step"]),
        (lambda: pad(1, 1, "edge"), ["pad()", "'value'"]),
        (lambda: Array[f32, -1], ["size must be at least 1"]),
        (lambda: Array[f32, "N"], ["size"]),
        (lambda: Array[3, 4], ["data type"]),
        (lambda: size(3), ["size(name)"]),
        (lambda: size("not ok"), ["identifier"]),
        (lambda: zip(Param("a")), ["at least 2"]),
        (lambda: Param("p")[1.5], ["int"]),
        (lambda: split(2)(Param("a"), Param("b")), ["split", "1 argument"]),
        (lambda: map(lambda r: split(2)), ["returned the function"]),
        (lambda: map(), ["map()", "missing", "'f'"]),
        (lambda: split(2, 3), ["split()", "too many"]),
        # every entry of a dict is checked, not only the first
        (lambda: lift.mappings(_identity, sizes={"N": 8, "M": "8"}), ["mappings()", "'sizes'", "'8'"]),
        (lambda: zip(Param("a"), 3), ["zip()", "'arrays'", "int"]),
    ],
)
def test_public_boundary_rejects_bad_arguments(call: object, fragments: list[str]) -> None:
    with pytest.raises(lift.LiftTypeError) as info:
        call()  # type: ignore[operator]
    for fragment in fragments:
        assert fragment in str(info.value)


def test_fun_needs_annotations() -> None:
    def unannotated(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(lift.LiftTypeError, match="annotation"):
        fun(unannotated)

    def wrong(x: int):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(lift.LiftTypeError, match="not a lift data type"):
        fun(wrong)


def test_literals_in_calls() -> None:
    e = add(Param("a"), 1.0)
    assert e.args[1] == Literal(1.0)


def test_maps_are_patterns_with_levels() -> None:
    m = map_glb(square, dim=2)
    assert isinstance(m, Map) and m.level == "glb" and m.dim == 2
    with pytest.raises(lift.LiftTypeError, match="dim"):
        map_glb(square, dim=3)
