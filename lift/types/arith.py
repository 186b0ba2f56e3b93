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

# The names of __all__ are the size expressions' public API (tests/robustness/test_json_documents.py reads its
# classes as the node kinds); the rest are re-exported for lift's own modules, marked by the `as` form.
from lift.types.arith_eval import evaluate_array
from lift.types.arith_nodes import NODE_KINDS as NODE_KINDS
from lift.types.arith_nodes import ArithExpr, ArithLike, Cst, FloorDiv, Max, Min, Mod, Prod, Sum, Var, as_arith
from lift.types.arith_nodes import PerNodeKind as PerNodeKind
from lift.types.arith_print import print_arith
from lift.types.arith_simplify import NO_FACTS as NO_FACTS
from lift.types.arith_simplify import Facts as Facts
from lift.types.arith_simplify import Simplifier as Simplifier
from lift.types.arith_simplify import ceil_div, maximum, minimum, replace_subterms
from lift.types.arith_simplify import is_nonneg as is_nonneg
from lift.types.arith_simplify import is_positive as is_positive
from lift.types.arith_simplify import simplify as simplify
from lift.types.arith_simplify import variables as variables

__all__ = [
    "ArithExpr",
    "ArithLike",
    "Cst",
    "FloorDiv",
    "Max",
    "Min",
    "Mod",
    "Prod",
    "Sum",
    "Var",
    "as_arith",
    "ceil_div",
    "evaluate_array",
    "maximum",
    "minimum",
    "print_arith",
    "replace_subterms",
]
