"""The documentation site: generated parts up to date, every page in English and Korean, every
scenario chart and property with its page, and `mkdocs build --strict` passing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import need

from tcpspec.checks.properties import CHECKED
from tcpspec.diagrams import derive
from tcpspec.diagrams import docs as gen

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GENERATED = DOCS / "generated"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _pages() -> list[Path]:
    """The hand-written English pages (page.md; the Korean one is page.ko.md)."""
    return sorted(
        p
        for p in DOCS.rglob("*.md")
        if GENERATED not in p.parents
        and "diagrams" not in p.parts
        and not p.name.endswith(".ko.md")
    )


def test_generated_fragments_are_fresh() -> None:
    want = gen.fragments()
    have = {p.name: p.read_text(encoding="utf-8") for p in GENERATED.glob("*.md")}
    assert sorted(have) == sorted(want), (
        "run `python -m tcpspec.diagrams` to regenerate docs/generated"
    )
    stale = [n for n in sorted(want) if have[n] != want[n]]
    assert not stale, f"out of date (run `python -m tcpspec.diagrams`): {stale}"


def test_every_page_is_in_english_and_korean() -> None:
    pages = _pages()
    assert len(pages) >= 1 + 1 + len(derive.CHARTS) + len(CHECKED)
    for en in pages:
        ko = en.with_name(en.name[:-3] + ".ko.md")
        assert ko.exists(), f"{ko.relative_to(ROOT)} is missing"
        text = ko.read_text(encoding="utf-8")
        prose = re.sub(r"```.*?```|--8<--.*|`[^`]*`|\(.*?\)", "", text, flags=re.S)
        letters = [c for c in prose if c.isalpha()]
        # Korean prose: most letters are Hangul (the rest are SYN, ACK, TIME-WAIT, ...)
        assert sum(bool(HANGUL.match(c)) for c in letters) > 0.4 * len(letters), ko


def test_every_chart_and_property_has_its_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for c in derive.CHARTS:
        for lang, suffix in (("en", ".md"), ("ko", ".ko.md")):
            page = DOCS / "scenarios" / f"{c.name}{suffix}"
            assert f'--8<-- "scenario-{c.name}-{lang}.md"' in page.read_text(encoding="utf-8")
        assert f"scenarios/{c.name}.md" in nav
    for p in CHECKED:
        for lang, suffix in (("en", ".md"), ("ko", ".ko.md")):
            page = DOCS / "properties" / f"{p.id}{suffix}"
            assert f'--8<-- "property-{p.id}-{lang}.md"' in page.read_text(encoding="utf-8")
        assert f"properties/{p.id}.md" in nav
    for en in _pages():  # and nothing hand-written is left out of the navigation
        assert str(en.relative_to(DOCS)) in nav, en


def test_chart_pages_show_what_the_chart_shows() -> None:
    # the generated part names every segment of the run and the guarding properties' mutants
    for c in derive.CHARTS:
        t = derive.chart_trace(c)
        text = (GENERATED / f"scenario-{c.name}-en.md").read_text(encoding="utf-8")
        assert f"diagrams/scenarios/{c.name}.svg" in text
        for step in t.steps:
            if step.label.sent is not None:
                assert step.label.sent.describe() in text
        for pid in c.guards:
            assert f"properties/{pid}.md" in text
            for m in gen._mutants_of(pid):
                assert f"mutants.md#{m}" in text


def test_docs_diagrams_link_points_at_the_diagrams() -> None:
    link = DOCS / "diagrams"
    assert link.is_symlink() and link.resolve() == (ROOT / "diagrams").resolve()


def test_site_builds_strict(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs") or str(Path(sys.executable).parent / "mkdocs")
    need(
        None
        if Path(mkdocs).exists()
        else "mkdocs is not installed: pip install -e '.[docs]' to build the site"
    )
    site = tmp_path / "site"
    r = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    for lang in ("", "ko/"):
        for page in (
            "index.html",
            "tutorial/index.html",
            "scenarios/handshake/index.html",
            "properties/handshake.three_messages/index.html",
            "mutants/index.html",
        ):
            assert (site / lang / page).exists(), lang + page
    assert "3-way 핸드셰이크" in (site / "ko/scenarios/handshake/index.html").read_text()
    for c in derive.CHARTS:
        assert (site / "diagrams" / "scenarios" / f"{c.name}.svg").exists()
