"""`make bench`: how the explicit engine scales with the bounds (states, states/s, time, memory),
and the Z3 engine's figures: seconds per property for BMC at depth k and for the induction
proof, per scenario, and for the TIME-WAIT synthesis grid.

Figures, not assertions: tests never assert on time. Run with ``python -m tcpspec.checks.bench``.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import TYPE_CHECKING

from tcpspec.checks.explicit import Stats, explore
from tcpspec.checks.properties import CHECKED, SAFETY_KINDS
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds

if TYPE_CHECKING:  # rich is imported by the parent only: the measured children stay lean
    from rich.console import Console
    from rich.table import Table

RUNS: list[tuple[str, str, Bounds]] = [
    ("handshake", "default", Bounds()),
    ("close", "default", Bounds()),
    ("connect-close", "default", Bounds()),
    ("close", "retries=2", Bounds(retries=2)),
    ("close", "duplicates=2", Bounds(duplicates=2)),
    ("close", "msl=2 rto=2", Bounds(msl=2, rto=2)),
    ("connect-close", "capacity=3", Bounds(capacity=3)),
    ("connect-close", "capacity=4", Bounds(capacity=4)),
]


def console() -> Console:
    from rich.console import Console

    # a fixed width, so the figures read the same in a terminal and in a CI log
    return Console(width=160, highlight=False)


def _table(title: str) -> Table:
    from rich.table import Table

    return Table(title=title)


def main(argv: list[str]) -> int:
    runs = RUNS[:3] if "--quick" in argv else RUNS
    if "--explicit" in argv:  # only the explicit engine's table
        argv = [*argv, "--no-z3", "--no-grid", "--no-spin"]
    t = _table("tcpspec bench (explicit engine)")
    for col in (
        "scenario",
        "bounds",
        "states",
        "transitions",
        "depth",
        "seconds",
        "states/s",
        "peak RSS MiB",
        "bytes/state",
    ):
        t.add_column(col, justify="right")
    for scenario, name, b in runs:
        ex = _in_child(scenario, b)  # a fresh process each: its own peak memory
        s = ex
        t.add_row(
            scenario,
            name,
            f"{s.states:,}",
            f"{s.transitions:,}",
            str(s.depth),
            f"{s.seconds:.2f}",
            f"{s.states / s.seconds:,.0f}",
            f"{s.peak_mib:.0f}",
            f"{s.peak_mib * 2**20 / s.states:,.0f}",
        )
        console().print(f"  {scenario} {name}: {s.states:,} states in {s.seconds:.1f} s")
    console().print(t)
    console().print(
        "  bytes/state: the whole process's peak resident size (the interpreter, tcpspec and "
        "numpy included) over the states"
    )
    if "--no-spin" not in argv:
        spin_bench(quick="--quick" in argv)
    if "--no-z3" not in argv:
        z3_bench(quick="--quick" in argv)
    if "--no-every-bound" not in argv:
        every_bound_bench(quick="--quick" in argv)
    if "--no-grid" not in argv:
        grid_bench(quick="--quick" in argv)
    if "--no-conform" not in argv:
        conform_bench()
    return 0


#: How many packetdrill scripts the suite figure checks in one run (issue 17's target: 250 in
#: at most 15 s on a 2-core machine).
SUITE = 250


def conform_bench() -> None:
    """A packetdrill suite in one go: `tcpspec conform DIR --junit`, a fresh process, the
    model's generated tests (testgen) written out as 250 script files; and the negative control
    over the accepted ones (every corruption of one kernel event, and how many are rejected)."""
    import dataclasses
    import subprocess
    import tempfile
    import time
    from pathlib import Path

    from tcpspec.checks.conformance import control, packetdrill, testgen
    from tcpspec.checks.conformance.endpoint import Event
    from tcpspec.checks.conformance.report import Outcome

    scripts = [g for s in sorted(testgen.SETUPS) for g in testgen.generate(s)]
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(SUITE):
            g = scripts[k % len(scripts)]
            (Path(tmp) / f"{k:03d}-{g.name}").write_text(g.text)
        t0 = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "tcpspec", "conform", tmp, "--junit", f"{tmp}/junit.xml"],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - t0
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr.strip()
    console().print(
        f"conform, a suite in one process: {SUITE} packetdrill scripts in {seconds:.1f} s "
        f"({SUITE / seconds:.0f} scripts/s, start-up included, exit {run.returncode}): {last}"
    )
    seg = seg_caught = calls = calls_caught = 0
    sample = scripts[:: max(1, len(scripts) // 60)]
    for g in sample:
        sc = packetdrill.parse(g.text, g.name)
        if not packetdrill.check_script(sc).accepted:
            continue

        def check(events: list[Event], sc: packetdrill.KernelTrace = sc) -> Outcome:
            return packetdrill.check_script(dataclasses.replace(sc, events=events))

        got = control.count([list(sc.events)], check)
        seg, seg_caught = seg + got[0], seg_caught + got[1]
        calls, calls_caught = calls + got[2], calls_caught + got[3]
    console().print(
        f"conform, negative control over {len(sample)} generated scripts: "
        f"{seg_caught} of {seg} segment corruptions rejected at the segment, "
        f"{calls_caught} of {calls} call corruptions (deleted, moved) rejected; the others are "
        "corruptions the model still explains (for the fixtures, tests/test_endpoint.py names "
        "why each is still TCP)"
    )


def _explore_stats(scenario: str, b: Bounds) -> Stats:
    import numpy  # noqa: F401  (liveness needs it: imported before the clock starts)

    return explore(make_model(scenario, b), measure_memory=True).stats


def _in_child(scenario: str, b: Bounds) -> Stats:
    """One exploration in a fresh process (spawned: nothing inherited), for its peak memory."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_explore_stats, (scenario, b))


#: explicit and SPIN side by side on the same model (the exported one), at growing bounds
SPIN_RUNS: list[tuple[str, str, Bounds]] = [
    ("connect-close", "default", Bounds()),
    ("connect-close", "capacity=3", Bounds(capacity=3)),
    ("close", "msl=2 rto=2", Bounds(msl=2, rto=2)),
    ("connect-close", "capacity=4", Bounds(capacity=4)),
]


def _safety_child(engine: str, scenario: str, b: Bounds) -> tuple[int, float, float]:
    """The safety properties by one engine, in this (fresh) process: (states, peak RSS MiB of
    this process and its children, SPIN's pan included; for SPIN also pan's own "total actual
    memory usage")."""
    import resource

    model = make_model(scenario, b)
    if engine == "spin":
        from tcpspec.checks.spin.run import check

        r = check(model)
        states, own = r.states, r.memory_mb
    else:
        safety = tuple(p for p in CHECKED if p.kind in SAFETY_KINDS)
        states, own = explore(model, safety).stats.states, 0.0
    peak = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return states, peak / 1024, own


def spin_bench(quick: bool) -> None:
    """Explicit and SPIN on the safety properties of the same model: states, states/s, whole
    time (a fresh process: Python start, export, spin -a, gcc and pan for SPIN), peak memory."""
    import time

    from tcpspec.checks.spin.run import missing

    why = missing()
    if why is not None:
        console().print(f"SPIN side by side: skipped ({why})")
        return
    t = _table("explicit vs SPIN (safety properties, whole process)")
    cols = (
        "scenario",
        "bounds",
        "engine",
        "states",
        "seconds",
        "states/s",
        "peak MiB",
        "pan MiB",
    )
    for col in cols:
        t.add_column(col, justify="right")
    ctx = multiprocessing.get_context("spawn")
    for scenario, name, b in SPIN_RUNS[:1] if quick else SPIN_RUNS:
        for engine in ("explicit", "spin"):
            t0 = time.perf_counter()
            with ctx.Pool(1) as pool:
                states, peak, own = pool.apply(_safety_child, (engine, scenario, b))
            secs = time.perf_counter() - t0
            t.add_row(
                scenario,
                name,
                engine,
                f"{states:,}",
                f"{secs:.2f}",
                f"{states / secs:,.0f}",
                f"{peak:.0f}",
                f"{own:.0f}" if engine == "spin" else "-",
            )
            console().print(f"  {engine} {scenario} {name}: {states:,} states in {secs:.1f} s")
    console().print(t)


#: the synthesis grid timed serially and over every core: msl and rto 1..4, retries 0..3
BIG_GRID = [(m, r, n) for m in range(1, 5) for r in range(1, 5) for n in range(4)]


def grid_bench(quick: bool) -> None:
    """The TIME-WAIT synthesis over a 64-point grid, serially and on a process pool."""
    import time

    from tcpspec.checks import parallel
    from tcpspec.checks.synthesis import synthesize_time_wait

    grid = BIG_GRID[:8] if quick else BIG_GRID
    t0 = time.perf_counter()
    serial = synthesize_time_wait(grid)
    t_serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    pooled = synthesize_time_wait(grid, workers=None)
    t_pool = time.perf_counter() - t0
    same = [r.least_time_wait for r in serial] == [r.least_time_wait for r in pooled]
    console().print(
        f"TIME-WAIT synthesis over {len(grid)} grid points (msl, rto 1..4, retries 0..3): "
        f"serial {t_serial:.1f} s, {parallel.cores()} processes {t_pool:.1f} s "
        f"(x{t_serial / t_pool:.2f}); same results: {same}"
    )


Z3_SCENARIOS = ("handshake", "close", "connect-close")
BMC_DEPTHS = (4, 6)
GRID = [(1, 1, 0), (1, 1, 1), (1, 2, 1), (2, 1, 1)]


#: The scenarios of the figures for every bound (Houdini from scratch takes up to a minute each).
EVERY_BOUND_SCENARIOS = ("handshake", "connect-close", "close")


def every_bound_bench(quick: bool) -> None:
    """Proofs for every bound (`tcpspec prove --every-bound`): Houdini from scratch on the
    parametric model, and the checked-in certificate re-checked, unconditionally and under each
    TIME-WAIT condition."""
    import time

    from tcpspec.checks.symbolic import every_bound as EB
    from tcpspec.checks.symbolic import parametric as P

    t = _table("tcpspec bench (Z3, every bound)")
    for col in ("scenario", "invariant", "conjuncts", "Houdini s", "re-check s", "holds"):
        t.add_column(col, justify="right")
    stored = EB.load()
    for scenario in EVERY_BOUND_SCENARIOS[:1] if quick else EVERY_BOUND_SCENARIOS:
        pm = P.parametric(scenario)
        base = stored.get(scenario, {}).get("", [])
        conds = [None, *EB.scenario_conditions(scenario).values()]
        for cond in conds:
            name = "" if cond is None else cond.name
            if name not in stored.get(scenario, {}):
                continue
            term = True if cond is None else cond.term(pm.p)
            facts = None if cond is None else base
            t0 = time.perf_counter()
            h = EB.houdini(pm, term, facts)
            houdini_s = time.perf_counter() - t0
            kept = stored[scenario][name]
            t0 = time.perf_counter()
            held = EB.recheck(pm, kept, term, facts)
            t.add_row(scenario, name or "no condition", str(len(h.kept)), f"{houdini_s:.1f}",
                      f"{time.perf_counter() - t0:.1f}", "yes" if held else "NO")  # fmt: skip
            console().print(f"  every bound {scenario} {name or '-'}: done")
    console().print(t)
    if not quick:
        mutant_bench()
        verify_bench()


def mutant_bench() -> None:
    """Each safety mutant refuted in its own scenario, as `tcpspec prove --every-bound --mutant`
    refutes it: BMC over symbolic bounds, then the explicit engine's run at the least bounds."""
    import time

    from tcpspec.checks.every_bound import refute
    from tcpspec.checks.properties import PROPERTIES, SAFETY_KINDS
    from tcpspec.checks.symbolic import every_bound as EB
    from tcpspec.spec.mutants import MUTANTS

    t = _table("tcpspec bench (every bound: each safety mutant refuted)")
    for col in ("mutant", "scenario", "how", "steps", "at", "seconds"):
        t.add_column(col, justify="right")
    for name, m in sorted(MUTANTS.items()):
        if PROPERTIES[m.breaks].kind not in SAFETY_KINDS:
            continue
        t0 = time.perf_counter()
        r = refute(m.scenario, name, m.breaks, EB.EVERY_DEPTH)
        secs = f"{time.perf_counter() - t0:.1f}"
        if r is None:
            t.add_row(name, m.scenario, "NOT REFUTED", "", "", secs)
        else:
            t.add_row(name, m.scenario, r.method, str(len(r.trace.steps)), r.at(), secs)
        console().print(f"  mutant {name}: done")
    console().print(t)


def verify_bench() -> None:
    """`make verify` whole-process, as CI runs it (issue 18's target: at most 20 s here, with the
    certificates for every bound re-checked)."""
    import subprocess
    import time

    command = ["verify", "--mutants", "--every-bound"]
    t0 = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "tcpspec", *command], capture_output=True, text=True, check=False
    )
    console().print(
        f"make verify (tcpspec {' '.join(command)}), one process from start to end: "
        f"{time.perf_counter() - t0:.1f} s, exit {run.returncode}"
    )


def z3_bench(quick: bool) -> None:
    """Seconds per property: BMC at each depth k (no counterexample exists at the default
    bounds, so this is the cost of the search), the induction proof (Houdini once per model,
    then one implication check per property), and the synthesis grid."""
    import time

    from tcpspec.checks.symbolic import bmc, prove_by_induction
    from tcpspec.checks.symbolic.certificate import load, recheck
    from tcpspec.checks.symbolic.houdini import houdini
    from tcpspec.checks.synthesis import synthesize_time_wait
    from tcpspec.checks.verify import SYMBOLIC_KINDS

    ids = [p.id for p in CHECKED if p.kind in SYMBOLIC_KINDS]
    certificates = load()
    depths = BMC_DEPTHS[:1] if quick else BMC_DEPTHS
    t = _table("tcpspec bench (Z3 engine, default bounds)")
    for col in (
        "scenario",
        "property",
        *[f"BMC k={k} s" for k in depths],
        "induction",
        "induction s",
    ):
        t.add_column(col, justify="right")
    for scenario in Z3_SCENARIOS[:2] if quick else Z3_SCENARIOS:
        m = make_model(scenario)
        t0 = time.perf_counter()
        ind = houdini(m)
        houdini_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        held = recheck(m, certificates.get(scenario, []), ids) is not None
        console().print(
            f"  z3 {scenario}: Houdini {houdini_s:.1f} s; the checked-in certificate re-checked "
            f"in one query: {time.perf_counter() - t0:.1f} s ({'holds' if held else 'FAILS'})"
        )
        for pid in ids:
            row = [scenario, pid]
            for k in depths:
                t0 = time.perf_counter()
                bmc(m, pid, k)
                row.append(f"{time.perf_counter() - t0:.1f}")
            t0 = time.perf_counter()
            proved = pid in prove_by_induction(m, [pid])
            # the Houdini run is shared by all properties of a model; shown on every row
            row += [
                "proved" if proved else "not proved",
                f"{time.perf_counter() - t0:.1f} (Houdini {houdini_s:.1f}, "
                f"{ind.rounds if ind else '-'} rounds)",
            ]
            t.add_row(*row)
            console().print(f"  z3 {scenario} {pid}: done")
    console().print(t)
    t0 = time.perf_counter()
    rows = synthesize_time_wait(GRID[:2] if quick else GRID)
    secs = time.perf_counter() - t0
    console().print(
        f"TIME-WAIT synthesis over {len(rows)} grid points (msl, rto, retries) "
        f"{[r[:3] for r in (GRID[:2] if quick else GRID)]}: {secs:.1f} s"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
