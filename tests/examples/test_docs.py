"""The user guide's code runs, and prints exactly what the guide shows after it."""

from pathlib import Path

import pytest
from doc_blocks import run

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(
    "doc", ["index.md", "getting-started.md", "types.md", "mappings.md", "opencl.md", "cli.md", "internals.md"]
)
def test_doc_blocks_print_what_they_show(doc: str, tmp_path: Path) -> None:
    path = DOCS / doc
    outcomes = run(path.read_text(), tmp_path)
    assert outcomes, f"{doc} has no python blocks"
    wrong = [o for o in outcomes if o.shown is not None and o.shown.body != o.printed]
    report = "\n\n".join(
        f"{doc}:{o.line}: the block prints\n{o.printed}but the document shows\n{o.shown.body}"
        for o in wrong
        if o.shown is not None
    )
    assert not wrong, report


def test_doc_blocks_detects_wrong_output(tmp_path: Path) -> None:
    text = "```python\nx = 2\nprint(x)\n```\n\n```text\n2\n```\n\n"
    text += "```python\nprint(x + 1)\n```\n```text\n4\n```\n"
    text += "```python\nprint('no text block')\n```\n"
    outcomes = run(text, tmp_path)
    assert [(o.printed, o.shown.body if o.shown else None) for o in outcomes] == [
        ("2\n", "2\n"),
        ("3\n", "4\n"),
        ("no text block\n", None),
    ]
