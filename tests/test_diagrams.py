"""Diagrams: well-formed SVG naming what they show, and committed files up to date."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from diagrams.generate import generate
from spec.mutants import MUTANTS
from spec.states import State

ROOT = Path(__file__).resolve().parent.parent / "diagrams"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("diagrams")
    generate(out)
    return out


def _generated(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.suffix in (".svg", ".mmd", ".dot"))


def _text(path: Path) -> str:
    root = ET.parse(path).getroot()
    return " ".join(t for t in root.itertext())


def test_every_svg_parses(fresh: Path) -> None:
    svgs = [p for p in _generated(fresh) if p.suffix == ".svg"]
    assert len(svgs) >= 20
    for p in svgs:
        assert ET.parse(p).getroot().tag.endswith("svg"), p


def test_state_machine_names_every_state(fresh: Path) -> None:
    text = _text(fresh / "state-machine.svg")
    for st in State:
        assert st.name.replace("_", "-") in text, st
    for case in ("listen.syn", "syn_sent.syn_ack", "ack.syn_received", "fin.time_wait",
                 "timer.time_wait_expired", "syn_sent.simultaneous_syn", "fin.closing"):
        assert case in text, case


def test_charts_name_segments_and_states(fresh: Path) -> None:
    normal = _text(fresh / "scenarios" / "normal.svg")
    for s in ("SYN seq=100", "SYN+ACK seq=200 ack=101", "ACK seq=101 ack=201", "TIME_WAIT",
              "ESTABLISHED", "CLOSED (normal)"):
        assert s in normal, s
    assert "SYN+ACK seq=200 ack=101" in _text(fresh / "scenarios" / "lost-syn-ack.svg")
    assert "lost" in _text(fresh / "scenarios" / "lost-syn-ack.svg")
    assert "time_wait.fin_retransmitted" in _text(fresh / "scenarios" / "lost-last-ack.svg")
    assert "CLOSING" in _text(fresh / "scenarios" / "simultaneous-close.svg")
    assert "RST" in _text(fresh / "scenarios" / "no-time-wait.svg")
    assert "[old]" in _text(fresh / "scenarios" / "stale-syn.svg")
    mmd = (fresh / "scenarios" / "normal.mmd").read_text()
    assert mmd.startswith("sequenceDiagram") and "C->>S: SYN seq=100" in mmd
    for name in MUTANTS:
        assert name in _text(fresh / "mutants" / f"{name}.svg")
        assert (fresh / "mutants" / f"{name}.mmd").exists()


def test_committed_diagrams_are_fresh(fresh: Path) -> None:
    new = {p.relative_to(fresh) for p in _generated(fresh)}
    old = {p.relative_to(ROOT) for p in _generated(ROOT)}
    assert new == old, "run `python -m diagrams` to regenerate the diagrams"
    stale = [str(p) for p in sorted(new) if (fresh / p).read_bytes() != (ROOT / p).read_bytes()]
    assert not stale, f"out of date (run `python -m diagrams`): {stale}"


def test_generation_is_deterministic(fresh: Path, tmp_path: Path) -> None:
    # the graphs alone (fast); the freshness test covers the rest against the committed files
    from diagrams import derive, graphs

    dot = graphs.state_machine(derive.machine_transitions())
    assert graphs.render(dot) == graphs.render(dot)
    assert dot == (fresh / "state-machine.dot").read_text()
