"""Capture real Linux TCP connections between two network namespaces (needs root and ``ip``).

Two fresh namespaces joined by a veth pair; nothing outside them is touched. Namespace A holds
10.99.0.1 and the real kernel end that is recorded; namespace B holds either a second real
kernel end (10.99.0.2) or, for the misbehaving peers, no address at all and the scripted fake
peer of `fakepeer` (scapy on a raw socket), with a static neighbour entry in A so that
no ARP is needed. Applications are small Python programs run under ``ip netns exec``; a raw
AF_PACKET sniffer in A records A's veth into a classic pcap (no tcpdump needed). Everything is
bounded in time, and the namespaces are deleted whatever happens.

    python -m tcpspec.checks.conformance.capture SCENARIO OUT.pcap    (`make capture`)
    python -m tcpspec.checks.conformance.capture --help               (the scenarios)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tcpspec.checks.conformance.fakepeer import KERNEL_CLIENT_PORT

CLIENT_IP, SERVER_IP, PORT, CLOSED_PORT = "10.99.0.1", "10.99.0.2", 5001, 5002
SNIFF_LIMIT = 15.0  # seconds: the sniffer stops by itself after this long


class CaptureUnavailable(RuntimeError):
    """This machine cannot run the harness (not root, no ``ip``, no namespaces)."""


def unavailable_reason() -> str | None:
    """Why the harness cannot run here, or None when it can."""
    if sys.platform != "linux":
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "building network namespaces needs root"
    if shutil.which("ip") is None:
        return "the 'ip' command (iproute2) is not installed"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=10)


@dataclass(frozen=True)
class Netns:
    a: str  # 10.99.0.1: the recorded kernel end
    b: str  # 10.99.0.2: a kernel end, or the fake peer (no address)
    a_if: str
    b_if: str

    def mac(self, which: str) -> str:
        ns, ifname = (self.a, self.a_if) if which == "a" else (self.b, self.b_if)
        return str(
            json.loads(_ip("-n", ns, "-j", "link", "show", "dev", ifname).stdout)[0]["address"]
        )


@contextmanager
def namespaces(fake_peer: bool = False) -> Iterator[Netns]:
    """Two fresh namespaces joined by a veth pair; always deleted on exit. With ``fake_peer``,
    B's end has no address (its kernel stays silent) and A reaches 10.99.0.2 by a static
    neighbour entry for B's MAC address."""
    reason = unavailable_reason()
    if reason:
        raise CaptureUnavailable(reason)
    tag = uuid.uuid4().hex[:6]
    ns = Netns(f"tcpspec-a-{tag}", f"tcpspec-b-{tag}", f"tsa{tag}", f"tsb{tag}")
    try:
        _ip("netns", "add", ns.a)
        _ip("netns", "add", ns.b)
        # Create the pair inside namespace A, so no interface ever appears in ours.
        _ip(
            "-n",
            ns.a,
            "link",
            "add",
            ns.a_if,
            "type",
            "veth",
            "peer",
            "name",
            ns.b_if,
            "netns",
            ns.b,
        )
        for name, ifname, addr in ((ns.a, ns.a_if, CLIENT_IP), (ns.b, ns.b_if, SERVER_IP)):
            if not (fake_peer and name == ns.b):
                _ip("-n", name, "addr", "add", f"{addr}/24", "dev", ifname)
            _ip("-n", name, "link", "set", ifname, "up")
            _ip("-n", name, "link", "set", "lo", "up")
        if fake_peer:
            _ip(
                "-n",
                ns.a,
                "neigh",
                "replace",
                SERVER_IP,
                "lladdr",
                ns.mac("b"),
                "dev",
                ns.a_if,
                "nud",
                "permanent",
            )
        yield ns
    except subprocess.CalledProcessError as e:
        raise CaptureUnavailable(f"ip {' '.join(e.cmd[1:])} failed: {e.stderr.strip()}") from e
    finally:
        for name in (ns.a, ns.b):
            _ip("netns", "del", name, check=False)  # deleting a namespace deletes its veth end


# The programs run inside the namespaces, each bounded by socket timeouts. ``ready`` is printed
# once a listener listens. Format fields: server (10.99.0.2), port, closed, kport (A's port).
LISTEN = """
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{addr}", {port})); s.listen({backlog}); s.settimeout(8)
"""

PROGRAMS = {
    # echo-like: read the request, answer, wait for the client's FIN, close
    "normal-server": LISTEN
    + """print("ready", flush=True)
c, _ = s.accept(); c.settimeout(8)
got = b""
while len(got) < 5:
    got += c.recv(100)
c.sendall(b"world")
while c.recv(100):
    pass
c.close(); s.close()
""",
    "normal-client": """
import socket
c = socket.create_connection(("{server}", {port}), timeout=8)
c.sendall(b"hello")
got = b""
while len(got) < 5:
    got += c.recv(100)
c.close()
""",
    # half-close: read until the client's FIN, then send more data, then close
    "half-close-server": LISTEN
    + """print("ready", flush=True)
c, _ = s.accept(); c.settimeout(8)
while c.recv(100):
    pass
time.sleep(0.1)
c.sendall(b"data after your FIN")
time.sleep(0.1)
c.close(); s.close()
""",
    "half-close-client": """
import socket
c = socket.create_connection(("{server}", {port}), timeout=8)
c.sendall(b"hello")
c.shutdown(socket.SHUT_WR)
while c.recv(100):
    pass
c.close()
""",
    "refused-client": """
import socket
try:
    socket.create_connection(("{server}", {closed}), timeout=5)
except ConnectionRefusedError:
    pass
""",
    # SYN retransmission: the accept queue is full, so Linux drops the client's first SYN(s)
    "syn-retransmit-server": LISTEN
    + """
filler = socket.create_connection(("{addr}", {port}), timeout=5)
time.sleep(0.2)
print("ready", flush=True)
time.sleep(1.5)
a, _ = s.accept(); a.close(); filler.close()
c, _ = s.accept(); c.settimeout(8)
while c.recv(100):
    pass
c.close(); s.close()
""",
    "syn-retransmit-client": """
import socket
c = socket.create_connection(("{server}", {port}), timeout=8, source_address=("", 40123))
c.shutdown(socket.SHUT_WR)
while c.recv(100):
    pass
c.close()
""",
    # the kernel end facing a fake peer that connects: accept, read until EOF, close
    "accept-until-eof": LISTEN
    + """print("ready", flush=True)
c, _ = s.accept(); c.settimeout(8)
while c.recv(100):
    pass
c.close(); s.close()
""",
    # the kernel end facing a fake peer it connects to: send one byte (or not), close
    "connect-send-close": """
import socket, time
c = socket.create_connection(("{server}", {port}), timeout=8, source_address=("", {kport}))
c.sendall(b"x"); time.sleep(0.1)
c.close()
""",
    # model-based tests (mbt): open, then only wait, never send or close
    "listen-hold": LISTEN
    + """print("ready", flush=True)
try:
    c, _ = s.accept(); c.settimeout(8)
    while c.recv(100):
        pass
except OSError:
    pass
time.sleep(30)
""",
    "connect-hold": """
import socket, time
try:
    c = socket.create_connection(("{server}", {port}), timeout=8, source_address=("", {kport}))
except OSError:
    pass
time.sleep(30)
""",
    "connect-wait-close": """
import socket, time
c = socket.create_connection(("{server}", {port}), timeout=8, source_address=("", {kport}))
time.sleep(1.2)
c.close()
""",
    "connect-close": """
import socket, time
c = socket.create_connection(("{server}", {port}), timeout=8, source_address=("", {kport}))
time.sleep(0.1)
c.close()
""",
}


@dataclass(frozen=True)
class Scenario:
    """What runs where: ``listener`` (started first, in A or B), ``fake`` (the scripted peer in
    B, which then has no address), ``client`` (started last, in A)."""

    name: str
    title: str
    client: str | None = None  # program run in A once everything else is ready
    listener: str | None = None  # program that must be listening first
    listener_in_a: bool = False  # the listener runs in A (facing a fake peer that connects)
    fake: str | None = None  # a `fakepeer` script run in B
    keep_port: int | None = None  # keep only this connection (None: the only one)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "normal",
            "open, data both ways, close (two real kernels)",
            "normal-client",
            "normal-server",
        ),
        Scenario(
            "half-close",
            "the client half-closes; the server sends data after that FIN",
            "half-close-client",
            "half-close-server",
        ),
        Scenario("refused", "a SYN to a closed port is answered by RST", "refused-client"),
        Scenario(
            "syn-retransmit",
            "the SYN is retransmitted while the listener's queue is full",
            "syn-retransmit-client",
            "syn-retransmit-server",
            keep_port=40123,
        ),
        Scenario(
            "synack-retransmit",
            "the fake client never sends the handshake's last ACK: the "
            "kernel retransmits its SYN+ACK",
            listener="accept-until-eof",
            listener_in_a=True,
            fake="synack-retransmit",
        ),
        Scenario(
            "fin-retransmit",
            "the fake server retransmits its FIN into the kernel's "
            "TIME-WAIT, which acknowledges it again",
            "connect-send-close",
            fake="fin-retransmit",
        ),
        Scenario(
            "simultaneous-close",
            "the fake server's FIN crosses the kernel's: CLOSING",
            "connect-close",
            fake="simultaneous-close",
        ),
        Scenario(
            "bad-synack",
            "a SYN+ACK answering an old SYN reaches the kernel in SYN-SENT: RST, "
            "then the retransmitted SYN connects",
            "connect-close",
            fake="bad-synack",
        ),
        Scenario(
            "challenge-ack",
            "an in-window RST off RCV.NXT, then a SYN, reach the kernel in ESTABLISHED: it "
            "answers each with a challenge ACK (RFC 5961)",
            "connect-wait-close",
            fake="challenge-ack",
        ),
        Scenario(
            "simultaneous-open",
            "the kernel's SYN and the fake peer's cross",
            "connect-close",
            fake="simultaneous-open",
        ),
        Scenario(
            "simultaneous-open-fig7",
            "as simultaneous-open, but the fake peer sends no ACK "
            "after its SYN+ACK (out of scope: Linux follows RFC 9293 Figure 7)",
            "connect-close",
            fake="simultaneous-open-fig7",
        ),
    )
}

SNIFFER = """
import socket, struct, sys, time, select
ETH_P_ALL = 3
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.bind(("{ifname}", 0))
out = open("{out}", "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
print("ready", flush=True)
end = time.time() + {limit}
while time.time() < end:
    r, _, _ = select.select([s, sys.stdin], [], [], 0.05)
    if sys.stdin in r:
        break
    if s in r:
        frame = s.recv(65535)
        t = time.time()
        out.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)))
        out.write(frame)
out.close()
"""


def _py(ns: str, code: str, **fmt: object) -> subprocess.Popen[str]:
    return _run(ns, [sys.executable, "-c", code.format(**fmt)])


def _run(ns: str, argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_fake_peer(ns: Netns, script: str, *args: str) -> subprocess.Popen[str]:
    """The fake peer of `fakepeer` running ``script`` in namespace B, once it is ready."""
    cmd = [
        sys.executable,
        "-m",
        "tcpspec.checks.conformance.fakepeer",
        script,
        "--iface",
        ns.b_if,
        "--mac",
        ns.mac("b"),
        "--kernel-mac",
        ns.mac("a"),
        *args,
    ]
    p = _run(ns.b, cmd)
    try:
        _ready(p, "the fake peer")
    except CaptureUnavailable:
        p.kill()
        p.wait(timeout=5)
        raise
    return p


def _ready(p: subprocess.Popen[str], what: str) -> None:
    assert p.stdout is not None
    line = p.stdout.readline()
    if line.strip() != "ready":
        err = p.stderr.read() if p.stderr else ""
        raise CaptureUnavailable(f"{what} did not start: {err.strip() or line!r}")


def _finish(p: subprocess.Popen[str], what: str) -> None:
    _, err = p.communicate(timeout=12)
    if p.returncode:
        raise RuntimeError(f"{what} failed: {err.strip()}")


def capture(scenario: str, out: str | Path, settle: float = 0.3) -> Path:
    """Run ``scenario`` between two fresh namespaces and write what A's veth saw to ``out``."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    sc = SCENARIOS[scenario]
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = Path(tempfile.mkdtemp(prefix="tcpspec-capture-")) / "raw.pcap"
    procs: list[tuple[subprocess.Popen[str], str]] = []
    with namespaces(fake_peer=sc.fake is not None) as ns:
        fmt = dict(
            server=SERVER_IP,
            port=PORT,
            closed=CLOSED_PORT,
            kport=KERNEL_CLIENT_PORT,
            addr=CLIENT_IP if sc.listener_in_a else SERVER_IP,
            backlog=0 if scenario == "syn-retransmit" else 1,
        )
        try:
            sniffer = _py(ns.a, SNIFFER, ifname=ns.a_if, out=raw, limit=SNIFF_LIMIT)
            procs.append((sniffer, "the sniffer"))
            _ready(sniffer, "the sniffer")
            if sc.listener is not None:
                p = _py(ns.a if sc.listener_in_a else ns.b, PROGRAMS[sc.listener], **fmt)
                procs.append((p, "the listener"))
                _ready(p, "the listener")
            if sc.fake is not None:
                procs.append((start_fake_peer(ns, sc.fake), "the fake peer"))
            if sc.client is not None:
                procs.append((_py(ns.a, PROGRAMS[sc.client], **fmt), "the client"))
            for p, what in reversed(procs[1:]):
                _finish(p, what)
            time.sleep(settle)  # let the last ACK cross the wire
            sniffer.communicate(input="stop\n", timeout=5)
        finally:
            for p, _ in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=5)
    _keep(raw, out, sc.keep_port)
    return out


def _keep(raw: Path, out: Path, port: int | None) -> None:
    """Keep only the TCP frames of the scenario's connection (dropping ARP, IPv6 and fillers)."""
    from tcpspec.checks.conformance.pcap import (
        LINKTYPE_ETHERNET,
        _frames,
        _network_layer,
        _tcp_from_ipv4,
        parse,
        pcap_image,
        uses_port,
    )

    data = raw.read_bytes()
    shutil.rmtree(raw.parent)
    parse(data, str(raw))  # raises CaptureError when no TCP was seen
    frames = []
    for t, linktype, frame in _frames(data, str(raw)):
        ip = _network_layer(linktype, frame)
        seg = _tcp_from_ipv4(t, ip) if ip is not None and linktype == LINKTYPE_ETHERNET else None
        if seg is None:
            continue
        if port is not None and not uses_port((seg.src, seg.dst), port):
            continue
        frames.append((t, frame))
    out.write_bytes(pcap_image(frames))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tcpspec.checks.conformance.capture", description=__doc__.split("\n")[0]
    )
    ap.add_argument(
        "scenario",
        choices=sorted(SCENARIOS),
        help="; ".join(f"{s.name}: {s.title}" for s in SCENARIOS.values()),
    )
    ap.add_argument("out", help="the pcap file to write")
    args = ap.parse_args(argv)
    try:
        t0 = time.time()
        path = capture(args.scenario, args.out)
    except (CaptureUnavailable, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {path} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
