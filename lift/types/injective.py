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

from lift.types.arith import ArithExpr, Cst, FloorDiv, Max, Min, Mod, Prod, Sum, Var
from lift.types.arith_nodes import PerNodeKind
from lift.types.arith_simplify import monomials

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
    digits: list[tuple[int, _Digit]] = []
    for atoms, coefficient in monomials(index).items():
        if not atoms:
            continue  # an offset moves every value alike
        if len(atoms) != 1:
            return False  # a product of several atoms
        digit = _digit(atoms[0], ranges)
        if digit is None or coefficient <= 0:
            return False
        if digit.size > 1:
            digits.append((coefficient, digit))
    return _mixed_radix(digits) and _recovers_variables([d for _, d in digits], ranges)


def digit_parts(atom: ArithExpr) -> tuple[Var, int, int | None] | None:
    """``(v, d, m)`` when ``atom`` is ``(v // d) % m`` for a variable ``v`` and positive constants (``d`` is 1
    for no division, ``m`` ``None`` for no remainder): one digit of ``v`` written in a mixed radix."""
    return _DIGIT_PARTS(atom)


def _quotient_digit(e: FloorDiv) -> tuple[Var, int, int | None] | None:
    """``v // d``: a plain variable divided by a positive constant."""
    divisor, inner = _positive_constant(e.den), digit_parts(e.num)
    if divisor is None or inner is None or inner[1:] != (1, None):
        return None
    return inner[0], divisor, None


def _remainder_digit(e: Mod) -> tuple[Var, int, int | None] | None:
    """``v % m`` or ``(v // d) % m``: a digit without a remainder, reduced modulo a positive constant."""
    modulus, inner = _positive_constant(e.den), digit_parts(e.num)
    if modulus is None or inner is None or inner[2] is not None:
        return None
    return inner[0], inner[1], modulus


def _no_digit(e: ArithExpr) -> None:
    return None


_DIGIT_PARTS: PerNodeKind[tuple[Var, int, int | None] | None] = PerNodeKind(
    "digit parts",
    {
        Cst: _no_digit,
        Var: lambda v: (v, 1, None),
        Sum: _no_digit,
        Prod: _no_digit,
        FloorDiv: _quotient_digit,
        Mod: _remainder_digit,
        Min: _no_digit,
        Max: _no_digit,
    },
)


def _positive_constant(e: ArithExpr) -> int | None:
    """The value of ``e`` when it is a positive constant (a divisor or modulus a digit can have)."""
    return e.value if isinstance(e, Cst) and e.value > 0 else None


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
