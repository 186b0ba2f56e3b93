"""Make the repository's ``examples`` package (not installed with ``lift``) and ``doc_blocks`` importable."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (str(HERE.parents[1]), str(HERE)):
    if folder not in sys.path:
        sys.path.insert(0, folder)
