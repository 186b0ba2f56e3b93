"""``python -m lift.examples [NAME ...] [--test-sizes]``: check examples against their numpy references.

With no names every example runs. By default each runs at its demo ``sizes`` and prints its program, types,
timings and error (as ``python -m lift.examples.NAME`` does); with ``--test-sizes`` each runs quickly at its
``test_sizes`` and prints one line. The exit status is 1 if any example's relative error exceeds 1e-4.
"""

import argparse
import sys

from lift.examples import NAMES, check, demo, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lift.examples", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"examples to run (default: all of {NAMES})")
    parser.add_argument("--test-sizes", action="store_true", help="small sizes, one line each")
    args = parser.parse_args(argv)
    failed = []
    for name in args.names or NAMES:
        if name not in NAMES:
            parser.error(f"unknown example {name!r}; the examples are: {', '.join(NAMES)}")
        if args.test_sizes:
            try:
                print(f"{name:10s} max relative error {check(name):.2e}")
            except AssertionError as err:
                print(f"{name:10s} FAILED: {err}")
                failed.append(name)
            continue
        print(f"== {name} ==")
        if demo(load(name).__name__, argv=[]) > 1e-4:
            failed.append(name)
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
