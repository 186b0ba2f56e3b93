"""lift.dsl.traversal holds the IR's traversals; lift.dsl.ir re-exports them, and either module imports first."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lift.dsl.ir as ir
import lift.dsl.traversal as traversal


@pytest.mark.parametrize("name", traversal.__all__)
def test_ir_re_exports_every_traversal(name: str) -> None:
    # the very same function, so that `from lift.dsl.ir import walk` and the new module never disagree
    assert getattr(ir, name) is getattr(traversal, name)
    assert name in ir.__all__


@pytest.mark.parametrize("first", ["lift.dsl.traversal", "lift.dsl.ir"])
def test_either_module_can_be_imported_first(first: str) -> None:
    # ir imports traversal last and traversal imports ir's node classes: a fresh interpreter shows the cycle holds
    code = (
        f"import {first}\n"
        "from lift.dsl.ir import Map, walk\n"
        "from lift.dsl.traversal import computes\n"
        "from lift.dsl.prelude import square\n"
        "assert computes(Map(square)) and len(list(walk(Map(square)))) == 2\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
