"""The explorer's model side: moves with stable keys, paths replayed through the model, what the
page shows of a state, each property's status, and the jumps to counterexamples and witnesses.

Nothing about TCP is decided here: every move is one of `Model.successors` (the rule tables of
`spec/`), every status is a predicate of `checks.properties`, every counterexample a breadth-first
search of `checks.explicit`. The server (`server.py`) and the precomputed site version
(`static.py`) both show what this module computes; the page's JavaScript only displays it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tcpspec.checks.explicit import StateLimitExceeded, explore
from tcpspec.checks.properties import CHECKED, PROPERTIES, Property, final
from tcpspec.checks.trace import ACTORS, Trace, TraceStep, endpoint_text, section, what
from tcpspec.diagrams import msc
from tcpspec.i18n import LANGS, gettext
from tcpspec.spec.build import make_model
from tcpspec.spec.endpoint import OFF, Endpoint
from tcpspec.spec.model import CLIENT, SERVER, SIDE_NAMES, Bounds, Label, Model, Side, World
from tcpspec.spec.segment import Segment

#: What a move key may contain (a URL carries them, comma separated, unescaped).
KEY_CHARS = re.compile(r"^[A-Za-z0-9._~-]+$")
#: How many moves a path may have unless the command line says otherwise (--max-path).
MAX_PATH = 200


class Mulberry32:
    """A small seeded generator of 32-bit numbers (mulberry32), chosen because it is a few lines
    in any language: the site version's random runs (assets/explore.js) draw exactly these."""

    def __init__(self, seed: int) -> None:
        self.a = seed & 0xFFFFFFFF

    def next(self) -> float:
        """The next number in [0, 1)."""
        m = 0xFFFFFFFF
        self.a = (self.a + 0x6D2B79F5) & m
        a = self.a
        x = ((a ^ (a >> 15)) * (1 | a)) & m
        x = ((x + (((x ^ (x >> 7)) * (61 | x)) & m)) & m) ^ x
        return ((x ^ (x >> 14)) & m) / 4294967296

    def below(self, n: int) -> int:
        """A number in 0..n-1."""
        return int(self.next() * n)


#: A random run stops after this many moves even when the run has not ended.
RANDOM_STEPS = 60
_VERBS = {"deliver": "deliver", "lose": "lose", "duplicate": "dup"}


class PathError(ValueError):
    """A path the model cannot follow (an unknown move key, too many moves, a bad key)."""


def seg_token(s: Segment) -> str:
    """``synack.200.101``: a segment in a move key (flags, SEQ, ACK; length, age, old when set)."""
    flags = [n for n, on in (("syn", s.syn), ("fin", s.fin), ("rst", s.rst), ("ack", s.ack)) if on]
    parts = ["".join(flags) or "none", str(s.seq)]
    if s.ack:
        parts.append(str(s.ackno))
    if s.dlen:
        parts.append(f"l{s.dlen}")
    if s.age:
        parts.append(f"t{s.age}")
    if s.stale:
        parts.append("old")
    return ".".join(parts)


def direction(lab: Label, before: World) -> int:
    """The side whose channel the segment of a network or delivery step was in."""
    if lab.kind == "deliver":
        return 1 - lab.actor
    return CLIENT if lab.seg in before.chans[CLIENT] else SERVER


def move_key(lab: Label, before: World) -> str:
    """The stable key of a move: ``c.user.open_active``, ``s.timer.retransmit_fin``,
    ``deliver.cs.syn.100`` (client to server), ``lose.sc.finack.201.102``, ``dup.cs...``,
    ``tick``. It names the move by what it does, so the same key means the same move in every
    run that reaches the same state."""
    if lab.kind in ("user", "timer"):
        return f"{'cs'[lab.actor]}.{lab.cases[0]}"
    if lab.kind == "tick" or lab.seg is None:
        return "tick"
    src = direction(lab, before)
    return f"{_VERBS[lab.kind]}.{'cs'[src]}{'sc'[src]}.{seg_token(lab.seg)}"


@dataclass(frozen=True)
class Move:
    key: str
    label: Label
    world: World


@dataclass(frozen=True)
class Step:
    """One move of a path, with the state it left."""

    key: str
    label: Label
    before: World
    world: World


class _StartAt(Model):
    """The same model, started in a given state: a search from the current state of the page."""

    start: World

    def initial(self) -> World:
        return self.start


def _seg_view(s: Segment) -> dict[str, Any]:
    return {"text": s.describe(), "age": s.age, "old": s.stale}


def _timer(v: int) -> int | None:
    return None if v == OFF else v


def _app_calls(path: list[Step], i: int) -> list[str]:
    """What side ``i``'s application has done so far: its user calls, in order."""
    return [
        s.label.cases[0]
        for s in path
        if s.label.kind == "user" and s.label.actor == i and s.label.cases
    ]


def endpoint_view(e: Endpoint, side: Side, calls: list[str]) -> dict[str, Any]:
    return {
        "name": side.name,
        "state": e.st.name,
        "summary": endpoint_text(e),
        "reason": e.reason.name.lower(),
        "tcb": {
            "ISS": side.iss,
            "IRS": e.irs,
            "SND.UNA": e.snd_una,
            "SND.NXT": e.snd_nxt,
            "RCV.NXT": e.rcv_nxt,
        },
        "timers": {"rto": _timer(e.rto), "retries": e.retries, "tw": _timer(e.tw)},
        "app": {
            "plan": {
                "opens": "active" if side.active else ("passive" if side.passive else "none"),
                "data": side.data,
                "closes": side.closes,
                "abort": side.abort,
            },
            "calls": calls,
            "sent": e.sent,
            "received": e.rcvd,
        },
    }


class Explorer:
    """One model (scenario, bounds, mutant) as the page sees it."""

    def __init__(
        self,
        scenario: str,
        bounds: Bounds | None = None,
        mutant: str | None = None,
        max_path: int = MAX_PATH,
        max_states: int = 2_000_000,
    ) -> None:
        self.scenario, self.mutant = scenario, mutant
        self.model = make_model(scenario, bounds, mutant)
        self.max_path, self.max_states = max_path, max_states
        self._moves: dict[World, list[Move]] = {}
        self._jumps: dict[tuple[World, str], list[str] | str] = {}
        self._lock = threading.Lock()  # the model's caches are shared by the server's threads

    # -- moves and paths -----------------------------------------------------------------------

    def moves(self, w: World) -> list[Move]:
        """Every enabled move in ``w``, in the model's order, each with its key."""
        hit = self._moves.get(w)
        if hit is None:
            with self._lock:
                out: list[Move] = []
                seen: dict[str, int] = {}
                for lab, w2 in self.model.successors(w):
                    key = move_key(lab, w)
                    seen[key] = seen.get(key, 0) + 1
                    if seen[key] > 1:  # one segment in both channels: keep the keys apart
                        key = f"{key}~{seen[key]}"
                    out.append(Move(key, lab, w2))
                if len(self._moves) > 100_000:
                    self._moves.clear()
                hit = self._moves[w] = out
        return hit

    def replay(self, keys: Iterable[str]) -> list[Step]:
        """Follow ``keys`` from the initial state through the model; a key the model does not
        offer at that point is a `PathError` naming the step and the moves that were possible."""
        keys = list(keys)
        if len(keys) > self.max_path:
            raise PathError(
                f"the path has {len(keys)} moves; this explorer follows at most "
                f"{self.max_path} (--max-path)"
            )
        w = self.model.initial()
        path: list[Step] = []
        for k, key in enumerate(keys, 1):
            if not KEY_CHARS.match(key):
                raise PathError(f"move {k}: {key!r} is not a move key")
            found = next((m for m in self.moves(w) if m.key == key), None)
            if found is None:
                offered = ", ".join(m.key for m in self.moves(w)) or "none: the run has ended"
                raise PathError(f"move {k}: no move {key!r} here; possible: {offered}")
            path.append(Step(key, found.label, w, found.world))
            w = found.world
        return path

    def world(self, path: list[Step]) -> World:
        return path[-1].world if path else self.model.initial()

    def trace(self, path: list[Step]) -> Trace:
        return Trace(self.model.initial(), [TraceStep(s.label, s.world) for s in path])

    def keys_of(self, start: World, t: Trace) -> list[str]:
        """The move keys of a trace that starts in ``start``."""
        keys, w = [], start
        for step in t.steps:
            keys.append(
                next(
                    m.key for m in self.moves(w) if m.world == step.world and m.label == step.label
                )
            )
            w = step.world
        return keys

    # -- what the page shows -------------------------------------------------------------------

    def move_view(self, m: Move) -> dict[str, Any]:
        lab = m.label
        cases = []
        for name in lab.cases:
            text = self.model.rules.case(name).text
            cases.append({"name": name, "rfc": section(self.model, name), "text": text})
        return {
            "key": m.key,
            "actor": ACTORS[lab.actor],
            "kind": lab.kind,
            "cases": cases,
            "seg": lab.seg.describe() if lab.seg is not None else None,
            "old": bool(lab.seg is not None and lab.seg.stale),
            "sent": lab.sent.describe() if lab.sent is not None else None,
            "overflow": lab.overflow,
            "expired": [s.describe() for s in lab.expired],
            # what the traces of the command line say of this move, in each language
            "what": {lang: gettext(what(lab), lang) for lang in LANGS},
            "after": {SIDE_NAMES[i]: endpoint_text(m.world.eps[i]) for i in (CLIENT, SERVER)},
        }

    def state_view(self, w: World, path: list[Step]) -> dict[str, Any]:
        sides = self.model.sides
        return {
            "endpoints": [
                endpoint_view(w.eps[i], sides[i], _app_calls(path, i)) for i in (CLIENT, SERVER)
            ],
            "channels": [
                {
                    "from": SIDE_NAMES[i],
                    "to": SIDE_NAMES[1 - i],
                    "segments": [_seg_view(s) for s in w.chans[i]],
                }
                for i in (CLIENT, SERVER)
            ],
            "dups": w.dups,
            "ticks": sum(1 for s in path if s.label.kind == "tick"),
        }

    def state_status(self, w: World) -> dict[str, str]:
        """The status of every property that can be read off one state."""
        out: dict[str, str] = {}
        for p in CHECKED:
            if p.kind == "invariant":
                out[p.id] = "holds" if p.pred(self.model, w) else "violated"
            elif p.kind == "deadlock":
                if self.moves(w):
                    out[p.id] = "moves"
                else:
                    out[p.id] = "end" if final(self.model, w) else "violated"
            elif p.kind == "liveness":
                out[p.id] = "runs"  # decided on whole runs, never in one state
            if p.witness and not PROPERTIES[p.witness].of_steps:
                wit = PROPERTIES[p.witness]
                out[wit.id] = "reached" if wit.pred(self.model, w) else "not-here"
        return out

    def step_status(self, before: World, lab: Label, after: World) -> dict[str, str]:
        """The status of every property that is read off one move (action properties)."""
        out: dict[str, str] = {}
        for p in CHECKED:
            if p.kind == "action":
                out[p.id] = "holds" if p.pred(self.model, before, lab, after) else "violated"
            if p.witness and PROPERTIES[p.witness].of_steps:
                wit = PROPERTIES[p.witness]
                out[wit.id] = "reached" if wit.pred(self.model, before, lab, after) else "not-here"
        return out

    def title(self, lang: str = "en") -> str:
        return self.scenario + (
            f" ({gettext('mutant', lang)} {self.mutant})" if self.mutant else ""
        )

    def view(self, keys: list[str]) -> dict[str, Any]:
        """Everything the page shows after following ``keys``."""
        path = self.replay(keys)
        w = self.world(path)
        return {
            "scenario": self.scenario,
            "mutant": self.mutant,
            "title": {lang: self.title(lang) for lang in LANGS},
            "initial": {"status": self.state_status(self.model.initial())},
            "steps": [
                {
                    "key": s.key,
                    "move": self.move_view(Move(s.key, s.label, s.world)),
                    "step_status": self.step_status(s.before, s.label, s.world),
                    "status": self.state_status(s.world),
                }
                for s in path
            ],
            "state": self.state_view(w, path),
            "moves": [self.move_view(m) for m in self.moves(w)],
            # the run so far as a sequence chart, in each language
            "chart": {
                lang: msc.svg(self.trace(path), self.title(lang), lang=lang) for lang in LANGS
            }
            if path
            else None,
        }

    # -- jumps and random runs -----------------------------------------------------------------

    def jump(self, keys: list[str], prop_id: str, here: bool) -> dict[str, Any]:
        """The shortest counterexample to (or witness of) ``prop_id``, from the initial state or
        from the end of ``keys``: the whole path to it, as keys, or a note that there is none."""
        if prop_id not in PROPERTIES:
            raise PathError(f"unknown property {prop_id!r}; choose one of: {', '.join(PROPERTIES)}")
        path = self.replay(keys) if here else []
        start = self.world(path)
        cache_key = (start, prop_id)
        found = self._jumps.get(cache_key)
        if found is None:
            found = self._jumps[cache_key] = self._search(start, PROPERTIES[prop_id])
        if isinstance(found, str):
            return {"path": [s.key for s in path] if here else keys, "note": found}
        new = [s.key for s in path] + found
        if len(new) > self.max_path:
            raise PathError(f"the run found has {len(new)} moves, more than --max-path")
        return {"path": new, "note": ""}

    def _search(self, start: World, prop: Property) -> list[str] | str:
        m = _StartAt(self.model.sides, self.model.p, self.model.rules, self.model.stale)
        m.start = start
        if prop.kind == "reachable":
            checked = tuple(p for p in CHECKED if p.witness == prop.id)
        else:
            checked = (prop,)
        live = prop.kind in ("liveness", "deadlock")
        try:
            ex = explore(m, checked, self.max_states, stop_at=() if live else (prop.id,))
        except StateLimitExceeded as e:
            return str(e)
        v = ex.verdicts.get(prop.id)
        if v is None or v.trace is None:
            return "never reached from here" if prop.kind == "reachable" else "holds from here"
        return self.keys_of(start, v.trace)

    def random_run(self, keys: list[str], seed: int) -> dict[str, Any]:
        """Random moves from the end of ``keys`` until the run ends (no move is possible) or
        `RANDOM_STEPS` more moves were taken: reproducible, the same seed gives the same run,
        here and in the site version (the page draws with the same generator, `Mulberry32`)."""
        rng = Mulberry32(seed)
        path = self.replay(keys)
        out = [s.key for s in path]
        w = self.world(path)
        for _ in range(RANDOM_STEPS):
            options = self.moves(w)
            if not options or len(out) >= self.max_path:
                break
            m = options[rng.below(len(options))]
            out.append(m.key)
            w = m.world
        return {"path": out, "seed": seed, "ended": not self.moves(w)}


def property_list() -> list[dict[str, Any]]:
    """Every checked property and its "sometimes" companion, as the page lists them."""
    out = []
    for p in CHECKED:
        out.append(_prop_view(p, "step" if p.kind == "action" else "state"))
        if p.witness:
            wit = PROPERTIES[p.witness]
            out.append(_prop_view(wit, "step" if wit.of_steps else "state", of=p.id))
    return out


def _prop_view(p: Property, reads: str, of: str = "") -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "statement": p.statement,
        "rfc": p.rfc,
        "reads": reads,
        "of": of,
    }
