"""Proofs for every bound: Houdini on the parametric model (`parametric`).

The candidates are the same as at fixed bounds (`houdini`): the value ranges (here over the
symbolic bounds, `parametric.domain`), every invariant property, and every lemma of
`lemmas.LEMMAS`, each lifted to the parametric state by quantifying over the segments in flight
(`parametric.lifted`). A candidate survives when Z3 shows, for *every* value of the bounds that
`Params.domain` allows (and the condition a property is proved under), that the initial state
satisfies it and that no step from a state satisfying every survivor violates it. Each
candidate is checked on its own query (a disjunction of all of them is much harder for Z3's
quantifier instantiation); a candidate Z3 cannot decide in time is dropped, never kept. Each
query is asked first with the quantifiers instantiated by hand at the segments the step touches
(`instances`: quantifier-free, a fraction of a second, and an "unsat" there is a proof), and
only otherwise with the quantifiers.

What survives is an inductive invariant of the parametric model, so of every bounded model: a
property it implies holds at every capacity, MSL, RTO, retry count, TIME-WAIT, FIN-WAIT-2
timeout, window and amount of data. The names of the survivors are a *certificate*: one query
(`recheck`) confirms them without running Houdini again.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import z3

from tcpspec.checks.properties import CHECKED, PROPERTIES
from tcpspec.checks.symbolic import instances as I
from tcpspec.checks.symbolic import lemmas as L
from tcpspec.checks.symbolic import parametric as P
from tcpspec.checks.symbolic.verdict import SymLabel
from tcpspec.checks.trace import Trace
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.model import Bounds, Side
from tcpspec.spec.scenarios import SCENARIOS
from tcpspec.spec.states import Reason, State

#: How long Z3 may think about one candidate in one round (seconds).
QUERY_TIMEOUT = 10.0

Candidate = Callable[[P.PState], Any]


def candidates(pm: P.PModel) -> tuple[dict[str, Candidate], list[str]]:
    """Every candidate conjunct by name, and the lemmas that cannot be stated over symbolic
    bounds (they test a bound in Python: stated only where the scenario fixes it)."""
    key = ("candidates", id(pm))
    if key not in _MADE:
        _MADE[key] = (pm, _candidates(pm))
    return _MADE[key][1]


#: Terms already made for a model (its candidates, its unrolled step): making them again costs
#: more than the queries. Keyed by the model's id, which the entry keeps alive.
_MADE: dict[tuple[str, int], tuple[P.PModel, Any]] = {}


def _candidates(pm: P.PModel) -> tuple[dict[str, Candidate], list[str]]:
    out: dict[str, Candidate] = {"domain": lambda s: P.domain(pm, s)}
    for p in CHECKED:
        if p.kind == "invariant":
            out[f"property {p.id}"] = (lambda q: lambda s: q.pred(pm, s))(p)
    probe = P.fresh_state("probe")
    unstated = []
    for lem in L.LEMMAS:
        f = P.lifted(lem.pred, pm, f"lemma_{lem.name}")
        try:
            f(probe)
        except (z3.Z3Exception, TypeError):
            unstated.append(lem.name)
            continue
        out[f"lemma {lem.name}"] = f
    return out, unstated


@dataclass
class Cti:
    """A counterexample to induction: a state satisfying the other candidates, a step, and the
    successor that violates the candidate (at the bounds Z3 chose)."""

    bounds: dict[str, int]
    move: str
    before: tuple[Endpoint, Endpoint]
    after: tuple[Endpoint, Endpoint]

    def text(self) -> str:
        b = ", ".join(f"{k}={v}" for k, v in self.bounds.items())

        def st(eps: tuple[Endpoint, Endpoint]) -> str:
            return ", ".join(f"{e.st.name}" for e in eps)

        return f"at {b}: ({st(self.before)}) --{self.move}--> ({st(self.after)})"


@dataclass
class Houdini:
    """The survivors (the inductive invariant), what was dropped and why, the cost."""

    kept: list[str]
    dropped: list[str]
    unstated: list[str]
    rounds: int
    seconds: float
    ctis: dict[str, Cti] = field(default_factory=dict)  # dropped in induction: one CTI


def _b(x: Any) -> Any:
    return z3.BoolVal(bool(x)) if isinstance(x, bool | int) else x


def _solver() -> z3.Solver:
    sol = z3.Solver()
    sol.set("timeout", int(QUERY_TIMEOUT * 1000))
    return sol


def houdini(pm: P.PModel, condition: Any = True, facts: list[str] | None = None) -> Houdini:
    """The largest inductive subset of `candidates`, for every value of the bounds satisfying
    `PModel.domain` and ``condition``. ``facts``: candidates already known to form an inductive
    invariant with no condition (so with any): assumed, not checked again (what an invariant
    for every bound needs is only more lemmas under a condition, never fewer)."""
    t0 = time.perf_counter()
    cands, unstated = candidates(pm)
    known = [n for n in (facts or []) if n in cands]
    names = [n for n in sorted(cands) if n not in known]
    dropped: list[str] = []
    init = P.initial(pm)
    alive: list[str] = []
    for n in names:
        sol = _solver()
        sol.add(pm.domain(), condition, z3.Not(_b(cands[n](init))))
        (alive if sol.check() == z3.unsat else dropped).append(n)
    lits = {n: z3.Bool(f"houdini {n}") for n in alive}
    q = _Inductive(
        pm,
        condition,
        lambda s: [(None, cands[n](s)) for n in known] + [(lits[n], cands[n](s)) for n in alive],
        "h",
    )
    ctis: dict[str, Cti] = {}
    rounds = 0
    while True:
        rounds += 1
        bad = []
        for n in alive:
            r, zm = q.preserved(cands[n], [lits[k] for k in alive])
            if r != z3.unsat:
                bad.append(n)
                if zm is not None:
                    ctis[n] = _cti(pm, zm, q.s, q.s2, q.step)
        if not bad:
            break
        alive = [n for n in alive if n not in bad]
        dropped += bad
    kept = sorted([*known, *alive])
    return Houdini(kept, sorted(dropped), unstated, rounds, time.perf_counter() - t0, ctis)


#: Fresh solvers (random seeds) to try on a query the incremental one gave up on: Z3's
#: quantifier instantiation is sensitive to its search order, and a query one order finds hard
#: another often settles at once.
SEEDS = (1, 2, 3)


def _again(assertions: Any, assumptions: list[Any]) -> tuple[Any, z3.ModelRef | None]:
    """The query asked of fresh solvers, one seed after another: its answer and, if it is
    satisfiable, the model."""
    for seed in SEEDS:
        sol = _solver()
        sol.set("random_seed", seed)
        sol.add(assertions)
        r = sol.check(*assumptions)
        if r != z3.unknown:
            return r, sol.model() if r == z3.sat else None
    return z3.unknown, None


def invariant(pm: P.PModel, kept: list[str]) -> Candidate:
    """The conjunction of the candidates ``kept`` (its quantifiers merged: `instances.conjoin`)."""
    cands, _ = candidates(pm)
    return lambda s: z3.And(True, *I.conjoin([(None, cands[n](s)) for n in kept]))


def implied(pm: P.PModel, kept: list[str], pid: str, condition: Any = True) -> bool:
    """Does the invariant ``kept`` prove property ``pid`` (Inv => P; for an action property
    Inv /\\ T => A) for every value of the bounds?"""
    p = PROPERTIES[pid]
    if p.kind == "invariant":
        if f"property {pid}" in kept:
            return True  # a conjunct of the invariant
        s = P.fresh_state("i0")
        sol = _solver()
        sol.add(pm.domain(), condition, invariant(pm, kept)(s), z3.Not(_b(p.pred(pm, s))))
        return bool(sol.check() == z3.unsat)
    cands, _ = candidates(pm)
    q = _Inductive(pm, condition, lambda s: [(None, cands[n](s)) for n in kept], "i")
    return q.follows(p.pred(pm, q.s, SymLabel(q.step), q.s2))[0] == z3.unsat


def recheck(
    pm: P.PModel, kept: list[str], condition: Any = True, facts: list[str] | None = None
) -> bool:
    r"""Is ``kept`` (a certificate) an inductive invariant for every value of the bounds
    (satisfying ``condition``)? One query per conjunct, on one solver that holds Inv /\ T.
    ``facts``: conjuncts already re-checked with no condition (not asked again)."""
    cands, _ = candidates(pm)
    if any(n not in cands for n in kept):
        return False
    known = [n for n in (facts or []) if n in kept]
    ask = [n for n in kept if n not in known]
    init = P.initial(pm)
    sol = _solver()
    sol.add(pm.domain(), condition, z3.Not(z3.And(True, *[_b(cands[n](init)) for n in ask])))
    if sol.check() != z3.unsat:
        return False
    q = _Inductive(pm, condition, lambda s: [(None, cands[n](s)) for n in kept], "r")
    return all(q.preserved(cands[n])[0] == z3.unsat for n in ask)


class _Inductive:
    r"""Inv(s) /\ T(s, s') (and the bounds' domain and ``condition``), to ask of a candidate C
    whether C(s') follows. Two solvers: one with Inv's quantifiers instantiated at the terms
    the step touches (`instances`: quantifier-free, fast and steady), asked first, whose
    "unsat" is a proof; and one with the quantifiers, asked only when the first cannot refute
    (its answers and models are the ones used)."""

    def __init__(
        self,
        pm: P.PModel,
        condition: Any,
        hyps: Callable[[P.PState], list[tuple[Any, Any]]],
        tag: str,
    ) -> None:
        key = (tag, id(pm))
        if key not in _MADE:
            s, s2 = P.fresh_state(f"{tag}0"), P.fresh_state(f"{tag}1")
            _MADE[key] = (pm, (s, s2, P.transition(pm, s, s2, f"{tag}t")))
        self.s, self.s2, self.step = _MADE[key][1]
        self.w = I.Witnesses.fresh(tag)
        taken = [m.taken for m in self.step.moves if m.taken is not None]
        self.base = [pm.domain(), condition, self.step.formula]
        self.hyps = I.conjoin(hyps(self.s))
        self.ground = _solver()
        self.ground.add(*self.base, *I.ground(self.hyps, I.terms(self.w, taken)))
        self._full: z3.Solver | None = None

    def full(self) -> z3.Solver:
        if self._full is None:
            self._full = _solver()
            self._full.add(*self.base, *self.hyps)
        return self._full

    def preserved(
        self, cand: Candidate, assumptions: list[Any] | None = None
    ) -> tuple[Any, z3.ModelRef | None]:
        """Does ``cand`` hold after every step from Inv? unsat: yes; otherwise the answer
        with its quantifiers and, when sat, the model (a counterexample to induction)."""
        return self.follows(cand(self.s2), assumptions)

    def follows(
        self, goal: Any, assumptions: list[Any] | None = None
    ) -> tuple[Any, z3.ModelRef | None]:
        """Does ``goal`` (a formula over ``s``, the step and ``s2``) follow? As `preserved`."""
        goal, lits = _b(goal), assumptions or []
        self.ground.push()
        self.ground.add(z3.Not(I.skolemized(goal, self.w)))
        r = self.ground.check(*lits)
        self.ground.pop()
        if r == z3.unsat:
            return r, None
        sol = self.full()
        sol.push()
        sol.add(z3.Not(goal))
        r = sol.check(*lits)
        zm = sol.model() if r == z3.sat else None
        if r == z3.unknown:
            r, zm = _again(sol.assertions(), lits)
        sol.pop()
        return r, zm


def induction_cti(pm: P.PModel, kept: list[str], pid: str) -> Cti | None:
    """A counterexample to induction of invariant property ``pid`` relative to ``kept``: a
    state satisfying both whose successor violates ``pid`` (None: there is none, or Z3 gave
    up)."""
    p = PROPERTIES[pid]
    s, s2 = P.fresh_state("c0"), P.fresh_state("c1")
    step = P.transition(pm, s, s2, "ct")
    sol = _solver()
    sol.add(pm.domain(), invariant(pm, kept)(s), step.formula)
    if p.kind == "invariant":
        sol.add(_b(p.pred(pm, s)), z3.Not(_b(p.pred(pm, s2))))
    else:
        sol.add(z3.Not(_b(p.pred(pm, s, SymLabel(step), s2))))
    small = z3.And(True, *[t <= SMALL for t in _free(pm).values()])
    for extra in (small, z3.BoolVal(True)):
        sol.push()
        sol.add(extra)
        if sol.check() == z3.sat:
            return _cti(pm, sol.model(), s, s2, step)
        sol.pop()
    return None


def _cti(pm: P.PModel, zm: z3.ModelRef, s: P.PState, s2: P.PState, step: Any) -> Cti:
    def val(t: Any) -> int:
        v = zm.eval(t, model_completion=True)
        return int(z3.is_true(v)) if z3.is_bool(v) else int(v.as_long())

    def ep(e: Endpoint) -> Endpoint:
        d = {f: val(getattr(e, f)) for f in Endpoint._fields}
        d["st"] = State(d["st"]) if d["st"] in set(State) else State.CLOSED
        d["reason"] = Reason(d["reason"]) if d["reason"] in set(Reason) else Reason.NONE
        return Endpoint(**d)  # type: ignore[arg-type]

    p = pm.p
    bounds = {n: val(getattr(p, n)) for n in P.PARAMS if z3.is_expr(getattr(p, n))}
    k = val(step.selector)
    mv = step.moves[k] if 0 <= k < len(step.moves) else None
    move = "?" if mv is None else mv.kind
    if mv is not None:
        fired = [
            c for c, g in mv.fired.items() if z3.is_true(zm.eval(_b(g), model_completion=True))
        ]
        if fired:
            move += f" [{', '.join(fired)}]"
    return Cti(bounds, move, (ep(s.eps[0]), ep(s.eps[1])), (ep(s2.eps[0]), ep(s2.eps[1])))


# -- what is proved, under which condition ------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A condition on the bounds under which a property is proved (``words`` say it)."""

    name: str
    words: str
    term: Callable[[P.Params], Any]

    def both(self, other: Condition) -> Condition:
        """This condition and ``other``."""
        return Condition(
            f"{self.name}+{other.name}",
            f"{self.words} and {other.words}",
            lambda p: z3.And(self.term(p), other.term(p)),
        )


#: The least TIME-WAIT that keeps timewait.covers_fin_retransmit is the smaller of two: one
#: that outlasts every retransmission of the peer's FIN, one that outlasts the lifetime of
#: everything that could still arrive. Each is proved on its own (a disjunction of conditions
#: is two proofs).
TIME_WAIT_FORMULA = "min(RTO*(retries+1)+1, max(MSL+RTO*retries, 2*MSL-1))"
CONDITIONS: dict[str, tuple[Condition, ...]] = {
    "timewait.covers_fin_retransmit": (
        Condition(
            "outlasts-retransmissions",
            "TIME-WAIT >= RTO*(retries+1)+1",
            lambda p: p.time_wait >= p.rto * (p.retries + 1) + 1,
        ),
        Condition(
            "outlasts-lifetimes",
            "TIME-WAIT >= max(MSL+RTO*retries, 2*MSL-1)",
            lambda p: z3.And(
                p.time_wait >= p.msl + p.rto * p.retries, p.time_wait >= 2 * p.msl - 1
            ),
        ),
    ),
}
#: What the conditions of `CONDITIONS` add up to, in words.
CONDITION_WORDS = {"timewait.covers_fin_retransmit": f"TIME-WAIT >= {TIME_WAIT_FORMULA}"}


def window_condition(scenario: str, sides: tuple[Side, Side] | None = None) -> Condition | None:
    """Where an earlier incarnation's segments are in flight (``stale``): the receive window
    must not reach from its ISN to this one's, or a segment of the new connection falls into
    the window of a connection opened by an old SYN (RFC 9293 3.4.1 chooses ISNs so that they
    do not overlap). ``sides``: the model's (a mutant may change the ISNs), else the
    scenario's. None: no earlier incarnation, or no window (at least 1) stays below the
    distance (a condition no bounds meet would prove anything)."""
    gap = isn_gap(scenario, sides)
    if gap is None or gap < 1:
        return None
    return Condition(
        "window-below-the-isn-gap",
        f"window <= {gap} (ISS minus the earlier incarnation's ISS)",
        lambda p: p.window <= gap,
    )


def isn_gap(scenario: str, sides: tuple[Side, Side] | None = None) -> int | None:
    """The least distance from an earlier incarnation's ISN to this one's (``sides``: the
    model's, else the scenario's); None where no earlier incarnation is in flight."""
    sc = SCENARIOS[scenario]
    if not sc.stale:
        return None
    return min(s.iss - s.old_iss for s in (sides or (sc.client, sc.server)))


def scenario_conditions(scenario: str) -> dict[str, Condition]:
    """Every condition a safety property may be proved under in ``scenario``, by name."""
    safety = [p.id for p in CHECKED if p.kind in ("invariant", "action")]
    return {c.name: c for pid in safety for _, cs in condition_groups(pid, scenario) for c in cs}


def condition_groups(
    pid: str, scenario: str, sides: tuple[Side, Side] | None = None
) -> list[tuple[str, tuple[Condition, ...]]]:
    """The conditions ``pid`` may be proved under in ``scenario``, weakest first: each group is
    its words and its alternatives (each a proof of its own; the group holds where one does)."""
    tw = CONDITIONS.get(pid, ())
    groups = [(CONDITION_WORDS[pid], tw)] if tw else []
    w = window_condition(scenario, sides)
    if w is not None:
        both = tuple(c.both(w) for c in tw) or (w,)
        words = f"{CONDITION_WORDS[pid]} and {w.words}" if tw else w.words
        groups.append((words, both))
    return groups


PROVED, PROVED_IF, UNPROVED, VIOLATED = "proved", "proved-if", "unproved", "violated"
#: The bounds a proof for every bound covers, in words.
EVERY = "every capacity, MSL, RTO, retry count and amount of data"
#: Where small counterexamples are looked for: each bound up to this (BMC, explicit search).
SMALL = 3


@dataclass
class Refutation:
    """A violation shown as a real run: the least bounds found, how, and the explicit engine's
    counterexample at those bounds."""

    bounds: Bounds
    method: str
    trace: Trace
    words: str = ""  # the bounds as the model reads them (a mutant may change one), in words

    def at(self) -> str:
        return self.words or bound_words(self.bounds)


@dataclass
class Verdict:
    """One property in one scenario, for every bound: ``proved`` (for every bound), ``proved-if``
    (for every bound satisfying ``condition``), ``unproved`` (the invariant does not imply it:
    ``not_inductive`` names the candidates dropped, ``cti`` one counterexample to induction) or
    ``violated`` (``refutation``: a real run)."""

    property_id: str
    scenario: str
    status: str
    seconds: float
    method: str  # "certificate" | "houdini" (and "bmc" | "explicit" for a refutation)
    invariant: dict[str, list[str]] = field(default_factory=dict)  # condition name -> kept
    condition: str = ""
    not_inductive: list[str] = field(default_factory=list)
    cti: Cti | None = None
    refutation: Refutation | None = None
    depth: int = 0  # how deep BMC over symbolic bounds looked, when nothing was found
    notes: list[str] = field(default_factory=list)  # e.g. a certificate no longer held

    def describe(self) -> str:
        if self.status == PROVED:
            return f"proved for {EVERY}"
        if self.status == PROVED_IF:
            return f"proved for {EVERY} where {self.condition}"
        if self.status == VIOLATED and self.refutation is not None:
            return f"violated at {self.refutation.at()}"
        return "not proved for every bound"


def bound_words(b: Bounds) -> str:
    r = b.resolved(limits=False)
    window = f", window {r.window}" if r.window != Bounds().window else ""
    return (
        f"capacity {r.capacity}, MSL {r.msl}, RTO {r.rto}, retries {r.retries}, "
        f"TIME-WAIT {r.time_wait}, data {r.data}{window}"
    )


# -- refutation: BMC over symbolic bounds, replayed at concrete bounds --------------------------

_NAMES = ("msl", "rto", "retries", "time_wait", "window", "data")


def _free(pm: P.PModel) -> dict[str, Any]:
    """The bounds that are free constants in ``pm`` (a mutant may tie one to another)."""
    out = {}
    for n in _NAMES:
        t = getattr(pm.p, n)
        if P.is_own(t) and str(t) == n.upper() and not (n == "data" and pm.data_fixed is not None):
            out[n] = t
    return out


def _violation(pm: P.PModel, pid: str, s: P.PState, step: Any, s2: P.PState) -> Any:
    p = PROPERTIES[pid]
    if p.kind == "invariant":
        return z3.Not(_b(p.pred(pm, s2)))
    return z3.Not(_b(p.pred(pm, s, SymLabel(step), s2)))


#: BMC over symbolic bounds: the first `SHALLOW` steps one depth at a time (a shortest run),
#: then the rest in one query (a run violating the property at some step up to the depth):
#: a deep query asked once is faster than every depth's "no" before it.
SHALLOW = 7
EVERY_DEPTH = 12  # (the deepest mutant's run: 12 steps on the explicit engine, fewer here)
DEEP_TIMEOUT = 180.0


def bmc(pm: P.PModel, pid: str, depth: int) -> tuple[int, dict[str, int]] | None:
    """A run of at most ``depth`` steps (the clock may jump several ticks in one) that violates
    ``pid``, for *some* small value of the bounds (each at most `SMALL`, times at most twice
    that): the step at which it does, and the bounds (within `SHALLOW` steps the least, lowered
    one at a time while such a run remains). None: no run within ``depth`` (or Z3 gave up).
    The channels are listed (`parametric.fresh_state`): slots, no arrays."""
    free = _free(pm)
    box = z3.And(
        True,
        *[t <= (2 * SMALL if n in ("time_wait", "fin_wait_2") else SMALL) for n, t in free.items()],
    )
    # (FIN-WAIT-2's timeout as `Bounds` sets it, so that the run can be replayed)
    same = pm.p.fin_wait_2 == pm.p.time_wait
    sol = _solver()
    sol.add(pm.domain(), same, box)
    deep = z3.Solver()
    deep.set("timeout", int(DEEP_TIMEOUT * 1000))
    deep.add(pm.domain(), same, box)
    st = P.initial(pm, listed=True)
    bad: list[Any] = []
    for k in range(1, depth + 1):
        s2 = P.fresh_state(f"bmc{k}", (len(st.chans[0]) + 1, len(st.chans[1]) + 1))
        step = P.transition(pm, st, s2, f"bmc{k}t", jumps=True)
        bad.append(_violation(pm, pid, st, step, s2))
        deep.add(step.formula)
        if k <= SHALLOW:
            sol.add(step.formula)
            sol.push()
            sol.add(bad[-1])
            if sol.check() == z3.sat:
                return k, _least(sol, free)
            sol.pop()
        st = s2
    if depth <= SHALLOW:
        return None
    deep.add(z3.Or(*bad[SHALLOW:]))
    if deep.check() != z3.sat:
        return None
    zm = deep.model()
    k = next(n for n, b in enumerate(bad, 1) if z3.is_true(zm.eval(b, model_completion=True)))
    # (not lowered here: each lowering is a deep query; `checks.every_bound.refute` lowers
    # them on the explicit engine, which is exact at each point below)
    return k, {n: zm.eval(t, model_completion=True).as_long() for n, t in free.items()}


def _least(sol: z3.Solver, free: dict[str, Any]) -> dict[str, int]:
    """Lower each free bound in turn while the query stays satisfiable (greedy, in `_NAMES`
    order): the least bounds that show the run, one bound at a time."""

    def values() -> dict[str, int]:
        zm = sol.model()
        return {n: zm.eval(t, model_completion=True).as_long() for n, t in free.items()}

    best = values()
    sol.set("timeout", 5000)
    for n, t in free.items():
        while True:
            sol.push()
            sol.add(t < best[n])
            if sol.check() != z3.sat:
                sol.pop()
                break
            best = values()
            sol.pop()
        sol.add(t == best[n])
    return best


def bounds_of(values: dict[str, int]) -> Bounds:
    return replace(Bounds(), **{n: v for n, v in values.items() if n in _NAMES})  # type: ignore[arg-type]


# -- the verdicts -------------------------------------------------------------------------------

CERTIFICATES = Path(__file__).resolve().with_name("every-bound.json")
STALE = "the checked-in certificate no longer holds: Houdini was run again"


def load() -> dict[str, dict[str, list[str]]]:
    """Scenario -> condition name ("" for none) -> the conjuncts of its inductive invariant."""
    if not CERTIFICATES.exists():
        return {}
    doc = json.loads(CERTIFICATES.read_text())
    return {k: {c: list(v) for c, v in d.items()} for k, d in doc["scenarios"].items()}


class Invariants:
    """The invariant of one scenario under each condition: the certificate re-checked in one
    query, else Houdini (and a note saying so)."""

    def __init__(self, pm: P.PModel, scenario: str, certificates: bool) -> None:
        self.pm = pm
        self.stored = load().get(scenario, {}) if certificates else {}
        self.found: dict[str, tuple[list[str], str, Houdini | None]] = {}
        self.notes: list[str] = []

    def get(self, cond: Condition | None) -> tuple[list[str], str, Houdini | None]:
        name = "" if cond is None else cond.name
        if name not in self.found:
            term = True if cond is None else cond.term(self.pm.p)
            kept = self.stored.get(name)
            facts = None if cond is None else self.get(None)[0]
            if kept is not None and recheck(self.pm, kept, term, facts):
                self.found[name] = (kept, "certificate", None)
            else:
                if kept is not None:
                    self.notes.append(STALE)
                h = houdini(self.pm, term, facts)
                self.found[name] = (h.kept, "houdini", h)
        return self.found[name]


def least_time_wait(pid: str, msl: int, rto: int, retries: int) -> int:
    """The least TIME-WAIT that satisfies one of ``pid``'s conditions at these bounds (the
    conditions evaluated, so the formula is written once, in `CONDITIONS`)."""
    p = P.Params.fresh()
    cond = z3.Or(*[c.term(p) for c in CONDITIONS[pid]])
    fixed = [(p.msl, z3.IntVal(msl)), (p.rto, z3.IntVal(rto)), (p.retries, z3.IntVal(retries))]
    tw = 1
    while not z3.is_true(z3.simplify(z3.substitute(cond, *fixed, (p.time_wait, z3.IntVal(tw))))):
        tw += 1
    return tw


def compute() -> dict[str, dict[str, list[str]]]:
    """Houdini on every default scenario, unconditionally and under every condition."""
    from tcpspec.spec.scenarios import DEFAULT_SCENARIOS

    out: dict[str, dict[str, list[str]]] = {}
    for name in DEFAULT_SCENARIOS:
        pm = P.parametric(name)
        kept = houdini(pm).kept
        out[name] = {"": kept}
        for pid in [p.id for p in CHECKED if p.kind in ("invariant", "action")]:
            if implied(pm, kept, pid):
                continue  # proved with no condition: no conditional proof is needed
            for _, conds in condition_groups(pid, name):  # weakest first: the first that proves
                for cond in conds:
                    if cond.name not in out[name]:
                        out[name][cond.name] = houdini(pm, cond.term(pm.p), kept).kept
                if all(implied(pm, out[name][c.name], pid, c.term(pm.p)) for c in conds):
                    break
    return out


def main(argv: list[str]) -> int:
    from tcpspec.checks.symbolic.certificate import store

    return store(CERTIFICATES, "every", compute(), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
