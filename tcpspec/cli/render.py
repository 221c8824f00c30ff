"""Rich tables for reports and traces (text); JSON documents for machines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tcpspec.checks.symbolic import PROVED, VIOLATED
from tcpspec.checks.trace import Trace, endpoint_text, row
from tcpspec.checks.verify import Catch, Report, Result
from tcpspec.spec.model import CLIENT, SERVER, Model


def plural(n: int, noun: str) -> str:
    """``1 scenario``, ``2 scenarios``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def trace_table(m: Model, t: Trace, title: str) -> Table:
    table = Table(title=title, show_lines=False, title_justify="left")
    for col in ("step", "actor", "event", "rule (RFC section)", "sends", "client", "server"):
        table.add_column(col, overflow="fold")
    init = t.initial
    in_flight = ", ".join(
        s.describe() + (" [old]" if s.stale else "") for c in init.chans for s in c
    )
    table.add_row(
        "0",
        "",
        "initial state" + (f"; in flight: {in_flight}" if in_flight else ""),
        "",
        "",
        endpoint_text(init.eps[CLIENT]),
        endpoint_text(init.eps[SERVER]),
    )
    for k, step in enumerate(t.steps, 1):
        r = row(m, k, step)
        mark = (
            "↻ "
            if t.loop_start is not None and k - 1 == t.loop_start and t.loop_start < len(t.steps)
            else ""
        )
        table.add_row(
            mark + str(k), r["actor"], r["event"], r["rule"], r["sends"], r["client"], r["server"]
        )
    if t.note:
        table.caption = t.note
    return table


def explicit_verdict(report: Report, r: Result) -> str:
    if not report.explicit:
        return "-"
    return "[green]holds[/]" if r.holds else f"[red]VIOLATED[/] in {r.scenario}"


def z3_verdict(report: Report, r: Result) -> str:
    """Three-way: proved for all depths / no counterexample up to depth k / violated."""
    if not report.z3:
        return "-"
    if not r.symbolic():
        return "n/a (explicit only)"
    status = r.z3_status()
    if status == VIOLATED:
        name, v = r.z3_counterexample()  # type: ignore[misc]
        return f"[red]VIOLATED[/] in {name} ({plural(v.depth, 'step')})"
    if status == PROVED:
        return "[green]proved for all depths[/]"
    proved = [n for n, v in r.z3.items() if v.status == PROVED]
    depth = min(v.depth for v in r.z3.values() if v.status != PROVED)
    text = f"no counterexample up to depth {depth}"
    if proved:
        text += f"; proved in {len(proved)} of {len(r.z3)} scenarios"
    return text


def agreement(report: Report, r: Result) -> str:
    if report.engine != "both" or not r.symbolic():
        return "-"
    return "[red]DISAGREE[/]" if r.disagreements else "[green]agree[/]"


def verify_table(report: Report) -> Table:
    t = Table(title="tcpspec verify", title_justify="left")
    for col in (
        "property",
        "kind",
        "explicit",
        "z3",
        "engines",
        "witness (sometimes)",
        "counterexample",
    ):
        t.add_column(col)
    for r in report.results.values():
        p = r.property
        if p.witness and report.explicit:
            if r.witness:
                wit = f"reachable ({plural(len(r.witness), 'step')}, {r.witness_scenario})"
            elif p.scenario in report.stats:
                wit = "[red]never reached: vacuous (see below)[/]"
            else:
                wit = f"not checked (needs scenario {p.scenario})"
        else:
            wit = "-"
        cex = plural(len(r.trace), "step") if r.trace else "-"
        t.add_row(
            p.id,
            p.kind,
            explicit_verdict(report, r),
            z3_verdict(report, r),
            agreement(report, r),
            wit,
            cex,
        )
    parts = []
    if report.explicit:
        tot = report.totals()
        parts.append(
            f"explicit: {tot.states:,} states, {tot.transitions:,} transitions, "
            f"max depth {tot.depth}"
        )
    if report.z3:
        parts.append(f"z3: induction, else BMC to depth {report.depth}, {report.z3_seconds:.1f} s")
    parts.append(f"{report.seconds:.1f} s over {plural(len(report.scenarios), 'scenario')}")
    t.caption = "; ".join(parts)
    return t


def sweep_table(catches: list[Catch]) -> Table:
    t = Table(title="tcpspec mutants", title_justify="left")
    for col in ("mutant", "expected to break", "caught by", "trace", "states", "result"):
        t.add_column(col)
    for c in catches:
        t.add_row(
            c.mutant.name,
            c.mutant.breaks,
            ", ".join(c.caught_by) or "-",
            plural(len(c.trace), "step") if c.trace else "-",
            f"{c.stats.states:,}",
            "[green]caught[/]" if c.ok else "[red]NOT CAUGHT[/]",
        )
    return t


def console() -> Console:
    # A fixed width keeps the output identical whatever the terminal (determinism).
    return Console(width=160, highlight=False)
