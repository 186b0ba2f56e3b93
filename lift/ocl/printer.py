"""The last step: a kernel plan printed as OpenCL C.

Every decision has been made before this module runs (barriers, guards, index types, hoisted indices); printing
is a direct reading of the plan. It indents with four spaces and prints what an expert would write: one
declaration a line, ``for`` loops with named variables, one-iteration parallel loops as declarations of their
thread id, barriers with their fences and why they are there.
"""

from __future__ import annotations

from lift.dsl.userfun_syntax import default_struct_name
from lift.errors import LiftInternalError
from lift.ocl.plan import (
    Barrier,
    Block,
    Call,
    Constant,
    Declare,
    Field,
    For,
    Guard,
    Index,
    Load,
    Pack,
    Select,
    Set,
    Store,
    Value,
    Variable,
)
from lift.types.arith import ArithExpr, print_arith
from lift.types.data import DataType, ScalarType, TupleType

__all__ = ["Printer", "c_index", "c_type", "comment_text"]


def comment_text(text: str) -> str:
    """``text`` made safe after ``//``: one line of printable ASCII with no backslash and no ``?``, so that
    nothing in it can end the comment or splice the next line into it (a trailing ``\\``, or the trigraph
    ``??/``, continues a C comment)."""
    return "".join(c if " " <= c <= "~" and c not in "\\?" else "_" for c in text)


def c_index(e: ArithExpr, minmax_type: str = "") -> str:
    """An integer expression in C: sums, products, ``/`` and ``%`` (operands are non-negative), min/max (with
    ``minmax_type``, their operands cast to it: OpenCL C's ``min(int, long)`` is ambiguous)."""
    return print_arith(e, div="/", positive_first=True, minmax_type=minmax_type)


def c_type(t: DataType) -> str:
    """The C name of a scalar or tuple type."""
    if isinstance(t, TupleType):
        return default_struct_name(t)
    if isinstance(t, ScalarType):
        return t.c_name
    raise LiftInternalError(f"no C type for {t}: arrays are buffers, not values")


class Printer:
    """Prints plan values and statements; ``minmax_type`` casts the operands of index ``min``/``max`` (``long``
    in a kernel with 64-bit indices)."""

    def __init__(self, minmax_type: str = "") -> None:
        self.minmax_type = minmax_type

    def index(self, e: ArithExpr) -> str:
        return c_index(e, self.minmax_type)

    def condition(self, guards: tuple[Guard, ...]) -> str:
        """The C test that every guard holds (empty when each always does)."""
        tests = [t for g in guards for t in g.tests()]
        return " && ".join(f"{self.index(a)} {op} {self.index(b)}" for a, op, b in tests)

    def value(self, v: Value) -> str:
        if isinstance(v, Constant):
            return v.text
        if isinstance(v, Variable):
            return v.name
        if isinstance(v, Load):
            return f"{v.buffer.name}[{self.index(v.index)}]"
        if isinstance(v, Call):
            return f"{v.function}({', '.join(self.value(a) for a in v.args)})"
        if isinstance(v, Select):
            condition = self.condition((v.guard,))
            if not condition:
                return self.value(v.inside)
            return f"({condition} ? {self.value(v.inside)} : {self.value(v.outside)})"
        if isinstance(v, Pack):
            return f"({c_type(v.type)}){{{', '.join(self.value(p) for p in v.parts)}}}"
        if isinstance(v, Field):
            return f"{self.value(v.value)}._{v.k}"
        if isinstance(v, Index):
            return self.index(v.expr)
        raise LiftInternalError(f"the printer has no rule for the value {type(v).__name__}")

    def block(self, block: Block, indent: int = 1) -> list[str]:
        """The lines of a block at the given indentation level."""
        pad = "    " * indent
        out: list[str] = []
        for s in block.stmts:
            if isinstance(s, Block):
                out.extend(self.block(s, indent))
            elif isinstance(s, Declare):
                qualifier = "local " if s.space == "local" else "const " if s.index_type else ""
                type_name = s.index_type or c_type(s.type)
                size = f"[{self.index(s.size)}]" if s.size is not None else ""
                init = f" = {self.value(s.init)}" if s.init is not None else ""
                out.append(f"{pad}{qualifier}{type_name} {s.name}{size}{init};")
            elif isinstance(s, Store):
                store = f"{s.buffer.name}[{self.index(s.index)}] = {self.value(s.value)};"
                condition = self.condition(s.guards)
                if condition:
                    store = f"if ({condition}) {store}"
                out.append(f"{pad}{store}")
            elif isinstance(s, Set):
                out.append(f"{pad}{self.value(s.target)} = {self.value(s.value)};")
            elif isinstance(s, For):
                out.extend(self.loop(s, indent))
            elif isinstance(s, Barrier):
                fences = [f for f, on in (("CLK_LOCAL_MEM_FENCE", s.local), ("CLK_GLOBAL_MEM_FENCE", s.global_)) if on]
                comment = f"  // {comment_text(s.reason)}" if s.reason else ""
                out.append(f"{pad}barrier({' | '.join(fences)});{comment}")
            else:
                raise LiftInternalError(f"the printer has no rule for the statement {type(s).__name__}")
        return out

    def loop(self, s: For, indent: int) -> list[str]:
        pad = "    " * indent
        level = s.loop.at
        if level.is_parallel:
            start, step = f"{level.id_function}({level.dim})", f"{level.size_function}({level.dim})"
        else:
            start, step = "0", ""
        stop = self.index(s.stop)
        if s.once:
            # loop variables are unique within a kernel, so a one-trip loop needs no scope of its own
            lines = [f"{pad}{s.index_type} {s.var} = {start};"]
            if not s.guard:
                return lines + self.block(s.body, indent)
            return [*lines, f"{pad}if ({s.var} < {stop}) {{", *self.block(s.body, indent + 1), f"{pad}}}"]
        increment = f" += {step}" if step else "++"
        header = f"for ({s.index_type} {s.var} = {start}; {s.var} < {stop}; {s.var}{increment})"
        return [f"{pad}{header} {{", *self.block(s.body, indent + 1), f"{pad}}}"]
