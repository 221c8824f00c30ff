"""Proofs for every bound, and refutations as real runs: the Z3 engine's parametric proofs
(`symbolic.every_bound`) orchestrated with the explicit engine, which replays every
counterexample at concrete bounds (so the run shown is a run of the model)."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

import z3

from tcpspec.checks.explicit import explore
from tcpspec.checks.explicit.search import StateLimitExceeded
from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.symbolic import parametric as P
from tcpspec.checks.symbolic.every_bound import (
    CONDITIONS,
    EVERY_DEPTH,
    PROVED,
    PROVED_IF,
    SMALL,
    UNPROVED,
    VIOLATED,
    Condition,
    Invariants,
    Refutation,
    Verdict,
    bmc,
    bound_words,
    bounds_of,
    candidates,
    condition_groups,
    implied,
    induction_cti,
    isn_gap,
    least_time_wait,
    window_condition,
)
from tcpspec.checks.trace import Trace
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, BoundsError


def _explicit(scenario: str, mutant: str | None, pid: str, b: Bounds) -> Trace | None:
    """The explicit engine's shortest counterexample to ``pid`` at ``b`` (None: it holds, or
    the bounds are too large to explore here)."""
    try:
        model = make_model(scenario, b, mutant)
        ex = explore(model, [PROPERTIES[pid]], max_states=400_000, stop_at=[pid])
    except (BoundsError, StateLimitExceeded):
        return None
    v = ex.verdicts.get(pid)
    return v.trace if v is not None and not v.holds else None


def _shown(scenario: str, mutant: str | None, b: Bounds, method: str, trace: Trace) -> Refutation:
    """A run at ``b``, its bounds in words as the model reads them (``short-time-wait``: a
    TIME-WAIT of MSL)."""
    return Refutation(b, method, trace, bound_words(make_model(scenario, b, mutant).p))


def refute(scenario: str, mutant: str | None, pid: str, depth: int) -> Refutation | None:
    """A real run violating ``pid``: BMC over symbolic bounds finds bounds that show one, and
    the explicit engine's counterexample at the least bounds at or below them (capacity 2,
    else 3) is the run shown. When BMC finds nothing within ``depth``, the explicit engine
    searches small bounds (each up to `SMALL`), smallest first."""
    pm = P.parametric(scenario, mutant)
    found = bmc(pm, pid, depth)
    if found is not None:
        k, values = found
        points = _at_or_below(values, pm.data_fixed)
        for b in points:
            for capacity in (2, 3):
                trace = _explicit(scenario, mutant, pid, replace(b, capacity=capacity))
                if trace is not None:
                    how = f"bmc over symbolic bounds ({k} steps"
                    if b != points[-1]:
                        found_at = make_model(scenario, points[-1], mutant).p
                        how += " at " + bound_words(found_at).split(", ", 1)[1]
                    b = replace(b, capacity=capacity)
                    return _shown(scenario, mutant, b, how + "), replayed", trace)
    grid = sorted(
        (msl + rto + retries + data, msl, rto, retries, data)
        for msl in range(1, SMALL + 1)
        for rto in range(1, SMALL + 1)
        for retries in range(SMALL + 1)
        for data in ((0, 1) if pm.data_fixed is None else (0,))
    )
    for _, msl, rto, retries, data in grid:
        b = Bounds(msl=msl, rto=rto, retries=retries, data=data)
        trace = _explicit(scenario, mutant, pid, b)
        if trace is not None:
            return _shown(scenario, mutant, b, "explicit search over small bounds", trace)
    return None


#: Each bound's least value (`Params.domain`).
_LEAST = {"msl": 1, "rto": 1, "retries": 0, "time_wait": 1, "window": 1, "data": 0}


def _at_or_below(values: dict[str, int], data_fixed: int | None) -> list[Bounds]:
    """Every set of bounds at or below ``values`` (each free bound from its least value up to
    its value there; the others as BMC left them), the smallest first, ``values`` last."""
    names = list(values)
    points = itertools.product(*[range(_LEAST[n], values[n] + 1) for n in names])
    ordered = sorted(points, key=lambda xs: (sum(xs), xs))
    fixed = {} if data_fixed is None else {"data": data_fixed}  # (the scenario's, in words too)
    return [bounds_of({**dict(zip(names, xs, strict=True)), **fixed}) for xs in ordered]


def check(
    scenario: str,
    prop_ids: list[str],
    mutant: str | None = None,
    depth: int = EVERY_DEPTH,
    certificates: bool = True,
    searches: bool = True,
) -> list[Verdict]:
    """Each property of ``prop_ids`` in ``scenario`` (and ``mutant``), for every bound: proved
    from the invariant (a certificate, or Houdini's); for a mutant, else refuted by a real run
    (`refute`); else proved under the property's conditions (`CONDITIONS`: each a proof of its
    own), with the run one tick below them (`below`); else refuted; else not proved, with the
    candidates that were not inductive and a counterexample to induction. ``searches`` false:
    the proofs only (no run below a condition, no refutation, no counterexample to induction:
    what `tcpspec verify --every-bound` re-checks in seconds)."""
    pm = P.parametric(scenario, mutant)
    invs = Invariants(pm, scenario, certificates and mutant is None)
    out = []
    for pid in prop_ids:
        t0 = time.perf_counter()
        kept, method, _ = invs.get(None)
        if implied(pm, kept, pid):
            out.append(Verdict(pid, scenario, PROVED, time.perf_counter() - t0, method, {"": kept}))
            continue
        refutation = refute(scenario, mutant, pid, depth) if mutant and searches else None
        groups = condition_groups(pid, scenario, pm.sides) if refutation is None else []
        proved_if = None
        for words, conds in groups:
            proofs, how = {}, method
            for cond in conds:
                if not satisfiable(pm, cond):
                    break  # (no bounds meet it: a proof under it would say nothing)
                kept_c, method_c, _ = invs.get(cond)
                if not implied(pm, kept_c, pid, cond.term(pm.p)):
                    break
                proofs[cond.name] = kept_c
                how = "houdini" if method_c == "houdini" else how
            else:
                proved_if = words, proofs
                method = how
                break
        if proved_if is not None:
            words, proofs = proved_if
            w = window_condition(scenario, pm.sides)
            windowed = w is not None and any(w.name in n.split("+") for n in proofs)
            shown = None
            if searches:  # the run just beyond the condition: TIME-WAIT one tick less, else
                # the window one unit wider
                shown = below(scenario, mutant, pid) if pid in CONDITIONS else None
                if shown is None and windowed:
                    shown = wider(scenario, mutant, pid)
            out.append(
                Verdict(pid, scenario, PROVED_IF, time.perf_counter() - t0, method, proofs, words,
                        refutation=shown)
            )  # fmt: skip
            continue
        if searches and mutant is None:  # (a mutant's refutation was looked for above)
            # not proved even where TIME-WAIT is long enough: a run there would refute the
            # formula; one below it refutes nothing new
            refutation = (
                below(scenario, mutant, pid, ticks=0)
                if pid in CONDITIONS
                else refute(scenario, mutant, pid, depth)
            )
        if refutation is not None:
            secs = time.perf_counter() - t0
            kind = "bmc" if refutation.method.startswith("bmc") else "explicit"
            out.append(Verdict(pid, scenario, VIOLATED, secs, kind, refutation=refutation))
            continue
        cands, _ = candidates(pm)
        bad = sorted(n for n in cands if n not in kept)  # what Houdini found not inductive
        out.append(
            Verdict(
                pid, scenario, UNPROVED, time.perf_counter() - t0, method,
                {"": kept}, not_inductive=bad, depth=depth,
                cti=induction_cti(pm, kept, pid) if searches else None,
            )
        )  # fmt: skip
    for v in out:
        v.notes = list(invs.notes)
    return out


def satisfiable(pm: P.PModel, cond: Condition) -> bool:
    """Do some bounds meet ``cond`` (with what every set of bounds satisfies)?"""
    sol = z3.Solver()
    sol.add(pm.domain(), cond.term(pm.p))
    return bool(sol.check() == z3.sat)


def proves_at(v: Verdict, b: Bounds) -> bool:
    """Does verdict ``v`` prove its property at the bounds ``b`` (proved for every bound, or
    under a condition that these bounds satisfy)?"""
    if v.status == PROVED:
        return True
    if v.status != PROVED_IF:
        return False
    r = b.resolved()
    p = P.Params(*[z3.IntVal(getattr(r, f)) for f in P.PARAMS])
    conds = {c.name: c for _, cs in condition_groups(v.property_id, v.scenario) for c in cs}
    return any(z3.is_true(z3.simplify(conds[n].term(p))) for n in v.invariant if n in conds)


def wider(scenario: str, mutant: str | None, pid: str) -> Refutation | None:
    """The explicit engine's run violating ``pid`` with the window one unit wider than
    `window_condition` allows, at the smallest MSL, RTO and retry count (adding up to at most
    `SMALL` + 1) where the scenario shows it (None: none there; the condition may be more than
    the property needs)."""
    gap = isn_gap(scenario, P.parametric(scenario, mutant).sides)
    if gap is None:
        return None
    width = gap + 1  # (`window_condition`: window <= gap)
    points = sorted(
        (msl + rto + retries, msl, rto, retries)
        for msl in range(1, SMALL + 1)
        for rto in range(1, SMALL + 1)
        for retries in range(SMALL + 1)
    )
    for total, msl, rto, retries in points:
        if total > SMALL + 1:  # (a wide window makes each run slow: the smallest points only)
            break
        # (TIME-WAIT long enough, where the property has that condition too)
        tw = least_time_wait(pid, msl, rto, retries) if pid in CONDITIONS else 0
        b = Bounds(msl=msl, rto=rto, retries=retries, window=width, time_wait=tw)
        trace = _explicit(scenario, mutant, pid, b)
        if trace is not None:
            return _shown(scenario, mutant, b, "explicit, the window one unit wider", trace)
    return None


def below(scenario: str, mutant: str | None, pid: str, ticks: int = 1) -> Refutation | None:
    """The explicit engine's run violating ``pid`` with TIME-WAIT ``ticks`` below the least the
    conditions allow (1: the condition is needed; 0: the condition is wrong), at the smallest
    bounds (each up to `SMALL`) where the scenario shows it; first where that TIME-WAIT is at
    least 2*MSL (so the run shows that 2*MSL is not always enough)."""
    most = SMALL if ticks else SMALL - 1  # (at the condition nothing is expected: look less)
    points = sorted(
        (least_time_wait(pid, msl, rto, retries) - 1 < 2 * msl, msl + rto + retries, msl, rto,
         retries)
        for msl in range(1, most + 1)
        for rto in range(1, most + 1)
        for retries in range(most + 1)
    )  # fmt: skip
    how = "one tick below the condition" if ticks else "at the condition"
    for *_, msl, rto, retries in points:
        tw = least_time_wait(pid, msl, rto, retries) - ticks
        if tw < 1:
            continue
        b = Bounds(msl=msl, rto=rto, retries=retries, time_wait=tw, data=0)
        trace = _explicit(scenario, mutant, pid, b)
        if trace is not None:
            return _shown(scenario, mutant, b, f"explicit, {how}", trace)
    return None
