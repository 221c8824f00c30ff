"""`tcpspec prove` (the Z3 engine's three-way verdicts) and `tcpspec synthesize time-wait`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tcpspec.checks.every_bound import check as every_bound_check
from tcpspec.checks.parallel import SchedulerError
from tcpspec.checks.properties import CHECKED, PROPERTIES
from tcpspec.checks.symbolic import BOUNDED, PROVED, VIOLATED, SymbolicVerdict, check
from tcpspec.checks.symbolic import every_bound as EB
from tcpspec.checks.symbolic import parametric as P
from tcpspec.checks.synthesis import SynthesisRow, exercised, synthesize_time_wait
from tcpspec.checks.trace import to_json
from tcpspec.checks.verify import DEFAULT_DEPTH, SYMBOLIC_KINDS
from tcpspec.cli.app import (
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    EXIT_VIOLATED,
    Mutant,
    ScenarioOpt,
    app,
    bound_flags,
    bound_options,
    check_mutant,
    check_output,
    check_scenarios,
    fail,
    int_list,
    write_json,
)
from tcpspec.cli.render import console, plural, trace_table
from tcpspec.cli.scale import DEFAULT_MAX_MEMORY, Scheduler, Workers, check_scale
from tcpspec.spec.build import UnknownName, make_model
from tcpspec.spec.model import Bounds, BoundsError, Model
from tcpspec.spec.scenarios import SCENARIOS


def safety() -> tuple[str, ...]:
    """The properties Z3 proves (a user's loaded ones too)."""
    return tuple(p.id for p in CHECKED if p.kind in SYMBOLIC_KINDS)


@app.command("prove")
@bound_options
def prove_cmd(
    prop: Annotated[
        str | None,
        typer.Argument(metavar="[PROPERTY]", help="A safety property (default: all of them)."),
    ] = None,
    scenario: ScenarioOpt = None,
    mutant: Mutant = None,
    depth: Annotated[
        int | None,
        typer.Option(
            help="Steps searched by bounded model checking when no proof is found (default: "
            f"{DEFAULT_DEPTH}; {EB.EVERY_DEPTH} with --every-bound).",
            show_default=False,
        ),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Also write each verdict as JSON (status, method, depth, seconds, the "
            "inductive invariant used, the counterexample) to this file.",
        ),
    ] = None,
    every_bound: Annotated[
        bool,
        typer.Option(
            "--every-bound",
            help="Prove for every capacity, MSL, RTO, retry count and amount of data at once "
            "(bounds symbolic, channels unbounded), instead of at the given bounds.",
        ),
    ] = False,
    *,
    bounds: Bounds,
) -> None:
    """Prove safety properties for runs of any length with Z3, per scenario.

    Each verdict is one of three: "proved for all depths" (an inductive invariant implies the
    property: induction, with the strengthening lemmas of checks/symbolic/lemmas.py that survive
    Houdini), "violated" (with a shortest counterexample, from bounded model checking), or
    "no counterexample up to depth K" (neither a proof nor a counterexample).

    With --every-bound the bounds are symbolic and the channels unbounded: "proved for every
    capacity, MSL, RTO, retry count and amount of data", or proved where a condition on them
    holds (TIME-WAIT long enough), or "violated at" the least bounds found, with the explicit
    engine's run at those bounds, or "not proved for every bound" with the lemmas that are not
    inductive and a counterexample to induction (exit 3).
    """
    if prop is not None and prop not in PROPERTIES:
        fail(f"unknown property {prop!r}; choose one of: {', '.join(safety())}")
    if prop is not None and prop not in safety():
        fail(
            f"{prop} is a {PROPERTIES[prop].kind} property: the Z3 engine proves safety "
            f"(invariant and action) properties; `tcpspec verify` checks it explicitly"
        )
    if depth is None:
        depth = EB.EVERY_DEPTH if every_bound else DEFAULT_DEPTH
    if depth < 0:
        fail(f"--depth must be at least 0 (got {depth})")
    check_mutant(mutant)
    check_output(json_file)
    names = check_scenarios(scenario)
    ids = [prop] if prop else list(safety())
    if every_bound:
        if bound_flags(bounds):
            fail(
                "--every-bound proves for every bound at once: leave out "
                + " ".join(bound_flags(bounds))
            )
        _every_bound(list(names), ids, mutant, depth, json_file)
    out = console()
    t = Table(title="tcpspec prove (Z3)", title_justify="left")
    for col in ("property", "scenario", "verdict", "method", "seconds"):
        t.add_column(col)
    failed = []
    open_ = []
    doc: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    try:
        for name in names:
            model = make_model(name, bounds, mutant)
            for pid, v in check(model, ids, depth).items():
                colour = {PROVED: "green", VIOLATED: "red"}.get(v.status, "yellow")
                t.add_row(pid, name, f"[{colour}]{v.describe()}[/]", v.method, f"{v.seconds:.1f}")
                if v.status == VIOLATED and v.trace is not None:
                    failed.append((model, v.trace, f"counterexample to {pid} ({name}, z3 bmc)"))
                elif v.status == BOUNDED:
                    open_.append((pid, name))
                doc.append(_verdict_json(model, name, v))
    except (BoundsError, UnknownName) as e:
        fail(str(e))
    t.caption = (
        f"{time.perf_counter() - t0:.1f} s; induction from the lemmas in "
        f"checks/symbolic/lemmas.py, else BMC to depth {depth}"
    )
    out.print(t)
    for model, trace, title in failed:
        out.print(trace_table(model, trace, title))
    for pid, name in open_:
        print(
            f"inconclusive: {pid} in {name}: no proof, and no counterexample within "
            f"{plural(depth, 'step')}; a longer one may exist: raise --depth, or explore every "
            f"state with `{explicit_command(name, mutant, bounds)}`"
        )
    if json_file is not None:
        write_json(json_file, {"depth": depth, "mutant": mutant, "verdicts": doc})
    raise typer.Exit(EXIT_VIOLATED if failed else EXIT_INCONCLUSIVE if open_ else EXIT_OK)


def _every_bound(
    names: list[str], ids: list[str], mutant: str | None, depth: int, json_file: Path | None
) -> None:
    """`tcpspec prove --every-bound`: `every_bound.check` per scenario."""
    out = console()
    t = Table(title="tcpspec prove --every-bound (Z3)", title_justify="left")
    for col in ("property", "scenario", "verdict", "method", "seconds"):
        t.add_column(col)
    verdicts: list[EB.Verdict] = []
    t0 = time.perf_counter()
    for name in names:
        for v in every_bound_check(name, ids, mutant, depth):
            colour = {EB.PROVED: "green", EB.PROVED_IF: "green", EB.VIOLATED: "red"}
            style = colour.get(v.status, "yellow")
            t.add_row(v.property_id, name, f"[{style}]{escape(v.describe())}[/]", v.method,
                      f"{v.seconds:.1f}")  # fmt: skip
            verdicts.append(v)
    t.caption = (
        f"{time.perf_counter() - t0:.1f} s; bounds symbolic, channels unbounded "
        "(checks/symbolic/parametric.py); invariants re-checked from "
        "checks/symbolic/every-bound.json, else found by Houdini"
    )
    out.print(t)
    for v in verdicts:
        r = v.refutation
        if r is not None and v.status == EB.PROVED_IF:
            beyond = r.method.removeprefix("explicit, ")
            print(
                f"{v.property_id} in {v.scenario}: {beyond}, violated at "
                f"{r.at()} ({len(r.trace.steps)} steps): "
                f"{explicit_command(v.scenario, mutant, r.bounds)}"
            )
        elif r is not None:
            model = make_model(v.scenario, r.bounds, mutant)
            title = f"counterexample to {v.property_id} ({v.scenario}, {r.method})"
            out.print(trace_table(model, r.trace, title))
            print(f"reproduce: {explicit_command(v.scenario, mutant, r.bounds)}")
        elif v.status == EB.UNPROVED:
            print(
                f"not proved for every bound: {v.property_id} in {v.scenario}: not inductive: "
                f"{', '.join(v.not_inductive) or 'none'}; no counterexample within "
                f"{plural(v.depth, 'step')} over symbolic bounds"
            )
            if v.cti is not None:
                print(f"  counterexample to induction {v.cti.text()}")
    if json_file is not None:
        write_json(json_file, {"every_bound": True, "mutant": mutant, "depth": depth,
                               "verdicts": [every_json(v, mutant) for v in verdicts]})  # fmt: skip
    bad = any(v.status == EB.VIOLATED for v in verdicts)
    open_ = any(v.status == EB.UNPROVED for v in verdicts)
    raise typer.Exit(EXIT_VIOLATED if bad else EXIT_INCONCLUSIVE if open_ else EXIT_OK)


def every_json(v: EB.Verdict, mutant: str | None) -> dict[str, Any]:
    r = v.refutation
    sc = SCENARIOS[v.scenario]
    return {
        "property": v.property_id,
        "scenario": v.scenario,
        "status": v.status,
        "verdict": v.describe(),
        "condition": v.condition or None,
        "parameters": P.domain_words(sc.data),
        "method": v.method,
        "seconds": round(v.seconds, 3),
        "invariant": v.invariant or None,
        "not_inductive": v.not_inductive,
        "counterexample_to_induction": None if v.cti is None else v.cti.text(),
        "bounds": None if r is None else bound_flags(r.bounds),
        "counterexample": None
        if r is None
        else to_json(make_model(v.scenario, r.bounds, mutant), r.trace),
    }


def explicit_command(scenario: str, mutant: str | None, bounds: Bounds) -> str:
    """The `tcpspec verify` command that explores every state of the same model."""
    words = ["tcpspec verify --engine explicit --scenario", scenario]
    if mutant:
        words += ["--mutant", mutant]
    return " ".join(words + bound_flags(bounds))


def _verdict_json(model: Model, scenario: str, v: SymbolicVerdict) -> dict[str, Any]:
    invariant = next(
        (n.split(": ", 1)[1].split(", ") for n in v.notes if n.startswith("inductive invariant")),
        None,
    )
    return {
        "property": v.property_id,
        "scenario": scenario,
        "status": v.status,
        "verdict": v.describe(),
        "method": v.method,
        "depth": v.depth,
        "seconds": round(v.seconds, 3),
        "invariant": invariant,
        "notes": v.notes,
        "counterexample": to_json(model, v.trace) if v.trace is not None else None,
    }


#: the synthesis grid: every value of every list is explored (a handful of seconds each)
GRID_MOST = 16
#: what the synthesis leaves out: it is about FINs, not text or duplicated segments
BASE = Bounds(data=0, duplicates=0)

synthesize = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Synthesize parameters that make a property hold.",
)
app.add_typer(synthesize, name="synthesize")


@synthesize.command("time-wait")
def time_wait_cmd(
    msl: Annotated[str, typer.Option(help="MSL values (ticks), comma-separated.")] = "1,2",
    rto: Annotated[str, typer.Option(help="Retransmission timeouts (ticks).")] = "1,2",
    retries: Annotated[str, typer.Option(help="Retry limits (R2).")] = "0,1",
    scenario: Annotated[str, typer.Option(help="Scenario to synthesize in.")] = "close",
    confirm: Annotated[
        bool,
        typer.Option(
            "--confirm/--no-confirm",
            help="Also re-find each counterexample one tick below the bound with Z3's bounded "
            "model checking, at the same length (slow: about a minute per point).",
        ),
    ] = False,
    workers: Workers = 0,
    scheduler: Scheduler = None,
) -> None:
    """The least TIME-WAIT that keeps timewait.covers_fin_retransmit, over a grid of MSL, RTO
    and retry limits; compared with a closed form (see below) and with 2*MSL, and the
    counterexample one tick below the bound."""
    grid = [
        (m, r, n)
        for m in int_list("--msl", msl, 1, GRID_MOST)
        for r in int_list("--rto", rto, 1, GRID_MOST)
        for n in int_list("--retries", retries, 0, GRID_MOST)
    ]
    check_scenarios([scenario])
    pool = check_scale(workers, scheduler, DEFAULT_MAX_MEMORY)
    out = console()
    try:
        if not exercised(scenario, BASE):
            fail(
                f"in scenario {scenario} no retransmitted FIN ever reaches TIME-WAIT (nobody "
                "closes, or only one side does), so no TIME-WAIT is too short there: use a "
                "scenario where both sides close, e.g. --scenario close"
            )
        rows = synthesize_time_wait(
            grid,
            scenario=scenario,
            base=BASE,
            confirm_with_bmc=confirm,
            workers=pool,
            scheduler=scheduler,
        )
    except (BoundsError, UnknownName, SchedulerError) as e:
        fail(str(e))
    out.print(synthesis_table(rows))
    shown = next(
        (
            r
            for r in rows
            if r.counterexample is not None
            and r.least_time_wait is not None
            and r.least_time_wait > r.two_msl
        ),
        next((r for r in rows if r.counterexample is not None), None),
    )
    if shown is not None and shown.counterexample is not None and shown.least_time_wait:
        model = make_model(
            scenario,
            Bounds(
                data=0,
                duplicates=0,
                msl=shown.msl,
                rto=shown.rto,
                retries=shown.retries,
                time_wait=shown.least_time_wait - 1,
            ),
        )
        out.print(
            trace_table(
                model,
                shown.counterexample,
                f"TIME-WAIT = {shown.least_time_wait - 1}, one tick below the "
                f"bound (msl={shown.msl}, rto={shown.rto}, "
                f"retries={shown.retries})",
            )
        )
    undecided = [r for r in rows if r.least_time_wait is None]
    wrong = [
        r for r in rows if r.least_time_wait is not None and r.least_time_wait != r.closed_form
    ]
    for r in wrong:
        print(
            f"the closed form fails at msl={r.msl} rto={r.rto} retries={r.retries}: it says "
            f"{r.closed_form}, the least TIME-WAIT is {r.least_time_wait}"
        )
    for r in undecided:
        print(
            f"undecided at msl={r.msl} rto={r.rto} retries={r.retries}: no TIME-WAIT up to the "
            "search limit keeps the property"
        )
    raise typer.Exit(EXIT_VIOLATED if wrong else EXIT_INCONCLUSIVE if undecided else EXIT_OK)


def synthesis_table(rows: list[SynthesisRow]) -> Table:
    t = Table(
        title="least TIME-WAIT covering FIN retransmissions (timewait.covers_fin_retransmit)",
        title_justify="left",
    )
    for col in (
        "msl",
        "rto",
        "retries",
        "least TIME-WAIT",
        "closed form",
        "2*MSL",
        "2*MSL suffices",
        "oracle",
    ):
        t.add_column(col, justify="right")
    for r in rows:
        least = "not found" if r.least_time_wait is None else str(r.least_time_wait)
        suffices = (
            "-"
            if r.least_time_wait is None
            else ("yes" if r.two_msl >= r.least_time_wait else "[red]no[/]")
        )
        t.add_row(
            str(r.msl),
            str(r.rto),
            str(r.retries),
            least,
            str(r.closed_form),
            str(r.two_msl),
            suffices,
            r.oracle,
        )
    t.caption = (
        "closed form: min(RTO*(retries+1) + 1, max(MSL + RTO*retries, 2*MSL - 1)). TIME-WAIT "
        "must outlast the peer's last FIN retransmission (MSL + RTO*retries) and its answer "
        "to an old segment of ours (2*MSL - 1), but no longer than the peer stays in LAST-ACK "
        "(it gives up RTO*(retries+1) after its FIN)"
    )
    return t
