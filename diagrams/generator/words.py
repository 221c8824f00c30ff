"""A trace's words in one language: the rows every renderer shows (text table, site pages,
charts), so that each shows the same steps with the same notes.

The engines write English (`tcpspec.checks.trace`); this module translates each cell through
the catalogue (`tcpspec.i18n`), keeping segment, state and rule-case names as RFC 9293 writes
them. `TEXTS` lists the English templates it relies on: the msgids the catalogue must hold.
"""

from __future__ import annotations

from dataclasses import fields

from tcpspec.checks.trace import ACTORS, Trace, endpoint_text, event, row
from tcpspec.i18n import gettext
from tcpspec.spec.build import TCP
from tcpspec.spec.model import CLIENT, SERVER, Bounds, Model
from tcpspec.spec.states import Reason

#: The columns of a trace, in order, with their headers.
COLUMNS = (
    ("step", "step"),
    ("actor", "actor"),
    ("event", "event"),
    ("rule", "rule (RFC section)"),
    ("sends", "sends"),
    ("client", "client"),
    ("server", "server"),
)
OLD = " [old incarnation]"  # a segment of an earlier incarnation, as the trace events say


def _user_and_timer_events() -> list[str]:
    """What `checks.trace.what` writes for a user call or a timeout."""
    return sorted({event(c.name) for c in (*TCP.user, *TCP.timers)})


#: The English templates and words this module (and `checks.trace`) writes.
TEXTS: tuple[str, ...] = (
    *(header for _, header in COLUMNS),
    *ACTORS.values(),
    "initial state",
    "initial state; in flight: {segs}",
    "{seg} [old]",
    "receives {seg}",
    "loses {seg}",
    "duplicates {seg}",
    "{seg} [old incarnation]",
    "one tick passes",
    "one tick passes; expired (lost): {segs}",
    "{seg} (channel full: lost)",
    *(f"{{state}} ({r.name.lower()})" for r in Reason if r != Reason.NONE),
    "{state} [{timers}]",
    *_user_and_timer_events(),
    "counterexample to {prop} ({sc})",
    "counterexample to {prop} ({sc}, mutant {m})",
    "witness for {prop} ({sc})",
    "witness for {prop} ({sc}, mutant {m})",
    "no move is possible in the last state, which is not a proper end",
    "from step {k} on, the run can repeat forever",
    "the run can stay in the last state forever",
)


def segments(segs: list[str], lang: str) -> str:
    return ", ".join(gettext(s, lang) for s in segs)


def initial_text(t: Trace, lang: str) -> str:
    flight = [s.describe() + (OLD if s.stale else "") for c in t.initial.chans for s in c]
    if not flight:
        return gettext("initial state", lang)
    return gettext("initial state; in flight: {segs}", lang).format(segs=segments(flight, lang))


def rows(m: Model, t: Trace, lang: str) -> list[dict[str, str]]:
    """Row 0 (the initial state) and one row per step, every cell a string in ``lang``."""
    out = [
        {
            "step": "0",
            "actor": "",
            "event": initial_text(t, lang),
            "rule": "",
            "sends": "",
            "client": gettext(endpoint_text(t.initial.eps[CLIENT]), lang),
            "server": gettext(endpoint_text(t.initial.eps[SERVER]), lang),
        }
    ]
    for k, step in enumerate(t.steps, 1):
        r = row(m, k, step)
        out.append(
            {
                c: str(r[c]) if c in ("step", "rule") else gettext(str(r[c]), lang)
                for c, _ in COLUMNS
            }
        )
    return out


def headers(lang: str) -> list[str]:
    return [gettext(h, lang) for _, h in COLUMNS]


def title(prop: str, sc: str, mutant: str | None, witness: bool, lang: str) -> str:
    """The title of `tcpspec trace`'s output."""
    kind = "witness for" if witness else "counterexample to"
    template = f"{kind} {{prop}} ({{sc}}" + (", mutant {m})" if mutant else ")")
    return gettext(template, lang).format(prop=prop, sc=sc, m=mutant)


def bound_flags(b: Bounds) -> str:
    """The `tcpspec` options that set ``b`` (those that differ from the defaults), in the
    order `tcpspec trace --help` lists them: the exact flags of a "reproduce it" command."""
    default = Bounds()
    out = []
    for f in fields(Bounds):
        value, base = getattr(b, f.name), getattr(default, f.name)
        if value == base:
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            out.append(flag if value else f"--no-{f.name.replace('_', '-')}")
        else:
            out.append(f"{flag} {value}")
    return " ".join(out)
