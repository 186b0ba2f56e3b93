"""JSON round trip of programs: ``to_json(prog)`` and ``from_json(text)``.

Every IR node, size expression and type is a dataclass, written as an object ``{"node": ClassName, field:
value, …}``; the checker's ``type`` annotations are derived data and are not written. User functions are
stored with their Python source (and the base name of their file, never a path), from which both of their
translations are rebuilt when read.

A document is untrusted: :func:`from_json` checks it against :mod:`lift.dsl.schema` (classes, field types and
ranges, names, user-function sources), type-checks the program, and refuses anything else with a
:class:`~lift.errors.SerializationError` naming the path in the document — never another kind of exception.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
from typing import Any

from lift.dsl import ir
from lift.dsl.mapper import NodeMapper
from lift.dsl.schema import decode, encodable
from lift.errors import LiftError, LiftTypeError, SerializationError
from lift.types import data

__all__ = ["FORMAT", "MAX_DOCUMENT", "from_json", "to_json"]

FORMAT = "lift-ir/1"
"""The value of a document's ``"format"`` key."""
MAX_DOCUMENT = 64 << 20
"""The longest document :func:`from_json` reads, in characters."""


def to_json(prog: ir.Node, *, indent: int | None = 1) -> str:
    """The program as JSON text (only the classes of :data:`lift.dsl.schema.SCHEMA`; no file paths)."""
    if not isinstance(prog, ir.Node):
        raise LiftError(f"to_json: expected a program or an IR node, found {type(prog).__name__}")
    return json.dumps({"format": FORMAT, "program": _encode(prog)}, indent=indent)


def from_json(text: str | bytes) -> ir.Fun:
    """The program written by :func:`to_json`, checked against the schema and type-checked.

    Raises :class:`SerializationError` (a ``LiftValueError``) for anything that is not such a document: not
    JSON, nested too deeply, an unknown or internal class, a field of the wrong type or out of range, a name
    that is not an identifier, a user function whose source does not define its name, sizes that contradict.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise SerializationError(f"from_json: the document is not UTF-8 text: {err}") from None
    if not isinstance(text, str):
        raise SerializationError(f"from_json: expected JSON text (a str), found {type(text).__name__}")
    if len(text) > MAX_DOCUMENT:
        raise SerializationError(f"from_json: the document has {len(text)} characters; the limit is {MAX_DOCUMENT}")
    doc = _parse(text)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SerializationError(f'from_json: $: expected an object with "format": "{FORMAT}" and a "program"')
    extra = sorted(set(doc) - {"format", "program"})
    if extra:
        raise SerializationError(f"from_json: $: unknown key(s) {', '.join(repr(k[:40]) for k in extra)}")
    if "program" not in doc:
        raise SerializationError('from_json: $: the document has no "program"')
    try:
        prog = decode(doc["program"])
    except RecursionError:
        raise SerializationError("from_json: $.program: the program is nested too deeply to decode") from None
    try:
        _ = prog.type  # a program whose sizes contradict is refused here, before anyone uses it
    except LiftTypeError as err:
        raise SerializationError(f"from_json: $.program: the program does not type-check: {err}") from err
    except RecursionError:
        raise SerializationError("from_json: $.program: the program is nested too deeply to type-check") from None
    return prog


def _parse(text: str) -> Any:
    """The JSON value of ``text``; duplicate keys (an ambiguous document) are refused."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise SerializationError(f"from_json: an object has the key {key[:40]!r} twice")
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except ValueError as err:  # JSONDecodeError, and integers too long to convert
        raise SerializationError(f"from_json: not JSON: {err}") from None
    except RecursionError:
        raise SerializationError("from_json: the document is nested too deeply to read") from None


class _Encoder(NodeMapper[Any]):
    """The JSON value of a program's part, by the part's class: IR nodes, sizes and types as objects, tuples
    as arrays, JSON's own values as themselves; anything else is refused."""

    def map_scalar_type(self, t: data.ScalarType) -> Any:
        return {"node": "ScalarType", "name": t.name}

    def map_user_fun(self, f: ir.UserFun) -> Any:
        out = self.map_object(f)
        out["filename"] = posixpath.basename(f.filename.replace("\\", "/"))  # where it was written, never a path
        return out

    def map_tuple(self, xs: tuple[Any, ...]) -> Any:
        return [self(v) for v in xs]

    def map_int(self, x: int) -> Any:  # and bool, a subclass of int
        return x

    def map_float(self, x: float) -> Any:
        return x

    def map_str(self, x: str) -> Any:
        return x

    def map_none_type(self, x: None) -> Any:
        return x

    def map_object(self, x: object) -> Any:
        kind = type(x)
        if not dataclasses.is_dataclass(kind):  # only instances of dataclasses are objects (not classes)
            raise LiftError(f"to_json: cannot encode {type(x).__name__} {x!r}")
        if not encodable(x):
            raise LiftError(f"to_json: {type(x).__name__} is not part of a program document")
        out: dict[str, Any] = {"node": type(x).__name__}
        for f in dataclasses.fields(kind):
            if f.name != "type" or f.compare:  # the checker's annotation: derived, not written
                out[f.name] = self(getattr(x, f.name))
        return out


_encode = _Encoder()
