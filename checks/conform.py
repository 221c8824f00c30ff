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

import argparse
import sys
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

from checks.pcap import CaptureError, Observed, connections, read
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

    def text(self) -> str:
        lines = []
        if self.accepted:
            lines.append(
                f"ACCEPTED: all {self.segments} segments are a behaviour of the model "
                f"({self.config})."
            )
        else:
            lines.append(
                f"REJECTED at segment {self.failed_at} ({self.config}): {self.failed_segment}"
            )
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


# ---------------------------------------------------------------------------------------------
# Mapping captured numbers onto the model's
# ---------------------------------------------------------------------------------------------


class _Space:
    """One side's sequence space: captured byte offsets -> model sequence numbers."""

    def __init__(self, iss: int, isn: int | None, sent: list[Observed]) -> None:
        self.iss, self.isn = iss, isn
        self.units: dict[int, int] = {0: 0, 1: 1}
        if isn is None:
            return
        data = sorted({(self.rel(s.seq) + (1 if s.syn else 0), s.dlen) for s in sent if s.dlen})
        for start, n in data:
            if start in self.units and start + n not in self.units:
                self.units[start + n] = self.units[start] + 1
        for s in sent:
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
        u = self.units.get(self.rel(x))
        return None if u is None else self.iss + u


def _events(segs: list[Observed], client: str) -> tuple[list[Event], list[int]]:
    """Model events of a connection, and the data units each side sends."""
    spaces = []
    for i, iss in ((CLIENT, CLIENT_ISS), (SERVER, SERVER_ISS)):
        mine = [s for s in segs if (s.src == client) == (i == CLIENT)]
        isn = next((s.seq for s in mine if s.syn), None)
        spaces.append(_Space(iss, isn, mine))
    out = []
    for k, s in enumerate(segs):
        i = CLIENT if s.src == client else SERVER
        me, peer = spaces[i], spaces[1 - i]
        seq = me.model(s.seq)
        if seq is None and s.rst and s.seq == 0:
            seq = 0  # <SEQ=0><CTL=RST,ACK>: the reply of a side with no connection
        ack = peer.model(s.ackno) if s.ack else 0
        if seq is None or ack is None:
            which = "sequence" if seq is None else "acknowledgment"
            out.append(
                Event(
                    k,
                    i,
                    s,
                    None,
                    f"its {which} number is not at a data-unit boundary of the connection",
                )
            )
            continue
        if s.dlen and s.syn:
            out.append(Event(k, i, s, None, "it carries data on a SYN (not modelled)"))
            continue
        base = Segment(syn=s.syn, ack=s.ack, rst=s.rst, seq=seq, ackno=ack)
        if s.dlen and s.fin:
            fin_seq = me.model(s.seq + s.dlen)
            out.append(Event(k, i, s, base._replace(dlen=1)))
            if fin_seq is None:
                out.append(Event(k, i, s, None, "its FIN is not at a data-unit boundary"))
            else:
                out.append(Event(k, i, s, base._replace(seq=fin_seq, fin=True)))
            continue
        out.append(Event(k, i, s, base._replace(fin=s.fin, dlen=1 if s.dlen else 0)))
    return out, [getattr(sp, "data", 0) for sp in spaces]


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


def configs(events: list[Event], data: list[int]) -> list[Config]:
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
        events, data = _events(segments, client)
        b = bounds_for(events, data)
        for cfg in configs(events, data):
            m = Model((cfg.client, cfg.server), b, TCP)
            rep = _run(m, cfg, events, len(segments))
            if rep.accepted:
                return rep
            if best is None or (rep.failed_at or 0) > (best.failed_at or 0):
                best = rep
    assert best is not None
    return best


def conform_file(path: str | Path, port: int | None = None) -> Report:
    """Check one connection of a capture file (the only one, or the one using ``port``)."""
    conns = connections(read(path))
    if port is not None:
        conns = {k: v for k, v in conns.items() if any(x.endswith(f":{port}") for x in k)}
    if len(conns) != 1:
        raise ConformError(
            f"{path} holds {len(conns)} TCP connections"
            + ("" if port else "; choose one with a port number")
        )
    return conform(next(iter(conns.values())))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m checks.conform", description=__doc__.split("\n")[0]
    )
    ap.add_argument("capture", nargs="+", help="pcap or pcapng files")
    ap.add_argument("--port", type=int, default=None, help="the connection using this port")
    args = ap.parse_args(argv)
    status = 0
    for p in args.capture:
        try:
            rep = conform_file(p, args.port)
        except (CaptureError, ConformError) as e:
            print(f"{p}: error: {e}", file=sys.stderr)
            status = 2
            continue
        print(f"{p}: " + rep.text())
        status = status or (0 if rep.accepted else 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
