"""`make bench`: how the explicit engine scales with the bounds (states, states/s, time, memory).

Figures, not assertions: tests never assert on time. Run with ``python -m checks.bench``.
"""

from __future__ import annotations

import sys

from rich.table import Table

from checks.explicit import explore
from spec.build import make_model
from spec.model import Bounds
from tcpspec.render import console

RUNS: list[tuple[str, str, Bounds]] = [
    ("handshake", "default", Bounds()),
    ("close", "default", Bounds()),
    ("connect-close", "default", Bounds()),
    ("close", "retries=2", Bounds(retries=2)),
    ("close", "duplicates=2", Bounds(duplicates=2)),
    ("close", "msl=2 rto=2", Bounds(msl=2, rto=2)),
    ("connect-close", "capacity=3", Bounds(capacity=3)),
]


def main(argv: list[str]) -> int:
    runs = RUNS[:3] if "--quick" in argv else RUNS
    t = Table(title="tcpspec bench (explicit engine)", title_justify="left")
    for col in (
        "scenario",
        "bounds",
        "states",
        "transitions",
        "depth",
        "seconds",
        "states/s",
        "peak RSS MiB",
    ):
        t.add_column(col, justify="right")
    for scenario, name, b in runs:
        ex = explore(make_model(scenario, b), measure_memory=True)
        s = ex.stats
        t.add_row(
            scenario,
            name,
            f"{s.states:,}",
            f"{s.transitions:,}",
            str(s.depth),
            f"{s.seconds:.2f}",
            f"{s.states / s.seconds:,.0f}",
            f"{s.peak_mib:.0f}",
        )
        console().print(f"  {scenario} {name}: {s.states:,} states in {s.seconds:.1f} s")
    console().print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
