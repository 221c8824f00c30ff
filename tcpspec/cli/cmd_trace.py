"""`tcpspec trace`: one counterexample (or witness), as a table, JSON, a chart or a capture."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tcpspec.checks.explicit import StateLimitExceeded, explore
from tcpspec.checks.properties import CHECKED, PROPERTIES
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
from tcpspec.cli.formats import FORMATS, Origin
from tcpspec.diagrams import words
from tcpspec.i18n import current
from tcpspec.spec.build import UnknownName, make_model
from tcpspec.spec.model import Bounds, BoundsError
from tcpspec.spec.mutants import MUTANTS


@app.command("trace")
@bound_options
def trace_cmd(
    property_id: Annotated[
        str, typer.Argument(metavar="PROPERTY", help="A property id (see `tcpspec list`).")
    ],
    mutant: Mutant = None,
    scenario: Annotated[
        str | None, typer.Option(help="Scenario (default: the property's, or the mutant's).")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="One of: " + ", ".join(f"{k} ({v[1]})" for k, v in FORMATS.items()) + ".",
        ),
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    max_states: MaxStates = 2_000_000,
    *,
    bounds: Bounds,
) -> None:
    """Print the shortest counterexample to PROPERTY (or, for a "sometimes" property, the
    shortest run that reaches it)."""
    if property_id not in PROPERTIES:
        fail(f"unknown property {property_id!r}; choose one of: {', '.join(PROPERTIES)}")
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    check_mutant(mutant)
    check_output(output)
    prop = PROPERTIES[property_id]
    sc = scenario or (MUTANTS[mutant].scenario if mutant else prop.scenario)
    check_scenarios([sc])
    try:
        model = make_model(sc, bounds, mutant)
        checked = tuple(p for p in CHECKED if p.id == property_id or p.witness == property_id)
        if prop.kind == "reachable":
            checked = tuple(p for p in CHECKED if p.witness == property_id)
        ex = explore(model, checked, max_states=max_states, stop_at=(property_id,))
    except (BoundsError, UnknownName, StateLimitExceeded) as e:
        fail(str(e))
    v = ex.verdicts.get(property_id)
    if v is None or v.trace is None:
        what = "is never reached" if prop.kind == "reachable" else "holds: no counterexample"
        print(
            f"{property_id} {what} in scenario {sc}"
            + (f" with mutant {mutant}" if mutant else "")
            + "."
        )
        raise typer.Exit(1 if prop.kind == "reachable" else 0)
    title = words.title(property_id, sc, mutant, prop.kind == "reachable", current())
    doc = FORMATS[fmt][0](model, v.trace, title, Origin(sc, bounds, mutant))
    if output is not None:
        write_text(output, doc)
    elif isinstance(doc, bytes):
        fail(f"--format {fmt} writes a binary file: give it a name with --output FILE")
    else:
        sys.stdout.write(doc)
    raise typer.Exit(0 if prop.kind == "reachable" else 1)
