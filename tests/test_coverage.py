"""Rule coverage (`tcpspec coverage`, issue 19): every case of spec/ with the transitions that
fire it; a case that never fires is named, with a setting that reaches it where one does."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tcpspec.checks.coverage import coverage, tables
from tcpspec.cli import app
from tcpspec.spec.build import TCP
from tcpspec.spec.model import Bounds

runner = CliRunner()


def test_every_case_is_listed_once_with_its_rfc_section() -> None:
    rows = coverage(Bounds().resolved(), ("handshake",), look_further=False)
    assert [r.name for r in rows] == [c.name for c in TCP.all_cases()]
    assert len(tables()) == len({r.name for r in rows})
    by = {r.name: r for r in rows}
    assert by["listen.syn"].rfc == TCP.case("listen.syn").rfc
    # the handshake fires the handshake's cases, and no close
    assert by["listen.syn"].transitions > 0 and by["user.open_active"].transitions > 0
    assert by["fin.time_wait"].transitions == 0


def test_a_case_that_never_fires_is_reached_elsewhere_if_it_can_be() -> None:
    rows = {r.name: r for r in coverage(Bounds().resolved(), ("handshake",))}
    # TIME-WAIT is no part of the handshake: another scenario reaches it
    assert rows["fin.time_wait"].reached_by.startswith("scenario "), rows["fin.time_wait"]
    assert not rows["listen.syn"].reached_by  # it fired: nothing to look for


def test_the_command_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    args = ["coverage", "--scenario", "handshake", "--no-look-further", "--json", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    fired = [c for c in doc["cases"] if c["transitions"]]
    assert len(doc["cases"]) == len(list(TCP.all_cases()))
    assert doc["never_fired"] == [c["case"] for c in doc["cases"] if not c["transitions"]]
    last = r.output.strip().splitlines()[-1]
    assert last.startswith(f"{len(fired)} of {len(doc['cases'])} rule cases fired over 1 ")
    assert "never fired" in r.output
    ko = runner.invoke(app, [*args[:-2], "--lang", "ko"])  # --lang after the command name
    assert "규칙 사례" in ko.output.strip().splitlines()[-1], ko.output


def test_conform_coverage_counts_the_cases_the_checked_traces_fired() -> None:
    from tcpspec.checks.conformance import packetdrill

    folder = Path(__file__).parent / "fixtures" / "packetdrill"
    r = runner.invoke(app, ["conform", str(folder), "--coverage"])
    assert r.exit_code == 0, r.output
    fired: dict[str, int] = {}
    scripts = sorted(folder.glob("*.pkt"))
    for path in scripts:
        rep = packetdrill.check_script(packetdrill.read(path))
        for row in rep.rows:
            for case in row.cases:
                fired[case] = fired.get(case, 0) + 1
    total = len(list(TCP.all_cases()))
    last = r.output.strip().splitlines()[-1]
    assert last == (
        f"{len(fired)} of {total} rule cases fired in {len(scripts)} checked trace(s); "
        f"{total - len(fired)} never fired"
    ), last
    row = next(ln for ln in r.output.splitlines() if "│ listen.syn " in ln)
    assert f"│ {fired['listen.syn']} " in row


def test_the_coverage_pages_show_what_the_commands_print(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import re
    import shlex

    root = Path(__file__).parent.parent
    monkeypatch.chdir(root)
    for page in ("coverage.md", "coverage.ko.md"):
        text = (root / "docs" / page).read_text(encoding="utf-8")
        assert '--8<-- "coverage-' in text  # the generated table (`make diagrams`)
        ((command, shown),) = re.findall(r"\$ (tcpspec [^\n|]*)\| tail -1\n([^\n]*)\n", text)
        res = runner.invoke(app, shlex.split(command)[1:])
        assert res.output.strip().splitlines()[-1] == shown, page


def test_the_pages_command_for_out_of_order_text_shows_it_firing() -> None:
    import re
    import shlex

    text = (Path(__file__).parent.parent / "docs" / "coverage.md").read_text(encoding="utf-8")
    command = re.search(r"`(tcpspec coverage --scenario connect-close [^`]+)`", text)
    assert command is not None
    r = runner.invoke(app, shlex.split(" ".join(command.group(1).split()))[1:])
    row = next(ln for ln in r.output.splitlines() if "│ text.out_of_order " in ln)
    assert "never fired" not in row, row
