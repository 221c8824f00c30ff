"""`tcpspec conform`: is a captured TCP connection a behaviour of the model?"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from tcpspec.checks.conformance.conform import Assume, check_file
from tcpspec.checks.conformance.report import Outcome
from tcpspec.cli.app import app, check_output, fail
from tcpspec.cli.cmd_endpoint import SUFFIXES, check_all, endpoint_files, expand, report


def check_host(host: str) -> None:
    """ADDRESS or ADDRESS:PORT, IPv4 or IPv6 ([ADDRESS]:PORT): refuse anything else now."""
    addr, port = host, None
    if host.startswith("["):
        addr, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else (rest or None)
    elif host.count(":") == 1:
        addr, port = host.split(":")
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        fail(f"--host takes an IP address, or ADDRESS:PORT (got {host!r})")
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        fail(f"--host: the port must be 1 to 65535 (got {host!r})")


@app.command("conform")
def conform_cmd(
    captures: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help="pcap or pcapng files (tcpdump -w, Wireshark, tshark), packetdrill scripts "
            "(.pkt), or folders (every .pkt, .pcap, .pcapng and .cap under them); - reads a "
            "capture from standard input.",
        ),
    ],
    port: Annotated[
        int | None, typer.Option(help="Check only the connection(s) using this TCP port.")
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            help="The capture was taken on this endpoint's host (ADDRESS or ADDRESS:PORT): what "
            "arrived there was delivered to it, at once and in order."
        ),
    ] = None,
    fifo: Annotated[
        bool,
        typer.Option(help="The network between the two ends keeps order (one link, e.g. a veth)."),
    ] = False,
    min_rto: Annotated[
        float,
        typer.Option(
            help="Least retransmission timeout in seconds: a FIN or text captured again sooner is "
            "not a retransmission (Linux: 0.2; 0: ignore time)."
        ),
    ] = 0.0,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the reports as JSON to this file.")
    ] = None,
    junit_path: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            help="Also write the run as JUnit XML (a rejection a failure, an unreadable file an "
            "error, out of scope skipped), as CI systems read it.",
        ),
    ] = None,
    coverage: Annotated[
        bool,
        typer.Option(
            "--coverage",
            help="Also show which rule cases of the model the checked traces exercised, and "
            "which none did (as `tcpspec coverage` shows them for the model's own runs).",
        ),
    ] = False,
    endpoint: Annotated[
        list[str] | None,
        typer.Option(
            help="Check only this endpoint (ADDRESS or ADDRESS:PORT), one-sided: what it "
            "received is an arbitrary input (a scripted peer), what it sent must be what one "
            "model endpoint sends; repeat to check each end alone. packetdrill scripts (.pkt) "
            "are always checked this way."
        ),
    ] = None,
) -> None:
    """Check each TCP connection in PATH against the model (RFC 9293 sections 3.5-3.10).

    Sequence numbers are made relative to each side's ISN; options, windows and timestamps are
    ignored; whatever the capture does not show (timer expiries, user calls, segments lost on
    the way) may happen in between. A connection is ACCEPTED, with the states each side passed
    through; or REJECTED at the first segment no run of the model explains, with the states the
    model could have been in and what it would have let that side send; or OUT OF SCOPE when
    that segment shows a behaviour the model leaves out on purpose (see README).
    --host, --fifo and --min-rto state what is known about the capture and make the check
    stronger; `make conform` gives what the capture harness guarantees. --endpoint (and every
    packetdrill script) checks one endpoint alone against one model endpoint, the rest of the
    world being an arbitrary environment. In a script, each call takes effect where the script
    shows it and its recorded result is checked (accept() = 4: established; read() = 0: the
    peer's FIN arrived), and each outbound line is the next segment the kernel sent.

    Many files and folders are checked in one process; a file that cannot be read is one line
    naming it (and the line or frame) and the others are still checked. A summary ends the
    run: accepted, out of scope by reason, rejected by rule, unreadable.

    Exit status: 0 every trace accepted (or out of scope), 1 one is rejected, 2 bad usage or a
    file that could not be read (the run is incomplete).
    """
    if min_rto < 0:
        fail(f"--min-rto must be at least 0 (got {min_rto})")
    if port is not None and not 1 <= port <= 65535:
        fail(f"--port must be a TCP port, 1 to 65535 (got {port})")
    if host is not None:
        check_host(host)
    check_output(json_path)
    check_output(junit_path)
    if sum(str(p) == "-" for p in captures) > 1:
        fail("standard input (-) can be read only once")
    files = expand(captures)
    if not files:
        fail(f"no script or capture ({', '.join(SUFFIXES)}) under {', '.join(map(str, captures))}")
    if endpoint is not None or any(p.suffix == ".pkt" for p in files):
        # the one-sided check takes the capture host to be the endpoint itself, and reads no
        # times: these options would silently mean nothing there
        given = [o for o, v in (("--host", host), ("--fifo", fifo), ("--min-rto", min_rto)) if v]
        if given:
            fail(f"{', '.join(given)}: for the two-sided check only (not with --endpoint or .pkt)")
        for e in endpoint or ():
            check_host(e)
        results = check_all(files, endpoint_files(endpoint, port))
        report(results, json_path, junit_path, counts=True, coverage=coverage)
    assume = Assume(host=host, fifo=fifo, min_rto=min_rto)

    def one(path: Path) -> list[tuple[str, Outcome]]:
        return list(check_file(path, port, assume))

    report(check_all(files, one), json_path, junit_path, len(files) > 1, coverage)
