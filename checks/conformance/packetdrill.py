"""packetdrill scripts as traces of one endpoint (the kernel under test).

A packetdrill script (google/packetdrill, Syntax.md) interleaves system calls of the kernel's
application with the segments a scripted peer injects (``<``) and the segments the kernel must
send (``>``). This module reads the subset that opening and closing need:

* times: absolute ``0.1``, relative ``+0.1``, any ``*``, ranges ``~`` (all only ordered: the
  model's clock is abstract); ``--option=value`` lines, backquoted shell commands, ``%{ }%``
  blocks, ``//`` and ``/* */`` comments are read past;
* TCP lines: flags ``S F R P . U E W -``, ``start:end(len)``, ``ack N``, ``win N``, ``<options>``
  (read; only ``wscale`` and Fast Open are used); outbound numbers are relative to the kernel's
  ISN, as packetdrill writes them, and so are inbound acknowledgments: one consistent space;
* system calls, as user calls of RFC 9293 3.10 (through the file descriptors they return):
  ``connect`` an active OPEN, ``listen`` a passive OPEN, ``write``/``send*`` SEND, ``read``/
  ``recv*`` RECEIVE, ``shutdown(SHUT_WR)`` CLOSE (the half-close), ``close`` the full close,
  which is an ABORT when SO_LINGER {onoff 1, linger 0} is set, when received text is still
  unread (RFC 1122 4.2.2.13: "its TCP SHOULD send a RST to show that data was lost"), or on a
  listener whose connection was never accepted (the kernel resets it); ``socket``, ``bind``,
  ``accept``, ``setsockopt``, ``getsockopt``, ``fcntl``, ``poll`` and the like change nothing the
  model sees.

Anything else is a `ScriptError` naming the line; TCP Fast Open, ECN, urgent data, ICMP and UDP
are `OutOfScope` by name (the catalogue `conform.OUT`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tcpspec.checks.conformance.endpoint import Call, EndpointReport, Event, check, setups
from tcpspec.checks.conformance.mapping import Wire
from tcpspec.spec.build import TCP
from tcpspec.spec.rules import Rules

OPEN_ACTIVE = frozenset({"user.open_active"})
OPEN_PASSIVE = frozenset({"user.open_passive"})
#: close(), the full close (3.10.4): a FIN after the queued text; in LISTEN and SYN-SENT it
#: deletes the TCB, in SYN-RECEIVED it sends a FIN.
CLOSE = frozenset(
    {
        "user.close",
        "user.close_close_wait",
        "user.close_listen",
        "user.close_syn_sent",
        "user.close_syn_received",
    }
)
HALF_CLOSE = frozenset({"user.close", "user.close_close_wait"})
ABORT = frozenset({"user.abort_reset", "user.abort_reset_ack", "user.abort_quiet"})

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


class ScriptError(ValueError):
    """A script this reader cannot use (the message names the line)."""


@dataclass(frozen=True)
class Unsupported:
    """The script shows a behaviour the model leaves out (a key of `conform.OUT`)."""

    name: str
    where: str
    why: str


@dataclass
class Script:
    events: list[Event] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    out: Unsupported | None = None  # the first out-of-scope behaviour, if any
    abort: bool = False  # some call is an ABORT
    full_close: bool = False  # the connection is closed by close()
    half_closed: bool = False  # ... after shutdown(SHUT_WR): text may arrive in between


# a time: ``0``, ``+.1``, ``*``, ``~+0.1``, ``0.1~0.2``, ``+0...0.2`` (a blocking call's span)
_TIME = re.compile(r"^([*~+\-.\d]*\d[*~+\-.\d]*|\*)\s+(.*)$", re.S)
_SEQ = re.compile(r"^(\d+):(\d+)\((\d+)\)$")
_CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*=\s*(.*)$", re.S)
_FLAGS = re.compile(r"^[SFRPUEW.\-]+$")


def _strip_comments(text: str) -> str:
    """Remove ``/* */`` (keeping line breaks, so line numbers stay) and ``//`` comments."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return "\n".join(re.sub(r"(^|\s)//.*$", "", line) for line in text.split("\n"))


def _statements(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each statement: a call may span lines until its brackets
    close; shell commands and ``%{ }%`` blocks are one statement each."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    depth = 0
    python = False
    for n, line in enumerate(_strip_comments(text).split("\n"), 1):
        if python:
            python = "}%" not in line
            continue
        s = line.strip()
        if not buf:
            if not s:
                continue
            if "%{" in s and "}%" not in s:
                python = True
                continue
            start = n
        buf.append(s)
        depth += sum(s.count(c) for c in "([{") - sum(s.count(c) for c in ")]}")
        if s.count("`") % 2:
            depth += 1 if "`" not in "".join(buf[:-1]) else -1
        if depth <= 0:
            out.append((start, " ".join(buf)))
            buf, depth = [], 0
    if buf:
        raise ScriptError(f"line {start}: unterminated statement: {buf[0][:40]}")
    return out


def parse(text: str, name: str = "script") -> Script:
    """Read a packetdrill script into the endpoint's events (see the module docstring)."""
    sc = Script()
    fds: dict[int, str] = {}  # fd -> "socket", "listener" or "conn"
    linger: set[int] = set()
    accepted = False
    half_closed = False
    unread = 0  # bytes of text delivered to the kernel and not yet read by the application
    wscale: dict[str, int] = {}

    def mark(kind: str, where: str, why: str) -> None:
        if sc.out is None:
            sc.out = Unsupported(kind, where, why)

    for n, stmt in _statements(text):
        where = f"line {n}"
        if stmt.startswith("--") or stmt.startswith("`") or stmt.startswith("%{"):
            continue
        m = _TIME.match(stmt)
        if m is None:
            raise ScriptError(f"{name}: {where}: expected a time, then an event: {stmt[:50]!r}")
        event = m.group(2).strip()
        if event.startswith("`") or event.startswith("%{"):
            continue
        if event[:1] in "<>":
            wire = _packet(event, where, mark, wscale)
            if wire is None:
                continue
            if wire.inbound and wire.dlen:
                unread += wire.dlen
            sc.events.append(wire)
            continue
        c = _CALL.match(event)
        if c is None:
            raise ScriptError(f"{name}: {where}: cannot read this event: {event[:50]!r}")
        fn, args, result = c.group(1), c.group(2), c.group(3).strip()
        argv = [a.strip() for a in re.split(r",(?![^{\[]*[}\]])", args)]
        fd = _int(argv[0]) if argv and argv[0] else None
        ret = _int(result.split()[0]) if result else None
        call: Call | None = None
        if fn == "socket":
            if ret is not None and ret >= 0:
                fds[ret] = "socket"
            other = ("IPPROTO_SCTP", "IPPROTO_UDP", "SOCK_DGRAM", "SOCK_SEQPACKET", "SOCK_RAW")
            if any(x in args for x in other) or "SOCK_STREAM" not in args:
                mark("not-tcp", where, "a socket that is not TCP")
        elif fn == "listen":
            if fd is not None:
                fds[fd] = "listener"
            call = Call(where, event, OPEN_PASSIVE)
        elif fn in ("accept", "accept4"):
            if ret is not None and ret >= 0:
                if accepted:
                    mark("several-connections", where, "a second accepted connection")
                accepted = True
                fds[ret] = "conn"
                if fd in linger:
                    linger.add(ret)  # accepted sockets inherit the listener's options
        elif fn == "connect":
            if fd is not None:
                fds[fd] = "conn"
            if "MSG_FASTOPEN" in args or "TCP_FASTOPEN" in args:
                mark("fast-open", where, "TCP Fast Open")
            call = Call(where, event, OPEN_ACTIVE)
        elif fn in SEND_CALLS:
            if "MSG_FASTOPEN" in args:
                mark("fast-open", where, "a Fast Open sendto()")
            if "MSG_OOB" in args:
                mark("urgent", where, "urgent data (MSG_OOB)")
            call = Call(where, event, frozenset())
        elif fn in RECV_CALLS:
            if ret is not None and ret > 0:
                unread = max(0, unread - ret)
            call = Call(where, event, frozenset())
        elif fn == "shutdown":
            if "SHUT_WR" in args or "SHUT_RDWR" in args or (len(argv) > 1 and argv[1] in "12"):
                call = Call(where, event, HALF_CLOSE)
                half_closed = True
        elif fn == "close":
            kind = fds.get(fd if fd is not None else -1, "other")
            if kind not in ("listener", "conn"):
                call = Call(where, event, frozenset())  # not the connection's socket
            elif kind == "listener" and accepted:
                call = Call(where, event, frozenset())  # the connection lives on
            elif kind == "listener" or fd in linger or unread > 0:
                call = Call(where, event, ABORT)
                sc.abort = True
            else:
                call = Call(where, event, CLOSE)
                sc.full_close = True
                sc.half_closed = half_closed
        elif fn == "setsockopt":
            if "TCP_MD5SIG" in args or "TCP_AO" in args:
                mark("tcp-md5", where, "segments signed by TCP MD5 or TCP-AO")
            if "TCP_REPAIR" in args:
                mark("not-tcp", where, "a socket in repair mode (TCP_REPAIR)")
            if "TCP_FASTOPEN" in args:
                mark("fast-open", where, "TCP Fast Open (setsockopt TCP_FASTOPEN)")
            if "SO_LINGER" in args and fd is not None:
                on = re.search(r"onoff\s*=\s*(\d+)", args)
                lin = re.search(r"linger\s*=\s*(\d+)", args)
                if on and lin and on.group(1) != "0" and lin.group(1) == "0":
                    linger.add(fd)
                else:
                    linger.discard(fd)
        elif fn not in QUIET_CALLS:
            raise ScriptError(f"{name}: {where}: `{fn}` is not supported")
        if call is not None:
            sc.events.append(call)
            sc.calls.append(call)
    if not sc.events and sc.out is None:
        raise ScriptError(f"{name}: no event (no `<` or `>` line, no system call)")
    return sc


def _int(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


def _packet(event: str, where: str, mark, wscale: dict[str, int]) -> Wire | None:  # type: ignore[no-untyped-def]
    """One ``<`` or ``>`` line as a `Wire` (None: not TCP, marked out of scope)."""
    inbound = event[0] == "<"
    body = event[1:].strip()
    opts = ""
    if "<" in body:
        body, opts = body.split("<", 1)
    body = body.strip()
    while body[:1] in ("(", "["):
        # an IP header note, "(tos 0x2)", "(class 0x1)", or an ECN mark, "[ect0]", "[ce]"
        end = body.find(")" if body[0] == "(" else "]")
        if end < 0:
            raise ScriptError(f"{where}: unclosed {body[0]!r} in a packet line")
        note, body = body[1:end].lower(), body[end + 1 :].strip()
        tos = re.search(r"(?:tos|class)\s+(0x[0-9a-f]+|\d+)", note)
        if (tos and int(tos.group(1), 0) & 3) or note in ("ect0", "ect1", "ce", "ect01"):
            mark("ecn", where, "an ECN codepoint on the IP header")
    toks = body.split()
    if not toks:
        raise ValueError(where)
    proto = toks[0].rstrip(":").lower()
    if proto in ("udp", "icmp", "sctp", "udplite", "gre", "mpls"):
        mark("icmp" if proto == "icmp" else "not-tcp", where, f"a {proto} packet")
        return None
    flags = toks[0]
    if not _FLAGS.match(flags):
        raise ScriptError(f"{where}: cannot read the TCP flags {flags!r}")
    if "E" in flags or "W" in flags:
        mark("ecn", where, "ECN flags (ECE/CWR) on a TCP segment")
    if "U" in flags:
        mark("urgent", where, "the URG flag")
    if "FO" in opts:
        mark("fast-open", where, "a Fast Open option")
    seq = 0
    dlen = 0
    ackno: int | None = None
    win: int | None = None
    k = 1
    if k < len(toks) and _SEQ.match(toks[k]):
        g = _SEQ.match(toks[k])
        assert g is not None
        seq, dlen = int(g.group(1)), int(g.group(3))
        k += 1
    while k < len(toks):
        word = toks[k]
        val = _int(toks[k + 1]) if k + 1 < len(toks) else None
        if word in ("ack", "win", "urg") and val is None:
            raise ScriptError(f"{where}: `{word}` needs a number")
        if word == "ack":
            ackno = val
        elif word == "win":
            win = val
        k += 2 if word in ("ack", "win", "urg") else 1
    side = "in" if inbound else "out"
    w = re.search(r"wscale\s+(\d+)", opts)
    if "S" in flags and w:
        wscale[side] = int(w.group(1))
    if win is not None and "S" not in flags and not inbound:
        if "in" in wscale and "out" in wscale:
            win <<= wscale["out"]
    elif win is not None and not inbound:
        win = None  # a SYN's window is never scaled, and says nothing of later ones
    text = f"{'<' if inbound else '>'} {body.strip()}"
    return Wire(
        inbound=inbound,
        syn="S" in flags,
        ack="." in flags,
        fin="F" in flags,
        rst="R" in flags,
        seq=seq,
        ackno=ackno if "." in flags else None,
        dlen=dlen,
        where=where,
        text=text,
        win=None if inbound else win,
    )


def read(path: str | Path) -> Script:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise ScriptError(f"cannot read {p}: {e.strerror}") from None
    return parse(text, p.name)


def check_script(sc: Script, rules: Rules = TCP) -> EndpointReport:
    """The kernel's side of a script, checked by one model endpoint (calls recorded)."""
    if sc.out is not None:
        rep = EndpointReport(False, "kernel", "not checked", len(sc.events))
        rep.failed_at, rep.failed_segment = sc.out.where, sc.out.why
        rep.reason = "the script shows a behaviour the model leaves out; it is not checked"
        rep.out_of_scope = sc.out.name
        return rep
    # a close() that resets, or deletes a half-made TCB, is an ABORT of the model's side
    return check(
        sc.events,
        "kernel",
        setups(sc.events, sc.calls, sc.abort, sc.full_close, sc.half_closed),
        rules,
        capture=False,
    )
