"""Standard output that fails in one clear line: a closed pipe (``| head``), a full disk.

Writes go through `Guarded`, which turns the OSError of a failed write into `OutputError`.
It is not an OSError, so no library on the way (click, typer) swallows it into a silent exit 1;
`tcpspec.cli.main` reports it and exits 2.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO


class OutputError(Exception):
    """Standard output could not be written."""

    def __init__(self, e: OSError) -> None:
        super().__init__(e.strerror or str(e))
        self.errno = e.errno
        self.strerror = e.strerror or str(e)


class Guarded:
    """A text stream whose failed writes raise `OutputError` (everything else is the stream's)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            raise OutputError(e) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise OutputError(e) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_stdout() -> None:
    if not isinstance(sys.stdout, Guarded):
        sys.stdout = Guarded(sys.stdout)
