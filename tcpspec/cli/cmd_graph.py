"""`tcpspec graph`: the explored state graph, with a counterexample path drawn in red.

Every global state (both endpoints and the segments in flight) and every move between them, as
SVG or DOT, or as GraphML for tools that handle big graphs (Gephi, yEd, networkx). With
``--summary`` the states are grouped by (client state, server state), which keeps any graph
small enough to read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tcpspec.checks.explicit import Exploration, StateLimitExceeded, explore
from tcpspec.checks.properties import CHECKED, PROPERTIES, Property
from tcpspec.checks.trace import Trace
from tcpspec.cli.app import (
    MaxStates,
    Mutant,
    app,
    bound_options,
    check_mutant,
    check_output,
    check_scenarios,
    fail,
    write_text,
)
from tcpspec.diagrams import graphs
from tcpspec.spec.build import UnknownName, make_model
from tcpspec.spec.model import Bounds, BoundsError
from tcpspec.spec.mutants import MUTANTS

GRAPH_FORMATS = ("svg", "dot", "graphml")
#: Beyond this many states a drawing is unreadable (and slow to lay out): say so instead.
MAX_DRAW = 1500


def checked_for(prop: Property) -> tuple[Property, ...]:
    """What to check to get a trace for ``prop``: the property itself, or for a "sometimes"
    property the safety property whose witness it is."""
    if prop.kind == "reachable":
        return tuple(p for p in CHECKED if p.witness == prop.id)
    return tuple(p for p in CHECKED if p.id == prop.id or p.witness == prop.id)


def trace_path(ex: Exploration, t: Trace) -> list[int]:
    """The state numbers a trace walks through in the explored graph; for a lasso, back to
    where its loop starts (so the move that closes the loop is drawn in red too)."""
    index = {w: n for n, w in enumerate(ex.worlds)}
    path = [index[w] for w in t.worlds()]
    if (
        t.loop_start is not None
        and t.loop_start < len(t.steps)
        and ex.graph.has_edge(path[-1], path[t.loop_start])
    ):
        path.append(path[t.loop_start])
    return path


@app.command("graph")
@bound_options
def graph_cmd(
    scenario: Annotated[
        str | None,
        typer.Option(help="Scenario (default: the property's, or the mutant's, else handshake)."),
    ] = None,
    mutant: Mutant = None,
    property_id: Annotated[
        str | None,
        typer.Option("--property", help="Draw this property's counterexample (or witness) in red."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="svg, dot or graphml.")] = "svg",
    summary: Annotated[
        bool,
        typer.Option(
            "--summary", help="Group states by (client state, server state), count the moves."
        ),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    max_draw: Annotated[
        int, typer.Option(help="Refuse to draw (svg, dot) a graph with more states than this.")
    ] = MAX_DRAW,
    max_states: MaxStates = 200_000,
    *,
    bounds: Bounds,
) -> None:
    """Export the state graph of a scenario, with the counterexample path highlighted when a
    property is given (e.g. `tcpspec graph --mutant two-way-handshake --property
    handshake.three_messages --scenario handshake --no-loss`)."""
    if fmt not in GRAPH_FORMATS:
        fail(f"unknown format {fmt!r}; choose one of: {', '.join(GRAPH_FORMATS)}")
    if property_id is not None and property_id not in PROPERTIES:
        fail(f"unknown property {property_id!r}; choose one of: {', '.join(PROPERTIES)}")
    if summary and fmt == "graphml":
        fail("--summary draws a picture: use it with --format svg or dot")
    check_output(output)
    check_mutant(mutant)
    prop = PROPERTIES[property_id] if property_id else None
    sc = scenario or (
        MUTANTS[mutant].scenario if mutant else prop.scenario if prop else "handshake"
    )
    check_scenarios([sc])
    drawing = fmt != "graphml" and not summary
    # a drawing stops exploring as soon as the graph is too big to draw: no long wait first
    limit = min(max_states, max_draw) if drawing else max_states
    try:
        model = make_model(sc, bounds, mutant)
        ex = explore(model, checked_for(prop) if prop else (), max_states=limit)
    except (BoundsError, UnknownName) as e:
        fail(str(e))
    except StateLimitExceeded as e:
        if limit < max_states:
            fail(
                f"the state graph has more than {max_draw:,} states, too many to draw "
                "(--max-draw): use smaller bounds (e.g. --no-loss --no-reorder --duplicates 0 "
                "--data 0), --summary, or --format graphml"
            )
        fail(str(e))
    states = ex.graph.number_of_nodes()
    path: list[int] = []
    what = f"scenario {sc}" + (f", mutant {mutant}" if mutant else "")
    title = f"State graph, {what}: {states} states, {ex.graph.number_of_edges()} moves"
    if prop is not None:
        v = ex.verdicts.get(prop.id)
        if v is None or v.trace is None:
            found = "is never reached" if prop.kind == "reachable" else "holds"
            print(f"tcpspec: {prop.id} {found} here: nothing to highlight", file=sys.stderr)
        else:
            path = trace_path(ex, v.trace)
            kind = "witness for" if prop.kind == "reachable" else "counterexample to"
            title += f"; in red: the {kind} {prop.id} ({len(v.trace.steps)} steps)"
    if fmt == "graphml":
        doc = graphs.graphml(ex, path)
    else:
        dot = (
            graphs.product_summary(ex, title, path)
            if summary
            else graphs.product_full(ex, title, path=path)
        )
        doc = dot if fmt == "dot" else graphs.render(dot)
    if output is not None:
        write_text(output, doc)
    else:
        sys.stdout.write(doc)
