"""`tcpspec coverage`: which rule cases of `spec/` a model check fires, and which never fire."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tcpspec.checks.coverage import CaseCoverage, coverage
from tcpspec.checks.explicit import StateLimitExceeded
from tcpspec.cli.app import (
    EXIT_OK,
    MaxStates,
    ScenarioOpt,
    app,
    bound_flags,
    bound_options,
    check_output,
    check_scenarios,
    fail,
    write_json,
)
from tcpspec.cli.render import console, tr
from tcpspec.cli.scale import Workers, check_scale
from tcpspec.spec.model import Bounds


@app.command("coverage")
@bound_options
def coverage_cmd(
    scenario: ScenarioOpt = None,
    dead_only: Annotated[
        bool, typer.Option("--dead", help="Show only the cases that never fired.")
    ] = False,
    look_further: Annotated[
        bool,
        typer.Option(
            "--look-further/--no-look-further",
            help="For a case that never fired, try the other scenarios and each bound raised "
            "by one, and name the first that reaches it.",
        ),
    ] = True,
    max_states: MaxStates = 2_000_000,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the coverage of every case as JSON."),
    ] = None,
    workers: Workers = 0,
    *,
    bounds: Bounds,
) -> None:
    """Each rule case of the model (spec/), its RFC section, and how many transitions fire it
    in every state the explicit engine reaches, as TLC's -coverage counts actions.

    A case that never fires is a bound too small or a dead rule (a guard nothing satisfies):
    each is listed with the first other scenario, or bound raised by one, that reaches it."""
    check_output(json_file)
    names = check_scenarios(scenario)
    pool = check_scale(workers, None, 1 << 20)
    try:
        rows = coverage(bounds, names, max_states, pool, look_further)
    except StateLimitExceeded as e:
        fail(str(e))
    dead = [r for r in rows if not r.fired]
    flags = " ".join(bound_flags(bounds))
    show_coverage(
        rows,
        look_further,
        dead_only,
        "transitions",
        "{k} of {n} rule cases fired over {s} scenario(s) at these bounds; {d} never fired",
        f" ({escape(flags)})" if flags else "",
        s=len(names),
    )
    if json_file is not None:
        write_json(
            json_file,
            {
                "bounds": dataclasses.asdict(bounds),
                "scenarios": list(names),
                "cases": [r.as_dict() for r in rows],
                "never_fired": [r.name for r in dead],
            },
        )
    raise typer.Exit(EXIT_OK)


def show_coverage(
    rows: list[CaseCoverage],
    looked: bool,
    dead_only: bool,
    unit: str,
    summary: str,
    tail: str = "",
    **kw: object,
) -> None:
    """Print the table, then ``summary`` (a catalogue template) with how many cases fired
    (``k`` of ``n``) and never did (``d``), and ``kw``."""
    dead = sum(1 for r in rows if not r.fired)
    out = console()
    out.print(coverage_table(rows, looked, dead_only, unit))
    out.print(tr(summary, k=len(rows) - dead, n=len(rows), d=dead, **kw) + tail)


def coverage_table(rows: list[CaseCoverage], looked: bool, dead_only: bool, unit: str) -> Table:
    """Each case, its RFC section and how often it fired (``unit``: "transitions" of the
    explored model, "events" of the checked traces); the same table for both commands."""
    table = Table(title=tr("rule coverage"), title_justify="left")
    for col in (tr("case"), tr("RFC"), tr(unit)):
        table.add_column(col)
    for r in rows:
        if dead_only and r.fired:
            continue
        table.add_row(escape(r.name), escape(r.rfc), _cell(r, looked))
    return table


def _cell(r: CaseCoverage, looked: bool) -> str:
    if r.fired:
        return f"{r.transitions:,}"
    if not looked:
        return f"[red]{escape(tr('never fired'))}[/]"
    if r.reached_by:
        return f"[yellow]{escape(tr('never fired; reached with {how}', how=r.reached_by))}[/]"
    if r.too_large:
        text = tr("never fired; undecided: {n} settings were too large to try", n=len(r.too_large))
        return f"[yellow]{escape(text)}[/]"
    return f"[red]{escape(tr('never fired: no scenario or bound tried reaches it'))}[/]"
