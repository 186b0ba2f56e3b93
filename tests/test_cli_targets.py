"""The command line on a user's own program: ``lift COMMAND path/to/file.py:NAME`` and ``module:NAME``.

Each command runs in-process on a file written into a temporary folder, and each way of naming a program
wrongly is one ``error: …`` line on stderr with exit status 2.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import lift
from lift.cli import main
from lift.errors import LiftValueError, MappingError
from lift.targets import load_target, parse_mapping, random_inputs
from tests.ocl.conftest import needs_pocl

PROGRAMS = """
from lift import Array, f32, fun, size, userfun
from lift.dsl import join, map, reduce
from lift.dsl.ir import Expr
from lift.dsl.prelude import add

N = size("N")
M = size("M")


@userfun
def twice(x: f32) -> f32:
    return x * 2.0


@fun
def doubled(x: Array[f32, N]) -> Expr:
    return x >> map(twice)


@fun
def row_sums(rows: Array[Array[f32, M], N]) -> Expr:
    return rows >> map(lambda r: r >> map(twice) >> reduce(add, 0.0)) >> join


not_a_program = 3
"""

DESCRIBED = """
import numpy as np
from lift import Array, f32, fun, size
from lift.dsl import map
from lift.dsl.ir import Expr
from helper import double_it  # a module next to this file

N = size("N")


@fun
def program(x: Array[f32, N]) -> Expr:
    return x >> map(double_it)


sizes = {"N": 48}


def reference(x):
    return OFFSET + x.astype(np.float64) * 2.0


OFFSET = 0.0
"""

HELPER = """
from lift import f32, userfun


@userfun
def double_it(x: f32) -> f32:
    return x + x
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def progs(tmp_path: Path) -> str:
    """The path of a file with two programs and nothing else describing them."""
    return str(_write(tmp_path, "progs.py", PROGRAMS))


@pytest.fixture
def described(tmp_path: Path) -> str:
    """The path of a file with one program, its sizes and a reference, importing a module next to it."""
    _write(tmp_path, "helper.py", HELPER)
    return str(_write(tmp_path, "described.py", DESCRIBED))


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The error line of a command that must fail with status 2 and no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


# ---- each command on a user's file ------------------------------------------------------------------------------


def test_types_of_a_user_program(progs: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["types", f"{progs}:row_sums"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fun row_sums(rows: [[f32]M]N) -> [f32]N =") and ">> join" in out


def test_run_interprets_random_inputs_at_given_sizes(progs: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", f"{progs}:row_sums", "-s", "N=5", "-s", "M=7"]) == 0
    out = capsys.readouterr().out
    assert "N=5, M=7" in out and "result shape (5,)" in out and "interpreted" in out


def test_run_uses_the_files_sizes_reference_and_sibling_imports(
    described: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", f"{described}:program"]) == 0
    assert "N=48" in (out := capsys.readouterr().out) and out.rstrip().endswith("ok")
    assert main(["run", f"{described}:program", "-s", "N=9"]) == 0
    assert "N=9" in capsys.readouterr().out


def test_run_reports_a_reference_that_disagrees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, "helper.py", HELPER)
    wrong = _write(tmp_path, "wrong.py", DESCRIBED.replace("OFFSET = 0.0", "OFFSET = 1.0"))
    assert "differs from the reference (max relative error" in _error(capsys, ["run", f"{wrong}:program"])


def test_a_failing_reference_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, "helper.py", HELPER)
    failing = _write(tmp_path, "failing.py", DESCRIBED.replace("OFFSET = 0.0", "OFFSET = None"))
    message = _error(capsys, ["run", f"{failing}:program"])
    line = DESCRIBED.splitlines().index("    return OFFSET + x.astype(np.float64) * 2.0") + 1
    assert f"reference(*arrays) failed at {failing}:{line}: TypeError" in message


def test_kernel_prints_writes_and_takes_a_mapping(
    progs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kernel", f"{progs}:doubled", "-s", "N=1024"]) == 0
    assert "kernel void doubled_kernel(" in capsys.readouterr().out
    out_file = tmp_path / "kernel.cl"
    argv = ["kernel", f"{progs}:row_sums", "-s", "N=64", "--mapping", "map0=glb0,map1=seq", "--out", str(out_file)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"to {out_file}" in out and "map0=glb0" in out and "map1=seq" in out and "kernel void" not in out
    assert "kernel void row_sums_kernel(" in out_file.read_text()


def test_kernel_without_sizes_stays_symbolic(progs: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kernel", f"{progs}:doubled"]) == 0
    assert "long N" in capsys.readouterr().out


@needs_pocl
def test_kernel_run_checks_against_the_interpreter_or_the_reference(
    progs: str, described: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kernel", f"{progs}:row_sums", "--run", "--device", "pocl", "-s", "N=16", "-s", "M=8"]) == 0
    assert "max relative error against the interpreter" in capsys.readouterr().out
    assert main(["kernel", f"{described}:program", "--run", "--device", "pocl"]) == 0
    assert "N=48" in (out := capsys.readouterr().out) and "against the reference" in out


def test_mappings_count_list_and_explain(progs: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = f"{progs}:row_sums"
    assert main(["mappings", target, "--count", "-s", "N=64", "-s", "M=8"]) == 0
    assert "valid mappings" in capsys.readouterr().out
    assert main(["mappings", target, "--list", "2", "-s", "N=64", "-s", "M=8"]) == 0
    assert capsys.readouterr().out.count("map0=") == 2  # one valid mapping a line
    assert main(["mappings", target, "--explain", "map0=glb0,map1=glb0"]) == 0
    assert "impossible" in capsys.readouterr().out


def test_a_module_target_is_imported_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "user_pkg_for_cli_test"
    package.mkdir()
    _write(package, "__init__.py", "")
    _write(package, "progs.py", PROGRAMS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # monkeypatch restores sys.path and drops what was imported
    assert main(["types", "user_pkg_for_cli_test.progs:doubled"]) == 0
    assert capsys.readouterr().out.startswith("fun doubled(")


def test_the_bundled_examples_by_name_and_by_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["types", "dot"]) == 0
    by_name = capsys.readouterr().out
    assert main(["types", str(Path(lift.__file__).parent / "examples" / "dot.py") + ":dot"]) == 0
    assert capsys.readouterr().out == by_name


# ---- what describes a program --------------------------------------------------------------------------------


def test_module_conventions_describe_only_the_program_they_belong_to(tmp_path: Path) -> None:
    _write(tmp_path, "helper.py", HELPER)
    both = _write(tmp_path, "both.py", DESCRIBED + PROGRAMS.replace("N = size", "N2 = size"))
    described = load_target(f"{both}:program")
    assert described.sizes == {"N": 48} and described.reference is not None
    other = load_target(f"{both}:doubled")  # the reference is program's, not this one's
    assert other.sizes == {} and other.reference is None and other.inputs is None


def test_a_wrongly_typed_convention_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "helper.py", HELPER)
    bad = _write(tmp_path, "bad_sizes.py", DESCRIBED.replace('sizes = {"N": 48}', 'sizes = {"N": "48"}'))
    with pytest.raises(lift.LiftTypeError, match=r"sizes in .*bad_sizes.py must be a dict from size names to ints"):
        load_target(f"{bad}:program")


def test_random_inputs_follow_the_parameter_types(tmp_path: Path) -> None:
    source = """
        from lift import Array, Tuple, fun, i32, size, userfun
        from lift.dsl import map

        N = size("N")


        @userfun
        def plus(a: i32, b: i32) -> i32:
            return a + b


        @fun
        def pairs(xs: Array[Tuple[i32, i32], N]):
            return xs >> map(plus)
    """
    pairs = load_target(f"{_write(tmp_path, 'pairs.py', source)}:pairs").program
    (left, right), *rest = random_inputs(pairs, {"N": 50}, np.random.default_rng(0))
    assert rest == [] and left.dtype == np.int32 and right.shape == (50,)
    assert left.min() >= -8 and left.max() <= 8 and len(set(left.tolist())) > 1


def test_parse_mapping_levels_and_spaces() -> None:
    assert parse_mapping("map0=glb0, map1=seq,space:map1=local") == lift.Mapping(
        {"map0": "glb0", "map1": "seq"}, {"map1": "local"}
    )
    with pytest.raises(MappingError, match="unknown level 'glb9'"):
        parse_mapping("map0=glb9")
    with pytest.raises(LiftValueError, match="map0 is given twice"):
        parse_mapping("map0=glb0,map0=seq")


# ---- errors: one line, naming what is missing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["types", "{progs}:missing"], "has no 'missing'; the programs it defines: doubled, row_sums"),
        (["types", "{progs}:twice"], "twice in {progs} is a UserFun, not a program made with @fun"),
        (["types", "{progs}:not_a_program"], "not_a_program in {progs} is a int, not a program"),
        (["types", "{progs}"], "name the program to use after a colon, {progs}:NAME; the programs it defines"),
        (["types", "{progs}:1x"], "after the colon comes the program's name"),
        (["types", "{tmp}/absent.py:prog"], "absent.py does not exist"),
        (["types", "{tmp}:prog"], "is a folder, not a file"),
        (["types", "no_such_module_anywhere:prog"], "no module named 'no_such_module_anywhere'"),
        (["types", "not-a-name"], "unknown example 'not-a-name'; the examples are: dot,"),
        (["run", "{progs}:doubled"], "needs a value for the size N: pass -s N=INT"),
        (["run", "{progs}:doubled", "-s", "Q=3"], "has no size Q; its sizes are N"),
        (["kernel", "{progs}:doubled", "--mapping", "map0"], "--mapping expects LABEL=CHOICE entries"),
        (["kernel", "{progs}:doubled", "--mapping", "map0=glb7"], "unknown level 'glb7'"),
        (
            ["kernel", "{progs}:doubled", "--out", "{tmp}/no/such/dir/k.cl"],
            "--out {tmp}/no/such/dir/k.cl: cannot write",
        ),
        (["mappings", "{progs}:row_sums", "--explain", "map0"], "--explain expects LABEL=CHOICE"),
    ],
)
def test_mistakes_are_one_error_line(
    argv: list[str], message: str, progs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def fill(text: str) -> str:
        return text.replace("{progs}", progs).replace("{tmp}", str(tmp_path))

    assert fill(message) in _error(capsys, [fill(a) for a in argv])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from lift import fun\nx = (\n", "syntax error at {file}:2: '(' was never closed"),
        ("import os\nimport no_such_dependency_here\n", "failed at {file}:2: ModuleNotFoundError"),
        ("x = 1\nraise RuntimeError('broken on purpose')\n", "failed at {file}:2: RuntimeError: broken on purpose"),
    ],
)
def test_a_file_that_fails_to_load_names_its_line(
    source: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "broken.py", source)
    assert message.replace("{file}", str(path)) in _error(capsys, ["types", f"{path}:prog"])


def test_a_program_that_does_not_type_check_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ill_typed = (
        PROGRAMS
        + """

@fun
def one_argument_add(x: Array[f32, N]) -> Expr:
    return x >> map(add)
"""
    )
    path = _write(tmp_path, "ill_typed.py", ill_typed)
    message = _error(capsys, ["types", f"{path}:one_argument_add"])
    assert f"{path}:one_argument_add: one_argument_add does not type-check: user function add" in message
