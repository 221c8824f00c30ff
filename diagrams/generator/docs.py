"""The generated parts of the documentation site: everything the model can say for itself.

The hand-written pages under docs/ tell the story (in English and Korean); they include these
fragments (docs/generated/NAME-LANG.md, with pymdownx.snippets) for the facts: which charts
exist, the step-by-step table of each run, the rule cases it uses with their RFC text, the
properties with their formulas, which mutant breaks which property, the state machine's
transitions. Nothing here is typed by hand, so the site cannot drift from the model; a test
fails when the committed fragments are stale (`python -m tcpspec.diagrams` regenerates them).
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from pathlib import Path

from tcpspec.checks.properties import CHECKED, PROPERTIES, Property
from tcpspec.checks.trace import Trace, endpoint_text, row
from tcpspec.diagrams import derive, msc
from tcpspec.spec.build import TCP, make_model
from tcpspec.spec.model import CLIENT, SERVER, Model
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import SCENARIOS

LANGS = ("en", "ko")
#: Every heading and fixed phrase of the fragments, in both languages.
WORDS: dict[str, dict[str, str]] = {
    "chart": {"en": "The chart", "ko": "시퀀스 다이어그램"},
    "source": {"en": "Where it comes from", "ko": "어디서 나온 그림인가"},
    "shortest": {
        "en": "The shortest run of scenario `{sc}` that shows it ({n} steps; bounds: {b})",
        "ko": "시나리오 `{sc}`에서 이 상황을 보여 주는 가장 짧은 실행 ({n}단계, 범위: {b})",
    },
    "broken": {
        "en": "The run uses the broken rules of mutant [`{m}`]({p}mutants.md#{m}).",
        "ko": "이 실행은 뮤턴트 [`{m}`]({p}mutants.md#{m})의 망가진 규칙을 씁니다.",
    },
    "scenario": {"en": "Scenario `{sc}`: {t}", "ko": "시나리오 `{sc}`: {t}"},
    "guards": {"en": "The property that guards it", "ko": "이 동작을 지키는 속성"},
    "breaks": {"en": "The mutants that break it", "ko": "이 속성을 깨뜨리는 뮤턴트"},
    "no_mutant": {
        "en": "No mutant of the model breaks this property yet.",
        "ko": "아직 이 속성을 깨뜨리는 뮤턴트는 없습니다.",
    },
    "steps": {"en": "Step by step", "ko": "단계별로 보기"},
    "rules": {
        "en": "The rules this run uses (RFC 9293, as the model writes them)",
        "ko": "이 실행에 쓰인 규칙 (모델에 적힌 RFC 9293 문장)",
    },
    "mermaid": {
        "en": "Mermaid source (GitHub renders it in Markdown)",
        "ko": "Mermaid 소스 (GitHub Markdown에서 그대로 그려집니다)",
    },
    "step_cols": {
        "en": "| # | who | what happens | rule (RFC section) | sends | client | server |",
        "ko": "| # | 누가 | 무슨 일 | 규칙 (RFC 절) | 보내는 세그먼트 | 클라이언트 | 서버 |",
    },
    "initial": {"en": "initial state", "ko": "초기 상태"},
    "in_flight": {"en": "in flight", "ko": "전송 중"},
    "rule_cols": {
        "en": "| rule case | RFC 9293 | what it says |",
        "ko": "| 규칙 | RFC 9293 | 내용 (원문) |",
    },
    "statement": {"en": "Statement (the model's words)", "ko": "명제 (모델에 적힌 원문)"},
    "kind": {"en": "Kind", "ko": "종류"},
    "rfc": {"en": "From", "ko": "근거"},
    "formula": {
        "en": "The formula, as checked by both engines",
        "ko": "두 엔진(explicit, Z3)이 똑같이 검사하는 식",
    },
    "witness": {
        "en": 'Not vacuous: its "sometimes" companion',
        "ko": '공허하지 않다는 증거: 짝이 되는 "언젠가는" 속성',
    },
    "charts": {"en": "Charts where it matters", "ko": "이 속성이 중요한 장면"},
    "reproduce": {"en": "Reproduce it", "ko": "직접 재현하기"},
    "breaks_prop": {"en": "breaks", "ko": "깨뜨리는 속성"},
    "in_scenario": {"en": "shows in scenario", "ko": "드러나는 시나리오"},
    "trans_cols": {
        "en": "| from | to | event / action | rule cases | RFC 9293 | path |",
        "ko": "| 이전 상태 | 다음 상태 | 사건 / 동작 | 규칙 | RFC 9293 | 경로 |",
    },
    "client_path": {"en": "client", "ko": "클라이언트"},
    "server_path": {"en": "server", "ko": "서버"},
    "prop_cols": {
        "en": "| property | kind | statement | RFC 9293 |",
        "ko": "| 속성 | 종류 | 명제 (원문) | RFC 9293 |",
    },
    "chart_cols": {
        "en": "| chart | what it shows | guarded by |",
        "ko": "| 다이어그램 | 보여 주는 것 | 지키는 속성 |",
    },
    "mutant_cols": {
        "en": "| mutant | what is broken | caught by | steps |",
        "ko": "| 뮤턴트 | 무엇을 망가뜨렸나 | 잡아내는 속성 | 단계 |",
    },
    "loop": {
        "en": "from step {k} on the run may repeat forever (a lasso)",
        "ko": "{k}단계부터는 같은 동작이 영원히 반복될 수 있습니다 (올가미 모양 반례)",
    },
}
KINDS = {
    "invariant": {
        "en": "invariant: holds in every reachable state",
        "ko": "불변식: 도달 가능한 모든 상태에서 성립",
    },
    "action": {
        "en": "action property: holds for every reachable step",
        "ko": "동작 속성: 도달 가능한 모든 전이에서 성립",
    },
    "liveness": {
        "en": "liveness: every fair run eventually gets there",
        "ko": "활성(liveness): 공정한 실행이면 결국 도달",
    },
    "deadlock": {
        "en": "no deadlock: every state without a move is a proper end",
        "ko": "교착 없음: 더 움직일 수 없는 상태는 모두 정상적인 끝",
    },
    "reachable": {
        "en": '"sometimes": some run gets there',
        "ko": '"언젠가는": 어떤 실행은 그 상태에 도달',
    },
}


def w(key: str, lang: str, **kw: object) -> str:
    return WORDS[key][lang].format(**kw)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _bounds_text(m: Model) -> str:
    b = m.p
    parts = [
        f"capacity {b.capacity}",
        "loss" if b.loss else "no loss",
        "reordering" if b.reorder else "no reordering",
        f"{b.duplicates} duplicate(s)",
        f"MSL {b.msl}",
        f"RTO {b.rto}",
        f"{b.retries} retry",
    ]
    return ", ".join(parts)


def _prop_link(pid: str, prefix: str) -> str:
    return f"[`{pid}`]({prefix}properties/{pid}.md)"


def steps_table(m: Model, t: Trace, lang: str) -> list[str]:
    """The run as a Markdown table, one row per step (what `tcpspec trace` prints)."""
    out = [w("step_cols", lang), "|---|---|---|---|---|---|---|"]
    flight = ", ".join(
        s.describe() + (" [old]" if s.stale else "") for c in t.initial.chans for s in c
    )
    first = w("initial", lang) + (f"; {w('in_flight', lang)}: {flight}" if flight else "")
    out.append(
        f"| 0 | | {first} | | | {endpoint_text(t.initial.eps[CLIENT])} | "
        f"{endpoint_text(t.initial.eps[SERVER])} |"
    )
    for k, step in enumerate(t.steps, 1):
        r = row(m, k, step)
        out.append(
            "| "
            + " | ".join(
                _cell(str(r[c]))
                for c in ("step", "actor", "event", "rule", "sends", "client", "server")
            )
            + " |"
        )
    if t.loop_start is not None and t.loop_start < len(t.steps):
        out += ["", f"↻ {w('loop', lang, k=t.loop_start + 1)}"]
    return out


def rules_table(m: Model, t: Trace, lang: str) -> list[str]:
    """Each rule case the run fires, once, in order of first use, with its RFC text."""
    seen: list[str] = []
    for step in t.steps:
        seen += [c for c in step.label.cases if c not in seen]
    out = [w("rule_cols", lang), "|---|---|---|"]
    for name in seen:
        c = m.rules.case(name)
        out.append(f"| `{name}` | {c.rfc} | {_cell(c.text)} |")
    return out


def _mutants_of(pid: str) -> list[str]:
    return [n for n, mu in MUTANTS.items() if mu.breaks == pid]


def scenario_fragment(c: derive.Chart, lang: str) -> str:
    t = derive.chart_trace(c)
    m = make_model(c.scenario, c.bounds, c.mutant or None)
    p = "../"
    out = [
        f"## {w('chart', lang)}",
        "",
        f"![{c.title}]({p}diagrams/scenarios/{c.name}.svg)",
        "",
        f"## {w('source', lang)}",
        "",
    ]
    out.append(w("shortest", lang, sc=c.scenario, n=len(t.steps), b=_bounds_text(m)))
    if c.mutant:
        out += ["", w("broken", lang, m=c.mutant, p=p)]
    out += ["", w("scenario", lang, sc=c.scenario, t=SCENARIOS[c.scenario].title), ""]
    out += [f"## {w('guards', lang)}", ""]
    for pid in c.guards:
        out.append(f"- {_prop_link(pid, p)}: {PROPERTIES[pid].statement}")
    out += ["", f"## {w('breaks', lang)}", ""]
    mutants = [n for pid in c.guards for n in _mutants_of(pid)]
    for n in mutants:
        out.append(
            f"- [`{n}`]({p}mutants.md#{n}): {MUTANTS[n].summary} "
            f"({w('breaks_prop', lang)} {_prop_link(MUTANTS[n].breaks, p)})"
        )
    if not mutants:
        out.append(w("no_mutant", lang))
    out += [
        "",
        f"## {w('steps', lang)}",
        "",
        *steps_table(m, t, lang),
        "",
        f"## {w('rules', lang)}",
        "",
        *rules_table(m, t, lang),
        "",
        f'??? note "{w("mermaid", lang)}"',
        "",
        "    ```text",
    ]
    out += [f"    {ln}" for ln in msc.mermaid(t, c.title).splitlines()] + ["    ```"]
    return "\n".join(out) + "\n"


def _formula(p: Property) -> str:
    return inspect.getsource(p.pred).rstrip()


def property_fragment(p: Property, lang: str) -> str:
    pre = "../"
    out = [
        f"**{w('kind', lang)}:** {KINDS[p.kind][lang]}  ",
        f"**{w('rfc', lang)}:** {p.rfc}",
        "",
        f"## {w('statement', lang)}",
        "",
        f"> {p.statement}",
        "",
        f"## {w('formula', lang)}",
        "",
        "```python",
        _formula(p),
        "```",
        "",
    ]
    if p.witness:
        wp = PROPERTIES[p.witness]
        out += [
            f"## {w('witness', lang)}",
            "",
            f"`{wp.id}`: {wp.statement} ({wp.rfc})",
            "",
            "```python",
            _formula(wp),
            "```",
            "",
        ]
    charts = [c for c in derive.CHARTS if p.id in c.guards]
    out += [f"## {w('charts', lang)}", ""]
    out += [f"- [{c.title}]({pre}scenarios/{c.name}.md)" for c in charts] or ["-"]
    out += ["", f"## {w('breaks', lang)}", ""]
    names = _mutants_of(p.id)
    if not names:
        out.append(w("no_mutant", lang))
    for n in names:
        prop, t = derive.mutant_trace(n)
        out += [
            f"### `{n}`",
            "",
            MUTANTS[n].summary,
            "",
            f"![{n}]({pre}diagrams/mutants/{n}.svg)",
            "",
            f"{w('reproduce', lang)}: `tcpspec trace {prop} --mutant {n}` ({len(t.steps)} steps)",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def properties_fragment(lang: str) -> str:
    out = [w("prop_cols", lang), "|---|---|---|---|"]
    for p in PROPERTIES.values():
        name = _prop_link(p.id, "../") if p in CHECKED else f"`{p.id}`"
        out.append(f"| {name} | {p.kind} | {_cell(p.statement)} | {p.rfc} |")
    return "\n".join(out) + "\n"


def charts_fragment(lang: str) -> str:
    out = [w("chart_cols", lang), "|---|---|---|"]
    for c in derive.CHARTS:
        guards = ", ".join(_prop_link(g, "../") for g in c.guards)
        out.append(f"| [{c.name}]({c.name}.md) | {c.title} | {guards} |")
    return "\n".join(out) + "\n"


def mutants_fragment(lang: str) -> str:
    out = [w("mutant_cols", lang), "|---|---|---|---|"]
    for n, mu in MUTANTS.items():
        prop, t = derive.mutant_trace(n)
        out.append(
            f"| [`{n}`](#{n}) | {_cell(mu.summary)} | {_prop_link(prop, '')} | {len(t.steps)} |"
        )
    out.append("")
    for n, mu in MUTANTS.items():
        prop, t = derive.mutant_trace(n)
        m = make_model(mu.scenario, None, n)
        out += [
            f"## {n}",
            "",
            mu.summary,
            "",
            f"**{w('breaks_prop', lang)}:** {_prop_link(prop, '')} · "
            f"**{w('in_scenario', lang)}:** `{mu.scenario}` · "
            f"**{w('reproduce', lang)}:** `tcpspec trace {prop} --mutant {n}`",
            "",
            f"![{n}](diagrams/mutants/{n}.svg)",
            "",
            f'??? note "{w("steps", lang)}"',
            "",
        ]
        out += [f"    {ln}" for ln in steps_table(m, t, lang)] + [""]
    return "\n".join(out).rstrip() + "\n"


def machine_fragment(lang: str) -> str:
    paths = derive.usual_paths()
    out = [
        w("trans_cols", lang),
        "|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for t in derive.machine_transitions():
        groups[(t.before, t.after, f"{t.event} / {t.action}", t.cases)].add(t.role)
    for (before, after, ev, cases), _ in sorted(groups.items()):
        secs = ", ".join(dict.fromkeys(TCP.case(c).rfc for c in cases.split(", ")))
        on = [
            w(k, lang)
            for i, k in ((CLIENT, "client_path"), (SERVER, "server_path"))
            if (before, after, cases) in paths[i]
        ]
        out.append(f"| {before} | {after} | {_cell(ev)} | `{cases}` | {secs} | {', '.join(on)} |")
    return "\n".join(out) + "\n"


def tutorial_fragment(lang: str) -> str:
    """The example of the tutorial: the two-way-handshake mutant's counterexample."""
    n = "two-way-handshake"
    _, t = derive.mutant_trace(n)
    m = make_model(MUTANTS[n].scenario, None, n)
    return "\n".join([f"![{n}](diagrams/mutants/{n}.svg)", "", *steps_table(m, t, lang)]) + "\n"


def fragments() -> dict[str, str]:
    """File name (under docs/generated/) -> text."""
    out: dict[str, str] = {}
    for lang in LANGS:
        for c in derive.CHARTS:
            out[f"scenario-{c.name}-{lang}.md"] = scenario_fragment(c, lang)
        for p in CHECKED:
            out[f"property-{p.id}-{lang}.md"] = property_fragment(p, lang)
        out[f"properties-{lang}.md"] = properties_fragment(lang)
        out[f"charts-{lang}.md"] = charts_fragment(lang)
        out[f"mutants-{lang}.md"] = mutants_fragment(lang)
        out[f"state-machine-{lang}.md"] = machine_fragment(lang)
        out[f"tutorial-{lang}.md"] = tutorial_fragment(lang)
    return out


def generate(out: Path) -> list[Path]:
    """Write every fragment under ``out`` and delete the ones no longer generated."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in fragments().items():
        path = out / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    for old in sorted(out.glob("*.md")):
        if old not in written:
            old.unlink()
    return written
