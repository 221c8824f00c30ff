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

from tcpspec.checks.explicit import Exploration, explore
from tcpspec.checks.properties import (
    PROPERTIES,
    both_closed_normally,
    both_established,
    data_after_fin,
)
from tcpspec.checks.synthesis import SynthesisRow, synthesize_time_wait
from tcpspec.checks.trace import Trace, TraceStep
from tcpspec.checks.verify import sweep
from tcpspec.spec.build import make_model
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.model import CLIENT, SERVER, Bounds, Label, Model, World
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.states import Reason
from tcpspec.spec.states import State as S

#: A fault-free network: nothing lost, reordered or duplicated.
FAULT_FREE = Bounds(loss=False, duplicates=0, reorder=False, capacity=2)
#: Room for every segment a working connection has in flight at once (with 2, some
#: interleavings would overflow a channel, i.e. lose a segment).
WORKING = Bounds(loss=False, duplicates=0, reorder=False, capacity=3)
#: Losses, but no reordering or duplication: enough for every chart, small enough to be quick.
LOSSY = Bounds(duplicates=0, reorder=False)


class ClosedStart(Model):
    """A scenario's model in which both sides start CLOSED, before any OPEN call.

    The scenarios start a passive opener in LISTEN (it is where every interesting run begins);
    from CLOSED the same rules first fire ``user.open_passive`` (RFC 9293 3.10.1), which is how
    the state machine learns its CLOSED -> LISTEN edge.
    """

    def initial(self) -> World:
        w = super().initial()
        return w._replace(eps=(Endpoint(), Endpoint()))


@cache
def exploration(
    scenario: str, bounds: Bounds = LOSSY, closed_start: bool = False, mutant: str | None = None
) -> Exploration:
    """The explored graph of a scenario, with a mutant's rules when one is named (no properties:
    the diagrams only need the graph)."""
    m = make_model(scenario, bounds, mutant)
    if closed_start:
        m = ClosedStart(m.sides, bounds, m.rules, m.stale)
    return explore(m, properties=())


def fault_free_view(ex: Exploration) -> set[int]:
    """The states reachable when nothing goes wrong and nobody is impatient: no segment is lost
    or duplicated, no retransmission timer runs out (so nothing is retransmitted), and time only
    passes to end TIME-WAIT. What is left is every interleaving of a connection that works:
    open, data, half-close, close."""
    seen = {0}
    todo = [0]
    while todo:
        n = todo.pop()
        for m in ex.graph.successors(n):
            if m not in seen and ok_fault_free(ex.graph.edges[n, m]["label"], ex.worlds[m]):
                seen.add(m)
                todo.append(m)
    return seen


def ok_fault_free(lab: Label, after: World) -> bool:
    """A move of a working connection (see `fault_free_view`)."""
    if lab.kind in ("lose", "duplicate") or lab.overflow or lab.expired:
        return False
    if lab.kind == "timer" and not lab.fired("timer.time_wait_expired"):
        return False
    return all(e.rto != 0 for e in after.eps)


# -- the endpoint state machine ----------------------------------------------------------------

#: Scenarios (and bounds) whose explored edges make up the state machine diagram.
#: The third field starts both sides CLOSED (see `ClosedStart`), for the passive OPEN.
MACHINE_SOURCES: tuple[tuple[str, Bounds, bool], ...] = (
    ("connect-close", LOSSY, False),
    ("close", Bounds(), False),
    ("close", FAULT_FREE, True),
    ("stale-syn", Bounds(), False),
    ("simultaneous-open", Bounds(), False),
    ("refused", Bounds(), False),
    ("abort", Bounds(), False),
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
    for scenario, bounds, closed_start in MACHINE_SOURCES:
        ex = exploration(scenario, bounds, closed_start)
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
            seen.add(
                Transition(
                    before.name, after.name, _event(lab), _action(lab), ", ".join(lab.cases), role
                )
            )
    return sorted(seen)


def usual_paths() -> dict[int, frozenset[tuple[str, str, str]]]:
    """The state changes of each side in the textbook run: the server opens passively, the
    client actively, and the client closes first (the shortest fault-free run from both CLOSED
    to both CLOSED normally): (state before, state after, rule cases) for each side. The state
    machine draws these two paths apart from the rest."""
    t = find_path(exploration("close", FAULT_FREE, True), (), _closed_normally)
    paths: dict[int, set[tuple[str, str, str]]] = {CLIENT: set(), SERVER: set()}
    prev = t.initial
    for step in t.steps:
        for i in (CLIENT, SERVER):
            a, b = prev.eps[i].st, step.world.eps[i].st
            if a != b:
                paths[i].add((a.name, b.name, ", ".join(step.label.cases)))
        prev = step.world
    return {i: frozenset(p) for i, p in paths.items()}


# -- goal search -------------------------------------------------------------------------------

Edge = Callable[[World, Label, World], bool]
Goal = Callable[[World], bool]


def find_path(ex: Exploration, milestones: tuple[Edge, ...], goal: Goal) -> Trace:
    """A shortest run that takes edges matching each milestone in order, then reaches ``goal``.

    Breadth-first over (state, milestones passed). Among the shortest runs it prefers, step by
    step, delivering a segment over a user call over a timeout over time passing (`_rank`), so
    a chart reads like a textbook one: each segment arrives before the next is sent unless the
    story needs otherwise. Deterministic: ties are broken by state number. A segment is lost
    (dropped, sent into a full channel, or expired) only where a milestone asks for it: the
    charts show the one fault they are about.
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
        for nxt in sorted(g.successors(node), key=lambda m: (_rank(g.edges[node, m]["label"]), m)):
            lab = g.edges[node, nxt]["label"]
            hit = k < k_last and milestones[k](worlds[node], lab, worlds[nxt])
            if lab.overflow or lab.expired or (lab.kind == "lose" and not hit):
                continue
            k2 = k + 1 if hit else k
            if (nxt, k2) not in prev:
                prev[(nxt, k2)] = ((node, k), lab)
                queue.append((nxt, k2))
    raise LookupError("no run reaches the goal")


def _rank(lab: Label) -> int:
    return {"deliver": 0, "user": 1, "timer": 2, "lose": 3, "duplicate": 4}.get(lab.kind, 5)


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
    mutant: str = ""  # when set: the run is searched in this mutant's model
    guards: tuple[str, ...] = ()  # the properties (checks.properties) that keep this run right


CHARTS: tuple[Chart, ...] = (
    Chart(
        "handshake",
        "The 3-way handshake (seed 000: ISS 100 and 200)",
        "handshake",
        LOSSY,
        (),
        _established,
        guards=("handshake.three_messages",),
    ),
    Chart(
        "close",
        "The 4-way close: FIN, ACK, FIN, ACK, then TIME-WAIT",
        "close",
        LOSSY,
        (),
        _closed_normally,
        guards=("close.normal_close_is_mutual", "liveness.close_completes"),
    ),
    Chart(
        "close-seeds",
        "The 4-way close with the seeds' numbers: FIN seq=300, ACK 301, FIN seq=400, ACK 401",
        "close-seeds",
        LOSSY,
        (),
        _closed_normally,
        guards=("close.normal_close_is_mutual", "liveness.close_completes"),
    ),
    Chart(
        "normal",
        "A whole connection: open, one data segment each way, close",
        "connect-close",
        LOSSY,
        (),
        _closed_with_data,
        guards=("halfclose.no_data_loss", "close.normal_close_is_mutual"),
    ),
    Chart(
        "lost-syn-ack",
        "The SYN+ACK is lost: the client retransmits its SYN",
        "handshake",
        LOSSY,
        (_lost("SYN+ACK"), _fired("timer.retransmit_syn")),
        _established,
        guards=("liveness.handshake_resolves",),
    ),
    Chart(
        "lost-handshake-ack",
        "The final ACK of the handshake is lost",
        "handshake",
        LOSSY,
        (_lost("ACK", to_state=S.SYN_RECEIVED),),
        _established,
        guards=("liveness.handshake_resolves", "handshake.three_messages"),
    ),
    Chart(
        "stale-syn",
        "An old duplicate SYN is answered, reset by RST, and the real one wins",
        "stale-syn",
        LOSSY,
        (_fired("rst.syn_received_passive"),),
        _established,
        guards=("handshake.stale_syn_rejected",),
    ),
    Chart(
        "lost-fin",
        "The server's FIN is lost and retransmitted",
        "close",
        LOSSY,
        (_lost("FIN+ACK", to_state=S.FIN_WAIT_2),),
        _closed_normally,
        guards=("liveness.close_completes",),
    ),
    Chart(
        "lost-last-ack",
        "The last ACK is lost: the FIN is retransmitted and re-ACKed from TIME-WAIT",
        "close",
        LOSSY,
        (_lost("ACK", to_state=S.LAST_ACK), _fired("time_wait.fin_retransmitted")),
        _closed_normally,
        guards=("timewait.covers_fin_retransmit",),
    ),
    Chart(
        "no-time-wait",
        "Without TIME-WAIT the retransmitted FIN is answered by RST (mutant no-time-wait)",
        "close",
        LOSSY,
        (
            _lost("ACK", to_state=S.LAST_ACK),
            _fired("timer.retransmit_fin"),
            _fired("closed.reset"),
        ),
        _state_is(SERVER, S.CLOSED, Reason.RESET),
        mutant="no-time-wait",
        guards=("timewait.covers_fin_retransmit",),
    ),
    Chart(
        "simultaneous-open",
        "Simultaneous open (RFC 9293 Figure 7)",
        "simultaneous-open",
        LOSSY,
        (_enters(S.SYN_RECEIVED),),
        lambda w: _established(w) and all(e.rcvd_syn for e in w.eps),
        guards=("handshake.three_messages",),
    ),
    Chart(
        "simultaneous-close",
        "Simultaneous close through CLOSING",
        "close",
        LOSSY,
        (_enters(S.CLOSING),),
        _closed_normally,
        guards=("close.normal_close_is_mutual", "liveness.close_completes"),
    ),
    Chart(
        "half-close",
        "Half-close: data flows after the first FIN",
        "connect-close",
        LOSSY,
        (_data_after_fin,),
        _closed_with_data,
        guards=("halfclose.no_data_loss",),
    ),
    Chart(
        "refused",
        "Connection refused: the SYN is answered by RST",
        "refused",
        LOSSY,
        (),
        _state_is(CLIENT, S.CLOSED, Reason.REFUSED),
        guards=("liveness.handshake_resolves",),
    ),
    Chart(
        "abort",
        "The client aborts: the server is told by RST",
        "abort",
        LOSSY,
        (_enters(S.ESTABLISHED),),
        _state_is(SERVER, S.CLOSED, Reason.RESET),
        guards=("no_deadlock",),
    ),
)


def chart_trace(c: Chart) -> Trace:
    ex = exploration(c.scenario, c.bounds, mutant=c.mutant or None)
    return find_path(ex, c.milestones, c.goal)


#: The networks a mutant's chart is drawn on, calmest first: the first one on which the mutant is
#: caught gives the chart (a run with fewer network events reads more easily).
MUTANT_NETWORKS: tuple[tuple[Bounds, str], ...] = (
    (WORKING, "a network that drops, reorders and duplicates nothing (segments still die at MSL)"),
    (LOSSY, "a network that may drop segments but keeps their order"),
    (Bounds(), "the default network: loss, reordering and duplication"),
)


@cache
def _mutant_run(name: str) -> tuple[str, Trace, str, Bounds]:
    for bounds, network in MUTANT_NETWORKS:
        (catch,) = sweep(bounds, (name,))
        if catch.trace is not None:
            return catch.mutant.breaks, catch.trace, network, bounds
    raise LookupError(f"mutant {name} is not caught by {MUTANTS[name].breaks}")


def mutant_trace(name: str) -> tuple[str, Trace]:
    """The shortest counterexample of a mutant, on the calmest network that shows it:
    (property id, trace)."""
    prop, t, _, _ = _mutant_run(name)
    return prop, t


def mutant_network(name: str) -> str:
    """The network `mutant_trace` ran the mutant on, in words."""
    return _mutant_run(name)[2]


def mutant_bounds(name: str) -> Bounds:
    """The bounds of that network: what `tcpspec trace` needs to print the same trace."""
    return _mutant_run(name)[3]


# -- "Is 2*MSL enough?" ------------------------------------------------------------------------

#: The grid the page shows (`tcpspec synthesize time-wait --retries 0,1,2`: MSL and RTO at their
#: default lists) and the point where 2*MSL falls short, on the synthesis' network (no data, no
#: duplication: it is about FINs) with TIME-WAIT at its default, 2*MSL.
TIME_WAIT_GRID = ((1, 2), (1, 2), (0, 1, 2))
TWO_MSL = Bounds(msl=1, rto=1, retries=2, data=0, duplicates=0)


@cache
def time_wait_grid() -> tuple[SynthesisRow, ...]:
    """The least TIME-WAIT the explicit engine finds at each point of `TIME_WAIT_GRID`."""
    msl, rto, retries = TIME_WAIT_GRID
    grid = [(m, r, n) for m in msl for r in rto for n in retries]
    return tuple(synthesize_time_wait(grid, scenario="close"))


@cache
def two_msl_trace() -> Trace:
    """The shortest run of scenario close at `TWO_MSL` in which a retransmitted FIN finds its
    peer gone from TIME-WAIT (2*MSL was not enough)."""
    pid = "timewait.covers_fin_retransmit"
    ex = explore(make_model("close", TWO_MSL), [PROPERTIES[pid]], stop_at=[pid])
    trace = ex.verdicts[pid].trace
    if trace is None:
        raise LookupError(f"{pid} holds at {TWO_MSL}: 2*MSL is enough there")
    return trace
