"""Rich tables for reports and traces (text); JSON documents for machines."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tcpspec.checks.symbolic import PROVED, VIOLATED
from tcpspec.checks.trace import Trace
from tcpspec.checks.verify import Catch, Report, Result
from tcpspec.diagrams import words
from tcpspec.i18n import gettext
from tcpspec.spec.model import Model


def trace_table(m: Model, t: Trace, title: str, lang: str = "en") -> Table:
    """The trace as `tcpspec trace` prints it: the rows the site shows (`diagrams.words`)."""
    # Every cell is data, not markup: rich would swallow "[old incarnation]" and "[rto=1]".
    table = Table(title=escape(title), show_lines=False, title_justify="left")
    for header in words.headers(lang):
        table.add_column(escape(header), overflow="fold")
    loop = t.loop_start if t.loop_start is not None and t.loop_start < len(t.steps) else None
    for k, r in enumerate(words.rows(m, t, lang)):
        mark = "↻ " if loop is not None and k - 1 == loop else ""
        table.add_row(mark + r["step"], *(escape(r[c]) for c, _ in words.COLUMNS[1:]))
    if t.note:
        table.caption = escape(gettext(t.note, lang))
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
        return f"[red]VIOLATED[/] in {name} ({v.depth} steps)"
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
                wit = f"reachable ({len(r.witness)} steps, {r.witness_scenario})"
            elif p.scenario in report.stats:
                wit = "[red]NOT reachable: vacuous?[/]"
            else:
                wit = f"not checked (needs scenario {p.scenario})"
        else:
            wit = "-"
        cex = f"{len(r.trace)} steps" if r.trace else "-"
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
    parts.append(f"{report.seconds:.1f} s over {len(report.scenarios)} scenarios")
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
            f"{len(c.trace)} steps" if c.trace else "-",
            f"{c.stats.states:,}",
            "[green]caught[/]" if c.ok else "[red]NOT CAUGHT[/]",
        )
    return t


def console() -> Console:
    # A fixed width keeps the output identical whatever the terminal (determinism).
    return Console(width=160, highlight=False)
