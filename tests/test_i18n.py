"""The message catalogue: English is the source, Korean comes from the .po file."""

from __future__ import annotations

import pytest

from tcpspec import i18n


def test_language_comes_from_the_environment() -> None:
    assert i18n.detect({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert i18n.detect({"LANG": "en_US.UTF-8"}) == "en"
    assert i18n.detect({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}) == "en"  # LC_ALL wins
    assert i18n.detect({}) == "en"


def test_korean_from_the_catalogue_english_untouched() -> None:
    assert i18n.gettext("holds", "ko") == "성립"
    assert i18n.gettext("holds", "en") == "holds"
    assert i18n.gettext("no such message, surely", "ko") == "no such message, surely"
    assert i18n.missing(["holds", "no such message, surely"], "ko") == ["no such message, surely"]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.translator("fr")
