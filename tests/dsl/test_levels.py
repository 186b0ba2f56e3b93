"""``Level`` and ``AddressSpace``: the one spelling of a thread level and of an address space."""

from __future__ import annotations

from typing import Any

import pytest

import lift
from lift import Array, f32, size, userfun
from lift.dsl import map, map_glb, map_lcl, map_seq, map_wrg
from lift.dsl.ir import Map, name_maps, program_order
from lift.dsl.levels import ALL_LEVELS, PARALLEL_KINDS, AddressSpace, Level
from lift.errors import MappingError
from lift.solve.mapping import LEVELS, SPACES
from lift.solve.rules import CODES, SPACE_CODES

N = size("N")


@userfun
def twice(x: f32) -> f32:
    return x * 2.0


def test_all_levels_in_the_order_users_read_them() -> None:
    assert [str(level) for level in ALL_LEVELS] == [
        "seq",
        "fuse",
        "glb0",
        "glb1",
        "glb2",
        "wrg0",
        "wrg1",
        "wrg2",
        "lcl0",
        "lcl1",
        "lcl2",
    ]
    assert len(set(ALL_LEVELS)) == 11
    assert LEVELS == tuple(str(level) for level in ALL_LEVELS)  # the Mapping's spellings are the same


@pytest.mark.parametrize("level", ALL_LEVELS, ids=str)
def test_parse_and_str_round_trip(level: Level) -> None:
    assert Level.parse(str(level)) == level
    assert Level.parse(str(level)) is level  # one value per spelling
    assert Level(level.kind, level.dim) == level
    assert hash(Level(level.kind, level.dim)) == hash(level)


def test_parse_reads_kind_and_dimension() -> None:
    assert Level.parse("lcl1") == Level("lcl", 1)
    assert Level.parse("seq") == Level("seq", 0) == Level("seq")
    assert Level.parse("fuse").dim == 0
    assert str(Level("wrg", 2)) == "wrg2"
    assert str(Level("fuse")) == "fuse"


@pytest.mark.parametrize("text", ["bogus", "", "glb", "glb3", "GLB0", "seq0", "fuse1", " glb0", "lcl-1"])
def test_parse_refuses_other_text_listing_the_levels(text: str) -> None:
    with pytest.raises(MappingError) as e:
        Level.parse(text)
    assert str(e.value) == (
        f"unknown level {text!r}; the levels are seq, fuse, glb0, glb1, glb2, wrg0, wrg1, wrg2, lcl0, lcl1, lcl2"
    )


@pytest.mark.parametrize("junk", [None, 0, 3.5, ["glb0"], b"glb0"])
def test_parse_refuses_what_is_not_a_string(junk: Any) -> None:
    with pytest.raises(MappingError, match="unknown level"):
        Level.parse(junk)


def test_codes_as_in_the_mapping_model() -> None:
    assert Level("seq").code == 0
    assert Level("fuse").code == 1
    for d in range(3):
        assert Level("lcl", d).code == 10 + d
        assert Level("wrg", d).code == 20 + d
        assert Level("glb", d).code == 30 + d


def test_code_and_level_are_a_bijection() -> None:
    codes = [level.code for level in ALL_LEVELS]
    assert len(set(codes)) == len(ALL_LEVELS)
    for level in ALL_LEVELS:
        assert Level.from_code(level.code) is level
    for c in range(-2, 40):
        if c in codes:
            assert Level.from_code(c).code == c
        else:
            with pytest.raises(
                MappingError, match=f"unknown level code {c}; the codes are 0 \\(seq\\), 1 \\(fuse\\), "
            ):
                Level.from_code(c)
    assert CODES == {str(level): level.code for level in ALL_LEVELS}  # the model's table is derived
    assert list(CODES.values()) == sorted(CODES.values())


@pytest.mark.parametrize("junk", [True, "30", 30.0, None])
def test_from_code_refuses_what_is_not_an_int(junk: Any) -> None:
    with pytest.raises(MappingError, match="unknown level code"):
        Level.from_code(junk)


def test_is_parallel() -> None:
    assert [str(level) for level in ALL_LEVELS if level.is_parallel] == [
        f"{k}{d}" for k in PARALLEL_KINDS for d in range(3)
    ]
    assert not Level("seq").is_parallel
    assert not Level("fuse").is_parallel


@pytest.mark.parametrize(
    ("kind", "dim", "message"),
    [
        (
            "gpu",
            0,
            "Level: unknown kind 'gpu'; the kinds are seq, fuse, glb, wrg, lcl (e.g. Level('glb', 0), Level('seq'))",
        ),
        ("glb", 3, "Level('glb', 3): OpenCL has NDRange dimensions 0, 1 and 2 only; use glb0, glb1 or glb2"),
        ("lcl", -1, "Level('lcl', -1): OpenCL has NDRange dimensions 0, 1 and 2 only; use lcl0, lcl1 or lcl2"),
        ("seq", 1, "Level('seq', 1): a seq map has no NDRange dimension; write Level('seq') (dim 0)"),
        ("fuse", 2, "Level('fuse', 2): a fuse map has no NDRange dimension; write Level('fuse') (dim 0)"),
        ("wrg", "1", "Level('wrg', '1'): the dimension must be an int, 0, 1 or 2"),
        ("wrg", True, "Level('wrg', True): the dimension must be an int, 0, 1 or 2"),
    ],
)
def test_invalid_levels_are_refused(kind: Any, dim: Any, message: str) -> None:
    with pytest.raises(MappingError) as e:
        Level(kind, dim)
    assert str(e.value) == message


def test_levels_are_frozen() -> None:
    level = Level("glb", 0)
    with pytest.raises(AttributeError):
        level.dim = 1  # type: ignore[misc]


def test_opencl_id_functions() -> None:
    assert (Level("glb", 1).id_function, Level("glb", 1).size_function) == ("get_global_id", "get_global_size")
    assert (Level("wrg", 0).id_function, Level("wrg", 0).size_function) == ("get_group_id", "get_num_groups")
    assert (Level("lcl", 2).id_function, Level("lcl", 2).size_function) == ("get_local_id", "get_local_size")


@pytest.mark.parametrize("level", [Level("seq"), Level("fuse")], ids=str)
def test_sequential_levels_have_no_id_function(level: Level) -> None:
    message = f"{level}: a {level.kind} map runs in one thread, so it has no OpenCL id function"
    with pytest.raises(MappingError, match=message):
        _ = level.id_function
    with pytest.raises(MappingError, match=message):
        _ = level.size_function


# ---- address spaces ------------------------------------------------------------------------------------------------
def test_address_spaces() -> None:
    assert [space.value for space in AddressSpace] == ["global", "local", "private"]
    assert [space.code for space in AddressSpace] == [0, 1, 2]
    assert SPACES == ("global", "local", "private")
    assert SPACE_CODES == {"global": 0, "local": 1, "private": 2}
    assert str(AddressSpace.LOCAL) == "local"


@pytest.mark.parametrize("space", list(AddressSpace), ids=str)
def test_space_round_trips(space: AddressSpace) -> None:
    assert AddressSpace.parse(space.value) is space
    assert AddressSpace.parse(str(space)) is space
    assert AddressSpace.from_code(space.code) is space
    assert AddressSpace(space.value) is space


@pytest.mark.parametrize("text", ["vram", "", "Global", "shared", "constant"])
def test_space_parse_refuses_other_text(text: str) -> None:
    with pytest.raises(MappingError) as e:
        AddressSpace.parse(text)
    assert str(e.value) == f"unknown address space {text!r}; use global, local, private"


@pytest.mark.parametrize("code", [-1, 3, 10, True, "1", None])
def test_space_from_code_refuses_unknown_codes(code: Any) -> None:
    with pytest.raises(MappingError) as e:
        AddressSpace.from_code(code)
    assert str(e.value) == f"unknown address-space code {code!r}; the codes are 0 (global), 1 (local), 2 (private)"


# ---- where the values are used ------------------------------------------------------------------------------------
def test_mapping_reads_choices_as_values_and_shows_strings() -> None:
    m = lift.Mapping({"map0": "wrg1", "map1": "lcl1"}, {"map1": "local"})
    assert m.level_of("map0") == Level("wrg", 1)
    assert m.level_of("map1") == Level("lcl", 1)
    assert m.space_of("map1") is AddressSpace.LOCAL
    assert m.space_of("map0") is None
    assert dict(m.levels) == {"map0": "wrg1", "map1": "lcl1"}
    assert dict(m.spaces) == {"map1": "local"}


def test_mapping_refusals_name_the_map() -> None:
    with pytest.raises(MappingError) as e:
        lift.Mapping({"map0": "glb9"})
    assert str(e.value).startswith("map 'map0': unknown level 'glb9'; the levels are seq, fuse, glb0")
    with pytest.raises(MappingError) as e:
        lift.Mapping({"map0": "glb0"}, {"map0": "vram"})
    assert str(e.value) == "output of 'map0': unknown address space 'vram'; use global, local, private"


def test_map_at_reads_level_and_dim() -> None:
    @lift.fun
    def prog(x: Array[Array[Array[f32, N], N], N]):
        return x >> map_wrg(map_lcl(map_seq(twice), dim=1), dim=1)

    maps = [n for n in program_order(name_maps(prog)) if isinstance(n, Map)]
    assert [n.at for n in maps] == [Level("wrg", 1), Level("lcl", 1), Level("seq")]
    assert str(map_glb(twice, dim=2).at) == "glb2"


def test_map_at_refuses_an_algorithmic_map() -> None:
    with pytest.raises(MappingError, match="an algorithmic map has no level yet; lower the program"):
        _ = map(twice).at


def test_map_at_refuses_a_dimension_outside_the_ndrange() -> None:
    with pytest.raises(MappingError, match="OpenCL has NDRange dimensions 0, 1 and 2 only"):
        _ = Map(map_seq(twice), "glb", 3).at  # built directly: the combinators refuse it sooner


def test_lowering_places_maps_at_the_mapping_levels() -> None:
    @lift.fun
    def prog(x: Array[Array[f32, 8], N]):
        return x >> map(map(twice))

    from lift.ocl.lower import lower

    lowered = lower(prog, lift.Mapping({"map0": "wrg0", "map1": "lcl0"}, {}))
    assert [n.at for n in program_order(lowered) if isinstance(n, Map)] == [Level("wrg", 0), Level("lcl", 0)]
