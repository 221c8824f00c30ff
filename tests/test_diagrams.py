"""Diagrams: well-formed SVG naming what they show, and committed files up to date.

What each SVG must name is derived from what it draws (the trace of a chart, the explored
transitions of the state machine, the states of a product graph), never from a hand-kept list.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tcpspec.checks.trace import Trace, endpoint_text
from tcpspec.diagrams import derive
from tcpspec.diagrams.generate import PRODUCTS, generate
from tcpspec.spec.model import CLIENT, SERVER
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.states import State

ROOT = Path(__file__).resolve().parent.parent / "diagrams"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("diagrams")
    generate(out)
    return out


def _generated(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.suffix in (".svg", ".mmd", ".dot"))


def _text(path: Path) -> str:
    """All the text an SVG shows (and its tooltips), whitespace-normalised."""
    root = ET.parse(path).getroot()
    return " ".join(" ".join(root.itertext()).split())


def expected_names(t: Trace) -> set[str]:
    """Every state either side is in, and every segment sent, delivered, lost or in flight."""
    names = {endpoint_text(w.eps[i]).split(" [")[0] for w in t.worlds() for i in (CLIENT, SERVER)}
    segs = [s for c in t.initial.chans for s in c]
    for st in t.steps:
        segs += [s for s in (st.label.seg, st.label.sent) if s is not None]
        segs += list(st.label.expired)
    return names | {s.describe() for s in segs}


def test_every_svg_parses(fresh: Path) -> None:
    svgs = [p for p in _generated(fresh) if p.suffix == ".svg"]
    # every diagram twice: in English, and in Korean under ko/ (the state machine, the charts,
    # the mutants, the products, and "Is 2*MSL enough?"'s run)
    assert len(svgs) == 2 * (1 + len(derive.CHARTS) + len(MUTANTS) + len(PRODUCTS) + 1)
    for p in svgs:
        assert ET.parse(p).getroot().tag.endswith("svg"), p


def test_state_machine_names_every_state_and_rule(fresh: Path) -> None:
    text = _text(fresh / "state-machine.svg")
    for st in State:
        assert st.name.replace("_", "-") in text, st
    transitions = derive.machine_transitions()
    assert ("CLOSED", "LISTEN") in {(t.before, t.after) for t in transitions}
    for t in transitions:
        for case in t.cases.split(", "):
            assert case in text, (t, case)
        assert f"{t.event} / {t.action}" in text, t
    # the two usual paths are drawn in their own colours
    dot = (fresh / "state-machine.dot").read_text()
    assert "style=dashed" in dot and "#1f4e9c" in dot and "#2e7d32" in dot


@pytest.mark.parametrize("chart", derive.CHARTS, ids=lambda c: c.name)
def test_chart_names_every_state_and_segment(fresh: Path, chart: derive.Chart) -> None:
    t = derive.chart_trace(chart)
    svg = _text(fresh / "scenarios" / f"{chart.name}.svg")
    for name in expected_names(t):
        assert name in svg, name
    mmd = (fresh / "scenarios" / f"{chart.name}.mmd").read_text()
    assert mmd.startswith("sequenceDiagram")
    for name in expected_names(t):
        assert name in mmd, name
    if any(s.label.kind == "lose" for s in t.steps):  # a lost segment ends in a cross
        assert ">lost<" in (fresh / "scenarios" / f"{chart.name}.svg").read_text()
        assert "-x" in mmd


@pytest.mark.parametrize("name", MUTANTS)
def test_mutant_chart_names_every_state_and_segment(fresh: Path, name: str) -> None:
    prop, t = derive.mutant_trace(name)
    svg = _text(fresh / "mutants" / f"{name}.svg")
    assert name in svg and prop in svg
    for n in expected_names(t):
        assert n in svg, n


def _texts(path: Path) -> list[str]:
    """Each text of an SVG (its <text> and <title> elements), and all of it joined (a message
    may be wrapped over lines)."""
    root = ET.parse(path).getroot()
    each = [
        " ".join(e.itertext()) for e in root.iter() if e.tag.split("}")[-1] in ("text", "title")
    ]
    return [*each, " ".join(each)]


@pytest.mark.parametrize("kind", ["scenarios", "mutants"])
def test_korean_charts_are_all_korean(fresh: Path, kind: str) -> None:
    """Every text of a Korean chart is translated (state, flag and rule names stay as the RFC
    writes them), and it shows the same run: the same states and segments as the English one."""
    from tcpspec.i18n import gettext
    from tcpspec.messages import untranslated

    names = [c.name for c in derive.CHARTS] if kind == "scenarios" else list(MUTANTS)
    hangul = 0
    for name in names:
        ko = fresh / "ko" / kind / f"{name}.svg"
        texts = _texts(ko)
        assert not untranslated(texts), (name, untranslated(texts)[:3])
        hangul += sum(any("\uac00" <= ch <= "\ud7a3" for ch in t) for t in texts)
        t = (
            derive.chart_trace(next(c for c in derive.CHARTS if c.name == name))
            if (kind == "scenarios")
            else derive.mutant_trace(name)[1]
        )
        text = _text(ko)
        for n in expected_names(t):
            assert gettext(n, "ko") in text, (name, n)
        mmd = (fresh / "ko" / kind / f"{name}.mmd").read_text()
        assert not untranslated(mmd.splitlines()), (name, untranslated(mmd.splitlines())[:3])
    assert hangul > 5 * len(names)
    # and the check bites: the English charts are full of catalogue messages
    english = _texts(fresh / kind / f"{names[0]}.svg")
    assert len(untranslated(english)) > 5


def test_korean_state_machine_is_the_same_machine_titled_in_korean(fresh: Path) -> None:
    from tcpspec.messages import untranslated

    en = (fresh / "state-machine.dot").read_text()
    ko = (fresh / "ko" / "state-machine.dot").read_text()
    # everything after the graph's title (its nodes, edges and labels) is the same
    assert ko.split("\tnode [", 1)[1] == en.split("\tnode [", 1)[1]
    assert "TCP 끝점 상태 기계" in ko.split("\tnode [", 1)[0]
    assert not untranslated(_texts(fresh / "ko" / "state-machine.svg"))
    assert untranslated(_texts(fresh / "state-machine.svg"))


def test_korean_product_graphs_are_the_same_graphs_in_korean(fresh: Path) -> None:
    from tcpspec.messages import untranslated

    for stem, *_ in PRODUCTS:
        ko, en = fresh / "ko" / "product" / f"{stem}.svg", fresh / "product" / f"{stem}.svg"
        assert not untranslated(_texts(ko)), (stem, untranslated(_texts(ko))[:3])
        assert untranslated(_texts(en))
        count = "{http://www.w3.org/2000/svg}g"
        assert sum(
            1 for g in ET.parse(ko).getroot().iter(count) if g.get("class") == "edge"
        ) == sum(1 for g in ET.parse(en).getroot().iter(count) if g.get("class") == "edge")


def test_seed_numbers_in_the_close() -> None:
    # seeds 000 and 002: FIN seq=300; ACK ack=301; FIN seq=400; ACK ack=401
    t = derive.chart_trace(next(c for c in derive.CHARTS if c.name == "close-seeds"))
    sent = [s.label.sent.describe() for s in t.steps if s.label.sent is not None]
    assert sent == [
        "FIN+ACK seq=300 ack=400",
        "ACK seq=400 ack=301",
        "FIN+ACK seq=400 ack=301",
        "ACK seq=301 ack=401",
    ]
    assert t.steps[-1].world.eps[CLIENT].st == State.CLOSED
    assert t.steps[-1].world.eps[SERVER].st == State.CLOSED


def test_seed_numbers_in_the_handshake() -> None:
    # seed 000: SYN seq=100; SYN+ACK seq=200 ack=101; ACK seq=101 ack=201
    t = derive.chart_trace(next(c for c in derive.CHARTS if c.name == "handshake"))
    sent = [s.label.sent.describe() for s in t.steps if s.label.sent is not None]
    assert sent == ["SYN seq=100", "SYN+ACK seq=200 ack=101", "ACK seq=101 ack=201"]


def test_product_graphs_name_their_states(fresh: Path) -> None:
    for stem, scenario, bounds, kind, _ in PRODUCTS:
        ex = derive.exploration(scenario, bounds)
        keep = derive.fault_free_view(ex) if kind == "working" else set(ex.graph.nodes)
        text = _text(fresh / "product" / f"{stem}.svg")
        pairs = {(ex.worlds[n].eps[CLIENT].st.name, ex.worlds[n].eps[SERVER].st.name) for n in keep}
        for c, s in pairs:
            if kind == "summary":
                assert f"client {c} server {s}" in text, (stem, c, s)
            else:
                assert c in text and s in text, (stem, c, s)
        if kind != "summary":
            for n in keep:
                assert f"#{n}" in text, (stem, n)


def test_working_view_is_a_whole_connection() -> None:
    # every state of the fault-free view can still finish with both sides CLOSED normally
    ex = derive.exploration("connect-close", derive.WORKING)
    keep = derive.fault_free_view(ex)
    ends = [n for n in keep if not any(m in keep for m in ex.graph.successors(n))]
    assert len(ends) == 1
    assert all(e.st == State.CLOSED for e in ex.worlds[ends[0]].eps)


def test_committed_diagrams_are_fresh(fresh: Path) -> None:
    new = {p.relative_to(fresh) for p in _generated(fresh)}
    old = {p.relative_to(ROOT) for p in _generated(ROOT)}
    assert new == old, "run `python -m tcpspec.diagrams` to regenerate the diagrams"
    stale = [str(p) for p in sorted(new) if (fresh / p).read_bytes() != (ROOT / p).read_bytes()]
    assert not stale, f"out of date (run `python -m tcpspec.diagrams`): {stale}"


def test_generation_is_deterministic(fresh: Path, tmp_path: Path) -> None:
    # the graphs alone (fast); the freshness test covers the rest against the committed files
    from tcpspec.diagrams import graphs

    dot = graphs.state_machine(derive.machine_transitions(), derive.usual_paths())
    assert graphs.render(dot) == graphs.render(dot)
    assert dot == (fresh / "state-machine.dot").read_text()


def test_stale_files_are_removed(tmp_path: Path) -> None:
    from tcpspec.diagrams import generate as gen

    old = tmp_path / "scenarios" / "renamed-long-ago.svg"
    old.parent.mkdir()
    old.write_text("<svg/>")
    keep = tmp_path / "scenarios" / "notes.txt"
    keep.write_text("not ours")
    written: list[Path] = []
    gen._write(tmp_path / "state-machine.dot", "digraph {}", written)
    gen.prune(tmp_path, written)
    assert not old.exists() and keep.exists() and written[0].exists()


# -- the command line: tcpspec chart, tcpspec graph, tcpspec trace --format dot ----------------


def _cli(*args: str):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from tcpspec.cli import app

    return CliRunner().invoke(app, list(args))


def test_chart_command_writes_the_committed_chart(tmp_path: Path) -> None:
    out = tmp_path / "h.svg"
    r = _cli("chart", "handshake", "--output", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == (ROOT / "scenarios" / "handshake.svg").read_bytes()
    r = _cli("chart", "two-way-handshake", "--format", "mermaid")
    assert r.exit_code == 0
    assert r.output == (ROOT / "mutants" / "two-way-handshake.mmd").read_text()
    # in Korean: --lang ko, or the environment's LANG, draws the committed Korean chart
    r = _cli("--lang", "ko", "chart", "close-seeds", "--format", "mermaid")
    assert r.exit_code == 0
    assert r.output == (ROOT / "ko" / "scenarios" / "close-seeds.mmd").read_text()
    from typer.testing import CliRunner

    from tcpspec.cli import app

    r = CliRunner().invoke(app, ["chart", "no-time-wait"], env={"LANG": "ko_KR.UTF-8"})
    assert r.exit_code == 0
    assert r.output == (ROOT / "ko" / "scenarios" / "no-time-wait.svg").read_text()


@pytest.mark.parametrize(
    "args",
    [
        ("chart", "no-such-chart"),
        ("chart", "close", "--format", "png"),
        ("graph", "--format", "png"),
        ("graph", "--property", "nope"),
        ("graph", "--scenario", "nope"),
        ("graph", "--summary", "--format", "graphml"),
        ("graph", "--msl", "0"),
    ],
)
def test_graph_and_chart_bad_input_is_one_clear_line(args: tuple[str, ...]) -> None:
    r = _cli(*args)
    assert r.exit_code == 2
    assert r.output.count("\n") == 1 and r.output.startswith("tcpspec: error:"), r.output


def test_trace_format_dot_is_the_run_as_a_chain() -> None:
    r = _cli(
        "trace", "handshake.three_messages", "--mutant", "two-way-handshake", "--format", "dot"
    )
    assert r.exit_code == 1
    assert r.output.startswith("digraph trace {")
    assert "s0 -> s1" in r.output and "listen.syn" in r.output
    from tcpspec.diagrams.graphs import render

    assert ET.fromstring(render(r.output)).tag.endswith("svg")


def test_graph_highlights_the_counterexample() -> None:
    import networkx as nx

    from tcpspec.diagrams.graphs import HIGHLIGHT

    args = (
        "graph",
        "--mutant",
        "two-way-handshake",
        "--property",
        "handshake.three_messages",
        "--scenario",
        "handshake",
        "--no-loss",
    )
    r = _cli(*args, "--format", "dot")
    assert r.exit_code == 0, r.output
    red_nodes = [ln for ln in r.output.splitlines() if HIGHLIGHT in ln and "->" not in ln]
    red_edges = [ln for ln in r.output.splitlines() if HIGHLIGHT in ln and "->" in ln]
    assert len(red_nodes) == len(red_edges) + 1 >= 2
    r = _cli(*args, "--format", "graphml")
    g = nx.parse_graphml(r.output)
    path = [n for n, d in g.nodes(data=True) if d["on_path"]]
    assert len(path) == len(red_nodes)
    assert sum(1 for *_, d in g.edges(data=True) if d["on_path"]) == len(red_edges)
    r = _cli(*args, "--format", "svg")
    assert ET.fromstring(r.output).tag.endswith("svg")


def test_graph_too_large_to_draw_is_refused_quickly() -> None:
    r = _cli("graph", "--scenario", "connect-close")
    assert r.exit_code == 2
    assert "too many to draw" in r.output and "--summary" in r.output
    r = _cli("graph", "--scenario", "close", "--summary", "--format", "dot")
    assert r.exit_code == 0 and "client ESTABLISHED\\nserver ESTABLISHED" in r.output


def test_summary_edge_counts_are_boxed_apart(fresh: Path) -> None:
    """Each count of a summary graph sits in its own box, so that neighbouring counts never
    read as one number ("12" and "3" as "123")."""
    for stem, _, _, kind, _ in PRODUCTS:
        if kind != "summary":
            continue
        dot = (fresh / "product" / f"{stem}.dot").read_text()
        edges = [ln for ln in dot.splitlines() if " -> " in ln]
        assert edges and all('cellborder="1"' in ln for ln in edges), stem
        svg = ET.parse(fresh / "product" / f"{stem}.svg").getroot()
        counts = [
            t
            for t in svg.iter("{http://www.w3.org/2000/svg}text")
            if (t.text or "").strip().isdigit()
        ]
        assert len(counts) == len(edges), stem


def _bezier_points(d: str) -> list[tuple[float, float]]:
    """Points along an SVG path of cubic Bézier pieces (what Graphviz draws edges with)."""
    import re

    nums = [tuple(map(float, p.split(","))) for p in re.findall(r"-?[\d.]+,-?[\d.]+", d)]
    pts = []
    for k in range(0, len(nums) - 3, 3):
        p0, p1, p2, p3 = nums[k : k + 4]
        for i in range(21):
            t = i / 20
            a, b, c, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3
            pts.append(
                (
                    a * p0[0] + b * p1[0] + c * p2[0] + e * p3[0],
                    a * p0[1] + b * p1[1] + c * p2[1] + e * p3[1],
                )
            )
    return pts


def label_crossings(svg: Path) -> list[tuple[str, str, str]]:
    """(edge, label line, other edge) for each line of an edge's label that another edge's
    curve passes through (a line's box: about half an em a letter, the font's height)."""
    ns = "{http://www.w3.org/2000/svg}"
    edges = []
    for g in ET.parse(svg).getroot().iter(ns + "g"):
        if g.get("class") != "edge":
            continue
        curves = [_bezier_points(p.get("d", "")) for p in g.findall(ns + "path")]
        boxes = []
        for t in g.findall(ns + "text"):
            x, y, size = float(t.get("x", 0)), float(t.get("y", 0)), float(t.get("font-size", 9))
            w = 0.5 * size * len((t.text or "").strip())
            x0 = x if t.get("text-anchor") == "start" else x - w / 2
            boxes.append((x0, y - 0.8 * size, x0 + w, y + 0.1 * size, (t.text or "").strip()))
        edges.append((g.findtext(ns + "title", ""), curves, boxes))
    return [
        (title, text, other)
        for i, (title, _, boxes) in enumerate(edges)
        for j, (other, curves, _) in enumerate(edges)
        if i != j
        for x0, y0, x1, y1, text in boxes
        if any(x0 <= px <= x1 and y0 <= py <= y1 for pts in curves for px, py in pts)
    ]


def test_no_label_of_the_state_machine_is_crossed_by_an_edge(fresh: Path, tmp_path: Path) -> None:
    for lang in ("", "ko/"):
        crossed = label_crossings(fresh / f"{lang}state-machine.svg")
        assert not crossed, crossed
    # and the check bites: the layout as it was (states 1.1 in apart) had crossed labels
    from tcpspec.diagrams import graphs

    dot = (fresh / "state-machine.dot").read_text().replace("nodesep=1.5", "nodesep=1.1")
    cramped = tmp_path / "cramped.svg"
    cramped.write_text(graphs.render(dot))
    assert any("rst.syn_received_passive" in text for _, text, _ in label_crossings(cramped))
