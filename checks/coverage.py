"""Rule coverage: which cases of `spec/` a model check fires, and which never fire.

A case that no transition fires at the bounds checked is either a bound too small to reach it or a
dead rule (a bug in a specification: a guard nothing satisfies). `coverage` counts, for each case
of the rule tables, the transitions that fire it in every state the explicit engine reaches (as
TLC's ``-coverage`` counts the actions of a TLA+ spec), and for each case that never fires it looks
further: the other scenarios at the same bounds, then each bound raised by one, and names the
first that reaches it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from tcpspec.checks import parallel
from tcpspec.checks.explicit.search import StateLimitExceeded, explore
from tcpspec.spec.build import TCP, make_model
from tcpspec.spec.model import Bounds, BoundsError
from tcpspec.spec.rules import Case
from tcpspec.spec.scenarios import SCENARIOS

#: Each search for a case that never fired stops beyond this many states.
PROBE_STATES = 300_000
#: The bounds raised, one at a time, to reach a case that never fired (option, how).
RAISED: tuple[tuple[str, Callable[[Bounds], Bounds]], ...] = (
    ("--data", lambda b: replace(b, data=b.data + 1)),
    ("--retries", lambda b: replace(b, retries=b.retries + 1)),
    ("--capacity", lambda b: replace(b, capacity=b.capacity + 1)),
    ("--window", lambda b: replace(b, window=b.window + 1)),
    ("--duplicates", lambda b: replace(b, duplicates=b.duplicates + 1)),
)


@dataclass
class CaseCoverage:
    """One rule case: where it is written, how many transitions fired it (per scenario), and,
    if none did, the first setting tried that reaches it (``reached_by``, "" if none)."""

    name: str
    rfc: str
    table: str  # "arrival", "user" or "timers"
    fired: dict[str, int] = field(default_factory=dict)  # scenario -> transitions
    reached_by: str = ""
    #: the settings tried that were too large to explore (`PROBE_STATES`): a case none of the
    #: others reaches may still fire there, so it is undecided, not dead
    too_large: list[str] = field(default_factory=list)

    @property
    def transitions(self) -> int:
        return sum(self.fired.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.name,
            "rfc": self.rfc,
            "table": self.table,
            "transitions": self.transitions,
            "scenarios": dict(sorted(self.fired.items())),
            "reached_by": self.reached_by or None,
            "too_large_to_try": self.too_large,
        }


def tables() -> list[tuple[str, Case]]:
    """Every case of the rule tables, in the order the tables list them."""
    return [
        *(("arrival", c) for step in TCP.arrival for c in step.cases),
        *(("user", c) for c in TCP.user),
        *(("timers", c) for c in TCP.timers),
    ]


def tally(runs: Iterable[tuple[str, Iterable[tuple[str, ...]]]]) -> list[CaseCoverage]:
    """The coverage of every case over observed runs (a source's name, the rule cases of each
    of its steps): how many steps of each source fired each case (`tcpspec conform
    --coverage`: the real traces a run checked)."""
    rows = {c.name: CaseCoverage(c.name, c.rfc, table) for table, c in tables()}
    for source, steps in runs:
        for cases in steps:
            for name in cases:
                if name in rows:
                    rows[name].fired[source] = rows[name].fired.get(source, 0) + 1
    return list(rows.values())


def fired(scenario: str, bounds: Bounds, max_states: int) -> dict[str, int]:
    """Per case, the transitions that fire it in every state of ``scenario`` at ``bounds``."""
    m = make_model(scenario, bounds)
    ex = explore(m, (), max_states=max_states)
    count: Counter[str] = Counter()
    for w in ex.worlds:
        for label, _ in m.successors(w):
            count.update(label.cases)
    return dict(count)


def _probe(scenario: str, bounds: Bounds) -> dict[str, int] | None:
    try:
        return fired(scenario, bounds, PROBE_STATES)
    except StateLimitExceeded:
        return None  # too big to look at here: another setting may reach the case


def coverage(
    bounds: Bounds,
    scenarios: tuple[str, ...],
    max_states: int = 2_000_000,
    workers: int | None = 1,
    look_further: bool = True,
) -> list[CaseCoverage]:
    """The coverage of every case at ``bounds`` over ``scenarios`` (see the module docstring)."""
    rows = {c.name: CaseCoverage(c.name, c.rfc, table) for table, c in tables()}
    tasks = [(s, bounds, max_states) for s in scenarios]
    for s, got in zip(scenarios, parallel.run(fired, tasks, workers), strict=True):
        for name, n in got.items():
            if name in rows:
                rows[name].fired[s] = n
    if look_further:
        _look_further(rows, bounds, scenarios, workers)
    return list(rows.values())


def _look_further(
    rows: dict[str, CaseCoverage],
    bounds: Bounds,
    scenarios: tuple[str, ...],
    workers: int | None,
) -> None:
    """For each case that never fired: the first other scenario, then the first bound raised
    by one (in any scenario), that fires it."""
    settings: list[tuple[str, str, Bounds]] = [
        (f"scenario {s}", s, bounds) for s in SCENARIOS if s not in scenarios
    ]
    for option, raise_ in RAISED:
        try:
            b = raise_(bounds).resolved()
        except BoundsError:
            continue  # already at the most that can be explored
        settings += [(f"{option} {_value(option, b)} (scenario {s})", s, b) for s in SCENARIOS]
    for k in range(0, len(settings), 8):
        dead = [r for r in rows.values() if not r.fired and not r.reached_by]
        if not dead:
            return
        batch = settings[k : k + 8]
        found = parallel.run(_probe, [(s, b) for _, s, b in batch], workers)
        for (what, _, _), got in zip(batch, found, strict=True):
            for r in dead:
                if got is None:
                    r.too_large.append(what)
                elif got.get(r.name) and not r.reached_by:
                    r.reached_by = what


def _value(option: str, b: Bounds) -> int:
    return int(getattr(b, option.removeprefix("--")))
