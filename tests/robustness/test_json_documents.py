"""Program documents: every example round-trips without file paths, and every malformed document is refused
with a ``SerializationError`` that names the path, what was expected and what was found — never a raw
``TypeError``/``KeyError``/``IndexError``/``RecursionError``."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import examples
import lift
from lift import Array, f32, fun, size
from lift.dsl import from_json, ir, map, split, to_json
from lift.dsl.prelude import square
from lift.dsl.schema import MAX_DEPTH, SCHEMA
from lift.types import arith, data

N = size("N")


@fun
def squares(x: Array[f32, N]):
    return x >> map(square)


def _doc(prog: ir.Fun = squares) -> dict[str, Any]:
    return json.loads(to_json(prog))  # type: ignore[no-any-return]


def _strings(x: Any) -> Iterator[str]:
    if isinstance(x, str):
        yield x
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)
    elif isinstance(x, dict):
        for k, v in x.items():
            yield k
            yield from _strings(v)


@pytest.mark.parametrize("name", examples.NAMES)
def test_every_example_round_trips_without_paths(name: str) -> None:
    prog = examples.load(name).program
    text = to_json(prog)
    back = from_json(text)
    assert back == prog
    assert back.type == prog.type
    assert to_json(back) == text
    for s in _strings(json.loads(text)):
        assert not s.startswith("/") and ":\\" not in s, s  # no absolute POSIX or Windows path
    filenames = [n.filename for n in ir.walk(back) if isinstance(n, ir.UserFun)]
    assert filenames and all("/" not in f for f in filenames)


def test_a_stored_path_is_reduced_to_the_file_name() -> None:
    doc = _doc()
    doc["program"]["body"]["f"]["f"]["filename"] = "/home/someone/secret project/prelude.py"
    (f,) = [n for n in ir.walk(from_json(json.dumps(doc))) if isinstance(n, ir.UserFun)]
    assert f.filename == "prelude.py"


def test_sizes_come_back_in_canonical_form() -> None:
    doc = _doc()
    n = doc["program"]["param_types"][0]["size"]
    doc["program"]["param_types"][0]["size"] = {
        "node": "Sum",
        "terms": [{"node": "Cst", "value": -1}, {"node": "Prod", "factors": [n]}, {"node": "Cst", "value": 1}],
    }
    assert from_json(json.dumps(doc)) == squares


def test_every_public_node_class_has_a_schema() -> None:
    """A new IR class must be added to the schema (or it could never be read back)."""
    public = {name for name in ir.__all__ if isinstance(getattr(ir, name), type)}
    concrete = {n for n in public if dataclasses.is_dataclass(getattr(ir, n))}
    assert concrete <= set(SCHEMA), sorted(concrete - set(SCHEMA))
    sizes = {
        n for n in arith.__all__ if isinstance(getattr(arith, n), type) and dataclasses.is_dataclass(getattr(arith, n))
    }
    assert sizes <= set(SCHEMA)
    assert {"ScalarType", "ArrayType", "TupleType"} <= set(SCHEMA)
    assert "FunType" not in SCHEMA and "Facts" not in SCHEMA and "Node" not in SCHEMA


def test_the_message_names_the_path_what_was_expected_and_what_was_found() -> None:
    @fun
    def chunks(x: Array[f32, N]):
        return x >> split(4)

    doc = _doc(chunks)
    doc["program"]["body"]["f"]["n"] = {"node": "Cst", "value": 0}
    with pytest.raises(lift.SerializationError) as err:
        from_json(json.dumps(doc))
    assert str(err.value) == f"from_json: $.program.body.f.n: expected a size from 1 to {2**62}, found 0"


def _program(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["program"]  # type: ignore[no-any-return]


def _userfun(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["program"]["body"]["f"]["f"]  # type: ignore[no-any-return]


def _nested_sums(depth: int) -> dict[str, Any]:
    e: dict[str, Any] = {"node": "Var", "name": "N", "lo": 1, "hi": None}
    for _ in range(depth):
        e = {"node": "Sum", "terms": [e]}
    return e


MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("format missing", lambda d: d.pop("format"), "format"),
    ("extra top-level key", lambda d: d.update(comment="hi"), "unknown key"),
    ("program missing", lambda d: d.pop("program"), 'no "program"'),
    ("program a list", lambda d: d.update(program=[1, 2]), "$.program"),
    ("program a UserFun", lambda d: d.update(program=_userfun(d)), "a program"),
    ("node missing", lambda d: _program(d).pop("node"), "$.program.node"),
    ("node not a string", lambda d: _program(d).update(node=7), "$.program.node"),
    ("unknown node", lambda d: _program(d).update(node="Exploit"), "$.program.node"),
    (
        "expression where a function goes",
        lambda d: d["program"]["body"].update(f={"node": "Param", "name": "x"}),
        "$.program.body.f.node",
    ),
    (
        "type where a size goes",
        lambda d: d["program"]["param_types"][0].update(size={"node": "ScalarType", "name": "f32"}),
        "size",
    ),
    ("required field missing", lambda d: d["program"]["body"]["f"].pop("f"), "needs the field 'f'"),
    ("extra field", lambda d: d["program"]["body"]["f"].update(unroll=True), "has no field"),
    ("null body", lambda d: _program(d).update(body=None), "$.program.body"),
    ("string where an int goes", lambda d: d["program"]["body"]["f"].update(dim="0"), "$.program.body.f.dim"),
    ("boolean where an int goes", lambda d: d["program"]["body"]["f"].update(dim=True), "$.program.body.f.dim"),
    ("float size", lambda d: d["program"]["param_types"][0].update(size={"node": "Cst", "value": 2.5}), "size"),
    ("huge size", lambda d: d["program"]["param_types"][0].update(size={"node": "Cst", "value": 10**30}), "size"),
    ("args not a list", lambda d: d["program"]["body"].update(args={"0": 1}), "$.program.body.args"),
    ("no args", lambda d: d["program"]["body"].update(args=[]), "$.program.body.args"),
    ("unknown scalar", lambda d: d["program"]["param_types"][0]["elem"].update(name="f16"), "elem.name"),
    (
        "unknown space",
        lambda d: d["program"]["body"].update(f={"node": "ToMem", "space": "host", "f": d["program"]["body"]["f"]}),
        "space",
    ),
    (
        "types and parameters disagree",
        lambda d: d["program"]["param_types"].append(d["program"]["param_types"][0]),
        "one type per parameter",
    ),
    ("duplicate parameters", lambda d: d["program"]["params"].append(d["program"]["params"][0]), "same name"),
    ("unbound parameter", lambda d: d["program"]["body"]["args"][0].update(name="y"), "does not type-check"),
    (
        "contradicting sizes",
        lambda d: (
            d["program"]["body"].update(f={"node": "Split", "n": {"node": "Cst", "value": 4}})
            or d["program"]["param_types"][0].update(size={"node": "Cst", "value": 6})
        ),
        "does not type-check",
    ),
    (
        "size declared twice",
        lambda d: d["program"]["body"].update(
            f={"node": "Split", "n": {"node": "Var", "name": "N", "lo": 2, "hi": None}}
        ),
        "declared twice",
    ),
    (
        "division by zero",
        lambda d: d["program"]["param_types"][0].update(
            size={"node": "FloorDiv", "num": {"node": "Var", "name": "N"}, "den": {"node": "Cst", "value": 0}}
        ),
        "den",
    ),
    ("negative tuple index", lambda d: d["program"]["body"].update(f={"node": "Get", "i": -1}), "f.i"),
    (
        "huge iterate",
        lambda d: d["program"]["body"].update(f={"node": "Iterate", "k": 10**9, "f": d["program"]["body"]["f"]}),
        "f.k",
    ),
    (
        "huge literal",
        lambda d: d["program"]["body"].update(
            f={
                "node": "Pad",
                "left": {"node": "Cst", "value": 1},
                "right": {"node": "Cst", "value": 1},
                "value": {"node": "Literal", "value": 10**40},
            }
        ),
        "value.value",
    ),
    (
        "nested literal",
        lambda d: d["program"]["body"].update(
            f={
                "node": "Pad",
                "left": {"node": "Cst", "value": 1},
                "right": {"node": "Cst", "value": 1},
                "value": {"node": "Literal", "value": [[1.0]]},
            }
        ),
        "value.value[0]",
    ),
    ("source not a string", lambda d: _userfun(d).update(source=["def sq(x): return x"]), "source"),
    ("source syntax error", lambda d: _userfun(d).update(source="def sq(x:\n"), "cannot parse"),
    (
        "source of two functions",
        lambda d: _userfun(d).update(source="def sq(x):\n    return x\ndef g(y):\n    return y\n"),
        "exactly one function",
    ),
    (
        "source outside the subset",
        lambda d: _userfun(d).update(source="def square(x):\n    while True:\n        pass\n    return x\n"),
        "while loop",
    ),
    (
        "source importing",
        lambda d: _userfun(d).update(source="def square(x):\n    import os\n    return x\n"),
        "import",
    ),
    ("parameters differ from the source", lambda d: _userfun(d).update(param_names=["y"]), "differ"),
    (
        "nested deeper than the limit",
        lambda d: d["program"]["param_types"][0].update(size=_nested_sums(MAX_DEPTH)),
        "deeper than",
    ),
]


@pytest.mark.parametrize(("what", "mutate", "fragment"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_malformed_documents_are_refused_with_the_place(
    what: str, mutate: Callable[[dict[str, Any]], Any], fragment: str
) -> None:
    doc = copy.deepcopy(_doc())
    mutate(doc)
    with pytest.raises(lift.SerializationError) as err:
        from_json(json.dumps(doc))
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "null",
        "[]",
        "3",
        '"lift-ir/1"',
        '{"format": "lift-ir/1", "program": {"node": "Fun", "node": "Fun"}}',
        '{"format": "lift-ir/1", "program": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"format": "lift-ir/1", "program": {"node": "Cst", "value": ' + "9" * 5000 + "}}",
        '{"format": "lift-ir/1", "program": {"node": "Literal", "value": NaN}}',
        '{"format": "lift-ir/2", "program": null}',
        b"\xff\xfe{}",
    ],
    ids=[
        "empty",
        "truncated",
        "null",
        "array",
        "number",
        "string",
        "duplicate key",
        "deep arrays",
        "huge integer",
        "expression where a program goes",
        "other format",
        "not UTF-8",
    ],
)
def test_malformed_text_is_refused(text: str | bytes) -> None:
    with pytest.raises(lift.SerializationError):
        from_json(text)


def test_a_non_text_argument_is_refused() -> None:
    with pytest.raises(lift.SerializationError, match="expected JSON text"):
        from_json(None)  # type: ignore[arg-type]


def test_to_json_writes_only_document_classes() -> None:
    with pytest.raises(lift.LiftError, match="FunType"):
        to_json(ir.Fun((ir.Param("x"),), ir.Param("x"), "p", (data.FunType((f32,), f32),)))  # type: ignore[arg-type]


def test_every_program_lift_accepts_fits_the_document_depth() -> None:
    """A pipeline close to the program depth limit round-trips: the document limit follows the program limit."""
    x = ir.Param("x")
    body: ir.Expr = x
    for _ in range(ir.MAX_PROGRAM_DEPTH - 10):
        body = body >> map(square)
    deep = ir.Fun((x,), body, "deep", (data.ArrayType(f32, arith.Cst(4)),))
    assert from_json(to_json(deep, indent=None)) == deep
