"""A user's own properties, mutants and scenarios (`--load FILE.py`, `tcpspec.api`): checked by
every engine like the built-in ones, and a broken file is one clear message (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import need
from typer.testing import CliRunner

from tcpspec import api
from tcpspec.checks.loading import LOADED, LoadError
from tcpspec.checks.spin.run import missing
from tcpspec.cli import app

runner = CliRunner()

HEAD = """from dataclasses import replace
from tcpspec.api import (Implies, In, Mutant, Property, Scenario, State as S, client,
                         forall_sides, replace_case, server)
"""

#: holds: an application is given data only once its side has seen its SYN acknowledged
HOLDS = (
    HEAD
    + """

def no_early_data(m, w):
    return forall_sides(lambda i: Implies(w.eps[i].rcvd > 0, w.eps[i].rcvd_ack_of_syn))


def data_on_both_sides(m, w):
    return forall_sides(lambda i: w.eps[i].rcvd > 0)


PROPERTIES = [
    Property("mine.no_early_data", "invariant", "No data before the SYN is acknowledged.",
             "RFC 9293 3.10.7.3", no_early_data, witness="mine.data_on_both_sides"),
    Property("mine.data_on_both_sides", "reachable", "Both applications are given data.",
             "RFC 9293 3.10.7.4", data_on_both_sides),
]
SCENARIOS = [
    Scenario("mine.one-unit", "Both send one unit and close.", client(active=True),
             server(passive=True)),
]
"""
)

#: violated: TIME-WAIT is reached in every close that goes well
VIOLATED = (
    HEAD
    + """
PROPERTIES = [
    Property("mine.never_time_wait", "invariant", "No side is ever in TIME-WAIT.", "-",
             lambda m, w: forall_sides(lambda i: w.eps[i].st != S.TIME_WAIT)),
]
"""
)

#: a mutant that changes nothing the property can see: it escapes
ESCAPES = (
    HEAD
    + """
MUTANTS = [
    Mutant("mine.same-listen", "listen.syn, replaced by itself.", "handshake.three_messages",
           "handshake", replace_case("listen.syn", lambda c: c)),
]
"""
)


def _file(tmp_path: Path, text: str, name: str = "mine.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_loaded_property_that_holds_is_checked_by_every_engine(tmp_path: Path) -> None:
    path, out = _file(tmp_path, HOLDS), tmp_path / "r.json"
    args = ["verify", "--load", path, "--scenario", "mine.one-unit", "--json", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    (mine,) = [p for p in json.loads(out.read_text())["properties"] if p["id"].startswith("mine")]
    assert mine["holds"] and mine["witness_found"] and mine["engines_agree"]
    assert mine["z3"]["status"] == "proved"
    assert not LOADED and "mine.no_early_data" not in api.PROPERTIES  # unloaded at the end


def test_spin_checks_a_loaded_property(tmp_path: Path) -> None:
    need(missing())
    path, out = _file(tmp_path, HOLDS), tmp_path / "spin.json"
    args = ["verify", "--engine", "spin", "--scenario", "close", "--json", str(out), "--load", path]
    r = runner.invoke(app, args)  # --load after the command name
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["properties"]["mine.no_early_data"] == []
    bad = tmp_path / "bad.json"
    path = _file(tmp_path, VIOLATED, "bad.py")
    args = ["verify", "--engine", "spin", "--scenario", "close", "--json", str(bad), "--load", path]
    r = runner.invoke(app, args)
    assert r.exit_code == 1, r.output
    assert json.loads(bad.read_text())["properties"]["mine.never_time_wait"] == ["close"]


def test_a_violated_loaded_property_is_found_shortest(tmp_path: Path) -> None:
    path, out = _file(tmp_path, VIOLATED), tmp_path / "r.json"
    r = runner.invoke(
        app, ["--load", path, "verify", "--scenario", "close", "--json", str(out), "--depth", "8"]
    )
    assert r.exit_code == 1, r.output
    (mine,) = [p for p in json.loads(out.read_text())["properties"] if p["id"].startswith("mine")]
    assert not mine["holds"] and mine["engines_agree"], mine
    explicit = mine["counterexample"]["steps"]
    z3 = mine["z3"]["scenarios"]["close"]
    # breadth first and depth by depth: both find a shortest counterexample, the same length
    assert z3["status"] == "violated" and z3["depth"] == len(explicit)


def test_an_escaping_loaded_mutant_is_reported(tmp_path: Path) -> None:
    r = runner.invoke(app, ["mutants", "mine.same-listen", "--load", _file(tmp_path, ESCAPES)])
    assert r.exit_code == 1, r.output
    assert "NOT CAUGHT" in r.output, r.output


def test_the_api_loads_a_file_and_explores(tmp_path: Path) -> None:
    with api.loaded(_file(tmp_path, VIOLATED)) as done:
        assert done[0].properties == ["mine.never_time_wait"]
        ex = api.explore(api.make_model("close", api.Bounds(data=0)))
        t = api.trace_to(ex, "mine.never_time_wait")
        assert t is not None
        assert api.State.TIME_WAIT in {e.st for e in t.steps[-1].world.eps}
    assert "mine.never_time_wait" not in api.PROPERTIES


BROKEN = [
    ("PROPERTIES = [\n  Property(\n", 2, "syntax error: '(' was never closed"),
    (HEAD + "PROPERTIES = [Property('x.y', 'invariant', 's', 'r', lambda m: True)]\n", 4,
     "takes (m, w), this one takes 1"),
    (HEAD + "PROPERTIES = [Property('x.y', 'invariant', 's', 'r',\n"
     "    lambda m, w: w.eps[0].rcvd > 0 and w.eps[1].rcvd > 0)]\n", 5,
     "cannot be encoded for Z3"),
    (HEAD + "PROPERTIES = [Property('handshake.three_messages', 'invariant', 's', 'r',\n"
     "    lambda m, w: True)]\n", 4, "already exists"),
    (HEAD + "PROPERTIES = [Property('x.y', 'invariant', 's', 'r', lambda m, w: True,\n"
     "    witness='x.nowhere')]\n", 4, "no witness property 'x.nowhere'"),
    (HEAD + "PROPERTIES = [1]\n", None, "PROPERTIES[0] is a int, not a Property"),
    (HEAD + "PROPERTIES = [Property('x.y', 'invariant', 's', 'r',\n"
     "    lambda m, w: w.eps[0].nothing)]\n", 5, "AttributeError"),
    (HEAD + "1 / 0\n", 4, "ZeroDivisionError"),
    ("x = 1\n", None, "defines none of PROPERTIES, MUTANTS, SCENARIOS"),
    (HEAD + "MUTANTS = [Mutant('m', 's', 'no.such', 'close', replace_case('listen.syn', None))]\n",
     4, "breaks no known property"),
    (HEAD + "PROPERTIES = [Property('m.[/]x', 'invariant', 's', 'r', lambda m, w: True)]\n", 4,
     "may hold only letters, digits"),
    (HEAD + "PROPERTIES = [Property('x.y', ['invariant'], 's', 'r', lambda m, w: True)]\n", None,
     "kind must be text"),
    (HEAD + "SCENARIOS = [Scenario('s.b', 't', client(active=True, closes='no'), server())]\n",
     4, "client's closes must be bool"),
    (HEAD + "MUTANTS = [Mutant('m.z', 's', 'handshake.three_messages', 'handshake',\n"
     "    replace_case('listen.syn', lambda c: replace(c, when=lambda x: x.seg.syn and 1)))]\n",
     5, "cannot be encoded for Z3"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "what"), BROKEN)
def test_a_broken_file_is_one_clear_message(
    tmp_path: Path, text: str, line: int | None, what: str
) -> None:
    path = _file(tmp_path, text)
    r = runner.invoke(app, ["list", "--load", path])
    assert r.exit_code == 2, r.output
    (msg,) = r.output.strip().splitlines()
    where = f"{path}:{line}:" if line else f"{path}:"
    assert msg.startswith(f"tcpspec: error: {where}") and what in msg, msg
    assert "Traceback" not in r.output
    with pytest.raises(LoadError):
        api.load(path)
    assert not LOADED


def test_a_missing_file_and_a_scheduler_get_clear_errors(tmp_path: Path) -> None:
    r = runner.invoke(app, ["list", "--load", str(tmp_path / "none.py")])
    assert r.exit_code == 2 and "cannot read it" in r.output
    args = ["verify", "--load", _file(tmp_path, HOLDS), "--scheduler", "tcp://127.0.0.1:1"]
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "not sent to a Dask cluster" in r.output, r.output


@pytest.mark.parametrize("page", ["own-properties.md", "own-properties.ko.md"])
def test_the_tutorial_page_shows_what_its_commands_print(
    page: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The site's tutorial, in both languages, run from its first line to the printed trace:
    each `$ tcpspec ...` block prints what the page shows (or, shown without output, ends
    well with the row the page describes), and the Python example prints what it says."""
    import re
    import shlex

    root = Path(__file__).parent.parent
    monkeypatch.chdir(root)
    text = (root / "docs" / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```text\n\$ (tcpspec [^\n]*)\n(.*?)```", text, re.S)
    assert len(blocks) == 4, page
    for command, shown in blocks:
        res = runner.invoke(app, shlex.split(command)[1:])
        assert "Traceback" not in res.output
        if shown:
            assert res.output == shown, (page, command)
        else:  # `verify`: its figures change with the machine; the row the page names
            assert res.exit_code == 0, res.output
            row = re.search(r"`(mine\.fin_after_all_data │[^`]*)`", text)
            assert row is not None
            flat = [" ".join(line.split()) for line in res.output.splitlines()]
            assert any(" ".join(row.group(1).split()) in line for line in flat), res.output
    (code,) = re.findall(r"```python\n(from tcpspec.api import explore.*?)```", text, re.S)
    capsys.readouterr()
    try:
        exec(compile(code, page, "exec"), {})
    finally:
        for done in list(LOADED):
            api.unload(done)
    assert capsys.readouterr().out == "7\n"
    assert "prints `7`" in text or "`7`을 출력합니다" in text


def test_the_explorer_serves_loaded_properties_and_mutants(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from tcpspec.explorer.server import create_app

    with api.loaded(Path(__file__).parent.parent / "docs" / "examples" / "mine.py"):
        client = TestClient(create_app("connect-close", api.Bounds(), max_path=60))
        doc = client.get("/api/info").json()
        assert "mine.fin_after_all_data" in json.dumps(doc)
        assert "mine.fin-ahead-of-data" in json.dumps(doc)
        q = {"mutant": "mine.fin-ahead-of-data", "property": "mine.fin_after_all_data"}
        r = client.get("/api/jump", params=q)
        assert r.status_code == 200, r.text
        assert len(r.json()["path"]) == 7  # the shortest counterexample, as the engines find it


def test_a_file_imports_its_neighbours_as_python_would(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("LIMIT = 0\n")
    path = _file(tmp_path, HEAD + "import helpers\n" + VIOLATED.split(HEAD, 1)[1])
    with api.loaded(path) as done:
        assert done[0].properties == ["mine.never_time_wait"]
    import sys

    assert str(tmp_path) not in sys.path  # the import path is left as it was
