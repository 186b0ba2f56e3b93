"""``str``/``repr`` of programs, lowered programs, expressions and mappings: snapshots of every example.

The listings are stored under ``tests/dsl/snapshots/`` (one file per example and form). After an intended
change of the printer, rewrite them with ``LIFT_UPDATE_SNAPSHOTS=1 pytest tests/dsl/test_str.py`` and review
the diff; without that variable a missing or different snapshot fails.
"""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

import examples
import lift
from lift import Array, f32, fun, size
from lift.dsl import join, map, pretty, split, zip
from lift.dsl.ir import Fun
from lift.dsl.prelude import add, square
from lift.ocl.lower import default_mapping, lower
from tests.snapshot import matches_snapshot as matches_file

SNAPSHOTS = Path(__file__).parent / "snapshots"
N = size("N")


def matches_snapshot(text: str, name: str) -> bool:
    """``text`` equals the stored listing ``name`` (``tests/dsl/snapshots/NAME.txt``)."""
    return matches_file(text, SNAPSHOTS / f"{name}.txt")


def lowered(name: str) -> Fun:
    """The example lowered with the mapping its module names, or with the default mapping."""
    module = examples.load(name)
    mapping = getattr(module, "mapping", None) or default_mapping(module.program)
    return lower(module.program, mapping)


@pytest.mark.parametrize("name", examples.NAMES)
def test_str_of_every_example_is_its_typed_listing(name: str) -> None:
    prog = examples.load(name).program
    assert str(prog) == pretty(prog, types=True)
    assert matches_snapshot(str(prog), name)


@pytest.mark.parametrize("name", examples.NAMES)
def test_str_of_every_lowered_example_shows_levels_and_types(name: str) -> None:
    text = str(lowered(name))
    assert "map_glb(" in text and "reduce_seq(" in text and " : [" in text
    assert matches_snapshot(text, f"{name}.lowered")


@pytest.mark.parametrize("name", examples.NAMES)
def test_repr_is_one_short_line_with_name_and_parameters(name: str) -> None:
    prog = examples.load(name).program
    text = repr(prog)
    params = ", ".join(f"{p.name}: {t}" for p, t in builtins.zip(prog.params, prog.param_types))
    assert text == f"Fun({prog.name!r}, {params})"
    assert "\n" not in text and len(text) < 120


@fun
def tiles(x: Array[f32, N]):
    return x >> split(16) >> map(lambda c: c >> map(square) >> map(square)) >> join


def test_lowered_listing_shows_dimensions_and_address_spaces() -> None:
    mapping = lift.Mapping({"map0": "wrg1", "map1": "lcl1", "map2": "lcl1"}, {"map1": "local"})
    text = str(lower(tiles, mapping))
    assert matches_snapshot(text, "tiles.lowered")
    assert "map_wrg(" in text and "dim=1" in text and "to_local(map_lcl(square, dim=1" in text


@fun
def mismatched(x: Array[f32, N], y: Array[f32, 4]):
    return zip(x, y) >> map(add)


def test_a_program_that_does_not_type_check_prints_without_types_and_says_why() -> None:
    with pytest.raises(lift.LiftTypeError):
        mismatched.type  # noqa: B018
    assert str(mismatched).splitlines() == [
        "fun mismatched(x: [f32]N, y: [f32]4) =",
        "    zip(x, y)",
        "    >> map(add)",
        str(mismatched).splitlines()[-1],
    ]
    assert str(mismatched).splitlines()[-1].startswith("    # does not type-check: ")
    assert repr(mismatched) == "Fun('mismatched', x: [f32]N, y: [f32]4)"


def test_str_of_expressions_and_function_values_is_their_dsl_text() -> None:
    assert str(tiles.body) == "x >> split(16) >> map(lambda c: c >> map(square) >> map(square)) >> join"
    assert str(map(square) >> join) == "lambda x: x >> map(square) >> join"
    assert str(square) == "square"


def test_mapping_str_is_readable_and_repr_rebuilds_it() -> None:
    m = lift.Mapping({"map10": "seq", "map1": "wrg0", "map2": "lcl0"}, {"map2": "local"})
    assert str(m) == "map1=wrg0 map2=lcl0 map10=seq; map2 in local"
    assert repr(m) == "Mapping({'map1': 'wrg0', 'map2': 'lcl0', 'map10': 'seq'}, {'map2': 'local'})"
    assert eval(repr(m), {"Mapping": lift.Mapping}) == m
    plain = lift.Mapping({"map1": "seq", "map0": "glb0"})
    assert (str(plain), repr(plain)) == ("map0=glb0 map1=seq", "Mapping({'map0': 'glb0', 'map1': 'seq'})")
    assert str(lift.Mapping({})) == "(no maps)"


@pytest.mark.parametrize("name", [n for n in examples.NAMES if hasattr(examples.load(n), "mapping")])
def test_mapping_of_every_example_round_trips_through_repr(name: str) -> None:
    m = examples.load(name).mapping
    assert eval(repr(m), {"Mapping": lift.Mapping}) == m
    assert matches_snapshot(f"{m}\n{m!r}", f"{name}.mapping")
