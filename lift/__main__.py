"""``python -m lift``: the command line."""

import sys

from lift.cli import main

sys.exit(main())
