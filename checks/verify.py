"""Run the checks over every scenario, and the mutant sweep: what `tcpspec verify` reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from checks.explicit import Exploration, Stats, explore
from checks.properties import CHECKED, PROPERTIES, Property
from checks.trace import Trace
from spec.build import make_model
from spec.model import Bounds, Model
from spec.mutants import MUTANTS, Mutant
from spec.scenarios import DEFAULT_SCENARIOS


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


@dataclass
class Report:
    results: dict[str, Result]
    stats: dict[str, Stats] = field(default_factory=dict)  # per scenario
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        # A witness is required where the property's own scenario was explored.
        return all(
            r.holds
            and (
                r.property.witness is None
                or r.witness is not None
                or r.property.scenario not in self.stats
            )
            for r in self.results.values()
        )

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


def verify(
    bounds: Bounds,
    scenarios: tuple[str, ...] = DEFAULT_SCENARIOS,
    mutant: str | None = None,
    max_states: int = 2_000_000,
    on_scenario: OnScenario | None = None,
    measure_memory: bool = False,
) -> Report:
    t0 = time.perf_counter()
    results = {p.id: Result(p) for p in CHECKED}
    report = Report(results)
    for name in scenarios:
        model = make_model(name, bounds, mutant)
        ex = explore(model, CHECKED, max_states=max_states, measure_memory=measure_memory)
        report.stats[name] = ex.stats
        for p in CHECKED:
            r = results[p.id]
            v = ex.verdicts.get(p.id)
            if v is not None and not v.holds and r.holds:
                r.holds, r.trace, r.model, r.scenario = False, v.trace, model, name
            if p.witness and (r.witness is None or name == p.scenario):
                wv = ex.verdicts.get(p.witness)
                if wv is not None and wv.holds:
                    r.witness, r.witness_model, r.witness_scenario = wv.trace, model, name
        if on_scenario is not None:
            on_scenario(name, ex)
    report.seconds = time.perf_counter() - t0
    return report


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


def sweep(
    bounds: Bounds, names: tuple[str, ...] | None = None, max_states: int = 2_000_000
) -> list[Catch]:
    """Run each mutant in its scenario and record which properties catch it."""
    out = []
    for name in names or tuple(MUTANTS):
        m = MUTANTS[name]
        model = make_model(m.scenario, bounds, m.name)
        # stop as soon as the expected property is violated (a safety property) or never
        ex = explore(model, CHECKED, max_states=max_states, stop_at=(m.breaks,))
        caught = [
            pid
            for pid, v in ex.verdicts.items()
            if not v.holds and PROPERTIES[pid].kind != "reachable"
        ]
        v = ex.verdicts.get(m.breaks)
        trace = v.trace if v is not None and not v.holds else None
        out.append(Catch(m, sorted(caught), trace, model, ex.stats))
    return out
