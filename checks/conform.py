"""Is a captured TCP connection a behaviour of the model? (Conformance with real TCP.)

A capture is a sequence of segments seen at one point on the wire. Each one is mapped to a model
segment: sequence and acknowledgment numbers are taken relative to each side's ISN and placed onto
the model's ISS (client 100, server 200); each data-carrying segment is one data unit; options,
windows, PSH and URG are ignored. A segment with both data and FIN is read as the data unit
followed by the FIN (the model never sends them together).

The search keeps every global state the model can be in after explaining a prefix of the
capture. Between two observed segments any number of unobserved steps may happen: clock ticks,
timer expiries, user calls, deliveries, losses after the capture point, and emissions that are
lost before it. Each observed segment must be emitted, exactly, by the side that sent it.

The answer is a `Report`: accepted, with the rule cases and states along one explaining run, or
the first segment nothing explains, with the states the two sides could have been in and the
segments the model would have allowed that side to send there.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from checks.pcap import Observed, connections, read
from spec.build import TCP
from spec.model import CLIENT, SERVER, Bounds, Label, Model, Side, World
from spec.scenarios import CLIENT_ISS, OLD_CLIENT_ISS, OLD_SERVER_ISS, SERVER_ISS
from spec.segment import Segment

MOD = 1 << 32
#: Give up when one gap between two observed segments needs more states than this.
MAX_STATES = 200_000


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
class Row:
    index: int
    observed: str
    model: str
    actor: str
    cases: tuple[str, ...]
    client: str
    server: str


@dataclass
class Report:
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

    @property
    def status(self) -> str:
        """``accepted``, ``out-of-scope`` (a named behaviour the model leaves out) or
        ``rejected`` (no run of the model explains the capture)."""
        if self.accepted:
            return "accepted"
        return "out-of-scope" if self.out_of_scope else "rejected"

    def as_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["status"] = self.status
        return doc

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
            lines.append(f"{head} at segment {self.failed_at} ({self.config}): "
                         f"{self.failed_segment}")
            lines.append(f"  {self.reason}")
        for r in self.rows:
            lines.append(
                f"  #{r.index:<3} {r.observed:<48} = {r.model:<26} {r.actor} "
                f"[{', '.join(r.cases)}] -> client {r.client}, server {r.server}"
            )
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


@dataclass(frozen=True)
class OutOfScope:
    """A behaviour of real TCP stacks that the model deliberately leaves out (README, "What is
    abstracted"). `conform` names it instead of reporting a model error."""

    name: str
    title: str
    ref: str
    why: str


OUT: dict[str, OutOfScope] = {o.name: o for o in (
    OutOfScope("data-on-syn", "data carried on a SYN",
               "RFC 7413 (TCP Fast Open); RFC 9293 section 3.10.7.3",
               "the model never puts data on a SYN or SYN+ACK"),
    OutOfScope("resegmented", "sequence numbers off the data-unit grid",
               "RFC 9293 sections 3.8.6.1, 3.9.1 (window probes), RFC 1122 4.2.3.6 (keep-alive)",
               "the model counts text in units, each sent in one segment: a partial "
               "acknowledgment, a retransmission that joins or splits earlier segments, a "
               "keep-alive or a zero-window probe (at SND.NXT-1) has no model counterpart"),
    OutOfScope("new-incarnation", "a second connection on the same port pair",
               "RFC 9293 section 3.4.1; RFC 6191 (TIME-WAIT reuse by a SYN)",
               "the model checks one incarnation (an earlier one appears only as old "
               "segments in flight): a SYN with a new ISN starts a connection to check apart"),
)}


# ---------------------------------------------------------------------------------------------
# Mapping captured numbers onto the model's
# ---------------------------------------------------------------------------------------------


class _Space:
    """One side's sequence space: captured byte offsets -> model sequence numbers."""

    def __init__(self, iss: int, old_iss: int, isn: int | None,
                 sent: list[tuple[int, Observed]]) -> None:
        self.iss, self.old_iss, self.isn = iss, old_iss, isn
        self.units: dict[int, int] = {0: 0, 1: 1}
        self.old: set[int] = set()  # captured numbers read as the earlier incarnation's
        self.data = 0
        # (capture index, first, end) of every data-carrying segment this side sent
        self.ranges: list[tuple[int, int, int]] = []
        if isn is None:
            return
        for k, s in sent:
            if s.dlen:
                first = self.rel(s.seq) + (1 if s.syn else 0)
                self.ranges.append((k, first, first + s.dlen))
        data = sorted({(first, end - first) for _, first, end in self.ranges})
        for start, n in data:
            if start in self.units and start + n not in self.units:
                self.units[start + n] = self.units[start] + 1
        for _, s in sent:
            if s.fin:
                f = self.rel(s.seq) + (1 if s.syn else 0) + s.dlen
                if f in self.units and f + 1 not in self.units:
                    self.units[f + 1] = self.units[f] + 1
        self.data = len(data)

    def rel(self, x: int) -> int:
        return (x - (self.isn or 0)) % MOD

    def model(self, x: int) -> int | None:
        """The model's sequence number for captured ``x`` (None: not on a unit boundary)."""
        if self.isn is None:
            return x  # no SYN seen from this side (a bare RST): numbers are used as they are
        if x in self.old:
            return self.old_iss + 1
        u = self.units.get(self.rel(x))
        return None if u is None else self.iss + u

    def inside_sent(self, x: int, before: int) -> bool:
        """``x`` falls strictly inside text this side sent before capture index ``before``: a
        partial acknowledgment, a resegmented retransmission or a probe would name it."""
        r = self.rel(x)
        return any(k < before and first < r < end for k, first, end in self.ranges)


def _events(segs: list[Observed], client: str) -> tuple[list[Event], list[int], bool]:
    """Model events of a connection, the data units each side sends, and whether the server
    answered a SYN of an earlier incarnation (a SYN+ACK acknowledging a number that the
    client's SYN does not explain: RFC 9293 section 3.5, Figure 9)."""
    spaces = []
    for i, iss, old in ((CLIENT, CLIENT_ISS, OLD_CLIENT_ISS), (SERVER, SERVER_ISS, OLD_SERVER_ISS)):
        mine = [(k, s) for k, s in enumerate(segs) if (s.src == client) == (i == CLIENT)]
        isn = next((s.seq for _, s in mine if s.syn), None)
        spaces.append(_Space(iss, old, isn, mine))
    # The model has one earlier incarnation, whose SYN (from the client) may still be in flight:
    # a SYN+ACK from the server acknowledging a number *behind* the client's ISN answers that
    # old SYN (a clock-driven ISN grows with time, RFC 9293 section 3.4.1, so an earlier
    # incarnation's numbers lie behind); the client's RST to it carries that number.
    client_space = spaces[CLIENT]
    for s in segs:
        if s.src != client and s.syn and s.ack and client_space.isn is not None \
                and client_space.rel(s.ackno) >= MOD // 2:
            client_space.old.add(s.ackno)
    out = []
    for k, s in enumerate(segs):
        i = CLIENT if s.src == client else SERVER
        me, peer = spaces[i], spaces[1 - i]
        if s.syn and me.isn is not None and s.seq != me.isn:
            out.append(Event(k, i, s, None, "a SYN with another ISN: a new connection on the "
                             "same port pair", "new-incarnation"))
            continue
        seq = me.model(s.seq)
        if seq is None and s.rst and s.seq == 0:
            seq = 0  # <SEQ=0><CTL=RST,ACK>: the reply of a side with no connection
        ack = peer.model(s.ackno) if s.ack else 0
        if seq is None or ack is None:
            which, space, x = ("sequence", me, s.seq) if seq is None else \
                ("acknowledgment", peer, s.ackno)
            if space.inside_sent(x, k):
                out.append(Event(k, i, s, None, f"its {which} number falls inside text sent "
                                 "earlier, not at a data-unit boundary", "resegmented"))
            else:
                out.append(Event(k, i, s, None, f"its {which} number names nothing that side "
                                 "has sent so far"))
            continue
        if s.dlen and s.syn:
            out.append(Event(k, i, s, None, "it carries data on a SYN", "data-on-syn"))
            continue
        base = Segment(syn=s.syn, ack=s.ack, rst=s.rst, seq=seq, ackno=ack)
        if s.dlen and s.fin:
            fin_seq = me.model(s.seq + s.dlen)
            out.append(Event(k, i, s, base._replace(dlen=1)))
            if fin_seq is None:
                out.append(Event(k, i, s, None, "its FIN is not at a data-unit boundary",
                                 "resegmented"))
            else:
                out.append(Event(k, i, s, base._replace(seq=fin_seq, fin=True)))
            continue
        out.append(Event(k, i, s, base._replace(fin=s.fin, dlen=1 if s.dlen else 0)))
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


def _gap(m: Model, frontier: list[_Node], ev: Event) -> tuple[list[_Node], list[_Node], set]:
    """Explore unobserved steps from ``frontier``; return (nodes emitting ``ev``, all nodes
    reached, segments the sending side could have emitted)."""
    seen: dict[World, _Node] = {}
    queue: deque[_Node] = deque()
    for n in frontier:
        if n.world not in seen:
            seen[n.world] = n
            queue.append(n)
    hits: dict[World, _Node] = {}
    allowed: set[Segment] = set()
    while queue:
        node = queue.popleft()
        for label, w2 in m.successors(node.world):
            sent = label.sent
            if sent is not None and not label.overflow:
                if label.actor == ev.side:
                    allowed.add(sent._replace(stale=False, age=0))
                    if ev.seg is not None and _same(sent, ev.seg) and w2 not in hits:
                        hits[w2] = _Node(w2, label, node, ev)
                w2 = _drop(w2, label.actor, sent)  # emitted, but lost before the capture point
            if w2 not in seen:
                if len(seen) >= MAX_STATES:
                    raise ConformError(
                        f"more than {MAX_STATES} model states between two "
                        "captured segments: raise MAX_STATES or lower the bounds"
                    )
                seen[w2] = _Node(w2, label, node)
                queue.append(seen[w2])
    return list(hits.values()), list(seen.values()), allowed


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


def bounds_for(events: list[Event], data: list[int]) -> Bounds:
    sends: dict[tuple[int, Segment], int] = {}
    for e in events:
        if e.seg is not None:
            sends[e.side, e.seg] = sends.get((e.side, e.seg), 0) + 1
    retries = max([1, *(n - 1 for n in sends.values())])
    units = max(data)
    return Bounds(
        capacity=3,
        loss=True,
        reorder=True,
        duplicates=0,
        data=units,
        msl=1,
        rto=1,
        retries=retries,
        window=units + 2,
    )


def _run(m: Model, cfg: Config, events: list[Event], nsegs: int) -> Report:
    frontier = [_Node(m.initial())]
    for ev in events:
        hits, reached, allowed = _gap(m, frontier, ev)
        if not hits:
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
            return rep
        frontier = hits
    return _report(m, cfg, frontier[0], nsegs, True)


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
    for i, names in ((CLIENT, rep.client_states), (SERVER, rep.server_states)):
        for node in path:
            st = node.world.eps[i].st.name
            if not names or names[-1] != st:
                names.append(st)
    for node in path:
        if node.event is not None and node.label is not None:
            w = node.world
            rep.rows.append(
                Row(
                    node.event.index,
                    node.event.observed.describe(),
                    node.label.sent.describe() if node.label.sent else "",
                    _side(node.event.side),
                    node.label.cases,
                    w.eps[CLIENT].st.name,
                    w.eps[SERVER].st.name,
                )
            )
    return rep


def conform(segments: list[Observed]) -> Report:
    """Decide whether the captured segments of one TCP connection are a behaviour of the model."""
    conns = connections(segments)
    if len(conns) != 1:
        raise ConformError(
            f"the segments belong to {len(conns)} connections; pick one (checks.pcap.connections)"
        )
    openers = [s.src for s in segments if s.syn and not s.ack]
    clients = list(dict.fromkeys(openers)) or [segments[0].src]  # both: simultaneous open
    best: Report | None = None
    for client in clients:
        events, data, old_syn = _events(segments, client)
        b = bounds_for(events, data)
        for cfg in configs(events, data, old_syn):
            m = Model((cfg.client, cfg.server), b, TCP, stale=cfg.stale)
            rep = _run(m, cfg, events, len(segments))
            if rep.accepted:
                return rep
            if best is None or (rep.failed_at or 0) > (best.failed_at or 0):
                best = rep
    assert best is not None
    return best


def check_file(path: str | Path, port: int | None = None) -> list[tuple[str, Report]]:
    """Check every TCP connection of a capture file (or only those using ``port``), in order of
    appearance; each is named ``address:port <-> address:port``."""
    conns = connections(read(path))
    if port is not None:
        conns = {k: v for k, v in conns.items() if any(x.endswith(f":{port}") for x in k)}
        if not conns:
            raise ConformError(f"{path} holds no TCP connection using port {port}")
    return [(f"{a} <-> {b}", conform(segs)) for (a, b), segs in conns.items()]


def conform_file(path: str | Path, port: int | None = None) -> Report:
    """Check the one connection of a capture file (the only one, or the one using ``port``)."""
    reports = check_file(path, port)
    if len(reports) != 1:
        raise ConformError(f"{path} holds {len(reports)} TCP connections; choose one by port")
    return reports[0][1]
