"""packetdrill scripts interpreted as the trace of one endpoint (the kernel under test).

`script` reads a file into typed statements; this module says what they mean for the model
endpoint, as packetdrill means them:

* a ``<`` line is a segment the environment delivers to the endpoint, a ``>`` line the next
  segment the endpoint sends (`mapping.Wire`); outbound numbers are relative to the kernel's
  ISN, as packetdrill writes them, and so are inbound acknowledgments: one consistent space;
* a system call is a user call of RFC 9293 section 3.10 on the connection's socket (found
  through the file descriptors the calls return), which takes effect where the script shows
  it: ``connect`` an active OPEN, ``listen`` a passive OPEN, ``shutdown(SHUT_WR)`` CLOSE (the
  half-close), ``close`` the full close, which is an ABORT when SO_LINGER {onoff 1, linger 0} is
  set, when received text is still unread (RFC 1122 4.2.2.13: "its TCP SHOULD send a RST to
  show that data was lost"), or on a listener whose connection was never accepted. Which rule
  cases carry out each call is read off the rule tables (`Case.call`);
* a call's recorded result is part of the trace (`RESULTS`): ``accept() = 4`` and a blocking
  ``connect() = 0`` say the connection was established, ``read() = 0`` that the peer's FIN
  arrived, ``write() = -1 EPIPE`` that sending is over, ``ECONNRESET``, ``ECONNREFUSED`` and
  ``ETIMEDOUT`` how the connection ended (the responses of sections 3.10.1 to 3.10.7). A
  blocking call (``T1...T2``) takes effect at T1 and returns at T2: its result is checked after
  the events the script shows up to T2;
* ``socket``, ``bind``, ``setsockopt``, ``poll`` and other calls change nothing the model sees;
  a call this module does not know is named in the report and skipped.

Behaviours the model leaves out (TCP Fast Open, ECN, urgent data, ICMP, other protocols, several
connections, TCP-MD5, PSP) make the script OUT OF SCOPE by name (`report.OUT`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tcpspec.checks.conformance import script as syntax
from tcpspec.checks.conformance.endpoint import (
    Call,
    EndpointReport,
    Event,
    check,
    last_outbound,
    setups,
)
from tcpspec.checks.conformance.mapping import MOD, Wire, signed
from tcpspec.checks.conformance.script import ScriptError
from tcpspec.spec.build import TCP
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.rules import Rules
from tcpspec.spec.states import FIN_RECEIVED, SYNCHRONIZED, Reason, State

__all__ = ["RESULTS", "KernelTrace", "ScriptError", "check_script", "interpret", "parse", "read"]

#: packetdrill's default tolerance for event times (--tolerance_usecs), microseconds.
TOLERANCE = 4000
SEND_CALLS = frozenset({"write", "send", "sendto", "sendmsg", "writev", "sendfile", "splice"})
RECV_CALLS = frozenset({"read", "recv", "recvfrom", "recvmsg", "readv"})
QUIET_CALLS = frozenset(
    {
        "socket", "bind", "accept", "accept4", "setsockopt", "getsockopt", "fcntl", "poll",
        "select", "ioctl", "getsockname", "getpeername", "epoll_create", "epoll_ctl",
        "epoll_wait", "usleep", "sleep", "open", "pipe", "mmap", "munmap", "madvise",
        "nanosleep", "clock_gettime", "gettimeofday", "socketpair", "dup", "dup2",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Unsupported:
    """The script shows a behaviour the model leaves out (a key of `report.OUT`)."""

    name: str
    where: str
    why: str


@dataclass
class KernelTrace:
    """A script as the kernel's trace: its events, in order, and what the setup needs."""

    events: list[Event] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    out: Unsupported | None = None  # the first out-of-scope behaviour, if any
    abort: bool = False  # some call is an ABORT
    skipped: list[str] = field(default_factory=list)  # calls not known, named and skipped
    unseen_data: int = 0  # writes after the last outbound line: text nobody saw sent
    probes: bool = False  # SO_KEEPALIVE is set, or the peer offered a zero window
    user_timeout: bool = False  # TCP_USER_TIMEOUT is set: the retransmission timer may be cut
    unchecked: list[str] = field(default_factory=list)  # results no rule says anything of


# -- what a call's result says of the endpoint (RFC 9293 3.10: the responses to user calls) --

Holds = Callable[[Endpoint], bool]


def _ended(*reasons: Reason) -> Holds:
    return lambda ep: ep.st == State.CLOSED and ep.reason in reasons


def _established(ep: Endpoint) -> bool:
    """The handshake completed (and the connection may have ended since)."""
    return ep.st in SYNCHRONIZED or _ended(Reason.RESET, Reason.NORMAL)(ep)


def _connected(ep: Endpoint) -> bool:
    """The connection is established (or closed normally since): connect() returns 0."""
    return ep.st in SYNCHRONIZED or _ended(Reason.NORMAL)(ep)


def _fin_arrived(ep: Endpoint) -> bool:
    return ep.st in FIN_RECEIVED or _ended(Reason.NORMAL)(ep)


def _can_send(ep: Endpoint) -> bool:
    return ep.st in (State.SYN_SENT, State.SYN_RECEIVED, State.ESTABLISHED, State.CLOSE_WAIT)


_RESET = _ended(Reason.RESET, Reason.REFUSED)

#: (call group, result) -> (what it says, as a predicate on the endpoint after the call).
#: The groups: "connect", "accept", "recv" (RECV_CALLS), "send" (SEND_CALLS), "any".
RESULTS: dict[tuple[str, str], tuple[str, Holds]] = {
    ("connect", "EINPROGRESS"): ("the SYN is sent (SYN-SENT)", lambda ep: ep.st == State.SYN_SENT),
    ("connect", "0"): ("the connection is established", _connected),
    ("accept", "fd"): ("a connection was established", lambda ep: _established(ep)
                       or _ended(Reason.TIMEOUT)(ep)),
    ("accept", "EAGAIN"): ("no connection is established yet",
                           lambda ep: ep.st in (State.LISTEN, State.SYN_RECEIVED)),
    ("recv", "0"): ("the peer's FIN arrived (3.10.3: \"connection closing\")", _fin_arrived),
    # once a call has reported how the connection ended, read() returns 0
    ("recv", "0 ended"): ("the peer's FIN arrived, or the connection ended",
                          lambda ep: _fin_arrived(ep) or ep.st == State.CLOSED),
    ("recv", "n"): ("text arrived", lambda ep: ep.rcvd > 0),
    ("recv beyond", "n"): ("more text was read than arrived in order", lambda ep: False),
    ("recv unread", "0"): ("no text is waiting, yet text the kernel acknowledged is unread",
                           lambda ep: False),
    ("recv unread", "EAGAIN"): ("no text is waiting, yet text the kernel acknowledged is unread",
                                lambda ep: False),
    ("recv", "EAGAIN"): ("neither text nor a FIN is waiting, the connection is not reset",
                         lambda ep: not _fin_arrived(ep) and not _RESET(ep)),
    ("send", "n"): ("the connection can send (3.10.2)", _can_send),
    ("send", "EPIPE"): ("sending is over: closed, shut down or reset",
                        lambda ep: not _can_send(ep)),
    ("any", "ECONNRESET"): ("the connection was reset (\"connection reset\")", _RESET),
    ("any", "ECONNREFUSED"): ("the connection was refused (RST in SYN-SENT)",
                              _ended(Reason.REFUSED)),
    ("any", "ETIMEDOUT"): ("retransmissions gave up (3.8.3: \"user timeout\")",
                           _ended(Reason.TIMEOUT)),
}  # fmt: skip


def _result_key(group: str, call: syntax.Syscall, ended: bool) -> tuple[str, str] | None:
    """The entry of `RESULTS` a call's recorded result selects (None: it says nothing)."""
    v = call.value
    if v is None:
        return None  # ``= ...`` or an expression
    if v < 0:
        errno = "EAGAIN" if call.errno == "EWOULDBLOCK" else call.errno
        keys = [("any", errno), (group, errno)]
    elif group == "accept":
        keys = [("accept", "fd")]
    elif group == "recv" and v == 0 and ended:
        keys = [("recv", "0 ended")]
    elif group in ("recv", "send", "recv beyond", "recv unread"):
        keys = [(group, "0" if v == 0 else "n")]
    else:
        keys = [(group, str(v))]
    return next((k for k in keys if k in RESULTS), None)


# -- interpretation ---------------------------------------------------------------------------


class _Reader:
    """The state an interpretation keeps while it reads the statements in order."""

    def __init__(self, rules: Rules) -> None:
        self.sc = KernelTrace()
        self.rules = rules
        self.fds: dict[int, str] = {}  # fd -> "socket", "listener" or "conn"
        self.linger: set[int] = set()
        self.accepted = False
        self.read_closed = False  # shutdown(SHUT_RD): read() = 0 says nothing of a FIN
        self.errored = False  # a call reported how the connection ended
        self.opened = 0  # connections opened (connect(), accept()): the model has one TCB
        self.peer_isn: int | None = None
        self.rcv_end = 0  # the end of the text that arrived in order (script numbers)
        self.read_bytes = 0
        self.acked: int | None = None  # the highest ACK the kernel sent (script numbers)
        self.wscale: dict[bool, int] = {}
        #: blocking calls' results: (the time before which it goes, 0 open / 1 close, the
        #: order it was made in, the event)
        self.pending: list[tuple[int, int, int, Call]] = []
        self.tolerance = TOLERANCE
        self.writes: list[int] = []  # where each write() on the connection stands in the events

    def mark(self, kind: str, where: str, why: str) -> None:
        if self.sc.out is None:
            self.sc.out = Unsupported(kind, where, why)

    def add(self, ev: Event, at: int | None) -> None:
        if at is not None:
            # a blocking call returns at its end time, give or take packetdrill's tolerance:
            # its result may hold from the first event of that span to the last
            due = sorted(p for p in self.pending if p[0] < at)
            self.pending = [p for p in self.pending if p[0] >= at]
            self.sc.events.extend(p[-1] for p in due)
        self.sc.events.append(ev)

    def finish(self, name: str) -> KernelTrace:
        self.sc.events.extend(p[-1] for p in sorted(self.pending))
        last = last_outbound(self.sc.events)
        self.sc.unseen_data = sum(1 for k in self.writes if k > last)
        if not self.sc.events and self.sc.out is None:
            raise ScriptError(name, None, "no event (no `<` or `>` line, no system call)")
        return self.sc

    @property
    def unread_acked(self) -> int:
        """Bytes the kernel acknowledged in order and the application has not read: a read()
        finds them (3.10.3: queued text satisfies a RECEIVE)."""
        if self.peer_isn is None or self.acked is None:
            return 0
        end = self.acked if signed(self.acked - self.rcv_end) < 0 else self.rcv_end
        return max(0, (end - self.peer_isn - 1) % MOD - self.read_bytes)

    @property
    def unread(self) -> int:
        if self.peer_isn is None:
            return 0
        return max(0, (self.rcv_end - self.peer_isn - 1) % MOD - self.read_bytes)

    # -- packets ------------------------------------------------------------------------------

    def packet(self, p: syntax.Packet) -> None:
        where = f"line {p.line}"
        if p.proto != "tcp":
            name = "icmp" if p.proto == "icmp" else "not-tcp"
            self.mark(name, where, f"a {p.proto} packet")
            return
        if re.search(r"\b(ect0|ect1|ce|ect01)\b", p.ip) or _tos_ecn(p.ip):
            self.mark("ecn", where, "an ECN codepoint on the IP header")
        if p.encap:
            self.mark("psp", where, f"an encapsulated segment (encap {p.encap})")
        if any(f in p.flags for f in "EWA") or any(c.isdigit() for c in p.flags):
            self.mark("ecn", where, "ECN flags (ECE, CWR, AE) on a TCP segment")
        if "U" in p.flags or p.urg:
            self.mark("urgent", where, "the URG flag")
        if p.options and re.search(r"\bFO|tfo", p.options, re.I):
            self.mark("fast-open", where, "a Fast Open option")
        if p.options and re.search(r"\bmd5\b", p.options):
            self.mark("tcp-md5", where, "a TCP MD5 signature option")
        syn, fin = p.has("S"), p.has("F")
        if p.inbound and p.win == 0 and not p.has("R"):
            self.sc.probes = True  # a zero window: the kernel may probe it
        if p.inbound and syn and not p.has("R"):
            self.peer_isn, self.acked = p.seq, None
            self.rcv_end = (p.seq + 1) % MOD
        elif p.inbound and p.dlen and self.peer_isn is not None:
            # text in order extends what arrived; a retransmission of text that already
            # arrived is not counted again
            start, end = p.seq, (p.seq + p.dlen) % MOD
            if signed(start - self.rcv_end) <= 0 < signed(end - self.rcv_end):
                self.rcv_end = end
        elif not p.inbound and p.has(".") and p.ack is not None and self.peer_isn is not None:
            higher = self.acked is None or signed(p.ack - self.acked) > 0
            self.acked = p.ack % MOD if higher else self.acked
        # the window scale each side announces on its SYN (RFC 7323 2.3: at most 14); the
        # kernel's later windows are scaled once both have announced one
        scale = re.search(r"wscale\s+([0-9]{1,2})\b", p.options or "")
        if syn and scale:
            self.wscale[p.inbound] = min(int(scale.group(1)), 14)
        win = p.win
        if win is not None and not p.inbound:
            if syn:
                win = None  # a SYN's window is never scaled, and says nothing of later ones
            elif True in self.wscale and False in self.wscale:
                win <<= self.wscale[False]
        self.add(
            Wire(
                inbound=p.inbound,
                syn=syn,
                ack=p.has("."),
                fin=fin,
                rst=p.has("R"),
                seq=p.seq,
                # an inbound line that writes no ack number sends 0, as packetdrill does; an
                # outbound one leaves it unchecked
                ackno=(p.ack if p.ack is not None else 0 if p.inbound else None)
                if p.has(".")
                else None,
                dlen=p.dlen,
                where=where,
                text=p.text,
                win=None if p.inbound else win,
                at=p.at if p.exact else None,
                sack=_sack(p.options or "") if p.inbound else (),
                tsval=_tsval(p.options),
            ),
            p.at,
        )

    # -- calls --------------------------------------------------------------------------------

    def syscall(self, c: syntax.Syscall) -> None:
        where = f"line {c.line}"
        fn, args, ret = c.name, c.args, c.value
        joined = ", ".join(args)
        fd = syntax.number(args[0]) if args else None
        if fn == "splice" and len(args) > 2:
            fd = syntax.number(args[2])  # splice(fd_in, off_in, fd_out, ...): the socket is fd_out
        kind = self.fds.get(fd if fd is not None else -1, "other")
        cases: frozenset[str] = frozenset()
        group = ""
        wrote: int | None = 0
        if fn == "socket":
            if ret is not None and ret >= 0:
                self.fds[ret] = "socket"
            other = ("IPPROTO_SCTP", "IPPROTO_UDP", "SOCK_DGRAM", "SOCK_SEQPACKET", "SOCK_RAW")
            if any(x in joined for x in other) or "SOCK_STREAM" not in joined:
                self.mark("not-tcp", where, "a socket that is not TCP")
            return self.quiet(c)
        if fn in ("listen", "connect") and fd is not None and self.fds.get(fd) == "socket":
            if self.opened or any(k in ("conn", "listener") for k in self.fds.values()):
                self.mark("several-connections", where, f"a second connection ({fn})")
            self.opened += 1
        if fn == "listen":
            if fd is not None:
                self.fds[fd] = "listener"
            cases = self.rules.calls("OPEN passive")
        elif fn in ("accept", "accept4"):
            # one connection to accept: once accepted, the listener's later answers (EAGAIN)
            # say nothing of it
            group = "accept" if kind == "listener" and not self.accepted else ""
            if ret is not None and ret >= 0:
                if self.accepted:
                    self.mark("several-connections", where, "a second accepted connection")
                self.accepted = True
                self.fds[ret] = "conn"
                if fd in self.linger:
                    self.linger.add(ret)  # accepted sockets inherit the listener's options
        elif fn == "connect":
            if fd is not None:
                if self.fds.get(fd) == "conn":
                    group = "connect"  # a second connect() on the socket: no new OPEN
                else:
                    self.fds[fd] = "conn"
                    cases = self.rules.calls("OPEN active")
                    group = "connect"
            if "MSG_FASTOPEN" in joined or "TCP_FASTOPEN" in joined:
                self.mark("fast-open", where, "TCP Fast Open")
        elif fn in SEND_CALLS:
            if "MSG_FASTOPEN" in joined:
                self.mark("fast-open", where, "a Fast Open sendto()")
            if "MSG_OOB" in joined:
                self.mark("urgent", where, "urgent data (MSG_OOB)")
            group = "send" if kind == "conn" else ""
            if kind == "conn" and (ret is None or ret > 0):
                self.writes.append(len(self.sc.events))
            if kind == "conn":
                wrote = None if ret is None else max(ret, 0)  # ``= ...``: not known
        elif fn in RECV_CALLS:
            if "MSG_ERRQUEUE" in joined:
                return self.quiet(c)  # the error queue (timestamps, zero-copy), not the stream
            if ret is not None and ret > 0 and "MSG_PEEK" not in joined:
                self.read_bytes += ret
            # read, recv, recvfrom: the third argument is how many bytes are asked for
            sized = fn in ("read", "recv", "recvfrom") and len(args) > 2
            asked = syntax.number(args[2]) if sized else None
            # (a read of no bytes returns 0 and says nothing)
            group = "recv" if kind == "conn" and not self.read_closed and asked != 0 else ""
            arrived = (self.rcv_end - self.peer_isn - 1) % MOD if self.peer_isn is not None else 0
            # (a blocking read returns later, once more may have arrived: not counted here)
            if (
                group
                and c.until is None
                and ret is not None
                and ret > 0
                and (self.read_bytes > arrived)
            ):
                group = "recv beyond"  # a stream delivers in order what arrived, no more
            nothing = ret == 0 or c.errno in ("EAGAIN", "EWOULDBLOCK")
            if group and c.until is None and nothing and not self.errored and self.unread_acked:
                group = "recv unread"  # what the kernel acknowledged is there to be read
        elif fn == "shutdown":
            how = args[1] if len(args) > 1 else ""
            if how in ("SHUT_WR", "SHUT_RDWR", "1", "2") and kind == "conn":
                cases = self.rules.calls("CLOSE")
            if how in ("SHUT_RD", "SHUT_RDWR", "0", "2"):
                self.read_closed = True
        elif fn == "close":
            if kind == "listener" and not self.accepted:
                cases = self.rules.calls("ABORT")  # the kernel resets the half-made child
                self.sc.abort = True
            elif kind == "conn" and (fd in self.linger or self.unread > 0):
                cases = self.rules.calls("ABORT")
                self.sc.abort = True
            elif kind == "conn":
                cases = self.rules.calls("CLOSE")
            if fd is not None:
                self.fds.pop(fd, None)
        elif fn == "setsockopt":
            if "TCP_MD5SIG" in joined or "TCP_AO" in joined:
                self.mark("tcp-md5", where, "segments signed by TCP MD5 or TCP-AO")
            if "TCP_REPAIR" in joined:
                self.mark("not-tcp", where, "a socket in repair mode (TCP_REPAIR)")
            if "TCP_FASTOPEN" in joined:
                self.mark("fast-open", where, "TCP Fast Open (setsockopt TCP_FASTOPEN)")
            if "SO_KEEPALIVE" in joined:
                self.sc.probes = True
            if "TCP_USER_TIMEOUT" in joined:
                self.sc.user_timeout = True
            if "SO_LINGER" in joined and fd is not None:
                on = re.search(r"onoff\s*=\s*(\d+)", joined)
                lin = re.search(r"linger\s*=\s*(\d+)", joined)
                if on and lin and on.group(1) != "0" and lin.group(1) == "0":
                    self.linger.add(fd)
                else:
                    self.linger.discard(fd)
            return self.quiet(c)
        elif fn.startswith("psp_"):
            self.mark("psp", where, f"PSP encryption ({fn})")
            return self.quiet(c)
        elif fn not in QUIET_CALLS:
            # named and skipped: it may have written text, so what was written is not known
            self.sc.skipped.append(f"{fn}() at {where}")
            return self.quiet(c, wrote=None)
        # the application lets go of the connection's socket (not of a listener whose
        # connection was accepted: that one lives on)
        self.record(c, where, cases, group, fn == "close" and kind == "conn", wrote)

    def quiet(self, c: syntax.Syscall, wrote: int | None = 0) -> None:
        self.add(Call(f"line {c.line}", c.text, frozenset(), at=_when(c), wrote=wrote), c.at)

    def record(
        self,
        c: syntax.Syscall,
        where: str,
        cases: frozenset[str],
        group: str,
        releases: bool,
        wrote: int | None,
    ) -> None:
        key = _result_key(group, c, self.errored) if group else None
        if group and key is None and c.errno:
            self.sc.unchecked.append(f"{c.name}() = {c.result} {c.errno} at {where}")
        if group and c.errno in ("ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE"):
            self.errored = True  # the error is reported once; later reads see the end
        says, holds = RESULTS[key] if key is not None else ("", None)
        if c.until is None:
            call = Call(where, c.text, cases, holds, says, releases, _when(c), wrote)
            self.add(call, c.at)
            if cases:
                self.sc.calls.append(call)
            return
        # a blocking call: it takes effect now and returns at its end time
        call = Call(where, c.text, cases, releases=releases, at=_when(c), wrote=wrote)
        self.add(call, c.at)
        if cases:
            self.sc.calls.append(call)
        if holds is not None:
            text = f"{c.name}() returns {c.result} {c.errno}".strip()
            for k, (kind, t) in enumerate(
                (("open", c.until - self.tolerance - 1), ("close", c.until + self.tolerance + 1))
            ):
                ret = Call(
                    where,
                    text,
                    frozenset(),
                    holds,
                    says,
                    at=c.until if c.exact else None,
                    window=kind,
                )
                self.pending.append((max(t, c.at), k, len(self.pending), ret))


def _when(c: syntax.Syscall) -> int | None:
    """When the call was made, if the script says exactly (`script.Syscall.exact`)."""
    return c.at if c.exact else None


def _tsval(options: str | None) -> int | None:
    """The TSval a line's options write (``TS val 100 ecr 0``); -1 for ``<...>`` (any options,
    a timestamp among them), None if none."""
    if options is None:
        return -1
    m = re.search(r"\bTS\s+val\s+(\d{1,10})\b", options)
    return int(m.group(1)) % MOD if m else None


def _sack(options: str) -> tuple[int, ...]:
    """The edges of a ``sack L:R ...`` option (RFC 2018), as the script writes them."""
    m = re.search(r"\bsack((?:\s+\d{1,10}:\d{1,10})+)", options)
    if m is None:
        return ()
    return tuple(int(x) for pair in m.group(1).split() for x in pair.split(":"))


def _tos_ecn(ip: str) -> bool:
    tos = re.search(r"(?:tos|class)\s+(0x[0-9a-f]+|\d+)", ip)
    return bool(tos and (syntax.number(tos.group(1)) or 0) & 3)


def interpret(typed: syntax.Script, rules: Rules = TCP) -> KernelTrace:
    """A typed script as the kernel's trace (see the module docstring)."""
    r = _Reader(rules)
    for o in typed.options:
        tolerance = syntax.number(o.value) if o.name == "tolerance_usecs" else None
        if tolerance is not None and tolerance >= 0:
            r.tolerance = tolerance
    for st in typed.events:
        if isinstance(st, syntax.Packet):
            r.packet(st)
        elif isinstance(st, syntax.Syscall):
            r.syscall(st)
    return r.finish(typed.name)


def parse(text: str, name: str = "script", rules: Rules = TCP) -> KernelTrace:
    """Read and interpret a packetdrill script given as text."""
    return interpret(syntax.parse(text, name), rules)


def read(path: str | Path, rules: Rules = TCP) -> KernelTrace:
    """Read and interpret a packetdrill script file (at most `script.MAX_BYTES`)."""
    return interpret(syntax.read(path), rules)


def check_script(sc: KernelTrace, rules: Rules = TCP) -> EndpointReport:
    """The kernel's side of a script, checked by one model endpoint (calls recorded)."""
    events = sc.events
    if sc.out is not None:
        # what comes before the first line the model leaves out is still checked: a
        # misbehaviour there is a rejection, not hidden by a later out-of-scope line
        line = int(sc.out.where.split()[-1])
        cut = next(
            (k for k, e in enumerate(sc.events) if int(e.where.split()[-1]) >= line),
            len(sc.events),
        )
        events = sc.events[:cut]  # (a blocking call returning after it is not checked either)
    rep = check(
        events,
        "kernel",
        setups(events, sc.calls, sc.abort, sc.unseen_data, sc.probes, sc.user_timeout),
        rules,
        capture=False,
    )
    if sc.out is not None and rep.status != "rejected":
        rep = EndpointReport(False, "kernel", "checked up to here", len(sc.events))
        rep.failed_at, rep.failed_segment = sc.out.where, sc.out.why
        rep.reason = (
            "the script shows a behaviour the model leaves out; what comes before it is a "
            "behaviour of the model, the rest is not checked"
        )
        rep.out_of_scope = sc.out.name
    rep.notes += [f"skipped (unknown to the model): {s}" for s in sc.skipped]
    rep.notes += [f"result not checked (no rule of 3.10 for it): {s}" for s in sc.unchecked]
    return rep
