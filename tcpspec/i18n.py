"""Messages in English and Korean: one gettext catalogue for every text tcpspec generates.

English is the source language: a message's id is its English text. Korean comes from
`tcpspec/locale/ko/LC_MESSAGES/tcpspec.po` (read with Babel). A message the catalogue does not
translate (yet) stays English; `missing()` lists them, and the tests fail on generated Korean
output that contains one.
"""

from __future__ import annotations

import os
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


def gettext(message: str, lang: str) -> str:
    """``message`` in ``lang`` (itself when English, or when the catalogue lacks it)."""
    return catalog(lang).get(message, message) if lang != "en" else message


def translator(lang: str) -> Callable[[str], str]:
    """A ``_`` for one language: ``_ = translator("ko"); _("holds")``."""
    check_lang(lang)
    return lambda message: gettext(message, lang)


def missing(messages: list[str], lang: str) -> list[str]:
    """Which of ``messages`` the catalogue of ``lang`` does not translate."""
    have = catalog(lang)
    return [m for m in messages if m not in have]
