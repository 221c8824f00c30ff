"""`make spin-check`: SPIN, on the exported Promela, agrees with the explicit engine exactly.

For every default scenario and every mutant (in its scenario), at the default bounds: SPIN's
"states, stored" equals the explicit engine's pinned state count (`tests/pins.json`), and the
safety properties whose assertion fails in SPIN are exactly those the explicit engine finds
violated. Any difference fails the check (exit 1); missing SPIN or gcc is a one-line
instruction (exit 2).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

from tcpspec.checks import parallel
from tcpspec.checks.pins import PINS_FILE
from tcpspec.checks.properties import CHECKED, SAFETY_KINDS
from tcpspec.checks.spin.run import SpinResult, check_named, missing
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS

SAFETY = tuple(p.id for p in CHECKED if p.kind in SAFETY_KINDS)


class Agreement(NamedTuple):
    name: str  # a scenario, or "mutant@scenario"
    explicit_states: int
    explicit_violated: tuple[str, ...]
    spin: SpinResult

    @property
    def agrees(self) -> bool:
        return (
            self.spin.states == self.explicit_states
            and self.spin.violated == self.explicit_violated
        )


def _violated(pin: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(p for p in SAFETY if not pin["verdicts"][p]["holds"]))


NAMES = (*DEFAULT_SCENARIOS, *MUTANTS)


def agreements(names: Sequence[str] = NAMES) -> list[Agreement]:
    """SPIN against the pinned explicit results: default scenarios, and mutants (each in its
    scenario), by name."""
    pins = json.loads(PINS_FILE.read_text())
    tasks = [(MUTANTS[n].scenario, None, n) if n in MUTANTS else (n, None, None) for n in names]
    results = parallel.run(check_named, tasks)  # one process per core
    out = []
    for name, spin in zip(names, results, strict=True):
        if name in MUTANTS:
            pin = pins["mutants"][name]
            label = f"{name}@{MUTANTS[name].scenario}"
        else:
            pin = pins["scenarios"][name]
            label = name
        out.append(Agreement(label, pin["states"], _violated(pin), spin))
    return out


def main(argv: Sequence[str] = ()) -> int:
    """``python -m tcpspec.checks.spincheck [NAME ...]``: every default scenario and mutant, or
    those named."""
    why = missing()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    unknown = [n for n in argv if n not in NAMES]
    if unknown:
        print(
            f"unknown scenario or mutant {unknown[0]!r}; choose from: {', '.join(NAMES)}",
            file=sys.stderr,
        )
        return 2
    bad = 0
    print(f"{'model':42} {'explicit':>9} {'SPIN':>9}  violated (both)")
    for a in agreements(tuple(argv) or NAMES):
        mark = "ok" if a.agrees else "DIFFERS"
        print(
            f"{a.name:42} {a.explicit_states:>9} {a.spin.states:>9}  "
            f"{', '.join(a.spin.violated) or '-'}  {mark}"
        )
        if not a.agrees:
            bad += 1
            print(f"  explicit violates: {', '.join(a.explicit_violated) or '-'}")
    print(
        "SPIN agrees with the explicit engine on every model"
        if not bad
        else f"{bad} model(s) differ"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
