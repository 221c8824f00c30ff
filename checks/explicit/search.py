"""The explicit-state engine: breadth-first exploration of every interleaving.

Builds the reachable state graph as a networkx DiGraph (nodes are state numbers, in BFS order;
``graph.nodes[n]["world"]`` is the state, each edge's ``label`` the `Label` of the first move found
between the two states). Breadth-first order makes every counterexample a shortest one.
Safety properties are checked on the fly; deadlocks and liveness on the finished graph.
"""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import networkx as nx

from tcpspec.checks.properties import CHECKED, PROPERTIES, Property
from tcpspec.checks.trace import Trace, TraceStep
from tcpspec.spec.model import Label, Model, World


class StateLimitExceeded(RuntimeError):
    """The state space is larger than ``--max-states``."""


@dataclass
class Verdict:
    property: Property
    holds: bool
    trace: Trace | None = None  # counterexample (violated) or witness (reachable)


@dataclass
class Stats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    peak_mib: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "states": self.states,
            "transitions": self.transitions,
            "depth": self.depth,
            "seconds": round(self.seconds, 3),
            "peak_mib": round(self.peak_mib, 1),
        }


@dataclass
class Exploration:
    model: Model
    graph: nx.DiGraph
    worlds: list[World]
    parent: list[tuple[int, Label] | None]
    stats: Stats
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    complete: bool = True  # False when the search stopped at the first violation

    def path_to(self, n: int) -> list[int]:
        path = [n]
        while (p := self.parent[path[-1]]) is not None:
            path.append(p[0])
        return path[::-1]

    def trace_to(self, n: int, prop: str = "", verdict: str = "") -> Trace:
        nodes = self.path_to(n)
        steps = [
            TraceStep(self.parent[k][1], self.worlds[k])  # type: ignore[index]
            for k in nodes[1:]
        ]
        return Trace(self.worlds[0], steps, prop, verdict)


Progress = Callable[[int], None]


class _EndpointsOnly(NamedTuple):
    """A world with the network hidden: a predicate evaluated on it either reads only the
    endpoints (its value is then a function of them, and is cached) or raises AttributeError."""

    eps: tuple[Any, ...]


class _NoLabel:
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


_NO_LABEL = _NoLabel()


class _Cached:
    """A property predicate, memoised on the endpoints when it does not look at the network or the
    label. Most properties speak of the two endpoints only, and many worlds share them (they
    differ in what is in flight), so this saves most of the evaluations."""

    def __init__(self, model: Model, p: Property) -> None:
        self.model, self.p = model, p
        self.memo: dict[Any, bool] | None = {}  # None: the predicate needs the whole world

    def state(self, w: World) -> bool:
        if self.memo is None:
            return bool(self.p.pred(self.model, w))
        hit = self.memo.get(w.eps)
        if hit is None:
            hit = self._first(w.eps, (_EndpointsOnly(w.eps),), (w,))
        return hit

    def step(self, w: World, lab: Label, w2: World) -> bool:
        if self.memo is None:
            return bool(self.p.pred(self.model, w, lab, w2))
        key = (w.eps, w2.eps)
        hit = self.memo.get(key)
        if hit is None:
            hit = self._first(
                key, (_EndpointsOnly(w.eps), _NO_LABEL, _EndpointsOnly(w2.eps)), (w, lab, w2)
            )
        return hit

    def _first(self, key: Any, hidden: tuple[Any, ...], full: tuple[Any, ...]) -> bool:
        try:
            value = bool(self.p.pred(self.model, *hidden))
        except AttributeError:  # it looked at the network or the label: no caching
            self.memo = None
            return bool(self.p.pred(self.model, *full))
        if self.memo is not None:
            self.memo[key] = value
        return value


def explore(
    model: Model,
    properties: tuple[Property, ...] = CHECKED,
    max_states: int = 2_000_000,
    stop_at: Collection[str] = (),
    progress: Progress | None = None,
    measure_memory: bool = False,
) -> Exploration:
    """Explore every reachable state of ``model`` and check ``properties`` (and their witnesses).

    The search ends early once a safety property named in ``stop_at`` is violated (the mutant
    sweep and `tcpspec trace` use this); liveness and deadlock need the full graph and are then
    not decided.
    """
    t0 = time.perf_counter()
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of small immutable tuples, no cycles: the collector only slows us
    try:
        return _explore(
            model, properties, max_states, frozenset(stop_at), progress, measure_memory, t0
        )
    finally:
        if gc_was_on:
            gc.enable()


def _explore(
    model: Model,
    properties: tuple[Property, ...],
    max_states: int,
    stop_at: frozenset[str],
    progress: Progress | None,
    measure_memory: bool,
    t0: float,
) -> Exploration:
    invariants = [p for p in properties if p.kind == "invariant"]
    actions = [p for p in properties if p.kind == "action"]
    witness_ids = [p.witness for p in properties if p.witness]
    witnesses = [PROPERTIES[w] for w in witness_ids]
    w_states = [p for p in witnesses if p.kind == "reachable" and _arity(p) == 2]
    w_actions = [p for p in witnesses if p.kind == "reachable" and _arity(p) == 4]
    cached = {p.id: _Cached(model, p) for p in invariants + actions + w_states + w_actions}

    init = model.initial()
    index: dict[World, int] = {init: 0}
    worlds: list[World] = [init]
    parent: list[tuple[int, Label] | None] = [None]
    depth: list[int] = [0]
    g = nx.DiGraph()
    g.add_node(0)
    ex = Exploration(model, g, worlds, parent, Stats())
    found: dict[str, int] = {}  # property id -> state number where it was decided
    found_edge: dict[str, tuple[int, Label, World]] = {}
    transitions = 0

    def check_state(n: int, w: World) -> None:
        for p in invariants:
            if p.id not in found and not cached[p.id].state(w):
                found[p.id] = n
        for p in w_states:
            if p.id not in found and cached[p.id].state(w):
                found[p.id] = n

    check_state(0, init)
    head = 0
    while head < len(worlds):
        if any(pid in found or pid in found_edge for pid in stop_at):
            ex.complete = False
            break
        n = head
        w = worlds[head]
        head += 1
        for lab, w2 in model.successors(w):
            transitions += 1
            m2 = index.get(w2)
            is_new = m2 is None
            if is_new:
                m2 = len(worlds)
                if m2 >= max_states:
                    raise StateLimitExceeded(
                        f"the state space has more than {max_states:,} states; raise "
                        f"--max-states or lower the bounds (e.g. --capacity, --duplicates, "
                        f"--data)"
                    )
                index[w2] = m2
                worlds.append(w2)
                parent.append((n, lab))
                depth.append(depth[n] + 1)
            for p in actions:
                if p.id not in found_edge and not cached[p.id].step(w, lab, w2):
                    found_edge[p.id] = (n, lab, w2)
            for p in w_actions:
                if p.id not in found_edge and cached[p.id].step(w, lab, w2):
                    found_edge[p.id] = (n, lab, w2)
            if m2 != n and not g.has_edge(n, m2):
                g.add_edge(n, m2, label=lab)
            if is_new:
                check_state(m2, w2)  # type: ignore[arg-type]
        if progress is not None and head % 5000 == 0:
            progress(len(worlds))

    for n, w in enumerate(worlds):
        g.nodes[n]["world"] = w

    # -- verdicts ------------------------------------------------------------------------------
    for p in invariants + [q for q in witnesses if q in w_states]:
        if p.id in found:
            kind = "witness" if p.kind == "reachable" else "violated"
            tr = ex.trace_to(found[p.id], p.id, kind)
            ex.verdicts[p.id] = Verdict(p, p.kind == "reachable", tr)
        else:
            ex.verdicts[p.id] = Verdict(p, p.kind != "reachable")
    for p in actions + w_actions:
        if p.id in found_edge:
            n, lab, w2 = found_edge[p.id]
            tr = ex.trace_to(n, p.id, "witness" if p.kind == "reachable" else "violated")
            tr.steps.append(TraceStep(lab, w2))
            ex.verdicts[p.id] = Verdict(p, p.kind == "reachable", tr)
        else:
            ex.verdicts[p.id] = Verdict(p, p.kind != "reachable")
    if ex.complete:
        for p in properties:
            if p.kind == "deadlock":
                ex.verdicts[p.id] = _deadlocks(ex, p)
        live = [p for p in properties if p.kind == "liveness"]
        if live:
            _liveness(ex, live)

    ex.stats = Stats(
        states=len(worlds),
        transitions=transitions,
        depth=max(depth),
        seconds=time.perf_counter() - t0,
    )
    if measure_memory:  # the process's peak resident size (Linux reports KiB)
        ex.stats.peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return ex


def _arity(p: Property) -> int:
    return int(p.pred.__code__.co_argcount)


def _deadlocks(ex: Exploration, p: Property) -> Verdict:
    g = ex.graph
    for n in range(len(ex.worlds)):  # BFS order: the first found is the shallowest
        if (
            g.out_degree(n) == 0
            and not ex.model.successors(ex.worlds[n])
            and not p.pred(ex.model, ex.worlds[n])
        ):
            tr = ex.trace_to(n, p.id, "violated")
            tr.loop_start = len(tr.steps)
            tr.note = "no move is possible in the last state, which is not a proper end"
            return Verdict(p, False, tr)
    return Verdict(p, True)


def _liveness(ex: Exploration, props: list[Property]) -> None:
    """Bottom SCCs are where fair runs end up; every state in them must satisfy each goal."""
    g = ex.graph
    cond = nx.condensation(g)
    members = cond.graph["mapping"]  # node -> scc id
    bottoms = {c for c in cond.nodes if cond.out_degree(c) == 0}
    bad: dict[str, int] = {}
    for n in range(len(ex.worlds)):  # BFS order: shallowest first
        if members[n] not in bottoms:
            continue
        for p in props:
            if p.id not in bad and not p.pred(ex.model, ex.worlds[n]):
                bad[p.id] = n
    for p in props:
        if p.id not in bad:
            ex.verdicts[p.id] = Verdict(p, True)
            continue
        n = bad[p.id]
        tr = ex.trace_to(n, p.id, "violated")
        scc = cond.nodes[members[n]]["members"]
        tr.loop_start = len(tr.steps)
        if len(scc) > 1:  # close the lasso: a shortest way back to n inside its SCC
            sub = g.subgraph(scc)
            back = min((nx.shortest_path(sub, s, n) for s in sub.successors(n)), key=len)
            cur = n
            for nxt in back:
                tr.steps.append(TraceStep(g.edges[cur, nxt]["label"], ex.worlds[nxt]))
                cur = nxt
            tr.note = f"from step {tr.loop_start} on, the run can repeat forever"
        else:
            tr.note = "the run can stay in the last state forever"
        ex.verdicts[p.id] = Verdict(p, False, tr)
