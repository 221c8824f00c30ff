"""The model's tests, exported as packetdrill scripts anyone can run against their own stack.

For a listening and for a connecting kernel, `mbt.explore` finds every transition of the
kernel's endpoint that a scripted peer (the other endpoint and the network) can bring about, and
a shortest model run that ends with it. Each run becomes one packetdrill script: what the model
delivers to the kernel is a ``<`` line, what the kernel's endpoint sends a ``>`` line (numbers
relative to each side's ISN, as packetdrill writes them; one byte per data unit), and the
kernel application's user calls become system calls (OPEN: ``listen``/``connect``; SEND:
``write``; CLOSE: ``shutdown(SHUT_WR)``, the model's half-close; ABORT: SO_LINGER {1, 0} then
``close``). A segment the kernel sends when a timer expires is at time ``*`` (any time): the
model's clock is abstract.

Read back by `packetdrill.check_script`, every script is accepted by the model, and every mutant
whose rules differ rejects at least one of them (`tests/test_endpoint.py`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

from tcpspec.checks.conformance import mbt
from tcpspec.checks.conformance.mapping import MOD, SURELY_CLOSED
from tcpspec.spec.arrival import right_edge
from tcpspec.spec.build import TCP
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.model import CLIENT, SERVER, Bounds, Label, Side
from tcpspec.spec.scenarios import CLIENT_ISS, OLD_CLIENT_ISS, OLD_SERVER_ISS, SERVER_ISS
from tcpspec.spec.segment import Segment
from tcpspec.spec.states import OTHER_STATES

#: mbt's bounds without duplication or reordering: a third of the states (the listening kernel
#: has the same 96 transitions with reordering on).
BOUNDS = Bounds(
    capacity=2, loss=True, reorder=False, duplicates=0, data=1, msl=1, rto=1, retries=1, window=2
)

#: The kernel listens (or connects); its application sends a unit, may half-close and abort; the
#: peer may do anything a TCP of the model does (and the network loses segments).
SETUPS: dict[str, mbt.Setup] = {
    "listen": mbt.Setup(
        "listen",
        SERVER,
        Side("client", CLIENT_ISS, OLD_CLIENT_ISS, active=True, data=1, abort=True),
        Side("server", SERVER_ISS, OLD_SERVER_ISS, passive=True, data=1, abort=True, rst_ack=True),
        "",
        bounds=BOUNDS,
    ),
    "connect": mbt.Setup(
        "connect",
        CLIENT,
        Side("client", CLIENT_ISS, OLD_CLIENT_ISS, active=True, data=1, abort=True, rst_ack=True),
        Side("server", SERVER_ISS, OLD_SERVER_ISS, active=True, passive=True, data=1, abort=True),
        "",
        stale=("syn",),
        bounds=BOUNDS,
    ),
}

HEADER = {
    "listen": [
        "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
        "+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
        "+0  bind(3, ..., ...) = 0",
        "+0  listen(3, 1) = 0",
    ],
    "connect": [
        "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
        "+0  fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0",
    ],
}


@dataclass(frozen=True)
class Generated:
    """One script: its file name, what it covers, its text."""

    name: str
    setup: str
    state: str
    cases: tuple[str, ...]
    text: str


def _line(seg: Segment, inbound: bool, own: int, peer: int) -> str:
    """``< S. 0:0(0) ack 1 win 65535``: numbers relative to the sender's ISN (SEQ) and the
    receiver's (ACK); a <SEQ=0> reset from a side with no connection keeps its 0."""
    flags = "".join(
        c for c, on in (("S", seg.syn), ("F", seg.fin), ("R", seg.rst), ("P", bool(seg.dlen))) if on
    )
    flags += "." if seg.ack else ""
    seq = 0 if seg.rst and seg.ack and seg.seq == 0 else (seg.seq - own) % MOD
    text = f"{'<' if inbound else '>'} {flags or '-'} {seq}:{(seq + seg.dlen) % MOD}({seg.dlen})"
    if seg.ack:
        text += f" ack {(seg.ackno - peer) % MOD}"
    if inbound:
        text += " win 65535"
    return text


#: How far beyond RCV.NXT a segment the model finds beyond its (tiny) window is put on the wire,
#: so that it is beyond any real stack's window too (`mapping.SURELY_CLOSED`).
BEYOND = SURELY_CLOSED


def _inbound(seg: Segment, me: Endpoint, window: int) -> Segment:
    """``seg`` as the peer must send it to a real stack: a SEG.SEQ the model's endpoint ``me``
    finds beyond its window of ``window`` units is moved beyond any real window (the classes of
    `mapping`: at, in, below are kept as they are, one byte per unit)."""
    synced = me.st in OTHER_STATES  # RFC 9293 3.10.7.4's "other states": RCV.NXT is set
    if synced and seg.seq >= right_edge(me, window):
        return seg._replace(seq=seg.seq + BEYOND)
    return seg


def render(t: mbt.Test, s: mbt.Setup) -> str:
    """The packetdrill script of one generated test."""
    k = s.kernel
    kernel, peer = (s.client, s.server) if k == CLIENT else (s.server, s.client)
    listens = s.name == "listen"
    lines = [
        f"// tcpspec testgen: {t.name}",
        "// generated from the model of RFC 9293 (tcpspec); the kernel "
        + ("listens" if listens else "connects"),
        *HEADER[s.name],
    ]
    fd = 3
    accepted = False
    state = "LISTEN" if listens else "CLOSED"

    def out(seg: Segment | None, when: str = "+0") -> None:
        if seg is not None:
            lines.append(f"{when:<3} {_line(seg, False, kernel.iss, peer.iss)}")

    window = s.model().p.window
    for lab, w in zip(t.labels, t.worlds, strict=True):
        if lab.actor != k:
            continue
        case = lab.cases[0] if lab.cases else ""
        if lab.kind == "deliver" and lab.seg is not None:
            seg = _inbound(lab.seg, w.eps[k], window)
            lines.append(f"+0  {_line(seg, True, peer.iss, kernel.iss)}")
            out(lab.sent)
        elif lab.kind == "user":
            call = TCP.case(case).call  # the user call it carries out (read off the table)
            if call == "OPEN active":
                lines.append(
                    "+0  connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)"
                )
            elif call == "SEND":
                lines.append(f"+0  write({fd}, ..., 1) = 1")
            elif call == "CLOSE":
                lines.append(f"+0  shutdown({fd}, SHUT_WR) = 0")
            elif call == "ABORT":
                if accepted or not listens:
                    lines.append(
                        f"+0  setsockopt({fd}, SOL_SOCKET, SO_LINGER, {{onoff=1, linger=0}}, 8) = 0"
                    )
                lines.append(f"+0  close({fd}) = 0")
            out(lab.sent)
        elif lab.kind == "timer":
            out(lab.sent, "*")
        state = _state_after(lab, state)
        if listens and not accepted and state == "ESTABLISHED":
            lines.append("+0  accept(3, ..., ...) = 4")
            accepted, fd = True, 4
    return "\n".join(lines) + "\n"


def _state_after(lab: Label, before: str) -> str:
    """The kernel's state after ``lab``: read off the cases that fired (ESTABLISHED is all the
    script needs to know, to accept the connection)."""
    if {"ack.syn_received", "syn_sent.syn_ack"} & set(lab.cases):
        return "ESTABLISHED"
    return before


#: Mutants no script of one endpoint can catch, and why (every other mutant is caught by at least
#: one generated script: tests/test_endpoint.py).
UNOBSERVABLE: dict[str, str] = {
    "short-time-wait": "it changes only how long TIME-WAIT lasts: a script's clock is not the "
    "model's, so no script tells one MSL from two",
    "fixed-isn": "it changes only the ISN of the earlier incarnation: on the wire an ISN is the "
    "endpoint's free choice (RFC 9293 3.4.1), so one endpoint's segments cannot show it",
    "discard-data-after-fin": "it changes only what the application is given (the data is still "
    "acknowledged): the segments are the same, and read() results are not checked",
}


@functools.cache
def generate(setup: str) -> tuple[Generated, ...]:
    """Every script of one setup (``listen`` or ``connect``), in a stable order (cached: the
    model is fixed, so the scripts are too)."""
    s = SETUPS[setup]
    tests, _ = mbt.explore(s)
    out = []
    for n, t in enumerate(tests, 1):
        name = f"{setup}-{n:03d}-{t.state.lower().replace('_', '-')}.pkt"
        out.append(Generated(name, setup, t.state, t.cases, render(t, s)))
    return tuple(out)


def readme(scripts: list[Generated]) -> str:
    """What each script covers: the kernel's state, the rule cases, their RFC sections."""
    rows = [
        "# packetdrill scripts generated by `tcpspec testgen`",
        "",
        "Each script drives the kernel under test (`listen`: it listens; `connect`: it connects)",
        "into one transition of RFC 9293's endpoint, as the tcpspec model has it, by a shortest",
        "run; the `>` lines are what the model's endpoint sends. Run one with packetdrill",
        "(`packetdrill FILE.pkt`) against your stack; check one against the model with",
        "`tcpspec conform FILE.pkt`.",
        "",
        "| script | kernel state | rule cases | RFC |",
        "|---|---|---|---|",
    ]
    for g in scripts:
        rfc = ", ".join(dict.fromkeys(TCP.case(c).rfc for c in g.cases)) or "-"
        cases = ", ".join(f"`{c}`" for c in g.cases) or "(ignored)"
        rows.append(f"| `{g.name}` | {g.state} | {cases} | {rfc} |")
    return "\n".join(rows) + "\n"


def write(setups: list[str], out: Path) -> list[Generated]:
    """Write the scripts of these setups and their README into ``out``."""
    scripts = [g for s in setups for g in generate(s)]
    out.mkdir(parents=True, exist_ok=True)
    for g in scripts:
        (out / g.name).write_text(g.text)
    (out / "README.md").write_text(readme(scripts))
    return scripts


def live_tests(setup: str) -> list[mbt.Test]:
    """The generated tests the harness can run against this machine's kernel as they are: those
    in which the kernel's application only opens (the harness's programs listen, or connect,
    then wait) and no timeout Linux takes minutes to reach is on the way (`mbt.SLOW`), read as
    tests of `mbt`'s setups with the same ISNs."""
    twin = {"listen": "kernel-listens", "connect": "kernel-connects"}[setup]
    tests, _ = mbt.explore(SETUPS[setup])
    k = SETUPS[setup].kernel
    return [
        replace(t, setup=twin)
        for t in tests
        if not any(
            lab.actor == k
            and (
                (lab.kind == "user" and not set(lab.cases) <= TCP.calls("OPEN active"))
                or mbt.SLOW & set(lab.cases)  # Linux takes minutes to give up
            )
            for lab in t.labels
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the generated tests the harness can run against the local kernel (root): report
    coverage and every disagreement, as `make mbt` does."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tcpspec.checks.conformance.testgen")
    ap.add_argument("--setup", choices=sorted(SETUPS), action="append")
    args = ap.parse_args(argv)
    outcomes = []
    for s in args.setup or sorted(SETUPS):
        tests = live_tests(s)
        print(f"{s}: {len(tests)} generated tests the harness can run", flush=True)
        for t in tests:
            o = mbt.run(t)
            outcomes.append(o)
            print(f"  {o.result:<8} {t.name}" + (f": {o.detail}" if o.detail else ""), flush=True)
    n = {r: sum(o.result == r for o in outcomes) for r in ("agree", "known", "disagree", "error")}
    print(
        f"{len(outcomes)} run: {n['agree']} agree, {n['known']} known disagreements, "
        f"{n['disagree']} new disagreements, {n['error']} errors"
    )
    return 0 if n["disagree"] == n["error"] == 0 else 1


if __name__ == "__main__":
    import sys

    sys.exit(main())
