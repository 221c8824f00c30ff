"""`tcpspec replay`: is an ITF trace (Apalache's and Quint's JSON traces) a run of the model?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tcpspec.checks.itf import ItfError, from_itf, model_of, replay
from tcpspec.cli.app import EXIT_OK, EXIT_VIOLATED, app, fail
from tcpspec.cli.render import console, trace_table
from tcpspec.i18n import current

#: An ITF file is read up to this size.
MAX_BYTES = 64 << 20


@app.command("replay")
def replay_cmd(
    path: Annotated[Path, typer.Argument(metavar="TRACE.itf.json", help="An ITF trace.")],
) -> None:
    """Replay an ITF trace (as `tcpspec trace --format itf` writes it) through the model that
    its #meta names, and print the run.

    Each state must follow from the one before by a move of the model: the first that does not
    is named (exit 1)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        fail(f"{path}: cannot read it: {e.strerror}")
    if len(data) > MAX_BYTES:
        fail(f"{path}: larger than {MAX_BYTES} bytes: not read")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as e:
        fail(f"{path}: not JSON: {e}")
    if not isinstance(doc, dict):
        fail(f"{path}: not an ITF trace (a JSON object with states)")
    try:
        meta, worlds, loop = from_itf(doc)
        model = model_of(meta)
    except ItfError as e:
        fail(f"{path}: {e}")
    except ValueError as e:  # the model's own checks: an unknown scenario, impossible bounds
        fail(f"{path}: {e}")
    try:
        run = replay(model, worlds, loop, str(meta.get("description") or ""))
    except ItfError as e:
        print(f"{path}: not a run of the model: {e}")
        raise typer.Exit(EXIT_VIOLATED) from None
    title = f"{path.name}: a run of the model ({meta.get('scenario')})"
    console().print(trace_table(model, run, title, current()))
    raise typer.Exit(EXIT_OK)
