"""A user's own properties, mutants and scenarios: read from a Python file, checked, registered.

``tcpspec verify --load mine.py`` (and ``prove``, ``mutants``, ``trace``, ``graph``, ``list``,
``explore``) runs ``mine.py`` and takes from it up to three module-level lists, written with the
public API (`tcpspec.api`) and `tcpspec.spec.logic`:

* ``PROPERTIES``: `Property` values (an invariant, step ("action"), liveness or "reachable"
  property, each safety property with its "sometimes" witness);
* ``MUTANTS``: `Mutant` values (a rule case replaced, named, with the property it must break);
* ``SCENARIOS``: `Scenario` values.

They join the built-in ones in the registries every engine reads (`PROPERTIES`, `MUTANTS`,
`SCENARIOS`), so the explicit engine, Z3 (BMC and induction) and the SPIN export check them
exactly like the built-in ones. Before anything is registered each one is checked: its fields,
that its name clashes with nothing, that what it names exists, and that its predicate can be
evaluated by the explicit engine and encoded by Z3 (a predicate that branches on a state with
Python's ``if`` or ``and`` cannot be: `tcpspec.spec.logic` has ``If`` and ``And``). Anything
wrong is one `LoadError` naming the file and the line.

Loading a file runs its code, as ``python mine.py`` would: load only files you trust.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

from tcpspec.checks.properties import KINDS, PROPERTIES, SAFETY_KINDS, Property
from tcpspec.checks.symbolic import encode as E
from tcpspec.checks.symbolic.verdict import SymLabel, _b
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds, Side
from tcpspec.spec.mutants import MUTANTS, Mutant
from tcpspec.spec.scenarios import DEFAULT_SCENARIOS, SCENARIOS, Scenario

#: A user file is read up to this size.
MAX_BYTES = 1 << 20
#: The lists a user file may define.
LISTS = ("PROPERTIES", "MUTANTS", "SCENARIOS")
#: The bounds a predicate is tried at: small, so that loading takes well under a second.
PROBE = Bounds(capacity=1, duplicates=0, data=1)


class LoadError(ValueError):
    """A user file that cannot be loaded: ``FILE:LINE: what is wrong``."""

    def __init__(self, path: str, line: int | None, what: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {what}")


@dataclass
class Loaded:
    """What one file added (names, in the file's order)."""

    path: str
    properties: list[str] = field(default_factory=list)
    mutants: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)


#: The files loaded into this process, in order (`unload` takes them out again).
LOADED: list[Loaded] = []


def loaded_scenarios() -> tuple[str, ...]:
    """The scenarios user files added (checked by default, after the built-in ones)."""
    return tuple(n for f in LOADED for n in f.scenarios)


def default_scenarios() -> tuple[str, ...]:
    return DEFAULT_SCENARIOS + loaded_scenarios()


def load(path: str | Path) -> Loaded:
    """Run the file at ``path``, check what it defines and register it (see the module
    docstring); `LoadError` if anything is wrong (then nothing is registered)."""
    name = str(path)
    code = _compile(Path(path), name)
    space: dict[str, Any] = {"__name__": "tcpspec_user", "__file__": name}
    # as `python FILE.py` runs it: its own folder first on the import path
    folder = str(Path(path).resolve().parent)
    sys.path.insert(0, folder)
    try:
        exec(code, space)
    except SystemExit:
        raise LoadError(name, None, "the file called exit() while it was loaded") from None
    except Exception as e:
        raise LoadError(name, _line_in(e, name), f"running it failed: {_what(e)}") from None
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)
    if not any(k in space for k in LISTS):
        raise LoadError(name, None, f"it defines none of {', '.join(LISTS)}: nothing to load")
    props = _items(space, "PROPERTIES", Property, name)
    mutants = _items(space, "MUTANTS", Mutant, name)
    scenarios = _items(space, "SCENARIOS", Scenario, name)
    for item in (*props, *mutants, *scenarios):
        _typed(item, name, space)
    _unique(name, "scenario", [s.name for s in scenarios], SCENARIOS, space)
    _unique(name, "property", [p.id for p in props], PROPERTIES, space)
    _unique(name, "mutant", [m.name for m in mutants], MUTANTS, space)
    done = Loaded(name)
    try:
        # registered one kind at a time, each checked against what is known by then
        for s in scenarios:
            SCENARIOS[s.name] = s
            done.scenarios.append(s.name)
            _check_scenario(s, name, space)
        for p in props:
            _check_property_fields(p, name, space, {q.id: q for q in props})
        for p in props:
            PROPERTIES[p.id] = p
            done.properties.append(p.id)
        for p in props:
            _probe_property(p, name)
        for m in mutants:
            _check_mutant(m, name, space)  # before it is registered: its names exist
            MUTANTS[m.name] = m
            done.mutants.append(m.name)
            _probe_mutant(m, name)
    except LoadError:
        _remove(done)
        raise
    except Exception as e:  # a check this loader did not foresee: still one message, no leak
        _remove(done)
        raise LoadError(name, _line_in(e, name), f"it cannot be loaded: {_what(e)}") from None
    LOADED.append(done)
    return done


def unload(done: Loaded) -> None:
    """Take what ``done`` added out of the registries again."""
    _remove(done)
    if done in LOADED:
        LOADED.remove(done)


@contextlib.contextmanager
def loaded(*paths: str | Path) -> Iterator[list[Loaded]]:
    """Load ``paths`` for the duration of a ``with`` block (a command, a test)."""
    done: list[Loaded] = []
    try:
        for p in paths:
            done.append(load(p))
        yield done
    finally:
        for d in reversed(done):
            unload(d)


# -- reading ----------------------------------------------------------------------------------


def _compile(path: Path, name: str) -> CodeType:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise LoadError(name, None, f"cannot read it: {e.strerror}") from None
    if len(data) > MAX_BYTES:
        raise LoadError(name, None, f"larger than {MAX_BYTES} bytes: not read")
    try:
        return compile(data, name, "exec")
    except SyntaxError as e:
        raise LoadError(name, e.lineno, f"syntax error: {e.msg}") from None
    except ValueError as e:  # a NUL byte, an undecodable file
        raise LoadError(name, None, f"not a Python file: {e}") from None


def _what(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}".strip().rstrip(":")


def _line_in(e: BaseException, name: str) -> int | None:
    """The last line of the user's file that the error passed through."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == name]
    return frames[-1].lineno if frames else None


def _line_of(space: dict[str, Any], what: str, name: str) -> int | None:
    """The line of the file where ``what`` (a name or an id in quotes) first appears."""
    text = space.get("__tcpspec_text__")
    if text is None:
        with contextlib.suppress(OSError):
            text = Path(name).read_text(errors="replace")
        space["__tcpspec_text__"] = text or ""
    for k, line in enumerate((text or "").splitlines(), 1):
        if f'"{what}"' in line or f"'{what}'" in line:
            return k
    return None


def _items(space: dict[str, Any], key: str, kind: type, name: str) -> list[Any]:
    value = space.get(key, [])
    try:
        items = list(value)
    except TypeError:
        raise LoadError(name, None, f"{key} must be a list, not {type(value).__name__}") from None
    for k, item in enumerate(items):
        if not isinstance(item, kind):
            raise LoadError(
                name,
                None,
                f"{key}[{k}] is a {type(item).__name__}, not a {kind.__name__} (from tcpspec.api)",
            )
    return items


#: What a name of a property, mutant or scenario may hold: it is shown in tables and URLs.
NAME = re.compile(r"[A-Za-z0-9_.-]{1,80}")
#: The fields of each kind that must be text.
TEXT_FIELDS: dict[type, tuple[str, ...]] = {
    Property: ("id", "kind", "statement", "rfc", "scenario"),
    Mutant: ("name", "summary", "breaks", "scenario"),
    Scenario: ("name", "title"),
}


def _typed(item: Any, name: str, space: dict[str, Any]) -> None:
    """Each field of ``item`` of the type the engines expect (a name, a text, a Side, ...)."""
    kind = type(item).__name__
    for f in TEXT_FIELDS[type(item)]:
        if not isinstance(getattr(item, f), str):
            raise LoadError(name, None, f"a {kind}'s {f} must be text, not {getattr(item, f)!r}")
    if isinstance(item, Property) and not (item.witness is None or isinstance(item.witness, str)):
        raise LoadError(name, None, f"a Property's witness must be a name, not {item.witness!r}")
    ident = item.id if isinstance(item, Property) else item.name
    if not NAME.fullmatch(ident):
        raise LoadError(
            name,
            _line_of(space, ident, name),
            f"the name {ident!r} may hold only letters, digits, '_', '.' and '-'",
        )
    if isinstance(item, Scenario):
        _typed_scenario(item, name, space)


def _typed_scenario(s: Scenario, name: str, space: dict[str, Any]) -> None:
    line = _line_of(space, s.name, name)
    if not isinstance(s.stale, tuple) or not all(isinstance(x, str) for x in s.stale):
        raise LoadError(name, line, f"scenario {s.name!r}: stale must be a tuple of names")
    if s.data is not None and (isinstance(s.data, bool) or not isinstance(s.data, int)):
        raise LoadError(name, line, f"scenario {s.name!r}: data must be None or a number")
    for side in (s.client, s.server):
        if not isinstance(side, Side):
            raise LoadError(name, line, f"scenario {s.name!r}: client and server must be Sides")
        for f in dataclasses.fields(Side):
            want = {"bool": bool, "int": int, "str": str}.get(str(f.type))
            value = getattr(side, f.name)
            if want is not None and (
                not isinstance(value, want) or (want is int and isinstance(value, bool))
            ):
                raise LoadError(
                    name,
                    line,
                    f"scenario {s.name!r}: {side.name}'s {f.name} must be {f.type}, not {value!r}",
                )


def _unique(
    name: str, kind: str, names: list[str], table: dict[str, Any], space: dict[str, Any]
) -> None:
    seen: set[str] = set()
    for n in names:
        if not isinstance(n, str) or not n:
            raise LoadError(name, None, f"a {kind} needs a name (a non-empty string), not {n!r}")
        if n in table:
            raise LoadError(
                name, _line_of(space, n, name), f"the {kind} {n!r} already exists: rename it"
            )
        if n in seen:
            raise LoadError(name, _line_of(space, n, name), f"the {kind} {n!r} is defined twice")
        seen.add(n)


# -- checking ---------------------------------------------------------------------------------


def _check_scenario(s: Scenario, name: str, space: dict[str, Any]) -> None:
    line = _line_of(space, s.name, name)
    if not isinstance(s.client, Side) or not isinstance(s.server, Side):
        raise LoadError(name, line, f"scenario {s.name!r}: client and server must be Sides")
    if s.data is not None and (not isinstance(s.data, int) or s.data < 0):
        raise LoadError(name, line, f"scenario {s.name!r}: data must be None or a number >= 0")
    _probe_model(name, f"scenario {s.name!r}", s.name)


def _check_property_fields(
    p: Property, name: str, space: dict[str, Any], mine: dict[str, Property]
) -> None:
    line = _line_of(space, p.id, name)
    if p.kind not in KINDS:
        raise LoadError(
            name, line, f"property {p.id!r}: kind {p.kind!r}; choose one of: {', '.join(KINDS)}"
        )
    if not callable(p.pred):
        raise LoadError(name, line, f"property {p.id!r}: its predicate is not a function")
    code = getattr(p.pred, "__code__", None)
    args = code.co_argcount if code is not None else -1
    want = (4,) if p.kind == "action" else (2, 4) if p.kind == "reachable" else (2,)
    if args not in want:
        shape = " or ".join("(m, w)" if n == 2 else "(m, w, label, w2)" for n in want)
        raise LoadError(
            name,
            code.co_firstlineno if code is not None else line,
            f"property {p.id!r}: a {p.kind} predicate takes {shape}, this one takes "
            f"{args if args >= 0 else 'another signature'}",
        )
    if p.witness is not None:
        wit = mine.get(p.witness) or PROPERTIES.get(p.witness)
        if wit is None:
            raise LoadError(name, line, f"property {p.id!r}: no witness property {p.witness!r}")
        if wit.kind != "reachable":
            raise LoadError(
                name, line, f"property {p.id!r}: its witness {p.witness!r} must be reachable"
            )
    if p.scenario not in SCENARIOS:
        raise LoadError(
            name,
            line,
            f"property {p.id!r}: unknown scenario {p.scenario!r}; choose one of: "
            f"{', '.join(SCENARIOS)}",
        )


def _probe_property(p: Property, name: str) -> None:
    """Evaluate the predicate as the explicit engine does (on the first states and steps of its
    scenario) and encode it as Z3 does (safety and reachable state predicates)."""
    code = p.pred.__code__
    model = make_model(p.scenario, PROBE)
    w = model.initial()
    try:
        if p.of_steps:
            for label, w2 in model.successors(w):
                bool(p.pred(model, w, label, w2))
        else:
            bool(p.pred(model, w))
    except Exception as e:
        raise LoadError(
            name, _line_in(e, name) or code.co_firstlineno, f"property {p.id!r}: {_what(e)}"
        ) from None
    if p.kind not in (*SAFETY_KINDS, "reachable"):
        return  # liveness and deadlock: the explicit engine's alone
    try:
        s = E.fresh_state(model, "probe")
        if p.of_steps:
            s2 = E.fresh_state(model, "probe2")
            step = E.transition(model, s, s2, "probe")
            _b(p.pred(model, s, SymLabel(step), s2))
        else:
            _b(p.pred(model, s))
    except Exception as e:
        raise LoadError(
            name,
            _line_in(e, name) or code.co_firstlineno,
            f"property {p.id!r} cannot be encoded for Z3 ({_what(e)}): write it with "
            "tcpspec.spec.logic (And, Or, Not, Implies, If, In), not Python's and/or/if",
        ) from None


def _check_mutant(m: Mutant, name: str, space: dict[str, Any]) -> None:
    line = _line_of(space, m.name, name)
    if m.breaks not in PROPERTIES:
        raise LoadError(name, line, f"mutant {m.name!r}: it breaks no known property {m.breaks!r}")
    if m.scenario not in SCENARIOS:
        raise LoadError(name, line, f"mutant {m.name!r}: unknown scenario {m.scenario!r}")
    if not callable(m.change):
        raise LoadError(name, line, f"mutant {m.name!r}: its change is not a function")


def _probe_mutant(m: Mutant, name: str) -> None:
    """The mutant's model is built, explored a few steps and encoded for Z3."""
    _probe_model(name, f"mutant {m.name!r}", m.scenario, m.name)


def _probe_model(name: str, what: str, scenario: str, mutant: str | None = None) -> None:
    try:
        model = make_model(scenario, PROBE, mutant)
        frontier = [model.initial()]
        for _ in range(3):  # the first moves, as the explicit engine takes them
            frontier = [w2 for w in frontier[:50] for _, w2 in model.successors(w)]
    except Exception as e:
        raise LoadError(name, _line_in(e, name), f"{what} cannot be built: {_what(e)}") from None
    try:
        E.transition(model, E.fresh_state(model, "p"), E.fresh_state(model, "q"), "p")
    except Exception as e:
        raise LoadError(
            name,
            _line_in(e, name),
            f"{what} cannot be encoded for Z3 ({_what(e)}): write its rules with "
            "tcpspec.spec.logic (And, Or, Not, Implies, If, In), not Python's and/or/if",
        ) from None


def _remove(done: Loaded) -> None:
    for p in done.properties:
        PROPERTIES.pop(p, None)
    for m in done.mutants:
        MUTANTS.pop(m, None)
    for s in done.scenarios:
        SCENARIOS.pop(s, None)
