"""The explicit engine's results are pinned (`tests/pins.json`): states, transitions, depth, every
verdict and every counterexample's steps, per default scenario and per mutant. A faster engine
must find exactly the same; a change of the rules changes them on purpose, and then
`make pins` rewrites the file (review its diff like any other)."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_make_pins_rewrites_the_table_and_the_check_prints_the_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make pins` (`python -m tcpspec.checks.pins --write`), and without --write the check."""
    small = {"scenarios": {"refused": pins.scenario_pin("refused")}}
    monkeypatch.setattr(pins, "PINS_FILE", tmp_path / "pins.json")
    monkeypatch.setattr(pins, "table", lambda: small)
    assert pins.main(["--write"]) == 0 and "wrote pins.json" in capsys.readouterr().out
    assert json.loads((tmp_path / "pins.json").read_text()) == small
    assert pins.main([]) == 0 and capsys.readouterr().out == "the pins agree\n"
    small["scenarios"]["refused"]["states"] = 1
    assert pins.main([]) == 1
    assert '+   "states": 1,' in capsys.readouterr().out


def test_make_certificates_writes_what_houdini_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make certificates` (`python -m tcpspec.checks.symbolic.certificate --write`)."""
    from tcpspec.checks.symbolic import certificate

    kept = certificate.load()["refused"]
    monkeypatch.setattr(certificate, "CERTIFICATES", tmp_path / "certificates.json")
    monkeypatch.setattr(certificate, "compute", lambda: {"refused": kept})
    assert certificate.main(["--write"]) == 0
    assert "wrote certificates.json: 1 scenarios" in capsys.readouterr().out
    assert certificate.load() == {"refused": kept}
    assert certificate.main([]) == 0
    assert capsys.readouterr().out == "the certificates are Houdini's\n"
