"""The Z3 engine: bounded model checking and unbounded proofs.

Modules: `encode` (T compiled from `spec/`), `lemmas` and `houdini` (the inductive invariant),
`bmc`, `induction` (the three-way verdict), `enumerate` (successors, for agreement tests),
`verdict`. TIME-WAIT synthesis uses both engines, so it lives beside them
(`tcpspec.checks.synthesis`).

The transition formula is compiled from the very rule tables the explicit engine interprets
(see `encode`); properties are the predicates of `checks.properties`, applied to
symbolic states. Public API (for the CLI):

``bmc(model, prop_id, depth) -> SymbolicVerdict`` (and ``bmc_many`` for several properties on
    one unrolling) searches for a counterexample of an ``invariant`` or ``action`` property
    within ``depth`` steps, depth by depth, so the first one found is a shortest one (same
    length as the explicit engine's BFS). The trace is a `checks.trace.Trace`, rebuilt by
    replaying the concrete model (each Z3 state is matched against `Model.successors`, which
    also yields the `Label`).

``check(model, prop_ids, depth)`` / ``prove(model, prop_id, depth)``
    The three-way verdict: ``proved`` by induction with the invariant `houdini`
    finds (Houdini over the properties and the hand-written lemmas), else BMC: ``violated``
    (with a trace) or ``bounded`` ("no counterexample up to depth k").

``successors_z3(model, world) -> set[World]``
    All successors of one concrete world, enumerated from T by Z3 (for agreement tests).
"""

import z3

# An interrupt is the caller's to handle (the command line stops at once and exits 130): Z3
# must not catch Ctrl-C itself and turn it into an "unknown" that reads as a verdict.
z3.set_param("ctrl_c", False)

from tcpspec.checks.symbolic.bmc import bmc, bmc_many, replay
from tcpspec.checks.symbolic.enumerate import Enumerator, count_states_z3, successors_z3
from tcpspec.checks.symbolic.induction import check, prove, prove_by_induction
from tcpspec.checks.symbolic.verdict import (
    BOUNDED,
    PROVED,
    VIOLATED,
    Invariant,
    SymbolicVerdict,
    SymLabel,
)

__all__ = [
    "BOUNDED",
    "PROVED",
    "VIOLATED",
    "Enumerator",
    "Invariant",
    "SymLabel",
    "SymbolicVerdict",
    "bmc",
    "bmc_many",
    "check",
    "count_states_z3",
    "prove",
    "prove_by_induction",
    "replay",
    "successors_z3",
]
