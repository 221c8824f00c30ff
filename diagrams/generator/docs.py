"""The generated parts of the documentation site: everything the model can say for itself.

The hand-written pages under docs/ tell the story (in English and Korean); they include these
fragments (docs/generated/NAME-LANG.md, with pymdownx.snippets) for the facts: which charts
exist, the step-by-step table of each run, the rule cases it uses with their RFC text, the
properties with their formulas, which mutant breaks which property, the state machine's
transitions. Nothing here is typed by hand, so the site cannot drift from the model; a test
fails when the committed fragments are stale (`python -m tcpspec.diagrams` regenerates them).
"""

from __future__ import annotations

import functools
import html
import inspect
from collections import defaultdict
from pathlib import Path

from tcpspec.checks.coverage import CaseCoverage, coverage
from tcpspec.checks.properties import CHECKED, PROPERTIES, Property
from tcpspec.checks.synthesis import closed_form
from tcpspec.checks.trace import Trace
from tcpspec.diagrams import derive, msc, words
from tcpspec.i18n import gettext
from tcpspec.spec.build import TCP, make_model
from tcpspec.spec.model import CLIENT, SERVER, Bounds, Model
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS, SCENARIOS

LANGS = ("en", "ko")
#: Every heading and fixed phrase of the fragments, in English (the msgids: Korean comes from the
#: catalogue, tcpspec/locale/ko/LC_MESSAGES/tcpspec.po).
WORDS: dict[str, str] = {
    "chart": "The chart",
    "source": "Where it comes from",
    "shortest": "The shortest run of scenario `{sc}` that shows it ({n} steps; bounds: {b})",
    "broken": "The run uses the broken rules of mutant [`{m}`]({p}mutants.md#{m}).",
    "scenario": "Scenario `{sc}`: {t}",
    "guards": "The property that guards it",
    "breaks": "The mutants that break it",
    "no_mutant": "No mutant of the model breaks this property yet.",
    "steps": "Step by step",
    "rules": "The rules this run uses (RFC 9293, as the model writes them)",
    "mermaid": "Mermaid source (GitHub renders it in Markdown)",
    "step_cols": "| # | who | what happens | rule (RFC section) | sends | client | server |",
    "rule_cols": "| rule case | RFC 9293 | what it says |",
    "rule_cols_gloss": "| rule case | RFC 9293 | what it says | in other words |",
    "statement": "Statement (the model's words)",
    "kind": "Kind",
    "rfc": "From",
    "formula": "The formula, as checked by both engines",
    "witness": 'Not vacuous: its "sometimes" companion',
    "charts": "Charts where it matters",
    "reproduce": "Reproduce it",
    "breaks_prop": "breaks",
    "in_scenario": "shows in scenario",
    "trans_cols": "| from | to | event / action | rule cases | RFC 9293 | path |",
    "client_path": "client",
    "server_path": "server",
    "prop_cols": "| property | kind | statement | RFC 9293 |",
    "chart_cols": "| chart | what it shows | guarded by |",
    "mutant_cols": "| mutant | what is broken | caught by | steps |",
    "loop": "from step {k} on the run may repeat forever (a lasso)",
    "n_steps": "{n} steps",
    "network": "network",
    "cov_cols": "| rule case | RFC | transitions | never fired? |",
    "cov_never": "never fired at these bounds; reached with {how}",
    "cov_dead": "never fired: no other scenario, and no bound raised by one, reaches it",
    "cov_undecided": "never fired here; undecided: {n} of the larger settings were too large to "
    "try",
    "cov_sum": "{k} of {n} rule cases fire over the {s} default scenarios at the default bounds; "
    "{d} never fire.",
    "tw_proved": "Proved for every capacity, MSL, RTO, retry count and amount of data (in "
    "scenario close, as the command below prints it): TIME-WAIT is long enough when",
    "tw_branches": "Either condition suffices, and each is proved on its own: {a} (TIME-WAIT "
    "outlasts every retransmission of the peer's FIN), or {b} (it outlasts the lifetime of "
    "everything that could still arrive).",
    "tw_grid": "The explicit engine's least TIME-WAIT at each point of a grid (every state "
    "explored, one TIME-WAIT after another), beside the formula and 2*MSL:",
    "tw_cols": "| MSL | RTO | retries | least TIME-WAIT (explicit engine) | formula | 2*MSL | "
    "2*MSL enough? |",
    "yes": "yes",
    "no": "no",
    "tw_chart": "At MSL {msl}, RTO {rto} and {r} retransmissions the formula asks for {f} ticks; "
    "with TIME-WAIT = 2*MSL = {tw} the peer's last FIN retransmission finds the closer gone "
    "({n} steps):",
}
KINDS: dict[str, str] = {
    "invariant": "invariant: holds in every reachable state",
    "action": "action property: holds for every reachable step",
    "liveness": "liveness: every fair run eventually gets there",
    "deadlock": "no deadlock: every state without a move is a proper end",
    "reachable": '"sometimes": some run gets there',
}


def w(key: str, lang: str, **kw: object) -> str:
    return gettext(WORDS[key], lang).format(**kw)


def _cell(text: str) -> str:
    """A table cell: the RFC's notation <SEQ=ISS><CTL=SYN> is text, not HTML tags (which the
    browser would hide)."""
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


#: The words of `_bounds_text`.
BOUND_WORDS = (
    "capacity {n}",
    "loss",
    "no loss",
    "reordering",
    "no reordering",
    "{n} duplicate(s)",
    "MSL {n}",
    "RTO {n}",
    "{n} retry",
)


def _bounds_text(m: Model, lang: str) -> str:
    b = m.p
    parts = [
        gettext("capacity {n}", lang).format(n=b.capacity),
        gettext("loss" if b.loss else "no loss", lang),
        gettext("reordering" if b.reorder else "no reordering", lang),
        gettext("{n} duplicate(s)", lang).format(n=b.duplicates),
        gettext("MSL {n}", lang).format(n=b.msl),
        gettext("RTO {n}", lang).format(n=b.rto),
        gettext("{n} retry", lang).format(n=b.retries),
    ]
    return ", ".join(parts)


def diagram(kind: str, name: str, lang: str, prefix: str) -> str:
    """Where a chart is, from a page: Korean charts are drawn in Korean, under diagrams/ko/."""
    return f"{prefix}diagrams/{'ko/' if lang != 'en' else ''}{kind}/{name}.svg"


def zoomable(alt: str, src: str) -> str:
    """An image that opens full size when clicked (a chart is wider than the page)."""
    return f"[![{alt}]({src})]({src})"


def reproduce(prop: str, mutant: str) -> str:
    """The exact command that prints a mutant's trace as the site shows it: the bounds of the
    network it was drawn on included."""
    flags = words.bound_flags(derive.mutant_bounds(mutant))
    return f"tcpspec trace {prop} --mutant {mutant}" + (f" {flags}" if flags else "")


def _prop_link(pid: str, prefix: str) -> str:
    return f"[`{pid}`]({prefix}properties/{pid}.md)"


def steps_table(m: Model, t: Trace, lang: str) -> list[str]:
    """The run as a Markdown table, one row per step (what `tcpspec trace` prints)."""
    out = [w("step_cols", lang), "|---|---|---|---|---|---|---|"]
    for r in words.rows(m, t, lang):
        out.append("| " + " | ".join(_cell(r[c]) for c, _ in words.COLUMNS) + " |")
    if t.loop_start is not None and t.loop_start < len(t.steps):
        out += ["", f"↻ {w('loop', lang, k=t.loop_start + 1)}"]
    return out


def rules_table(m: Model, t: Trace, lang: str) -> list[str]:
    """Each rule case the run fires, once, in order of first use, with its RFC text."""
    seen: list[str] = []
    for step in t.steps:
        seen += [c for c in step.label.cases if c not in seen]
    if lang == "en":
        out = [w("rule_cols", lang), "|---|---|---|"]
    else:  # the RFC's own words, and beside them a gloss in the reader's language
        out = [w("rule_cols_gloss", lang), "|---|---|---|---|"]
    for name in seen:
        c = m.rules.case(name)
        gloss = "" if lang == "en" else f" {_cell(gettext(c.text, lang))} |"
        out.append(f"| `{name}` | {c.rfc} | {_cell(c.text)} |{gloss}")
    return out


def _mutants_of(pid: str) -> list[str]:
    return [n for n, mu in MUTANTS.items() if mu.breaks == pid]


def scenario_fragment(c: derive.Chart, lang: str) -> str:
    t = derive.chart_trace(c)
    m = make_model(c.scenario, c.bounds, c.mutant or None)
    p = "../"
    title = gettext(c.title, lang)
    out = [
        f"## {w('chart', lang)}",
        "",
        zoomable(title, diagram("scenarios", c.name, lang, p)),
        "",
        f"## {w('source', lang)}",
        "",
    ]
    out.append(w("shortest", lang, sc=c.scenario, n=len(t.steps), b=_bounds_text(m, lang)))
    if c.mutant:
        out += ["", w("broken", lang, m=c.mutant, p=p)]
    out += ["", w("scenario", lang, sc=c.scenario, t=gettext(SCENARIOS[c.scenario].title, lang))]
    out += ["", f"{w('reproduce', lang)}: `tcpspec chart {c.name} --format mermaid`", ""]
    out += [f"## {w('guards', lang)}", ""]
    for pid in c.guards:
        out.append(f"- {_prop_link(pid, p)}: {gettext(PROPERTIES[pid].statement, lang)}")
    out += ["", f"## {w('breaks', lang)}", ""]
    mutants = [n for pid in c.guards for n in _mutants_of(pid)]
    for n in mutants:
        out.append(
            f"- [`{n}`]({p}mutants.md#{n}): {gettext(MUTANTS[n].summary, lang)} "
            f"({w('breaks_prop', lang)} {_prop_link(MUTANTS[n].breaks, p)})"
        )
    if not mutants:
        out.append(w("no_mutant", lang))
    out += [
        "",
        f"## {w('steps', lang)}",
        "",
        *steps_table(m, t, lang),
        "",
        f"## {w('rules', lang)}",
        "",
        *rules_table(m, t, lang),
        "",
        f'??? note "{w("mermaid", lang)}"',
        "",
        "    ```text",
    ]
    out += [f"    {ln}" for ln in msc.mermaid(t, title, lang).splitlines()] + ["    ```"]
    return "\n".join(out) + "\n"


def _formula(p: Property) -> str:
    return inspect.getsource(p.pred).rstrip()


def property_fragment(p: Property, lang: str) -> str:
    pre = "../"
    out = [
        f"**{w('kind', lang)}:** {gettext(KINDS[p.kind], lang)}  ",
        f"**{w('rfc', lang)}:** {p.rfc}",
        "",
        f"## {w('statement', lang)}",
        "",
        f"> {gettext(p.statement, lang)}",
        "",
        f"## {w('formula', lang)}",
        "",
        "```python",
        _formula(p),
        "```",
        "",
    ]
    if p.witness:
        wp = PROPERTIES[p.witness]
        out += [
            f"## {w('witness', lang)}",
            "",
            f"`{wp.id}`: {gettext(wp.statement, lang)} ({wp.rfc})",
            "",
            "```python",
            _formula(wp),
            "```",
            "",
        ]
    charts = [c for c in derive.CHARTS if p.id in c.guards]
    out += [f"## {w('charts', lang)}", ""]
    out += [f"- [{gettext(c.title, lang)}]({pre}scenarios/{c.name}.md)" for c in charts] or ["-"]
    out += ["", f"## {w('breaks', lang)}", ""]
    names = _mutants_of(p.id)
    if not names:
        out.append(w("no_mutant", lang))
    for n in names:
        prop, t = derive.mutant_trace(n)
        out += [
            f"### `{n}`",
            "",
            gettext(MUTANTS[n].summary, lang),
            "",
            zoomable(n, diagram("mutants", n, lang, pre)),
            "",
            f"{w('reproduce', lang)}: `{reproduce(prop, n)}` "
            f"({w('n_steps', lang, n=len(t.steps))})",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def properties_fragment(lang: str) -> str:
    out = [w("prop_cols", lang), "|---|---|---|---|"]
    for p in PROPERTIES.values():
        name = _prop_link(p.id, "../") if p in CHECKED else f"`{p.id}`"
        out.append(f"| {name} | {p.kind} | {_cell(gettext(p.statement, lang))} | {p.rfc} |")
    return "\n".join(out) + "\n"


def charts_fragment(lang: str) -> str:
    out = [w("chart_cols", lang), "|---|---|---|"]
    for c in derive.CHARTS:
        guards = ", ".join(_prop_link(g, "../") for g in c.guards)
        out.append(f"| [{c.name}]({c.name}.md) | {gettext(c.title, lang)} | {guards} |")
    return "\n".join(out) + "\n"


def mutants_fragment(lang: str) -> str:
    out = [w("mutant_cols", lang), "|---|---|---|---|"]
    for n, mu in MUTANTS.items():
        prop, t = derive.mutant_trace(n)
        out.append(
            f"| [`{n}`](#{n}) | {_cell(gettext(mu.summary, lang))} | {_prop_link(prop, '')} "
            f"| {len(t.steps)} |"
        )
    out.append("")
    for n, mu in MUTANTS.items():
        prop, t = derive.mutant_trace(n)
        m = make_model(mu.scenario, derive.mutant_bounds(n), n)
        out += [
            f"## {n}",
            "",
            gettext(mu.summary, lang),
            "",
            f"**{w('breaks_prop', lang)}:** {_prop_link(prop, '')} · "
            f"**{w('in_scenario', lang)}:** `{mu.scenario}` · "
            f"**{w('network', lang)}:** {gettext(derive.mutant_network(n), lang)}",
            "",
            f"**{w('reproduce', lang)}:** `{reproduce(prop, n)}`",
            "",
            zoomable(n, diagram("mutants", n, lang, "")),
            "",
            f'??? note "{w("steps", lang)}"',
            "",
        ]
        out += [f"    {ln}" for ln in steps_table(m, t, lang)] + [""]
    return "\n".join(out).rstrip() + "\n"


def machine_fragment(lang: str) -> str:
    paths = derive.usual_paths()
    out = [
        w("trans_cols", lang),
        "|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for t in derive.machine_transitions():
        groups[(t.before, t.after, f"{t.event} / {t.action}", t.cases)].add(t.role)
    for (before, after, ev, cases), _ in sorted(groups.items()):
        secs = ", ".join(dict.fromkeys(TCP.case(c).rfc for c in cases.split(", ")))
        on = [
            w(k, lang)
            for i, k in ((CLIENT, "client_path"), (SERVER, "server_path"))
            if (before, after, cases) in paths[i]
        ]
        out.append(f"| {before} | {after} | {_cell(ev)} | `{cases}` | {secs} | {', '.join(on)} |")
    return "\n".join(out) + "\n"


def tutorial_fragment(lang: str) -> str:
    """The example of the tutorial: the two-way-handshake mutant's counterexample."""
    n = "two-way-handshake"
    _, t = derive.mutant_trace(n)
    m = make_model(MUTANTS[n].scenario, derive.mutant_bounds(n), n)
    return (
        "\n".join(
            [
                zoomable(n, diagram("mutants", n, lang, "")),
                "",
                *steps_table(m, t, lang),
            ]
        )
        + "\n"
    )


def tutorial_command() -> str:
    """The tutorial's command, as a shell block (one option group a line, so that it fits the
    page): exactly what prints the tutorial's trace."""
    n = "two-way-handshake"
    prop, _ = derive.mutant_trace(n)
    flags = words.bound_flags(derive.mutant_bounds(n))
    head = f"tcpspec trace {prop} --mutant {n}"
    return "```bash\n" + (f"{head} \\\n    {flags}" if flags else head) + "\n```\n"


@functools.cache
def _coverage() -> tuple[CaseCoverage, ...]:
    """`tcpspec coverage` at the default bounds over the default scenarios (one process: the
    same table on every machine)."""
    return tuple(coverage(Bounds().resolved(), DEFAULT_SCENARIOS, workers=1))


def coverage_fragment(lang: str) -> str:
    """The rule coverage table (the command `tcpspec coverage` prints it)."""
    rows = _coverage()
    dead = [r for r in rows if not r.fired]
    out = [
        w("cov_sum", lang, k=len(rows) - len(dead), n=len(rows), s=len(DEFAULT_SCENARIOS),
          d=len(dead)),
        "",
        w("cov_cols", lang),
        "|---|---|---|---|",
    ]  # fmt: skip
    for r in rows:
        if r.fired:
            note = ""
        elif r.reached_by:
            note = w("cov_never", lang, how=f"`{r.reached_by}`")
        elif r.too_large:
            note = w("cov_undecided", lang, n=len(r.too_large))
        else:
            note = w("cov_dead", lang)
        out.append(f"| `{r.name}` | {r.rfc} | {r.transitions:,} | {note} |")
    return "\n".join(out) + "\n"


def time_wait_fragment(lang: str) -> str:
    """ "Is 2*MSL enough?": the proved formula, the grid, and the run where 2*MSL falls short,
    each with the command that prints it."""
    from tcpspec.checks.symbolic.every_bound import CONDITION_WORDS, CONDITIONS

    pid = "timewait.covers_fin_retransmit"
    a, b = (c.words for c in CONDITIONS[pid])
    formula = CONDITION_WORDS[pid]
    rows = derive.time_wait_grid()
    msl, rto, retries = (",".join(map(str, v)) for v in derive.TIME_WAIT_GRID)
    two = derive.TWO_MSL.resolved()
    t = derive.two_msl_trace()
    out = [
        f"**{w('tw_proved', lang)}**",
        "",
        f"    {formula}",
        "",
        w("tw_branches", lang, a=f"`{a}`", b=f"`{b}`"),
        "",
        f"**{w('reproduce', lang)}:** `tcpspec prove --every-bound {pid} --scenario close`",
        "",
        w("tw_grid", lang),
        "",
        w("tw_cols", lang),
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        enough = w("yes" if r.least_time_wait is not None and r.least_time_wait <= r.two_msl
                   else "no", lang)  # fmt: skip
        out.append(f"| {r.msl} | {r.rto} | {r.retries} | {r.least_time_wait} | {r.closed_form} "
                   f"| {r.two_msl} | {enough} |")  # fmt: skip
    out += [
        "",
        f"**{w('reproduce', lang)}:** `tcpspec synthesize time-wait --msl {msl} --rto {rto} "
        f"--retries {retries}`",
        "",
        w("tw_chart", lang, msl=two.msl, rto=two.rto, r=two.retries, tw=two.time_wait,
          f=closed_form(two.msl, two.rto, two.retries), n=len(t.steps)),
        "",
        f"**{w('reproduce', lang)}:** `{time_wait_command()}`",
        "",
        zoomable("2*MSL", diagram("time-wait", "two-msl", lang, "")),
        "",
        f'??? note "{w("steps", lang)}"',
        "",
        *[f"    {ln}" for ln in steps_table(make_model("close", derive.TWO_MSL), t, lang)],
    ]  # fmt: skip
    return "\n".join(out) + "\n"


def time_wait_command() -> str:
    """The command that prints `derive.two_msl_trace` (TIME-WAIT at its default, 2*MSL)."""
    flags = words.bound_flags(derive.TWO_MSL)
    return f"tcpspec trace timewait.covers_fin_retransmit --scenario close {flags}"


def fragments() -> dict[str, str]:
    """File name (under docs/generated/) -> text."""
    out: dict[str, str] = {}
    for lang in LANGS:
        for c in derive.CHARTS:
            out[f"scenario-{c.name}-{lang}.md"] = scenario_fragment(c, lang)
        for p in CHECKED:
            out[f"property-{p.id}-{lang}.md"] = property_fragment(p, lang)
        out[f"properties-{lang}.md"] = properties_fragment(lang)
        out[f"charts-{lang}.md"] = charts_fragment(lang)
        out[f"mutants-{lang}.md"] = mutants_fragment(lang)
        out[f"state-machine-{lang}.md"] = machine_fragment(lang)
        out[f"tutorial-{lang}.md"] = tutorial_fragment(lang)
        out[f"tutorial-command-{lang}.md"] = tutorial_command()
        out[f"coverage-{lang}.md"] = coverage_fragment(lang)
        out[f"time-wait-{lang}.md"] = time_wait_fragment(lang)
    return out


def generate(out: Path) -> list[Path]:
    """Write every fragment under ``out`` and delete the ones no longer generated."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in fragments().items():
        path = out / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    for old in sorted(out.glob("*.md")):
        if old not in written:
            old.unlink()
    return written
