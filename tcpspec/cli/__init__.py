"""The `tcpspec` command line.

    tcpspec verify             every property, every scenario, default bounds
    tcpspec trace PROPERTY     the shortest counterexample (or witness) for one property
    tcpspec mutants            every broken variant of TCP, and what catches it
    tcpspec list               properties, mutants and scenarios

Exit status, the same for every command: see `tcpspec.cli.app.EXIT_STATUS`.
Each command lives in its own module, `tcpspec/cli/cmd_*.py`; importing it registers it.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import pkgutil
import sys

from tcpspec.cli import signals, streams
from tcpspec.cli.app import EXIT_INTERRUPTED, EXIT_OK, EXIT_STATUS, EXIT_USAGE, app

__all__ = ["app", "main"]

# Sorted, so `tcpspec --help` lists the commands in the same order everywhere.
for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod.startswith("cmd_"):
        importlib.import_module(f"tcpspec.cli.{_mod}")


for _info in app.registered_commands:
    _info.epilog = _info.epilog or EXIT_STATUS
for _group in app.registered_groups:
    if _group.typer_instance is not None:
        for _info in _group.typer_instance.registered_commands:
            _info.epilog = _info.epilog or EXIT_STATUS


def main() -> None:
    """Run the command line: Ctrl-C and SIGTERM stop it (exit 130), output that cannot be
    written is one line (exit 2), never a traceback."""
    signals.install()
    streams.guard_stdout()
    try:
        code = _run()
    except BaseException:
        if signals.received() is None and not isinstance(sys.exc_info()[1], KeyboardInterrupt):
            raise
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        _say("interrupted: no verdict was reached")
    sys.exit(code)


def _run() -> int:
    try:
        app()  # standalone: usage errors are shown and exit 2; KeyboardInterrupt exits 130
    except SystemExit as e:
        code = e.code
        if code is None:
            return EXIT_OK
        return code if isinstance(code, int) else EXIT_USAGE
    except (OSError, streams.OutputError) as e:
        if signals.received() is not None:
            return EXIT_INTERRUPTED
        return _output_error(e)
    except Exception:
        if signals.received() is not None:  # what an interrupted Z3 call surfaces as
            return EXIT_INTERRUPTED
        raise
    return EXIT_OK


def _output_error(e: OSError | streams.OutputError) -> int:
    # stdout is gone (a closed pipe, a full disk): say so once, and keep the interpreter from
    # failing again on it at exit
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())  # type: ignore[union-attr]
    if e.errno == errno.EPIPE:
        _say("error: the output was closed before everything was written (broken pipe)")
    else:
        where = getattr(e, "filename", None) or "the output"
        _say(f"error: cannot write {where}: {e.strerror or e}")
    return EXIT_USAGE


def _say(message: str) -> None:
    with contextlib.suppress(OSError):
        print(f"tcpspec: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
