"""The type checker: infers the type of every node and collects the size facts a program needs.

Sizes are ``ArithExpr`` values. A combinator that needs a fact about its input size (``split(4)`` needs
``N % 4 == 0``, ``slide(3, 1)`` needs ``N >= 3``) either decides it at once (constant sizes), proves it from
what is known, refutes it (a ``LiftTypeError`` naming the combinator and the formula), or records it on the
program, to be checked when sizes are bound. Every size is kept simplified under the facts collected so far,
so ``x >> split(4) >> join`` has type ``[f32]N`` again.

Each node class has its typing rule in one method: :class:`_TypeExpr` types expressions, :class:`_TypeApplication`
types a function value applied to arguments (layouts and sources carry their own rule, called from there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeGuard, TypeVar

from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Get,
    Id,
    Iterate,
    Lambda,
    Literal,
    Map,
    Node,
    Param,
    Reduce,
    ToMem,
    UserFun,
    Zip,
    walk,
)
from lift.dsl.layout import Layout
from lift.dsl.mapper import NodeMapper
from lift.dsl.source import Source
from lift.errors import LiftLimitError, LiftTypeError
from lift.types.arith import ArithExpr, Cst, Facts, FloorDiv, Mod, Simplifier, is_positive
from lift.types.data import (
    ArrayType,
    DataType,
    FunType,
    ScalarType,
    TupleType,
    Type,
    map_sizes,
    sizes_of,
    vector,
)
from lift.types.lanewise import lanewise, vectorised
from lift.types.laws import check_reduce_laws, literal_scalar
from lift.types.smt import Constraint, equal, facts_of, prove, satisfiable

__all__ = ["MAX_TYPED_ITERATIONS", "TypedProgram", "check_program", "typecheck", "types_equal"]

MAX_TYPED_ITERATIONS = 64
"""``iterate(k, f)`` is typed by following the types ``f`` produces step by step until they repeat (a fixed
point ``T -> T``, or a cycle such as ``transpose``'s), which covers any ``k`` at once. A function whose type keeps
changing (``n -> n / 2``) is followed at most this many steps; a larger ``k`` is refused
(:class:`~lift.errors.LiftLimitError`)."""

AnyLambda = TypeVar("AnyLambda", bound=Lambda)


@dataclass(frozen=True)
class TypedProgram:
    """A program with every expression's ``type`` filled in, and the size facts it needs."""

    program: Fun
    """The program, rebuilt with types on every ``Param``, ``Literal`` and ``FunCall``."""
    type: FunType
    """The program's type."""
    constraints: tuple[Constraint, ...]
    """The symbolic size facts the program needs (checked when sizes are bound)."""

    @property
    def facts(self) -> Facts:
        return facts_of(self.constraints)


def check_program(prog: Fun) -> TypedProgram:
    """Type-check a program built by ``@fun``."""
    _check_size_variables(prog)
    checker = _Checker()
    for name, t in zip((p.name for p in prog.params), prog.param_types):
        for n in sizes_of(t):
            if not isinstance(n, Cst) and not is_positive(n):
                checker.require(Constraint(n, ">=", Cst(1)), f"parameter {name}", f"size {n} of {t}")
    typed, result = checker.apply.map_lambda(prog, list(prog.param_types), {})
    return TypedProgram(typed, FunType(prog.param_types, checker.normalise(result)), tuple(checker.constraints))


def typecheck(prog: FunDecl | Expr, *arg_types: DataType) -> Type:
    """The type of a program (a ``Fun`` gives its ``FunType``); other functions are applied to ``arg_types``."""
    if not isinstance(prog, (FunDecl, Expr)):  # the public entry point: anything may be passed
        raise LiftTypeError(f"typecheck: expected a program, found {type(prog).__name__}")
    return _TypeOf()(prog, arg_types)


def typed_for(f: FunDecl, *arg_types: DataType) -> FunDecl:
    """``f`` (taken from a typed program) typed again for arguments of ``arg_types``: its free parameters keep
    the types they have in ``f``. The backend uses it for the steps of ``iterate``, whose function sees another
    type at each step."""
    env = {n.name: n.type for n in walk(f) if isinstance(n, Param) and n.type is not None}
    typed, _ = _Checker().apply(f, list(arg_types), env)
    return typed


def types_equal(a: Type, b: Type, assuming: Sequence[Constraint] = ()) -> bool:
    """Structural equality with sizes compared under ``assuming`` (canonical forms, then Z3): the same shape
    (every size set aside), then each size equal to its counterpart, outermost first."""
    if a == b:
        return True
    return _shape(a) == _shape(b) and all(equal(m, n, assuming) for m, n in zip(a.sizes(), b.sizes()))


def _shape(t: Type) -> Type:
    """``t`` with every size replaced by one placeholder: two types of the same shape become equal."""
    return t.with_sizes(lambda _: Cst(1))


Env = Mapping[str, DataType]


class _TypeOf(NodeMapper[Type]):
    """What :func:`typecheck` answers for each kind of program."""

    covers = (FunDecl, Expr)

    def map_fun(self, prog: Fun, arg_types: tuple[DataType, ...]) -> Type:
        return prog.type if not arg_types else self.map_fun_decl(prog, arg_types)

    def map_fun_decl(self, prog: FunDecl, arg_types: tuple[DataType, ...]) -> Type:
        checker = _Checker()
        _, result = checker.apply(prog, list(arg_types), {})
        return FunType(tuple(arg_types), checker.normalise(result))

    def map_expr(self, prog: Expr, arg_types: tuple[DataType, ...]) -> Type:
        return _Checker().expr(prog, {}).type  # type: ignore[return-value]


class _Checker:
    """One checking run: the constraints collected so far and the simplifier they imply. It is the
    :class:`~lift.dsl.layout.TypingContext` that layouts' and sources' typing rules ask."""

    def __init__(self) -> None:
        self.constraints: list[Constraint] = []
        self.simplifier = Simplifier()
        self.expr = _TypeExpr(self)
        """Types an expression: ``expr(e, env, expected=None)`` is ``e`` rebuilt with types."""
        self.apply = _TypeApplication(self)
        """Types a function applied to arguments: ``apply(f, ts, env)`` is the typed ``f`` and its result type."""

    # ---- sizes and facts -----------------------------------------------------------------------------
    def size(self, e: ArithExpr) -> ArithExpr:
        return self.simplifier.rebuild(e) if self.simplifier.facts.divisible else e

    def normalise(self, t: DataType) -> DataType:
        return map_sizes(t, self.size)  # type: ignore[no-any-return,unused-ignore]

    def require(self, c: Constraint, combinator: str, what: str, formula: str | None = None) -> None:
        """Decide, prove, refute or record the fact ``c`` that ``combinator`` needs.

        ``formula`` is how the constraint reads before simplification (``8 % 3 == 0``), for messages.
        """
        lhs, rhs = self.size(c.lhs), self.size(c.rhs)
        if isinstance(lhs, Cst) and isinstance(rhs, Cst):
            if not Constraint(lhs, c.op, rhs).holds({}):
                raise LiftTypeError(f"{combinator}: {what}: the constraint {formula or c} fails")
            return
        c = self.combine_divisibility(Constraint(lhs, c.op, rhs, combinator))
        if prove(c, self.constraints):
            return
        if not satisfiable([*self.constraints, c]):
            raise LiftTypeError(
                f"{combinator}: {what}: the constraint {c} can never hold"
                + (f" given {', '.join(map(str, self.constraints))}" if self.constraints else "")
            )
        subsumed = [k for k in self.constraints if prove(k, [c])]
        if subsumed:
            origins = dict.fromkeys([*(k.origin for k in subsumed), c.origin])
            c = Constraint(c.lhs, c.op, c.rhs, ", ".join(origins))
        self.constraints = [k for k in self.constraints if k not in subsumed]
        self.constraints.append(c)
        self.simplifier = Simplifier(facts_of(self.constraints))

    def combine_divisibility(self, c: Constraint) -> Constraint:
        """``(X // a) % b == 0`` with ``X % a == 0`` known is ``X % (a*b) == 0``: one fact, in terms of ``X``."""
        lhs = c.lhs
        while (
            c.op == "=="
            and c.rhs == Cst(0)
            and isinstance(lhs, Mod)
            and isinstance(lhs.num, FloorDiv)
            and self.simplifier.divides(lhs.num.den, lhs.num.num)
        ):
            lhs = lhs.num.num % (lhs.num.den * lhs.den)
        return c if lhs is c.lhs else Constraint(lhs, c.op, c.rhs, c.origin)

    def same(self, a: DataType, b: DataType) -> bool:
        return types_equal(a, b, self.constraints)

    # ---- values and arrays ---------------------------------------------------------------------------
    def literal(self, e: Literal, expected: DataType | None, where: str) -> Literal:
        if isinstance(e.value, tuple):
            if expected is None:
                elems: tuple[DataType | None, ...] = (None,) * len(e.value)
            elif _tuple_of(expected, e.value):
                elems = expected.elems
            else:
                raise LiftTypeError(f"{where}: the tuple {e.value!r} does not match the expected type {expected}")
            parts = [self.literal(Literal(v), t, where) for v, t in zip(e.value, elems)]
            return Literal(e.value, None, TupleType(tuple(p.type for p in parts)))  # type: ignore[misc]
        expected_scalar = expected if isinstance(expected, ScalarType) else None
        default = literal_scalar(e.value)
        scalar = e.scalar or expected_scalar or default
        if default.is_float and not scalar.is_float and not float(e.value).is_integer():
            raise LiftTypeError(f"{where}: the value {e.value!r} does not fit the integer type {scalar}")
        if expected_scalar is not None and scalar != expected_scalar:
            raise LiftTypeError(f"{where}: expected a value of type {expected}, found {e.value!r} of type {scalar}")
        return Literal(e.value, e.scalar, scalar)

    def array(self, t: DataType, name: str, message: str | None = None) -> ArrayType:
        if not isinstance(t, ArrayType):
            raise LiftTypeError(message or f"{name}: expected an array, found {t}")
        return t


class _TypeExpr(NodeMapper[Expr]):
    """An expression rebuilt with its type, under the parameter types ``env``; ``expected`` is the type the
    context wants, when it knows one (a user function's parameter type for a literal argument)."""

    covers = (Expr,)

    def __init__(self, check: _Checker) -> None:
        self.check = check
        """The checking run (its facts, its function typing)."""

    def map_param(self, e: Param, env: Env, expected: DataType | None = None) -> Expr:
        if e.name not in env:
            raise LiftTypeError(f"parameter {e.name!r} is used outside the lambda or program that binds it")
        return Param(e.name, env[e.name])

    def map_literal(self, e: Literal, env: Env, expected: DataType | None = None) -> Expr:
        return self.check.literal(e, expected, "literal")

    def map_source(self, e: Source, env: Env, expected: DataType | None = None) -> Expr:
        return e.typed(e.result(self.check))

    def map_fun_call(self, e: FunCall, env: Env, expected: DataType | None = None) -> Expr:
        hints = _argument_hints(e.f, len(e.args))
        args = [self(a, env, h) for a, h in zip(e.args, hints)]
        f, result = self.check.apply(e.f, [a.type for a in args], env)
        return FunCall(f, tuple(args), self.check.normalise(result))


def _argument_hints(f: FunDecl, n: int) -> list[DataType | None]:
    """The types the arguments of ``f`` applied to ``n`` of them should have, where ``f`` declares them."""
    if isinstance(f, UserFun) and len(f.param_types) == n:
        return list(f.param_types)
    return [None] * n


class _TypeApplication(NodeMapper[tuple[FunDecl, DataType]]):
    """A function value applied to arguments of types ``ts`` (under the parameter types ``env``): the function
    rebuilt with types inside, and the result type."""

    covers = (FunDecl,)

    def __init__(self, check: _Checker) -> None:
        self.check = check
        """The checking run (its facts, its expression typing)."""

    def map_lambda(self, f: AnyLambda, ts: list[DataType], env: Env) -> tuple[AnyLambda, DataType]:
        """A lambda (or a program: it keeps its name and declared types) types its body with its parameters."""
        if len(ts) != len(f.params):
            raise LiftTypeError(f"a lambda of {len(f.params)} parameter(s) is applied to {len(ts)} argument(s)")
        inner = {**env, **{p.name: t for p, t in zip(f.params, ts)}}
        body = self.check.expr(f.body, inner)
        assert body.type is not None
        params = tuple(Param(p.name, t) for p, t in zip(f.params, ts))
        return f.replace(params=params, body=body), body.type

    def map_user_fun(self, f: UserFun, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        """A user function of k parameters applied to one k-tuple takes the components as its arguments."""
        if len(ts) == 1 and len(f.param_types) > 1 and isinstance(ts[0], TupleType):
            ts = list(ts[0].elems)
        if len(ts) != len(f.param_types):
            raise LiftTypeError(
                f"user function {f.name}: takes {len(f.param_types)} argument(s) "
                f"({', '.join(map(str, f.param_types))}), found {len(ts)} ({', '.join(map(str, ts))})"
            )
        lanes, width = lanewise(f.name, f.param_types, ts)  # on vectors: lane by lane
        for pname, want, got in zip(f.param_names, f.param_types, lanes):
            if not self.check.same(want, got):
                shown = got if width == 1 else f"{got} lanes"
                raise LiftTypeError(f"user function {f.name}: parameter {pname!r} expects {want}, found {shown}")
        return f, vectorised(f.result_type, width, f.name)

    def map_zip(self, f: Zip, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        if len(ts) != f.n or f.n < 2:
            raise LiftTypeError(f"zip: expected {f.n} arrays (at least 2), found {len(ts)}")
        arrays = [self.check.array(t, "zip", f"zip: argument {i} is not an array but {t}") for i, t in enumerate(ts)]
        first = arrays[0]
        for i, a in enumerate(arrays[1:], 1):
            if not equal(a.size, first.size, self.check.constraints):
                raise LiftTypeError(
                    f"zip: expected arrays of equal size, found {first} (size {first.size}) and argument {i} "
                    f"{a} (size {a.size}): the constraint {first.size} == {a.size} fails"
                )
        return f, ArrayType(TupleType(tuple(a.elem for a in arrays)), first.size)

    def map_get(self, f: Get, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        t = _only_argument(f, ts)
        if not isinstance(t, TupleType):
            raise LiftTypeError(f"get({f.i}): expected a tuple, found {t}")
        if not 0 <= f.i < len(t.elems):
            raise LiftTypeError(f"get({f.i}): the tuple {t} has only {len(t.elems)} components")
        return f, t.elems[f.i]

    def map_id(self, f: Id, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        return f, _only_argument(f, ts)

    def map_to_mem(self, f: ToMem, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        _only_argument(f, ts)
        inner_f, r = self(f.f, ts, env)
        return f.replace(f=inner_f), r

    def map_iterate(self, f: Iterate, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        """``iterate(k, g)`` on ``t``, without unrolling ``k`` steps: ``types[i]`` is the type after ``i``
        steps; once one repeats an earlier one (``types[j]``, ``p`` steps before), the sequence cycles and step
        ``k`` has type ``types[j + (k - j) % p]``. The body is typed for the input of the last step."""
        t = _only_argument(f, ts)
        if f.k < 0:
            raise LiftTypeError(f"iterate({f.k}, ...): the count must be non-negative")
        types = [t]
        while len(types) <= f.k:
            if len(types) > MAX_TYPED_ITERATIONS:
                shown = " -> ".join(str(x) for x in types[:4])
                raise LiftLimitError(
                    f"iterate({f.k}, {_display(f.f)}): the function changes the type at every step ({shown} -> …) "
                    f"and lift-ir follows such a sequence for at most MAX_TYPED_ITERATIONS = "
                    f"{MAX_TYPED_ITERATIONS} steps; iterate a function whose result type equals its argument type, "
                    "or use fewer steps"
                )
            _, after = self(f.f, [types[-1]], env)
            if after in types:
                start = types.index(after)
                period = len(types) - start
                types.append(after)
                last_input = types[start + (f.k - 1 - start) % period] if f.k - 1 >= start else types[f.k - 1]
                typed_body, _ = self(f.f, [last_input], env)
                return Iterate(f.k, typed_body), types[start + (f.k - start) % period]
            types.append(after)
        if f.k == 0:
            return f, t
        typed_body, _ = self(f.f, [types[f.k - 1]], env)
        return Iterate(f.k, typed_body), types[f.k]

    def map_layout(self, f: Layout, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        return f, f.result(self.array_argument(f, ts), self.check)

    def map_map(self, f: Map, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        arr = self.array_argument(f, ts)
        elem_f, b = self(f.f, [arr.elem], env)
        return f.replace(f=elem_f), ArrayType(b, arr.size)

    def map_reduce(self, f: Reduce, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        arr = self.array_argument(f, ts)
        name = _display(f)
        if f.seq and isinstance(f.f, UserFun) and f.f.param_types:
            acc_hint: DataType | None = f.f.param_types[0]
            lanes = arr.elem.vector_lanes()
            if lanes > 1 and isinstance(acc_hint, ScalarType):  # applied lane by lane: so is the accumulator
                acc_hint = vector(acc_hint, lanes)
        else:
            acc_hint = arr.elem
        if isinstance(f.init, Literal):
            acc_hint = _accumulator_hint(f.init.value, acc_hint)
        init = self.check.expr(f.init, env, acc_hint)
        acc = init.type
        assert acc is not None
        if not f.seq and not self.check.same(acc, arr.elem):
            raise LiftTypeError(f"{name}: the initial value has type {acc} but the elements have type {arr.elem}")
        try:
            typed_f, r = self(f.f, [acc, arr.elem], env)
        except LiftTypeError as err:
            if f.seq:
                raise
            raise LiftTypeError(
                f"{err} — {name} needs a function (a, a) -> a over its elements a = {arr.elem}; "
                "for an accumulator of another type use reduce_seq(f, init)"
            ) from None
        if not self.check.same(r, acc):
            raise LiftTypeError(f"{name}: the function must return the accumulator's type {acc}, but returns {r}")
        if not f.seq:  # any order and grouping: the operator's laws must hold (proved with Z3 where it can)
            check_reduce_laws(f.f, init, arr.elem, where=name, op_name=_display(f.f))
        return Reduce(typed_f, init, f.seq), ArrayType(acc, Cst(1))

    def array_argument(self, f: FunDecl, ts: list[DataType]) -> ArrayType:
        """The one argument of ``f``, which must be an array."""
        return self.check.array(_only_argument(f, ts), _display(f))


def _only_argument(f: FunDecl, ts: list[DataType]) -> DataType:
    """The type of the one argument of a combinator that takes one."""
    if len(ts) != 1:
        raise LiftTypeError(f"{_display(f)} takes one argument, found {len(ts)}")
    return ts[0]


def _accumulator_hint(value: object, hint: DataType | None) -> DataType | None:
    """The type a literal initial value of a reduction takes, given the type ``hint`` the reduction suggests."""
    if isinstance(value, tuple):
        # reduce_seq's accumulator may differ from the elements: a tuple literal then gives its own type
        return hint if _tuple_of(hint, value) else None
    if hint is None:
        return None
    # a scalar literal accumulating over tuples or arrays takes the scalar type of the data reduced
    leaf = _FirstScalar(literal_scalar(value).is_float)(hint)
    return leaf if leaf is not None else hint


def _tuple_of(t: DataType | None, value: tuple[object, ...]) -> TypeGuard[TupleType]:
    """``t`` is a tuple type with one component per element of the literal ``value``."""
    return isinstance(t, TupleType) and len(t.elems) == len(value)


class _FirstScalar(NodeMapper[ScalarType | None]):
    """The first scalar in a type (through arrays and tuples) that is a float (``is_float``) or an integer."""

    covers = (DataType,)

    def __init__(self, is_float: bool) -> None:
        self.is_float = is_float
        """Whether a float scalar is looked for (else an integer one)."""

    def map_scalar_type(self, t: ScalarType) -> ScalarType | None:
        return t if t.is_float == self.is_float else None

    def map_array_type(self, t: ArrayType) -> ScalarType | None:
        return self(t.elem)

    def map_tuple_type(self, t: TupleType) -> ScalarType | None:
        return next((found for found in map(self, t.elems) if found is not None), None)


class _StaticSizes(NodeMapper[list[ArithExpr]]):
    """The size arguments of a combinator (``split(M)`` has ``M``) or a source (the sizes of its type)."""

    covers = (FunDecl, Expr)

    def map_layout(self, f: Layout) -> list[ArithExpr]:
        return list(f.sizes())

    def map_source(self, e: Source) -> list[ArithExpr]:
        return e.sizes()

    def map_node(self, node: Node) -> list[ArithExpr]:
        """Every other node: its static arguments, if any, are not sizes."""
        return []


def _check_size_variables(prog: Fun) -> None:
    """Every size variable a combinator mentions must be fixed by the parameters' types."""
    known = {v.name for t in prog.param_types for n in sizes_of(t) for v in n.free_vars()}
    static_sizes = _StaticSizes()
    for node in walk(prog):
        for n in static_sizes(node):
            unknown = sorted(v.name for v in n.free_vars() if v.name not in known)
            if unknown:
                raise LiftTypeError(
                    f"{_display(node)}: the size {', '.join(unknown)} is not fixed by any parameter's type "
                    f"({', '.join(map(str, prog.param_types))}); use a size that appears there, or a constant"
                )


def _display(f: Node) -> str:
    """How a combinator is written in the DSL, for messages: ``split(4)``, ``slide(3, 1)``, ``map``."""
    from lift.dsl.printer import show

    return show(f)
