"""Shared helpers: drive the model one chosen move at a time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tcpspec.spec.model import Label, Model, World


def move(m: Model, w: World, want: Callable[[Label], bool]) -> tuple[Label, World]:
    """The unique successor whose label satisfies ``want`` (fails loudly otherwise)."""
    found = [(lab, w2) for lab, w2 in m.successors(w) if want(lab)]
    assert found, "no such move"
    assert len({w2 for _, w2 in found}) == 1, f"ambiguous move: {[f[0] for f in found]}"
    return found[0]


def user(i: int, case: str) -> Callable[[Label], bool]:
    return lambda lab: lab.actor == i and lab.cases == (case,)


def deliver(to: int) -> Callable[[Label], bool]:
    return lambda lab: lab.kind == "deliver" and lab.actor == to


#: CI sets CI=true: there a check that cannot run is a failure, never a skip.
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(reason: str | None) -> None:
    """Skip with ``reason`` on a laptop; but in CI a check that cannot run is a failure."""
    if reason is None:
        return
    if CI:
        pytest.fail(f"CI is set but this check cannot run: {reason}")
    pytest.skip(reason)


def build_site(out: Path, site_url: str | None = None) -> Path:
    """The documentation site, built as `make docs` builds it (strict), into ``out``."""
    mkdocs = shutil.which("mkdocs") or str(Path(sys.executable).parent / "mkdocs")
    need(None if Path(mkdocs).exists() else "mkdocs is not installed: pip install -e '.[docs]'")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if site_url is not None:
        env["SITE_URL"] = site_url
    r = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(out)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return out
