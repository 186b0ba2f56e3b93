"""The canonical form of ``ArithExpr`` and the simplifier that builds it.

Every expression is kept in a canonical form: a sum of monomials with integer coefficients, each monomial a
product of *atoms* (variables, floor divisions, moduli, minima, maxima) in a fixed order. Two expressions that
are equal as polynomials are therefore structurally equal. Floor division and modulo are simplified using the
ranges of the variables (``(i*M + j) // M`` is ``i`` when ``0 <= j < M``) and, when given, known facts about the
sizes (``(N // 4) * 4`` is ``N`` when ``N % 4 == 0`` is known). What this cannot decide, Z3 decides (``lift.types.
smt``).

Rebuilding an expression with new children (substitution, :func:`replace_subterms`, simplifying under facts) goes
through the simplifier again, so its result is canonical too.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from lift.errors import LiftValueError
from lift.types.arith_nodes import (
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

__all__ = [
    "DEFAULT",
    "NO_FACTS",
    "Facts",
    "Simplifier",
    "ceil_div",
    "is_nonneg",
    "is_positive",
    "maximum",
    "minimum",
    "monomials",
    "rebuild_with",
    "replace_subterms",
    "simplify",
    "substitute",
    "variables",
]


def ceil_div(a: ArithLike, b: ArithLike) -> ArithExpr:
    """``ceil(a / b)`` for a positive ``b``, as ``(a + b - 1) // b``."""
    a, b = as_arith(a), as_arith(b)
    return (a + b - 1) // b


def minimum(a: ArithLike, b: ArithLike) -> ArithExpr:
    """``min(a, b)``, simplified when the order is known."""
    return DEFAULT.minmax(Min, as_arith(a), as_arith(b))


def maximum(a: ArithLike, b: ArithLike) -> ArithExpr:
    """``max(a, b)``, simplified when the order is known."""
    return DEFAULT.minmax(Max, as_arith(a), as_arith(b))


# ======================================================================================================
# Polynomial normal form
# ======================================================================================================

Monomial = tuple[ArithExpr, ...]  # sorted atoms, repeated for powers
Poly = dict[Monomial, int]

_ATOM_RANK = {Var: 0, FloorDiv: 1, Mod: 2, Min: 3, Max: 4}


def _atom_key(a: ArithExpr) -> tuple[int, str]:
    return (_ATOM_RANK[type(a)], print_arith(a))


def _sum_poly(e: Sum) -> Poly:
    out: Poly = {}
    for t in e.terms:
        for m, c in _to_poly(t).items():
            out[m] = out.get(m, 0) + c
    return {m: c for m, c in out.items() if c}


def _prod_poly(e: Prod) -> Poly:
    coef = 1
    atoms: list[ArithExpr] = []
    for f in e.factors:
        if isinstance(f, Cst):
            coef *= f.value
        else:
            atoms.append(f)
    return {tuple(sorted(atoms, key=_atom_key)): coef} if coef else {}


def _atom_poly(e: ArithExpr) -> Poly:
    return {(e,): 1}


_TO_POLY: PerNodeKind[Poly] = PerNodeKind(
    "polynomial form",
    {
        Cst: lambda e: {(): e.value} if e.value else {},
        Var: _atom_poly,
        Sum: _sum_poly,
        Prod: _prod_poly,
        FloorDiv: _atom_poly,
        Mod: _atom_poly,
        Min: _atom_poly,
        Max: _atom_poly,
    },
)
_to_poly = _TO_POLY  # the hottest operation of the simplifier: no extra call around it


def monomials(e: ArithExpr) -> dict[Monomial, int]:
    """``e`` as a polynomial: each monomial (its atoms in canonical order, repeated for powers; ``()`` for the
    constant term) with its non-zero integer coefficient."""
    return _to_poly(e)


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


def _atoms(e: ArithExpr) -> tuple[ArithExpr, ...]:
    """The atoms of a single-monomial expression (``()`` for a constant or a sum)."""
    p = _to_poly(e)
    return next(iter(p)) if len(p) == 1 else ()


def _monomial_order(m: Monomial) -> tuple[int, list[tuple[int, str]]]:
    """A total order on monomials compatible with multiplication: by degree, then by their atoms."""
    return (len(m), [_atom_key(a) for a in m])


def _poly_quotient(p: Poly, d: Poly) -> Poly | None:
    """``p / d`` when the polynomial ``d`` divides ``p`` exactly (multivariate division by leading terms with a
    zero remainder: ``N*q - N`` by ``q - 1`` is ``N``); ``None`` otherwise."""
    if not d:
        return None
    lead_d = max(d, key=_monomial_order)
    rest = dict(p)
    quotient: Poly = {}
    for _ in range(_MAX_DIVISION_STEPS):
        if not rest:
            return quotient
        lead = max(rest, key=_monomial_order)
        term = _monomial_quotient(lead, rest[lead], lead_d, d[lead_d])
        if term is None:
            return None
        quotient[term[0]] = quotient.get(term[0], 0) + term[1]
        for m, c in _poly_mul({term[0]: term[1]}, d).items():
            rest[m] = rest.get(m, 0) - c
            if not rest[m]:
                del rest[m]
    return None  # not decided within the step budget: "not proved"


_MAX_DIVISION_STEPS = 64
"""The most steps :func:`_poly_quotient` takes (index polynomials have a handful of terms)."""


def _recombine_quotients_and_remainders(p: Poly) -> None:
    """Rewrite ``k*d*(x // d) + k*(x % d)`` as ``k*x`` in ``p``, in place (times any common factor ``k``): the index
    of an element written through ``split`` and read back through ``join`` is its own index again."""
    changed = True
    while changed:
        changed = False
        for m, c in list(p.items()):
            if not c:
                continue
            for i, atom in enumerate(m):
                if not isinstance(atom, Mod):
                    continue
                rest = m[:i] + m[i + 1 :]
                multiple = _poly_mul(_poly_mul(_to_poly(atom.den), {(FloorDiv(atom.num, atom.den),): c}), {rest: 1})
                if all(p.get(mm, 0) == cc for mm, cc in multiple.items()):
                    for mm in multiple:
                        p[mm] = 0
                    p[m] = 0
                    for mm, cc in _poly_mul(_to_poly(atom.num), {rest: c}).items():
                        p[mm] = p.get(mm, 0) + cc
                    changed = True
                    break
            if changed:
                break


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
        """These facts and ``expr % divisor == 0``."""
        return Facts(self.divisible | {(as_arith(expr), as_arith(divisor))})

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


def _bound(e: ArithExpr, *, upper: bool, depth: int) -> ArithExpr | None:
    """A symbolic inclusive upper (``upper``) or lower bound of ``e``, ``None`` when unknown."""
    if depth > 6:
        return None
    return _BOUND(e, upper, depth)


def _bound_var(e: Var, upper: bool, depth: int) -> ArithExpr | None:
    if upper:
        return None if e.hi is None else e.hi - 1
    return Cst(e.lo)


def _bound_floordiv(e: FloorDiv, upper: bool, depth: int) -> ArithExpr | None:
    inner = _bound(e.num, upper=upper, depth=depth + 1)
    return None if inner is None else inner // e.den


def _bound_extremum(e: Min | Max, upper: bool, depth: int, *, either_bounds: bool) -> ArithExpr | None:
    """``either_bounds``: the side where either operand's bound bounds ``e`` (above for a min, below for a
    max); on the other side both are needed, combined as ``e`` combines its operands."""
    ba = _bound(e.a, upper=upper, depth=depth + 1)
    bb = _bound(e.b, upper=upper, depth=depth + 1)
    if either_bounds:
        return ba if ba is not None else bb
    if ba is None or bb is None:
        return None
    return DEFAULT.minmax(type(e), ba, bb)


def _bound_polynomial(e: Sum | Prod, upper: bool, depth: int) -> ArithExpr | None:
    """Each monomial bounded from the side its coefficient's sign asks for (monomials of non-negative atoms
    only: a product of bounds bounds the product only then)."""
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


_BOUND: PerNodeKind[ArithExpr | None] = PerNodeKind(
    "bound",
    {
        Cst: lambda e, upper, depth: e,
        Var: _bound_var,
        Sum: _bound_polynomial,
        Prod: _bound_polynomial,
        FloorDiv: _bound_floordiv,
        Mod: lambda e, upper, depth: e.den - 1 if upper else Cst(0),
        Min: lambda e, upper, depth: _bound_extremum(e, upper, depth, either_bounds=upper),
        Max: lambda e, upper, depth: _bound_extremum(e, upper, depth, either_bounds=not upper),
    },
)


def _nonneg_atom(a: ArithExpr) -> bool:
    """``a >= 0`` for an atom of a monomial, from its kind (a sum or product asks :func:`is_nonneg`)."""
    return _NONNEG_ATOM(a)


_NONNEG_ATOM: PerNodeKind[bool] = PerNodeKind(
    "non-negative atom",
    {
        Cst: lambda a: is_nonneg(a),
        Var: lambda a: a.lo >= 0,
        Sum: lambda a: is_nonneg(a),
        Prod: lambda a: is_nonneg(a),
        FloorDiv: lambda a: is_nonneg(a.num),
        Mod: lambda a: True,
        Min: lambda a: is_nonneg(a.a) and is_nonneg(a.b),
        Max: lambda a: is_nonneg(a.a) and is_nonneg(a.b),
    },
)


def is_nonneg(e: ArithExpr, depth: int = 0) -> bool:
    """True when ``e >= 0`` follows from the variables' ranges by bound propagation (sound, incomplete).

    Negative monomials are replaced by upper bounds first, keeping positive ones exact, so that correlated
    terms cancel (``M - j - 1 >= 0`` for ``j < M``); only then are positive monomials lowered too.
    """
    p = _to_poly(e)
    if not any(p):  # a constant: only the monomial () (none for 0)
        return p.get((), 0) >= 0
    if depth > 4:
        return False
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
        if self.facts.divisible:
            self._undo_split_floors(p)
        _recombine_quotients_and_remainders(p)
        return _from_poly({m: c for m, c in p.items() if c})

    def _undo_split_floors(self, p: Poly) -> None:
        """Rewrite ``d*(x // (k*d))`` as ``x // k`` in ``p``, in place, where ``(x // k) % d == 0`` is known (the
        nested floors ``(x // k) // d`` are merged into ``x // (k*d)`` when built, so the fact no longer shows)."""
        for e, d in self.facts.divisible:
            if not (isinstance(e, FloorDiv) and isinstance(e.den, Cst) and isinstance(d, Cst) and d.value > 1):
                continue
            merged = FloorDiv(e.num, Cst(e.den.value * d.value))
            for m, c in list(p.items()):
                if merged in m and c % d.value == 0:
                    others = list(m)
                    others.remove(merged)
                    del p[m]
                    key = tuple(sorted([*others, e], key=_atom_key))
                    p[key] = p.get(key, 0) + c // d.value

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
        if len(pd) > 1:
            # e = d' * q for the primitive part d' of d = g * d': d divides e when g divides q
            content = math.gcd(*pd.values())
            quotient = _poly_quotient(pe, {m: c // content for m, c in pd.items()})
            if quotient is not None and (content == 1 or self.divides(Cst(content), _from_poly(quotient))):
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
        divisor = _constant_divisor(num, "//", den)
        if divisor == 1:
            return num
        if divisor is not None and isinstance(num, Cst):
            return Cst(num.value // divisor)
        if num == den:
            return Cst(1)
        if isinstance(num, FloorDiv) and is_positive(den) and is_positive(num.den):
            # floor(floor(x / a) / b) == floor(x / (a*b)) for positive a and b
            return self.floordiv(num.num, self.mul(num.den, den))
        quotient, rest = self._split_multiples(num, den)
        if not rest:
            return self._finish(quotient)
        lone_atom = len(rest) == 1 and len(next(iter(rest))) == 1  # nothing to divide but the atom itself
        if divisor is not None and not lone_atom and self.divides(den, _from_poly(rest)):
            exact = self._known_multiples_divided(rest, divisor)
            if exact is not None:
                return self._finish({**quotient, **{m: quotient.get(m, 0) + c for m, c in exact.items()}})
        rest_e = _from_poly(rest)
        if is_nonneg(rest_e) and is_nonneg(den - rest_e - 1):
            return self._finish(quotient)
        if quotient:
            # floor((q*d + r) / d) == q + floor(r / d) for any integer q
            return self.add(_from_poly(quotient), self.floordiv(rest_e, den))
        return FloorDiv(num, den)

    def _known_multiples_divided(self, p: Poly, d: int) -> Poly | None:
        """``p / d`` for a sum the facts make a multiple of ``d``, each term's atom known to be a multiple of ``d``
        divided instead of the term (``(N*q + q) / 2`` is ``N*(q // 2) + q // 2`` when ``q % 2 == 0`` is known);
        ``None`` when some term has no such atom."""
        multiples = {e for e, k in self.facts.divisible if k == Cst(d) and len(_to_poly(e)) == 1 and e in _atoms(e)}
        out: Poly = {}
        for m, c in p.items():
            if c % d == 0:
                out[m] = out.get(m, 0) + c // d
                continue
            atom = next((a for a in m if a in multiples), None)
            if atom is None:
                return None
            divided = (
                self.floordiv(atom.num, self.mul(atom.den, Cst(d)))
                if isinstance(atom, FloorDiv) and is_positive(atom.den)
                else FloorDiv(atom, Cst(d))
            )
            others = list(m)
            others.remove(atom)
            for mm, cc in _poly_mul(_to_poly(divided), {tuple(others): c}).items():
                out[mm] = out.get(mm, 0) + cc
        return {m: c for m, c in out.items() if c}

    def mod(self, num: ArithExpr, den: ArithExpr) -> ArithExpr:
        divisor = _constant_divisor(num, "%", den)
        if divisor == 1:
            return Cst(0)
        if divisor is not None and isinstance(num, Cst):
            return Cst(num.value % divisor)
        if self.divides(den, num):
            return Cst(0)
        _, rest = self._split_multiples(num, den)
        if divisor is not None:  # then the rest is in [0, divisor) and returned just below
            rest = {m: c % divisor for m, c in rest.items() if c % divisor}
        rest_e = _from_poly(rest)
        if is_nonneg(rest_e) and is_nonneg(den - rest_e - 1):
            return rest_e
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
                if not dm and c // dc:  # a constant divisor
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
        if a == b:
            return a
        a_le_b = is_nonneg(b - a)
        b_le_a = is_nonneg(a - b)
        if a_le_b:
            return a if kind is Min else b
        if b_le_a:
            return b if kind is Min else a
        x, y = sorted((a, b), key=print_arith)
        return kind(x, y)

    # ---- rebuild ------------------------------------------------------------------------------------
    def rebuild(self, e: ArithExpr) -> ArithExpr:
        """Rebuild ``e`` bottom-up through this simplifier (applies the facts everywhere)."""
        return rebuild_with(e, [self.rebuild(c) for c in e.children()], self)


def _constant_divisor(num: ArithExpr, op: str, den: ArithExpr) -> int | None:
    """The value of the divisor ``den`` of ``num op den`` when it is a constant, which must be positive."""
    if not isinstance(den, Cst):
        return None
    if den.value <= 0:
        raise LiftValueError(
            f"size expression {num} {op} {den.value}: the divisor must be a positive integer (sizes and "
            f"strides are positive), found {den.value}"
        )
    return den.value


DEFAULT = Simplifier()
"""The simplifier of the ``ArithExpr`` operators: ranges only, no facts."""


def simplify(e: ArithLike, facts: Facts = NO_FACTS) -> ArithExpr:
    """The canonical form of ``e`` under ``facts``."""
    e = as_arith(e)
    if facts is NO_FACTS or not facts.divisible:
        return e
    return Simplifier(facts).rebuild(e)


# ======================================================================================================
# Rebuilding with new children: substitution, replacement
# ======================================================================================================


def rebuild_with(e: ArithExpr, kids: list[ArithExpr], simplifier: Simplifier = DEFAULT) -> ArithExpr:
    """``e`` with its children (``e.children()``) replaced by ``kids``, simplified again by ``simplifier``."""
    return _REBUILD(e, kids, simplifier)


_REBUILD: PerNodeKind[ArithExpr] = PerNodeKind(
    "rebuild",
    {
        Cst: lambda e, kids, s: e,
        Var: lambda e, kids, s: e,
        Sum: lambda e, kids, s: functools.reduce(s.add, kids, Cst(0)),
        Prod: lambda e, kids, s: functools.reduce(s.mul, kids, Cst(1)),
        FloorDiv: lambda e, kids, s: s.floordiv(*kids),
        Mod: lambda e, kids, s: s.mod(*kids),
        Min: lambda e, kids, s: s.minmax(Min, *kids),
        Max: lambda e, kids, s: s.minmax(Max, *kids),
    },
)


def substitute(e: ArithExpr, by_name: Mapping[str, ArithExpr]) -> ArithExpr:
    """``e`` with the variables named in ``by_name`` replaced, simplified again."""
    if isinstance(e, Var):
        return by_name.get(e.name, e)
    return rebuild_with(e, [substitute(c, by_name) for c in e.children()])


def replace_subterms(e: ArithExpr, mapping: Mapping[ArithExpr, ArithExpr]) -> ArithExpr:
    """``e`` with every subterm that is a key of ``mapping`` replaced by its value (outermost matches first),
    simplified again."""
    if e in mapping:
        return mapping[e]
    kids = e.children()
    if not kids:
        return e
    return rebuild_with(e, [replace_subterms(c, mapping) for c in kids])


def variables(exprs: Iterable[ArithExpr]) -> frozenset[Var]:
    """Every variable in any of ``exprs``."""
    out: frozenset[Var] = frozenset()
    for e in exprs:
        out |= e.free_vars()
    return out
