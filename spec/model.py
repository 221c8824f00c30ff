"""The whole system: two endpoints, two one-way channels, a clock, and its transition relation.

`Model.successors` is the concrete interpretation of the rule tables in `spec.arrival`,
`spec.user` and `spec.timers`, together with the network (loss, reordering, duplication,
ageing) and the clock. The Z3 engine compiles the same tables; it does not re-state them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Protocol, TypeVar

from tcpspec.spec import clock, ghosts
from tcpspec.spec.endpoint import OFF, Endpoint
from tcpspec.spec.rules import Case, Ctx, Rules
from tcpspec.spec.segment import DATA, SYN, Segment
from tcpspec.spec.states import State
from tcpspec.spec.timers import settle_timers

E = TypeVar("E")
C = TypeVar("C")
S = TypeVar("S")
L = TypeVar("L", covariant=True)  # labels are only handed out

CLIENT, SERVER = 0, 1
SIDE_NAMES = ("client", "server")
NETWORK, CLOCK = 2, 3


class BoundsError(ValueError):
    """A bound that makes no sense (negative, zero where one is needed)."""


#: The largest bounds that can be explored at all (the state space grows exponentially in the
#: first ones, and the clock's values multiply it in the others); larger ones are refused.
MOST = {"capacity": 8, "duplicates": 8, "data": 8, "retries": 8, "msl": 16, "rto": 16,
        "time_wait": 64, "window": 64}
WHY = {
    "capacity": "segment in flight multiplies the states many times over",
    "duplicates": "duplication multiplies the states", "data": "data unit multiplies the states",
    "retries": "retransmission multiplies the states",
    "msl": "tick of MSL adds ages to every segment in flight",
    "rto": "tick adds timer values to every state", "time_wait": "tick adds timer values",
    "window": "unit of window admits more sequence numbers",
}


@dataclass(frozen=True)
class Bounds:
    """The knobs of the model. Small defaults verify in seconds; raise them to explore more.

    Times are in clock ticks. A segment lives less than ``msl`` ticks in the network; the
    retransmission timer fires ``rto`` ticks after a send; a segment is retransmitted at most
    ``retries`` times; TIME-WAIT lasts ``time_wait`` ticks (default 2*MSL).
    """

    capacity: int = 2  # segments in flight per direction; a send into a full channel is lost
    loss: bool = True  # the network may drop any segment in flight
    reorder: bool = True  # the network may deliver any segment in flight next
    duplicates: int = 1  # how many times the network may duplicate a segment in one run
    data: int = 1  # data units each application sends before it closes
    msl: int = 1
    rto: int = 1
    retries: int = 1
    time_wait: int = 0  # 0 means 2*msl
    window: int = 2  # RCV.WND, in data units
    fin_wait_2: int = -1  # FIN-WAIT-2 timeout (Linux); -1 means TIME-WAIT's length, 0 never

    def resolved(self, limits: bool = True) -> Bounds:
        """Check every bound and fill in the defaults that depend on others. ``limits`` False
        lifts the ceilings of `MOST`, which keep an exhaustive exploration in memory: a trace
        check (one endpoint, a run at a time) follows one path and needs no ceiling."""
        checks = [
            ("capacity", self.capacity, 1), ("msl", self.msl, 1), ("rto", self.rto, 1),
            ("window", self.window, 1), ("duplicates", self.duplicates, 0),
            ("data", self.data, 0), ("retries", self.retries, 0),
            ("time_wait", self.time_wait, 0),
        ]
        for name, value, least in checks:
            if value < least:
                raise BoundsError(
                    f"--{name.replace('_', '-')} must be at least {least} (got {value})")
            if limits and value > MOST[name]:  # refused up front, before any memory is spent on it
                raise BoundsError(
                    f"--{name.replace('_', '-')} {value} cannot be explored: at most "
                    f"{MOST[name]} (each more {WHY[name]})")
        if limits and self.fin_wait_2 > MOST["time_wait"]:
            raise BoundsError(f"--fin-wait-2 {self.fin_wait_2} cannot be explored: at most "
                              f"{MOST['time_wait']}")
        if self.fin_wait_2 < -1:
            raise BoundsError(f"--fin-wait-2 must be at least 0 (got {self.fin_wait_2})")
        tw = self.time_wait or 2 * self.msl
        return replace(self, time_wait=tw, fin_wait_2=tw if self.fin_wait_2 == -1 else
                       self.fin_wait_2)


@dataclass(frozen=True)
class Side:
    """One endpoint's constants: its ISS, how its application behaves."""

    name: str
    iss: int  # the ISS this incarnation chooses (the seeds: client 100, server 200)
    old_iss: int  # the ISS of the earlier incarnation whose segments may still be in flight
    active: bool = False  # the application does an active OPEN
    passive: bool = False  # the application does a passive OPEN (or starts in LISTEN)
    data: int = 0  # data units the application SENDs once ESTABLISHED
    closes: bool = True  # the application CLOSEs after sending
    abort: bool = False  # the application may ABORT at any moment
    #: 0: the side starts unopened. Else it starts ESTABLISHED with SND.UNA = SND.NXT = this
    #: (what it sent before the run, data included, is acknowledged) and RCV.NXT = the peer's
    #: start_seq: a connection picked up mid-life, as the seeds' close example (FIN seq=300).
    start_seq: int = 0
    rst_ack: bool = False  # ABORT's reset carries ACK=RCV.NXT, as Linux sends it (3.10.5)
    full_close: bool = False  # its CLOSE is close(): no more reading (RFC 1122 4.2.2.13)
    early_close: bool = False  # it may CLOSE before ESTABLISHED (a sockets application)


class World(NamedTuple):
    """A global state: both endpoints, the channel out of each, and duplications left."""

    eps: tuple[Endpoint, Endpoint]
    chans: tuple[tuple[Segment, ...], tuple[Segment, ...]]  # chans[i]: segments from side i
    dups: int

    def with_chan(self, i: int, chan: tuple[Segment, ...]) -> World:
        """This state with the channel out of side ``i`` replaced."""
        chans = (chan, self.chans[1]) if i == 0 else (self.chans[0], chan)
        return World(self.eps, chans, self.dups)


class Label(NamedTuple):
    """What happened in one step, for traces, graphs and action properties."""

    actor: int  # CLIENT, SERVER, NETWORK or CLOCK
    kind: str  # "user", "timer", "deliver", "lose", "duplicate", "tick"
    cases: tuple[str, ...] = ()  # names of the rule cases that fired
    seg: Segment | None = None  # the segment delivered, lost or duplicated
    sent: Segment | None = None  # the segment emitted by the step
    overflow: bool = False  # the emitted segment found its channel full and was lost
    expired: tuple[Segment, ...] = ()  # segments that reached MSL on this tick

    def fired(self, name: str) -> bool:
        return name in self.cases


Move = tuple[Label, World]
# What a segment does to an endpoint: the cases fired, the endpoint after, the reply (if any).
Arrived = tuple[tuple[str, ...], Endpoint, Segment | None]
# A user call or timeout: its label, the endpoint after, the segment it sends (if any).
Local = tuple[Label, Endpoint, Segment | None]
#: A step of one endpoint as a search holds it: the endpoint after, what it sends (or None),
#: its label, and its label when what it sends finds the channel full.
Step = tuple[Any, Any, Any, Any]
#: Builds a successor state from its parts, seen from one side: (mine, peer, my channel, the
#: peer's channel, duplications left).
Maker = Callable[[Any, Any, Any, Any, int], Any]
_NO_SEGMENT = Segment()
_WORLD_MAKERS: tuple[Maker, Maker] = (
    lambda me, peer, mine, theirs, dups: World((me, peer), (mine, theirs), dups),
    lambda me, peer, mine, theirs, dups: World((peer, me), (theirs, mine), dups),
)


class Parts(Protocol[E, C, S, L]):
    """How a search holds the parts of a state: endpoints ``E``, channels ``C``, segments
    ``S`` and labels ``L``. `Model` holds them as values; the explicit engine interns them.
    `Model.moves` is written over these operations only."""

    def local_steps(self, i: int, me: E) -> Sequence[tuple[E, S | None, L, L]]: ...
    def delivery(self, j: int, me: E, seg: S) -> tuple[E, S | None, L, L]: ...
    def send(self, chan: C, seg: S) -> C | None: ...
    def segments(self, chan: C) -> Sequence[tuple[S, C, bool]]: ...
    def lost(self, seg: S) -> L: ...
    def duplicated(self, seg: S) -> L: ...
    def clock(self, e: E) -> tuple[bool, E, bool]: ...
    def aged(self, chan: C) -> tuple[C, Any, bool]: ...
    def ticked(self, expired0: Any, expired1: Any) -> L: ...


class Model:
    """The transition system for one scenario, bounds and (optionally) mutant."""

    def __init__(self, sides: tuple[Side, Side], bounds: Bounds, rules: Rules,
                 stale: tuple[str, ...] = (), limits: bool = True) -> None:
        self.sides = sides
        self.p = bounds.resolved(limits)
        self.rules = rules
        self.stale = stale
        self._arrival = [[(c, c.states) for c in step.cases] for step in rules.arrival]
        self._arrived: dict[tuple[int, Endpoint, Segment], Arrived] = {}
        self._locals: dict[tuple[int, Endpoint], tuple[Local, ...]] = {}
        self._steps: dict[tuple[int, Endpoint], tuple[Step, ...]] = {}
        self._delivered: dict[tuple[int, Endpoint, Segment], Step] = {}

    # -- initial state -------------------------------------------------------------------------

    def initial(self) -> World:
        eps = tuple(
            self._established(s, peer) if s.start_seq
            else Endpoint(st=State.LISTEN, snd_una=s.iss, snd_nxt=s.iss)
            if s.passive and not s.active
            else Endpoint() for s, peer in zip(self.sides, self.sides[::-1], strict=True)
        )
        client = self.sides[CLIENT]
        old_server = self.sides[SERVER].old_iss
        stale_segs = {
            "syn": SYN(client.old_iss)._replace(stale=True),
            "data": DATA(client.old_iss + 1, old_server + 1)._replace(stale=True),
        }
        c2s = self._canon(tuple(stale_segs[k] for k in self.stale))
        return World((eps[0], eps[1]), (c2s, ()), self.p.duplicates)

    @staticmethod
    def _established(s: Side, peer: Side) -> Endpoint:
        """An ESTABLISHED endpoint whose earlier text is all acknowledged (RFC 9293 3.3.1: the
        TCB after the handshake and some data; IRS is the peer's ISS). The data counters start
        at 0: the properties count the text of this run only."""
        return Endpoint(st=State.ESTABLISHED, irs=peer.iss, snd_una=s.start_seq,
                        snd_nxt=s.start_seq, rcv_nxt=peer.start_seq, rcvd_syn=True,
                        rcvd_ack_of_syn=True)

    # -- the relation --------------------------------------------------------------------------

    def successors(self, w: World) -> list[Move]:
        """Every move out of ``w``, in a fixed order: each side's user calls and timeouts, then
        each channel's segments (delivered, lost or duplicated), then the clock's tick."""
        return self.moves(self, w.eps, w.chans, w.dups, _WORLD_MAKERS)

    def moves(self, parts: Parts[Any, Any, Any, Any], eps: tuple[Any, Any],
              chans: tuple[Any, Any], dups: int, make: tuple[Maker, Maker]) -> list[Any]:
        """The relation, written once over ``parts``: how a search holds endpoints, channels,
        segments and labels. `successors` holds them as values (``parts`` is the model itself);
        the explicit engine as interned numbers. ``make[i](mine, peer, chan_mine, chan_peer,
        dups)`` builds a successor from its parts, seen from side ``i``."""
        out: list[Any] = []
        for i in (CLIENT, SERVER):
            self._local_side(parts, i, eps, chans, dups, make[i], out)
        for i in (CLIENT, SERVER):
            self._network_side(parts, i, eps, chans, dups, make[1 - i], out)
        self._clock(parts, eps, chans, dups, make[CLIENT], out)
        return out

    @staticmethod
    def _local_side(parts: Parts[Any, Any, Any, Any], i: int, eps: tuple[Any, Any],
                    chans: tuple[Any, Any], dups: int, make: Maker, out: list[Any]) -> None:
        """Side ``i``'s user calls and timeouts (RFC 9293 3.9, 3.8): what it sends joins its
        own channel, or is lost if the channel is full."""
        peer, mine, theirs = eps[1 - i], chans[i], chans[1 - i]
        for step in parts.local_steps(i, eps[i]):
            out.append(Model._sent(parts, step, peer, mine, theirs, dups, make))

    @staticmethod
    def _sent(parts: Parts[Any, Any, Any, Any], step: Step, peer: Any, mine: Any, theirs: Any,
              dups: int, make: Maker) -> Any:
        """A step of one endpoint: what it sends joins its own channel, or is lost when that is
        full (``capacity``)."""
        after, seg, label, label_full = step
        if seg is None:
            return label, make(after, peer, mine, theirs, dups)
        chan = parts.send(mine, seg)
        if chan is None:
            return label_full, make(after, peer, mine, theirs, dups)
        return label, make(after, peer, chan, theirs, dups)

    def _network_side(self, parts: Parts[Any, Any, Any, Any], i: int, eps: tuple[Any, Any],
                      chans: tuple[Any, Any], dups: int, make: Maker, out: list[Any]) -> None:
        """The network's moves on the channel out of side ``i``, per distinct segment in it:
        deliver it to the peer ``j`` (the first one; any one if reordering is on), lose it,
        or duplicate it (while duplications are left and the channel has room). What ``j``
        replies joins ``j``'s channel, or is lost if that one is full."""
        j = 1 - i
        me, peer, mine, theirs = eps[j], eps[i], chans[j], chans[i]
        reorder, loss = self.p.reorder, self.p.loss
        for seg, rest, first in parts.segments(theirs):
            if first or reorder:
                out.append(self._sent(parts, parts.delivery(j, me, seg), peer, mine, rest,
                                      dups, make))
            if loss:
                out.append((parts.lost(seg), make(me, peer, mine, rest, dups)))
            if dups > 0:
                chan = parts.send(theirs, seg)
                if chan is not None:
                    out.append((parts.duplicated(seg), make(me, peer, mine, chan, dups - 1)))

    @staticmethod
    def _clock(parts: Parts[Any, Any, Any, Any], eps: tuple[Any, Any], chans: tuple[Any, Any],
               dups: int, make: Maker, out: list[Any]) -> None:
        """The clock ticks (no moves while a timer is due: its timeout is handled first; none
        when nothing would change): running timers count down, segments age, and those that
        reach MSL leave the network."""
        due0, ticked0, running0 = parts.clock(eps[0])
        due1, ticked1, running1 = parts.clock(eps[1])
        if due0 or due1:
            return
        aged0, expired0, busy0 = parts.aged(chans[0])
        aged1, expired1, busy1 = parts.aged(chans[1])
        if running0 or running1 or busy0 or busy1:
            out.append((parts.ticked(expired0, expired1), make(ticked0, ticked1, aged0, aged1,
                                                                dups)))

    # -- the parts, as values (the `Parts` a search over `World` values uses) -----------------

    def local_steps(self, i: int, me: Endpoint) -> tuple[Step, ...]:
        """Side ``i``'s user calls and timeouts in ``me``: the endpoint after each, what it
        sends, and its label (sent, or lost to a full channel)."""
        key = (i, me)
        hit = self._steps.get(key)
        if hit is None:
            hit = self._steps[key] = tuple(
                (after, emit, label if emit is None else label._replace(sent=emit),
                 label._replace(sent=emit, overflow=True))
                for label, after, emit in self._local_moves(i, me))
        return hit

    def delivery(self, j: int, me: Endpoint, seg: Segment) -> Step:
        """``seg`` arrives at side ``j`` in ``me`` (3.10.7): the endpoint after, the reply,
        and the label (the reply sent, or lost to a full channel)."""
        key = (j, me, seg)
        hit = self._delivered.get(key)
        if hit is None:
            fired, after, reply = self._arrival_at(j, me, seg)
            label = Label(j, "deliver", fired, seg=seg, sent=reply)
            hit = self._delivered[key] = (after, reply, label, label._replace(overflow=True))
        return hit

    def send(self, chan: tuple[Segment, ...], seg: Segment) -> tuple[Segment, ...] | None:
        """``chan`` with ``seg`` added, or None when it is full (``capacity``)."""
        if len(chan) >= self.p.capacity:
            return None
        return self._canon((*chan, seg))

    @staticmethod
    def segments(chan: tuple[Segment, ...]) -> list[tuple[Segment, tuple[Segment, ...], bool]]:
        """Each distinct segment in flight on ``chan``, the channel without (one copy of) it,
        and whether it is the first (the one a network that keeps order delivers next)."""
        seen: set[Segment] = set()
        out = []
        for k, seg in enumerate(chan):
            if seg not in seen:
                seen.add(seg)
                out.append((seg, chan[:k] + chan[k + 1:], k == 0))
        return out

    @staticmethod
    def lost(seg: Segment) -> Label:
        return Label(NETWORK, "lose", seg=seg)

    @staticmethod
    def duplicated(seg: Segment) -> Label:
        return Label(NETWORK, "duplicate", seg=seg)

    @staticmethod
    def clock(e: Endpoint) -> tuple[bool, Endpoint, bool]:
        """A timer of ``e`` is due; ``e`` one tick later; a timer of ``e`` is running."""
        if clock.due(e):
            return True, e, False
        if clock.running(e):
            return False, e._replace(**clock.ticked(e)), True
        return False, e, False

    def aged(self, chan: tuple[Segment, ...]) -> tuple[tuple[Segment, ...],
                                                         tuple[Segment, ...], bool]:
        """``chan`` one tick later (the segments that reach MSL are gone), the segments that
        expired, and whether anything was in flight."""
        kept = []
        expired = []
        for s in chan:
            if clock.survives(s, self.p.msl):
                kept.append(s._replace(**clock.aged(s)))
            else:
                expired.append(s)
        return self._canon(tuple(kept)), tuple(expired), bool(chan)

    @staticmethod
    def ticked(expired0: tuple[Segment, ...], expired1: tuple[Segment, ...]) -> Label:
        return Label(CLOCK, "tick", expired=expired0 + expired1)

    # -- pieces --------------------------------------------------------------------------------

    def arrive(self, i: int, me: Endpoint, seg: Segment) -> tuple[list[str], Endpoint, Any]:
        """Run the arrival procedure of section 3.10.7 for ``seg`` at endpoint ``i``."""
        ctx = Ctx(me, seg, self.sides[i], self.p)
        fired: list[str] = []
        emit = None
        for step in self._arrival:
            for case, states in step:
                if me.st in states and case.when(ctx):
                    fired.append(case.name)
                    eff = case.then(ctx)
                    if eff:
                        if "emit" in eff:
                            eff = dict(eff)
                            emit = eff.pop("emit")
                        me = me._replace(**eff)
                        ctx.me = me
                    if case.stop:
                        return fired, me, emit
                    break
        return fired, me, emit

    def arrival(self, j: int, before: Endpoint, seg: Segment) -> Arrived:
        """What ``seg`` does to endpoint ``j`` alone (the one-sided check delivers segments
        from an arbitrary environment this way)."""
        return self._arrival_at(j, before, seg)

    def local_moves(self, i: int, me: Endpoint) -> tuple[Local, ...]:
        """The user calls and timeouts endpoint ``i`` can take in ``me``."""
        return self._local_moves(i, me)

    def _arrival_at(self, j: int, before: Endpoint, seg: Segment) -> Arrived:
        """What ``seg`` does to endpoint ``j``: the cases fired, the endpoint after (ghosts and
        timers settled) and the reply. It depends on nothing else, so it is computed once per
        (endpoint, segment) and reused in every world where they meet (a pure cache)."""
        key = (j, before, seg)
        hit = self._arrived.get(key)
        if hit is None:
            fired, after, emit = self.arrive(j, before, seg)
            reply = emit if emit is not None else _NO_SEGMENT
            g = ghosts.after_arrival(before, after, seg, reply, emit is not None,
                                     self.sides[j].iss)
            after = self._settle(before, after._replace(**g))
            if emit is not None:
                emit = emit._replace(stale=ghosts.reply_is_stale(after))
            hit = self._arrived[key] = (tuple(fired), after, emit)
        return hit

    def _local_moves(self, i: int, me: Endpoint) -> tuple[Local, ...]:
        """The user calls and timeouts endpoint ``i`` can take in ``me``, with the endpoint after
        each and what it sends. Like arrivals, they depend on the endpoint alone: cached."""
        key = (i, me)
        hit = self._locals.get(key)
        if hit is None:
            moves = []
            for table, kind in ((self.rules.user, "user"), (self.rules.timers, "timer")):
                for case in table:
                    if me.st in case.states:
                        ctx = Ctx(me, None, self.sides[i], self.p)
                        if case.when(ctx):
                            moves.append(self._local(i, me, case, ctx, kind))
            hit = self._locals[key] = tuple(moves)
        return hit

    def _local(self, i: int, before: Endpoint, case: Case, ctx: Ctx, kind: str) -> Local:
        eff = dict(case.then(ctx))
        emit = eff.pop("emit", None)
        after = before._replace(**eff)
        after = self._settle(before, after._replace(**ghosts.after_local(before, after)))
        if emit is not None:
            emit = emit._replace(stale=ghosts.reply_is_stale(after))
        return Label(i, kind, (case.name,)), after, emit

    def _settle(self, before: Endpoint, after: Endpoint) -> Endpoint:
        upd = settle_timers(before, after, self.p)
        if upd["rto"] != after.rto or upd["retries"] != after.retries or upd["tw"] != after.tw:
            after = after._replace(**upd)
        return after

    def _canon(self, chan: tuple[Segment, ...]) -> tuple[Segment, ...]:
        # With reordering on, the order of segments in flight is unobservable: keep them sorted
        # so that permutations are one state (a sound symmetry reduction).
        return tuple(sorted(chan)) if self.p.reorder and len(chan) > 1 else chan


__all__ = ["CLIENT", "CLOCK", "NETWORK", "OFF", "SERVER", "Bounds", "Label", "Model", "Side",
           "World"]
