"""`tcpspec verify`, `tcpspec mutants` and `tcpspec list`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from checks.explicit import StateLimitExceeded
from checks.properties import PROPERTIES
from checks.trace import to_json
from checks.verify import Report, sweep, verify
from spec.build import UnknownName
from spec.model import BoundsError
from spec.mutants import MUTANTS
from spec.scenarios import SCENARIOS
from tcpspec.app import (
    Capacity,
    Data,
    Dups,
    Loss,
    MaxStates,
    Msl,
    Mutant,
    Reorder,
    Retries,
    Rto,
    ScenarioOpt,
    TimeWait,
    Window,
    app,
    bounds,
    check_mutant,
    check_scenarios,
    fail,
    write_json,
)
from tcpspec.render import console, sweep_table, trace_table, verify_table


def _report_json(report: Report) -> dict[str, Any]:
    props = []
    for r in report.results.values():
        entry: dict[str, Any] = {"id": r.property.id, "kind": r.property.kind,
                                 "holds": r.holds,
                                 "witness_found": r.witness is not None
                                 if r.property.witness else None}
        if r.trace is not None and r.model is not None:
            entry["scenario"] = r.scenario
            entry["counterexample"] = to_json(r.model, r.trace)
        props.append(entry)
    tot = report.totals()
    return {"properties": props,
            "stats": {"states": tot.states, "transitions": tot.transitions,
                      "depth": tot.depth, "seconds": round(report.seconds, 3),
                      "scenarios": {k: v.as_dict() for k, v in report.stats.items()}}}


@app.command("verify")
def verify_cmd(
    scenario: ScenarioOpt = None, mutant: Mutant = None,
    capacity: Capacity = 2, loss: Loss = True, reorder: Reorder = True, duplicates: Dups = 1,
    data: Data = 1, msl: Msl = 1, rto: Rto = 1, retries: Retries = 1, time_wait: TimeWait = 0,
    window: Window = 2, max_states: MaxStates = 2_000_000,
    json_file: Annotated[Path | None, typer.Option("--json", help="Also write the report as "
                                                                  "JSON to this file.")] = None,
    engine: Annotated[str, typer.Option(help="Engine: explicit.")] = "explicit",
) -> None:
    """Check every property in every scenario at the given bounds."""
    if engine != "explicit":
        fail(f"unknown engine {engine!r}; available: explicit")
    check_mutant(mutant)
    names = check_scenarios(scenario)
    out = console()
    try:
        b = bounds(capacity, loss, reorder, duplicates, data, msl, rto, retries, time_wait,
                    window)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=out, transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("exploring", total=None)

            def done(name: str, ex: Any) -> None:
                bar.update(task, description=f"{name}: {ex.stats.states:,} states")

            report = verify(b, names, mutant, max_states, on_scenario=done)
    except (BoundsError, UnknownName, StateLimitExceeded) as e:
        fail(str(e))
    out.print(verify_table(report))
    for r in report.results.values():
        if r.trace is not None and r.model is not None:
            out.print(trace_table(r.model, r.trace,
                                  f"counterexample to {r.property.id} ({r.scenario})"))
    if json_file is not None:
        write_json(json_file, _report_json(report))
    raise typer.Exit(0 if report.ok else 1)


@app.command("mutants")
def mutants_cmd(
    capacity: Capacity = 2, loss: Loss = True, reorder: Reorder = True, duplicates: Dups = 1,
    data: Data = 1, msl: Msl = 1, rto: Rto = 1, retries: Retries = 1, time_wait: TimeWait = 0,
    window: Window = 2, max_states: MaxStates = 2_000_000,
    json_file: Annotated[Path | None, typer.Option("--json", help="Also write the sweep as "
                                                                  "JSON to this file.")] = None,
) -> None:
    """Run every mutant (a deliberately broken TCP) and show which property catches it."""
    try:
        b = bounds(capacity, loss, reorder, duplicates, data, msl, rto, retries, time_wait,
                    window)
        catches = sweep(b, max_states=max_states)
    except (BoundsError, UnknownName, StateLimitExceeded) as e:
        fail(str(e))
    console().print(sweep_table(catches))
    if json_file is not None:
        write_json(json_file, {"mutants": [
            {"mutant": c.mutant.name, "expected": c.mutant.breaks, "scenario": c.mutant.scenario,
             "caught_by": c.caught_by, "trace_length": len(c.trace) if c.trace else None}
            for c in catches]})
    raise typer.Exit(0 if all(c.ok for c in catches) else 1)


@app.command("list")
def list_cmd() -> None:
    """List the properties, mutants and scenarios."""
    out = console()
    out.print("[bold]Properties[/]")
    for p in PROPERTIES.values():
        out.print(f"  {p.id:34} {p.kind:10} {p.statement}")
    out.print("\n[bold]Mutants[/] (each must be caught by the property named)")
    for m in MUTANTS.values():
        out.print(f"  {m.name:30} -> {m.breaks:34} {m.summary}")
    out.print("\n[bold]Scenarios[/]")
    for s in SCENARIOS.values():
        out.print(f"  {s.name:20} {s.title}")
