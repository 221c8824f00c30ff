"""SPIN as a back end: compile the exported Promela, run ``pan``, read what it says.

``spin -a`` writes the verifier; ``gcc -O2 -DSAFETY -DNOREDUCE`` compiles it without partial-order
reduction, so that "states, stored" counts every reachable state, as the explicit engine does;
``pan -c0`` goes on after a violation, so the count is the whole space and every violated
assertion (one ``ok_<property>`` per safety property) is reported.

With ``trails``, each violated property gets a counterexample: the model is exported again with
that property alone and a ``printf`` of the state after every move, ``pan -c1 -i`` stops at its
first violation and shortens the trail it writes as it can, and ``spin -t`` replays the trail
as the sequence of states. `replay` turns those states into a `Trace` whose every step is a move
of `Model.successors` (its label is the model's, never SPIN's). Depth-first, SPIN's trail is a
counterexample but not always a shortest one (the explicit engine's are).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tcpspec.checks.properties import PROPERTIES, Property
from tcpspec.checks.spin.promela import STATE_MARK, export, ok_name, state_values
from tcpspec.checks.trace import Trace, TraceStep
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, Model, World

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
    seconds: float  # whole process: spin -a, gcc and pan (and the trails)
    memory_mb: float  # pan's "total actual memory usage"
    traces: tuple[Trace, ...] = ()  # with ``trails``: a counterexample per violated property

    def trace(self, property_id: str) -> Trace | None:
        return next((t for t in self.traces if t.property_id == property_id), None)


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


#: What a trace made from a SPIN trail says of itself (a msgid: `tcpspec --lang ko` translates it).
NOTE = "SPIN's counterexample (depth-first): not necessarily a shortest one"
#: pan's options: the search depth, a hash table of 2^22 slots, no never claim.
PAN = ("-n", "-w22")
#: pan's options for a trail: stop at the first violation, then -i: shorten it while it can.
TRAIL = ("-c1", "-i")


def _build(d: Path, text: str, max_memory_mib: int | None) -> None:
    """``model.pml`` and the ``pan`` compiled from it, in ``d``."""
    (d / "model.pml").write_text(text)
    _run(["spin", "-a", "model.pml"], d)
    limit = [] if max_memory_mib is None else [f"-DMEMLIM={max_memory_mib}"]
    _run(["gcc", "-O2", "-DSAFETY", "-DNOREDUCE", *limit, "-o", "pan", "pan.c"], d)


def _search(d: Path, depth: int, opts: tuple[str, ...], max_memory_mib: int | None) -> str:
    """pan's output, after refusing a search that was cut short."""
    out = _run(["./pan", f"-m{depth}", *opts, *PAN], d)
    if "reached -DMEMLIM bound" in out:
        raise SpinError(
            f"SPIN's search needs more than {max_memory_mib:,} MiB (--max-memory); lower the "
            "bounds (e.g. --capacity, --duplicates, --data), or raise --max-memory"
        )
    if "max search depth too small" in out:
        raise SpinError(
            f"pan's search was cut short: its depth limit ({depth:,} steps) is too small"
        )
    if "out of memory" in out.lower():
        raise SpinError(f"pan's search was cut short: {out.strip().splitlines()[0]}")
    if re.search(r"assertion violated (?!ok_)", out):  # a range check of the packing failed
        raise SpinError("a sequence number outgrew the Promela packing: smaller bounds, please")
    return out


def check(
    model: Model,
    depth: int = 200_000,
    *,
    trails: bool = False,
    max_states: int | None = None,
    max_memory_mib: int | None = None,
) -> SpinResult:
    """Export ``model``, verify it with SPIN, and report the counts and the violations (with
    ``trails``, a counterexample to each). More than ``max_states`` stored states, or a search
    that needs more than ``max_memory_mib`` MiB (pan's ``-DMEMLIM``), is a `SpinError`."""
    why = missing()
    if why is not None:
        raise SpinError(why)
    names = {ok_name(p): p.id for p in PROPERTIES.values()}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tcpspec-spin-") as tmp:
        d = Path(tmp)
        _build(d, export(model), max_memory_mib)
        out = _search(d, depth, ("-c0",), max_memory_mib)
        states = int(_number(r"(\d+) states, stored", out))
        if max_states is not None and states > max_states:
            raise SpinError(
                f"the state space has more than {max_states:,} states ({states:,} stored by "
                "SPIN); raise --max-states or lower the bounds (e.g. --capacity, --duplicates, "
                "--data)"
            )
        violated = sorted({names[v] for v in re.findall(r"assertion violated (ok_\w+)", out)})
        traces = tuple(
            _trail(model, PROPERTIES[pid], d / pid, depth, max_memory_mib)
            for pid in (violated if trails else ())
        )
    return SpinResult(
        states=states,
        transitions=int(_number(r"(\d+) transitions", out)),
        depth=int(_number(r"depth reached (\d+)", out)),
        violated=tuple(violated),
        seconds=time.perf_counter() - start,
        memory_mb=_number(r"([\d.]+)\s+total actual memory usage", out),
        traces=traces,
    )


def _trail(model: Model, prop: Property, d: Path, depth: int, max_memory_mib: int | None) -> Trace:
    """A counterexample to ``prop``: pan's (shortened) trail, replayed by ``spin -t``."""
    d.mkdir()
    _build(d, export(model, (prop,), trail=True), max_memory_mib)
    _search(d, depth, TRAIL, max_memory_mib)
    if not (d / "model.pml.trail").exists():
        raise SpinError(f"pan found no trail of {prop.id} when run on that property alone")
    out = _run(["spin", "-t", "model.pml"], d)
    states = [
        tuple(int(v) for v in line.split()[1:])
        for line in out.splitlines()
        if line.strip().startswith(STATE_MARK + " ")
    ]
    return replay(model, prop, states)


def replay(model: Model, prop: Property, states: list[tuple[int, ...]]) -> Trace:
    """The run of ``model`` through ``states`` (each the `state_values` of the state after a
    move), labelled by `Model.successors`: from each world, the first move whose world is the
    next state. Its last state (or, for an action property, its last step) violates ``prop``;
    a state that is no move of the model, or a run that does not violate ``prop``, is a
    `SpinError`."""
    w = model.initial()
    trace = Trace(w, property_id=prop.id, verdict="violated", note=NOTE)
    for k, want in enumerate(states, 1):
        step = next(
            (
                TraceStep(lab, w2)
                for lab, w2 in model.successors(w)
                if state_values(model, w2) == want
            ),
            None,
        )
        if step is None:
            raise SpinError(
                f"SPIN's trail of {prop.id} does not follow the model: its state {k} is no "
                "move of the model from the state before"
            )
        trace.steps.append(step)
        w = step.world
    if not _violates(model, prop, trace):
        raise SpinError(f"SPIN's trail of {prop.id} ends in a state that does not violate it")
    return trace


def _violates(model: Model, prop: Property, trace: Trace) -> bool:
    if prop.kind == "invariant":
        return not prop.pred(model, trace.worlds()[-1])
    if not trace.steps:
        return False
    before: World = trace.worlds()[-2]
    last = trace.steps[-1]
    return not prop.pred(model, before, last.label, last.world)


def check_named(
    scenario: str,
    bounds: Bounds | None = None,
    mutant: str | None = None,
    trails: bool = False,
    max_states: int | None = None,
    max_memory_mib: int | None = None,
) -> SpinResult:
    """`check` of a scenario (and mutant) by name: a task for a process pool."""
    return check(
        make_model(scenario, bounds, mutant),
        trails=trails,
        max_states=max_states,
        max_memory_mib=max_memory_mib,
    )
