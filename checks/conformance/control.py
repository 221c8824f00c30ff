"""The negative control of conformance: every single corruption of one kernel event.

A checker that accepts every trace proves nothing. For an accepted trace this module makes
each corruption of one event the endpoint is responsible for: an outbound segment's SYN, ACK,
FIN or RST flipped, its SEQ or ACK moved by one, and (where the trace records the application's
calls) a call deleted or moved past the next inbound segment. Each corrupted trace must be
rejected, or be still correct TCP for a reason someone can name (the tests list each reason;
`make bench` prints the counts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from tcpspec.checks.conformance.endpoint import Call, Event
from tcpspec.checks.conformance.mapping import Wire
from tcpspec.checks.conformance.report import Outcome


@dataclass(frozen=True)
class Corruption:
    """One corrupted trace: ``name`` (``flip fin``, ``seq+1``, ``deleted``, ``moved past line
    9``), the event corrupted (``index`` in the original trace) and the trace itself."""

    name: str
    index: int
    events: list[Event]

    @property
    def of_call(self) -> bool:
        return self.name == "deleted" or self.name.startswith("moved")


def segment_corruptions(w: Wire) -> list[tuple[str, Wire]]:
    """Each single corruption of one outbound segment: a flag flipped, SEQ or ACK off by one."""
    out = [
        ("flip syn", dataclasses.replace(w, syn=not w.syn)),
        ("flip ack", dataclasses.replace(w, ack=not w.ack)),
        ("flip fin", dataclasses.replace(w, fin=not w.fin)),
        ("flip rst", dataclasses.replace(w, rst=not w.rst)),
    ]
    out += [
        ("seq+1", dataclasses.replace(w, seq=w.seq + 1)),
        ("seq-1", dataclasses.replace(w, seq=w.seq - 1)),
    ]
    if w.ackno is not None:
        out += [
            ("ack+1", dataclasses.replace(w, ackno=w.ackno + 1)),
            ("ack-1", dataclasses.replace(w, ackno=w.ackno - 1)),
        ]
    return out


def corruptions(events: list[Event]) -> list[Corruption]:
    """Every corruption of one kernel event of ``events`` (see the module docstring). A call
    that only says something (no case carries it out) is moved but not deleted: without it the
    trace is only weaker."""
    out: list[Corruption] = []
    for k, ev in enumerate(events):
        if isinstance(ev, Wire) and not ev.inbound:
            for name, bad in segment_corruptions(ev):
                out.append(Corruption(name, k, [*events[:k], bad, *events[k + 1 :]]))
        elif isinstance(ev, Call) and not ev.window and (ev.cases or ev.holds is not None):
            # (a blocking call's result span is where the call is: the call itself is moved)
            if ev.cases:
                out.append(Corruption("deleted", k, events[:k] + events[k + 1 :]))
            j = next(
                (i for i in range(k + 1, len(events))
                 if isinstance(events[i], Wire) and events[i].inbound),  # type: ignore[union-attr]
                None,
            )  # fmt: skip
            if j is not None:
                moved = events[:k] + events[k + 1 : j + 1] + [ev] + events[j + 1 :]
                out.append(Corruption(f"moved past {events[j].where}", k, moved))
    return out


def caught(original: list[Event], c: Corruption, rep: Outcome) -> bool:
    """A corruption is caught when it is rejected: a segment's at that very segment (a later
    rejection could be a reading of the corrupted segment that happens to fail later)."""
    if rep.status != "rejected":
        return False
    return c.of_call or getattr(rep, "failed_at", None) == original[c.index].where


def count(
    traces: list[list[Event]], check: Callable[[list[Event]], Outcome]
) -> tuple[int, int, int, int]:
    """(segment corruptions, caught; call corruptions, caught) over accepted ``traces``."""
    seg = seg_caught = calls = calls_caught = 0
    for events in traces:
        for c in corruptions(events):
            hit = caught(events, c, check(c.events))
            if c.of_call:
                calls, calls_caught = calls + 1, calls_caught + hit
            else:
                seg, seg_caught = seg + 1, seg_caught + hit
    return seg, seg_caught, calls, calls_caught
