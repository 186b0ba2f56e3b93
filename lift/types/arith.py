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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

from lift.errors import LiftTypeError, LiftValueError

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

ArithLike = Union["ArithExpr", int]


class ArithExpr:
    """Base class of symbolic integer expressions; arithmetic operators build simplified expressions."""

    __slots__ = ()

    # --- operators -------------------------------------------------------------------------------------
    def __add__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.add(self, as_arith(other))

    def __radd__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.add(as_arith(other), self)

    def __sub__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.add(self, _DEFAULT.mul(Cst(-1), as_arith(other)))

    def __rsub__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.add(as_arith(other), _DEFAULT.mul(Cst(-1), self))

    def __neg__(self) -> ArithExpr:
        return _DEFAULT.mul(Cst(-1), self)

    def __mul__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.mul(self, as_arith(other))

    def __rmul__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.mul(as_arith(other), self)

    def __floordiv__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.floordiv(self, as_arith(other))

    def __rfloordiv__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.floordiv(as_arith(other), self)

    def __mod__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.mod(self, as_arith(other))

    def __rmod__(self, other: ArithLike) -> ArithExpr:
        return _DEFAULT.mod(as_arith(other), self)

    def __truediv__(self, other: object) -> ArithExpr:
        raise LiftTypeError("sizes are integers: use floor division `//` (and `%` for the remainder), not `/`")

    __rtruediv__ = __truediv__

    # --- queries ---------------------------------------------------------------------------------------
    def args(self) -> tuple[object, ...]:
        """The constructor arguments: ``type(e)(*e.args())`` rebuilds ``e``."""
        raise NotImplementedError

    def children(self) -> tuple[ArithExpr, ...]:
        return tuple(a for a in self.args() if isinstance(a, ArithExpr))

    @property
    def is_constant(self) -> bool:
        return isinstance(self, Cst)

    def free_vars(self) -> frozenset[Var]:
        """Every variable the expression mentions (including those in the ranges of its variables)."""
        if isinstance(self, Var):
            return frozenset({self}) | (self.hi.free_vars() if self.hi is not None else frozenset())
        out: frozenset[Var] = frozenset()
        for c in self.children():
            out |= c.free_vars()
        return out

    def subs(self, mapping: Mapping[Var, ArithLike] | Mapping[str, ArithLike]) -> ArithExpr:
        """Substitute variables (given as ``Var`` or by name) and simplify."""
        by_name = {(k.name if isinstance(k, Var) else k): as_arith(v) for k, v in mapping.items()}
        return _substitute(self, by_name)

    def evaluate(self, env: Mapping[str, int] | None = None) -> int:
        """The integer value under ``env`` (variable name → value); ``KeyError`` names a missing variable."""
        env = env or {}
        return _evaluate(self, env)

    def try_int(self) -> int | None:
        """The value when the expression is a constant, else ``None``."""
        return self.value if isinstance(self, Cst) else None

    def __int__(self) -> int:
        if isinstance(self, Cst):
            return self.value
        raise LiftTypeError(f"size {self} is symbolic; bind its variables first")

    def __index__(self) -> int:
        return int(self)

    def __str__(self) -> str:
        return _print(self)

    def __repr__(self) -> str:
        return f"ArithExpr({_print(self)})"


@dataclass(frozen=True, eq=True, repr=False)
class Cst(ArithExpr):
    """An integer constant."""

    value: int
    """The value."""

    def args(self) -> tuple[object, ...]:
        return (self.value,)


@dataclass(frozen=True, eq=True, repr=False)
class Var(ArithExpr):
    """A named integer variable with a range ``lo <= v`` (and ``v < hi`` when ``hi`` is given).

    Sizes are variables with ``lo = 1``; loop and thread indices have ``lo = 0`` and ``hi`` their trip count.
    """

    name: str
    """The name, unique within a program."""
    lo: int = 0
    """Inclusive lower bound."""
    hi: ArithExpr | None = None
    """Exclusive upper bound, or ``None`` when unbounded."""

    def args(self) -> tuple[object, ...]:
        return (self.name, self.lo, self.hi)

    def children(self) -> tuple[ArithExpr, ...]:
        return ()


@dataclass(frozen=True, eq=True, repr=False)
class Sum(ArithExpr):
    """A sum of monomials in canonical order (built only by the simplifier)."""

    terms: tuple[ArithExpr, ...]
    """The monomials, highest degree first, the constant last."""

    def args(self) -> tuple[object, ...]:
        return (self.terms,)

    def children(self) -> tuple[ArithExpr, ...]:
        return self.terms


@dataclass(frozen=True, eq=True, repr=False)
class Prod(ArithExpr):
    """A product: an optional constant coefficient first, then atoms in canonical order."""

    factors: tuple[ArithExpr, ...]
    """The factors."""

    def args(self) -> tuple[object, ...]:
        return (self.factors,)

    def children(self) -> tuple[ArithExpr, ...]:
        return self.factors


@dataclass(frozen=True, eq=True, repr=False)
class FloorDiv(ArithExpr):
    """``num // den`` rounded towards minus infinity; ``den`` is positive."""

    num: ArithExpr
    """The dividend."""
    den: ArithExpr
    """The (positive) divisor."""

    def args(self) -> tuple[object, ...]:
        return (self.num, self.den)


@dataclass(frozen=True, eq=True, repr=False)
class Mod(ArithExpr):
    """``num % den`` in ``[0, den)``; ``den`` is positive."""

    num: ArithExpr
    """The dividend."""
    den: ArithExpr
    """The (positive) divisor."""

    def args(self) -> tuple[object, ...]:
        return (self.num, self.den)


@dataclass(frozen=True, eq=True, repr=False)
class Min(ArithExpr):
    """The smaller of two expressions."""

    a: ArithExpr
    """First operand."""
    b: ArithExpr
    """Second operand."""

    def args(self) -> tuple[object, ...]:
        return (self.a, self.b)


@dataclass(frozen=True, eq=True, repr=False)
class Max(ArithExpr):
    """The larger of two expressions."""

    a: ArithExpr
    """First operand."""
    b: ArithExpr
    """Second operand."""

    def args(self) -> tuple[object, ...]:
        return (self.a, self.b)


def as_arith(x: ArithLike) -> ArithExpr:
    """An ``ArithExpr`` from an int or an ``ArithExpr`` (booleans and other values are refused)."""
    if isinstance(x, ArithExpr):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return Cst(x)
    raise LiftTypeError(f"expected an integer or a size expression, found {type(x).__name__} {x!r}")


def ceil_div(a: ArithLike, b: ArithLike) -> ArithExpr:
    """``ceil(a / b)`` for a positive ``b``, as ``(a + b - 1) // b``."""
    a, b = as_arith(a), as_arith(b)
    return (a + b - 1) // b


def minimum(a: ArithLike, b: ArithLike) -> ArithExpr:
    """``min(a, b)``, simplified when the order is known."""
    return _DEFAULT.minmax(Min, as_arith(a), as_arith(b))


def maximum(a: ArithLike, b: ArithLike) -> ArithExpr:
    """``max(a, b)``, simplified when the order is known."""
    return _DEFAULT.minmax(Max, as_arith(a), as_arith(b))


# ======================================================================================================
# Polynomial normal form
# ======================================================================================================

Monomial = tuple[ArithExpr, ...]  # sorted atoms, repeated for powers
Poly = dict[Monomial, int]

_ATOM_RANK = {Var: 0, FloorDiv: 1, Mod: 2, Min: 3, Max: 4}


def _atom_key(a: ArithExpr) -> tuple[int, str]:
    return (_ATOM_RANK[type(a)], _print(a))


def _to_poly(e: ArithExpr) -> Poly:
    if isinstance(e, Cst):
        return {(): e.value} if e.value else {}
    if isinstance(e, Sum):
        out: Poly = {}
        for t in e.terms:
            for m, c in _to_poly(t).items():
                out[m] = out.get(m, 0) + c
        return {m: c for m, c in out.items() if c}
    if isinstance(e, Prod):
        coef = 1
        atoms: list[ArithExpr] = []
        for f in e.factors:
            if isinstance(f, Cst):
                coef *= f.value
            else:
                atoms.append(f)
        return {tuple(sorted(atoms, key=_atom_key)): coef} if coef else {}
    return {(e,): 1}


def _monomial(coef: int, atoms: Monomial) -> ArithExpr:
    if not atoms:
        return Cst(coef)
    if coef == 1 and len(atoms) == 1:
        return atoms[0]
    return Prod(((Cst(coef),) if coef != 1 else ()) + atoms)


def _from_poly(p: Poly) -> ArithExpr:
    items = [(m, c) for m, c in p.items() if c]
    if not items:
        return Cst(0)
    # highest degree first, the constant last
    items.sort(key=lambda mc: (not mc[0], -len(mc[0]), [_atom_key(a) for a in mc[0]]))
    terms = tuple(_monomial(c, m) for m, c in items)
    return terms[0] if len(terms) == 1 else Sum(terms)


def _poly_mul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            m = tuple(sorted(m1 + m2, key=_atom_key))
            out[m] = out.get(m, 0) + c1 * c2
    return {m: c for m, c in out.items() if c}


def _monomial_quotient(m: Monomial, c: int, dm: Monomial, dc: int) -> tuple[Monomial, int] | None:
    """``(m*c) / (dm*dc)`` when it is an exact monomial, else ``None``."""
    if c % dc:
        return None
    rest = list(m)
    for a in dm:
        if a in rest:
            rest.remove(a)
        else:
            return None
    return tuple(rest), c // dc


# ======================================================================================================
# Facts and bounds
# ======================================================================================================


@dataclass(frozen=True)
class Facts:
    """What is known about the sizes beyond their ranges: divisibility facts ``expr % divisor == 0``."""

    divisible: frozenset[tuple[ArithExpr, ArithExpr]] = field(default_factory=frozenset)
    """Pairs ``(expr, divisor)`` with ``expr % divisor == 0`` known."""

    def with_divisible(self, expr: ArithLike, divisor: ArithLike) -> Facts:
        return Facts(self.divisible | {(as_arith(expr), as_arith(divisor))})

    def union(self, other: Facts) -> Facts:
        return Facts(self.divisible | other.divisible)

    @cached_property
    def _known_divisors(self) -> dict[Monomial, list[tuple[Poly, int]]]:
        """For atoms-only facts, divisor monomials keyed by the dividend's monomial."""
        out: dict[Monomial, list[tuple[Poly, int]]] = {}
        for expr, d in self.divisible:
            p = _to_poly(expr)
            if len(p) == 1:
                ((m, c),) = p.items()
                out.setdefault(m, []).append((_to_poly(d), c))
        return out


NO_FACTS = Facts()


def _upper(e: ArithExpr, depth: int = 0) -> ArithExpr | None:
    """A symbolic inclusive upper bound of ``e`` (``None`` when unknown)."""
    return _bound(e, upper=True, depth=depth)


def _lower(e: ArithExpr, depth: int = 0) -> ArithExpr | None:
    """A symbolic inclusive lower bound of ``e`` (``None`` when unknown)."""
    return _bound(e, upper=False, depth=depth)


def _bound(e: ArithExpr, *, upper: bool, depth: int) -> ArithExpr | None:
    if depth > 6:
        return None
    if isinstance(e, Cst):
        return e
    if isinstance(e, Var):
        if upper:
            return None if e.hi is None else e.hi - 1
        return Cst(e.lo)
    if isinstance(e, Mod):
        if upper:
            return e.den - 1
        return Cst(0)
    if isinstance(e, FloorDiv):
        inner = _bound(e.num, upper=upper, depth=depth + 1)
        return None if inner is None else inner // e.den
    if isinstance(e, (Min, Max)):
        ba = _bound(e.a, upper=upper, depth=depth + 1)
        bb = _bound(e.b, upper=upper, depth=depth + 1)
        if (isinstance(e, Min) and upper) or (isinstance(e, Max) and not upper):
            # either operand's bound bounds the min (resp. max) from that side
            return ba if ba is not None else bb
        if ba is None or bb is None:
            return None
        return minimum(ba, bb) if isinstance(e, Min) else maximum(ba, bb)
    total: ArithExpr = Cst(0)
    for m, c in _to_poly(e).items():
        want_upper = upper if c > 0 else not upper
        if not all(_nonneg_atom(a) for a in m):
            return None
        prod: ArithExpr = Cst(c)
        for a in m:
            b = _bound(a, upper=want_upper, depth=depth + 1)
            if b is None:
                return None
            prod = prod * b
        total = total + prod
    return total


def _nonneg_atom(a: ArithExpr) -> bool:
    if isinstance(a, Var):
        return a.lo >= 0
    if isinstance(a, Mod):
        return True
    if isinstance(a, FloorDiv):
        return is_nonneg(a.num)
    if isinstance(a, (Min, Max)):
        return is_nonneg(a.a) and is_nonneg(a.b)
    return is_nonneg(a)


def is_nonneg(e: ArithExpr, depth: int = 0) -> bool:
    """True when ``e >= 0`` follows from the variables' ranges by bound propagation (sound, incomplete).

    Negative monomials are replaced by upper bounds first, keeping positive ones exact, so that correlated
    terms cancel (``M - j - 1 >= 0`` for ``j < M``); only then are positive monomials lowered too.
    """
    if isinstance(e, Cst):
        return e.value >= 0
    if depth > 4:
        return False
    p = _to_poly(e)
    if p.get((), 0) >= 0 and all(c > 0 and all(_nonneg_atom(a) for a in m) for m, c in p.items() if m):
        return True
    for lower_positive_terms in (False, True):
        total: ArithExpr = Cst(0)
        for m, c in p.items():
            term = _monomial(c, m)
            if c < 0 or (lower_positive_terms and m):
                bound = _bound(term, upper=False, depth=depth)
                if bound is None:
                    break
                term = bound
            total = total + term
        else:
            if total != e and is_nonneg(total, depth + 1):
                return True
    return False


def is_positive(e: ArithExpr) -> bool:
    """True when ``e > 0`` follows from the ranges."""
    return is_nonneg(e - 1)


# ======================================================================================================
# The simplifier
# ======================================================================================================


class Simplifier:
    """Builds canonical expressions, using ``facts`` beyond the variables' ranges."""

    def __init__(self, facts: Facts = NO_FACTS) -> None:
        self.facts = facts

    # ---- sums and products ------------------------------------------------------------------------
    def add(self, a: ArithExpr, b: ArithExpr) -> ArithExpr:
        p = _to_poly(a)
        for m, c in _to_poly(b).items():
            p[m] = p.get(m, 0) + c
        return self._finish(p)

    def mul(self, a: ArithExpr, b: ArithExpr) -> ArithExpr:
        return self._finish(_poly_mul(_to_poly(a), _to_poly(b)))

    def _finish(self, p: Poly) -> ArithExpr:
        """Cancel ``(x // d) * d`` into ``x`` where ``x % d == 0`` is known, then build the canonical form."""
        if self.facts.divisible:
            changed = True
            while changed:
                changed = False
                for m, c in list(p.items()):
                    for i, a in enumerate(m):
                        if isinstance(a, FloorDiv) and self.divides(a.den, a.num):
                            rest = m[:i] + m[i + 1 :]
                            cofactor = _from_poly({rest: c})
                            q = self._exact_quotient(_to_poly(cofactor), _to_poly(a.den))
                            if q is None:
                                continue
                            del p[m]
                            for m2, c2 in _poly_mul(q, _to_poly(a.num)).items():
                                p[m2] = p.get(m2, 0) + c2
                            changed = True
                            break
                    if changed:
                        break
        return _from_poly({m: c for m, c in p.items() if c})

    @staticmethod
    def _exact_quotient(p: Poly, d: Poly) -> Poly | None:
        """``p / d`` when ``d`` is a single monomial dividing every monomial of ``p``."""
        if len(d) != 1:
            return None
        ((dm, dc),) = d.items()
        out: Poly = {}
        for m, c in p.items():
            q = _monomial_quotient(m, c, dm, dc)
            if q is None:
                return None
            out[q[0]] = out.get(q[0], 0) + q[1]
        return out

    # ---- divisibility -------------------------------------------------------------------------------
    def divides(self, d: ArithExpr, e: ArithExpr) -> bool:
        """True when ``e % d == 0`` follows from the form of ``e`` or from the facts."""
        pe, pd = _to_poly(e), _to_poly(d)
        if not pe:
            return True
        if (e, d) in self.facts.divisible:
            return True
        if self._exact_quotient(pe, pd) is not None:
            return True
        # a constant divisor divides a sum when it divides every monomial, where a monomial may contain an
        # atom product known to be a multiple of some constant (the fact `N % 4 == 0` makes 2*N*M even)
        if len(pd) == 1 and () in pd:
            dv = pd[()]
            for m, c in pe.items():
                multiple = c
                for fm, divisors in self.facts._known_divisors.items():
                    if fm and all(m.count(a) >= fm.count(a) for a in fm):
                        for dpoly, fc in divisors:
                            if fc == 1 and len(dpoly) == 1 and () in dpoly:
                                multiple = max(multiple, c * dpoly[()], key=lambda k: k % dv == 0)
                if multiple % dv:
                    return False
            return True
        return False

    # ---- floor division and modulo ------------------------------------------------------------------
    def floordiv(self, num: ArithExpr, den: ArithExpr) -> ArithExpr:
        if isinstance(den, Cst):
            if den.value <= 0:
                raise LiftValueError(
                    f"size expression {num} // {den.value}: the divisor must be a positive integer (sizes and "
                    f"strides are positive), found {den.value}"
                )
            if den.value == 1:
                return num
            if isinstance(num, Cst):
                return Cst(num.value // den.value)
        if num == den:
            return Cst(1)
        if isinstance(num, FloorDiv) and is_positive(den) and is_positive(num.den):
            # floor(floor(x / a) / b) == floor(x / (a*b)) for positive a and b
            return self.floordiv(num.num, self.mul(num.den, den))
        quotient, rest = self._split_multiples(num, den)
        if not rest:
            return self._finish(quotient)
        rest_e = _from_poly(rest)
        if is_nonneg(rest_e) and is_nonneg(den - rest_e - 1):
            return self._finish(quotient)
        if quotient:
            # floor((q*d + r) / d) == q + floor(r / d) for any integer q
            return self.add(_from_poly(quotient), self.floordiv(rest_e, den))
        return FloorDiv(num, den)

    def mod(self, num: ArithExpr, den: ArithExpr) -> ArithExpr:
        if isinstance(den, Cst):
            if den.value <= 0:
                raise LiftValueError(
                    f"size expression {num} % {den.value}: the divisor must be a positive integer (sizes and "
                    f"strides are positive), found {den.value}"
                )
            if den.value == 1:
                return Cst(0)
            if isinstance(num, Cst):
                return Cst(num.value % den.value)
        if self.divides(den, num):
            return Cst(0)
        _, rest = self._split_multiples(num, den)
        if isinstance(den, Cst):
            rest = {m: c % den.value for m, c in rest.items() if c % den.value}
        rest_e = _from_poly(rest)
        if is_nonneg(rest_e) and is_nonneg(den - rest_e - 1):
            return rest_e
        if isinstance(rest_e, Cst) and isinstance(den, Cst):
            return Cst(rest_e.value % den.value)
        if isinstance(rest_e, Mod) and rest_e.den == den:
            return rest_e
        return Mod(rest_e, den)

    def _split_multiples(self, num: ArithExpr, den: ArithExpr) -> tuple[Poly, Poly]:
        """Split ``num`` into ``den * quotient + rest`` taking the monomials that ``den`` divides exactly."""
        pd = _to_poly(den)
        quotient: Poly = {}
        rest: Poly = {}
        if len(pd) != 1:
            if _to_poly(num) == pd:
                return {(): 1}, {}
            return {}, _to_poly(num)
        ((dm, dc),) = pd.items()
        for m, c in _to_poly(num).items():
            q = _monomial_quotient(m, c, dm, dc)
            if q is None:
                if isinstance(den, Cst) and c // dc:
                    # split the coefficient: c*m == (c // d)*d*m + (c % d)*m
                    quotient[m] = quotient.get(m, 0) + c // dc
                    if c % dc:
                        rest[m] = c % dc
                else:
                    rest[m] = c
            else:
                quotient[q[0]] = quotient.get(q[0], 0) + q[1]
        return {m: c for m, c in quotient.items() if c}, rest

    # ---- min and max -------------------------------------------------------------------------------
    def minmax(self, kind: type[Min] | type[Max], a: ArithExpr, b: ArithExpr) -> ArithExpr:
        if isinstance(a, Cst) and isinstance(b, Cst):
            return Cst(min(a.value, b.value) if kind is Min else max(a.value, b.value))
        if a == b:
            return a
        a_le_b = is_nonneg(b - a)
        b_le_a = is_nonneg(a - b)
        if a_le_b:
            return a if kind is Min else b
        if b_le_a:
            return b if kind is Min else a
        x, y = sorted((a, b), key=_print)
        return kind(x, y)

    # ---- rebuild ------------------------------------------------------------------------------------
    def rebuild(self, e: ArithExpr) -> ArithExpr:
        """Rebuild ``e`` bottom-up through this simplifier (applies the facts everywhere)."""
        if isinstance(e, (Cst, Var)):
            return e
        kids = [self.rebuild(c) for c in e.children()]
        if isinstance(e, Sum):
            out: ArithExpr = Cst(0)
            for k in kids:
                out = self.add(out, k)
            return out
        if isinstance(e, Prod):
            out = Cst(1)
            for k in kids:
                out = self.mul(out, k)
            return self._finish(_to_poly(out))
        if isinstance(e, FloorDiv):
            return self.floordiv(kids[0], kids[1])
        if isinstance(e, Mod):
            return self.mod(kids[0], kids[1])
        if isinstance(e, Min):
            return self.minmax(Min, kids[0], kids[1])
        if isinstance(e, Max):
            return self.minmax(Max, kids[0], kids[1])
        raise TypeError(f"unknown ArithExpr node {type(e).__name__}")


_DEFAULT = Simplifier()


def simplify(e: ArithLike, facts: Facts = NO_FACTS) -> ArithExpr:
    """The canonical form of ``e`` under ``facts``."""
    e = as_arith(e)
    if facts is NO_FACTS or not facts.divisible:
        return e
    return Simplifier(facts).rebuild(e)


# ======================================================================================================
# Substitution, evaluation, printing
# ======================================================================================================


def _substitute(e: ArithExpr, by_name: Mapping[str, ArithExpr]) -> ArithExpr:
    if isinstance(e, Var):
        return by_name.get(e.name, e)
    if isinstance(e, Cst):
        return e
    kids = [_substitute(c, by_name) for c in e.children()]
    return _rebuild_with(e, kids)


def replace_subterms(e: ArithExpr, mapping: Mapping[ArithExpr, ArithExpr]) -> ArithExpr:
    """``e`` with every subterm that is a key of ``mapping`` replaced by its value (outermost matches first),
    simplified again."""
    if e in mapping:
        return mapping[e]
    kids = e.children()
    if not kids:
        return e
    return _rebuild_with(e, [replace_subterms(c, mapping) for c in kids])


def _rebuild_with(e: ArithExpr, kids: list[ArithExpr]) -> ArithExpr:
    s = _DEFAULT
    if isinstance(e, Sum):
        out: ArithExpr = Cst(0)
        for k in kids:
            out = s.add(out, k)
        return out
    if isinstance(e, Prod):
        out = Cst(1)
        for k in kids:
            out = s.mul(out, k)
        return out
    if isinstance(e, FloorDiv):
        return s.floordiv(kids[0], kids[1])
    if isinstance(e, Mod):
        return s.mod(kids[0], kids[1])
    if isinstance(e, Min):
        return s.minmax(Min, kids[0], kids[1])
    if isinstance(e, Max):
        return s.minmax(Max, kids[0], kids[1])
    raise TypeError(f"unknown ArithExpr node {type(e).__name__}")


def _evaluate(e: ArithExpr, env: Mapping[str, int]) -> int:
    if isinstance(e, Cst):
        return e.value
    if isinstance(e, Var):
        if e.name not in env:
            raise KeyError(f"no value for size variable {e.name!r}")
        return int(env[e.name])
    vals = [_evaluate(c, env) for c in e.children()]
    if isinstance(e, Sum):
        return sum(vals)
    if isinstance(e, Prod):
        out = 1
        for v in vals:
            out *= v
        return out
    if isinstance(e, FloorDiv):
        if vals[1] <= 0:
            raise LiftValueError(f"{e}: the divisor {e.den} evaluates to {vals[1]}; divisors must be positive")
        return vals[0] // vals[1]
    if isinstance(e, Mod):
        if vals[1] <= 0:
            raise LiftValueError(f"{e}: the divisor {e.den} evaluates to {vals[1]}; divisors must be positive")
        return vals[0] % vals[1]
    if isinstance(e, Min):
        return min(vals)
    if isinstance(e, Max):
        return max(vals)
    raise TypeError(f"unknown ArithExpr node {type(e).__name__}")


def evaluate_array(e: ArithExpr, env: Mapping[str, Any]) -> Any:
    """Evaluate with numpy arrays (or ints) as variable values, elementwise; floor semantics throughout."""
    import numpy as np

    if isinstance(e, Cst):
        return e.value
    if isinstance(e, Var):
        if e.name not in env:
            raise KeyError(f"no value for size variable {e.name!r}")
        return env[e.name]
    vals = [evaluate_array(c, env) for c in e.children()]
    if isinstance(e, Sum):
        out = vals[0]
        for v in vals[1:]:
            out = out + v
        return out
    if isinstance(e, Prod):
        out = vals[0]
        for v in vals[1:]:
            out = out * v
        return out
    if isinstance(e, FloorDiv):
        return np.floor_divide(vals[0], vals[1])
    if isinstance(e, Mod):
        return np.mod(vals[0], vals[1])
    if isinstance(e, Min):
        return np.minimum(vals[0], vals[1])
    if isinstance(e, Max):
        return np.maximum(vals[0], vals[1])
    raise TypeError(f"unknown ArithExpr node {type(e).__name__}")


def _print(e: ArithExpr, parent: int = 0) -> str:
    return print_arith(e, parent=parent)


def print_arith(
    e: ArithExpr, *, parent: int = 0, div: str = "//", positive_first: bool = False, minmax_type: str = ""
) -> str:
    """Infix text of ``e``. ``parent`` is the binding strength of the context (0 sum, 1 product, 2 atom);
    ``div`` the floor-division operator (``/`` for C, where operands are non-negative); ``positive_first``
    puts positive terms first, so that ``15 - i`` reads as written by hand rather than ``-i + 15``;
    ``minmax_type`` (C) casts the operands of ``min``/``max`` to that type, since OpenCL C's overloads need
    both of one type (an ``int`` constant against a ``long`` index is ambiguous)."""

    def p(x: ArithExpr, strength: int = 0) -> str:
        return print_arith(x, parent=strength, div=div, positive_first=positive_first, minmax_type=minmax_type)

    def operand(x: ArithExpr) -> str:
        if not minmax_type or isinstance(x, (Min, Max)):
            return p(x)
        return f"({minmax_type}){p(x, 2)}"

    if isinstance(e, Cst):
        text = str(e.value)
        return f"({text})" if e.value < 0 and parent > 0 else text
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Sum):
        terms = list(e.terms)
        if positive_first:
            terms = [t for t in terms if _negated(t) is None] + [t for t in terms if _negated(t) is not None]
        out = p(terms[0], 0)
        for t in terms[1:]:
            neg = _negated(t)
            out += f" - {p(neg, 1)}" if neg is not None else f" + {p(t, 0)}"
        return f"({out})" if parent > 0 else out
    if isinstance(e, Prod):
        fs = list(e.factors)
        if isinstance(fs[0], Cst) and fs[0].value == -1:
            text = "-" + "*".join(p(f, 2) for f in fs[1:])
        else:
            text = "*".join(p(f, 2) for f in fs)
        return f"({text})" if parent > 1 else text
    if isinstance(e, (FloorDiv, Mod)):
        op = div if isinstance(e, FloorDiv) else "%"
        text = f"{p(e.num, 2)} {op} {p(e.den, 2)}"
        return f"({text})" if parent > 0 else text
    if isinstance(e, Min):
        return f"min({operand(e.a)}, {operand(e.b)})"
    if isinstance(e, Max):
        return f"max({operand(e.a)}, {operand(e.b)})"
    raise TypeError(f"unknown ArithExpr node {type(e).__name__}")


def _negated(t: ArithExpr) -> ArithExpr | None:
    """``-t`` when ``t`` carries a negative coefficient (for printing ``a - b``), else ``None``."""
    if isinstance(t, Cst) and t.value < 0:
        return Cst(-t.value)
    if isinstance(t, Prod) and isinstance(t.factors[0], Cst) and t.factors[0].value < 0:
        c = -t.factors[0].value
        rest = t.factors[1:]
        return rest[0] if c == 1 and len(rest) == 1 else Prod(((Cst(c),) if c != 1 else ()) + rest)
    return None


def variables(exprs: Iterable[ArithExpr]) -> frozenset[Var]:
    """Every variable in any of ``exprs``."""
    out: frozenset[Var] = frozenset()
    for e in exprs:
        out |= e.free_vars()
    return out
