"""packetdrill's script language, read into typed values (no interpretation here).

packetdrill (google/packetdrill, ``parser.y``) builds a typed script before it runs anything;
this module does the same for the subset of its grammar a trace of TCP needs, and reads past
the rest without guessing: every statement of a script becomes one of

* `Option`: a ``--name=value`` line of the script's header;
* `Packet`: a ``<`` (injected into the kernel) or ``>`` (sent by the kernel) line: its protocol,
  flags as written, ``start:end(length)``, ``ack``, ``win``, ``urg``, the TCP options (``<...>``:
  not checked), the IP header notes (``(tos 0x2)``, ``[ect0]``) and an encapsulation (``encap
  psp ...``);
* `Syscall`: ``name(arguments) = result [ERRNO] [(note)]``, a blocking call's end time
  (``0...0.052``), its arguments split at the top level (multi-line calls are joined);
* `Command`: a backquoted shell command or a ``%{ }%`` Python block (read, never run).

Times follow packetdrill (run.c): ``T`` is absolute, ``+T`` relative to the previous event's
start, ``*`` any time (taken as the previous event's), ``T1~T2`` a range (its start), and a
blocking call's ``...T`` end is absolute, or relative to the same anchor as its start.

Numbers are validated as packetdrill validates them (32-bit sequence numbers, 16-bit lengths,
windows and ports, ``end = start + length``, times not negative). Anything malformed is a
`ScriptError` naming the file and the line. Input is read with a size limit (`MAX_BYTES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

#: The largest script read (bytes): packetdrill's own suites are under 40 KB.
MAX_BYTES = 4 << 20
_U32, _U16 = (1 << 32) - 1, (1 << 16) - 1


class ScriptError(ValueError):
    """A script that is not packetdrill's syntax, or is out of its ranges (names file, line)."""

    def __init__(self, name: str, line: int | None, what: str) -> None:
        where = f"{name}: line {line}" if line else name
        super().__init__(f"{where}: {what}")
        self.name, self.line, self.what = name, line, what


@dataclass(frozen=True)
class Option:
    line: int
    name: str
    value: str


@dataclass(frozen=True)
class Packet:
    """One ``<`` or ``>`` line. ``proto`` is ``tcp``, ``udp``, ``icmp`` or another word;
    ``options`` None means ``<...>`` (any options); the other Nones mean not written."""

    line: int
    at: int  # microseconds from the script's start
    inbound: bool
    proto: str
    flags: str
    seq: int
    dlen: int
    ack: int | None
    win: int | None
    urg: int | None
    options: str | None
    ip: str  # the IP header notes as written, lower case ("tos 0x2", "ect0"), "" if none
    encap: str  # an encapsulation ("psp spi 7"), "" if none
    text: str
    #: ``at`` is when it happened; False: only a lower bound (``*``, a range ``T1~T2``, or a
    #: relative time after one: packetdrill counts ``+`` from when the event really happened)
    exact: bool = True

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class Syscall:
    line: int
    at: int  # microseconds from the script's start
    until: int | None  # a blocking call's end time (absolute), None: it does not block
    name: str
    args: tuple[str, ...]
    result: str  # as written: "0", "-1", "4", "..."
    errno: str  # "EINPROGRESS", "" if none
    text: str
    exact: bool = True  # as `Packet.exact`

    @property
    def value(self) -> int | None:
        """The result as a number, None for ``...`` or an expression."""
        return number(self.result)


@dataclass(frozen=True)
class Command:
    line: int
    at: int | None
    text: str


@dataclass(frozen=True)
class Script:
    name: str
    options: tuple[Option, ...]
    events: tuple[Packet | Syscall | Command, ...]


# -- statements --------------------------------------------------------------------------------


def statements(text: str, name: str) -> list[tuple[int, str]]:
    """(first line, text) of each statement, comments removed: a statement ends at a line break
    outside brackets, quotes, a backquoted command and a ``%{ }%`` block."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    depth = 0
    line = start = 1
    quote = ""  # '"' or '`' while inside one
    code = False  # inside %{ }%
    empty = True  # nothing but blanks in the statement so far
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        two = text[i : i + 2]
        if code:
            if two == "}%":
                code = False
                buf.append(two)
                i += 2
                continue
        elif quote:
            if ch == "\\" and quote == '"' and i + 1 < n:
                buf.append(text[i : i + 2])
                line += text[i + 1] == "\n"
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif two == "//":
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif two == "/*":
            end = text.find("*/", i + 2)
            if end < 0:
                raise ScriptError(name, line, "a /* comment is never closed")
            line += text.count("\n", i, end)
            i = end + 2
            buf.append(" ")
            continue
        elif two == "%{":
            code = True
            if empty:
                start, empty = line, False
            buf.append(two)
            i += 2
            continue
        elif ch in '"`':
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                raise ScriptError(name, line, f"{ch!r} closes nothing")
        if ch == "\n":
            if depth == 0 and not quote and not code:
                s = "".join(buf).strip()
                if s:
                    out.append((start, s))
                buf, empty = [], True
            else:
                buf.append(" ")
            line += 1
        else:
            if empty and not ch.isspace():
                start, empty = line, False
            buf.append(ch)
        i += 1
    s = "".join(buf).strip()
    if quote or code or depth:
        what = {'"': "a string", "`": "a shell command", "": "a bracket"}[quote]
        raise ScriptError(name, start, f"{'a %{ block' if code else what} is never closed")
    if s:
        out.append((start, s))
    return out


# -- times ------------------------------------------------------------------------------------

# seconds: a dot that starts "..." is not a decimal point; at most 12 digits before the point
# and 9 after it (packetdrill keeps microseconds)
_NUM = r"(?:[0-9]{1,12}(?:\.(?!\.)[0-9]{0,9})?|\.[0-9]{1,9})"
_TIME = re.compile(
    rf"^(?:(?P<any>\*)|(?P<rel>\+)?(?P<t>{_NUM})(?:~(?P<rel2>\+)?(?P<t2>{_NUM}))?"
    rf"(?:\s*\.\.\.\s*(?P<end>{_NUM}))?)\s*"
)


def _usecs(t: str) -> int:
    """A time in seconds as packetdrill keeps it: whole microseconds."""
    whole, _, frac = t.partition(".")
    return int(whole or "0") * 1_000_000 + int((frac + "000000")[:6])


class _Clock:
    """packetdrill's times (microseconds): absolute, relative to the previous event's start,
    ``*``."""

    def __init__(self) -> None:
        self.last = 0
        self.exact = True  # ``last`` is when the previous event happened, not a lower bound

    def read(self, stmt: str, name: str, line: int) -> tuple[int, int | None, str]:
        m = _TIME.match(stmt)
        if m is None or m.end() == 0:
            raise ScriptError(name, line, f"expected a time, then an event: {stmt[:50]!r}")
        rest = stmt[m.end() :]
        if m.group("any"):
            self.exact = False
            return self.last, None, rest
        anchor = self.last if m.group("rel") else 0
        # an absolute time is exact; a relative one as exact as the time it counts from; a
        # range says only when the event happened at the earliest
        self.exact = (self.exact or not m.group("rel")) and m.group("t2") is None
        at = anchor + _usecs(m.group("t"))
        if m.group("t2") is not None and m.group("rel") and not m.group("rel2"):
            raise ScriptError(name, line, "a relative time range is written +T1~+T2")
        until = None
        if m.group("end") is not None:
            until = anchor + _usecs(m.group("end"))
            if until < at:
                raise ScriptError(name, line, "the time range is backwards")
        if m.group("t2") is not None and anchor + _usecs(m.group("t2")) < at:
            raise ScriptError(name, line, "the time range is backwards")
        self.last = at
        return at, until, rest


# -- packets ----------------------------------------------------------------------------------

_SEQ = re.compile(r"^([0-9]{1,20}):([0-9]{1,20})\(([0-9]{1,20})\)$")
#: packetdrill's TCP flag letters (tcp_packet.c): the dot is ACK, 0-7 the ACE field
_FLAGS = re.compile(r"^[.FSRPEWAU0-7]+$")


def number(word: str) -> int | None:
    """A decimal or 0x hexadecimal number as packetdrill writes one (None: not a number)."""
    w = word.strip()
    if re.fullmatch(r"-?[0-9]{1,20}", w):  # ASCII digits, and no more than a 64-bit number has
        return int(w)
    if re.fullmatch(r"-?0[xX][0-9a-fA-F]{1,16}", w):
        return int(w, 16)
    return None


def _number(word: str, name: str, line: int, what: str, top: int) -> int:
    v = number(word) if not word.startswith("-") else None
    if v is None:
        raise ScriptError(name, line, f"{what} must be a number (got {word[:20]!r})")
    if v > top:
        raise ScriptError(name, line, f"{what} {word[:20]} is out of range (at most {top})")
    return v


def _packet(body: str, at: int, name: str, line: int) -> Packet:
    inbound = body[0] == "<"
    text = body
    rest = body[1:].strip()
    # TCP options: the last <...> of the line
    options: str | None = ""
    k = rest.find("<")
    if k >= 0:
        if not rest.endswith(">"):
            raise ScriptError(name, line, "the TCP options <...> are not closed by '>'")
        opts = rest[k + 1 : -1].strip()
        options = None if opts == "..." else opts
        rest = rest[:k].strip()
    ip: list[str] = []
    encap = ""
    words = rest.split()
    # IP header notes and an encapsulation before the protocol or flags
    while words and (words[0][:1] in "([" or words[0] == "encap" or words[0] in ("ipv4", "ipv6")):
        w = words[0]
        if w[:1] in "([":
            close = ")" if w[0] == "(" else "]"
            joined = " ".join(words)
            end = joined.find(close)
            if end < 0:
                raise ScriptError(name, line, f"{w[0]!r} is not closed in a packet line")
            note = joined[1:end].strip().lower()
            if _SEQ.match(note.replace(" ", "")):
                words = joined[end + 1 :].split()  # an ICMP's echoed segment (older syntax)
                continue
            ip.append(note)
            words = joined[end + 1 :].split()
        elif w == "encap":
            # encap psp spi N ...: the words up to the flags or the protocol
            j = 1
            while j < len(words) and (words[j].isdigit() or not _FLAGS.match(words[j])):
                j += 1
            encap = " ".join(words[1:j])
            words = words[j:]
        else:
            raise ScriptError(name, line, "outer IP headers (ipv4/ipv6 ... >) are not read")
    if not words:
        raise ScriptError(name, line, "a packet line needs flags (or a protocol) after < or >")
    head = words[0].lower()
    proto_word = re.match(r"^(udp|udplite|icmp|sctp|gre|mpls|raw)\b", head)
    if proto_word:
        return Packet(line, at, inbound, proto_word.group(1), "", 0, 0, None, None, None,
                      options, " ".join(ip), encap, text)  # fmt: skip
    # optional ports: 8080>80
    if re.fullmatch(r"\d+>\d+", words[0]):
        words = words[1:]
        if not words:
            raise ScriptError(name, line, "a packet line needs flags after its ports")
    flags = words[0]
    if flags == "-":
        flags = ""
    elif not _FLAGS.match(flags):
        raise ScriptError(name, line, f"{flags[:20]!r} is not a set of TCP flags (of .FSRPEWAU)")
    if len(words) < 2:
        raise ScriptError(name, line, "a TCP packet line needs start:end(length) after its flags")
    g = _SEQ.match(words[1])
    if g is None:
        raise ScriptError(
            name, line, f"expected start:end(length) after the flags, got {words[1][:30]!r}"
        )
    seq = _number(g.group(1), name, line, "the start sequence number", _U32)
    end = _number(g.group(2), name, line, "the end sequence number", _U32)
    dlen = _number(g.group(3), name, line, "the payload length", _U16)
    if end != seq + dlen:
        raise ScriptError(
            name, line, f"inconsistent sequence numbers and length: {seq}+{dlen} is not {end}"
        )
    fields: dict[str, int] = {}
    k = 2
    while k < len(words):
        word = words[k]
        if word not in ("ack", "win", "urg"):
            raise ScriptError(name, line, f"unexpected {word[:20]!r} in a TCP packet line")
        if word in fields:
            raise ScriptError(name, line, f"`{word}` is given twice")
        if k + 1 >= len(words):
            raise ScriptError(name, line, f"`{word}` needs a number")
        top = _U32 if word == "ack" else _U16
        fields[word] = _number(words[k + 1], name, line, f"`{word}`", top)
        k += 2
    return Packet(
        line, at, inbound, "tcp", flags, seq, dlen, fields.get("ack"), fields.get("win"),
        fields.get("urg"), options, " ".join(ip), encap, text,
    )  # fmt: skip


# -- system calls -----------------------------------------------------------------------------

_CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*=\s*(.*)$", re.S)
_RESULT = re.compile(r"^(\S+)(?:\s+([A-Z][A-Z0-9_]*))?(?:\s*\(.*\))?\s*$", re.S)


def split_args(args: str) -> tuple[str, ...]:
    """Arguments split at the commas outside brackets and strings."""
    out: list[str] = []
    depth = 0
    quote = ""
    cur: list[str] = []
    for ch in args:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    last = "".join(cur).strip()
    if last or out:
        out.append(last)
    return tuple(out)


def _syscall(body: str, at: int, until: int | None, name: str, line: int) -> Syscall:
    c = _CALL.match(body)
    if c is None:
        raise ScriptError(name, line, f"cannot read this event: {body[:50]!r}")
    fn, args, result = c.group(1), c.group(2), c.group(3).strip()
    r = _RESULT.match(result)
    if r is None:
        raise ScriptError(name, line, f"cannot read the result of {fn}(): {result[:30]!r}")
    return Syscall(line, at, until, fn, split_args(args), r.group(1), r.group(2) or "", body)


# -- the script -------------------------------------------------------------------------------


def parse(text: str, name: str = "script") -> Script:
    """Read a packetdrill script into typed statements (see the module docstring)."""
    options: list[Option] = []
    events: list[Packet | Syscall | Command] = []
    clock = _Clock()
    for line, stmt in statements(text, name):
        if stmt.startswith("--"):
            key, _, value = stmt[2:].partition("=")
            options.append(Option(line, key.strip(), value.strip()))
            continue
        if stmt.startswith("`") or stmt.startswith("%{"):
            events.append(Command(line, None, stmt))
            continue
        at, until, body = clock.read(stmt, name, line)
        if not body:
            raise ScriptError(name, line, "a time with no event after it")
        if body[0] in "<>":
            if until is not None:
                raise ScriptError(name, line, "only a system call can block (T...T)")
            events.append(replace(_packet(body, at, name, line), exact=clock.exact))
        elif body.startswith("`") or body.startswith("%{"):
            events.append(Command(line, at, body))
        else:
            events.append(replace(_syscall(body, at, until, name, line), exact=clock.exact))
    return Script(name, tuple(options), tuple(events))


def read(path: str | Path, limit: int = MAX_BYTES) -> Script:
    """Read and parse one script file, at most ``limit`` bytes."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise ScriptError(str(p), None, f"cannot read it: {e.strerror}") from None
    if len(data) > limit:
        raise ScriptError(str(p), None, f"larger than {limit} bytes: not read")
    if b"\0" in data:
        raise ScriptError(str(p), None, "a binary file, not a packetdrill script")
    # a byte-order mark some editors write is no statement
    return parse(data.decode("utf-8-sig", errors="replace"), str(p))
