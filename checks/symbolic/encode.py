"""Compilation of the rule tables of a `Model` to a Z3 transition formula T(s, s').

Nothing here states a rule of TCP: the case lambdas of ``model.rules`` (arrival steps, user calls,
timeouts), `spec.ghosts` and `spec.timers.settle_timers` are *called* with a `Ctx` whose ``me`` and
``seg`` hold Z3 terms (they are written with `spec.logic`, which builds Z3 terms when given them).
What is encoded here is only what `spec.model.Model.successors` does around the rules:

- the arrival procedure's control flow (per step, the first matching case fires; a case with
  ``stop`` ends the procedure, otherwise processing goes on to the next step, seeing the updated
  TCB), compiled to nested ``If`` terms guarded by "not yet stopped" and "not yet matched";
- the network: each channel is ``capacity`` slots (a present flag and the segment's fields) in the
  explicit engine's canonical form -- present slots first, and sorted in Python's tuple order of
  `Segment` when reordering is on (a bubble-sort network of compare-and-swap ``If`` terms; with
  reordering off a stable network that only moves absent slots to the end, i.e. FIFO order);
  absent slots hold default field values, so equal worlds have equal encodings;
- loss, duplication (bounded by ``dups``), overflow (an emission into a full channel is lost),
  and the clock tick (disabled while a timer is due, and when it would be a self-loop).

Every helper works on plain Python values too (through `spec.logic`), which the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import z3

from tcpspec.spec import clock, ghosts
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.logic import And, If, In, Not, Or, is_false
from tcpspec.spec.model import CLIENT, CLOCK, NETWORK, SERVER, Model, World
from tcpspec.spec.rules import Case, Ctx
from tcpspec.spec.segment import Segment
from tcpspec.spec.states import Reason, State
from tcpspec.spec.timers import settle_timers

EP_BOOL = frozenset({"rcvd_syn", "rcvd_ack_of_syn", "tainted", "stale_data", "stray_kept"})
SEG_BOOL = frozenset({"syn", "ack", "fin", "rst", "stale"})
EP_FIELDS: tuple[str, ...] = Endpoint._fields
SEG_FIELDS: tuple[str, ...] = Segment._fields
_NO_SEGMENT = Segment()


class Slot(NamedTuple):
    """One place in a channel: whether a segment is there, and its fields (defaults if not)."""

    present: Any
    seg: Segment


class SState(NamedTuple):
    """A symbolic (or concrete) world: endpoints, channels as slot tuples, duplications left."""

    eps: tuple[Endpoint, Endpoint]
    chans: tuple[tuple[Slot, ...], tuple[Slot, ...]]
    dups: Any


# -- construction, flattening, decoding --------------------------------------------------------


def fresh_state(model: Model, tag: str) -> SState:
    """A state of fresh Z3 constants named after ``tag``."""

    def ep(i: int) -> Endpoint:
        return Endpoint(
            *[
                z3.Bool(f"{tag}_e{i}_{f}") if f in EP_BOOL else z3.Int(f"{tag}_e{i}_{f}")
                for f in EP_FIELDS
            ]
        )

    def chan(i: int) -> tuple[Slot, ...]:
        return tuple(
            Slot(z3.Bool(f"{tag}_c{i}_{k}_p"), fresh_segment(f"{tag}_c{i}_{k}"))
            for k in range(model.p.capacity)
        )

    return SState((ep(0), ep(1)), (chan(0), chan(1)), z3.Int(f"{tag}_dups"))


def fresh_segment(tag: str) -> Segment:
    return Segment(
        *[z3.Bool(f"{tag}_{f}") if f in SEG_BOOL else z3.Int(f"{tag}_{f}") for f in SEG_FIELDS]
    )


def flatten(s: SState) -> list[Any]:
    """Every component of ``s`` in a fixed order (the same for all states of one model)."""
    out: list[Any] = []
    for e in s.eps:
        out.extend(e)
    for ch in s.chans:
        for sl in ch:
            out.append(sl.present)
            out.extend(sl.seg)
    out.append(s.dups)
    return out


def equal(a: SState, b: SState) -> Any:
    return And(*[x == y for x, y in zip(flatten(a), flatten(b), strict=True)])


def from_world(model: Model, w: World) -> SState:
    """The concrete encoding of an explicit-engine world."""
    chans = []
    for ch in w.chans:
        slots = [Slot(True, s) for s in ch]
        slots += [Slot(False, _NO_SEGMENT)] * (model.p.capacity - len(ch))
        chans.append(tuple(slots))
    return SState(w.eps, (chans[0], chans[1]), w.dups)


def decode(model: Model, zm: z3.ModelRef, s: SState) -> World:
    """Read a state out of a Z3 model as an explicit-engine `World`."""

    def val(t: Any, is_bool: bool) -> Any:
        v = zm.eval(t, model_completion=True)
        return z3.is_true(v) if is_bool else v.as_long()

    def seg(sg: Segment) -> Segment:
        return Segment(*[val(getattr(sg, f), f in SEG_BOOL) for f in SEG_FIELDS])

    eps = []
    for e in s.eps:
        d = {f: val(getattr(e, f), f in EP_BOOL) for f in EP_FIELDS}
        d["st"] = State(d["st"])
        d["reason"] = Reason(d["reason"])
        eps.append(Endpoint(**d))
    chans = []
    for ch in s.chans:
        chans.append(tuple(seg(sl.seg) for sl in ch if val(sl.present, True)))
    return World((eps[0], eps[1]), (chans[0], chans[1]), val(s.dups, False))


# -- generic term helpers ----------------------------------------------------------------------


def ite_ep(c: Any, a: Endpoint, b: Endpoint) -> Endpoint:
    return Endpoint(*[If(c, x, y) for x, y in zip(a, b, strict=True)])


def ite_seg(c: Any, a: Segment, b: Segment) -> Segment:
    return Segment(*[If(c, x, y) for x, y in zip(a, b, strict=True)])


def ite_slot(c: Any, a: Slot, b: Slot) -> Slot:
    return Slot(If(c, a.present, b.present), ite_seg(c, a.seg, b.seg))


def _seg_less(a: Segment, b: Segment) -> Any:
    """Python's tuple order ``a < b`` on segments (False < True for the flag fields)."""
    result: Any = False
    for f in reversed(SEG_FIELDS):
        x, y = getattr(a, f), getattr(b, f)
        if f in SEG_BOOL:
            lt, eq = And(Not(x), y), x == y
        else:
            lt, eq = x < y, x == y
        result = Or(lt, And(eq, result))
    return result


def _before(a: Slot, b: Slot, reorder: bool) -> Any:
    """Slot ``a`` belongs strictly before slot ``b`` in canonical order."""
    if not reorder:
        return And(a.present, Not(b.present))
    return Or(And(a.present, Not(b.present)), And(a.present, b.present, _seg_less(a.seg, b.seg)))


def canon(slots: list[Slot], reorder: bool, keep: int) -> tuple[Slot, ...]:
    """Canonical channel: a stable bubble-sort network, then absent slots reset to defaults."""
    s = list(slots)
    n = len(s)
    for p in range(n - 1):
        for k in range(n - 1 - p):
            a, b = s[k], s[k + 1]
            sw = _before(b, a, reorder)
            if is_false(sw):
                continue
            s[k], s[k + 1] = ite_slot(sw, b, a), ite_slot(sw, a, b)
    out = [Slot(sl.present, ite_seg(sl.present, sl.seg, _NO_SEGMENT)) for sl in s[:keep]]
    return tuple(out)


def count(ch: tuple[Slot, ...]) -> Any:
    return _sum([If(sl.present, 1, 0) for sl in ch])


def _sum(xs: list[Any]) -> Any:
    total: Any = 0
    for x in xs:
        total = total + x
    return total


# -- moves -------------------------------------------------------------------------------------


@dataclass
class Move:
    """One family of moves of `Model.successors`, as a guard and the successor's terms."""

    actor: int
    kind: str
    guard: Any
    post: SState
    fired: dict[str, Any] = field(default_factory=dict)  # case name -> "it fired" term
    seg: Segment | None = None


@dataclass
class Arrival:
    fired: dict[str, Any]
    after: Endpoint
    emitted: Any
    emit: Segment


def arrive(model: Model, i: int, me: Endpoint, seg: Segment) -> Arrival:
    """The arrival procedure of section 3.10.7, compiled from ``model.rules.arrival``."""
    ctx = Ctx(me, seg, model.sides[i], model.p)
    done: Any = False
    fired: dict[str, Any] = {}
    emitted: Any = False
    emit = _NO_SEGMENT
    for step in model.rules.arrival:
        matched: Any = False
        stop_now: Any = False
        new_me = me
        for case in step.cases:
            g = And(Not(done), Not(matched), In(me.st, case.states), case.when(ctx))
            if is_false(g):
                continue
            fired[case.name] = g
            eff = dict(case.then(ctx))
            if "emit" in eff:
                e = eff.pop("emit")
                emitted = Or(emitted, g)
                emit = ite_seg(g, e, emit)
            new_me = ite_ep(g, me._replace(**eff), new_me)
            if case.stop:
                stop_now = Or(stop_now, g)
            matched = Or(matched, g)
        me = new_me
        ctx.me = me
        done = Or(done, stop_now)
    return Arrival(fired, me, emitted, emit)


def settle(model: Model, before: Endpoint, after: Endpoint) -> Endpoint:
    """`Model._settle`: the timers after an endpoint's step (spec.timers does the work)."""
    return after._replace(**settle_timers(before, after, model.p))


def _set(pair: tuple[Any, Any], i: int, value: Any) -> Any:
    return (value, pair[1]) if i == 0 else (pair[0], value)


def _emit(model: Model, s: SState, i: int, emitted: Any, seg: Segment, stale: Any) -> SState:
    """Put an emitted segment into channel ``i`` unless it is full (then it is lost)."""
    if is_false(emitted):
        return s
    ch = s.chans[i]
    full = ch[-1].present
    new = Slot(And(emitted, Not(full)), seg._replace(stale=stale, age=0))
    chan = canon([*ch, new], model.p.reorder, model.p.capacity)
    return SState(s.eps, _set(s.chans, i, chan), s.dups)


def _without(model: Model, ch: tuple[Slot, ...], k: int) -> tuple[Slot, ...]:
    slots = list(ch)
    slots[k] = Slot(False, ch[k].seg)
    return canon(slots, model.p.reorder, model.p.capacity)


def local_moves(model: Model, s: SState) -> list[Move]:
    out = []
    for i in (CLIENT, SERVER):
        me = s.eps[i]
        for table, kind in ((model.rules.user, "user"), (model.rules.timers, "timer")):
            for case in table:
                out.extend(_local(model, s, i, case, kind, me))
    return out


def _local(model: Model, s: SState, i: int, case: Case, kind: str, me: Endpoint) -> list[Move]:
    ctx = Ctx(me, None, model.sides[i], model.p)
    g = And(In(me.st, case.states), case.when(ctx))
    if is_false(g):
        return []
    eff = dict(case.then(ctx))
    emit = eff.pop("emit", None)
    after = me._replace(**eff)
    after = settle(model, me, after._replace(**ghosts.after_local(me, after)))
    post = SState(_set(s.eps, i, after), s.chans, s.dups)
    if emit is not None:
        post = _emit(model, post, i, True, emit, ghosts.reply_is_stale(after))
    return [Move(i, kind, g, post, {case.name: True})]


def deliver_moves(model: Model, s: SState, incoming: tuple[Segment, Segment]) -> list[Move]:
    """Deliveries: ``incoming[j]`` stands for the segment that arrives at side j (fresh terms
    equated with the chosen slot in the guard, so the arrival procedure is compiled once per
    side, not once per slot)."""
    out = []
    for i in (CLIENT, SERVER):
        j = 1 - i
        seg = incoming[j]
        before = s.eps[j]
        arr = arrive(model, j, before, seg)
        g = ghosts.after_arrival(before, arr.after, seg, arr.emit, arr.emitted, model.sides[j].iss)
        after = settle(model, before, arr.after._replace(**g))
        for k, sl in enumerate(s.chans[i]):
            if not (k == 0 or model.p.reorder):
                continue
            rest = _without(model, s.chans[i], k)
            post = SState(_set(s.eps, j, after), _set(s.chans, i, rest), s.dups)
            post = _emit(model, post, j, arr.emitted, arr.emit, ghosts.reply_is_stale(after))
            guard = And(sl.present, *[getattr(seg, f) == getattr(sl.seg, f) for f in SEG_FIELDS])
            out.append(Move(j, "deliver", guard, post, dict(arr.fired), seg))
    return out


def network_moves(model: Model, s: SState) -> list[Move]:
    out = []
    cap = model.p.capacity
    for i in (CLIENT, SERVER):
        ch = s.chans[i]
        for k, sl in enumerate(ch):
            if model.p.loss:
                post = SState(s.eps, _set(s.chans, i, _without(model, ch, k)), s.dups)
                out.append(Move(NETWORK, "lose", sl.present, post, seg=sl.seg))
            if model.p.duplicates > 0:
                dup = canon([*ch, Slot(True, sl.seg)], model.p.reorder, cap)
                post = SState(s.eps, _set(s.chans, i, dup), s.dups - 1)
                g = And(sl.present, s.dups > 0, Not(ch[-1].present))
                out.append(Move(NETWORK, "duplicate", g, post, seg=sl.seg))
    return out


def tick_move(model: Model, s: SState) -> Move:
    """The clock's tick: `spec.clock`'s rules on terms."""
    due = Or(*[clock.due(e) for e in s.eps])
    timers = Or(*[clock.running(e) for e in s.eps])
    busy = Or(*[sl.present for ch in s.chans for sl in ch])
    eps = tuple(e._replace(**clock.ticked(e)) for e in s.eps)
    chans = []
    for ch in s.chans:
        aged = [
            Slot(
                And(sl.present, clock.survives(sl.seg, model.p.msl)),
                sl.seg._replace(**clock.aged(sl.seg)),
            )
            for sl in ch
        ]
        chans.append(canon(aged, model.p.reorder, model.p.capacity))
    post = SState((eps[0], eps[1]), (chans[0], chans[1]), s.dups)
    return Move(CLOCK, "tick", And(Not(due), Or(timers, busy)), post)


def moves(model: Model, s: SState, incoming: tuple[Segment, Segment]) -> list[Move]:
    """All move families from ``s``, in no particular order."""
    return [
        *local_moves(model, s),
        *deliver_moves(model, s, incoming),
        *network_moves(model, s),
        tick_move(model, s),
    ]


class Step(NamedTuple):
    """One unrolled transition: its formula, the move selector and the moves."""

    formula: Any
    selector: Any
    moves: list[Move]


def transition(model: Model, s: SState, s2: SState, tag: str) -> Step:
    """T(s, s2): some move is enabled in ``s`` and ``s2`` is its successor.

    ``tag`` names the step's auxiliary constants (the move selector and the arriving segments).
    """
    incoming = (fresh_segment(f"{tag}_in0"), fresh_segment(f"{tag}_in1"))
    ms = moves(model, s, incoming)
    sel = z3.Int(f"{tag}_mv")
    f = Or(*[And(sel == n, m.guard, equal(s2, m.post)) for n, m in enumerate(ms)])
    return Step(f, sel, ms)


def endpoint_ranges(e: Endpoint, p: Any, tw_ok: Any, data: Any) -> list[Any]:
    """The value ranges of one endpoint's fields, under bounds ``p`` (values or terms);
    ``tw_ok`` bounds its TIME-WAIT / FIN-WAIT-2 timer from above."""
    return [
        e.st >= 0,
        e.st <= max(State),
        e.reason >= 0,
        e.reason <= max(Reason),
        e.rto >= -1,
        e.rto <= p.rto,
        e.tw >= -1,
        tw_ok,
        e.retries >= 0,
        e.retries <= p.retries,
        e.sent >= 0,
        e.sent <= data,
    ]


def state_domain(model: Model, s: SState) -> Any:
    """Type constraints every state of the explicit engine satisfies (enum ranges, timer ranges,
    channel canonical form). A candidate invariant of `houdini.houdini`, which checks
    that it is inductive."""
    p = model.p
    tw_max = max(p.time_wait, p.fin_wait_2)
    parts: list[Any] = [s.dups >= 0, s.dups <= p.duplicates]
    for i, e in enumerate(s.eps):
        parts += endpoint_ranges(e, p, e.tw <= tw_max, model.sides[i].data)
    for ch in s.chans:
        for k, sl in enumerate(ch):
            parts += [
                Or(sl.present, equal_seg(sl.seg, _NO_SEGMENT)),
                sl.seg.age >= 0,
                sl.seg.age < p.msl,
            ]
            if k + 1 < len(ch):
                parts.append(Not(_before(ch[k + 1], sl, p.reorder)))
    return And(*parts)


def equal_seg(a: Segment, b: Segment) -> Any:
    return And(*[x == y for x, y in zip(a, b, strict=True)])
