"""Rich tables for reports and traces (text); JSON documents for machines."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tcpspec.checks.spin.run import NOTE as SPIN_NOTE
from tcpspec.checks.symbolic import PROVED, VIOLATED
from tcpspec.checks.symbolic import every_bound as EB
from tcpspec.checks.trace import Trace
from tcpspec.checks.verify import Catch, Report, Result
from tcpspec.diagrams import words
from tcpspec.i18n import current, gettext
from tcpspec.spec.model import Model


def plural(n: int, noun: str) -> str:
    """``1 scenario``, ``2 scenarios``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


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


#: What the verify and mutants tables say (msgids: `tcpspec --lang ko` prints them in Korean).
VERIFY_COLUMNS = (
    "property",
    "kind",
    "explicit",
    "z3",
    "engines",
    "witness (sometimes)",
    "counterexample",
)
SWEEP_COLUMNS = ("mutant", "expected to break", "caught by", "trace", "states", "result")
#: `tcpspec coverage`'s table and summary.
COVERAGE_TEXTS = (
    "rule coverage",
    "case",
    "RFC",
    "transitions",
    "never fired",
    "never fired; reached with {how}",
    "never fired: no scenario or bound tried reaches it",
    "never fired; undecided: {n} settings were too large to try",
    "{k} of {n} rule cases fired over {s} scenario(s) at these bounds; {d} never fired",
    "events",
    "{k} of {n} rule cases fired in {t} checked trace(s); {d} never fired",
)

#: What `tcpspec verify --every-bound` adds below the table.
EVERY_BOUND_TEXTS = (
    "for every bound (checks/symbolic/every-bound.json re-checked):",
    "proved for every capacity, MSL, RTO, retry count and amount of data: {k} of {n} "
    "(property, scenario) pairs",
    "proved where {condition}: {what}",
    "not proved for every bound, only at the bounds checked above (tcpspec prove --every-bound "
    "says why): {what}",
    "{pid} in {scenarios}",
)

TEXTS = (
    *VERIFY_COLUMNS,
    *EVERY_BOUND_TEXTS,
    *COVERAGE_TEXTS,
    *SWEEP_COLUMNS,
    "holds",
    "VIOLATED",
    "VIOLATED in {sc}",
    "VIOLATED in {sc} ({steps})",
    "n/a (explicit only)",
    "proved for all depths",
    "no counterexample up to depth {d}",
    "{text}; proved in {k} of {n} scenarios",
    "agree",
    "DISAGREE",
    "reachable ({steps}, {sc})",
    "never reached: vacuous (see below)",
    "not checked (needs scenario {sc})",
    "1 step",
    "{n} steps",
    "caught",
    "NOT CAUGHT",
    SPIN_NOTE,
    "SPIN (safety properties)",
    "{title}, found by SPIN",
)


def tr(message: str, **kw: object) -> str:
    """``message`` in the language of this run's output (`--lang`, or LANG)."""
    return gettext(message, current()).format(**kw)


def steps(n: int) -> str:
    """``1 step``, ``12 steps``, in this run's language."""
    return tr("1 step") if n == 1 else tr("{n} steps", n=n)


def explicit_verdict(report: Report, r: Result) -> str:
    if not report.explicit:
        return "-"
    return (
        f"[green]{tr('holds')}[/]"
        if r.holds
        else f"[red]{tr('VIOLATED in {sc}', sc=r.scenario)}[/]"
    )


def z3_verdict(report: Report, r: Result) -> str:
    """Three-way: proved for all depths / no counterexample up to depth k / violated."""
    if not report.z3:
        return "-"
    if not r.symbolic():
        return tr("n/a (explicit only)")
    status = r.z3_status()
    if status == VIOLATED:
        name, v = r.z3_counterexample()  # type: ignore[misc]
        return f"[red]{tr('VIOLATED in {sc} ({steps})', sc=name, steps=steps(v.depth))}[/]"
    if status == PROVED:
        return f"[green]{tr('proved for all depths')}[/]"
    proved = [n for n, v in r.z3.items() if v.status == PROVED]
    depth = min(v.depth for v in r.z3.values() if v.status != PROVED)
    text = tr("no counterexample up to depth {d}", d=depth)
    if proved:
        text = tr("{text}; proved in {k} of {n} scenarios", text=text, k=len(proved), n=len(r.z3))
    return text


def agreement(report: Report, r: Result) -> str:
    if report.engine != "both" or not r.symbolic():
        return "-"
    return f"[red]{tr('DISAGREE')}[/]" if r.disagreements else f"[green]{tr('agree')}[/]"


def every_bound_lines(report: Report) -> list[str]:
    """What the proofs for every bound re-checked by `verify` say, grouped by verdict: the
    pairs proved outright counted, the others named (property in scenarios)."""
    if not report.every:
        return []
    verdicts = [v for vs in report.every.values() for v in vs]

    def named(status: str, condition: str = "") -> str:
        by: dict[str, list[str]] = {}
        for v in verdicts:
            if v.status == status and v.condition == condition:
                by.setdefault(v.property_id, []).append(v.scenario)
        return "; ".join(tr("{pid} in {scenarios}", pid=p, scenarios=", ".join(s))
                         for p, s in by.items())  # fmt: skip

    k = sum(v.status == EB.PROVED for v in verdicts)
    lines = [
        tr("for every bound (checks/symbolic/every-bound.json re-checked):"),
        "  " + tr("proved for every capacity, MSL, RTO, retry count and amount of data: {k} of "
                  "{n} (property, scenario) pairs", k=k, n=len(verdicts)),
    ]  # fmt: skip
    for condition in sorted({v.condition for v in verdicts if v.status == EB.PROVED_IF}):
        what = named(EB.PROVED_IF, condition)
        lines.append("  " + tr("proved where {condition}: {what}", condition=condition, what=what))
    if what := named(EB.UNPROVED):
        lines.append(
            "  " + tr("not proved for every bound, only at the bounds checked above (tcpspec "
                      "prove --every-bound says why): {what}", what=what)
        )  # fmt: skip
    return [escape(line) for line in lines]


def verify_table(report: Report) -> Table:
    t = Table(title="tcpspec verify", title_justify="left")
    for col in VERIFY_COLUMNS:
        t.add_column(tr(col))
    for r in report.results.values():
        p = r.property
        if p.witness and report.explicit:
            if r.witness:
                wit = tr(
                    "reachable ({steps}, {sc})", steps=steps(len(r.witness)), sc=r.witness_scenario
                )
            elif p.scenario in report.stats:
                wit = f"[red]{tr('never reached: vacuous (see below)')}[/]"
            else:
                wit = tr("not checked (needs scenario {sc})", sc=p.scenario)
        else:
            wit = "-"
        cex = steps(len(r.trace)) if r.trace else "-"
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
        how = "the proofs for every bound, else induction" if report.every else "induction"
        parts.append(f"z3: {how}, else BMC to depth {report.depth}, {report.z3_seconds:.1f} s")
    parts.append(f"{report.seconds:.1f} s over {plural(len(report.scenarios), 'scenario')}")
    t.caption = "; ".join(parts)
    return t


def sweep_table(catches: list[Catch]) -> Table:
    t = Table(title="tcpspec mutants", title_justify="left")
    for col in SWEEP_COLUMNS:
        t.add_column(tr(col))
    for c in catches:
        t.add_row(
            c.mutant.name,
            c.mutant.breaks,
            ", ".join(c.caught_by) or "-",
            steps(len(c.trace)) if c.trace else "-",
            f"{c.stats.states:,}",
            f"[green]{tr('caught')}[/]" if c.ok else f"[red]{tr('NOT CAUGHT')}[/]",
        )
    return t


def console() -> Console:
    # A fixed width keeps the output identical whatever the terminal (determinism).
    return Console(width=160, highlight=False)
