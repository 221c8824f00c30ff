"""Proofs for every bound (checks/symbolic/parametric.py, every_bound.py): the abstraction covers
every bounded model, the certificates prove what the README says, mutants are refuted by real
runs, and the TIME-WAIT conditions are the synthesized formula."""

from __future__ import annotations

import json
import random
import re
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import z3
from typer.testing import CliRunner

from tcpspec.checks import every_bound as run
from tcpspec.checks.properties import PROPERTIES, SAFETY_KINDS
from tcpspec.checks.symbolic import encode as E
from tcpspec.checks.symbolic import every_bound as EB
from tcpspec.checks.symbolic import parametric as P
from tcpspec.checks.synthesis import closed_form
from tcpspec.cli import app
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, World
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS

THREE, LOSS, COVERS, STALE = (
    "handshake.three_messages",
    "halfclose.no_data_loss",
    "timewait.covers_fin_retransmit",
    "handshake.stale_syn_rejected",
)


def _steps(scenario: str, b: Bounds, mutant: str | None, n: int) -> list[tuple[World, World]]:
    """``n`` transitions of the bounded model, drawn (seeded) from its first reachable states."""
    m = make_model(scenario, b, mutant)
    seen = {m.initial()}
    queue = deque([m.initial()])
    steps = []
    while queue and len(seen) < 2000:
        w = queue.popleft()
        for _, w2 in m.successors(w):
            steps.append((w, w2))
            if w2 not in seen:
                seen.add(w2)
                queue.append(w2)
    return random.Random(7).sample(steps, min(n, len(steps)))


@pytest.mark.parametrize(
    ("scenario", "bounds", "mutant"),
    [
        ("connect-close", Bounds(), None),
        ("close", Bounds(msl=2, rto=2, retries=2, time_wait=3), None),
        ("stale-syn", Bounds(capacity=3, duplicates=2), None),
        ("simultaneous-open", Bounds(retries=2, window=1), None),
        ("stale-data", Bounds(reorder=False), None),
        ("close", Bounds(), "short-time-wait"),
    ],
)
def test_every_step_of_a_bounded_model_is_a_step_of_the_parametric_one(
    scenario: str, bounds: Bounds, mutant: str | None
) -> None:
    """The soundness of the abstraction (parametric.py's docstring): every transition of the
    bounded model, its channels read as sets, is a transition of the parametric model at those
    bounds; and a corrupted successor is not (the check bites)."""
    pm = P.parametric(scenario, mutant)
    s, s2 = P.fresh_state("a"), P.fresh_state("b")
    sol = z3.Solver()
    sol.add(pm.domain(), P.at(pm, bounds), P.transition(pm, s, s2, "t").formula)
    covered = rejected = 0
    steps = _steps(scenario, bounds, mutant, 40)

    def answer() -> z3.CheckSatResult:
        # (Z3's array reasoning may give up in one search order: fresh solvers try others)
        r = sol.check()
        return EB._again(sol.assertions(), [])[0] if r == z3.unknown else r

    for w, w2 in steps:
        sol.push()
        sol.add(P.equal(s, P.abstract(w)), P.equal(s2, P.abstract(w2)))
        covered += answer() == z3.sat
        sol.pop()
        bad = w2.eps[0]._replace(snd_nxt=w2.eps[0].snd_nxt + 7)
        sol.push()
        sol.add(
            P.equal(s, P.abstract(w)), P.equal(s2, P.abstract(w2._replace(eps=(bad, w2.eps[1]))))
        )
        rejected += answer() == z3.unsat
        sol.pop()
    print(f"{scenario}: {covered}/{len(steps)} steps covered, {rejected} corruptions rejected")
    assert covered == len(steps)
    assert rejected == len(steps)


def _holds_just(st: P.PState, w: World) -> Any:
    """``st`` (listed channels) is ``w``: the same endpoints, and each channel the same set."""
    parts = [
        a == b for ea, eb in zip(st.eps, w.eps, strict=True) for a, b in zip(ea, eb, strict=True)
    ]
    for i in (0, 1):
        parts += [P.member(st.chans[i], seg) for seg in w.chans[i]]
        parts += [
            z3.Implies(sl.present, z3.Or(False, *[E.equal_seg(sl.seg, seg) for seg in w.chans[i]]))
            for sl in st.chans[i]
        ]
    return z3.And(*[z3.BoolVal(x) if isinstance(x, bool) else x for x in parts])


@pytest.mark.parametrize(
    ("scenario", "bounds", "mutant"),
    [
        ("connect-close", Bounds(), None),
        ("close", Bounds(msl=2, rto=2, retries=2, time_wait=3), "short-time-wait"),
        ("stale-syn", Bounds(capacity=3, duplicates=2), None),
    ],
)
def test_every_step_of_a_bounded_model_is_a_step_of_the_listed_encoding(
    scenario: str, bounds: Bounds, mutant: str | None
) -> None:
    """BMC's channels as slots (`parametric.fresh_state` listed): every transition of the
    bounded model is a transition there too, from the world's slots to one more slot per
    channel (so BMC misses no run of the bounded model, up to steps that change no set), and a
    corrupted successor is not."""
    pm = P.parametric(scenario, mutant)
    covered = rejected = 0
    # (a step that changes no set, a duplication or the loss of one of two copies, is no step
    # of a listed run: it changes nothing BMC reads)
    steps = [
        (w, w2)
        for w, w2 in _steps(scenario, bounds, mutant, 40)
        if (w.eps, [set(c) for c in w.chans]) != (w2.eps, [set(c) for c in w2.chans])
    ][:25]
    for w, w2 in steps:
        s = P.abstract(w, listed=True)
        s2 = P.fresh_state("b", (len(s.chans[0]) + 1, len(s.chans[1]) + 1))
        sol = z3.Solver()
        sol.add(pm.domain(), P.at(pm, bounds), P.transition(pm, s, s2, "t", jumps=True).formula)
        sol.push()
        sol.add(_holds_just(s2, w2))
        covered += sol.check() == z3.sat
        sol.pop()
        bad = w2.eps[1]._replace(rcv_nxt=w2.eps[1].rcv_nxt + 7)
        sol.add(_holds_just(s2, w2._replace(eps=(w2.eps[0], bad))))
        rejected += sol.check() == z3.unsat
    print(
        f"{scenario} listed: {covered}/{len(steps)} steps covered, {rejected} corruptions rejected"
    )
    assert covered == len(steps)
    assert rejected == len(steps)


def test_a_deep_mutant_is_refuted_by_bmc_over_symbolic_bounds_and_replayed() -> None:
    """``no-time-wait`` needs a run longer than BMC's shallow, depth-by-depth phase: the one
    deep query finds it (listed channels), and the explicit engine's run at the least bounds
    at or below those is shown."""
    r = run.refute("close", "no-time-wait", COVERS, EB.EVERY_DEPTH)
    assert r is not None and r.method.startswith("bmc over symbolic bounds"), r
    k = int(r.method.split("(")[1].split()[0])
    assert EB.SHALLOW < k <= EB.EVERY_DEPTH
    model = make_model("close", r.bounds, "no-time-wait")
    w = r.trace.initial
    for st in r.trace.steps:
        assert st.world in [w2 for _, w2 in model.successors(w)]
        w = st.world
    assert r.at() == EB.bound_words(model.p)
    # lowered from BMC's bounds to the least the explicit engine still shows the run at
    assert r.bounds.resolved().msl == 1 and r.bounds.resolved().window == 1


def test_every_default_scenario_has_a_certificate_that_states_the_main_properties() -> None:
    doc = json.loads(EB.CERTIFICATES.read_text())["scenarios"]
    assert sorted(doc) == sorted(DEFAULT_SCENARIOS)
    for name in DEFAULT_SCENARIOS:
        kept = doc[name][""]
        assert f"property {THREE}" in kept and f"property {LOSS}" in kept, name


def test_three_messages_and_no_data_loss_are_proved_for_every_bound() -> None:
    got = run.check("connect-close", [THREE, LOSS])
    assert [(v.status, v.method) for v in got] == [(EB.PROVED, "certificate")] * 2
    assert got[0].describe() == (
        "proved for every capacity, MSL, RTO, retry count and amount of data"
    )


def test_a_certificate_that_is_not_inductive_is_refused() -> None:
    pm = P.parametric("connect-close")
    kept = json.loads(EB.CERTIFICATES.read_text())["scenarios"]["connect-close"][""]
    assert EB.recheck(pm, kept)
    # the property alone is not inductive: the lemmas are needed
    assert not EB.recheck(pm, [f"property {LOSS}"])


def _proof(pm: P.PModel, certs: dict[str, list[str]], c: EB.Condition | None, pid: str) -> bool:
    """Does the stored certificate (under condition ``c``) prove ``pid`` in model ``pm``?"""
    kept = sorted({*certs[""], *(certs.get(c.name, []) if c else [])})
    term = c.term(pm.p) if c else True
    # (an invariant property is a conjunct; an action property follows from them)
    return EB.recheck(pm, kept, term) and EB.implied(pm, kept, pid, term)


def test_every_safety_mutant_breaks_the_certificate_of_its_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The negative control of the re-check (quantifiers instantiated by hand first, their
    "unsat" taken as a proof): in each safety mutant's model, the invariant that proves its
    property in its scenario (with the condition, where it is proved under one) is refused."""
    stored = EB.load()
    refused = []
    for name, mu in MUTANTS.items():
        if PROPERTIES[mu.breaks].kind not in SAFETY_KINDS:
            continue
        certs = stored[mu.scenario]
        # the certificate that proves the property in TCP itself: unconditional, else the
        # first condition of the first group that proves it
        base = P.parametric(mu.scenario)
        groups = EB.condition_groups(mu.breaks, mu.scenario)
        conds = [None, *[cs[0] for _, cs in groups]]
        cond = next(c for c in conds if _proof(base, certs, c, mu.breaks))
        if not _proof(P.parametric(mu.scenario, name), certs, cond, mu.breaks):
            refused.append(name)
    with capsys.disabled():
        print(f"\nevery-bound re-check: {len(refused)} safety mutants refused their certificates")
    # short-time-wait only sets TIME-WAIT to MSL: where MSL reaches the formula it is correct
    # TCP, and the condition is what excludes the rest (at MSL 1, RTO 1, one retry it is not met)
    safety = [m for m, mu in MUTANTS.items() if PROPERTIES[mu.breaks].kind in SAFETY_KINDS]
    assert refused == [m for m in safety if m != "short-time-wait"]
    assert EB.least_time_wait(COVERS, msl=1, rto=1, retries=1) > 1


def test_time_wait_long_enough_is_proved_and_is_the_synthesized_formula() -> None:
    """covers_fin_retransmit holds for every bound where TIME-WAIT >= the formula (two proofs,
    one per branch), and the two conditions together are exactly `closed_form` on the grid."""
    (v,) = run.check("close", [COVERS])
    assert v.status == EB.PROVED_IF
    assert v.condition == f"TIME-WAIT >= {EB.TIME_WAIT_FORMULA}"
    assert sorted(v.invariant) == ["outlasts-lifetimes", "outlasts-retransmissions"]
    p = P.Params.fresh()
    conds = EB.CONDITIONS[COVERS]
    for msl in range(1, 5):
        for rto in range(1, 5):
            for retries in range(4):
                least = closed_form(msl, rto, retries)
                for tw, holds in ((least, True), (least - 1, False)):
                    values = ((p.msl, msl), (p.rto, rto), (p.retries, retries), (p.time_wait, tw))
                    sub = [(t, z3.IntVal(v)) for t, v in values]
                    term = z3.simplify(z3.substitute(z3.Or(*[c.term(p) for c in conds]), *sub))
                    assert z3.is_true(term) == holds, (msl, rto, retries, tw)


def test_two_msl_is_not_enough_one_tick_below_the_formula() -> None:
    """MSL 1, RTO 1, two retransmissions: the formula asks for 3; at 2 = 2*MSL the explicit
    engine finds the violation, at 3 none."""
    assert closed_form(1, 1, 2) == 3
    assert run._explicit("close", None, COVERS, Bounds(retries=2, time_wait=2)) is not None
    assert run._explicit("close", None, COVERS, Bounds(retries=2, time_wait=3)) is None


def test_a_mutant_is_refuted_by_bmc_over_symbolic_bounds_and_replayed() -> None:
    (v,) = run.check("connect-close", [THREE], mutant="two-way-handshake")
    assert v.status == EB.VIOLATED and v.refutation is not None
    assert v.refutation.method.startswith("bmc over symbolic bounds")
    assert v.refutation.bounds.resolved().msl == 1
    trace = v.refutation.trace
    model = make_model("connect-close", v.refutation.bounds, "two-way-handshake")
    # the run shown is a run of the explicit model, and its last state violates the property
    w = trace.initial
    for st in trace.steps:
        assert st.world in [w2 for _, w2 in model.successors(w)]
        w = st.world
    from tcpspec.checks.properties import PROPERTIES

    assert not PROPERTIES[THREE].pred(model, w)


def test_prove_every_bound_command(tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    runner = CliRunner()
    args = ["prove", "--every-bound", THREE, "--scenario", "refused", "--json", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "proved for every capacity, MSL, RTO, retry count and amount of data" in r.output
    (doc,) = json.loads(out.read_text())["verdicts"]
    assert doc["status"] == "proved" and doc["method"] == "certificate"
    assert f"property {THREE}" in doc["invariant"][""]
    assert doc["parameters"].startswith("capacity >= 1 (channels unbounded), MSL >= 1")
    r = runner.invoke(app, ["prove", "--every-bound", "--msl", "2"])
    assert r.exit_code == 2 and "leave out --msl 2" in r.output


def test_verify_every_bound_takes_the_z3_verdicts_it_proves(tmp_path: Path) -> None:
    """`make verify`'s --every-bound: the certificates re-checked beside the other tasks, what
    they prove printed under the table, and the Z3 verdicts at these bounds taken from them."""
    out = tmp_path / "v.json"
    runner = CliRunner()
    args = ["verify", "--scenario", "connect-close", "--every-bound", "--json", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "for every bound (checks/symbolic/every-bound.json re-checked):" in r.output
    assert "5 of 6 (property, scenario) pairs" in r.output
    assert f"{COVERS} in connect-close" in r.output
    doc = json.loads(out.read_text())
    assert {v["status"] for v in doc["every_bound"]} == {"proved", "proved-if"}
    methods = {p["id"]: p["z3"]["scenarios"]["connect-close"]["method"] for p in doc["properties"]
               if "scenarios" in p["z3"]}  # fmt: skip
    assert set(methods.values()) == {"every bound"} and len(methods) == 6
    r = runner.invoke(app, ["verify", "--every-bound", "--mutant", "two-way-handshake"])
    assert r.exit_code == 2 and "tcpspec prove --every-bound --mutant M" in r.output


def test_a_conditional_proof_covers_only_the_bounds_that_meet_its_condition() -> None:
    proofs: dict[str, list[str]] = {"outlasts-retransmissions": [], "outlasts-lifetimes": []}
    v = EB.Verdict(COVERS, "close", EB.PROVED_IF, 0.0, "certificate", proofs)
    below = Bounds(msl=1, rto=1, retries=2, time_wait=2)  # the formula asks for 3 here
    assert not run.proves_at(v, below)
    assert run.proves_at(v, replace(below, time_wait=3))
    assert run.proves_at(replace(v, status=EB.PROVED), below)
    assert not run.proves_at(replace(v, status=EB.UNPROVED), Bounds())


def test_a_stale_syn_is_rejected_where_the_window_does_not_reach_the_old_isn(
    tmp_path: Path,
) -> None:
    """stale-syn: handshake.stale_syn_rejected holds for every bound where the receive window
    stays below the distance between the two incarnations' ISNs, and one unit wider the
    explicit engine shows the old SYN's connection synchronizing (a real run, replayed)."""
    out = tmp_path / "v.json"
    args = ["prove", "--every-bound", STALE, "--scenario", "stale-syn", "--json", str(out)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    (doc,) = json.loads(out.read_text())["verdicts"]
    assert doc["status"] == "proved-if"
    assert doc["condition"] == "window <= 60 (ISS minus the earlier incarnation's ISS)"
    assert "the window one unit wider, violated at" in r.output and "window 61" in r.output
    assert "--window 61" in doc["bounds"]
    # the reference (English and Korean) shows the same run's command
    (command,) = re.findall(r"violated at .*: (tcpspec verify [^\n]+)", r.output)
    for page in ("reference.md", "reference.ko.md"):
        text = (Path(__file__).parent.parent / "docs" / page).read_text(encoding="utf-8")
        assert f"`{command}`" in " ".join(text.split()), page
    last = doc["counterexample"]["steps"][-1]
    assert last["server"].startswith("ESTABLISHED")
    v = EB.Verdict(STALE, "stale-syn", EB.PROVED_IF, 0.0, "certificate",
                   {"window-below-the-isn-gap": []})  # fmt: skip
    assert run.proves_at(v, Bounds(window=60)) and not run.proves_at(v, Bounds(window=61))


def test_verify_every_bound_says_when_a_certificate_no_longer_proves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A certificate that names an unknown conjunct is refused (Houdini runs again, and a note
    says so); one that is inductive but too weak leaves the properties unproved for every bound:
    `make verify` then exits 3. A mutant's run has no proofs for every bound to re-check."""
    cert = tmp_path / "every-bound.json"
    monkeypatch.setattr(EB, "CERTIFICATES", cert)
    runner = CliRunner()
    args = ["verify", "--scenario", "handshake", "--every-bound", "--workers", "1"]
    cert.write_text(json.dumps({"scenarios": {"handshake": {"": ["lemma no_such_lemma"]}}}))
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert f"note: handshake: {EB.STALE} (make certificates)" in r.output
    cert.write_text(json.dumps({"scenarios": {"handshake": {"": ["domain"]}}}))
    r = runner.invoke(app, args)
    assert r.exit_code == 3, r.output
    assert "not proved for every bound, only at the bounds checked above" in r.output
    with pytest.raises(ValueError, match="not of a mutant"):
        from tcpspec.checks.verify import verify

        verify(Bounds(), ("handshake",), "two-way-handshake", every_bound=True)
