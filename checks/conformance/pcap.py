"""Capture files: read classic pcap and pcapng (with scapy's readers; IPv4, IPv6), write pcap.

The reader understands the link types a Linux capture produces (Ethernet, Linux cooked SLL and
SLL2, raw IP, BSD loopback) and keeps TCP over IPv4 and IPv6. Each segment becomes an `Observed`:
its endpoints, flags, sequence and acknowledgment numbers and payload length. Options, windows
and checksums are read past, not checked.

The writer turns a model `Trace` into a capture (one packet per segment a side emits), with
documentation addresses (RFC 5737), fixed ports and correct IPv4 and TCP checksums, so that
tshark or Wireshark can display a counterexample.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import struct
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from tcpspec.checks.trace import Trace
from tcpspec.spec.model import CLIENT
from tcpspec.spec.segment import Segment, flags_text, header_text

# TCP flag bits
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW = 0, 1, 101
LINKTYPE_RAW_OLD, LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_LINUX_SLL2 = 12, 113, 228, 276
LINKTYPE_LOOP, LINKTYPE_IPV6 = 108, 229  # OpenBSD loopback; raw IPv6

#: Addresses and ports of traces written from the model (RFC 5737 documentation ranges).
CLIENT_ADDR, SERVER_ADDR = "192.0.2.1", "198.51.100.1"
CLIENT_PORT, SERVER_PORT = 49152, 8080


class CaptureError(ValueError):
    """A file that cannot be used as a capture of a TCP connection (the message says why)."""


@dataclass(frozen=True)
class Observed:
    """One TCP segment as seen on the wire."""

    time: float
    src: str  # "address:port"
    dst: str
    syn: bool
    ack: bool
    fin: bool
    rst: bool
    seq: int
    ackno: int
    dlen: int  # payload bytes
    cut: int = 0  # bytes of it the capture does not hold (cut by the snapshot length)
    urg: bool = False  # the URG flag (urgent data: out of scope)
    sack: tuple[int, ...] = ()  # the edges of its SACK blocks (RFC 2018), left, right, ...
    tsval: int | None = None  # the TSval of its timestamps option (RFC 7323), if it has one

    def flags(self) -> str:
        return flags_text(self)

    def describe(self) -> str:
        cut = (
            f" (cut short by the snapshot length: {self.cut} bytes not captured)"
            if self.cut
            else ""
        )
        return f"{self.src} > {self.dst} {header_text(self)}{cut}"


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _ip(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def _tcp(t: float, src: str, dst: str, tcp: bytes, length: int) -> Observed | None:
    """The segment whose TCP header starts ``tcp`` (as captured) and whose length, by the IP
    header, is ``length`` bytes (0: unknown, a TSO capture: trust the frame). A frame cut short
    by the snapshot length keeps its header; its text length comes from the IP header."""
    if len(tcp) < 14:
        return None  # not even the flags were captured
    sport, dport, seq, ackno, off, flags = struct.unpack("!HHIIBB", tcp[:14])
    hlen = (off >> 4) * 4
    total = length or len(tcp)
    if hlen < 20 or hlen > total:
        return None
    options = _options(tcp[20 : min(hlen, len(tcp))])
    return Observed(
        time=t,
        src=f"{src}:{sport}",
        dst=f"{dst}:{dport}",
        syn=bool(flags & SYN),
        ack=bool(flags & ACK),
        fin=bool(flags & FIN),
        rst=bool(flags & RST),
        seq=seq,
        ackno=ackno,
        dlen=total - hlen,
        cut=max(0, total - len(tcp)),
        urg=bool(flags & 0x20),
        sack=_sack(options.get(5)),
        tsval=_tsval(options.get(8)),
    )


def _options(options: bytes) -> dict[int, bytes]:
    """The TCP options, kind -> body (RFC 9293 3.1), up to the end of the list."""
    out: dict[int, bytes] = {}
    k = 0
    while k < len(options):
        kind = options[k]
        if kind == 0:
            break
        if kind == 1:
            k += 1
            continue
        if k + 1 >= len(options) or options[k + 1] < 2:
            break  # a damaged option list: read no further
        size = options[k + 1]
        out.setdefault(kind, options[k + 2 : k + size])
        k += size
    return out


def _tsval(body: bytes | None) -> int | None:
    """The TSval of a timestamps option (kind 8, RFC 7323 3.2), None if there is none."""
    return int.from_bytes(body[:4], "big") if body is not None and len(body) >= 4 else None


def _sack(body: bytes | None) -> tuple[int, ...]:
    """The edges of the SACK option's blocks (kind 5, RFC 2018), in order; () if none."""
    if body is None:
        return ()
    return tuple(int.from_bytes(body[i : i + 4], "big") for i in range(0, len(body) - 3, 4))


def _tcp_from_ipv4(t: float, pkt: bytes) -> Observed | None:
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 0x0F) * 4
    total = struct.unpack("!H", pkt[2:4])[0]
    frag = struct.unpack("!H", pkt[6:8])[0]
    if pkt[9] != 6 or frag & 0x1FFF or ihl < 20:
        return None  # not TCP, or a non-first fragment
    return _tcp(t, _ip(pkt[12:16]), _ip(pkt[16:20]), pkt[ihl:], max(0, total - ihl))


#: IPv6 extension headers that may come before TCP (RFC 8200 section 4).
_V6_EXT = {0, 43, 60}


def _tcp_from_ipv6(t: float, pkt: bytes) -> Observed | None:
    if len(pkt) < 40 or pkt[0] >> 4 != 6:
        return None
    length = struct.unpack("!H", pkt[4:6])[0]
    nxt, pos = pkt[6], 40
    while nxt in _V6_EXT or nxt == 44:
        if len(pkt) < pos + 8:
            return None
        if nxt == 44 and struct.unpack("!H", pkt[pos + 2 : pos + 4])[0] & 0xFFF8:
            return None  # a non-first fragment
        step = 8 if nxt == 44 else (pkt[pos + 1] + 1) * 8
        nxt, pos = pkt[pos], pos + step
    if nxt != 6:
        return None
    src = "[" + ipaddress.IPv6Address(pkt[8:24]).compressed + "]"
    dst = "[" + ipaddress.IPv6Address(pkt[24:40]).compressed + "]"
    return _tcp(t, src, dst, pkt[pos:], max(0, length - (pos - 40)) if length else 0)


_IP = (0x0800, 0x86DD)  # the EtherTypes of IPv4 and IPv6
#: AF_INET6 on the BSDs and macOS (24, 28, 30), Linux (10), in either byte order.
_AF_INET6 = (10, 24, 28, 30, 0x0A000000, 0x18000000, 0x1C000000, 0x1E000000)


def _network_layer(linktype: int, frame: bytes) -> bytes | None:
    """The IPv4 packet inside a frame, or None when the frame holds something else."""
    if linktype == LINKTYPE_ETHERNET:
        off, etype = 14, struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0
        while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:  # VLAN tags
            etype = struct.unpack("!H", frame[off + 2 : off + 4])[0]
            off += 4
        return frame[off:] if etype in _IP else None
    if linktype == LINKTYPE_LINUX_SLL:
        ok = len(frame) >= 16 and struct.unpack("!H", frame[14:16])[0] in _IP
        return frame[16:] if ok else None
    if linktype == LINKTYPE_LINUX_SLL2:
        ok = len(frame) >= 20 and struct.unpack("!H", frame[0:2])[0] in _IP
        return frame[20:] if ok else None
    if linktype in (LINKTYPE_RAW, LINKTYPE_RAW_OLD, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return frame
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if len(frame) < 4:
            return None
        family = struct.unpack("<I", frame[:4])[0]
        if family not in (2, 0x02000000, *_AF_INET6):
            return None
        return frame[4:]
    raise CaptureError(
        f"unsupported link type {linktype} (supported: Ethernet, Linux cooked "
        "SLL/SLL2, raw IP, BSD loopback)"
    )


class _Diagnostics(logging.Handler):
    """What scapy's capture readers warn about (a record cut short, a corrupt block): kept here,
    so that it becomes one clear error instead of a line of scapy's own on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


def _frames(data: bytes, name: str) -> Iterator[tuple[float, int, bytes]]:
    """(time, link type, frame) of each packet record of a pcap or pcapng image, read by scapy's
    readers (`RawPcapReader` picks the format from the magic number). A damaged file is a
    `CaptureError`: a packet record cut short, or a block scapy had to skip."""
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapNgReader, RawPcapReader

    log = logging.getLogger("scapy.runtime")
    watch = _Diagnostics()
    log.addHandler(watch)
    saved = log.propagate
    log.propagate = False  # scapy's warnings are ours to report
    try:
        try:
            # a file object is fine, and the reader's metaclass picks pcapng by the magic
            reader: Any = cast(Any, RawPcapReader)(io.BytesIO(data))
        except (Scapy_Exception, struct.error, EOFError) as e:
            raise CaptureError(f"{name}: not a readable capture ({e})") from None
        with reader:
            meta: Any
            for pkt, meta in reader:
                if isinstance(reader, RawPcapNgReader):
                    t = ((meta.tshigh or 0) << 32 | (meta.tslow or 0)) / (meta.tsresol or 10**6)
                    linktype = meta.linktype
                else:
                    frac = 1e-9 if getattr(reader, "nano", False) else 1e-6
                    t = meta.sec + meta.usec * frac
                    linktype = reader.linktype
                    if len(pkt) < meta.caplen:
                        raise CaptureError(f"{name}: truncated packet record (the file ends early)")
                if watch.seen:
                    break
                yield t, linktype & 0x0FFFFFFF, bytes(pkt)
    except Scapy_Exception as e:
        raise CaptureError(f"{name}: corrupt capture ({e})") from None
    finally:
        log.removeHandler(watch)
        log.propagate = saved
    if watch.seen:
        raise CaptureError(f"{name}: truncated or corrupt capture ({watch.seen[0]})")


#: the first four bytes of a pcapng file, and of a classic pcap in either byte order (us, ns)
_MAGIC = (
    b"\x0a\x0d\x0d\x0a",
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
)


def parse(data: bytes, name: str = "capture") -> list[Observed]:
    """All TCP segments (IPv4, IPv6) in a pcap or pcapng image, in capture order; a frame cut
    short by the snapshot length keeps its header, and `Observed.cut` says how much is missing."""
    if data[:4] not in _MAGIC:
        raise CaptureError(f"{name} is not a capture file (neither pcap nor pcapng)")
    out = []
    for t, linktype, frame in _frames(data, name):
        ip = _network_layer(linktype, frame)
        if ip is None:
            continue
        seg = _tcp_from_ipv4(t, ip) if ip[:1] and ip[0] >> 4 == 4 else _tcp_from_ipv6(t, ip)
        if seg is not None:
            out.append(seg)
    if not out:
        raise CaptureError(f"{name} holds no TCP segment (IPv4 or IPv6) whose header was captured")
    return out


#: The largest capture read (bytes); a larger one (or an endless device) is refused unread.
MAX_BYTES = 256 << 20


def read(path: str | Path, limit: int = MAX_BYTES) -> list[Observed]:
    """Read a pcap or pcapng file (see `parse`) of at most ``limit`` bytes; ``-`` is standard
    input."""
    name = "standard input" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(path).open("rb") as f:
                data = f.read(limit + 1)
    except OSError as e:
        raise CaptureError(f"cannot read {name}: {e.strerror}") from None
    if len(data) > limit:
        raise CaptureError(f"{name}: larger than {limit} bytes: not read")
    return parse(data, name)


def host_of(addr: str) -> str:
    """``10.0.0.1`` of ``10.0.0.1:80``, ``2001:db8::1`` of ``[2001:db8::1]:80``."""
    return addr.rsplit(":", 1)[0].strip("[]")


def names(want: str, addr: str) -> bool:
    """Does ``want`` name the endpoint ``addr``? An ADDRESS names every port of that host
    (``2001:db8::1`` or ``[2001:db8::1]``), ADDRESS:PORT the one port."""
    return want == addr or want.strip("[]") == host_of(addr)


def uses_port(addrs: Iterable[str], port: int) -> bool:
    """Is ``port`` the port of one of ``addrs`` (``address:port`` each)?"""
    return any(a.rsplit(":", 1)[1] == str(port) for a in addrs)


def connections(segs: Iterable[Observed]) -> dict[tuple[str, str], list[Observed]]:
    """Segments grouped by connection (the unordered pair of endpoints), in order of appearance;
    the key is (first sender, its peer)."""
    out: dict[tuple[str, str], list[Observed]] = {}
    for s in segs:
        key = (s.src, s.dst) if (s.dst, s.src) not in out else (s.dst, s.src)
        out.setdefault(key, []).append(s)
    return out


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _addr(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def ipv4_tcp(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    seq: int,
    ackno: int,
    flags: int,
    payload: bytes = b"",
    ident: int = 0,
    window: int = 65535,
) -> bytes:
    """An IPv4 packet carrying one TCP segment, both checksums correct."""
    seq &= 0xFFFFFFFF
    ackno &= 0xFFFFFFFF
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ackno, 5 << 4, flags, window, 0, 0)
    pseudo = _addr(src) + _addr(dst) + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    csum = _checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0x4000, 64, 6, 0, _addr(src), _addr(dst)
    )
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return ip + tcp + payload


def ethernet(ip: bytes, from_client: bool) -> bytes:
    a, b = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"
    dst, src = (b, a) if from_client else (a, b)
    return dst + src + b"\x08\x00" + ip


def pcap_image(frames: Iterable[tuple[float, bytes]], linktype: int = LINKTYPE_ETHERNET) -> bytes:
    """A classic (microsecond, little-endian) pcap file holding these frames."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)]
    for t, frame in frames:
        sec = int(t)
        usec = round((t - sec) * 1e6)
        out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
    return b"".join(out)


def segment_frame(seg: Segment, from_client: bool, ident: int = 0, unit: bytes = b"x") -> bytes:
    """The Ethernet frame of a model segment: sequence numbers are used as they are, each data
    unit becomes ``unit`` (one byte by default, so that unit and byte counts agree)."""
    flags = (SYN if seg.syn else 0) | (FIN if seg.fin else 0) | (RST if seg.rst else 0)
    flags |= ACK if seg.ack else 0
    flags |= PSH if seg.dlen else 0
    src, dst = (CLIENT_ADDR, SERVER_ADDR) if from_client else (SERVER_ADDR, CLIENT_ADDR)
    sport, dport = (CLIENT_PORT, SERVER_PORT) if from_client else (SERVER_PORT, CLIENT_PORT)
    ip = ipv4_tcp(
        src, dst, sport, dport, seg.seq, seg.ackno if seg.ack else 0, flags, unit * seg.dlen, ident
    )
    return ethernet(ip, from_client)


def trace_pcap(trace: Trace, start: float = 1_700_000_000.0, step: float = 0.001) -> bytes:
    """The capture of a model trace: every segment a side emits into the network, in order
    (emissions lost to a full channel are left out, as they never reached the wire)."""
    frames = []
    for k, st in enumerate(trace.steps):
        lab = st.label
        if lab.sent is None or lab.overflow:
            continue
        frames.append((start + k * step, segment_frame(lab.sent, lab.actor == CLIENT, k + 1)))
    return pcap_image(frames)


def write_trace(trace: Trace, path: str | Path) -> None:
    Path(path).write_bytes(trace_pcap(trace))
