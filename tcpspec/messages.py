"""``python -m tcpspec.messages [--check | --update]``: the catalogue's msgids, collected from the
model and the renderers, against the Korean catalogue.

Every text tcpspec generates is either the model's own data (property statements, scenario
titles, mutant summaries, chart titles, the networks the mutants are drawn on) or a fixed text
or template of a renderer (`TEXTS` of `diagrams.words`, `diagrams.msc`, `diagrams.generate`,
the words of `diagrams.docs`). `collect()` gathers them all, in a stable order.

``--check`` (exit 1) lists the msgids the Korean catalogue lacks or leaves empty; ``--update``
adds the missing ones to the .po file (empty, to be translated) with Babel, keeping every entry
already there (the explorer's UI strings included), and rewrites it in Babel's layout.
"""

from __future__ import annotations

import argparse
import io
import re
import sys

import typer
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from tcpspec import cli, i18n
from tcpspec.checks.properties import PROPERTIES
from tcpspec.cli import render
from tcpspec.cli.app import ERROR_TEXTS, help_texts
from tcpspec.diagrams import derive, docs, generate, graphs, msc, words
from tcpspec.spec.build import TCP
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import SCENARIOS


def collect() -> dict[str, str]:
    """msgid -> where it comes from (a short note for translators), in a stable order."""
    out: dict[str, str] = {}

    def add(where: str, *texts: str) -> None:
        for t in texts:
            out.setdefault(t, where)

    add("property statement", *(p.statement for p in PROPERTIES.values()))
    add("scenario title", *(s.title for s in SCENARIOS.values()))
    add("mutant summary", *(m.summary for m in MUTANTS.values()))
    add("chart title", *(c.title for c in derive.CHARTS))
    add("network of a mutant's chart", *(n for _, n in derive.MUTANT_NETWORKS))
    cases = (c for step in TCP.arrival for c in step.cases)
    add(
        "rule case (RFC 9293's words; shown with the gloss)",
        *(c.text for c in (*cases, *TCP.user, *TCP.timers)),
    )
    add("trace", *words.TEXTS)
    add("sequence chart", *msc.TEXTS)
    add("chart title template", *generate.TEXTS)
    add("state machine title", *graphs.MACHINE_TITLE)
    add("summary graph", graphs.SUMMARY_NODE)
    add("product graph title", *(t for _, _, _, _, t in generate.PRODUCTS))
    add("verify and mutants tables", *render.TEXTS)
    add("site fragment", *docs.WORDS.values(), *docs.KINDS.values(), *docs.BOUND_WORDS)
    for text, where in help_texts(typer.main.get_command(cli.app)).items():
        add(where, text)
    add("error message", *ERROR_TEXTS)
    return out


def missing(lang: str = "ko") -> list[str]:
    return i18n.missing(list(collect()), lang)


def _probes(lang: str) -> tuple[set[str], list[str]]:
    """What betrays an untranslated text: (whole texts, fragments). A msgid (or a template's
    literal run) of three words or more is a fragment: it must not appear anywhere; a shorter
    one only counts when it is a whole text (a table cell, an SVG text). Messages whose
    translation is the English itself ("MSL {n}") are left out."""
    have = i18n.catalog(lang)
    whole: set[str] = set()
    parts: set[str] = set()
    for msgid in collect():
        if have.get(msgid, "") == msgid:
            continue
        if not i18n.is_template(msgid):
            whole.add(msgid)
            if len(msgid.split()) >= 3:
                parts.add(msgid)
            continue
        for run in re.split(r"\{\w+\}", msgid):
            run = run.strip(" ;:,()[]")
            if len(run.split()) >= 3 and run not in have.values():
                parts.add(run)
    return whole, sorted(parts, key=lambda p: (-len(p), p))


def untranslated(texts: list[str], lang: str = "ko") -> list[tuple[str, str]]:
    """(text, msgid) for each text of a generated ``lang`` output that still holds an English
    catalogue message (see `_probes`)."""
    whole, parts = _probes(lang)
    found = []
    for text in texts:
        t = " ".join(text.split())
        hit = t if t in whole else next((p for p in parts if p in t), None)
        if hit is not None:
            found.append((t, hit))
    return found


def update(lang: str = "ko") -> int:
    """Add the msgids the catalogue lacks; return how many were added."""
    path = i18n.po_path(lang)
    with path.open("rb") as f:
        cat: Catalog = read_po(f, locale=lang, domain=i18n.DOMAIN)
    added = 0
    for msgid, where in collect().items():
        if msgid not in cat:
            cat.add(msgid, "", auto_comments=[where])
            added += 1
    write(cat, lang)
    return added


#: The catalogue's header, fixed (Babel's own carries the time of writing: not deterministic).
HEADER = """# Korean messages of tcpspec. English is the source language (msgid = the English text).
# Update: python -m tcpspec.messages --update (adds new msgids), then translate the empty ones.
msgid ""
msgstr ""
"Project-Id-Version: tcpspec\\n"
"Language: {lang}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

"""


def write(cat: Catalog, lang: str) -> None:
    """Write ``cat`` as the .po file of ``lang``: the fixed header, then Babel's entries."""
    body = io.BytesIO()
    write_po(body, cat, width=100, omit_header=True)
    text = HEADER.format(lang=lang) + body.getvalue().decode("utf-8").lstrip("\n")
    i18n.po_path(lang).write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tcpspec.messages", description=__doc__.split("\n")[0]
    )
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="list untranslated msgids (exit 1)")
    group.add_argument("--update", action="store_true", help="add missing msgids to the .po")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    if args.update:
        print(f"added {update()} msgids to {i18n.po_path('ko')}")
        return 0
    gaps = missing()
    for m in gaps:
        print(f"untranslated: {m!r}")
    print(f"{len(collect())} msgids, {len(gaps)} untranslated in Korean")
    return 1 if gaps else 0


if __name__ == "__main__":
    raise SystemExit(main())
