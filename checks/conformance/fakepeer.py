"""A scripted, misbehaving TCP peer on a raw socket (scapy), for the capture harness.

It runs inside its own network namespace whose veth end has no IP address, so that namespace's
kernel never answers the segments meant for the peer: only this script does. Each script is a
fixed exchange with the real kernel on the other end of the veth (10.99.0.1), written as
``send`` and ``expect`` steps; sequence numbers are relative to each side's ISN, as in RFC 9293's
figures. Every wait is bounded; a script that does not see what it expects stops with an error.

    ip netns exec NS python -m tcpspec.checks.conformance.fakepeer SCRIPT \
        --iface IF --mac MAC --kernel-mac MAC
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tcpspec.checks.conformance.mapping import MOD

KERNEL_IP, PEER_IP = "10.99.0.1", "10.99.0.2"
KERNEL_PORT, PEER_PORT = 5001, 5001  # the kernel listens on / connects to this port
PEER_CLIENT_PORT = 40200  # the peer's port when it is the one that connects
KERNEL_CLIENT_PORT = 40100  # the kernel's port when it connects to the peer
#: The peer's ISN: near the top of the sequence space, so every capture crosses 2**32.
PEER_ISN = 0xFFFFFF00
#: How far behind the kernel's ISN the bad SYN+ACK acknowledges: as if it answered an old SYN
#: of an earlier incarnation (RFC 9293 section 3.5, Figure 9).
OLD_SYN_BEHIND = 100_000
#: Linux answers at most one out-of-window segment (or challenge) per connection per
#: tcp_invalid_ratelimit (500 ms): segments that must each be answered are spaced wider.
OOW_GAP = 0.6
ETH_P_ALL = 3


class ScriptFailed(RuntimeError):
    """The kernel did not send what the script expected (the message says what came)."""


@dataclass(frozen=True)
class Seen:
    """A segment the kernel sent: flags as letters (``SA``, ``FA``...), raw numbers, length."""

    flags: str
    seq: int
    ack: int
    dlen: int


def letters(flags: Any) -> str:
    """The control bits that matter here, in a fixed order (PSH, ECE, CWR... ignored)."""
    f = int(flags)
    return "".join(c for c, bit in (("S", 0x02), ("F", 0x01), ("R", 0x04), ("A", 0x10)) if f & bit)


class Peer:
    """One end of one connection, driven by a script, talking to the kernel over a veth."""

    def __init__(
        self, iface: str, mac: str, kernel_mac: str, sport: int, dport: int, deadline: float
    ) -> None:
        # A plain packet socket; scapy builds and parses the frames.
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((iface, 0))
        self.mac, self.kernel_mac = mac, kernel_mac
        self.sport, self.dport = sport, dport
        self.deadline = deadline
        self.kernel_isn: int | None = None

    def close(self) -> None:
        self.sock.close()

    def send(
        self,
        flags: str,
        seq: int,
        ack: int | None = None,
        data: bytes = b"",
        raw_ack: int | None = None,
    ) -> None:
        """Send one segment: ``seq`` relative to our ISN, ``ack`` relative to the kernel's ISN
        (or ``raw_ack`` as it is). The ACK flag is in ``flags`` when wanted."""
        from scapy.layers.inet import IP, TCP
        from scapy.layers.l2 import Ether

        if raw_ack is None:
            raw_ack = 0 if ack is None else (self.isn_of_kernel() + ack) % MOD
        bits = "".join({"S": "S", "F": "F", "R": "R", "A": "A"}[c] for c in flags)
        if data:
            bits += "P"
        pkt = (
            Ether(src=self.mac, dst=self.kernel_mac)
            / IP(src=PEER_IP, dst=KERNEL_IP)
            / TCP(
                sport=self.sport,
                dport=self.dport,
                flags=bits,
                seq=(PEER_ISN + seq) % MOD,
                ack=raw_ack,
                window=65535,
            )
        )
        if data:
            pkt = pkt / data
        self.sock.send(bytes(pkt))

    def isn_of_kernel(self) -> int:
        if self.kernel_isn is None:
            raise ScriptFailed("the script acknowledges the kernel before it sent a SYN")
        return self.kernel_isn

    def expect(self, flags: str, timeout: float = 3.0) -> Seen:
        """Wait for the next segment of this connection from the kernel with exactly these
        control bits (others are skipped; ``*``: any); remember the kernel's ISN from its
        SYN."""
        from scapy.layers.inet import IP, TCP
        from scapy.layers.l2 import Ether

        end = min(time.monotonic() + timeout, self.deadline)
        skipped: list[str] = []
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise ScriptFailed(
                    f"expected {flags} from the kernel; got " + (", ".join(skipped) or "nothing")
                )
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            frame, addr = self.sock.recvfrom(65535)
            if addr[2] == socket.PACKET_OUTGOING:
                continue  # our own segment
            pkt = Ether(frame)
            if IP not in pkt or TCP not in pkt:
                continue
            ip, tcp = pkt[IP], pkt[TCP]
            if (ip.src, ip.dst, tcp.sport, tcp.dport) != (
                KERNEL_IP,
                PEER_IP,
                self.dport,
                self.sport,
            ):
                continue
            got = Seen(letters(tcp.flags), tcp.seq, tcp.ack, len(bytes(tcp.payload)))
            if "S" in got.flags:
                self.kernel_isn = got.seq
            if flags == "*" or sorted(got.flags) == sorted(flags):
                return got
            skipped.append(got.flags)

    def rel(self, seen: Seen) -> int:
        """The kernel's sequence number relative to its ISN."""
        return (seen.seq - self.isn_of_kernel()) % MOD

    def end_of(self, seen: Seen) -> int:
        """The kernel's relative sequence number just after ``seen`` (SEG.SEQ + SEG.LEN)."""
        return self.rel(seen) + seen.dlen + ("S" in seen.flags) + ("F" in seen.flags)


# ---------------------------------------------------------------------------------------------
# Scripts. Each takes the peer and returns when the exchange is complete.
# ---------------------------------------------------------------------------------------------


def _passive_close(p: Peer, ours: int) -> None:
    """The kernel has closed: acknowledge its FIN, send ours, wait for its last ACK."""
    fin = p.expect("FA")
    p.send("A", ours, p.end_of(fin))
    p.send("FA", ours, p.end_of(fin))
    p.expect("A")


def synack_retransmit(p: Peer) -> None:
    """We connect but hold back the final ACK of the handshake: the kernel's SYN+ACK is
    retransmitted (RFC 9293 section 3.8.1); then we complete, and close first."""
    p.send("S", 0)
    first = p.expect("SA")
    p.expect("SA")  # the retransmission (Linux: after about one second)
    p.send("A", 1, p.end_of(first))
    p.send("FA", 1, p.end_of(first))
    fin = p.expect("FA")  # its application closes too (an ACK of our FIN may come first)
    p.send("A", 2, p.end_of(fin))


def _accept(p: Peer) -> Seen:
    """Answer the kernel's SYN and wait for the handshake's last ACK; return the kernel's SYN."""
    syn = p.expect("S")
    p.send("SA", 0, 1)
    p.expect("A")
    return syn


def fin_retransmit(p: Peer) -> None:
    """The kernel closes first and reaches TIME-WAIT; we retransmit our FIN twice, as if its
    ACK had been lost: each time TIME-WAIT acknowledges it again (RFC 9293 section 3.10.7.4)."""
    _accept(p)
    data = p.expect("A")  # the kernel's one byte of text
    p.send("A", 1, p.end_of(data))
    fin = p.expect("FA")
    p.send("A", 1, p.end_of(fin))
    for _ in range(3):
        p.send("FA", 1, p.end_of(fin))
        p.expect("A")
        time.sleep(OOW_GAP)


def simultaneous_close(p: Peer) -> None:
    """Our FIN crosses the kernel's: it acknowledges nothing new, so the kernel goes from
    FIN-WAIT-1 to CLOSING and only our later ACK takes it to TIME-WAIT (RFC 9293 Figure 13)."""
    _accept(p)
    fin = p.expect("FA")
    p.send("FA", 1, p.rel(fin))  # sent "before" the kernel's FIN arrived
    p.expect("A")  # the kernel, now CLOSING, acknowledges our FIN
    p.send("A", 2, p.end_of(fin))


def challenge_ack(p: Peer) -> None:
    """An in-window RST that is not at RCV.NXT, then a SYN, in ESTABLISHED: the kernel answers
    each with a challenge ACK and keeps the connection (RFC 5961 sections 3.2, 4.2; RFC 9293
    section 3.10.7.4); then it closes."""
    _accept(p)
    p.send("R", 2)  # RCV.NXT is 1: in the window, not exact
    p.expect("A")
    time.sleep(OOW_GAP)
    p.send("S", 0)
    p.expect("A")
    _passive_close(p, 1)


def bad_synack(p: Peer) -> None:
    """Our first SYN+ACK acknowledges a number behind the kernel's ISN (it answers an old SYN):
    the kernel in SYN-SENT resets it (RFC 9293 section 3.10.7.3, Figure 9) and retransmits its
    SYN, which we then answer properly; the kernel then closes."""
    syn = p.expect("S")
    p.send("SA", 0, raw_ack=(syn.seq + 1 - OLD_SYN_BEHIND) % MOD)
    p.expect("R")
    p.expect("S")  # the retransmitted SYN
    p.send("SA", 0, 1)
    p.expect("A")
    _passive_close(p, 1)


def simultaneous_open(p: Peer) -> None:
    """The kernel's SYN and ours cross (RFC 9293 Figure 7): each side answers the other's SYN
    with a SYN+ACK. We then do what section 3.10.7.4 asks of SYN-RECEIVED on the kernel's
    SYN+ACK (it is not acceptable: acknowledge it); then the kernel closes."""
    p.expect("S")
    p.send("S", 0)
    p.expect("SA")
    p.send("SA", 0, 1)
    p.expect("A")
    p.send("A", 1, 1)
    _passive_close(p, 1)


def simultaneous_open_fig7(p: Peer) -> None:
    """As `simultaneous_open`, but we send no ACK after our SYN+ACK: Linux, following Figure 7,
    is ESTABLISHED on our SYN+ACK alone, where the model's SYN-RECEIVED still waits for an ACK
    (`conform` names this out-of-scope behaviour)."""
    p.expect("S")
    p.send("S", 0)
    p.expect("SA")
    p.send("SA", 0, 1)
    _passive_close(p, 1)


#: Before the kernel has sent its SYN, numbers relative to its ISN are taken from this base.
KERNEL_GUESS = 0x10000000
#: Exit status when the kernel did not send what the script expected (1 is left to crashes).
DISAGREE = 3


def replay(p: Peer, steps: list[dict[str, Any]]) -> None:
    """Run a script generated from the model (`mbt`): send what it sends, and check that
    the kernel sends exactly what it expects, in order. A repeat of a segment the kernel sent
    before is skipped (its retransmission timer may fire while we wait)."""
    earlier: set[Seen] = set()
    for k, step in enumerate(steps):
        base = KERNEL_GUESS if p.kernel_isn is None else p.kernel_isn
        if "send" in step:
            flags, seq, ack, n = step["send"]
            raw = 0 if ack is None else (base + ack) % MOD
            if isinstance(seq, list):  # <SEQ=0>: as it is, not relative to our ISN
                seq = (seq[1] - PEER_ISN) % MOD
            p.send(flags, seq, raw_ack=raw, data=b"x" * n)
            continue
        flags, seq, ack, n = step["expect"]
        repeats: list[list[Any]] = []
        while True:
            try:
                got = p.expect("*", timeout=2.5)
            except ScriptFailed:
                sent = f"only repeats of earlier segments: {repeats}" if repeats else "nothing"
                raise ScriptFailed(
                    f"step {k}: the model's endpoint sends {step['expect']}, the kernel sent {sent}"
                ) from None
            base = KERNEL_GUESS if p.kernel_isn is None else p.kernel_isn
            want_seq = 0 if isinstance(seq, list) else (base + seq) % MOD
            ok = (
                sorted(got.flags) == sorted(flags)
                and got.seq == want_seq
                and got.dlen == n
                and (ack is None or got.ack == (PEER_ISN + ack) % MOD)
            )
            have = [
                got.flags,
                (got.seq - base) % MOD,
                (got.ack - PEER_ISN) % MOD if "A" in got.flags else None,
                got.dlen,
            ]
            if ok or got not in earlier:
                break
            repeats.append(have)
        earlier.add(got)
        if not ok:
            raise ScriptFailed(
                f"step {k}: the model's endpoint sends {step['expect']}, the "
                f"kernel sent {have} (relative numbers)"
            )


@dataclass(frozen=True)
class Script:
    run: Callable[[Peer], None]
    peer_connects: bool  # the peer opens (the kernel listens) rather than the kernel


SCRIPTS: dict[str, Script] = {
    "synack-retransmit": Script(synack_retransmit, True),
    "fin-retransmit": Script(fin_retransmit, False),
    "simultaneous-close": Script(simultaneous_close, False),
    "bad-synack": Script(bad_synack, False),
    "challenge-ack": Script(challenge_ack, False),
    "simultaneous-open": Script(simultaneous_open, False),
    "simultaneous-open-fig7": Script(simultaneous_open_fig7, False),
    # scripts generated by mbt (--steps FILE): the kernel connects, or we do
    "replay": Script(lambda p: None, False),
    "replay-connects": Script(lambda p: None, True),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tcpspec.checks.conformance.fakepeer", description=__doc__.split("\n")[0]
    )
    ap.add_argument("script", choices=sorted(SCRIPTS))
    ap.add_argument("--iface", required=True)
    ap.add_argument("--mac", required=True, help="our veth end's MAC address")
    ap.add_argument("--kernel-mac", required=True)
    ap.add_argument("--limit", type=float, default=8.0, help="seconds the whole script may take")
    ap.add_argument("--steps", type=Path, help="for replay: the JSON script of mbt")
    args = ap.parse_args(argv)
    script = SCRIPTS[args.script]
    sport, dport = (
        (PEER_CLIENT_PORT, KERNEL_PORT) if script.peer_connects else (PEER_PORT, KERNEL_CLIENT_PORT)
    )
    import scapy.layers.inet  # noqa: F401  (imported before "ready": it takes a while)

    peer = Peer(args.iface, args.mac, args.kernel_mac, sport, dport, time.monotonic() + args.limit)
    print("ready", flush=True)
    try:
        if args.script.startswith("replay"):
            replay(peer, json.loads(args.steps.read_text()))
        else:
            script.run(peer)
    except ScriptFailed as e:
        print(f"fake peer ({args.script}): {e}", file=sys.stderr)
        return DISAGREE
    finally:
        peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
