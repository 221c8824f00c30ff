"""The properties of TCP connection setup and teardown, each written once.

Every property has a stable id, a plain-English statement, the RFC text it comes from and a
formal predicate written with `spec.logic`, so the explicit and the Z3 engines check the very same
formula. Kinds:

- ``invariant``: ``pred(m, w)`` holds in every reachable state.
- ``action``: ``pred(m, w, label, w2)`` holds for every reachable transition.
- ``liveness``: ``goal(m, w)`` holds in every state where a fair run can end up forever (every
  state of every bottom strongly connected component of the state graph). Fairness: any move
  that stays possible is eventually taken, so a run cannot, say, lose every retransmission.
- ``deadlock``: a state with no move at all is a proper final one.
- ``reachable``: the "sometimes" companion of another property: some reachable state (or
  transition) satisfies it, which shows the property it guards is not vacuous.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any, overload

from tcpspec.spec.logic import And, Implies, In, Not, Or
from tcpspec.spec.model import Model
from tcpspec.spec.states import AT_REST, SYNCHRONIZED, Reason
from tcpspec.spec.states import State as S

SIDES = (0, 1)
#: the safety properties' kinds: what the Z3 engine and SPIN check (the explicit engine all)
SAFETY_KINDS = ("invariant", "action")
#: every kind of property
KINDS = ("invariant", "action", "liveness", "deadlock", "reachable")


@dataclass(frozen=True)
class Property:
    """A property: ``id`` (``group.name``), ``kind`` (one of `KINDS`), the ``statement`` in
    words, the ``rfc`` text it comes from, and ``pred``: ``pred(m, w)`` on a state, or
    ``pred(m, w, label, w2)`` on a step, written with `tcpspec.spec.logic`. A safety property
    names its "sometimes" ``witness`` (a reachable property); ``scenario`` is where its witness,
    or its violation by a mutant, shows."""

    id: str
    kind: str  # invariant | action | liveness | deadlock | reachable
    statement: str
    rfc: str
    pred: Callable[..., Any]
    witness: str | None = None  # id of the "sometimes" companion, for safety properties
    scenario: str = "connect-close"  # where its witness (or its violation by mutants) shows

    def __reduce__(self) -> tuple[Any, ...]:
        # a registered property is pickled by name (a verdict sent back from a worker process):
        # the registry holds the predicate, which may be a lambda of a user's file that pickle
        # cannot name; any other one (a copy, one not loaded yet) by its fields
        if PROPERTIES.get(self.id) is self:
            return (registered, (self.id,))
        return (Property, tuple(getattr(self, f.name) for f in fields(self)))

    @property
    def of_steps(self) -> bool:
        """Its predicate reads a step, ``pred(m, w, label, w2)``, not a state ``pred(m, w)``."""
        return int(self.pred.__code__.co_argcount) == 4


def registered(pid: str) -> Property:
    """The property registered as ``pid`` (how a `Property` is unpickled)."""
    return PROPERTIES[pid]


def forall_sides(f: Callable[[int], Any]) -> Any:
    """``f(0)`` and ``f(1)``: the formula holds of the client and of the server."""
    return And(*[f(i) for i in SIDES])


def exists_side(f: Callable[[int], Any]) -> Any:
    """``f(0)`` or ``f(1)``: the formula holds of one side at least."""
    return Or(*[f(i) for i in SIDES])


# -- invariants --------------------------------------------------------------------------------


def three_messages(m: Model, w: Any) -> Any:
    return forall_sides(
        lambda i: Implies(
            In(w.eps[i].st, SYNCHRONIZED), And(w.eps[i].rcvd_syn, w.eps[i].rcvd_ack_of_syn)
        )
    )


def no_data_loss(m: Model, w: Any) -> Any:
    def ok(i: int) -> Any:
        me, peer = w.eps[i], w.eps[1 - i]
        ended_normally = Or(
            me.st == S.TIME_WAIT, And(me.st == S.CLOSED, me.reason == Reason.NORMAL)
        )
        return Implies(ended_normally, me.rcvd == peer.sent)

    return forall_sides(ok)


def stale_syn_rejected(m: Model, w: Any) -> Any:
    return forall_sides(
        lambda i: And(
            Not(w.eps[i].stray_kept), Implies(In(w.eps[i].st, SYNCHRONIZED), Not(w.eps[i].tainted))
        )
    )


def old_segment_rejected(m: Model, w: Any) -> Any:
    return forall_sides(lambda i: Not(w.eps[i].stale_data))


def normal_close_is_mutual(m: Model, w: Any) -> Any:
    def ok(i: int) -> Any:
        me, peer = w.eps[i], w.eps[1 - i]
        return Implies(
            And(me.st == S.CLOSED, me.reason == Reason.NORMAL), peer.rcv_nxt == me.snd_nxt
        )

    return forall_sides(ok)


def covers_fin_retransmit(m: Model, w: Any, lab: Any, w2: Any) -> Any:
    def ok(i: int) -> Any:
        reset_while_closing = And(
            In(w.eps[i].st, {S.LAST_ACK, S.CLOSING}),
            w2.eps[i].st == S.CLOSED,
            w2.eps[i].reason == Reason.RESET,
        )
        # a closer that gave up or aborted has no TIME-WAIT to protect the peer: excluded
        return Implies(reset_while_closing, w.eps[1 - i].reason != Reason.NORMAL)

    return forall_sides(ok)


# -- liveness and deadlock ---------------------------------------------------------------------


def done(m: Model, w: Any, i: int) -> Any:
    """Endpoint i has nothing left to do: at rest, or open with an application that is finished
    and will not close."""
    me, side = w.eps[i], m.sides[i]
    app_idle = And(Not(side.closes), me.sent == side.data)
    return Or(In(me.st, AT_REST), And(In(me.st, {S.ESTABLISHED, S.CLOSE_WAIT}), app_idle))


def handshake_resolves(m: Model, w: Any) -> Any:
    return forall_sides(lambda i: Not(In(w.eps[i].st, {S.SYN_SENT, S.SYN_RECEIVED})))


def close_completes(m: Model, w: Any) -> Any:
    closing = {S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT}
    return forall_sides(lambda i: Not(In(w.eps[i].st, closing)))


def final(m: Model, w: Any) -> Any:
    return forall_sides(lambda i: done(m, w, i))


# -- witnesses ---------------------------------------------------------------------------------


def both_established(m: Model, w: Any) -> Any:
    return forall_sides(lambda i: w.eps[i].st == S.ESTABLISHED)


def both_closed_normally(m: Model, w: Any) -> Any:
    return forall_sides(lambda i: And(w.eps[i].st == S.CLOSED, w.eps[i].reason == Reason.NORMAL))


def data_after_fin(m: Model, w: Any, lab: Any, w2: Any) -> Any:
    return exists_side(
        lambda i: And(In(w.eps[i].st, {S.FIN_WAIT_1, S.FIN_WAIT_2}), w2.eps[i].rcvd > w.eps[i].rcvd)
    )


def fin_retransmit_into_time_wait(m: Model, w: Any, lab: Any, w2: Any) -> Any:
    return lab.fired("time_wait.fin_retransmitted")


def stale_syn_reset(m: Model, w: Any, lab: Any, w2: Any) -> Any:
    return And(lab.fired("rst.syn_received_passive"), exists_side(lambda i: w.eps[i].tainted))


def stale_data_arrives(m: Model, w: Any, lab: Any, w2: Any) -> Any:
    return And(
        lab.kind == "deliver",
        lab.seg is not None and lab.seg.stale,
        lab.seg is not None and lab.seg.dlen > 0,
        exists_side(lambda i: w.eps[i].st == S.ESTABLISHED),
    )


PROPERTIES: dict[str, Property] = {
    p.id: p
    for p in (
        Property(
            "handshake.three_messages",
            "invariant",
            "A side reaches ESTABLISHED only after the handshake messages were exchanged: it "
            "has received the peer's SYN and an ACK of its own SYN (SYN, SYN+ACK, ACK; four "
            "messages for a simultaneous open). So both sides are ESTABLISHED only after all "
            "three were delivered.",
            "RFC 9293 3.5 (Figure 6), 3.10.7.3, 3.10.7.4",
            three_messages,
            witness="handshake.both_established",
        ),
        Property(
            "halfclose.no_data_loss",
            "invariant",
            "When a side's connection ends normally (TIME-WAIT, or CLOSED after the last ACK), "
            "its application has received, in order, every data unit the peer sent, including "
            "what the peer sent in CLOSE-WAIT after the first FIN.",
            "RFC 9293 3.6 (half-closed connections), 3.10.7.4 seventh and eighth",
            no_data_loss,
            witness="halfclose.data_after_fin",
        ),
        Property(
            "timewait.covers_fin_retransmit",
            "action",
            "The side that closes last is never reset: when the final ACK is lost and it "
            "retransmits its FIN, the active closer is still in TIME-WAIT and answers with an "
            "ACK, not a RST. (A closer that gave up or aborted is not in TIME-WAIT: excluded.)",
            "RFC 9293 3.6.1, 3.10.7.4 (TIME-WAIT)",
            covers_fin_retransmit,
            witness="timewait.fin_retransmit_reaches",
        ),
        Property(
            "handshake.stale_syn_rejected",
            "invariant",
            "An old duplicate SYN never leaves either side in a synchronized state on a "
            "connection the other side does not have: the side that receives the stray "
            "SYN+ACK answers it with RST, and the half-open connection is dropped.",
            "RFC 9293 3.5 (Figure 8), 3.10.7.3",
            stale_syn_rejected,
            witness="handshake.stale_syn_reset",
            scenario="stale-syn",
        ),
        Property(
            "isn.old_segment_rejected",
            "invariant",
            "Data of an earlier incarnation of the connection (same port pair) is never "
            "delivered as data of the new one: its sequence numbers fall outside the new "
            "window because the new connection chose a different ISN.",
            "RFC 9293 3.4.1",
            old_segment_rejected,
            witness="isn.stale_data_arrives",
            scenario="stale-data",
        ),
        Property(
            "close.normal_close_is_mutual",
            "invariant",
            "A side reports a normal close only after the peer has received everything it "
            "sent, its FIN included (the peer acknowledged the FIN).",
            "RFC 9293 3.6, 3.10.7.4 (LAST-ACK, TIME-WAIT)",
            normal_close_is_mutual,
            witness="close.both_closed_normally",
            scenario="close",
        ),
        Property(
            "no_deadlock",
            "deadlock",
            "Every state with no possible move is a proper end: each side is CLOSED or LISTEN "
            "(or open with an application that has finished and does not close).",
            "RFC 9293 3.10",
            final,
        ),
        Property(
            "liveness.handshake_resolves",
            "liveness",
            "Every connection attempt ends: a fair run never stays forever in SYN-SENT or "
            "SYN-RECEIVED; it reaches ESTABLISHED or the attempt is reported failed.",
            "RFC 9293 3.8.1, 3.8.3",
            handshake_resolves,
        ),
        Property(
            "liveness.close_completes",
            "liveness",
            "Every close completes: a fair run never stays forever in FIN-WAIT-1, FIN-WAIT-2, "
            "CLOSING, LAST-ACK or TIME-WAIT.",
            "RFC 9293 3.6, 3.10.8",
            close_completes,
        ),
        # "sometimes" companions
        Property(
            "handshake.both_established",
            "reachable",
            "Both sides can be ESTABLISHED at once.",
            "RFC 9293 3.5",
            both_established,
        ),
        Property(
            "halfclose.data_after_fin",
            "reachable",
            "A side in FIN-WAIT-1 or FIN-WAIT-2 can receive data sent after its FIN.",
            "RFC 9293 3.6",
            data_after_fin,
        ),
        Property(
            "timewait.fin_retransmit_reaches",
            "reachable",
            "A retransmitted FIN can reach a side in TIME-WAIT (and be ACKed again).",
            "RFC 9293 3.6.1",
            fin_retransmit_into_time_wait,
        ),
        Property(
            "close.both_closed_normally",
            "reachable",
            "Both sides can end CLOSED normally.",
            "RFC 9293 3.6",
            both_closed_normally,
        ),
        Property(
            "handshake.stale_syn_reset",
            "reachable",
            "A half-open connection made by an old SYN can be reset back to LISTEN.",
            "RFC 9293 3.5 (Figure 8)",
            stale_syn_reset,
            scenario="stale-syn",
        ),
        Property(
            "isn.stale_data_arrives",
            "reachable",
            "Data of an earlier incarnation can arrive while the new connection is ESTABLISHED.",
            "RFC 9293 3.4.1",
            stale_data_arrives,
            scenario="stale-data",
        ),
    )
}


class _Checked(Sequence[Property]):
    """The properties that are checked (every kind but "reachable"), in order: a live view of
    `PROPERTIES`, so that the properties of a user's file (`checks.loading`) are checked too."""

    def _now(self) -> tuple[Property, ...]:
        return tuple(p for p in PROPERTIES.values() if p.kind != "reachable")

    @overload
    def __getitem__(self, i: int) -> Property: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Property, ...]: ...
    def __getitem__(self, i: int | slice) -> Property | tuple[Property, ...]:
        return self._now()[i]

    def __len__(self) -> int:
        return len(self._now())

    def __iter__(self) -> Iterator[Property]:
        return iter(self._now())


CHECKED: Sequence[Property] = _Checked()
