"""Conformance with real TCP: pcap I/O, trace validation, captures from Linux, negative control."""

from __future__ import annotations

import json
import random
import shutil
import struct
import subprocess
from dataclasses import replace
from pathlib import Path

import conftest
import pytest
from conftest import need
from typer.testing import CliRunner

from tcpspec.checks.conformance import capture, mbt
from tcpspec.checks.conformance.conform import (
    HARNESS,
    Assume,
    ConformError,
    conform,
    conform_file,
)
from tcpspec.checks.conformance.pcap import (
    ACK,
    CLIENT_ADDR,
    FIN,
    LINKTYPE_LINUX_SLL,
    RST,
    SERVER_ADDR,
    SYN,
    CaptureError,
    Observed,
    connections,
    ethernet,
    ipv4_tcp,
    parse,
    pcap_image,
    read,
    trace_pcap,
    write_trace,
)
from tcpspec.checks.conformance.report import OUT
from tcpspec.checks.trace import Trace, TraceStep
from tcpspec.cli import app
from tcpspec.spec.build import make_model
from tcpspec.spec.model import CLIENT, Bounds

FIXTURES = Path(__file__).parent / "fixtures" / "pcap"


def walk(scenario: str, seed: int, steps: int = 40) -> Trace:
    """A random run of the model (no losses, so that most segments reach the other side)."""
    m = make_model(scenario, Bounds(loss=False, duplicates=0))
    w = m.initial()
    t = Trace(w)
    rng = random.Random(seed)
    for _ in range(steps):
        moves = m.successors(w)
        if not moves:
            break
        label, w = rng.choice(moves)
        t.steps.append(TraceStep(label, w))
    return t


def emitted(t: Trace) -> list:
    return [
        (s.label.actor, s.label.sent)
        for s in t.steps
        if s.label.sent is not None and not s.label.overflow
    ]


# ---------------------------------------------------------------------------------------------
# pcap I/O
# ---------------------------------------------------------------------------------------------

# fixture (= capture scenario) -> (segments, status, client states passed, server states passed)
EXPECTED = {
    # the fake peer injects an in-window RST and a SYN (RFC 5961): named, the rest explained
    "challenge-ack": (
        11,
        "out-of-scope",
        ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"],
        ["CLOSED", "SYN_SENT", "SYN_RECEIVED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    ),
    "bad-synack": (
        10,
        "accepted",
        ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"],
        [
            "LISTEN",
            "SYN_RECEIVED",
            "LISTEN",
            "SYN_RECEIVED",
            "ESTABLISHED",
            "CLOSE_WAIT",
            "LAST_ACK",
            "CLOSED",
        ],
    ),
    "fin-retransmit": (
        13,
        "accepted",
        ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"],
        ["LISTEN", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    ),
    "half-close": (
        11,
        "accepted",
        ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"],
        ["LISTEN", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    ),
    "normal": (
        10,
        "accepted",
        ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT"],
        ["LISTEN", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    ),
    "refused": (2, "accepted", ["CLOSED", "SYN_SENT", "CLOSED"], ["CLOSED"]),
    "simultaneous-close": (
        7,
        "accepted",
        ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "CLOSING", "TIME_WAIT"],
        ["LISTEN", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "CLOSING"],
    ),
    "simultaneous-open": (
        10,
        "accepted",
        [
            "CLOSED",
            "SYN_SENT",
            "SYN_RECEIVED",
            "ESTABLISHED",
            "FIN_WAIT_1",
            "FIN_WAIT_2",
            "TIME_WAIT",
        ],
        ["CLOSED", "SYN_SENT", "SYN_RECEIVED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    ),
    # Linux follows RFC 9293 Figure 7 where the model follows the text of 3.10.7.4: named
    "simultaneous-open-fig7": (
        9,
        "out-of-scope",
        [
            "CLOSED",
            "SYN_SENT",
            "SYN_RECEIVED",
            "ESTABLISHED",
            "FIN_WAIT_1",
            "FIN_WAIT_2",
            "TIME_WAIT",
        ],
        ["CLOSED", "SYN_SENT", "SYN_RECEIVED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    ),
    "syn-retransmit": (
        8,
        "accepted",
        ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT"],
        ["LISTEN", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    ),
    "synack-retransmit": (
        7,
        "accepted",
        ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT"],
        ["LISTEN", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    ),
}


def test_every_harness_scenario_has_a_fixture() -> None:
    assert set(EXPECTED) == set(capture.SCENARIOS)
    assert {p.stem for p in FIXTURES.glob("*.pcap")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_is_read(name: str) -> None:
    segs = read(FIXTURES / f"{name}.pcap")
    assert len(segs) == EXPECTED[name][0]
    assert len(connections(segs)) == 1
    assert segs[0].syn and not segs[0].ack
    assert any(s.src.startswith(f"{HARNESS.host}:") for s in segs)  # the recorded kernel end


def test_not_a_capture() -> None:
    with pytest.raises(CaptureError, match="not a capture file"):
        parse(b"hello, this is text\n" * 3, "notes.txt")
    with pytest.raises(CaptureError, match="cannot read"):
        read("/nonexistent/x.pcap")


def test_capture_without_tcp() -> None:
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    arp = b"\xff" * 6 + b"\x02" * 6 + b"\x08\x06" + b"\0" * 28
    data = header + struct.pack("<IIII", 1, 0, len(arp), len(arp)) + arp
    with pytest.raises(CaptureError, match="holds no TCP segment"):
        parse(data, "arp.pcap")
    with pytest.raises(CaptureError, match="truncated"):
        parse(data[:-5], "cut.pcap")


def _pcapng(classic: bytes) -> bytes:
    """The same packets as a (little-endian, nanosecond) pcapng image."""

    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    tsresol = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    out += block(1, struct.pack("<HHI", 1, 0, 65535) + tsresol)
    pos = 24
    while pos < len(classic):
        sec, usec, incl, orig = struct.unpack("<IIII", classic[pos : pos + 16])
        ts = sec * 10**9 + usec * 1000
        frame = classic[pos + 16 : pos + 16 + incl]
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, incl, orig) + frame)
        pos += 16 + incl
    return out


def test_linux_cooked_capture() -> None:
    """The same packets behind Linux cooked (SLL) headers, as ``tcpdump -i any`` writes them."""
    classic = (FIXTURES / "normal.pcap").read_bytes()
    frames = []
    pos = 24
    while pos < len(classic):
        _, _, incl, _ = struct.unpack("<IIII", classic[pos : pos + 16])
        eth = classic[pos + 16 : pos + 16 + incl]
        frames.append(
            (1.0, struct.pack("!HHH8sH", 4, 1, 6, eth[6:12] + b"\0\0", 0x0800) + eth[14:])
        )
        pos += 16 + incl
    sll = pcap_image(frames, linktype=LINKTYPE_LINUX_SLL)
    assert [replace(s, time=0.0) for s in parse(sll)] == [
        replace(s, time=0.0) for s in parse(classic)
    ]


def test_need_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        need("no root")
    monkeypatch.setattr(conftest, "CI", False)
    with pytest.raises(pytest.skip.Exception):
        need("no root")
    need(None)


def test_pcapng_reads_like_pcap() -> None:
    classic = (FIXTURES / "normal.pcap").read_bytes()
    a, b = parse(classic), parse(_pcapng(classic))
    assert [replace(s, time=0.0) for s in a] == [replace(s, time=0.0) for s in b]
    assert abs(a[3].time - b[3].time) < 1e-5


@pytest.mark.parametrize("scenario", ["connect-close", "simultaneous-open", "refused", "abort"])
def test_trace_written_and_read_back(scenario: str, tmp_path: Path) -> None:
    for seed in range(6):
        t = walk(scenario, seed)
        path = tmp_path / f"{scenario}-{seed}.pcap"
        write_trace(t, path)
        sent = emitted(t)
        if not sent:
            continue
        segs = read(path)
        assert len(segs) == len(sent)
        for o, (actor, s) in zip(segs, sent, strict=True):
            assert o.src.startswith(CLIENT_ADDR if actor == CLIENT else SERVER_ADDR)
            assert (o.syn, o.ack, o.fin, o.rst, o.seq, o.dlen) == (
                s.syn,
                s.ack,
                s.fin,
                s.rst,
                s.seq,
                s.dlen,
            )
            assert o.ackno == (s.ackno if s.ack else 0)
        # every run of the model, written as a capture, is accepted
        rep = conform(segs)
        assert rep.accepted, rep.text()


def test_tshark_dissects_written_trace(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    need(None if tshark else "tshark is not installed")
    t = walk("connect-close", 2)
    path = tmp_path / "t.pcap"
    write_trace(t, path)
    out = subprocess.run(
        [
            str(tshark),
            "-r",
            str(path),
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "ip.src",
            "-e",
            "tcp.seq_raw",
            "-e",
            "tcp.ack_raw",
            "-e",
            "tcp.len",
            "-e",
            "tcp.checksum.status",
            "-e",
            "ip.checksum.status",
            "-E",
            "separator=,",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    segs = read(path)
    assert len(out) == len(segs) > 3
    for line, o in zip(out, segs, strict=True):
        src, seq, ack, n, tcp_ok, ip_ok = line.split(",")
        assert (src, int(seq), int(ack), int(n)) == (o.src.split(":")[0], o.seq, o.ackno, o.dlen)
        assert (tcp_ok, ip_ok) == ("1", "1"), "tshark found a bad checksum"


# ---------------------------------------------------------------------------------------------
# Conformance of the captured fixtures, and the negative control
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("assume", [HARNESS, Assume()], ids=["harness", "anywhere"])
def test_fixture_conforms(name: str, assume: Assume) -> None:
    """Every capture is explained (or a named out-of-scope behaviour), with what the harness
    guarantees and without it (a capture taken anywhere on the path)."""
    n, status, client, server = EXPECTED[name]
    rep = conform_file(FIXTURES / f"{name}.pcap", assume=assume)
    assert rep.status == status, rep.text()
    if status == "accepted":
        assert [r.where for r in rep.rows] == [f"#{k}" for k in range(n)]
        if assume == HARNESS:
            assert (rep.client_states, rep.server_states) == (client, server)
    else:
        assert (rep.out_of_scope, rep.failed_at) == OUT_OF_SCOPE[name]
        if assume == HARNESS:  # the rest of the capture is explained
            assert (rep.client_states, rep.server_states) == (client, server)


#: The out-of-scope fixtures: the behaviour named, and the segment that shows it.
OUT_OF_SCOPE = {
    "challenge-ack": ("injected", 3),
    "simultaneous-open-fig7": ("synack-in-syn-received", 5),
}


def corruptions(s: Observed) -> dict[str, Observed]:
    out = {f"flip {f}": replace(s, **{f: not getattr(s, f)}) for f in ("syn", "ack", "fin", "rst")}
    if s.ack:
        out["ack+1"] = replace(s, ackno=(s.ackno + 1) % (1 << 32))
    return out


# Why a corrupted segment can be explained where it stands: the corruption turned it into a
# segment that TCP genuinely allows its sender to send at that point, so the capture up to it is
# a behaviour of TCP, and no check can reject it there. It is rejected at the first later
# segment that contradicts it (the number given), never accepted.
SIMULTANEOUS_OPEN = (
    "a SYN+ACK without its ACK bit is a SYN: up to there, a simultaneous open "
    "(RFC 9293 Figure 7); the other side's next segment is not the SYN+ACK "
    "that answers it"
)
CLOSES_HERE = (
    "a FIN put on a segment: its sender may close right then (after its text); "
    "only its later segments, numbered before that FIN or retransmitting it sooner "
    "than any RTO, contradict it"
)
FIN_REMOVED = (
    "the FIN taken off leaves a plain (duplicate) ACK, valid anywhere; the peer's "
    "acknowledgment of a FIN never sent contradicts it"
)
OLD_SYN = (
    "an acknowledgment behind the ISN, off by one, still answers some old SYN "
    "(RFC 9293 Figure 9); the kernel's RST, carrying the original number, contradicts it"
)
ORDINARY_CLOSE = (
    "the crossing FIN now acknowledges the kernel's FIN: an ordinary close "
    "instead of a simultaneous one, also valid; the fake peer's last ACK, which "
    "only a crossing FIN explains, contradicts it"
)

LATER: dict[tuple[str, int, str], tuple[int, str]] = {
    ("bad-synack", 1, "flip ack"): (2, SIMULTANEOUS_OPEN),
    ("bad-synack", 1, "ack+1"): (2, OLD_SYN),
    ("bad-synack", 5, "flip fin"): (6, CLOSES_HERE),
    ("bad-synack", 7, "flip fin"): (8, CLOSES_HERE),
    ("fin-retransmit", 1, "flip ack"): (2, SIMULTANEOUS_OPEN),
    ("fin-retransmit", 3, "flip fin"): (5, CLOSES_HERE),
    ("fin-retransmit", 4, "flip fin"): (5, CLOSES_HERE),
    ("fin-retransmit", 6, "flip fin"): (7, CLOSES_HERE),
    ("half-close", 1, "flip ack"): (2, SIMULTANEOUS_OPEN),
    ("half-close", 3, "flip fin"): (5, CLOSES_HERE),
    ("half-close", 7, "flip fin"): (8, CLOSES_HERE),
    ("normal", 1, "flip ack"): (2, SIMULTANEOUS_OPEN),
    ("normal", 3, "flip fin"): (6, CLOSES_HERE),
    ("normal", 5, "flip fin"): (6, CLOSES_HERE),
    ("normal", 6, "flip fin"): (7, CLOSES_HERE),
    ("normal", 8, "flip fin"): (9, FIN_REMOVED),
    ("simultaneous-close", 1, "flip ack"): (2, SIMULTANEOUS_OPEN),
    ("simultaneous-close", 2, "flip fin"): (3, CLOSES_HERE),
    ("simultaneous-close", 4, "ack+1"): (6, ORDINARY_CLOSE),
    ("simultaneous-open-fig7", 4, "flip fin"): (5, CLOSES_HERE),
    ("simultaneous-open-fig7", 6, "flip fin"): (7, CLOSES_HERE),
    ("simultaneous-open", 4, "flip fin"): (6, CLOSES_HERE),
    ("simultaneous-open", 5, "flip fin"): (6, CLOSES_HERE),
    ("simultaneous-open", 7, "flip fin"): (8, CLOSES_HERE),
    ("syn-retransmit", 3, "flip ack"): (4, SIMULTANEOUS_OPEN),
    ("syn-retransmit", 4, "flip fin"): (5, CLOSES_HERE),
    ("syn-retransmit", 6, "flip fin"): (7, FIN_REMOVED),
    ("synack-retransmit", 1, "flip ack"): (2, SIMULTANEOUS_OPEN),
    ("synack-retransmit", 3, "flip fin"): (4, CLOSES_HERE),
    ("synack-retransmit", 5, "flip fin"): (6, FIN_REMOVED),
}


# Not in the negative control: challenge-ack, whose segments 3 and 5 are injected (sent by no
# TCP, RFC 5961): a corruption next to them can make another injection, which TCP cannot tell
# from the real one, so where it is found depends on how the injection is read.
@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {"challenge-ack"}))
def test_corrupted_segment_is_rejected(name: str) -> None:
    """Negative control: every single-segment corruption (each flag flipped, the ack off by
    one) of every capture is rejected, at that segment unless LATER says why not."""
    segs = read(FIXTURES / f"{name}.pcap")
    later = {}
    for k, s in enumerate(segs):
        for what, bad in corruptions(s).items():
            rep = conform([*segs[:k], bad, *segs[k + 1 :]], HARNESS)
            assert rep.status == "rejected", f"{what} at segment {k}: {rep.text()}"
            assert rep.possible_states, "a rejection names the states the sides could be in"
            if rep.failed_at != k:
                later[name, k, what] = rep.failed_at
    expected = {key: at for key, (at, _) in LATER.items() if key[0] == name}
    assert later == expected


def test_rejection_report_names_states() -> None:
    segs = read(FIXTURES / "normal.pcap")
    bad = [*segs[:2], replace(segs[2], ackno=segs[2].ackno + 1), *segs[3:]]
    rep = conform(bad, HARNESS)
    assert rep.status == "rejected" and rep.failed_at == 2
    # captured at the client's host: the SYN+ACK seen there was delivered, so it is ESTABLISHED
    assert ("ESTABLISHED", "SYN_RECEIVED") in rep.possible_states
    assert all(c != "SYN_SENT" for c, _ in rep.possible_states)
    assert "ACK seq=101 ack=201" in rep.allowed
    assert "REJECTED at segment 2" in rep.text()


def test_two_connections_are_refused() -> None:
    a = read(FIXTURES / "normal.pcap")
    b = read(FIXTURES / "refused.pcap")
    with pytest.raises(ConformError, match="2 connections"):
        conform(a + b)


def test_written_trace_pcap_is_deterministic() -> None:
    t = walk("connect-close", 3)
    assert trace_pcap(t) == trace_pcap(t)


# ---------------------------------------------------------------------------------------------
# Live captures between two network namespaces (root only)
# ---------------------------------------------------------------------------------------------


def _our_namespaces() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    return [line.split()[0] for line in out.stdout.splitlines() if line.startswith("tcpspec-")]


@pytest.mark.parametrize("scenario", sorted(capture.SCENARIOS))
def test_live_capture_conforms(scenario: str, tmp_path: Path) -> None:
    """Capture the scenario again, now, from this machine's kernel: it conforms as the fixture."""
    need(capture.unavailable_reason())
    before = _our_namespaces()
    path = capture.capture(scenario, tmp_path / f"{scenario}.pcap")
    assert _our_namespaces() == before, "the harness left namespaces behind"
    rep = conform_file(path, assume=HARNESS)
    assert rep.status == EXPECTED[scenario][1], rep.text()
    if rep.status == "accepted":
        assert rep.client_states[-1] == EXPECTED[scenario][2][-1], rep.text()


# ---------------------------------------------------------------------------------------------
# The command line: tcpspec conform, and counterexamples written as captures
# ---------------------------------------------------------------------------------------------

runner = CliRunner()
HARNESS_FLAGS = ["--host", "10.99.0.1", "--fifo", "--min-rto", "0.2"]


def write_segments(segs: list[Observed], path: Path) -> None:
    """Segments as an Ethernet capture (the way a corrupted capture is put on disk)."""
    frames = []
    for k, s in enumerate(segs):
        (src, sport), (dst, dport) = (x.rsplit(":", 1) for x in (s.src, s.dst))
        flags = (SYN if s.syn else 0) | (ACK if s.ack else 0) | (FIN if s.fin else 0)
        flags |= RST if s.rst else 0
        ip = ipv4_tcp(src, dst, int(sport), int(dport), s.seq, s.ackno, flags, b"x" * s.dlen, k)
        frames.append((s.time, ethernet(ip, True)))
    path.write_bytes(pcap_image(frames))


def test_cli_accepts_every_fixture_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    files = [str(FIXTURES / f"{n}.pcap") for n in sorted(EXPECTED)]
    r = runner.invoke(app, ["conform", *HARNESS_FLAGS, *files, "--json", str(out)])
    assert r.exit_code == 0, r.output
    again = tmp_path / "again.json"
    runner.invoke(app, ["conform", *HARNESS_FLAGS, *files, "--json", str(again)])
    assert again.read_bytes() == out.read_bytes(), "the same captures give the same report"
    doc = json.loads(out.read_text())
    assert [(Path(d["file"]).stem, d["status"]) for d in doc] == [
        (n, EXPECTED[n][1]) for n in sorted(EXPECTED)
    ]
    named = {
        Path(d["file"]).stem: (d["out_of_scope"], d["failed_at"])
        for d in doc
        if d["status"] == "out-of-scope"
    }
    assert named == OUT_OF_SCOPE
    assert "OUT OF SCOPE (synack-in-syn-received" in r.output
    assert "OUT OF SCOPE (injected" in r.output
    assert "client passed: CLOSED -> SYN_SENT -> ESTABLISHED -> FIN_WAIT_1 -> TIME_WAIT" in r.output


def test_cli_rejects_a_corrupted_capture_with_exit_1(tmp_path: Path) -> None:
    segs = read(FIXTURES / "normal.pcap")
    bad = tmp_path / "bad.pcap"
    write_segments([*segs[:2], replace(segs[2], ackno=segs[2].ackno + 1), *segs[3:]], bad)
    r = runner.invoke(app, ["conform", *HARNESS_FLAGS, str(bad)])
    assert r.exit_code == 1, r.output
    assert "REJECTED at segment 2" in r.output
    assert "(client, server) could have been in: " in r.output
    good = tmp_path / "good.pcap"
    write_segments(segs, good)  # the same writer, uncorrupted: accepted
    assert runner.invoke(app, ["conform", *HARNESS_FLAGS, str(good)]).exit_code == 0


def test_cli_checks_each_connection_or_one_by_port(tmp_path: Path) -> None:
    both = tmp_path / "both.pcap"
    write_segments(read(FIXTURES / "normal.pcap") + read(FIXTURES / "refused.pcap"), both)
    r = runner.invoke(app, ["conform", str(both)])
    assert r.exit_code == 0, r.output
    assert r.output.count("ACCEPTED") == 2 and ":5002: ACCEPTED" in r.output
    r = runner.invoke(app, ["conform", "--port", "5002", str(both)])
    assert r.exit_code == 0 and r.output.count("ACCEPTED") == 1 and ":5002" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["README.md"], "is not a capture file"),
        (["/nonexistent.pcap"], "cannot read /nonexistent.pcap"),
        (["--port", "1", str(FIXTURES / "normal.pcap")], "no TCP connection using port 1"),
        (["--host", "10.1.1.1", str(FIXTURES / "normal.pcap")], "no segment of this connection"),
        (["--min-rto", "-1", str(FIXTURES / "normal.pcap")], "--min-rto must be at least 0"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    r = runner.invoke(app, ["conform", *args])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("tcpspec: error:")


def test_cli_capture_without_tcp(tmp_path: Path) -> None:
    arp = b"\xff" * 6 + b"\x02" * 6 + b"\x08\x06" + b"\0" * 28
    path = tmp_path / "arp.pcap"
    path.write_bytes(pcap_image([(1.0, arp)]))
    r = runner.invoke(app, ["conform", str(path)])
    assert r.exit_code == 2 and "holds no TCP segment" in r.stderr


def test_cli_counterexample_pcap_opens_in_tshark(tmp_path: Path) -> None:
    """`tcpspec trace --format pcap` writes a capture that tshark dissects as one TCP
    conversation, with the trace's flags and relative numbers (ISNs 100 and 200 become 0)."""
    tshark = shutil.which("tshark")
    need(None if tshark else "tshark is not installed")
    path = tmp_path / "cx.pcap"
    r = runner.invoke(
        app,
        [
            "trace",
            "timewait.covers_fin_retransmit",
            "--mutant",
            "no-time-wait",
            "--format",
            "pcap",
            "-o",
            str(path),
        ],
    )
    assert r.exit_code == 1, r.output  # a counterexample was found and written
    fields = [
        "tcp.stream",
        "ip.src",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.flags.syn",
        "tcp.flags.ack",
        "tcp.flags.fin",
        "tcp.flags.reset",
        "tcp.seq",
        "tcp.ack",
    ]
    out = subprocess.run(
        [
            str(tshark),
            "-r",
            str(path),
            "-T",
            "fields",
            "-E",
            "separator=,",
            *(x for f in fields for x in ("-e", f)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    rows = [dict(zip(fields, line.split(","), strict=True)) for line in out]
    segs = read(path)
    assert len(rows) == len(segs) >= 6
    assert {r["tcp.stream"] for r in rows} == {"0"}, "one TCP conversation"
    isn = {CLIENT_ADDR: 100, SERVER_ADDR: 200}
    for row, s in zip(rows, segs, strict=True):
        src = s.src.split(":")[0]
        other = SERVER_ADDR if src == CLIENT_ADDR else CLIENT_ADDR
        assert row["ip.src"] == src
        assert {row["tcp.srcport"], row["tcp.dstport"]} == {"49152", "8080"}
        flags = tuple(
            row[f"tcp.flags.{f}"] in ("1", "True") for f in ("syn", "ack", "fin", "reset")
        )
        assert flags == (s.syn, s.ack, s.fin, s.rst)
        assert int(row["tcp.seq"]) == s.seq - isn[src]
        if s.ack:
            assert int(row["tcp.ack"]) == s.ackno - isn[other]
    assert [r["tcp.flags.syn"] for r in rows[:2]] in (["1", "1"], ["True", "True"])
    assert any(s.rst for s in segs), "the counterexample ends with the server being reset"


# ---------------------------------------------------------------------------------------------
# Model-based tests: scripts generated from the model, replayed against the kernel
# ---------------------------------------------------------------------------------------------


def test_mbt_generates_a_test_for_every_kernel_transition() -> None:
    for setup, count in (("kernel-listens", 26), ("kernel-connects", 33)):
        tests, _ = mbt.generate(setup)
        assert len(tests) == count
        names = {t.name for t in tests}
        assert len(names) == count
        for t in tests:
            last = t.labels[-1]
            assert last.actor == mbt.SETUPS[setup].kernel and last.cases == t.cases
            assert not mbt.SLOW & set(t.cases)
            assert t.script(), "every script sends or expects something"
        # every KNOWN disagreement names a test that exists
        assert {n for s, n in mbt.KNOWN if s == setup} <= names
    listens = {t.name: t for t in mbt.generate("kernel-listens")[0]}
    assert listens["SYN_RECEIVED: rst.syn_received_passive"].script() == [
        {"send": ["S", 0, None, 0]},
        {"expect": ["SA", 0, 1, 0]},
        {"send": ["R", 1, None, 0]},
    ]


@pytest.mark.parametrize(
    ("setup", "name", "result"),
    [
        ("kernel-connects", "SYN_SENT: syn_sent.bad_ack_reset", "agree"),
        ("kernel-connects", "SYN_SENT: syn_sent.simultaneous_syn", "agree"),
        ("kernel-listens", "ESTABLISHED: rst.challenge_ack", "agree"),
        ("kernel-listens", "CLOSE_WAIT: rst.reset", "agree"),
        ("kernel-listens", "CLOSED: closed.reset_ack", "known"),
    ],
)
def test_mbt_live(setup: str, name: str, result: str) -> None:
    """A few generated tests run against this machine's kernel (`make mbt` runs them all)."""
    need(capture.unavailable_reason())
    t = next(t for t in mbt.generate(setup)[0] if t.name == name)
    out = mbt.run(t)
    assert out.result == result, out.detail


def test_out_of_scope_behaviours_are_documented() -> None:
    """Each behaviour `conform` may name is in the reference's "What is abstracted"."""
    readme = (Path(__file__).parent.parent / "docs" / "reference.md").read_text()
    section = readme.split("### What is abstracted", 1)[1].split("\n## ", 1)[0]
    for name, o in OUT.items():
        assert f"`{name}`" in section, name
        assert o.ref and o.why
    assert {n for n, _ in OUT_OF_SCOPE.values()} <= set(OUT)


def test_capture_formats_read_by_scapy_agree(tmp_path: Path) -> None:
    """pcap (micro- and nanosecond) and pcapng give the same segments; a damaged file is one
    clear error, never a silently shorter capture."""
    need(None if shutil.which("editcap") else "editcap (Debian's tshark package) is not installed")
    src = FIXTURES / "normal.pcap"
    want = read(src)
    for fmt in ("nsecpcap", "pcapng"):
        out = tmp_path / f"normal.{fmt}"
        subprocess.run(["editcap", "-F", fmt, str(src), str(out)], check=True)
        assert read(out) == want, fmt
        data = out.read_bytes()
        with pytest.raises(CaptureError, match="truncated"):
            parse(data[:-10], "cut")
