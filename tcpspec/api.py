"""tcpspec's public Python API: the names here are stable (others may change between versions).

Build a model, explore it, check a property, get a trace, render it::

    from tcpspec.api import Bounds, explore, make_model, PROPERTIES, trace_to

    model = make_model("close", Bounds(data=0))
    ex = explore(model)                                # every reachable state, every property
    print(ex.verdicts["handshake.three_messages"].holds)   # True

Write your own properties, mutants and scenarios in a file and load it (``tcpspec verify
--load FILE.py``, or `load` here): a property's predicate takes ``(m, w)`` (a state: ``w.eps[i]``
is endpoint ``i``, with its TCB fields ``st``, ``snd_una``, ``snd_nxt``, ``rcv_nxt``, ...) or
``(m, w, label, w2)`` (a step), and is written with the connectives of `tcpspec.spec.logic`
(``And``, ``Or``, ``Not``, ``Implies``, ``If``, ``In``), so that every engine (explicit, Z3,
SPIN) reads the very same formula. Loading a file runs its code.
"""

from __future__ import annotations

from tcpspec.checks.explicit.search import Exploration, Verdict, explore
from tcpspec.checks.loading import Loaded, LoadError, load, loaded, unload
from tcpspec.checks.properties import (
    CHECKED,
    KINDS,
    PROPERTIES,
    Property,
    exists_side,
    forall_sides,
)
from tcpspec.checks.trace import Trace, TraceStep, to_json
from tcpspec.spec.build import TCP, make_model
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.logic import And, If, Implies, In, Not, Or
from tcpspec.spec.model import CLIENT, SERVER, Bounds, Label, Model, Side, World
from tcpspec.spec.mutants import MUTANTS, Mutant, replace_case
from tcpspec.spec.rules import Case, Ctx, Rules
from tcpspec.spec.scenarios import SCENARIOS, Scenario, client, server
from tcpspec.spec.segment import Segment
from tcpspec.spec.states import AT_REST, SYNCHRONIZED, Reason, State

__all__ = [
    "AT_REST",
    "CHECKED",
    "CLIENT",
    "KINDS",
    "MUTANTS",
    "PROPERTIES",
    "SCENARIOS",
    "SERVER",
    "SYNCHRONIZED",
    "TCP",
    "And",
    "Bounds",
    "Case",
    "Ctx",
    "Endpoint",
    "Exploration",
    "If",
    "Implies",
    "In",
    "Label",
    "LoadError",
    "Loaded",
    "Model",
    "Mutant",
    "Not",
    "Or",
    "Property",
    "Reason",
    "Rules",
    "Scenario",
    "Segment",
    "Side",
    "State",
    "Trace",
    "TraceStep",
    "Verdict",
    "World",
    "client",
    "exists_side",
    "explore",
    "forall_sides",
    "load",
    "loaded",
    "make_model",
    "replace_case",
    "server",
    "to_json",
    "trace_to",
    "unload",
]


def trace_to(ex: Exploration, property_id: str) -> Trace | None:
    """The shortest counterexample to ``property_id`` that ``ex`` found (None: it holds), or,
    for a "reachable" property, the shortest run that shows it."""
    v = ex.verdicts.get(property_id)
    if v is None:
        raise KeyError(f"unknown property {property_id!r}; choose one of: {', '.join(ex.verdicts)}")
    return v.trace
