"""Named scenarios: who opens how, what the applications do, what old segments linger.

Each scenario is a situation from the seed notes. All properties are checked in all scenarios;
a scenario only decides which behaviours are possible at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from tcpspec.spec.model import Side

# The seeds' worked example: client ISN 100, server ISN 200. The earlier incarnation of the same
# port pair (whose segments may linger) used other ISNs, as a clock-driven ISN generator would.
CLIENT_ISS, SERVER_ISS = 100, 200
OLD_CLIENT_ISS, OLD_SERVER_ISS = 40, 140
# The seeds' close example (000, 002): the next sequence numbers once data has been exchanged.
SEED_CLIENT_SEQ, SEED_SERVER_SEQ = 300, 400


@dataclass(frozen=True)
class Scenario:
    """A situation to check: its ``name`` and ``title``, what the ``client`` and the ``server``
    do (`client`, `server`), old segments in flight at the start (``stale``: "syn", "data"),
    and the data units each side sends (``data``; None: as `Bounds.data`)."""

    name: str
    title: str
    client: Side
    server: Side
    stale: tuple[str, ...] = ()  # segments of the earlier incarnation in flight at the start
    data: int | None = None  # None: each side sends Bounds.data units; else this many


def client(**kw: object) -> Side:
    """The client side with the seeds' numbers; ``kw`` as `Side` (``active=True``, ...)."""
    return Side("client", CLIENT_ISS, OLD_CLIENT_ISS, **kw)  # type: ignore[arg-type]


def server(**kw: object) -> Side:
    """The server side with the seeds' numbers; ``kw`` as `Side` (``passive=True``, ...)."""
    return Side("server", SERVER_ISS, OLD_SERVER_ISS, **kw)  # type: ignore[arg-type]




SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("connect-close",
             "The client opens, both send data, both close (in either order, or at once).",
             client(active=True), server(passive=True)),
    Scenario("handshake",
             "The 3-way handshake alone: the client opens, the server listens, nobody closes.",
             client(active=True, closes=False), server(passive=True, closes=False), data=0),
    Scenario("close",
             "Open, then the 4-way close with no data (the seeds' FIN/ACK/FIN/ACK example).",
             client(active=True), server(passive=True), data=0),
    Scenario("stale-syn",
             "An old duplicate SYN of an earlier incarnation is still in flight when the client "
             "opens (seed 004, setup case 3).",
             client(active=True), server(passive=True), stale=("syn",), data=0),
    Scenario("stale-data",
             "A data segment of an earlier incarnation is still in flight when the client opens "
             "(seed 001: why the ISN is not 0).",
             client(active=True), server(passive=True), stale=("data",), data=0),
    Scenario("simultaneous-open",
             "Both sides open actively at the same time (RFC 9293 Figure 7).",
             client(active=True), server(active=True), data=0),
    Scenario("refused",
             "The client opens to a port where nobody listens: the SYN is answered by RST.",
             client(active=True), server(), data=0),
    Scenario("abort",
             "The client's application may ABORT at any moment: the server is told by RST.",
             client(active=True, abort=True), server(passive=True), data=0),
    Scenario("close-seeds",
             "The 4-way close with the seeds' own numbers (seeds 000 and 002): the connection "
             "is ESTABLISHED and has carried data, the client's next byte is 300 and the "
             "server's 400, so FIN seq=300, ACK ack=301, FIN seq=400, ACK ack=401.",
             client(active=True, start_seq=SEED_CLIENT_SEQ),
             server(passive=True, start_seq=SEED_SERVER_SEQ), data=0),
)}

#: The scenarios `tcpspec verify` checks by default. `close-seeds` is the same close as `close`
#: from other numbers (a study chart): checking it again adds nothing but time.
DEFAULT_SCENARIOS = tuple(n for n in SCENARIOS if n != "close-seeds")
