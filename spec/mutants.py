"""Mutants: deliberately broken variants of TCP, each a small delta on the rule tables.

Every mutant removes or bends one rule a student might think unnecessary. `make verify` proves
that each one is caught: some property fails, with a shortest counterexample that shows why the
rule is there. A mutant names the property it is expected to break and the scenario where the
break shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from tcpspec.spec.logic import If, In
from tcpspec.spec.model import Bounds, Side
from tcpspec.spec.rules import Case, Rules
from tcpspec.spec.segment import ACK
from tcpspec.spec.states import Reason
from tcpspec.spec.states import State as S

Change = Callable[[Rules, tuple[Side, Side], Bounds], tuple[Rules, tuple[Side, Side], Bounds]]


@dataclass(frozen=True)
class Mutant:
    """A deliberately broken TCP: its ``name``, a ``summary`` in words, the property it
    ``breaks`` (expected to catch it), the ``scenario`` where that shows, and the ``change`` it
    makes to the rules, sides and bounds (`replace_case` writes the usual one)."""

    name: str
    summary: str
    breaks: str  # the property expected to catch it
    scenario: str  # where the counterexample lives
    change: Change


def _swap(name: str, make: Callable[[Case], Case | None]) -> Change:
    def change(rules: Rules, sides: tuple[Side, Side], b: Bounds):  # type: ignore[no-untyped-def]
        return rules.replace(name, make(rules.case(name))), sides, b
    return change


def replace_case(name: str, make: Callable[[Case], Case | None]) -> Change:
    """The change of a mutant that replaces rule case ``name`` by ``make(case)`` (None: the
    case is removed). For user files (`tcpspec.api`), as the mutants below are written."""
    return _swap(name, make)


def _bounds(f: Callable[[Bounds], Bounds]) -> Change:
    def change(rules: Rules, sides: tuple[Side, Side], b: Bounds):  # type: ignore[no-untyped-def]
        return rules, sides, f(b.resolved())
    return change


def _sides(f: Callable[[Side], Side]) -> Change:
    def change(rules: Rules, sides: tuple[Side, Side], b: Bounds):  # type: ignore[no-untyped-def]
        return rules, (f(sides[0]), f(sides[1])), b
    return change


MUTANTS: dict[str, Mutant] = {m.name: m for m in (
    Mutant("no-time-wait",
           "FIN-WAIT-2 goes straight to CLOSED when the peer's FIN arrives, skipping TIME-WAIT.",
           "timewait.covers_fin_retransmit", "close",
           _swap("fin.time_wait", lambda c: replace(
               c, then=lambda x: dict(st=S.CLOSED, reason=Reason.NORMAL,
                                      rcv_nxt=x.me.rcv_nxt + 1,
                                      emit=ACK(x.me.snd_nxt, x.me.rcv_nxt + 1))))),
    Mutant("short-time-wait",
           "TIME-WAIT lasts one MSL instead of two.",
           "timewait.covers_fin_retransmit", "close",
           _bounds(lambda b: replace(b, time_wait=b.msl))),
    Mutant("two-way-handshake",
           "The server enters ESTABLISHED as soon as it sends its SYN+ACK, without waiting for "
           "the client's ACK.",
           "handshake.three_messages", "connect-close",
           _swap("listen.syn", lambda c: replace(
               c, then=lambda x: dict(c.then(x), st=S.ESTABLISHED,
                                      snd_una=x.side.iss + 1)))),
    Mutant("fixed-isn",
           "Every incarnation of the connection starts from the same ISN, so segments of an "
           "earlier one carry sequence numbers the new one expects.",
           "isn.old_segment_rejected", "stale-data",
           _sides(lambda s: replace(s, old_iss=s.iss))),
    Mutant("no-syn-retransmit",
           "When the retransmission timer expires in SYN-SENT, the client keeps waiting instead "
           "of retransmitting its SYN.",
           "liveness.handshake_resolves", "handshake",
           _swap("timer.retransmit_syn", lambda c: replace(
               c, then=lambda x: dict(rto=x.p.rto)))),
    Mutant("discard-data-after-fin",
           "After sending its FIN, a side acknowledges arriving data but throws it away, as if "
           "CLOSE closed both directions.",
           "halfclose.no_data_loss", "connect-close",
           _swap("text.deliver", lambda c: replace(
               c, then=lambda x: dict(c.then(x), rcvd=If(
                   In(x.me.st, {S.FIN_WAIT_1, S.FIN_WAIT_2}), x.me.rcvd,
                   x.me.rcvd + x.seg.dlen))))),
    Mutant("fin-before-data-drained",
           "A FIN that arrives ahead of missing data (reordered) is acted on at once instead of "
           "waiting for the data before it.",
           "halfclose.no_data_loss", "connect-close",
           _swap("fin.out_of_order", lambda c: None)),
    Mutant("accept-any-ack-in-syn-sent",
           "In SYN-SENT, a SYN+ACK is accepted whatever it acknowledges.",
           "handshake.stale_syn_rejected", "stale-syn",
           lambda r, s, b: (r.replace("syn_sent.bad_ack_reset", None)
                            .replace("syn_sent.bad_ack_rst_dropped", None), s, b)),
    Mutant("no-rst-on-bad-synack",
           "In SYN-SENT, a SYN+ACK that acknowledges the wrong ISN is silently dropped instead "
           "of answered by RST, so the half-open connection an old SYN made lingers.",
           "handshake.stale_syn_rejected", "stale-syn",
           _swap("syn_sent.bad_ack_reset", lambda c: replace(c, then=lambda x: {}))),
    Mutant("last-ack-closes-without-ack",
           "The side that closes second goes to CLOSED as soon as it sends its FIN, without "
           "waiting in LAST-ACK for the acknowledgment (or retransmitting the FIN).",
           "close.normal_close_is_mutual", "close",
           _swap("user.close_close_wait", lambda c: replace(
               c, then=lambda x: dict(c.then(x), st=S.CLOSED, reason=Reason.NORMAL)))),
)}
