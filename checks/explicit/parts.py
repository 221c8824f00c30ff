"""The parts of the states as small numbers: what the explicit engine searches over.

The state space is large, but it is made of few parts: connect-close's 119,738 states have 199
distinct endpoints and 385 distinct channels. Each part (an endpoint, a channel, a segment, a
label) is interned once, as a number; a state is its five numbers packed into one integer. What
the model does to a part (`Model.local_steps`, `Model.delivery`, `Model.send`, ...) is asked
once per part and remembered as numbers, so exploring a state is a few table lookups, and
`Model.moves` (the relation, written once) composes them exactly as it composes values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.model import Label, Maker, Model, World
from tcpspec.spec.segment import Segment

BITS = 20  # per part: up to 2**20 distinct endpoints (or channels) in one search
MASK = (1 << BITS) - 1
MOST = 1 << BITS  # distinct parts of each kind (endpoints, channels, ...) a search can hold
_MISSING = object()


class TooManyParts(RuntimeError):
    """More distinct endpoints, channels, segments or labels than a packed state has room for."""


def pack(e0: int, e1: int, c0: int, c1: int, dups: int) -> int:
    """A state as one integer: endpoints, channels (out of each side), duplications left."""
    return e0 | e1 << BITS | c0 << 2 * BITS | c1 << 3 * BITS | dups << 4 * BITS


#: `pack`, seen from each side (the ``make`` of `Model.moves`)
MAKERS: tuple[Maker, Maker] = (
    lambda me, peer, mine, theirs, dups: (
        me | peer << BITS | mine << 2 * BITS | theirs << 3 * BITS | dups << 4 * BITS
    ),
    lambda me, peer, mine, theirs, dups: (
        peer | me << BITS | theirs << 2 * BITS | mine << 3 * BITS | dups << 4 * BITS
    ),
)

#: a packed state's two endpoints (the pair that most properties read)
ENDPOINTS = (1 << 2 * BITS) - 1


def unpack(key: int) -> tuple[int, int, int, int, int]:
    return (
        key & MASK,
        key >> BITS & MASK,
        key >> 2 * BITS & MASK,
        key >> 3 * BITS & MASK,
        key >> 4 * BITS,
    )


class _Table:
    """Values interned as numbers 0, 1, 2, ..."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.values: list[Any] = []
        self.ids: dict[Any, int] = {}

    def id(self, v: Any) -> int:
        n = self.ids.get(v)
        if n is None:
            n = self.ids[v] = len(self.values)
            if n >= MOST:
                raise TooManyParts(
                    f"more than {MOST:,} distinct {self.kind} in one search; lower the bounds"
                )
            self.values.append(v)
        return n


class Interned:
    """`spec.model.Parts` over numbers: each operation of the model asked once per part."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.endpoints = _Table("endpoints")
        self.channels = _Table("channels")
        self.segs = _Table("segments")
        self.labels = _Table("labels")
        self._expired = _Table("expiries")
        self._local: tuple[dict[int, Any], dict[int, Any]] = ({}, {})
        self._delivery: tuple[dict[int, Any], dict[int, Any]] = ({}, {})
        self._send: dict[int, int | None] = {}
        self._segments: dict[int, Any] = {}
        self._lost: dict[int, int] = {}
        self._duplicated: dict[int, int] = {}
        self._clock: dict[int, tuple[bool, int, bool]] = {}
        self._aged: dict[int, tuple[int, int, bool]] = {}
        self._ticked: dict[int, int] = {}

    # -- states ----------------------------------------------------------------------------

    def key(self, w: World) -> int:
        """The packed form of ``w`` (its parts interned)."""
        e, c = self.endpoints.id, self.channels.id
        return pack(e(w.eps[0]), e(w.eps[1]), c(w.chans[0]), c(w.chans[1]), w.dups)

    def known(self, w: World) -> int | None:
        """The packed form of ``w`` if all its parts are known, else None."""
        ids = (
            self.endpoints.ids.get(w.eps[0]),
            self.endpoints.ids.get(w.eps[1]),
            self.channels.ids.get(w.chans[0]),
            self.channels.ids.get(w.chans[1]),
        )
        if None in ids:
            return None
        return pack(*ids, w.dups)  # type: ignore[arg-type]

    def world(self, key: int) -> World:
        e0, e1, c0, c1, dups = unpack(key)
        eps, chans = self.endpoints.values, self.channels.values
        return World((eps[e0], eps[e1]), (chans[c0], chans[c1]), dups)

    def endpoint_pair(self, key: int) -> tuple[Endpoint, Endpoint]:
        eps = self.endpoints.values
        return eps[key & MASK], eps[key >> BITS & MASK]

    def label(self, n: int) -> Label:
        return self.labels.values[n]

    # -- the operations of `spec.model.Parts` --------------------------------------------------

    def _step(self, after: Endpoint, sent: Segment | None, label: Label, full: Label) -> Any:
        return (
            self.endpoints.id(after),
            None if sent is None else self.segs.id(sent),
            self.labels.id(label),
            self.labels.id(full),
        )

    def local_steps(self, i: int, me: int) -> Sequence[Any]:
        hit = self._local[i].get(me)
        if hit is None:
            steps = self.model.local_steps(i, self.endpoints.values[me])
            hit = self._local[i][me] = tuple(self._step(*s) for s in steps)
        return hit

    def delivery(self, j: int, me: int, seg: int) -> Any:
        key = me << BITS | seg
        hit = self._delivery[j].get(key)
        if hit is None:
            step = self.model.delivery(j, self.endpoints.values[me], self.segs.values[seg])
            hit = self._delivery[j][key] = self._step(*step)
        return hit

    def send(self, chan: int, seg: int) -> int | None:
        key = chan << BITS | seg
        hit = self._send.get(key, _MISSING)
        if hit is _MISSING:
            c = self.model.send(self.channels.values[chan], self.segs.values[seg])
            hit = self._send[key] = None if c is None else self.channels.id(c)
        return hit  # type: ignore[return-value]

    def segments(self, chan: int) -> Sequence[tuple[int, int, bool]]:
        hit = self._segments.get(chan)
        if hit is None:
            s, c = self.segs.id, self.channels.id
            hit = self._segments[chan] = tuple(
                (s(seg), c(rest), first)
                for seg, rest, first in self.model.segments(self.channels.values[chan])
            )
        return hit

    def lost(self, seg: int) -> int:
        hit = self._lost.get(seg)
        if hit is None:
            hit = self._lost[seg] = self.labels.id(self.model.lost(self.segs.values[seg]))
        return hit

    def duplicated(self, seg: int) -> int:
        hit = self._duplicated.get(seg)
        if hit is None:
            label = self.model.duplicated(self.segs.values[seg])
            hit = self._duplicated[seg] = self.labels.id(label)
        return hit

    def clock(self, e: int) -> tuple[bool, int, bool]:
        hit = self._clock.get(e)
        if hit is None:
            due, ticked, running = self.model.clock(self.endpoints.values[e])
            hit = self._clock[e] = (due, self.endpoints.id(ticked), running)
        return hit

    def aged(self, chan: int) -> tuple[int, int, bool]:
        hit = self._aged.get(chan)
        if hit is None:
            aged, expired, busy = self.model.aged(self.channels.values[chan])
            hit = self._aged[chan] = (self.channels.id(aged), self._expired.id(expired), busy)
        return hit

    def ticked(self, expired0: int, expired1: int) -> int:
        key = expired0 << BITS | expired1
        hit = self._ticked.get(key)
        if hit is None:
            x = self._expired.values
            label = self.model.ticked(x[expired0], x[expired1])
            hit = self._ticked[key] = self.labels.id(label)
        return hit
