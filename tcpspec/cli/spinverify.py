"""`tcpspec verify --engine spin`: the safety properties checked by SPIN on the exported Promela.

For bounds too large for Python: every scenario's model is exported (`checks.spin.promela`),
compiled and explored by SPIN's ``pan``; each invariant and action property holds in a scenario
exactly when its assertion never fails. Deadlock and liveness are the explicit engine's. A
violated property is shown with SPIN's counterexample, replayed through the model
(`checks.spin.run.replay`) and printed as the explicit engine's are (`render.trace_table`,
`checks.trace.to_json`).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from tcpspec.checks import parallel
from tcpspec.checks.itf import to_itf
from tcpspec.checks.properties import CHECKED, SAFETY_KINDS, Property
from tcpspec.checks.spin.run import SpinError, SpinResult, check_named, missing
from tcpspec.checks.trace import to_json
from tcpspec.cli.app import EXIT_OK, EXIT_VIOLATED, fail, write_json
from tcpspec.cli.render import console, plural, tr, trace_table
from tcpspec.diagrams import words
from tcpspec.i18n import current
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, Model


def safety() -> tuple[Property, ...]:
    """The properties SPIN checks (a user's loaded ones too)."""
    return tuple(p for p in CHECKED if p.kind in SAFETY_KINDS)


def spin_verify(
    bounds: Bounds,
    names: tuple[str, ...],
    mutant: str | None,
    json_file: Path | None,
    max_states: int,
    max_memory_mib: int,
) -> None:
    """Run SPIN over ``names`` and print the verdicts, and a counterexample to each violated
    property; exit 1 if a property is violated, 2 if a search outgrew ``max_states`` or
    ``max_memory_mib`` (as the explicit engine does)."""
    why = missing()
    if why is not None:
        fail(why)
    tasks = [(n, bounds, mutant, True, max_states, max_memory_mib) for n in names]
    try:  # the scenarios are independent: one process per core
        found = parallel.run(check_named, tasks)
    except (SpinError, ValueError) as e:
        fail(str(e))
    results: dict[str, SpinResult] = dict(zip(names, found, strict=True))
    models: dict[str, Model] = {
        n: make_model(n, bounds, mutant) for n, r in results.items() if r.traces
    }
    out, lang = console(), current()
    table = Table(title=tr("SPIN (safety properties)"), title_justify="left")
    for col in (tr("property"), tr("kind"), "SPIN"):
        table.add_column(col)
    for p in safety():
        bad = [n for n, r in results.items() if p.id in r.violated]
        verdict = (
            f"[green]{tr('holds')}[/]"
            if not bad
            else f"[red]{escape(tr('VIOLATED in {sc}', sc=', '.join(bad)))}[/]"
        )
        table.add_row(escape(p.id), tr(p.kind), verdict)
    out.print(table)
    states = sum(r.states for r in results.values())
    seconds = sum(r.seconds for r in results.values())
    out.print(
        f"{plural(len(results), 'scenario')}, {plural(states, 'state')} stored by SPIN, "
        f"{seconds:.1f} s (export, compile and search); deadlock and liveness: "
        "--engine explicit"
    )
    for p in safety():
        for n, r in results.items():
            t = r.trace(p.id)
            if t is not None:  # in this run's language, as `tcpspec trace` prints one
                head = words.title(p.id, n, mutant, False, lang)
                title = tr("{title}, found by SPIN", title=head)
                out.print(trace_table(models[n], t, title, lang))
    if json_file is not None:
        write_json(
            json_file,
            {
                "engine": "spin",
                "properties": {
                    p.id: sorted(n for n, r in results.items() if p.id in r.violated)
                    for p in safety()
                },
                "scenarios": {
                    n: {
                        "states": r.states,
                        "transitions": r.transitions,
                        "depth": r.depth,
                        "violated": list(r.violated),
                        "counterexamples": {t.property_id: to_json(models[n], t) for t in r.traces},
                        "itf": {t.property_id: to_itf(t, n, bounds, mutant) for t in r.traces},
                    }
                    for n, r in results.items()
                },
            },
        )
    violated = any(r.violated for r in results.values())
    raise typer.Exit(EXIT_VIOLATED if violated else EXIT_OK)
