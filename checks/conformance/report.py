"""What every conformance check reports, in one vocabulary: the outcome (accepted, out of
scope by name, rejected), the rows of the explaining run, and the catalogue of the behaviours the
model leaves out on purpose with the one recogniser of their flags. The two-sided search
(`conform`) and the one-sided one (`endpoint`, packetdrill scripts) both speak it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tcpspec.checks.conformance.pcap import Observed


@dataclass(frozen=True)
class Row:
    """One event of the explaining run: where the trace shows it (``#7`` in a capture, ``line
    12`` in a script; "" for a step the trace does not show), what was observed, the model's
    segment or step, the rule cases that fired, who acted (two-sided) and the state(s) after."""

    where: str
    observed: str
    model: str
    cases: tuple[str, ...]
    state: str
    actor: str = ""

    def text(self, width: int = 44) -> str:
        actor = f" {self.actor}" if self.actor else ""
        return (
            f"  {self.where:<8} {self.observed:<{width}} = {self.model:<30}{actor} "
            f"[{', '.join(self.cases)}] -> {self.state}"
        )


class Outcome:
    """What every conformance report says first: accepted, out of scope, or rejected."""

    accepted: bool
    out_of_scope: str
    rows: list[Row]  # the explaining run (up to where it stopped)

    @property
    def status(self) -> str:
        """``accepted``, ``out-of-scope`` (a named behaviour the model leaves out) or
        ``rejected`` (no run of the model explains the capture)."""
        if self.accepted:
            return "accepted"
        return "out-of-scope" if self.out_of_scope else "rejected"

    def text(self) -> str:
        """The report as the command line prints it."""
        raise NotImplementedError

    def as_json(self) -> dict[str, Any]:
        doc = asdict(self)  # type: ignore[call-overload]
        doc["status"] = self.status
        return doc


@dataclass(frozen=True)
class OutOfScope:
    """A behaviour of real TCP stacks that the model deliberately leaves out (README, "What is
    abstracted"). `conform` names it instead of reporting a model error."""

    name: str
    title: str
    ref: str
    why: str


OUT: dict[str, OutOfScope] = {
    o.name: o
    for o in (
        OutOfScope(
            "data-on-syn",
            "data carried on a SYN",
            "RFC 7413 (TCP Fast Open); RFC 9293 section 3.10.7.3",
            "the model never puts data on a SYN or SYN+ACK",
        ),
        OutOfScope(
            "resegmented",
            "sequence numbers off the data-unit grid",
            "RFC 9293 sections 3.8.6.1, 3.9.1 (window probes), RFC 1122 4.2.3.6 (keep-alive)",
            "the model counts text in units, each sent in one segment: a partial "
            "acknowledgment, a retransmission that joins or splits earlier segments, a "
            "keep-alive or a zero-window probe (at SND.NXT-1) has no model counterpart",
        ),
        OutOfScope(
            "synack-in-syn-received",
            "SYN-RECEIVED completes on the peer's SYN,ACK",
            "RFC 9293 Figure 7 and section 3.10.7.4",
            "in a simultaneous open, Figure 7 takes SYN-RECEIVED to ESTABLISHED when the "
            "peer's SYN,ACK arrives, and Linux does so; the text of section 3.10.7.4 finds "
            "that segment unacceptable (its SEG.SEQ is IRS, below RCV.NXT) and only "
            "acknowledges it, and the model follows the text: its SYN-RECEIVED waits for a "
            "plain ACK",
        ),
        OutOfScope(
            "injected",
            "a bare RST or SYN that no TCP sends there",
            "RFC 5961 sections 3, 4 (blind RST and SYN injection); RFC 9293 section 3.10.7.4",
            "a bare RST in the window but not at RCV.NXT, or a SYN, sent into a synchronized "
            "connection by something that is not the peer's TCP (an attacker, or a test's fake "
            "peer): the model has two TCPs and a network that loses, reorders and duplicates, "
            "so nothing in it sends such a segment; the receiver's answer, a challenge ACK, is "
            "in the model (rst.challenge_ack, syn.challenge_ack). conform names it only when, "
            "with the segment put in flight to the receiver and nothing else changed, the rest "
            "of the capture is explained",
        ),
        OutOfScope(
            "fast-open",
            "TCP Fast Open",
            "RFC 7413",
            "a SYN that carries a cookie and data, and data accepted before the handshake "
            "completes: the model's handshake carries no data",
        ),
        OutOfScope(
            "ecn",
            "Explicit Congestion Notification",
            "RFC 3168",
            "the ECE and CWR flags and the IP ECN codepoints are not modelled (nor is "
            "congestion control)",
        ),
        OutOfScope(
            "urgent",
            "urgent data",
            "RFC 9293 section 3.8.5; RFC 6093",
            "the URG flag and the urgent pointer are not modelled (the sixth check of 3.10.7.4)",
        ),
        OutOfScope(
            "icmp",
            "ICMP messages",
            "RFC 9293 section 3.9.1.2; RFC 5927",
            "the model has no ICMP: soft and hard errors reported by ICMP are not modelled",
        ),
        OutOfScope(
            "not-tcp",
            "a packet or socket that is not TCP",
            "RFC 9293 section 3.1",
            "the model is TCP alone",
        ),
        OutOfScope(
            "several-connections",
            "several connections on one endpoint",
            "RFC 9293 section 3.3.1",
            "the one-sided check runs one model endpoint, one TCB: a listener that accepts a "
            "second connection is checked one connection at a time",
        ),
        OutOfScope(
            "keep-alive",
            "a keep-alive or zero-window probe",
            "RFC 9293 sections 3.8.4, 3.8.6.1; RFC 1122 4.2.3.6",
            "a segment at SND.UNA-1 (no text, or one old byte) to make the peer answer: the "
            "model has neither keep-alive timers nor zero windows",
        ),
        OutOfScope(
            "reassembly",
            "out-of-order text queued, acknowledged once the gap is filled",
            'RFC 9293 section 3.10.7.4 ("segments with higher beginning sequence numbers '
            'SHOULD be held for later processing")',
            "the model acknowledges RCV.NXT and drops text beyond a gap (the sender retransmits "
            "it); a stack that queues it acknowledges more once the gap is filled",
        ),
        OutOfScope(
            "tcp-md5",
            "segments signed by TCP MD5 or the TCP Authentication Option",
            "RFC 2385; RFC 5925",
            "a stack that checks signatures drops unsigned or badly signed segments before "
            "RFC 9293's processing: the model has no signatures",
        ),
        OutOfScope(
            "psp",
            "segments encrypted by PSP",
            "RFC 9293 section 3.1; the PSP Security Protocol",
            "a stack that encrypts a connection with PSP drops segments for their encryption "
            "before RFC 9293's processing: the model has no encryption",
        ),
        OutOfScope(
            "mid-stream",
            "the connection started before the capture",
            "RFC 9293 section 3.3.2",
            "without the SYNs the ISNs, and so the state, are unknown: the model checks "
            "connections from their first segment",
        ),
        OutOfScope(
            "new-incarnation",
            "a second connection on the same port pair",
            "RFC 9293 section 3.4.1; RFC 6191 (TIME-WAIT reuse by a SYN)",
            "the model checks one incarnation (an earlier one appears only as old "
            "segments in flight): a SYN with a new ISN starts a connection to check apart",
        ),
    )
}


def unmodelled_flag(segments: list[Observed]) -> tuple[int, str, str] | None:
    """The first captured segment whose flags show a behaviour the model leaves out: (its
    index, the name in `OUT`, why). The one recogniser of both checks of captures."""
    for k, s in enumerate(segments):
        if s.urg:
            return k, "urgent", "the URG flag (urgent data)"
    return None
