"""A small C AST for kernels, and its printer.

Statements are immutable values; expressions are plain strings already printed (index arithmetic is printed
from ``ArithExpr`` by :func:`c_index`, user-function calls by the code generator). The printer indents with
four spaces and prints what an expert would write: one declaration a line, ``for`` loops with named
variables, barriers with their fences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lift.types.arith import ArithExpr, print_arith

__all__ = [
    "Assign",
    "Barrier",
    "Block",
    "Comment",
    "Decl",
    "For",
    "Stmt",
    "barriers_in",
    "c_index",
    "comment_text",
    "print_block",
    "transform_loops",
    "with_index_type",
]


class Stmt:
    """Base class of statements."""

    __slots__ = ()


@dataclass(frozen=True)
class Block(Stmt):
    """A sequence of statements (printed without braces; loops add them)."""

    stmts: tuple[Stmt, ...] = ()
    """The statements, in order."""


@dataclass(frozen=True)
class Decl(Stmt):
    """``type name[size] = init;`` with an optional address-space qualifier."""

    c_type: str
    """The element type, e.g. ``float``."""
    name: str
    """The variable's name."""
    init: str | None = None
    """The initial value, if any."""
    space: str = ""
    """``local`` or ``private`` qualifier (private is printed without one)."""
    size: ArithExpr | None = None
    """Number of elements for an array, else ``None``."""


@dataclass(frozen=True)
class Assign(Stmt):
    """``lhs = rhs;``."""

    lhs: str
    """The target."""
    rhs: str
    """The value."""


@dataclass(frozen=True)
class For(Stmt):
    """``for (int var = start; var < stop; var += step) { body }``; a single iteration prints as a declaration."""

    var: str
    """The loop variable."""
    start: str
    """The first value."""
    stop: ArithExpr
    """The exclusive bound."""
    step: str
    """The increment."""
    body: Block
    """The loop body."""
    once: bool = False
    """True when the loop runs at most once per thread (the launch has as many threads as iterations, or
    more): printed as ``int var = start;``."""
    guard: bool = True
    """For ``once`` loops: whether ``var < stop`` must be checked (more threads than iterations)."""
    index_type: str = "int"
    """The C type of the variable: ``long`` where its values or the indices computed from it can reach
    ``2**31`` (see :mod:`lift.ocl.bounds`)."""


@dataclass(frozen=True)
class Barrier(Stmt):
    """``barrier(fences);`` for the work-group."""

    local: bool
    """Fence local memory."""
    global_: bool
    """Fence global memory."""
    reason: str = field(default="", compare=False)
    """Why it is needed (printed as a comment)."""


@dataclass(frozen=True)
class Comment(Stmt):
    """``// text``."""

    text: str
    """The comment."""


def comment_text(text: str) -> str:
    """``text`` made safe after ``//``: one line of printable ASCII with no backslash and no ``?``, so that
    nothing in it can end the comment or splice the next line into it (a trailing ``\\``, or the trigraph
    ``??/``, continues a C comment)."""
    return "".join(c if " " <= c <= "~" and c not in "\\?" else "_" for c in text)


def c_index(e: ArithExpr, minmax_type: str = "") -> str:
    """An integer expression in C: sums, products, ``/`` and ``%`` (operands are non-negative), min/max (with
    ``minmax_type``, their operands cast to it: OpenCL C's ``min(int, long)`` is ambiguous)."""
    return print_arith(e, div="/", positive_first=True, minmax_type=minmax_type)


def transform_loops(block: Block, fn: Callable[[For], For]) -> Block:
    """``block`` with every loop ``s`` (inner loops first) replaced by ``fn(s)``."""

    def rewrite(s: Stmt) -> Stmt:
        if isinstance(s, For):
            return fn(replace(s, body=transform_loops(s.body, fn)))
        if isinstance(s, Block):
            return transform_loops(s, fn)
        return s

    return Block(tuple(rewrite(s) for s in block.stmts))


def with_index_type(block: Block, variables: frozenset[str], index_type: str = "long") -> Block:
    """``block`` with the loops over ``variables`` declaring their variable as ``index_type``."""
    if not variables:
        return block
    return transform_loops(block, lambda s: replace(s, index_type=index_type) if s.var in variables else s)


def barriers_in(block: Block) -> list[Barrier]:
    """The barriers of ``block``, in order (inside loops too)."""
    out: list[Barrier] = []
    for s in block.stmts:
        if isinstance(s, Barrier):
            out.append(s)
        elif isinstance(s, For):
            out.extend(barriers_in(s.body))
        elif isinstance(s, Block):
            out.extend(barriers_in(s))
    return out


def print_block(block: Block, indent: int = 1) -> list[str]:
    """The lines of a block at the given indentation level."""
    pad = "    " * indent
    out: list[str] = []
    for s in block.stmts:
        if isinstance(s, Block):
            out.extend(print_block(s, indent))
        elif isinstance(s, Decl):
            qualifier = f"{s.space} " if s.space == "local" else ""
            size = f"[{c_index(s.size)}]" if s.size is not None else ""
            init = f" = {s.init}" if s.init is not None else ""
            out.append(f"{pad}{qualifier}{s.c_type} {s.name}{size}{init};")
        elif isinstance(s, Assign):
            out.append(f"{pad}{s.lhs} = {s.rhs};")
        elif isinstance(s, For):
            if s.once:
                # loop variables are unique within a kernel, so a one-trip loop needs no scope of its own
                out.append(f"{pad}{s.index_type} {s.var} = {s.start};")
                if s.guard:
                    out.append(f"{pad}if ({s.var} < {c_index(s.stop)}) {{")
                    out.extend(print_block(s.body, indent + 1))
                    out.append(f"{pad}}}")
                else:
                    out.extend(print_block(s.body, indent))
            else:
                step = "++" if s.step == "1" else f" += {s.step}"
                header = f"for ({s.index_type} {s.var} = {s.start}; {s.var} < {c_index(s.stop)}; {s.var}{step})"
                out.append(f"{pad}{header} {{")
                out.extend(print_block(s.body, indent + 1))
                out.append(f"{pad}}}")
        elif isinstance(s, Barrier):
            fences = [f for f, on in (("CLK_LOCAL_MEM_FENCE", s.local), ("CLK_GLOBAL_MEM_FENCE", s.global_)) if on]
            comment = f"  // {comment_text(s.reason)}" if s.reason else ""
            out.append(f"{pad}barrier({' | '.join(fences)});{comment}")
        elif isinstance(s, Comment):
            out.append(f"{pad}// {comment_text(s.text)}")
        else:
            raise TypeError(f"cannot print statement {type(s).__name__}")
    return out
