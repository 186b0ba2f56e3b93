"""The rooms of ``lift`` import only downwards (DESIGN §2, §3), with no import cycle through two rooms.

Every module under ``lift/`` is parsed with :mod:`ast` and every ``import`` statement counts: those at module
level, those inside functions (a lazy import is still a dependency, and still closes a cycle when it runs) and
those under ``if TYPE_CHECKING:``. Three rules are checked:

* ``solve`` never imports ``ocl``: the mapping model is handed its backend (``lift.solve.backend``) and its
  device chooser (``lift.solve.device``) by the package, so that it can be built, tested and explained with
  no OpenCL code loaded.
* A module of a room imports only rooms of its own layer or of the layers below (:data:`LAYERS`).
* No cycle of imports passes through two rooms: in the graph of modules (all imports), every strongly
  connected component lies inside one room — except for the edges in :data:`ALLOWED_CYCLE_EDGES`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

# ---- the declared order ---------------------------------------------------------------------------------------

LAYERS: tuple[tuple[str, ...], ...] = (
    # The bottom: the exception hierarchy every room raises.
    ("errors",),
    # ``@public``'s argument checks for the user-facing functions (raises LiftTypeError, nothing else of ours).
    ("_public",),
    # Sizes, data types, the type checker (types) and the IR, combinators, interpreter, printer, JSON (dsl):
    # one layer. The IR's nodes carry ArithExpr sizes and data types, and the checker and the laws must read
    # the IR's nodes ("types imports nothing of ours but dsl.ir where it must", DESIGN §3), so the two rooms
    # import each other by design. What keeps the pair honest is the cycle rule below: no chain of imports
    # leads from a module back to itself through both rooms (with the one exception listed there).
    ("types", "dsl"),
    # The flow of DESIGN §2, top of the picture to the bottom: rewrite rules work on typed programs; solve
    # models the mappings of a program; ocl lowers a mapping and prints and runs the kernel; tune explores.
    ("rewrite",),
    ("solve",),
    ("ocl",),
    ("tune",),
    # Hypothesis strategies and assertions (uses rewrite for its program generators).
    ("testing",),
    # The entry points: the package's public face (``lift/__init__.py``, which wires ocl's backend and device
    # chooser into solve), the bundled examples (written as a user writes them: ``import lift``), the loading
    # of a user's program for the command line (targets), and the command line itself.
    ("lift", "examples", "targets", "cli", "__main__"),
)
"""The rooms of ``lift``, bottom layer first: a module may import its own layer and the layers below it."""

ALLOWED_CYCLE_EDGES: Mapping[tuple[str, str], str] = {
    ("lift.dsl.ir", "lift.types.checker"): (
        "Fun.typed (and so prog.type, prog.constraints, DESIGN §4) runs the type checker, which reads and "
        "builds Fun nodes of lift.dsl.ir. Removing the import would take the checker patching Fun from outside "
        "(a registry, against DESIGN §2) or a Fun subclass built by every room that makes programs; instead "
        "the import stays inside Fun.typed, so it runs only when a program is first checked, never while "
        "lift.dsl.ir itself is imported (it must stay lazy)"
    ),
}
"""Imports allowed to close a cycle through two rooms, each with its reason. Each must stay lazy (inside a
function) and must still exist: a stale entry fails the test, so the list only shrinks."""

ROOT = Path(__file__).resolve().parent.parent
"""The folder holding the ``lift`` package (read as text: the test never imports it)."""


# ---- reading the imports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One import of a module of ``lift`` by another."""

    importer: str
    """The importing module's dotted name (``lift.solve.model``; a package is its ``__init__``)."""
    imported: str
    """The imported module's dotted name (``from lift.dsl import map`` imports ``lift.dsl``)."""
    path: str
    """The importer's file, relative to the folder holding ``lift``."""
    line: int
    """The line of the import statement."""
    statement: str
    """The import statement as written."""
    lazy: bool
    """Inside a function body: runs when the function is first called, not when the module is imported."""

    def where(self) -> str:
        how = "lazily, inside a function" if self.lazy else "at module level"
        return f"{self.importer} ({self.path}:{self.line}) imports {self.imported} {how}: `{self.statement}`"


def modules_under(root: Path, package: str = "lift") -> dict[str, Path]:
    """Every module of ``package`` under ``root``: dotted name to file (a package's name to its ``__init__``)."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _known(name: str, modules: Iterable[str]) -> str | None:
    """The longest known module that is ``name`` or a package above it (``lift.dsl.ir.Fun`` → ``lift.dsl.ir``)."""
    known = set(modules)
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in known:
            return candidate
    return None


def _statements(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement of ``tree`` with whether it sits inside a function."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from visit(child, inner)

    return visit(tree, False)


def imports_of(name: str, path: Path, root: Path, modules: Mapping[str, Path]) -> list[Import]:
    """The imports of modules of ``lift`` that module ``name`` (file ``path``) makes."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []
    for node, lazy in _statements(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: from the importer's package, one level up per extra dot
                package = name.split(".") if is_package else name.split(".")[:-1]
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import sub`` imports the submodule when there is one, else a name of ``pkg``
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        statement = " ".join((ast.get_source_segment(source, node) or ast.unparse(node)).split())
        statement = statement if len(statement) <= 100 else statement[:97] + "..."
        imported_here = {_known(target, modules) for target in targets} - {None, name}
        for imported in sorted(m for m in imported_here if m is not None):
            found.append(Import(name, imported, path.relative_to(root).as_posix(), node.lineno, statement, lazy))
    return found


def all_imports(root: Path) -> list[Import]:
    """Every import between modules of ``lift`` under ``root``."""
    modules = modules_under(root)
    return [i for name, path in modules.items() for i in imports_of(name, path, root, modules)]


def room_of(module: str) -> str:
    """The room a module lives in: ``lift.solve.model`` → ``solve``, ``lift.errors`` → ``errors``, ``lift`` →
    ``lift`` (the package's ``__init__``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_of(room: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int | None:
    """The index of the layer of ``room`` (0 at the bottom), ``None`` for a room no layer names."""
    for k, layer in enumerate(layers):
        if room in layer:
            return k
    return None


# ---- the rules ------------------------------------------------------------------------------------------------


def solve_imports_ocl(imports: Iterable[Import]) -> list[str]:
    """Rule (a): no module under ``lift/solve/`` imports ``lift.ocl``."""
    return [
        f"{i.where()} — rule: solve never imports ocl (hand it what it needs, as lift.solve.backend and "
        "lift.solve.device's chooser do, or move the shared function below solve)"
        for i in imports
        if room_of(i.importer) == "solve" and room_of(i.imported) == "ocl"
    ]


def upward_imports(imports: Iterable[Import], layers: tuple[tuple[str, ...], ...] = LAYERS) -> list[str]:
    """Rule (b): a module imports only rooms of its own layer or below; every room is placed in a layer."""
    problems: list[str] = []
    for i in imports:
        low, high = room_of(i.importer), room_of(i.imported)
        if layer_of(low, layers) is None or layer_of(high, layers) is None:
            unplaced = low if layer_of(low, layers) is None else high
            problems.append(f"{i.where()} — rule: every room has a layer; add {unplaced!r} to LAYERS")
        elif layer_of(high, layers) > layer_of(low, layers):  # type: ignore[operator]
            problems.append(
                f"{i.where()} — rule: a room imports only its own layer or below, and {high} "
                f"(layer {layer_of(high, layers)}) sits above {low} (layer {layer_of(low, layers)}) in DESIGN §2's "
                "flow; move what is shared down, or hand it in from above"
            )
    return problems


def _components(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, set())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def cycles_between_rooms(
    imports: Iterable[Import], allowed: Mapping[tuple[str, str], str] = ALLOWED_CYCLE_EDGES
) -> list[str]:
    """Rule (c): no cycle of imports (module to module, lazy ones too) passes through two rooms; an allowed
    edge must stay lazy and must still exist."""
    imports = list(imports)
    problems: list[str] = []
    by_edge = {(i.importer, i.imported): i for i in imports}
    for edge, reason in allowed.items():
        i = by_edge.get(edge)
        if i is None:
            problems.append(
                f"{edge[0]} no longer imports {edge[1]} — rule: ALLOWED_CYCLE_EDGES lists only imports that exist; "
                "remove the entry"
            )
        elif any(j.importer == edge[0] and j.imported == edge[1] and not j.lazy for j in imports):
            problems.append(
                f"{i.where()} — rule: this import is allowed to close a cycle only inside a function ({reason})"
            )
    graph: dict[str, set[str]] = {}
    for i in imports:
        graph.setdefault(i.importer, set())
        graph.setdefault(i.imported, set())
        if (i.importer, i.imported) not in allowed:
            graph[i.importer].add(i.imported)
    for component in _components(graph):
        rooms = sorted({room_of(m) for m in component})
        if len(rooms) < 2:
            continue
        members = set(component)
        crossing = [i for i in imports if i.importer in members and i.imported in members]
        crossing = [i for i in crossing if room_of(i.importer) != room_of(i.imported)]
        listed = "\n    ".join(i.where() for i in crossing)
        problems.append(
            f"the modules {', '.join(component)} import each other in a cycle through the rooms {', '.join(rooms)} "
            f"— rule: no import cycle between rooms; the imports that cross rooms in it:\n    {listed}"
        )
    return problems


# ---- the real tree --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports(ROOT)


def test_the_scan_sees_the_package(imports: list[Import]) -> None:
    # a scan that found nothing would pass every rule: make sure it reads what we know is there
    assert any(i.importer == "lift" and i.imported == "lift.ocl.kernel" for i in imports)
    assert any(i.importer == "lift.dsl.ir" and i.imported == "lift.types.checker" and i.lazy for i in imports)


def test_solve_never_imports_ocl(imports: list[Import]) -> None:
    problems = solve_imports_ocl(imports)
    assert not problems, "\n".join(problems)


def test_rooms_import_only_their_layer_or_below(imports: list[Import]) -> None:
    problems = upward_imports(imports)
    assert not problems, "\n".join(problems)


def test_every_room_has_a_layer() -> None:
    rooms = {room_of(m) for m in modules_under(ROOT)}
    unplaced = sorted(r for r in rooms if layer_of(r) is None)
    assert not unplaced, f"rooms with no layer: {unplaced}; add each to LAYERS (tests/test_layering.py)"


def test_no_import_cycle_between_rooms(imports: list[Import]) -> None:
    problems = cycles_between_rooms(imports)
    assert not problems, "\n".join(problems)


# ---- the checker itself, on planted violations ---------------------------------------------------------------


def _tree(tmp_path: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


_CLEAN = {
    "lift/__init__.py": "from lift.ocl.views import View\n",
    "lift/errors.py": "",
    "lift/types/__init__.py": "",
    "lift/types/data.py": "from lift.errors import LiftError\n",
    "lift/dsl/__init__.py": "",
    "lift/dsl/ir.py": "from lift.types import data\n",
    "lift/solve/__init__.py": "",
    "lift/ocl/__init__.py": "",
    "lift/ocl/views.py": "from ..dsl.ir import Fun\nfrom lift.solve import model\n",
    "lift/solve/model.py": "import lift.types.data\n",
}


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    found = all_imports(_tree(tmp_path, _CLEAN))
    assert {(i.importer, i.imported) for i in found} == {
        ("lift", "lift.ocl.views"),
        ("lift.types.data", "lift.errors"),
        ("lift.dsl.ir", "lift.types.data"),
        ("lift.ocl.views", "lift.dsl.ir"),
        ("lift.ocl.views", "lift.solve.model"),
        ("lift.solve.model", "lift.types.data"),
    }
    assert solve_imports_ocl(found) == upward_imports(found) == cycles_between_rooms(found, {}) == []


def test_a_lazy_import_of_ocl_from_solve_is_found(tmp_path: Path) -> None:
    planted = {**_CLEAN, "lift/solve/model.py": "def f():\n    from lift.ocl.views import scalar_count\n"}
    found = all_imports(_tree(tmp_path, planted))
    (problem,) = solve_imports_ocl(found)
    assert "lift.solve.model (lift/solve/model.py:2) imports lift.ocl.views lazily" in problem
    assert "`from lift.ocl.views import scalar_count`" in problem and "solve never imports ocl" in problem
    (upward,) = upward_imports(found)
    assert "ocl (layer 5) sits above solve (layer 4)" in upward
    (cycle,) = cycles_between_rooms(found, {})
    assert "lift.ocl.views, lift.solve.model" in cycle and "rooms ocl, solve" in cycle


def test_an_upward_import_under_type_checking_is_found(tmp_path: Path) -> None:
    planted = {
        **_CLEAN,
        "lift/types/data.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lift import ocl\n",
    }
    (problem,) = upward_imports(all_imports(_tree(tmp_path, planted)))
    assert problem.startswith("lift.types.data (lift/types/data.py:3) imports lift.ocl at module level")
    assert "ocl (layer 5) sits above types (layer 2)" in problem


def test_a_room_with_no_layer_is_named(tmp_path: Path) -> None:
    planted = {**_CLEAN, "lift/extra/__init__.py": "from lift.errors import LiftError\n"}
    (problem,) = upward_imports(all_imports(_tree(tmp_path, planted)))
    assert "add 'extra' to LAYERS" in problem


def test_a_cycle_inside_one_layer_but_through_two_rooms_is_found(tmp_path: Path) -> None:
    planted = {**_CLEAN, "lift/types/data.py": "def f():\n    import lift.dsl.ir\n"}
    found = all_imports(_tree(tmp_path, planted))
    assert upward_imports(found) == []  # types and dsl share a layer: only the cycle rule sees it
    (cycle,) = cycles_between_rooms(found, {})
    assert "lift.dsl.ir, lift.types.data" in cycle and "lift.types.data (lift/types/data.py:2)" in cycle
    # allowed while lazy, refused once it runs at import time, and an allowance that is no longer needed is stale
    assert cycles_between_rooms(found, {("lift.types.data", "lift.dsl.ir"): "why"}) == []
    eager = all_imports(_tree(tmp_path, {**planted, "lift/types/data.py": "import lift.dsl.ir\n"}))
    (refused,) = cycles_between_rooms(eager, {("lift.types.data", "lift.dsl.ir"): "why"})
    assert "allowed to close a cycle only inside a function (why)" in refused
    (stale,) = cycles_between_rooms(all_imports(_tree(tmp_path, _CLEAN)), {("lift.types.data", "lift.dsl.ir"): "why"})
    assert "no longer imports lift.dsl.ir" in stale


def test_a_cycle_inside_one_room_is_allowed(tmp_path: Path) -> None:
    planted = {**_CLEAN, "lift/dsl/printer.py": "import lift.dsl.ir\n", "lift/dsl/ir.py": "from . import printer\n"}
    found = all_imports(_tree(tmp_path, planted))
    assert ("lift.dsl.ir", "lift.dsl.printer") in {(i.importer, i.imported) for i in found}
    assert cycles_between_rooms(found, {}) == []
