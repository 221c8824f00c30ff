"""Unbounded proofs by induction from the invariant Houdini finds, else BMC: the three-way
verdict."""

from __future__ import annotations

import time

import z3

from tcpspec.checks.symbolic import encode as E
from tcpspec.checks.symbolic.bmc import bmc_many
from tcpspec.checks.symbolic.verdict import PROVED, Invariant, SymbolicVerdict, SymLabel, _b, _prop
from tcpspec.spec.model import Model

STALE_CERTIFICATE = "the checked-in certificate no longer holds: Houdini was run again"

# -- unbounded proofs --------------------------------------------------------------------------


def prove_by_induction(
    model: Model, prop_ids: list[str], timeout_s: float = 120
) -> dict[str, SymbolicVerdict]:
    """Which of ``prop_ids`` follow from the inductive invariant Houdini finds
    (`houdini`): Inv => P for an invariant, Inv /\\ T => P(step) for an action.
    Properties not implied are left out of the answer."""
    return _induction(model, prop_ids, timeout_s)[0]


def _induction(
    model: Model, prop_ids: list[str], timeout_s: float = 120
) -> tuple[dict[str, SymbolicVerdict], Invariant | None]:
    from tcpspec.checks.symbolic.houdini import houdini

    t0 = time.perf_counter()
    ind = houdini(model, timeout_s)
    out: dict[str, SymbolicVerdict] = {}
    if ind is None:
        return out, None
    s, s2 = E.fresh_state(model, "pi0"), E.fresh_state(model, "pi1")
    step = E.transition(model, s, s2, "pit")
    notes = [
        f"inductive invariant: {', '.join(ind.kept)}",
        f"Houdini: {ind.rounds} rounds, dropped {', '.join(ind.dropped) or 'none'}",
    ]
    for pid in prop_ids:
        p = _prop(pid)
        sol = z3.Solver()
        sol.set("timeout", int(timeout_s * 1000))
        sol.add(ind.inv(s))
        if p.kind == "invariant":
            sol.add(z3.Not(_b(p.pred(model, s))))
        else:
            sol.add(step.formula, z3.Not(_b(p.pred(model, s, SymLabel(step), s2))))
        if sol.check() == z3.unsat:
            out[pid] = SymbolicVerdict(
                pid, PROVED, 0, None, "induction", time.perf_counter() - t0, notes
            )
    return out, ind.inv


def check(
    model: Model,
    prop_ids: list[str],
    depth: int,
    deeper: dict[str, int] | None = None,
    induction: bool = True,
    certificate: list[str] | None = None,
) -> dict[str, SymbolicVerdict]:
    """The Z3 engine's verdict on each property: a proof by induction if one is found, else BMC
    to ``depth`` (or to ``deeper[pid]`` when given: how `verify` makes BMC reach the length of
    a counterexample the explicit engine found).

    With a ``certificate`` (the conjuncts of an inductive invariant found before, see
    `certificate`) it is re-checked in one query first; Houdini runs only if it no longer
    proves every property, and the verdicts say so."""
    t0 = time.perf_counter()
    stale: list[str] = []
    if induction and certificate is not None:
        from tcpspec.checks.symbolic.certificate import recheck

        proved = recheck(model, certificate, prop_ids)
        if proved is not None:
            return proved
        stale = [STALE_CERTIFICATE]
    out, inv = _induction(model, prop_ids) if induction else ({}, None)
    for v in out.values():
        v.notes = stale + v.notes
    rest = {pid: max(depth, (deeper or {}).get(pid, 0)) for pid in prop_ids if pid not in out}
    if rest:
        t1 = time.perf_counter()
        out.update(bmc_many(model, rest, inv))
        for pid in rest:
            out[pid].seconds = time.perf_counter() - t1
            if induction:
                out[pid].notes += [*stale, "no inductive strengthening found among the candidates"]
    for v in out.values():
        if v.method == "induction":
            v.seconds = min(v.seconds, time.perf_counter() - t0)
    return {pid: out[pid] for pid in prop_ids}


def prove(model: Model, prop_id: str, depth: int = 8) -> SymbolicVerdict:
    """The three-way verdict on one property (see `check`)."""
    return check(model, [prop_id], depth)[prop_id]
