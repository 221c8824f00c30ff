"""Speed and scale: the compact store gives the networkx graph users know, tasks spread over
processes (or a Dask cluster) give the same results as a serial run, the memory guard and the
bounds guard stop runs that cannot finish, long runs report progress, and the checked-in Z3
certificates prove what Houdini proves (and are noticed when they no longer hold); the engine's
interned parts and its partial evaluation of step predicates change no result."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
from conftest import need
from typer.testing import CliRunner

from tcpspec.checks import parallel
from tcpspec.checks.explicit import MemoryLimitExceeded, Stats, explore
from tcpspec.checks.explicit.partial import UNKNOWN, decided
from tcpspec.checks.explicit.parts import MAKERS, Interned, unpack
from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.symbolic import PROVED, check
from tcpspec.checks.symbolic.certificate import load, recheck
from tcpspec.checks.symbolic.induction import STALE_CERTIFICATE
from tcpspec.checks.synthesis import synthesize_time_wait
from tcpspec.checks.verify import sweep, verify
from tcpspec.cli import app
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, BoundsError
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS

runner = CliRunner()
SYMBOLIC = ["handshake.three_messages", "timewait.covers_fin_retransmit"]


def _catches(cs: list) -> list:  # type: ignore[type-arg]
    return [(c.mutant.name, c.caught_by, len(c.trace) if c.trace else None) for c in cs]


def test_graph_and_worlds_are_built_from_the_compact_store() -> None:
    ex = explore(make_model("close"))
    g = ex.graph
    assert g.number_of_nodes() == ex.stats.states == len(ex.worlds)
    for n in (0, 1, len(ex.worlds) - 1):
        assert g.nodes[n]["world"] == ex.worlds[n] and ex.number(ex.worlds[n]) == n
    # every edge is a move of the model, labelled with the first move found between the two
    for a, b, data in list(g.edges(data=True))[:200]:
        moves = [lab for lab, w2 in ex.model.successors(ex.worlds[a]) if w2 == ex.worlds[b]]
        assert moves and moves[0] == data["label"] and a != b
    assert ex.parent[0] is None
    p, lab = ex.parent[5]  # type: ignore[misc]
    assert (lab, ex.worlds[5]) in ex.model.successors(ex.worlds[p])


def test_a_sweep_over_processes_equals_the_serial_one() -> None:
    serial = sweep(Bounds(), workers=1)
    assert _catches(sweep(Bounds(), workers=2)) == _catches(serial)
    assert all(c.ok for c in serial)


def test_verify_over_processes_equals_the_serial_run() -> None:
    names = ("handshake", "refused")
    a = verify(Bounds(), names, engine="explicit", workers=1)
    b = verify(Bounds(), names, engine="explicit", workers=2)
    assert {k: s.states for k, s in a.stats.items()} == {k: s.states for k, s in b.stats.items()}
    assert [(r.holds, r.explicit_by_scenario) for r in a.results.values()] == [
        (r.holds, r.explicit_by_scenario) for r in b.results.values()
    ]


def test_a_sweep_on_a_local_dask_cluster_equals_the_serial_run() -> None:
    need(None if importlib.util.find_spec("distributed") else "dask.distributed is not installed")
    import distributed

    grid = [(1, 1, 0), (1, 1, 1), (2, 1, 0), (1, 2, 0)]
    serial = synthesize_time_wait(grid)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
    ):
        on_dask = synthesize_time_wait(grid, scheduler=cluster.scheduler_address)
        mutants = sweep(
            Bounds(), ("no-time-wait", "fixed-isn"), scheduler=cluster.scheduler_address
        )
    key = [
        (r.msl, r.rto, r.retries, r.least_time_wait, len(r.counterexample or [])) for r in serial
    ]
    assert key == [
        (r.msl, r.rto, r.retries, r.least_time_wait, len(r.counterexample or [])) for r in on_dask
    ]
    assert _catches(mutants) == _catches(sweep(Bounds(), ("no-time-wait", "fixed-isn")))


def test_an_unreachable_scheduler_is_one_clear_line() -> None:
    need(None if importlib.util.find_spec("distributed") else "dask.distributed is not installed")
    r = runner.invoke(app, ["mutants", "--scheduler", "tcp://127.0.0.1:9"])
    assert r.exit_code == 2 and "cannot reach the Dask scheduler" in r.output


def test_the_memory_guard_stops_with_advice() -> None:
    seen: list[Stats] = []
    with pytest.raises(MemoryLimitExceeded, match="--max-memory"):
        explore(
            make_model("connect-close"), max_memory_mib=1, progress=seen.append, progress_every=0
        )
    r = runner.invoke(
        app,
        [
            "verify",
            "--engine",
            "explicit",
            "--scenario",
            "connect-close",
            "--capacity",
            "3",
            "--max-memory",
            "64",
        ],
    )  # about 160 MiB at these bounds
    assert r.exit_code == 2 and "MiB (--max-memory)" in r.output
    # from a worker process too: the error comes back to the parent
    with pytest.raises(MemoryLimitExceeded, match="--max-memory"):
        verify(
            Bounds(),
            ("handshake", "connect-close"),
            engine="explicit",
            workers=2,
            max_memory_mib=1,
            progress_every=0,
        )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--capacity", "99"], "--capacity 99 cannot be explored: at most 8"),
        (["--msl", "1" * 23], "cannot be explored: at most 16"),
    ],
)
@pytest.mark.parametrize("engine", ["explicit", "z3"])
def test_impossible_bounds_are_refused_up_front(args: list[str], message: str, engine: str) -> None:
    r = runner.invoke(app, ["verify", "--engine", engine, "--scenario", "close", *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    with pytest.raises(BoundsError):
        make_model("close", Bounds(capacity=99))


def test_progress_lines_go_to_stderr_when_it_is_not_a_terminal() -> None:
    seen: list[Stats] = []
    explore(make_model("abort"), progress=seen.append, progress_every=0)
    assert seen and seen[-1].states > seen[0].states > 0 and seen[-1].peak_mib > 0
    out = subprocess.run(
        [sys.executable, "-m", "tcpspec", "verify", "--engine", "explicit", "--scenario", "abort"],
        capture_output=True,
        text=True,
        env={"TCPSPEC_PROGRESS_EVERY": "0.01", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    line = out.stderr.splitlines()[0]
    assert line.startswith("tcpspec: abort: ") and "states/s, depth" in line and "MiB" in line


def test_every_default_scenario_has_a_certificate_that_still_proves() -> None:
    certs = load()
    assert set(certs) == set(DEFAULT_SCENARIOS)
    m = make_model("handshake")
    proved = recheck(m, certs["handshake"], SYMBOLIC)
    assert proved is not None and all(v.status == PROVED for v in proved.values())
    assert "certificate" in proved[SYMBOLIC[0]].notes[1]


def test_a_certificate_that_no_longer_holds_is_noticed_and_houdini_runs() -> None:
    m = make_model("handshake")
    certs = load()
    # too weak (no lemmas): not inductive, so not a proof; Houdini finds the real one
    assert recheck(m, ["state_domain"], SYMBOLIC) is None
    assert recheck(m, [*certs["handshake"], "lemma no such lemma"], SYMBOLIC) is None
    v = check(m, SYMBOLIC, 2, certificate=["state_domain"])
    assert all(x.status == PROVED for x in v.values())
    assert v[SYMBOLIC[0]].notes[0] == STALE_CERTIFICATE


def test_parallel_run_keeps_order_and_uses_every_core() -> None:
    assert parallel.run(pow, [(2, k) for k in range(9)], workers=2) == [2**k for k in range(9)]
    assert parallel.cores() == len(os.sched_getaffinity(0))  # the cores this process may use


def test_verify_says_when_a_certificate_no_longer_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    from tcpspec.checks.symbolic import certificate

    monkeypatch.setattr(certificate, "load", lambda: {"handshake": ["state_domain"]})
    r = runner.invoke(
        app, ["verify", "--engine", "z3", "--scenario", "handshake", "--workers", "1"]
    )
    assert r.exit_code == 0, r.output
    assert f"note: handshake: {STALE_CERTIFICATE} (make certificates)" in r.output


STEP_PROPS = [p for p in PROPERTIES.values() if p.kind in ("action", "reachable") and p.of_steps]


@pytest.mark.parametrize("scenario", ["stale-syn", "stale-data", "close"])
def test_interned_parts_make_exactly_the_moves_of_the_values(scenario: str) -> None:
    """`Model.moves` over the engine's interned numbers and over values: the same moves, in
    the same order, from every reachable state."""
    m = make_model(scenario)
    ex = explore(m)
    parts = Interned(m)
    for w in ex.worlds:
        e0, e1, c0, c1, dups = unpack(parts.key(w))
        got = [
            (parts.label(lab), parts.world(k))
            for lab, k in m.moves(parts, (e0, e1), (c0, c1), dups, MAKERS)
        ]
        assert got == m.successors(w), w


@pytest.mark.parametrize("scenario", ["stale-syn", "stale-data", "close"])
def test_what_the_label_alone_decides_holds_on_every_move_with_that_label(scenario: str) -> None:
    """The search skips step predicates that the label decides with the endpoints unknown:
    that value must be the predicate's value on every move with the label."""
    m = make_model(scenario)
    decided_some = undecided_some = False
    for w in explore(m).worlds:
        for lab, w2 in m.successors(w):
            for p in STEP_PROPS:
                by_label = decided(p.pred, m, UNKNOWN, lab, UNKNOWN)
                if by_label is None:
                    undecided_some = True
                else:
                    decided_some = True
                    assert by_label == bool(p.pred(m, w, lab, w2)), (p.id, lab)
    assert decided_some and undecided_some


def test_an_unknown_value_decides_nothing_it_does_not_decide() -> None:
    from tcpspec.spec.logic import And, In, Or

    w = UNKNOWN
    assert decided(lambda: And(False, w.eps[0].st == 3)) is False
    assert decided(lambda: Or(True, In(w.eps[1].st, {1, 2}))) is True
    assert decided(lambda: And(True, w.eps[0].rcvd > 1)) is None
    assert decided(lambda: w.eps[0].st == 3 and True) is None  # Python's own `and`: undecided
    assert decided(lambda: 1 if w.tainted else 0) is None


def test_the_readme_says_how_few_parts_connect_close_has() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "docs" / "reference.md").read_text()
    ex = explore(make_model("connect-close"))
    parts = ex._store.parts
    said = (
        f"connect-close: {ex.stats.states:,} states, {len(parts.endpoints.values)} distinct "
        f"endpoints, {len(parts.channels.values)} channels"
    )
    assert said in " ".join(readme.split()), said


def test_a_store_out_of_room_for_parts_stops_like_the_state_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tcpspec.checks.explicit import StateLimitExceeded, parts

    monkeypatch.setattr(parts, "MOST", 21)  # room for 21 distinct endpoints, channels, ...
    with pytest.raises(StateLimitExceeded, match=r"more than 21 distinct \w+ in one search"):
        explore(make_model("close"))
