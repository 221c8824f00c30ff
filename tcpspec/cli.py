"""The `tcpspec` command line.

    tcpspec verify             every property, every scenario, default bounds
    tcpspec trace PROPERTY     the shortest counterexample (or witness) for one property
    tcpspec mutants            every broken variant of TCP, and what catches it
    tcpspec list               properties, mutants and scenarios

Exit status: 0 all good, 1 a property is violated (or a mutant escapes), 2 bad usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from checks.explicit import StateLimitExceeded, explore
from checks.properties import CHECKED, PROPERTIES
from checks.trace import to_json
from checks.verify import Report, sweep, verify
from spec.build import UnknownName, make_model
from spec.model import Bounds, BoundsError
from spec.mutants import MUTANTS
from spec.scenarios import DEFAULT_SCENARIOS, SCENARIOS
from tcpspec.render import console, sweep_table, trace_table, verify_table

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="A machine-checked model of TCP connection setup and teardown "
                       "(RFC 9293): verify its properties, study counterexamples.")

# -- options shared by the commands that build a model -------------------------------------------
Capacity = Annotated[int, typer.Option(help="Segments in flight per direction.")]
Loss = Annotated[bool, typer.Option("--loss/--no-loss", help="The network may drop segments.")]
Reorder = Annotated[bool, typer.Option("--reorder/--no-reorder",
                                       help="The network may deliver segments out of order.")]
Dups = Annotated[int, typer.Option(help="How many duplications the network may make (0: off).")]
Data = Annotated[int, typer.Option(help="Data units each application sends.")]
Msl = Annotated[int, typer.Option(help="MSL in ticks: a segment lives less than this.")]
Rto = Annotated[int, typer.Option(help="Retransmission timeout in ticks.")]
Retries = Annotated[int, typer.Option(help="Retransmissions of a segment before giving up.")]
TimeWait = Annotated[int, typer.Option(help="TIME-WAIT length in ticks (0: 2*MSL).")]
Window = Annotated[int, typer.Option(help="Receive window (RCV.WND) in data units.")]
MaxStates = Annotated[int, typer.Option(help="Stop with an error beyond this many states.")]
Mutant = Annotated[str | None, typer.Option(help="Check a broken variant (see `tcpspec list`).")]
ScenarioOpt = Annotated[list[str] | None, typer.Option(
    "--scenario", help="Scenario(s) to explore (default: all).")]


def _bounds(capacity: int, loss: bool, reorder: bool, duplicates: int, data: int, msl: int,
            rto: int, retries: int, time_wait: int, window: int) -> Bounds:
    return Bounds(capacity=capacity, loss=loss, reorder=reorder, duplicates=duplicates,
                  data=data, msl=msl, rto=rto, retries=retries, time_wait=time_wait,
                  window=window).resolved()


def _fail(message: str) -> None:
    print(f"tcpspec: error: {message}", file=sys.stderr)
    raise typer.Exit(2)


def _scenarios(names: list[str] | None) -> tuple[str, ...]:
    for n in names or ():
        if n not in SCENARIOS:
            _fail(f"unknown scenario {n!r}; choose one of: {', '.join(SCENARIOS)}")
    return tuple(names) if names else DEFAULT_SCENARIOS


def _write_json(path: Path, doc: Any) -> None:
    try:
        path.write_text(json.dumps(doc, indent=2) + "\n")
    except OSError as e:
        _fail(f"cannot write {path}: {e.strerror}")


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
        _fail(f"unknown engine {engine!r}; available: explicit")
    if mutant is not None and mutant not in MUTANTS:
        _fail(f"unknown mutant {mutant!r}; choose one of: {', '.join(MUTANTS)}")
    names = _scenarios(scenario)
    out = console()
    try:
        b = _bounds(capacity, loss, reorder, duplicates, data, msl, rto, retries, time_wait,
                    window)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=out, transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("exploring", total=None)

            def done(name: str, ex: Any) -> None:
                bar.update(task, description=f"{name}: {ex.stats.states:,} states")

            report = verify(b, names, mutant, max_states, on_scenario=done)
    except (BoundsError, UnknownName, StateLimitExceeded) as e:
        _fail(str(e))
    out.print(verify_table(report))
    for r in report.results.values():
        if r.trace is not None and r.model is not None:
            out.print(trace_table(r.model, r.trace,
                                  f"counterexample to {r.property.id} ({r.scenario})"))
    if json_file is not None:
        _write_json(json_file, _report_json(report))
    raise typer.Exit(0 if report.ok else 1)


@app.command("trace")
def trace_cmd(
    property_id: Annotated[str, typer.Argument(metavar="PROPERTY",
                                               help="A property id (see `tcpspec list`).")],
    mutant: Mutant = None,
    scenario: Annotated[str | None, typer.Option(help="Scenario (default: the property's, or "
                                                      "the mutant's).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    capacity: Capacity = 2, loss: Loss = True, reorder: Reorder = True, duplicates: Dups = 1,
    data: Data = 1, msl: Msl = 1, rto: Rto = 1, retries: Retries = 1, time_wait: TimeWait = 0,
    window: Window = 2, max_states: MaxStates = 2_000_000,
) -> None:
    """Print the shortest counterexample to PROPERTY (or, for a "sometimes" property, the
    shortest run that reaches it)."""
    if property_id not in PROPERTIES:
        _fail(f"unknown property {property_id!r}; choose one of: {', '.join(PROPERTIES)}")
    if fmt not in ("text", "json"):
        _fail(f"unknown format {fmt!r}; choose text or json")
    if mutant is not None and mutant not in MUTANTS:
        _fail(f"unknown mutant {mutant!r}; choose one of: {', '.join(MUTANTS)}")
    prop = PROPERTIES[property_id]
    sc = scenario or (MUTANTS[mutant].scenario if mutant else prop.scenario)
    _scenarios([sc])
    try:
        b = _bounds(capacity, loss, reorder, duplicates, data, msl, rto, retries, time_wait,
                    window)
        model = make_model(sc, b, mutant)
        checked = tuple(p for p in CHECKED if p.id == property_id or p.witness == property_id)
        if prop.kind == "reachable":
            checked = tuple(p for p in CHECKED if p.witness == property_id)
        ex = explore(model, checked, max_states=max_states, stop_at=(property_id,))
    except (BoundsError, UnknownName, StateLimitExceeded) as e:
        _fail(str(e))
    v = ex.verdicts.get(property_id)
    if v is None or v.trace is None:
        what = "is never reached" if prop.kind == "reachable" else "holds: no counterexample"
        print(f"{property_id} {what} in scenario {sc}"
              + (f" with mutant {mutant}" if mutant else "") + ".")
        raise typer.Exit(1 if prop.kind == "reachable" else 0)
    if fmt == "json":
        sys.stdout.write(json.dumps(to_json(model, v.trace), indent=2) + "\n")
    else:
        kind = "witness for" if prop.kind == "reachable" else "counterexample to"
        console().print(trace_table(model, v.trace, f"{kind} {property_id} ({sc}"
                                    + (f", mutant {mutant})" if mutant else ")")))
    raise typer.Exit(0 if prop.kind == "reachable" else 1)


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
        b = _bounds(capacity, loss, reorder, duplicates, data, msl, rto, retries, time_wait,
                    window)
        catches = sweep(b, max_states=max_states)
    except (BoundsError, UnknownName, StateLimitExceeded) as e:
        _fail(str(e))
    console().print(sweep_table(catches))
    if json_file is not None:
        _write_json(json_file, {"mutants": [
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
