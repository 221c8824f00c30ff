"""Graph diagrams written as DOT (graphviz package) and rendered by ``graphviz-pure``.

* the endpoint state machine in the form of RFC 9293 Figure 5, read off explored edges;
* the product state graph of a fault-free run in full, and a summary of a faulty network's
  graph as pairs of endpoint states with edge counts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import graphviz

from checks.explicit import Exploration
from checks.trace import endpoint_text
from diagrams.derive import Transition
from spec.model import CLIENT, CLOCK, NETWORK, SERVER, Label, World
from spec.states import State

ROLE_COLOUR = {"active": "#1f4e9c", "passive": "#2e7d32", "both": "#6a3d9a"}
CLOSED_END = "CLOSED_END"
#: States from which a return to CLOSED is drawn to the lower CLOSED node.
LATE = frozenset(s.name for s in State if s >= State.ESTABLISHED)
FONT = "Helvetica"


def render(dot: str) -> str:
    """DOT source to SVG text with graphviz-pure (deterministic, no timestamps)."""
    exe = shutil.which("graphviz-pure") or str(Path(sys.executable).parent / "graphviz-pure")
    res = subprocess.run([exe, "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    return res.stdout


def _state_node(g: graphviz.Digraph, st: str) -> None:
    shape = "doublecircle" if st == "CLOSED" else "ellipse"
    g.node(st, st.replace("_", "-"), shape=shape, style="filled",
           fillcolor="#f5f5f5" if st != "ESTABLISHED" else "#fff3c4")


def state_machine(transitions: list[Transition]) -> str:
    """Every endpoint state and every observed transition, 'event / action' with case names."""
    g = graphviz.Digraph("tcp_endpoint")
    g.attr(rankdir="TB", fontname=FONT, fontsize="11", nodesep="0.5", ranksep="0.55",
           label="TCP endpoint state machine, derived from the model's explored transitions "
           "(RFC 9293 Figure 5).\\nBlue solid: active opener (client); "
           "green dashed: passive opener (server); purple bold: both. "
           "Edge label: event / action [rule cases].", labelloc="t")
    g.attr("node", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="8")
    for st in State:
        _state_node(g, st.name)
    # Like Figure 5, CLOSED is drawn twice: where connections start, and (at the bottom) where
    # synchronized connections end, so that the many ways back to CLOSED do not cross the chart.
    g.node(CLOSED_END, "CLOSED", shape="doublecircle", style="filled", fillcolor="#f5f5f5")
    lines: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for t in transitions:
        after = CLOSED_END if t.after == "CLOSED" and t.before in LATE else t.after
        lines[(t.before, after)][f"{t.event} / {t.action} [{t.cases}]"].add(t.role)
    for (before, after), texts in sorted(lines.items()):
        by_roles: dict[str, list[str]] = defaultdict(list)
        for text, roles in sorted(texts.items()):
            by_roles["both" if len(roles) > 1 else next(iter(roles))].append(text)
        for role, group in sorted(by_roles.items()):
            colour = ROLE_COLOUR[role]
            g.edge(before, after, label="\\l".join(group) + "\\l", color=colour,
                   fontcolor=colour, penwidth="1.4",
                   style={"active": "solid", "passive": "dashed", "both": "bold"}[role])
    return g.source


def _world_label(w: World) -> str:
    c = endpoint_text(w.eps[CLIENT])
    s = endpoint_text(w.eps[SERVER])
    flight = [f"c>{x.flags()} {x.seq}" for x in w.chans[CLIENT]] + \
             [f"s>{x.flags()} {x.seq}" for x in w.chans[SERVER]]
    return f"{c}\\n{s}" + (f"\\n{' '.join(flight)}" if flight else "")


def _edge_label(lab: Label) -> str:
    if lab.actor == CLOCK:
        return "tick"
    seg = f"{lab.seg.flags()} {lab.seg.seq}" if lab.seg is not None else ""
    if lab.actor == NETWORK:
        return f"{lab.kind} {seg}"
    who = "c" if lab.actor == CLIENT else "s"
    if lab.kind == "deliver":
        return f"{who}: rcv {seg}"
    return f"{who}: {lab.cases[0].split('.', 1)[-1]}" if lab.cases else f"{who}: {lab.kind}"


def product_full(ex: Exploration, title: str) -> str:
    """The whole product graph: every global state, every move."""
    g = graphviz.Digraph("product")
    g.attr(rankdir="TB", fontname=FONT, fontsize="12", label=title, labelloc="t",
           nodesep="0.15", ranksep="0.35")
    g.attr("node", fontname=FONT, fontsize="8", shape="box", style="rounded,filled",
           fillcolor="#f7f7f7", margin="0.05,0.02")
    g.attr("edge", fontname=FONT, fontsize="7", arrowsize="0.5")
    for n in sorted(ex.graph.nodes):
        w = ex.worlds[n]
        fill = "#fff3c4" if all(e.st == State.ESTABLISHED for e in w.eps) else (
            "#d7f0d7" if n == 0 else "#f7f7f7")
        if ex.graph.out_degree(n) == 0:
            fill = "#dde6f7"
        g.node(str(n), f"#{n}\\n{_world_label(w)}", fillcolor=fill)
    for a, b, data in sorted(ex.graph.edges(data=True), key=lambda e: (e[0], e[1])):
        lab: Label = data["label"]
        colour = {CLIENT: "#1f4e9c", SERVER: "#2e7d32", NETWORK: "#b3261e"}.get(lab.actor, "#888")
        g.edge(str(a), str(b), label=_edge_label(lab), color=colour, fontcolor=colour)
    return g.source


def product_summary(ex: Exploration, title: str) -> str:
    """Global states grouped by (client state, server state); edges counted between groups."""
    def key(n: int) -> tuple[State, State]:
        w = ex.worlds[n]
        return w.eps[CLIENT].st, w.eps[SERVER].st

    nodes: Counter[tuple[State, State]] = Counter(key(n) for n in ex.graph.nodes)
    edges: Counter[tuple[tuple[State, State], tuple[State, State]]] = Counter()
    for a, b in ex.graph.edges:
        ka, kb = key(a), key(b)
        if ka != kb:
            edges[(ka, kb)] += 1
    g = graphviz.Digraph("summary")
    g.attr(rankdir="TB", fontname=FONT, fontsize="12", label=title, labelloc="t",
           nodesep="0.3", ranksep="0.45")
    g.attr("node", fontname=FONT, fontsize="9", shape="box", style="rounded,filled",
           fillcolor="#f7f7f7")
    g.attr("edge", fontname=FONT, fontsize="8", color="#555", fontcolor="#333")

    def nid(k: tuple[State, State]) -> str:
        return f"{k[0].name}__{k[1].name}"

    init = key(0)
    for k, count in sorted(nodes.items()):
        fill = "#d7f0d7" if k == init else (
            "#fff3c4" if k == (State.ESTABLISHED, State.ESTABLISHED) else "#f7f7f7")
        g.node(nid(k), f"client {k[0].name}\\nserver {k[1].name}\\n({count} states)",
               fillcolor=fill)
    for (ka, kb), count in sorted(edges.items()):
        g.edge(nid(ka), nid(kb), label=str(count), penwidth=str(min(0.6 + count / 40, 4)))
    return g.source


__all__ = ["SERVER", "product_full", "product_summary", "render", "state_machine"]
