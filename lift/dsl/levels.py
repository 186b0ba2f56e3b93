"""Where a map runs and where an intermediate lives: one ``Level`` value and one ``AddressSpace`` enum.

A map runs at a *level* of the OpenCL thread hierarchy: sequentially in its thread (``seq``), fused into its
perfectly enclosing map (``fuse``), or in parallel over the global ids (``glb``), the work-groups (``wrg``) or
the work-items of a work-group (``lcl``) of one NDRange dimension (0..2). An intermediate lives in one of three
address spaces. Every room spells these with the values below: users and ``Mapping``'s public dicts write them
as strings (``"glb0"``, ``"local"``), which :meth:`Level.parse` and :meth:`AddressSpace.parse` read; the mapping
model's Z3 variables hold their integer :attr:`~Level.code`.

This module sits at the bottom of the flow: it imports nothing of ours but :mod:`lift.errors`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, get_args

from lift.errors import MappingError

__all__ = ["ALL_LEVELS", "PARALLEL_KINDS", "AddressSpace", "Level", "LevelKind"]

LevelKind = Literal["seq", "fuse", "glb", "wrg", "lcl"]
"""The kinds of level: sequential, fused into the enclosing map, global, work-group, local."""

PARALLEL_KINDS: tuple[LevelKind, ...] = ("glb", "wrg", "lcl")
"""The kinds that spread a map over threads along one NDRange dimension."""

DIMENSIONS = 3
"""OpenCL's NDRange has three dimensions: a parallel level's ``dim`` is 0, 1 or 2."""

# The integer codes of the mapping model (``lift.solve.rules``): the rules compare them by range (``10+d`` is
# local, ``20+d`` work-group, ``30+d`` global), so these bases are part of the model's encoding.
_SEQUENTIAL_CODES: dict[str, int] = {"seq": 0, "fuse": 1}
_PARALLEL_BASES: dict[str, int] = {"lcl": 10, "wrg": 20, "glb": 30}

# The OpenCL functions that give a parallel level's index and extent along its dimension.
_ID_FUNCTIONS: dict[str, tuple[str, str]] = {
    "glb": ("get_global_id", "get_global_size"),
    "wrg": ("get_group_id", "get_num_groups"),
    "lcl": ("get_local_id", "get_local_size"),
}


@dataclass(frozen=True)
class Level:
    """One level of the thread hierarchy: ``Level("glb", 0)`` is ``"glb0"``, ``Level("seq")`` is ``"seq"``."""

    kind: LevelKind
    """``seq``, ``fuse``, ``glb``, ``wrg`` or ``lcl``."""
    dim: int = 0
    """The NDRange dimension (0..2) of a parallel kind; always 0 for ``seq`` and ``fuse``."""

    def __post_init__(self) -> None:
        if self.kind not in get_args(LevelKind):
            raise MappingError(
                f"Level: unknown kind {self.kind!r}; the kinds are {', '.join(get_args(LevelKind))} "
                "(e.g. Level('glb', 0), Level('seq'))"
            )
        if isinstance(self.dim, bool) or not isinstance(self.dim, int):
            raise MappingError(f"Level({self.kind!r}, {self.dim!r}): the dimension must be an int, 0, 1 or 2")
        if self.kind in PARALLEL_KINDS:
            if not 0 <= self.dim < DIMENSIONS:
                raise MappingError(
                    f"Level({self.kind!r}, {self.dim}): OpenCL has NDRange dimensions 0, 1 and 2 only; "
                    f"use {self.kind}0, {self.kind}1 or {self.kind}2"
                )
        elif self.dim != 0:
            raise MappingError(
                f"Level({self.kind!r}, {self.dim}): a {self.kind} map has no NDRange dimension; "
                f"write Level({self.kind!r}) (dim 0)"
            )

    @staticmethod
    def parse(text: str) -> Level:
        """``"glb0"`` → ``Level("glb", 0)``, ``"seq"`` → ``Level("seq")``; any other text is a MappingError that
        lists the valid spellings."""
        level = _BY_NAME.get(text) if isinstance(text, str) else None
        if level is None:
            raise MappingError(f"unknown level {text!r}; the levels are {', '.join(map(str, ALL_LEVELS))}")
        return level

    @staticmethod
    def from_code(code: int) -> Level:
        """The level of a mapping-model code (``30`` → ``glb0``); an unknown code is a MappingError."""
        level = _BY_CODE.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
        if level is None:
            known = ", ".join(f"{level.code} ({level})" for level in sorted(ALL_LEVELS, key=lambda lv: lv.code))
            raise MappingError(f"unknown level code {code!r}; the codes are {known}")
        return level

    def __str__(self) -> str:
        """``"glb0"``, ``"lcl2"``, ``"seq"``, ``"fuse"``: the spelling of a ``Mapping``."""
        return f"{self.kind}{self.dim}" if self.is_parallel else self.kind

    @property
    def is_parallel(self) -> bool:
        """True for ``glb``, ``wrg`` and ``lcl``: the map is spread over threads along :attr:`dim`."""
        return self.kind in PARALLEL_KINDS

    @property
    def code(self) -> int:
        """The mapping model's integer for this level: 0 seq, 1 fuse, 10+d lcl, 20+d wrg, 30+d glb."""
        if self.is_parallel:
            return _PARALLEL_BASES[self.kind] + self.dim
        return _SEQUENTIAL_CODES[self.kind]

    @property
    def id_function(self) -> str:
        """The OpenCL function giving a thread's index along this level (``get_global_id`` for ``glb``)."""
        return self._id_functions()[0]

    @property
    def size_function(self) -> str:
        """The OpenCL function giving this level's extent (``get_global_size`` for ``glb``)."""
        return self._id_functions()[1]

    def _id_functions(self) -> tuple[str, str]:
        if not self.is_parallel:
            raise MappingError(
                f"{self}: a {self.kind} map runs in one thread, so it has no OpenCL id function; "
                "only glb, wrg and lcl levels do"
            )
        return _ID_FUNCTIONS[self.kind]


ALL_LEVELS: tuple[Level, ...] = (
    Level("seq"),
    Level("fuse"),
    *(Level(kind, d) for kind in PARALLEL_KINDS for d in range(DIMENSIONS)),
)
"""The 11 levels, in the order users read them: seq, fuse, glb0..2, wrg0..2, lcl0..2."""

_BY_NAME: dict[str, Level] = {str(level): level for level in ALL_LEVELS}
_BY_CODE: dict[int, Level] = {level.code: level for level in ALL_LEVELS}


class AddressSpace(enum.Enum):
    """Where an intermediate lives: ``global`` (every thread), ``local`` (one work-group), ``private`` (one
    thread). The value is the spelling of a ``Mapping`` and of ``to_global``/``to_local``/``to_private``."""

    GLOBAL = "global"
    LOCAL = "local"
    PRIVATE = "private"

    @property
    def code(self) -> int:
        """The mapping model's integer for this space: 0 global, 1 local, 2 private."""
        return _SPACE_CODES[self]

    @staticmethod
    def from_code(code: int) -> AddressSpace:
        """The space of a mapping-model code (``1`` → local); an unknown code is a MappingError."""
        for space, known in _SPACE_CODES.items():
            if known == code and isinstance(code, int) and not isinstance(code, bool):
                return space
        codes = ", ".join(f"{c} ({space.value})" for space, c in _SPACE_CODES.items())
        raise MappingError(f"unknown address-space code {code!r}; the codes are {codes}")

    @staticmethod
    def parse(text: str) -> AddressSpace:
        """``"local"`` → ``AddressSpace.LOCAL``; any other text is a MappingError that lists the spaces."""
        for space in AddressSpace:
            if space.value == text:
                return space
        raise MappingError(f"unknown address space {text!r}; use {', '.join(space.value for space in AddressSpace)}")

    def __str__(self) -> str:
        """``"global"``: the spelling of a ``Mapping``."""
        return self.value


_SPACE_CODES: dict[AddressSpace, int] = {AddressSpace.GLOBAL: 0, AddressSpace.LOCAL: 1, AddressSpace.PRIVATE: 2}
