"""A structural proof that an index expression gives distinct values to distinct loop iterations.

Most kernel indices are mixed-radix numbers: ``14336*(gid2 // 56) + 256*(gid2 % 56) + i`` writes each element
once because every "digit" (a loop variable, or one of its ``// d`` and ``% m`` parts) has a coefficient larger
than everything the smaller digits can add up to, and the digits of each variable put it back together. That is
decided here in microseconds, where asking Z3 whether two different iterations meet takes milliseconds; when the
expression has another shape (a symbolic coefficient, a product of variables, ``min``/``max``), the answer is
``False`` — not proved — and the caller asks Z3.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from lift.types.arith import ArithExpr, Cst, FloorDiv, Mod, Prod, Sum, Var

__all__ = ["digit_parts", "injective"]


@dataclass(frozen=True)
class _Digit:
    """``(var // divisor) % modulus`` (``modulus`` ``None``: no ``%``), taking ``size`` values ``0…size-1``."""

    var: str
    """The loop variable."""
    divisor: int
    """What the variable is divided by first (1: not divided)."""
    modulus: int | None
    """What the quotient is reduced modulo, if anything."""
    size: int
    """How many values the digit takes."""


def injective(index: ArithExpr, variables: Collection[Var]) -> bool:
    """True when ``index`` is proved to take a different value for every two different assignments of the
    ``variables`` (each ranging over ``0 <= v < v.hi``, with a constant ``hi``) that it mentions. Variables it
    does not mention are not distinguished (say so yourself if they must be). ``False`` means "not proved"."""
    ranges: dict[str, int] = {}
    for v in variables:
        if v.lo != 0 or not isinstance(v.hi, Cst):
            return False
        ranges[v.name] = v.hi.value
    terms = index.terms if isinstance(index, Sum) else (index,)
    digits: list[tuple[int, _Digit]] = []
    for term in terms:
        if isinstance(term, Cst):
            continue  # an offset moves every value alike
        split = _coefficient(term)
        if split is None:
            return False
        coefficient, atom = split
        digit = _digit(atom, ranges)
        if digit is None or coefficient <= 0:
            return False
        if digit.size > 1:
            digits.append((coefficient, digit))
    return _mixed_radix(digits) and _recovers_variables([d for _, d in digits], ranges)


def _coefficient(term: ArithExpr) -> tuple[int, ArithExpr] | None:
    """``c * atom`` as ``(c, atom)``, or ``None`` for a product of several atoms."""
    if isinstance(term, Prod):
        if len(term.factors) == 2 and isinstance(term.factors[0], Cst):
            return term.factors[0].value, term.factors[1]
        return None
    return 1, term


def digit_parts(atom: ArithExpr) -> tuple[Var, int, int | None] | None:
    """``(v, d, m)`` when ``atom`` is ``(v // d) % m`` for a variable ``v`` and positive constants (``d`` is 1
    for no division, ``m`` ``None`` for no remainder): one digit of ``v`` written in a mixed radix."""
    modulus: int | None = None
    if isinstance(atom, Mod):
        if not isinstance(atom.den, Cst) or atom.den.value <= 0:
            return None
        modulus, atom = atom.den.value, atom.num
    divisor = 1
    if isinstance(atom, FloorDiv):
        if not isinstance(atom.den, Cst) or atom.den.value <= 0:
            return None
        divisor, atom = atom.den.value, atom.num
    if not isinstance(atom, Var):
        return None
    return atom, divisor, modulus


def _digit(atom: ArithExpr, ranges: dict[str, int]) -> _Digit | None:
    """The digit ``atom`` is, when it is one of ``v``, ``v // d``, ``v % m``, ``(v // d) % m``."""
    parts = digit_parts(atom)
    if parts is None or parts[0].name not in ranges:
        return None
    var, divisor, modulus = parts
    quotient_values = -(-ranges[var.name] // divisor)
    size = quotient_values if modulus is None else min(modulus, quotient_values)
    return _Digit(var.name, divisor, modulus, size)


def _mixed_radix(digits: list[tuple[int, _Digit]]) -> bool:
    """Each coefficient, in increasing order, exceeds the largest sum the digits before it can make: the index
    then determines every digit."""
    reach = 0
    for coefficient, digit in sorted(digits, key=lambda cd: cd[0]):
        if coefficient <= reach:
            return False
        reach += coefficient * (digit.size - 1)
    return True


def _recovers_variables(digits: list[_Digit], ranges: dict[str, int]) -> bool:
    """Every variable the digits mention is determined by its digits: they are consecutive positions of one
    mixed-radix expansion, from the lowest (divisor 1) up to one that holds every remaining value."""
    by_var: dict[str, list[_Digit]] = {}
    for d in digits:
        by_var.setdefault(d.var, []).append(d)
    for var, parts in by_var.items():
        covered = 1  # the variable's value modulo `covered` is known
        for d in sorted(parts, key=lambda d: d.divisor):
            if d.divisor != covered:
                return False  # a gap (or an overlap) between positions
            if d.modulus is None or covered * d.modulus >= ranges[var]:
                covered = ranges[var]
                break
            covered *= d.modulus
        if covered < ranges[var]:
            return False
    return True
