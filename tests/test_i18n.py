"""The message catalogue: English is the source, Korean comes from the .po file."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_templates_translate_generated_texts_part_by_part() -> None:
    ko = i18n.translator("ko")
    assert ko("receives SYN seq=100") == "SYN seq=100 수신"
    # nested: the placeholder's own text is translated too
    assert ko("SYN seq=40 [old incarnation]") == "SYN seq=40 [이전 연결의 세그먼트]"
    assert ko("CLOSED (reset)") == "CLOSED (리셋됨)"
    assert ko("TIME_WAIT [tw=2]") == "TIME_WAIT [tw=2]"  # names and timers stay
    assert ko("OPEN (active)") == "능동 OPEN"
    # a placeholder used twice must catch the same text twice
    text = "The run uses the broken rules of mutant [`a`](../mutants.md#b)."
    assert ko(text) == text


def test_every_generated_text_is_in_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    from tcpspec import messages

    assert messages.main(["--check"]) == 0
    assert len(messages.collect()) > 150
    # and the check bites: a new text without its translation fails it
    real = messages.collect
    monkeypatch.setattr(messages, "collect", lambda: {**real(), "a new text": "test"})
    assert messages.missing() == ["a new text"]
    assert messages.main(["--check"]) == 1


def test_update_keeps_every_entry_and_is_deterministic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tcpspec import messages

    po = tmp_path / "tcpspec.po"
    po.write_text(
        i18n.po_path("ko").read_text(encoding="utf-8")
        + '\n# explorer\nmsgid "Step back"\nmsgstr "한 단계 뒤로"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "po_path", lambda lang: po)
    real = messages.collect
    monkeypatch.setattr(messages, "collect", lambda: {**real(), "a new text": "test"})
    assert messages.update() == 1
    first = po.read_text(encoding="utf-8")
    assert messages.update() == 0 and po.read_text(encoding="utf-8") == first
    assert 'msgid "Step back"\nmsgstr "한 단계 뒤로"' in first  # the explorer's strings stay
    assert '#. test\nmsgid "a new text"\nmsgstr ""' in first
    assert "POT-Creation-Date" not in first  # no timestamp: byte-identical rewrites


# -- the command line speaks the catalogue -------------------------------------------------------


def _cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    from typer.testing import CliRunner

    from tcpspec.cli import app

    r = CliRunner().invoke(app, list(args), env=env or {"LANG": "C.UTF-8"})
    return r.exit_code, r.output


STALE = ("trace", "handshake.stale_syn_rejected", "--mutant", "no-rst-on-bad-synack")


def test_text_trace_keeps_every_bracketed_note_json_has() -> None:
    """rich markup would swallow "[old incarnation]" and "[rto=1]": the table escapes them, so
    the text shows every note the JSON has."""
    code, text = _cli(*STALE)
    assert code == 1
    _, out = _cli(*STALE, "--format", "json")
    doc = json.loads(out)
    flat = " ".join(text.split())
    assert "[old incarnation]" in flat and "[rto=1]" in flat
    for step in doc["steps"]:
        for col in ("event", "client", "server"):
            for word in step[col].split():
                assert word in flat, (step["step"], col, word)


def test_cli_speaks_korean_from_lang_or_the_environment() -> None:
    from tcpspec.messages import untranslated

    code, ko = _cli("--lang", "ko", *STALE)
    assert code == 1
    assert "단계" in ko and "클라이언트" in ko and "[이전 연결의" in ko and "능동 OPEN" in ko
    assert "[rto=1]" in ko
    cells = [c.strip() for ln in ko.splitlines() for c in ln.split("│")]
    assert not untranslated(cells), untranslated(cells)[:3]
    assert _cli(*STALE, env={"LANG": "ko_KR.UTF-8"}) == (code, ko)
    assert _cli("--lang", "en", *STALE, env={"LANG": "ko_KR.UTF-8"})[1] == _cli(*STALE)[1]
    code, out = _cli("--lang", "fr", "list")
    assert code == 2 and out.count("\n") == 1 and out.startswith("tcpspec: error: unknown language")


def test_verify_and_mutants_tables_speak_korean() -> None:
    from tcpspec.messages import untranslated

    args = ("verify", "--scenario", "handshake", "--engine", "explicit")
    code, ko = _cli("--lang", "ko", *args)
    assert code == 0, ko
    assert "속성" in ko and "성립" in ko and "도달 가능" in ko
    cells = [c.strip() for ln in ko.splitlines() for c in ln.split("│")]
    assert not untranslated(cells), untranslated(cells)[:3]
    code, en = _cli(*args)
    assert code == 0 and "holds" in en and "성립" not in en
    assert len(untranslated([c.strip() for ln in en.splitlines() for c in ln.split("│")])) > 3


def test_messages_check_command_as_documented() -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "tcpspec.messages", "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("msgids, 0 untranslated in Korean"), r.stdout


# -- the command line itself in Korean: help texts and error messages (issue 19) ---------------

_COMMANDS = ["verify", "prove", "mutants", "trace", "graph", "list", "coverage", "conform",
             "explore", "export", "chart", "replay", "testgen", "synthesize"]  # fmt: skip


@pytest.mark.parametrize("where", ["before", "after", "env"])
@pytest.mark.parametrize("command", _COMMANDS)
def test_every_commands_help_is_korean(command: str, where: str) -> None:
    """`--lang ko` before or after the command name, or a Korean LANG: the help is Korean, the
    layout's words too, and no English help text of the catalogue is left in it."""
    from typer.testing import CliRunner

    from tcpspec.cli import app
    from tcpspec.cli.app import help_texts
    from tcpspec.messages import untranslated

    args = {
        "before": ["--lang", "ko", command, "--help"],
        "after": [command, "--help", "--lang", "ko"],
        "env": [command, "--help"],
    }[where]
    env = {"LANG": "ko_KR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""} if where == "env" else None
    r = CliRunner().invoke(app, args, env=env)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("사용법: "), r.output[:80]
    assert "옵션:" in r.output and "이 도움말을 보이고 끝냅니다." in r.output
    lines = [" ".join(ln.split()) for ln in r.output.splitlines()]
    english = set(help_texts(__import__("typer").main.get_command(app)))
    assert not untranslated(lines), untranslated(lines)[:3]
    assert not any(" ".join(t.split()) in lines for t in english if len(t.split()) > 3)


@pytest.mark.parametrize(
    ("args", "korean"),
    [
        (["--lang", "ko", "verify", "--capacity", "99"], "--capacity 99은(는) 탐색할 수 없습니다"),
        (["verify", "--capacity", "99", "--lang", "ko"], "최대 8입니다"),
        (["trace", "nope", "--lang", "ko"], "알 수 없는 속성 'nope'"),
        (["verify", "--scenario", "nowhere", "--lang", "ko"], "알 수 없는 시나리오 'nowhere'"),
        (["--lang", "ko", "verify", "--depth", "-1"], "--depth은(는) 0 이상이어야 합니다"),
        (["--lang", "ko", "list", "--load", "/nonexistent/x.py"], "읽을 수 없습니다"),
    ],
)
def test_error_messages_are_korean(args: list[str], korean: str) -> None:
    from typer.testing import CliRunner

    from tcpspec.cli import app

    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    (line,) = r.output.strip().splitlines()
    assert line.startswith("tcpspec: 오류: ") and korean in line, line
    english = CliRunner().invoke(app, [a for a in args if a not in ("--lang", "ko")])
    assert english.output.startswith("tcpspec: error: "), english.output
