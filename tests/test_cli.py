"""The command line: exit codes, JSON shape, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tcpspec.cli import app

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_verify_small_scenario_passes_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = run("verify", "--scenario", "handshake", "--scenario", "close", "--json", str(out))
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert {p["id"] for p in doc["properties"]} >= {"handshake.three_messages", "no_deadlock"}
    assert all(p["holds"] for p in doc["properties"])
    assert doc["stats"]["states"] > 0 and doc["stats"]["transitions"] > 0


def test_verify_with_a_mutant_fails_with_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    # explicit only: Z3's BMC to this 10-step counterexample takes about a minute
    r = run(
        "verify",
        "--scenario",
        "close",
        "--mutant",
        "no-time-wait",
        "--json",
        str(out),
        "--engine",
        "explicit",
    )
    assert r.exit_code == 1
    doc = json.loads(out.read_text())
    bad = [p for p in doc["properties"] if not p["holds"]]
    assert bad and bad[0]["counterexample"]["steps"]


def test_trace_json_of_a_mutant() -> None:
    r = run(
        "trace", "handshake.three_messages", "--mutant", "two-way-handshake", "--format", "json"
    )
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert doc["steps"][0]["sends"] == "SYN seq=100"
    assert doc["steps"][1]["rule"].startswith("listen.syn")


def test_trace_text_shows_the_seeds_numbers() -> None:
    r = run("trace", "handshake.both_established", "--scenario", "handshake")
    assert r.exit_code == 0
    for text in ("SYN seq=100", "SYN+ACK seq=200 ack=101", "ACK seq=101 ack=201"):
        assert text in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("verify", "--mutant", "nope"), "unknown mutant"),
        (("verify", "--scenario", "nope"), "unknown scenario"),
        (("verify", "--capacity", "0"), "--capacity must be at least 1"),
        (("verify", "--retries", "-1"), "--retries must be at least 0"),
        (("verify", "--scenario", "connect-close", "--max-states", "50"), "max-states"),
        (("trace", "no.such.property"), "unknown property"),
        (("trace", "no_deadlock", "--format", "xml"), "unknown format"),
        (("verify", "--engine", "warp"), "unknown engine"),
        (("verify", "--depth", "-1"), "--depth must be at least 0"),
        (("prove", "no.such.property"), "unknown property"),
        (("prove", "no_deadlock"), "the Z3 engine proves safety"),
        (("prove", "--scenario", "nope"), "unknown scenario"),
        (("prove", "--msl", "0"), "--msl must be at least 1"),
        (("synthesize", "time-wait", "--msl", "x"), "comma-separated whole numbers"),
        (("synthesize", "time-wait", "--retries", "-1"), "whole numbers"),
        (("synthesize", "time-wait", "--retries", "1,,2"), "whole numbers"),
        (("synthesize", "time-wait", "--msl", "0"), "from 1 to 16"),
        (("synthesize", "time-wait", "--scenario", "handshake"), "nobody"),
        (("conform", "x.pcap", "--host", "notanaddress"), "takes an IP address"),
        (("conform", "x.pcap", "--host", "10.0.0.1:0"), "1 to 65535"),
        (("conform", "x.pcap", "--port", "70000"), "1 to 65535"),
        (("verify", "--json", "/nonexistent/r.json"), "no directory /nonexistent"),
        (("trace", "handshake.three_messages", "-o", "/"), "is a directory"),
        (("mutants", "--json", "/nonexistent/m.json"), "no directory"),
        (("synthesize", "time-wait", "--scenario", "nope"), "unknown scenario"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_2(args: tuple[str, ...], message: str) -> None:
    r = run(*args)
    assert r.exit_code == 2
    assert message in r.output
    assert "Traceback" not in r.output


def test_unknown_option_exit_2() -> None:
    r = run("verify", "--frobnicate")
    assert r.exit_code == 2


def test_list_names_everything() -> None:
    r = run("list")
    assert r.exit_code == 0
    for word in ("handshake.three_messages", "no-time-wait", "stale-syn"):
        assert word in r.output


@pytest.mark.parametrize("fmt", ["svg", "mermaid", "json", "text"])
def test_trace_formats_name_the_segments(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"t.{fmt}"
    r = run(
        "trace",
        "handshake.three_messages",
        "--mutant",
        "two-way-handshake",
        "--format",
        fmt,
        "--output",
        str(out),
    )
    assert r.exit_code == 1, r.output
    text = out.read_text()
    assert "SYN" in text
    assert fmt == "json" or "two-way-handshake" in text  # the title names the mutant
    if fmt == "svg":
        import xml.etree.ElementTree as ET

        ET.fromstring(text.encode())


def test_trace_pcap_needs_output_and_writes_a_capture(tmp_path: Path) -> None:
    r = run(
        "trace", "handshake.three_messages", "--mutant", "two-way-handshake", "--format", "pcap"
    )
    assert r.exit_code == 2 and "--output" in r.output
    out = tmp_path / "t.pcap"
    r = run(
        "trace",
        "handshake.three_messages",
        "--mutant",
        "two-way-handshake",
        "--format",
        "pcap",
        "-o",
        str(out),
    )
    assert r.exit_code == 1
    from tcpspec.checks.conformance.pcap import read

    segs = read(out)
    assert [(s.syn, s.ack) for s in segs][:2] == [(True, False), (True, True)]


def test_trace_unknown_format_is_a_clear_error() -> None:
    r = run("trace", "handshake.three_messages", "--format", "png")
    assert r.exit_code == 2 and "unknown format 'png'" in r.output


def test_verify_both_engines_agree_and_report_per_engine_json(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = run("verify", "--scenario", "handshake", "--depth", "3", "--json", str(out))
    assert r.exit_code == 0, r.output
    assert "proved for all depths" in r.output and "n/a (explicit only)" in r.output
    doc = json.loads(out.read_text())
    assert doc["engine"] == "both" and doc["agree"] is True and doc["bmc_depth"] == 3
    props = {p["id"]: p for p in doc["properties"]}
    tm = props["handshake.three_messages"]
    assert tm["explicit"]["status"] == "holds" and tm["engines_agree"]
    assert tm["z3"]["status"] == "proved"
    assert tm["z3"]["scenarios"]["handshake"]["method"] == "induction"
    nd = props["halfclose.no_data_loss"]["z3"]["scenarios"]["handshake"]
    assert nd["status"] in ("proved", "bounded") and nd["depth"] in (0, 3)
    assert props["no_deadlock"]["z3"]["status"] == "n/a"


def test_verify_mutant_both_engines_find_the_same_length(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = run(
        "verify", "--scenario", "handshake", "--mutant", "two-way-handshake", "--json", str(out)
    )
    assert r.exit_code == 1
    doc = json.loads(out.read_text())
    assert doc["agree"] is True
    tm = next(p for p in doc["properties"] if p["id"] == "handshake.three_messages")
    z = tm["z3"]["scenarios"]["handshake"]
    assert tm["holds"] is False and z["status"] == "violated"
    assert z["counterexample"]["length"] == tm["counterexample"]["length"] == 2


def test_verify_z3_alone_shows_its_counterexample() -> None:
    r = run(
        "verify",
        "--engine",
        "z3",
        "--scenario",
        "handshake",
        "--mutant",
        "two-way-handshake",
        "--depth",
        "2",
    )
    assert r.exit_code == 1
    assert "counterexample to handshake.three_messages (handshake, z3 bmc)" in r.output
    assert "SYN+ACK seq=200 ack=101" in r.output


def test_prove_one_property() -> None:
    r = run("prove", "handshake.three_messages", "--scenario", "handshake")
    assert r.exit_code == 0, r.output
    assert "proved for all depths" in r.output and "induction" in r.output


def test_prove_a_mutant_gives_its_counterexample() -> None:
    r = run(
        "prove",
        "handshake.three_messages",
        "--scenario",
        "handshake",
        "--mutant",
        "two-way-handshake",
    )
    assert r.exit_code == 1
    assert "violated (2 steps)" in r.output and "z3 bmc" in r.output


def test_synthesize_time_wait_table_and_counterexample() -> None:
    r = run("synthesize", "time-wait", "--msl", "1", "--rto", "1,2", "--retries", "1")
    assert r.exit_code == 0, r.output
    assert "least TIME-WAIT" in r.output and "closed form" in r.output
    # rto=2, retries=1: 2*MSL = 2 is not enough, the least is 3; the trace is at TIME-WAIT 2
    assert "TIME-WAIT = 2, one tick below the bound (msl=1, rto=2, retries=1)" in r.output
    assert "rst.closing" in r.output
