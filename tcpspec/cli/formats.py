"""The ways a trace can be written out: `tcpspec trace --format NAME`.

Each writer takes the model, the trace and a title and returns text or bytes. Text formats go to
stdout unless `--output` is given; binary ones (pcap) need `--output`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from tcpspec.checks.conformance.pcap import trace_pcap
from tcpspec.checks.itf import to_itf
from tcpspec.checks.trace import Trace, to_json
from tcpspec.cli.render import console, trace_table
from tcpspec.diagrams import graphs, msc
from tcpspec.i18n import current
from tcpspec.spec.model import Bounds, Model


@dataclass(frozen=True)
class Origin:
    """Where a trace comes from: what rebuilds its model (a format may record it)."""

    scenario: str
    bounds: Bounds
    mutant: str | None = None


Writer = Callable[[Model, Trace, str, Origin], "str | bytes"]


def _text(m: Model, t: Trace, title: str, o: Origin) -> str:
    out = console()
    with out.capture() as cap:
        out.print(trace_table(m, t, title, current()))
    return cap.get()


FORMATS: dict[str, tuple[Writer, str]] = {
    "text": (_text, "a table: each step, the rule that fired (with its RFC section), both sides"),
    "json": (lambda m, t, title, o: json.dumps(to_json(m, t), indent=2) + "\n", "for programs"),
    "svg": (lambda m, t, title, o: msc.svg(t, title, lang=current()), "a message sequence chart"),
    "mermaid": (
        lambda m, t, title, o: msc.mermaid(t, title, current()),
        "the chart as Mermaid text (GitHub renders it)",
    ),
    "dot": (
        lambda m, t, title, o: graphs.trace_dot(t, title),
        "the run as a chain of global states, Graphviz DOT",
    ),
    "itf": (
        lambda m, t, title, o: (
            json.dumps(to_itf(t, o.scenario, o.bounds, o.mutant), indent=2) + "\n"
        ),
        "the Informal Trace Format of Apalache and Quint (ITF JSON); `tcpspec replay` reads it",
    ),
    "pcap": (
        lambda m, t, title, o: trace_pcap(t),
        "a capture Wireshark and tshark open (needs --output)",
    ),
}
