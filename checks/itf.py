"""Traces in the Informal Trace Format (ITF): the JSON traces of Apalache and Quint (Apalache's
ADR-015), read by their trace viewers and test drivers. Written and read with ``itf-py``.

A trace is a list of states; each state holds the model's variables as ITF values:

* ``client`` and ``server``: records of the endpoint's TCB (RFC 9293 3.3.1: ``st`` as the state's
  name, ``snd_una``, ``snd_nxt``, ``rcv_nxt``, the timers) with its application's progress and
  ghost variables (`tcpspec.spec.endpoint.Endpoint`, field by field);
* ``in_flight_client`` and ``in_flight_server``: the segments each side has sent that are still
  in the network, as records (`tcpspec.spec.segment.Segment`);
* ``duplications_left``: how many more times the network may duplicate a segment;
* ``action`` and ``cases``: the step that led to the state ("init" for the first): who acted and
  what happened, and the rule cases that fired (as Apalache's ``mbt::actionTaken``).

``#meta`` names the scenario, the bounds and the mutant, so that `replay` can rebuild the model;
``loop`` is where a lasso (a liveness counterexample) loops back to. `replay` checks that every
state follows from the one before by a move of the model and returns that run: reading a trace
written by `to_itf` gives back the same run.
"""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from typing import Any

import itf_py

from tcpspec.checks.trace import ACTORS, Trace, TraceStep, what
from tcpspec.spec.build import make_model
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.model import Bounds, Model, World
from tcpspec.spec.segment import Segment
from tcpspec.spec.states import Reason, State

#: The variables of every state, in order.
VARS = (
    "client",
    "server",
    "in_flight_client",
    "in_flight_server",
    "duplications_left",
    "action",
    "cases",
)
_EP = namedtuple("_EP", Endpoint._fields)  # type: ignore[misc]
_SEG = namedtuple("_SEG", Segment._fields)  # type: ignore[misc]
#: The ITF format this module writes (ADR-015).
FORMAT = "ITF"


class ItfError(ValueError):
    """An ITF trace that is not a run of the model (the message says where and why)."""


def to_itf(t: Trace, scenario: str, bounds: Bounds, mutant: str | None = None) -> dict[str, Any]:
    """``t`` (a run of the model of ``scenario`` at ``bounds``, with ``mutant``) as an ITF JSON
    document."""
    states = [_state(0, t.initial, "init", ())]
    for k, step in enumerate(t.steps, 1):
        lab = step.label
        states.append(_state(k, step.world, f"{ACTORS[lab.actor]}: {what(lab)}", lab.cases))
    meta = {
        "format": FORMAT,
        "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
        "source": "tcpspec",
        "description": t.property_id or "",
        "scenario": scenario,
        "mutant": mutant,
        "bounds": dataclasses.asdict(bounds),
    }
    doc = itf_py.Trace(meta, [], list(VARS), states, t.loop_start)
    return itf_py.trace_to_json(doc)


def _state(k: int, w: World, action: str, cases: tuple[str, ...]) -> itf_py.State:
    return itf_py.State(
        {"index": k},
        {
            "client": _ep(w.eps[0]),
            "server": _ep(w.eps[1]),
            "in_flight_client": [_SEG(**s._asdict()) for s in w.chans[0]],
            "in_flight_server": [_SEG(**s._asdict()) for s in w.chans[1]],
            "duplications_left": w.dups,
            "action": action,
            "cases": list(cases),
        },
    )


def _ep(e: Endpoint) -> Any:
    return _EP(**{**e._asdict(), "st": e.st.name, "reason": e.reason.name})


def from_itf(doc: dict[str, Any]) -> tuple[dict[str, Any], list[World], int | None]:
    """The meta, the states (as the model's worlds) and the loop index of an ITF document."""
    try:
        tr = itf_py.trace_from_json(doc)
        worlds = [_world(s.values) for s in tr.states]
        meta = dict(tr.meta)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        why = f"{type(e).__name__}: {e}"
        raise ItfError(f"not an ITF trace of tcpspec's variables: {why}") from None
    if not worlds:
        raise ItfError("an ITF trace with no state")
    loop = tr.loop
    if loop is not None and (
        isinstance(loop, bool) or not isinstance(loop, int) or not 0 <= loop < len(worlds)
    ):
        raise ItfError(f"its loop must be the index of one of its states, not {loop!r}")
    return meta, worlds, loop


def _world(v: dict[str, Any]) -> World:
    eps = (_endpoint(v["client"]), _endpoint(v["server"]))
    chans = (
        tuple(Segment(**r._asdict()) for r in v["in_flight_client"]),
        tuple(Segment(**r._asdict()) for r in v["in_flight_server"]),
    )
    return World(eps, chans, int(v["duplications_left"]))


def _endpoint(r: Any) -> Endpoint:
    d = dict(r._asdict())
    d["st"], d["reason"] = State[d["st"]], Reason[d["reason"]]
    return Endpoint(**d)


def model_of(meta: dict[str, Any]) -> Model:
    """The model an ITF trace written by `to_itf` names in its ``#meta``."""
    try:
        bounds = Bounds(**dict(meta["bounds"]))
        return make_model(str(meta["scenario"]), bounds, meta.get("mutant"))
    except (KeyError, TypeError, ValueError) as e:
        raise ItfError(f"its #meta names no model of tcpspec: {e}") from None


def replay(m: Model, worlds: list[World], loop: int | None = None, prop: str = "") -> Trace:
    """The run of ``m`` through ``worlds``: each state must be the initial one, then follow from
    the one before by a move of the model (`ItfError` names the first that does not)."""
    if worlds[0] != m.initial():
        raise ItfError("state 0 is not the model's initial state")
    steps = []
    for k in range(1, len(worlds)):
        label = next((lab for lab, w2 in m.successors(worlds[k - 1]) if w2 == worlds[k]), None)
        if label is None:
            raise ItfError(f"state {k} does not follow from state {k - 1} by any move of the model")
        steps.append(TraceStep(label, worlds[k]))
    if loop is not None and not (
        worlds[-1] == worlds[loop] or any(w2 == worlds[loop] for _, w2 in m.successors(worlds[-1]))
    ):
        # a lasso: its last state is the state it loops to (as `to_itf` writes one), or that
        # state follows from it by a move
        raise ItfError(
            f"its loop: state {loop} is not the last state, nor does it follow from the last "
            "state by any move"
        )
    return Trace(worlds[0], steps, prop, loop_start=loop)
