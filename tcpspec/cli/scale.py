"""What the long-running commands share: how many processes (or which Dask cluster), the memory
guard, and the progress line a CI log gets (a terminal gets a bar)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from tcpspec.checks import loading
from tcpspec.checks.explicit import Stats
from tcpspec.cli.app import fail


def default_max_memory_mib() -> int:
    """A quarter of this machine's memory: well below it, even with one search per core."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 4096
    return max(512, total // 4 // 2**20)


Workers = Annotated[
    int,
    typer.Option(
        help="Processes to spread the independent tasks over (scenarios, engines, mutants, grid "
        "points); 0: one per core, 1: none (all in this process). The report is the same.",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        help="Run the tasks on a Dask cluster instead, e.g. tcp://HOST:8786 (needs "
        "pip install 'tcpspec[cluster]').",
    ),
]
MaxMemory = Annotated[
    int,
    typer.Option(
        help="Stop a search whose process grows beyond this many MiB (default: a quarter of "
        "this machine's memory), with advice.",
    ),
]


def check_scale(workers: int, scheduler: str | None, max_memory: int) -> int | None:
    """The ``workers`` argument of the engines (None: every core), after checking the options."""
    if workers < 0:
        fail(f"--workers must be at least 0 (got {workers})")
    if max_memory < 64:
        fail(f"--max-memory must be at least 64 MiB (got {max_memory})")
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        fail(f"--scheduler must be an address like tcp://HOST:8786 (got {scheduler!r})")
    if scheduler is not None and loading.LOADED:
        fail("a file given with --load is not sent to a Dask cluster: run without --scheduler")
    return None if workers == 0 else workers


def progress_line(task: str, s: Stats) -> None:
    """One line of figures on stderr (every few seconds of a long search, when stderr is not a
    terminal: CI logs)."""
    rate = s.states / s.seconds if s.seconds else 0.0
    print(
        f"tcpspec: {task}: {s.states:,} states, {rate:,.0f} states/s, depth {s.depth}, "
        f"{s.peak_mib:,.0f} MiB, {s.seconds:.0f} s",
        file=sys.stderr,
        flush=True,
    )


DEFAULT_MAX_MEMORY = default_max_memory_mib()
#: seconds between two progress lines (the tests shorten it)
PROGRESS_EVERY = float(os.environ.get("TCPSPEC_PROGRESS_EVERY", "2"))
