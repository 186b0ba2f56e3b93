"""A fuzzer of program documents: exported documents of random programs and of the examples, mutated (keys
deleted, replaced, duplicated or added; values of the wrong type; random strings and C code; huge, negative
and zero numbers; nested junk; subtrees moved; text truncated). ``from_json`` must either return a well-typed
program that round-trips, or raise a ``lift.LiftError`` — never anything else."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, note, settings
from hypothesis import strategies as st

import examples
import lift
from lift.dsl import from_json, to_json
from lift.dsl.ir import Fun
from lift.dsl.schema import SCHEMA
from lift.testing import programs

Path = tuple[Any, ...]

C_CODE = [
    "N) { out[get_global_id(0)] = 1337.0f; } kernel void unused(global float* M",
    '#include "/etc/hostname"',
    "x, global float* extra",
    "*/ } //",
    "\\\n",
    "get_global_id",
    "convert_float",
    "int",
    "kernel",
    "out",
    "__kernel",
    "",
    " ",
    "é",
    "1x",
    "def f(x):\n    return x\n",
    "import os\nos.system('true')",
]
WORDS = ["glb", "wrg", "lcl", "seq", "bogus", "global", "local", "private", "f32", "f64", "i32", "bool", "clamp"]
NODE_NAMES = [*SCHEMA, "FunType", "Facts", "TypedProgram", "Node", "Expr", "FunDecl", "Simplifier", "Kernel"]
NUMBERS = [0, 1, -1, 2, 3, 4, 7, 2**31, -(2**31), 2**62, 2**63, 10**30, -(10**30), 0.5, -0.0, 1e308]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(NUMBERS),
    st.integers(-8, 8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(C_CODE + WORDS + NODE_NAMES),
    st.text(max_size=12),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["node", "name", "f", "args", "value", "size", "n", "elem"]), inner, max_size=3),
        st.builds(lambda name, rest: {"node": name, **rest}, st.sampled_from(NODE_NAMES),
                  st.dictionaries(st.sampled_from(["f", "n", "name", "value", "size", "elem", "params", "body"]),
                                  inner, max_size=3)),
    ),
    max_leaves=8,
)  # fmt: skip


def _places(doc: Any, path: Path = ()) -> list[Path]:
    """The path of every value in the document (the root excluded)."""
    out: list[Path] = []
    children = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for key, value in children:
        out.append((*path, key))
        out.extend(_places(value, (*path, key)))
    return out


def _get(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _other_type(value: Any) -> Any:
    """A value of another JSON type carrying the same information where it can."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {str(k): v for k, v in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return {}


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    """A mutated export of a random program or of an example, as text."""
    if draw(st.booleans()):
        prog = draw(programs(max_stages=3))
    else:
        prog = examples.load(draw(st.sampled_from(examples.NAMES))).program
    doc: dict[str, Any] = copy.deepcopy(json.loads(to_json(prog)))
    for _ in range(draw(st.integers(1, 4))):
        places = _places(doc)
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent, key = _get(doc, path[:-1]), path[-1]
        kind = draw(st.sampled_from(["delete", "replace", "swap type", "add key", "move subtree", "wrap"]))
        note(f"{kind} at {path}")
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = draw(junk)
        elif kind == "swap type":
            parent[key] = _other_type(parent[key])
        elif kind == "add key" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["node", "name", "extra", "type", "c_definition"]))] = draw(junk)
        elif kind == "move subtree":
            parent[key] = copy.deepcopy(_get(doc, draw(st.sampled_from(places))))
        elif kind == "wrap":
            parent[key] = [parent[key]] if draw(st.booleans()) else {"node": "Map", "f": parent[key]}
    text = json.dumps(doc)
    if draw(st.booleans()):  # a duplicated key, which json.dumps cannot write
        k = text.find('"node": ', draw(st.integers(0, len(text))))
        if k >= 0:
            text = text[:k] + f'"node": "{draw(st.sampled_from(NODE_NAMES))}", ' + text[k:]
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


@settings(max_examples=settings().max_examples * 8)
@given(mutated_documents())
def test_mutated_documents_round_trip_or_raise_a_lift_error(text: str) -> None:
    note(text[:2000])
    try:
        prog = from_json(text)
    except lift.LiftError:
        return
    assert isinstance(prog, Fun)
    lift.typecheck(prog)
    assert from_json(to_json(prog)) == prog
