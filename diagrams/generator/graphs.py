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
from itertools import pairwise
from pathlib import Path

import graphviz
import networkx as nx

from tcpspec.checks.explicit import Exploration
from tcpspec.checks.trace import Trace, endpoint_text
from tcpspec.diagrams.derive import Transition
from tcpspec.i18n import gettext
from tcpspec.spec.model import CLIENT, CLOCK, NETWORK, SERVER, Label, World
from tcpspec.spec.states import State

CLOSED_END = "CLOSED_END"
#: States from which a return to CLOSED is drawn to the lower CLOSED node.
LATE = frozenset(s.name for s in State if s >= State.ESTABLISHED)
FONT = "Helvetica"


def render(dot: str) -> str:
    """DOT source to SVG text with graphviz-pure (deterministic, no timestamps)."""
    exe = shutil.which("graphviz-pure") or str(Path(sys.executable).parent / "graphviz-pure")
    res = subprocess.run([exe, "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    return res.stdout


#: RFC 9293 Figure 5, row by row (left to right): where each state is drawn.
FIGURE_5: tuple[tuple[str, ...], ...] = (
    ("CLOSED",),
    ("LISTEN",),
    ("SYN_RECEIVED", "SYN_SENT"),
    ("ESTABLISHED",),
    ("FIN_WAIT_1", "CLOSE_WAIT"),
    ("FIN_WAIT_2", "CLOSING", "LAST_ACK"),
    ("TIME_WAIT",),
    (CLOSED_END,),  # Figure 5 has it beside TIME-WAIT; below, its many edges have room
)
PATH_STYLE = {  # the usual client path and server path; every other move is grey
    CLIENT: dict(color="#1f4e9c", fontcolor="#1f4e9c", penwidth="2.4", style="solid"),
    SERVER: dict(color="#2e7d32", fontcolor="#2e7d32", penwidth="2.4", style="dashed"),
}
OTHER_STYLE = dict(color="#777777", fontcolor="#555555", penwidth="1.0", style="solid")


def _state_node(g: graphviz.Digraph, st: str) -> None:
    label = "CLOSED" if st == CLOSED_END else st.replace("_", "-")
    fill = "#fff3c4" if st == "ESTABLISHED" else "#f5f5f5"
    g.node(
        st,
        label,
        shape="box",
        style="rounded,filled,bold",
        fillcolor=fill,
        width="1.5",
        height="0.45",
    )


def _cases_text(variants: list[tuple[str, ...]]) -> str:
    """The rule cases behind one event / action: those that always fire, then in parentheses
    those that fire in some of the moves only (``fin.close_wait (ack.new)``)."""
    always = [c for c in variants[0] if all(c in v for v in variants)]
    sometimes = sorted({c for v in variants for c in v} - set(always))
    return ", ".join(always) + (f" ({', '.join(sometimes)})" if sometimes else "")


#: The state machine's title, line by line (msgids: the Korean chart translates them; the
#: labels themselves are RFC 9293 Figure 5's notation, "rcv SYN / snd SYN+ACK", and stay).
MACHINE_TITLE = (
    "TCP endpoint state machine, derived from the model's rules (compare RFC 9293 Figure 5)",
    "Blue solid: the client's usual path (active OPEN, closes first).   "
    "Green dashed: the server's usual path (passive OPEN, closes second).   "
    "Grey: every other transition.",
    "Each label: event / action [rule cases; in parentheses: cases that fire in some of these "
    "moves only]",
)


def state_machine(
    transitions: list[Transition],
    paths: dict[int, frozenset[tuple[str, str, str]]],
    lang: str = "en",
) -> str:
    """Every endpoint state and every observed transition, 'event / action [rule cases]', laid
    out like RFC 9293 Figure 5; ``paths`` (client, server) are drawn in their own colours."""
    g = graphviz.Digraph("tcp_endpoint")
    title = "\n".join(gettext(line, lang) for line in MACHINE_TITLE) + "\n "
    g.attr(
        rankdir="TB",
        fontname=FONT,
        fontsize="12",
        nodesep="1.5",  # wide enough that no label of a row is crossed by another edge (tested)
        ranksep="0.9",
        newrank="true",
        labelloc="t",
        pad="0.6",
        label=title,
    )
    g.attr("node", fontname=FONT, fontsize="12")
    g.attr("edge", fontname=FONT, fontsize="9")
    # Like Figure 5, CLOSED is drawn twice: where connections start, and (at the bottom) where
    # synchronized connections end, so that the many ways back to CLOSED do not cross the chart.
    for row in FIGURE_5:
        with g.subgraph() as sub:
            sub.attr(rank="same")
            for st in row:
                _state_node(sub, st)
        for left, right in pairwise(row):  # keep Figure 5's left-to-right order
            g.edge(left, right, style="invis")
    # (before, after) -> event / action -> the case lists seen
    lines: dict[tuple[str, str], dict[str, list[tuple[str, ...]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for t in transitions:
        after = CLOSED_END if t.after == "CLOSED" and t.before in LATE else t.after
        cases = tuple(t.cases.split(", "))
        if cases not in lines[(t.before, after)][f"{t.event} / {t.action}"]:
            lines[(t.before, after)][f"{t.event} / {t.action}"].append(cases)
    rank = {st: k for k, row in enumerate(FIGURE_5) for st in row}
    for (before, after), texts in sorted(lines.items()):
        plain = after.replace(CLOSED_END, "CLOSED")
        # the usual paths' own moves get their colour; the other ways between the same two
        # states are a separate grey edge
        groups: dict[int, list[str]] = defaultdict(list)
        for text, variants in sorted(texts.items()):
            side = next(
                (
                    i
                    for i in (CLIENT, SERVER)
                    for v in variants
                    if (before, plain, ", ".join(v)) in paths[i]
                ),
                -1,
            )
            line = f"{text} [{_cases_text(variants)}]"
            if len(line) > 44:  # long lines make labels collide: the cases go below
                line = f"{text}\\l    [{_cases_text(variants)}]"
            groups[side].append(line)
        up = rank[after] <= rank[before]  # edges that point up do not pull the layout apart
        for side, group in sorted(groups.items()):
            # an edge back up leaves its state on top (on the outside for the rightmost state)
            # so that it does not cut through the labels of the row
            row = FIGURE_5[rank[before]]
            ports = (
                {}
                if rank[after] >= rank[before]
                else dict(tailport="e" if len(row) > 1 and before == row[-1] else "n")
            )
            g.edge(
                before,
                after,
                label="\\l".join(group) + "\\l",
                constraint="false" if up else "true",
                **ports,
                **PATH_STYLE.get(side, OTHER_STYLE),
            )
    return g.source


def _world_label(w: World) -> str:
    c = endpoint_text(w.eps[CLIENT])
    s = endpoint_text(w.eps[SERVER])
    flight = [f"c>{x.flags()} {x.seq}" for x in w.chans[CLIENT]] + [
        f"s>{x.flags()} {x.seq}" for x in w.chans[SERVER]
    ]
    return f"{c}\\n{s}" + (f"\\n{' '.join(flight)}" if flight else "")


def _edge_label(lab: Label, lang: str = "en") -> str:
    if lab.actor == CLOCK:
        return gettext("tick", lang)
    seg = f"{lab.seg.flags()} {lab.seg.seq}" if lab.seg is not None else ""
    if lab.actor == NETWORK:
        return f"{lab.kind} {seg}"
    who = "c" if lab.actor == CLIENT else "s"
    if lab.kind == "deliver":
        return f"{who}: rcv {seg}"
    return f"{who}: {lab.cases[0].split('.', 1)[-1]}" if lab.cases else f"{who}: {lab.kind}"


HIGHLIGHT = "#c62828"  # the counterexample path


def _box_graph(
    name: str,
    title: str,
    node_size: str,
    edge_size: str,
    graph: dict[str, str] | None = None,
    node: dict[str, str] | None = None,
    edge: dict[str, str] | None = None,
) -> graphviz.Digraph:
    """A titled top-down graph of rounded grey boxes: the look every state graph shares."""
    g = graphviz.Digraph(name)
    g.attr(rankdir="TB", fontname=FONT, fontsize="12", label=title, labelloc="t", **(graph or {}))
    g.attr(
        "node",
        fontname=FONT,
        fontsize=node_size,
        shape="box",
        style="rounded,filled",
        fillcolor="#f7f7f7",
        **(node or {}),
    )
    g.attr("edge", fontname=FONT, fontsize=edge_size, **(edge or {}))
    return g


def _path_edges(path: list[int]) -> set[tuple[int, int]]:
    return set(pairwise(path))


def product_full(
    ex: Exploration,
    title: str,
    keep: set[int] | None = None,
    path: list[int] | None = None,
    lang: str = "en",
) -> str:
    """The whole product graph: every global state, every move (or only the states in
    ``keep`` and the moves between them). The states and moves of ``path`` (a counterexample)
    are drawn in red."""
    on_path = set(path or ())
    path_edges = _path_edges(path or [])
    g = _box_graph(
        "product",
        title,
        "8",
        "7",
        graph=dict(nodesep="0.15", ranksep="0.35"),
        node=dict(margin="0.05,0.02"),
        edge=dict(arrowsize="0.5"),
    )
    nodes = sorted(ex.graph.nodes if keep is None else keep)
    inside = set(nodes)
    for n in nodes:
        w = ex.worlds[n]
        fill = (
            "#fff3c4"
            if all(e.st == State.ESTABLISHED for e in w.eps)
            else ("#d7f0d7" if n == 0 else "#f7f7f7")
        )
        if not any(m in inside for m in ex.graph.successors(n)):
            fill = "#dde6f7"
        extra = dict(color=HIGHLIGHT, penwidth="2.5") if n in on_path else {}
        g.node(str(n), f"#{n}\\n{_world_label(w)}", fillcolor=fill, **extra)
    for a, b, data in sorted(ex.graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if a not in inside or b not in inside:
            continue
        lab: Label = data["label"]
        colour = {CLIENT: "#1f4e9c", SERVER: "#2e7d32", NETWORK: "#b3261e"}.get(lab.actor, "#888")
        if (a, b) in path_edges:
            g.edge(
                str(a),
                str(b),
                label=_edge_label(lab, lang),
                color=HIGHLIGHT,
                fontcolor=HIGHLIGHT,
                penwidth="3",
            )
        else:
            g.edge(str(a), str(b), label=_edge_label(lab, lang), color=colour, fontcolor=colour)
    return g.source


def _pair(ex: Exploration, n: int) -> tuple[State, State]:
    w = ex.worlds[n]
    return w.eps[CLIENT].st, w.eps[SERVER].st


#: The words of a summary graph's boxes (msgids).
SUMMARY_NODE = "client {c}\nserver {s}\n({n} states)"


def product_summary(
    ex: Exploration, title: str, path: list[int] | None = None, lang: str = "en"
) -> str:
    """Global states grouped by (client state, server state); edges counted between groups.
    The groups and group changes a counterexample ``path`` passes through are drawn in red."""
    nodes: Counter[tuple[State, State]] = Counter(_pair(ex, n) for n in ex.graph.nodes)
    edges: Counter[tuple[tuple[State, State], tuple[State, State]]] = Counter()
    for a, b in ex.graph.edges:
        ka, kb = _pair(ex, a), _pair(ex, b)
        if ka != kb:
            edges[(ka, kb)] += 1
    on_path = {_pair(ex, n) for n in path or ()}
    path_edges = {(_pair(ex, a), _pair(ex, b)) for a, b in _path_edges(path or [])}
    g = _box_graph(
        "summary",
        title,
        "9",
        "8",
        graph=dict(nodesep="0.3", ranksep="0.45"),
        edge=dict(color="#555", fontcolor="#333"),
    )

    def nid(k: tuple[State, State]) -> str:
        return f"{k[0].name}__{k[1].name}"

    init = _pair(ex, 0)
    for k, count in sorted(nodes.items()):
        fill = (
            "#d7f0d7"
            if k == init
            else ("#fff3c4" if k == (State.ESTABLISHED, State.ESTABLISHED) else "#f7f7f7")
        )
        extra = dict(color=HIGHLIGHT, penwidth="2.5") if k in on_path else {}
        g.node(
            nid(k),
            gettext(SUMMARY_NODE, lang)
            .format(c=k[0].name, s=k[1].name, n=count)
            .replace("\n", "\\n"),
            fillcolor=fill,
            **extra,
        )
    for (ka, kb), count in sorted(edges.items()):
        width = str(min(0.6 + count / 40, 4))
        if (ka, kb) in path_edges:
            g.edge(
                nid(ka),
                nid(kb),
                label=_count_label(count, HIGHLIGHT),
                penwidth=width,
                color=HIGHLIGHT,
                fontcolor=HIGHLIGHT,
            )
        else:
            g.edge(nid(ka), nid(kb), label=_count_label(count, "#555"), penwidth=width)
    return g.source


def _count_label(count: int, colour: str) -> str:
    """An edge's count in a small white box, so that counts of neighbouring edges never run
    together into one number."""
    return (
        f'<<table border="0" cellborder="1" cellpadding="1" cellspacing="0" bgcolor="white" '
        f'color="{colour}"><tr><td>{count}</td></tr></table>>'
    )


def graphml(ex: Exploration, path: list[int] | None = None) -> str:
    """The state graph as GraphML (for Gephi, yEd, networkx): each state with both endpoints
    and the segments in flight, each move with who made it and the rule cases that fired;
    ``on_path`` marks a counterexample."""
    on_path = set(path or ())
    path_edges = _path_edges(path or [])
    out = nx.DiGraph()
    for n in sorted(ex.graph.nodes):
        w = ex.worlds[n]
        out.add_node(
            n,
            client=endpoint_text(w.eps[CLIENT]),
            server=endpoint_text(w.eps[SERVER]),
            in_flight=" ".join(
                [f"c>{x.describe()}" for x in w.chans[CLIENT]]
                + [f"s>{x.describe()}" for x in w.chans[SERVER]]
            ),
            initial=n == 0,
            on_path=n in on_path,
        )
    for a, b, data in sorted(ex.graph.edges(data=True), key=lambda e: (e[0], e[1])):
        lab: Label = data["label"]
        out.add_edge(
            a, b, move=_edge_label(lab), cases=", ".join(lab.cases), on_path=(a, b) in path_edges
        )
    return "\n".join(nx.generate_graphml(out)) + "\n"


def trace_dot(t: Trace, title: str) -> str:
    """A trace as a chain of global states (DOT): each box both endpoints and what is in
    flight, each arrow the move with the rule cases that fired."""
    g = _box_graph("trace", title, "9", "8")
    worlds = t.worlds()
    for k, w in enumerate(worlds):
        g.node(f"s{k}", f"{k}: {_world_label(w)}", fillcolor="#d7f0d7" if k == 0 else "#f7f7f7")
    for k, step in enumerate(t.steps):
        cases = f"\\n[{', '.join(step.label.cases)}]" if step.label.cases else ""
        g.edge(f"s{k}", f"s{k + 1}", label=_edge_label(step.label) + cases)
    if t.loop_start is not None and t.loop_start < len(t.steps):
        g.edge(
            f"s{len(worlds) - 1}",
            f"s{t.loop_start}",
            style="dashed",
            label="may repeat forever",
            constraint="false",
        )
    return g.source


__all__ = ["graphml", "product_full", "product_summary", "render", "state_machine", "trace_dot"]
