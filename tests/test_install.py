"""The command line from a non-editable installation, away from any checkout.

The package is built and installed with pip (``pip install --no-deps --target DIR``, the way a wheel lands in
site-packages) from a copy of the sources, then run with that directory first on ``sys.path`` from a temporary
working directory: the bundled examples must come from the installed package, and a user's file must load.
The checkout's ``.venv`` holds an editable install of the same package, so every run prints ``lift.__file__``
and the test checks it lies inside the installation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

USER_FILE = """
from lift import Array, f32, fun, size, userfun
from lift.dsl import map
from lift.dsl.ir import Expr

N = size("N")


@userfun
def halve(x: f32) -> f32:
    return x * 0.5


@fun
def halved(x: Array[f32, N]) -> Expr:
    return x >> map(halve)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a non-editable installation of the package (built from a copy of the sources, so
    the build leaves nothing in the checkout)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(REPO / "lift", source / "lift", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    target = tmp_path_factory.mktemp("site-packages")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 and "No matching distribution found for setuptools" in done.stderr:
        pytest.skip(f"pip cannot fetch the build backend here: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    return target


def _run(installed: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``argv`` run with the installation first on the path, from ``cwd`` (which holds no ``lift`` package)."""
    env = {**os.environ, "PYTHONPATH": str(installed), "PYTHONNOUSERSITE": "1"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _python(installed: Path, cwd: Path, code: str) -> str:
    done = _run(installed, cwd, sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_installed_package_is_the_one_imported(installed: Path, tmp_path: Path) -> None:
    out = _python(
        installed, tmp_path, "import lift, lift.examples; print(lift.__file__); print(lift.examples.__file__)"
    )
    package = installed / "lift"
    assert out.splitlines() == [str(package / "__init__.py"), str(package / "examples" / "__init__.py")]


def test_commands_on_a_user_file_and_a_bundled_example(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(USER_FILE)
    main = "import sys, lift; from lift.cli import main; print(lift.__file__); sys.exit(main(sys.argv[1:]))"

    def lift_cli(*argv: str) -> list[str]:
        done = _run(installed, tmp_path, sys.executable, "-c", main, *argv)
        assert done.returncode == 0, done.stderr
        first, *rest = done.stdout.splitlines()
        assert first == str(installed / "lift" / "__init__.py")  # the installed copy ran, not the checkout's
        return rest

    assert lift_cli("types", "mine.py:halved")[0] == "fun halved(x: [f32]N) -> [f32]N ="
    kernel = "\n".join(lift_cli("kernel", "mine.py:halved", "-s", "N=8"))
    assert "kernel void halved_kernel(" in kernel and "halve(" in kernel
    assert lift_cli("types", "matmul")[0].startswith("fun matmul(")


def test_python_dash_m_lift_and_the_console_script(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(USER_FILE)
    by_module = _run(installed, tmp_path, sys.executable, "-m", "lift", "types", "mine.py:halved")
    assert by_module.returncode == 0, by_module.stderr
    assert by_module.stdout.startswith("fun halved(")
    script = installed / "bin" / "lift"
    assert script.exists(), sorted(p.name for p in installed.iterdir())
    by_script = _run(installed, tmp_path, sys.executable, str(script), "types", "dot")
    assert by_script.returncode == 0, by_script.stderr
    assert by_script.stdout.startswith("fun dot(")
