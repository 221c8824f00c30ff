"""Independent tasks (scenarios, engines, mutants, grid points) over every core, or a Dask cluster.

`run` maps a function over a list of argument tuples and returns the results in the same order,
so the reports are the same, byte for byte, however the tasks were spread:

* ``workers=1`` (or a single task): here, in this process;
* by default: a local pool of processes, one per core (``os.process_cpu_count``). The workers
  ignore Ctrl-C (the parent handles it, stops the pool and exits 130) and are killed by the
  kernel if the parent dies (Linux ``PR_SET_PDEATHSIG``), so none outlives it;
* ``scheduler="tcp://HOST:8786"``: the tasks of a `dask.distributed` cluster (the optional extra
  ``tcpspec[cluster]``; the workers need tcpspec installed too).

Task functions and their arguments must be picklable: module-level functions, and plain data
(scenario names, `Bounds`), never a `Model` (its rules are lambdas); results too.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used (not installed, or not reachable)."""


def cores() -> int:
    count = getattr(os, "process_cpu_count", None)
    n = count() if count is not None else len(os.sched_getaffinity(0))
    return max(1, n or 1)


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: only the parent acts on it. The pool's own
    # SIGTERM (terminate()) must end a worker quietly, whatever handler it inherited by fork.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    with contextlib.suppress(Exception):  # Linux only: die with the parent
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _call(job: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    fn, args = job
    return fn(*args)


def run(
    fn: Callable[..., T],
    tasks: Sequence[tuple[Any, ...]],
    workers: int | None = None,
    scheduler: str | None = None,
) -> list[T]:
    """``[fn(*args) for args in tasks]``, spread over processes (or a Dask cluster)."""
    if scheduler:
        return _dask(fn, tasks, scheduler)
    n = min(workers or cores(), len(tasks))
    if n <= 1:
        return [fn(*args) for args in tasks]
    # fork: the workers start at once, with everything already imported
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(n, initializer=_worker_init)
    try:
        out = pool.map(_call, [(fn, args) for args in tasks], chunksize=1)
        pool.close()
        return out
    finally:
        pool.terminate()  # also on Ctrl-C or an error: no worker is left running
        pool.join()


def _dask(fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]], scheduler: str) -> list[T]:
    try:
        from distributed import Client
    except ImportError as e:
        raise SchedulerError(
            "--scheduler needs dask.distributed: pip install 'tcpspec[cluster]'"
        ) from e
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from e
    try:
        futures = [client.submit(fn, *args, pure=False) for args in tasks]
        return list(client.gather(futures))
    finally:
        client.close()
