"""SPIN as a back end: compile the exported Promela, run ``pan``, read what it says.

``spin -a`` writes the verifier; ``gcc -O2 -DSAFETY -DNOREDUCE`` compiles it without partial-order
reduction, so that "states, stored" counts every reachable state, as the explicit engine does;
``pan -c0`` goes on after a violation, so the count is the whole space and every violated
assertion (one ``ok_<property>`` per safety property) is reported.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.spin.promela import export, ok_name
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, Model

INSTALL = (
    "SPIN and gcc are needed: install them with `apt-get install spin gcc` (as root), "
    "or `make system-tools`"
)


def missing() -> str | None:
    """Why SPIN cannot run here (a one-line instruction), or None."""
    for tool in ("spin", "gcc"):
        if shutil.which(tool) is None:
            return f"{tool} not found. {INSTALL}"
    return None


@dataclass(frozen=True)
class SpinResult:
    states: int  # "states, stored"
    transitions: int
    depth: int
    violated: tuple[str, ...]  # ids of the safety properties whose assertion failed
    seconds: float  # whole process: spin -a, gcc and pan
    memory_mb: float  # pan's "total actual memory usage"


class SpinError(RuntimeError):
    """SPIN, gcc or pan failed, or pan's search was cut short."""


def _run(cmd: list[str], cwd: Path) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if r.returncode != 0 and cmd[0] != "./pan":
        raise SpinError(f"{' '.join(cmd)} failed: {(r.stderr or r.stdout).strip()[:400]}")
    return r.stdout + r.stderr


def _number(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    if m is None:
        raise SpinError(f"pan's output has no {pattern!r}")
    return float(m.group(1))


def check(model: Model, depth: int = 200_000) -> SpinResult:
    """Export ``model``, verify it with SPIN, and report the counts and the violations."""
    why = missing()
    if why is not None:
        raise SpinError(why)
    names = {ok_name(p): p.id for p in PROPERTIES.values()}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tcpspec-spin-") as tmp:
        d = Path(tmp)
        (d / "model.pml").write_text(export(model))
        _run(["spin", "-a", "model.pml"], d)
        _run(["gcc", "-O2", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"], d)
        out = _run(["./pan", f"-m{depth}", "-c0", "-n", "-w22"], d)
    seconds = time.perf_counter() - start
    if "max search depth too small" in out or "out of memory" in out.lower():
        raise SpinError(f"pan's search was cut short: {out.strip().splitlines()[0]}")
    if re.search(r"assertion violated (?!ok_)", out):  # a range check of the packing failed
        raise SpinError("a sequence number outgrew the Promela packing: smaller bounds, please")
    violated = sorted({names[v] for v in re.findall(r"assertion violated (ok_\w+)", out)})
    return SpinResult(
        states=int(_number(r"(\d+) states, stored", out)),
        transitions=int(_number(r"(\d+) transitions", out)),
        depth=int(_number(r"depth reached (\d+)", out)),
        violated=tuple(violated),
        seconds=seconds,
        memory_mb=_number(r"([\d.]+)\s+total actual memory usage", out),
    )


def check_named(
    scenario: str, bounds: Bounds | None = None, mutant: str | None = None
) -> SpinResult:
    """`check` of a scenario (and mutant) by name: a task for a process pool."""
    return check(make_model(scenario, bounds, mutant))
