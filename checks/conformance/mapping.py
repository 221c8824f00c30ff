"""The abstraction mapper of conformance: wire numbers <-> model numbers, for both searches.

A trace's segments carry arbitrary 32-bit sequence and acknowledgment numbers; the model counts
text in units from small ISNs. This module states, once, how a number on the wire is read as a
model number. Both readings keep the same table, `Pairs` (model number, wire number), the
boundaries of the units a side has sent, and read a segment with text and FIN as its `parts`,
the text then the FIN (the model never sends them together).

**One-sided** (`endpoint`): a scripted peer sends what it likes, so an inbound number is read by
the classes the tests of RFC 9293 section 3.10.7 distinguish (the approach of the abstraction
mappers of Fiterau-Brostean, Janssen and Vaandrager, CAV 2016):

* SEG.SEQ against the endpoint's RCV.NXT: **below** (a number the endpoint already acknowledged
  is read as that very number when it is a unit boundary, else as far below the window),
  **at** RCV.NXT, **in the window** but not at RCV.NXT (RCV.NXT+1), **beyond** it
  (RCV.NXT+RCV.WND). When the endpoint's window is unknown (scripts rarely show it), a number
  between 1 KiB and 1 GiB ahead is read both ways. Text that starts below RCV.NXT and reaches past
  it is trimmed to start at RCV.NXT (section 3.10.7.4: "segments ... may be trimmed").
* SEG.ACK against SND.UNA and SND.NXT: a unit boundary the endpoint sent is read exactly;
  otherwise **at or below SND.UNA** (SND.UNA-1), **above SND.NXT** (SND.NXT+1); strictly inside
  a unit is a partial acknowledgment, read as acknowledging no whole unit (SND.UNA).
* A SYN's ISN opens the peer's space: it is the model's `PEER_ISS`, and the boundaries of the
  peer's space (RCV.NXT after each unit) are learned as the endpoint accepts text.
* Where the endpoint has no space yet (CLOSED, LISTEN; or no SYN sent), numbers are read as
  fresh values, remembered as *echoes* so that the answer that copies them (<SEQ=SEG.ACK><CTL=RST>,
  <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>) is translated back to the wire.

The endpoint's own numbers go the other way: the endpoint's SYN anchors its space at the model's
ISS, and every unit (or FIN) it sends adds the boundary after it. `expect` translates a segment
the model endpoint emits into what must be seen on the wire.

**Two-sided** (`conform`): both TCPs are the model's, and the capture shows all each side sent,
so each side's table is read off its whole stream at once (`Stream`): its SYN anchors it at the
model's ISS, and each unit of text or FIN that starts at a boundary adds the boundary after it
(a retransmission that joins or splits units names no boundary: out of scope, `resegmented`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from tcpspec.spec.arrival import right_edge
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.segment import Segment, seg_len
from tcpspec.spec.states import FIN_SENT, OTHER_STATES, State

MOD = 1 << 32
#: The model number of the peer's ISN (the endpoint's own ISS is its `Side.iss`).
PEER_ISS = 1000
#: Fresh model numbers for wire numbers that belong to no space the endpoint has.
FREE_SEQ, FREE_ACK = 5000, 7000
#: A window surely open / surely exceeded when the endpoint's window is not known (bytes).
SURELY_OPEN, SURELY_CLOSED = 1024, 1 << 30


def signed(d: int) -> int:
    """A 32-bit difference as a signed number (sequence space arithmetic, RFC 9293 3.4)."""
    d %= MOD
    return d - MOD if d >= MOD // 2 else d


@dataclass(frozen=True)
class Wire:
    """One segment on the wire, as the one-sided check sees it (a capture or a script line).

    ``inbound``: it was delivered to the endpoint (else the endpoint sent it). ``ackno`` None:
    any acknowledgment number (a script line that leaves it out). ``win``: the window it
    advertises, in bytes, if known. ``where``: how a report names it (``line 12``, ``#7``)."""

    inbound: bool
    syn: bool
    ack: bool
    fin: bool
    rst: bool
    seq: int
    ackno: int | None
    dlen: int
    where: str
    text: str
    win: int | None = None
    at: int | None = None  # when it was seen, microseconds from the trace's start, if known
    sack: tuple[int, ...] = ()  # the edges of its SACK blocks (RFC 2018), if any
    #: the TSval of its timestamps option (RFC 7323), if it has one; -1: it may have any (a
    #: script's ``<...>``)
    tsval: int | None = None


Pairs = tuple[tuple[int, int], ...]  # (model number, wire number), sorted


def wire_of(pairs: Pairs, model: int) -> int | None:
    """The wire number of model number ``model`` in ``pairs`` (None: not shown yet)."""
    for m, c in pairs:
        if m == model:
            return c
    return None


def _model_of(pairs: Pairs, wire: int) -> int | None:
    for m, c in pairs:
        if c == wire % MOD:
            return m
    return None


def _ahead(pairs: Pairs, model: int) -> int:
    """The wire number of ``model``; one the wire has not shown yet (a FIN the endpoint owes,
    its line further down a script) is counted on from the last boundary shown."""
    got = wire_of(pairs, model)
    if got is not None:
        return got
    m, c = max((p for p in pairs if p[0] <= model), default=pairs[0])
    return (c + model - m) % MOD


def _add(pairs: Pairs, model: int, wire: int) -> Pairs:
    return tuple(sorted({*((m, c) for m, c in pairs if m != model), (model, wire % MOD)}))


class Spaces(NamedTuple):
    """The correspondence between the endpoint's model numbers and wire numbers."""

    snd: Pairs = ()  # the endpoint's own sequence space (empty until it sends a SYN)
    rcv: Pairs = ()  # the peer's sequence space (empty until the endpoint accepts a SYN)
    echo: Pairs = ()  # numbers of the last inbound segment an answer may copy
    win: int | None = None  # the endpoint's last advertised window (bytes), if known

    def forget(self, st: State) -> Spaces:
        """Back in CLOSED or LISTEN the connection's spaces are gone (a new one starts anew)."""
        if st in (State.CLOSED, State.LISTEN):
            return self._replace(snd=(), rcv=())
        return self


class Part(NamedTuple):
    """One model segment read off a wire segment, and the wire bytes it stands for."""

    seg: Segment
    wire_seq: int
    wire_len: int  # bytes of text (0 for SYN, FIN and bare control segments)
    spaces: Spaces  # the spaces with this segment's echoes


class Unmapped(NamedTuple):
    """A wire segment the model has no reading of, and the out-of-scope behaviour it shows."""

    why: str
    out: str


class Numbered(Protocol):
    """What the mapper reads of a segment (a `Wire`, or a captured `pcap.Observed`)."""

    @property
    def syn(self) -> bool: ...
    @property
    def fin(self) -> bool: ...
    @property
    def seq(self) -> int: ...
    @property
    def dlen(self) -> int: ...


def parts(w: Numbered) -> list[tuple[int, int, bool, bool]]:
    """(wire seq, text bytes, SYN, FIN) of the pieces the model takes one by one: a segment
    with text and FIN is the text, then the FIN (the model never carries both at once)."""
    if w.dlen and w.fin:
        return [(w.seq, w.dlen, w.syn, False), ((w.seq + w.dlen) % MOD, 0, False, True)]
    return [(w.seq, w.dlen, w.syn, w.fin)]


def inbound(
    w: Wire, piece: tuple[int, int, bool, bool], me: Endpoint, sp: Spaces, window: int
) -> list[Part] | Unmapped:
    """Every reading of one piece of an inbound segment by the endpoint ``me`` (model window
    ``window`` units, at least 2): usually one, two when the endpoint's window is not known."""
    seq_w, n, syn, fin = piece
    if syn and n:
        return Unmapped("it carries data on a SYN", "data-on-syn")
    echo: Pairs = ()
    acks: list[int] = [0]
    if w.ack and w.ackno is not None:
        got = _ack_class(w.ackno, me, sp)
        if isinstance(got, Unmapped):
            return got
        acks = [got]
        echo = _add(echo, got, w.ackno)
    elif w.ack:  # a script line with no ack number: read as acknowledging SND.NXT
        acks = [me.snd_nxt]
    seqs = _seq_classes(seq_w, n, syn, me, sp, window)
    out = []
    for seq_m, trimmed in seqs:
        wire_len = n - trimmed
        seg = Segment(syn=syn, ack=w.ack, fin=fin, rst=w.rst, seq=seq_m, dlen=1 if wire_len else 0)
        e = _add(echo, seq_m, seq_w + trimmed)
        e = _add(e, seq_m + seg_len(seg), seq_w + n + (1 if syn else 0) + (1 if fin else 0))
        for ack_m in acks:
            out.append(
                Part(seg._replace(ackno=ack_m), seq_w + trimmed, wire_len, sp._replace(echo=e))
            )
    return out


def _has_rcv_space(me: Endpoint, sp: Spaces) -> bool:
    # RFC 9293 3.10.7.4's "other states": those where RCV.NXT is set
    return bool(sp.rcv) and me.st in OTHER_STATES


def _seq_classes(
    seq_w: int, n: int, syn: bool, me: Endpoint, sp: Spaces, window: int
) -> list[tuple[int, int]]:
    """(model SEG.SEQ, bytes trimmed off the front) for each reading of ``seq_w``."""
    if not _has_rcv_space(me, sp):
        return [(PEER_ISS if syn else FREE_SEQ, 0)]
    nxt_w = wire_of(sp.rcv, me.rcv_nxt)
    assert nxt_w is not None  # RCV.NXT is always a learned boundary
    d = signed(seq_w - nxt_w)
    if d < 0 and n and d + n > 0:
        return [(me.rcv_nxt, -d)]  # text overlapping RCV.NXT: trimmed to its new part
    if d < 0:
        exact = _model_of(sp.rcv, seq_w)
        return [(exact if exact is not None else me.rcv_nxt - window - 1, 0)]
    if d == 0:
        return [(me.rcv_nxt, 0)]
    inside, beyond = (me.rcv_nxt + 1, 0), (right_edge(me, window), 0)
    if sp.win is not None:
        return [inside if d < sp.win else beyond]
    if d < SURELY_OPEN:
        return [inside]
    return [beyond] if d >= SURELY_CLOSED else [inside, beyond]


def _ack_class(ack_w: int, me: Endpoint, sp: Spaces) -> int | Unmapped:
    """The model SEG.ACK for ``ack_w``."""
    if not sp.snd:
        return FREE_ACK
    exact = _model_of(sp.snd, ack_w)
    if exact is not None:
        return exact
    for m in range(me.snd_una, me.snd_nxt + 1):
        if _ahead(sp.snd, m) == ack_w % MOD:
            return m  # a number the wire has not shown yet (an owed FIN), counted on
    una_w, nxt_w = _ahead(sp.snd, me.snd_una), _ahead(sp.snd, me.snd_nxt)
    if signed(ack_w - nxt_w) > 0:
        return me.snd_nxt + 1
    if signed(ack_w - una_w) <= 0:
        return me.snd_una - 1
    # strictly inside the unacknowledged text: a partial acknowledgment of a unit. The model
    # counts text in units; it reads the ACK as acknowledging no whole unit (SEG.ACK = SND.UNA,
    # a duplicate), which changes nothing but SND.UNA's bytes: what follows (a resend from
    # inside the unit, the ACK of the rest) is read as before
    return me.snd_una


def learned(before: Endpoint, after: Endpoint, part: Part) -> Spaces:
    """The spaces after the endpoint processed ``part``: a SYN it accepted anchors the peer's
    space; each unit of text or FIN it accepted adds the boundary after it."""
    sp = part.spaces
    seg = part.seg
    if seg.syn and after.irs == seg.seq and after.rcv_nxt == seg.seq + 1 and not seg.rst:
        if after.st not in (State.CLOSED, State.LISTEN):
            sp = sp._replace(
                rcv=((seg.seq, part.wire_seq % MOD), (seg.seq + 1, (part.wire_seq + 1) % MOD))
            )
    elif after.rcv_nxt > before.rcv_nxt and sp.rcv:
        at = wire_of(sp.rcv, before.rcv_nxt)
        assert at is not None
        step = part.wire_len if seg.dlen else 1
        sp = sp._replace(rcv=_add(sp.rcv, after.rcv_nxt, at + step))
    return sp  # the caller translates the reply first, then forgets (`Spaces.forget`)


class Expect(NamedTuple):
    """What must be seen on the wire for one segment the model endpoint emits."""

    seg: Segment  # the model's segment
    seqs: frozenset[int] | None  # acceptable wire SEQ (None: any: a SYN choosing the ISN)
    acks: frozenset[int]  # acceptable wire ACK (if the ACK bit is on)
    cases: tuple[str, ...]  # the rule cases that sent it
    after: str  # which wire segment it answers ("" for a user call or timeout)

    @property
    def pure_ack(self) -> bool:
        s = self.seg
        return s.ack and not (s.syn or s.fin or s.rst or s.dlen)

    def describe(self) -> str:
        s = self.seg
        flags = "+".join(
            n for n, on in (("SYN", s.syn), ("FIN", s.fin), ("RST", s.rst), ("ACK", s.ack)) if on
        )
        seq = "ISN" if self.seqs is None else "|".join(str(x) for x in sorted(self.seqs)) or "?"
        text = f"{flags or 'none'} seq={seq}"
        if s.ack:
            text += " ack=" + ("|".join(str(x) for x in sorted(self.acks)) or "?")
        if s.dlen:
            text += " with text"
        return text


def _wire_numbers(model: int, *tables: Pairs) -> frozenset[int]:
    got = {c for t in tables for m, c in t if m == model}
    if model == 0:
        got.add(0)  # <SEQ=0><CTL=RST,ACK>
    return frozenset(got)


def expect(seg: Segment, sp: Spaces, cases: tuple[str, ...], after: str = "") -> Expect:
    """The wire form of a model emission, by the spaces as they are when it is sent."""
    seqs = None if seg.syn and not sp.snd else _wire_numbers(seg.seq, sp.snd, sp.echo)
    return Expect(seg, seqs, _wire_numbers(seg.ackno, sp.rcv, sp.echo), cases, after)


def matches(e: Expect, w: Wire, piece: tuple[int, int, bool, bool]) -> bool:
    """Does the piece of outbound ``w`` show the emission ``e`` (flags, numbers, text or not)?"""
    seq_w, n, syn, fin = piece
    s = e.seg
    if (s.syn, s.ack, s.fin, s.rst, bool(s.dlen)) != (syn, w.ack, fin, w.rst, bool(n)):
        return False
    if e.seqs is not None and seq_w % MOD not in e.seqs:
        return False
    return not (s.ack and w.ackno is not None and w.ackno % MOD not in e.acks)


def sent(e: Expect, w: Wire, piece: tuple[int, int, bool, bool], sp: Spaces) -> Spaces | None:
    """The spaces after the endpoint sent ``e`` as ``piece``: its SYN anchors its space, its
    text and FIN add boundaries. None: text resent with another length (resegmented)."""
    seq_w, n, _syn, _fin = piece
    s = e.seg
    snd = sp.snd
    if s.syn and not s.rst:
        if not snd:
            snd = ((s.seq, seq_w % MOD), (s.seq + 1, (seq_w + 1) % MOD))
    elif s.dlen or s.fin:
        end = (seq_w + (n if s.dlen else 1)) % MOD
        known = wire_of(snd, s.seq + 1)
        if known is not None and known != end:
            return None
        snd = _add(snd, s.seq + 1, end)
    win = w.win if w.win is not None else sp.win
    return sp._replace(snd=snd, win=win)


def resent(
    w: Wire,
    piece: tuple[int, int, bool, bool],
    me: Endpoint,
    sp: Spaces,
    starts: frozenset[int] | None = None,
) -> str | None:
    """What ``piece`` of outbound ``w`` resends, if it is a retransmission of text the endpoint
    sent and that is not yet acknowledged, or of its unacknowledged FIN, with ACK=RCV.NXT; else
    None.

    RFC 9293 section 3.8.1 leaves open which unacknowledged segment is retransmitted and when:
    fast retransmit (RFC 5681), SACK loss recovery (RFC 6675) and tail-loss probes (RFC 8985)
    resend other segments than the model's timer, which resends the oldest unit; and a TCP "MAY
    repacketize" what it resends (RFC 1122 4.2.2.15). Such a resend carries nothing new: it
    changes no state of the endpoint, so the one-sided check lets any of it happen at any time.
    The abstraction only adds behaviours; it never excuses a reply the model owes (those must
    still come in order) nor text sent for the first time (it must start at SND.NXT). A
    resend starts or ends where the trace has shown a boundary (``starts``: where a segment the
    endpoint sent began or ended, what the peer acknowledged or selectively acknowledged), as a
    stack resends from its
    queue of sent segments or probes its tail; None: anywhere."""
    seq_w, n, syn, fin = piece
    if syn or w.rst or not w.ack or not sp.snd or not (n or fin):
        return None
    nxt_r = wire_of(sp.rcv, me.rcv_nxt) if sp.rcv else None
    if w.ackno is not None and nxt_r is not None and w.ackno % MOD != nxt_r:
        return None
    fin_sent = me.st in FIN_SENT
    una_w = wire_of(sp.snd, me.snd_una)
    top_w = wire_of(sp.snd, me.snd_nxt - 1 if fin_sent else me.snd_nxt)
    if una_w is None or top_w is None:
        return None
    if starts is not None and seq_w % MOD not in starts and (seq_w + n) % MOD not in starts:
        return None
    if n:
        # bytes [seq_w, seq_w + n) within the unacknowledged text [SND.UNA, end of text)
        if signed(seq_w - una_w) < 0 or signed(seq_w + n - top_w) > 0:
            return None
        return f"resent: {n} unacknowledged byte{'s' if n > 1 else ''} of text"
    if not fin_sent or me.snd_una >= me.snd_nxt or seq_w % MOD != top_w:
        return None
    return "resent: the unacknowledged FIN"


@dataclass
class Stream:
    """One side's sequence space in a two-sided capture, read off every segment it was seen
    sending (``sent``: capture index and segment): model numbers from ``iss``, the side's ISS in
    the model, placed at its captured ISN. ``old_iss``: the model ISS of the side's earlier
    incarnation, whose numbers `old` holds (answers to an old SYN still in flight)."""

    iss: int
    old_iss: int
    sent: Sequence[tuple[int, Numbered]]
    isn: int | None = None  # the ISN of its SYN (None: no SYN seen)
    pairs: Pairs = ()
    old: set[int] = field(default_factory=set)
    data: int = 0  # how many distinct units of text it sent
    #: (capture index, first, end) of every text it sent, relative to its ISN
    ranges: list[tuple[int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.isn = next((s.seq for _, s in self.sent if s.syn), None)
        if self.isn is None:
            return
        bounds = {self.isn % MOD: self.iss, (self.isn + 1) % MOD: self.iss + 1}
        for k, s in self.sent:
            if s.dlen:
                first = self.rel(s.seq) + (1 if s.syn else 0)
                self.ranges.append((k, first, first + s.dlen))
        units = sorted({(first, end - first) for _, first, end in self.ranges})
        # a unit of text, then a FIN, that starts at a boundary adds the boundary after it
        for first, n in units:
            self._after(self.isn + first, self.isn + first + n, bounds)
        for _, s in self.sent:
            if s.fin:
                at = s.seq + (1 if s.syn else 0) + s.dlen
                self._after(at, at + 1, bounds)
        self.pairs = tuple(sorted((m, c) for c, m in bounds.items()))
        self.data = len(units)

    @staticmethod
    def _after(start: int, end: int, bounds: dict[int, int]) -> None:
        at = bounds.get(start % MOD)
        if at is not None and end % MOD not in bounds:
            bounds[end % MOD] = at + 1

    def rel(self, x: int) -> int:
        """``x`` relative to the side's ISN."""
        return (x - (self.isn or 0)) % MOD

    def model(self, x: int) -> int | None:
        """The model's number for captured ``x`` (None: not on a unit boundary)."""
        if self.isn is None:
            return x  # no SYN seen from this side (a bare RST): numbers are used as they are
        if x in self.old:
            return self.old_iss + 1
        return _model_of(self.pairs, x)

    def ahead(self, x: int, before: int) -> bool:
        """``x`` lies beyond everything this side sent before capture index ``before`` (and
        within half the sequence space): where a new incarnation's ISN must be (RFC 6191)."""
        r = self.rel(x)
        end = max([1, *(e for k, _, e in self.ranges if k < before)])
        return end + 1 < r < MOD // 2

    def inside_sent(self, x: int, before: int) -> bool:
        """``x`` falls strictly inside text this side sent before capture index ``before``: a
        partial acknowledgment, a resegmented retransmission or a probe would name it."""
        r = self.rel(x)
        return any(k < before and first < r < end for k, first, end in self.ranges)
