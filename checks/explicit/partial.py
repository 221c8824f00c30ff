"""Predicates evaluated with part of the state unknown (three-valued: true, false, unknown).

Most step predicates of `checks.properties` read the label first: "a FIN was retransmitted
into TIME-WAIT", "an old SYN was answered by RST while ...". For most labels the label alone
decides them, whatever the endpoints hold: evaluated once with the endpoints `UNKNOWN`, such a
predicate gives a plain bool, and the search need not evaluate it again on any move with that
label. `UNKNOWN` absorbs what is done to it (its fields, items, comparisons and arithmetic are
`UNKNOWN`; `spec.logic`'s connectives combine it through their ``__logic__`` hook: ``And`` with
a plain False is False, with anything unknown it is unknown), and Python's own ``if``, ``and``
and ``or`` on it raise `Undecided`. Predicates compare parts of a state with ``==`` (never with
``is``), so a plain result is the value for every state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Undecided(Exception):
    """The value depends on what is unknown."""


class _Logic:
    """`spec.logic`'s connectives over `UNKNOWN`: called only when some operand is not a plain
    value (plain ones that decide the result were already taken into account)."""

    @staticmethod
    def And(*xs: Any) -> Unknown:
        return UNKNOWN

    Or = And
    Not = And

    @staticmethod
    def If(c: Any, a: Any, b: Any) -> Any:
        return a if isinstance(a, int) and isinstance(b, int) and a == b else UNKNOWN

    @staticmethod
    def In(x: Any, values: Any) -> Unknown:
        return UNKNOWN


def _absorb(self: Unknown, *args: Any) -> Unknown:
    return self


def _undecided(self: Unknown, *args: Any) -> Any:
    raise Undecided


class Unknown:
    """A value nothing is known about."""

    __slots__ = ()
    __logic__ = _Logic
    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Unknown:
        return self

    __getitem__ = __call__ = _absorb
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _absorb  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __neg__ = _absorb
    __bool__ = __iter__ = __len__ = __index__ = __int__ = _undecided


UNKNOWN = Unknown()


def decided(pred: Callable[..., Any], *args: Any) -> bool | None:
    """``pred(*args)`` if it is a plain value (some args may be `UNKNOWN`), else None."""
    try:
        value = pred(*args)
    except Undecided:
        return None
    return bool(value) if isinstance(value, int) else None
