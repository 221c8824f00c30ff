"""Unit tests per rule: the seeds' worked example gives exactly the seeds' numbers."""

from __future__ import annotations

import pytest
from conftest import deliver, move, user

from tcpspec.spec.build import TCP, make_model
from tcpspec.spec.model import CLIENT, SERVER, Bounds
from tcpspec.spec.segment import ACK, DATA, FIN, RST, SYN, SYN_ACK, Segment
from tcpspec.spec.states import Reason
from tcpspec.spec.states import State as S

NO_FAULTS = Bounds(loss=False, reorder=False, duplicates=0)


def test_three_way_handshake_with_the_seeds_numbers() -> None:
    m = make_model("close", NO_FAULTS)
    w = m.initial()
    assert (w.eps[CLIENT].st, w.eps[SERVER].st) == (S.CLOSED, S.LISTEN)
    lab, w = move(m, w, user(CLIENT, "user.open_active"))
    assert lab.sent == SYN(100) and w.eps[CLIENT].st == S.SYN_SENT
    lab, w = move(m, w, deliver(SERVER))
    assert lab.cases == ("listen.syn",)
    assert lab.sent == SYN_ACK(200, 101) and w.eps[SERVER].st == S.SYN_RECEIVED
    lab, w = move(m, w, deliver(CLIENT))
    assert lab.cases == ("syn_sent.syn_ack",)
    assert lab.sent == ACK(101, 201) and w.eps[CLIENT].st == S.ESTABLISHED
    lab, w = move(m, w, deliver(SERVER))
    assert lab.cases == ("ack.syn_received",) and w.eps[SERVER].st == S.ESTABLISHED
    assert not w.chans[0] and not w.chans[1]


def _established(scenario: str = "close"):  # type: ignore[no-untyped-def]
    m = make_model(scenario, NO_FAULTS)
    w = m.initial()
    for want in (
        user(CLIENT, "user.open_active"),
        deliver(SERVER),
        deliver(CLIENT),
        deliver(SERVER),
    ):
        _, w = move(m, w, want)
    return m, w


def test_four_way_close_and_time_wait() -> None:
    m, w = _established()
    lab, w = move(m, w, user(CLIENT, "user.close"))
    assert lab.sent == FIN(101, 201) and w.eps[CLIENT].st == S.FIN_WAIT_1
    lab, w = move(m, w, deliver(SERVER))
    assert lab.sent == ACK(201, 102) and w.eps[SERVER].st == S.CLOSE_WAIT
    lab, w = move(m, w, deliver(CLIENT))
    assert w.eps[CLIENT].st == S.FIN_WAIT_2
    lab, w = move(m, w, user(SERVER, "user.close_close_wait"))
    assert lab.sent == FIN(201, 102) and w.eps[SERVER].st == S.LAST_ACK
    lab, w = move(m, w, deliver(CLIENT))
    assert lab.sent == ACK(102, 202) and w.eps[CLIENT].st == S.TIME_WAIT
    assert w.eps[CLIENT].tw == 2 * m.p.msl
    lab, w = move(m, w, deliver(SERVER))
    assert w.eps[SERVER].st == S.CLOSED and w.eps[SERVER].reason == Reason.NORMAL
    # TIME-WAIT lasts 2*MSL ticks, then the client is CLOSED too
    for _ in range(2 * m.p.msl):
        _, w = move(m, w, lambda lab: lab.kind == "tick")
    _, w = move(m, w, user(CLIENT, "timer.time_wait_expired"))
    assert w.eps[CLIENT].st == S.CLOSED and w.eps[CLIENT].reason == Reason.NORMAL


def test_half_close_data_after_fin_is_delivered() -> None:
    m, w = _established("connect-close")
    _, w = move(m, w, user(CLIENT, "user.send"))
    _, w = move(m, w, deliver(SERVER))
    _, w = move(m, w, deliver(CLIENT))  # the ACK of the data
    _, w = move(m, w, user(CLIENT, "user.close"))
    _, w = move(m, w, deliver(SERVER))  # FIN: server in CLOSE_WAIT
    _, w = move(m, w, deliver(CLIENT))  # its ACK: client in FIN_WAIT_2
    lab, w = move(m, w, user(SERVER, "user.send"))
    assert lab.sent == DATA(201, 103)
    lab, w = move(m, w, deliver(CLIENT))
    assert lab.cases == ("text.deliver",) and lab.sent == ACK(103, 202)
    assert w.eps[CLIENT].st == S.FIN_WAIT_2 and w.eps[CLIENT].rcvd == 1


@pytest.mark.parametrize(
    ("state", "seg", "case", "reply"),
    [
        (S.CLOSED, SYN(100), "closed.reset_ack", Segment(rst=True, ack=True, seq=0, ackno=101)),
        (S.CLOSED, ACK(101, 201), "closed.reset", RST(201)),
        (S.CLOSED, RST(5), "closed.rst_discarded", None),
        (S.LISTEN, ACK(101, 201), "listen.ack_reset", RST(201)),
        (S.LISTEN, RST(5), "listen.rst_ignored", None),
    ],
)
def test_reset_generation(state: S, seg: Segment, case: str, reply: Segment | None) -> None:
    m = make_model("close", NO_FAULTS)
    me = m.initial().eps[SERVER]._replace(st=state)
    fired, _, emit = m.arrive(SERVER, me, seg)
    assert fired == [case]
    assert emit == reply


def test_bad_synack_in_syn_sent_is_answered_by_rst() -> None:
    m = make_model("close", NO_FAULTS)
    me = m.initial().eps[CLIENT]._replace(st=S.SYN_SENT, snd_una=100, snd_nxt=101)
    fired, after, emit = m.arrive(CLIENT, me, SYN_ACK(200, 41))
    assert fired == ["syn_sent.bad_ack_reset"] and emit == RST(41)
    assert after.st == S.SYN_SENT


def test_every_state_handles_every_kind_of_segment() -> None:
    """The arrival procedure is total: some case fires for any segment in any state."""
    m = make_model("close", NO_FAULTS)
    segs = [
        SYN(100),
        SYN_ACK(200, 101),
        ACK(101, 201),
        DATA(101, 201),
        FIN(101, 201),
        RST(101),
        SYN_ACK(200, 41),
        ACK(300, 999),
    ]
    for st in S:
        me = m.initial().eps[SERVER]._replace(st=st, irs=100, rcv_nxt=101, snd_una=200, snd_nxt=201)
        for seg in segs:
            fired, _, _ = m.arrive(SERVER, me, seg)
            assert fired, (st, seg)


def test_case_names_are_unique_and_cite_the_rfc() -> None:
    names = [case.name for case in TCP.all_cases()]
    assert len(names) == len(set(names))
    for case in TCP.all_cases():
        assert "." in case.name and case.rfc and case.text and case.states


def test_syn_received_retransmits_the_syn_ack_never_data() -> None:
    """RFC 6298 (5.4) retransmits the earliest unacknowledged segment: in SYN-RECEIVED that is
    the SYN,ACK (SND.UNA = ISS). Found by the model-based tests against Linux: the model used to
    also 'retransmit' a data unit at ISS that was never sent."""
    m = make_model("connect-close", Bounds())
    _, w = move(m, m.initial(), user(CLIENT, "user.open_active"))
    _, w = move(m, w, deliver(SERVER))
    _, w = move(m, w, lambda lab: lab.kind == "lose")  # the SYN,ACK is lost
    while w.eps[SERVER].rto != 0:
        _, w = move(m, w, lambda lab: lab.kind == "tick")
    timers = [lab for lab, _ in m.successors(w) if lab.kind == "timer" and lab.actor == SERVER]
    assert [lab.cases for lab in timers] == [("timer.retransmit_syn_ack",)]
    assert timers[0].sent == SYN_ACK(200, 101)


def test_a_passive_half_open_connection_that_gives_up_goes_back_to_listen_only() -> None:
    """RFC 9293 3.8.3 / 3.10.7.4: a passively opened connection that gives up returns to LISTEN;
    it is not also closed (the two timeout cases used to be enabled together)."""
    m = make_model("connect-close", Bounds())
    _, w = move(m, m.initial(), user(CLIENT, "user.open_active"))
    _, w = move(m, w, deliver(SERVER))
    # the SYN,ACK has been retransmitted as often as allowed and the timer is due again
    server = w.eps[SERVER]._replace(rto=0, retries=m.p.retries)
    w = w._replace(eps=(w.eps[CLIENT], server))
    timers = [
        lab.cases for lab, _ in m.successors(w) if lab.kind == "timer" and lab.actor == SERVER
    ]
    assert timers == [("timer.give_up_half_open",)]
