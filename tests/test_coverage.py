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
