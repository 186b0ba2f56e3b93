"""The documentation site builds in strict mode, lists every page, and documents every exported name.

``scripts/test`` builds the site too; these tests say *what* is missing when it is not complete, and check
that a broken cross-reference in a docstring fails the strict build instead of vanishing.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the docs extra is not installed (scripts/setup installs it)")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = [sys.executable, "-m", "mkdocs"]
# Every public module and the API page that documents it.
API_PAGES = {
    "lift": "api/lift.md",
    "lift.dsl": "api/dsl.md",
    "lift.types": "api/types.md",
    "lift.solve": "api/solve.md",
    "lift.ocl": "api/ocl.md",
    "lift.rewrite": "api/rewrite.md",
    "lift.testing": "api/testing.md",
    "lift.tune": "api/tune.md",
    "lift.errors": "api/errors.md",
}


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _nav_pages(nav: object) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(_nav_pages(item) for item in nav))
    if isinstance(nav, dict):
        return set().union(*(_nav_pages(item) for item in nav.values()))
    return set()


def _config() -> dict[str, object]:
    # mkdocs.yml uses no custom YAML tags; safe_load reads it whole.
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def test_nav_lists_every_page() -> None:
    docs = ROOT / "docs"
    pages = {
        p.relative_to(docs).as_posix() for p in docs.rglob("*.md") if not p.relative_to(docs).parts[0].startswith("_")
    }
    nav = _nav_pages(_config()["nav"])
    assert pages - nav == set(), f"pages missing from mkdocs.yml's nav: {sorted(pages - nav)}"
    assert nav - pages == set(), f"mkdocs.yml's nav names pages that do not exist: {sorted(nav - pages)}"


def test_every_public_module_has_an_api_page() -> None:
    nav = _nav_pages(_config()["nav"])
    for module, page in API_PAGES.items():
        assert page in nav, f"{module} has no API page in mkdocs.yml's nav (expected {page})"
        assert f"::: {module}\n" in (ROOT / "docs" / page).read_text(), f"{page} does not render {module}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = _build(ROOT / "mkdocs.yml", out)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return out


def _anchors(site: Path, page: str) -> set[str]:
    html = (site / page.removesuffix(".md") / "index.html").read_text()
    return set(re.findall(r'id="([^"]+)"', html))


def _documented_under(module: str, name: str) -> set[str]:
    """The anchors an exported name may have: under its module, or under its defining path when it shadows a
    submodule of the same name (``lift.ocl.lower``, rendered as ``lift.ocl.lower.lower``)."""
    obj = getattr(importlib.import_module(module), name)
    anchors = {f"{module}.{name}"}
    if hasattr(obj, "__module__") and hasattr(obj, "__qualname__"):
        anchors.add(f"{obj.__module__}.{obj.__qualname__}")
    if isinstance(obj, type(sys)):
        anchors.add(obj.__name__)
    return anchors


def test_every_exported_name_is_documented(site: Path) -> None:
    missing = []
    for module, page in API_PAGES.items():
        anchors = _anchors(site, page)
        if module == "lift":  # submodules exported by lift have their own pages
            anchors |= set().union(*(_anchors(site, p) for p in API_PAGES.values()))
        missing += [
            f"{module}.{name}"
            for name in importlib.import_module(module).__all__
            if not _documented_under(module, name) & anchors
        ]
    assert not missing, f"exported but absent from the API reference (a docstring missing?): {missing}"


def test_roles_in_docstrings_become_links(site: Path) -> None:
    html = (site / "api" / "solve" / "index.html").read_text()
    assert not re.search(r":(class|func|mod|data|meth|attr):", html), "a Sphinx role was printed literally"
    assert 'href="#lift.solve.time_limits"' in html  # ``:func:`time_limits``` in lift.types.smt.limits


def _demo_project(tmp_path: Path, docstring: str) -> Path:
    """A one-module package documented with this repository's mkdocstrings settings and role extension."""
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text(
        f'__all__ = ["Thing", "use"]\n\n\nclass Thing:\n    """A thing."""\n\n\ndef use() -> None:\n    """{docstring}"""\n'
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("::: demo\n")
    extension = ROOT / "docs" / "_ext" / "sphinx_roles.py"
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        textwrap.dedent(f"""\
        site_name: demo
        plugins:
          - autorefs
          - mkdocstrings:
              handlers:
                python:
                  paths: [.]
                  options:
                    docstring_style: sphinx
                    filters: public
                    extensions:
                      - {extension}:SphinxRoles:
                          modules: [demo]
        """)
    )
    return config


def test_a_role_naming_an_exported_object_links_to_it(tmp_path: Path) -> None:
    result = _build(_demo_project(tmp_path, "Returns a :class:`Thing`."), tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert 'href="#demo.Thing"' in (tmp_path / "site" / "index.html").read_text()


def test_a_role_naming_nothing_fails_the_strict_build(tmp_path: Path) -> None:
    result = _build(_demo_project(tmp_path, "Returns a :class:`Thingy`."), tmp_path / "site")
    assert result.returncode != 0
    assert "Thingy" in result.stderr
