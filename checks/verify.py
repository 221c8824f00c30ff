"""Run the checks over every scenario, and the mutant sweep: what `tcpspec verify` reports.

Both engines check the same properties in the same models: the explicit engine
(`checks.explicit`, every reachable state) and the Z3 engine (`checks.symbolic`: an inductive
proof, else bounded model checking to ``depth``). With both, the verdicts must agree in every
scenario: a property holds for one exactly when the other finds no counterexample, and a
counterexample has the same (shortest) length in both. Deadlock and liveness are checked on the
explicit state graph only.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from tcpspec.checks import every_bound, parallel
from tcpspec.checks.explicit import Exploration, Stats, Verdict, explore
from tcpspec.checks.properties import CHECKED, PROPERTIES, SAFETY_KINDS, Property
from tcpspec.checks.symbolic import BOUNDED, PROVED, VIOLATED, SymbolicVerdict, certificate, check
from tcpspec.checks.symbolic.every_bound import Verdict as EveryVerdict
from tcpspec.checks.symbolic.induction import STALE_CERTIFICATE
from tcpspec.checks.trace import Trace
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, Model
from tcpspec.spec.mutants import MUTANTS, Mutant
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS

ENGINES = ("explicit", "z3", "both")
SYMBOLIC_KINDS = SAFETY_KINDS  # what the Z3 engine checks
DEFAULT_DEPTH = 6  # BMC depth: ~10 s per scenario at the default bounds; depth 8 takes minutes


@dataclass
class Result:
    """One property over all scenarios."""

    property: Property
    holds: bool = True
    trace: Trace | None = None
    model: Model | None = None  # the model the trace belongs to (to render it)
    scenario: str = ""  # where the counterexample was found
    witness: Trace | None = None
    witness_model: Model | None = None
    witness_scenario: str = ""
    # the Z3 engine, per scenario (empty when it did not run or does not apply)
    z3: dict[str, SymbolicVerdict] = field(default_factory=dict)
    z3_models: dict[str, Model] = field(default_factory=dict)
    explicit_by_scenario: dict[str, int | None] = field(default_factory=dict)  # None: holds
    disagreements: list[str] = field(default_factory=list)

    def symbolic(self) -> bool:
        """The Z3 engine checks this property (safety); deadlock and liveness it does not."""
        return self.property.kind in SYMBOLIC_KINDS

    def z3_status(self) -> str | None:
        """Over all scenarios: violated if violated in one, proved if proved in all."""
        if not self.z3:
            return None
        statuses = {v.status for v in self.z3.values()}
        if VIOLATED in statuses:
            return VIOLATED
        return PROVED if statuses == {PROVED} else BOUNDED

    def z3_counterexample(self) -> tuple[str, SymbolicVerdict] | None:
        for name, v in self.z3.items():
            if v.status == VIOLATED:
                return name, v
        return None


@dataclass
class Report:
    results: dict[str, Result]
    stats: dict[str, Stats] = field(default_factory=dict)  # per scenario (explicit engine)
    seconds: float = 0.0
    engine: str = "explicit"
    depth: int = DEFAULT_DEPTH
    z3_seconds: float = 0.0
    scenarios: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)  # e.g. a certificate had to be recomputed
    # the proofs for every bound, re-checked (scenario -> one verdict per safety property)
    every: dict[str, list[EveryVerdict]] = field(default_factory=dict)

    @property
    def explicit(self) -> bool:
        return self.engine in ("explicit", "both")

    @property
    def z3(self) -> bool:
        return self.engine in ("z3", "both")

    @property
    def agree(self) -> bool:
        return all(not r.disagreements for r in self.results.values())

    def every_open(self) -> list[EveryVerdict]:
        """The proofs for every bound re-checked that no longer prove their property (not
        proved, or violated): `make verify` does not pass with one of them."""
        bad = (every_bound.UNPROVED, every_bound.VIOLATED)
        return [v for vs in self.every.values() for v in vs if v.status in bad]

    @property
    def ok(self) -> bool:
        """No property violated (by either engine), and the engines agree."""
        explicit_ok = not self.explicit or all(r.holds for r in self.results.values())
        z3_ok = not self.z3 or all(r.z3_status() != VIOLATED for r in self.results.values())
        return explicit_ok and z3_ok and self.agree

    def vacuous(self) -> list[Result]:
        """Safety properties that hold only vacuously: their "sometimes" companion is never
        reached in the property's own scenario, which was explored."""
        if not self.explicit:
            return []
        return [
            r
            for r in self.results.values()
            if r.holds
            and r.property.witness is not None
            and r.witness is None
            and r.property.scenario in self.stats
        ]

    def inconclusive(self) -> list[Result]:
        """Properties with neither a verdict of the explicit engine nor a Z3 proof: Z3 alone
        found no counterexample within its depth and no proof."""
        if self.explicit or not self.z3:
            return []
        return [r for r in self.results.values() if r.symbolic() and r.z3_status() == BOUNDED]

    def totals(self) -> Stats:
        s = Stats()
        for st in self.stats.values():
            s.states += st.states
            s.transitions += st.transitions
            s.depth = max(s.depth, st.depth)
            s.peak_mib = max(s.peak_mib, st.peak_mib)
        s.seconds = self.seconds
        return s


OnScenario = Callable[[str, Exploration], None]
OnStep = Callable[[str], None]
ScenarioProgress = Callable[[str, Stats], None]


def verify(
    bounds: Bounds,
    scenarios: tuple[str, ...] = DEFAULT_SCENARIOS,
    mutant: str | None = None,
    max_states: int = 2_000_000,
    on_scenario: OnScenario | None = None,
    measure_memory: bool = False,
    engine: str = "explicit",
    depth: int = DEFAULT_DEPTH,
    on_step: OnStep | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
    max_memory_mib: float | None = None,
    progress: ScenarioProgress | None = None,
    progress_every: float = 2.0,
    every_bound: bool = False,
) -> Report:
    """Check every property in every scenario with the chosen engine(s); with ``every_bound``,
    also re-check the proofs for every bound (`checks.every_bound`, from their certificates:
    no searches), as tasks beside the others.

    Each scenario and engine is an independent task: with ``workers`` other than 1 (None: every
    core) or a Dask ``scheduler`` they run in parallel (`checks.parallel`), with the same
    report. ``on_scenario`` (which receives the whole `Exploration`) needs them here: it makes
    the run serial. ``progress(scenario, stats)`` is called every few seconds of a long
    exploration (in the worker: it must pickle, e.g. a module-level function)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if every_bound and mutant is not None:
        # (the proofs for every bound are TCP's own: they say nothing of a mutant)
        raise ValueError("every_bound re-checks the proofs of TCP unmutated, not of a mutant")
    t0 = time.perf_counter()
    results = {p.id: Result(p) for p in CHECKED}
    report = Report(results, engine=engine, depth=depth, scenarios=scenarios)
    symbolic = [p.id for p in CHECKED if p.kind in SYMBOLIC_KINDS]
    models = {name: make_model(name, bounds, mutant) for name in scenarios}  # checks the names
    certs = (
        certificate.load() if mutant is None and bounds.resolved() == Bounds().resolved() else {}
    )
    serial = on_scenario is not None or (workers == 1 and scheduler is None)
    explicit: dict[str, tuple[Stats, dict[str, Verdict]]] = {}
    z3: dict[str, dict[str, SymbolicVerdict]] = {}
    # With the proofs for every bound, the Z3 engine at these bounds is asked only what they
    # do not prove here (they cover every bound, these included): a second round.
    z3_first = report.z3 and not every_bound
    if serial:
        for name in scenarios:
            deeper: dict[str, int] = {}
            if report.explicit:
                if on_step is not None:
                    on_step(f"{name}: explicit engine")
                ex = _exploration(
                    models[name],
                    *(name, max_states, measure_memory, max_memory_mib, progress, progress_every),
                )
                explicit[name] = ex.stats, ex.verdicts
                deeper = _deeper(ex.verdicts, symbolic)
                if on_scenario is not None:
                    on_scenario(name, ex)
            if every_bound:
                if on_step is not None:
                    on_step(f"{name}: proofs for every bound")
                report.every[name] = _every_task(name, symbolic)
            if report.z3:
                if on_step is not None:
                    on_step(f"{name}: Z3 engine (induction, BMC to depth {depth})")
                z3[name] = _covered(report.every.get(name, []), bounds)
                rest = [pid for pid in symbolic if pid not in z3[name]]
                if rest:
                    z3[name] |= _z3_task(name, bounds, mutant, rest, depth, deeper, certs.get(name))
    else:
        tasks: list[tuple[Any, ...]] = []
        for name in scenarios:  # the biggest first: the pool is busy to the end
            if z3_first:
                tasks.append(("z3", name, bounds, mutant, symbolic, depth, {}, certs.get(name)))
            if report.explicit:
                tasks.append(
                    (
                        "explicit",
                        *(name, bounds, mutant, max_states, measure_memory, max_memory_mib),
                        progress,
                        progress_every,
                    )
                )
        tasks.sort(key=lambda t: (t[1] != "connect-close", t[0] != "z3"))
        tasks += [("every", name, symbolic) for name in scenarios if every_bound]
        if on_step is not None:
            on_step(f"{len(tasks)} tasks on {workers or parallel.cores()} processes")
        for t, out in zip(tasks, parallel.run(_task, tasks, workers, scheduler), strict=True):
            if t[0] == "every":
                report.every[t[1]] = out
            else:
                (z3 if t[0] == "z3" else explicit)[t[1]] = out
        if report.z3 and not z3_first:
            rounds: list[tuple[Any, ...]] = []
            for name in scenarios:
                z3[name] = _covered(report.every[name], bounds)
                rest = [pid for pid in symbolic if pid not in z3[name]]
                if rest:
                    rounds.append(("z3", name, bounds, mutant, rest, depth, {}, certs.get(name)))
            for t, out in zip(rounds, parallel.run(_task, rounds, workers, scheduler), strict=True):
                z3[t[1]] |= out
        # BMC must reach a counterexample the explicit engine found: again, deeper, if it did not
        again = []
        for name in scenarios if report.z3 and report.explicit else ():
            deeper = _deeper(explicit[name][1], symbolic)
            short = [
                pid for pid, n in deeper.items()
                if z3[name][pid].status == BOUNDED and z3[name][pid].depth < n
            ]  # fmt: skip
            if short:  # (only what the proofs for every bound did not give: a covered
                # property is proved, never short)
                rest = [pid for pid in symbolic if z3[name][pid].method != "every bound"]
                again.append(("z3", name, bounds, mutant, rest, depth, deeper, certs.get(name)))
        for t, out in zip(again, parallel.run(_task, again, workers, scheduler), strict=True):
            z3[t[1]] |= out
    for name in scenarios:
        if name in explicit:
            report.stats[name] = explicit[name][0]
            _take_explicit(results, explicit[name][1], models[name], name)
        for pid, v in z3.get(name, {}).items():
            results[pid].z3[name] = v
            results[pid].z3_models[name] = models[name]
        if z3.get(name):
            report.z3_seconds += max(v.seconds for v in z3[name].values())
            if any(n.startswith(STALE_CERTIFICATE) for v in z3[name].values() for n in v.notes):
                report.notes.append(f"{name}: {STALE_CERTIFICATE} (make certificates)")
    if engine == "both":
        for r in results.values():
            r.disagreements = _disagreements(r)
    report.seconds = time.perf_counter() - t0
    return report


def why_vacuous(
    r: Result, bounds: Bounds, mutant: str | None = None, max_states: int = 2_000_000
) -> list[str]:
    """The bounds that make ``r`` vacuous: each of them, put back at its default alone, makes
    the "sometimes" companion reachable again (``--data 0`` for data after a FIN, say).
    Empty when no single bound does it."""
    p, w = r.property, r.property.witness
    assert w is not None
    default = Bounds().resolved()
    out = []
    for f in fields(Bounds):
        here, usual = getattr(bounds, f.name), getattr(default, f.name)
        if here == usual or f.name == "fin_wait_2":
            continue
        model = make_model(p.scenario, replace(bounds, **{f.name: usual}), mutant)
        ex = explore(model, (p,), max_states=max_states, stop_at=(w,))
        if (v := ex.verdicts.get(w)) is not None and v.holds:
            out.append(f.name)
    return out


def _deeper(verdicts: dict[str, Verdict], symbolic: list[str]) -> dict[str, int]:
    """The length of each counterexample the explicit engine found (BMC must reach it)."""
    return {
        pid: len(v.trace)
        for pid in symbolic
        if (v := verdicts.get(pid)) is not None and not v.holds and v.trace is not None
    }


def _z3_task(
    name: str,
    bounds: Bounds,
    mutant: str | None,
    symbolic: list[str],
    depth: int,
    deeper: dict[str, int],
    cert: list[str] | None,
) -> dict[str, SymbolicVerdict]:
    return check(make_model(name, bounds, mutant), symbolic, depth, deeper, certificate=cert)


def _explicit_task(
    name: str,
    bounds: Bounds,
    mutant: str | None,
    max_states: int,
    measure_memory: bool,
    max_memory_mib: float | None,
    progress: ScenarioProgress | None = None,
    progress_every: float = 2.0,
) -> tuple[Stats, dict[str, Verdict]]:
    ex = _exploration(
        make_model(name, bounds, mutant),
        *(name, max_states, measure_memory, max_memory_mib, progress, progress_every),
    )
    return ex.stats, ex.verdicts


def _exploration(
    model: Model,
    name: str,
    max_states: int,
    measure_memory: bool,
    max_memory_mib: float | None,
    progress: ScenarioProgress | None,
    progress_every: float,
) -> Exploration:
    """The explicit engine on one scenario, every property checked (serial or in a task)."""
    return explore(
        model,
        CHECKED,
        max_states=max_states,
        measure_memory=measure_memory,
        max_memory_mib=max_memory_mib,
        progress=functools.partial(progress, name) if progress else None,
        progress_every=progress_every,
    )


def _covered(every: list[EveryVerdict], bounds: Bounds) -> dict[str, SymbolicVerdict]:
    """The Z3 engine's verdicts at ``bounds`` that the proofs for every bound already give."""
    return {
        v.property_id: SymbolicVerdict(
            v.property_id, PROVED, 0, method="every bound", seconds=v.seconds,
            notes=[f"{v.describe()} (checks/symbolic/every-bound.json)"],
        )
        for v in every
        if every_bound.proves_at(v, bounds)
    }  # fmt: skip


def _every_task(name: str, symbolic: list[str]) -> list[EveryVerdict]:
    return every_bound.check(name, symbolic, searches=False)


def _task(kind: str, *args: Any) -> Any:
    """One task of a parallel `verify` (module level, so that it pickles)."""
    if kind == "every":
        return _every_task(*args)
    return _z3_task(*args) if kind == "z3" else _explicit_task(*args)


def _take_explicit(
    results: dict[str, Result], verdicts: dict[str, Verdict], model: Model, name: str
) -> None:
    for p in CHECKED:
        r = results[p.id]
        v = verdicts.get(p.id)
        if v is not None:
            r.explicit_by_scenario[name] = None if v.holds or v.trace is None else len(v.trace)
        if v is not None and not v.holds and r.holds:
            r.holds, r.trace, r.model, r.scenario = False, v.trace, model, name
        if p.witness and (r.witness is None or name == p.scenario):
            wv = verdicts.get(p.witness)
            if wv is not None and wv.holds:
                r.witness, r.witness_model, r.witness_scenario = wv.trace, model, name


def _disagreements(r: Result) -> list[str]:
    """Scenarios where the engines' verdicts differ (or counterexample lengths do)."""
    out = []
    for name, v in r.z3.items():
        n = r.explicit_by_scenario.get(name)
        if n is None and v.status == VIOLATED:
            out.append(f"{name}: explicit holds, z3 {v.describe()}")
        elif n is not None and (v.status != VIOLATED or v.depth != n):
            out.append(f"{name}: explicit violated ({n} steps), z3 {v.describe()}")
    return out


@dataclass
class Catch:
    mutant: Mutant
    caught_by: list[str]
    trace: Trace | None  # counterexample to the property the mutant is expected to break
    model: Model
    stats: Stats

    @property
    def ok(self) -> bool:
        return self.mutant.breaks in self.caught_by


def unmutated_failures(
    bounds: Bounds,
    names: tuple[str, ...] | None = None,
    max_states: int = 2_000_000,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> list[tuple[str, str]]:
    """(scenario, property) pairs where TCP itself, unmutated, already breaks a property that
    a mutant is meant to break: at such bounds a mutant "caught" proves nothing. One
    exploration per scenario, of just the properties its mutants break (one task each)."""
    by_scenario: dict[str, set[str]] = {}
    for name in names or tuple(MUTANTS):
        m = MUTANTS[name]
        by_scenario.setdefault(m.scenario, set()).add(m.breaks)
    tasks = [
        (sc, tuple(sorted(pids)), bounds, max_states) for sc, pids in sorted(by_scenario.items())
    ]
    out = []
    for (scenario, _, _, _), broken in zip(
        tasks, parallel.run(_unmutated_task, tasks, workers, scheduler), strict=True
    ):
        out += [(scenario, pid) for pid in broken]
    return out


def _unmutated_task(
    scenario: str, pids: tuple[str, ...], bounds: Bounds, max_states: int
) -> list[str]:
    props = tuple(p for p in CHECKED if p.id in pids)
    ex = explore(make_model(scenario, bounds), props, max_states=max_states)
    return [p.id for p in props if not ex.verdicts[p.id].holds]


def sweep(
    bounds: Bounds,
    names: tuple[str, ...] | None = None,
    max_states: int = 2_000_000,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> list[Catch]:
    """Run each mutant in its scenario and record which properties catch it (one task per
    mutant: in parallel with ``workers`` other than 1 or a Dask ``scheduler``)."""
    chosen = names or tuple(MUTANTS)
    tasks = [(name, bounds, max_states) for name in chosen]
    out = []
    for name, (caught, trace, stats) in zip(
        chosen, parallel.run(_mutant_task, tasks, workers, scheduler), strict=True
    ):
        m = MUTANTS[name]
        out.append(Catch(m, caught, trace, make_model(m.scenario, bounds, m.name), stats))
    return out


def _mutant_task(
    name: str, bounds: Bounds, max_states: int
) -> tuple[list[str], Trace | None, Stats]:
    m = MUTANTS[name]
    model = make_model(m.scenario, bounds, m.name)
    # stop as soon as the expected property is violated (a safety property) or never
    ex = explore(model, CHECKED, max_states=max_states, stop_at=(m.breaks,))
    caught = [
        pid for pid, v in ex.verdicts.items() if not v.holds and PROPERTIES[pid].kind != "reachable"
    ]
    v = ex.verdicts.get(m.breaks)
    trace = v.trace if v is not None and not v.holds else None
    return sorted(caught), trace, ex.stats
