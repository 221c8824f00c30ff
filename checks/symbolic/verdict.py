"""The Z3 engine's verdicts (proved / violated / bounded) and how a property is stated over
symbolic states and steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from tcpspec.checks.properties import PROPERTIES, SAFETY_KINDS, Property
from tcpspec.checks.symbolic import encode as E
from tcpspec.checks.trace import Trace
from tcpspec.spec.model import Model

PROVED, VIOLATED, BOUNDED = "proved", "violated", "bounded"


@dataclass
class SymbolicVerdict:
    """The Z3 engine's verdict on one property in one model: one of three.

    ``proved``: holds after any number of steps (``method`` "induction", with the invariant's
    conjuncts in ``notes``); ``violated``: a shortest counterexample (``trace``, found by BMC);
    ``bounded``: no counterexample within ``depth`` steps, and no proof."""

    property_id: str
    status: str  # PROVED | VIOLATED | BOUNDED
    depth: int  # the depth BMC reached (BOUNDED), or the counterexample's length (VIOLATED)
    trace: Trace | None = None
    method: str = ""  # "induction" | "bmc"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool | None:
        return {PROVED: True, VIOLATED: False}.get(self.status)

    def describe(self) -> str:
        if self.status == PROVED:
            return "proved for all depths"
        if self.status == VIOLATED:
            return f"violated ({self.depth} steps)"
        return f"no counterexample up to depth {self.depth}"


class SymLabel:
    """The label of a symbolic step, for action properties: ``fired(name)`` and ``kind == k``
    are Z3 terms over the step's move selector."""

    def __init__(self, step: E.Step) -> None:
        self._step = step
        self.seg = None
        self.kind = _Kind(step)

    def fired(self, name: str) -> Any:
        return z3.Or(
            False,
            *[
                z3.And(self._step.selector == n, _b(m.fired[name]))
                for n, m in enumerate(self._step.moves)
                if name in m.fired
            ],
        )


class _Kind:
    def __init__(self, step: E.Step) -> None:
        self._step = step

    def __eq__(self, other: object) -> Any:
        return z3.Or(
            False,
            *[self._step.selector == n for n, m in enumerate(self._step.moves) if m.kind == other],
        )

    __hash__ = None  # type: ignore[assignment]


def _b(x: Any) -> Any:
    return z3.BoolVal(bool(x)) if isinstance(x, int) else x


def _prop(prop_id: str) -> Property:
    p = PROPERTIES[prop_id]
    if p.kind not in SAFETY_KINDS:
        raise ValueError(f"the Z3 engine checks invariant and action properties, not {p.kind}")
    return p


def _bad(model: Model, p: Property, states: list[E.SState], steps: list[E.Step]) -> Any:
    """The property fails at the last state (invariant) or on the last step (action)."""
    if p.kind == "invariant":
        return z3.Not(_b(p.pred(model, states[-1])))
    return z3.Not(_b(p.pred(model, states[-2], SymLabel(steps[-1]), states[-1])))


Invariant = Callable[[E.SState], Any]
