"""`tcpspec chart NAME`: the message sequence chart of a seed scenario or a mutant, on demand.

The same charts `make diagrams` commits under diagrams/scenarios/ and diagrams/mutants/, for
one name at a time, as SVG, Mermaid or DOT.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tcpspec.cli.app import app, check_output, fail, write_text
from tcpspec.diagrams import derive, generate, graphs, msc
from tcpspec.i18n import current, gettext
from tcpspec.spec.mutants import MUTANTS

CHART_FORMATS = ("svg", "mermaid", "dot")


def chart_names() -> list[str]:
    """Seed scenario charts first, then the mutants (their counterexamples)."""
    charts = [c.name for c in derive.CHARTS]
    return charts + [m for m in MUTANTS if m not in charts]


@app.command("chart")
def chart_cmd(
    name: Annotated[str, typer.Argument(help="A chart: " + ", ".join(chart_names()) + ".")],
    fmt: Annotated[str, typer.Option("--format", help="svg, mermaid or dot.")] = "svg",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Draw the message sequence chart of a seed scenario (handshake, close, lost-syn-ack, ...)
    or of a mutant's counterexample: two lifelines, one arrow per segment, lost segments
    crossed out, timers and TIME-WAIT as bars."""
    if fmt not in CHART_FORMATS:
        fail(f"unknown format {fmt!r}; choose one of: {', '.join(CHART_FORMATS)}")
    check_output(output)
    chart = next((c for c in derive.CHARTS if c.name == name), None)
    lang = current()
    if chart is not None:
        t = derive.chart_trace(chart)
        title = gettext(chart.title, lang)
        sub = generate.chart_subtitle(chart, len(t.steps), lang)
    elif name in MUTANTS:
        prop, t = derive.mutant_trace(name)
        title = generate.mutant_title(name, prop, lang)
        sub = generate.mutant_subtitle(name, t, lang)
    else:
        fail(f"unknown chart {name!r}; choose one of: {', '.join(chart_names())}")
    doc = {
        "svg": lambda: msc.svg(t, title, sub, lang),
        "mermaid": lambda: msc.mermaid(t, title, lang),
        "dot": lambda: graphs.trace_dot(t, title),
    }[fmt]()
    if output is not None:
        write_text(output, doc)
    else:
        sys.stdout.write(doc)
