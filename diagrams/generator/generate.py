"""Write every diagram: the state machine, the product graphs and the sequence charts."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tcpspec.checks.explicit import Exploration
from tcpspec.checks.trace import Trace
from tcpspec.diagrams import derive, graphs, msc
from tcpspec.i18n import LANGS, gettext
from tcpspec.spec.model import Bounds
from tcpspec.spec.mutants import MUTANTS

#: Product graphs: (file stem, scenario, bounds, kind, title); kind is "full" (every state),
#: "working" (every state of a connection where nothing goes wrong) or "summary".
PRODUCTS: tuple[tuple[str, str, Bounds, str, str], ...] = (
    (
        "connect-close-fault-free",
        "connect-close",
        derive.WORKING,
        "working",
        "Every interleaving of a working connection (scenario 'connect-close': open, one data "
        "segment each way, half-close, close): nothing lost, no retransmission timeout.\\n"
        "Blue edges: client moves; green: server moves; grey: time passing. Green node: start; "
        "yellow: both ESTABLISHED; blue: the end",
    ),
    (
        "handshake-fault-free",
        "handshake",
        derive.FAULT_FREE,
        "full",
        "Product graph, scenario 'handshake', fault-free network, retransmission timers "
        "included (every global state)",
    ),
    (
        "close-fault-free-summary",
        "close",
        derive.FAULT_FREE,
        "summary",
        "Scenario 'close' (open, then close, no data), fault-free network: global states "
        "grouped by (client state, server state); edge labels count moves",
    ),
    (
        "connect-close-faulty-summary",
        "connect-close",
        derive.LOSSY,
        "summary",
        "Scenario 'connect-close' with loss (no reordering or duplication): global states "
        "grouped by (client state, server state); edge labels count moves",
    ),
    (
        "close-default-summary",
        "close",
        Bounds(),
        "summary",
        "Scenario 'close' at the default bounds (loss, reordering, one duplicate): global "
        "states grouped by (client state, server state); edge labels count moves",
    ),
)


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    written.append(path)


#: What `generate` writes, and so may delete when it no longer writes it.
SUFFIXES = (".svg", ".mmd", ".dot")
FOLDERS = (".", "product", "scenarios", "mutants", "ko", "ko/product", "ko/scenarios", "ko/mutants")


def generate(out: Path) -> list[Path]:
    """Write every diagram under ``out``; delete the diagrams it wrote before but no longer
    does (a renamed chart must not linger)."""
    written: list[Path] = []
    _diagrams(out, written)
    prune(out, written)
    return written


def prune(out: Path, written: list[Path]) -> None:
    """Delete the diagram files under ``out`` that are not in ``written``."""
    for folder in FOLDERS:
        for p in sorted((out / folder).glob("*")):
            if p.suffix in SUFFIXES and p not in written:
                p.unlink()


#: The templates of the titles and subtitles below (msgids of the catalogue).
TEXTS = (
    "scenario {sc}, shortest run to the goal; {n} steps; client ISS 100, server ISS 200",
    "scenario {sc} with the broken rules of mutant {m}, shortest run to the goal; {n} steps; "
    "client ISS 100, server ISS 200",
    "Mutant {m}: {prop} fails",
    "{summary} (scenario {sc}, {network}; {n} steps)",
    "{text}; {note}",
    "{title}: {n} states, {e} edges",
    "{title}: {n} states (of {m} with timeouts)",
    "TIME-WAIT = 2*MSL is not enough: {prop} fails",
    "scenario close, MSL {msl}, RTO {rto}, {r} retransmissions, TIME-WAIT {tw}; {n} steps",
)


def chart_subtitle(c: derive.Chart, steps: int, lang: str = "en") -> str:
    broken = " with the broken rules of mutant {m}" if c.mutant else ""
    template = (
        f"scenario {{sc}}{broken}, shortest run to the goal; {{n}} steps; "
        "client ISS 100, server ISS 200"
    )
    return gettext(template, lang).format(sc=c.scenario, m=c.mutant, n=steps)


def mutant_title(name: str, prop: str, lang: str = "en") -> str:
    return gettext("Mutant {m}: {prop} fails", lang).format(m=name, prop=prop)


def mutant_subtitle(name: str, t: Trace, lang: str = "en") -> str:
    m = MUTANTS[name]
    sub = gettext("{summary} (scenario {sc}, {network}; {n} steps)", lang).format(
        summary=gettext(m.summary, lang),
        sc=m.scenario,
        network=gettext(derive.mutant_network(name), lang),
        n=len(t.steps),
    )
    if not t.note:
        return sub
    return gettext("{text}; {note}", lang).format(text=sub, note=gettext(t.note, lang))


def counted(title: str, ex: Exploration, lang: str) -> str:
    """A product graph's title with its size."""
    n, e = ex.graph.number_of_nodes(), ex.graph.number_of_edges()
    text = gettext("{title}: {n} states, {e} edges", lang).format(title=title, n=n, e=e)
    # in lines: a one-line title would make the graph as wide as the title (Hangul: wider)
    return "\n".join(textwrap.wrap(text, 100 if lang == "en" else 60))


def folder(lang: str) -> str:
    """Where the charts of ``lang`` go: English at the top, the others under their code."""
    return "" if lang == "en" else f"{lang}/"


def _diagrams(out: Path, written: list[Path]) -> None:
    for lang in LANGS:  # the Korean one differs in its title only (labels are RFC notation)
        dot = graphs.state_machine(derive.machine_transitions(), derive.usual_paths(), lang)
        _write(out / folder(lang) / "state-machine.dot", dot, written)
        _write(out / folder(lang) / "state-machine.svg", graphs.render(dot), written)

    for stem, scenario, bounds, kind, title in PRODUCTS:
        ex = derive.exploration(scenario, bounds)
        for lang in LANGS:  # the Korean ones differ in their titles (labels are RFC notation)
            text = gettext(title, lang)
            if kind == "working":
                keep = derive.fault_free_view(ex)
                text = gettext("{title}: {n} states (of {m} with timeouts)", lang).format(
                    title=text, n=len(keep), m=ex.graph.number_of_nodes()
                )
                if lang != "en":  # in lines, as `counted` does (Hangul is wider)
                    text = "\n".join(textwrap.wrap(text, 60))
                dot = graphs.product_full(ex, text, keep, lang=lang)
            elif kind == "full":
                dot = graphs.product_full(ex, counted(text, ex, lang), lang=lang)
            else:
                dot = graphs.product_summary(ex, counted(text, ex, lang), lang=lang)
            _write(out / folder(lang) / "product" / f"{stem}.dot", dot, written)
            _write(out / folder(lang) / "product" / f"{stem}.svg", graphs.render(dot), written)

    for lang in LANGS:
        at = out / folder(lang)
        for c in derive.CHARTS:
            t = derive.chart_trace(c)
            title, sub = gettext(c.title, lang), chart_subtitle(c, len(t.steps), lang)
            _write(at / "scenarios" / f"{c.name}.svg", msc.svg(t, title, sub, lang), written)
            _write(at / "scenarios" / f"{c.name}.mmd", msc.mermaid(t, title, lang), written)
        t = derive.two_msl_trace()
        b = derive.TWO_MSL.resolved()
        title = gettext("TIME-WAIT = 2*MSL is not enough: {prop} fails", lang).format(
            prop="timewait.covers_fin_retransmit"
        )
        sub = gettext(
            "scenario close, MSL {msl}, RTO {rto}, {r} retransmissions, TIME-WAIT {tw}; {n} steps",
            lang,
        ).format(msl=b.msl, rto=b.rto, r=b.retries, tw=b.time_wait, n=len(t.steps))
        _write(at / "time-wait" / "two-msl.svg", msc.svg(t, title, sub, lang), written)
        for name in MUTANTS:
            prop, t = derive.mutant_trace(name)
            title, sub = mutant_title(name, prop, lang), mutant_subtitle(name, t, lang)
            _write(at / "mutants" / f"{name}.svg", msc.svg(t, title, sub, lang), written)
            _write(at / "mutants" / f"{name}.mmd", msc.mermaid(t, title, lang), written)
