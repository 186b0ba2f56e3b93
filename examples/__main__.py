"""``python -m examples [NAME ...] [--test-sizes]``: the same as ``python -m lift.examples`` (see there)."""

import sys

from lift.examples.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
