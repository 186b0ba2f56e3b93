"""The reference interpreter: the meaning of every program, computed with numpy, vectorised.

A ``map`` does not loop: its function runs once on the whole array, whose mapped dimension becomes a *batch
axis*. A value computed under ``d`` enclosing maps is an ndarray whose first ``d`` axes are batch axes, each
either of full size or of size 1 when the value does not vary along it (a parameter of an outer lambda is
never copied out to the inner batch shape; numpy broadcasting does the rest). Arrays of tuples are tuples of
arrays (structure of arrays). User functions run on whole arrays through their numpy translation.

Two reductions get a faster, equally meaningful evaluation: ``reduce(add)`` over ``map(mult)`` over
``zip(a, b)`` (a dot product, also when written as one ``reduce_seq``) becomes one ``einsum`` contraction —
matrix multiplication and convolution become BLAS calls — and an algorithmic ``reduce`` of any associative
function combines halves in ``log2(n)`` vectorised steps. ``reduce_seq`` of anything else folds from the left.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from lift.dsl.bind import bind_arguments
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
)
from lift.dsl.layout import Layout
from lift.dsl.limits import MEMORY_LIMIT_BYTES as MEMORY_LIMIT_BYTES  # documented here too
from lift.dsl.limits import check_allocation, fitting
from lift.dsl.mapper import NodeMapper
from lift.dsl.source import Source
from lift.dsl.userfun_syntax import parse_python
from lift.errors import LiftInternalError, LiftLimitError, LiftTypeError
from lift.types.arith import ArithExpr
from lift.types.data import ArrayType, DataType, ScalarType, TupleType

__all__ = ["interpret"]

Value = np.ndarray | tuple["Value", ...]


def interpret(prog: Fun, *arrays: Any) -> Any:
    """The result of ``prog`` on ``arrays`` (numpy arrays, or tuples of arrays for arrays of tuples).

    Sizes are bound from the arrays' shapes. A shape that contradicts the types, a violated size fact
    (e.g. ``N % 4 == 0``) or a dtype that cannot be cast safely raises ``LiftTypeError`` naming the parameter.
    ``reduce`` results keep their leading axis of 1; an array of tuples comes back as a tuple of arrays.
    """
    if not isinstance(prog, Fun):
        raise LiftTypeError(f"interpret(prog, *arrays): expected a program made with @fun, found {type(prog).__name__}")
    typed = prog.typed
    values, sizes = bind_arguments(typed, arrays)
    # read-only views: the interpreter never writes into the caller's arrays (an attempt would raise)
    inputs = [_leafmap(_read_only, v) for v in values]
    run = _Interpreter(sizes)
    env = {p.name: _Bound(v, 0) for p, v in zip(typed.program.params, inputs)}
    try:
        result = run.expr(typed.program.body, env, 0)
        return _materialise(result)
    except MemoryError as err:
        raise LiftLimitError(
            f"interpret {prog.name}: numpy could not allocate memory ({err}); the host's memory is exhausted at "
            f"sizes {_show_sizes(sizes)}, use smaller arrays"
        ) from None


def _read_only(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view


def _materialise(result: Value) -> Any:
    """The result as fresh, writable, contiguous arrays: never a view of an input, nor of another component
    (``id``, ``split >> join`` and ``zip(x, x)`` would otherwise hand back the caller's own array)."""
    done: list[np.ndarray] = []

    def own(a: np.ndarray) -> np.ndarray:
        out = np.ascontiguousarray(a)
        # inputs are read-only views, so every view of one is too; a writable view of a computed value is
        # copied only when another component of the result shares its memory
        if not out.flags.writeable or any(np.may_share_memory(out, b) for b in done):
            check_allocation(out.shape, out.dtype.itemsize, "the result")
            out = out.copy()
        done.append(out)
        return out

    return _leafmap(own, result)


def _show_sizes(sizes: Mapping[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(sizes.items())) or "(constant)"


@dataclass(frozen=True)
class _Bound:
    """A parameter's value and the number of batch axes it was bound under."""

    value: Value
    depth: int


# ---- structure-of-arrays helpers -------------------------------------------------------------------------


def _leafmap(fn: Callable[..., np.ndarray], *values: Value) -> Value:
    """``fn`` applied to the arrays at the same place in ``values`` (values of one tuple structure)."""
    if isinstance(values[0], tuple):
        return tuple(_leafmap(fn, *parts) for parts in zip(*values))  # type: ignore[arg-type,unused-ignore]
    return fn(*values)


def _leaves(v: Value) -> list[np.ndarray]:
    if isinstance(v, tuple):
        return [leaf for x in v for leaf in _leaves(x)]
    return [np.asarray(v)]


def _outer_size(v: Value, depth: int) -> int:
    """The length of the array ``v`` under ``depth`` batch axes: its axis ``depth``."""
    return _leaves(v)[0].shape[depth]


def _lift(v: Value, from_depth: int, to_depth: int) -> Value:
    """A value bound under ``from_depth`` batch axes, seen under ``to_depth``: new size-1 batch axes."""
    if from_depth == to_depth:
        return v
    extra = (1,) * (to_depth - from_depth)
    return _leafmap(lambda a: a.reshape(a.shape[:from_depth] + extra + a.shape[from_depth:]), v)


def _full_axis(v: Value, axis: int, n: int) -> Value:
    """Broadcast a size-1 axis to ``n`` (a view) where a map's body did not vary along it."""

    def fix(a: np.ndarray) -> np.ndarray:
        if a.shape[axis] == n:
            return a
        return np.broadcast_to(a, a.shape[:axis] + (n,) + a.shape[axis + 1 :])

    return _leafmap(fix, v)


def _slice(v: Value, axis: int, start: int, stop: int) -> Value:
    index = (slice(None),) * axis + (slice(start, stop),)
    return _leafmap(lambda a: a[index], v)


def _concat(a: Value, b: Value, axis: int) -> Value:
    def join(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(x.shape[:axis], y.shape[:axis])
        x = np.broadcast_to(x, shape + x.shape[axis:])
        y = np.broadcast_to(y, shape + y.shape[axis:])
        return np.concatenate([x, y], axis=axis)

    return _leafmap(join, a, b)


class _Constant(NodeMapper[Value]):
    """A literal's value, by its type, under ``depth`` batch axes of size 1 (a tuple of arrays for a tuple)."""

    covers = (DataType,)

    def map_scalar_type(self, t: ScalarType, value: Any, depth: int) -> Value:
        return np.full((1,) * depth, fitting(value, t.dtype, f"the literal {value!r}"), dtype=t.dtype)

    def map_tuple_type(self, t: TupleType, value: Any, depth: int) -> Value:
        return tuple(self(et, v, depth) for v, et in zip(value, t.elems))

    def map_array_type(self, t: ArrayType, value: Any, depth: int) -> Value:
        raise LiftInternalError(f"interpret: the literal {value!r} has the array type {t}; literals are scalars")


_constant = _Constant()


# ---- recognising dot products ---------------------------------------------------------------------------

_BINARY_OPS = {"add": "+", "mul": "*"}
"""The user functions recognised as addition and multiplication, by the operator their one statement uses."""


@lru_cache(maxsize=256)
def _binary_op(f: FunDecl) -> str | None:
    """``"add"`` / ``"mul"`` when ``f`` is a user function ``return x + y`` / ``return x * y``."""
    if not isinstance(f, UserFun) or len(f.param_names) != 2:
        return None
    if not all(isinstance(t, ScalarType) for t in (*f.param_types, f.result_type)):
        return None
    if len(set(f.param_types) | {f.result_type}) != 1:
        return None
    definition = parse_python(f.source).body[0]
    assert isinstance(definition, ast.FunctionDef)  # the source of a @userfun is one function definition
    statements = definition.body[1:] if ast.get_docstring(definition) is not None else definition.body
    if len(statements) != 1:
        return None
    # the one statement, compared with each form it may take (either operand order)
    x, y = f.param_names
    forms = {
        ast.dump(parse_python(f"return {a} {symbol} {b}").body[0]): op
        for op, symbol in _BINARY_OPS.items()
        for a, b in ((x, y), (y, x))
    }
    return forms.get(ast.dump(statements[0]))


@dataclass(frozen=True)
class _Dot:
    """A reduction recognised as the dot product of two arrays."""

    left: Expr
    """The first array."""
    right: Expr
    """The second array."""
    add: FunDecl
    """The user function that adds the sum to the reduction's initial value."""


def _dot(f: Reduce, arg: Expr) -> _Dot | None:
    """The dot product that ``f`` applied to ``arg`` computes, if it is one: ``reduce(add)`` of
    ``map(mult)(zip(a, b))``, or ``reduce_seq(λacc, p. add(acc, mult(p[0], p[1])))`` of ``zip(a, b)``."""
    if not isinstance(arg, FunCall):
        return None
    if _binary_op(f.f) == "add" and isinstance(arg.f, Map) and _binary_op(arg.f.f) == "mul":
        zipped = _zipped_pair(arg.args[0])
        dot = None if zipped is None else _Dot(*zipped, f.f)
    elif f.seq and isinstance(f.f, Lambda):
        add = _acc_plus_product(f.f)
        zipped = _zipped_pair(arg)
        dot = None if add is None or zipped is None else _Dot(*zipped, add)
    else:
        return None
    # a user function on scalars applied to vectors runs lane by lane: no contraction of whole elements
    return dot if dot is not None and _of_scalars(dot) else None


def _of_scalars(dot: _Dot) -> bool:
    """Whether both arrays hold the very scalars the addition takes (not vectors of them)."""
    assert isinstance(dot.add, UserFun)
    scalar = dot.add.param_types[0]
    return all(isinstance(e.type, ArrayType) and e.type.elem == scalar for e in (dot.left, dot.right))


def _zipped_pair(e: Expr) -> tuple[Expr, Expr] | None:
    """``(a, b)`` when ``e`` is ``zip(a, b)``."""
    if isinstance(e, FunCall) and e.f == Zip(2):
        a, b = e.args
        return a, b
    return None


def _acc_plus_product(lam: Lambda) -> FunDecl | None:
    """The addition when ``lam`` is ``lambda acc, p: add(acc, mult(p[0], p[1]))`` (either operand order)."""
    if len(lam.params) != 2:
        return None
    acc, p = lam.params
    total = _binary_call(lam.body, "add")
    if total is None:
        return None
    add, a, b = total
    if b == acc:
        a, b = b, a
    product = _binary_call(b, "mul")
    if a != acc or product is None or set(product[1:]) != {p[0], p[1]}:
        return None
    return add


def _binary_call(e: Expr, op: str) -> tuple[FunDecl, Expr, Expr] | None:
    """The function and its two arguments when ``e`` applies a user function recognised as ``op`` (``add``,
    ``mul``)."""
    if isinstance(e, FunCall) and _binary_op(e.f) == op and len(e.args) == 2:
        a, b = e.args
        return e.f, a, b
    return None


def _contract(a: np.ndarray, b: np.ndarray, depth: int) -> np.ndarray:
    """``sum(a * b)`` over axis ``depth`` (the dot axis), broadcasting the batch axes, as one einsum."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    spec_a, spec_b, spec_out = [], [], []
    squeeze_a, squeeze_b, out_shape = [], [], []
    for axis in range(depth):
        na, nb = a.shape[axis], b.shape[axis]
        label = letters[axis]
        if na != 1:
            spec_a.append(label)
        else:
            squeeze_a.append(axis)
        if nb != 1:
            spec_b.append(label)
        else:
            squeeze_b.append(axis)
        if na != 1 or nb != 1:
            spec_out.append(label)
        out_shape.append(max(na, nb))
    spec_a.append("z")
    spec_b.append("z")
    a2 = a.reshape([s for i, s in enumerate(a.shape) if i not in squeeze_a])
    b2 = b.reshape([s for i, s in enumerate(b.shape) if i not in squeeze_b])
    spec = f"{''.join(spec_a)},{''.join(spec_b)}->{''.join(spec_out)}"
    out = np.einsum(spec, a2, b2, optimize=True)
    return np.asarray(out, dtype=np.result_type(a, b)).reshape(out_shape + [1])


# ---- the interpreter ----------------------------------------------------------------------------------


class _Interpreter(NodeMapper[Value]):
    """The meaning of each node: an expression evaluated in an environment (``self(e, env, depth)``), a function
    applied to argument values (``self(f, args, env, depth)``), both under ``depth`` batch axes."""

    covers = (Expr, FunDecl)

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self.sizes = dict(sizes)

    def size(self, e: ArithExpr) -> int:
        return e.evaluate(self.sizes)

    def expr(self, e: Expr, env: Mapping[str, _Bound], depth: int) -> Value:
        """The value of ``e`` under ``depth`` batch axes."""
        return self(e, env, depth)

    def apply(self, f: FunDecl, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        """``f`` applied to argument values under ``depth`` batch axes."""
        return self(f, args, env, depth)

    # ---- expressions ----------------------------------------------------------------------------------
    def map_param(self, e: Param, env: Mapping[str, _Bound], depth: int) -> Value:
        bound = env[e.name]
        return _lift(bound.value, bound.depth, depth)

    def map_literal(self, e: Literal, env: Mapping[str, _Bound], depth: int) -> Value:
        return _constant(e.type, e.value, depth)

    def map_source(self, e: Source, env: Mapping[str, _Bound], depth: int) -> Value:
        return _lift(e.meaning(self.size), 0, depth)

    def map_fun_call(self, e: FunCall, env: Mapping[str, _Bound], depth: int) -> Value:
        if isinstance(e.f, Reduce):
            dot = _dot(e.f, e.args[0])
            if dot is not None:
                return self.dot(e.f, dot, env, depth)
        return self.apply(e.f, [self.expr(a, env, depth) for a in e.args], env, depth)

    # ---- functions ------------------------------------------------------------------------------------
    def map_lambda(self, f: Lambda, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        inner = {**env, **{p.name: _Bound(v, depth) for p, v in zip(f.params, args)}}
        return self.expr(f.body, inner, depth)

    def map_user_fun(self, f: UserFun, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        if len(args) == 1 and len(f.param_names) > 1:  # mapped over tuples: the components are the arguments
            args = list(args[0])
        # the arguments broadcast against each other (batch axes of size 1): the result may be far larger
        shape = np.broadcast_shapes(*(leaf.shape for arg in args for leaf in _leaves(arg)))
        check_allocation(shape, int(f.result_type.byte_count().evaluate({})), f"user function {f.name}")
        return f.translated.evaluate(*args)  # type: ignore[no-any-return,unused-ignore]

    def map_zip(self, f: Zip, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        return tuple(args)

    def map_get(self, f: Get, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        (v,) = args
        return v[f.i]

    def map_id(self, f: Id, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        (v,) = args
        return v

    def map_to_mem(self, f: ToMem, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        return self.apply(f.f, args, env, depth)

    def map_iterate(self, f: Iterate, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        (v,) = args
        for _ in range(f.k):
            v = self.apply(f.f, [v], env, depth)
        return v

    # the patterns below take an array: its outermost dimension is axis `depth`
    def map_map(self, f: Map, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        (v,) = args
        return _full_axis(self.apply(f.f, [v], env, depth + 1), depth, _outer_size(v, depth))

    def map_layout(self, f: Layout, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        (v,) = args
        return _leafmap(lambda a: f.meaning(a, depth, self.sizes), v)

    def map_reduce(self, f: Reduce, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        (v,) = args
        n = _outer_size(v, depth)
        init = self.expr(f.init, env, depth)
        d = depth
        if f.seq:
            acc = init
            for i in range(n):
                x = _leafmap(lambda a, i=i: np.take(a, i, axis=d), v)
                acc = self.apply(f.f, [acc, x], env, depth)
            return _leafmap(lambda a: np.expand_dims(a, d), acc)
        # associative and commutative: combine halves, log2(n) vectorised steps
        while n > 1:
            half = n // 2
            both = self.apply(f.f, [_slice(v, d, 0, half), _slice(v, d, half, 2 * half)], env, depth + 1)
            both = _full_axis(both, d, half)
            if n % 2:
                both = _concat(both, _slice(v, d, 2 * half, n), d)
            v, n = both, half + n % 2
        init1 = _leafmap(lambda a: np.expand_dims(a, d), init)
        return _full_axis(self.apply(f.f, [init1, v], env, depth + 1), d, 1)

    def dot(self, f: Reduce, dot: _Dot, env: Mapping[str, _Bound], depth: int) -> Value:
        """``f`` (a reduction recognised as ``dot``) computed as one contraction, then added to its initial value."""
        a = np.asarray(self.expr(dot.left, env, depth))  # the operands are arrays of scalars
        b = np.asarray(self.expr(dot.right, env, depth))
        summed = _contract(a, b, depth)
        init = self.expr(f.init, env, depth)
        init1 = _leafmap(lambda x: np.expand_dims(x, depth), init)
        return self.apply(dot.add, [init1, summed], env, depth + 1)
