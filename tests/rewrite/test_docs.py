"""``docs/rewrite.md`` runs, and prints exactly what it shows after each block."""

from __future__ import annotations

from pathlib import Path

from tests.examples import doc_blocks

ROOT = Path(__file__).resolve().parents[2]


def test_rewrite_guide_prints_what_it_shows(tmp_path: Path) -> None:
    outcomes = doc_blocks.run((ROOT / "docs" / "rewrite.md").read_text(), tmp_path)
    assert len(outcomes) >= 10
    wrong = [o for o in outcomes if o.shown is not None and o.shown.body != o.printed]
    report = "\n\n".join(
        f"rewrite.md:{o.line}: the block prints\n{o.printed}but the document shows\n{o.shown.body}"
        for o in wrong
        if o.shown is not None
    )
    assert not wrong, report


def test_every_standard_rule_is_documented_with_its_equation() -> None:
    import lift.rewrite as rw
    from lift import size

    n, v, r, c = (size(name) for name in "nvrc")
    parametrised = [rw.split_join(n), rw.partial_reduce_split_join(n), rw.slide_tiling(v), rw.tile_2d(r, c)]
    plain = [rule for rule in rw.rules(factors=(2,), copies=True) if "(" not in rule.name]
    text = (ROOT / "docs" / "rewrite.md").read_text()
    for rule in plain + parametrised:
        assert f"| `{rule.name}` | `{rule.equation}` |" in text, rule.name
