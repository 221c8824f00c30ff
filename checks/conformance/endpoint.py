"""One-sided (endpoint) checking: is what ONE TCP sent explained by one model endpoint?

Conformance suites (packetdrill, FreeBSD's tcp-testsuite) drive one stack with a scripted peer
that sends whatever the test wants. Here the endpoint is one `Endpoint` of a `spec.model.Model`
whose other side is a silent stand-in and whose network is replaced by the environment: "this
segment is delivered now". Every rule the endpoint follows is the rule tables' own
(`Model.arrival`, `Model.local_moves`, the model's clock tick); the numbers the environment
chooses are read by `mapping` (the abstraction mapper, stated once).

The trace is taken at the endpoint's host: each inbound segment was delivered to it, in order,
and everything it sent is seen, in order. Between two observed events any unobserved step may
happen: clock ticks, timer expiries that send nothing, and user calls (OPEN, SEND, CLOSE, ABORT,
in any order the rules allow) unless the trace records the calls (a packetdrill script), in
which case OPEN, CLOSE and ABORT happen exactly at the recorded calls (a call whose case is not
yet enabled waits, as a CLOSE waits for preceding SENDs, section 3.10.4). Every segment the model
endpoint must send (a reply, a segment a call sends) must be the next thing seen from it; a pure
ACK may instead be delayed and covered by a later one (RFC 1122 4.2.3.2). In a capture, a reply
still owed at the end is a rejection; a packetdrill script checks nothing after its last line, so
there it is not.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from tcpspec.checks.conformance import clock
from tcpspec.checks.conformance.mapping import (
    MOD,
    Expect,
    Spaces,
    Unmapped,
    Wire,
    expect,
    inbound,
    learned,
    matches,
    parts,
    resent,
    sent,
    signed,
    wire_of,
)
from tcpspec.checks.conformance.pcap import Observed, connections, names, read, uses_port
from tcpspec.checks.conformance.report import OUT, Outcome, Row, unmodelled_flag
from tcpspec.spec.build import TCP
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.model import Bounds, Model, Side, World
from tcpspec.spec.rules import Ctx, Rules
from tcpspec.spec.scenarios import CLIENT_ISS, OLD_CLIENT_ISS, OLD_SERVER_ISS, SERVER_ISS
from tcpspec.spec.states import Reason, State

#: Give up when one gap between two observed events needs more nodes than this.
MAX_NODES = 100_000
#: The least retransmission timeout of a real stack (Linux's TCP_RTO_MIN, microseconds; RFC
#: 6298 (2.4) asks for 1 s): a timer cannot resend sooner after the last segment seen.
MIN_RTO = 200_000
#: What a trace's times may be off by (packetdrill lets an outbound packet's time be off by its
#: --tolerance_usecs, 4 ms by default, at either end of an interval).
SLACK = 10_000
#: Replies the endpoint may owe at once (a script may show them after later inbound lines;
#: a run of pure ACKs, each covered by the next, may be long).
MAX_OWED = 64
#: The user calls a trace that records them carries out only at a recorded call (SEND is not
#: among them: the text a write() queues is sent, in units, as the endpoint chooses).
RECORDED_CALLS = ("OPEN active", "OPEN passive", "CLOSE", "ABORT")


class EndpointError(ValueError):
    """The trace cannot be checked at all (the message says why)."""


@dataclass(frozen=True)
class Call:
    """A user call the trace records (a packetdrill syscall): the user cases that carry it out
    (none: it changes nothing the model sees), and what its recorded result says of the
    endpoint once it has taken effect (``holds``, in words ``says``), if anything."""

    where: str
    text: str
    cases: frozenset[str]
    holds: Callable[[Endpoint], bool] | None = field(default=None, compare=False)
    says: str = ""
    releases: bool = False  # the application lets go of the connection's socket (close())
    at: int | None = None  # when it was made (a blocking call: when it returned), microseconds
    #: bytes of text the call wrote (a write()), None: not known (the endpoint's later text is
    #: then not held to what was written)
    wrote: int | None = 0
    #: a blocking call's result holds at some point of the span in which it returned (within
    #: the trace's tolerance): "open" where that span starts, "close" where it ends; "": here
    window: str = ""


Event = Wire | Call


@dataclass(frozen=True)
class _Node:
    ep: Endpoint
    sp: Spaces
    owed: tuple[Expect, ...] = ()
    waiting: tuple[Call, ...] = ()  # recorded calls whose case is not enabled yet
    parent: _Node | None = field(default=None, compare=False, hash=False)
    row: Row | None = field(default=None, compare=False, hash=False)
    #: the application has let go of the socket (close()): from then on the cases that apply
    #: to orphaned sockets may fire (None: as the parent)
    released: bool | None = None
    #: blocking calls' results still to hold before their span ends (None: as the parent)
    checks: tuple[Call, ...] | None = None

    def __post_init__(self) -> None:
        if self.released is None:
            got = self.parent.released if self.parent is not None else False
            object.__setattr__(self, "released", got)
        if self.checks is None:
            object.__setattr__(self, "checks", self.parent.checks if self.parent else ())

    def key(self) -> tuple[Any, ...]:
        return (self.ep, self.sp, self.owed, self.waiting, self.released, self.checks)


@dataclass
class EndpointReport(Outcome):
    accepted: bool
    endpoint: str
    config: str
    events: int
    rows: list[Row] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    failed_at: str = ""
    failed_segment: str = ""
    reason: str = ""
    possible_states: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    out_of_scope: str = ""
    notes: list[str] = field(default_factory=list)
    #: the rule a rejection names: the rule case (and RFC section) whose segment or result
    #: the trace does not show
    rule: str = ""

    def text(self) -> str:
        if self.accepted:
            lines = [
                f"ACCEPTED: endpoint {self.endpoint}: all {self.events} events are a behaviour "
                f"of one model endpoint ({self.config})."
            ]
        else:
            head = "REJECTED"
            if self.out_of_scope:
                head = f"OUT OF SCOPE ({self.out_of_scope}: {OUT[self.out_of_scope].title})"
            lines = [
                f"{head}: endpoint {self.endpoint} at {self.failed_at} ({self.config}): "
                f"{self.failed_segment}",
                f"  {self.reason}",
            ]
        lines += [r.text() for r in self.rows]
        if self.states:
            lines.append(f"  endpoint passed: {' -> '.join(self.states)}")
        for n in self.notes:
            lines.append(f"  note: {n}")
        if not self.accepted and self.possible_states:
            lines.append(f"  the endpoint could have been in: {', '.join(self.possible_states)}")
            lines.append(
                "  the model would have let it send: " + (", ".join(self.allowed) or "nothing")
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class Setup:
    """How the endpoint's application behaves, and whether the trace records its calls."""

    name: str
    side: Side
    calls: bool  # OPEN, CLOSE and ABORT happen only at recorded calls
    #: the endpoint may probe (SO_KEEPALIVE set, or the peer offered a zero window): only
    #: then is a segment at SND.UNA-1 a keep-alive or window probe rather than an error
    probes: bool = True
    #: the application set TCP_USER_TIMEOUT: the retransmission timer may give up sooner
    user_timeout: bool = False


_DUMMY = Side("environment", SERVER_ISS, OLD_SERVER_ISS)  # CLOSED, no application: never moves


class _Search:
    def __init__(self, setup: Setup, events: list[Event], rules: Rules, capture: bool) -> None:
        self.setup = setup
        self.events = events
        self.capture = capture  # a capture: replies still owed at the end are missing
        sends: dict[tuple[Any, ...], int] = {}
        for e in events:
            if isinstance(e, Wire) and not e.inbound:
                k = (e.syn, e.fin, e.rst, e.seq, e.dlen)
                sends[k] = sends.get(k, 0) + 1
        b = Bounds(
            capacity=1,
            loss=False,
            reorder=False,
            duplicates=0,
            data=max(1, setup.side.data),
            msl=1,
            rto=1,
            retries=max([1, *(n - 1 for n in sends.values())]),
            window=2,
        )
        # one endpoint, one run at a time: the ceilings that keep an exhaustive exploration in
        # memory do not apply (a script may send a hundred segments)
        self.m = Model((setup.side, _DUMMY), b, rules, limits=False)
        # once the application has closed the socket (a recorded close()), its side is a
        # sockets application that called close() (`Side.full_close`): text that arrives then
        # draws a RST (RFC 1122 4.2.2.13); before, it is read
        closed = replace(setup.side, full_close=True)
        self.m_released = Model((closed, _DUMMY), b, rules, limits=False)
        self.dummy = self.m.initial().eps[1]
        self.called = rules.calls(*RECORDED_CALLS)
        # a packetdrill script checks nothing the kernel sends after its last outbound line
        self.last_out = -1 if capture else last_outbound(events)
        self.unseen = False
        self.timers = True  # may a timer have resent something the trace does not show?
        last = events[self.last_out] if self.last_out >= 0 else None
        self.last_out_at = last.at if isinstance(last, Wire) else None
        # per event: the bytes the application had written by then (an endpoint sends no text
        # its application never wrote, 3.10.2), and where the trace has shown a boundary of the
        # endpoint's text (a resend starts at one)
        self.written: list[int | None] = []
        self.starts: list[frozenset[int]] = []
        total: int | None = 0
        shown: set[int] = set()
        for e in events:
            self.written.append(total if setup.calls else None)
            self.starts.append(frozenset(shown))
            if isinstance(e, Call):
                total = None if total is None or e.wrote is None else total + e.wrote
            elif e.inbound:
                shown |= {x % MOD for x in e.sack}
                if e.ack and e.ackno is not None:
                    shown.add(e.ackno % MOD)
            elif not e.inbound:
                shown |= {e.seq % MOD, (e.seq + e.dlen) % MOD}
        self.k = 0  # the event being explained
        # when each event happened (the earliest, where a trace names one place twice: a
        # blocking call and its return), None: not known
        self.when: dict[str, int | None] = {}
        self.event_of: dict[str, Event] = {e.where: e for e in events if isinstance(e, Wire)}
        for e in events:
            got = self.when.get(e.where, e.at)
            self.when[e.where] = None if got is None or e.at is None else min(got, e.at)

    # -- steps of the endpoint -----------------------------------------------------------------

    def model(self, n: _Node) -> Model:
        """The model the node's endpoint follows: its application holds the socket, or has
        closed it."""
        return self.m_released if n.released else self.m

    def _world(self, ep: Endpoint) -> World:
        return World((ep, self.dummy), ((), ()), 0)

    def _ticks(self, n: _Node) -> list[Endpoint]:
        moves = self.model(n).successors(self._world(n.ep))
        return [w.eps[0] for lab, w in moves if lab.kind == "tick"]

    def _free(self, case: str) -> bool:
        return not (self.setup.calls and case in self.called)

    def queued(self, c: Call, ep: Endpoint) -> bool:
        """A call whose case queues (`Case.queues`: a CLOSE in SYN-RECEIVED, ESTABLISHED or
        CLOSE-WAIT, 3.10.4) waits for the SENDs before it: the call was made, its FIN follows
        the text. No other call waits: a recorded call takes effect where the trace shows it."""
        return ep.sent < self.setup.side.data and any(
            self.m.rules.case(k).queues and ep.st in self.m.rules.case(k).states for k in c.cases
        )

    def discharge(self, n: _Node) -> _Node:
        """``n`` with the blocking calls' results that hold now taken as returned here."""
        for c in n.checks or ():
            if c.holds is not None and c.holds(self.as_called(n)):
                row = Row(c.where, c.text, f"result: {c.says}", (), n.ep.st.name)
                rest = tuple(x for x in n.checks or () if x is not c)
                n = _Node(n.ep, n.sp, n.owed, n.waiting, n, row, checks=rest)
        return n

    def as_called(self, n: _Node) -> Endpoint:
        """The endpoint as the application sees it: a CLOSE queued behind SENDs has been made
        (3.10.4, CLOSE in ESTABLISHED: "In any case, enter FIN-WAIT-1 state"): its state is the
        one the CLOSE case enters (read off the case, whose guard waits for the SENDs)."""
        for c in n.waiting:
            for k in sorted(c.cases):
                case = self.m.rules.case(k)
                if n.ep.st in case.states:
                    st = case.then(Ctx(n.ep, None, self.setup.side, self.m.p)).get("st")
                    return n.ep if st is None else n.ep._replace(st=st)
        return n.ep

    def lasted(self, n: _Node) -> bool:
        """Can a timer of ``n``'s endpoint have fired by the next event (`clock`: no sooner than
        `MIN_RTO`, less `SLACK`, after it restarted)? Unless the application set
        TCP_USER_TIMEOUT, which may cut the retransmission timer short (Linux clamps it to the
        time left)."""
        now = self.events[self.k].at if self.k < len(self.events) else None
        retransmission = clock.sends(n.ep)
        if retransmission and self.setup.user_timeout:
            return True
        since = clock.started(self._steps(n), retransmission)
        return clock.lasted(now, since, MIN_RTO - SLACK)

    def _steps(self, n: _Node) -> Iterator[clock.Step]:
        """The run that ends in ``n``, newest step first, as the timer rule reads it."""
        node = n
        while node.parent is not None:
            row = node.row
            where = row.where if row is not None else ""
            ev = self.event_of.get(where) if where else None
            restarts = isinstance(ev, Wire) and not ev.inbound and bool(ev.syn or ev.fin or ev.dlen)
            at = self.when.get(where) if where else None
            yield clock.Step(node.parent.ep, node.ep, restarts, bool(where), at)
            node = node.parent

    def settled(self, nodes: list[_Node]) -> list[_Node]:
        """The nodes in which every recorded call has taken effect, or is queued by the RFC."""
        return [n for n in nodes if all(self.queued(c, n.ep) for c in n.waiting)]

    def closure(self, frontier: list[_Node], where: str) -> list[_Node]:
        """Every node reachable by steps that send nothing, and by recorded calls that waited
        for their case to be enabled (what such a call sends is owed). Once the script has
        shown its last outbound line (`unseen`), what the endpoint sends is not known: any
        step may send, and nothing is owed."""
        seen: dict[tuple[Any, ...], _Node] = {}
        queue: deque[_Node] = deque()

        def visit(n: _Node) -> None:
            if self.unseen and n.owed:
                n = _Node(n.ep, n.sp, (), n.waiting, n.parent, n.row, n.released)
            k = n.key()
            if k in seen or len(n.owed) > MAX_OWED:
                return
            if len(seen) >= MAX_NODES:
                raise EndpointError(
                    f"more than {MAX_NODES} endpoint states before {where}: the trace is too "
                    "loose to check"
                )
            seen[k] = n
            queue.append(n)

        for n in frontier:
            visit(n)
        while queue:
            n = queue.popleft()
            if n.waiting and not any(
                n.ep.st in self.m.rules.case(c).states for c in n.waiting[0].cases
            ):
                # the call has no case in this state: the RFC answers it with an error
                # ("connection closing", "connection already exists"), nothing changes
                c = n.waiting[0]
                visit(
                    _Node(
                        n.ep,
                        n.sp,
                        n.owed,
                        n.waiting[1:],
                        n,
                        Row(c.where, c.text, "(no effect in this state)", (), n.ep.st.name),
                    )
                )
            for ep in self._ticks(n):
                visit(_Node(ep, n.sp, n.owed, n.waiting, n, None))
            for label, after, emit in self.model(n).local_moves(0, n.ep):
                case = label.cases[0]
                if self.setup.calls and not n.released and self.m.rules.case(case).orphaned:
                    continue  # the application still holds the socket
                if label.kind == "timer" and emit is None and not self.lasted(n):
                    continue  # a silent timeout (TIME-WAIT's, giving up) takes time
                sp = n.sp.forget(after.st)
                row = Row("", "(unobserved)", "", label.cases, after.st.name)
                if n.waiting and case in n.waiting[0].cases:
                    owed = n.owed + (
                        (expect(emit, n.sp, label.cases, n.waiting[0].where),)
                        if emit is not None
                        else ()
                    )
                    row = Row(n.waiting[0].where, n.waiting[0].text, "", label.cases, after.st.name)
                    visit(_Node(after, sp, owed, n.waiting[1:], n, row))
                elif (
                    emit is None or (self.unseen and (label.kind != "timer" or self.timers))
                ) and self._free(case):
                    visit(_Node(after, sp, n.owed, n.waiting, n, row))
        return list(seen.values())

    def deliver(self, n: _Node, w: Wire) -> list[_Node] | Unmapped:
        """The environment delivers ``w`` to the endpoint now (piece by piece)."""
        nodes = [n]
        for piece in parts(w):
            out: list[_Node] = []
            for node in nodes:
                got = inbound(w, piece, node.ep, node.sp, self.m.p.window)
                if isinstance(got, Unmapped):
                    return got
                for part in got:
                    fired, after, emit = self.model(node).arrival(0, node.ep, part.seg)
                    sp = learned(node.ep, after, part)
                    owed = node.owed
                    if emit is not None:
                        e = expect(emit, sp, tuple(fired), w.where)
                        if e.pure_ack and owed and owed[-1].pure_ack and owed[-1].after == w.where:
                            # one segment, read in pieces (text, then FIN), is acknowledged
                            # once: the ACK of its last piece (it covers the first)
                            owed = owed[:-1]
                        owed += (e,)
                    sp = sp.forget(after.st)
                    row = Row(
                        w.where, w.text, f"in {part.seg.describe()}", tuple(fired), after.st.name
                    )
                    out.append(_Node(after, sp, owed, node.waiting, node, row))
            nodes = out
        return nodes

    def call(self, n: _Node, c: Call, row: bool = True) -> _Node:
        """A recorded call: it waits until its case is enabled (the closure fires it). A call
        no case carries out is a row of its own (``row``: unless its result makes one)."""
        released = n.released or c.releases
        if not c.cases:
            shown = Row(c.where, c.text, "", (), n.ep.st.name) if row else None
            return _Node(n.ep, n.sp, n.owed, n.waiting, n, shown, released)
        return _Node(n.ep, n.sp, n.owed, (*n.waiting, c), n, None, released)

    def emit(self, n: _Node, w: Wire, piece: tuple[int, int, bool, bool]) -> list[_Node]:
        """The endpoint sends ``piece`` of ``w``: the reply it owes, or (owing nothing) a
        segment of a user call or timeout."""
        out: list[_Node] = []
        iss_w = wire_of(n.sp.snd, self.setup.side.iss)
        written = self.written[self.k]
        if (
            written is not None
            and piece[1]
            and iss_w is not None
            and signed(piece[0] + piece[1] - iss_w - 1) > written
        ):
            return out  # text the application never wrote
        if (
            written is not None
            and piece[3]
            and iss_w is not None
            and signed(piece[0] - iss_w - 1) != written
        ):
            # the FIN follows every byte written before it (3.10.4: CLOSE is queued behind
            # the SENDs): none dropped, none sent after it
            return out
        if n.owed:
            head = n.owed[0]
            if head.seqs == frozenset() or (head.seg.ack and not head.acks):
                # a number the wire had not shown when the reply was due (our FIN, sent by a
                # call before and shown after it): translated now
                head = expect(head.seg, n.sp, head.cases, head.after)
            if matches(head, w, piece):
                sp = sent(head, w, piece, n.sp)
                if sp is not None:
                    sp = sp.forget(n.ep.st)
                    row = Row(
                        w.where, w.text, f"out {head.seg.describe()}", head.cases, n.ep.st.name
                    )
                    out.append(_Node(n.ep, sp, n.owed[1:], n.waiting, n, row))
            if head.pure_ack and _covers(w, head):
                # a delayed ACK, covered by this later segment (RFC 1122 4.2.3.2)
                row = Row(
                    head.after,
                    "(ACK not sent: delayed, covered later)",
                    f"out {head.seg.describe()}",
                    head.cases,
                    n.ep.st.name,
                )
                out += self.emit(_Node(n.ep, n.sp, n.owed[1:], n.waiting, n, row), w, piece)
            return out
        again = resent(w, piece, n.ep, n.sp, self.starts[self.k])
        if again is not None:
            row = Row(w.where, w.text, f"out ({again})", (), n.ep.st.name)
            out.append(_Node(n.ep, n.sp, (), n.waiting, n, row))
        for label, after, seg in self.model(n).local_moves(0, n.ep):
            if seg is None or not self._free(label.cases[0]):
                continue
            e = expect(seg, n.sp, label.cases)
            if matches(e, w, piece):
                sp = sent(e, w, piece, n.sp)
                if sp is not None:
                    sp = sp.forget(after.st)
                    row = Row(w.where, w.text, f"out {seg.describe()}", label.cases, after.st.name)
                    out.append(_Node(after, sp, (), n.waiting, n, row))
        return out

    def allowed(self, nodes: list[_Node]) -> list[str]:
        got: set[str] = set()
        for n in nodes:
            if n.owed:
                got.add(f"{n.owed[0].describe()} (owed: {', '.join(n.owed[0].cases)})")
                continue
            for label, _after, seg in self.model(n).local_moves(0, n.ep):
                if seg is not None and self._free(label.cases[0]):
                    got.add(f"{expect(seg, n.sp, label.cases).describe()} ({label.cases[0]})")
        return sorted(got)

    # -- the search ----------------------------------------------------------------------------

    def run(self, endpoint: str) -> EndpointReport:
        # with the calls recorded the application starts with no socket; else a passive side
        # is found listening, as the model starts it
        start = Endpoint() if self.setup.calls else self.m.initial().eps[0]
        frontier = [_Node(start, Spaces())]
        for k, ev in enumerate(self.events):
            where = ev.where
            self.k = k
            self.unseen = k > self.last_out and not self.capture
            self.timers = (
                ev.at is None or self.last_out_at is None or ev.at - self.last_out_at >= MIN_RTO
            )
            nodes = self.closure(frontier, where)
            if self.setup.calls:
                settled = self.settled(nodes)
                if not settled:
                    waiting = [n.waiting[0] for n in nodes if n.waiting]
                    prev = (
                        waiting[0]
                        if waiting
                        else next(e for e in reversed(self.events[:k]) if isinstance(e, Call))
                    )
                    return self._fail(
                        endpoint, prev, nodes,
                        "no run of the model endpoint carries out this call here, before "
                        f"{where} (a recorded call takes effect where the trace shows it)", "",
                    )  # fmt: skip
                nodes = settled
            nodes = [self.discharge(n) for n in nodes]
            nxt: list[_Node] = []
            if isinstance(ev, Call) and ev.window == "open":
                nxt = [self.discharge(replace_checks(n, (*(n.checks or ()), ev))) for n in nodes]
            elif isinstance(ev, Call) and ev.window == "close":
                nxt = [n for n in nodes if not any(c.where == ev.where for c in n.checks or ())]
                if not nxt:
                    return self._fail(
                        endpoint, ev, nodes,
                        f"its result says {ev.says}; no run of the model endpoint is in such a "
                        "state while the call returns", "",
                    )  # fmt: skip
            elif isinstance(ev, Call) and ev.holds is not None:
                # the call takes effect, then its result says what the endpoint is in
                made = [self.call(n, ev, row=False) for n in nodes]
                done = self.settled(self.closure(made, where))
                nxt = [n for n in done if ev.holds(self.as_called(n))]
                if not nxt:
                    return self._fail(
                        endpoint, ev, done or nodes,
                        f"its result says {ev.says}; no run of the model endpoint is in such a "
                        "state here", "",
                    )  # fmt: skip
                nxt = [
                    _Node(n.ep, n.sp, n.owed, n.waiting, n,
                          Row(ev.where, ev.text, f"result: {ev.says}", (), n.ep.st.name))
                    for n in nxt
                ]  # fmt: skip
            elif isinstance(ev, Call):
                nxt = [self.call(n, ev) for n in nodes]
            elif ev.inbound:
                for n in nodes:
                    got = self.deliver(n, ev)
                    if isinstance(got, Unmapped):
                        return self._fail(endpoint, ev, nodes, got.why, got.out)
                    nxt += got
            else:
                pieces = parts(ev)
                level = nodes
                for k, piece in enumerate(pieces):
                    if k:
                        level = self.closure(level, where)
                    level = [m2 for n in level for m2 in self.emit(n, ev, piece)]
                nxt = level
            if not nxt:
                return self._fail(endpoint, ev, nodes, *self._why(ev, nodes))
            frontier = _dedup(nxt)
        self.unseen = False  # what is still owed at the end is noted (a script's next lines)
        self.k = len(self.events)  # after the last event, any time may pass
        ends = self.closure(frontier, "the end")
        if self.setup.calls:
            settled = self.settled(ends)
            if not settled:
                last = next(e for e in reversed(self.events) if isinstance(e, Call))
                return self._fail(
                    endpoint, last, ends,
                    "no run of the model endpoint carries out this call before the script ends "
                    "(a recorded call must take effect)", "",
                )  # fmt: skip
            ends = settled
        done = [n for n in ends if not self.capture or all(e.pure_ack for e in n.owed)]
        if not done:
            n = ends[0]
            return self._fail(
                endpoint,
                None,
                ends,
                f"expected {n.owed[0].describe()} ({_origin(n.owed[0])}, "
                f"{', '.join(n.owed[0].cases)}); the endpoint sent nothing until the end of "
                "the capture",
                "",
            )
        best = min(done, key=lambda n: (len(n.owed), len(n.waiting)))
        rep = self._report(endpoint, best, True)
        if best.owed:
            rep.notes.append(
                "not shown by the trace, the model would then send: "
                + ", ".join(e.describe() for e in best.owed)
            )
        return rep

    def _would_send_syn(self, ev: Wire, nodes: list[_Node]) -> bool:
        """Would some node send ``ev`` had it no text (a SYN the endpoint may send here)?"""
        bare = replace(ev, dlen=0)
        return any(self.emit(n, bare, p) for n in nodes for p in parts(bare)[:1])

    def _why(self, ev: Event, nodes: list[_Node]) -> tuple[str, str]:
        if isinstance(ev, Call):
            return "no run of the model endpoint can make this call here", ""
        owing = [n for n in nodes if n.owed]
        if ev.syn and ev.dlen and not ev.inbound and self._would_send_syn(ev, nodes):
            # the SYN itself is what the endpoint may send here: the data on it is Fast Open
            return "it carries data on a SYN", "data-on-syn"
        k = self.events.index(ev)
        before = [e for e in self.events[:k] if isinstance(e, Wire)]
        bare = [e.inbound for e in before if e.syn and not e.ack and not e.rst]
        crossed = (
            True in bare and False in bare and any(e.syn and e.ack and e.inbound for e in before)
        )
        if crossed and any(_established_form(ev, n) for n in nodes):
            return (
                "the peer's SYN,ACK reached the endpoint in SYN-RECEIVED (simultaneous open): "
                "Figure 7 completes the handshake there, the text of 3.10.7.4 does not",
                "synack-in-syn-received",
            )
        named = _named(ev, before, nodes, self.setup)
        if named is not None:
            return named
        # text resent from inside what was sent, with ACK=RCV.NXT, that joins new text to it
        # (a resend alone is explained: `mapping.resent`); a wrong ACK is no excuse
        inside = [
            n for n in nodes if _inside_sent(ev, n.sp) and ev.seq % MOD in self.starts[k]
            and _joins_new_text(ev, n, self.written[k])
            and (ev.ackno is None or ev.ackno % MOD == wire_of(n.sp.rcv, n.ep.rcv_nxt))
        ]  # fmt: skip
        if inside:
            return (
                "it resends unacknowledged text joined to new text, off the model's units (a "
                "repacketized retransmission, RFC 1122 4.2.2.15)",
                "resegmented",
            )
        if owing:
            e = owing[0].owed[0]
            return (
                f"expected {e.describe()} ({_origin(e)}, "
                f"{', '.join(e.cases)}); the endpoint sent {ev.text} instead",
                "",
            )
        return "no run of the model endpoint lets it send this here", ""

    def _fail(
        self, endpoint: str, ev: Event | None, nodes: list[_Node], why: str, out: str
    ) -> EndpointReport:
        rep = self._report(endpoint, nodes[0] if nodes else None, False)
        rep.failed_at = ev.where if ev is not None else "the end"
        rep.failed_segment = ev.text if ev is not None else ""
        rep.reason = why
        rep.out_of_scope = out
        rep.possible_states = sorted({n.ep.st.name for n in nodes})
        rep.allowed = self.allowed(nodes)
        owed = sorted({c for n in nodes if n.owed for c in n.owed[0].cases})
        if isinstance(ev, Call) and ev.holds is not None:
            rep.rule = f"the result of a call (RFC 9293 3.10): {ev.says}"
        elif owed and not out:
            rule = self.m.rules.case(owed[0])
            rep.rule = (
                f"{', '.join(owed)} (RFC {'9293 ' if rule.rfc[0].isdigit() else ''}{rule.rfc})"
            )
        return rep

    def _report(self, endpoint: str, last: _Node | None, ok: bool) -> EndpointReport:
        path: list[_Node] = []
        n = last
        while n is not None:
            path.append(n)
            n = n.parent
        path.reverse()
        rep = EndpointReport(ok, endpoint, self.setup.name, len(self.events))
        for node in path:
            st = node.ep.st.name
            if not rep.states or rep.states[-1] != st:
                rep.states.append(st)
            if node.row is not None and node.row.where:
                rep.rows.append(node.row)
        return rep


def _named(
    ev: Wire, before: list[Wire], nodes: list[_Node], setup: Setup
) -> tuple[str, str] | None:
    """An unexplained segment the endpoint sent that shows a behaviour the model leaves out.
    Each is named only when the segment is that behaviour in every other respect (its numbers
    right): a corrupted segment must not pass for one."""
    if ev.inbound:
        return None
    bare = [e for e in before if e.inbound and e.syn and not e.ack and not e.rst]
    syns = [e.seq for e in bare]

    def reopens(n: _Node) -> bool:
        """The connection of ``n`` existed and is over (a never-opened CLOSED endpoint ended
        nothing), and the last SYN may open another: at a listener, or in TIME-WAIT a SYN above
        RCV.NXT, or with a timestamp newer than the last the peer sent (RFC 9293 3.10.7.4's
        note, RFC 6191)."""
        if setup.side.passive and n.ep.st == State.CLOSED and n.ep.reason != Reason.NONE:
            return True
        rcv = wire_of(n.sp.rcv, n.ep.rcv_nxt)
        above = rcv is not None and signed(bare[-1].seq - rcv) > 0
        return n.ep.st == State.TIME_WAIT and (above or _newer_timestamp(bare[-1], before))

    ended = bool(bare) and any(reopens(n) for n in nodes)
    answers = bool(syns) and (ev.ackno is None or ev.ackno % MOD == (syns[-1] + 1) % MOD)
    if ev.syn and ev.ack and not (ev.fin or ev.rst) and len(syns) > 1 and ended and answers:
        # the connection is over, and a listener (or TIME-WAIT, RFC 6191) takes a new SYN
        return (
            "it answers a new SYN after the connection ended: a new connection on the same "
            "port pair",
            "new-incarnation",
        )
    control = ev.syn or ev.fin or ev.rst
    for n in nodes:
        una = wire_of(n.sp.snd, n.ep.snd_una)
        nxt = wire_of(n.sp.snd, n.ep.snd_nxt)
        rcv = wire_of(n.sp.rcv, n.ep.rcv_nxt)
        acks_rcv = ev.ack and (ev.ackno is None or ev.ackno % MOD == rcv)
        if (
            setup.probes
            and una is not None
            and not control
            and acks_rcv
            and ev.dlen <= 1
            and signed(ev.seq - una) == -1
        ):
            return (
                "it is sent at SND.UNA-1, below everything unacknowledged: a keep-alive or a "
                "zero-window probe",
                "keep-alive",
            )
        if (
            ev.ack
            and not control
            and not ev.dlen
            and ev.ackno is not None
            and rcv is not None
            and nxt is not None
            and ev.seq % MOD == nxt
            and signed(ev.ackno - rcv) > 0
            and _chained(before, rcv, ev.ackno)
        ):
            return (
                "it acknowledges text that arrived out of order and was queued: the model "
                "drops such text and acknowledges RCV.NXT",
                "reassembly",
            )
    return None


def _newer_timestamp(syn: Wire, before: list[Wire]) -> bool:
    """``syn`` carries a timestamp newer than the last one the peer sent before it (RFC 6191
    4.2: TIME-WAIT may be reused then); a script's ``<...>`` may carry any."""
    earlier = [e.tsval for e in before if e.inbound and e.tsval is not None and e is not syn]
    if syn.tsval is None or not earlier:
        return False
    return syn.tsval == -1 or earlier[-1] == -1 or signed(syn.tsval - earlier[-1]) > 0


def _chained(before: list[Wire], start: int, end: int) -> bool:
    """The text that arrived (inbound segments of ``before``) covers every byte from ``start``
    to ``end`` (wire numbers), and ``end`` is where one of them ended: all of it arrived, out
    of order, and could have been queued and acknowledged."""
    spans = [(e.seq % MOD, e.dlen) for e in before if e.inbound and e.dlen]
    pos = start % MOD
    while signed(end - pos) > 0:
        reach = [
            signed(s + n - pos) for s, n in spans if signed(s - pos) <= 0 < signed(s + n - pos)
        ]
        if not reach:
            return False
        pos = (pos + max(reach)) % MOD
    return any((s + n) % MOD == end % MOD for s, n in spans)  # it ends where a segment did


def _origin(e: Expect) -> str:
    """``answering line 7`` (a reply) or ``sent by line 9`` (a user call's segment)."""
    verb = "sent by" if e.cases and e.cases[0].startswith("user.") else "answering"
    return f"{verb} {e.after or 'a call'}"


def _established_form(w: Wire, n: _Node) -> bool:
    """``w`` is what the endpoint of ``n``, in SYN-RECEIVED, would send had the peer's SYN,ACK
    taken it to ESTABLISHED (Figure 7): no SYN, SEQ=SND.NXT, ACK=RCV.NXT."""
    if n.ep.st != State.SYN_RECEIVED or w.syn or not w.ack or w.inbound:
        return False
    return (w.seq, w.ackno) == (wire_of(n.sp.snd, n.ep.snd_nxt), wire_of(n.sp.rcv, n.ep.rcv_nxt))


def _dedup(nodes: list[_Node]) -> list[_Node]:
    out: dict[tuple[Any, ...], _Node] = {}
    for n in nodes:
        out.setdefault(n.key(), n)
    return list(out.values())


def _covers(w: Wire, e: Expect) -> bool:
    """A later segment covers a delayed ACK: it has no ACK field, or acknowledges as much."""
    if not w.ack or w.ackno is None:
        return True
    return any(signed(w.ackno - a) >= 0 for a in e.acks) or not e.acks


def replace_checks(n: _Node, checks: tuple[Call, ...]) -> _Node:
    return _Node(n.ep, n.sp, n.owed, n.waiting, n, None, checks=checks)


def _joins_new_text(w: Wire, n: _Node, written: int | None) -> bool:
    """``w`` resends unacknowledged text (no SYN, RST or FIN) and reaches beyond all the
    endpoint sent, within what its application wrote: a resend that joins new text to old
    (legal, RFC 1122 4.2.2.15, but off the model's unit grid)."""
    top, una = wire_of(n.sp.snd, n.ep.snd_nxt), wire_of(n.sp.snd, n.ep.snd_una)
    if not w.dlen or w.syn or w.rst or w.fin or top is None or una is None:
        return False
    first = n.sp.snd[0][1]  # the wire number of ISS
    if written is not None and signed(w.seq + w.dlen - first - 1) > written:
        return False
    return signed(w.seq - una) >= 0 and signed(w.seq + w.dlen - top) > 0


def _inside_sent(w: Wire, sp: Spaces) -> bool:
    """``w`` (sent by the endpoint) starts strictly inside a unit it sent before."""
    if w.inbound or not sp.snd:
        return False
    bounds = [c for _, c in sp.snd]  # in the order of the model's numbers
    first = bounds[0]
    rel = signed(w.seq - first)
    pairs = pairwise(bounds)
    return any(signed(a - first) < rel < signed(b - first) for a, b in pairs)


def _side(
    active: bool,
    passive: bool,
    data: int,
    abort: bool,
    full_close: bool = False,
    early_close: bool = False,
) -> Side:
    iss, old = (CLIENT_ISS, OLD_CLIENT_ISS) if active else (SERVER_ISS, OLD_SERVER_ISS)
    return Side(
        "endpoint",
        iss,
        old,
        active=active,
        passive=passive,
        data=data,
        closes=True,
        abort=abort,
        rst_ack=True,
        full_close=full_close,
        early_close=early_close or full_close,
    )


def last_outbound(events: list[Event]) -> int:
    """Where the trace's last segment sent by the endpoint stands (-1: none): a packetdrill
    script checks nothing the kernel sends after it."""
    outs = [k for k, e in enumerate(events) if isinstance(e, Wire) and not e.inbound]
    return max(outs, default=-1)


def data_units(events: list[Event]) -> int:
    """How many units of text the endpoint sends (each a SEND of the model): the segments that
    send text beyond all it sent before (a retransmission, however cut, adds none)."""
    top: int | None = None
    count = 0
    for e in events:
        if isinstance(e, Wire) and not e.inbound and e.dlen:
            end = e.seq + e.dlen
            if top is None or signed(end - top) > 0:
                count, top = count + 1, end
    return count


def setups(
    events: list[Event],
    calls: list[Call] | None = None,
    linger: bool = False,
    unseen_data: int = 0,
    probes: bool = True,
    user_timeout: bool = False,
) -> list[Setup]:
    """The application behaviours worth trying, most likely first. With recorded calls the
    calls decide; from a capture: who sent the first SYN, and whether the endpoint sends RST
    (then it may have aborted)."""
    data = data_units(events) + unseen_data
    if calls is not None:
        cases = {c for call in calls for c in call.cases}
        active = bool(cases & TCP.calls("OPEN active"))
        passive = bool(cases & TCP.calls("OPEN passive"))
        name = "connect()" if active else "listen()" if passive else "no socket"
        # the application holds the socket until its recorded close() (`_Search.model`)
        side = _side(active, passive, data, linger, early_close=True)
        return [Setup(name, side, True, probes, user_timeout)]
    wires = [e for e in events if isinstance(e, Wire)]
    rst = any(e.rst for e in wires if not e.inbound)
    syn = next((e for e in wires if e.syn and not e.rst), None)
    connects = any(e.syn and not e.ack and not e.inbound for e in wires)
    answers = any(e.syn and e.ack and not e.inbound for e in wires)
    out = []
    if connects:
        out.append(Setup("the endpoint connects", _side(True, False, data, rst), False))
    if answers:
        out.append(Setup("the endpoint listens", _side(False, True, data, rst), False))
    if syn is not None and syn.inbound:
        out.reverse()  # it answered a SYN first: most likely a listener
    out.append(Setup("no socket on that port", _side(False, False, data, False), False))
    # a sockets application that calls close() (it may close before ESTABLISHED, and reads
    # nothing after it): tried when the readings above fail
    out += [
        Setup(
            s.name + ", closed by close()",
            replace(s.side, full_close=True, early_close=True),
            False,
        )
        for s in out
        if s.side.active or s.side.passive
    ]
    return out


def check(
    events: list[Event],
    endpoint: str,
    setups_: list[Setup],
    rules: Rules = TCP,
    capture: bool = True,
) -> EndpointReport:
    """Check the endpoint's trace under each setup; the first acceptance, else the reading
    that got furthest (a named out-of-scope behaviour before a rejection at the same event)."""
    best: EndpointReport | None = None
    order = {e.where: k for k, e in enumerate(events)}

    def rank(rep: EndpointReport) -> tuple[int, bool]:
        # the reading that explains most of the trace; a named behaviour only breaks a tie
        # (an earlier one must not hide a rejection further on)
        return order.get(rep.failed_at, len(events)), rep.status == "out-of-scope"

    for s in setups_:
        rep = _Search(s, events, rules, capture).run(endpoint)
        if rep.accepted:
            return rep
        if best is None or rank(rep) > rank(best):
            best = rep
    assert best is not None
    return best


def wires(segments: list[Observed], endpoint: str) -> list[Event]:
    """A captured connection as the endpoint's events: what it received, what it sent."""
    out: list[Event] = []
    for k, s in enumerate(segments):
        inbound = names(endpoint, s.dst)
        out.append(
            Wire(
                inbound,
                s.syn,
                s.ack,
                s.fin,
                s.rst,
                s.seq,
                s.ackno if s.ack else None,
                s.dlen,
                f"#{k}",
                s.describe(),
                at=round(s.time * 1e6),
                sack=s.sack,
                tsval=s.tsval,
            )
        )
    return out


def check_capture(
    path: str | Path, endpoint: str, port: int | None = None, rules: Rules = TCP
) -> list[tuple[str, EndpointReport]]:
    """Check ``endpoint`` (ADDRESS or ADDRESS:PORT) in every connection of a capture that it
    takes part in (or only those using ``port``)."""
    conns = connections(read(path))
    picked = {
        k: v
        for k, v in conns.items()
        if any(names(endpoint, a) for a in k) and (port is None or uses_port(k, port))
    }
    if not picked:
        raise EndpointError(f"{path} holds no TCP connection of {endpoint}")
    out: list[tuple[str, EndpointReport]] = []
    for (a, b), segs in picked.items():
        me = a if names(endpoint, a) else b
        name = f"{a} <-> {b}"
        events = wires(segs, me)
        flagged = unmodelled_flag(segs)
        if flagged is not None:
            k, kind, why = flagged
            rep = EndpointReport(False, me, "not checked", len(segs))
            rep.failed_at, rep.failed_segment = f"#{k}", segs[k].describe()
            rep.reason = f"{why}: the capture shows a behaviour the model leaves out"
            rep.out_of_scope = kind
            out.append((name, rep))
            continue
        rep = check(events, me, setups(events), rules, capture=True)
        first = segs[0]
        established = any(x.dlen or x.fin for x in segs) or first.syn
        if rep.status == "rejected" and not (first.syn and not first.ack) and established:
            # segments to a closed port need no SYN; text, a FIN or a SYN+ACK without the SYN
            # before it: the connection began before the capture
            who = first.src if first.syn else me
            rep = EndpointReport(False, me, "(none)", len(segs))
            rep.failed_at, rep.failed_segment = "#0", first.describe()
            rep.reason = f"no SYN captured from {who}: the connection started before the capture"
            rep.out_of_scope = "mid-stream"
        out.append((name, rep))
    return out
