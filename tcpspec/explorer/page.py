"""The explorer's page (assets/: HTML, CSS, plain JavaScript), what it is told about the model,
and every text it shows, in English and Korean from the project's catalogue (`tcpspec.i18n`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from tcpspec.checks.properties import PROPERTIES
from tcpspec.explorer.core import Explorer, property_list
from tcpspec.i18n import check_lang, gettext
from tcpspec.spec.model import Bounds
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import SCENARIOS

ASSETS = Path(__file__).resolve().parent / "assets"

#: The page's own texts (msgids of the catalogue, under `# explorer` in tcpspec.po). The tests
#: check that every text the assets ask for is here, and that each has its Korean.
UI: tuple[str, ...] = (
    # the frame
    "tcpspec explore",
    "scenario",
    "mutant",
    "none (correct TCP)",
    "◀ back",
    "forward ▶",
    "restart",
    "random run",
    "seed",
    "moves taken",
    "bounds",
    "Click a move to take it. The address of this page is the situation: copy it to share it.",
    "Current state",
    "Possible moves",
    "The run so far",
    "Properties at this state",
    # the state
    "client",
    "server",
    "network",
    "clock",
    "application",
    "opens",
    "active",
    "passive",
    "none",
    "sends",
    "closes",
    "does not close",
    "may abort",
    "calls so far",
    "nothing yet",
    "data sent",
    "data received",
    "retransmission timer",
    "retries",
    "TIME-WAIT timer",
    "no timer running",
    "nothing in flight",
    "age",
    "duplications left",
    "ticks so far",
    # the moves
    "channel full: lost",
    "No move is possible: the run is over, and this is a proper end (no deadlock).",
    "No move is possible, and this is not a proper end: a deadlock.",
    # the run
    "Take a move: the run so far is drawn here.",
    "The sequence chart needs the server (tcpspec explore); here the table shows the run.",
    "step",
    "who",
    "what happened",
    "rule case",
    # the properties
    "property",
    "statement",
    "status",
    "jump to",
    "invariant",
    "action",
    "liveness",
    "deadlock",
    "reachable",
    "companion of",
    "counterexample",
    "witness",
    "from the start",
    "from here",
    "holds",
    "violated",
    "reached here",
    "not here",
    "moves possible",
    "proper end",
    "decided on whole runs",
    "no move yet",
    "Violated here:",
    "holds from here",
    "never reached from here",
    "only from the start in this version",
    "This address was made for other bounds:",
    "this explorer runs with:",
    "the defaults",
)


def index_html(data_script: str = "") -> str:
    """The page; the site's version adds the script that holds its precomputed graph."""
    html = (ASSETS / "index.html").read_text(encoding="utf-8")
    return html.replace("<!--DATA-->", data_script)


def info(scenario: str, mutant: str | None, bounds: Bounds, max_path: int) -> dict[str, Any]:
    """What the page is told once: the choices, the bounds, the properties."""
    return {
        "scenario": scenario,
        "mutant": mutant or "",
        "scenarios": list(SCENARIOS),
        "mutants": list(MUTANTS),
        "bounds": {k: v for k, v in asdict(bounds.resolved()).items()},
        "signature": bounds_signature(bounds),
        "max_path": max_path,
        "properties": property_list(),
    }


def bounds_signature(bounds: Bounds) -> str:
    """How these bounds differ from the defaults, ``msl=2,loss=False``: a shared address carries
    it, so that only an explorer with the same bounds follows its moves."""
    have, default = asdict(bounds.resolved()), asdict(Bounds().resolved())
    if have["fin_wait_2"] == have["time_wait"]:  # the default rule (no option sets it)
        have["fin_wait_2"] = default["fin_wait_2"] = -1
    if have["time_wait"] == 2 * have["msl"]:
        have["time_wait"] = default["time_wait"] = 0
    return ",".join(f"{k}={v}" for k, v in have.items() if v != default[k])


def model_texts(ex: Explorer) -> list[str]:
    """The texts the model gives the page: every rule case's text, every property's statement.
    They are looked up in the catalogue too, so they read in Korean once it has them."""
    texts = [c.text for c in ex.model.rules.all_cases()]
    texts += [p.statement for p in PROPERTIES.values()]
    return sorted(set(texts))


def messages(lang: str, ex: Explorer) -> dict[str, str]:
    """English text -> its translation, for every text the page may show that has one."""
    check_lang(lang)
    out = {}
    for text in (*UI, *model_texts(ex)):
        translated = gettext(text, lang)
        if translated != text:
            out[text] = translated
    return dict(sorted(out.items()))
