"""Snapshot files: generated text compared with a reviewed copy stored beside the tests.

After an intended change, rewrite the snapshots with ``LIFT_UPDATE_SNAPSHOTS=1 pytest …`` and review the diff;
without that variable a missing or different snapshot fails.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["matches_snapshot"]


def matches_snapshot(text: str, path: Path) -> bool:
    """``text`` equals the snapshot stored at ``path`` (written there instead when ``LIFT_UPDATE_SNAPSHOTS`` is
    set)."""
    if os.environ.get("LIFT_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    assert path.exists(), f"no snapshot {path}; write it with LIFT_UPDATE_SNAPSHOTS=1 and review it"
    return path.read_text() == text + "\n"
