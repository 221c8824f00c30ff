"""The explicit-state engine: breadth-first exploration of every interleaving.

Breadth-first order makes every counterexample a shortest one. Safety properties are checked on
the fly; deadlocks and liveness on the finished graph.

The store is compact, because the state space is large and Python objects are not. A state's
parts (its two endpoints and its two channels) are few and shared by many states; each is
interned once as a number (`parts.Interned`), and a state is the one integer packing its five
numbers. `Model.moves`, the relation written once, is run over these numbers: what the model
does to each part is asked once and remembered, so exploring a state is a few table lookups.
Parents, depths and the edges (in compressed sparse row form: the successors of state ``n``
are ``succ[first[n]:first[n + 1]]``) are flat arrays. What a step did (its `Label`) is not
stored: it is recomputed, by calling `Model.successors` again, for the few states a trace walks
through. The networkx graph users get (``Exploration.graph``: nodes are state numbers in BFS
order, ``graph.nodes[n]["world"]`` the state, each edge's ``label`` the first move found between
the two states) is built from this form on first use. Liveness needs the bottom strongly
connected components: those are the states with no move out, plus the components of what can
reach none of them (usually nothing), found with numpy on the stored edges.
"""

from __future__ import annotations

import gc
import resource
import time
from array import array
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from tcpspec.checks.explicit.partial import UNKNOWN, decided
from tcpspec.checks.explicit.parts import BITS, ENDPOINTS, MAKERS, Interned, TooManyParts, unpack
from tcpspec.checks.properties import CHECKED, PROPERTIES, Property
from tcpspec.checks.trace import Trace, TraceStep
from tcpspec.spec.model import Label, Model, World

if TYPE_CHECKING:  # networkx is imported when a graph is asked for, not for every search
    import networkx as nx


class StateLimitExceeded(RuntimeError):
    """The state space is larger than ``--max-states``."""


class MemoryLimitExceeded(StateLimitExceeded):
    """The search needs more memory than ``--max-memory``."""


@dataclass
class Verdict:
    """The explicit engine's verdict on one property: ``holds``, and the shortest ``trace``
    that violates it (or, for a "reachable" property, that reaches it)."""

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


#: A progress report, every second or so of a long search: the figures so far (``peak_mib`` is
#: the current resident size).
Progress = Callable[[Stats], None]

_LABEL_MEMO = 400_000  # entries of the table of (endpoints, label, endpoints') already checked


class _Store:
    """The packed states, their parts interned (`parts.Interned`)."""

    def __init__(self, model: Model) -> None:
        self.parts = Interned(model)
        self.keys: list[int] = []  # state number -> packed state
        self.index: dict[int, int] = {}  # packed state -> state number

    def world(self, n: int) -> World:
        return self.parts.world(self.keys[n])

    def number(self, w: World) -> int | None:
        """The state number of ``w`` (None if it was not reached)."""
        key = self.parts.known(w)
        return None if key is None else self.index.get(key)


class Worlds(Sequence[World]):
    """The explored states, in BFS order, built on demand from the compact store."""

    def __init__(self, store: _Store) -> None:
        self._store = store

    def __len__(self) -> int:
        return len(self._store.keys)

    @overload
    def __getitem__(self, n: int) -> World: ...
    @overload
    def __getitem__(self, n: slice) -> list[World]: ...
    def __getitem__(self, n: int | slice) -> World | list[World]:
        if isinstance(n, slice):
            return [self[k] for k in range(*n.indices(len(self)))]
        if n < 0:
            n += len(self)
        if not 0 <= n < len(self):
            raise IndexError(n)
        return self._store.world(n)

    def __iter__(self) -> Iterator[World]:
        world = self._store.world
        return (world(n) for n in range(len(self)))


class Parents(Sequence["tuple[int, Label] | None"]):
    """``parent[n]``: the state a shortest path reaches ``n`` from, and the move taken (the first
    move found from there to ``n``, recomputed); None for the initial state."""

    def __init__(self, ex: Exploration) -> None:
        self._ex = ex

    def __len__(self) -> int:
        return len(self._ex._parent)

    @overload
    def __getitem__(self, n: int) -> tuple[int, Label] | None: ...
    @overload
    def __getitem__(self, n: slice) -> list[tuple[int, Label] | None]: ...
    def __getitem__(self, n: int | slice) -> Any:
        if isinstance(n, slice):
            return [self[k] for k in range(*n.indices(len(self)))]
        p = self._ex._parent[n]
        if p < 0:
            return None
        return p, self._ex.label(p, n)


class Exploration:
    """What a search found: the states, the shortest paths to them, the verdicts.

    ``worlds[n]`` is state ``n`` (BFS order), ``parent[n]`` how it was first reached, ``graph``
    the networkx graph of every state and move (built on first use)."""

    def __init__(
        self,
        model: Model,
        store: _Store,
        parent: array[int],
        first: array[int],
        succ: array[int],
        stats: Stats,
    ) -> None:
        self.model = model
        self._store = store
        self._parent = parent
        self._first = first  # CSR row starts of the processed states (len: processed + 1)
        self._succ = succ
        self.stats = stats
        self.verdicts: dict[str, Verdict] = {}
        self.complete = True  # False when the search stopped at the first violation
        self.worlds = Worlds(store)
        self.parent = Parents(self)
        self._graph: nx.DiGraph | None = None

    # -- paths and traces ----------------------------------------------------------------------

    def number(self, w: World) -> int | None:
        """The state number of ``w``, or None if the search did not reach it."""
        return self._store.number(w)

    def successors(self, n: int) -> array[int]:
        """The states one move from ``n`` (each once, ``n`` itself left out); empty if ``n`` was
        not expanded (the search stopped first)."""
        if n + 1 >= len(self._first):
            return array("i")
        return self._succ[self._first[n] : self._first[n + 1]]

    def label(self, n: int, m: int) -> Label:
        """The first move found from state ``n`` to state ``m`` (what the graph's edge holds)."""
        target = self.worlds[m]
        for lab, w2 in self.model.successors(self.worlds[n]):
            if w2 == target:
                return lab
        raise KeyError((n, m))

    def path_to(self, n: int) -> list[int]:
        path = [n]
        while (p := self._parent[path[-1]]) >= 0:
            path.append(p)
        return path[::-1]

    def trace_to(self, n: int, prop: str = "", verdict: str = "") -> Trace:
        nodes = self.path_to(n)
        steps = [TraceStep(self.label(a, b), self.worlds[b]) for a, b in pairwise(nodes)]
        return Trace(self.worlds[0], steps, prop, verdict)

    # -- the networkx view ---------------------------------------------------------------------

    @property
    def graph(self) -> nx.DiGraph:
        """Every state (attribute ``world``) and move (attribute ``label``: the first move found
        between the two states; no self-loops), as a networkx DiGraph."""
        if self._graph is None:
            self._graph = self._build_graph()
        return self._graph

    def _build_graph(self) -> nx.DiGraph:
        import networkx as nx

        g = nx.DiGraph()
        worlds = self.worlds
        g.add_nodes_from((n, {"world": w}) for n, w in enumerate(worlds))
        for n in range(len(self._first) - 1):
            targets = set(self.successors(n).tolist())
            if not targets:
                continue
            for lab, w2 in self.model.successors(worlds[n]):
                m = self._store.number(w2)
                if m in targets:
                    targets.discard(m)
                    g.add_edge(n, m, label=lab)
        return g


class _EndpointsOnly(NamedTuple):
    """A world with the network hidden: a predicate evaluated on it either reads only the
    endpoints (its value is then a function of them) or raises AttributeError."""

    eps: tuple[Any, ...]


class _NoLabel:
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


_NO_LABEL = _NoLabel()
_UNSEEN = object()


_EPS, _EPS_LABEL, _WORLD = "endpoints", "endpoints and label", "world"


class _Check:
    """One property predicate, and what it reads (decided on its first evaluation, with the
    network, and then the label, hidden): the endpoints only, the endpoints and the label, or
    the whole world. Most properties speak of the two endpoints only, and many states share
    them, so such a predicate is evaluated once per pair of endpoints (a state predicate) or
    per pair of such pairs (a step predicate): where its value can change, and nowhere else."""

    def __init__(self, model: Model, p: Property, want: bool, slot: int = 0) -> None:
        self.model, self.p, self.id, self.slot = model, p, p.id, slot
        # the value that decides it: False for a safety property, True for a witness
        self.want = want
        self.kind: str | None = None
        # label number -> the step predicate's value on it whatever the endpoints, or None
        self.by_label: dict[int, bool | None] = {}

    def state(self, w: World) -> bool:
        if self.kind is None:
            return self._first([((_EndpointsOnly(w.eps),), _EPS), ((w,), _WORLD)])
        return bool(self.p.pred(self.model, w))

    def endpoints(self, eps: tuple[Any, ...]) -> bool:
        """`state`, for a predicate known to read the endpoints only."""
        return bool(self.p.pred(self.model, _EndpointsOnly(eps)))

    def step_endpoints(
        self, eps: tuple[Any, ...], eps2: tuple[Any, ...], lab: Label | None = None
    ) -> bool:
        """`step`, for a predicate known to read the endpoints (and the label) only."""
        return bool(
            self.p.pred(
                self.model,
                _EndpointsOnly(eps),
                _NO_LABEL if lab is None else lab,
                _EndpointsOnly(eps2),
            )
        )

    def step(self, w: World, lab: Label, w2: World) -> bool:
        if self.kind is None:
            hw, hw2 = _EndpointsOnly(w.eps), _EndpointsOnly(w2.eps)
            return self._first(
                [((hw, _NO_LABEL, hw2), _EPS), ((hw, lab, hw2), _EPS_LABEL), ((w, lab, w2), _WORLD)]
            )
        return bool(self.p.pred(self.model, w, lab, w2))

    def _first(self, tries: list[tuple[tuple[Any, ...], str]]) -> bool:
        for args, kind in tries[:-1]:
            try:
                value = bool(self.p.pred(self.model, *args))
            except AttributeError:  # it looked at what was hidden
                continue
            self.kind = kind
            return value
        args, self.kind = tries[-1]
        return bool(self.p.pred(self.model, *args))


def _rss_mib() -> float:
    """The resident size now (Linux: /proc/self/statm), else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def explore(
    model: Model,
    properties: Sequence[Property] = CHECKED,
    max_states: int = 2_000_000,
    stop_at: Collection[str] = (),
    progress: Progress | None = None,
    measure_memory: bool = False,
    max_memory_mib: float | None = None,
    progress_every: float = 2.0,
) -> Exploration:
    """Explore every reachable state of ``model`` and check ``properties`` (and their witnesses).

    The search ends early once a safety property named in ``stop_at`` is violated (the mutant
    sweep and `tcpspec trace` use this); liveness and deadlock need the full graph and are then
    not decided. It stops with `StateLimitExceeded` beyond ``max_states`` states and with
    `MemoryLimitExceeded` when the process grows beyond ``max_memory_mib``; ``progress`` is
    called every ``progress_every`` seconds with the figures so far.
    """
    t0 = time.perf_counter()
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of small immutable tuples, no cycles: the collector only slows us
    try:
        return _Search(
            model,
            tuple(properties),
            max_states,
            frozenset(stop_at),
            progress,
            max_memory_mib,
            progress_every,
            t0,
        ).run(measure_memory)
    except TooManyParts as e:  # a limit of the store, reported as the state limit is
        raise StateLimitExceeded(str(e)) from None
    finally:
        if gc_was_on:
            gc.enable()


class _Search:
    def __init__(
        self,
        model: Model,
        properties: tuple[Property, ...],
        max_states: int,
        stop_at: frozenset[str],
        progress: Progress | None,
        max_memory_mib: float | None,
        progress_every: float,
        t0: float,
    ) -> None:
        self.model, self.properties, self.max_states = model, properties, max_states
        self.stop_at, self.progress, self.max_memory_mib = stop_at, progress, max_memory_mib
        self.progress_every, self.t0 = progress_every, t0
        self.invariants = [p for p in properties if p.kind == "invariant"]
        self.actions = [p for p in properties if p.kind == "action"]
        self.witnesses = [PROPERTIES[p.witness] for p in properties if p.witness]
        self.w_states = [p for p in self.witnesses if p.kind == "reachable" and not p.of_steps]
        self.w_actions = [p for p in self.witnesses if p.kind == "reachable" and p.of_steps]
        # property id -> the state (or the step) where it was decided
        self.found: dict[str, int] = {}
        self.found_edge: dict[str, tuple[int, Label, World]] = {}
        # step predicates that read the label: (endpoints, label, endpoints') -> bits
        # (endpoints, endpoints') and (endpoints, endpoints', label) whose step checks ran
        self.seen_steps: set[int] = set()
        self.seen_labelled: set[int] = set()
        # label number -> some step check needs more than the label to be decided on it
        self.label_need: dict[int, bool] = {}
        # some check reads more than the endpoints (or is not yet known not to)
        self.every_state = self.every_step = True
        self.eps_steps = True  # some step check reads the endpoints only

    def run(self, measure_memory: bool) -> Exploration:
        model = self.model
        store = _Store(model)
        parts = store.parts
        parent = array("i", [-1])
        depth = array("i", [0])
        first = array("q", [0])
        succ = array("i")
        ex = Exploration(model, store, parent, first, succ, Stats())
        self.ex = ex

        state_checks = [_Check(model, p, False) for p in self.invariants] + [
            _Check(model, p, True) for p in self.w_states
        ]
        step_checks = [
            _Check(model, p, p.kind == "reachable", slot)
            for slot, p in enumerate(self.actions + self.w_actions)
        ]
        if len(step_checks) > 16:
            raise ValueError("at most 16 step properties at once")
        found, found_edge = self.found, self.found_edge

        key0 = parts.key(model.initial())
        keys, index = store.keys, store.index
        keys.append(key0)
        index[key0] = 0
        # state checks that read only the endpoints are decided per pair of endpoints: the
        # first state with a given pair is the one to report, later ones add nothing
        seen_eps = {key0 & ENDPOINTS}
        state_checks = self._check_state(state_checks, 0, key0, new_eps=True)
        seen_steps, seen_labelled = self.seen_steps, self.seen_labelled
        label_need = self.label_need
        max_states = self.max_states
        moves = model.moves
        make = MAKERS
        transitions = 0
        n = 0
        next_report = time.perf_counter() + self.progress_every
        watch = self.progress is not None or self.max_memory_mib is not None
        stop_at = self.stop_at
        while n < len(keys):
            if stop_at and any(pid in found or pid in found_edge for pid in stop_at):
                ex.complete = False
                break
            key = keys[n]
            e0, e1, c0, c1, dups = unpack(key)
            d_next = depth[n] + 1
            targets: set[int] = set()
            out = moves(parts, (e0, e1), (c0, c1), dups, make)
            transitions += len(out)
            for lab, key2 in out:
                m2 = index.get(key2)
                if m2 is None:
                    m2 = len(keys)
                    if m2 >= max_states:
                        raise StateLimitExceeded(
                            f"the state space has more than {max_states:,} states; raise "
                            f"--max-states or lower the bounds (e.g. --capacity, --duplicates, "
                            f"--data)"
                        )
                    index[key2] = m2
                    keys.append(key2)
                    parent.append(n)
                    depth.append(d_next)
                    if state_checks:
                        eps2 = key2 & ENDPOINTS
                        new_eps = eps2 not in seen_eps
                        if new_eps or self.every_state:
                            seen_eps.add(eps2)
                            state_checks = self._check_state(state_checks, m2, key2, new_eps)
                if step_checks:
                    # most step predicates are decided by the label alone, or else read only
                    # the endpoints (and the label): decided once per label, per (endpoints,
                    # endpoints') or per (endpoints, label, endpoints') seen
                    pair = (key & ENDPOINTS) << 2 * BITS | key2 & ENDPOINTS
                    need = label_need.get(lab)
                    if (
                        self.every_step
                        or need is None
                        or (self.eps_steps and pair not in seen_steps)
                        or (need and (pair << BITS | lab) not in seen_labelled)
                    ):
                        step_checks = self._check_step(step_checks, n, key, lab, key2, pair)
                if m2 != n and m2 not in targets:
                    targets.add(m2)
                    succ.append(m2)
            first.append(len(succ))
            n += 1
            if watch and not n & 1023 and time.perf_counter() >= next_report:
                next_report = time.perf_counter() + self.progress_every
                self._watch(len(keys), transitions, max(depth[-1], 0))

        # the tables of what was checked are not needed any more: room for liveness
        self.seen_steps.clear()
        self.seen_labelled.clear()
        seen_eps.clear()
        self._verdicts(ex)
        ex.stats = Stats(
            states=len(keys),
            transitions=transitions,
            depth=max(depth),
            seconds=time.perf_counter() - self.t0,
        )
        if measure_memory:  # the process's peak resident size (Linux reports KiB)
            ex.stats.peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return ex

    def _check_state(self, checks: list[_Check], n: int, key: int, new_eps: bool) -> list[_Check]:
        """Decide what state ``n`` (packed: ``key``) decides; the checks still undecided."""
        left = []
        parts = self.ex._store.parts
        for ch in checks:
            if ch.kind == _EPS and not new_eps:
                left.append(ch)  # the same endpoints were seen (and checked) before
                continue
            if ch.kind == _EPS:
                value = ch.endpoints(parts.endpoint_pair(key))
            else:
                value = ch.state(parts.world(key))
            if value == ch.want:
                self.found[ch.id] = n
            else:
                left.append(ch)
        self.every_state = any(ch.kind != _EPS for ch in left)
        return left

    def _check_step(
        self, checks: list[_Check], n: int, key: int, lab: int, key2: int, pair: int
    ) -> list[_Check]:
        """Decide what the move ``key`` -> ``key2`` (label number ``lab``; ``pair``: both
        endpoint pairs) decides; the checks still undecided after it."""
        new_pair = pair not in self.seen_steps
        self.seen_steps.add(pair)
        labelled = pair << BITS | lab
        new_labelled = labelled not in self.seen_labelled
        if new_labelled:
            # bounded: the same move recurs with many different channel contents, but the
            # table must not grow with the state space
            if len(self.seen_labelled) > _LABEL_MEMO:
                self.seen_labelled.clear()
            self.seen_labelled.add(labelled)
        parts = self.ex._store.parts
        label = parts.label(lab)
        left = []
        need = False
        for ch in checks:
            if ch.kind == _EPS_LABEL:
                by_label = ch.by_label.get(lab, _UNSEEN)
                if by_label is _UNSEEN:
                    by_label = ch.by_label[lab] = decided(
                        ch.p.pred, self.model, UNKNOWN, label, UNKNOWN
                    )
                if by_label is not None:
                    value = by_label
                elif not new_labelled:
                    left.append(ch)
                    need = True
                    continue
                else:
                    need = True
                    value = ch.step_endpoints(
                        parts.endpoint_pair(key), parts.endpoint_pair(key2), label
                    )
            elif ch.kind == _EPS:
                if not new_pair:
                    left.append(ch)  # decided (not what decides it) for these endpoints before
                    continue
                value = ch.step_endpoints(parts.endpoint_pair(key), parts.endpoint_pair(key2))
            else:
                value = ch.step(parts.world(key), label, parts.world(key2))
            if value == ch.want:
                self.found_edge[ch.id] = (n, label, parts.world(key2))
            else:
                left.append(ch)
        self.label_need[lab] = need
        self.every_step = any(ch.kind not in (_EPS, _EPS_LABEL) for ch in left)
        self.eps_steps = any(ch.kind == _EPS for ch in left)
        return left

    def _watch(self, states: int, transitions: int, depth: int) -> None:
        rss = _rss_mib()
        if self.max_memory_mib is not None and rss > self.max_memory_mib:
            raise MemoryLimitExceeded(
                f"the search needs more than {self.max_memory_mib:,.0f} MiB (--max-memory) after "
                f"{states:,} states; lower the bounds (e.g. --capacity, --duplicates, --data), "
                f"check only safety with --engine z3, or raise --max-memory"
            )
        if self.progress is not None:
            secs = time.perf_counter() - self.t0
            self.progress(Stats(states, transitions, depth, secs, rss))

    # -- verdicts ------------------------------------------------------------------------------

    def _verdicts(self, ex: Exploration) -> None:
        found, found_edge = self.found, self.found_edge
        for p in self.invariants + self.w_states:
            if p.id in found:
                kind = "witness" if p.kind == "reachable" else "violated"
                tr = ex.trace_to(found[p.id], p.id, kind)
                ex.verdicts[p.id] = Verdict(p, p.kind == "reachable", tr)
            else:
                ex.verdicts[p.id] = Verdict(p, p.kind != "reachable")
        for p in self.actions + self.w_actions:
            if p.id in found_edge:
                n, lab, w2 = found_edge[p.id]
                tr = ex.trace_to(n, p.id, "witness" if p.kind == "reachable" else "violated")
                tr.steps.append(TraceStep(lab, w2))
                ex.verdicts[p.id] = Verdict(p, p.kind == "reachable", tr)
            else:
                ex.verdicts[p.id] = Verdict(p, p.kind != "reachable")
        if ex.complete:
            for p in self.properties:
                if p.kind == "deadlock":
                    ex.verdicts[p.id] = _deadlocks(ex, p)
            live = [p for p in self.properties if p.kind == "liveness"]
            if live:
                _liveness(ex, live)


def _deadlocks(ex: Exploration, p: Property) -> Verdict:
    first = ex._first
    for n in range(len(ex.worlds)):  # BFS order: the first found is the shallowest
        if (
            first[n + 1] == first[n]  # no move to another state (maybe to itself)
            and not ex.model.successors(ex.worlds[n])
            and not p.pred(ex.model, ex.worlds[n])
        ):
            tr = ex.trace_to(n, p.id, "violated")
            tr.loop_start = len(tr.steps)
            tr.note = "no move is possible in the last state, which is not a proper end"
            return Verdict(p, False, tr)
    return Verdict(p, True)


def _bottom(ex: Exploration) -> tuple[Any, dict[int, list[int]]]:
    """Which states lie in a bottom strongly connected component (no move leaves it), and the
    members of each such component that is more than one state (by each member).

    A state with no move to another state is a bottom component by itself, and a state that
    can reach one is in no bottom component (its component has a way out). So only the states
    that can reach no such end need a component decomposition; in a model whose runs all end
    there are none. "Can reach an end" is a backward search over the stored edges, with numpy.
    """
    import numpy as np

    indptr = np.frombuffer(ex._first, dtype=np.int64)
    indices = np.frombuffer(ex._succ, dtype=np.int32)
    end = indptr[1:] == indptr[:-1]
    # "can reach an end": one sweep over the edges per step back, until nothing changes
    moving = ~end
    starts = indptr[:-1][moving]
    reach = end.copy()
    while len(indices):
        ahead = np.logical_or.reduceat(reach[indices], starts)
        if not (ahead & ~reach[moving]).any():
            break
        reach[moving] |= ahead
    in_bottom = end.copy()
    members: dict[int, list[int]] = {}
    rest = (~reach).nonzero()[0].tolist()
    if rest:  # runs that never end: decompose what they can reach (closed under moves)
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(rest)
        for a in rest:
            g.add_edges_from((a, b) for b in ex.successors(a).tolist())
        for scc in nx.strongly_connected_components(g):
            if not any(b not in scc for a in scc for b in g.successors(a)):
                scc_list = sorted(scc)
                in_bottom[scc_list] = True
                if len(scc_list) > 1:
                    members.update((a, scc_list) for a in scc_list)
    return in_bottom, members


def _liveness(ex: Exploration, props: list[Property]) -> None:
    """Bottom SCCs are where fair runs end up; every state in them must satisfy each goal."""
    in_bottom, members = _bottom(ex)
    checks = [_Check(ex.model, p, False) for p in props]
    memo: dict[tuple[str, Any], bool] = {}
    bad: dict[str, int] = {}
    for n in in_bottom.nonzero()[0].tolist():  # BFS order: shallowest first
        w = ex.worlds[n]
        for ch in checks:
            if ch.id in bad:
                continue
            k = (ch.id, w.eps)
            ok = memo.get(k) if ch.kind == _EPS else None
            if ok is None:
                ok = ch.state(w)
                if ch.kind == _EPS:
                    memo[k] = ok
            if not ok:
                bad[ch.id] = n
        if len(bad) == len(checks):
            break
    for p in props:
        if p.id not in bad:
            ex.verdicts[p.id] = Verdict(p, True)
            continue
        n = bad[p.id]
        tr = ex.trace_to(n, p.id, "violated")
        tr.loop_start = len(tr.steps)
        if n in members:  # close the lasso: a shortest way back to n inside its SCC
            import networkx as nx

            sub = _component_graph(ex, members[n])
            back = min((nx.shortest_path(sub, s, n) for s in sub.successors(n)), key=len)
            cur = n
            for nxt in back:
                tr.steps.append(TraceStep(ex.label(cur, nxt), ex.worlds[nxt]))
                cur = nxt
            tr.note = f"from step {tr.loop_start} on, the run can repeat forever"
        else:
            tr.note = "the run can stay in the last state forever"
        ex.verdicts[p.id] = Verdict(p, False, tr)


def _component_graph(ex: Exploration, members: list[int]) -> nx.DiGraph:
    """One component as a networkx graph, its nodes and edges in the order the search found
    them (so that the shortest path networkx picks is the one it picks on the whole graph)."""
    import networkx as nx

    keep = set(members)
    g = nx.DiGraph()
    g.add_nodes_from(members)
    for n in members:
        for m in ex.successors(n).tolist():
            if m in keep:
                g.add_edge(n, m)
    return g
