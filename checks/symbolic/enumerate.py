"""Successors of concrete worlds enumerated from the compiled T (the agreement tests)."""

from __future__ import annotations

import z3

from tcpspec.checks.symbolic import encode as E
from tcpspec.spec.model import Model, World

# -- successors (agreement tests) --------------------------------------------------------------


class Enumerator:
    """Successors of concrete worlds enumerated from one compiled T (built once)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.s = E.fresh_state(model, "a")
        self.s2 = E.fresh_state(model, "b")
        self.solver = z3.Solver()
        self.solver.add(E.transition(model, self.s, self.s2, "t").formula)

    def successors(self, w: World) -> set[World]:
        sol = self.solver
        sol.push()
        sol.add(E.equal(self.s, E.from_world(self.model, w)))
        out: set[World] = set()
        while sol.check() == z3.sat:
            w2 = E.decode(self.model, sol.model(), self.s2)
            out.add(w2)
            sol.add(z3.Not(E.equal(self.s2, E.from_world(self.model, w2))))
        sol.pop()
        return out


def successors_z3(model: Model, world: World) -> set[World]:
    return Enumerator(model).successors(world)


def count_states_z3(model: Model, depth: int) -> int:
    """States reachable within ``depth`` steps, by breadth-first image enumeration with Z3."""
    en = Enumerator(model)
    init = model.initial()
    seen = {init}
    frontier = [init]
    for _ in range(depth):
        nxt = []
        for w in frontier:
            for w2 in en.successors(w):
                if w2 not in seen:
                    seen.add(w2)
                    nxt.append(w2)
        frontier = nxt
    return len(seen)
