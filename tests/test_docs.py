"""The documentation site: generated parts up to date, every page in English and Korean, every
scenario chart and property with its page, and `mkdocs build --strict` passing."""

from __future__ import annotations

import functools
import html
import itertools
import json
import re
import shlex
from pathlib import Path

import pytest
from conftest import build_site

from tcpspec.checks.properties import CHECKED
from tcpspec.diagrams import derive
from tcpspec.diagrams import docs as gen
from tcpspec.spec.mutants import MUTANTS

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
        # (code, snippets, names; and mkdocstrings' `::: module.name` blocks: directives)
        prose = re.sub(r"^::: .*\n(?:    .*\n)*", "", text, flags=re.M)
        # fenced blocks first, then inline code (a parenthesis may sit inside it), then asides
        prose = re.sub(r"```.*?```", "", prose, flags=re.S)
        prose = re.sub(r"`[^`]*`", "", prose)
        prose = re.sub(r"--8<--.*|\(.*?\)", "", prose)
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
    site = build_site(tmp_path / "site")
    for lang in ("", "ko/"):
        for page in (
            "index.html",
            "tutorial.html",
            "scenarios/handshake.html",
            "scenarios/close-seeds.html",
            "properties/handshake.three_messages.html",
            "mutants.html",
        ):
            assert (site / lang / page).exists(), lang + page
    assert "3-way 핸드셰이크" in (site / "ko/scenarios/handshake.html").read_text()
    for c in derive.CHARTS:
        assert (site / "diagrams" / "scenarios" / f"{c.name}.svg").exists()
        assert (site / "diagrams" / "ko" / "scenarios" / f"{c.name}.svg").exists()
    # every scenario page offers "try it yourself": a precomputed explorer of its own run, or,
    # where the state graph is too big to precompute, the command that serves one
    charts = json.loads((site / "explore" / "charts.json").read_text())
    for page in sorted((ROOT / "docs" / "scenarios").glob("*.md")):
        name = page.name.split(".")[0]
        if name == "index":
            continue
        built = site / ("ko/" if page.name.endswith(".ko.md") else "") / "scenarios"
        html = (built / f"{name}.html").read_text()
        if name in charts:
            assert f"explore/{name}.html" in html, page
            assert (site / "explore" / f"{name}.html").exists()
            assert (site / "explore" / charts[name].split("#")[0]).exists()
        else:
            assert "tcpspec explore --scenario" in html, page


# -- one truth per trace: the documented commands print what the pages show -------------------


def _cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from tcpspec.cli import app

    r = CliRunner().invoke(app, list(args), env={"LANG": "C.UTF-8"})
    return r.exit_code, r.output


@functools.cache
def _trace_json(command: str) -> dict:  # type: ignore[type-arg]
    code, out = _cli(*shlex.split(command)[1:], "--format", "json")
    assert code == 1, (command, out)  # a counterexample: exit status 1
    return json.loads(out)  # type: ignore[no-any-return]


def _table(lines: list[str]) -> list[list[str]]:
    """The rows of the first step table in ``lines`` (cells unescaped)."""
    rows: list[list[str]] = []
    started = False
    for ln in (x.strip() for x in lines):
        if ln.startswith("| # |"):
            started = True
        elif started and ln.startswith("|") and not ln.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", ln)[1:-1]
            rows.append([html.unescape(c.strip().replace("\\|", "|")) for c in cells])
        elif started and rows and not ln.startswith("|"):
            break
    return rows


def _same_steps(command: str, rows: list[list[str]]) -> None:
    doc = _trace_json(command)
    assert len(rows) == 1 + doc["length"], (command, len(rows), doc["length"])
    assert rows[0][5:] == [doc["initial"]["client"], doc["initial"]["server"]], command
    for row, step in zip(rows[1:], doc["steps"], strict=True):
        want = [str(step[c]) for c in ("step", "actor", "event", "rule", "sends", "client")]
        assert row == [*want, step["server"]], (command, row, step)


REPRODUCE = re.compile(r"`(tcpspec trace [^`]+)`")


def test_mutant_pages_reproduce_commands_print_the_trace_shown() -> None:
    """Each mutant's "reproduce it" command, run, prints the steps its page shows, row by row
    (the bounds of the network the page's trace was found on included)."""
    text = (GENERATED / "mutants-en.md").read_text(encoding="utf-8")
    sections = text.split("\n## ")[1:]
    assert len(sections) == len(MUTANTS)
    for sec in sections:
        (command,) = REPRODUCE.findall(sec)
        _same_steps(command, _table(sec.splitlines()))
    # the tutorial's trace too, and its command is the one the tutorial shows
    block = (GENERATED / "tutorial-command-en.md").read_text(encoding="utf-8")
    command = " ".join(block.split("```bash\n")[1].split("```")[0].replace("\\\n", " ").split())
    assert command.startswith("tcpspec trace ")
    tut = (GENERATED / "tutorial-en.md").read_text(encoding="utf-8").splitlines()
    _same_steps(command, _table(tut))
    for lang, page in (("en", "tutorial.md"), ("ko", "tutorial.ko.md")):
        text = (DOCS / page).read_text(encoding="utf-8")
        for part in ("tutorial-command", "tutorial"):
            assert f'--8<-- "{part}-{lang}.md"' in text, (page, part)


def test_time_wait_page_commands_print_what_it_shows(tmp_path: Path) -> None:
    """ "Is 2*MSL enough?": each fact is printed by the command beside it: the proof (the
    formula), the grid (the least TIME-WAIT at each point) and the run where 2*MSL falls short."""
    text = (GENERATED / "time-wait-en.md").read_text(encoding="utf-8")
    prove, grid, trace = re.findall(r"\*\*Reproduce it:\*\* `([^`]+)`", text)
    (formula,) = re.findall(r"\n    (TIME-WAIT >= [^\n]+)\n", text)
    doc = tmp_path / "prove.json"
    code, out = _cli(*shlex.split(prove)[1:], "--json", str(doc))
    assert code == 0, out
    (v,) = json.loads(doc.read_text())["verdicts"]
    assert v["status"] == "proved-if" and v["condition"] == formula, v
    assert "one tick below the condition, violated at" in out
    code, out = _cli(*shlex.split(grid)[1:])
    assert code == 0, out
    shown = [ln.split(" | ")[:7] for ln in text.splitlines() if re.match(r"\| \d+ \|", ln)]
    printed = [re.split(r"\s*│\s*", ln.strip("│ "))[:7] for ln in out.splitlines()
               if re.match(r"│(\s*\d+\s*│){4}", ln)]  # fmt: skip
    assert len(shown) == 12 and [[c.strip("| ") for c in r] for r in shown] == printed
    _same_steps(trace, _table(text.splitlines()))
    for lang, page in (("en", "time-wait.md"), ("ko", "time-wait.ko.md")):
        assert f'--8<-- "time-wait-{lang}.md"' in (DOCS / page).read_text(encoding="utf-8")


def test_property_pages_reproduce_commands_give_the_steps_they_say() -> None:
    for p in CHECKED:
        text = (GENERATED / f"property-{p.id}-en.md").read_text(encoding="utf-8")
        for command, n in re.findall(r"`(tcpspec trace [^`]+)` \((\d+) steps\)", text):
            assert _trace_json(command)["length"] == int(n), command
        assert len(re.findall(r"`tcpspec trace", text)) == len(gen._mutants_of(p.id))


def test_scenario_pages_reproduce_commands_print_the_chart_shown() -> None:
    for c in derive.CHARTS:
        for lang in ("en", "ko"):
            text = (GENERATED / f"scenario-{c.name}-{lang}.md").read_text(encoding="utf-8")
            (command,) = re.findall(r"`(tcpspec chart [^`]+)`", text)
            code, out = _cli("--lang", lang, *shlex.split(command)[1:])
            assert code == 0, out
            block = text.split("```text\n", 1)[1].split("    ```", 1)[0]
            assert out == "".join(ln[4:] + "\n" for ln in block.splitlines()), (c.name, lang)


def test_readme_reading_of_a_counterexample_is_what_the_commands_print() -> None:
    readme = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    default = "tcpspec trace timewait.covers_fin_retransmit --mutant no-time-wait"
    calm = default + " --capacity 3 --no-loss --no-reorder --duplicates 0"
    assert f"`{default}` prints" in readme and f"\n{calm}\n" in readme
    steps = _trace_json(default)["steps"]
    assert "shortest counterexample has 10 steps" in readme and len(steps) == 10
    assert steps[7]["client"] == "CLOSED (normal)" and "fin.time_wait" in steps[7]["rule"]
    assert steps[8]["sends"] == "RST seq=102" and steps[8]["actor"] == "client"
    assert steps[9]["server"] == "CLOSED (reset)"
    steps = _trace_json(calm)["steps"]
    assert "prints 13 steps" in readme and len(steps) == 13
    assert steps[9]["actor"] == "clock" and "expired (lost): ACK" in steps[9]["event"]
    assert steps[10]["event"] == "retransmits FIN" and steps[11]["sends"] == "RST seq=102"
    assert steps[12]["server"] == "CLOSED (reset)"


def test_every_documented_trace_command_runs() -> None:
    """Every `tcpspec trace` command written in the README or a hand-written page prints a
    trace (the exact ones of the pages are compared above)."""
    seen = set()
    for path in [ROOT / "README.md", *DOCS.glob("*.md"), *DOCS.glob("*/*.md")]:
        if GENERATED in path.parents:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            for m in re.finditer(r"tcpspec trace [a-z_.]+ --mutant [a-z-]+[^`#\n]*", line):
                command = re.sub(r"\s+(--format|-o|--output)\b.*", "", m.group(0)).strip()
                command = command.rstrip("\\ :")
                seen.add(command)
    assert len(seen) >= 4, seen
    for command in sorted(seen):
        assert _trace_json(command)["steps"], command


# -- Korean, generated too -------------------------------------------------------------------


def test_korean_fragments_are_all_korean() -> None:
    """No generated Korean fragment holds an English catalogue message (the RFC's own words in
    the rules tables, and names, stay as the RFC writes them); the English ones hold many, so
    the check bites."""
    from tcpspec.messages import untranslated

    def pieces(text: str) -> list[str]:
        cells = [c.strip() for ln in text.splitlines() for c in re.split(r"(?<!\\)\|", ln)]
        return [*text.splitlines(), *cells]

    ko = sorted(GENERATED.glob("*-ko.md"))
    assert len(ko) == len(gen.fragments()) // 2
    glossed = 0
    for path in ko:
        text = path.read_text(encoding="utf-8")
        # the rules tables quote the RFC's text of each rule case (that stays English) beside
        # a Korean gloss
        lines = text.splitlines()
        rules: list[str] = []
        for k, ln in enumerate(lines):
            if ln.startswith("| 규칙 | RFC 9293 | 내용 (원문) | 우리말 풀이 |"):
                rules += [x for x in itertools.takewhile(bool, lines[k + 2 :])]
        for ln in rules:
            gloss = re.split(r"(?<!\\)\|", ln)[-2]
            assert HANGUL.search(gloss), (path.name, ln)
        glossed += len(rules)
        text = "\n".join(ln for ln in text.splitlines() if ln not in rules)
        found = untranslated(pieces(text))
        assert not found, (path.name, found[:3])
    assert glossed > 50  # every scenario page's rules table
    english = (GENERATED / "mutants-en.md").read_text(encoding="utf-8")
    assert len(untranslated(pieces(english))) > 20


def test_the_readme_is_a_front_door_whose_commands_print_what_it_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README (read in two minutes): the two commands of the quick start, and each example
    command, run: it prints what the README shows (the proof: the verdict it names)."""
    import shlex

    from typer.testing import CliRunner

    from tcpspec.cli import app

    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 160
    quick = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert [ln.split("#")[0].strip() for ln in quick.splitlines()] == ["make verify", "make test"]
    blocks = re.findall(r"```text\n\$ (tcpspec [^\n]*)\n(.*?)```", readme, re.S)
    assert len(blocks) == 3
    for command, shown in blocks:
        res = CliRunner().invoke(app, shlex.split(command)[1:])
        assert res.output == shown, command
    prove = re.search(r"`(tcpspec prove [^`]+)`", readme)
    assert prove is not None
    res = CliRunner().invoke(app, shlex.split(prove.group(1))[1:])
    assert res.exit_code == 0 and "proved for all depths" in res.output, res.output
    assert "│ induction │" in res.output
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).exists(), link
