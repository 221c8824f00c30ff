"""`tcpspec testgen`: the model's endpoint tests, exported as packetdrill scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tcpspec.checks.conformance import testgen
from tcpspec.cli.app import app, check_output, fail


@app.command("testgen")
def testgen_cmd(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory to write the scripts into.")
    ],
    endpoint: Annotated[
        list[str] | None,
        typer.Option(
            help="Which kernel: `listen` (it listens) or `connect` (it connects); repeat for "
            "both (default: both)."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Script format (only `packetdrill`).")
    ] = "packetdrill",
) -> None:
    """Write one packetdrill script per endpoint transition a scripted peer can bring about
    (RFC 9293 3.10, as the model has it), and a README.md listing what each covers.

    Run them against your own stack with packetdrill; `tcpspec conform DIR/*.pkt` checks them
    against the model (every one is accepted).
    """
    if fmt != "packetdrill":
        fail(f"unknown format {fmt!r}; choose one of: packetdrill")
    setups = endpoint or sorted(testgen.SETUPS)
    for s in setups:
        if s not in testgen.SETUPS:
            fail(f"unknown endpoint {s!r}; choose one of: {', '.join(sorted(testgen.SETUPS))}")
    if output.exists() and not output.is_dir():
        fail(f"{output} exists and is not a directory")
    if not output.exists():
        check_output(output)  # its parent must exist and be writable, as for every output
    setups = list(dict.fromkeys(setups))
    try:
        scripts = testgen.write(setups, output)
    except OSError as e:
        fail(f"cannot write into {output}: {e.strerror}")
    counts = ", ".join(f"{s}: {sum(g.setup == s for g in scripts)}" for s in setups)
    print(f"wrote {len(scripts)} packetdrill scripts ({counts}) and README.md to {output}")
