"""The clock: what one tick does (RFC 9293 3.8.1 and 3.10.8: timeouts; 3.4.1: MSL).

Time is discrete. A tick counts every running timer down by one and ages every segment in
flight by one; a segment whose age reaches MSL has left the network. A timer at 0 is due, and
the clock waits until its case in `spec.timers` has fired (timers are punctual). Written with
`spec.logic`, so that every engine applies these very rules: `Model.clock` and `Model.aged` on
values, the Z3 encoding on terms, the Promela exporter in print.
"""

from __future__ import annotations

from typing import Any

from tcpspec.spec.logic import If, Or


def due(e: Any) -> Any:
    """A timer of endpoint ``e`` is due: no tick until its timeout has been handled."""
    return Or(e.rto == 0, e.tw == 0)


def running(e: Any) -> Any:
    """A timer of ``e`` is running: a tick changes it."""
    return Or(e.rto > 0, e.tw > 0)


def ticked(e: Any) -> dict[str, Any]:
    """``e``'s timers one tick later (a stopped one stays stopped)."""
    return dict(rto=If(e.rto > 0, e.rto - 1, e.rto), tw=If(e.tw > 0, e.tw - 1, e.tw))


def survives(seg: Any, msl: int) -> Any:
    """``seg`` is still in flight after the tick."""
    return seg.age + 1 < msl


def aged(seg: Any) -> dict[str, Any]:
    """``seg`` one tick later."""
    return dict(age=seg.age + 1)
