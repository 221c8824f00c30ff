"""Model-based tests: segment scripts generated from the model, run against the Linux kernel.

The kernel plays one endpoint of the model; the scripted fake peer (`fakepeer`) plays
the other endpoint *and* the network. From the model's state graph we take, for every
transition of the kernel's endpoint that the peer can bring about (a rule case firing in a
state: ``(SYN-RECEIVED, rst.syn_received_passive)``, ...), a shortest run that ends with it.
That run becomes a script: each segment delivered to the kernel is sent by the fake peer, each
segment the kernel's endpoint emits is expected from the kernel, in order (what the network
loses, reorders or duplicates is simply what the peer chooses to send). The script is then run
in fresh namespaces and the kernel either agrees (sends exactly what the model's endpoint
emits) or the first disagreement is reported.

Timeouts the kernel takes minutes to reach (TIME-WAIT, giving up after retransmissions) are
left out; so are user calls the kernel's application does not make (it opens and then only
waits: it never sends or closes, so the peer drives every transition).

    python -m tcpspec.checks.conformance.mbt [--json FILE]        (root; `make mbt`)
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tcpspec.spec.build import TCP
from tcpspec.spec.model import CLIENT, SERVER, Bounds, Label, Model, Side, World
from tcpspec.spec.scenarios import CLIENT_ISS, OLD_CLIENT_ISS, OLD_SERVER_ISS, SERVER_ISS
from tcpspec.spec.segment import Segment

#: Kernel timeouts that take Linux minutes (or that its application never lets happen).
SLOW = frozenset(
    {
        "timer.time_wait_expired",
        "timer.fin_wait_2_expired",
        "timer.give_up",
        "timer.give_up_half_open",
    }
)
BOUNDS = Bounds(
    capacity=2, loss=True, reorder=True, duplicates=1, data=1, msl=1, rto=1, retries=1, window=2
)
MAX_STATES = 400_000


@dataclass(frozen=True)
class Setup:
    """Which endpoint the kernel plays, what each application does, what is in flight."""

    name: str
    kernel: int  # CLIENT or SERVER
    client: Side
    server: Side
    program: str  # the kernel's application (a key of `capture.PROGRAMS`)
    stale: tuple[str, ...] = ()
    bounds: Bounds = BOUNDS

    def model(self) -> Model:
        return Model((self.client, self.server), self.bounds, TCP, stale=self.stale)


def _side(name: str, iss: int, old: int, **kw: Any) -> Side:
    return Side(name, iss, old, **kw)


SETUPS: dict[str, Setup] = {
    s.name: s
    for s in (
        # the kernel listens and then only waits; the peer connects, may send, close or abort
        Setup(
            "kernel-listens",
            SERVER,
            _side("client", CLIENT_ISS, OLD_CLIENT_ISS, active=True, data=1, abort=True),
            _side("server", SERVER_ISS, OLD_SERVER_ISS, passive=True, closes=False),
            "listen-hold",
        ),
        # the kernel connects and then only waits; the peer listens or opens too, may send, close
        # or abort, and may answer an old SYN of an earlier incarnation
        Setup(
            "kernel-connects",
            CLIENT,
            _side("client", CLIENT_ISS, OLD_CLIENT_ISS, active=True, closes=False),
            _side(
                "server", SERVER_ISS, OLD_SERVER_ISS, active=True, passive=True, data=1, abort=True
            ),
            "connect-hold",
            stale=("syn",),
        ),
    )
}


@dataclass(frozen=True)
class Test:
    """One generated test: the kernel transition it is for, and the run that reaches it."""

    setup: str
    state: str  # the kernel endpoint's state before the transition
    cases: tuple[str, ...]  # the rule cases that fire
    labels: tuple[Label, ...]  # the model run, ending with the transition
    worlds: tuple[World, ...] = ()  # the state before each step of ``labels``

    @property
    def name(self) -> str:
        return f"{self.state}: {', '.join(self.cases) or '(no case fires: ignored)'}"

    def script(self) -> list[dict[str, Any]]:
        """What the fake peer sends and expects, numbers relative to each side's ISN."""
        s = SETUPS[self.setup]
        k = s.kernel
        iss = {
            k: (s.client if k == CLIENT else s.server).iss,
            1 - k: (s.server if k == CLIENT else s.client).iss,
        }
        steps: list[dict[str, Any]] = []
        for lab in self.labels:
            if lab.actor != k:
                continue
            if lab.kind == "deliver" and lab.seg is not None:
                steps.append({"send": _wire(lab.seg, iss[1 - k], iss[k])})
            if lab.sent is not None:
                steps.append({"expect": _wire(lab.sent, iss[k], iss[1 - k])})
        return steps


def _wire(seg: Segment, own: int, peer: int) -> list[Any]:
    """[flags, seq, ack, len]: ``seq`` relative to the sender's ISN (or ["abs", 0] for the
    <SEQ=0> of a RST from a side with no connection), ``ack`` relative to the receiver's."""
    flags = "".join(
        c for c, on in (("S", seg.syn), ("F", seg.fin), ("R", seg.rst), ("A", seg.ack)) if on
    )
    seq: Any = ["abs", 0] if seg.rst and seg.ack and seg.seq == 0 else seg.seq - own
    return [flags, seq, seg.ackno - peer if seg.ack else None, seg.dlen]


@functools.cache
def generate(setup: str) -> tuple[list[Test], int]:
    """A shortest test for every kernel transition of the setup's model; and its state count.
    (Cached: the model is fixed, so the tests are too.)"""
    return explore(SETUPS[setup])


def explore(s: Setup) -> tuple[list[Test], int]:
    """A shortest run for every transition of the kernel's endpoint in the model of ``s``."""
    setup = s.name
    m = s.model()
    start = m.initial()
    parent: dict[World, tuple[World, Label] | None] = {start: None}
    queue: deque[World] = deque([start])
    found: dict[tuple[str, tuple[str, ...]], tuple[World, Label]] = {}
    while queue:
        w = queue.popleft()
        for label, w2 in m.successors(w):
            if (
                label.actor == s.kernel
                and label.kind in ("deliver", "user", "timer")
                and not SLOW & set(label.cases)
            ):
                key = (w.eps[s.kernel].st.name, label.cases)
                found.setdefault(key, (w, label))
            if w2 not in parent:
                if len(parent) >= MAX_STATES:
                    raise RuntimeError(f"more than {MAX_STATES} states in setup {setup}")
                parent[w2] = (w, label)
                queue.append(w2)
    tests = []
    for (state, cases), (w, last) in sorted(found.items()):
        labels, worlds = [last], [w]
        p = parent[w]
        while p is not None:
            labels.append(p[1])
            worlds.append(p[0])
            p = parent[p[0]]
        labels.reverse()
        worlds.reverse()
        tests.append(Test(setup, state, cases, tuple(labels), tuple(worlds)))
    return tests, len(parent)


#: Disagreements that are understood: each says whose behaviour differs and why. Anything else
#: the kernel does differently is a finding to look at (`make mbt` fails on it).
KNOWN: dict[tuple[str, str], str] = {
    (
        "kernel-listens",
        "CLOSED: closed.reset_ack",
    ): "model abstraction: the model's passive endpoint is one connection, CLOSED once it is "
    "reset; Linux's listening socket is a TCB of its own that keeps listening, so a new "
    "SYN gets a SYN+ACK, not <SEQ=0><CTL=RST,ACK>",
    (
        "kernel-listens",
        "SYN_RECEIVED: seq.unacceptable",
    ): "Linux departs from the text: a duplicate SYN in SYN-RECEIVED is answered with the "
    "SYN+ACK again (tcp_check_req), where RFC 9293 3.10.7.4 finds it unacceptable and sends "
    "an ACK; conform reads that SYN+ACK as a retransmission by the timer",
}


@dataclass
class Outcome:
    test: str
    setup: str
    result: str  # "agree", "known" (a KNOWN disagreement), "disagree", "error"
    detail: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)


def run(t: Test) -> Outcome:
    """Run one generated test in fresh namespaces: the kernel's application in A, the fake
    peer replaying the script in B."""
    from tcpspec.checks.conformance import capture
    from tcpspec.checks.conformance.fakepeer import DISAGREE, KERNEL_CLIENT_PORT, PEER_PORT

    s = SETUPS[t.setup]
    steps = t.script()
    out = Outcome(t.name, t.setup, "error", steps=steps)
    with tempfile.TemporaryDirectory(prefix="tcpspec-mbt-") as tmp:
        script = Path(tmp) / "steps.json"
        script.write_text(json.dumps(steps))
        procs = []
        try:
            with capture.namespaces(fake_peer=True) as ns:
                fmt = dict(
                    server=capture.SERVER_IP,
                    port=PEER_PORT,
                    kport=KERNEL_CLIENT_PORT,
                    addr=capture.CLIENT_IP,
                    backlog=4,
                )
                app = capture.PROGRAMS[s.program]
                if s.kernel == SERVER:
                    procs.append(capture._py(ns.a, app, **fmt))
                    capture._ready(procs[-1], "the kernel's application")
                role = "replay-connects" if s.kernel == SERVER else "replay"
                fake = capture.start_fake_peer(ns, role, "--steps", str(script))
                procs.append(fake)
                if s.kernel == CLIENT:
                    procs.append(capture._py(ns.a, app, **fmt))
                _, stderr = fake.communicate(timeout=20)
                if fake.returncode == 0:
                    out.result = "agree"
                elif fake.returncode == DISAGREE:
                    known = KNOWN.get((t.setup, t.name))
                    out.result = "known" if known else "disagree"
                    out.detail = stderr.strip().splitlines()[-1] + (f" [{known}]" if known else "")
                else:
                    out.detail = stderr.strip()[-300:]
        except capture.CaptureUnavailable as e:
            out.detail = str(e)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=5)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tcpspec.checks.conformance.mbt", description=__doc__.split("\n")[0]
    )
    ap.add_argument(
        "--setup", choices=sorted(SETUPS), action="append", help="only this setup (default: all)"
    )
    ap.add_argument("--json", type=Path, help="write the outcomes to this file")
    ap.add_argument("--list", action="store_true", help="only generate and list the tests")
    ap.add_argument("--only", help="only the tests whose name contains this text")
    args = ap.parse_args(argv)
    outcomes: list[Outcome] = []
    for name in args.setup or sorted(SETUPS):
        tests, states = generate(name)
        print(
            f"{name}: {len(tests)} kernel transitions reachable by the peer ({states} model states)"
        )
        for t in tests:
            if args.only and args.only not in t.name:
                continue
            if args.list:
                print(f"  {t.name}: {len(t.script())} steps")
                continue
            t0 = time.time()
            o = run(t)
            outcomes.append(o)
            print(
                f"  {o.result:<8} {t.name} ({time.time() - t0:.1f}s)"
                + (f": {o.detail}" if o.detail else ""),
                flush=True,
            )
    if outcomes:
        n = {
            r: sum(o.result == r for o in outcomes) for r in ("agree", "known", "disagree", "error")
        }
        print(
            f"coverage: {n['agree'] + n['known']} of {len(outcomes)} kernel transitions "
            f"exercised: {n['agree']} agree, {n['known']} known disagreements, "
            f"{n['disagree']} new disagreements, {n['error']} errors"
        )
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=2) + "\n")
    return 0 if all(o.result in ("agree", "known") for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
