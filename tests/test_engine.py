"""The explicit engine: properties hold, mutants are caught, traces replay, runs are random."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcpspec.checks.explicit import StateLimitExceeded, explore
from tcpspec.checks.properties import CHECKED, PROPERTIES
from tcpspec.checks.trace import to_json_text
from tcpspec.checks.verify import sweep
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, BoundsError
from tcpspec.spec.mutants import MUTANTS

SMALL = ("handshake", "close", "stale-syn", "stale-data", "simultaneous-open", "refused")


@pytest.mark.parametrize("scenario", SMALL)
def test_every_property_holds(scenario: str) -> None:
    ex = explore(make_model(scenario))
    for p in CHECKED:
        assert ex.verdicts[p.id].holds, (p.id, scenario)


@pytest.mark.parametrize("name", list(MUTANTS))
def test_each_mutant_is_caught_by_its_property(name: str) -> None:
    (catch,) = sweep(Bounds(), (name,))
    assert catch.mutant.breaks in catch.caught_by
    assert catch.trace is not None and len(catch.trace) > 0


def _replays(m, trace) -> bool:  # type: ignore[no-untyped-def]
    w = trace.initial
    for step in trace.steps:
        if (step.label, step.world) not in m.successors(w):
            return False
        w = step.world
    return True


@pytest.mark.parametrize(
    "name", ["no-time-wait", "two-way-handshake", "fixed-isn", "discard-data-after-fin"]
)
def test_counterexample_replays_and_violates(name: str) -> None:
    mut = MUTANTS[name]
    m = make_model(mut.scenario, mutant=name)
    ex = explore(m, stop_at=(mut.breaks,))
    tr = ex.verdicts[mut.breaks].trace
    assert tr is not None and _replays(m, tr)
    prop = PROPERTIES[mut.breaks]
    last = tr.steps[-1]
    prev = tr.worlds()[-2]
    if prop.kind == "invariant":
        assert not prop.pred(m, last.world) and prop.pred(m, prev)
    else:
        assert not prop.pred(m, prev, last.label, last.world)
    # and the correct TCP admits no such run: the same property holds there
    assert explore(make_model(mut.scenario)).verdicts[mut.breaks].holds


def test_counterexamples_are_shortest() -> None:
    """BFS: no shorter run of the mutant violates the property."""
    m = make_model("close", mutant="last-ack-closes-without-ack")
    ex = explore(m, stop_at=("close.normal_close_is_mutual",))
    n = len(ex.verdicts["close.normal_close_is_mutual"].trace)
    frontier = {m.initial()}
    prop = PROPERTIES["close.normal_close_is_mutual"]
    for _ in range(n - 1):
        assert all(prop.pred(m, w) for w in frontier)
        frontier = {w2 for w in frontier for _, w2 in m.successors(w)}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40),
    st.sampled_from(["connect-close", "stale-syn", "stale-data", "simultaneous-open", "abort"]),
)
def test_random_walks_never_violate_an_invariant(choices: list[int], scenario: str) -> None:
    m = make_model(scenario)
    w = m.initial()
    for c in choices:
        for p in CHECKED:
            if p.kind == "invariant":
                assert p.pred(m, w), p.id
        succ = m.successors(w)
        if not succ:
            break
        lab, w2 = succ[c % len(succ)]
        for p in CHECKED:
            if p.kind == "action":
                assert p.pred(m, w, lab, w2), p.id
        w = w2


def test_graph_is_a_networkx_digraph_with_labels() -> None:
    ex = explore(make_model("handshake"))
    g = ex.graph
    assert g.number_of_nodes() == ex.stats.states
    u, _v, data = next(iter(g.edges(data=True)))
    assert data["label"].kind and "world" in g.nodes[u]


def test_max_states_guard() -> None:
    with pytest.raises(StateLimitExceeded, match="max-states"):
        explore(make_model("connect-close"), max_states=100)


@pytest.mark.parametrize(
    "bad", [dict(capacity=0), dict(msl=0), dict(retries=-1), dict(duplicates=-2), dict(window=0)]
)
def test_impossible_bounds_are_refused(bad: dict) -> None:
    with pytest.raises(BoundsError):
        make_model("close", Bounds(**bad))


def test_traces_are_deterministic() -> None:
    def once() -> str:
        m = make_model("close", mutant="no-time-wait")
        pid = "timewait.covers_fin_retransmit"
        tr = explore(m, stop_at=(pid,)).verdicts[pid].trace
        return to_json_text(m, tr)

    a, b = once(), once()
    assert a == b and json.loads(a)["verdict"] == "violated"
