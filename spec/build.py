"""Assemble a `Model` from a scenario name, bounds and an optional mutant name."""

from __future__ import annotations

from dataclasses import replace

from tcpspec.spec.arrival import ARRIVAL
from tcpspec.spec.model import Bounds, Model
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.rules import Rules
from tcpspec.spec.scenarios import SCENARIOS
from tcpspec.spec.timers import TIMERS
from tcpspec.spec.user import USER

#: The correct relation: RFC 9293 as modelled here.
TCP = Rules(arrival=ARRIVAL, user=USER, timers=TIMERS)


class UnknownName(ValueError):
    """A scenario, mutant or property name that does not exist."""


def _lookup(kind: str, name: str, table: dict) -> object:
    if name not in table:
        raise UnknownName(f"unknown {kind} {name!r}; choose one of: {', '.join(table)}")
    return table[name]


def make_model(scenario: str, bounds: Bounds | None = None, mutant: str | None = None) -> Model:
    """The model of ``scenario`` (a name of `SCENARIOS`) at ``bounds`` (default: `Bounds()`),
    with the rules of RFC 9293 or, given ``mutant`` (a name of `MUTANTS`), that mutant's.
    `UnknownName` for a name that does not exist."""
    sc = _lookup("scenario", scenario, SCENARIOS)
    b = (bounds or Bounds()).resolved()
    sides = (sc.client, sc.server)  # type: ignore[attr-defined]
    data = b.data if sc.data is None else min(sc.data, b.data)  # type: ignore[attr-defined]
    sides = (replace(sides[0], data=data), replace(sides[1], data=data))
    rules = TCP
    if mutant is not None:
        m = _lookup("mutant", mutant, MUTANTS)
        rules, sides, b = m.change(rules, sides, b)  # type: ignore[attr-defined]
    return Model(sides, b, rules, stale=sc.stale)  # type: ignore[attr-defined]
