"""Counterexample and witness traces: one type for both engines, rendered as text or JSON.

A trace is the initial state and a list of steps, each the `Label` of what happened and the
state after it. A liveness counterexample is a lasso: ``loop_start`` marks the step from which
the run can repeat forever (equal to ``len(steps)`` when it simply stops there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tcpspec.spec.endpoint import OFF, Endpoint
from tcpspec.spec.model import CLIENT, CLOCK, NETWORK, SERVER, Label, Model, World
from tcpspec.spec.segment import Segment

ACTORS = {CLIENT: "client", SERVER: "server", NETWORK: "network", CLOCK: "clock"}

#: A user call or a timeout in a trace, by the names RFC 9293 gives them (3.10.1 to 3.10.5:
#: the calls, in the state where they are made; 3.8: the timeouts).
EVENTS = {
    "user.open_active": "OPEN (active)",
    "user.open_passive": "OPEN (passive)",
    "user.send": "SEND",
    "user.close": "CLOSE",
    "user.close_close_wait": "CLOSE in CLOSE-WAIT",
    "user.close_listen": "CLOSE in LISTEN",
    "user.close_syn_sent": "CLOSE in SYN-SENT",
    "user.close_syn_received": "CLOSE in SYN-RECEIVED",
    "user.abort_reset": "ABORT (sends RST)",
    "user.abort_reset_ack": "ABORT (RST+ACK, as Linux)",
    "user.abort_quiet": "ABORT (quietly)",
    "timer.retransmit_syn": "retransmits SYN",
    "timer.retransmit_syn_ack": "retransmits SYN+ACK",
    "timer.retransmit_data": "retransmits data",
    "timer.retransmit_fin": "retransmits FIN",
    "timer.give_up_half_open": "gives up (half-open)",
    "timer.give_up": "gives up (retries)",
    "timer.fin_wait_2_expired": "FIN-WAIT-2 timeout",
    "timer.time_wait_expired": "TIME-WAIT timeout (2*MSL)",
}


def event(case: str) -> str:
    """What the user call or timeout ``case`` is called in a trace (a case a mutant adds: its
    name in words)."""
    return EVENTS.get(case) or case.split(".", 1)[-1].replace("_", " ")


@dataclass(frozen=True)
class TraceStep:
    """One step of a run: what happened (``label``) and the state after it (``world``)."""

    label: Label
    world: World


@dataclass
class Trace:
    """A run of the model: the ``initial`` state, then each step (its label, the state after),
    for ``property_id`` (a counterexample or witness); a lasso loops back to
    ``steps[loop_start]`` forever."""

    initial: World
    steps: list[TraceStep] = field(default_factory=list)
    property_id: str = ""
    verdict: str = ""  # "violated", "witness", "scenario"
    loop_start: int | None = None  # lasso: the run may repeat steps[loop_start:] forever
    note: str = ""

    def __len__(self) -> int:
        return len(self.steps)

    def worlds(self) -> list[World]:
        return [self.initial, *[s.world for s in self.steps]]


def section(m: Model, name: str) -> str:
    """``RFC 9293 3.10.7.2``: where the rule case ``name`` comes from."""
    rfc = m.rules.case(name).rfc
    return rfc if not rfc[0].isdigit() else f"RFC 9293 {rfc}"


def rule_text(m: Model, names: tuple[str, ...]) -> str:
    """``listen.syn (RFC 9293 3.10.7.2)``: each fired case with its RFC section."""
    return "; ".join(f"{n} ({section(m, n)})" for n in names)


def what(label: Label) -> str:
    """A one-line account of the step, in words."""
    seg = label.seg.describe() if label.seg else ""
    stale = " [old incarnation]" if label.seg is not None and label.seg.stale else ""
    if label.kind == "deliver":
        return f"receives {seg}{stale}"
    if label.kind == "lose":
        return f"loses {seg}{stale}"
    if label.kind == "duplicate":
        return f"duplicates {seg}{stale}"
    if label.kind == "tick":
        gone = ", ".join(s.describe() for s in label.expired)
        return "one tick passes" + (f"; expired (lost): {gone}" if gone else "")
    return event(label.cases[0]) if label.cases else label.kind


def endpoint_text(e: Endpoint) -> str:
    text = e.st.name
    if e.st.name == "CLOSED" and e.reason.name != "NONE":
        text += f" ({e.reason.name.lower()})"
    timers = []
    if e.rto != OFF:
        timers.append(f"rto={e.rto}")
    if e.tw != OFF:
        timers.append(f"tw={e.tw}")
    return text + (f" [{' '.join(timers)}]" if timers else "")


def row(m: Model, k: int, step: TraceStep) -> dict[str, Any]:
    lab = step.label
    sent = lab.sent.describe() if lab.sent else ""
    if lab.overflow:
        sent += " (channel full: lost)"
    return {
        "step": k,
        "actor": ACTORS[lab.actor],
        "event": what(lab),
        "rule": rule_text(m, lab.cases),
        "sends": sent,
        "client": endpoint_text(step.world.eps[CLIENT]),
        "server": endpoint_text(step.world.eps[SERVER]),
    }


def _seg_json(s: Segment | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "flags": s.flags(),
        "seq": s.seq,
        "ack": s.ackno if s.ack else None,
        "len": s.dlen,
        "old_incarnation": s.stale,
    }


def to_json(m: Model, t: Trace) -> dict[str, Any]:
    steps = []
    for k, st in enumerate(t.steps, 1):
        r = row(m, k, st)
        r["cases"] = list(st.label.cases)
        r["segment"] = _seg_json(st.label.seg)
        r["sent"] = _seg_json(st.label.sent)
        r["sent_lost_to_full_channel"] = st.label.overflow
        r["expired"] = [_seg_json(s) for s in st.label.expired]
        steps.append(r)
    return {
        "property": t.property_id,
        "verdict": t.verdict,
        "length": len(t.steps),
        "loop_start": t.loop_start,
        "note": t.note,
        "initial": {
            "client": endpoint_text(t.initial.eps[CLIENT]),
            "server": endpoint_text(t.initial.eps[SERVER]),
            "in_flight": [_seg_json(s) for c in t.initial.chans for s in c],
        },
        "steps": steps,
    }


def to_json_text(m: Model, t: Trace) -> str:
    return json.dumps(to_json(m, t), indent=2, sort_keys=False) + "\n"
