"""Unbounded proofs for the Z3 engine: induction strengthened by lemmas, filtered by Houdini.

A safety property P is rarely inductive on its own: some state that satisfies P but is not
reachable has a successor that violates it, so induction on P alone fails. The proof needs an
invariant Inv with

    Init => Inv,        Inv(s) /\\ T(s, s') => Inv(s'),        Inv => P

(for an action property: Inv(s) /\\ T(s, s') => P(s, step, s')). Then P holds after any number
of steps. Inv is the conjunction of the candidates below that survive Houdini (Flanagan and
Leino, 2001): ask Z3 for a transition from a state satisfying every remaining candidate to one
violating some, drop those, repeat until no such transition exists. The survivors are the
largest inductive subset of the candidates; a candidate that is false in some scenario or
mutant is simply dropped there, so the lemmas need not hold everywhere. Every check is Z3's,
over T compiled from `spec/` (`checks.symbolic_encode`): nothing here trusts the explicit engine.

The candidates are `symbolic_encode.state_domain` (value ranges and the channels' canonical
form), every invariant property itself, and the hand-written lemmas of `LEMMAS`, each stated
with the reason the proof needs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from checks import symbolic_encode as E
from checks.properties import PROPERTIES
from spec.logic import And, Implies, In, Not
from spec.model import Model
from spec.states import FIN_SENT, Reason
from spec.states import State as S


@dataclass(frozen=True)
class Lemma:
    """A hand-written strengthening invariant: a candidate for Houdini."""

    name: str
    why: str
    pred: Callable[[Model, E.SState], Any]


def _per_side(f: Callable[[Model, int, Any], Any]) -> Callable[[Model, E.SState], Any]:
    return lambda m, s: And(*[f(m, i, s.eps[i]) for i in (0, 1)])


def _no_stale(m: Model, s: E.SState) -> Any:
    slots = [sl for ch in s.chans for sl in ch]
    return And(*[Implies(sl.present, Not(sl.seg.stale)) for sl in slots],
               *[Not(e.tainted) for e in s.eps], *[Not(e.stale_data) for e in s.eps],
               *[Not(e.stray_kept) for e in s.eps])


def _never_closes(m: Model, i: int, e: Any) -> Any:
    if m.sides[i].closes:
        return True
    return And(Not(In(e.st, FIN_SENT)), e.reason != Reason.NORMAL)


def _never_opens(m: Model, s: E.SState) -> Any:
    parts = []
    for i, e in enumerate(s.eps):
        if m.sides[i].active or m.sides[i].passive:
            continue
        bare_rst = [Implies(sl.present, And(sl.seg.rst, Not(sl.seg.syn), Not(sl.seg.fin),
                                            sl.seg.dlen == 0)) for sl in s.chans[i]]
        parts += [e.st == S.CLOSED, e.reason == Reason.NONE, Not(s.eps[1 - i].rcvd_syn),
                  *bare_rst]
    return And(*parts)


LEMMAS: tuple[Lemma, ...] = (
    Lemma("syn_sent.sequence_numbers",
          "handshake.three_messages: in SYN-SENT nothing but our SYN was sent (SND.UNA = ISS, "
          "SND.NXT = ISS+1), so an acceptable ACK (SND.UNA < SEG.ACK) acknowledges our SYN; "
          "without this, induction considers SYN-SENT states with SND.UNA below ISS, where an "
          "ACK of something else would let the side become ESTABLISHED.",
          _per_side(lambda m, i, e: Implies(e.st == S.SYN_SENT, And(
              e.snd_una == m.sides[i].iss, e.snd_nxt == m.sides[i].iss + 1))),
    ),
    Lemma("syn_received.got_syn",
          "handshake.three_messages: SYN-RECEIVED is entered only on a SYN (so the peer's SYN "
          "was received) and keeps SND.UNA = ISS, so the ACK that moves it to ESTABLISHED "
          "acknowledges our SYN. Induction alone would start from SYN-RECEIVED states that "
          "never saw a SYN.",
          _per_side(lambda m, i, e: Implies(e.st == S.SYN_RECEIVED, And(
              e.rcvd_syn, e.snd_una == m.sides[i].iss)))),
    Lemma("no_old_incarnation",
          "handshake.stale_syn_rejected, isn.old_segment_rejected: where no segment of an "
          "earlier incarnation is in flight initially, none ever is (only a connection a stale "
          "segment made sends stale segments), so the ghosts stay false. Induction alone "
          "would start from a state with a stale segment in flight. (False in the stale-* "
          "scenarios: Houdini drops it there.)",
          _no_stale),
    Lemma("normal_end_was_synchronized",
          "the closing properties: a side reports a normal close only from LAST-ACK or "
          "TIME-WAIT, both synchronized, and the handshake ghosts never go back to false; "
          "induction alone would consider a side CLOSED normally that never saw a SYN.",
          _per_side(lambda m, i, e: Implies(e.reason == Reason.NORMAL,
                                            And(e.rcvd_syn, e.rcvd_ack_of_syn)))),
    Lemma("application_never_closes",
          "the closing properties, where an application never calls CLOSE (handshake): that "
          "side never sends a FIN, so it is never in a FIN-sent state and never ends "
          "normally; induction alone would start from it in LAST-ACK.",
          _per_side(_never_closes)),
    Lemma("peer_never_opens",
          "every property, where one side never opens (refused): it stays CLOSED and only "
          "ever sends bare RSTs, so the other side never receives a SYN (hence, by the "
          "handshake lemmas, never synchronizes); induction alone would let a SYN appear in "
          "its channel.",
          _never_opens),
)


@dataclass
class Induction:
    """The outcome of Houdini on one model: the inductive invariant found and what it cost."""

    kept: list[str]
    dropped: list[str]
    rounds: int
    seconds: float
    inv: Callable[[E.SState], Any] = field(repr=False, default=lambda s: True)


def candidates(model: Model) -> dict[str, Callable[[E.SState], Any]]:
    """Every candidate conjunct, by name (sorted, so runs are deterministic)."""
    out: dict[str, Callable[[E.SState], Any]] = {
        "state_domain": lambda s: E.state_domain(model, s)}
    for p in PROPERTIES.values():
        if p.kind == "invariant":
            out[f"property {p.id}"] = (lambda q: lambda s: q.pred(model, s))(p)
    for lem in LEMMAS:
        out[f"lemma {lem.name}"] = (lambda q: lambda s: q.pred(model, s))(lem)
    return out


def _b(x: Any) -> Any:
    return z3.BoolVal(bool(x)) if isinstance(x, int) else x


def houdini(model: Model, timeout_s: float = 120) -> Induction | None:
    """The largest inductive conjunction of `candidates` (None if Z3 gives up in time)."""
    t0 = time.perf_counter()
    cands = candidates(model)
    s, s2 = E.fresh_state(model, "hi0"), E.fresh_state(model, "hi1")
    init = E.from_world(model, model.initial())
    # Init => candidate: concrete evaluation is exact here (spec.logic on plain values).
    # a lemma about sides this scenario does not have is the constant True: leave it out
    names = [n for n in sorted(cands) if not (isinstance(cands[n](s), bool) and cands[n](s))]
    alive = [n for n in names if _holds_concretely(cands[n](init))]
    dropped = [n for n in names if n not in alive]
    sol = z3.Solver()
    sol.set("timeout", int(timeout_s * 1000))
    sol.add(E.transition(model, s, s2, "ht").formula)
    lits = {n: z3.Bool(f"houdini {n}") for n in alive}
    pre = {n: _b(cands[n](s)) for n in alive}
    post = {n: _b(cands[n](s2)) for n in alive}
    for n in alive:
        sol.add(z3.Implies(lits[n], pre[n]))
    rounds = 0
    while alive:
        rounds += 1
        sol.push()
        sol.add(z3.Or(*[z3.Not(post[n]) for n in alive]))
        r = sol.check([lits[n] for n in alive])
        if r == z3.unknown:
            return None
        if r == z3.unsat:
            sol.pop()
            break
        zm = sol.model()
        bad = [n for n in alive if not z3.is_true(zm.eval(post[n], model_completion=True))]
        sol.pop()
        alive = [n for n in alive if n not in bad]
        dropped += bad
    kept = list(alive)

    def inv(st: E.SState) -> Any:
        return z3.And(True, *[_b(cands[n](st)) for n in kept])

    return Induction(kept, sorted(dropped), rounds, time.perf_counter() - t0, inv)


def _holds_concretely(x: Any) -> bool:
    if isinstance(x, int):
        return bool(x)
    return bool(z3.is_true(z3.simplify(x)))
