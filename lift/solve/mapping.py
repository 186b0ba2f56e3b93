"""A ``Mapping``: one choice of thread level for every computing map, and of address space for intermediates.

Maps are named by their labels (``map0, map1, …`` in program order, or ``map(f, name=…)``). A level choice is
one of ``seq``, ``fuse`` (merged into its perfectly enclosing map, as Lift's ``joinSplitPreserveOuterMap``),
``glb0..2``, ``wrg0..2``, ``lcl0..2``. A space choice names where the output of a map is materialised:
``global``, ``local`` or ``private``. Mappings are hashable values, equal when every choice is equal.

A program may run as several kernels: ``cuts`` names the computations after which the program is cut (their
output complete in global memory before the next kernel starts; see :mod:`lift.solve.kernels`). A whole-array
reduction outside every map (``reduce0, reduce1, …`` in program order) has a level too: ``seq`` (one work-item)
or ``wrg0`` (work-groups reduce parts, a last work-group their partial results: two kernels).

The choices are read through :class:`~lift.dsl.levels.Level` and :class:`~lift.dsl.levels.AddressSpace` (the one
spelling of a level and a space in lift-ir); the public dicts ``levels`` and ``spaces`` show them as strings,
``level_of`` and ``space_of`` give the values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Mapping as AbcMapping
from types import MappingProxyType
from typing import TypeVar

from lift.dsl.levels import ALL_LEVELS, AddressSpace, Level
from lift.errors import LiftTypeError, MappingError

__all__ = ["LEVELS", "SPACES", "Mapping", "check_choices"]

LEVELS: tuple[str, ...] = tuple(str(level) for level in ALL_LEVELS)
"""Every level choice for a map, as a ``Mapping`` spells it."""
SPACES: tuple[str, ...] = tuple(space.value for space in AddressSpace)
"""Every address space, as a ``Mapping`` spells it."""

T = TypeVar("T")


class Mapping:
    """Level choices by map label, and address-space choices by the label of the map whose output it is."""

    __slots__ = ("_at", "_cuts", "_key", "_levels", "_placed", "_spaces")

    def __init__(
        self,
        levels: AbcMapping[str, str],
        spaces: AbcMapping[str, str] | None = None,
        cuts: Iterable[str] = (),
    ) -> None:
        _check_choices(levels, "levels", "a level", "{'map0': 'wrg0', 'map1': 'lcl0'}")
        if spaces is not None:
            _check_choices(spaces, "spaces", "an address space", "{'map0': 'local'}")
        if isinstance(cuts, str) or not all(isinstance(c, str) and c.isidentifier() for c in cuts):
            raise LiftTypeError(
                f"Mapping: cuts must be a collection of labels (the computations after which the program is cut "
                f"into another kernel, e.g. ('map0',)), found {cuts!r}"
            )
        self._at = {label: _parsed(Level.parse, choice, f"map {label!r}") for label, choice in levels.items()}
        self._placed = {
            label: _parsed(AddressSpace.parse, space, f"output of {label!r}") for label, space in (spaces or {}).items()
        }
        self._levels = dict(levels)
        self._spaces = dict(spaces or {})
        self._cuts = tuple(label for label, _ in _in_label_order(dict.fromkeys(cuts, "")))
        self._key = (tuple(sorted(self._levels.items())), tuple(sorted(self._spaces.items())), self._cuts)

    @property
    def levels(self) -> AbcMapping[str, str]:
        """Map label → level choice."""
        return MappingProxyType(self._levels)

    @property
    def spaces(self) -> AbcMapping[str, str]:
        """Map label → address space of that map's output."""
        return MappingProxyType(self._spaces)

    @property
    def cuts(self) -> tuple[str, ...]:
        """The labels of the computations after which the program is cut into another kernel (program order)."""
        return self._cuts

    def level_of(self, label: str) -> Level:
        """The level of the map ``label`` (a KeyError when the mapping gives it none)."""
        return self._at[label]

    def space_of(self, label: str) -> AddressSpace | None:
        """The address space of the output of the map ``label``; ``None`` when the mapping does not place it."""
        return self._placed.get(label)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __str__(self) -> str:
        """``map0=wrg0 map1=lcl0; map1 in local``: every level choice, then every space choice."""
        levels = " ".join(f"{label}={choice}" for label, choice in _in_label_order(self._levels))
        spaces = ", ".join(f"{label} in {space}" for label, space in _in_label_order(self._spaces))
        cuts = " ".join(f"cut after {label}" for label in self._cuts)
        text = "; ".join(part for part in (levels, spaces, cuts) if part)
        return text or "(no maps)"

    def __repr__(self) -> str:
        """``Mapping({'map0': 'wrg0', 'map1': 'lcl0'}, {'map1': 'local'})``: the call that builds this mapping."""
        levels = dict(_in_label_order(self._levels))
        spaces = dict(_in_label_order(self._spaces))
        if self._cuts:
            return f"Mapping({levels!r}, {spaces!r}, cuts={self._cuts!r})"
        return f"Mapping({levels!r}, {spaces!r})" if spaces else f"Mapping({levels!r})"


def _parsed(parse: Callable[[str], T], choice: str, where: str) -> T:
    """``parse(choice)``, its MappingError prefixed with ``where`` the choice was made."""
    try:
        return parse(choice)
    except MappingError as e:
        raise MappingError(f"{where}: {e}", rule="known-level-names") from None


def _in_label_order(choices: AbcMapping[str, str]) -> list[tuple[str, str]]:
    """The entries by label in program order for default labels (``map2`` before ``map10``), then by name;
    sorted so that equal mappings print the same whatever order they were built in."""

    def order(entry: tuple[str, str]) -> tuple[str, int, str]:
        label = entry[0]
        stem = label.rstrip("0123456789")
        number = label[len(stem) :]
        return (stem, int(number) if number else -1, label)

    return sorted(choices.items(), key=order)


def check_choices(choices: object, where: str, how: str, *, identifiers: bool = True) -> None:
    """``choices`` is a mapping from strings (identifiers when ``identifiers``) to strings, or a LiftTypeError
    names the entry at fault, ``where`` it was given and ``how`` to build a valid one."""
    if not isinstance(choices, AbcMapping):
        raise LiftTypeError(f"{where} must be a dict, found {type(choices).__name__} {choices!r}; {how}")
    for label, choice in choices.items():
        if not isinstance(label, str) or (identifiers and not label.isidentifier()):
            raise LiftTypeError(f"{where}: the map label {label!r} is not an identifier; {how}")
        if not isinstance(choice, str):
            raise LiftTypeError(f"{where}[{label!r}] must be a str, found {type(choice).__name__} {choice!r}; {how}")


def _check_choices(choices: object, argument: str, what: str, example: str) -> None:
    how = (
        f"build one as Mapping({{...}}) with {argument} a dict from map labels to {what}, e.g. {example} (the labels "
        "are those of lift.mappings(prog): map0, map1, … in program order, or map(f, name=...))"
    )
    check_choices(choices, f"Mapping: {argument}", how)
