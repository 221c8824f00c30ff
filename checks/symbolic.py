"""The Z3 engine: bounded model checking, unbounded proofs and parameter synthesis.

The transition formula is compiled from the very rule tables the explicit engine interprets
(see `checks.symbolic_encode`); properties are the predicates of `checks.properties`, applied to
symbolic states. Public API (for the CLI):

``bmc(model, prop_id, depth) -> SymbolicVerdict`` (and ``bmc_many`` for several properties on
    one unrolling) searches for a counterexample of an ``invariant`` or ``action`` property
    within ``depth`` steps, depth by depth, so the first one found is a shortest one (same
    length as the explicit engine's BFS). The trace is a `checks.trace.Trace`, rebuilt by
    replaying the concrete model (each Z3 state is matched against `Model.successors`, which
    also yields the `Label`).

``check(model, prop_ids, depth)`` / ``prove(model, prop_id, depth)``
    The three-way verdict: ``proved`` by induction with the invariant `checks.invariants`
    finds (Houdini over the properties and the hand-written lemmas), else BMC: ``violated``
    (with a trace) or ``bounded`` ("no counterexample up to depth k").

``synthesize_time_wait(grid, max_tw=None, scenario="close", base=None, confirm_with_bmc=False)``
    For each ``(msl, rto, retries)`` in ``grid``, the least ``time_wait`` for which
    ``timewait.covers_fin_retransmit`` holds, with the violation one tick below. Returns a
    list of `SynthesisRow` (with `closed_form` and 2*MSL beside it). The
    oracle is the explicit engine; ``confirm_with_bmc`` re-finds the counterexample with Z3.

``successors_z3(model, world) -> set[World]``
    All successors of one concrete world, enumerated from T by Z3 (for agreement tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import z3

from checks import symbolic_encode as E
from checks.properties import PROPERTIES, Property
from checks.trace import Trace, TraceStep
from spec.model import Bounds, Model, World

PROVED, VIOLATED, BOUNDED = "proved", "violated", "bounded"


@dataclass
class SymbolicVerdict:
    """The Z3 engine's verdict on one property in one model: one of three.

    ``proved``: holds after any number of steps (``method`` "induction", with the invariant's
    conjuncts in ``notes``); ``violated``: a shortest counterexample (``trace``, found by BMC);
    ``bounded``: no counterexample within ``depth`` steps, and no proof."""

    property_id: str
    status: str  # PROVED | VIOLATED | BOUNDED
    depth: int  # the depth BMC reached (BOUNDED), or the counterexample's length (VIOLATED)
    trace: Trace | None = None
    method: str = ""  # "induction" | "bmc"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool | None:
        return {PROVED: True, VIOLATED: False}.get(self.status)

    def describe(self) -> str:
        if self.status == PROVED:
            return "proved for all depths"
        if self.status == VIOLATED:
            return f"violated ({self.depth} steps)"
        return f"no counterexample up to depth {self.depth}"


class SymLabel:
    """The label of a symbolic step, for action properties: ``fired(name)`` and ``kind == k``
    are Z3 terms over the step's move selector."""

    def __init__(self, step: E.Step) -> None:
        self._step = step
        self.seg = None
        self.kind = _Kind(step)

    def fired(self, name: str) -> Any:
        return z3.Or(
            False,
            *[
                z3.And(self._step.selector == n, _b(m.fired[name]))
                for n, m in enumerate(self._step.moves)
                if name in m.fired
            ],
        )


class _Kind:
    def __init__(self, step: E.Step) -> None:
        self._step = step

    def __eq__(self, other: object) -> Any:
        return z3.Or(
            False,
            *[self._step.selector == n for n, m in enumerate(self._step.moves) if m.kind == other],
        )

    __hash__ = None  # type: ignore[assignment]


def _b(x: Any) -> Any:
    return z3.BoolVal(bool(x)) if isinstance(x, int) else x


def _prop(prop_id: str) -> Property:
    p = PROPERTIES[prop_id]
    if p.kind not in ("invariant", "action"):
        raise ValueError(f"the Z3 engine checks invariant and action properties, not {p.kind}")
    return p


def _bad(model: Model, p: Property, states: list[E.SState], steps: list[E.Step]) -> Any:
    """The property fails at the last state (invariant) or on the last step (action)."""
    if p.kind == "invariant":
        return z3.Not(_b(p.pred(model, states[-1])))
    return z3.Not(_b(p.pred(model, states[-2], SymLabel(steps[-1]), states[-1])))


# -- BMC ---------------------------------------------------------------------------------------


def bmc(model: Model, prop_id: str, depth: int, inv: Invariant | None = None) -> SymbolicVerdict:
    """Shortest counterexample of ``prop_id`` within ``depth`` steps, if any."""
    return bmc_many(model, {prop_id: depth}, inv)[prop_id]


Invariant = Callable[[E.SState], Any]


def bmc_many(
    model: Model, targets: dict[str, int], inv: Invariant | None = None
) -> dict[str, SymbolicVerdict]:
    """BMC of several properties on one unrolling of T: ``targets`` maps each property to the
    depth to search to. Depth by depth, so each counterexample found is a shortest one.

    ``inv``, an inductive invariant (from `checks.invariants.houdini`: it holds initially and
    is preserved by T, so it holds in every reachable state), constrains every unrolled state:
    no real path is lost, so the counterexamples and their lengths are the same, but Z3 prunes
    unreachable states early (about ten times faster at depth 9-10)."""
    t0 = time.perf_counter()
    props = {pid: _prop(pid) for pid in targets}
    out: dict[str, SymbolicVerdict] = {}
    sol = z3.Solver()
    states = [E.fresh_state(model, "s0")]
    steps: list[E.Step] = []
    sol.add(E.equal(states[0], E.from_world(model, model.initial())))
    for k in range(max(targets.values(), default=0) + 1):
        if k > 0:
            states.append(E.fresh_state(model, f"s{k}"))
            steps.append(E.transition(model, states[-2], states[-1], f"t{k}"))
            sol.add(steps[-1].formula)
            if inv is not None:
                sol.add(inv(states[-1]))
        for pid in sorted(targets):
            p = props[pid]
            if pid in out or k > targets[pid] or (p.kind == "action" and k == 0):
                continue
            sol.push()
            sol.add(_bad(model, p, states, steps))
            if sol.check() == z3.sat:
                zm = sol.model()
                trace = replay(model, [E.decode(model, zm, s) for s in states], p)
                out[pid] = SymbolicVerdict(pid, VIOLATED, k, trace, "bmc", time.perf_counter() - t0)
            sol.pop()
        for pid in sorted(targets):  # what is known at this depth is a lemma for the next
            if pid not in out and props[pid].kind == "invariant" and k <= targets[pid]:
                sol.add(z3.Not(_bad(model, props[pid], states, steps)))
    for pid, d in targets.items():
        if pid not in out:
            out[pid] = SymbolicVerdict(pid, BOUNDED, d, None, "bmc", time.perf_counter() - t0)
    return out


def replay(model: Model, worlds: list[World], p: Property | None = None) -> Trace:
    """Rebuild a concrete trace from the worlds of a Z3 path by matching each step against
    `Model.successors` (which gives the labels). For an action property the last step is one
    that violates it."""
    if worlds[0] != model.initial():
        raise AssertionError("the Z3 path does not start in the initial state")
    steps: list[TraceStep] = []
    cur = worlds[0]
    for k, nxt in enumerate(worlds[1:], 1):
        cands = [lab for lab, w2 in model.successors(cur) if w2 == nxt]
        if p is not None and p.kind == "action" and k == len(worlds) - 1:
            cands = [lab for lab in cands if not p.pred(model, cur, lab, nxt)]
        if not cands:
            raise AssertionError(f"step {k} of the Z3 path is not a move of the model")
        steps.append(TraceStep(cands[0], nxt))
        cur = nxt
    return Trace(worlds[0], steps, p.id if p else "", "violated" if p else "")


# -- successors (agreement tests) --------------------------------------------------------------


class Enumerator:
    """Successors of concrete worlds enumerated from one compiled T (built once)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.s = E.fresh_state(model, "a")
        self.s2 = E.fresh_state(model, "b")
        self.solver = z3.Solver()
        self.solver.add(E.transition(model, self.s, self.s2, "t").formula)

    def successors(self, w: World) -> set[World]:
        sol = self.solver
        sol.push()
        sol.add(E.equal(self.s, E.from_world(self.model, w)))
        out: set[World] = set()
        while sol.check() == z3.sat:
            w2 = E.decode(self.model, sol.model(), self.s2)
            out.add(w2)
            sol.add(z3.Not(E.equal(self.s2, E.from_world(self.model, w2))))
        sol.pop()
        return out


def successors_z3(model: Model, world: World) -> set[World]:
    return Enumerator(model).successors(world)


def count_states_z3(model: Model, depth: int) -> int:
    """States reachable within ``depth`` steps, by breadth-first image enumeration with Z3."""
    en = Enumerator(model)
    init = model.initial()
    seen = {init}
    frontier = [init]
    for _ in range(depth):
        nxt = []
        for w in frontier:
            for w2 in en.successors(w):
                if w2 not in seen:
                    seen.add(w2)
                    nxt.append(w2)
        frontier = nxt
    return len(seen)


# -- unbounded proofs --------------------------------------------------------------------------


def prove_by_induction(
    model: Model, prop_ids: list[str], timeout_s: float = 120
) -> dict[str, SymbolicVerdict]:
    """Which of ``prop_ids`` follow from the inductive invariant Houdini finds
    (`checks.invariants`): Inv => P for an invariant, Inv /\\ T => P(step) for an action.
    Properties not implied are left out of the answer."""
    return _induction(model, prop_ids, timeout_s)[0]


def _induction(
    model: Model, prop_ids: list[str], timeout_s: float = 120
) -> tuple[dict[str, SymbolicVerdict], Invariant | None]:
    from checks.invariants import houdini

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
) -> dict[str, SymbolicVerdict]:
    """The Z3 engine's verdict on each property: a proof by induction if one is found, else BMC
    to ``depth`` (or to ``deeper[pid]`` when given: how `verify` makes BMC reach the length of
    a counterexample the explicit engine found)."""
    t0 = time.perf_counter()
    out, inv = _induction(model, prop_ids) if induction else ({}, None)
    rest = {pid: max(depth, (deeper or {}).get(pid, 0)) for pid in prop_ids if pid not in out}
    if rest:
        t1 = time.perf_counter()
        out.update(bmc_many(model, rest, inv))
        for pid in rest:
            out[pid].seconds = time.perf_counter() - t1
            if induction:
                out[pid].notes.append("no inductive strengthening found among the candidates")
    for v in out.values():
        if v.method == "induction":
            v.seconds = min(v.seconds, time.perf_counter() - t0)
    return {pid: out[pid] for pid in prop_ids}


def prove(model: Model, prop_id: str, depth: int = 8) -> SymbolicVerdict:
    """The three-way verdict on one property (see `check`)."""
    return check(model, [prop_id], depth)[prop_id]


# -- synthesis ---------------------------------------------------------------------------------


@dataclass
class SynthesisRow:
    msl: int
    rto: int
    retries: int
    least_time_wait: int | None  # None: not found up to max_tw
    closed_form: int  # what the formula in `closed_form` predicts
    two_msl: int
    counterexample: Trace | None  # the violation at least_time_wait - 1
    oracle: str


def closed_form(msl: int, rto: int, retries: int) -> int:
    """The least TIME-WAIT that keeps `timewait.covers_fin_retransmit`, as a formula:

        min(RTO*(retries+1) + 1, max(MSL + RTO*retries, 2*MSL - 1))

    TIME-WAIT must outlast every segment of a peer still in LAST-ACK that could reach a closed
    closer and draw a RST: the peer's last FIN retransmission, sent RTO*retries ticks after its
    first FIN and living almost MSL ticks (MSL + RTO*retries); and the peer's answer to an old
    segment of ours, which itself lived almost MSL (2*MSL - 1: RFC 9293's reason for 2*MSL).
    But no longer than the peer stays in LAST-ACK: it gives up RTO*(retries+1) ticks after its
    FIN. (The +1 and -1 are the model's discrete ticks.) It matches the explicit engine at
    every point of the grid msl, rto in 1..3, retries in 0..2 (`tcpspec synthesize time-wait
    --msl 1,2,3 --rto 1,2,3 --retries 0,1,2`); 2*MSL is enough exactly where it is <= 2*MSL."""
    return min(rto * (retries + 1) + 1, max(msl + rto * retries, 2 * msl - 1))


def _holds_explicit(model: Model, prop_id: str) -> tuple[bool, Trace | None]:
    from checks.explicit import explore

    ex = explore(model, (PROPERTIES[prop_id],), stop_at=(prop_id,))
    v = ex.verdicts[prop_id]
    return v.holds, v.trace


def synthesize_time_wait(
    grid: list[tuple[int, int, int]],
    max_tw: int | None = None,
    scenario: str = "close",
    base: Bounds | None = None,
    confirm_with_bmc: bool = False,
) -> list[SynthesisRow]:
    """Least ``time_wait`` making ``timewait.covers_fin_retransmit`` hold, per grid point.

    The oracle is the explicit engine (a complete exploration per candidate; Z3 could not prove
    the property unboundedly in reasonable time, see `prove`). With ``confirm_with_bmc`` the
    counterexample one tick below is re-found by `bmc` and must have the same length (slow:
    tens of seconds per point)."""
    from spec.build import make_model

    pid = "timewait.covers_fin_retransmit"
    base = base or Bounds(data=0, duplicates=0)
    rows = []
    for msl, rto, retries in grid:
        top = max_tw or 2 * msl + 2 * rto * (retries + 1) + 2
        least: int | None = None
        cex: Trace | None = None
        prev_trace: Trace | None = None
        for tw in range(1, top + 1):
            m = make_model(scenario, replace(base, msl=msl, rto=rto, retries=retries, time_wait=tw))
            ok, tr = _holds_explicit(m, pid)
            if ok:
                least, cex = tw, prev_trace
                break
            prev_trace = tr
        oracle = "explicit"
        if confirm_with_bmc and least is not None and least > 1 and cex is not None:
            m = make_model(
                scenario, replace(base, msl=msl, rto=rto, retries=retries, time_wait=least - 1)
            )
            v = bmc(m, pid, len(cex))
            if v.trace is None or len(v.trace) != len(cex):
                raise AssertionError(f"engines disagree at {(msl, rto, retries)}")
            oracle = "explicit, counterexample confirmed by z3 bmc"
        rows.append(
            SynthesisRow(
                msl, rto, retries, least, closed_form(msl, rto, retries), 2 * msl, cex, oracle
            )
        )
    return rows
