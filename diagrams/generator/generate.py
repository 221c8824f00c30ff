"""Write every diagram: the state machine, the product graphs and the sequence charts."""

from __future__ import annotations

from pathlib import Path

from tcpspec.checks.trace import Trace
from tcpspec.diagrams import derive, graphs, msc
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
FOLDERS = (".", "product", "scenarios", "mutants")


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


def chart_subtitle(c: derive.Chart, steps: int) -> str:
    broken = f" with the broken rules of mutant {c.mutant}" if c.mutant else ""
    return (
        f"scenario {c.scenario}{broken}, shortest run to the goal; {steps} steps; "
        "client ISS 100, server ISS 200"
    )


def mutant_title(name: str, prop: str) -> str:
    return f"Mutant {name}: {prop} fails"


def mutant_subtitle(name: str, t: Trace) -> str:
    m = MUTANTS[name]
    sub = (
        f"{m.summary} (scenario {m.scenario}, {derive.mutant_network(name)}; {len(t.steps)} steps)"
    )
    return sub + (f"; {t.note}" if t.note else "")


def _diagrams(out: Path, written: list[Path]) -> None:
    dot = graphs.state_machine(derive.machine_transitions(), derive.usual_paths())
    _write(out / "state-machine.dot", dot, written)
    _write(out / "state-machine.svg", graphs.render(dot), written)

    for stem, scenario, bounds, kind, title in PRODUCTS:
        ex = derive.exploration(scenario, bounds)
        if kind == "working":
            keep = derive.fault_free_view(ex)
            title = f"{title}: {len(keep)} states (of {ex.graph.number_of_nodes()} with timeouts)"
            dot = graphs.product_full(ex, title, keep)
        else:
            title = (
                f"{title}: {ex.graph.number_of_nodes()} states, {ex.graph.number_of_edges()} edges"
            )
            dot = (
                graphs.product_full(ex, title)
                if kind == "full"
                else graphs.product_summary(ex, title)
            )
        _write(out / "product" / f"{stem}.dot", dot, written)
        _write(out / "product" / f"{stem}.svg", graphs.render(dot), written)

    for c in derive.CHARTS:
        t = derive.chart_trace(c)
        sub = chart_subtitle(c, len(t.steps))
        _write(out / "scenarios" / f"{c.name}.svg", msc.svg(t, c.title, sub), written)
        _write(out / "scenarios" / f"{c.name}.mmd", msc.mermaid(t, c.title), written)

    for name in MUTANTS:
        prop, t = derive.mutant_trace(name)
        title = mutant_title(name, prop)
        _write(
            out / "mutants" / f"{name}.svg", msc.svg(t, title, mutant_subtitle(name, t)), written
        )
        _write(out / "mutants" / f"{name}.mmd", msc.mermaid(t, title), written)
