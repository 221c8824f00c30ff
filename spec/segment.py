"""Segments: the header fields that matter for opening and closing (RFC 9293 section 3.1)."""

from __future__ import annotations

from typing import Any, NamedTuple

from tcpspec.spec.logic import If


class Segment(NamedTuple):
    """One TCP segment in flight.

    ``dlen`` counts data units (not bytes); ``seq``/``ackno`` are absolute sequence numbers.
    ``age`` is the number of clock ticks the segment has spent in the network (it vanishes at MSL).
    ``stale`` is a ghost bit, invisible to TCP: the segment belongs to an earlier incarnation of
    the connection, or answers one (properties use it; no rule reads it).
    """

    syn: bool = False
    ack: bool = False
    fin: bool = False
    rst: bool = False
    seq: int = 0
    ackno: int = 0
    dlen: int = 0
    age: int = 0
    stale: bool = False

    def flags(self) -> str:
        return flags_text(self)

    def describe(self) -> str:
        """``SYN+ACK seq=200 ack=101`` in the seeds' notation."""
        return header_text(self)


def flags_text(h: Any) -> str:
    """``SYN+ACK``: the control bits of any header-like object (a model or a captured segment)."""
    names = [n for n, on in (("SYN", h.syn), ("FIN", h.fin), ("RST", h.rst)) if on]
    if h.ack:
        names.append("ACK")
    return "+".join(names) or "none"


def header_text(h: Any) -> str:
    """``SYN+ACK seq=200 ack=101 len=1``: flags and numbers, as the seed notes write them."""
    text = f"{flags_text(h)} seq={h.seq}"
    if h.ack:
        text += f" ack={h.ackno}"
    if h.dlen:
        text += f" len={h.dlen}"
    return text


def seg_len(seg: Any) -> Any:
    """SEG.LEN: data plus one for SYN and one for FIN (RFC 9293 section 3.4)."""
    return seg.dlen + If(seg.syn, 1, 0) + If(seg.fin, 1, 0)


# The segments a TCP sends, by the names the RFC gives them in angle brackets.
def SYN(seq: Any) -> Segment:
    """<SEQ=ISS><CTL=SYN>"""
    return Segment(syn=True, seq=seq)


def SYN_ACK(seq: Any, ack: Any) -> Segment:
    """<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>"""
    return Segment(syn=True, ack=True, seq=seq, ackno=ack)


def ACK(seq: Any, ack: Any) -> Segment:
    """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"""
    return Segment(ack=True, seq=seq, ackno=ack)


def DATA(seq: Any, ack: Any) -> Segment:
    """One unit of text: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> with SEG.LEN=1."""
    return Segment(ack=True, seq=seq, ackno=ack, dlen=1)


def FIN(seq: Any, ack: Any) -> Segment:
    """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>"""
    return Segment(fin=True, ack=True, seq=seq, ackno=ack)


def RST(seq: Any) -> Segment:
    """<SEQ=SEG.ACK><CTL=RST>"""
    return Segment(rst=True, seq=seq)


def RST_ACK(seq: Any, ack: Any) -> Segment:
    """<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"""
    return Segment(rst=True, ack=True, seq=seq, ackno=ack)
