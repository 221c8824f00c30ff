"""The typer application and what every command shares: the bound options, clear errors."""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar, cast, get_type_hints

import typer
from typer.core import TyperGroup

from tcpspec import __version__, i18n
from tcpspec.checks import loading
from tcpspec.spec.model import Bounds, BoundsError
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import SCENARIOS

#: Exit status, the same for every command.
EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_STATUS = (
    "Exit status: 0 all good; 1 a property is violated, a mutant escapes or a capture is "
    "rejected; 2 bad usage or input, or output that cannot be written; 3 inconclusive (no "
    "proof and no counterexample, a vacuous property, a synthesis that cannot decide); 130 "
    "interrupted (Ctrl-C or SIGTERM)."
)

#: Options of the whole program a user may also write after the command name (where a
#: student puts them: ``tcpspec verify --lang ko``); they are moved before it.
ROOT_OPTIONS = ("--lang", "--load")


class _Group(TyperGroup):
    """The command group, which reads `ROOT_OPTIONS` wherever they stand, and shows every help
    text in the language asked for (`--lang`, or LANG)."""

    def make_context(self, info_name: Any, args: list[str], *a: Any, **kw: Any) -> Any:
        lang = _lang_of(args)
        if lang != "en":
            _translate(self, lang)
        return super().make_context(info_name, args, *a, **kw)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        front: list[str] = []
        rest: list[str] = []
        k = 0
        seen_command = False
        while k < len(args):
            a = args[k]
            if a == "--":
                rest += args[k:]
                break
            name = a.split("=", 1)[0]
            if seen_command and name in ROOT_OPTIONS and "=" not in a and k + 1 == len(args):
                return super().parse_args(ctx, [a])  # "--lang" last, with no value: say so
            if seen_command and name in ROOT_OPTIONS:
                if "=" in a:
                    front.append(a)
                else:
                    front += args[k : k + 2]
                    k += 1
            else:
                seen_command = seen_command or (not a.startswith("-") and a in self.commands)
                rest.append(a)
            k += 1
        return super().parse_args(ctx, front + rest)


def _lang_of(args: list[str]) -> str:
    """The language a command line asks for: its ``--lang`` (wherever it stands), else the
    environment's (an unknown one is the callback's error to report)."""
    for k, a in enumerate(args):
        if a == "--":
            break
        value = a.split("=", 1)[1] if a.startswith("--lang=") else None
        if a == "--lang" and k + 1 < len(args):
            value = args[k + 1]
        if value is not None:
            return value if value in i18n.LANGS else "en"
    return i18n.detect()


def help_texts(group: Any) -> dict[str, str]:
    """Every help text of the command line (each command's, option's and epilog), with where it
    is shown: the message catalogue translates them (`python -m tcpspec.messages`)."""
    out: dict[str, str] = {}

    def walk(cmd: Any, name: str) -> None:
        for text in (cmd.help, cmd.epilog):
            if text:
                out.setdefault(text, f"help of {name}")
        for p in cmd.params:
            if getattr(p, "help", None):
                out.setdefault(p.help, f"help of {name} {p.opts[0] if p.opts else p.name}")
        for sub, c in sorted(getattr(cmd, "commands", {}).items()):
            walk(c, f"{name} {sub}")

    walk(group, "tcpspec")
    out.update(dict.fromkeys(CLICK_WORDS, "help layout"))
    return out


#: The words of the help layout itself (click's), translated by `_Formatter`.
CLICK_WORDS = (
    "Usage: ",
    "Options",
    "Arguments",
    "Commands",
    "default",
    "required",
    "Show this message and exit.",
)


def _translate(cmd: Any, lang: str) -> None:
    """``cmd`` and its subcommands with their help in ``lang`` (the catalogue's words)."""
    cmd.help = i18n.gettext(cmd.help, lang) if cmd.help else cmd.help
    cmd.epilog = i18n.gettext(cmd.epilog, lang) if cmd.epilog else cmd.epilog
    for p in cmd.params:
        if getattr(p, "help", None):
            p.help = i18n.gettext(p.help, lang)
    cmd.context_class = _context(lang)
    for c in getattr(cmd, "commands", {}).values():
        _translate(c, lang)


@functools.cache
def _context(lang: str) -> type:
    """A context class whose help layout speaks ``lang``."""
    base: Any = typer.Context.formatter_class

    def say(text: str) -> str:
        return i18n.gettext(text, lang)

    class Formatter(base):
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, say("Usage: "))

        def write_heading(self, heading: str) -> None:
            super().write_heading(say(heading))

        def write_dl(self, rows: Any, *a: Any, **kw: Any) -> None:
            def local(text: str) -> str:
                text = text.replace(
                    "Show this message and exit.", say("Show this message and exit.")
                )
                text = text.replace("[default: ", f"[{say('default')}: ")
                return text.replace("[required]", f"[{say('required')}]")

            super().write_dl([(term, local(text)) for term, text in rows], *a, **kw)

    class Context(typer.Context):
        formatter_class = Formatter

    return Context


app = typer.Typer(
    cls=_Group,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="A machine-checked model of TCP connection setup and teardown "
    "(RFC 9293): verify its properties, study counterexamples.",
    epilog=EXIT_STATUS,
)


def _version(value: bool) -> None:
    if value:
        print(f"tcpspec {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of traces and charts: en or ko (default: from LANG, so "
            "LANG=ko_KR.UTF-8 gives Korean). 출력 언어: ko는 한국어.",
        ),
    ] = None,
    load: Annotated[
        list[Path] | None,
        typer.Option(
            "--load",
            metavar="FILE.py",
            help="Load your own properties, mutants and scenarios from a Python file (its "
            "PROPERTIES, MUTANTS and SCENARIOS lists; this runs the file's code). Every engine "
            "then checks them like the built-in ones. May be given more than once, before or "
            "after the command name.",
        ),
    ] = None,
) -> None:
    """A machine-checked model of TCP connection setup and teardown (RFC 9293): verify its
    properties, study counterexamples."""
    try:
        i18n.use(lang or i18n.detect())
    except ValueError as e:
        fail(str(e))
    done: list[loading.Loaded] = []

    # what a file adds is taken out again when the command ends (a test runs many in one
    # process)
    def unload() -> None:
        for d in done:
            loading.unload(d)

    ctx.call_on_close(unload)
    for path in load or ():
        try:
            done.append(loading.load(path))
        except loading.LoadError as e:
            fail(str(e))


# -- options shared by the commands that build a model -------------------------------------------
Capacity = Annotated[int, typer.Option(help="Segments in flight per direction.")]
Loss = Annotated[bool, typer.Option("--loss/--no-loss", help="The network may drop segments.")]
Reorder = Annotated[
    bool,
    typer.Option("--reorder/--no-reorder", help="The network may deliver segments out of order."),
]
Dups = Annotated[int, typer.Option(help="How many duplications the network may make (0: off).")]
Data = Annotated[int, typer.Option(help="Data units each application sends.")]
Msl = Annotated[int, typer.Option(help="MSL in ticks: a segment lives less than this.")]
Rto = Annotated[int, typer.Option(help="Retransmission timeout in ticks.")]
Retries = Annotated[int, typer.Option(help="Retransmissions of a segment before giving up.")]
TimeWait = Annotated[int, typer.Option(help="TIME-WAIT length in ticks (0: 2*MSL).")]
Window = Annotated[int, typer.Option(help="Receive window (RCV.WND) in data units.")]
MaxStates = Annotated[int, typer.Option(help="Stop with an error beyond this many states.")]
Mutant = Annotated[str | None, typer.Option(help="Check a broken variant (see `tcpspec list`).")]
ScenarioOpt = Annotated[
    list[str] | None, typer.Option("--scenario", help="Scenario(s) to explore (default: all).")
]


#: The model's bounds as command-line options: (parameter name, option type, default).
BOUND_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("capacity", Capacity, 2),
    ("loss", Loss, True),
    ("reorder", Reorder, True),
    ("duplicates", Dups, 1),
    ("data", Data, 1),
    ("msl", Msl, 1),
    ("rto", Rto, 1),
    ("retries", Retries, 1),
    ("time_wait", TimeWait, 0),
    ("window", Window, 2),
)

F = TypeVar("F", bound=Callable[..., Any])


def flag(name: str, value: Any) -> str:
    """A bound as the command-line option that sets it: ``--data 0``, ``--no-loss``."""
    opt = name.replace("_", "-")
    if isinstance(value, bool):
        return f"--{opt}" if value else f"--no-{opt}"
    return f"--{opt} {value}"


def bound_flags(bounds: Bounds) -> list[str]:
    """The options that give ``bounds``: only those that differ from the defaults, in the
    order of `BOUND_OPTIONS` (so a printed command reproduces a run exactly)."""
    out = []
    for name, _, default in BOUND_OPTIONS:
        value = getattr(bounds, name)
        if name == "time_wait" and value == 2 * bounds.msl:
            continue  # the default, 2*MSL
        if value != default:
            out.append(flag(name, value))
    return out


def bound_options(command: F) -> F:
    """Give a command the model's bound options (`--capacity` ... `--window`), written once here.

    typer sees them as the command's own options; the command itself receives one checked
    `Bounds` as its ``bounds`` parameter (an impossible bound is a clear error, exit 2)."""
    hints = get_type_hints(command, include_extras=True)
    kept = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(command).parameters.values()
        if p.name != "bounds"
    ]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=option)
        for name, option, default in BOUND_OPTIONS
    ]

    @functools.wraps(command)
    def with_bounds(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name, _, _ in BOUND_OPTIONS}
        try:
            b = Bounds(**values).resolved()
        except BoundsError as e:
            fail(str(e))
        return command(*args, bounds=b, **kwargs)

    with_bounds.__signature__ = inspect.Signature(kept + added)  # type: ignore[attr-defined]
    with_bounds.__annotations__ = {p.name: p.annotation for p in kept + added}
    return cast(F, with_bounds)


#: The error messages' templates, for the catalogue: `fail` shows each in this run's language.
ERROR_TEXTS = (
    "--every-bound proves for every bound at once: leave out {flags}",
    "--every-bound re-checks the proofs of TCP unmutated; a mutant's refutation for every "
    "bound: tcpspec prove --every-bound --mutant M",
    "{where}: the file called exit() while it was loaded",
    "{where}: a {kind}'s {field} must be text, not {value}",
    "{where}: a Property's witness must be a name, not {value}",
    "{where}: it cannot be loaded: {what}",
    "{where}: mutant {name}: its change is not a function",
    "{where}: mutant {name}: unknown scenario {sc}",
    "{where}: not a Python file: {what}",
    "{where}: property {name}: its predicate is not a function",
    "{where}: property {name}: kind {kind}; choose one of: {names}",
    "{where}: property {name}: unknown scenario {sc}; choose one of: {names}",
    "{where}: scenario {name}: client and server must be Sides",
    "{where}: scenario {name}: data must be None or a number",
    "{where}: scenario {name}: stale must be a tuple of names",
    "{where}: scenario {name}: {side}'s {field} must be {type}, not {value}",
    "{where}: the name {name} may hold only letters, digits, '_', '.' and '-'",
    "{where}: {key} must be a list, not {kind}",
    "{where}: {what} cannot be built: {why}",
    "{where}: {what} cannot be encoded for Z3 ({why}): write its rules with "
    "tcpspec.spec.logic (And, Or, Not, Implies, If, In), not Python's and/or/if",
    "{where}: property {name}: {what}",
    "error",
    "unknown scenario {name}; choose one of: {names}",
    "unknown mutant {name}; choose one of: {names}",
    "unknown property {name}; choose one of: {names}",
    "unknown format {name}; choose one of: {names}",
    "unknown engine {name}; choose one of: {names}",
    "unknown chart {name}; choose one of: {names}",
    "unknown language {name}; choose one of: {names}",
    "{option} must be at least {least} (got {value})",
    "{option} {value} cannot be explored: at most {most} (each more {why})",
    "{option} {value} cannot be explored: at most {most}",
    "segment in flight multiplies the states many times over",
    "duplication multiplies the states",
    "data unit multiplies the states",
    "retransmission multiplies the states",
    "tick of MSL adds ages to every segment in flight",
    "tick adds timer values to every state",
    "tick adds timer values",
    "unit of window admits more sequence numbers",
    "cannot write {path}: it is a directory",
    "cannot write {path}: there is no directory {parent}",
    "cannot write {path}: permission denied in {parent}",
    "cannot write {path}: permission denied",
    "cannot write {path}: {why}",
    "{path}: cannot read it: {why}",
    "{path}: larger than {n} bytes: not read",
    "{option} takes comma-separated whole numbers, like 1,2,3 (got {text})",
    "{option} values must be from {least} to {most} (got {text})",
    "a file given with --load is not sent to a Dask cluster: run without --scheduler",
    "{where}: syntax error: {what}",
    "{where}: running it failed: {what}",
    "{where}: it defines none of PROPERTIES, MUTANTS, SCENARIOS: nothing to load",
    "{where}: the {kind} {name} already exists: rename it",
    "{where}: the {kind} {name} is defined twice",
    "{where}: property {name} cannot be encoded for Z3 ({what}): write it with "
    "tcpspec.spec.logic (And, Or, Not, Implies, If, In), not Python's and/or/if",
    "{where}: property {name}: a {kind} predicate takes {shape}, this one takes {n}",
    "{where}: property {name}: no witness property {witness}",
    "{where}: property {name}: its witness {witness} must be reachable",
    "{where}: mutant {name}: it breaks no known property {p}",
    "{where}: {key}[{k}] is a {kind}, not a {want} (from tcpspec.api)",
    "{where}: not JSON: {what}",
    "{where}: not an ITF trace (a JSON object with states)",
    "{where}: not an ITF trace of tcpspec's variables: {what}",
)


def fail(message: str) -> NoReturn:
    """Bad usage: one clear line on stderr and exit status 2, never a traceback (in this run's
    language, where the catalogue has the message's template: `ERROR_TEXTS`)."""
    lang = i18n.current()
    say = i18n.gettext
    # (a message that quotes a long text, a user's exception, is shown as it is: matching it
    # against every template would take time for nothing)
    text = say(message, lang) if len(message) <= 1000 else message
    print(f"tcpspec: {say('error', lang)}: {text}", file=sys.stderr)
    raise typer.Exit(EXIT_USAGE)


def check_output(path: Path | None) -> None:
    """Refuse, before any work is done, an output file that could not be written."""
    if path is None:
        return
    if path.is_dir():
        fail(f"cannot write {path}: it is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        fail(f"cannot write {path}: there is no directory {parent}")
    if path.exists() and not os.access(path, os.W_OK):
        fail(f"cannot write {path}: permission denied")
    if not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
        fail(f"cannot write {path}: permission denied in {parent}")


def int_list(option: str, text: str, least: int, most: int) -> list[int]:
    """A comma-separated list of whole numbers (``1,2,3``), each from ``least`` to ``most``;
    sorted, without repeats. Anything else (``1,,2``, ``a``, an empty list) is refused."""
    items = text.split(",")
    if not all(x.strip().isdigit() and len(x.strip()) < 6 for x in items):
        fail(f"{option} takes comma-separated whole numbers, like 1,2,3 (got {text!r})")
    values = sorted({int(x) for x in items})
    if values[0] < least or values[-1] > most:
        fail(f"{option} values must be from {least} to {most} (got {text})")
    return values


def check_mutant(mutant: str | None) -> None:
    if mutant is not None and mutant not in MUTANTS:
        fail(f"unknown mutant {mutant!r}; choose one of: {', '.join(MUTANTS)}")


def check_scenarios(names: list[str] | None) -> tuple[str, ...]:
    for n in names or ():
        if n not in SCENARIOS:
            fail(f"unknown scenario {n!r}; choose one of: {', '.join(SCENARIOS)}")
    return tuple(names) if names else loading.default_scenarios()


def write_json(path: Path, doc: Any) -> None:
    write_text(path, json.dumps(doc, indent=2) + "\n")


def write_text(path: Path, text: str | bytes) -> None:
    try:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror}")
