"""Is a captured TCP connection a behaviour of the model? (Conformance with real TCP.)

A capture is a sequence of segments seen at one point on the wire. Each one is mapped to a model
segment: sequence and acknowledgment numbers are taken relative to each side's ISN and placed onto
the model's ISS (client 100, server 200); each data-carrying segment is one data unit; options,
windows, PSH and URG are ignored. A segment with both data and FIN is read as the data unit
followed by the FIN (the model never sends them together). A SYN+ACK acknowledging a number
behind the client's ISN answers a SYN of an earlier incarnation: the model's old SYN (RFC 9293
Figure 9) is then put in flight at the start.

The search keeps every global state the model can be in after explaining a prefix of the
capture. Between two observed segments any number of unobserved steps may happen: clock ticks,
timer expiries, user calls, deliveries, losses after the capture point, and emissions that are
lost before it. Each observed segment must be emitted, exactly, by the side that sent it.
`Assume` says what else is known (the capture host, a link that keeps order, a least RTO) and
makes the check stronger.

The answer is a `Report`: accepted, with the rule cases and states along one explaining run; or
the first segment nothing explains, with the states the two sides could have been in and the
segments the model would have allowed that side to send there; or, when that segment shows one
of the behaviours the model leaves out on purpose (`OUT`), that behaviour's name.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from tcpspec.checks.conformance import clock
from tcpspec.checks.conformance.mapping import MOD, Stream, parts
from tcpspec.checks.conformance.pcap import Observed, connections, names, read, uses_port
from tcpspec.checks.conformance.report import OUT, Outcome, Row, unmodelled_flag
from tcpspec.spec.build import TCP
from tcpspec.spec.model import CLIENT, SERVER, Bounds, Label, Model, Side, World
from tcpspec.spec.scenarios import CLIENT_ISS, OLD_CLIENT_ISS, OLD_SERVER_ISS, SERVER_ISS
from tcpspec.spec.segment import Segment
from tcpspec.spec.states import FIN_SENT, SYNCHRONIZED, State
from tcpspec.spec.timers import TIMERS

#: The rule cases that retransmit a segment when the retransmission timer expires.
RETRANSMISSIONS = frozenset(c.name for c in TIMERS if c.name.startswith("timer.retransmit"))
#: Give up when one gap between two observed segments needs more states than this.
MAX_STATES = 200_000


@dataclass(frozen=True)
class Assume:
    """What is known about where and how the capture was taken (each makes the check stronger).

    ``host``: the address (or address:port) of the endpoint on whose host the capture was taken:
    the segments seen arriving there were delivered to it, at once and in capture order (a
    capture on the host itself or on its veth). Without it any segment may be lost or delayed
    after the capture point.
    ``fifo``: the network between the two sides keeps order (one link, a veth): no reordering.
    ``min_rto``: the least retransmission timeout in seconds (0: time is ignored). A FIN or text
    captured again sooner than this after the same segment from the same side is not a
    retransmission by the timer (RFC 6298 (2.4) recommends at least 1 s; Linux uses 200 ms).
    SYNs are exempt: Linux re-arms the SYN's timer at its minimum (a few ms) after answering a
    SYN+ACK with an unacceptable ACK by RST (tcp_rcv_synsent_state_process).
    """

    host: str | None = None
    fifo: bool = False
    min_rto: float = 0.0


#: What the capture harness guarantees: recorded on 10.99.0.1's veth, one link, Linux timers.
HARNESS = Assume(host="10.99.0.1", fifo=True, min_rto=0.2)


class ConformError(ValueError):
    """The capture cannot be checked at all (not one connection, search too large, ...)."""


@dataclass(frozen=True)
class Event:
    """One observed segment (or half of a data+FIN segment) as a model segment."""

    index: int  # position of the segment in the capture (0-based)
    side: int  # CLIENT or SERVER: who sent it
    observed: Observed
    seg: Segment | None  # None: it has no model counterpart (``why`` says why)
    why: str = ""
    out: str = ""  # the name of the out-of-scope behaviour it shows (a key of OUT), if any


@dataclass
class Report(Outcome):
    accepted: bool
    config: str  # which application behaviours explained it (or got furthest)
    segments: int  # how many segments the connection has
    rows: list[Row] = field(default_factory=list)  # the explaining run (up to the failure)
    client_states: list[str] = field(default_factory=list)
    server_states: list[str] = field(default_factory=list)
    failed_at: int | None = None  # index of the first unexplained segment
    failed_segment: str = ""
    reason: str = ""
    possible_states: list[tuple[str, str]] = field(default_factory=list)  # (client, server)
    allowed: list[str] = field(default_factory=list)  # what that side could have sent instead
    out_of_scope: str = ""  # the name of a documented behaviour the model leaves out (see OUT)

    def text(self) -> str:
        lines = []
        if self.accepted:
            lines.append(
                f"ACCEPTED: all {self.segments} segments are a behaviour of the model "
                f"({self.config})."
            )
        else:
            head = "REJECTED"
            if self.out_of_scope:
                head = f"OUT OF SCOPE ({self.out_of_scope}: {OUT[self.out_of_scope].title})"
            lines.append(
                f"{head} at segment {self.failed_at} ({self.config}): {self.failed_segment}"
            )
            lines.append(f"  {self.reason}")
        lines += [r.text(48) for r in self.rows]
        lines.append(f"  client passed: {' -> '.join(self.client_states)}")
        lines.append(f"  server passed: {' -> '.join(self.server_states)}")
        if not self.accepted:
            states = ", ".join(f"({c}, {s})" for c, s in self.possible_states)
            lines.append(f"  (client, server) could have been in: {states}")
            lines.append(
                "  the model would have let that side send: "
                + (", ".join(self.allowed) or "nothing")
            )
        return "\n".join(lines)


def _events(segs: list[Observed], client: str) -> tuple[list[Event], list[int], bool]:
    """Model events of a connection, the data units each side sends, and whether the server
    answered a SYN of an earlier incarnation (a SYN+ACK acknowledging a number that the
    client's SYN does not explain: RFC 9293 section 3.5, Figure 9)."""
    spaces = []
    for i, iss, old in ((CLIENT, CLIENT_ISS, OLD_CLIENT_ISS), (SERVER, SERVER_ISS, OLD_SERVER_ISS)):
        mine = [(k, s) for k, s in enumerate(segs) if (s.src == client) == (i == CLIENT)]
        spaces.append(Stream(iss, old, mine))
    # The model has one earlier incarnation, whose SYN (from the client) may still be in flight:
    # a SYN+ACK from the server acknowledging a number *behind* the client's ISN answers that
    # old SYN (a clock-driven ISN grows with time, RFC 9293 section 3.4.1, so an earlier
    # incarnation's numbers lie behind); the client's RST to it carries that number.
    client_space = spaces[CLIENT]
    for s in segs:
        if (
            s.src != client
            and s.syn
            and s.ack
            and client_space.isn is not None
            and client_space.rel(s.ackno) >= MOD // 2
        ):
            client_space.old.add(s.ackno)
    out = []
    for k, s in enumerate(segs):
        i = CLIENT if s.src == client else SERVER
        me, peer = spaces[i], spaces[1 - i]
        if s.syn and not s.ack and me.isn is not None and me.ahead(s.seq, k):
            out.append(
                Event(
                    k,
                    i,
                    s,
                    None,
                    "a SYN with another ISN: a new connection on the same port pair",
                    "new-incarnation",
                )
            )
            continue
        seq = me.model(s.seq)
        if seq is None and s.rst and s.seq == 0:
            seq = 0  # <SEQ=0><CTL=RST,ACK>: the reply of a side with no connection
        ack = peer.model(s.ackno) if s.ack else 0
        if seq is None or ack is None:
            which, space, x = (
                ("sequence", me, s.seq) if seq is None else ("acknowledgment", peer, s.ackno)
            )
            if space.inside_sent(x, k):
                out.append(
                    Event(
                        k,
                        i,
                        s,
                        None,
                        f"its {which} number falls inside text sent "
                        "earlier, not at a data-unit boundary",
                        "resegmented",
                    )
                )
            else:
                out.append(
                    Event(
                        k, i, s, None, f"its {which} number names nothing that side has sent so far"
                    )
                )
            continue
        if s.dlen and s.syn and s.seq == me.isn:
            out.append(Event(k, i, s, None, "it carries data on a SYN", "data-on-syn"))
            continue
        base = Segment(syn=s.syn, ack=s.ack, rst=s.rst, seq=seq, ackno=ack)
        for j, (seq_w, n, _syn, fin) in enumerate(parts(s)):
            at = seq if j == 0 else me.model(seq_w)  # (a FIN after text: its own number)
            if at is None:
                why = "its FIN is not at a data-unit boundary"
                out.append(Event(k, i, s, None, why, "resegmented"))
            else:
                out.append(Event(k, i, s, base._replace(seq=at, fin=fin, dlen=1 if n else 0)))
    return out, [sp.data for sp in spaces], bool(client_space.old)


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    world: World
    label: Label | None = None
    parent: _Node | None = None
    event: Event | None = None  # the observed event this step emitted (None: unobserved)


def _same(a: Segment, b: Segment) -> bool:
    return (a.syn, a.ack, a.fin, a.rst, a.seq, a.dlen) == (
        b.syn,
        b.ack,
        b.fin,
        b.rst,
        b.seq,
        b.dlen,
    ) and (not a.ack or a.ackno == b.ackno)


def _drop(w: World, i: int, seg: Segment) -> World:
    chan = list(w.chans[i])
    chan.remove(seg)
    return w.with_chan(i, tuple(chan))


def _gap(
    m: Model,
    frontier: list[_Node],
    ev: Event,
    arrived: Event | None = None,
    too_soon: bool = False,
    min_rto: float = 0.0,
) -> tuple[list[_Node], list[_Node], set]:
    """Explore unobserved steps from ``frontier``; return (nodes emitting ``ev``, all nodes
    reached, segments the sending side could have emitted).

    ``arrived``: the previous captured segment, when it was seen arriving at the host where the
    capture was taken: that host's TCP received it right then, so its delivery is the first
    step (it cannot be lost, nor wait while the host does something else).

    ``too_soon``: ``ev`` follows the last capture of the same segment by less than the least
    retransmission timeout, so it cannot be a retransmission by the timer (RFC 6298 (5.4)).

    ``min_rto`` (seconds, 0: time is ignored): no timeout that sends nothing (TIME-WAIT's,
    FIN-WAIT-2's, giving up) comes sooner than this after its timer (re)started (`_lasted`)."""
    seen: dict[World, _Node] = {}
    queue: deque[_Node] = deque()
    hits: dict[World, _Node] = {}
    allowed: set[Segment] = set()

    def reached(label: Label, w2: World, node: _Node) -> World:
        """Note an emission (a hit when it is ``ev``); it is lost unless it is ``ev``."""
        sent = label.sent
        if sent is not None and not label.overflow:
            if label.actor == ev.side:
                allowed.add(sent._replace(stale=False, age=0))
                retransmitted = label.kind == "timer" and label.cases[0] in RETRANSMISSIONS
                if (
                    ev.seg is not None
                    and _same(sent, ev.seg)
                    and w2 not in hits
                    and not (too_soon and retransmitted)
                ):
                    hits[w2] = _Node(w2, label, node, ev)
            w2 = _drop(w2, label.actor, sent)  # emitted, but lost before the capture point
        return w2

    def visit(w2: World, label: Label | None, node: _Node | None) -> None:
        if w2 in seen:
            return
        if len(seen) >= MAX_STATES:
            raise ConformError(
                f"more than {MAX_STATES} model states between two captured "
                "segments: raise MAX_STATES or lower the bounds"
            )
        seen[w2] = _Node(w2, label, node) if node is not None else start[w2]
        queue.append(seen[w2])

    start = {n.world: n for n in frontier}
    for n in frontier:
        if arrived is None or arrived.seg is None:
            visit(n.world, None, None)
            continue
        for label, w2 in m.successors(n.world):
            if (
                label.kind == "deliver"
                and label.actor != arrived.side
                and label.seg is not None
                and _same(label.seg, arrived.seg)
            ):
                visit(reached(label, w2, n), label, n)
                break  # equal copies in flight: delivering either is the same step
    while queue:
        node = queue.popleft()
        for label, w2 in m.successors(node.world):
            silent = label.kind == "timer" and label.sent is None
            if silent and min_rto and not _lasted(node, label.actor, ev.observed.time, min_rto):
                continue  # a timeout takes time, and too little has passed
            visit(reached(label, w2, node), label, node)
    for node in seen.values() if not too_soon else ():
        # (sooner than the least RTO after the same segment: not resent, as `Assume` says)
        again = _resend(m, node.world, ev)
        if again is not None and again.world not in hits:
            hits[again.world] = _Node(again.world, again.label, node, ev)
    return list(hits.values()), list(seen.values()), allowed


def _lasted(n: _Node, i: int, now: float, min_rto: float) -> bool:
    """Can a timer of side ``i`` in ``n`` have fired by ``now`` (`clock`: no sooner than
    ``min_rto`` after it restarted, as the captured segments before tell)?"""
    ep = n.world.eps[i]
    return clock.lasted(now, clock.started(_steps(n, i), clock.sends(ep)), min_rto)


def _steps(n: _Node, i: int) -> Iterator[clock.Step]:
    """The run that ends in ``n``, newest step first, as side ``i``'s timer rule reads it."""
    node = n
    while node.parent is not None:
        ev = node.event
        seg = ev.seg if ev is not None and ev.side == i else None
        restarts = seg is not None and bool(seg.syn or seg.fin or seg.dlen)
        at = ev.observed.time if ev is not None else None
        yield clock.Step(node.parent.world.eps[i], node.world.eps[i], restarts, ev is not None, at)
        node = node.parent


class _Resent(NamedTuple):
    world: World
    label: Label


def _resend(m: Model, w: World, ev: Event) -> _Resent | None:
    """``ev`` read as its sender resending a unit it sent and that is not acknowledged, or its
    unacknowledged FIN, with ACK=RCV.NXT (RFC 9293 3.8.1 leaves open which segment is resent
    and when: fast retransmit, SACK recovery, tail-loss probes): nothing changes but a copy in
    flight (or lost, when the channel is full)."""
    seg, i = ev.seg, ev.side
    if seg is None or seg.syn or seg.rst or not seg.ack:
        return None
    me = w.eps[i]
    if me.st not in SYNCHRONIZED or me.st == State.TIME_WAIT:
        return None  # only a live connection resends (its FIN in TIME-WAIT is acknowledged)
    fin_sent = me.st in FIN_SENT
    if seg.ackno != me.rcv_nxt or not (seg.dlen or seg.fin) or (seg.dlen and seg.fin):
        return None
    if seg.dlen and not me.snd_una <= seg.seq < me.snd_nxt - (1 if fin_sent else 0):
        return None
    if seg.fin and not (fin_sent and me.snd_una <= seg.seq == me.snd_nxt - 1):
        return None
    copy = seg._replace(stale=me.tainted, age=0)
    chan = m.send(w.chans[i], copy)
    label = Label(i, "resend", (), sent=copy)
    if chan is None:
        return _Resent(w, label._replace(overflow=True))
    return _Resent(w.with_chan(i, chan), label)


@dataclass(frozen=True)
class Config:
    name: str
    client: Side
    server: Side
    stale: tuple[str, ...] = ()  # segments of an earlier incarnation in flight at the start


def configs(events: list[Event], data: list[int], old_syn: bool = False) -> list[Config]:
    """The application behaviours worth trying for this capture, most likely first."""
    syn_only = {e.side for e in events if e.seg is not None and e.seg.syn and not e.seg.ack}
    rst = any(e.observed.rst for e in events)
    c = Side("client", CLIENT_ISS, OLD_CLIENT_ISS, active=True, data=data[CLIENT])
    s = Side("server", SERVER_ISS, OLD_SERVER_ISS, data=data[SERVER])
    out = [
        Config("client connects, server listens", c, replace(s, passive=True)),
        Config("client connects, no listener", c, s),
    ]
    if SERVER in syn_only:
        out.insert(0, Config("simultaneous open", c, replace(s, active=True)))
    if old_syn:
        out = [replace(x, name=x.name + ", an old SYN in flight", stale=("syn",)) for x in out]
    if rst:
        out += [
            Config(
                f"{x.name}, applications may abort",
                replace(x.client, abort=True),
                replace(x.server, abort=True),
            )
            for x in list(out)
        ]
    return out


def bounds_for(events: list[Event], data: list[int], fifo: bool = False) -> Bounds:
    sends: dict[tuple[int, Segment], int] = {}
    for e in events:
        if e.seg is not None:
            sends[e.side, e.seg] = sends.get((e.side, e.seg), 0) + 1
    retries = max([1, *(n - 1 for n in sends.values())])
    units = max(data)
    return Bounds(
        capacity=3,
        loss=True,
        reorder=not fifo,
        duplicates=0,
        data=units,
        msl=1,
        rto=1,
        retries=retries,
        window=units + 2,
    )


def _sent_key(ev: Event) -> tuple[Any, ...]:
    """What identifies a retransmission of the same segment (its ACK field may have moved)."""
    s = ev.seg
    return (ev.side, s.syn, s.fin, s.rst, s.seq, s.dlen) if s is not None else (ev.index,)


@dataclass(frozen=True)
class _Check:
    """One reading of a capture: the model, the applications, the events, the assumptions."""

    m: Model
    cfg: Config
    events: list[Event]
    nsegs: int  # segments in the capture
    host: int | None  # the side on whose host the capture was taken (`Assume.host`)
    min_rto: float


def _run(
    c: _Check,
    start: int = 0,
    frontier: list[_Node] | None = None,
    last_sent: dict[tuple[Any, ...], float] | None = None,
    arrived: Event | None = None,
) -> Report:
    """Explain ``events[start:]`` from ``frontier`` (default: the initial state); ``arrived``:
    a segment seen arriving at the capture host just before, to be delivered first."""
    m, cfg, events, nsegs, host, min_rto = c.m, c.cfg, c.events, c.nsegs, c.host, c.min_rto
    frontier = frontier or [_Node(m.initial())]
    last_sent = dict(last_sent or {})
    for pos in range(start, len(events)):
        ev = events[pos]
        key = _sent_key(ev)
        too_soon = key in last_sent and ev.observed.time - last_sent[key] < min_rto
        if too_soon and ev.seg is not None and ev.seg.syn:
            # Linux re-arms the SYN timer at its minimum after resetting a bad SYN+ACK
            too_soon = last_sent.get((ev.side, "rst"), -1.0) < last_sent[key]
        last_sent[key] = ev.observed.time
        if ev.seg is not None and ev.seg.rst:
            last_sent[ev.side, "rst"] = ev.observed.time
        hits, reached, allowed = _gap(m, frontier, ev, arrived, too_soon, min_rto)
        # a segment seen arriving at the capture host (not one it sent) was delivered there
        arrived = ev if host is not None and ev.side != host else None
        if hits:
            frontier = hits
            continue
        rep = _report(m, cfg, reached[0] if reached else frontier[0], nsegs, False)
        rep.failed_at = ev.index
        rep.failed_segment = ev.observed.describe()
        shown = ev.seg.describe() if ev.seg is not None else "(no model segment)"
        rep.reason = f"read as {_side(ev.side)} sends {shown}: " + (
            ev.why or "no run of the model lets that side send it here"
        )
        rep.out_of_scope = ev.out
        rep.possible_states = sorted(
            {(n.world.eps[CLIENT].st.name, n.world.eps[SERVER].st.name) for n in reached}
        )
        rep.allowed = sorted(s.describe() for s in allowed)
        if not rep.out_of_scope:
            return _beyond(c, pos, reached, last_sent, rep)
        return rep
    return _report(m, cfg, _drained(m, frontier), nsegs, True)


def _beyond(
    c: _Check,
    pos: int,
    reached: list[_Node],
    last_sent: dict[tuple[Any, ...], float],
    rejected: Report,
) -> Report:
    """Try the out-of-scope behaviours that have a known effect: if, with that effect, the rest
    of the capture is explained, name the behaviour; if it only gets further, report where it
    then fails; else keep the rejection as it is."""
    m, events, host = c.m, c.events, c.host
    best = rejected
    for name, start, frontier in _repairs(m, events, pos, reached):
        ev = events[pos]
        if name == "injected" and host is not None and ev.side == host:
            continue  # what the capture host sends, its own TCP sent
        # an injected segment seen arriving at the capture host was delivered there at once
        arrived = ev if name == "injected" and host is not None and ev.side != host else None
        again = _run(c, start, frontier, last_sent, arrived)
        if again.accepted or again.status == "out-of-scope":
            again.accepted = False
            again.failed_at = rejected.failed_at
            again.failed_segment = rejected.failed_segment
            again.reason = rejected.reason
            again.possible_states, again.allowed = rejected.possible_states, rejected.allowed
            again.out_of_scope = name
            return again
        if (again.failed_at or 0) > (best.failed_at or 0):
            again.reason = (
                f"(reading segment {rejected.failed_at} as out of scope: {OUT[name].title}) "
                + again.reason
            )
            best = again
    return best


def _repairs(
    m: Model, events: list[Event], pos: int, reached: list[_Node]
) -> list[tuple[str, int, list[_Node]]]:
    """The out-of-scope readings of the unexplained ``events[pos]`` that have a known effect:
    (name, where to go on, the states to go on from)."""
    ev = events[pos]
    i = ev.side
    out: list[tuple[str, int, list[_Node]]] = []
    synacks = [e for e in events[:pos] if e.seg is not None and e.seg.syn and e.seg.ack]
    if any(e.side == i for e in synacks) and any(e.side != i for e in synacks):
        # RFC 9293 Figure 7: the peer's SYN,ACK acts on SYN-RECEIVED as the ACK of our SYN would
        repaired = []
        for n in reached:
            me = n.world.eps[i]
            if me.st != State.SYN_RECEIVED:
                continue
            ack = Segment(ack=True, seq=me.rcv_nxt, ackno=me.snd_nxt)
            w = n.world.with_chan(1 - i, (*n.world.chans[1 - i], ack))
            for label, w2 in m.successors(w):
                if label.kind == "deliver" and label.seg == ack:
                    if label.sent is not None and not label.overflow:
                        w2 = _drop(w2, i, label.sent)
                    repaired.append(_Node(w2, label, n))
                    break
        if repaired:
            out.append(("synack-in-syn-received", pos, repaired))
    # RFC 5961: a bare RST or SYN that no TCP would send there (an attacker's, a fake peer's):
    # it reaches the receiver without any TCP having sent it, which answers by its own rules
    # (a challenge ACK); the apparent sender's state is untouched
    seg = ev.seg
    if seg is not None and seg.rst != seg.syn and not (seg.ack or seg.fin or seg.dlen):
        injected = [
            _Node(n.world.with_chan(i, (*n.world.chans[i], seg)), Label(i, "inject"), n, ev)
            for n in reached
            if n.world.eps[1 - i].st in SYNCHRONIZED  # RFC 5961 protects synchronized states
        ]
        if injected:
            out.append(("injected", pos + 1, injected))
    return out


def _drained(m: Model, frontier: list[_Node]) -> _Node:
    """After the last captured segment, the segments still in flight arrive (anything they
    make a side send is not in the capture): the first state with both channels empty, so the
    report shows where each side ended up (e.g. TIME-WAIT after the last ACK)."""
    queue = deque(frontier)
    seen = {n.world for n in frontier}
    while queue:
        node = queue.popleft()
        if not node.world.chans[0] and not node.world.chans[1]:
            return node
        for label, w2 in m.successors(node.world):
            if label.kind != "deliver":
                continue
            if label.sent is not None and not label.overflow:
                w2 = _drop(w2, label.actor, label.sent)
            if w2 not in seen and len(seen) < MAX_STATES:
                seen.add(w2)
                queue.append(_Node(w2, label, node))
    return frontier[0]


def _side(i: int) -> str:
    return "client" if i == CLIENT else "server"


def _report(m: Model, cfg: Config, last: _Node, nsegs: int, ok: bool) -> Report:
    path: list[_Node] = []
    n: _Node | None = last
    while n is not None:
        path.append(n)
        n = n.parent
    path.reverse()
    rep = Report(accepted=ok, config=cfg.name, segments=nsegs)
    for i, seen in ((CLIENT, rep.client_states), (SERVER, rep.server_states)):
        for node in path:
            st = node.world.eps[i].st.name
            if not seen or seen[-1] != st:
                seen.append(st)
    for node in path:
        if node.event is not None and node.label is not None:
            w = node.world
            rep.rows.append(
                Row(
                    f"#{node.event.index}",
                    node.event.observed.describe(),
                    (node.label.sent.describe() if node.label.sent else "")
                    + (" (resent, unacknowledged)" if node.label.kind == "resend" else ""),
                    node.label.cases,
                    f"client {w.eps[CLIENT].st.name}, server {w.eps[SERVER].st.name}",
                    _side(node.event.side),
                )
            )
    return rep


def conform(segments: list[Observed], assume: Assume = Assume()) -> Report:
    """Decide whether the captured segments of one TCP connection are a behaviour of the model;
    ``assume``: what is known about the capture point and the network (see `Assume`)."""
    conns = connections(segments)
    if len(conns) != 1:
        raise ConformError(
            f"the segments belong to {len(conns)} connections; pick one (pcap.connections)"
        )
    flagged = unmodelled_flag(segments)
    if flagged is not None:
        k, name, why = flagged
        return Report(
            False, "not checked", len(segments), failed_at=k,
            failed_segment=segments[k].describe(), out_of_scope=name,
            reason=f"{why}: the capture shows a behaviour the model leaves out",
        )  # fmt: skip
    openers = [s.src for s in segments if s.syn and not s.ack]
    clients = list(dict.fromkeys(openers)) or [segments[0].src]  # both: simultaneous open
    best: Report | None = None
    for client in clients:
        events, data, old_syn = _events(segments, client)
        b = bounds_for(events, data, assume.fifo)
        at, host = None, assume.host
        if host is not None:
            at = CLIENT if names(host, client) else SERVER
            if not any(names(host, x.src) for x in segments):
                raise ConformError(f"no segment of this connection is sent by {host}")
        for cfg in configs(events, data, old_syn):
            # a search guided by the capture, a gap at a time (MAX_STATES): the ceilings that
            # keep an exhaustive exploration in memory do not apply
            m = Model((cfg.client, cfg.server), b, TCP, stale=cfg.stale, limits=False)
            rep = _run(_Check(m, cfg, events, len(segments), at, assume.min_rto))
            if rep.accepted:
                return rep
            # a named out-of-scope behaviour explains more than any rejection; else the
            # reading that explains the longest prefix
            if best is None or _rank(rep) > _rank(best):
                best = rep
    assert best is not None
    return best


def _rank(rep: Report) -> tuple[bool, int]:
    return rep.status == "out-of-scope", rep.failed_at or 0


def check_file(
    path: str | Path,
    port: int | None = None,
    assume: Assume = Assume(),
) -> list[tuple[str, Report]]:
    """Check every TCP connection of a capture file (or only those using ``port``), in order of
    appearance; each is named ``address:port <-> address:port``."""
    conns = connections(read(path))
    if port is not None:
        conns = {k: v for k, v in conns.items() if uses_port(k, port)}
        if not conns:
            raise ConformError(f"{path} holds no TCP connection using port {port}")
    return [(f"{a} <-> {b}", conform(segs, assume)) for (a, b), segs in conns.items()]


def conform_file(
    path: str | Path,
    port: int | None = None,
    assume: Assume = Assume(),
) -> Report:
    """Check the one connection of a capture file (the only one, or the one using ``port``)."""
    reports = check_file(path, port, assume)
    if len(reports) != 1:
        raise ConformError(f"{path} holds {len(reports)} TCP connections; choose one by port")
    return reports[0][1]
