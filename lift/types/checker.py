"""The type checker: infers the type of every node and collects the size facts a program needs.

Sizes are ``ArithExpr`` values. A combinator that needs a fact about its input size (``split(4)`` needs
``N % 4 == 0``, ``slide(3, 1)`` needs ``N >= 3``) either decides it at once (constant sizes), proves it from
what is known, refutes it (a ``LiftTypeError`` naming the combinator and the formula), or records it on the
program, to be checked when sizes are bound. Every size is kept simplified under the facts collected so far,
so ``x >> split(4) >> join`` has type ``[f32]N`` again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    Param,
    Reduce,
    ToMem,
    UserFun,
    Zip,
    walk,
)
from lift.dsl.layout import Layout
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
    f32,
    i32,
    map_sizes,
    sizes_of,
)
from lift.types.laws import check_reduce_laws
from lift.types.smt import Constraint, equal, facts_of, prove, satisfiable

__all__ = ["MAX_TYPED_ITERATIONS", "TypedProgram", "check_program", "typecheck", "types_equal"]

MAX_TYPED_ITERATIONS = 64
"""``iterate(k, f)`` is typed by following the types ``f`` produces step by step until they repeat (a fixed
point ``T -> T``, or a cycle such as ``transpose``'s), which covers any ``k`` at once. A function whose type keeps
changing (``n -> n / 2``) is followed at most this many steps; a larger ``k`` is refused
(:class:`~lift.errors.LiftLimitError`)."""


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
    typed_f, result = checker.apply(prog, list(prog.param_types), {})
    assert isinstance(typed_f, Lambda)
    result = checker.normalise(result)
    fun = Fun(typed_f.params, typed_f.body, prog.name, prog.param_types)
    return TypedProgram(fun, FunType(prog.param_types, result), tuple(checker.constraints))


def typecheck(prog: FunDecl | Expr, *arg_types: DataType) -> Type:
    """The type of a program (a ``Fun`` gives its ``FunType``); other functions are applied to ``arg_types``."""
    if isinstance(prog, Fun) and not arg_types:
        return prog.type
    if isinstance(prog, FunDecl):
        checker = _Checker()
        _, result = checker.apply(prog, list(arg_types), {})
        return FunType(tuple(arg_types), checker.normalise(result))
    if isinstance(prog, Expr):
        return _Checker().expr(prog, {}).type  # type: ignore[return-value]
    raise LiftTypeError(f"typecheck: expected a program, found {type(prog).__name__}")


def typed_for(f: FunDecl, *arg_types: DataType) -> FunDecl:
    """``f`` (taken from a typed program) typed again for arguments of ``arg_types``: its free parameters keep
    the types they have in ``f``. The backend uses it for the steps of ``iterate``, whose function sees another
    type at each step."""
    env = {n.name: n.type for n in walk(f) if isinstance(n, Param) and n.type is not None}
    typed, _ = _Checker().apply(f, list(arg_types), env)
    return typed


def types_equal(a: Type, b: Type, assuming: Sequence[Constraint] = ()) -> bool:
    """Structural equality with sizes compared under ``assuming`` (canonical forms, then Z3)."""
    if a == b:
        return True
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        return equal(a.size, b.size, assuming) and types_equal(a.elem, b.elem, assuming)
    if isinstance(a, TupleType) and isinstance(b, TupleType):
        return len(a.elems) == len(b.elems) and all(types_equal(x, y, assuming) for x, y in zip(a.elems, b.elems))
    return False


Env = Mapping[str, DataType]


class _Checker:
    """One checking run: the constraints collected so far and the simplifier they imply."""

    def __init__(self) -> None:
        self.constraints: list[Constraint] = []
        self.simplifier = Simplifier()

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

    # ---- expressions ---------------------------------------------------------------------------------
    def expr(self, e: Expr, env: Env, expected: DataType | None = None) -> Expr:
        if isinstance(e, Param):
            if e.name not in env:
                raise LiftTypeError(f"parameter {e.name!r} is used outside the lambda or program that binds it")
            return Param(e.name, env[e.name])
        if isinstance(e, Literal):
            return self.literal(e, expected, "literal")
        if isinstance(e, Source):
            return e.typed(e.result(self))
        if isinstance(e, FunCall):
            hints = self.arg_hints(e.f, len(e.args))
            args = [self.expr(a, env, h) for a, h in zip(e.args, hints)]
            f, result = self.apply(e.f, [a.type for a in args], env)  # type: ignore[misc]
            return FunCall(f, tuple(args), self.normalise(result))
        raise LiftTypeError(f"unknown expression node {type(e).__name__}")

    def arg_hints(self, f: FunDecl, n: int) -> list[DataType | None]:
        if isinstance(f, UserFun) and len(f.param_types) == n:
            return list(f.param_types)
        return [None] * n

    def literal(self, e: Literal, expected: DataType | None, where: str) -> Literal:
        if isinstance(e.value, tuple):
            if expected is None:
                elems: tuple[DataType | None, ...] = (None,) * len(e.value)
            elif isinstance(expected, TupleType) and len(expected.elems) == len(e.value):
                elems = expected.elems
            else:
                raise LiftTypeError(f"{where}: the tuple {e.value!r} does not match the expected type {expected}")
            parts = [self.literal(Literal(v), t, where) for v, t in zip(e.value, elems)]
            return Literal(e.value, None, TupleType(tuple(p.type for p in parts)))  # type: ignore[misc]
        scalar = e.scalar
        if scalar is None:
            if isinstance(expected, ScalarType):
                scalar = expected
            else:
                scalar = f32 if isinstance(e.value, float) else i32
        if isinstance(e.value, float) and not scalar.is_float and not float(e.value).is_integer():
            raise LiftTypeError(f"{where}: the value {e.value!r} does not fit the integer type {scalar}")
        if expected is not None and isinstance(expected, ScalarType) and scalar != expected:
            raise LiftTypeError(f"{where}: expected a value of type {expected}, found {e.value!r} of type {scalar}")
        return Literal(e.value, e.scalar, scalar)

    # ---- function application ------------------------------------------------------------------------
    def iterate(self, f: Iterate, t: DataType, env: Env) -> tuple[FunDecl, DataType]:
        """``iterate(k, g)`` on ``t``, without unrolling ``k`` steps: ``types[i]`` is the type after ``i``
        steps; once one repeats an earlier one (``types[j]``, ``p`` steps before), the sequence cycles and step
        ``k`` has type ``types[j + (k - j) % p]``. The body is typed for the input of the last step."""
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
            _, after = self.apply(f.f, [types[-1]], env)
            if after in types:
                start = types.index(after)
                period = len(types) - start
                types.append(after)
                last_input = types[start + (f.k - 1 - start) % period] if f.k - 1 >= start else types[f.k - 1]
                typed_body, _ = self.apply(f.f, [last_input], env)
                return Iterate(f.k, typed_body), types[start + (f.k - start) % period]
            types.append(after)
        if f.k == 0:
            return f, t
        typed_body, _ = self.apply(f.f, [types[f.k - 1]], env)
        return Iterate(f.k, typed_body), types[f.k]

    def apply(self, f: FunDecl, ts: list[DataType], env: Env) -> tuple[FunDecl, DataType]:
        """Type ``f`` applied to arguments of types ``ts``: the typed function and the result type."""
        if isinstance(f, Lambda):
            if len(ts) != len(f.params):
                raise LiftTypeError(f"a lambda of {len(f.params)} parameter(s) is applied to {len(ts)} argument(s)")
            inner = {**env, **{p.name: t for p, t in zip(f.params, ts)}}
            body = self.expr(f.body, inner)
            params = tuple(Param(p.name, t) for p, t in zip(f.params, ts))
            assert body.type is not None
            if isinstance(f, Fun):
                return Fun(params, body, f.name, f.param_types), body.type
            return Lambda(params, body), body.type
        if isinstance(f, UserFun):
            return f, self.userfun(f, ts)
        name = _display(f)
        if isinstance(f, Zip):
            return f, self.zip(f, ts)
        if len(ts) != 1:
            raise LiftTypeError(f"{name} takes one argument, found {len(ts)}")
        (t,) = ts
        if isinstance(f, Get):
            if not isinstance(t, TupleType):
                raise LiftTypeError(f"get({f.i}): expected a tuple, found {t}")
            if not 0 <= f.i < len(t.elems):
                raise LiftTypeError(f"get({f.i}): the tuple {t} has only {len(t.elems)} components")
            return f, t.elems[f.i]
        if isinstance(f, (Id, ToMem)):
            if isinstance(f, ToMem):
                inner_f, r = self.apply(f.f, ts, env)
                return ToMem(f.space, inner_f), r
            return f, t
        if isinstance(f, Iterate):
            return self.iterate(f, t, env)
        arr = self.array(t, name)
        if isinstance(f, Layout):
            return f, f.result(arr, self)
        if isinstance(f, Map):
            elem_f, b = self.apply(f.f, self.unpacked(f.f, arr.elem), env)
            return f.replace(f=elem_f), ArrayType(b, arr.size)
        if isinstance(f, Reduce):
            return self.reduce(f, arr, env)
        raise LiftTypeError(f"unknown function node {type(f).__name__}")

    def array(self, t: DataType, name: str, message: str | None = None) -> ArrayType:
        if not isinstance(t, ArrayType):
            raise LiftTypeError(message or f"{name}: expected an array, found {t}")
        return t

    @staticmethod
    def unpacked(f: FunDecl, elem: DataType) -> list[DataType]:
        """A user function of k parameters applied to a k-tuple takes the components as its arguments."""
        if isinstance(f, UserFun) and len(f.param_types) > 1 and isinstance(elem, TupleType):
            if len(elem.elems) == len(f.param_types):
                return list(elem.elems)
        return [elem]

    def userfun(self, f: UserFun, ts: list[DataType]) -> DataType:
        if len(ts) == 1 and len(f.param_types) > 1 and isinstance(ts[0], TupleType):
            ts = list(ts[0].elems)
        if len(ts) != len(f.param_types):
            raise LiftTypeError(
                f"user function {f.name}: takes {len(f.param_types)} argument(s) "
                f"({', '.join(map(str, f.param_types))}), found {len(ts)} ({', '.join(map(str, ts))})"
            )
        for pname, want, got in zip(f.param_names, f.param_types, ts):
            if not self.same(want, got):
                raise LiftTypeError(f"user function {f.name}: parameter {pname!r} expects {want}, found {got}")
        return f.result_type

    def zip(self, f: Zip, ts: list[DataType]) -> DataType:
        if len(ts) != f.n or f.n < 2:
            raise LiftTypeError(f"zip: expected {f.n} arrays (at least 2), found {len(ts)}")
        arrays = [self.array(t, "zip", f"zip: argument {i} is not an array but {t}") for i, t in enumerate(ts)]
        first = arrays[0]
        for i, a in enumerate(arrays[1:], 1):
            if not equal(a.size, first.size, self.constraints):
                raise LiftTypeError(
                    f"zip: expected arrays of equal size, found {first} (size {first.size}) and argument {i} "
                    f"{a} (size {a.size}): the constraint {first.size} == {a.size} fails"
                )
        return ArrayType(TupleType(tuple(a.elem for a in arrays)), first.size)

    def reduce(self, f: Reduce, arr: ArrayType, env: Env) -> tuple[FunDecl, DataType]:
        name = _display(f)
        if f.seq and isinstance(f.f, UserFun) and f.f.param_types:
            acc_hint: DataType | None = f.f.param_types[0]
        else:
            acc_hint = arr.elem
        if isinstance(f.init, Literal) and isinstance(f.init.value, tuple) and not _tuple_of(acc_hint, f.init.value):
            # reduce_seq's accumulator may differ from the elements: a tuple literal then gives its own type
            acc_hint = None
        elif (
            isinstance(f.init, Literal)
            and not isinstance(f.init.value, tuple)
            and acc_hint is not None
            and not isinstance(acc_hint, ScalarType)
        ):
            # a scalar literal accumulating over tuples or arrays takes the scalar type of the data reduced
            leaf = _first_scalar(acc_hint, float if isinstance(f.init.value, float) else int)
            acc_hint = leaf if leaf is not None else acc_hint
        init = self.expr(f.init, env, acc_hint)
        acc = init.type
        assert acc is not None
        if not f.seq and not self.same(acc, arr.elem):
            raise LiftTypeError(f"{name}: the initial value has type {acc} but the elements have type {arr.elem}")
        try:
            typed_f, r = self.apply(f.f, [acc, arr.elem], env)
        except LiftTypeError as err:
            if f.seq:
                raise
            raise LiftTypeError(
                f"{err} — {name} needs a function (a, a) -> a over its elements a = {arr.elem}; "
                "for an accumulator of another type use reduce_seq(f, init)"
            ) from None
        if not self.same(r, acc):
            raise LiftTypeError(f"{name}: the function must return the accumulator's type {acc}, but returns {r}")
        if not f.seq:  # any order and grouping: the operator's laws must hold (proved with Z3 where it can)
            check_reduce_laws(f.f, init, arr.elem, where=name, op_name=_display(f.f))
        return Reduce(typed_f, init, f.seq), ArrayType(acc, Cst(1))


def _tuple_of(t: DataType | None, value: tuple[object, ...]) -> bool:
    """``t`` is a tuple type with one component per element of the literal ``value``."""
    return isinstance(t, TupleType) and len(t.elems) == len(value)


def _static_sizes(f: FunDecl | Source) -> list[ArithExpr]:
    """The size arguments of a combinator (``split(M)`` has ``M``) or a source (the sizes of its type)."""
    if isinstance(f, Layout):
        return list(f.sizes())
    if isinstance(f, Source):
        return f.sizes()
    return []


def _check_size_variables(prog: Fun) -> None:
    """Every size variable a combinator mentions must be fixed by the parameters' types."""
    known = {v.name for t in prog.param_types for n in sizes_of(t) for v in n.free_vars()}
    for node in walk(prog):
        if isinstance(node, (FunDecl, Source)):
            for n in _static_sizes(node):
                unknown = sorted(v.name for v in n.free_vars() if v.name not in known)
                if unknown:
                    raise LiftTypeError(
                        f"{_display(node)}: the size {', '.join(unknown)} is not fixed by any parameter's type "
                        f"({', '.join(map(str, prog.param_types))}); use a size that appears there, or a constant"
                    )


def _first_scalar(t: DataType, kind: type) -> ScalarType | None:
    """The first scalar in ``t`` (through arrays and tuples) that is a float (``kind=float``) or an integer."""
    if isinstance(t, ScalarType):
        return t if t.is_float == (kind is float) else None
    if isinstance(t, ArrayType):
        return _first_scalar(t.elem, kind)
    if isinstance(t, TupleType):
        for e in t.elems:
            found = _first_scalar(e, kind)
            if found is not None:
                return found
    return None


def _display(f: FunDecl | Source) -> str:
    """How a combinator is written in the DSL, for messages: ``split(4)``, ``slide(3, 1)``, ``map``."""
    from lift.dsl.printer import show

    return show(f)
