"""`tcpspec export promela`: the model as a Promela program for SPIN, derived from the rules.

The Promela is printed from the rule tables of `spec/` (see `tcpspec.checks.spin.promela`), with
the safety properties as assertions; `make spin-check` shows SPIN finds exactly the explicit
engine's states and verdicts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tcpspec.checks.spin.promela import export
from tcpspec.cli.app import (
    Mutant,
    app,
    bound_options,
    check_mutant,
    check_output,
    check_scenarios,
    fail,
    write_text,
)
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds
from tcpspec.spec.mutants import MUTANTS

FORMATS = ("promela",)


@app.command("export")
@bound_options
def export_cmd(
    target: Annotated[str, typer.Argument(help="What to write: promela (a model for SPIN).")],
    scenario: Annotated[
        str | None, typer.Option(help="Scenario (default: the mutant's, else connect-close).")
    ] = None,
    mutant: Mutant = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    *,
    bounds: Bounds,
) -> None:
    """Export the model (both endpoints, channels, clock, safety properties) as Promela for
    SPIN: `spin -a model.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -c0`."""
    if target not in FORMATS:
        fail(f"unknown export target {target!r}; choose one of: {', '.join(FORMATS)}")
    check_mutant(mutant)
    check_output(output)
    name = scenario or (MUTANTS[mutant].scenario if mutant else "connect-close")
    check_scenarios([name])
    try:
        text = export(make_model(name, bounds, mutant))
    except ValueError as e:
        fail(str(e))
    if output is None:
        sys.stdout.write(text)
    else:
        write_text(output, text)
