"""A command line that never misleads: documented exit codes, Ctrl-C and SIGTERM that stop
every command (Z3 included), output errors in one line, inconclusive and vacuous verdicts said
as such. Each test runs the real `tcpspec` (a subprocess) where signals or streams matter."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import need
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tcpspec.cli import app
from tcpspec.cli.app import EXIT_STATUS

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED = {0, 1, 2, 3, 130}
FIXTURE = ROOT / "tests" / "fixtures" / "pcap" / "normal.pcap"


def tcpspec(*args: str, **kw: object) -> subprocess.Popen[str]:
    streams: dict[str, object] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "tcpspec", *args], text=True, **(streams | kw)
    )


def finish(p: subprocess.Popen[str], limit: float = 120) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=limit)
    return p.returncode, out, err


def run(*args: str) -> tuple[int, str, str]:
    return finish(tcpspec(*args))


# -- signals -------------------------------------------------------------------------------------


def _cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and of its live child processes (a pool's workers)."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        return total
    return total + sum(_cpu(c) for c in children)


def _busy(p: subprocess.Popen[str], seconds: float) -> None:
    """Wait until ``p`` (with its workers) has computed for ``seconds`` of CPU time, so that it
    is deep in its work, past imports, however loaded the machine is."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert p.poll() is None, "the command finished before it could be interrupted"
        if _cpu(p.pid) >= seconds:
            return
        time.sleep(0.05)
    raise AssertionError("the command never got busy")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize(
    "args",
    [
        # Z3: Houdini and BMC on the largest default scenario take far longer than the wait
        ("prove", "--scenario", "connect-close", "--depth", "12"),
        # the explicit engine on a space of a few hundred thousand states
        ("verify", "--engine", "explicit", "--scenario", "connect-close", "--capacity", "3"),
        # both engines over every scenario, on a pool of worker processes
        ("verify", "--workers", "2"),
    ],
    ids=["z3", "explicit", "pool"],
)
def test_a_signal_stops_the_command_with_130_and_no_verdict(
    sig: signal.Signals, args: tuple[str, ...]
) -> None:
    need(
        None if Path("/proc/self/stat").exists() else "needs /proc (Linux) to see the command busy"
    )
    p = tcpspec(*args)
    _busy(p, 2.0)
    p.send_signal(sig)
    code, out, err = finish(p, limit=30)
    assert code == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert "proved" not in out and "holds" not in out and "no counterexample" not in out


# -- output that cannot be written ---------------------------------------------------------------


def test_a_full_disk_is_one_line_and_exit_2() -> None:
    args = ("trace", "timewait.covers_fin_retransmit", "--mutant", "no-time-wait")
    with open("/dev/full", "w") as full:
        code, _, err = finish(tcpspec(*args, stdout=full))
    assert code == 2
    assert err.strip().splitlines() == [
        "tcpspec: error: cannot write the output: No space left on device"
    ]


def test_a_closed_pipe_is_one_line_and_exit_2() -> None:
    p = tcpspec("trace", "timewait.covers_fin_retransmit", "--mutant", "no-time-wait")
    assert p.stdout is not None
    p.stdout.close()  # like `| head -0`
    _, err = p.communicate(timeout=120)
    assert p.returncode == 2
    assert "broken pipe" in err and "Traceback" not in err and len(err.splitlines()) == 1


# -- inconclusive, vacuous, and the unmutated model ----------------------------------------------


def test_prove_that_finds_nothing_is_inconclusive_exit_3(tmp_path: Path) -> None:
    # at TIME-WAIT 1 the property is violated, but only by a 12-step run: BMC to 6 misses it
    out_json = tmp_path / "p.json"
    args = ("--scenario", "close", "--time-wait", "1", "--json", str(out_json))
    code, out, _ = run("prove", "timewait.covers_fin_retransmit", *args)
    assert code == 3
    assert "no counterexample up to depth 6" in out
    assert "inconclusive: timewait.covers_fin_retransmit in close" in out
    assert "tcpspec verify --engine explicit --scenario close --time-wait 1" in out
    (v,) = json.loads(out_json.read_text())["verdicts"]
    assert (v["status"], v["method"], v["depth"], v["invariant"]) == ("bounded", "bmc", 6, None)
    assert v["seconds"] >= 0


def test_prove_json_names_the_invariant_of_a_proof(tmp_path: Path) -> None:
    out_json = tmp_path / "p.json"
    code, out, _ = run(
        "prove", "handshake.three_messages", "--scenario", "handshake", "--json", str(out_json)
    )
    assert code == 0, out
    (v,) = json.loads(out_json.read_text())["verdicts"]
    assert v["status"] == "proved" and v["method"] == "induction"
    assert "property handshake.three_messages" in v["invariant"]


def test_prove_a_mutant_is_violated_exit_1() -> None:
    code, out, _ = run(
        "prove", "handshake.three_messages", "--scenario", "handshake", "--mutant",
        "two-way-handshake",
    )  # fmt: skip
    assert code == 1 and "counterexample to handshake.three_messages" in out


def test_verify_z3_alone_without_proof_or_counterexample_is_exit_3() -> None:
    code, out, _ = run(
        "verify", "--engine", "z3", "--scenario", "close", "--time-wait", "1", "--depth", "2"
    )
    assert code == 3
    assert "inconclusive: timewait.covers_fin_retransmit" in out


def test_a_vacuous_property_is_named_with_the_bound_that_makes_it_so() -> None:
    code, out, _ = run(
        "verify", "--engine", "explicit", "--scenario", "connect-close", "--data", "0"
    )
    assert code == 3
    (line,) = [x for x in out.splitlines() if x.startswith("vacuous:")]
    assert "halfclose.no_data_loss" in line and "halfclose.data_after_fin" in line
    assert "the bound that makes it so: --data 0" in line
    assert "over 1 scenario" in out and "1 scenarios" not in out


def test_mutants_refuse_bounds_where_tcp_itself_fails() -> None:
    code, out, err = run("mutants", "--time-wait", "1")
    assert code == 1
    assert "the unmutated model already violates timewait.covers_fin_retransmit" in err
    assert "caught" not in out  # no sweep table: a catch there would prove nothing


def test_verify_with_mutants_takes_its_baseline_from_the_run(tmp_path: Path) -> None:
    out_json = tmp_path / "v.json"
    code, out, err = run(
        "verify", "--engine", "explicit", "--scenario", "close", "--mutants", "--json",
        str(out_json),
    )  # fmt: skip
    assert code == 0, err
    assert "tcpspec mutants" in out and "NOT CAUGHT" not in out
    doc = json.loads(out_json.read_text())
    assert {m["mutant"] for m in doc["mutants"]} >= {"no-time-wait", "two-way-handshake"}
    assert all(m["expected"] in m["caught_by"] for m in doc["mutants"])
    code, out, err = run("verify", "--engine", "explicit", "--scenario", "close", "--mutants",
                         "--time-wait", "1")  # fmt: skip
    assert code == 1
    assert "the unmutated model already violates timewait.covers_fin_retransmit" in err
    assert "tcpspec mutants" not in out


def test_synthesis_names_the_grid_points_where_the_closed_form_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tcpspec.checks import synthesis

    real = synthesis.closed_form
    monkeypatch.setattr(synthesis, "closed_form", lambda m, r, n: 99 if n == 1 else real(m, r, n))
    r = CliRunner().invoke(
        app, ["synthesize", "time-wait", "--msl", "1", "--rto", "1", "--retries", "0,1"]
    )
    assert r.exit_code == 1
    assert "the closed form fails at msl=1 rto=1 retries=1: it says 99" in r.output
    assert "retries=0:" not in r.output


def test_conform_reads_standard_input() -> None:
    with FIXTURE.open("rb") as f:
        p = subprocess.run(
            [sys.executable, "-m", "tcpspec", "conform", "-", "--host", "10.99.0.1"],
            stdin=f,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("-: 10.99.0.1:") and "ACCEPTED" in p.stdout


def test_exit_codes_are_documented_in_help_and_readme() -> None:
    for args in ([], ["verify"], ["prove"], ["synthesize", "time-wait"], ["conform"]):
        r = CliRunner().invoke(app, [*args, "--help"])
        assert "130 interrupted" in " ".join(r.output.split()), args
    readme = " ".join((ROOT / "docs" / "reference.md").read_text().split())
    assert " ".join(EXIT_STATUS.split()) in readme


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("tcpspec ")


# -- whatever the arguments: a documented exit code, never a traceback ---------------------------

OPTIONS = [
    "--engine", "--depth", "--scenario", "--mutant", "--json", "--format", "-o", "--max-states",
    "--capacity", "--loss", "--no-loss", "--no-reorder", "--duplicates", "--data", "--msl",
    "--rto", "--retries", "--time-wait", "--window", "--port", "--host", "--fifo", "--min-rto",
    "--summary", "--property", "--max-draw", "--confirm", "--help", "--bogus",
]  # fmt: skip
VALUES = [
    "0", "1", "2", "3", "-1", "99999999999999999999999", "1,,2", "1,2", "", "x", "-",
    "handshake", "close", "refused", "no-time-wait", "two-way-handshake", "explicit", "z3",
    "svg", "json", "text", "pcap", "graphml", "/nonexistent/f", "out.json", "/", "10.0.0.1",
    "[::1]:80", "handshake.three_messages", "timewait.covers_fin_retransmit", str(FIXTURE),
]  # fmt: skip
COMMANDS = ["list", "verify", "prove", "trace", "mutants", "chart", "graph", "conform",
            "synthesize", "synthesize time-wait", "nonsense"]  # fmt: skip
BUDGET = 2.0  # seconds a call may compute before it is interrupted (then 130 is its answer)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(COMMANDS),
    words=st.lists(st.sampled_from(OPTIONS + VALUES), max_size=6),
)
def test_random_command_lines_never_trace_back(
    command: str, words: list[str], tmp_path: Path
) -> None:
    p = tcpspec(*command.split(), *words, cwd=tmp_path, stdin=subprocess.DEVNULL)
    try:
        p.wait(timeout=BUDGET + 5)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
    code, _, err = finish(p, limit=30)
    assert code in DOCUMENTED, (command, words, code, err)
    assert "Traceback" not in err and not any(x.startswith('  File "') for x in err.splitlines())
