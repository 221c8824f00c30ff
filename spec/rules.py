"""Rules as data: guarded cases, the form in which every rule of TCP is written exactly once.

A `Case` is one sentence of RFC 9293 turned into a guarded command: *when* a condition holds in
one of the listed *states*, *then* update these TCB fields and perhaps emit one segment. The
conditions and updates are small lambdas over a `Ctx` written with `spec.logic`, so the explicit
engine evaluates them on Python values and the Z3 engine on Z3 terms, from the same table.

Segment arrival (section 3.10.7) is a *procedure*: a sequence of `Step`s ("first, check the
sequence number ... second, check the RST bit ..."). In each step the first case whose states and
condition match fires; a case either consumes the segment (``stop=True``, the RFC's "drop the
segment and return") or lets processing go on to the next step. A step in which nothing matches
is passed over. User calls and timeouts are flat tables: every enabled case is a separate move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tcpspec.spec.states import State

Effect = dict[str, Any]  # field -> new value; the key "emit" holds a Segment to send


class Ctx:
    """What a rule may look at: this endpoint (``me``), the arriving segment (``seg``, or None for
    user calls and timeouts), this side's constants (``side``) and the model's bounds (``p``)."""

    __slots__ = ("me", "p", "seg", "side")

    def __init__(self, me: Any, seg: Any, side: Any, p: Any) -> None:
        self.me = me
        self.seg = seg
        self.side = side
        self.p = p


def _always(c: Ctx) -> bool:
    return True


def _nothing(c: Ctx) -> Effect:
    return {}


@dataclass(frozen=True)
class Case:
    """One guarded command. ``name`` is stable: traces, mutants and diagrams refer to it."""

    name: str
    rfc: str  # the section of RFC 9293 (or the RFC) it implements
    text: str  # what the RFC says, briefly, for traces and documentation
    states: frozenset[State]
    when: Callable[[Ctx], Any] = _always
    then: Callable[[Ctx], Effect] = _nothing
    stop: bool = True
    #: The user call of section 3.10 this case carries out ("OPEN active", "OPEN passive",
    #: "SEND", "CLOSE", "ABORT"); "" for arrivals and timeouts. A trace that records the
    #: application's calls (a packetdrill script) fires these cases only at a recorded call.
    call: str = ""
    #: The call waits for the SENDs made before it (3.10.4: "queue this until all preceding
    #: SENDs have been segmentized"): a trace that records the calls lets it wait, made but not
    #: yet carried out; any other recorded call takes effect where the trace shows it.
    queues: bool = False
    #: The case applies only to a socket its application has closed ("orphaned", as Linux
    #: says): a trace that records the calls fires it only after the recorded close().
    orphaned: bool = False

    def event(self) -> str:
        """A short label for diagrams: the case name without its group prefix."""
        return self.name.split(".", 1)[-1]


@dataclass(frozen=True)
class Step:
    """One numbered check of the arrival procedure: the first matching case fires."""

    title: str
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Rules:
    """The whole relation: the arrival procedure, the user calls and the timeouts."""

    arrival: tuple[Step, ...]
    user: tuple[Case, ...]
    timers: tuple[Case, ...]
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        all_names = [c.name for c in self.all_cases()]
        dup = {n for n in all_names if all_names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate case names: {sorted(dup)}")
        object.__setattr__(self, "names", frozenset(all_names))

    def all_cases(self) -> Iterable[Case]:
        for step in self.arrival:
            yield from step.cases
        yield from self.user
        yield from self.timers

    def calls(self, *kinds: str) -> frozenset[str]:
        """The names of the user cases that carry out these calls (`Case.call`)."""
        return frozenset(c.name for c in self.user if c.call in kinds)

    def case(self, name: str) -> Case:
        for c in self.all_cases():
            if c.name == name:
                return c
        raise KeyError(name)

    def replace(self, name: str, new: Case | None) -> Rules:
        """A copy with one case replaced (or removed, if ``new`` is None): how mutants are made."""
        if name not in self.names:
            raise KeyError(f"no case named {name!r}")

        def swap(cases: tuple[Case, ...]) -> tuple[Case, ...]:
            out = []
            for c in cases:
                if c.name != name:
                    out.append(c)
                elif new is not None:
                    out.append(new)
            return tuple(out)

        return Rules(
            arrival=tuple(Step(s.title, swap(s.cases)) for s in self.arrival),
            user=swap(self.user),
            timers=swap(self.timers),
        )
