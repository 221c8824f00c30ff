"""`tcpspec conform` over many files: folders expanded, every file checked in one process, a
bad file reported on its own line while the others are still checked, a summary (accepted,
out of scope by reason, rejected by rule), JSON and JUnit XML. One-sided checking
(`--endpoint`, packetdrill scripts) is run from here too."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from tcpspec.checks.conformance.conform import ConformError
from tcpspec.checks.conformance.endpoint import EndpointError, check_capture
from tcpspec.checks.conformance.packetdrill import ScriptError, check_script
from tcpspec.checks.conformance.packetdrill import read as read_script
from tcpspec.checks.conformance.pcap import CaptureError
from tcpspec.checks.conformance.report import OUT, Outcome
from tcpspec.cli.app import write_json, write_text
from tcpspec.cli.render import plural

#: The files a folder given to `tcpspec conform` stands for.
SUFFIXES = (".pkt", ".pcap", ".pcapng", ".cap")
#: What a file that cannot be checked raises (each becomes one line of the report).
INPUT_ERRORS = (CaptureError, ConformError, EndpointError, ScriptError, OSError)


@dataclass(frozen=True)
class Result:
    """One checked trace of a run (``report`` None: the file could not be read: ``error``)."""

    path: Path
    name: str
    report: Outcome | None
    error: str = ""

    @property
    def status(self) -> str:
        return "error" if self.report is None else self.report.status


def expand(paths: list[Path]) -> list[Path]:
    """Each path as given, a folder as the scripts and captures under it (sorted)."""
    out: list[Path] = []
    for p in paths:
        if str(p) != "-" and p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix in SUFFIXES and f.is_file())
        else:
            out.append(p)
    return out


def _named(path: Path, message: str) -> str:
    """An error message that names its file (once)."""
    shown = "standard input" if str(path) == "-" else str(path)
    return message if message.startswith((shown, path.name)) else f"{shown}: {message}"


def check_all(paths: list[Path], one: Callable[[Path], list[tuple[str, Outcome]]]) -> list[Result]:
    """Check every file with ``one``; a file that cannot be checked is one error result."""
    out: list[Result] = []
    for path in _progress(paths):
        try:
            out += [Result(path, name, rep) for name, rep in one(path)]
        except INPUT_ERRORS as e:
            msg = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            out.append(Result(path, "", None, _named(path, msg)))
        except RecursionError:
            out.append(Result(path, "", None, _named(path, "nested too deeply to be read")))
        except (ValueError, MemoryError) as e:
            # a last resort: whatever a reader did not foresee is still one line, not a traceback
            what = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
            out.append(Result(path, "", None, _named(path, f"cannot be checked: {what}")))
    return out


def _progress(paths: list[Path]) -> Iterator[Path]:
    """The files, with a progress bar on a terminal's stderr when there are many."""
    if len(paths) < 20 or not sys.stderr.isatty():
        yield from paths
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("checking", total=len(paths))
        for p in paths:
            yield p
            bar.advance(task)


def endpoint_files(
    endpoints: list[str] | None, port: int | None
) -> Callable[[Path], list[tuple[str, Outcome]]]:
    """How one file is checked one-sided: a script for its kernel, a capture per endpoint."""

    def one(path: Path) -> list[tuple[str, Outcome]]:
        if path.suffix == ".pkt":
            return [("kernel", check_script(read_script(path)))]
        if not endpoints:
            raise EndpointError(
                f"{path}: a capture needs --endpoint ADDRESS[:PORT] to be checked one-sided"
            )
        return [g for e in endpoints for g in check_capture(path, e, port)]

    return one


def _rule(rep: Outcome) -> str:
    """The rule a rejection names: the cases whose reply or result was missing, or what the
    report says."""
    return str(getattr(rep, "rule", "") or "a segment no run of the model explains")


def summary(results: list[Result]) -> str:
    """``12 traces: 9 accepted, 2 out of scope (fast-open 2), 1 rejected (...), 0 unreadable``."""
    n = Counter(r.status for r in results)
    out = Counter(r.report.out_of_scope for r in results if r.status == "out-of-scope" and r.report)
    rules = Counter(_rule(r.report) for r in results if r.status == "rejected" and r.report)
    text = f"{plural(len(results), 'trace')}: {n['accepted']} accepted, "
    text += f"{n['out-of-scope']} out of scope"
    if out:
        text += " (" + ", ".join(f"{k} {v}" for k, v in sorted(out.items())) + ")"
    text += f", {n['rejected']} rejected"
    if rules:
        text += " (" + "; ".join(f"{k}: {v}" for k, v in sorted(rules.items())) + ")"
    return text + f", {n['error']} unreadable"


def junit(results: list[Result]) -> str:
    """The run as JUnit XML (one testcase per trace): rejected a failure, unreadable an error,
    out of scope skipped, as CI systems read it."""
    n = Counter(r.status for r in results)
    suite = ET.Element(
        "testsuite",
        name="tcpspec conform",
        tests=str(len(results)),
        failures=str(n["rejected"]),
        errors=str(n["error"]),
        skipped=str(n["out-of-scope"]),
    )
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=str(r.path), name=r.name or r.path.name)
        if r.report is None:
            ET.SubElement(case, "error", message=r.error)
        elif r.status == "rejected":
            head = r.report.text().splitlines()[0]
            ET.SubElement(case, "failure", message=head).text = r.report.text()
        elif r.status == "out-of-scope":
            o = OUT[r.report.out_of_scope]
            ET.SubElement(case, "skipped", message=f"{o.name}: {o.title} ({o.ref})")
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def print_coverage(results: list[Result]) -> None:
    """The rule cases the explaining runs of the checked traces fired (accepted ones whole, the
    others up to where they stopped), as `tcpspec coverage` shows the model's."""
    from tcpspec.checks.coverage import tally
    from tcpspec.cli.cmd_coverage import show_coverage

    traces = [r for r in results if r.report is not None]
    rows = tally(
        (f"{r.path}: {r.name}", [row.cases for row in r.report.rows])
        for r in traces
        if r.report is not None
    )
    show_coverage(
        rows,
        False,
        False,
        "events",
        "{k} of {n} rule cases fired in {t} checked trace(s); {d} never fired",
        t=len(traces),
    )


def report(
    results: list[Result],
    json_path: Path | None,
    junit_path: Path | None,
    counts: bool,
    coverage: bool = False,
) -> None:
    """Print every result (errors on stderr), the summary (and, ``coverage``, the rule cases the
    traces exercised), write JSON and JUnit, and exit: 2 if a file could not be read (the run is
    incomplete), else 1 if a trace is rejected, else 0."""
    for r in results:
        if r.report is None:
            print(f"tcpspec: error: {r.error}", file=sys.stderr)
            continue
        print(f"{r.path}: {r.name}: {r.report.text()}")
        if r.report.out_of_scope:
            o = OUT[r.report.out_of_scope]
            print(f"  out of scope: {o.why} ({o.ref})")
    if counts:
        print(summary(results))
    if coverage:
        print_coverage(results)
    if json_path is not None:
        doc: list[dict[str, Any]] = [
            dict(file=str(r.path), connection=r.name, **r.report.as_json())
            if r.report is not None
            else dict(file=str(r.path), status="error", error=r.error)
            for r in results
        ]
        write_json(json_path, doc)
    if junit_path is not None:
        write_text(junit_path, junit(results))
    statuses = {r.status for r in results}
    raise typer.Exit(2 if "error" in statuses else 1 if "rejected" in statuses else 0)
