"""Ctrl-C (SIGINT) and SIGTERM stop every command within about a second, Z3 included.

Python runs a signal handler only between bytecodes, so while Z3 is deep in one `check()` (a
C call that can last minutes) a plain handler would wait for it. Python's C-level handler still
writes the signal number to a wake-up file descriptor at once: a watcher thread reads it and
asks Z3 to stop (`interrupt()` is made to be called from another thread). The check then
returns, the Python handler raises KeyboardInterrupt, and `tcpspec.cli.main` exits 130 without
printing any verdict it did not reach. The Z3 engine tells Z3 not to catch Ctrl-C itself
(`ctrl_c=False`, in `tcpspec.checks.symbolic`): otherwise Z3 would swallow the signal and
return "unknown", which reads as an inconclusive verdict.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from types import FrameType

_installed = False
_received: int | None = None


def received() -> int | None:
    """The signal that asked us to stop, if one did. After it, whatever exception unwinds the
    command is its consequence (an interrupted Z3 call can surface as ``Z3Exception:
    canceled``, or a KeyboardInterrupt wrapped by ctypes as ``ArgumentError``)."""
    return _received


def _raise(signum: int, frame: FrameType | None) -> None:
    global _received
    _received = signum
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:
            return
        z3 = sys.modules.get("z3")
        if z3 is not None:
            with contextlib.suppress(Exception):
                z3.main_ctx().interrupt()


def install() -> None:
    """Handle SIGINT and SIGTERM as described above (once per process, main thread only)."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    signal.signal(signal.SIGINT, _raise)
    signal.signal(signal.SIGTERM, _raise)
    threading.Thread(target=_watch, args=(r,), name="tcpspec-signals", daemon=True).start()
    _installed = True
