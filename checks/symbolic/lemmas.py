"""The strengthening lemmas of the Z3 engine's proofs: candidates for Houdini (`houdini.py`).

A safety property P is rarely inductive on its own: some state that satisfies P but is not
reachable has a successor that violates it, so induction on P alone fails. The proof needs an
invariant Inv with

    Init => Inv,        Inv(s) /\\ T(s, s') => Inv(s'),        Inv => P

(for an action property: Inv(s) /\\ T(s, s') => P(s, step, s')). Then P holds after any number
of steps. Inv is the conjunction of the candidates below that survive Houdini (Flanagan and
Leino, 2001): ask Z3 for a transition from a state satisfying every remaining candidate to one
violating some, drop those, repeat until no such transition exists. The survivors are the
largest inductive subset of the candidates; a candidate that is false in some scenario or
mutant is simply dropped there, so the lemmas need not hold everywhere. Every check is Z3's,
over T compiled from `spec/` (`encode`): nothing here trusts the explicit engine.

The candidates are `encode.state_domain` (value ranges and the channels' canonical
form), every invariant property itself, and the hand-written lemmas of `LEMMAS`, each stated
with the reason the proof needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tcpspec.checks.symbolic import encode as E
from tcpspec.spec.arrival import RECEIVING
from tcpspec.spec.endpoint import OFF
from tcpspec.spec.logic import And, If, Implies, In, Not, Or
from tcpspec.spec.model import Model
from tcpspec.spec.states import FIN_RECEIVED, FIN_SENT, OTHER_STATES, SYNCHRONIZED, Reason
from tcpspec.spec.states import State as S


@dataclass(frozen=True)
class Lemma:
    """A hand-written strengthening invariant: a candidate for Houdini."""

    name: str
    why: str
    pred: Callable[[Model, E.SState], Any]


def _per_side(f: Callable[[Model, int, Any], Any]) -> Callable[[Model, E.SState], Any]:
    return lambda m, s: And(*[f(m, i, s.eps[i]) for i in (0, 1)])


def _no_stale(m: Model, s: E.SState) -> Any:
    slots = [sl for ch in s.chans for sl in ch]
    return And(
        *[Implies(sl.present, Not(sl.seg.stale)) for sl in slots],
        *[Not(e.tainted) for e in s.eps],
        *[Not(e.stale_data) for e in s.eps],
        *[Not(e.stray_kept) for e in s.eps],
    )


def _never_closes(m: Model, i: int, e: Any) -> Any:
    if m.sides[i].closes:
        return True
    return And(Not(In(e.st, FIN_SENT)), e.reason != Reason.NORMAL)


def _never_opens(m: Model, s: E.SState) -> Any:
    parts = []
    for i, e in enumerate(s.eps):
        if m.sides[i].active or m.sides[i].passive:
            continue
        bare_rst = [
            Implies(sl.present, And(sl.seg.rst, Not(sl.seg.syn), Not(sl.seg.fin), sl.seg.dlen == 0))
            for sl in s.chans[i]
        ]
        parts += [e.st == S.CLOSED, e.reason == Reason.NONE, Not(s.eps[1 - i].rcvd_syn), *bare_rst]
    return And(*parts)


def _isns(m: Model, j: int) -> tuple[int, int]:
    """The ISNs side j can have used: this incarnation's and the earlier one's."""
    return m.sides[j].iss, m.sides[j].old_iss


def _syns_carry_isns(m: Model, s: E.SState) -> Any:
    parts = []
    for j in (0, 1):
        iss, old = _isns(m, j)
        e = s.eps[1 - j]
        # an old bare SYN carries the old ISN; a half-open connection's SYN,ACK the current one
        parts += [
            Implies(
                And(sl.present, sl.seg.syn),
                sl.seg.seq == If(And(sl.seg.stale, Not(sl.seg.ack)), old, iss),
            )
            for sl in s.chans[j]
        ]
        parts.append(Implies(In(e.st, OTHER_STATES), e.irs == If(e.tainted, old, iss)))
    return And(*parts)


def _roles(m: Model, s: E.SState) -> Any:
    parts = []
    for i, e in enumerate(s.eps):
        side = m.sides[i]
        if not side.active:  # a bare SYN comes only from an active OPEN (or an old incarnation)
            parts.append(e.st != S.SYN_SENT)
            parts += [
                Implies(And(sl.present, sl.seg.syn, Not(sl.seg.ack)), sl.seg.stale)
                for sl in s.chans[i]
            ]
        if not side.passive:
            parts.append(e.st != S.LISTEN)
    return And(*parts)


def _no_text_sent(m: Model, s: E.SState) -> Any:
    parts = []
    for j in (0, 1):
        if m.sides[j].data:
            continue
        parts += [Not(And(sl.present, sl.seg.dlen > 0)) for sl in s.chans[j]]
        parts.append(s.eps[1 - j].rcvd == 0)
    return And(*parts)


def _send_sequence(m: Model, i: int, e: Any) -> Any:
    iss = m.sides[i].iss
    return And(
        Implies(e.st == S.LISTEN, And(e.snd_una == iss, e.snd_nxt == iss)),
        Implies(
            In(e.st, {S.SYN_SENT, S.SYN_RECEIVED, S.ESTABLISHED, S.CLOSE_WAIT}),
            e.snd_nxt == iss + 1 + e.sent,
        ),
        Implies(In(e.st, FIN_SENT), e.snd_nxt == iss + 2 + e.sent),
        Implies(
            e.st != S.CLOSED, And(iss <= e.snd_una, e.snd_una <= e.snd_nxt, e.reason == Reason.NONE)
        ),
        Implies(
            And(e.st == S.CLOSED, e.reason != Reason.NONE),
            And(
                iss <= e.snd_una,
                e.snd_una <= e.snd_nxt,
                Or(
                    And(e.sent == 0, e.snd_nxt == iss),
                    e.snd_nxt == iss + 1 + e.sent,
                    e.snd_nxt == iss + 2 + e.sent,
                ),
            ),
        ),
        Implies(In(e.st, SYNCHRONIZED), e.snd_una >= iss + 1),
        Implies(In(e.st, {S.FIN_WAIT_2, S.TIME_WAIT}), e.snd_una == e.snd_nxt),
    )


def _acks_received(m: Model, s: E.SState) -> Any:
    parts = []
    for j in (0, 1):
        e = s.eps[j]
        # ACKs from a side not (or no longer) synchronized with the peer's current ISN (a
        # listener, a connection an old SYN made) are from before: they acknowledged at most
        # the peer's SYN
        peer_iss = m.sides[1 - j].iss
        bound = If(e.irs == peer_iss, e.rcv_nxt, peer_iss + 1)
        parts += [
            Implies(
                And(sl.present, sl.seg.ack, Not(sl.seg.rst), Not(sl.seg.stale), e.st != S.SYN_SENT),
                sl.seg.ackno <= bound,
            )
            for sl in s.chans[j]
        ]
    return And(*parts)


def _fin_acked_was_received(m: Model, s: E.SState) -> Any:
    parts = []
    for i in (0, 1):
        me, peer = s.eps[i], s.eps[1 - i]
        acked = Or(
            And(In(me.st, FIN_SENT), me.snd_una == me.snd_nxt),
            And(me.st == S.CLOSED, me.reason == Reason.NORMAL),
        )
        parts.append(
            Implies(
                acked,
                And(
                    peer.rcv_nxt == me.snd_nxt,
                    Or(
                        In(peer.st, FIN_RECEIVED),
                        And(peer.st == S.CLOSED, peer.reason != Reason.NONE),
                    ),
                ),
            )
        )
        # the peer never numbers past what we sent (a listener may have sent a SYN,ACK
        # before it went back to LISTEN: count that SYN)
        sent_up_to = If(me.snd_nxt < m.sides[i].iss + 1, m.sides[i].iss + 1, me.snd_nxt)
        parts.append(Implies(In(peer.st, OTHER_STATES | {S.CLOSED}), peer.rcv_nxt <= sent_up_to))
    return And(*parts)


def _what_was_sent(m: Model, s: E.SState) -> Any:
    parts = []
    for j in (0, 1):
        e, iss = s.eps[j], m.sides[j].iss
        unopened = And(e.st == S.CLOSED, e.reason == Reason.NONE)
        for sl in s.chans[j]:
            mine = And(sl.present, Not(sl.seg.stale), Not(sl.seg.rst))
            parts.append(Implies(mine, Not(unopened)))
            parts.append(
                Implies(
                    And(mine, e.st == S.SYN_SENT),
                    And(sl.seg.syn, Not(sl.seg.ack), Not(sl.seg.fin), sl.seg.seq == iss),
                )
            )
            parts.append(
                Implies(
                    And(mine, sl.seg.fin),
                    And(
                        sl.seg.seq == iss + 1 + e.sent,
                        e.snd_nxt == iss + 2 + e.sent,
                        Or(In(e.st, FIN_SENT), And(e.st == S.CLOSED, e.reason != Reason.NONE)),
                    ),
                )
            )
    return And(*parts)


def _text_in_flight(m: Model, s: E.SState) -> Any:
    parts = []
    for j in (0, 1):
        e, peer, iss = s.eps[j], s.eps[1 - j], m.sides[j].iss
        parts += [
            Implies(
                And(sl.present, sl.seg.dlen > 0, Not(sl.seg.stale)),
                And(iss + 1 <= sl.seg.seq, sl.seg.seq <= iss + e.sent),
            )
            for sl in s.chans[j]
        ]
        parts.append(peer.rcvd <= e.sent)
        # a FIN comes after all the text: who has the FIN has all the text
        parts.append(
            Implies(
                Or(
                    In(peer.st, FIN_RECEIVED),
                    And(peer.st == S.CLOSED, peer.reason == Reason.NORMAL),
                ),
                And(
                    peer.rcvd == e.sent,
                    Or(In(e.st, FIN_SENT), And(e.st == S.CLOSED, e.reason != Reason.NONE)),
                ),
            )
        )
    return And(*parts)


def _old_incarnation(m: Model, s: E.SState) -> Any:
    parts = []
    for j in (0, 1):
        e, iss, peer_old = s.eps[j], m.sides[j].iss, m.sides[1 - j].old_iss
        for sl in s.chans[j]:
            seg = sl.seg
            parts.append(
                Implies(
                    And(sl.present, Not(seg.stale), Not(seg.rst)),
                    And(iss <= seg.seq, seg.seq <= iss + 2 + e.sent),
                )
            )
            parts.append(
                Implies(
                    And(sl.present, seg.stale),
                    And(
                        Not(seg.fin),
                        Implies(And(seg.ack, Not(seg.rst)), seg.ackno == peer_old + 1),
                        # the earlier incarnation's own segments (its SYN, a unit of its text) come
                        # from the client; the server's stale segments answer them
                        Or(
                            And(seg.syn, Not(seg.ack), seg.seq == m.sides[j].old_iss),
                            And(seg.dlen == 1, seg.seq == m.sides[j].old_iss + 1),
                        )
                        if j == 0
                        else seg.ack,
                    ),
                )
            )
        # only a listener accepts a bare (old) SYN; an opener's SYN-SENT ignores a bad SYN,ACK
        parts.append(
            Implies(
                e.tainted,
                And(
                    m.sides[j].passive and not m.sides[j].active,
                    e.st == S.SYN_RECEIVED,
                    e.irs == peer_old,
                    e.rcv_nxt == peer_old + 1,
                    e.snd_una == iss,
                    e.snd_nxt == iss + 1,
                ),
            )
        )
    return And(*parts)


def _after_the_syn(m: Model, s: E.SState) -> Any:
    parts = []
    for j in (0, 1):
        iss = m.sides[j].iss
        for sl in s.chans[j]:
            seg = sl.seg
            mine = And(sl.present, Not(seg.stale), Not(seg.rst), Not(seg.syn))
            parts.append(Implies(mine, iss + 1 <= seg.seq))
    return And(*parts)


def _no_old_syn(m: Model, s: E.SState) -> Any:
    return And(
        *[Implies(And(sl.present, sl.seg.stale), Not(sl.seg.syn)) for sl in s.chans[0]],
        *[Implies(sl.present, Not(sl.seg.stale)) for sl in s.chans[1]],
        *[Not(e.tainted) for e in s.eps],
    )


def _closing(e: Any) -> Any:
    return In(e.st, {S.LAST_ACK, S.CLOSING})


def _closing_roles(m: Model, s: E.SState) -> Any:
    parts = []
    for i in (0, 1):
        j = 1 - i
        me, peer = s.eps[i], s.eps[j]
        closing = _closing(me)
        # our FIN unacknowledged: the retransmission timer runs
        parts.append(Implies(And(closing, me.snd_una < me.snd_nxt), me.rto >= 0))
        parts.append(Implies(peer.st == S.TIME_WAIT, peer.rto == OFF))
        parts.append(Implies(Or(closing, me.st == S.FIN_WAIT_1), me.snd_una < me.snd_nxt))
        # a FIN from LAST-ACK acknowledges the peer's FIN (RCV.NXT no longer moves there)
        parts += [
            Implies(And(sl.present, sl.seg.fin, me.st == S.LAST_ACK), sl.seg.ackno == me.rcv_nxt)
            for sl in s.chans[i]
        ]
        # LAST-ACK: the peer closed first, and our FIN acknowledges its FIN
        parts.append(
            Implies(
                me.st == S.LAST_ACK,
                In(peer.st, {S.FIN_WAIT_1, S.FIN_WAIT_2, S.TIME_WAIT, S.CLOSED}),
            )
        )
        # a simultaneous close: CLOSING means the peer sent its FIN before it had ours
        parts.append(
            Implies(
                me.st == S.CLOSING,
                In(peer.st, {S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.TIME_WAIT, S.CLOSED}),
            )
        )
    return And(*parts)


def _retrying(m: Model, me: Any) -> Any:
    return And(_closing(me), me.rto >= 0, me.retries < m.p.retries)


def _gone_quiet(m: Model, s: E.SState, i: int) -> Any:
    """T4: after the peer's normal close it has nothing in flight and we will send nothing
    (but its last ACKs, numbered RCV.NXT, may still arrive: they need no answer)."""
    j = 1 - i
    me, peer = s.eps[i], s.eps[j]
    gone = And(peer.st == S.CLOSED, peer.reason == Reason.NORMAL, _closing(me))
    return Implies(
        gone,
        And(
            Not(_retrying(m, me)),
            *[Not(sl.present) for sl in s.chans[i]],
            *[
                Implies(sl.present, And(Not(sl.seg.rst), sl.seg.seq == me.rcv_nxt))
                for sl in s.chans[j]
            ],
        ),
    )


def _time_wait_outlasts(m: Model, s: E.SState) -> Any:
    p = m.p
    parts = []
    for i in (0, 1):
        j = 1 - i
        me, peer = s.eps[i], s.eps[j]
        waiting = peer.st == S.TIME_WAIT
        closing = _closing(me)
        # T1: what we have in flight (which a CLOSED peer would answer with RST) dies in time
        parts += [
            Implies(And(waiting, closing, sl.present), peer.tw >= p.msl - sl.seg.age)
            for sl in s.chans[i]
        ]
        # T2: what the peer has in flight dies in time for our answer to die in time too
        # (an ACK numbered RCV.NXT, the only thing TIME-WAIT sends, needs no answer)
        parts += [
            Implies(
                And(waiting, closing, sl.present, Or(sl.seg.seq != me.rcv_nxt, sl.seg.rst)),
                peer.tw >= 2 * p.msl - 1 - sl.seg.age,
            )
            for sl in s.chans[j]
        ]
        # T3: our last FIN retransmission dies in time
        parts.append(
            Implies(
                And(waiting, _retrying(m, me)),
                peer.tw >= me.rto + (p.retries - me.retries - 1) * p.rto + p.msl,
            )
        )
        parts.append(_gone_quiet(m, s, i))
    return And(*parts)


def _time_wait_outlasts_give_up(m: Model, s: E.SState) -> Any:
    p = m.p
    parts = []
    for i in (0, 1):
        me, peer = s.eps[i], s.eps[1 - i]
        # G1: we give up (the timer's last expiry, RTO*(retries left) after the next) before
        # the peer's TIME-WAIT ends
        parts.append(
            Implies(
                And(peer.st == S.TIME_WAIT, _closing(me)),
                And(
                    me.rto >= 0,
                    me.retries <= p.retries,
                    peer.tw >= me.rto + (p.retries - me.retries) * p.rto + 1,
                ),
            )
        )
        # G2: so a peer closed normally never sees us closing
        parts.append(Not(And(_closing(me), peer.st == S.CLOSED, peer.reason == Reason.NORMAL)))
    return And(*parts)


LEMMAS: tuple[Lemma, ...] = (
    Lemma(
        "syn_sent.sequence_numbers",
        "handshake.three_messages: in SYN-SENT nothing but our SYN was sent (SND.UNA = ISS, "
        "SND.NXT = ISS+1), so an acceptable ACK (SND.UNA < SEG.ACK) acknowledges our SYN; "
        "without this, induction considers SYN-SENT states with SND.UNA below ISS, where an "
        "ACK of something else would let the side become ESTABLISHED.",
        _per_side(
            lambda m, i, e: Implies(
                e.st == S.SYN_SENT,
                And(e.snd_una == m.sides[i].iss, e.snd_nxt == m.sides[i].iss + 1),
            )
        ),
    ),
    Lemma(
        "syn_received.got_syn",
        "handshake.three_messages: SYN-RECEIVED is entered only on a SYN (so the peer's SYN "
        "was received) and keeps SND.UNA = ISS, so the ACK that moves it to ESTABLISHED "
        "acknowledges our SYN. Induction alone would start from SYN-RECEIVED states that "
        "never saw a SYN.",
        _per_side(
            lambda m, i, e: Implies(
                e.st == S.SYN_RECEIVED, And(e.rcvd_syn, e.snd_una == m.sides[i].iss)
            )
        ),
    ),
    Lemma(
        "no_old_incarnation",
        "handshake.stale_syn_rejected, isn.old_segment_rejected: where no segment of an "
        "earlier incarnation is in flight initially, none ever is (only a connection a stale "
        "segment made sends stale segments), so the ghosts stay false. Induction alone "
        "would start from a state with a stale segment in flight. (False in the stale-* "
        "scenarios: Houdini drops it there.)",
        _no_stale,
    ),
    Lemma(
        "receive_sequence",
        "halfclose.no_data_loss: while a side can still receive text, RCV.NXT = IRS + 1 + "
        "the units delivered (the SYN takes one number, each unit one), so text is "
        "delivered only at the next number; induction alone would allow any RCV.NXT.",
        _per_side(
            lambda m, i, e: And(
                Implies(In(e.st, RECEIVING | {S.SYN_RECEIVED}), e.rcv_nxt == e.irs + 1 + e.rcvd),
                Implies(
                    Or(In(e.st, FIN_RECEIVED), And(e.st == S.CLOSED, e.reason == Reason.NORMAL)),
                    e.rcv_nxt == e.irs + 2 + e.rcvd,
                ),
                Implies(In(e.st, {S.LISTEN, S.SYN_SENT, S.SYN_RECEIVED}), e.rcvd == 0),
            )
        ),
    ),
    Lemma(
        "send_sequence",
        "halfclose.no_data_loss: once opened, ISS =< SND.UNA =< SND.NXT, SND.NXT counts the "
        "SYN, the units sent and the FIN, and a synchronized side has had its SYN "
        "acknowledged (SND.UNA > ISS), so it never retransmits anything numbered below "
        "ISS+1 as text. Induction alone would allow any SND.UNA and SND.NXT.",
        _per_side(_send_sequence),
    ),
    Lemma(
        "segment_shapes",
        "every property that looks at text: a segment carries at most one unit of text, "
        "and never together with SYN, FIN or RST (`spec.segment`); induction alone would "
        "allow any SEG.LEN.",
        lambda m, s: And(
            *[
                Implies(
                    sl.present,
                    And(
                        sl.seg.dlen >= 0,
                        sl.seg.dlen <= 1,
                        Implies(
                            sl.seg.dlen == 1,
                            And(Not(sl.seg.syn), Not(sl.seg.fin), Not(sl.seg.rst), sl.seg.ack),
                        ),
                        Implies(sl.seg.fin, And(sl.seg.ack, Not(sl.seg.syn), Not(sl.seg.rst))),
                        Implies(
                            sl.seg.rst, And(Not(sl.seg.syn), Not(sl.seg.fin), sl.seg.dlen == 0)
                        ),
                        Implies(And(Not(sl.seg.rst), Not(sl.seg.syn)), sl.seg.ack),
                    ),
                )
                for ch in s.chans
                for sl in ch
            ]
        ),
    ),
    Lemma(
        "unopened",
        "the closing properties: a side that is CLOSED without having been told why has "
        "never opened (every way into CLOSED sets a reason), so its TCB is still empty; a "
        "LISTEN has no peer numbers. Induction alone would start from an unopened side "
        "with arbitrary RCV.NXT.",
        _per_side(
            lambda m, i, e: And(
                Implies(
                    And(e.st == S.CLOSED, e.reason == Reason.NONE),
                    And(
                        e.irs == 0,
                        e.snd_una == 0,
                        e.snd_nxt == 0,
                        e.rcv_nxt == 0,
                        e.sent == 0,
                        e.rcvd == 0,
                        e.rto == OFF,
                        e.tw == OFF,
                        e.retries == 0,
                    ),
                ),
                Implies(
                    In(e.st, {S.LISTEN, S.SYN_SENT}), And(e.irs == 0, e.rcv_nxt == 0, e.rcvd == 0)
                ),
                Implies(In(e.st, {S.LISTEN, S.SYN_SENT, S.SYN_RECEIVED}), e.sent == 0),
                e.rcvd >= 0,
                e.rcvd <= m.sides[1 - i].data,
            )
        ),
    ),
    Lemma(
        "untainted_at_rest",
        "the stale-segment properties: a connection made by an old segment is forgotten "
        "at rest (`spec.ghosts`), and an active OPEN starts a fresh one, so CLOSED, LISTEN "
        "and SYN-SENT are never tainted; induction alone would start from a tainted "
        "SYN-SENT.",
        _per_side(
            lambda m, i, e: Implies(In(e.st, {S.CLOSED, S.LISTEN, S.SYN_SENT}), Not(e.tainted))
        ),
    ),
    Lemma(
        "after_the_syn",
        "handshake.stale_syn_rejected, where the receive window is large: a side's segments "
        "other than its SYN and its RSTs are numbered after its ISN (RFC 9293 3.4.1: the SYN "
        "takes the ISN). Induction alone would let a segment numbered at the ISN fall into a "
        "window that starts just below it.",
        _after_the_syn,
    ),
    Lemma(
        "old_incarnation",
        "handshake.stale_syn_rejected and the others, where an old SYN is in flight: a "
        "side's own segments carry its own sequence numbers; what a connection made by an "
        "old SYN sends acknowledges the old ISN (never a FIN), and such a connection stays "
        "half-open in SYN-RECEIVED (the peer's segments fall outside its window, or reset "
        "it). Induction alone would let the half-open connection synchronize.",
        _old_incarnation,
    ),
    Lemma(
        "no_old_syn",
        "isn.old_segment_rejected, where only old text is in flight (stale-data): without "
        "an old SYN no connection is made by the earlier incarnation, so the server sends "
        "nothing stale. Induction alone would let a half-open connection's stale text "
        "appear. (False where an old SYN is in flight: Houdini drops it there.)",
        _no_old_syn,
    ),
    Lemma(
        "time_wait_outlasts",
        "timewait.covers_fin_retransmit: TIME-WAIT lasts until everything that could make a "
        "CLOSED peer send a RST is gone: our segments in flight (each lives MSL - age more "
        "ticks), the peer's (whose answers live MSL more), and our FIN retransmissions "
        "(the last one due after RTO*retries, then living MSL). So once the peer is CLOSED "
        "after TIME-WAIT, nothing is in flight and we retransmit nothing: no RST can reach "
        "us. Induction alone would start from a CLOSED peer with our FIN on its way.",
        _time_wait_outlasts,
    ),
    Lemma(
        "closing_roles",
        "timewait.covers_fin_retransmit: who can be where while closing. LAST-ACK means the "
        "peer closed first and our FIN acknowledges its FIN; CLOSING means the peer sent its "
        "FIN before it had ours; a closing side's FIN is unacknowledged and its timer runs; "
        "TIME-WAIT retransmits nothing. Induction alone would pair LAST-ACK with CLOSING.",
        _closing_roles,
    ),
    Lemma(
        "time_wait_outlasts_give_up",
        "timewait.covers_fin_retransmit where TIME-WAIT outlasts the retransmissions "
        "(TIME-WAIT >= RTO*(retries+1)+1): the closing side gives up before its peer's "
        "TIME-WAIT ends, so no RST from a CLOSED peer can reach it while it still waits. "
        "Induction alone would start from a peer whose TIME-WAIT ends first.",
        _time_wait_outlasts_give_up,
    ),
    Lemma(
        "roles",
        "the closing properties: only an application that opens actively is ever in "
        "SYN-SENT, only a passive one in LISTEN; induction alone would consider a listener "
        "that sent a SYN.",
        _roles,
    ),
    Lemma(
        "syns_carry_isns",
        "halfclose.no_data_loss: IRS is the sequence number of a SYN, and a SYN carries its "
        "sender's ISN (of this incarnation or the earlier one), so RCV.NXT is known.",
        _syns_carry_isns,
    ),
    Lemma(
        "no_text_sent",
        "halfclose.no_data_loss, where an application sends nothing: no segment of its side "
        "carries text (the retransmission timer resends only what was sent), so the peer "
        "receives none. Induction alone would consider a data segment from nowhere.",
        _no_text_sent,
    ),
    Lemma(
        "what_was_sent",
        "close.normal_close_is_mutual: a side that has not synchronized has sent only its "
        "SYN (and RSTs), and a FIN in flight is its sender's one FIN, numbered after all "
        "its text, sent from a FIN-sent state. Induction alone would let a FIN or an ACK "
        "of anything come from a side still in SYN-SENT.",
        _what_was_sent,
    ),
    Lemma(
        "text_in_flight",
        "halfclose.no_data_loss: text in flight is numbered within what its sender has "
        "sent, a side never has more text than "
        "the peer sent, and a FIN, numbered after all the text, is accepted only in "
        "sequence: who has the FIN has all the text. Induction alone would allow text "
        "numbered anywhere.",
        _text_in_flight,
    ),
    Lemma(
        "acks_only_what_was_received",
        "close.normal_close_is_mutual: an ACK in flight acknowledges no more than its "
        "sender has received (SEG.ACK =< its RCV.NXT), so an ACK of our FIN means the peer "
        "has the FIN. Induction alone would let an ACK of anything be in flight.",
        _acks_received,
    ),
    Lemma(
        "fin_acked_was_received",
        "close.normal_close_is_mutual: once our FIN is acknowledged (and after a normal "
        "close) the peer's RCV.NXT equals our SND.NXT, and it never exceeds it; TIME-WAIT "
        "and LAST-ACK end normally only in such states.",
        _fin_acked_was_received,
    ),
    Lemma(
        "normal_end_was_synchronized",
        "the closing properties: a side reports a normal close only from LAST-ACK or "
        "TIME-WAIT, both synchronized, and the handshake ghosts never go back to false; "
        "induction alone would consider a side CLOSED normally that never saw a SYN.",
        _per_side(
            lambda m, i, e: Implies(e.reason == Reason.NORMAL, And(e.rcvd_syn, e.rcvd_ack_of_syn))
        ),
    ),
    Lemma(
        "application_never_closes",
        "the closing properties, where an application never calls CLOSE (handshake): that "
        "side never sends a FIN, so it is never in a FIN-sent state and never ends "
        "normally; induction alone would start from it in LAST-ACK.",
        _per_side(_never_closes),
    ),
    Lemma(
        "peer_never_opens",
        "every property, where one side never opens (refused): it stays CLOSED and only "
        "ever sends bare RSTs, so the other side never receives a SYN (hence, by the "
        "handshake lemmas, never synchronizes); induction alone would let a SYN appear in "
        "its channel.",
        _never_opens,
    ),
)
