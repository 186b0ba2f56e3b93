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
from collections.abc import Mapping
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
from lift.dsl.source import Source
from lift.dsl.userfun_syntax import parse_python
from lift.errors import LiftLimitError, LiftTypeError
from lift.types.arith import ArithExpr
from lift.types.data import ScalarType, TupleType

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
    inputs = [_leafmap(v, _read_only) for v in values]
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

    return _leafmap(result, own)


def _show_sizes(sizes: Mapping[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(sizes.items())) or "(constant)"


@dataclass(frozen=True)
class _Bound:
    """A parameter's value and the number of batch axes it was bound under."""

    value: Value
    depth: int


# ---- structure-of-arrays helpers -------------------------------------------------------------------------


def _leafmap(v: Value, fn: Any) -> Value:
    if isinstance(v, tuple):
        return tuple(_leafmap(x, fn) for x in v)
    return fn(v)


def _first_leaf(v: Value) -> np.ndarray:
    while isinstance(v, tuple):
        v = v[0]
    return v


def _lift(v: Value, from_depth: int, to_depth: int) -> Value:
    """A value bound under ``from_depth`` batch axes, seen under ``to_depth``: new size-1 batch axes."""
    if from_depth == to_depth:
        return v
    extra = (1,) * (to_depth - from_depth)
    return _leafmap(v, lambda a: a.reshape(a.shape[:from_depth] + extra + a.shape[from_depth:]))


def _full_axis(v: Value, axis: int, n: int) -> Value:
    """Broadcast a size-1 axis to ``n`` (a view) where a map's body did not vary along it."""

    def fix(a: np.ndarray) -> np.ndarray:
        if a.shape[axis] == n:
            return a
        return np.broadcast_to(a, a.shape[:axis] + (n,) + a.shape[axis + 1 :])

    return _leafmap(v, fix)


# ---- recognising dot products ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _binary_op(f: FunDecl) -> str | None:
    """``"add"`` / ``"mul"`` when ``f`` is a user function ``return x + y`` / ``return x * y``."""
    if not isinstance(f, UserFun) or len(f.param_names) != 2:
        return None
    if not all(isinstance(t, ScalarType) for t in (*f.param_types, f.result_type)):
        return None
    if len(set(f.param_types) | {f.result_type}) != 1:
        return None
    tree = parse_python(f.source).body[0]
    assert isinstance(tree, ast.FunctionDef)
    body = [s for s in tree.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or not isinstance(body[0].value, ast.BinOp):
        return None
    op = body[0].value
    names = {n.id for n in (op.left, op.right) if isinstance(n, ast.Name)}
    if names != set(f.param_names):
        return None
    return {ast.Add: "add", ast.Mult: "mul"}.get(type(op.op))


def _dot_operands(f: Reduce, arg: Expr) -> tuple[Expr, Expr] | None:
    """The two arrays whose dot product ``f`` applied to ``arg`` computes, if it is one."""
    if _binary_op(f.f) == "add" and isinstance(arg, FunCall) and isinstance(arg.f, Map):
        inner = arg.f.f
        zipped = arg.args[0]
        if _binary_op(inner) == "mul" and isinstance(zipped, FunCall) and isinstance(zipped.f, Zip):
            if zipped.f.n == 2:
                return zipped.args[0], zipped.args[1]
    if f.seq and isinstance(f.f, Lambda) and len(f.f.params) == 2 and isinstance(arg, FunCall):
        if isinstance(arg.f, Zip) and arg.f.n == 2 and _is_acc_plus_product(f.f):
            return arg.args[0], arg.args[1]
    return None


def _is_acc_plus_product(lam: Lambda) -> bool:
    """``lambda acc, p: add(acc, mult(p[0], p[1]))`` (either operand order)."""
    acc, p = lam.params
    body = lam.body
    if not (isinstance(body, FunCall) and _binary_op(body.f) == "add" and len(body.args) == 2):
        return False
    a, b = body.args
    if b == acc:
        a, b = b, a
    if a != acc or not (isinstance(b, FunCall) and _binary_op(b.f) == "mul" and len(b.args) == 2):
        return False
    components = {_get_of_param(x) for x in b.args}
    return components == {(0, p.name), (1, p.name)}


def _get_of_param(x: Expr) -> tuple[int, str] | None:
    """``(i, name)`` when ``x`` is ``name[i]`` for a parameter ``name``."""
    if isinstance(x, FunCall) and isinstance(x.f, Get) and isinstance(x.args[0], Param):
        return x.f.i, x.args[0].name
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


class _Interpreter:
    def __init__(self, sizes: Mapping[str, int]) -> None:
        self.sizes = dict(sizes)

    def size(self, e: ArithExpr) -> int:
        return e.evaluate(self.sizes)

    def expr(self, e: Expr, env: Mapping[str, _Bound], depth: int) -> Value:
        if isinstance(e, Param):
            bound = env[e.name]
            return _lift(bound.value, bound.depth, depth)
        if isinstance(e, Literal):
            return _constant(e.value, e.type, depth)
        if isinstance(e, Source):
            return _lift(e.meaning(self.size), 0, depth)
        if isinstance(e, FunCall):
            if isinstance(e.f, Reduce):
                operands = _dot_operands(e.f, e.args[0])
                if operands is not None:
                    return self.dot(e.f, operands, env, depth)
            return self.apply(e.f, [self.expr(a, env, depth) for a in e.args], env, depth)
        raise LiftTypeError(f"interpret: unknown expression node {type(e).__name__}")

    def apply(self, f: FunDecl, args: list[Value], env: Mapping[str, _Bound], depth: int) -> Value:
        """``f`` applied to argument values under ``depth`` batch axes."""
        if isinstance(f, Lambda):
            inner = {**env, **{p.name: _Bound(v, depth) for p, v in zip(f.params, args)}}
            return self.expr(f.body, inner, depth)
        if isinstance(f, UserFun):
            if len(args) == 1 and len(f.param_names) > 1:
                args = list(args[0])
            # the arguments broadcast against each other (batch axes of size 1): the result may be far larger
            shape = np.broadcast_shapes(*(leaf.shape for arg in args for leaf in _leaves(arg)))
            check_allocation(shape, _bytes_of(f.result_type), f"user function {f.name}")
            return f.translated.evaluate(*args)  # type: ignore[no-any-return,unused-ignore]
        if isinstance(f, Zip):
            return tuple(args)
        (v,) = args
        if isinstance(f, Get):
            assert isinstance(v, tuple)
            return v[f.i]
        if isinstance(f, Id):
            return v
        if isinstance(f, ToMem):
            return self.apply(f.f, args, env, depth)
        if isinstance(f, Iterate):
            for _ in range(f.k):
                v = self.apply(f.f, [v], env, depth)
            return v
        # every remaining pattern takes an array: its outermost dimension is axis `depth`
        d = depth
        n = _first_leaf(v).shape[d]
        if isinstance(f, Map):
            elem_args = [v]
            if isinstance(f.f, UserFun) and len(f.f.param_names) > 1 and isinstance(v, tuple):
                elem_args = list(v)
            return _full_axis(self.apply(f.f, elem_args, env, depth + 1), depth, n)
        if isinstance(f, Reduce):
            return self.reduce(f, v, n, env, depth)
        if isinstance(f, Layout):
            layout = f
            return _leafmap(v, lambda a: layout.meaning(a, d, self.sizes))
        raise LiftTypeError(f"interpret: unknown function node {type(f).__name__}")

    def reduce(self, f: Reduce, v: Value, n: int, env: Mapping[str, _Bound], depth: int) -> Value:
        init = self.expr(f.init, env, depth)
        d = depth
        if f.seq:
            acc = init
            for i in range(n):
                x = _leafmap(v, lambda a, i=i: np.take(a, i, axis=d))
                acc = self.apply(f.f, [acc, x], env, depth)
            return _leafmap(acc, lambda a: np.expand_dims(a, d))
        # associative and commutative: combine halves, log2(n) vectorised steps
        while n > 1:
            half = n // 2
            both = self.apply(f.f, [_slice(v, d, 0, half), _slice(v, d, half, 2 * half)], env, depth + 1)
            both = _full_axis(both, d, half)
            if n % 2:
                both = _concat(both, _slice(v, d, 2 * half, n), d)
            v, n = both, half + n % 2
        init1 = _leafmap(init, lambda a: np.expand_dims(a, d))
        return _full_axis(self.apply(f.f, [init1, v], env, depth + 1), d, 1)

    def dot(self, f: Reduce, operands: tuple[Expr, Expr], env: Mapping[str, _Bound], depth: int) -> Value:
        a = self.expr(operands[0], env, depth)
        b = self.expr(operands[1], env, depth)
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
        summed = _contract(a, b, depth)
        init = self.expr(f.init, env, depth)
        init1 = _leafmap(init, lambda x: np.expand_dims(x, depth))
        add = f.f if isinstance(f.f, UserFun) else f.f.body.f  # type: ignore[attr-defined]
        return self.apply(add, [init1, summed], env, depth + 1)


def _slice(v: Value, axis: int, start: int, stop: int) -> Value:
    index = (slice(None),) * axis + (slice(start, stop),)
    return _leafmap(v, lambda a: a[index])


def _constant(value: Any, t: Any, depth: int) -> Value:
    if isinstance(t, TupleType):
        return tuple(_constant(v, et, depth) for v, et in zip(value, t.elems))
    assert isinstance(t, ScalarType)
    return np.full((1,) * depth, fitting(value, t.dtype, f"the literal {value!r}"), dtype=t.dtype)


def _leaves(v: Any) -> list[np.ndarray]:
    if isinstance(v, tuple):
        return [leaf for x in v for leaf in _leaves(x)]
    return [np.asarray(v)]


def _bytes_of(t: Any) -> int:
    """Bytes per element of a scalar or tuple type."""
    if isinstance(t, TupleType):
        return sum(_bytes_of(e) for e in t.elems)
    return int(t.dtype.itemsize) if isinstance(t, ScalarType) else 8


def _concat(a: Value, b: Value, axis: int) -> Value:
    if isinstance(a, tuple):
        return tuple(_concat(x, y, axis) for x, y in zip(a, b))  # type: ignore[arg-type,unused-ignore]
    assert isinstance(b, np.ndarray)
    shape = np.broadcast_shapes(a.shape[:axis], b.shape[:axis])
    a = np.broadcast_to(a, shape + a.shape[axis:])
    b = np.broadcast_to(b, shape + b.shape[axis:])
    return np.concatenate([a, b], axis=axis)
