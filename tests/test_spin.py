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
from tcpspec.checks.properties import CHECKED, SAFETY_KINDS
from tcpspec.checks.spin.promela import Expr, export, pack_value
from tcpspec.checks.spin.run import check, missing
from tcpspec.cli import app
from tcpspec.spec.build import make_model
from tcpspec.spec.logic import And, If, In, Not, Or
from tcpspec.spec.model import Bounds
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
    """The README's SPIN block, run as written (in a scratch directory)."""
    import subprocess
    import sys
    from pathlib import Path

    need(missing())
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("## SPIN: a second model checker", 1)[1].split("```sh\n", 1)[1]
    lines = block.split("```", 1)[0].splitlines()
    assert lines[0] == "tcpspec export promela --scenario close -o close.pml"
    assert lines[1].startswith("spin -a close.pml && gcc -O2 -DSAFETY -DNOREDUCE")
    assert "3816 states, stored" in lines[2]
    tcpspec = str(Path(sys.executable).parent / "tcpspec")
    subprocess.run([tcpspec, *lines[0].split()[1:]], cwd=tmp_path, check=True)
    out = subprocess.run(lines[1], shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert re.search(r"^\s*3816 states, stored$", out.stdout, re.M), out.stdout + out.stderr
