"""Run the Python blocks of a Markdown document and compare what they print with the blocks that follow.

A fenced ``python`` block runs (all blocks of one document share one namespace, in order); when the next
fenced block is a ``text`` block with nothing but blank lines between them, it must equal what the Python
block printed. Each block runs from a file of its own called ``example.py`` (user functions need their source
in a file); paths to it are printed as plain ``example.py``.

``python tests/examples/doc_blocks.py docs/types.md`` rewrites those ``text`` blocks with the real output
(review the diff before keeping it).
"""

import contextlib
import io
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PATH = re.compile(r"[^\s'\"]*[/\\](example\.py)")


@dataclass(frozen=True)
class Block:
    """One fenced block: its language, its text, where the text and the whole fence start and end."""

    lang: str
    body: str
    start: int
    end: int
    line: int
    fence_start: int
    fence_end: int


@dataclass(frozen=True)
class Outcome:
    """A Python block's printed output, and the ``text`` block after it (``None`` when there is none)."""

    line: int
    printed: str
    shown: Block | None


def blocks(text: str) -> list[Block]:
    """Every fenced block of ``text``, in order."""
    found = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        found.append(Block(m.group(1), m.group(2), m.start(2), m.end(2), line, m.start(), m.end()))
    return found


def run(text: str, workdir: Path) -> list[Outcome]:
    """Run the Python blocks of ``text`` in order, in one namespace; what each printed."""
    found = blocks(text)
    namespace: dict[str, object] = {"__name__": "__doc_example__"}
    outcomes = []
    for i, block in enumerate(found):
        if block.lang != "python":
            continue
        folder = workdir / f"block{i}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "example.py"
        path.write_text(block.body)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block.body, str(path), "exec"), namespace)
        nxt = found[i + 1] if i + 1 < len(found) else None
        shown = None
        if nxt is not None and nxt.lang == "text" and not text[block.fence_end : nxt.fence_start].strip():
            shown = nxt
        outcomes.append(Outcome(block.line, PATH.sub(r"\1", out.getvalue()), shown))
    return outcomes


def fill(path: Path) -> None:
    """Rewrite the ``text`` blocks after Python blocks of the document at ``path`` with the real output."""
    text = path.read_text()
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run(text, Path(tmp))
    for outcome in reversed(outcomes):
        if outcome.shown is not None:
            text = text[: outcome.shown.start] + outcome.printed + text[outcome.shown.end :]
    path.write_text(text)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        fill(Path(arg))
