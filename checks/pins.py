"""The pinned results of the explicit engine: what `tests/test_pins.py` compares against.

For every default scenario and every mutant (in its scenario), at the default bounds: the number
of states and transitions, the BFS depth, every property's verdict and every counterexample's (and
witness's) length and steps, and for the mutant sweep (which stops at the expected violation) how
far it got. Like the distinct-state counts TLC's example suite pins, these catch any change of
the engine that changes what it finds; a change of the rules in `spec/` changes them on purpose,
and then the table is rewritten with one command::

    python -m tcpspec.checks.pins --write      # (make pins) rewrites tests/pins.json

``python -m tcpspec.checks.pins`` alone prints the differences from the file and exits 1 if any.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Any

from tcpspec.checks.explicit import Exploration, explore
from tcpspec.checks.properties import CHECKED
from tcpspec.checks.trace import ACTORS, Trace, what
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS

#: where the table lives (relative to the repository root)
PINS_FILE = Path(__file__).resolve().parent.parent / "tests" / "pins.json"


def _step(label: Any) -> str:
    text = f"{ACTORS[label.actor]}: {what(label)}"
    if label.cases:
        text += f" [{', '.join(label.cases)}]"
    if label.sent is not None:
        text += f" -> {label.sent.describe()}" + (" (lost: full)" if label.overflow else "")
    return text


def trace_pin(t: Trace | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "length": len(t),
        "loop_start": t.loop_start,
        "steps": [_step(s.label) for s in t.steps],
    }


def exploration_pin(ex: Exploration) -> dict[str, Any]:
    return {
        "states": ex.stats.states,
        "transitions": ex.stats.transitions,
        "depth": ex.stats.depth,
        "complete": ex.complete,
        "verdicts": {
            pid: {"holds": v.holds, "trace": trace_pin(v.trace)}
            for pid, v in sorted(ex.verdicts.items())
        },
    }


def scenario_pin(name: str) -> dict[str, Any]:
    return exploration_pin(explore(make_model(name, Bounds())))


def mutant_pin(name: str) -> dict[str, Any]:
    m = MUTANTS[name]
    model = make_model(m.scenario, Bounds(), name)
    full = exploration_pin(explore(model, CHECKED))
    stopped = explore(model, CHECKED, stop_at=(m.breaks,))
    v = stopped.verdicts.get(m.breaks)
    full["sweep"] = {
        "scenario": m.scenario,
        "breaks": m.breaks,
        "states_at_stop": stopped.stats.states,
        "trace": trace_pin(v.trace if v is not None and not v.holds else None),
    }
    return full


def table() -> dict[str, Any]:
    """Every pin, computed now (about a minute: 18 complete explorations)."""
    return {
        "bounds": "default",
        "scenarios": {name: scenario_pin(name) for name in DEFAULT_SCENARIOS},
        "mutants": {name: mutant_pin(name) for name in MUTANTS},
    }


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def diff(pinned: str, now: str) -> str:
    """A unified diff of the pinned table and the one computed now ('' when they agree)."""
    return "".join(
        difflib.unified_diff(
            pinned.splitlines(keepends=True),
            now.splitlines(keepends=True),
            "tests/pins.json (pinned)",
            "computed now",
            n=2,
        )
    )


def main(argv: list[str]) -> int:
    now = dumps(table())
    if "--write" in argv:
        PINS_FILE.write_text(now)
        print(f"wrote {PINS_FILE.name}")
        return 0
    d = diff(PINS_FILE.read_text() if PINS_FILE.exists() else "", now)
    print(d or "the pins agree", end="" if d else "\n")
    return 1 if d else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
