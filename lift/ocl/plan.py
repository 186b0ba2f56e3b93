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
from typing import Any, TypeVar, cast, overload

from lift.dsl.levels import Level
from lift.dsl.mapper import NodeMapper, refuse_unhandled
from lift.types.arith import ArithExpr, Cst, Var, is_nonneg, maximum, minimum
from lift.types.data import DataType, ScalarType, TupleType, VectorType, i64

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
    "LaneOf",
    "Load",
    "Loop",
    "Pack",
    "Select",
    "Set",
    "Stmt",
    "Store",
    "Value",
    "Variable",
    "VectorOf",
    "accesses_in",
    "accesses_of",
    "barriers_in",
    "consecutive",
    "lane",
    "loops_in",
    "map_indices",
    "statements_in",
    "transform_loops",
    "type_of",
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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_unhandled(cls)


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


@dataclass(frozen=True)
class VectorOf(Value):
    """A vector assembled from its lanes (printed ``vloadN`` when they are consecutive elements of one buffer); as
    the target of a store, the places its lanes are written to."""

    type: VectorType
    """The vector type."""
    lanes: tuple[Value, ...]
    """One scalar value (or place) per lane, in order."""


@dataclass(frozen=True)
class LaneOf(Value):
    """Lane ``k`` of a vector value (``v.s2``)."""

    value: Value
    """The vector."""
    k: int
    """The lane."""


def lane(value: Value, k: int) -> Value:
    """Lane ``k`` of the vector ``value``: the lane itself when the vector is assembled from its lanes."""
    return value.lanes[k] if isinstance(value, VectorOf) else LaneOf(value, k)


# ---- statements ---------------------------------------------------------------------------------------
class Stmt:
    """A statement. ``accesses`` lists the memory accesses it makes (a loop: every access in its body)."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_unhandled(cls)

    accesses: tuple[Access, ...]

    @property
    def nested(self) -> tuple[Stmt, ...]:
        """The statements it holds, in order: a block's, a loop body's (none for a simple statement)."""
        return ()


@dataclass(frozen=True)
class Block(Stmt):
    """A sequence of statements (printed without braces; loops add them)."""

    stmts: tuple[Stmt, ...] = ()
    """The statements, in order."""

    @property
    def nested(self) -> tuple[Stmt, ...]:
        return self.stmts

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
    some of the elements computed); a vector value fills its lanes' consecutive elements from ``index`` on
    (``vstoreN``)."""

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
    unroll: bool = False
    """Whether the compiler is asked to unroll it (``#pragma unroll``): a loop of known length over the elements
    of a private array, which then lives in registers."""

    @property
    def var(self) -> str:
        return self.loop.var.name

    @property
    def nested(self) -> tuple[Stmt, ...]:
        return self.body.stmts

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
S = TypeVar("S", bound=Stmt)


def _statements(stmts: tuple[Stmt, ...]) -> Iterator[Stmt]:
    for s in stmts:
        yield s
        yield from _statements(s.nested)


def statements_in(block: Block, kind: type[S]) -> list[S]:
    """The statements of class ``kind`` in ``block``, inside loops too, in order (a loop before what it holds)."""
    return [s for s in _statements(block.stmts) if isinstance(s, kind)]


def loops_in(block: Block) -> list[For]:
    """Every loop of ``block``, outer loops before the loops they hold."""
    return statements_in(block, For)


def barriers_in(block: Block) -> list[Barrier]:
    """The barriers of ``block``, in order (inside loops too)."""
    return statements_in(block, Barrier)


def accesses_in(block: Block) -> list[Access]:
    """Every access the statements of ``block`` make, each statement's once (loops hold their bodies')."""
    # a block's or a loop's accesses are those of the statements it holds, which the walk visits too
    return [a for s in _statements(block.stmts) if not s.nested for a in s.accesses]


def accesses_of(stmt: Stmt, loops: tuple[Loop, ...]) -> tuple[Access, ...]:
    """The accesses a statement (not a loop) makes inside ``loops``: every load in its values (a load under a
    padding select only when the guard holds), and a store's write."""
    found = _Accesses(loops)
    found(stmt)
    return tuple(found.accesses)


class _Accesses(NodeMapper[None]):
    """Collects the accesses of the statements and values it is called on; a value is given the guards of the
    padding selects it is read under."""

    covers = (Value, Stmt)

    def __init__(self, loops: tuple[Loop, ...]) -> None:
        self.loops = loops
        """The loops around the statement."""
        self.accesses: list[Access] = []
        """What was found, in order."""

    def map_load(self, v: Load, guards: tuple[Guard, ...]) -> None:
        self.accesses.append(Access(v.buffer, False, v.index, guards, self.loops))

    def map_call(self, v: Call, guards: tuple[Guard, ...]) -> None:
        for a in v.args:
            self(a, guards)

    def map_select(self, v: Select, guards: tuple[Guard, ...]) -> None:
        self(v.inside, (*guards, v.guard))
        self(v.outside, guards)

    def map_pack(self, v: Pack, guards: tuple[Guard, ...]) -> None:
        for p in v.parts:
            self(p, guards)

    def map_field(self, v: Field, guards: tuple[Guard, ...]) -> None:
        self(v.value, guards)

    def map_vector_of(self, v: VectorOf, guards: tuple[Guard, ...]) -> None:
        for x in v.lanes:
            self(x, guards)

    def map_lane_of(self, v: LaneOf, guards: tuple[Guard, ...]) -> None:
        self(v.value, guards)

    def _reads_nothing(self, v: Value, guards: tuple[Guard, ...]) -> None:
        pass

    map_constant = map_variable = map_guarded = map_index = _reads_nothing

    def map_store(self, s: Store) -> None:
        self(s.value, ())
        for k in range(type_of(s.value).vector_lanes()):  # a vector's lanes: consecutive elements
            self.accesses.append(Access(s.buffer, True, s.index + k, s.guards, self.loops))

    def map_set(self, s: Set) -> None:
        self(s.value, ())

    def map_declare(self, s: Declare) -> None:
        if s.init is not None:
            self(s.init, ())

    def _makes_none_itself(self, s: Stmt) -> None:
        """A block or a loop: its accesses are those of the statements it holds, found where they are."""

    map_block = map_for = map_barrier = _makes_none_itself


def transform_loops(block: Block, fn: Callable[[For], For]) -> Block:
    """``block`` with every loop ``s`` (inner loops first) replaced by ``fn(s)``."""
    return _LoopsRewritten(fn).block(block)


class _LoopsRewritten(NodeMapper[Stmt]):
    """A statement with every loop ``s`` in it (inner loops first) replaced by ``fn(s)``."""

    covers = (Stmt,)

    def __init__(self, fn: Callable[[For], For]) -> None:
        self.fn = fn
        """The rewrite of one loop."""

    def block(self, b: Block) -> Block:
        return Block(tuple(self(s) for s in b.stmts))

    def map_for(self, s: For) -> Stmt:
        return self.fn(replace(s, body=self.block(s.body)))

    def _unchanged(self, s: Stmt) -> Stmt:
        return s

    map_block = block
    map_declare = map_store = map_set = map_barrier = _unchanged


@overload
def map_indices(stmt: Block, fn: Callable[[ArithExpr], ArithExpr]) -> Block: ...
@overload
def map_indices(stmt: Stmt, fn: Callable[[ArithExpr], ArithExpr]) -> Stmt: ...
def map_indices(stmt: Stmt, fn: Callable[[ArithExpr], ArithExpr]) -> Stmt:
    """``stmt`` with ``fn`` applied to every index expression it prints (loads, stores, guards, array sizes,
    loop bounds), through loop bodies. The recorded accesses are kept as they were: they describe what the
    statement touches, which a rewrite of how an index is spelled does not change."""
    return _StmtIndices(fn)(stmt)


class _ValueIndices(NodeMapper[Value]):
    """A value with ``fn`` applied to its index expressions (loads, padding guards, index values)."""

    covers = (Value,)

    def __init__(self, fn: Callable[[ArithExpr], ArithExpr]) -> None:
        self.fn = fn
        """The rewrite of one index expression."""

    def map_load(self, v: Load) -> Value:
        return Load(v.buffer, self.fn(v.index))

    def map_call(self, v: Call) -> Value:
        return Call(v.function, tuple(self(a) for a in v.args), v.type)

    def map_select(self, v: Select) -> Value:
        return Select(v.guard.map(self.fn), self(v.inside), self(v.outside))

    def map_pack(self, v: Pack) -> Value:
        return Pack(v.type, tuple(self(p) for p in v.parts))

    def map_field(self, v: Field) -> Value:
        return Field(self(v.value), v.k)

    def map_index(self, v: Index) -> Value:
        return Index(self.fn(v.expr))

    def map_vector_of(self, v: VectorOf) -> Value:
        return VectorOf(v.type, tuple(self(x) for x in v.lanes))

    def map_lane_of(self, v: LaneOf) -> Value:
        return LaneOf(self(v.value), v.k)

    def _unchanged(self, v: Value) -> Value:
        return v

    # a guarded place is the target of a store, whose own guards and index the store rewrites
    map_constant = map_variable = map_guarded = _unchanged


class _StmtIndices(NodeMapper[Stmt]):
    """A statement with ``fn`` applied to every index expression it prints, through loop bodies."""

    covers = (Stmt,)

    def __init__(self, fn: Callable[[ArithExpr], ArithExpr]) -> None:
        self.fn = fn
        """The rewrite of one index expression."""
        self.value = _ValueIndices(fn)
        """The same rewrite of values."""

    def map_block(self, s: Block) -> Block:
        return Block(tuple(self(x) for x in s.stmts))

    def map_store(self, s: Store) -> Stmt:
        guards = tuple(g.map(self.fn) for g in s.guards)
        return replace(s, index=self.fn(s.index), value=self.value(s.value), guards=guards)

    def map_set(self, s: Set) -> Stmt:
        return replace(s, target=self.value(s.target), value=self.value(s.value))

    def map_declare(self, s: Declare) -> Stmt:
        init = self.value(s.init) if s.init is not None else None
        size = self.fn(s.size) if s.size is not None else None
        return replace(s, init=init, size=size)

    def map_for(self, s: For) -> Stmt:
        hi = self.fn(s.loop.extent)
        loop = replace(s.loop, var=Var(s.loop.var.name, s.loop.var.lo, hi))
        return replace(s, loop=loop, body=self.map_block(s.body))

    def map_barrier(self, s: Barrier) -> Stmt:
        return s


def type_of(value: Value) -> DataType:
    """The type of a plan value (a load: its buffer's scalar; an index: ``i64``)."""
    return _TYPE_OF(value)


class _TypeOf(NodeMapper[DataType]):
    """The type of each kind of plan value."""

    covers = (Value,)

    def map_load(self, v: Load) -> DataType:
        return v.buffer.scalar

    def map_select(self, v: Select) -> DataType:
        return self(v.inside)

    def map_guarded(self, v: Guarded) -> DataType:
        return self(v.target)

    def map_field(self, v: Field) -> DataType:
        return cast(TupleType, self(v.value)).elems[v.k]

    def map_lane_of(self, v: LaneOf) -> DataType:
        return self(v.value).lane_type()

    def map_index(self, v: Index) -> DataType:
        return i64

    def typed(self, v: Constant | Variable | Call | Pack | VectorOf) -> DataType:
        """A value that carries its type."""
        return v.type

    map_constant = map_variable = map_call = map_pack = map_vector_of = typed


_TYPE_OF = _TypeOf()


def consecutive(lanes: tuple[Value, ...]) -> tuple[Buffer, ArithExpr] | None:
    """The buffer and first index when ``lanes`` are loads of consecutive elements of one buffer (a vector read or
    written with ``vloadN`` / ``vstoreN``); ``None`` otherwise."""
    places = [_LOADED_AT(x) for x in lanes]
    first = places[0]
    if first is None:
        return None
    buffer, index = first
    if any(p != (buffer, index + k) for k, p in enumerate(places)):
        return None
    return first


class _LoadedAt(NodeMapper["tuple[Buffer, ArithExpr] | None"]):
    """The buffer and index of a load (``None`` for any other value)."""

    covers = (Value,)

    def map_load(self, v: Load) -> tuple[Buffer, ArithExpr] | None:
        return v.buffer, v.index

    def elsewhere(self, v: Value) -> tuple[Buffer, ArithExpr] | None:
        """Not an element of a buffer (a computed value, or one under a condition)."""
        return None

    map_constant = map_variable = map_call = map_select = map_guarded = map_pack = elsewhere
    map_field = map_index = map_vector_of = map_lane_of = elsewhere


_LOADED_AT = _LoadedAt()
