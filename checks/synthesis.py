"""TIME-WAIT synthesis: the least TIME-WAIT that keeps `timewait.covers_fin_retransmit`.

The explicit engine is the oracle; the Z3 engine (BMC) confirms its counterexamples on request.
It uses both engines, so it lives beside them, like `checks.verify`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tcpspec.checks import parallel
from tcpspec.checks.explicit import explore
from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.symbolic import bmc
from tcpspec.checks.trace import Trace
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, Model

PID = "timewait.covers_fin_retransmit"


@dataclass
class SynthesisRow:
    msl: int
    rto: int
    retries: int
    least_time_wait: int | None  # None: not found up to max_tw
    closed_form: int  # what the formula in `closed_form` predicts
    counterexample: Trace | None  # the violation at least_time_wait - 1
    oracle: str

    @property
    def two_msl(self) -> int:
        return 2 * self.msl


def closed_form(msl: int, rto: int, retries: int) -> int:
    """The least TIME-WAIT that keeps `timewait.covers_fin_retransmit`, as a formula:

        min(RTO*(retries+1) + 1, max(MSL + RTO*retries, 2*MSL - 1))

    TIME-WAIT must outlast every segment of a peer still in LAST-ACK that could reach a closed
    closer and draw a RST: the peer's last FIN retransmission, sent RTO*retries ticks after its
    first FIN and living almost MSL ticks (MSL + RTO*retries); and the peer's answer to an old
    segment of ours, which itself lived almost MSL (2*MSL - 1: RFC 9293's reason for 2*MSL).
    But no longer than the peer stays in LAST-ACK: it gives up RTO*(retries+1) ticks after its
    FIN. (The +1 and -1 are the model's discrete ticks.) It matches the explicit engine at
    every point of the grid msl, rto in 1..3, retries in 0..2 (`tcpspec synthesize time-wait
    --msl 1,2,3 --rto 1,2,3 --retries 0,1,2`); 2*MSL is enough exactly where it is <= 2*MSL."""
    return min(rto * (retries + 1) + 1, max(msl + rto * retries, 2 * msl - 1))


def _holds_explicit(model: Model, prop_id: str) -> tuple[bool, Trace | None]:
    ex = explore(model, (PROPERTIES[prop_id],), stop_at=(prop_id,))
    v = ex.verdicts[prop_id]
    return v.holds, v.trace


def exercised(scenario: str, base: Bounds) -> bool:
    """Whether `timewait.covers_fin_retransmit` can be exercised in ``scenario`` at all: its
    "sometimes" companion (a retransmitted FIN reaches TIME-WAIT) is reachable, with one retry
    and a TIME-WAIT as long as 2*MSL. Where nobody closes, any TIME-WAIT "works"."""
    p = PROPERTIES[PID]
    assert p.witness is not None
    model = make_model(scenario, replace(base, retries=max(1, base.retries)))
    v = explore(model, (p,), stop_at=(p.witness,)).verdicts.get(p.witness)
    return v is not None and v.holds


def synthesize_time_wait(
    grid: list[tuple[int, int, int]],
    max_tw: int | None = None,
    scenario: str = "close",
    base: Bounds | None = None,
    confirm_with_bmc: bool = False,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> list[SynthesisRow]:
    """Least ``time_wait`` making ``timewait.covers_fin_retransmit`` hold, per grid point.

    The oracle is the explicit engine (a complete exploration per candidate; Z3 could not prove
    the property unboundedly in reasonable time, see `prove`). With ``confirm_with_bmc`` the
    counterexample one tick below is re-found by `bmc` and must have the same length (slow:
    tens of seconds per point). Each grid point is a task: in parallel with ``workers`` other
    than 1 or a Dask ``scheduler`` (`checks.parallel`)."""
    base = base or Bounds(data=0, duplicates=0)
    tasks = [
        (msl, rto, retries, max_tw, scenario, base, confirm_with_bmc) for msl, rto, retries in grid
    ]
    return parallel.run(_grid_point, tasks, workers, scheduler)


def _grid_point(
    msl: int,
    rto: int,
    retries: int,
    max_tw: int | None,
    scenario: str,
    base: Bounds,
    confirm_with_bmc: bool,
) -> SynthesisRow:
    """One grid point of `synthesize_time_wait` (a task of its own)."""
    pid = PID
    top = max_tw or 2 * msl + 2 * rto * (retries + 1) + 2
    least: int | None = None
    cex: Trace | None = None
    prev_trace: Trace | None = None
    for tw in range(1, top + 1):
        m = make_model(scenario, replace(base, msl=msl, rto=rto, retries=retries, time_wait=tw))
        ok, tr = _holds_explicit(m, pid)
        if ok:
            least, cex = tw, prev_trace
            break
        prev_trace = tr
    oracle = "explicit"
    if confirm_with_bmc and least is not None and least > 1 and cex is not None:
        m = make_model(
            scenario, replace(base, msl=msl, rto=rto, retries=retries, time_wait=least - 1)
        )
        v = bmc(m, pid, len(cex))
        if v.trace is None or len(v.trace) != len(cex):
            raise AssertionError(f"engines disagree at {(msl, rto, retries)}")
        oracle = "explicit, counterexample confirmed by z3 bmc"
    return SynthesisRow(msl, rto, retries, least, closed_form(msl, rto, retries), cex, oracle)
