"""`tcpspec conform --endpoint` and `tcpspec conform SCRIPT.pkt`: one-sided checking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tcpspec.checks.conformance.conform import OUT
from tcpspec.checks.conformance.endpoint import EndpointError, EndpointReport, check_capture
from tcpspec.checks.conformance.packetdrill import ScriptError, check_script
from tcpspec.checks.conformance.packetdrill import read as read_script
from tcpspec.checks.conformance.pcap import CaptureError
from tcpspec.cli.app import fail, write_json
from tcpspec.cli.render import plural


def one_sided(
    paths: list[Path], endpoints: list[str] | None, port: int | None, json_path: Path | None
) -> None:
    """Check each capture (for ``endpoint``) or packetdrill script (for its kernel); print the
    reports, a summary line, and exit 0 (all accepted or out of scope), 1 (one rejected)."""
    results: list[tuple[Path, str, EndpointReport]] = []
    for path in paths:
        try:
            if path.suffix == ".pkt":
                got = [("kernel", check_script(read_script(path)))]
            elif not endpoints:
                fail(f"{path}: a capture needs --endpoint ADDRESS[:PORT] to be checked one-sided")
            else:
                got = [g for e in endpoints for g in check_capture(path, e, port)]
        except (CaptureError, EndpointError, ScriptError) as e:
            fail(str(e))
        results += [(path, name, rep) for name, rep in got]
    for path, name, rep in results:
        print(f"{path}: {name}: {rep.text()}")
        if rep.out_of_scope:
            o = OUT[rep.out_of_scope]
            print(f"  out of scope: {o.why} ({o.ref})")
    counts = {
        s: sum(r.status == s for _, _, r in results)
        for s in ("accepted", "out-of-scope", "rejected")
    }
    print(
        f"{plural(len(results), 'trace')}: {counts['accepted']} accepted, "
        f"{counts['out-of-scope']} out of scope, {counts['rejected']} rejected"
    )
    if json_path is not None:
        doc: list[dict[str, Any]] = [
            dict(file=str(p), connection=n, **r.as_json()) for p, n, r in results
        ]
        write_json(json_path, doc)
    raise typer.Exit(1 if counts["rejected"] else 0)
