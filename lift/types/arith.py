"""Symbolic integer arithmetic for array sizes and index expressions (``ArithExpr``).

Every expression is kept in a canonical form: a sum of monomials with integer coefficients, each monomial a
product of *atoms* (variables, floor divisions, moduli, minima, maxima) in a fixed order. Two expressions that
are equal as polynomials are therefore structurally equal. Floor division and modulo are simplified using the
ranges of the variables (``(i*M + j) // M`` is ``i`` when ``0 <= j < M``) and, when given, known facts about the
sizes (``(N // 4) * 4`` is ``N`` when ``N % 4 == 0`` is known). What this cannot decide, Z3 decides (``lift.types.
smt``).

Division is only defined for positive divisors: sizes and strides are positive, and this keeps floor and
Euclidean division (Z3's) in agreement. A constant divisor of zero or less is a ``LiftValueError`` where the
expression is built (``N // 0``), one that evaluates to zero or less where it is evaluated.

This module gathers the public names; the work is done in

* :mod:`lift.types.arith_nodes`: the node kinds, and :class:`PerNodeKind`, the one way every operation
  dispatches over them (a table with a case for each kind, checked complete at import);
* :mod:`lift.types.arith_simplify`: the canonical form, facts, bounds, the simplifier, substitution;
* :mod:`lift.types.arith_eval`: evaluation on integers and on numpy arrays;
* :mod:`lift.types.arith_print`: infix text, for people and for C.
"""

from __future__ import annotations

from lift.types.arith_eval import evaluate_array
from lift.types.arith_nodes import (
    NODE_KINDS,
    ArithExpr,
    ArithLike,
    Cst,
    FloorDiv,
    Max,
    Min,
    Mod,
    PerNodeKind,
    Prod,
    Sum,
    Var,
    as_arith,
)
from lift.types.arith_print import print_arith
from lift.types.arith_simplify import (
    NO_FACTS,
    Facts,
    Simplifier,
    ceil_div,
    is_nonneg,
    is_positive,
    maximum,
    minimum,
    replace_subterms,
    simplify,
    variables,
)

__all__ = [
    "NODE_KINDS",
    "NO_FACTS",
    "ArithExpr",
    "ArithLike",
    "Cst",
    "Facts",
    "FloorDiv",
    "Max",
    "Min",
    "Mod",
    "PerNodeKind",
    "Prod",
    "Simplifier",
    "Sum",
    "Var",
    "as_arith",
    "ceil_div",
    "evaluate_array",
    "is_nonneg",
    "is_positive",
    "maximum",
    "minimum",
    "print_arith",
    "replace_subterms",
    "simplify",
    "variables",
]
