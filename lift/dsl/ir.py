"""The IR: immutable nodes for expressions and function values, and the helpers that build them.

As in Lift, a program is a lambda whose body is built from parameters, literals and function calls; the
patterns (``Map``, ``Reduce``, ``Split``, …) are *function values* carrying their static arguments.

Every node is a frozen dataclass and rebuilds from its class and its fields (``type(n)(**fields)``), so one
traversal (:func:`~lift.dsl.traversal.transform`) serves all passes; the traversals and the program queries
(``walk``, ``computes``, ``name_maps``, …) live in :mod:`lift.dsl.traversal` and are re-exported here.
Equality and hashing are structural and ignore the ``type`` annotations the checker fills in. Python operators
give the DSL its Haskell-style composition: ``x >> f`` applies ``f``; ``f >> g`` is "f then g"; ``f << g`` is
"f after g".
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from typing import Literal as TLiteral

from lift.dsl.levels import Level
from lift.errors import LiftLimitError, LiftTypeError, MappingError
from lift.types.arith import ArithExpr, Cst, as_arith
from lift.types.data import DataType, FunType, ScalarType

if TYPE_CHECKING:
    from lift.dsl.userfun_translate import TranslatedUserFun
    from lift.types.smt import Constraint

__all__ = [
    "MAX_PROGRAM_DEPTH",
    "Expr",
    "Fun",
    "FunCall",
    "FunDecl",
    "Gather",
    "Get",
    "Id",
    "IndexFun",
    "Iterate",
    "Join",
    "Lambda",
    "Literal",
    "Map",
    "Node",
    "Pad",
    "Param",
    "Reduce",
    "Reverse",
    "Scatter",
    "Slide",
    "Split",
    "Stride",
    "ToMem",
    "Transpose",
    "UserFun",
    "Zip",
    "as_fundecl",
    "computes",
    "fresh_name",
    "map_children",
    "map_labels",
    "name_maps",
    "output_space",
    "program_depth",
    "program_order",
    "transform",
    "walk",
]

MapLevel = TLiteral["", "seq", "glb", "wrg", "lcl"]
AddressSpace = TLiteral["global", "local", "private"]


class Node:
    """Base class of IR nodes: structural equality and a cached hash over the compared fields."""

    __slots__ = ()

    registry: ClassVar[list[type[Node]]] = []
    """Every node class a program can contain, in definition order (abstract bases such as ``Expr`` excluded)."""
    on_register: ClassVar[list[Callable[[type[Node]], None]]] = []
    """Checks run on every new node class before it is registered (the mappers' completeness check)."""

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        for check in Node.on_register:
            check(cls)
        Node.registry.append(cls)

    def fields(self) -> dict[str, Any]:
        """Every field, by name: ``type(n)(**n.fields())`` rebuilds ``n``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self) if f.compare)  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return type(self) is type(other) and self._key() == other._key()  # type: ignore[attr-defined,unused-ignore]

    def __hash__(self) -> int:
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((type(self).__name__, self._key()))
            object.__setattr__(self, "_hash", cached)
        return cached

    def children(self) -> Iterator[Node]:
        """The child nodes, in field order (tuples of nodes are flattened)."""
        for value in self.fields().values():
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, Node))

    def replace(self, **changes: Any) -> Any:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


# ======================================================================================================
# Expressions
# ======================================================================================================


class Expr(Node, abstract=True):
    """An expression producing a value. ``x >> f`` applies ``f``; ``x[i]`` takes a tuple component."""

    __slots__ = ()
    type: DataType | None

    def __rshift__(self, f: object) -> Expr:
        return as_fundecl(f, "x >> f")(self)

    def __getitem__(self, i: int) -> Expr:
        if isinstance(i, bool) or not isinstance(i, int):
            raise LiftTypeError(f"x[i]: a tuple component index must be an int, found {type(i).__name__} {i!r}")
        return FunCall(Get(i), (self,))

    def __iter__(self) -> Iterator[Expr]:
        raise LiftTypeError("an expression cannot be iterated in Python; use map(...) over it, or x[i] for tuples")

    def __bool__(self) -> bool:
        raise LiftTypeError(
            "an expression has no truth value in Python; compute conditions inside a @userfun (a if c else b)"
        )

    def __str__(self) -> str:
        from lift.dsl.printer import show

        return show(self)


@dataclass(frozen=True, eq=False, repr=False)
class Param(Expr):
    """A parameter of a lambda or of a program."""

    name: str
    """The name, as written in the Python source (``x``, ``row``)."""
    type: DataType | None = field(default=None, compare=False)
    """Filled in by the type checker."""

    def __repr__(self) -> str:
        return f"Param({self.name!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Literal(Expr):
    """A scalar constant, or a tuple of them; its type comes from the context when not given."""

    value: float | int | bool | tuple[float | int | bool, ...]
    """The value (a tuple for a tuple-typed constant, e.g. the initial value of a reduction over pairs)."""
    scalar: ScalarType | None = None
    """The declared scalar type, or ``None`` to take it from the context (e.g. the reduction's type)."""
    type: DataType | None = field(default=None, compare=False)
    """Filled in by the type checker."""

    def __repr__(self) -> str:
        return f"Literal({self.value!r})"


@dataclass(frozen=True, eq=False, repr=False)
class FunCall(Expr):
    """``f(args…)``: a function value applied to argument expressions."""

    f: FunDecl
    """The function applied."""
    args: tuple[Expr, ...]
    """The arguments."""
    type: DataType | None = field(default=None, compare=False)
    """The result type, filled in by the type checker."""

    def __repr__(self) -> str:
        return f"FunCall({self.f!r}, {self.args!r})"


# ======================================================================================================
# Function values
# ======================================================================================================


class FunDecl(Node, abstract=True):
    """A function value: ``f(x)`` and ``x >> f`` apply it; ``f >> g`` and ``f << g`` compose."""

    __slots__ = ()
    arity: ClassVar[int] = 1
    """How many arguments the function takes (``Zip`` and lambdas override it)."""

    def num_args(self) -> int:
        return self.arity

    def __call__(self, *args: object) -> FunCall:
        exprs = tuple(_as_expr(a, f"{self.short_name()}(...)") for a in args)
        if len(exprs) != self.num_args():
            raise LiftTypeError(f"{self.short_name()} takes {self.num_args()} argument(s), found {len(exprs)}")
        return FunCall(self, exprs)

    def __rshift__(self, g: object) -> Lambda:
        return compose(self, as_fundecl(g, "f >> g"))

    def __lshift__(self, g: object) -> Lambda:
        return compose(as_fundecl(g, "f << g"), self)

    def __rrshift__(self, x: object) -> Any:  # Any: for type checkers, `param >> f` is an expression
        if callable(x) and not isinstance(x, Node):
            return compose(as_fundecl(x, "f >> g"), self)
        raise LiftTypeError(
            f"cannot apply {self.short_name()} to {type(x).__name__} {x!r}: the left of >> must be a program "
            "expression (a parameter or the result of a combinator) or a function"
        )

    def short_name(self) -> str:
        return type(self).__name__.lower()

    def __str__(self) -> str:
        from lift.dsl.printer import show

        return show(self)


@dataclass(frozen=True, eq=False, repr=False)
class Lambda(FunDecl):
    """``λ params. body``."""

    params: tuple[Param, ...]
    """The bound parameters."""
    body: Expr
    """The body, which may mention the parameters and parameters of enclosing lambdas."""

    def num_args(self) -> int:
        return len(self.params)

    def short_name(self) -> str:
        return "lambda"

    def __repr__(self) -> str:
        return f"Lambda({self.params!r}, {self.body!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Fun(Lambda):
    """A typed program: a named lambda whose parameters carry declared types (built by ``@fun``)."""

    name: str = "program"
    """The program's name (the Python function's name)."""
    param_types: tuple[DataType, ...] = ()
    """The declared parameter types, in the order of ``params``."""

    @cached_property
    def typed(self) -> Any:
        """The type-checked program (``lift.types.checker.TypedProgram``): types of every node, size facts."""
        from lift.types.checker import check_program

        return check_program(self)

    @property
    def type(self) -> FunType:
        """The program's function type (``.params``, ``.result``)."""
        return self.typed.type  # type: ignore[no-any-return,unused-ignore]

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        """The size facts the program needs (e.g. ``N % 4 == 0`` for ``split(4)``)."""
        return self.typed.constraints  # type: ignore[no-any-return,unused-ignore]

    def __post_init__(self) -> None:
        depth = program_depth(self)
        if depth > MAX_PROGRAM_DEPTH:
            raise LiftLimitError(
                f"@fun {self.name}: the program is nested {depth} levels deep; lift-ir handles programs up to "
                f"MAX_PROGRAM_DEPTH = {MAX_PROGRAM_DEPTH} levels (a pipeline of about {MAX_PROGRAM_DEPTH - 5} "
                "stages). Split it into several programs, or fold a repeated stage with iterate(k, f)"
            )
        _ensure_recursion_headroom()

    def short_name(self) -> str:
        return self.name

    def __str__(self) -> str:
        """The program's listing, one stage a line, with every stage's type (``lift types`` prints the same);
        without types when the program does not type-check."""
        from lift.dsl.printer import listing

        return listing(self)

    def __repr__(self) -> str:
        """One line: the name and the declared parameters, e.g. ``Fun('dot', x: [f32]N, y: [f32]N)``."""
        params = ", ".join(f"{p.name}: {t}" for p, t in zip(self.params, self.param_types))
        return f"Fun({self.name!r}, {params})" if params else f"Fun({self.name!r})"


# ---- depth --------------------------------------------------------------------------------------------------

MAX_PROGRAM_DEPTH = 500
"""The deepest program lift-ir handles: the number of nodes on the longest path from a ``@fun`` to a leaf (a
pipeline of k stages is about k + 3 deep). A deeper program is refused with :class:`~lift.errors.LiftLimitError`
when it is built; every pass (type checker, interpreter, printer, JSON, mapping model, compiler) handles the
programs up to it."""

RECURSION_FRAMES_PER_LEVEL = 10
"""Python frames a recursive pass may spend on one level of a program (measured: at most about 3); the
interpreter's recursion limit is raised (never lowered) to make room for :data:`MAX_PROGRAM_DEPTH` levels."""

_RECURSION_LOCK = threading.Lock()


def _ensure_recursion_headroom() -> None:
    """Raise Python's recursion limit, once and process-wide, so that the recursive passes (written as
    recursion over the tree because that is how they read best) never fail on a program within the limit."""
    needed = MAX_PROGRAM_DEPTH * RECURSION_FRAMES_PER_LEVEL + 1000  # + the caller's own frames
    with _RECURSION_LOCK:
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)


# once when lift is imported, so that the limit does not change under a caller that raised and restores it
# (Hypothesis does, around every test); building a program checks again
_ensure_recursion_headroom()


@dataclass(frozen=True, eq=False, repr=False)
class UserFun(FunDecl):
    """A scalar function written in Python and translated to OpenCL C (built by ``@userfun``)."""

    name: str
    """The function's name (also its C name)."""
    param_names: tuple[str, ...]
    """The parameter names."""
    param_types: tuple[DataType, ...]
    """The parameter types (scalars or tuples of scalars)."""
    result_type: DataType
    """The result type."""
    source: str
    """The Python source of the function, from which both translations are derived."""
    filename: str = field(default="<userfun>", compare=False)
    """Where the source comes from, for error messages."""
    first_line: int = field(default=1, compare=False)
    """The line of the source's first line in ``filename``."""

    def num_args(self) -> int:
        return len(self.param_names)

    def short_name(self) -> str:
        return self.name

    @cached_property
    def translated(self) -> TranslatedUserFun:
        """The OpenCL C definition and the vectorised numpy evaluator."""
        from lift.dsl.userfun_translate import translate_userfun

        return translate_userfun(
            self.source,
            name=self.name,
            param_names=self.param_names,
            param_types=self.param_types,
            result_type=self.result_type,
            filename=self.filename,
            first_line=self.first_line,
        )

    @property
    def type(self) -> FunType:
        return FunType(self.param_types, self.result_type)

    def __repr__(self) -> str:
        return f"UserFun({self.name!r})"


# ---- patterns ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class Map(FunDecl):
    """``map(f)`` : ``[a]n → [b]n`` for ``f : a → b``; low-level forms carry a thread level."""

    f: FunDecl
    """The function applied to every element."""
    level: MapLevel = ""
    """``""`` for the algorithmic map; ``seq``, ``glb``, ``wrg`` or ``lcl`` when lowered."""
    dim: int = 0
    """The NDRange dimension (0–2) of a parallel level."""
    name: str | None = None
    """A user label (``map(f, name="rows")``); unnamed maps are labelled ``map0, map1, …``."""

    @property
    def at(self) -> Level:
        """The level this lowered map runs at, ``Level(level, dim)`` (``dim`` counts for parallel levels only); a
        MappingError for an algorithmic map (it has none until lowered) or a dimension outside 0..2."""
        if not self.level:
            raise MappingError(
                f"{self.name or 'a map'}: an algorithmic map has no level yet; lower the program with a mapping, "
                "or write map_glb, map_wrg, map_lcl or map_seq"
            )
        return Level(self.level, self.dim if self.level != "seq" else 0)

    def short_name(self) -> str:
        if self.level in ("", "seq"):
            return "map" if not self.level else "map_seq"
        return f"map_{self.level}"

    def __repr__(self) -> str:
        return f"Map({self.f!r}, level={self.level!r}, dim={self.dim})"


@dataclass(frozen=True, eq=False, repr=False)
class Reduce(FunDecl):
    """``reduce(f, init)`` : ``[a]n → [a]1``; ``reduce_seq`` (``seq=True``) takes any ``f : (acc, a) → acc``."""

    f: FunDecl
    """The combining function."""
    init: Expr
    """The initial value (a neutral element for the algorithmic reduce)."""
    seq: bool = False
    """True for the sequential, possibly non-associative ``reduce_seq``."""

    def short_name(self) -> str:
        return "reduce_seq" if self.seq else "reduce"

    def __repr__(self) -> str:
        return f"Reduce({self.f!r}, {self.init!r}, seq={self.seq})"


@dataclass(frozen=True, eq=False, repr=False)
class Zip(FunDecl):
    """``zip(a, b, …)`` : ``[a]n, [b]n, … → [(a, b, …)]n``."""

    n: int
    """How many arrays are zipped."""

    def num_args(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"Zip({self.n})"


@dataclass(frozen=True, eq=False, repr=False)
class Get(FunDecl):
    """``get(p, i)`` (``p[i]``): the ``i``-th component of a tuple."""

    i: int
    """The component index."""

    def __repr__(self) -> str:
        return f"Get({self.i})"


class IndexFun(Node, abstract=True):
    """A reordering function for ``gather``/``scatter``: a permutation of ``range(n)``."""

    __slots__ = ()

    def index(self, i: ArithExpr, n: ArithExpr) -> ArithExpr:
        """The position ``i`` maps to in an array of ``n`` elements."""
        raise NotImplementedError

    def requirement(self, n: ArithExpr) -> tuple[ArithExpr, ArithExpr] | None:
        """``(expr, divisor)`` with ``expr % divisor == 0`` needed for this to be a permutation, if any."""
        return None

    def inverse_index(self, i: ArithExpr, n: ArithExpr) -> ArithExpr:
        """The position that maps to ``i``: the inverse permutation."""
        raise NotImplementedError


@dataclass(frozen=True, eq=False, repr=False)
class Reverse(IndexFun):
    """``i ↦ n - 1 - i``."""

    def index(self, i: ArithExpr, n: ArithExpr) -> ArithExpr:
        return n - 1 - i

    def inverse_index(self, i: ArithExpr, n: ArithExpr) -> ArithExpr:
        return self.index(i, n)  # its own inverse

    def __repr__(self) -> str:
        return "reverse"


@dataclass(frozen=True, eq=False, repr=False)
class Stride(IndexFun):
    """``i ↦ (i % s) * (n / s) + i / s``: reads with stride ``n/s`` (Lift's ``reorderWithStride``)."""

    s: ArithExpr
    """The stride factor; requires ``n % s == 0``."""

    def index(self, i: ArithExpr, n: ArithExpr) -> ArithExpr:
        return (i % self.s) * (n // self.s) + i // self.s

    def requirement(self, n: ArithExpr) -> tuple[ArithExpr, ArithExpr] | None:
        return (n, self.s)

    def inverse_index(self, i: ArithExpr, n: ArithExpr) -> ArithExpr:
        return Stride(n // self.s).index(i, n)  # stride(s) is undone by stride(n / s)

    def __repr__(self) -> str:
        return f"stride({self.s})"


@dataclass(frozen=True, eq=False, repr=False)
class Iterate(FunDecl):
    """``iterate(k, f)``: ``f`` applied ``k`` times (``f`` may change the size, e.g. halve it)."""

    k: int
    """How many times."""
    f: FunDecl
    """The function iterated."""

    def __repr__(self) -> str:
        return f"Iterate({self.k}, {self.f!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Id(FunDecl):
    """``id``: a copy (a point where an intermediate may be materialised)."""

    def __repr__(self) -> str:
        return "Id()"


@dataclass(frozen=True, eq=False, repr=False)
class ToMem(FunDecl):
    """``to_global(f)``, ``to_local(f)``, ``to_private(f)``: ``f`` writes its result to that address space."""

    space: AddressSpace
    """The address space of the result."""
    f: FunDecl
    """The function whose output is placed."""

    def short_name(self) -> str:
        return f"to_{self.space}"

    def __repr__(self) -> str:
        return f"ToMem({self.space!r}, {self.f!r})"


# ======================================================================================================
# Construction helpers
# ======================================================================================================


def _as_expr(x: object, where: str) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return Literal(x)
    if isinstance(x, tuple) and x and all(isinstance(v, (float, int)) and not isinstance(v, bool) for v in x):
        return Literal(x)
    raise LiftTypeError(
        f"{where}: expected a program expression (a parameter or a combinator result), found {type(x).__name__} {x!r}"
    )


def names_in(node: Node) -> set[str]:
    """Every parameter name mentioned (bound or free) in ``node``."""
    return {n.name for n in walk(node) if isinstance(n, Param)}


def fresh_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base1``, ``base2``, … : the first not in ``taken``."""
    if base not in taken:
        return base
    k = 1
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"


def compose(first: FunDecl, then: FunDecl) -> Lambda:
    """``first >> then``: the one-parameter lambda ``λx. then(first(x))``."""
    if first.num_args() != 1:
        raise LiftTypeError(
            f"f >> g: only a one-argument function can be composed, but {first.short_name()} takes "
            f"{first.num_args()}; apply it to its arguments first"
        )
    if isinstance(first, Lambda) and first.params[0].name not in names_in(then):
        # (f >> g) >> h is λx. h(g(f(x))), one flat pipeline rather than nested lambdas
        return Lambda(first.params, then(first.body))
    p = Param(fresh_name("x", names_in(first) | names_in(then)))
    return Lambda((p,), then(first(p)))


def as_fundecl(f: object, where: str) -> FunDecl:
    """A function value from a ``FunDecl`` or a Python callable (a lambda whose parameters become Params)."""
    if isinstance(f, FunDecl):
        return f
    if isinstance(f, Node) or not callable(f):
        raise LiftTypeError(
            f"{where}: expected a function (a combinator such as map(g), a @userfun or a Python lambda), "
            f"found {type(f).__name__} {f!r}"
        )
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError) as err:
        raise LiftTypeError(f"{where}: cannot read the parameters of {f!r}: {err}") from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind not in kinds for p in sig.parameters.values()):
        raise LiftTypeError(f"{where}: a lambda may only have plain positional parameters, found {sig}")
    params = tuple(Param(name) for name in sig.parameters)
    body = f(*params)
    if isinstance(body, FunDecl) and params:
        raise LiftTypeError(
            f"{where}: the lambda returned the function {body.short_name()} instead of a value; apply it "
            f"(e.g. `{params[0].name} >> {body.short_name()}`)"
        )
    return Lambda(params, _as_expr(body, where))


def size_arg(n: object, where: str, *, positive: bool = True) -> ArithExpr:
    """A static size argument (an int or a size expression), checked."""
    if isinstance(n, bool) or not isinstance(n, (int, ArithExpr)):
        raise LiftTypeError(f"{where}: expected an int or a size expression, found {type(n).__name__} {n!r}")
    e = as_arith(n)
    if isinstance(e, Cst) and (e.value < 1 if positive else e.value < 0):
        bound = "at least 1" if positive else "non-negative"
        raise LiftTypeError(f"{where}: must be {bound}, found {e.value}")
    return e


# The traversals and program queries (walk, transform, computes, name_maps, …) live in lift.dsl.traversal, which
# reads the node classes above: imported here, last, so that they exist by then, and re-exported so that
# `from lift.dsl.ir import walk` keeps working (program_depth and walk are also used above, at call time).
# The shape-changing layout combinators are declared, each once, with their rules (lift.dsl.layouts.shape); they
# are IR nodes like the others, so they are imported here, after everything they build on is defined.
from lift.dsl.layouts.padding import Pad  # noqa: E402
from lift.dsl.layouts.permute import Gather, Scatter  # noqa: E402
from lift.dsl.layouts.shape import Join, Slide, Split, Transpose  # noqa: E402
from lift.dsl.traversal import (  # noqa: E402
    computes,
    map_children,
    map_labels,
    name_maps,
    output_space,
    program_depth,
    program_order,
    transform,
    walk,
)
