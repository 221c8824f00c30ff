"""Write every diagram: the state machine, the product graphs and the sequence charts."""

from __future__ import annotations

from pathlib import Path

from diagrams import derive, graphs, msc
from spec.model import Bounds
from spec.mutants import MUTANTS

#: Product graphs: (file stem, scenario, bounds, full graph or summary, title).
PRODUCTS: tuple[tuple[str, str, Bounds, bool, str], ...] = (
    ("handshake-fault-free", "handshake", derive.FAULT_FREE, True,
     "Product graph, scenario 'handshake', fault-free network (every global state)"),
    ("close-fault-free-summary", "close", derive.FAULT_FREE, False,
     "Scenario 'close' (open, then close, no data), fault-free network: global states "
     "grouped by (client state, server state); edge labels count moves"),
    ("connect-close-faulty-summary", "connect-close", derive.LOSSY, False,
     "Scenario 'connect-close' with loss (no reordering or duplication): global states "
     "grouped by (client state, server state); edge labels count moves"),
    ("close-default-summary", "close", Bounds(), False,
     "Scenario 'close' at the default bounds (loss, reordering, one duplicate): global "
     "states grouped by (client state, server state); edge labels count moves"),
)


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    written.append(path)


def generate(out: Path) -> list[Path]:
    written: list[Path] = []
    dot = graphs.state_machine(derive.machine_transitions())
    _write(out / "state-machine.dot", dot, written)
    _write(out / "state-machine.svg", graphs.render(dot), written)

    for stem, scenario, bounds, full, title in PRODUCTS:
        ex = derive.exploration(scenario, bounds)
        title = f"{title}: {ex.graph.number_of_nodes()} states, " \
                f"{ex.graph.number_of_edges()} edges"
        dot = graphs.product_full(ex, title) if full else graphs.product_summary(ex, title)
        _write(out / "product" / f"{stem}.dot", dot, written)
        _write(out / "product" / f"{stem}.svg", graphs.render(dot), written)

    for c in derive.CHARTS:
        t = derive.chart_trace(c)
        source = f"mutant {c.mutant}, counterexample" if c.mutant else \
            f"scenario {c.scenario}, shortest run to the goal"
        sub = f"{source}; {len(t.steps)} steps; client ISS 100, server ISS 200"
        _write(out / "scenarios" / f"{c.name}.svg", msc.svg(t, c.title, sub), written)
        _write(out / "scenarios" / f"{c.name}.mmd", msc.mermaid(t, c.title), written)

    for name, m in MUTANTS.items():
        prop, t = derive.mutant_trace(name)
        title = f"Mutant {name}: {prop} fails"
        sub = f"{m.summary} (scenario {m.scenario}; {len(t.steps)} steps)"
        if t.note:
            sub += f"; {t.note}"
        _write(out / "mutants" / f"{name}.svg", msc.svg(t, title, sub), written)
        _write(out / "mutants" / f"{name}.mmd", msc.mermaid(t, title), written)
    return written
