"""The kernel plan: a kernel as immutable data, between code generation and printing.

Code generation (:mod:`lift.ocl.codegen`) turns a lowered program into a plan; passes (:mod:`lift.ocl.passes`,
:mod:`lift.ocl.barriers`) are functions from plan to plan; the printer (:mod:`lift.ocl.printer`) turns the final
plan into OpenCL C and is the only place that knows C's spelling. Nothing here is C text: indices are
:class:`~lift.types.arith.ArithExpr`, values are expression nodes (loads, user-function calls, literals), and
every statement carries the memory accesses it makes (with the loops around them), so that an analysis reads a
statement's accesses without re-deriving them and a pass can rewrite an index without parsing anything.

The data flow is ``lower → codegen (plan) → barriers → bounds → passes (guards, index types, hoisting) → print``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from lift.dsl.levels import Level
from lift.types.arith import ArithExpr, Cst, Var, is_nonneg, maximum, minimum
from lift.types.data import DataType, ScalarType, TupleType

__all__ = [
    "Access",
    "Barrier",
    "Block",
    "Buffer",
    "Call",
    "Constant",
    "Declare",
    "Field",
    "For",
    "Guard",
    "Guarded",
    "Index",
    "Load",
    "Loop",
    "Pack",
    "Select",
    "Set",
    "Stmt",
    "Store",
    "Value",
    "Variable",
    "accesses_in",
    "accesses_of",
    "barriers_in",
    "loops_in",
    "map_indices",
    "transform_loops",
]


# ---- memory -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Buffer:
    """One array of scalars in some address space."""

    name: str
    """The C name."""
    scalar: ScalarType
    """The element type."""
    space: str
    """``global``, ``local`` or ``private`` (``global`` for inputs and outputs)."""
    size: ArithExpr
    """Number of elements."""
    role: str = "temp"
    """``input``, ``output`` or ``temp``."""
    holds: str = ""
    """What it holds, in the program's words (``the output of map1``, ``parameter x``), for messages."""

    @property
    def described(self) -> str:
        """How messages name it: what it holds, in the program's words (``the output of map1``)."""
        return self.holds or self.name


@dataclass(frozen=True)
class Guard:
    """``lo <= value < hi``: the condition under which a padded access reads real data."""

    value: ArithExpr
    """The index tested."""
    lo: ArithExpr
    """Inclusive lower bound."""
    hi: ArithExpr
    """Exclusive upper bound."""

    def map(self, fn: Callable[[ArithExpr], ArithExpr]) -> Guard:
        return Guard(fn(self.value), fn(self.lo), fn(self.hi))

    @staticmethod
    def merged(guards: tuple[Guard, ...]) -> tuple[Guard, ...]:
        """The same conditions with guards on values that differ by a constant folded into one (``1 <= i`` and
        ``0 <= i - 1 < 7`` become ``1 <= i < 8``)."""
        out: list[Guard] = []
        for g in guards:
            for k, h in enumerate(out):
                shift = g.value - h.value
                if isinstance(shift, Cst):  # lo <= h.value + shift < hi
                    out[k] = Guard(h.value, maximum(h.lo, g.lo - shift), minimum(h.hi, g.hi - shift))
                    break
            else:
                out.append(g)
        return tuple(out)

    def tests(self) -> list[tuple[ArithExpr, str, ArithExpr]]:
        """The comparisons the guard needs (``lo <= value``, ``value < hi``), leaving out those that always
        hold."""
        needed = []
        if not is_nonneg(self.value - self.lo):
            needed.append((self.lo, "<=", self.value))
        if not is_nonneg(self.hi - self.value - 1):
            needed.append((self.value, "<", self.hi))
        return needed


@dataclass(frozen=True)
class Loop:
    """A loop of the kernel: a map (or a reduction, or a copy) at some level of the thread hierarchy."""

    var: Var
    """The loop variable, with its range ``0 <= var < extent``."""
    at: Level
    """Its level: ``seq``, or a parallel level and NDRange dimension."""
    label: str = ""
    """The map's label, for messages."""

    @property
    def extent(self) -> ArithExpr:
        assert self.var.hi is not None
        return self.var.hi

    @property
    def level(self) -> str:
        """The level's kind: ``glb``, ``wrg``, ``lcl`` or ``seq``."""
        return self.at.kind

    @property
    def dim(self) -> int:
        """The NDRange dimension of a parallel level (0 for ``seq``)."""
        return self.at.dim


@dataclass(frozen=True)
class Access:
    """One read or write of a buffer element, with the loops around it."""

    buffer: Buffer
    """The buffer."""
    write: bool
    """True for a write."""
    index: ArithExpr
    """The element index."""
    guards: tuple[Guard, ...]
    """Conditions under which the access happens (constant padding)."""
    loops: tuple[Loop, ...]
    """The enclosing loops, outermost first."""


# ---- values -------------------------------------------------------------------------------------------
class Value:
    """A scalar or tuple value computed inside a statement."""

    __slots__ = ()


@dataclass(frozen=True)
class Constant(Value):
    """A constant, already spelled as its C literal (``1.5f``)."""

    text: str
    """The literal."""
    type: DataType
    """Its type."""


@dataclass(frozen=True)
class Variable(Value):
    """A named private variable: an accumulator, a private scalar, a tuple temporary, a hoisted index."""

    name: str
    """The C name."""
    type: DataType
    """Its type."""


@dataclass(frozen=True)
class Load(Value):
    """``buffer[index]``."""

    buffer: Buffer
    """The buffer read."""
    index: ArithExpr
    """The element index."""


@dataclass(frozen=True)
class Call(Value):
    """A user-function call ``function(args…)``."""

    function: str
    """The function's C name."""
    args: tuple[Value, ...]
    """The arguments."""
    type: DataType
    """The result type."""


@dataclass(frozen=True)
class Select(Value):
    """``guard ? inside : outside`` (constant padding)."""

    guard: Guard
    """When ``inside`` is read."""
    inside: Value
    """The real data."""
    outside: Value
    """The padding value."""


@dataclass(frozen=True)
class Guarded(Value):
    """A place that is written only where ``guard`` holds (only as the target of a store: see
    :class:`lift.ocl.views.LayoutWriteView`)."""

    guard: Guard
    """When the place is written."""
    target: Value
    """The place."""


@dataclass(frozen=True)
class Pack(Value):
    """A tuple assembled from its components."""

    type: TupleType
    """The tuple type."""
    parts: tuple[Value, ...]
    """The components."""


@dataclass(frozen=True)
class Field(Value):
    """Component ``k`` of a tuple value."""

    value: Value
    """The tuple."""
    k: int
    """The component."""


@dataclass(frozen=True)
class Index(Value):
    """An integer index expression used as a value (the initial value of a hoisted index variable)."""

    expr: ArithExpr
    """The expression."""


# ---- statements ---------------------------------------------------------------------------------------
class Stmt:
    """A statement. ``accesses`` lists the memory accesses it makes (a loop: every access in its body)."""

    __slots__ = ()

    accesses: tuple[Access, ...]


@dataclass(frozen=True)
class Block(Stmt):
    """A sequence of statements (printed without braces; loops add them)."""

    stmts: tuple[Stmt, ...] = ()
    """The statements, in order."""

    @property
    def accesses(self) -> tuple[Access, ...]:  # type: ignore[override]
        return tuple(a for s in self.stmts for a in s.accesses)


@dataclass(frozen=True)
class Declare(Stmt):
    """A variable or array declaration: ``type name[size] = init;`` in private or local memory."""

    name: str
    """The C name."""
    type: DataType
    """The element type (scalar or tuple)."""
    init: Value | None = None
    """The initial value, if any."""
    space: str = "private"
    """``private`` or ``local``."""
    size: ArithExpr | None = None
    """Number of elements for an array, else ``None``."""
    index_type: str = ""
    """For a hoisted index variable: its C integer type (``int`` or ``long``); empty otherwise."""
    accesses: tuple[Access, ...] = field(default=(), compare=False)
    """The reads its initial value makes."""


@dataclass(frozen=True)
class Store(Stmt):
    """``buffer[index] = value``, only where every guard holds (a result cropped by ``take``/``drop`` keeps
    some of the elements computed)."""

    buffer: Buffer
    """The buffer written."""
    index: ArithExpr
    """The element index."""
    value: Value
    """The value stored."""
    guards: tuple[Guard, ...] = ()
    """Conditions under which the store happens (none: always)."""
    accesses: tuple[Access, ...] = field(default=(), compare=False)
    """The write, and the reads ``value`` makes."""


@dataclass(frozen=True)
class Set(Stmt):
    """``target = value`` for a private variable (or a component of one)."""

    target: Value
    """A :class:`Variable` or a :class:`Field` of one."""
    value: Value
    """The value assigned."""
    accesses: tuple[Access, ...] = field(default=(), compare=False)
    """The reads ``value`` makes."""


@dataclass(frozen=True)
class For(Stmt):
    """A loop at its level: a plain ``for`` (``seq``), or a loop over the thread ids of a parallel level, strided
    by their count — or, when the launch has a thread per iteration (``once``), a single iteration."""

    loop: Loop
    """The loop variable, level, dimension and label."""
    body: Block
    """The loop body."""
    once: bool = False
    """True when the loop runs at most once per thread (the launch has as many threads as iterations, or
    more): printed as a declaration of its variable."""
    guard: bool = True
    """For ``once`` loops: whether ``var < extent`` must be checked (more threads than iterations)."""
    index_type: str = "int"
    """The C type of the variable: ``long`` where its values or the indices computed from it can reach
    ``2**31`` (see :mod:`lift.ocl.bounds`)."""
    accesses: tuple[Access, ...] = field(default=(), compare=False)
    """Every access made in the body."""

    @property
    def var(self) -> str:
        return self.loop.var.name

    @property
    def stop(self) -> ArithExpr:
        return self.loop.extent


@dataclass(frozen=True)
class Barrier(Stmt):
    """``barrier(fences)`` for the work-group."""

    local: bool
    """Fence local memory."""
    global_: bool
    """Fence global memory."""
    reason: str = field(default="", compare=False)
    """Why it is needed (printed as a comment)."""

    @property
    def accesses(self) -> tuple[Access, ...]:  # type: ignore[override]
        return ()


# ---- traversals ---------------------------------------------------------------------------------------
def _statements(block: Block) -> Iterator[Stmt]:
    for s in block.stmts:
        yield s
        if isinstance(s, For):
            yield from _statements(s.body)
        elif isinstance(s, Block):
            yield from _statements(s)


def loops_in(block: Block) -> list[For]:
    """Every loop of ``block``, outer loops before the loops they hold."""
    return [s for s in _statements(block) if isinstance(s, For)]


def barriers_in(block: Block) -> list[Barrier]:
    """The barriers of ``block``, in order (inside loops too)."""
    return [s for s in _statements(block) if isinstance(s, Barrier)]


def accesses_in(block: Block) -> list[Access]:
    """Every access the statements of ``block`` make, each statement's once (loops hold their bodies')."""
    return [a for s in _statements(block) if not isinstance(s, (For, Block)) for a in s.accesses]


def accesses_of(stmt: Stmt, loops: tuple[Loop, ...]) -> tuple[Access, ...]:
    """The accesses a statement (not a loop) makes inside ``loops``: every load in its values (a load under a
    padding select only when the guard holds), and a store's write."""
    found: list[Access] = []

    def reads(v: Value | None, guards: tuple[Guard, ...]) -> None:
        if isinstance(v, Load):
            found.append(Access(v.buffer, False, v.index, guards, loops))
        elif isinstance(v, Call):
            for a in v.args:
                reads(a, guards)
        elif isinstance(v, Select):
            reads(v.inside, (*guards, v.guard))
            reads(v.outside, guards)
        elif isinstance(v, Pack):
            for p in v.parts:
                reads(p, guards)
        elif isinstance(v, Field):
            reads(v.value, guards)

    if isinstance(stmt, Store):
        reads(stmt.value, ())
        found.append(Access(stmt.buffer, True, stmt.index, stmt.guards, loops))
    elif isinstance(stmt, Set):
        reads(stmt.value, ())
    elif isinstance(stmt, Declare):
        reads(stmt.init, ())
    return tuple(found)


def transform_loops(block: Block, fn: Callable[[For], For]) -> Block:
    """``block`` with every loop ``s`` (inner loops first) replaced by ``fn(s)``."""

    def rewrite(s: Stmt) -> Stmt:
        if isinstance(s, For):
            return fn(replace(s, body=transform_loops(s.body, fn)))
        if isinstance(s, Block):
            return transform_loops(s, fn)
        return s

    return Block(tuple(rewrite(s) for s in block.stmts))


def map_indices(stmt: Stmt, fn: Callable[[ArithExpr], ArithExpr]) -> Stmt:
    """``stmt`` with ``fn`` applied to every index expression it prints (loads, stores, guards, array sizes,
    loop bounds), through loop bodies. The recorded accesses are kept as they were: they describe what the
    statement touches, which a rewrite of how an index is spelled does not change."""

    def value(v: Value) -> Value:
        if isinstance(v, Load):
            return Load(v.buffer, fn(v.index))
        if isinstance(v, Call):
            return Call(v.function, tuple(value(a) for a in v.args), v.type)
        if isinstance(v, Select):
            return Select(v.guard.map(fn), value(v.inside), value(v.outside))
        if isinstance(v, Pack):
            return Pack(v.type, tuple(value(p) for p in v.parts))
        if isinstance(v, Field):
            return Field(value(v.value), v.k)
        if isinstance(v, Index):
            return Index(fn(v.expr))
        return v

    if isinstance(stmt, Block):
        return Block(tuple(map_indices(s, fn) for s in stmt.stmts))
    if isinstance(stmt, Store):
        guards = tuple(g.map(fn) for g in stmt.guards)
        return replace(stmt, index=fn(stmt.index), value=value(stmt.value), guards=guards)
    if isinstance(stmt, Set):
        return replace(stmt, target=value(stmt.target), value=value(stmt.value))
    if isinstance(stmt, Declare):
        init = value(stmt.init) if stmt.init is not None else None
        size = fn(stmt.size) if stmt.size is not None else None
        return replace(stmt, init=init, size=size)
    if isinstance(stmt, For):
        body = map_indices(stmt.body, fn)
        assert isinstance(body, Block)
        hi = fn(stmt.loop.extent)
        loop = replace(stmt.loop, var=Var(stmt.loop.var.name, stmt.loop.var.lo, hi))
        return replace(stmt, loop=loop, body=body)
    return stmt
