"""Houdini (Flanagan and Leino, 2001): the largest inductive subset of the candidate invariants.

The candidates are `encode.state_domain` (value ranges and the channels' canonical form), every
invariant property itself, and the hand-written lemmas of `lemmas.LEMMAS`. Ask Z3 for a
transition from a state satisfying every remaining candidate to one violating some, drop those,
repeat until no such transition exists (see `lemmas` for why a proof needs them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.symbolic import encode as E
from tcpspec.checks.symbolic.lemmas import LEMMAS
from tcpspec.spec.model import Model, World


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
    out: dict[str, Callable[[E.SState], Any]] = {"state_domain": lambda s: E.state_domain(model, s)}
    for p in PROPERTIES.values():
        if p.kind == "invariant":
            out[f"property {p.id}"] = (lambda q: lambda s: q.pred(model, s))(p)
    for lem in LEMMAS:
        out[f"lemma {lem.name}"] = (lambda q: lambda s: q.pred(model, s))(lem)
    return out


def _b(x: Any) -> Any:
    return z3.BoolVal(bool(x)) if isinstance(x, int) else x


def houdini(
    model: Model, timeout_s: float = 120, ctis: list[tuple[list[str], World, World]] | None = None
) -> Induction | None:
    """The largest inductive conjunction of `candidates` (None if Z3 gives up in time).

    ``ctis`` collects, per round, the candidates dropped and the counterexample to induction
    (a state satisfying the rest and its successor): what to read when a lemma is dropped."""
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
        if ctis is not None:
            ctis.append((bad, E.decode(model, zm, s), E.decode(model, zm, s2)))
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
