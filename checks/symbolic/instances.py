"""Quantifiers instantiated by hand: the parametric proofs' queries without quantifiers.

An inductive step asks whether Inv(s) /\\ T(s, s') /\\ not C(s') is unsatisfiable, where the
lifted lemmas of Inv and C say something of *every* segment in flight (`parametric.lifted`).
Z3's own quantifier instantiation finds the answer, but its time varies with the order in which
terms were made (from a fraction of a second to a timeout, for the same query). Yet a step
touches only a few segments, so the instances it needs are known in advance:

- ``not C(s')`` says that *some* segment (pair of segments, one per channel) violates C: it is
  replaced by fresh constants, the *witnesses* (Skolemization, which keeps satisfiability);
- a witness in flight after the step was in flight before it (or is the segment just emitted,
  which the array theory sees without help), one tick younger if the step was a tick;
- a delivery, a loss or a duplication reads the segment it takes from its channel.

Each quantified hypothesis is instantiated at those terms only (`ground`). The instances are
consequences of the hypotheses, so if the query with them is unsatisfiable, so is the query
with the quantifiers: "unsat" is a proof. "sat" may come from too few instances, and then the
query is asked with its quantifiers (`every_bound`); the answer is never taken from here.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple

import z3

from tcpspec.checks.symbolic import encode as E
from tcpspec.spec.segment import Segment

_FIELDS = len(E.SEG_FIELDS)


def _bool(x: Any) -> Any:
    return z3.BoolVal(bool(x)) if isinstance(x, bool | int) else x


def conjoin(parts: Sequence[tuple[Any, Any]]) -> list[Any]:
    """``(guard, formula)`` pairs (guard None: always) as few formulas, meaning the conjunction
    of ``Implies(guard, formula)``: every universally quantified conjunct with the same bound
    variables (a lifted lemma binds one segment per channel; `parametric.in_flight` one) moves
    under one quantifier, ``(forall x. A) /\\ (forall x. B) == forall x. (A /\\ B)``, the guard
    with it (it binds nothing). Z3 instantiates each quantifier on its own: one quantifier for
    every lemma is instantiated once per term, and each instance serves all of them."""
    groups: dict[tuple[str, ...], tuple[list[Any], list[Any]]] = {}
    rest: list[Any] = []

    def walk(g: Any, f: Any) -> None:
        if z3.is_and(f):
            for a in f.children():
                walk(g, a)
        elif z3.is_quantifier(f) and f.is_forall():
            sorts = tuple(str(f.var_sort(k)) for k in range(f.num_vars()))
            if sorts not in groups:
                xs = [z3.Const(f"all{len(groups)}_{k}", f.var_sort(k)) for k in range(len(sorts))]
                groups[sorts] = (xs, [])
            xs, bodies = groups[sorts]
            # (in the body, de Bruijn index 0 is the *last* bound variable)
            body = z3.substitute_vars(f.body(), *reversed(xs))
            bodies.append(body if g is None else z3.Implies(g, body))
        else:
            rest.append(f if g is None else z3.Implies(g, f))

    for g, f in parts:
        walk(g, _bool(f))
    return [*rest, *[z3.ForAll(xs, z3.And(*bodies)) for xs, bodies in groups.values()]]


class Witnesses(NamedTuple):
    """Fresh constants for the segments a violated candidate names: one per channel (a lifted
    lemma's pair) and one of either channel (`parametric.in_flight`)."""

    pair: tuple[Segment, Segment]
    one: Segment

    @staticmethod
    def fresh(tag: str) -> Witnesses:
        pair = (E.fresh_segment(f"{tag}_w0"), E.fresh_segment(f"{tag}_w1"))
        return Witnesses(pair, E.fresh_segment(f"{tag}_w"))


def skolemized(goal: Any, w: Witnesses) -> Any:
    """``goal`` with its top-level universal quantifiers (after `conjoin`) instantiated at the
    witnesses: ``not`` of it is ``not goal`` with the existential made explicit (satisfiable
    exactly when ``not goal`` is). Quantifiers of another shape stay (Z3 handles them)."""
    out = []
    for f in conjoin([(None, goal)]):
        forall = z3.is_quantifier(f) and f.is_forall()
        if forall and f.num_vars() == 2 * _FIELDS:
            out.append(z3.substitute_vars(f.body(), *reversed([*w.pair[0], *w.pair[1]])))
        elif forall and f.num_vars() == _FIELDS:
            out.append(z3.substitute_vars(f.body(), *reversed(list(w.one))))
        else:
            out.append(f)
    return z3.And(True, *out)


def terms(w: Witnesses, arriving: Sequence[tuple[int, Segment]]) -> tuple[list[Segment], ...]:
    """Per channel, the segments a step's hypotheses are needed at: the witnesses, each as it
    was one tick earlier, and the segments the step's moves take from that channel."""

    def younger(x: Segment) -> Segment:
        return x._replace(age=x.age - 1)

    out: tuple[list[Segment], ...] = ([], [])
    for i in (0, 1):
        for x in (w.pair[i], w.one):
            out[i].extend((x, younger(x)))
        # (a delivery, a loss and a duplication take the same segment: once each)
        taken = {tuple(z3.ExprRef.get_id(f) for f in s): s for j, s in arriving if j == i}
        out[i].extend(taken.values())
    return out


def ground(hyps: Sequence[Any], at: tuple[list[Segment], ...]) -> list[Any]:
    """``hyps`` (after `conjoin`) with each segment quantifier replaced by its instances at the
    terms ``at`` (per channel): implied by ``hyps``, and free of those quantifiers."""
    out = []
    for f in hyps:
        if z3.is_quantifier(f) and f.is_forall() and f.num_vars() == 2 * _FIELDS:
            for a, b in itertools.product(at[0], at[1]):
                out.append(z3.substitute_vars(f.body(), *reversed([*a, *b])))
        elif z3.is_quantifier(f) and f.is_forall() and f.num_vars() == _FIELDS:
            unique = {tuple(z3.ExprRef.get_id(x) for x in a): a for a in [*at[0], *at[1]]}
            for a in unique.values():
                out.append(z3.substitute_vars(f.body(), *reversed(list(a))))
        else:
            out.append(f)
    return out
