"""Printing ``ArithExpr`` as infix text: for people (``str``), for the simplifier's canonical order, and for C."""

from __future__ import annotations

from dataclasses import dataclass

from lift.types.arith_nodes import ArithExpr, Cst, FloorDiv, Max, Min, Mod, PerNodeKind, Prod, Sum, Var

__all__ = ["print_arith"]

# Binding strengths of a context: what ``parent`` means below.
_IN_SUM = 0
_IN_PRODUCT = 1
_ATOM = 2


@dataclass(frozen=True)
class _Style:
    """How to print, the same at every depth of one expression."""

    div: str
    """The floor-division operator (``//`` for Python, ``/`` for C)."""
    positive_first: bool
    """Print the positive terms of a sum before the negative ones."""
    minmax_type: str
    """The C type that the operands of ``min``/``max`` are cast to, or empty for none."""

    def text(self, e: ArithExpr, parent: int = _IN_SUM) -> str:
        return _PRINT(e, parent, self)

    def operand(self, x: ArithExpr) -> str:
        """An operand of ``min``/``max``, cast when asked (a nested ``min``/``max`` already has the type)."""
        if not self.minmax_type or isinstance(x, (Min, Max)):
            return self.text(x)
        return f"({self.minmax_type}){self.text(x, _ATOM)}"


_PLAIN = _Style("//", False, "")
"""The style of ``str(e)`` (and of the simplifier's canonical order, which sorts atoms by their text)."""


def print_arith(
    e: ArithExpr, *, parent: int = 0, div: str = "//", positive_first: bool = False, minmax_type: str = ""
) -> str:
    """Infix text of ``e``. ``parent`` is the binding strength of the context (0 sum, 1 product, 2 atom);
    ``div`` the floor-division operator (``/`` for C, where operands are non-negative); ``positive_first``
    puts positive terms first, so that ``15 - i`` reads as written by hand rather than ``-i + 15``;
    ``minmax_type`` (C) casts the operands of ``min``/``max`` to that type, since OpenCL C's overloads need
    both of one type (an ``int`` constant against a ``long`` index is ambiguous)."""
    style = (
        _PLAIN if (div, positive_first, minmax_type) == ("//", False, "") else _Style(div, positive_first, minmax_type)
    )
    return _PRINT(e, parent, style)


def _print_cst(e: Cst, parent: int, style: _Style) -> str:
    text = str(e.value)
    return f"({text})" if e.value < 0 and parent > _IN_SUM else text


def _print_var(e: Var, parent: int, style: _Style) -> str:
    return e.name


def _print_sum(e: Sum, parent: int, style: _Style) -> str:
    terms = list(e.terms)
    if style.positive_first:
        terms = [t for t in terms if _negated(t) is None] + [t for t in terms if _negated(t) is not None]
    out = style.text(terms[0], _IN_SUM)
    for t in terms[1:]:
        neg = _negated(t)
        out += f" - {style.text(neg, _IN_PRODUCT)}" if neg is not None else f" + {style.text(t, _IN_SUM)}"
    return f"({out})" if parent > _IN_SUM else out


def _print_prod(e: Prod, parent: int, style: _Style) -> str:
    fs = list(e.factors)
    if isinstance(fs[0], Cst) and fs[0].value == -1:
        text = "-" + "*".join(style.text(f, _ATOM) for f in fs[1:])
    else:
        text = "*".join(style.text(f, _ATOM) for f in fs)
    return f"({text})" if parent > _IN_PRODUCT else text


def _print_division(op: str, e: FloorDiv | Mod, parent: int, style: _Style) -> str:
    text = f"{style.text(e.num, _ATOM)} {op} {style.text(e.den, _ATOM)}"
    return f"({text})" if parent > _IN_SUM else text


def _negated(t: ArithExpr) -> ArithExpr | None:
    """``-t`` when ``t`` carries a negative coefficient (for printing ``a - b``), else ``None``."""
    if isinstance(t, Cst) and t.value < 0:
        return Cst(-t.value)
    if isinstance(t, Prod) and isinstance(t.factors[0], Cst) and t.factors[0].value < 0:
        c = -t.factors[0].value
        rest = t.factors[1:]
        return rest[0] if c == 1 and len(rest) == 1 else Prod(((Cst(c),) if c != 1 else ()) + rest)
    return None


_PRINT: PerNodeKind[str] = PerNodeKind(
    "print",
    {
        Cst: _print_cst,
        Var: _print_var,
        Sum: _print_sum,
        Prod: _print_prod,
        FloorDiv: lambda e, parent, style: _print_division(style.div, e, parent, style),
        Mod: lambda e, parent, style: _print_division("%", e, parent, style),
        Min: lambda e, parent, style: f"min({style.operand(e.a)}, {style.operand(e.b)})",
        Max: lambda e, parent, style: f"max({style.operand(e.a)}, {style.operand(e.b)})",
    },
)
