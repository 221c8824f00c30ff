"""Messages in English and Korean: one gettext catalogue for every text tcpspec generates.

English is the source language: a message's id is its English text. Korean comes from
`tcpspec/locale/ko/LC_MESSAGES/tcpspec.po` (read with Babel). A message the catalogue does not
translate (yet) stays English; `missing()` lists them, and the tests fail on generated Korean
output that contains one.

Generated texts are built from parts ("receives SYN seq=40 [old incarnation]"), so a msgid may
be a template with named ``{placeholders}`` ("receives {seg}", "{seg} [old incarnation]"):
`gettext` matches a whole text against the templates, translates what each placeholder caught
(recursively) and fills in the Korean template. The engines keep writing English; only the
renderers translate.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGS = ("en", "ko")
DOMAIN = "tcpspec"
LOCALE = Path(__file__).resolve().parent / "locale"


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def detect(env: Mapping[str, str] = os.environ) -> str:
    """The language the environment asks for (LC_ALL, LC_MESSAGES, LANG: ko_KR.UTF-8 is
    Korean), else English."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


_current = {"lang": ""}


def use(lang: str) -> None:
    """Set the language of this process's output (the command line's ``--lang``)."""
    _current["lang"] = check_lang(lang)


def current() -> str:
    """The language set by `use`, else the one the environment asks for."""
    return _current["lang"] or detect()


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of: {', '.join(LANGS)}")
    return lang


@cache
def catalog(lang: str) -> dict[str, str]:
    """msgid -> translation for ``lang`` (empty for English); fuzzy entries do not count."""
    check_lang(lang)
    path = po_path(lang)
    if lang == "en" or not path.is_file():
        return {}
    with path.open("rb") as f:
        cat = read_po(f, locale=lang, domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in cat
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


_FIELD = re.compile(r"\{(\w+)\}")


def is_template(msgid: str) -> bool:
    return bool(_FIELD.search(msgid))


@cache
def _templates(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The catalogue's templates as anchored patterns, the most literal text first (so that
    "{seg} (channel full: lost)" is tried before a bare "{x} ({y})")."""
    out = []
    for msgid, msgstr in catalog(lang).items():
        if not is_template(msgid):
            continue
        parts = _FIELD.split(msgid)  # literal, name, literal, name, ...
        seen: set[str] = set()
        rx = ""
        for k, p in enumerate(parts):
            if k % 2 == 0:
                rx += re.escape(p)
            else:  # a placeholder used twice must catch the same text twice
                rx += f"(?P={p})" if p in seen else f"(?P<{p}>.+?)"
                seen.add(p)
        literal = sum(len(p) for p in parts[::2])
        out.append((literal, msgid, re.compile(rx, re.S), msgstr))
    out.sort(key=lambda t: (-t[0], t[1]))
    return tuple((rx, msgstr) for _, _, rx, msgstr in out)


def gettext(message: str, lang: str) -> str:
    """``message`` in ``lang`` (itself when English, or when the catalogue lacks it): an exact
    msgid first, else the first template that matches the whole text."""
    if lang == "en" or not message:
        return message
    have = catalog(lang)
    if message in have:
        return have[message]
    for rx, msgstr in _templates(lang):
        m = rx.fullmatch(message)
        if m:
            return msgstr.format(**{k: gettext(v, lang) for k, v in m.groupdict().items()})
    return message


def translator(lang: str) -> Callable[[str], str]:
    """A ``_`` for one language: ``_ = translator("ko"); _("holds")``."""
    check_lang(lang)
    return lambda message: gettext(message, lang)


def missing(messages: list[str], lang: str) -> list[str]:
    """Which of ``messages`` the catalogue of ``lang`` does not translate."""
    have = catalog(lang)
    return [m for m in messages if m not in have]
