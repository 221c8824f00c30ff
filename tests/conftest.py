"""Shared helpers: drive the model one chosen move at a time."""

from __future__ import annotations

import os
from collections.abc import Callable

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
