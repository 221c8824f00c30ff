"""The model for every bound at once: symbolic bounds, unbounded channels (a parametric T).

`encode` compiles the rule tables at one set of bounds: ``capacity`` slots per channel, MSL, RTO,
retries, TIME-WAIT and the amount of data as Python numbers. Here the same case lambdas (the
arrival procedure, user calls, timeouts, ghosts, timer management: `encode.arrive`,
`encode.settle`, `spec.clock`) are called on terms in which the bounds are symbolic constants
too, and each channel is the *set* of segments in flight, a Z3 array from a segment's fields
(its age included) to Bool. Nothing here states a rule of TCP.

Why every bounded model's behaviours are behaviours of this one (so that an invariant proved
here holds at every capacity, MSL, RTO, retry count, TIME-WAIT and amount of data):

- **Bounds.** Each is a constant constrained only as `Bounds.resolved` constrains it (MSL, RTO
  and the window at least 1; retries and data at least 0; TIME-WAIT at least 1, FIN-WAIT-2 at
  least 0; `PARAMS`), plus whatever condition a property is proved under.
- **Channels as sets.** A bounded channel is a multiset (a sequence, when the network keeps
  order); this channel is its set of distinct segments (its *support*). Each concrete move is a
  move here: an emission adds the segment, or adds nothing (an emission into a full channel is
  lost, so capacity never matters); a delivery or a loss removes the segment, or keeps it (other
  copies of it may remain: this also covers any number of duplications, which change no
  support); a tick ages every segment and drops those that reach MSL. Order is forgotten:
  reordering includes FIFO delivery.
- **Numbers.** Sequence numbers, counters and timers are unbounded integers, as in the rules.

For bounded model checking a channel may also be *listed*: a tuple of `encode.Slot`, the set of
its present slots. It is the same set, written out: a run of k steps emits at most k segments
into a channel, so k slots more than it started with hold every set the run can reach, and the
solver needs no arrays or quantifiers (`bmc` reaches depths the arrays do not).

The abstraction only adds behaviours, so it proves safety, never finds a violation by itself:
a counterexample here may be spurious, and is shown only after it is replayed at concrete bounds
on the explicit engine (`every_bound`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple, cast

import z3

from tcpspec.checks.symbolic import encode as E
from tcpspec.spec import clock, ghosts
from tcpspec.spec.build import TCP, make_model
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.logic import And, In, Not, Or, is_false
from tcpspec.spec.model import CLIENT, CLOCK, NETWORK, SERVER, Bounds, Model, Side, World
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.rules import Case, Ctx, Rules
from tcpspec.spec.scenarios import SCENARIOS
from tcpspec.spec.segment import Segment

#: The sorts of a segment's fields, in `Segment`'s order (an index of a channel array).
SEG_SORTS = tuple(z3.BoolSort() if f in E.SEG_BOOL else z3.IntSort() for f in E.SEG_FIELDS)


@dataclass(frozen=True)
class Params:
    """The bounds as symbolic constants (what the rules read of `Bounds`, as terms)."""

    msl: Any
    rto: Any
    retries: Any
    time_wait: Any
    fin_wait_2: Any
    window: Any
    data: Any
    loss: bool = True
    reorder: bool = True

    @staticmethod
    def fresh() -> Params:
        n = z3.Int
        return Params(
            n("MSL"),
            n("RTO"),
            n("RETRIES"),
            n("TIME_WAIT"),
            n("FIN_WAIT_2"),
            n("WINDOW"),
            n("DATA"),
        )

    def resolved(self) -> Params:
        """(As `Bounds.resolved`: the terms need no defaults; a mutant's change calls it.)"""
        return self

    def domain(self, data_fixed: int | None) -> Any:
        """What `Bounds.resolved` guarantees of every set of bounds."""
        data = self.data >= 0 if data_fixed is None else self.data == data_fixed
        return And(
            self.msl >= 1,
            self.rto >= 1,
            self.retries >= 0,
            self.time_wait >= 1,
            self.fin_wait_2 >= 0,
            self.window >= 1,
            data,
        )


#: The bounds `Params` makes symbolic, in its order (each a field of `Bounds` too).
PARAMS = ("msl", "rto", "retries", "time_wait", "fin_wait_2", "window", "data")


def domain_words(data_fixed: int | None) -> str:
    """`Params.domain` in words (what a proof for every bound assumes of the bounds)."""
    data = "data >= 0" if data_fixed is None else f"data = {data_fixed} (the scenario's)"
    return (
        f"capacity >= 1 (channels unbounded), MSL >= 1, RTO >= 1, retries >= 0, {data}, "
        "TIME-WAIT >= 1, FIN-WAIT-2 >= 0, window >= 1"
    )


class PModel(NamedTuple):
    """A `Model` whose bounds are `Params` (the rules read ``p`` and ``sides`` only); ``base``
    is the model at the default bounds, for the initial world."""

    base: Model
    p: Params
    sides: tuple[Side, Side]
    rules: Rules
    data_fixed: int | None

    def domain(self) -> Any:
        """What every set of bounds satisfies (`Params.domain`)."""
        return self.p.domain(self.data_fixed)


def parametric(scenario: str, mutant: str | None = None) -> PModel:
    """The model of ``scenario`` (and ``mutant``) with every bound symbolic. The amount of data
    is ``DATA`` unless the scenario fixes it; a mutant that changes a bound changes the term
    (``short-time-wait``: TIME_WAIT = MSL)."""
    sc = SCENARIOS[scenario]
    p = Params.fresh()
    data = p.data if sc.data is None else sc.data
    sides = (replace(sc.client, data=data), replace(sc.server, data=data))
    rules = TCP
    if mutant is not None:
        # (a mutant's change reads and replaces bounds as `Bounds` does: Params has the fields)
        rules, sides, changed = MUTANTS[mutant].change(rules, sides, cast(Bounds, p))
        p = cast(Params, changed)
    base = make_model(scenario, mutant=mutant)
    p = replace(p, loss=base.p.loss, reorder=base.p.reorder)
    return PModel(base, p, sides, rules, sc.data)


class PState(NamedTuple):
    """A world of the parametric model: both endpoints and each channel's set of segments."""

    eps: tuple[Endpoint, Endpoint]
    chans: tuple[Any, Any]  # Z3 arrays (segment fields -> Bool), or listed: tuples of Slot


def fresh_state(tag: str, listed: tuple[int, int] | None = None) -> PState:
    """A state of fresh constants; ``listed``: each channel that many slots, not an array."""

    def ep(i: int) -> Endpoint:
        return Endpoint(
            *[
                z3.Bool(f"{tag}_e{i}_{f}") if f in E.EP_BOOL else z3.Int(f"{tag}_e{i}_{f}")
                for f in E.EP_FIELDS
            ]
        )

    if listed is not None:
        slots = tuple(
            tuple(
                E.Slot(z3.Bool(f"{tag}_c{i}_{k}_p"), segment_vars(f"{tag}_c{i}_{k}"))
                for k in range(listed[i])
            )
            for i in (0, 1)
        )
        return PState((ep(0), ep(1)), (slots[0], slots[1]))
    chans = tuple(z3.Array(f"{tag}_c{i}", *SEG_SORTS, z3.BoolSort()) for i in (0, 1))
    return PState((ep(0), ep(1)), (chans[0], chans[1]))


def member(chan: Any, seg: Segment) -> Any:
    """``seg`` is in flight in ``chan``."""
    if isinstance(chan, tuple):
        return Or(False, *[And(sl.present, E.equal_seg(sl.seg, seg)) for sl in chan])
    return z3.Select(chan, *[_term(x, s) for x, s in zip(seg, SEG_SORTS, strict=True)])


def _without(chan: Any, seg: Segment, stays: Any = False) -> Any:
    """``chan`` with ``seg`` taken out, unless ``stays`` (another copy of it is in flight)."""
    if isinstance(chan, tuple):
        return tuple(
            E.Slot(And(sl.present, Or(stays, Not(E.equal_seg(sl.seg, seg)))), sl.seg) for sl in chan
        )
    gone = _store(chan, seg, False)
    return gone if is_false(stays) else z3.If(stays, chan, gone)


def _term(x: Any, sort: Any) -> Any:
    if z3.is_expr(x):
        return x
    return z3.BoolVal(bool(x)) if sort == z3.BoolSort() else z3.IntVal(int(x))


def _store(chan: Any, seg: Segment, value: Any) -> Any:
    idx = [_term(x, s) for x, s in zip(seg, SEG_SORTS, strict=True)]
    return z3.Store(chan, *idx, _term(value, z3.BoolSort()))


def segment_vars(tag: str) -> Segment:
    """A segment of fresh constants (a quantified variable, or a chosen segment)."""
    return E.fresh_segment(tag)


def abstract(w: World, listed: bool = False) -> PState:
    """A world of any bounded model as a parametric state: each channel its set of segments
    (the abstraction every move of a bounded model is a move of this one under); ``listed``:
    as slots, not arrays."""
    if listed:
        slots = [tuple(E.Slot(True, seg) for seg in ch) for ch in w.chans]
        return PState(w.eps, (slots[0], slots[1]))
    chans = []
    for ch in w.chans:
        arr = z3.Lambda(list(segment_vars("empty")), z3.BoolVal(False))
        for seg in ch:
            arr = _store(arr, seg, True)
        chans.append(arr)
    return PState(w.eps, (chans[0], chans[1]))


def initial(pm: PModel, listed: bool = False) -> PState:
    """The scenario's first world (it does not depend on the bounds)."""
    return abstract(pm.base.initial(), listed)


def at(pm: PModel, b: Bounds) -> Any:
    """The bounds ``b`` (resolved) as a constraint on the parametric model's constants (those a
    mutant left free)."""
    r = b.resolved()
    names = [n for n in PARAMS if n != "data" or pm.data_fixed is None]
    terms = [(getattr(pm.p, n), getattr(r, n), n) for n in names]
    return And(*[t == v for t, v, n in terms if is_own(t) and str(t) == n.upper()])


def is_own(t: Any) -> bool:
    """Is ``t`` one of `Params.fresh`'s constants (a mutant may have tied a bound to another,
    or fixed it)?"""
    return z3.is_const(t) and not z3.is_int_value(t) and t.decl().name() in _OWN


_OWN = frozenset({"MSL", "RTO", "RETRIES", "TIME_WAIT", "FIN_WAIT_2", "WINDOW", "DATA"})


# -- moves -------------------------------------------------------------------------------------


class PMove(NamedTuple):
    actor: int
    kind: str
    guard: Any
    post: PState
    fired: dict[str, Any]
    taken: tuple[int, Segment] | None = None  # (channel, segment) a network move reads


def _set(pair: tuple[Any, Any], i: int, value: Any) -> Any:
    return (value, pair[1]) if i == 0 else (pair[0], value)


def _emit(s: PState, i: int, emitted: Any, seg: Segment, stale: Any, keep: Any) -> PState:
    """An emission into channel ``i``: added, or lost (``keep`` false: a full channel, a loss)."""
    if is_false(emitted):
        return s
    seg = seg._replace(stale=stale, age=0)
    if isinstance(s.chans[i], tuple):
        chan = (*s.chans[i], E.Slot(And(emitted, keep), seg))
        return PState(s.eps, _set(s.chans, i, chan))
    new = _store(s.chans[i], seg, True)
    chan = z3.If(And(emitted, keep), new, s.chans[i])
    return PState(s.eps, _set(s.chans, i, chan))


def _local(pm: PModel, s: PState, i: int, case: Case, kind: str, keep: Any) -> PMove | None:
    me = s.eps[i]
    ctx = Ctx(me, None, pm.sides[i], cast(Bounds, pm.p))
    g = And(In(me.st, case.states), case.when(ctx))
    if is_false(g):
        return None
    eff = dict(case.then(ctx))
    emit = eff.pop("emit", None)
    after = me._replace(**eff)
    after = E.settle(pm, me, after._replace(**ghosts.after_local(me, after)))  # type: ignore[arg-type]
    post = PState(_set(s.eps, i, after), s.chans)
    if emit is not None:
        post = _emit(post, i, True, emit, ghosts.reply_is_stale(after), keep)
    return PMove(i, kind, g, post, {case.name: True})


def moves(pm: PModel, s: PState, tag: str, jumps: bool = False) -> tuple[list[PMove], Any]:
    """Every move family from ``s`` and the step's choices (arriving segments, keep bits).
    ``jumps``: the clock may advance several ticks in one step (`_tick`)."""
    keep = z3.Bool(f"{tag}_keep")  # an emission reaches its channel
    stays = z3.Bool(f"{tag}_stays")  # a delivered or lost segment has another copy in flight
    out: list[PMove] = []
    for i in (CLIENT, SERVER):
        for table, kind in ((pm.rules.user, "user"), (pm.rules.timers, "timer")):
            for case in table:
                mv = _local(pm, s, i, case, kind, keep)
                if mv is not None:
                    out.append(mv)
    for i in (CLIENT, SERVER):
        j = 1 - i
        seg = segment_vars(f"{tag}_in{j}")
        before = s.eps[j]
        arr = E.arrive(pm, j, before, seg)  # type: ignore[arg-type]
        g = ghosts.after_arrival(before, arr.after, seg, arr.emit, arr.emitted, pm.sides[j].iss)
        after = E.settle(pm, before, arr.after._replace(**g))  # type: ignore[arg-type]
        rest = _without(s.chans[i], seg, stays)
        post = PState(_set(s.eps, j, after), _set(s.chans, i, rest))
        post = _emit(post, j, arr.emitted, arr.emit, ghosts.reply_is_stale(after), keep)
        taken = (i, seg)
        out.append(PMove(j, "deliver", member(s.chans[i], seg), post, dict(arr.fired), taken))
        if pm.p.loss:
            lost = _without(s.chans[i], seg)
            post = PState(s.eps, _set(s.chans, i, lost))
            out.append(PMove(NETWORK, "lose", member(s.chans[i], seg), post, {}, taken))
        # a duplication changes no set of segments: a step that changes nothing (which a
        # listed run, for BMC, does not need)
        if not isinstance(s.chans[i], tuple):
            out.append(PMove(NETWORK, "duplicate", member(s.chans[i], seg), s, {}, taken))
    out.append(_tick(pm, s, z3.Int(f"{tag}_ticks") if jumps else 1))
    return out, keep


def _tick(pm: PModel, s: PState, d: Any = 1) -> PMove:
    """The clock's tick: `spec.clock` on terms; every segment one tick older, gone at MSL.

    ``d`` ticks at once (a term, for bounded model checking: fewer steps for the same run):
    exactly ``d`` single ticks in a row, as no timer may become due before the last of them."""
    due = Or(*[clock.due(e) for e in s.eps])
    eps = tuple(e._replace(**clock.ticked(e)) for e in s.eps)
    guard = Not(due)
    if not (isinstance(d, int) and d == 1):
        eps = tuple(
            e._replace(rto=z3.If(e.rto > 0, e.rto - d, e.rto), tw=z3.If(e.tw > 0, e.tw - d, e.tw))
            for e in s.eps
        )
        guard = And(guard, d >= 1, *[Or(t <= 0, t >= d) for e in s.eps for t in (e.rto, e.tw)])
    chans: list[Any] = []
    for ch in s.chans:
        if isinstance(ch, tuple):  # each slot d ticks older, gone if it did not survive
            chans.append(
                tuple(
                    E.Slot(
                        And(sl.present, clock.survives(sl.seg._replace(age=sl.seg.age + d - 1),
                                                       pm.p.msl)),
                        sl.seg._replace(age=sl.seg.age + d),
                    )
                    for sl in ch
                )
            )  # fmt: skip
            continue
        xs = [z3.Const(f"x_{f}", so) for f, so in zip(E.SEG_FIELDS, SEG_SORTS, strict=True)]
        x = Segment(*xs)
        # here now iff d ticks younger it was, and it survived the last tick (`clock.survives`)
        younger, last = x._replace(age=x.age - d), x._replace(age=x.age - 1)
        body = And(x.age >= d, clock.survives(last, pm.p.msl), member(ch, younger))
        chans.append(z3.Lambda(xs, body))
    # (the explicit engine also disables a tick that changes nothing: here it is a stutter)
    return PMove(CLOCK, "tick", guard, PState((eps[0], eps[1]), (chans[0], chans[1])), {})


def equal(a: PState, b: PState) -> Any:
    parts = [
        x == y for ea, eb in zip(a.eps, b.eps, strict=True) for x, y in zip(ea, eb, strict=True)
    ]
    for x, y in zip(a.chans, b.chans, strict=True):
        if isinstance(x, tuple):  # the same set: slot for slot, the shorter padded with absent
            n = max(len(x), len(y))
            none = E.Slot(False, Segment())
            xs, ys = [*x, *[none] * (n - len(x))], [*y, *[none] * (n - len(y))]
            parts += [
                And(p.present == q.present, Or(Not(p.present), E.equal_seg(p.seg, q.seg)))
                for p, q in zip(xs, ys, strict=True)
            ]
        else:
            parts.append(x == y)
    return And(*parts)


def transition(pm: PModel, s: PState, s2: PState, tag: str, jumps: bool = False) -> E.Step:
    """T(s, s2) of the parametric model: some move is enabled in ``s`` and ``s2`` is its
    successor (the selector names which, for action properties' labels)."""
    ms, _ = moves(pm, s, tag, jumps)
    sel = z3.Int(f"{tag}_mv")
    f = Or(*[And(sel == n, m.guard, equal(s2, m.post)) for n, m in enumerate(ms)])
    return E.Step(f, sel, ms)  # type: ignore[arg-type]


class SlotView(NamedTuple):
    """A state as `lemmas` read it (``eps``, ``chans`` of slots), with each channel one slot
    holding a segment variable: a lemma that says something of every slot says it of every
    segment in flight once the variables are quantified (`lifted`)."""

    eps: tuple[Endpoint, Endpoint]
    chans: tuple[tuple[E.Slot], tuple[E.Slot]]
    dups: Any = 0


def lifted(pred: Any, pm: PModel, tag: str) -> Any:
    """A state predicate of the slot encoding, ``pred(model, state)``, as a predicate of
    parametric states: its slot variables universally quantified. Whatever it then means, Z3
    checks it like any candidate, so the lifting needs no trust."""

    def f(st: PState) -> Any:
        xs = (segment_vars(f"{tag}_q0"), segment_vars(f"{tag}_q1"))
        chans = tuple((E.Slot(member(st.chans[i], xs[i]), xs[i]),) for i in (0, 1))
        body = _bool(pred(pm, SlotView(st.eps, (chans[0], chans[1]))))
        return z3.ForAll([*xs[0], *xs[1]], body)

    return f


def in_flight(chan: Any, tag: str, pred: Any) -> Any:
    """Every segment in ``chan`` satisfies ``pred(seg)``: a formula quantified over segments."""
    x = segment_vars(tag)
    body = z3.Implies(member(chan, x), _bool(pred(x)))
    return z3.ForAll(list(x), body)


def _bool(x: Any) -> Any:
    return z3.BoolVal(bool(x)) if isinstance(x, bool | int) else x


def domain(pm: PModel, s: PState) -> Any:
    """Value ranges every reachable state has (a Houdini candidate, checked like any other)."""
    p = pm.p
    parts: list[Any] = []
    for i, e in enumerate(s.eps):
        tw_ok = Or(e.tw <= p.time_wait, e.tw <= p.fin_wait_2)
        parts += E.endpoint_ranges(e, p, tw_ok, pm.sides[i].data)
    for i, ch in enumerate(s.chans):
        parts.append(in_flight(ch, f"dom{i}", lambda x: And(x.age >= 0, x.age < p.msl)))
    return And(*parts)
