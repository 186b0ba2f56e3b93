"""What the command line works on: a bundled example, or a program in the user's own file or module.

A *target* is written one of three ways:

``NAME``
    a bundled example (``lift.examples.NAMES``: ``dot``, ``gemv``, ``matmul``, ``stencil1d``, ``stencil2d``,
    ``conv2d``); they ship inside the package, so this works from any installation.
``path/to/file.py:NAME``
    the file is executed as a fresh module (registered in ``sys.modules`` under a private name derived from its
    path, never as ``__main__``, so an ``if __name__ == "__main__":`` block does not run) with the file's folder
    first on ``sys.path`` while it runs, so it may import the modules next to it.
``package.module:NAME``
    imported with ``importlib.import_module``, with the current directory first on ``sys.path`` while it is
    imported (as ``python -m`` would find it).

``NAME`` must be a program made with ``@fun`` (a ``lift.dsl.ir.Fun``). Next to it the module may describe it the
way the examples do; the command line uses what it finds:

* ``sizes`` — the default sizes (``{"N": 1024}``), for ``run`` and ``kernel``; ``-s N=64`` overrides one;
* ``test_sizes`` — small sizes, the default for ``mappings`` (falling back to ``sizes``);
* ``mapping`` — the ``lift.Mapping`` to compile with (``--mapping`` overrides it);
* ``inputs(sizes, rng)`` — the input arrays for ``sizes`` (default: random values of the parameters' types);
* ``reference(*arrays)`` — the expected result in numpy (default for ``kernel --run``: ``lift.interpret``).

These module-level names describe the program called ``program`` in the module, or the module's only program
when it defines one; a module with several programs and no ``program`` gets none of them (a ``reference``
written for one program would wrongly fail another). Every problem is a ``LiftError`` whose message names
what is missing and how to write it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import sysconfig
from collections.abc import Callable, Iterator
from collections.abc import Mapping as AbcMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from lift import examples
from lift.dsl.interpret import interpret
from lift.dsl.ir import Fun
from lift.dsl.mapper import NodeMapper
from lift.errors import LiftError, LiftInternalError, LiftLimitError, LiftTypeError, LiftValueError
from lift.solve.mapping import Mapping
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, sizes_of

__all__ = [
    "Target",
    "check_host_memory",
    "load_target",
    "parse_choices",
    "parse_mapping",
    "random_inputs",
    "relative_error",
]

Inputs = Callable[[dict[str, int], np.random.Generator], tuple[Any, ...]]
"""``inputs(sizes, rng)``: the program's arguments at ``sizes``."""

Reference = Callable[..., Any]
"""``reference(*arrays)``: the expected result of the program on ``arrays``."""

TARGET_FORMS = "an example name, path/to/file.py:NAME or package.module:NAME"


@dataclass(frozen=True)
class Target:
    """A program to work on, with what its module says about it (see the module docstring)."""

    label: str
    """The target as the user wrote it (``matmul``, ``my_file.py:prog``): how messages name it."""
    program: Fun
    sizes: AbcMapping[str, int] = field(default_factory=dict)
    """Default sizes (empty when the module gives none)."""
    test_sizes: AbcMapping[str, int] = field(default_factory=dict)
    """Small sizes for quick questions (``mappings``); the module's ``sizes`` when it gives no ``test_sizes``."""
    mapping: Mapping | None = None
    inputs: Inputs | None = None
    reference: Reference | None = None

    @property
    def size_names(self) -> tuple[str, ...]:
        """The size variables the program's parameters use, sorted."""
        return tuple(sorted({v.name for t in self.program.param_types for n in sizes_of(t) for v in n.free_vars()}))

    def choose_sizes(
        self, given: AbcMapping[str, int] | None, defaults: AbcMapping[str, int], *, complete: bool
    ) -> dict[str, int]:
        """``given`` over ``defaults``. A name the program does not have is refused; with ``complete``, so is a
        size variable left without a value (random inputs and interpreting need every one)."""
        known = sorted({*self.size_names, *defaults})
        unknown = sorted(set(given or {}) - set(known))
        if unknown:
            raise LiftValueError(
                f"{self.label} has no size {', '.join(unknown)}; its sizes are {', '.join(known) or 'none'} "
                "(-s NAME=INT)"
            )
        chosen = {**defaults, **(given or {})}
        missing = [name for name in self.size_names if name not in chosen]
        if complete and missing:
            raise LiftValueError(
                f"{self.label} needs a value for the size {', '.join(missing)}: pass "
                + " ".join(f"-s {name}=INT" for name in missing)
                + " (or define sizes = {...} next to the program)"
            )
        return chosen

    def make_inputs(self, sizes: dict[str, int], seed: int = 0) -> tuple[Any, ...]:
        """The module's ``inputs(sizes, rng)`` when it defines one, else random values of the parameters' types."""
        rng = np.random.default_rng(seed)
        if self.inputs is None:
            return random_inputs(self.program, sizes, rng)
        arrays = _call_users(self.label, "inputs(sizes, rng)", self.inputs, dict(sizes), rng)
        if not isinstance(arrays, tuple | list) or len(arrays) != len(self.program.param_types):
            raise LiftTypeError(
                f"{self.label}: inputs(sizes, rng) must return a tuple of {len(self.program.param_types)} arrays "
                f"(one per parameter of {self.program.name}), found {type(arrays).__name__}"
            )
        return tuple(arrays)

    def expected(self, arrays: tuple[Any, ...]) -> Any:
        """The module's ``reference(*arrays)`` when it defines one, else ``lift.interpret``'s result."""
        if self.reference is None:
            return interpret(self.program, *arrays)
        return _call_users(self.label, "reference(*arrays)", self.reference, *arrays)


def _call_users(label: str, what: str, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, a function of the user's module; what it raises becomes a ``LiftValueError`` naming
    the function and the line of the user's code that failed."""
    try:
        return function(*args)
    except Exception as err:
        raise LiftValueError(
            f"{label}: {what} failed at {_user_frame(err.__traceback__)}: {type(err).__name__}: {err}"
        ) from err


# ---- loading ------------------------------------------------------------------------------------------------


def load_target(text: str) -> Target:
    """The target ``text`` names (``matmul``, ``path/to/file.py:NAME``, ``package.module:NAME``)."""
    source, colon, name = text.rpartition(":")
    if not colon:
        if text.endswith(".py"):
            module = _load_file(Path(text), text)
            raise LiftValueError(
                f"{text}: name the program to use after a colon, {text}:NAME; {_programs_listing(module)}"
            )
        return _example(text)
    if not name.isidentifier():
        raise LiftValueError(
            f"{text!r}: after the colon comes the program's name (a Python identifier), found {name!r}"
        )
    if source.endswith(".py") or "/" in source or os.sep in source:
        module = _load_file(Path(source), text)
    elif all(part.isidentifier() for part in source.split(".")):
        module = _import_module(source, text)
    else:
        raise LiftValueError(f"{text!r} is not a target; give {TARGET_FORMS}")
    return _target_in(module, name, text)


def _example(name: str) -> Target:
    """The bundled example ``name``, described by its module."""
    if name not in examples.NAMES:
        raise LiftValueError(
            f"unknown example {name!r}; the examples are: {', '.join(examples.NAMES)}; "
            "for your own program give path/to/file.py:NAME or package.module:NAME"
        )
    return _target_in(examples.load(name), "program", name)


def _target_in(module: ModuleType, name: str, label: str) -> Target:
    """Program ``name`` of ``module``, with the module's description when it describes that program."""
    if not hasattr(module, name):
        raise LiftValueError(f"{label}: {_where(module)} has no {name!r}; {_programs_listing(module)}")
    program = getattr(module, name)
    if not isinstance(program, Fun):
        raise LiftTypeError(
            f"{label}: {name} in {_where(module)} is a {type(program).__name__}, not a program made with @fun; "
            + _programs_listing(module)
        )
    try:
        program.type  # noqa: B018  type-check now, so that a program that does not type-check is named by its target
    except LiftTypeError as err:
        raise LiftTypeError(f"{label}: {program.name} does not type-check: {err}") from err
    if not _describes(module, program):
        return Target(label, program)
    sizes = _sizes_field(module, "sizes", label)
    return Target(
        label,
        program,
        sizes=sizes,
        test_sizes=_sizes_field(module, "test_sizes", label) or sizes,
        mapping=_field(module, "mapping", label, lambda v: isinstance(v, Mapping), "a lift.Mapping"),
        inputs=_field(module, "inputs", label, callable, "a function inputs(sizes, rng)"),
        reference=_field(module, "reference", label, callable, "a function reference(*arrays)"),
    )


def _programs(module: ModuleType) -> dict[str, Fun]:
    """The module's programs by name (a program bound to two names appears under both)."""
    return {k: v for k, v in vars(module).items() if isinstance(v, Fun) and not k.startswith("__")}


def _programs_listing(module: ModuleType) -> str:
    """A sentence naming the programs ``module`` defines (or saying it defines none)."""
    names = sorted(_programs(module))
    if not names:
        return f"{_where(module)} defines no program (a function decorated with @fun)"
    return f"the programs it defines: {', '.join(names)}"


def _describes(module: ModuleType, program: Fun) -> bool:
    """Whether the module-level ``sizes``, ``inputs``, … are about ``program``."""
    programs = _programs(module)
    if "program" in programs:  # the module names its program
        return programs["program"] is program
    return len({id(p) for p in programs.values()}) == 1


def _field(module: ModuleType, name: str, label: str, valid: Callable[[Any], bool], what: str) -> Any:
    """``module.name`` when present (it must be ``what``), else None."""
    value = getattr(module, name, None)
    if value is not None and not valid(value):
        raise LiftTypeError(f"{label}: {name} in {_where(module)} must be {what}, found {type(value).__name__}")
    return value


def _sizes_field(module: ModuleType, name: str, label: str) -> dict[str, int]:
    """``module.name`` as a dict of positive int sizes (empty when absent)."""
    value = getattr(module, name, None)
    if value is None:
        return {}
    good = isinstance(value, AbcMapping) and all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 1 for k, v in value.items()
    )
    if not good:
        raise LiftTypeError(
            f"{label}: {name} in {_where(module)} must be a dict from size names to ints at least 1, such as "
            f'{{"N": 1024}}; found {value!r}'
        )
    return dict(value)


def _where(module: ModuleType) -> str:
    """The module as a user knows it: its file, or its import name."""
    spec = module.__spec__
    origin = getattr(spec, "origin", None)
    return origin if origin and spec is not None and spec.name.startswith(_PRIVATE_PREFIX) else module.__name__


_PRIVATE_PREFIX = "_lift_target_"
"""The start of the module names given to loaded files (never a name a user's own import would use)."""


def _module_name(path: Path) -> str:
    """A private module name for the file at ``path``: its stem and a hash of its absolute path, so two files
    with one name do not replace each other and loading the same file again replaces the first load."""
    stem = re.sub(r"\W", "_", path.stem)
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    return f"{_PRIVATE_PREFIX}{stem}_{digest}"


def _load_file(path: Path, label: str) -> ModuleType:
    """Execute the Python file at ``path`` as a fresh module (see the module docstring)."""
    if not path.is_file():
        where = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise LiftValueError(f"{label}: {path} {where} (relative paths start at the current directory, {Path.cwd()})")
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LiftValueError(f"{label}: {path} cannot be loaded as a Python module (its name must end in .py)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses, typing and pickle look a module up by name while it runs
    try:
        with _first_on_path(path.resolve().parent), _reported(label, path.name):
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _import_module(name: str, label: str) -> ModuleType:
    """``importlib.import_module(name)`` with the current directory first on ``sys.path``."""
    with _first_on_path(Path.cwd()):
        with _reported(label, name):
            found = _find_spec(name)
        if found is None:
            raise LiftValueError(
                f"{label}: no module named {name!r} (searched from {Path.cwd()} and sys.path); "
                "for a file give path/to/file.py:NAME"
            )
        with _reported(label, name):
            return importlib.import_module(name)


def _find_spec(name: str) -> importlib.machinery.ModuleSpec | None:
    """The spec of module ``name``, or None when it (or a package above it) does not exist."""
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None


@contextmanager
def _first_on_path(folder: Path) -> Iterator[None]:
    """``folder`` first on ``sys.path`` for the duration (so a loaded file finds the modules next to it)."""
    entry = str(folder)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        if entry in sys.path:
            sys.path.remove(entry)


@contextmanager
def _reported(label: str, what: str) -> Iterator[None]:
    """An error while importing ``what`` becomes one ``LiftValueError`` naming the file and line it came from.

    A syntax error names its own file and line; any other failure (an import that fails, a program that does
    not type-check) the deepest frame of a file that is not part of lift-ir, where the user can fix it.
    """
    try:
        yield
    except LiftInternalError:
        raise  # lift-ir's own failure: reported as one, not blamed on the user's file
    except LiftError as err:
        raise LiftValueError(f"{label}: loading {what} failed at {_user_frame(err.__traceback__)}: {err}") from err
    except SyntaxError as err:
        raise LiftValueError(f"{label}: syntax error at {err.filename}:{err.lineno}: {err.msg}") from None
    except Exception as err:
        raise LiftValueError(
            f"{label}: loading {what} failed at {_user_frame(err.__traceback__)}: {type(err).__name__}: {err}"
        ) from err


_NOT_USER_CODE = (
    str(Path(__file__).resolve().parent),
    "<frozen ",  # the import machinery
    *{str(Path(p).resolve()) for k, p in sysconfig.get_paths().items() if k in ("stdlib", "purelib", "platlib")},
)
"""Where lift-ir, the standard library and installed packages live: not where a user's mistake is."""


def _user_frame(tb: TracebackType | None) -> str:
    """``file:line`` of the deepest traceback frame in the user's code (outside :data:`_NOT_USER_CODE`)."""
    found = "an unknown place"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(_NOT_USER_CODE):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


# ---- command-line values --------------------------------------------------------------------------------------


def parse_choices(text: str, option: str) -> dict[str, str]:
    """``"map0=glb0,map1=seq,space:map1=local"`` as ``{"map0": "glb0", "map1": "seq", "space:map1": "local"}``;
    a malformed or repeated entry is a ``LiftValueError`` naming ``option`` and the entry."""
    choices: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        key, eq, value = (part.strip() for part in item.partition("="))
        label = key.removeprefix("space:").removeprefix("cut:")
        if not eq or not value or not label.isidentifier():
            raise LiftValueError(
                f"{option} expects LABEL=CHOICE entries separated by commas, such as map0=glb0,map1=seq or "
                f"space:map1=local, found {item!r}"
            )
        if key in choices:
            raise LiftValueError(f"{option}: {key} is given twice ({key}={choices[key]} and {key}={value})")
        choices[key] = value
    return choices


def parse_mapping(text: str) -> Mapping:
    """``--mapping map0=glb0,map1=seq,space:map1=local,cut:map0=yes`` as a ``lift.Mapping`` (levels by map label,
    ``space:LABEL`` for the address space of that map's output, ``cut:LABEL=yes`` to cut the program into another
    kernel after it); an unknown level or space is a ``MappingError``."""
    choices = parse_choices(text, "--mapping")
    levels = {k: v for k, v in choices.items() if not k.startswith(("space:", "cut:"))}
    spaces = {k.removeprefix("space:"): v for k, v in choices.items() if k.startswith("space:")}
    cuts = [k.removeprefix("cut:") for k, v in choices.items() if k.startswith("cut:")]
    bad = [f"{k}={v}" for k, v in choices.items() if k.startswith("cut:") and v not in ("yes", "no")]
    if bad:
        raise LiftValueError(f"--mapping: a cut is cut:LABEL=yes or cut:LABEL=no, found {', '.join(bad)}")
    return Mapping(levels, spaces or None, [c for c in cuts if choices[f"cut:{c}"] == "yes"])


# ---- inputs and results ---------------------------------------------------------------------------------------


INT_INPUT_LIMIT = 8
"""Random integer inputs lie in ``[-8, 8]``: sums of products of them stay far from overflow."""


def random_inputs(program: Fun, sizes: AbcMapping[str, int], rng: np.random.Generator) -> tuple[Any, ...]:
    """One random argument per parameter of ``program`` at ``sizes``: floats uniform in ``[-1, 1)``, small
    integers, random booleans; an array of tuples as a tuple of arrays (as ``lift.interpret`` takes it)."""
    draw = _RandomValue(sizes, rng)
    return tuple(draw(t, ()) for t in program.param_types)


@dataclass(frozen=True)
class _RandomValue(NodeMapper[Any]):
    """A random value of a data type, as numpy arrays of the shape ``outer`` of the arrays around it."""

    covers = (DataType,)

    sizes: AbcMapping[str, int]
    """The values of the program's sizes."""
    rng: np.random.Generator
    """Where the values come from."""

    def map_array_type(self, t: ArrayType, outer: tuple[int, ...]) -> Any:
        return self(t.elem, (*outer, t.size.evaluate(self.sizes)))

    def map_tuple_type(self, t: TupleType, outer: tuple[int, ...]) -> Any:
        return tuple(self(e, outer) for e in t.elems)

    def map_scalar_type(self, t: ScalarType, outer: tuple[int, ...]) -> Any:
        if t.is_float:
            return np.asarray(self.rng.uniform(-1.0, 1.0, size=outer), dtype=t.dtype)
        if t.dtype.kind == "b":
            return np.asarray(self.rng.random(size=outer) < 0.5)
        return np.asarray(self.rng.integers(-INT_INPUT_LIMIT, INT_INPUT_LIMIT + 1, size=outer), dtype=t.dtype)


def relative_error(result: Any, expected: Any) -> float:
    """``max |result - expected| / max |expected|``, the largest over the arrays of a tuple result; an
    AssertionError says where the structure or a shape differs."""
    got, want = _leaves(result), _leaves(expected)
    if len(got) != len(want):
        raise AssertionError(f"the result has {len(got)} arrays, the reference {len(want)}")
    return max(
        (examples.max_relative_error(np.asarray(g), np.asarray(w, dtype=np.float64)) for g, w in zip(got, want)),
        default=0.0,
    )


def _leaves(value: Any) -> list[Any]:
    """The arrays of a result (a tuple of arrays for an array of tuples)."""
    if isinstance(value, tuple | list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def check_host_memory(program: Fun, sizes: AbcMapping[str, int]) -> None:
    """Refuse sizes whose inputs and result would not fit the host's free memory (interpreting needs them)."""
    from lift.ocl.launch import host_available_bytes

    needed = sum(t.byte_count().evaluate(sizes) for t in (*program.param_types, program.type.result))
    available = host_available_bytes()
    if available is not None and needed > available:
        raise LiftLimitError(
            f"the arrays at {', '.join(f'{k}={v}' for k, v in sizes.items())} need {needed} bytes "
            f"({needed / 2**30:.2f} GiB), more than the host's free memory, {available} bytes "
            f"({available / 2**30:.2f} GiB); use smaller sizes"
        )
