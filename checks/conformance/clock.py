"""When a silent timeout may have fired: the one timer rule of both conformance searches.

A trace shows when segments and calls happened, not when timers fired. A timer that fires
without sending anything (TIME-WAIT's end, FIN-WAIT-2's end, giving up on retransmissions) is
seen only through what follows, so the searches must know whether enough time has passed for
it. No timer of a real stack fires sooner than its least timeout after it (re)started:

* TIME-WAIT's and FIN-WAIT-2's timers start when the endpoint enters the state;
* the retransmission timer restarts when the endpoint sends what occupies sequence space (SYN,
  FIN or text) and when new data is acknowledged (RFC 6298 (5.1), (5.3)).

Both searches keep a run as a chain of nodes, newest first; each gives this module its chain as
`Step`s and asks `started`. Where the trace does not say when, time may have passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from tcpspec.spec.endpoint import Endpoint


class Step(NamedTuple):
    """One step of a run, as the timer rule sees it (for one endpoint)."""

    before: Endpoint  # the endpoint before the step
    after: Endpoint  # and after it
    restarts: bool  # the step is a segment it was seen sending with SYN, FIN or text
    observed: bool  # the step is an event the trace shows
    at: float | None  # when the trace shows it (None: not shown, or not known)


def sends(ep: Endpoint) -> bool:
    """Is the endpoint's pending timer the retransmission timer (else TIME-WAIT's or FIN-WAIT-2's)?
    The model counts down one timer at a time; `rto == 0` means it is retransmitting."""
    return ep.rto == 0


def started(path: Iterable[Step], retransmission: bool) -> float | None:
    """The earliest time at which the timer can have (re)started, by ``path`` (the run's steps
    from the newest back to the first): the time of the step that restarted it or, when that
    step is not an event of the trace, of the nearest event before it. None: not known."""
    steps = iter(path)
    for step in steps:
        if retransmission and step.restarts:
            return step.at
        if retransmission and step.after.snd_una != step.before.snd_una:
            break  # new data acknowledged: restarted here (5.3)
        if not retransmission and step.after.st != step.before.st:
            break  # the state was entered here
    else:
        return None  # since the start of the trace: when is not known
    if step.observed:
        return step.at
    return next((s.at for s in steps if s.observed), None)


def lasted(now: float | None, since: float | None, least: float) -> bool:
    """Can a timer that (re)started at ``since`` have fired by ``now``?"""
    return now is None or since is None or now - since >= least
