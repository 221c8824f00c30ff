"""Boolean and arithmetic combinators that work on plain Python values and on Z3 terms alike.

Rules and properties are written with these instead of Python's ``and``/``or``/``if`` so that the
same lambda can be evaluated on a concrete state (explicit engine) or applied to Z3 variables
(symbolic engine). On plain values they cost one function call; Z3 is imported only when a Z3
term is actually passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Bool = Any  # a Python bool or a z3.BoolRef
Int = Any  # a Python int or a z3.ArithRef


# Plain values are ints (bool and IntEnum included); anything else is a Z3 term.


def is_false(x: object) -> bool:
    """``x`` is the plain value False (a guard that never holds, whatever the engine)."""
    return isinstance(x, int) and not x


def _algebra(xs: Iterable[object]) -> Any:
    """The connectives a term brings along itself, if any (``__logic__``: an exporter's printed
    expressions, e.g. Promela's); None for plain values and Z3 terms. Nothing else is changed for
    them, so plain values and Z3 terms behave exactly as before."""
    for x in xs:
        alg = getattr(type(x), "__logic__", None)
        if alg is not None:
            return alg
    return None


def And(*xs: Bool) -> Bool:
    """All of ``xs`` hold (Python's ``and``, for values and Z3 terms alike)."""
    # Fast path for plain values: a plain False decides the conjunction whatever else is there.
    symbolic = False
    for x in xs:
        if isinstance(x, int):
            if not x:
                return False
        else:
            symbolic = True
    if not symbolic:
        return True
    alg = _algebra(xs)
    if alg is not None:
        return alg.And(*[x for x in xs if not isinstance(x, int)])
    import z3

    return z3.And(*[x for x in xs if not isinstance(x, int)])


def Or(*xs: Bool) -> Bool:
    """One of ``xs`` holds at least (Python's ``or``)."""
    symbolic = False
    for x in xs:
        if isinstance(x, int):
            if x:
                return True
        else:
            symbolic = True
    if not symbolic:
        return False
    alg = _algebra(xs)
    if alg is not None:
        return alg.Or(*[x for x in xs if not isinstance(x, int)])
    import z3

    return z3.Or(*[x for x in xs if not isinstance(x, int)])


def Not(x: Bool) -> Bool:
    """``x`` does not hold (Python's ``not``)."""
    if isinstance(x, int):
        return not x
    alg = _algebra((x,))
    if alg is not None:
        return alg.Not(x)
    import z3

    return z3.Not(x)


def Implies(a: Bool, b: Bool) -> Bool:
    """If ``a`` holds, so does ``b``."""
    return Or(Not(a), b)


def If(c: Bool, a: Any, b: Any) -> Any:
    """``a if c else b``; both branches are plain expressions, evaluated eagerly."""
    if isinstance(c, int):
        return a if c else b
    alg = _algebra((c,))
    if alg is not None:
        return alg.If(c, a, b)
    import z3

    return z3.If(c, a, b)


def In(x: Int, values: Iterable[int]) -> Bool:
    """``x in values`` for a finite set of constants."""
    if isinstance(x, int):
        return x in values
    alg = _algebra((x,))
    if alg is not None:
        return alg.In(x, values)
    import z3

    return z3.Or(*[x == v for v in values])
