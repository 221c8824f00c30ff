"""SEGMENT ARRIVES: RFC 9293 section 3.10.7, state by state and step by step.

Read this file beside the RFC: each `Step` is one of the RFC's numbered checks and each `Case` one
of its sentences. Simplifications (see README, "What is abstracted"): data comes in units and is
never sent together with SYN or FIN; out-of-order text is acknowledged and dropped, not queued;
the URG and security checks are not modelled.
"""

from __future__ import annotations

from typing import Any

from tcpspec.spec.endpoint import OFF
from tcpspec.spec.logic import And, If, Implies, Not, Or
from tcpspec.spec.rules import Case, Ctx, Step
from tcpspec.spec.segment import ACK, RST, RST_ACK, SYN_ACK, seg_len
from tcpspec.spec.states import FIN_RECEIVED, OTHER_STATES, SYNCHRONIZED, Reason
from tcpspec.spec.states import State as S

# ---------------------------------------------------------------------------------------------
# Tests the RFC names
# ---------------------------------------------------------------------------------------------


def right_edge(me: Any, window: Any) -> Any:
    """RCV.NXT+RCV.WND: the first sequence number beyond the receive window (3.3.1, 3.10.7.4)."""
    return me.rcv_nxt + window


def acceptable(c: Ctx) -> Any:
    """The segment acceptability test of section 3.10.7.4 (first check), all four cases.

    RCV.WND is the constant ``p.window`` (> 0), so the "window is zero" rows do not arise.
    """
    seg, me = c.seg, c.me
    n = seg_len(seg)

    def in_window(x: Any) -> Any:
        return And(me.rcv_nxt <= x, x < right_edge(me, c.p.window))

    return Or(And(n == 0, in_window(seg.seq)),
              And(n > 0, Or(in_window(seg.seq), in_window(seg.seq + n - 1))))


def ack_acceptable(c: Ctx) -> Any:
    """SND.UNA < SEG.ACK =< SND.NXT (sections 3.10.7.3 and 3.10.7.4, fifth check)."""
    return And(c.me.snd_una < c.seg.ackno, c.seg.ackno <= c.me.snd_nxt)


def ack_now(c: Ctx) -> Any:
    """The acknowledgment we send: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>."""
    return ACK(c.me.snd_nxt, c.me.rcv_nxt)


def fin_acked(c: Ctx) -> Any:
    """This segment acknowledges our FIN (the last sequence number we sent)."""
    return c.seg.ackno == c.me.snd_nxt


def back_to_listen(c: Ctx) -> dict[str, Any]:
    """Return a passively opened connection to LISTEN, forgetting the half-made connection."""
    iss = c.side.iss
    return dict(st=S.LISTEN, irs=0, rcv_nxt=0, snd_una=iss, snd_nxt=iss)


def time_wait(c: Ctx) -> dict[str, Any]:
    """Enter TIME-WAIT and (re)start the 2*MSL timer (section 3.10.7.4, eighth check)."""
    return dict(st=S.TIME_WAIT, tw=c.p.time_wait)


ST = frozenset


# ---------------------------------------------------------------------------------------------
# 3.10.7.1 CLOSED  /  3.10.7.2 LISTEN  /  3.10.7.3 SYN-SENT
# ---------------------------------------------------------------------------------------------

CLOSED_STEP = Step("3.10.7.1 CLOSED", (
    Case("closed.rst_discarded", "3.10.7.1",
         "An incoming segment containing a RST is discarded.",
         ST({S.CLOSED}), lambda c: c.seg.rst),
    Case("closed.reset", "3.10.7.1",
         "If the ACK bit is on, send <SEQ=SEG.ACK><CTL=RST>.",
         ST({S.CLOSED}), lambda c: c.seg.ack,
         lambda c: dict(emit=RST(c.seg.ackno))),
    Case("closed.reset_ack", "3.10.7.1",
         "If the ACK bit is off, send <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.",
         ST({S.CLOSED}), then=lambda c: dict(emit=RST_ACK(0, c.seg.seq + seg_len(c.seg)))),
))

LISTEN_STEP = Step("3.10.7.2 LISTEN", (
    Case("listen.rst_ignored", "3.10.7.2",
         "First, check for a RST: an incoming RST should be ignored.",
         ST({S.LISTEN}), lambda c: c.seg.rst),
    Case("listen.ack_reset", "3.10.7.2",
         "Second, check for an ACK: any acknowledgment is bad; send <SEQ=SEG.ACK><CTL=RST>.",
         ST({S.LISTEN}), lambda c: c.seg.ack,
         lambda c: dict(emit=RST(c.seg.ackno))),
    Case("listen.syn", "3.10.7.2",
         "Third, check for a SYN: set RCV.NXT to SEG.SEQ+1, IRS to SEG.SEQ, send "
         "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, set SND.NXT to ISS+1 and SND.UNA to ISS; "
         "the connection state is changed to SYN-RECEIVED.",
         ST({S.LISTEN}), lambda c: c.seg.syn,
         lambda c: dict(st=S.SYN_RECEIVED, irs=c.seg.seq, rcv_nxt=c.seg.seq + 1,
                        snd_una=c.side.iss, snd_nxt=c.side.iss + 1,
                        emit=SYN_ACK(c.side.iss, c.seg.seq + 1))),
    Case("listen.other_dropped", "3.10.7.2",
         "Fourth, other text or control: drop the segment and return.",
         ST({S.LISTEN})),
))


def syn_sent_ack_ok(c: Ctx) -> Any:
    """In SYN-SENT the ACK, if present, must acknowledge our SYN: ISS < SEG.ACK =< SND.NXT."""
    return Implies(c.seg.ack, ack_acceptable(c))


SYN_SENT_STEP = Step("3.10.7.3 SYN-SENT", (
    Case("syn_sent.bad_ack_rst_dropped", "3.10.7.3",
         "First, check the ACK bit: if SEG.ACK =< ISS or SEG.ACK > SND.NXT and the RST bit "
         "is set, drop the segment.",
         ST({S.SYN_SENT}), lambda c: And(Not(syn_sent_ack_ok(c)), c.seg.rst)),
    Case("syn_sent.bad_ack_reset", "3.10.7.3",
         "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset <SEQ=SEG.ACK><CTL=RST> and "
         "discard the segment.",
         ST({S.SYN_SENT}), lambda c: Not(syn_sent_ack_ok(c)),
         lambda c: dict(emit=RST(c.seg.ackno))),
    Case("syn_sent.reset", "3.10.7.3",
         "Second, check the RST bit: if the ACK was acceptable, signal the user "
         "\"error: connection reset\", drop the segment, enter CLOSED.",
         ST({S.SYN_SENT}), lambda c: And(c.seg.rst, c.seg.ack),
         lambda c: dict(st=S.CLOSED, reason=Reason.REFUSED)),
    Case("syn_sent.rst_dropped", "3.10.7.3",
         "Otherwise (no ACK), drop the RST segment and return.",
         ST({S.SYN_SENT}), lambda c: c.seg.rst),
    Case("syn_sent.syn_ack", "3.10.7.3",
         "Fourth, check the SYN bit: RCV.NXT is set to SEG.SEQ+1, IRS is set to SEG.SEQ, "
         "SND.UNA is advanced to SEG.ACK; our SYN has been ACKed, so enter ESTABLISHED and "
         "send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.",
         ST({S.SYN_SENT}), lambda c: And(c.seg.syn, c.seg.ack),
         lambda c: dict(st=S.ESTABLISHED, irs=c.seg.seq, rcv_nxt=c.seg.seq + 1,
                        snd_una=c.seg.ackno, emit=ACK(c.me.snd_nxt, c.seg.seq + 1))),
    Case("syn_sent.simultaneous_syn", "3.10.7.3",
         "Otherwise (a SYN without ACK: simultaneous open), enter SYN-RECEIVED, form a "
         "SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it.",
         ST({S.SYN_SENT}), lambda c: c.seg.syn,
         lambda c: dict(st=S.SYN_RECEIVED, irs=c.seg.seq, rcv_nxt=c.seg.seq + 1,
                        emit=SYN_ACK(c.side.iss, c.seg.seq + 1))),
    Case("syn_sent.dropped", "3.10.7.3",
         "Fifth, if neither of the SYN or RST bits is set, drop the segment and return.",
         ST({S.SYN_SENT})),
))

# ---------------------------------------------------------------------------------------------
# 3.10.7.4 Other states: SYN-RECEIVED and the synchronized states
# ---------------------------------------------------------------------------------------------

EST_LIKE = ST({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT})
RECEIVING = ST({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2})

FIRST = Step("3.10.7.4 first: check the sequence number", (
    Case("time_wait.fin_retransmitted", "3.10.7.4",
         "TIME-WAIT: the only thing that can arrive in this state is a retransmission of the "
         "remote FIN. Acknowledge it, and restart the 2 MSL timeout. (Stacks do this ahead of "
         "the acceptability test, which a retransmitted FIN would fail.)",
         ST({S.TIME_WAIT}),
         lambda c: And(c.seg.fin, Not(c.seg.rst), c.seg.seq + 1 == c.me.rcv_nxt),
         lambda c: dict(tw=c.p.time_wait, emit=ack_now(c))),
    Case("seq.unacceptable_rst_dropped", "3.10.7.4",
         "If a segment's contents occupy no valid receive sequence space and the RST bit is "
         "set, drop the segment and return.",
         OTHER_STATES, lambda c: And(Not(acceptable(c)), c.seg.rst)),
    Case("seq.unacceptable", "3.10.7.4",
         "If an incoming segment is not acceptable, an acknowledgment should be sent in reply "
         "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; then drop the segment and return.",
         OTHER_STATES, lambda c: Not(acceptable(c)),
         lambda c: dict(emit=ack_now(c))),
))

SECOND = Step("3.10.7.4 second: check the RST bit", (
    Case("rst.challenge_ack", "3.10.7.4",
         "If the RST bit is set and the sequence number is in the window but does not exactly "
         "match RCV.NXT, send a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961).",
         OTHER_STATES, lambda c: And(c.seg.rst, c.seg.seq != c.me.rcv_nxt),
         lambda c: dict(emit=ack_now(c))),
    Case("rst.syn_received_passive", "3.10.7.4",
         "SYN-RECEIVED: if this connection was initiated with a passive OPEN, return it to "
         "the LISTEN state.",
         ST({S.SYN_RECEIVED}), lambda c: And(c.seg.rst, c.side.passive), back_to_listen),
    Case("rst.syn_received_active", "3.10.7.4",
         "SYN-RECEIVED after an active OPEN: the connection was refused; enter CLOSED.",
         ST({S.SYN_RECEIVED}), lambda c: c.seg.rst,
         lambda c: dict(st=S.CLOSED, reason=Reason.REFUSED)),
    Case("rst.reset", "3.10.7.4",
         "ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: the user is told \"connection "
         "reset\"; enter CLOSED.",
         EST_LIKE, lambda c: c.seg.rst,
         lambda c: dict(st=S.CLOSED, reason=Reason.RESET)),
    Case("rst.closing", "3.10.7.4",
         "CLOSING, LAST-ACK, TIME-WAIT: if the RST bit is set, enter CLOSED.",
         ST({S.CLOSING, S.LAST_ACK, S.TIME_WAIT}), lambda c: c.seg.rst,
         lambda c: dict(st=S.CLOSED, reason=Reason.RESET)),
))

FOURTH = Step("3.10.7.4 fourth: check the SYN bit", (
    Case("syn.syn_received_passive", "3.10.7.4",
         "SYN-RECEIVED: if the connection was initiated with a passive OPEN, return this "
         "connection to the LISTEN state.",
         ST({S.SYN_RECEIVED}), lambda c: And(c.seg.syn, c.side.passive), back_to_listen),
    Case("syn.challenge_ack", "3.10.7.4",
         "A SYN in a synchronized state: send a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>"
         "<CTL=ACK> (RFC 5961), drop the segment and return.",
         OTHER_STATES, lambda c: c.seg.syn,
         lambda c: dict(emit=ack_now(c))),
))

FIFTH = Step("3.10.7.4 fifth: check the ACK field", (
    Case("ack.missing", "3.10.7.4",
         "If the ACK bit is off, drop the segment and return.",
         OTHER_STATES, lambda c: Not(c.seg.ack)),
    Case("ack.syn_received", "3.10.7.4",
         "SYN-RECEIVED: if SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED and continue "
         "processing.",
         ST({S.SYN_RECEIVED}), ack_acceptable,
         lambda c: dict(st=S.ESTABLISHED, snd_una=c.seg.ackno), stop=False),
    Case("ack.syn_received_bad", "3.10.7.4",
         "SYN-RECEIVED: if the segment acknowledgment is not acceptable, form a reset segment "
         "<SEQ=SEG.ACK><CTL=RST> and send it.",
         ST({S.SYN_RECEIVED}), then=lambda c: dict(emit=RST(c.seg.ackno))),
    Case("ack.too_new", "3.10.7.4",
         "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop "
         "the segment, and return.",
         SYNCHRONIZED, lambda c: c.seg.ackno > c.me.snd_nxt,
         lambda c: dict(emit=ack_now(c))),
    Case("ack.fin_wait_1_fin_acked", "3.10.7.4",
         "FIN-WAIT-1: in addition to the processing for ESTABLISHED, if the FIN segment is now "
         "acknowledged, then enter FIN-WAIT-2 and continue processing in that state.",
         ST({S.FIN_WAIT_1}), lambda c: And(ack_acceptable(c), fin_acked(c)),
         lambda c: dict(st=S.FIN_WAIT_2, snd_una=c.seg.ackno,
                        tw=If(c.p.fin_wait_2 > 0, c.p.fin_wait_2, OFF)), stop=False),
    Case("ack.closing_fin_acked", "3.10.7.4",
         "CLOSING: if the ACK acknowledges our FIN, then enter the TIME-WAIT state.",
         ST({S.CLOSING}), lambda c: And(ack_acceptable(c), fin_acked(c)),
         lambda c: dict(time_wait(c), snd_una=c.seg.ackno)),
    Case("ack.closing_ignored", "3.10.7.4",
         "CLOSING: otherwise, ignore the segment.",
         ST({S.CLOSING})),
    Case("ack.last_ack_fin_acked", "3.10.7.4",
         "LAST-ACK: the only thing that can arrive in this state is an acknowledgment of our "
         "FIN. If our FIN is now acknowledged, delete the TCB, enter the CLOSED state.",
         ST({S.LAST_ACK}), lambda c: And(ack_acceptable(c), fin_acked(c)),
         lambda c: dict(st=S.CLOSED, snd_una=c.seg.ackno, reason=Reason.NORMAL)),
    Case("ack.last_ack_ignored", "3.10.7.4",
         "LAST-ACK: anything else is ignored.",
         ST({S.LAST_ACK})),
    Case("ack.new", "3.10.7.4",
         "ESTABLISHED: if SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. "
         "(A duplicate ACK, SEG.ACK =< SND.UNA, is ignored.)",
         SYNCHRONIZED, ack_acceptable,
         lambda c: dict(snd_una=c.seg.ackno), stop=False),
))

SEVENTH = Step("3.10.7.4 seventh: process the segment text", (
    Case("text.after_close", "RFC 1122 4.2.2.13",
         "FIN-WAIT-1, FIN-WAIT-2 after the application's full close (close(), not "
         "shutdown(SHUT_WR)): it can read nothing more, so new text draws a reset "
         "<SEQ=SEG.ACK><CTL=RST> \"to show that data was lost\" and the connection is deleted "
         "(RFC 9293 3.6.1; Linux: tcp_rcv_state_process). Only for sides that say so "
         "(Side.full_close).",
         ST({S.FIN_WAIT_1, S.FIN_WAIT_2}), lambda c: And(c.side.full_close, c.seg.dlen > 0),
         lambda c: dict(st=S.CLOSED, reason=Reason.ABORT, emit=RST(c.seg.ackno))),
    Case("text.deliver", "3.10.7.4",
         "ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2: deliver the segment text to the user, advance "
         "RCV.NXT over the data accepted, and send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.",
         RECEIVING, lambda c: And(c.seg.dlen > 0, c.seg.seq == c.me.rcv_nxt),
         lambda c: dict(rcv_nxt=c.me.rcv_nxt + c.seg.dlen, rcvd=c.me.rcvd + c.seg.dlen,
                        emit=ACK(c.me.snd_nxt, c.me.rcv_nxt + c.seg.dlen)),
         stop=False),
    Case("text.out_of_order", "3.10.7.4",
         "Text beyond RCV.NXT (a gap before it) is not queued in this model: acknowledge "
         "RCV.NXT and drop the segment (the sender will retransmit).",
         RECEIVING, lambda c: c.seg.dlen > 0,
         lambda c: dict(emit=ack_now(c))),
    Case("text.ignored", "3.10.7.4",
         "CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: this should not occur, since a FIN has been "
         "received from the remote side. Ignore the segment text.",
         FIN_RECEIVED, lambda c: c.seg.dlen > 0, stop=False),
))

EIGHTH = Step("3.10.7.4 eighth: check the FIN bit", (
    Case("fin.out_of_order", "3.10.7.4",
         "A FIN is processed only in sequence, after all text before it (RCV.NXT = SEG.SEQ); "
         "otherwise acknowledge RCV.NXT and drop it.",
         RECEIVING, lambda c: And(c.seg.fin, c.seg.seq != c.me.rcv_nxt),
         lambda c: dict(emit=ack_now(c))),
    Case("fin.close_wait", "3.10.7.4",
         "SYN-RECEIVED, ESTABLISHED: advance RCV.NXT over the FIN, send an ACK for it, and "
         "enter the CLOSE-WAIT state.",
         ST({S.SYN_RECEIVED, S.ESTABLISHED}), lambda c: c.seg.fin,
         lambda c: dict(st=S.CLOSE_WAIT, rcv_nxt=c.me.rcv_nxt + 1,
                        emit=ACK(c.me.snd_nxt, c.me.rcv_nxt + 1))),
    Case("fin.closing", "3.10.7.4",
         "FIN-WAIT-1: if our FIN has been ACKed, enter TIME-WAIT (handled as FIN-WAIT-2); "
         "otherwise enter the CLOSING state.",
         ST({S.FIN_WAIT_1}), lambda c: c.seg.fin,
         lambda c: dict(st=S.CLOSING, rcv_nxt=c.me.rcv_nxt + 1,
                        emit=ACK(c.me.snd_nxt, c.me.rcv_nxt + 1))),
    Case("fin.time_wait", "3.10.7.4",
         "FIN-WAIT-2: enter the TIME-WAIT state, start the time-wait timer.",
         ST({S.FIN_WAIT_2}), lambda c: c.seg.fin,
         lambda c: dict(time_wait(c), rcv_nxt=c.me.rcv_nxt + 1,
                        emit=ACK(c.me.snd_nxt, c.me.rcv_nxt + 1))),
    Case("fin.again", "3.10.7.4",
         "CLOSE-WAIT, CLOSING, LAST-ACK: remain in the state; TIME-WAIT: restart the 2 MSL "
         "time-wait timeout.",
         FIN_RECEIVED, lambda c: c.seg.fin,
         lambda c: dict(tw=If(c.me.st == S.TIME_WAIT, c.p.time_wait, c.me.tw))),
))

#: The whole procedure, in the RFC's order. (The third check, security, and the sixth, URG,
#: are not modelled.)
ARRIVAL: tuple[Step, ...] = (CLOSED_STEP, LISTEN_STEP, SYN_SENT_STEP,
                             FIRST, SECOND, FOURTH, FIFTH, SEVENTH, EIGHTH)
