"""User programs written as the docs teach type-check under mypy, with no errors and no ``# type: ignore``.

lift's types are values (``Array[f32, N]`` with symbolic and literal sizes), which no Python type system can
express; ``lift.types.data.DslAnnotation`` declares them ``Any`` to a type checker, which makes them valid
annotations. These tests run mypy the way a user's project would: lift is analysed but only the user's files
are reported (``follow_imports = silent``, as for an installed library).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(str(p) for p in (ROOT / "lift" / "examples").glob("*.py"))

USER_PROGRAM = '''\
"""A user's file: user functions, programs, pipelines, lambdas, tuples, low-level maps and a compile."""

import numpy as np

import lift
from lift import Array, Tuple, f32, fun, i32, size, userfun
from lift.dsl import join, map, map_glb, map_seq, pad, reduce, slide, split, to_local, transpose, zip
from lift.dsl.ir import Expr
from lift.dsl.prelude import add, mult

N = size("N")
M = size("M")


@userfun
def axpy(a: f32, x: f32, y: f32) -> f32:
    return a * x + y


@userfun
def clip(x: f32) -> f32:
    return 1.0 if x > 1.0 else x


@userfun
def first(p: Tuple[f32, i32]) -> f32:
    return p[0]


@fun
def dot(x: Array[f32, N], y: Array[f32, N]) -> Expr:
    return zip(x, y) >> map(mult) >> reduce(add, 0.0)


@fun
def gemv(a: Array[Array[f32, N], M], x: Array[f32, N]):
    return a >> map(lambda row: zip(row, x) >> map(mult) >> reduce(add, 0.0)) >> join


@fun
def blur(x: Array[f32, N], w: Array[f32, 3]):
    return x >> pad(1, 1, "clamp") >> slide(3, 1) >> map(lambda win: zip(win, w) >> map(mult) >> reduce(add, 0.0))


@fun
def tiled(x: Array[f32, N]):
    return x >> split(16) >> map_glb(lambda c: c >> to_local(map_seq(clip)) >> map_seq(clip)) >> join


@fun
def corner(a: Array[Array[f32, 4], 4]):
    return a >> transpose >> map(map(clip))


square_then_sum = map(lambda v: mult(v, v)) >> reduce(add, 0.0)
x = np.arange(8, dtype=np.float32)
total: np.ndarray = lift.interpret(dot, x, x)
print(dot, repr(dot), dot.type.result, square_then_sum)
mapping = lift.Mapping({"map0": "glb0", "map1": "seq"})
print(mapping, lift.mappings(gemv, sizes={"N": 8, "M": 4}).count())
'''


def run_mypy(files: list[str], cache: Path) -> tuple[str, int]:
    """mypy's report and exit status on ``files`` (the project's strictness; lift itself analysed silently)."""
    config = cache / "mypy.ini"
    config.write_text(
        "[mypy]\npython_version = 3.11\ncheck_untyped_defs = True\nwarn_unused_ignores = True\n"
        "ignore_missing_imports = True\nfollow_imports = silent\n"
    )
    out, err, status = mypy_api.run(
        ["--config-file", str(config), "--cache-dir", str(cache / ".mypy_cache"), "--no-error-summary", *files]
    )
    return out + err, status


@pytest.fixture(scope="module")
def mypy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module's mypy runs, so that lift is analysed once."""
    return tmp_path_factory.mktemp("mypy")


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_examples_and_a_user_program_type_check(mypy_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # lift is found from the checkout, as a user's editable install finds it
    user = write(mypy_dir, "user_program.py", USER_PROGRAM)
    assert "# type: ignore" not in USER_PROGRAM and all("type: ignore" not in Path(f).read_text() for f in EXAMPLES)
    report, status = run_mypy([*EXAMPLES, user], mypy_dir)
    assert (report, status) == ("", 0)


def test_mypy_still_reports_real_mistakes_in_a_user_program(mypy_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not vacuous: lift's API is typed, only the DSL's annotations are ``Any``."""
    monkeypatch.chdir(ROOT)
    wrong = USER_PROGRAM + 'map(3)\nprint(dot.no_such_attribute)\nmapping.levels["map0"] = "seq"\n'
    report, status = run_mypy([write(mypy_dir, "wrong_program.py", wrong)], mypy_dir)
    errors = [line.split(" error: ", 1)[-1] for line in report.splitlines()]
    assert status == 1
    expected = [
        ('Argument 1 to "map" has incompatible type "int"', "[arg-type]"),
        ('"Fun" has no attribute "no_such_attribute"', "[attr-defined]"),
        ("Unsupported target for indexed assignment", "[index]"),
    ]
    assert len(errors) == len(expected), report
    assert all(words in error and code in error for error, (words, code) in zip(errors, expected)), report
