"""SPIN as a cross-check: the Promela exported from the rule tables has exactly the explicit
engine's states and safety verdicts (`make spin-check`), per scenario and per mutant."""

from __future__ import annotations

import json
import re

import pytest
from conftest import need
from typer.testing import CliRunner

from tcpspec.checks import spincheck
from tcpspec.checks.explicit import explore
from tcpspec.checks.properties import CHECKED, PROPERTIES, SAFETY_KINDS
from tcpspec.checks.spin.promela import Expr, export, pack_value, state_values
from tcpspec.checks.spin.run import NOTE, SpinError, check, missing, replay
from tcpspec.checks.trace import Trace, to_json
from tcpspec.cli import app
from tcpspec.i18n import gettext
from tcpspec.spec.build import make_model
from tcpspec.spec.logic import And, If, In, Not, Or
from tcpspec.spec.model import Bounds, Model
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS
from tcpspec.spec.segment import SYN, Segment

runner = CliRunner()
SAFETY = {p.id for p in CHECKED if p.kind in SAFETY_KINDS}


def test_logic_prints_promela_and_leaves_plain_values_alone() -> None:
    x = Expr("x")
    assert And(x == 1, True, x < 3).c == "((x == 1) && (x < 3))"
    assert And(x == 1, False) is False  # a plain False still decides, unprinted
    assert Or(Not(x > 0), 2 + x >= 4).c == "((!(x > 0)) || ((2 + x) >= 4))"
    assert If(x != 0, 1, x - 1).c == "((x != 0) -> 1 : (x - 1))"
    assert In(x, {3, 1}).c == "((x == 1) || (x == 3))"
    assert And(1, 2) is True and Or(0, 0) is False and If(0, 1, 2) == 2 and In(2, {2})


def test_packed_segments_sort_as_python_sorts_them() -> None:
    segs = [
        SYN(100),
        Segment(ack=True, seq=101, ackno=201),
        SYN(40)._replace(stale=True),
        Segment(fin=True, ack=True, seq=101, ackno=201, age=1),
        Segment(rst=True, seq=5),
    ]
    assert sorted(segs) == sorted(segs, key=pack_value)
    assert all(pack_value(s) > 0 for s in segs)  # 0 is an empty slot


def test_export_is_deterministic_and_follows_the_rules() -> None:
    m = make_model("close")
    text = export(m)
    assert text == export(make_model("close"))
    assert "active proctype tcp()" in text and "d_step" in text
    assert "assert(ok_timewait_covers_fin_retransmit)" in text
    # derived, not copied: a mutant's changed rule changes the Promela
    assert export(make_model("close", None, "no-time-wait")) != text


def test_cli_export_writes_the_same_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "m.pml"
    r = runner.invoke(app, ["export", "promela", "--scenario", "handshake", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text() == export(make_model("handshake"))
    r = runner.invoke(app, ["export", "promela", "--scenario", "handshake"])
    assert r.exit_code == 0 and r.output == out.read_text()
    r = runner.invoke(app, ["export", "dot"])
    assert r.exit_code == 2 and "unknown export target" in r.output
    r = runner.invoke(app, ["export", "promela", "--capacity", "99"])
    assert r.exit_code == 2 and "cannot be explored" in r.output


def _violated(ex) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return tuple(sorted(p for p, v in ex.verdicts.items() if not v.holds and p in SAFETY))


@pytest.mark.parametrize("name", DEFAULT_SCENARIOS)
def test_spin_agrees_on_every_scenario(name: str) -> None:
    need(missing())
    (a,) = [x for x in spincheck.agreements([name])]
    assert a.spin.states == a.explicit_states, a
    assert a.spin.violated == a.explicit_violated == (), a


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_spin_catches_every_mutant_as_the_explicit_engine_does(name: str) -> None:
    need(missing())
    (a,) = spincheck.agreements([name])
    assert a.spin.states == a.explicit_states, a
    assert a.spin.violated == a.explicit_violated, a
    if MUTANTS[name].breaks in SAFETY:  # the mutant's assertion fails in SPIN too
        assert MUTANTS[name].breaks in a.spin.violated


@pytest.mark.parametrize(
    "scenario,bounds",
    [
        ("close", Bounds(reorder=False)),
        ("handshake", Bounds(capacity=1, rto=2, retries=2)),
        ("simultaneous-open", Bounds(reorder=False, duplicates=0, window=1)),
        ("refused", Bounds(loss=False, msl=2, duplicates=2)),
    ],
)
def test_spin_agrees_at_other_bounds(scenario: str, bounds: Bounds) -> None:
    """Against a fresh exploration (not the pins): FIFO channels, no loss, longer timers."""
    need(missing())
    m = make_model(scenario, bounds)
    ex = explore(m, CHECKED)
    r = check(m)
    assert (r.states, r.violated) == (ex.stats.states, _violated(ex))


def test_spin_check_command_prints_the_agreement(capsys) -> None:  # type: ignore[no-untyped-def]
    need(missing())
    assert spincheck.main(["refused", "no-syn-retransmit"]) == 0
    out = capsys.readouterr().out
    assert "refused" in out and "no-syn-retransmit@handshake" in out
    assert "SPIN agrees with the explicit engine on every model" in out
    assert spincheck.main(["nope"]) == 2


def test_verify_engine_spin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need(missing())
    out = tmp_path / "r.json"
    r = runner.invoke(
        app, ["verify", "--engine", "spin", "--scenario", "close", "--json", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "3,816 states stored by SPIN" in r.output
    assert json.loads(out.read_text())["scenarios"]["close"]["states"] == 3816
    r = runner.invoke(
        app, ["verify", "--engine", "spin", "--scenario", "close", "--mutant", "no-time-wait"]
    )
    assert r.exit_code == 1 and "VIOLATED in close" in r.output
    r = runner.invoke(
        app,
        [
            "--lang",
            "ko",
            "verify",
            "--engine",
            "spin",
            "--scenario",
            "close",
            "--mutant",
            "no-time-wait",
        ],
    )
    assert r.exit_code == 1 and "위반 (close에서)" in r.output and "불변식" in r.output


def test_readme_spin_commands_print_what_it_says(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The reference page's SPIN block, run as written (in a scratch directory)."""
    import subprocess
    import sys
    from pathlib import Path

    need(missing())
    readme = (Path(__file__).resolve().parent.parent / "docs" / "reference.md").read_text()
    block = readme.split("## SPIN: a second model checker", 1)[1].split("```sh\n", 1)[1]
    lines = block.split("```", 1)[0].splitlines()
    assert lines[0] == "tcpspec export promela --scenario close -o close.pml"
    assert lines[1].startswith("spin -a close.pml && gcc -O2 -DSAFETY -DNOREDUCE")
    assert "3816 states, stored" in lines[2]
    tcpspec = str(Path(sys.executable).parent / "tcpspec")
    subprocess.run([tcpspec, *lines[0].split()[1:]], cwd=tmp_path, check=True)
    out = subprocess.run(lines[1], shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert re.search(r"^\s*3816 states, stored$", out.stdout, re.M), out.stdout + out.stderr


# -- counterexamples: SPIN's trails replayed through the model ----------------------------------


def _is_a_run_to_a_violation(m: Model, t: Trace) -> None:
    """Every step of ``t`` is a move of the model from the state before, and the run ends in a
    violation of its property (an action property: its last step violates it)."""
    w = t.initial
    assert w == m.initial()
    for k, st in enumerate(t.steps, 1):
        assert (st.label, st.world) in m.successors(w), f"step {k} is no move of the model"
        w = st.world
    p = PROPERTIES[t.property_id]
    if p.kind == "invariant":
        assert not p.pred(m, w)
    else:
        before = t.worlds()[-2]
        assert not p.pred(m, before, t.steps[-1].label, w)
        assert all(
            p.pred(m, a, s.label, s.world)
            for a, s in zip(t.worlds()[:-2], t.steps[:-1], strict=True)
        )
    assert t.verdict == "violated" and t.note == NOTE


@pytest.mark.parametrize(
    "name",
    ["no-time-wait", "two-way-handshake", "fixed-isn", "last-ack-closes-without-ack"],
)
def test_spin_counterexamples_are_runs_of_the_model(name: str) -> None:
    need(missing())
    mu = MUTANTS[name]
    m = make_model(mu.scenario, None, name)
    r = check(m, trails=True)
    assert mu.breaks in r.violated
    assert sorted(t.property_id for t in r.traces) == sorted(r.violated)
    for t in r.traces:
        _is_a_run_to_a_violation(m, t)
    assert r.trace(mu.breaks) is not None and r.trace("no.such") is None


def test_spin_counterexamples_are_shortened() -> None:
    """pan -i: the trail of two-way-handshake is as short as the explicit engine's (2 steps);
    depth-first without it, it is 18."""
    need(missing())
    m = make_model("connect-close", None, "two-way-handshake")
    t = check(m, trails=True).trace("handshake.three_messages")
    shortest = explore(m, CHECKED).verdicts["handshake.three_messages"].trace
    assert t is not None and shortest is not None and len(t) == len(shortest) == 2


def test_replay_refuses_what_the_model_cannot_do() -> None:
    m = make_model("close", None, "no-time-wait")
    p = PROPERTIES["timewait.covers_fin_retransmit"]
    w = m.initial()
    nowhere = (-5, *state_values(m, w)[1:])
    with pytest.raises(SpinError, match="state 1 is no move of the model"):
        replay(m, p, [nowhere])
    first = [state_values(m, w2) for _, w2 in m.successors(w)][:1]
    with pytest.raises(SpinError, match="does not violate it"):
        replay(m, p, first)
    with pytest.raises(SpinError, match="does not violate it"):
        replay(m, PROPERTIES["handshake.three_messages"], [])


def test_spin_depth_limit_too_small_is_an_error() -> None:
    need(missing())
    with pytest.raises(SpinError, match=r"depth limit \(5 steps\) is too small"):
        check(make_model("close"), depth=5)


def test_verify_engine_spin_prints_and_writes_the_counterexample(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need(missing())
    out = tmp_path / "r.json"
    args = ["verify", "--engine", "spin", "--scenario", "close", "--mutant", "no-time-wait"]
    r = runner.invoke(app, [*args, "--json", str(out)])
    assert r.exit_code == 1, r.output
    assert (
        "counterexample to timewait.covers_fin_retransmit (close, mutant no-time-wait), "
        "found by SPIN" in r.output
    )
    assert NOTE in r.output and "fin.time_wait" in r.output
    m = make_model("close", None, "no-time-wait")
    t = check(m, trails=True).trace("timewait.covers_fin_retransmit")
    assert t is not None
    doc = json.loads(out.read_text())["scenarios"]["close"]
    assert doc["counterexamples"] == {"timewait.covers_fin_retransmit": to_json(m, t)}
    # in Korean as `tcpspec --lang ko trace` prints one: title, rows and the note
    ko = runner.invoke(app, ["--lang", "ko", *args])
    assert ko.exit_code == 1, ko.output
    assert "SPIN이 찾은 것" in ko.output and "CLOSE 호출 (CLOSE-WAIT에서)" in ko.output
    assert gettext(NOTE, "ko") in ko.output and NOTE not in ko.output
    assert doc["counterexamples"]["timewait.covers_fin_retransmit"]["length"] == len(t) > 0
    lines = r.output[r.output.index("counterexample to") :].splitlines()
    assert [ln.split("│")[1].strip() for ln in lines if ln.startswith("│ ")][-1] == str(len(t))


def test_verify_engine_spin_without_violations_writes_no_counterexample(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need(missing())
    out = tmp_path / "r.json"
    r = runner.invoke(
        app, ["verify", "--engine", "spin", "--scenario", "close", "--json", str(out)]
    )
    assert r.exit_code == 0 and "counterexample" not in r.output
    assert json.loads(out.read_text())["scenarios"]["close"]["counterexamples"] == {}


@pytest.mark.parametrize(
    "limit,says",
    [
        (
            ["--scenario", "connect-close", "--duplicates", "2", "--max-memory", "64"],
            "SPIN's search needs more than 64 MiB (--max-memory); lower the bounds",
        ),
        (
            ["--scenario", "close", "--max-states", "3000"],
            "the state space has more than 3,000 states (3,816 stored by SPIN); raise --max-states",
        ),
    ],
)
def test_verify_engine_spin_limits_are_one_line_and_exit_2(limit: list[str], says: str) -> None:
    need(missing())
    r = runner.invoke(app, ["verify", "--engine", "spin", *limit])
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"tcpspec: error: {says}"), r.output
    assert isinstance(r.exception, SystemExit)  # typer.Exit, not a crash


def test_readme_spin_counterexample_is_what_verify_prints() -> None:
    """The reference page's output of `tcpspec verify --engine spin ... --mutant no-time-wait`,
    as the command prints it (but for the seconds it took, and the padding at the ends of lines)."""
    from pathlib import Path

    need(missing())
    readme = (Path(__file__).resolve().parent.parent / "docs" / "reference.md").read_text()
    part = readme.split("## SPIN: a second model checker", 1)[1]
    shown = part.split("The command above prints:\n\n```text\n", 1)[1].split("```", 1)[0]
    args = ["verify", "--engine", "spin", "--scenario", "close", "--mutant", "no-time-wait"]
    assert f"tcpspec {' '.join(args)}\n" in part
    r = runner.invoke(app, args)
    assert r.exit_code == 1
    printed = "".join(ln.rstrip() + "\n" for ln in r.output.splitlines())

    def timeless(text: str) -> str:
        return re.sub(r"\d+\.\d s \(export", "_ s (export", text)

    assert timeless(shown) == timeless(printed)
    prop = "timewait.covers_fin_retransmit"
    assert f"counterexample to {prop} (close, mutant no-time-wait), found by SPIN" in shown
