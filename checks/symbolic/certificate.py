"""Checked-in inductive invariants: a proof found once by Houdini, re-checked by Z3 in one query.

Houdini (`houdini`) finds, per model, the largest inductive subset of its candidate conjuncts;
that takes a few solver calls and most of the Z3 engine's time. Its answer, the names of the
conjuncts it kept, is a *certificate*: anyone can re-check it with one query, without trusting
how it was found. For every default scenario at the default bounds the kept names are stored in
``certificates.json``. `recheck` asks Z3 whether

    Init => Inv   (evaluated on the concrete initial state), and
    Inv(s) /\\ T(s, s') /\\ (not Inv(s') \\/ not P(s) \\/ not A(s, s'))   is unsatisfiable

for every invariant property P and action property A checked: if so, Inv is inductive, holds in
every reachable state, and proves them all. If the rules changed so that it no longer holds, the
caller runs Houdini again (and says so); ``python -m tcpspec.checks.symbolic.certificate --write``
(``make certificates``) stores the new kept names.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import z3

from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.symbolic import encode as E
from tcpspec.checks.symbolic.houdini import _b, _holds_concretely, candidates, houdini
from tcpspec.checks.symbolic.verdict import PROVED, SymbolicVerdict, SymLabel
from tcpspec.spec.model import Model

CERTIFICATES = Path(__file__).resolve().with_name("certificates.json")


def load() -> dict[str, list[str]]:
    """Scenario -> the conjuncts of its inductive invariant (default bounds, no mutant)."""
    if not CERTIFICATES.exists():
        return {}
    doc = json.loads(CERTIFICATES.read_text())
    return {k: list(v) for k, v in doc["scenarios"].items()}


def recheck(
    model: Model, kept: list[str], prop_ids: list[str], timeout_s: float = 120
) -> dict[str, SymbolicVerdict] | None:
    """Every property of ``prop_ids`` proved by the certificate ``kept``, in one query; None if
    the certificate does not prove them all (a conjunct is unknown, fails initially, is not
    preserved, or a property does not follow)."""
    t0 = time.perf_counter()
    cands = candidates(model)
    if any(n not in cands for n in kept):
        return None
    init = E.from_world(model, model.initial())
    if not all(_holds_concretely(cands[n](init)) for n in kept):
        return None
    s, s2 = E.fresh_state(model, "ci0"), E.fresh_state(model, "ci1")
    step = E.transition(model, s, s2, "cit")
    bad = [z3.Not(_b(cands[n](s2))) for n in kept]
    for pid in prop_ids:
        p = PROPERTIES[pid]
        if p.kind == "invariant":
            bad.append(z3.Not(_b(p.pred(model, s))))
        else:
            bad.append(z3.Not(_b(p.pred(model, s, SymLabel(step), s2))))
    # a quantifier-free linear integer problem: this solver is about a third faster here
    sol = z3.SolverFor("QF_LIA")
    sol.set("timeout", int(timeout_s * 1000))
    sol.add(*[_b(cands[n](s)) for n in kept], step.formula, z3.Or(*bad))
    if sol.check() != z3.unsat:
        return None
    secs = time.perf_counter() - t0
    notes = [
        f"inductive invariant: {', '.join(kept)}",
        "checked-in certificate (checks/symbolic/certificates.json), re-checked in one query",
    ]
    return {
        pid: SymbolicVerdict(pid, PROVED, 0, None, "induction", secs, list(notes))
        for pid in prop_ids
    }


def compute() -> dict[str, list[str]]:
    """Houdini on every default scenario at the default bounds: the certificates to store."""
    from tcpspec.spec.build import make_model
    from tcpspec.spec.scenarios import DEFAULT_SCENARIOS

    out = {}
    for name in DEFAULT_SCENARIOS:
        ind = houdini(make_model(name))
        if ind is not None:
            out[name] = sorted(ind.kept)
    return out


def main(argv: list[str]) -> int:
    return store(CERTIFICATES, "default", compute(), argv)


def store(path: Path, bounds: str, now: dict[str, Any], argv: list[str]) -> int:
    """``--write``: write the certificates ``now`` to ``path``; else say whether the stored
    ones are the same (exit 1 if not). Shared by the certificates at the default bounds and
    those for every bound."""
    text = json.dumps({"bounds": bounds, "scenarios": now}, indent=1, sort_keys=True) + "\n"
    if "--write" in argv:
        path.write_text(text)
        print(f"wrote {path.name}: {len(now)} scenarios")
        return 0
    same = path.exists() and path.read_text() == text
    print("the certificates are Houdini's" if same else "the certificates differ from Houdini's")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
