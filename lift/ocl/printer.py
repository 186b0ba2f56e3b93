"""The last step: a kernel plan printed as OpenCL C.

Every decision has been made before this module runs (barriers, guards, index types, hoisted indices); printing
is a direct reading of the plan. It indents with four spaces and prints what an expert would write: one
declaration a line, ``for`` loops with named variables, one-iteration parallel loops as declarations of their
thread id, barriers with their fences and why they are there.
"""

from __future__ import annotations

from lift.dsl.mapper import NodeMapper
from lift.dsl.userfun_syntax import c_type as userfun_c_type
from lift.dsl.userfun_syntax import default_struct_name
from lift.errors import LiftInternalError
from lift.ocl.plan import (
    Barrier,
    Block,
    Buffer,
    Call,
    Constant,
    Declare,
    Field,
    For,
    Guard,
    Guarded,
    Index,
    LaneOf,
    Load,
    Pack,
    Select,
    Set,
    Stmt,
    Store,
    Value,
    Variable,
    VectorOf,
    consecutive,
    type_of,
)
from lift.types.arith import ArithExpr, Cst, print_arith
from lift.types.data import DataType

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
    """The C name of a scalar or tuple type (tuples are structs named by :func:`default_struct_name`, as in the
    user functions' C)."""
    return userfun_c_type(t, default_struct_name)


class Printer(NodeMapper[str]):
    """Prints plan values (``printer(value)`` is its C text) and statements (:meth:`block`); ``minmax_type`` casts
    the operands of index ``min``/``max`` (``long`` in a kernel with 64-bit indices)."""

    covers = (Value,)

    def __init__(self, minmax_type: str = "") -> None:
        self.minmax_type = minmax_type
        self._statement = _StatementPrinter(self)

    def index(self, e: ArithExpr) -> str:
        return c_index(e, self.minmax_type)

    def condition(self, guards: tuple[Guard, ...]) -> str:
        """The C test that every guard holds (empty when each always does)."""
        tests = [t for g in guards for t in g.tests()]
        return " && ".join(f"{self.index(a)} {op} {self.index(b)}" for a, op, b in tests)

    def block(self, block: Block, indent: int = 1) -> list[str]:
        """The lines of a block at the given indentation level."""
        return [line for s in block.stmts for line in self._statement(s, "    " * indent)]

    # ---- values ----------------------------------------------------------------------------------------
    def map_constant(self, v: Constant) -> str:
        return v.text

    def map_variable(self, v: Variable) -> str:
        return v.name

    def map_load(self, v: Load) -> str:
        return f"{v.buffer.name}[{self.index(v.index)}]"

    def map_call(self, v: Call) -> str:
        return f"{v.function}({', '.join(self(a) for a in v.args)})"

    def map_select(self, v: Select) -> str:
        condition = self.condition((v.guard,))
        if not condition:
            return self(v.inside)
        return f"({condition} ? {self(v.inside)} : {self(v.outside)})"

    def map_pack(self, v: Pack) -> str:
        return f"({c_type(v.type)}){{{', '.join(self(p) for p in v.parts)}}}"

    def map_field(self, v: Field) -> str:
        return f"{self(v.value)}._{v.k}"

    def map_index(self, v: Index) -> str:
        return self.index(v.expr)

    def map_vector_of(self, v: VectorOf) -> str:
        run = consecutive(v.lanes)
        if run is not None:
            return f"vload{v.type.lanes}({self.vector_address(run[0], run[1], v.type.lanes)})"
        return f"({v.type.c_name})({', '.join(self(x) for x in v.lanes)})"

    def map_lane_of(self, v: LaneOf) -> str:
        vector = self(v.value)
        if not vector.isidentifier():
            vector = f"({vector})"
        return f"{vector}.s{v.k:x}"

    def vector_address(self, buffer: Buffer, index: ArithExpr, lanes: int) -> str:
        """``vloadN``'s and ``vstoreN``'s offset and pointer for the ``lanes`` elements of ``buffer`` from
        ``index`` on: ``q, buf`` when ``index`` is ``lanes * q``, else ``0, buf + index``."""
        if index % lanes == Cst(0):
            return f"{self.index(index // lanes)}, {buffer.name}"
        return f"0, {buffer.name} + {self.index(index)}"

    def map_guarded(self, v: Guarded) -> str:
        # code generation turns a guarded place into the guards of the store that writes it
        raise LiftInternalError(f"the printer has no rule for the value {type(v).__name__}")


class _StatementPrinter(NodeMapper[list[str]]):
    """The lines of a statement, each starting with the indentation ``pad``."""

    covers = (Stmt,)

    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        """Prints the values and nested blocks."""

    def map_block(self, s: Block, pad: str) -> list[str]:
        return [line for x in s.stmts for line in self(x, pad)]

    def map_declare(self, s: Declare, pad: str) -> list[str]:
        p = self.printer
        qualifier = "local " if s.space == "local" else "const " if s.index_type else ""
        type_name = s.index_type or c_type(s.type)
        size = f"[{p.index(s.size)}]" if s.size is not None else ""
        init = f" = {p(s.init)}" if s.init is not None else ""
        return [f"{pad}{qualifier}{type_name} {s.name}{size}{init};"]

    def map_store(self, s: Store, pad: str) -> list[str]:
        p = self.printer
        lanes = type_of(s.value).vector_lanes()
        if lanes > 1:
            store = f"vstore{lanes}({p(s.value)}, {p.vector_address(s.buffer, s.index, lanes)});"
        else:
            store = f"{s.buffer.name}[{p.index(s.index)}] = {p(s.value)};"
        condition = p.condition(s.guards)
        if condition:
            store = f"if ({condition}) {store}"
        return [f"{pad}{store}"]

    def map_set(self, s: Set, pad: str) -> list[str]:
        return [f"{pad}{self.printer(s.target)} = {self.printer(s.value)};"]

    def map_barrier(self, s: Barrier, pad: str) -> list[str]:
        fences = [f for f, on in (("CLK_LOCAL_MEM_FENCE", s.local), ("CLK_GLOBAL_MEM_FENCE", s.global_)) if on]
        comment = f"  // {comment_text(s.reason)}" if s.reason else ""
        return [f"{pad}barrier({' | '.join(fences)});{comment}"]

    def map_for(self, s: For, pad: str) -> list[str]:
        inner = pad + "    "
        level = s.loop.at
        if level.is_parallel:
            start, step = f"{level.id_function}({level.dim})", f"{level.size_function}({level.dim})"
        else:
            start, step = "0", ""
        stop = self.printer.index(s.stop)
        if s.once:
            # loop variables are unique within a kernel, so a one-trip loop needs no scope of its own
            lines = [f"{pad}{s.index_type} {s.var} = {start};"]
            if not s.guard:
                return lines + self.map_block(s.body, pad)
            return [*lines, f"{pad}if ({s.var} < {stop}) {{", *self.map_block(s.body, inner), f"{pad}}}"]
        increment = f" += {step}" if step else "++"
        header = f"for ({s.index_type} {s.var} = {start}; {s.var} < {stop}; {s.var}{increment})"
        pragma = [f"{pad}#pragma unroll"] if s.unroll else []
        return [*pragma, f"{pad}{header} {{", *self.map_block(s.body, inner), f"{pad}}}"]
