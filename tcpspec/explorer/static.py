"""`tcpspec explore --static DIR`: the explorer without a server, for the study site.

The whole state graph of a small model is computed here, by the same `core.Explorer` the server
uses, and written as ``graph.js`` beside the same page: every state's view and property statuses,
every move with its key, its rule cases and the state it leads to, the shortest counterexample
or witness of every property from the start, and, for every state, the first move of a shortest
run from there to each property's violation or witness (a backward breadth-first search over the
graph). The page then only follows pointers. Output is byte-identical for the same inputs.
"""

from __future__ import annotations

import json
import shutil
from collections import deque
from pathlib import Path
from typing import Any

from tcpspec.checks.properties import PROPERTIES
from tcpspec.explorer.core import RANDOM_STEPS, Explorer, Move
from tcpspec.explorer.page import ASSETS, bounds_signature, index_html, info, messages
from tcpspec.i18n import LANGS
from tcpspec.spec.model import Bounds, World

#: Larger graphs are refused: the file would be too big for a web page.
STATIC_LIMIT = 5000


class TooLarge(ValueError):
    """The model has more states than a precomputed page should hold."""


def graph(ex: Explorer, limit: int = STATIC_LIMIT) -> dict[str, Any]:
    """The precomputed explorer of ``ex``'s model (see the module docstring)."""
    init = ex.model.initial()
    index: dict[World, int] = {init: 0}
    worlds = [init]
    out_moves: list[list[Move]] = []
    head = 0
    while head < len(worlds):  # breadth first: state numbers are stable
        w = worlds[head]
        moves = ex.moves(w)
        out_moves.append(moves)
        for m in moves:
            if m.world not in index:
                if len(worlds) >= limit:
                    raise TooLarge(
                        f"{ex.title()} has more than {limit:,} states at these bounds: too many "
                        f"to precompute for a page (lower the bounds, or use the server)"
                    )
                index[m.world] = len(worlds)
                worlds.append(m.world)
        head += 1

    views: list[dict[str, Any]] = []
    view_ids: dict[str, int] = {}
    move_views: list[dict[str, Any]] = []
    move_ids: dict[str, int] = {}

    def intern(table: list[Any], ids: dict[str, int], doc: dict[str, Any]) -> int:
        text = json.dumps(doc, sort_keys=True, ensure_ascii=False)
        if text not in ids:
            ids[text] = len(table)
            table.append(doc)
        return ids[text]

    states: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for n, w in enumerate(worlds):
        view = ex.state_view(w, [])  # the application's calls and the ticks depend on the path:
        for e in view["endpoints"]:  # the page counts them along the path it follows
            e["app"]["calls"] = []
        view["ticks"] = 0
        entry: dict[str, Any] = {
            "view": intern(views, view_ids, view),
            "status": ex.state_status(w),
            "moves": [],
        }
        for m in out_moves[n]:
            mv = ex.move_view(m)
            mv.pop("key")
            entry["moves"].append(len(edges))
            edges.append(
                {
                    "key": m.key,
                    "move": intern(move_views, move_ids, mv),
                    "target": index[m.world],
                    "status": ex.step_status(w, m.label, m.world),
                }
            )
        states.append(entry)

    jumps: dict[str, Any] = {}
    for pid in sorted({p["id"] for p in info(ex.scenario, ex.mutant, ex.model.p, 0)["properties"]}):
        j = ex.jump([], pid, here=False)
        jumps[pid] = {"path": j["path"]} if not j["note"] else {"note": j["note"]}
    return {
        "info": {
            **info(ex.scenario, ex.mutant, ex.model.p, ex.max_path),
            "title": {lang: ex.title(lang) for lang in LANGS},
            "random_steps": RANDOM_STEPS,
            "states": len(states),
            "moves": len(edges),
        },
        "messages": {lang: messages(lang, ex) for lang in LANGS},
        "kinds": {pid: p.kind for pid, p in sorted(PROPERTIES.items())},
        "states": states,
        "edges": edges,
        "views": views,
        "moves": move_views,
        "jumps": jumps,
        "next": _next_moves(states, edges),
    }


def _next_moves(states: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, list[int]]:
    """For each property and state: the edge that starts a shortest run to the property's
    violation (or witness), -2 in such a state itself, -1 when none is reachable. A goal is a
    state whose status is ``violated``/``reached``, or an edge whose step status is."""
    goal_words = ("violated", "reached")
    pids = sorted(
        {k for s in states for k in s["status"]} | {k for e in edges for k in e["status"]}
    )
    back: list[list[int]] = [[] for _ in states]
    source = [0] * len(edges)
    for n, s in enumerate(states):
        for e in s["moves"]:
            source[e] = n
            back[edges[e]["target"]].append(e)
    out: dict[str, list[int]] = {}
    for pid in pids:
        nxt = [-1] * len(states)
        queue: deque[int] = deque()
        for n, s in enumerate(states):
            if s["status"].get(pid) in goal_words:
                nxt[n] = -2
                queue.append(n)
        for e, edge in enumerate(edges):  # a goal edge: its source is one move away
            if edge["status"].get(pid) in goal_words and nxt[source[e]] == -1:
                edge.setdefault("goal", []).append(pid)
                nxt[source[e]] = e
                queue.append(source[e])
        while queue:
            n = queue.popleft()
            for e in back[n]:
                m = source[e]
                if nxt[m] == -1:
                    nxt[m] = e
                    queue.append(m)
        if any(v != -1 for v in nxt):
            out[pid] = nxt
    return out


def write(ex: Explorer, folder: Path, limit: int = STATIC_LIMIT) -> dict[str, Any]:
    """The page, its assets and ``graph.js`` in ``folder``; returns the graph's info."""
    doc = graph(ex, limit)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assets").mkdir(exist_ok=True)
    for name in ("explore.js", "explore.css"):
        shutil.copyfile(ASSETS / name, folder / "assets" / name)
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))  # built in a fixed order
    (folder / "graph.js").write_text(f"window.TCPSPEC_GRAPH = {data};\n", encoding="utf-8")
    (folder / "index.html").write_text(
        index_html('<script src="graph.js"></script>'), encoding="utf-8"
    )
    return dict(doc["info"])


def chart_folder(scenario: str, mutant: str | None) -> str:
    return scenario + (f"--{mutant}" if mutant else "")


def write_charts(root: Path, limit: int = STATIC_LIMIT) -> dict[str, str]:
    """One precomputed explorer for each chart of the study site (`diagrams` CHARTS, at the
    charts' own bounds) small enough, in ``root/<scenario>[--<mutant>]/``; ``charts.json``:
    chart name -> the link that opens its explorer on the chart's run, relative to ``root``;
    and ``root/<chart>.html``, which opens that link."""
    from tcpspec.diagrams.derive import CHARTS, chart_trace

    links: dict[str, str] = {}
    written: dict[tuple[str, str | None, Bounds], str | None] = {}
    for c in CHARTS:
        mutant = c.mutant or None
        spot = (c.scenario, mutant, c.bounds)
        if spot not in written:
            ex = Explorer(c.scenario, c.bounds, mutant)
            try:
                write(ex, root / chart_folder(c.scenario, mutant), limit)
                written[spot] = chart_folder(c.scenario, mutant)
            except TooLarge:
                written[spot] = None
        folder = written[spot]
        if folder is None:
            continue
        ex = Explorer(c.scenario, c.bounds, mutant)
        t = chart_trace(c)
        keys = ex.keys_of(t.initial, t)
        ex.replay(keys)  # the chart's run, followed through the model once more
        frag = f"scenario={c.scenario}" + (f"&mutant={mutant}" if mutant else "")
        frag += f"&path={','.join(keys)}&bounds={bounds_signature(c.bounds)}"
        links[c.name] = f"{folder}/index.html#{frag}"
        (root / f"{c.name}.html").write_text(_redirect(c.name, links[c.name]), encoding="utf-8")
    (root / "charts.json").write_text(json.dumps(links, indent=2, sort_keys=True) + "\n")
    return links


def _redirect(name: str, link: str) -> str:
    """``<chart>.html``: a fixed address for the chart's run (what a scenario page links to);
    ``#lang=ko`` on it opens the explorer in Korean."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>tcpspec explore: {name}</title>\n"
        f'<script>location.replace("{link}&lang=" + '
        '(/lang=ko/.test(location.hash) ? "ko" : "en"));</script>\n'
        f'<meta http-equiv="refresh" content="0; url={link}">\n'
        f'</head><body><a href="{link}">{name}</a></body></html>\n'
    )


__all__ = ["STATIC_LIMIT", "TooLarge", "graph", "write", "write_charts"]
