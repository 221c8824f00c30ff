"""`tcpspec verify`, `tcpspec mutants` and `tcpspec list`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tcpspec.checks.explicit import StateLimitExceeded
from tcpspec.checks.itf import to_itf
from tcpspec.checks.parallel import SchedulerError
from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.symbolic import VIOLATED
from tcpspec.checks.trace import to_json
from tcpspec.checks.verify import (
    DEFAULT_DEPTH,
    ENGINES,
    Catch,
    Report,
    Result,
    sweep,
    unmutated_failures,
    verify,
    why_vacuous,
)
from tcpspec.cli.app import (
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    EXIT_VIOLATED,
    MaxStates,
    Mutant,
    ScenarioOpt,
    app,
    bound_flags,
    bound_options,
    check_mutant,
    check_output,
    check_scenarios,
    fail,
    flag,
    write_json,
)
from tcpspec.cli.cmd_prove import every_json
from tcpspec.cli.render import (
    console,
    every_bound_lines,
    plural,
    sweep_table,
    trace_table,
    verify_table,
)
from tcpspec.cli.scale import (
    DEFAULT_MAX_MEMORY,
    PROGRESS_EVERY,
    MaxMemory,
    Scheduler,
    Workers,
    check_scale,
    progress_line,
)
from tcpspec.cli.spinverify import spin_verify
from tcpspec.spec.build import UnknownName
from tcpspec.spec.model import Bounds, BoundsError
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import SCENARIOS


def _z3_json(
    report: Report, r: Result, bounds: Bounds, mutant: str | None
) -> dict[str, Any] | None:
    if not report.z3:
        return None
    if not r.symbolic():
        return {"status": "n/a", "note": "explicit engine only"}
    per = {}
    for name, v in r.z3.items():
        e: dict[str, Any] = {
            "status": v.status,
            "verdict": v.describe(),
            "method": v.method,
            "depth": v.depth,
            "seconds": round(v.seconds, 3),
            "notes": v.notes,
        }
        if v.trace is not None:
            e["counterexample"] = to_json(r.z3_models[name], v.trace)
            e["itf"] = to_itf(v.trace, name, bounds, mutant)
        per[name] = e
    return {"status": r.z3_status(), "scenarios": per}


def _report_json(report: Report, bounds: Bounds, mutant: str | None) -> dict[str, Any]:
    """The report as JSON; each counterexample also as an ITF trace (``itf``, Apalache's and
    Quint's format: `tcpspec replay` reads it back)."""
    props = []
    for r in report.results.values():
        entry: dict[str, Any] = {"id": r.property.id, "kind": r.property.kind}
        if report.explicit:
            entry["holds"] = r.holds
            entry["witness_found"] = r.witness is not None if r.property.witness else None
            entry["explicit"] = {"status": "holds" if r.holds else "violated"}
            if r.trace is not None and r.model is not None:
                entry["scenario"] = r.scenario
                entry["counterexample"] = to_json(r.model, r.trace)
                entry["itf"] = to_itf(r.trace, r.scenario, bounds, mutant)
        else:
            entry["holds"] = r.z3_status() != VIOLATED
        z = _z3_json(report, r, bounds, mutant)
        if z is not None:
            entry["z3"] = z
        if report.engine == "both" and r.symbolic():
            entry["engines_agree"] = not r.disagreements
            entry["disagreements"] = r.disagreements
        props.append(entry)
    tot = report.totals()
    return {
        "engine": report.engine,
        "bmc_depth": report.depth if report.z3 else None,
        "agree": report.agree if report.engine == "both" else None,
        "properties": props,
        "stats": {
            "states": tot.states,
            "transitions": tot.transitions,
            "depth": tot.depth,
            "seconds": round(report.seconds, 3),
            "z3_seconds": round(report.z3_seconds, 3),
            "scenarios": {k: v.as_dict() for k, v in report.stats.items()},
        },
    }


Engine = Annotated[
    str,
    typer.Option(
        help="Which engine checks the properties: explicit (every reachable state), z3 (an "
        "inductive proof, else bounded model checking), both (their verdicts must agree) or "
        "spin (the safety properties, through SPIN on the exported Promela)."
    ),
]
Depth = Annotated[
    int,
    typer.Option(
        help="How many steps Z3's bounded model checking searches when it cannot prove a "
        "property (it always reaches a counterexample the explicit engine found)."
    ),
]


@app.command("verify")
@bound_options
def verify_cmd(
    scenario: ScenarioOpt = None,
    mutant: Mutant = None,
    max_states: MaxStates = 2_000_000,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the report as JSON to this file.")
    ] = None,
    engine: Engine = "both",
    depth: Depth = DEFAULT_DEPTH,
    workers: Workers = 0,
    scheduler: Scheduler = None,
    max_memory: MaxMemory = DEFAULT_MAX_MEMORY,
    mutants: Annotated[
        bool,
        typer.Option(
            "--mutants/--no-mutants",
            help="Then run the mutant sweep too (what `tcpspec mutants` does), with this "
            "run's verdicts on the unmutated model as its baseline: `make verify`.",
        ),
    ] = False,
    every: Annotated[
        bool,
        typer.Option(
            "--every-bound/--no-every-bound",
            help="Also re-check the proofs for every bound (checks/symbolic/every-bound.json: "
            "what `tcpspec prove --every-bound` proves, without its searches), beside the "
            "other tasks: `make verify`.",
        ),
    ] = False,
    *,
    bounds: Bounds,
) -> None:
    """Check every property in every scenario at the given bounds, with both engines."""
    if engine == "spin":  # safety properties through SPIN, on the exported Promela
        check_mutant(mutant)
        check_output(json_file)
        check_scale(workers, scheduler, max_memory)
        spin_verify(bounds, check_scenarios(scenario), mutant, json_file, max_states, max_memory)
    if engine not in ENGINES:
        fail(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}, spin")
    if depth < 0:
        fail(f"--depth must be at least 0 (got {depth})")
    check_mutant(mutant)
    if every and mutant is not None:
        fail(
            "--every-bound re-checks the proofs of TCP unmutated; a mutant's refutation for "
            "every bound: tcpspec prove --every-bound --mutant M"
        )
    check_output(json_file)
    names = check_scenarios(scenario)
    pool = check_scale(workers, scheduler, max_memory)
    out = console()
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=out,
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task("exploring", total=None)

            def step(text: str) -> None:
                bar.update(task, description=text)

            report = verify(
                bounds,
                names,
                mutant,
                max_states,
                engine=engine,
                depth=depth,
                on_step=step,
                workers=pool,
                scheduler=scheduler,
                max_memory_mib=max_memory,
                progress=None if sys.stderr.isatty() else progress_line,
                progress_every=PROGRESS_EVERY,
                every_bound=every,
            )
    except (BoundsError, UnknownName, StateLimitExceeded, SchedulerError) as e:
        fail(str(e))
    out.print(verify_table(report))
    for line in every_bound_lines(report):
        out.print(line)
    for name, vs in report.every.items():  # (the same notes on each of a scenario's verdicts)
        for note in dict.fromkeys(n for v in vs for n in v.notes):
            out.print(f"note: {name}: {escape(note)} (make certificates)")
    for note in report.notes:
        out.print(f"note: {escape(note)}")
    for r in report.results.values():
        if r.trace is not None and r.model is not None:
            out.print(
                trace_table(r.model, r.trace, f"counterexample to {r.property.id} ({r.scenario})")
            )
        elif not report.explicit and (cx := r.z3_counterexample()) is not None:
            name, v = cx
            out.print(
                trace_table(
                    r.z3_models[name],
                    v.trace,  # type: ignore[arg-type]
                    f"counterexample to {r.property.id} ({name}, z3 bmc)",
                )
            )
        for d in r.disagreements:
            out.print(f"[red]engines disagree[/] on {r.property.id}: {d}")
    vacuous = report.vacuous()
    for r in vacuous:
        print(vacuity_line(r, bounds, mutant, max_states))
    for r in report.inconclusive():
        print(
            f"inconclusive: {r.property.id}: Z3 found no proof and no counterexample within "
            f"{plural(report.depth, 'step')}; raise --depth, or add the explicit engine "
            "(--engine both)"
        )
    doc = _report_json(report, bounds, mutant)
    if report.every:
        doc["every_bound"] = [every_json(v, None) for vs in report.every.values() for v in vs]
    escaped = False
    if mutants and mutant is None:
        try:
            catches = _sweep_after(report, bounds, names, max_states, pool, scheduler)
        except (BoundsError, UnknownName, StateLimitExceeded, SchedulerError) as e:
            fail(str(e))
        if catches is None:
            escaped = True
        else:
            out.print(sweep_table(catches))
            doc["mutants"] = sweep_json(catches)
            escaped = not all(c.ok for c in catches)
    if json_file is not None:
        write_json(json_file, doc)
    if not report.ok or escaped:
        raise typer.Exit(EXIT_VIOLATED)
    open_ = vacuous or report.inconclusive() or report.every_open()
    raise typer.Exit(EXIT_INCONCLUSIVE if open_ else EXIT_OK)


def _sweep_after(
    report: Report,
    bounds: Bounds,
    names: tuple[str, ...],
    max_states: int,
    pool: int | None,
    scheduler: str | None,
) -> list[Catch] | None:
    """The mutant sweep after `verify`: its baseline (TCP unmutated keeps what each mutant
    breaks) is read off this run where the scenario was explored, explored otherwise. None when
    the baseline already fails."""
    known = [m for m in MUTANTS.values() if report.explicit and m.scenario in names]
    broken = sorted(
        {
            (m.scenario, m.breaks)
            for m in known
            if report.results[m.breaks].explicit_by_scenario.get(m.scenario) is not None
        }
    )
    rest = tuple(m for m in MUTANTS if MUTANTS[m] not in known)
    if rest:
        broken += unmutated_failures(
            bounds, rest, max_states=max_states, workers=pool, scheduler=scheduler
        )
    baseline_report(broken, bounds)
    if broken:
        return None
    return sweep(bounds, max_states=max_states, workers=pool, scheduler=scheduler)


def vacuity_line(r: Result, bounds: Bounds, mutant: str | None, max_states: int) -> str:
    """One line naming a vacuous property, its companion, and the bound that makes it so."""
    w = PROPERTIES[r.property.witness]  # type: ignore[index]
    line = (
        f"vacuous: {r.property.id} holds only vacuously in {r.property.scenario}: its "
        f'"sometimes" companion {w.id} ({w.statement.rstrip(".")}) is never reached'
    )
    causes = why_vacuous(r, bounds, mutant, max_states)
    if causes:
        given = ", ".join(flag(c, getattr(bounds, c)) for c in causes)
        line += f"; the bound that makes it so: {given} (at its default it is reached)"
    else:
        line += " at these bounds"
    return line


def baseline_report(broken: list[tuple[str, str]], bounds: Bounds) -> None:
    """Say where TCP itself, unmutated, already breaks what a mutant is meant to break."""
    flags = " ".join(bound_flags(bounds))
    for scenario, pid in broken:
        print(
            f"tcpspec: the unmutated model already violates {pid} in scenario {scenario} "
            f"at these bounds ({flags or 'the defaults'}): a mutant caught there proves "
            f"nothing; see `tcpspec verify --scenario {scenario} {flags}`".rstrip(),
            file=sys.stderr,
        )


def sweep_json(catches: list[Catch]) -> list[dict[str, Any]]:
    return [
        {
            "mutant": c.mutant.name,
            "expected": c.mutant.breaks,
            "scenario": c.mutant.scenario,
            "caught_by": c.caught_by,
            "trace_length": len(c.trace) if c.trace else None,
        }
        for c in catches
    ]


@app.command("mutants")
@bound_options
def mutants_cmd(
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="[MUTANT]...", help="Only these mutants (default: every one)."),
    ] = None,
    max_states: MaxStates = 2_000_000,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the sweep as JSON to this file.")
    ] = None,
    workers: Workers = 0,
    scheduler: Scheduler = None,
    *,
    bounds: Bounds,
) -> None:
    """Run every mutant (a deliberately broken TCP) and show which property catches it.

    First the unmutated model is checked at the same bounds: where TCP itself already breaks
    a property, a mutant "caught" by it proves nothing, and the sweep stops there."""
    check_output(json_file)
    for n in names or ():
        check_mutant(n)
    chosen = tuple(names) if names else None
    pool = check_scale(workers, scheduler, DEFAULT_MAX_MEMORY)
    try:
        broken = unmutated_failures(
            bounds, chosen, max_states=max_states, workers=pool, scheduler=scheduler
        )
        baseline_report(broken, bounds)
        if broken:
            raise typer.Exit(EXIT_VIOLATED)
        catches = sweep(bounds, chosen, max_states=max_states, workers=pool, scheduler=scheduler)
    except (BoundsError, UnknownName, StateLimitExceeded, SchedulerError) as e:
        fail(str(e))
    console().print(sweep_table(catches))
    if json_file is not None:
        write_json(json_file, {"mutants": sweep_json(catches)})
    raise typer.Exit(0 if all(c.ok for c in catches) else 1)


@app.command("list")
def list_cmd() -> None:
    """List the properties, mutants and scenarios."""
    out = console()
    out.print("[bold]Properties[/]")
    # (escaped: a loaded file's texts are data, not markup)
    for p in PROPERTIES.values():
        out.print(escape(f"  {p.id:34} {p.kind:10} {p.statement}"))
    out.print("\n[bold]Mutants[/] (each must be caught by the property named)")
    for m in MUTANTS.values():
        out.print(escape(f"  {m.name:30} -> {m.breaks:34} {m.summary}"))
    out.print("\n[bold]Scenarios[/]")
    for s in SCENARIOS.values():
        out.print(escape(f"  {s.name:20} {s.title}"))
