"""The explicit engine's results are pinned (`tests/pins.json`): states, transitions, depth, every
verdict and every counterexample's steps, per default scenario and per mutant. A faster engine
must find exactly the same; a change of the rules changes them on purpose, and then
`make pins` rewrites the file (review its diff like any other)."""

from __future__ import annotations

import json

import pytest

from tcpspec.checks import pins
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS

PINNED = json.loads(pins.PINS_FILE.read_text())


def _same(kind: str, name: str, now: dict) -> None:
    pinned = {kind: {name: PINNED[kind].get(name)}}
    d = pins.diff(pins.dumps(pinned), pins.dumps({kind: {name: now}}))
    assert not d, f"the results differ from tests/pins.json (if on purpose: make pins)\n{d}"


def test_every_scenario_and_mutant_is_pinned() -> None:
    assert set(PINNED["scenarios"]) == set(DEFAULT_SCENARIOS)
    assert set(PINNED["mutants"]) == set(MUTANTS)


@pytest.mark.parametrize("name", DEFAULT_SCENARIOS)
def test_scenario_results_are_pinned(name: str) -> None:
    _same("scenarios", name, pins.scenario_pin(name))


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_results_are_pinned(name: str) -> None:
    _same("mutants", name, pins.mutant_pin(name))


def test_a_difference_reads_as_a_diff() -> None:
    now = json.loads(json.dumps(PINNED["scenarios"]["handshake"]))
    now["states"] += 1
    d = pins.diff(
        pins.dumps({"scenarios": {"handshake": PINNED["scenarios"]["handshake"]}}),
        pins.dumps({"scenarios": {"handshake": now}}),
    )
    assert f'-   "states": {now["states"] - 1},' in d and f'+   "states": {now["states"]},' in d
