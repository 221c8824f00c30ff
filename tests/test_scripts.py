"""packetdrill scripts as packetdrill means them (issue 17): recorded calls take effect where
the script shows them, their results are checked, replies come in order, loss recovery and long
transfers are abstracted, packetdrill's own syntax is read, and bad input gets one line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tcpspec.checks.conformance import packetdrill, script
from tcpspec.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
SCRIPTS = sorted((FIXTURES / "packetdrill").glob("*.pkt"))
runner = CliRunner()

LISTEN = """0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
"""
HANDSHAKE = (
    LISTEN
    + """+0 < S 0:0(0) win 32792 <mss 1000>
+0 > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
"""
)
CONNECT = """0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
"""


def status(text: str) -> str:
    rep = packetdrill.check_script(packetdrill.parse(text, "t.pkt"))
    return rep.status if rep.status != "rejected" else f"rejected at {rep.failed_at}"


# -- the corruptions the issue found accepted ---------------------------------------------------


def test_a_result_that_says_established_is_checked() -> None:
    # the kernel answers the SYN with RST+ACK, yet accept() returns a connection
    text = LISTEN + (
        "+0 < S 0:0(0) win 32792 <mss 1000>\n+0 > R. 0:0(0) ack 1\n+.1 < . 1:1(0) ack 1 win 257\n"
        "+0 accept(3, ..., ...) = 4\n+0 write(4, ..., 10000) = 10000\n"
        "+0 > P. 1:10001(10000) ack 1\n+.1 < . 1:1(0) ack 10001 win 257\n"
    )
    assert status(text) == "rejected at line 5"


def test_a_recorded_call_does_not_drift_past_a_later_segment() -> None:
    # listen() happened before the ACK and the SYN: the SYN must draw a SYN,ACK
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n"
        "+0 < . 0:0(0) ack 0 win 1000\n+0 > R 0:0(0)\n+0 < S 0:0(0) win 1000\n"
        "+0 > R. 0:0(0) ack 1\n"
    )
    assert status(text) == "rejected at line 6"
    # close() in SYN-SENT deletes the TCB: the late SYN,ACK draws a RST, not an ACK
    closing = CONNECT + "+0 close(3) = 0\n+.1 < S. 0:0(0) ack 1 win 1000\n"
    assert status(closing + "+0 > . 1:1(0) ack 1\n") == "rejected at line 7"
    assert status(closing + "+0 > R 1:1(0)\n") == "accepted"


def test_a_call_that_never_takes_effect_is_a_rejection() -> None:
    # shutdown() owes a FIN; the script shows the peer's FIN answered, never ours
    text = HANDSHAKE + "+0 shutdown(4, SHUT_WR) = 0\n+0 < F. 1:1(0) ack 1 win 257\n"
    assert status(text + "+0 > . 1:1(0) ack 2\n") == "rejected at line 10"
    assert status(text + "+0 > F. 1:1(0) ack 1\n+0 > . 2:2(0) ack 2\n") == "accepted"


@pytest.mark.parametrize(
    "calls, verdict",
    [
        ("+0 read(4, ..., 100) = 0\n", "rejected at line 8"),  # no FIN has arrived
        ("+0 read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n", "accepted"),
        ("+0 write(4, ..., 100) = -1 EPIPE (Broken pipe)\n", "rejected at line 8"),
        ("+0 write(4, ..., 100) = -1 ECONNRESET (Reset)\n", "rejected at line 8"),
        ("+0 < R. 1:1(0) ack 1 win 0\n+0 read(4, ..., 100) = -1 ECONNRESET (Reset)\n", "accepted"),
        ("+0 < F. 1:1(0) ack 1 win 257\n+0 > . 1:1(0) ack 2\n+0 read(4, ..., 9) = 0\n", "accepted"),
    ],
)
def test_call_results_are_checked_against_the_endpoint(calls: str, verdict: str) -> None:
    assert status(HANDSHAKE + calls) == verdict


def test_a_blocking_call_returns_after_the_events_of_its_span() -> None:
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0...0.2 connect(3, ..., ...) = 0\n+0 > S 0:0(0) <...>\n"
        "+.1 < S. 0:0(0) ack 1 win 1000\n+0 > . 1:1(0) ack 1\n+.5 close(3) = 0\n"
        "+0 > F. 1:1(0) ack 1\n"
    )
    assert status(text) == "accepted"
    refused = text.replace("< S. 0:0(0) ack 1", "< R. 0:0(0) ack 1").replace(
        "+0 > . 1:1(0) ack 1\n", ""
    )
    assert status(refused).startswith("rejected")  # connect() = 0, but the SYN was refused
    assert (
        status(
            refused.replace("= 0\n", "= -1 ECONNREFUSED (Connection refused)\n", 1).split("+.5")[0]
        )
        == "accepted"
    )


def test_replies_come_in_order() -> None:
    # the FIN owed by close() cannot be skipped for a later segment
    text = HANDSHAKE + "+0 close(4) = 0\n+0 < P. 1:11(10) ack 1 win 257\n+0 > R 1:1(0)\n"
    assert status(text) == "rejected at line 10"


# -- what real kernels do -----------------------------------------------------------------------


def test_loss_recovery_may_resend_any_unacknowledged_segment() -> None:
    sent = HANDSHAKE + (
        "+0 write(4, ..., 3000) = 3000\n+0 > . 1:1001(1000) ack 1\n+0 > . 1001:2001(1000) ack 1\n"
        "+0 > P. 2001:3001(1000) ack 1\n+.1 < . 1:1(0) ack 1001 win 257\n"
    )
    # fast retransmit of the second segment, repacketized, then the third
    assert status(sent + "+0 > . 1001:1501(500) ack 1\n+0 > . 2001:3001(1000) ack 1\n") == (
        "accepted"
    )
    assert status(sent + "+0 > . 1:1001(1000) ack 1\n") == "rejected at line 13"  # acknowledged
    assert status(sent + "+0 > . 1001:2001(1000) ack 2\n") == "rejected at line 13"  # ACK wrong
    assert status(sent + "+0 > . 3001:3101(100) ack 1\n") == "rejected at line 13"  # unwritten


def test_more_text_than_the_exploration_bounds_is_checked() -> None:
    lines = [f"+0 > . {1 + 100 * k}:{101 + 100 * k}(100) ack 1\n" for k in range(12)]
    text = HANDSHAKE + "+0 write(4, ..., 1200) = 1200\n" + "".join(lines)
    assert status(text + "+.1 < . 1:1(0) ack 1201 win 257\n") == "accepted"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_no_fixture_is_rejected(path: Path) -> None:
    assert packetdrill.check_script(packetdrill.read(path)).status != "rejected"


# -- packetdrill's syntax -----------------------------------------------------------------------


def test_packetdrills_syntax_is_read() -> None:
    sc = script.parse(
        "--tolerance_usecs=20000\n"
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+.1...0.352 connect(3, ..., ...) = 0\n"
        "+0 sendto(3, ..., 1000, MSG_FASTOPEN,\n      ..., ...) = 1000\n"
        "+0 > SEWA 0:0(0) <mss 1460,FO abcd>\n"
        "+0 < [ect0] S.E 0:0(0) ack 1 win 100\n"
        "+0 > udp(1400)\n"
        "+0 < encap psp spi 7 . 1:1(0) ack 1 win 50000\n"
        "+0 psp_rx_assoc(3, {spi=7}) = 0\n"
        "+0 %{ assert tcpi_rto == 200000 }%\n"
        "* > . 1:1(0) ack 1 <...>\n",
        "s.pkt",
    )
    conn = sc.events[1]
    assert isinstance(conn, script.Syscall) and (conn.at, conn.until) == (100_000, 352_000)
    send = sc.events[2]
    assert isinstance(send, script.Syscall) and send.args[3] == "MSG_FASTOPEN"
    kinds = [type(e).__name__ for e in sc.events]
    assert kinds == ["Syscall"] * 3 + ["Packet"] * 4 + ["Syscall", "Command", "Packet"]
    syn = sc.events[4]
    assert isinstance(syn, script.Packet) and syn.ip == "ect0" and syn.flags == "S.E"
    assert [e.proto for e in sc.events if isinstance(e, script.Packet)][2] == "udp"
    assert packetdrill.interpret(sc).out is not None  # Fast Open, by name


def test_unknown_calls_are_named_and_skipped() -> None:
    text = CONNECT + "+0 frobnicate(3) = 0\n+.1 < S. 0:0(0) ack 1 win 1000\n+0 > . 1:1(0) ack 1\n"
    rep = packetdrill.check_script(packetdrill.parse(text))
    assert rep.accepted and "skipped (unknown to the model): frobnicate() at line 5" in rep.notes


# -- a suite in one go, bad input ---------------------------------------------------------------


def test_a_folder_is_checked_in_one_run_with_a_summary_and_junit(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "good.pkt").write_text(HANDSHAKE)
    (tmp_path / "bad.pkt").write_text(HANDSHAKE + "+0 read(4, ..., 100) = 0\n")
    (tmp_path / "broken.pkt").write_text("0 < S 0:0(0) win 1\n+0 > XQ 0:0(0)\n")
    (tmp_path / "zero.pcap").write_bytes(b"\0" * 64)
    xml, js = tmp_path / "r.xml", tmp_path / "r.json"
    res = runner.invoke(app, ["conform", str(tmp_path), "--junit", str(xml), "--json", str(js)])
    assert res.exit_code == 2, res.output  # two files could not be read: the run is incomplete
    assert "broken.pkt: line 2: 'XQ' is not a set of TCP flags" in res.output
    assert "zero.pcap" in res.output and "Traceback" not in res.output
    assert "good.pkt: kernel: ACCEPTED" in res.output
    assert "4 traces: 1 accepted, 0 out of scope, 1 rejected (the result of a call" in res.output
    assert ", 2 unreadable" in res.output
    suite = ET.parse(xml).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "2")
    doc = json.loads(js.read_text())
    assert sorted(d["status"] for d in doc) == ["accepted", "error", "error", "rejected"]


CLOSING = HANDSHAKE + "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n"
LINES = [line + "\n" for line in CLOSING.split("\n")]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["delete", "duplicate", "swap", "truncate", "number", "byte"]),
            st.integers(0, len(LINES) - 1),
            st.integers(0, 1 << 33),
        ),
        max_size=4,
    )
)
def test_mutated_scripts_get_a_documented_exit_and_no_traceback(
    edits: list[tuple[str, int, int]], tmp_path: Path
) -> None:
    lines = list(LINES)
    for op, k, n in edits:
        k %= max(1, len(lines))
        if not lines:
            break
        if op == "delete":
            del lines[k]
        elif op == "duplicate":
            lines.insert(k, lines[k])
        elif op == "swap" and k + 1 < len(lines):
            lines[k], lines[k + 1] = lines[k + 1], lines[k]
        elif op == "truncate":
            lines[k] = lines[k][: n % (len(lines[k]) + 1)]
        elif op == "number":
            lines[k] = "".join(str(n) if c.isdigit() and i % 3 == 0 else c
                               for i, c in enumerate(lines[k]))  # fmt: skip
        else:
            text = lines[k]
            i = n % (len(text) + 1)
            lines[k] = text[:i] + chr(n % 128) + text[i + 1 :]
    path = tmp_path / "m.pkt"
    path.write_text("".join(lines))
    out = tmp_path / "m.json"
    res = runner.invoke(app, ["conform", str(path), "--json", str(out)])
    assert res.exit_code in (0, 1, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    if out.exists():
        json.loads(out.read_text())


# -- captures -----------------------------------------------------------------------------------


def _capture(segments: list[tuple[bool, int, int, int, bytes]]) -> bytes:
    """A capture of 10.0.0.1:1000 (client) and 10.0.0.2:80: (from client, seq, ack, flags, text)."""
    from tcpspec.checks.conformance.pcap import ethernet, ipv4_tcp, pcap_image

    frames = []
    for k, (client, seq, ack, flags, text) in enumerate(segments):
        src, dst, sp, dp = ("10.0.0.1", "10.0.0.2", 1000, 80)
        if not client:
            src, dst, sp, dp = dst, src, dp, sp
        frames.append(
            (1.0 + k, ethernet(ipv4_tcp(src, dst, sp, dp, seq, ack, flags, text), client))
        )
    return pcap_image(frames)


SYN, ACK, URG = 0x02, 0x10, 0x20


def test_a_capture_beyond_the_exploration_bounds_is_checked(tmp_path: Path) -> None:
    """Ten SYNs (nine retransmissions) and no answer: checked, never a BoundsError."""
    path = tmp_path / "syns.pcap"
    path.write_bytes(_capture([(True, 7, 0, SYN, b"")] * 10))
    for extra in ([], ["--endpoint", "10.0.0.1"]):
        res = runner.invoke(app, ["conform", str(path), *extra])
        assert res.exit_code == 0 and "ACCEPTED" in res.output, res.output


def test_urgent_data_in_a_capture_is_out_of_scope(tmp_path: Path) -> None:
    path = tmp_path / "urg.pcap"
    path.write_bytes(
        _capture(
            [
                (True, 7, 0, SYN, b""),
                (False, 70, 8, SYN | ACK, b""),
                (True, 8, 71, ACK, b""),
                (True, 8, 71, ACK | URG, b"x"),
            ]
        )
    )
    for extra in ([], ["--endpoint", "10.0.0.1"]):
        res = runner.invoke(app, ["conform", str(path), *extra])
        assert res.exit_code == 0 and "OUT OF SCOPE (urgent" in res.output, res.output


GOOD = _capture(
    [(True, 7, 0, SYN, b""), (False, 70, 8, SYN | ACK, b""), (True, 8, 71, ACK, b""),
     (True, 8, 71, ACK | 0x01, b""), (False, 71, 9, ACK | 0x01, b""), (True, 9, 72, ACK, b"")]
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["byte", "truncate", "delete", "duplicate"]),
                  st.integers(0, len(GOOD) - 1), st.integers(0, 255)),
        max_size=4,
    )
)  # fmt: skip
def test_mutated_captures_get_a_documented_exit_and_no_traceback(
    edits: list[tuple[str, int, int]], tmp_path: Path
) -> None:
    data = bytearray(GOOD)
    for op, k, v in edits:
        k %= max(1, len(data))
        if op == "byte" and data:
            data[k] = v
        elif op == "truncate":
            del data[k:]
        elif op == "delete":
            del data[k : k + v % 16 + 1]
        else:
            data[k:k] = data[k : k + v % 64]
    path = tmp_path / "m.pcap"
    path.write_bytes(bytes(data))
    out = tmp_path / "m.json"
    for extra in ([], ["--endpoint", "10.0.0.1"]):
        res = runner.invoke(app, ["conform", str(path), "--json", str(out), *extra])
        assert res.exit_code in (0, 1, 2), res.output
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
        if out.exists():
            json.loads(out.read_text())


def test_the_references_conform_commands_print_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each `$ tcpspec testgen` / `$ tcpspec conform ... | tail -1` of the reference, run: its last
    line is the line the page shows."""
    import re
    import shlex

    readme = (Path(__file__).parent.parent / "docs" / "reference.md").read_text(encoding="utf-8")
    pairs = re.findall(r"^\$ (tcpspec (?:conform|testgen) [^\n]*)\n([^$`\n][^\n]*)$", readme, re.M)
    assert len(pairs) >= 4, pairs
    for name in ("tests",):
        (tmp_path / name).symlink_to(Path(__file__).parent.parent / name)
    monkeypatch.chdir(tmp_path)  # `gen` is written here, the fixtures are read through a link
    for command, shown in pairs:
        argv = shlex.split(command.split("|")[0])[1:]
        res = runner.invoke(app, argv)
        assert res.exit_code == 0, (command, res.output)
        assert res.output.strip().splitlines()[-1] == shown, command


def test_the_conformance_pages_show_what_the_commands_print(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The site's conformance page, in both languages: each `$ tcpspec conform ...` block is what
    the command prints, whole (or its last line, for `| tail -1`)."""
    import re
    import shlex

    root = Path(__file__).parent.parent
    monkeypatch.chdir(root)
    for page in ("conformance.md", "conformance.ko.md"):
        text = (root / "docs" / page).read_text(encoding="utf-8")
        blocks = re.findall(r"```text\n\$ (tcpspec conform [^\n]*)\n(.*?)```", text, re.S)
        assert len(blocks) == 3, page
        for command, shown in blocks:
            res = runner.invoke(app, shlex.split(command.split("|")[0])[1:])
            out = res.output if "tail -1" not in command else res.output.splitlines()[-1] + "\n"
            assert out == shown, (page, command)


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "packetdrill-rejected").glob("*.pkt")), ids=lambda p: p.name
)
def test_broken_kernels_are_rejected_where_they_break(path: Path) -> None:
    (line,) = [ln for ln in path.read_text().splitlines() if "expected: rejected at" in ln]
    rep = packetdrill.check_script(packetdrill.read(path))
    assert f"rejected at {rep.failed_at}" == line.split("expected: ")[1], rep.text()


def test_a_capture_with_a_tail_loss_probe_is_accepted_both_ways(tmp_path: Path) -> None:
    """The client sends three segments and resends the last (a tail-loss probe) before the
    oldest is acknowledged: RFC 9293 3.8.1 leaves that choice open. Resending it with a wrong
    ACK is still rejected."""
    head = [(True, 7, 0, SYN, b""), (False, 70, 8, SYN | ACK, b""), (True, 8, 71, ACK, b"")]
    sent = [(True, 8 + 10 * k, 71, ACK, b"0123456789") for k in range(3)]
    tail = [(False, 71, 38, ACK, b"")]
    for probe, verdict in (
        ((True, 28, 71, ACK, b"0123456789"), "ACCEPTED"),
        ((True, 28, 72, ACK, b"0123456789"), "REJECTED"),  # ACK beyond what arrived
    ):
        path = tmp_path / "probe.pcap"
        path.write_bytes(_capture([*head, *sent, probe, *tail]))
        for extra in ([], ["--endpoint", "10.0.0.1"]):
            res = runner.invoke(app, ["conform", str(path), *extra])
            assert verdict in res.output.splitlines()[0], (probe, extra, res.output)


def test_a_later_out_of_scope_line_does_not_hide_an_earlier_error() -> None:
    wrong = HANDSHAKE + "+0 < P. 1:101(100) ack 1 win 257\n+0 > . 1:1(0) ack 7\n"
    assert status(wrong) == "rejected at line 9"
    assert status(wrong + "+0 < [ect0] . 101:101(0) ack 1 win 257\n") == "rejected at line 9"
    right = wrong.replace("ack 7", "ack 101")
    assert status(right + "+0 < [ect0] . 101:101(0) ack 1 win 257\n") == "out-of-scope"


def test_the_fin_follows_every_byte_written() -> None:
    text = HANDSHAKE + "+0 write(4, ..., 1000) = 1000\n+0 close(4) = 0\n"
    assert status(text + "+0 > F. 1:1(0) ack 1\n") == "rejected at line 10"  # text dropped
    assert status(text + "+0 > P. 1:1001(1000) ack 1\n+0 > F. 1001:1001(0) ack 1\n") == ("accepted")


def test_a_reset_connection_resends_nothing_in_a_capture(tmp_path: Path) -> None:
    head = [(True, 7, 0, SYN, b""), (False, 70, 8, SYN | ACK, b""), (True, 8, 71, ACK, b"")]
    data = (True, 8, 71, ACK, b"0123456789")
    path = tmp_path / "rst.pcap"
    path.write_bytes(_capture([*head, data, (False, 71, 0, 0x04, b""), data]))
    res = runner.invoke(app, ["conform", str(path), "--host", "10.0.0.1", "--fifo"])
    assert "REJECTED" in res.output.splitlines()[0], res.output


def test_no_more_text_is_read_than_arrived() -> None:
    text = HANDSHAKE + "+0 < P. 1:101(100) ack 1 win 257\n+0 > . 1:1(0) ack 101\n"
    assert status(text + "+0 read(4, ..., 1000) = 100\n") == "accepted"
    assert status(text + "+0 read(4, ..., 1000) = 1000\n") == "rejected at line 10"
    twice = text + "+0 read(4, ..., 1000) = 100\n+0 read(4, ..., 1000) = 100\n"
    assert status(twice) == "rejected at line 11"


@pytest.mark.parametrize(
    ("ack", "wait", "verdict"),
    [("+0", "+.01", "rejected at line 13"), ("+0", "+1", "accepted"), ("*", "+.01", "accepted")],
)
def test_a_silent_timeout_takes_time(ack: str, wait: str, verdict: str) -> None:
    # in TIME-WAIT the kernel answers the peer's resent FIN by RST: only once TIME-WAIT can
    # have ended (no timer of a real stack expires sooner than 200 ms); after a ``*`` line,
    # how long it has been is not known
    text = HANDSHAKE + (
        "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+.1 < F. 1:1(0) ack 2 win 257\n"
        f"{ack} > . 2:2(0) ack 2\n{wait} < F. 1:1(0) ack 2 win 257\n+0 > R 2:2(0)\n"
    )
    assert status(text) == verdict


def test_a_read_finds_the_text_the_kernel_acknowledged() -> None:
    text = HANDSHAKE + "+0 < P. 1:101(100) ack 1 win 257\n+0 > . 1:1(0) ack 101\n"
    again = "+0 read(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)\n"
    assert status(text + again) == "rejected at line 10"
    assert status(text + "+0 read(4, ..., 1000) = 0\n") == "rejected at line 10"
    assert status(text + "+0 read(4, ..., 1000) = 100\n" + again) == "accepted"
    assert status(text + "+0 read(4, ..., 0) = 0\n") == "accepted"  # nothing asked for


def test_an_ack_of_queued_text_needs_every_byte_to_have_arrived() -> None:
    text = HANDSHAKE + "+0 < P. 101:201(100) ack 1 win 257\n+0 > . 1:1(0) ack 1\n"
    rep = packetdrill.check_script(
        packetdrill.parse(text + "+0 < P. 1:101(100) ack 1 win 257\n+0 > . 1:1(0) ack 201\n")
    )
    assert (rep.out_of_scope, rep.failed_at) == ("reassembly", "line 11")
    # bytes 51 to 100 never arrived: acknowledging 201 is no reassembly, it is wrong
    hole = text + "+0 < P. 1:51(50) ack 1 win 257\n+0 > . 1:1(0) ack 201\n"
    assert status(hole) == "rejected at line 11"


@pytest.mark.parametrize(
    ("syn", "verdict"),
    [
        ("< S 100:100(0) win 32792 <mss 1000>", "out-of-scope"),  # above RCV.NXT
        ("< S 0:0(0) win 32792 <mss 1000,TS val 900 ecr 0>", "out-of-scope"),  # RFC 6191
        ("< S 0:0(0) win 32792 <mss 1000,TS val 10 ecr 0>", "rejected at line 13"),  # older
        ("< S 0:0(0) win 32792 <mss 1000>", "rejected at line 13"),  # neither: ACK it
    ],
)
def test_time_wait_takes_a_new_syn_only_above_rcv_nxt_or_with_a_newer_timestamp(
    syn: str, verdict: str
) -> None:
    # the peer's segments carry timestamps (TSval 100, then 200)
    text = HANDSHAKE.replace("<mss 1000>", "<mss 1000,TS val 100 ecr 0>") + (
        "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n"
        "+.1 < F. 1:1(0) ack 2 win 257 <nop,nop,TS val 200 ecr 1>\n"
        f"+0 > . 2:2(0) ack 2\n+.1 {syn}\n+0 > S. 0:0(0) ack {101 if '100:' in syn else 1} <...>\n"
    )
    assert status(text) == verdict


def test_a_give_up_needs_time_after_the_last_retransmission_not_after_a_pure_ack() -> None:
    # data at .1, resent at .3; the peer's FIN at .65 is ACKed (a pure ACK restarts no timer,
    # RFC 6298 5.1); giving up silently at .7 is .4 after the resend
    text = HANDSHAKE + (
        "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n+.2 > P. 1:11(10) ack 1\n"
        "+.35 < F. 1:1(0) ack 1 win 257\n+0 > . 11:11(0) ack 2\n"
    )
    late = "+.05 write(4, ..., 10) = -1 ETIMEDOUT (Connection timed out)\n"
    assert status(text + late) == "accepted"
    soon = text.replace("+.35 < F.", "+.05 < F.") + late  # .1 after the resend: too soon
    assert status(soon).startswith("rejected")
    # TCP_USER_TIMEOUT may cut the retransmission timer short (Linux clamps it)
    clamped = soon.replace(
        "+0 write(4, ..., 10) = 10",
        "+0 setsockopt(4, IPPROTO_TCP, TCP_USER_TIMEOUT, [150], 4) = 0\n+0 write(4, ..., 10) = 10",
    )
    assert status(clamped) == "accepted"
