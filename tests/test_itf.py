"""Traces in the Informal Trace Format (ITF, Apalache's ADR-015; issue 19): written by `tcpspec
trace --format itf`, read back by `tcpspec replay`, and the same run either way."""

from __future__ import annotations

import json
from pathlib import Path

import itf_py
import pytest
from typer.testing import CliRunner

from tcpspec.checks import itf
from tcpspec.checks.explicit.search import explore
from tcpspec.checks.properties import PROPERTIES
from tcpspec.cli import app
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds

runner = CliRunner()

#: (property, scenario, mutant): a safety counterexample, a witness, a lasso (liveness)
RUNS = [
    ("timewait.covers_fin_retransmit", "close", "no-time-wait"),
    ("handshake.both_established", "handshake", None),
    ("liveness.handshake_resolves", "handshake", "no-syn-retransmit"),
]


def _trace(pid: str, scenario: str, mutant: str | None):  # type: ignore[no-untyped-def]
    m = make_model(scenario, Bounds(), mutant)
    p = PROPERTIES[pid]
    checked = [q for q in PROPERTIES.values() if q.witness == pid] if p.kind == "reachable" else [p]
    ex = explore(m, tuple(checked), stop_at=(pid,) if p.kind != "liveness" else ())
    t = ex.verdicts[pid].trace
    assert t is not None
    return m, t


@pytest.mark.parametrize(("pid", "scenario", "mutant"), RUNS)
def test_an_itf_trace_read_back_and_replayed_is_the_same_run(
    pid: str, scenario: str, mutant: str | None
) -> None:
    _, t = _trace(pid, scenario, mutant)
    text = json.dumps(itf.to_itf(t, scenario, Bounds(), mutant))
    doc = json.loads(text)
    # it is ITF as itf-py (the Apalache/Quint library) reads it, with every variable
    parsed = itf_py.trace_from_json(doc)
    assert parsed.vars == list(itf.VARS) and len(parsed.states) == len(t) + 1
    assert all(set(s.values) == set(itf.VARS) for s in parsed.states)
    meta, worlds, loop = itf.from_itf(doc)
    again = itf.replay(itf.model_of(meta), worlds, loop, pid)
    assert again.worlds() == t.worlds()
    assert [s.label for s in again.steps] == [s.label for s in t.steps]
    assert again.loop_start == t.loop_start
    if PROPERTIES[pid].kind == "liveness":
        assert doc["loop"] is not None


def test_a_corrupted_state_is_not_a_run(tmp_path: Path) -> None:
    m, t = _trace(*RUNS[0])
    doc = itf.to_itf(t, "close", Bounds(), "no-time-wait")
    doc["states"][3]["client"]["rcv_nxt"] = {"#bigint": "999"}
    with pytest.raises(itf.ItfError, match="state 3 does not follow from state 2"):
        itf.replay(m, itf.from_itf(doc)[1])


def test_trace_and_replay_commands_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "t.itf.json"
    args = ["trace", "timewait.covers_fin_retransmit", "--mutant", "no-time-wait"]
    r = runner.invoke(app, [*args, "--format", "itf", "-o", str(out)])
    assert r.exit_code == 1, r.output  # a counterexample: the property is violated
    first = out.read_bytes()
    runner.invoke(app, [*args, "--format", "itf", "-o", str(out)])
    assert out.read_bytes() == first  # deterministic
    r = runner.invoke(app, ["replay", str(out)])
    assert r.exit_code == 0, r.output
    assert "closed.reset" in r.output
    doc = json.loads(first)
    doc["states"] = doc["states"][:2] + doc["states"][3:]  # a step left out
    out.write_text(json.dumps(doc))
    r = runner.invoke(app, ["replay", str(out)])
    assert r.exit_code == 1 and "state 2 does not follow from state 1" in r.output, r.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not an ITF trace"),
        ('{"vars": [], "states": [{"x": 1}]}', "not an ITF trace of tcpspec's variables"),
        ('{"vars": [], "states": []}', "no state"),
    ],
)
def test_replay_of_bad_input_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    r = runner.invoke(app, ["replay", str(path)])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, r.output


def test_verify_json_offers_each_counterexample_as_itf(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    args = ["verify", "--scenario", "close", "--mutant", "no-time-wait", "--engine", "explicit"]
    r = runner.invoke(app, [*args, "--json", str(out)])
    assert r.exit_code == 1, r.output
    (bad,) = [p for p in json.loads(out.read_text())["properties"] if not p["holds"]]
    meta, worlds, loop = itf.from_itf(bad["itf"])
    run = itf.replay(itf.model_of(meta), worlds, loop)
    assert len(run) == len(bad["counterexample"]["steps"])


def test_a_lasso_must_loop_back_by_a_move_of_the_model() -> None:
    _, t = _trace(*RUNS[2])
    doc = itf.to_itf(t, "handshake", Bounds(), "no-syn-retransmit")
    meta, worlds, loop = itf.from_itf(doc)
    assert loop is not None
    itf.replay(itf.model_of(meta), worlds, loop)  # the real lasso replays
    bad = next(k for k in range(len(worlds)) if k != loop and worlds[k] != worlds[loop])
    with pytest.raises(itf.ItfError, match="nor does it follow from the last"):
        itf.replay(itf.model_of(meta), worlds, bad)
    doc["loop"] = len(worlds)
    with pytest.raises(itf.ItfError, match="index of one of its states"):
        itf.from_itf(doc)
