"""Rich tables for reports and traces (text); JSON documents for machines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from checks.trace import Trace, endpoint_text, row
from checks.verify import Catch, Report
from spec.model import CLIENT, SERVER, Model


def trace_table(m: Model, t: Trace, title: str) -> Table:
    table = Table(title=title, show_lines=False, title_justify="left")
    for col in ("step", "actor", "event", "rule (RFC section)", "sends", "client", "server"):
        table.add_column(col, overflow="fold")
    init = t.initial
    in_flight = ", ".join(s.describe() + (" [old]" if s.stale else "")
                          for c in init.chans for s in c)
    table.add_row("0", "", "initial state" + (f"; in flight: {in_flight}" if in_flight else ""),
                  "", "", endpoint_text(init.eps[CLIENT]), endpoint_text(init.eps[SERVER]))
    for k, step in enumerate(t.steps, 1):
        r = row(m, k, step)
        mark = "↻ " if t.loop_start is not None and k - 1 == t.loop_start and \
            t.loop_start < len(t.steps) else ""
        table.add_row(mark + str(k), r["actor"], r["event"], r["rule"], r["sends"],
                      r["client"], r["server"])
    if t.note:
        table.caption = t.note
    return table


def verify_table(report: Report) -> Table:
    t = Table(title="tcpspec verify", title_justify="left")
    for col in ("property", "kind", "verdict", "witness (sometimes)", "counterexample"):
        t.add_column(col)
    for r in report.results.values():
        p = r.property
        verdict = "[green]holds[/]" if r.holds else f"[red]VIOLATED[/] in {r.scenario}"
        if p.witness:
            if r.witness:
                wit = f"reachable ({len(r.witness)} steps, {r.witness_scenario})"
            elif p.scenario in report.stats:
                wit = "[red]NOT reachable: vacuous?[/]"
            else:
                wit = f"not checked (needs scenario {p.scenario})"
        else:
            wit = "-"
        cex = f"{len(r.trace)} steps" if r.trace else "-"
        t.add_row(p.id, p.kind, verdict, wit, cex)
    tot = report.totals()
    t.caption = (f"{tot.states:,} states, {tot.transitions:,} transitions, max depth "
                 f"{tot.depth}, {report.seconds:.1f} s over {len(report.stats)} scenarios")
    return t


def sweep_table(catches: list[Catch]) -> Table:
    t = Table(title="tcpspec mutants", title_justify="left")
    for col in ("mutant", "expected to break", "caught by", "trace", "states", "result"):
        t.add_column(col)
    for c in catches:
        t.add_row(c.mutant.name, c.mutant.breaks, ", ".join(c.caught_by) or "-",
                  f"{len(c.trace)} steps" if c.trace else "-", f"{c.stats.states:,}",
                  "[green]caught[/]" if c.ok else "[red]NOT CAUGHT[/]")
    return t


def console() -> Console:
    # A fixed width keeps the output identical whatever the terminal (determinism).
    return Console(width=160, highlight=False)
