"""Everything the diagrams show, derived from the model: explorations, transitions and traces.

Nothing here is hand-written about TCP: the endpoint state machine is read off explored edges,
the sequence charts are shortest paths in the explored graphs to a goal, or counterexamples.
Bounds are kept small so that all diagrams regenerate in seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from checks.explicit import Exploration, explore
from checks.properties import both_closed_normally, both_established, data_after_fin
from checks.trace import Trace, TraceStep
from checks.verify import sweep
from spec.build import make_model
from spec.model import CLIENT, SERVER, Bounds, Label, World
from spec.scenarios import SCENARIOS
from spec.states import Reason
from spec.states import State as S

#: A fault-free network: nothing lost, reordered or duplicated.
FAULT_FREE = Bounds(loss=False, duplicates=0, reorder=False, capacity=2)
#: Losses, but no reordering or duplication: enough for every chart, small enough to be quick.
LOSSY = Bounds(duplicates=0, reorder=False)


@cache
def exploration(scenario: str, bounds: Bounds = LOSSY) -> Exploration:
    """The explored graph of a scenario (no properties: the diagrams only need the graph)."""
    return explore(make_model(scenario, bounds), properties=())


# -- the endpoint state machine ----------------------------------------------------------------

#: Scenarios (and bounds) whose explored edges make up the state machine diagram.
MACHINE_SOURCES: tuple[tuple[str, Bounds], ...] = (
    ("connect-close", LOSSY),
    ("close", Bounds()),
    ("stale-syn", Bounds()),
    ("simultaneous-open", Bounds()),
    ("refused", Bounds()),
    ("abort", Bounds()),
)


@dataclass(frozen=True, order=True)
class Transition:
    """One endpoint state change seen in some explored edge."""

    before: str
    after: str
    event: str  # "rcv SYN", "CLOSE", "timeout"
    action: str  # "snd SYN+ACK" or "-"
    cases: str  # the fired case names, comma separated
    role: str  # "active" (the side that opens actively) or "passive"


def _event(lab: Label) -> str:
    if lab.kind == "deliver" and lab.seg is not None:
        return f"rcv {lab.seg.flags()}" + (" +data" if lab.seg.dlen else "")
    if lab.kind == "timer":
        return "timeout"
    name = lab.cases[0].split(".", 1)[-1] if lab.cases else lab.kind
    return name.split("_", 1)[0].upper()  # user.open_active -> OPEN, user.close -> CLOSE


def _action(lab: Label) -> str:
    if lab.sent is None:
        return "-"
    return f"snd {lab.sent.flags()}" + (" +data" if lab.sent.dlen else "")


def machine_transitions() -> list[Transition]:
    """Every (state before -> state after) change of an endpoint in the explored graphs."""
    seen: set[Transition] = set()
    for scenario, bounds in MACHINE_SOURCES:
        ex = exploration(scenario, bounds)
        sides = ex.model.sides
        for a, b, data in ex.graph.edges(data=True):
            lab: Label = data["label"]
            if lab.actor not in (CLIENT, SERVER):
                continue
            i = lab.actor
            before = ex.worlds[a].eps[i].st
            after = ex.worlds[b].eps[i].st
            if before == after:
                continue
            role = "active" if sides[i].active else "passive"
            seen.add(Transition(before.name, after.name, _event(lab), _action(lab),
                                ", ".join(lab.cases), role))
    return sorted(seen)


# -- goal search -------------------------------------------------------------------------------

Edge = Callable[[World, Label, World], bool]
Goal = Callable[[World], bool]


def find_path(ex: Exploration, milestones: tuple[Edge, ...], goal: Goal) -> Trace:
    """A shortest run that takes edges matching each milestone in order, then reaches ``goal``.

    Breadth-first over (state, milestones passed); successors in state-number order, so the
    answer is deterministic. A segment is lost (dropped, sent into a full channel, or expired)
    only where a milestone asks for it: the charts show the one fault they are about.
    """
    g = ex.graph
    worlds = ex.worlds
    start = (0, 0)
    prev: dict[tuple[int, int], tuple[tuple[int, int], Label] | None] = {start: None}
    queue = deque([start])
    k_last = len(milestones)
    while queue:
        node, k = queue.popleft()
        if k == k_last and goal(worlds[node]):
            steps: list[TraceStep] = []
            cur = (node, k)
            while (p := prev[cur]) is not None:
                steps.append(TraceStep(p[1], worlds[cur[0]]))
                cur = p[0]
            return Trace(worlds[0], steps[::-1], verdict="scenario")
        for nxt in sorted(g.successors(node)):
            lab = g.edges[node, nxt]["label"]
            hit = k < k_last and milestones[k](worlds[node], lab, worlds[nxt])
            if lab.overflow or lab.expired or (lab.kind == "lose" and not hit):
                continue
            k2 = k + 1 if hit else k
            if (nxt, k2) not in prev:
                prev[(nxt, k2)] = ((node, k), lab)
                queue.append((nxt, k2))
    raise LookupError("no run reaches the goal")


def _lost(flags: str, *, to_state: S | None = None) -> Edge:
    """The network loses a segment with exactly these flags (optionally: bound to a side in
    ``to_state``)."""
    def edge(w: World, lab: Label, w2: World) -> bool:
        if lab.kind != "lose" or lab.seg is None or lab.seg.flags() != flags:
            return False
        if to_state is None:
            return True
        dest = SERVER if _direction(w, lab) == CLIENT else CLIENT
        return w.eps[dest].st == to_state
    return edge


def _direction(w: World, lab: Label) -> int:
    """Which side sent the segment of a network step (the channel it was in)."""
    return CLIENT if lab.seg in w.chans[CLIENT] else SERVER


def _fired(name: str) -> Edge:
    return lambda w, lab, w2: lab.fired(name)


def _enters(st: S) -> Edge:
    return lambda w, lab, w2: any(w2.eps[i].st == st != w.eps[i].st for i in (CLIENT, SERVER))


# The "sometimes" predicates of checks.properties, as goals and milestones (they do not look at
# the model, so none is passed).
def _data_after_fin(w: World, lab: Label, w2: World) -> bool:
    return bool(data_after_fin(None, w, lab, w2))  # type: ignore[arg-type]


def _closed_normally(w: World) -> bool:
    return bool(both_closed_normally(None, w))  # type: ignore[arg-type]


def _closed_with_data(w: World) -> bool:
    return _closed_normally(w) and all(e.rcvd >= 1 for e in w.eps)


def _established(w: World) -> bool:
    return bool(both_established(None, w))  # type: ignore[arg-type]


def _state_is(i: int, st: S, reason: Reason | None = None) -> Goal:
    return lambda w: w.eps[i].st == st and (reason is None or w.eps[i].reason == reason)


@dataclass(frozen=True)
class Chart:
    """One message sequence chart to draw: where it comes from and what it shows."""

    name: str
    title: str
    scenario: str
    bounds: Bounds
    milestones: tuple[Edge, ...] = ()
    goal: Goal = _closed_normally
    mutant: str = ""  # when set: the mutant's counterexample instead of a goal search


CHARTS: tuple[Chart, ...] = (
    Chart("normal", "Open, exchange data, close normally (shortest run)",
          "connect-close", LOSSY, (), _closed_with_data),
    Chart("lost-syn-ack", "The SYN+ACK is lost: the client retransmits its SYN",
          "handshake", LOSSY, (_lost("SYN+ACK"), _fired("timer.retransmit_syn")), _established),
    Chart("lost-handshake-ack", "The final ACK of the handshake is lost",
          "handshake", LOSSY, (_lost("ACK", to_state=S.SYN_RECEIVED),), _established),
    Chart("stale-syn", "An old duplicate SYN is answered, reset by RST, and the real one wins",
          "stale-syn", LOSSY, (_fired("rst.syn_received_passive"),), _established),
    Chart("lost-fin", "The first FIN is lost and retransmitted",
          "close", LOSSY, (_lost("FIN+ACK"),), _closed_normally),
    Chart("lost-last-ack", "The last ACK is lost: the FIN is retransmitted and re-ACKed from "
          "TIME-WAIT", "close", LOSSY,
          (_lost("ACK", to_state=S.LAST_ACK), _fired("time_wait.fin_retransmitted")),
          _closed_normally),
    Chart("no-time-wait", "Without TIME-WAIT the retransmitted FIN is answered by RST "
          "(mutant no-time-wait)", "connect-close", Bounds(), mutant="no-time-wait"),
    Chart("simultaneous-open", "Simultaneous open (RFC 9293 Figure 7)",
          "simultaneous-open", LOSSY, (_enters(S.SYN_RECEIVED),),
          lambda w: _established(w) and all(e.rcvd_syn for e in w.eps)),
    Chart("simultaneous-close", "Simultaneous close through CLOSING",
          "close", LOSSY, (_enters(S.CLOSING),), _closed_normally),
    Chart("half-close", "Half-close: data flows after the first FIN",
          "connect-close", LOSSY, (_data_after_fin,), _closed_with_data),
    Chart("refused", "Connection refused: the SYN is answered by RST",
          "refused", LOSSY, (), _state_is(CLIENT, S.CLOSED, Reason.REFUSED)),
    Chart("abort", "The client aborts: the server is told by RST",
          "abort", LOSSY, (_enters(S.ESTABLISHED),), _state_is(SERVER, S.CLOSED, Reason.RESET)),
)


def chart_trace(c: Chart) -> Trace:
    if c.mutant:
        return mutant_trace(c.mutant)[1]
    return find_path(exploration(c.scenario, c.bounds), c.milestones, c.goal)


@cache
def mutant_trace(name: str) -> tuple[str, Trace]:
    """The shortest counterexample of a mutant: (property id, trace)."""
    (catch,) = sweep(Bounds(), (name,))
    if catch.trace is None:
        raise LookupError(f"mutant {name} is not caught by {catch.mutant.breaks}")
    return catch.mutant.breaks, catch.trace


def scenario_title(name: str) -> str:
    return SCENARIOS[name].title
