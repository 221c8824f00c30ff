"""Capture real Linux TCP connections between two network namespaces (needs root and ``ip``).

Two namespaces joined by a veth pair, with addresses only inside them (10.99.0.1 client,
10.99.0.2 server); nothing outside the namespaces is touched. A real kernel client and server
(Python sockets under ``ip netns exec``) run one scenario while a raw AF_PACKET sniffer in the
client namespace records the veth into a classic pcap (no tcpdump needed). Everything is bounded
in time, and the namespaces are deleted whatever happens.

    python -m checks.capture normal OUT.pcap      # or: half-close, refused, syn-retransmit
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    client: str
    server: str
    client_if: str
    server_if: str


@contextmanager
def namespaces() -> Iterator[Netns]:
    """Two fresh namespaces joined by a veth pair; always deleted on exit."""
    reason = unavailable_reason()
    if reason:
        raise CaptureUnavailable(reason)
    tag = uuid.uuid4().hex[:6]
    ns = Netns(f"tcpspec-c-{tag}", f"tcpspec-s-{tag}", f"tsc{tag}", f"tss{tag}")
    try:
        _ip("netns", "add", ns.client)
        _ip("netns", "add", ns.server)
        # Create the pair inside the client namespace, so no interface ever appears in ours.
        _ip(
            "-n",
            ns.client,
            "link",
            "add",
            ns.client_if,
            "type",
            "veth",
            "peer",
            "name",
            ns.server_if,
            "netns",
            ns.server,
        )
        for name, ifname, addr in (
            (ns.client, ns.client_if, CLIENT_IP),
            (ns.server, ns.server_if, SERVER_IP),
        ):
            _ip("-n", name, "addr", "add", f"{addr}/24", "dev", ifname)
            _ip("-n", name, "link", "set", ifname, "up")
            _ip("-n", name, "link", "set", "lo", "up")
        yield ns
    except subprocess.CalledProcessError as e:
        raise CaptureUnavailable(f"ip {' '.join(e.cmd[1:])} failed: {e.stderr.strip()}") from e
    finally:
        for name in (ns.client, ns.server):
            _ip("netns", "del", name, check=False)  # deleting a namespace deletes its veth end


# The programs run inside the namespaces. Each is bounded by socket timeouts.
SERVER = {
    # echo-like: read the request, answer, wait for the client's FIN, close
    "normal": """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{server}", {port})); s.listen(1); s.settimeout(8); print("ready", flush=True)
c, _ = s.accept(); c.settimeout(8)
got = b""
while len(got) < 5:
    got += c.recv(100)
c.sendall(b"world")
while c.recv(100):
    pass
c.close(); s.close()
""",
    # half-close: read until the client's FIN, then send more data, then close
    "half-close": """
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{server}", {port})); s.listen(1); s.settimeout(8); print("ready", flush=True)
c, _ = s.accept(); c.settimeout(8)
while c.recv(100):
    pass
time.sleep(0.1)
c.sendall(b"data after your FIN")
time.sleep(0.1)
c.close(); s.close()
""",
    # SYN retransmission: the accept queue is full, so Linux drops the client's first SYN(s)
    "syn-retransmit": """
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{server}", {port})); s.listen(0); s.settimeout(8)
filler = socket.create_connection(("{server}", {port}), timeout=5)
time.sleep(0.2)
print("ready", flush=True)
time.sleep(1.5)
a, _ = s.accept(); a.close(); filler.close()
c, _ = s.accept(); c.settimeout(8)
while c.recv(100):
    pass
c.close(); s.close()
""",
}

CLIENT = {
    "normal": """
import socket
c = socket.create_connection(("{server}", {port}), timeout=8)
c.sendall(b"hello")
got = b""
while len(got) < 5:
    got += c.recv(100)
c.close()
""",
    "half-close": """
import socket
c = socket.create_connection(("{server}", {port}), timeout=8)
c.sendall(b"hello")
c.shutdown(socket.SHUT_WR)
while c.recv(100):
    pass
c.close()
""",
    "refused": """
import socket
try:
    socket.create_connection(("{server}", {closed}), timeout=5)
except ConnectionRefusedError:
    pass
""",
    "syn-retransmit": """
import socket
c = socket.create_connection(("{server}", {port}), timeout=8, source_address=("", 40123))
c.shutdown(socket.SHUT_WR)
while c.recv(100):
    pass
c.close()
""",
}

#: Scenario -> the client port to keep (None: the only connection).
KEEP_PORT: dict[str, int | None] = {
    "normal": None,
    "half-close": None,
    "refused": None,
    "syn-retransmit": 40123,
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
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", code.format(**fmt)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ready(p: subprocess.Popen[str], what: str) -> None:
    assert p.stdout is not None
    line = p.stdout.readline()
    if line.strip() != "ready":
        err = p.stderr.read() if p.stderr else ""
        raise CaptureUnavailable(f"{what} did not start: {err.strip() or line!r}")


def capture(scenario: str, out: str | Path, settle: float = 0.3) -> Path:
    """Run ``scenario`` between two fresh namespaces and write what the wire saw to ``out``."""
    if scenario not in CLIENT:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(CLIENT)}")
    out = Path(out).resolve()
    raw = out.with_suffix(".raw.pcap")
    fmt = dict(server=SERVER_IP, port=PORT, closed=CLOSED_PORT)
    procs: list[subprocess.Popen[str]] = []
    with namespaces() as ns:
        try:
            sniffer = _py(ns.client, SNIFFER, ifname=ns.client_if, out=raw, limit=SNIFF_LIMIT)
            procs.append(sniffer)
            _ready(sniffer, "the sniffer")
            server = None
            if scenario in SERVER:
                server = _py(ns.server, SERVER[scenario], **fmt)
                procs.append(server)
                _ready(server, "the server")
            client = _py(ns.client, CLIENT[scenario], **fmt)
            procs.append(client)
            _, cerr = client.communicate(timeout=12)
            if client.returncode:
                raise RuntimeError(f"the client failed: {cerr.strip()}")
            if server is not None:
                _, serr = server.communicate(timeout=12)
                if server.returncode:
                    raise RuntimeError(f"the server failed: {serr.strip()}")
            time.sleep(settle)  # let the last ACK cross the wire
            sniffer.communicate(input="stop\n", timeout=5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=5)
    _keep(raw, out, KEEP_PORT[scenario])
    return out


def _keep(raw: Path, out: Path, port: int | None) -> None:
    """Keep only the TCP frames of the scenario's connection (dropping ARP, IPv6 and fillers)."""
    from checks.pcap import LINKTYPE_ETHERNET, _network_layer, _tcp_from_ipv4, parse, pcap_image

    data = raw.read_bytes()
    raw.unlink()
    parse(data, str(raw))  # raises CaptureError when no TCP was seen
    frames = []
    pos = 24
    while pos + 16 <= len(data):
        sec, usec, incl, _ = __import__("struct").unpack("<IIII", data[pos : pos + 16])
        frame = data[pos + 16 : pos + 16 + incl]
        pos += 16 + incl
        ip = _network_layer(LINKTYPE_ETHERNET, frame)
        seg = _tcp_from_ipv4(0.0, ip) if ip is not None else None
        if seg is None:
            continue
        if port is not None and not (seg.src.endswith(f":{port}") or seg.dst.endswith(f":{port}")):
            continue
        frames.append((sec + usec / 1e6, frame))
    out.write_bytes(pcap_image(frames))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m checks.capture", description=__doc__.split("\n")[0]
    )
    ap.add_argument("scenario", choices=sorted(CLIENT))
    ap.add_argument("out", help="the pcap file to write")
    args = ap.parse_args(argv)
    try:
        t0 = time.time()
        path = capture(args.scenario, args.out)
    except CaptureUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {path} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
