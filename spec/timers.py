"""TIMEOUTS: retransmission and TIME-WAIT (RFC 9293 sections 3.8.1, 3.8.3, 3.10.8; RFC 6298).

Time is discrete: `spec.model` advances a global clock one tick at a time, counting every running
timer down by one. A timer at 0 is due, and the clock waits until its case below has fired (timers
are punctual). The retransmission timeout is a constant ``p.rto`` (no backoff) and each segment is
retransmitted at most ``p.retries`` times (RFC 9293's R2 threshold), then the connection is closed.
"""

from __future__ import annotations

from typing import Any

from tcpspec.spec.arrival import back_to_listen
from tcpspec.spec.endpoint import OFF
from tcpspec.spec.logic import And, If, In, Not, Or
from tcpspec.spec.rules import Case, Ctx
from tcpspec.spec.segment import DATA, FIN, SYN, SYN_ACK
from tcpspec.spec.states import AT_REST, FIN_SENT, MAY_HOLD_TEXT, Reason
from tcpspec.spec.states import State as S

ST = frozenset


def due(c: Ctx) -> Any:
    return c.me.rto == 0


def may_retry(c: Ctx) -> Any:
    return And(due(c), c.me.retries < c.p.retries)


def given_up(c: Ctx) -> Any:
    return And(due(c), c.me.retries >= c.p.retries)


def retransmitted(c: Ctx, seg: Any) -> dict[str, Any]:
    """RFC 6298 (5.4), (5.6): retransmit the earliest unacknowledged segment, restart the timer."""
    return dict(retries=c.me.retries + 1, rto=c.p.rto, emit=seg)


def data_unacked(c: Ctx) -> Any:
    """The oldest unacknowledged sequence number is text: past our SYN (ISS), before our FIN.

    In SYN-RECEIVED the oldest unacknowledged number is the SYN itself (SND.UNA = ISS), so the
    SYN,ACK is what is retransmitted, never a data unit."""
    return And(c.me.snd_una > c.side.iss, c.me.snd_una < c.side.iss + 1 + c.me.sent)


TIMERS: tuple[Case, ...] = (
    Case("timer.retransmit_syn", "3.8.1",
         "The retransmission timeout expires in SYN-SENT: retransmit the SYN.",
         ST({S.SYN_SENT}), may_retry,
         lambda c: retransmitted(c, SYN(c.side.iss))),
    Case("timer.retransmit_syn_ack", "3.8.1",
         "The retransmission timeout expires in SYN-RECEIVED: retransmit the SYN,ACK.",
         ST({S.SYN_RECEIVED}), may_retry,
         lambda c: retransmitted(c, SYN_ACK(c.side.iss, c.me.rcv_nxt))),
    Case("timer.retransmit_data", "3.8.1",
         "The retransmission timeout expires with text unacknowledged: retransmit the oldest "
         "unacknowledged unit.",
         MAY_HOLD_TEXT, lambda c: And(may_retry(c), data_unacked(c)),
         lambda c: retransmitted(c, DATA(c.me.snd_una, c.me.rcv_nxt))),
    Case("timer.retransmit_fin", "3.8.1",
         "The retransmission timeout expires with our FIN unacknowledged: retransmit the FIN.",
         FIN_SENT, lambda c: And(may_retry(c), Not(data_unacked(c))),
         lambda c: retransmitted(c, FIN(c.me.snd_nxt - 1, c.me.rcv_nxt))),
    Case("timer.give_up_half_open", "3.8.3",
         "Retransmissions of the SYN,ACK are exhausted on a passively opened connection: the "
         "half-made connection is dropped and the listener goes on listening.",
         ST({S.SYN_RECEIVED}), lambda c: And(given_up(c), c.side.passive),
         lambda c: dict(back_to_listen(c), retries=0, rto=OFF)),
    Case("timer.give_up", "3.8.3",
         "Retransmissions exhausted (R2): the connection is closed and the user is told "
         "\"connection aborted due to user timeout\".",
         frozenset(S) - AT_REST,
         # a passively opened half-made connection goes back to LISTEN instead (case above)
         lambda c: And(given_up(c), Not(And(c.me.st == S.SYN_RECEIVED, c.side.passive))),
         lambda c: dict(st=S.CLOSED, reason=Reason.TIMEOUT, retries=0, rto=OFF)),
    Case("timer.fin_wait_2_expired", "Linux",
         "FIN-WAIT-2 timeout (not in RFC 9293, which waits forever; Linux's tcp_fin_timeout): "
         "if the peer's FIN never comes, give up and enter CLOSED.",
         ST({S.FIN_WAIT_2}), lambda c: c.me.tw == 0,
         lambda c: dict(st=S.CLOSED, reason=Reason.TIMEOUT, tw=OFF),
         # Linux's tcp_fin_timeout applies to orphaned sockets only: while the application
         # holds the socket after shutdown(SHUT_WR), FIN-WAIT-2 waits, as RFC 9293 does
         orphaned=True),
    Case("timer.time_wait_expired", "3.10.8",
         "Time-wait timeout: if the time-wait timeout expires on a connection, delete the TCB, "
         "enter the CLOSED state.",
         ST({S.TIME_WAIT}), lambda c: c.me.tw == 0,
         lambda c: dict(st=S.CLOSED, reason=Reason.NORMAL, tw=OFF)),
)


def manage_rto(before: Any, after: Any, p: Any) -> tuple[Any, Any]:
    """The retransmission timer after a step, as RFC 6298 section 5 manages it.

    (5.1) start it when something is sent and it is not running; (5.2) stop it when everything
    is acknowledged; (5.3) restart it when an ACK acknowledges new data. Returns (rto, retries).
    Applied after every step of an endpoint, by both engines.
    """
    outstanding = And(after.snd_una < after.snd_nxt, Not(In(after.st, AT_REST | {S.TIME_WAIT})))
    new_ack = after.snd_una > before.snd_una
    rto = If(Not(outstanding), OFF,
             If(Or(new_ack, after.rto == OFF), p.rto, after.rto))
    retries = If(Or(Not(outstanding), new_ack), 0, after.retries)
    return rto, retries


def settle_timers(before: Any, after: Any, p: Any) -> dict[str, Any]:
    """The timer fields after any step of an endpoint (both engines apply exactly this)."""
    rto, retries = manage_rto(before, after, p)
    return dict(rto=rto, retries=retries, tw=stop_timers_at_rest(after))


def stop_timers_at_rest(after: Any) -> Any:
    """A connection back in CLOSED or LISTEN has no TCB for this connection: its TIME-WAIT /
    FIN-WAIT-2 timer stops (RFC 9293 3.10.7.4: "delete the TCB")."""
    return If(In(after.st, AT_REST), OFF, after.tw)
