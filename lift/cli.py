"""The command line: ``python -m lift …`` (also installed as ``lift``).

``lift examples``            run every example through the interpreter and check it against plain numpy
``lift types EXAMPLE``       print an example's program with the type of every stage
``lift run EXAMPLE [-s N=64]`` interpret one example on random inputs and check it
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from types import ModuleType

from lift.dsl.printer import pretty
from lift.errors import LiftError

__all__ = ["main"]


def _examples() -> ModuleType:
    """The repository's ``examples`` package (next to the ``lift`` package in a checkout)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "examples" / "__init__.py").exists():
        raise LiftError(f"no examples/ folder next to {Path(__file__).parent}; run from a checkout of lift-ir")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module("examples")


def _sizes(pairs: list[str]) -> dict[str, int] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not value.isdigit():
            raise LiftError(f"--size expects NAME=INT such as N=1024, found {pair!r}")
        out[name] = int(value)
    return out


def _run(name: str, sizes: dict[str, int] | None) -> None:
    examples = _examples()
    module = examples.load(name)
    used = {**module.sizes, **(sizes or {})}
    start = time.perf_counter()
    error = examples.check(name, sizes=used)
    elapsed = time.perf_counter() - start
    shown = ", ".join(f"{k}={v}" for k, v in used.items())
    print(f"{name:<10} {shown:<28} max relative error {error:.2e}   {elapsed * 1e3:8.1f} ms   ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lift", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("examples", help="run every example through the interpreter against numpy")
    p_types = sub.add_parser("types", help="print an example's program with its types")
    p_types.add_argument("example")
    p_run = sub.add_parser("run", help="interpret an example on random inputs and check it")
    p_run.add_argument("example")
    p_run.add_argument("-s", "--size", action="append", default=[], metavar="NAME=INT")
    args = parser.parse_args(argv)
    try:
        if args.command == "examples":
            for name in _examples().NAMES:
                _run(name, None)
        elif args.command == "types":
            print(pretty(_examples().load(args.example).program, types=True))
        elif args.command == "run":
            _run(args.example, _sizes(args.size))
    except (LiftError, ValueError) as err:  # examples.load reports an unknown name as ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
