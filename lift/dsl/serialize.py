"""JSON round trip of programs: ``to_json(prog)`` and ``from_json(text)``.

Every IR node, size expression and type is a dataclass, written as an object ``{"node": ClassName, field:
value, …}``; the checker's ``type`` annotations are derived data and are not written. User functions are
stored with their Python source, from which their translations are rebuilt.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from lift.dsl import ir
from lift.errors import LiftError
from lift.types import arith, data

__all__ = ["from_json", "to_json"]

FORMAT = "lift-ir/1"

_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for module in (ir, arith, data)
    for cls in vars(module).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls)
}


def to_json(prog: ir.Node, *, indent: int | None = 1) -> str:
    """The program as JSON text."""
    if not isinstance(prog, ir.Node):
        raise LiftError(f"to_json: expected a program or an IR node, found {type(prog).__name__}")
    return json.dumps({"format": FORMAT, "program": _encode(prog)}, indent=indent)


def from_json(text: str) -> Any:
    """The program written by :func:`to_json`."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise LiftError(f"from_json: not JSON: {err}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise LiftError(f'from_json: expected a document with "format": "{FORMAT}"')
    return _decode(doc["program"])


def _encode(x: Any) -> Any:
    if isinstance(x, data.ScalarType):
        return {"node": "ScalarType", "name": x.name}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        out: dict[str, Any] = {"node": type(x).__name__}
        for f in dataclasses.fields(x):
            if f.name == "type" and not f.compare:
                continue
            out[f.name] = _encode(getattr(x, f.name))
        return out
    if isinstance(x, tuple):
        return [_encode(v) for v in x]
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    raise LiftError(f"to_json: cannot encode {type(x).__name__} {x!r}")


def _decode(x: Any) -> Any:
    if isinstance(x, list):
        return tuple(_decode(v) for v in x)
    if not isinstance(x, dict):
        return x
    name = x.get("node")
    if name == "ScalarType":
        return data.SCALARS[x["name"]]
    cls = _CLASSES.get(name)  # type: ignore[arg-type]
    if cls is None:
        raise LiftError(f"from_json: unknown node {name!r}")
    fields = {k: _decode(v) for k, v in x.items() if k != "node"}
    try:
        return cls(**fields)
    except TypeError as err:
        raise LiftError(f"from_json: bad fields for {name}: {err}") from None
