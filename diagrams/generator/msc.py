"""Message sequence charts from traces: hand-written SVG (deterministic) and Mermaid text.

Two lifelines, client and server. Each trace step is one row. A segment is an arrow from the row
where it was sent to the row where it was delivered; a lost segment ends in a cross. The state of
each side is written beside its lifeline whenever it changes; the retransmission timer and
TIME-WAIT are drawn as bars along the lifeline.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from html import escape

from tcpspec.checks.trace import Trace, endpoint_text, what
from tcpspec.i18n import gettext
from tcpspec.spec.endpoint import OFF, Endpoint
from tcpspec.spec.model import CLIENT, CLOCK, NETWORK, SERVER, SIDE_NAMES
from tcpspec.spec.segment import Segment
from tcpspec.spec.states import State as S

ROW = 36
TOP = 92
X = (300, 620)  # lifelines
WIDTH = 920  # narrow enough that the site's column (about 690 px) shrinks it only to 3/4
NOTE = 12  # font size of the rule notes at the edges: about 9 px on the page
NOTE_ROOM = X[0] - 118  # their width: from the edge to the state names beside the lifeline
FONT = 'font-family="Helvetica, Arial, sans-serif"'
COLOURS = {
    "seg": "#1f4e9c",
    "stale": "#9c6a1f",
    "lost": "#b3261e",
    "rto": "#e0a800",
    "tw": "#6a3d9a",
}


@dataclass
class Arrow:
    src: int  # sending side
    row0: float
    seg: Segment
    row1: float = -1.0
    lost: str = ""  # "" delivered; else why it was lost
    stale: bool = False


@dataclass
class Layout:
    arrows: list[Arrow] = field(default_factory=list)
    notes: list[tuple[int, float, str]] = field(default_factory=list)  # side, row, text
    states: list[tuple[int, float, str]] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)  # network/clock rows
    bars: list[tuple[int, str, float, float]] = field(default_factory=list)  # side, kind, r0, r1
    rows: int = 0


#: Every English text a chart shows (the msgids the catalogue must translate).
LEGEND = (
    "arrow: segment (sent -> delivered); X: lost; amber bar: retransmission timer; "
    "purple bar: TIME-WAIT; bold: a side's state from that step on; "
    "grey: rule cases that fired"
)
TEXTS: tuple[str, ...] = (
    LEGEND,
    "client (ISS 100)",
    "server (ISS 200)",
    "client",
    "server",
    "lost",
    "expired",
    "channel full",
    "still in flight",
    "tick",
    "tick (segment expires)",
    "network {event}",
    "↻ from here on, the run can repeat forever",
    "TIME-WAIT (2*MSL timer)",
    "retransmission timer running",
    "{event}  ({cases})",
    "{seg} (lost)",
    "{seg} (expired)",
    "{seg} (channel full)",
    "in flight from before: {seg}",
    "network duplicates {seg}",
    "still in flight from {side}: {seg}",
)


def width(text: str, size: float) -> float:
    """About how wide ``text`` is at font size ``size``: Hangul (and other wide letters) take
    a full em, Latin letters about 0.6 of one."""
    return sum(size * (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6) for c in text)


def _wrap(text: str, room: float, size: float) -> list[str]:
    """``text`` in lines no wider than ``room`` pixels (broken between words)."""
    lines: list[str] = []
    for word in text.split():
        if lines and width(lines[-1] + " " + word, size) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _key(seg: Segment) -> Segment:
    return seg._replace(age=0)


def _state(e: Endpoint, lang: str) -> str:
    return gettext(endpoint_text(e).split(" [")[0], lang)


def layout(t: Trace, lang: str = "en") -> Layout:
    lay = Layout()
    pending: dict[int, list[Arrow]] = {CLIENT: [], SERVER: []}
    for i, chan in enumerate(t.initial.chans):
        for seg in chan:
            a = Arrow(i, -0.6, seg, stale=seg.stale)
            pending[i].append(a)
            lay.arrows.append(a)
    prev = t.initial.eps
    prev_chans = t.initial.chans
    for i in (CLIENT, SERVER):
        lay.states.append((i, -1.0, _state(prev[i], lang)))
    open_bar: dict[tuple[int, str], float] = {}

    def bars(r: float, eps: tuple[Endpoint, Endpoint]) -> None:
        for i in (CLIENT, SERVER):
            for kind, on in (("rto", eps[i].rto != OFF), ("tw", eps[i].st == S.TIME_WAIT)):
                if on and (i, kind) not in open_bar:
                    open_bar[(i, kind)] = r
                elif not on and (i, kind) in open_bar:
                    lay.bars.append((i, kind, open_bar.pop((i, kind)), r))

    bars(-0.5, prev)

    def take(side: int, seg: Segment) -> Arrow:
        for a in pending[side]:
            if _key(a.seg) == _key(seg):
                pending[side].remove(a)
                return a
        a = Arrow(side, -0.6, seg, stale=seg.stale)  # not seen being sent: came from before
        lay.arrows.append(a)
        return a

    for r, step in enumerate(t.steps):
        lab = step.label
        w = step.world
        if lab.actor in (CLIENT, SERVER):
            i = lab.actor
            if lab.kind == "deliver" and lab.seg is not None:
                a = take(1 - i, lab.seg)
                a.row1 = r
                if lab.cases:
                    lay.notes.append((i, r, ", ".join(lab.cases)))
            else:
                note = gettext("{event}  ({cases})", lang)
                lay.notes.append(
                    (i, r, note.format(event=gettext(what(lab), lang), cases=", ".join(lab.cases)))
                )
            if lab.sent is not None:
                a = Arrow(i, r, lab.sent, stale=lab.sent.stale)
                lay.arrows.append(a)
                if lab.overflow:
                    a.row1, a.lost = r + 0.5, "channel full"
                else:
                    pending[i].append(a)
        elif lab.actor == NETWORK and lab.seg is not None:
            side = CLIENT if lab.seg in prev_chans[CLIENT] else SERVER
            if lab.kind == "lose":
                a = take(side, lab.seg)
                a.row1, a.lost = r, "lost"
            else:  # duplicate: a second copy leaves from the same place
                orig = next((a for a in pending[side] if _key(a.seg) == _key(lab.seg)), None)
                copy = Arrow(side, orig.row0 if orig else r, lab.seg, stale=lab.seg.stale)
                pending[side].append(copy)
                lay.arrows.append(copy)
            if lab.kind != "lose":  # a loss is drawn as the cross
                event = gettext(what(lab), lang)
                lay.events.append((r, gettext("network {event}", lang).format(event=event)))
        elif lab.actor == CLOCK:
            for seg in lab.expired:
                side = CLIENT if seg in prev_chans[CLIENT] else SERVER
                a = take(side, seg)
                a.row1, a.lost = r, "expired"
            tick = "tick (segment expires)" if lab.expired else "tick"
            lay.events.append((r, gettext(tick, lang)))
        for i in (CLIENT, SERVER):
            if _state(w.eps[i], lang) != _state(prev[i], lang):
                lay.states.append((i, r, _state(w.eps[i], lang)))
        bars(r, w.eps)
        prev = w.eps
        prev_chans = w.chans
        lay.rows = r + 1
    end = lay.rows - 0.4
    for (i, kind), r0 in sorted(open_bar.items()):
        lay.bars.append((i, kind, r0, end))
    # still in flight at the end: each gets its own row below the run, so that neither the
    # arrows' ends nor their notes pile up
    flying = [a for side_arrows in pending.values() for a in side_arrows]
    for k, a in enumerate(sorted(flying, key=lambda a: (a.row0, a.src))):
        a.row1, a.lost = end + 0.6 * (k + 1), "in flight"
    lay.rows += round(0.6 * len(flying) + 0.49)
    return lay


def _y(r: float) -> float:
    return TOP + (r + 1) * ROW


def svg(t: Trace, title: str, subtitle: str = "", lang: str = "en") -> str:
    """The chart of ``t``; ``title`` and ``subtitle`` are already in ``lang``."""
    lay = layout(t, lang)

    def tr(text: str) -> str:
        return gettext(text, lang)

    sub = _wrap(subtitle, WIDTH - 40, 12)
    legend = _wrap(tr(LEGEND), WIDTH - 24, 11.5)
    extra = 15 * max(len(sub) - 1, 0)  # the chart moves down under a longer subtitle
    height = int(_y(lay.rows) + 26 + 15 * len(legend)) + extra
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        "<defs>",
        *(
            f'<marker id="arr-{k}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
            f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{c}"/></marker>'
            for k, c in COLOURS.items()
            if k in ("seg", "stale")
        ),
        "</defs>",
        f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" font-size="17" font-weight="bold" '
        f"{FONT}>{escape(title)}</text>",
    ]
    for k, line in enumerate(sub):
        out.append(
            f'<text x="{WIDTH / 2}" y="{42 + 15 * k}" text-anchor="middle" '
            f'font-size="12" fill="#444" {FONT}>{escape(line)}</text>'
        )
    out.append(f'<g transform="translate(0 {extra})">')
    if t.loop_start is not None and t.loop_start < len(t.steps):  # a lasso: mark the loop
        y = _y(t.loop_start - 0.5)
        out.append(
            f'<line x1="12" y1="{y}" x2="{WIDTH - 12}" y2="{y}" stroke="#b3261e" '
            f'stroke-dasharray="2,4"/>'
        )
        out.append(
            f'<text x="{WIDTH - 12}" y="{y - 4}" text-anchor="end" '
            f'font-size="10" fill="#b3261e" {FONT}>'
            f"{escape(tr('↻ from here on, the run can repeat forever'))}</text>"
        )
    for i, name in ((CLIENT, tr("client (ISS 100)")), (SERVER, tr("server (ISS 200)"))):
        x: float = X[i]
        out.append(
            f'<rect x="{x - 80}" y="52" width="160" height="24" rx="4" fill="#eef" stroke="#333"/>'
        )
        out.append(
            f'<text x="{x}" y="68" text-anchor="middle" font-size="12" font-weight="bold" '
            f"{FONT}>{escape(name)}</text>"
        )
        out.append(
            f'<line x1="{x}" y1="76" x2="{x}" y2="{_y(lay.rows)}" stroke="#888" '
            f'stroke-dasharray="4,3"/>'
        )
    # bars: retransmission timer (thin, amber) and TIME-WAIT (wide, purple)
    for i, kind, r0, r1 in sorted(lay.bars):
        w: float = 10 if kind == "tw" else 5
        off = 0 if kind == "tw" else (-8 if i == CLIENT else 8)
        x = X[i] + off - w / 2
        y0, y1 = _y(r0), _y(r1)
        tip = tr("TIME-WAIT (2*MSL timer)" if kind == "tw" else "retransmission timer running")
        out.append(
            f'<rect x="{x}" y="{y0}" width="{w}" height="{max(y1 - y0, 2)}" '
            f'fill="{COLOURS[kind]}" opacity="0.75"><title>{tip}</title></rect>'
        )
    # row guides for network and clock events, in the middle (above a row's crosses)
    crossed = {a.row1 for a in lay.arrows if a.lost in ("lost", "expired")}
    events = [(r, _y(r) - (12 if r in crossed else -4), text) for r, text in lay.events]
    for _, y, text in events:
        out.append(
            f'<text x="{(X[0] + X[1]) / 2}" y="{y}" text-anchor="middle" '
            f'font-size="11" fill="#666" font-style="italic" stroke="white" '
            f'stroke-width="3" paint-order="stroke" {FONT}>{escape(text)}</text>'
        )
    # arrows first, then their labels, each placed where it touches no other arrow or label
    lines: list[tuple[Arrow, Point, Point]] = []
    crosses: list[tuple[Point, Point, float]] = []
    for a in lay.arrows:
        x0 = X[a.src]
        x1 = X[1 - a.src]
        y0, y1 = _y(a.row0), _y(a.row1)
        colour = COLOURS["stale"] if a.stale else COLOURS["seg"]
        if a.lost == "in flight":  # still travelling when the run ends: no cross
            xe = x0 + (x1 - x0) * 0.55
            ye = y1
            out.append(
                f'<line x1="{x0}" y1="{y0}" x2="{xe}" y2="{ye}" stroke="{colour}" '
                f'stroke-width="1.2" stroke-dasharray="2,3"/>'
            )
            out.append(
                f'<text x="{xe + (6 if x1 > x0 else -6)}" y="{ye + 4}" '
                f'text-anchor="{"start" if x1 > x0 else "end"}" font-size="10" '
                f'fill="#666" stroke="white" stroke-width="3" paint-order="stroke" '
                f"{FONT}>{escape(tr('still in flight'))}</text>"
            )
        elif a.lost:
            xe = x0 + (x1 - x0) * 0.55
            ye = y1 if a.lost != "channel full" else y0 + ROW * 0.5
            out.append(
                f'<line x1="{x0}" y1="{y0}" x2="{xe}" y2="{ye}" stroke="{colour}" '
                f'stroke-width="1.5" stroke-dasharray="6,3"/>'
            )
            c = COLOURS["lost"]
            out.append(
                f'<path d="M{xe - 6},{ye - 6} L{xe + 6},{ye + 6} M{xe - 6},{ye + 6} '
                f'L{xe + 6},{ye - 6}" stroke="{c}" stroke-width="2.5"/>'
            )
            out.append(
                f'<text x="{xe + (10 if x1 > x0 else -10)}" y="{ye + 12}" '
                f'text-anchor="{"start" if x1 > x0 else "end"}" font-size="10" '
                f'fill="{c}" stroke="white" stroke-width="3" paint-order="stroke" '
                f"{FONT}>{escape(tr(a.lost))}</text>"
            )
        else:
            xe, ye = x1, y1
            out.append(
                f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="{colour}" '
                f'stroke-width="1.5" marker-end="url(#arr-{"stale" if a.stale else "seg"})"'
                "/>"
            )
        lines.append((a, (x0, y0), (xe, ye)))
        if a.lost == "in flight":  # its note
            wide = width(tr("still in flight"), 10)
            note = xe + (6 if x1 > x0 else -6 - wide)
            crosses.append(((note, ye), (note + wide, ye), 4.0))
        elif a.lost:  # the cross and its note
            wide = width(tr(a.lost), 10)
            note = xe + (10 if x1 > x0 else -10 - wide)
            crosses.append(((xe - 7, ye), (xe + 7, ye), 4.0))
            crosses.append(((note, ye + 8), (note + wide, ye + 8), 3.0))
    obstacles: list[tuple[Point, Point, float]] = [(p, q, 0.0) for _, p, q in lines] + crosses
    for _, y, text in events:  # the grey network/clock notes in the middle
        half = width(text, 11) / 2
        mid = (X[0] + X[1]) / 2
        obstacles.append(((mid - half, y - 4), (mid + half, y - 4), 3.0))
    for a, p, q in lines:
        label = a.seg.describe()
        if a.stale:
            label = tr("{seg} [old]").format(seg=label)
        colour = COLOURS["stale"] if a.stale else COLOURS["seg"]
        centre, p0, p1 = _place_label(p, q, max(7.2 * len(label), width(label, 12)), obstacles)
        obstacles.append((p0, p1, 6.0))
        angle = math.degrees(math.atan2(q[1] - p[1], q[0] - p[0]))
        if abs(angle) > 90:  # never upside down
            angle += 180 if angle < 0 else -180
        out.append(
            f'<text x="{centre[0]:.1f}" y="{centre[1] + 4:.1f}" text-anchor="middle" '
            f'transform="rotate({angle:.2f} {centre[0]:.1f} {centre[1]:.1f})" '
            f'font-size="12" fill="{colour}" font-family="monospace" stroke="white" '
            f'stroke-width="3" paint-order="stroke">{escape(label)}</text>'
        )
    # states (outside) and rule notes (outside, smaller)
    for i, r, text in lay.states:
        x = X[i] - 14 if i == CLIENT else X[i] + 14
        anchor = "end" if i == CLIENT else "start"
        y = _y(r) + (14 if r >= 0 else 4)
        out.append(
            f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-size="12" '
            f'font-weight="bold" fill="#111" {FONT}>{escape(text)}</text>'
        )
    for i, r, text in lay.notes:
        x = 12 if i == CLIENT else WIDTH - 12
        anchor = "start" if i == CLIENT else "end"
        note_lines = _note_lines(text)
        spans = "".join(
            f'<tspan x="{x}" dy="{0 if k == 0 else NOTE + 1}">{escape(line)}</tspan>'
            for k, line in enumerate(note_lines)
        )
        y = _y(r) + 4 - (NOTE + 1) * (len(note_lines) - 1) / 2
        out.append(
            f'<text x="{x}" y="{y:.1f}" text-anchor="{anchor}" font-size="{NOTE}" '
            f'fill="#555" {FONT}>{spans}</text>'
        )
    legend_y = height - 14 - extra  # inside the group moved down by extra
    for k, line in enumerate(legend):
        y = legend_y - 15 * (len(legend) - 1 - k)
        out.append(
            f'<text x="12" y="{y}" font-size="11.5" fill="#444" {FONT}>{escape(line)}</text>'
        )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


Point = tuple[float, float]
#: Where along its arrow a label may sit (fraction of the way from the sender), best first.
SPOTS = (0.5, 0.36, 0.64, 0.25, 0.75, 0.16, 0.84)
LIFT = 7.0  # label centre above its arrow, in pixels


def _place_label(
    p: Point, q: Point, length: float, obstacles: list[tuple[Point, Point, float]]
) -> tuple[Point, Point, Point]:
    """Centre and baseline ends of a label laid along the arrow p -> q: the first spot (above
    the arrow, then below, then farther off) clear of every other arrow and label, else the
    spot farthest from them. A label parallel to its arrow still reads as that arrow's."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = math.hypot(dx, dy) or 1.0
    ux, uy = dx / n, dy / n
    if ux < 0:  # text reads left to right
        ux, uy = -ux, -uy
    nx, ny = uy, -ux  # the normal that points up
    best: tuple[float, Point, Point, Point] | None = None
    for k, lift in enumerate((LIFT, -LIFT - 2, 2 * LIFT + 3, -2 * LIFT - 5)):
        for f in SPOTS:
            cx, cy = p[0] + dx * f + nx * lift, p[1] + dy * f + ny * lift
            half = length / 2
            a = (cx - ux * half, cy - uy * half)
            b = (cx + ux * half, cy + uy * half)
            clear = min(
                (_seg_dist(a, b, s, t) - pad for s, t, pad in obstacles if (s, t) != (p, q)),
                default=99.0,
            )
            inside = min(a[0], b[0]) >= X[0] + 6 and max(a[0], b[0]) <= X[1] - 6
            score = (clear if inside else clear - 50) - k  # prefer the nearer spots
            if best is None or score > best[0] + 0.5:
                best = (score, (cx, cy), a, b)
            if score >= 6:
                return (cx, cy), a, b
    assert best is not None
    return best[1], best[2], best[3]


def _seg_dist(a: Point, b: Point, c: Point, d: Point) -> float:
    """The distance between the segments ab and cd (0 when they cross)."""

    def cross(o: Point, p: Point, q: Point) -> float:
        return (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])

    d1, d2 = cross(c, d, a), cross(c, d, b)
    d3, d4 = cross(a, b, c), cross(a, b, d)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return 0.0

    def point(p: Point, s: Point, t: Point) -> float:
        vx, vy = t[0] - s[0], t[1] - s[1]
        k = ((p[0] - s[0]) * vx + (p[1] - s[1]) * vy) / ((vx * vx + vy * vy) or 1.0)
        k = min(1.0, max(0.0, k))
        return math.hypot(p[0] - s[0] - k * vx, p[1] - s[1] - k * vy)

    return min(point(a, c, d), point(b, c, d), point(c, a, b), point(d, a, b))


def _note_lines(text: str, room: float = NOTE_ROOM, most: int = 2) -> list[str]:
    """A rule note in at most ``most`` lines that fit between the edge and the state names
    (the last one cut with … if need be)."""
    lines = _wrap(text, room, NOTE)
    if len(lines) > most:
        lines = [*lines[: most - 1], " ".join(lines[most - 1 :])]
    return [_cut(line, room) for line in lines]


def _cut(line: str, room: float) -> str:
    if width(line, NOTE) <= room:
        return line
    while width(line + "…", NOTE) > room:
        line = line[:-1]
    return line + "…"


def mermaid(t: Trace, title: str, lang: str = "en") -> str:
    """The chart as Mermaid text; ``title`` is already in ``lang``."""

    def _(text: str, **kw: str) -> str:
        return gettext(text, lang).format(**kw)

    lines = [
        "sequenceDiagram",
        f"    title {title}",
        f"    participant C as {_('client')}",
        f"    participant S as {_('server')}",
    ]
    who = {CLIENT: "C", SERVER: "S"}
    prev = t.initial.eps
    chans = t.initial.chans
    lines.append(f"    Note over C: {_(endpoint_text(prev[CLIENT]))}")
    lines.append(f"    Note over S: {_(endpoint_text(prev[SERVER]))}")
    for seg in (s for c in chans for s in c):
        lines.append(f"    Note over C,S: {_('in flight from before: {seg}', seg=seg.describe())}")
    loop = t.loop_start if t.loop_start is not None and t.loop_start < len(t.steps) else -1
    for k, step in enumerate(t.steps):
        if k == loop:
            lines.append(f"    Note over C,S: {_('↻ from here on, the run can repeat forever')}")
        lab = step.label
        w = step.world
        if lab.actor in (CLIENT, SERVER):
            i = lab.actor
            if lab.kind == "deliver" and lab.seg is not None:
                a, b = who[1 - i], who[i]
                lines.append(f"    {a}->>{b}: {lab.seg.describe()}")
            else:
                lines.append(f"    Note over {who[i]}: {_(what(lab))}")
            if lab.overflow and lab.sent is not None:
                sent = _("{seg} (channel full)", seg=lab.sent.describe())
                lines.append(f"    {who[i]}-x{who[1 - i]}: {sent}")
        elif lab.actor == NETWORK and lab.seg is not None:
            side = CLIENT if lab.seg in chans[CLIENT] else SERVER
            if lab.kind == "lose":
                lost = _("{seg} (lost)", seg=lab.seg.describe())
                lines.append(f"    {who[side]}-x{who[1 - side]}: {lost}")
            else:
                dup = _("network duplicates {seg}", seg=lab.seg.describe())
                lines.append(f"    Note over C,S: {dup}")
        elif lab.actor == CLOCK:
            for seg in lab.expired:
                side = CLIENT if seg in chans[CLIENT] else SERVER
                gone = _("{seg} (expired)", seg=seg.describe())
                lines.append(f"    {who[side]}-x{who[1 - side]}: {gone}")
        for i in (CLIENT, SERVER):
            now = _state(w.eps[i], lang)
            if now != _state(prev[i], lang):
                lines.append(f"    Note over {who[i]}: {now}")
        prev = w.eps
        chans = w.chans
    for i in (CLIENT, SERVER):  # sent, never delivered: Mermaid draws arrows on delivery only
        for seg in chans[i]:
            still = _(
                "still in flight from {side}: {seg}", side=_(SIDE_NAMES[i]), seg=seg.describe()
            )
            lines.append(f"    Note over C,S: {still}")
    return "\n".join(lines) + "\n"
