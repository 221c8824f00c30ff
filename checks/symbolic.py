"""The Z3 engine: bounded model checking, unbounded proofs and parameter synthesis.

The transition formula is compiled from the very rule tables the explicit engine interprets
(see `checks.symbolic_encode`); properties are the predicates of `checks.properties`, applied to
symbolic states. Public API (for the CLI):

``bmc(model, prop_id, depth) -> SymbolicVerdict``
    Search for a counterexample of an ``invariant`` or ``action`` property within ``depth``
    steps, depth by depth, so the first one found is a shortest one (same length as the explicit
    engine's BFS). The trace is a `checks.trace.Trace`, rebuilt by replaying the concrete model
    (each Z3 state is matched against `Model.successors`, which also yields the `Label`).
    ``status`` is ``"violated"`` or ``"no counterexample up to depth k"``.

``prove(model, prop_id, max_k=4, timeout_s=60) -> SymbolicVerdict``
    Unbounded proof. First Spacer (constrained Horn clauses, ``z3.Fixedpoint``); if it gives no
    answer in time, k-induction for k = 1..max_k strengthened by `symbolic_encode.state_domain`
    (itself proved 1-inductive first). ``status``: ``"proved"`` (``method`` says how),
    ``"violated"`` (with a BMC trace), or ``"no counterexample up to depth k"`` (not proved).

``synthesize_time_wait(grid, max_tw=None, scenario="close", base=None, confirm_with_bmc=False)``
    For each ``(msl, rto, retries)`` in ``grid``, the least ``time_wait`` for which
    ``timewait.covers_fin_retransmit`` holds, with the violation one tick below. Returns a
    list of `SynthesisRow` (with `closed_form` = msl + rto*retries and 2*MSL beside it). The
    oracle is the explicit engine; ``confirm_with_bmc`` re-finds the counterexample with Z3.

``successors_z3(model, world) -> set[World]``
    All successors of one concrete world, enumerated from T by Z3 (for agreement tests).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import z3

from checks import symbolic_encode as E
from checks.properties import PROPERTIES, Property
from checks.trace import Trace, TraceStep
from spec.model import Bounds, Model, World


@dataclass
class SymbolicVerdict:
    property_id: str
    status: str  # "proved" | "violated" | "no counterexample up to depth k"
    depth: int  # the depth reached (BMC) or the k of k-induction
    trace: Trace | None = None
    method: str = ""  # "bmc", "spacer", "k-induction"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool | None:
        return {"proved": True, "violated": False}.get(self.status)


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


def bmc(model: Model, prop_id: str, depth: int) -> SymbolicVerdict:
    """Shortest counterexample of ``prop_id`` within ``depth`` steps, if any."""
    t0 = time.perf_counter()
    p = _prop(prop_id)
    sol = z3.Solver()
    states = [E.fresh_state(model, "s0")]
    steps: list[E.Step] = []
    sol.add(E.equal(states[0], E.from_world(model, model.initial())))
    for k in range(depth + 1):
        if k > 0:
            states.append(E.fresh_state(model, f"s{k}"))
            steps.append(E.transition(model, states[-2], states[-1], f"t{k}"))
            sol.add(steps[-1].formula)
        if p.kind == "action" and k == 0:
            continue
        sol.push()
        sol.add(_bad(model, p, states, steps))
        if sol.check() == z3.sat:
            zm = sol.model()
            worlds = [E.decode(model, zm, s) for s in states]
            trace = replay(model, worlds, p)
            sol.pop()
            return SymbolicVerdict(prop_id, "violated", k, trace, "bmc", time.perf_counter() - t0)
        sol.pop()
    return SymbolicVerdict(
        prop_id, "no counterexample up to depth k", depth, None, "bmc", time.perf_counter() - t0
    )


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


def check_domain(model: Model, timeout_s: float = 30) -> bool:
    """`state_domain` holds initially and is preserved by T (1-inductive): a sound lemma."""
    s, s2 = E.fresh_state(model, "d0"), E.fresh_state(model, "d1")
    sol = z3.Solver()
    sol.set("timeout", int(timeout_s * 1000))
    sol.add(
        E.state_domain(model, s),
        E.transition(model, s, s2, "dt").formula,
        z3.Not(_b(E.state_domain(model, s2))),
    )
    init = z3.Solver()
    init.add(E.equal(s, E.from_world(model, model.initial())), z3.Not(_b(E.state_domain(model, s))))
    return sol.check() == z3.unsat and init.check() == z3.unsat


def k_induction(
    model: Model, prop_id: str, max_k: int = 4, timeout_s: float = 60
) -> SymbolicVerdict:
    """k-induction strengthened by the (proved) domain lemma. Base cases are BMC."""
    t0 = time.perf_counter()
    p = _prop(prop_id)
    notes: list[str] = []
    domain_ok = check_domain(model, timeout_s)
    if not domain_ok:
        notes.append("state_domain is not inductive here: induction used without it")
    for k in range(1, max_k + 1):
        base = bmc(model, prop_id, k)
        if base.status == "violated":
            base.seconds = time.perf_counter() - t0
            return base
        states = [E.fresh_state(model, f"k{n}") for n in range(k + 1)]
        steps: list[E.Step] = []
        sol = z3.Solver()
        sol.set("timeout", int(timeout_s * 1000))
        for n in range(k):
            steps.append(E.transition(model, states[n], states[n + 1], f"kt{n}"))
            sol.add(steps[-1].formula)
        for n, s in enumerate(states):
            if domain_ok:
                sol.add(E.state_domain(model, s))
            if n < k:  # P holds on the first k states / steps
                sol.add(
                    z3.Not(_bad(model, p, states[: n + 1], steps[:n]))
                    if p.kind == "invariant" or n > 0
                    else z3.BoolVal(True)
                )
        # distinct states (simple-path constraint) makes k-induction complete for finite systems
        for a in range(k + 1):
            for b in range(a + 1, k + 1):
                sol.add(z3.Not(_b(E.equal(states[a], states[b]))))
        sol.add(_bad(model, p, states, steps))
        r = sol.check()
        if r == z3.unsat:
            return SymbolicVerdict(
                prop_id, "proved", k, None, "k-induction", time.perf_counter() - t0, notes
            )
        if time.perf_counter() - t0 > timeout_s:
            break
    return SymbolicVerdict(
        prop_id,
        "no counterexample up to depth k",
        max_k,
        None,
        "bmc",
        time.perf_counter() - t0,
        [*notes, f"not {max_k}-inductive even with the domain lemma"],
    )


def spacer(model: Model, prop_id: str, timeout_s: float = 60) -> SymbolicVerdict | None:
    """Spacer (CHC) proof: Reach(init); Reach(s) /\\ T(s,s') -> Reach(s'); Reach /\\ bad -> false.
    Returns None when Spacer gives no answer in time."""
    t0 = time.perf_counter()
    p = _prop(prop_id)
    s, s2 = E.fresh_state(model, "h0"), E.fresh_state(model, "h1")
    vs, vs2 = E.flatten(s), E.flatten(s2)
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    fp.set("timeout", int(timeout_s * 1000))
    sorts = [v.sort() for v in vs]
    reach = z3.Function("Reach", *sorts, z3.BoolSort())
    fp.register_relation(reach)
    step = E.transition(model, s, s2, "ht")
    names = {str(v) for v in vs + vs2}
    aux = [z3.Const(n, srt) for n, srt in _constants(step.formula) if n not in names]
    fp.declare_var(*vs, *vs2, *aux)
    fp.rule(reach(*vs), _b(E.equal(s, E.from_world(model, model.initial()))))
    fp.rule(reach(*vs2), [reach(*vs), step.formula])
    if p.kind == "invariant":
        query = z3.And(reach(*vs), z3.Not(_b(p.pred(model, s))))
    else:
        query = z3.And(reach(*vs), step.formula, z3.Not(_b(p.pred(model, s, SymLabel(step), s2))))
    try:
        r = fp.query(query)
    except z3.Z3Exception:
        return None
    secs = time.perf_counter() - t0
    if r == z3.unsat:
        return SymbolicVerdict(prop_id, "proved", 0, None, "spacer", secs)
    return (
        None if r == z3.unknown else SymbolicVerdict(prop_id, "violated", 0, None, "spacer", secs)
    )


def _constants(f: Any) -> list[tuple[str, Any]]:
    """The uninterpreted constants of ``f`` (name, sort), sorted by name."""
    seen: dict[str, Any] = {}
    todo = [f]
    visited: set[int] = set()
    while todo:
        t = todo.pop()
        if t.get_id() in visited:
            continue
        visited.add(t.get_id())
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            seen[str(t)] = t.sort()
        todo.extend(t.children())
    return sorted(seen.items())


def prove(
    model: Model, prop_id: str, max_k: int = 4, timeout_s: float = 60, use_spacer: bool = True
) -> SymbolicVerdict:
    """Unbounded verdict: Spacer first, then k-induction; a violation comes with a BMC trace."""
    t0 = time.perf_counter()
    if use_spacer:
        v = spacer(model, prop_id, timeout_s)
        if v is not None and v.status == "proved":
            return v
        if v is not None and v.status == "violated":
            # find the shortest counterexample with BMC for a replayable trace
            for d in (8, 16, 32, 64):
                b = bmc(model, prop_id, d)
                if b.trace is not None:
                    b.seconds = time.perf_counter() - t0
                    b.notes.append("Spacer found the violation; BMC gives the shortest trace")
                    return b
            return v
    v = k_induction(model, prop_id, max_k, timeout_s)
    v.seconds = time.perf_counter() - t0
    return v


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
    """The least TIME-WAIT that covers FIN retransmissions, as `synthesize_time_wait` finds it
    on the grid it was run on (``close`` scenario, data=0, duplicates=0, capacity 2, loss and
    reordering on): ``msl + rto * retries`` (at least 1). The peer's last FIN retransmission
    leaves ``rto * retries`` ticks after the first FIN and may live almost ``msl`` ticks;
    2*MSL is enough exactly when ``rto * retries <= msl``."""
    return max(1, msl + rto * retries)


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
