"""The model as Promela, derived from the rule tables of `spec/` (`tcpspec export promela`).

Nothing here states a rule of TCP. As the Z3 encoding does, the case lambdas of ``model.rules``
(RFC 9293 3.10: arrival steps, user calls, timeouts), `spec.ghosts` and
`spec.timers.settle_timers` are *called*, with a `Ctx` whose fields are `Expr` values: printed
Promela expressions that overload ``==``, ``<``, ``+``, ... and that `spec.logic`'s ``And``,
``Or``, ``If``, ``In``, ``Not`` combine through their ``__logic__`` hook. What is written here is
only what `spec.model.Model.successors` does around the rules, step for step:

- one process with one loop state (``end: do``) whose every option is one ``d_step``: one move of
  the model is one SPIN transition, so SPIN's "states, stored" (with ``-DNOREDUCE``) counts the
  very states the explicit engine counts;
- the state: both endpoints (every field of `Endpoint`), each channel as ``capacity`` slots
  holding a segment packed into one positive integer whose order is Python's tuple order of
  `Segment` (so "sorted", as `Model._canon` keeps a channel when reordering is on, is integer
  order; empty slots are 0 and come last), and the duplications left. Scratch values are
  ``hidden`` (not part of the state vector);
- delivery (the arrival procedure: per step the first matching case fires, ``stop`` ends it),
  loss, duplication, overflow, segment ageing and expiry at MSL, and the clock tick (none while a
  timer is due, none when nothing would change);
- the safety properties of `checks.properties`: each invariant as a monitor option enabled only
  in a state that violates it (``assert``, a self-loop that adds no state), each action property
  as an ``assert`` at the end of every move, over the state before and after.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tcpspec.checks.properties import CHECKED, SAFETY_KINDS, SIDES, Property
from tcpspec.spec import clock, ghosts
from tcpspec.spec.endpoint import Endpoint
from tcpspec.spec.logic import Or, is_false
from tcpspec.spec.model import SIDE_NAMES, Model, World
from tcpspec.spec.rules import Case, Ctx
from tcpspec.spec.segment import Segment
from tcpspec.spec.timers import settle_timers

EP_FIELDS: tuple[str, ...] = Endpoint._fields
#: Bits per segment field, most significant first: Python's tuple order of `Segment` is then
#: the order of the packed integers. 31 bits in all, so a packed segment is a positive int.
SEG_BITS = {
    "syn": 1,
    "ack": 1,
    "fin": 1,
    "rst": 1,
    "seq": 10,
    "ackno": 10,
    "dlen": 2,
    "age": 4,
    "stale": 1,
}
SHIFT: dict[str, int] = {}
_at = 0
for _f in reversed(Segment._fields):
    SHIFT[_f] = _at
    _at += SEG_BITS[_f]
del _at, _f


class Expr:
    """A Promela (C-like) expression, printed as it is built."""

    __slots__ = ("c",)

    def __init__(self, c: str) -> None:
        self.c = c

    def __bool__(self) -> bool:
        raise TypeError(f"a printed expression has no truth value here: {self.c}")

    def _bin(self, op: str, other: Any) -> Expr:
        return Expr(f"({self.c} {op} {lit(other)})")

    def _rbin(self, op: str, other: Any) -> Expr:
        return Expr(f"({lit(other)} {op} {self.c})")

    def __eq__(self, o: object) -> Expr:  # type: ignore[override]
        return self._bin("==", o)

    def __ne__(self, o: object) -> Expr:  # type: ignore[override]
        return self._bin("!=", o)

    def __lt__(self, o: Any) -> Expr:
        return self._bin("<", o)

    def __le__(self, o: Any) -> Expr:
        return self._bin("<=", o)

    def __gt__(self, o: Any) -> Expr:
        return self._bin(">", o)

    def __ge__(self, o: Any) -> Expr:
        return self._bin(">=", o)

    def __add__(self, o: Any) -> Expr:
        return self._bin("+", o)

    def __radd__(self, o: Any) -> Expr:
        return self._rbin("+", o)

    def __sub__(self, o: Any) -> Expr:
        return self._bin("-", o)

    def __rsub__(self, o: Any) -> Expr:
        return self._rbin("-", o)

    __hash__ = None  # type: ignore[assignment]


class PromelaLogic:
    """The connectives of `spec.logic` on printed expressions."""

    @staticmethod
    def And(*xs: Any) -> Expr:
        return Expr("(" + " && ".join(lit(x) for x in xs) + ")")

    @staticmethod
    def Or(*xs: Any) -> Expr:
        return Expr("(" + " || ".join(lit(x) for x in xs) + ")")

    @staticmethod
    def Not(x: Any) -> Expr:
        return Expr(f"(!{lit(x)})")

    @staticmethod
    def If(c: Any, a: Any, b: Any) -> Expr:
        return Expr(f"({lit(c)} -> {lit(a)} : {lit(b)})")

    @staticmethod
    def In(x: Any, values: Iterable[int]) -> Expr:
        vs = sorted(int(v) for v in values)
        if not vs:
            return Expr("0")
        return Expr("(" + " || ".join(f"({lit(x)} == {v})" for v in vs) + ")")


Expr.__logic__ = PromelaLogic  # type: ignore[attr-defined]


def lit(x: Any) -> str:
    """A value as Promela text: expressions as printed, bools and enums as integers."""
    if isinstance(x, Expr):
        return x.c
    if isinstance(x, int):
        return str(int(x))
    raise TypeError(f"cannot print {x!r} as Promela")


def _cond(x: Any) -> str:
    return "1" if isinstance(x, int) and x else lit(x)


# -- names ---------------------------------------------------------------------------------------


def ep_var(i: int, f: str) -> str:
    return f"e{i}_{f}"


def slot(i: int, k: int) -> str:
    return f"c{i}_{k}"


def endpoint(prefix: str) -> Endpoint:
    """An endpoint whose fields are the Promela variables ``{prefix}{field}``."""
    fields: dict[str, Any] = {f: Expr(f"{prefix}{f}") for f in EP_FIELDS}
    return Endpoint(**fields)


def unpack(packed: str) -> Segment:
    """A segment whose fields are read out of the packed integer ``packed``."""
    fields: dict[str, Any] = {
        f: Expr(f"(({packed} >> {SHIFT[f]}) & {(1 << SEG_BITS[f]) - 1})") for f in Segment._fields
    }
    return Segment(**fields)


def pack(seg: Segment) -> str:
    """A segment (of expressions or values) as one packed integer expression."""
    parts = []
    for f in Segment._fields:
        v = getattr(seg, f)
        if isinstance(v, int) and not isinstance(v, Expr):
            if v:
                parts.append(str(int(v) << SHIFT[f]))
        else:
            parts.append(f"({lit(v)} << {SHIFT[f]})")
    return " + ".join(parts) or "0"


def pack_value(seg: Segment) -> int:
    out = 0
    for f in Segment._fields:
        v = int(getattr(seg, f))
        if not 0 <= v < 1 << SEG_BITS[f]:
            raise ValueError(f"segment field {f}={v} does not fit the Promela packing")
        out |= v << SHIFT[f]
    return out


# -- the exporter --------------------------------------------------------------------------------


class _Writer:
    def __init__(self, model: Model, properties: tuple[Property, ...], trail: bool) -> None:
        self.m = model
        self.p = model.p
        self.cap = model.p.capacity
        self.props = properties
        self.trail = trail
        self.lines: list[str] = []

    def out(self, text: str, depth: int) -> None:
        self.lines.append("  " * depth + text)

    # -- pieces of a move ------------------------------------------------------------------

    def assign(self, i: int, eff: dict[str, Any], d: int) -> None:
        """Simultaneous assignment of an effect to endpoint ``i`` (through hidden temporaries);
        the key "emit" sets the hidden outgoing segment ``em``."""
        eff = dict(eff)
        emit = eff.pop("emit", None)
        names = [f for f in EP_FIELDS if f in eff]
        for f in names:
            self.out(f"t_{f} = {lit(eff[f])};", d)
        if emit is not None:
            for f, bits in SEG_BITS.items():  # a number that outgrows its bits is an error
                v = getattr(emit, f)
                if isinstance(v, Expr):
                    self.out(f"assert({lit(v)} >= 0 && {lit(v)} < {1 << bits});", d)
            self.out(f"em = {pack(emit)};", d)
        for f in names:
            self.out(f"{ep_var(i, f)} = t_{f};", d)

    def snapshot(self, d: int) -> None:
        for i in SIDES:
            for f in EP_FIELDS:
                self.out(f"w{i}_{f} = {ep_var(i, f)};", d)

    def settle(self, i: int, d: int, arrival: Segment | None) -> None:
        """Ghosts and timers after a step of endpoint ``i`` (as `Model._arrival_at` and
        `Model._local`), and the stale bit of what it sends."""
        before, after = endpoint(f"w{i}_"), endpoint(f"e{i}_")
        if arrival is None:
            g = ghosts.after_local(before, after)
        else:
            replied = Expr("(em != 0)")
            g = ghosts.after_arrival(
                before, after, arrival, unpack("em"), replied, self.m.sides[i].iss
            )
        self.assign(i, g, d)
        self.assign(i, settle_timers(before, after, self.p), d)
        stale = ghosts.reply_is_stale(endpoint(f"e{i}_"))
        self.out(f"em = (em != 0 -> em + ({lit(stale)} << {SHIFT['stale']}) : 0);", d)

    def insert(self, i: int, value: str, d: int) -> None:
        """Put ``value`` into channel ``i`` (which has room) and keep it canonical."""
        self.out("if", d)
        for k in range(self.cap):
            free = " && ".join([f"{slot(i, j)} != 0" for j in range(k)] + [f"{slot(i, k)} == 0"])
            self.out(f":: ({free}) -> {slot(i, k)} = {value}", d)
        self.out("fi;", d)
        if self.p.reorder:  # one backward bubble pass sinks the new segment into its place
            for k in range(self.cap - 1, 0, -1):
                a, b = slot(i, k - 1), slot(i, k)
                self.out(
                    f"if :: ({b} != 0 && {a} > {b}) -> sw = {a}; {a} = {b}; {b} = sw "
                    ":: else -> skip fi;",
                    d,
                )

    def emit(self, i: int, d: int) -> None:
        """`Model._emit`: a segment sent into a full channel is lost."""
        self.out(f"if :: (em != 0 && {slot(i, self.cap - 1)} == 0) ->", d)
        self.insert(i, "em", d + 1)
        self.out(":: else -> skip", d)
        self.out("fi;", d)

    def remove(self, i: int, k: int, d: int) -> None:
        for j in range(k, self.cap - 1):
            self.out(f"{slot(i, j)} = {slot(i, j + 1)};", d)
        self.out(f"{slot(i, self.cap - 1)} = 0;", d)

    def actions(self, d: int) -> None:
        """Every action property over the move just made (the state before is ``w*_``)."""
        before = World((endpoint("w0_"), endpoint("w1_")), ((), ()), 0)
        after = World((endpoint("e0_"), endpoint("e1_")), ((), ()), 0)
        for prop in self.props:
            if prop.kind == "action":
                try:
                    holds = prop.pred(self.m, before, None, after)
                except AttributeError as e:  # a predicate that reads the move's label
                    raise NotImplementedError(
                        f"{prop.id} reads the move's label, which the Promela export does not carry"
                    ) from e
                self.out(f"{ok_name(prop)} = {_cond(holds)}; assert({ok_name(prop)});", d)

    def move(self, guard: str, body: Any, d: int) -> None:
        self.out(f":: d_step {{ {guard} ->", d)
        self.snapshot(d + 1)
        self.out("em = 0;", d + 1)
        body(d + 1)
        if self.trail:  # the state after the move, for `spin -t` (pan ignores printf)
            names = state_variables(self.cap)
            fmt = " ".join(["%d"] * len(names))
            self.out(f'printf("{STATE_MARK} {fmt}\\n", {", ".join(names)});', d + 1)
        self.actions(d + 1)
        self.out("}", d)

    # -- the moves of `Model.successors` -----------------------------------------------------

    def local_moves(self, d: int) -> None:
        for i in SIDES:
            me = endpoint(f"e{i}_")
            ctx = Ctx(me, None, self.m.sides[i], self.p)
            for table in (self.m.rules.user, self.m.rules.timers):
                for case in table:
                    when = case.when(ctx)
                    if is_false(when) or not case.states:
                        continue
                    guard = PromelaLogic.And(PromelaLogic.In(me.st, case.states), when)
                    self.out(f"/* {SIDE_NAMES[i]}: {case.name} (RFC 9293 {case.rfc}) */", d)

                    def body(dd: int, i: int = i, case: Case = case, ctx: Ctx = ctx) -> None:
                        self.assign(i, case.then(ctx), dd)
                        self.settle(i, dd, None)
                        self.emit(i, dd)

                    self.move(lit(guard), body, d)

    def arrival(self, j: int, d: int) -> None:
        """The arrival procedure of 3.10.7 for the segment in ``sg`` at endpoint ``j``."""
        seg = unpack("sg")
        me = endpoint(f"e{j}_")
        ctx = Ctx(me, seg, self.m.sides[j], self.p)
        self.out("go = 1;", d)
        for step in self.m.rules.arrival:
            self.out(f"/* {step.title} */", d)
            self.out("mt = 0;", d)
            for case in step.cases:
                when = case.when(ctx)
                if is_false(when) or not case.states:
                    continue
                guard = PromelaLogic.And(
                    Expr("go"), Expr("(!mt)"), PromelaLogic.In(me.st, case.states), when
                )
                self.out(f"if :: {lit(guard)} -> /* {case.name} */", d)
                self.out("mt = 1;", d + 1)
                self.assign(j, case.then(ctx), d + 1)
                if case.stop:
                    self.out("go = 0;", d + 1)
                self.out(":: else -> skip", d)
                self.out("fi;", d)
        self.settle(j, d, seg)

    def network_moves(self, d: int) -> None:
        for i in SIDES:
            j = 1 - i
            for k in range(self.cap):
                here = slot(i, k)
                if k == 0 or self.p.reorder:
                    self.out(f"/* deliver slot {k} of the channel out of the {SIDE_NAMES[i]} */", d)

                    def deliver(
                        dd: int, i: int = i, j: int = j, k: int = k, here: str = here
                    ) -> None:
                        self.out(f"sg = {here};", dd)
                        self.remove(i, k, dd)
                        self.arrival(j, dd)
                        self.emit(j, dd)

                    self.move(f"({here} != 0)", deliver, d)
                if self.p.loss:
                    self.out(f"/* lose slot {k} of the channel out of the {SIDE_NAMES[i]} */", d)
                    self.move(f"({here} != 0)", lambda dd, i=i, k=k: self.remove(i, k, dd), d)
                self.out(f"/* duplicate slot {k} of the channel out of the {SIDE_NAMES[i]} */", d)

                def dup(dd: int, i: int = i, here: str = here) -> None:
                    self.out(f"em = {here};", dd)
                    self.insert(i, "em", dd)
                    self.out("em = 0;", dd)
                    self.out("dups = dups - 1;", dd)

                self.move(f"(dups > 0 && {here} != 0 && {slot(i, self.cap - 1)} == 0)", dup, d)

    def tick(self, d: int) -> None:
        """The clock's tick, `spec.clock`'s rules printed: none while a timer is due, none when
        nothing would change."""
        eps = [endpoint(f"e{i}_") for i in SIDES]
        due = lit(Or(*[clock.due(e) for e in eps]))
        running = lit(Or(*[clock.running(e) for e in eps]))
        busy = " || ".join(f"{slot(i, 0)} != 0" for i in SIDES)

        def body(dd: int) -> None:
            for i in SIDES:
                for f, v in clock.ticked(eps[i]).items():
                    self.out(f"{ep_var(i, f)} = {lit(v)};", dd)
            for i in SIDES:
                self.out("n = 0;", dd)
                for k in range(self.cap):
                    s = slot(i, k)
                    seg = unpack(s)
                    later = pack(seg._replace(**clock.aged(seg)))
                    self.out(
                        f"if :: ({s} != 0 && {_cond(clock.survives(seg, self.p.msl))}) -> "
                        f"tk[n] = {later}; n = n + 1 :: else -> skip fi;",
                        dd,
                    )
                for k in range(self.cap):
                    self.out(f"{slot(i, k)} = (n > {k} -> tk[{k}] : 0);", dd)

        self.out("/* the clock: one tick */", d)
        self.move(f"(!{due} && ({running} || {busy}))", body, d)

    def monitors(self, d: int) -> None:
        w = World((endpoint("e0_"), endpoint("e1_")), ((), ()), 0)
        for prop in self.props:
            if prop.kind == "invariant":
                holds = prop.pred(self.m, w)
                self.out(f"/* {prop.id} ({prop.rfc}) */", d)
                self.out(
                    f":: d_step {{ !({_cond(holds)}) -> {ok_name(prop)} = 0; "
                    f"assert({ok_name(prop)}) }}",
                    d,
                )

    # -- the whole model ---------------------------------------------------------------------

    def declarations(self, w: World) -> None:
        for i in SIDES:
            decl = ", ".join(
                f"{ep_var(i, f)} = {v}" for f, v in zip(EP_FIELDS, _ep_values(w, i), strict=True)
            )
            self.out(f"short {decl};  /* the {SIDE_NAMES[i]} */", 0)
        for i in SIDES:
            vals = _slot_values(w, i, self.cap)
            decl = ", ".join(f"{slot(i, k)} = {v}" for k, v in enumerate(vals))
            self.out(f"int {decl};  /* segments from the {SIDE_NAMES[i]} */", 0)
        self.out(f"byte dups = {w.dups};", 0)
        self.out("/* scratch values of one move, not part of the state */", 0)
        temps = ["em", "sg", "sw", "go", "mt", "n", f"tk[{self.cap}]"]
        temps += [f"t_{f}" for f in EP_FIELDS]
        temps += [f"w{i}_{f}" for i in SIDES for f in EP_FIELDS]
        temps += [ok_name(p) for p in self.props]
        for t in temps:
            self.out(f"hidden int {t};", 0)

    def write(self) -> str:
        w = self.m.initial()
        self.check_range(w)
        sides = ", ".join(f"{SIDE_NAMES[i]} ISS {self.m.sides[i].iss}" for i in SIDES)
        self.out(f"/* tcpspec: {sides}; bounds {self.bounds_text()} */", 0)
        self.declarations(w)
        self.out("", 0)
        self.out("active proctype tcp() {", 0)
        self.out("end: do", 0)
        self.local_moves(1)
        self.network_moves(1)
        self.tick(1)
        self.monitors(1)
        self.out("od", 0)
        self.out("}", 0)
        return "\n".join(self.lines) + "\n"

    def bounds_text(self) -> str:
        p = self.p
        return " ".join(
            f"{k}={int(getattr(p, k))}"
            for k in (
                "capacity",
                "loss",
                "reorder",
                "duplicates",
                "data",
                "msl",
                "rto",
                "retries",
                "time_wait",
                "window",
                "fin_wait_2",
            )
        )

    def check_range(self, w: World) -> None:
        top = max(max(s.iss, s.old_iss, s.start_seq) for s in self.m.sides)
        if top + 2 * self.p.data + self.p.window + 8 >= 1 << SEG_BITS["seq"]:
            raise ValueError("sequence numbers too large for the Promela packing")
        if self.p.msl > 1 << SEG_BITS["age"]:
            raise ValueError("--msl too large for the Promela packing")


def ok_name(prop: Property) -> str:
    return "ok_" + prop.id.replace(".", "_")


#: What starts the line a trail export prints after every move: the state, as `state_values`.
STATE_MARK = "tcpspec-state"


def state_variables(capacity: int) -> list[str]:
    """The Promela variables that hold a state, in the order of `state_values`."""
    eps = [ep_var(i, f) for i in SIDES for f in EP_FIELDS]
    return eps + [slot(i, k) for i in SIDES for k in range(capacity)] + ["dups"]


def _ep_values(w: World, i: int) -> list[int]:
    return [int(getattr(w.eps[i], f)) for f in EP_FIELDS]


def _slot_values(w: World, i: int, capacity: int) -> list[int]:
    return [pack_value(s) for s in w.chans[i]] + [0] * (capacity - len(w.chans[i]))


def state_values(model: Model, w: World) -> tuple[int, ...]:
    """``w`` as the values of `state_variables`: what SPIN holds for it."""
    cap = model.p.capacity
    eps = [v for i in SIDES for v in _ep_values(w, i)]
    return (*eps, *(v for i in SIDES for v in _slot_values(w, i, cap)), w.dups)


def export(
    model: Model, properties: tuple[Property, ...] | None = None, trail: bool = False
) -> str:
    """The Promela text of ``model`` with its safety properties (invariants and action
    properties of `CHECKED`) as assertions. Deterministic: same model, same bytes. With
    ``trail``, every move also prints the state after it (a `STATE_MARK` line), so that
    ``spin -t`` replays a trail as the sequence of states."""
    props = tuple(p for p in (properties or CHECKED) if p.kind in SAFETY_KINDS)
    return _Writer(model, props, trail).write()
