"""Property tests of the type checker, the interpreter and the JSON round trip on random well-typed programs.

A program takes one input ``x : [f32]N`` or ``[[f32]M]N`` (sizes symbolic or concrete) and applies a random
pipeline of stages whose preconditions hold by construction (split by a divisor of the current length, slide
windows no longer than the array, ...). Every stage carries a straightforward numpy reference of its meaning,
its output shape and a bound on the magnitude of its values. Inputs are small integers, and the magnitude
bound keeps every intermediate value an exactly representable float32 integer, so the interpreter and the
reference agree exactly whatever the order of summation.

Checked: (a) the checker's result type, evaluated at the sizes, has the interpreter's output shape; (b) the
interpreter's output equals the numpy reference; (c) ``from_json(to_json(p)) == p``.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from math import prod

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

from lift.dsl import (
    from_json,
    gather,
    iterate,
    join,
    map,
    pad,
    pretty,
    reduce,
    reduce_seq,
    reverse,
    scatter,
    show,
    slide,
    split,
    stride,
    to_json,
    transpose,
    zip,
)
from lift.dsl.interpret import interpret
from lift.dsl.ir import Expr, Fun, Lambda, Param
from lift.dsl.prelude import add, maximum, mult, square, subtract
from lift.types import ArithExpr, Array, ArrayType, TupleType, Var, f32, size

MAX_ELEMS = 2048
MAX_RANK = 4
MAX_MAGNITUDE = 2.0**22  # every intermediate is an integer of at most this magnitude: exact in float32
INPUT_MAGNITUDE = 3

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Stage:
    """One step of a pipeline: how to build it, what it means, and what it produces."""

    label: str
    """A readable description, for failure reports."""
    build: Callable[[Expr], Expr]
    """The stage applied to a program expression."""
    ref: Callable[[np.ndarray], np.ndarray]
    """The numpy meaning of the stage on one (unbatched) value."""
    shape: Shape
    """The output shape."""
    bound: Callable[[float], float]
    """A bound on the output's magnitude, from a bound on the input's."""

    def __repr__(self) -> str:
        return self.label


_names = itertools.count()


def _lambda(body: Callable[[Expr], Expr]) -> Lambda:
    p = Param(f"p{next(_names)}")
    return Lambda((p,), body(p))


def _pipeline(stages: list[Stage]) -> Stage:
    """Stages in sequence, as one stage."""

    def build(e: Expr) -> Expr:
        for s in stages:
            e = s.build(e)
        return e

    def ref(a: np.ndarray) -> np.ndarray:
        for s in stages:
            a = s.ref(a)
        return a

    def bound(b: float) -> float:
        for s in stages:
            b = s.bound(b)
        return b

    return Stage(" >> ".join(s.label for s in stages), build, ref, stages[-1].shape, bound)


def _stride_perm(n: int, s: int) -> np.ndarray:
    """Lift's ``reorderWithStride``: ``i -> (i % s) * (n / s) + i / s``."""
    i = np.arange(n)
    return (i % s) * (n // s) + i // s


def _windows(a: np.ndarray, size_: int, step: int) -> np.ndarray:
    count = (a.shape[0] - size_) // step + 1
    return np.stack([a[k * step : k * step + size_] for k in range(count)])


def _pad(a: np.ndarray, left: int, right: int, clamp: bool) -> np.ndarray:
    widths = [(left, right)] + [(0, 0)] * (a.ndim - 1)
    return np.pad(a, widths, mode="edge") if clamp else np.pad(a, widths, mode="constant", constant_values=0)


def _reverse(draw: st.DrawFn, shape: Shape) -> Stage:
    if draw(st.booleans()):
        return Stage("gather(reverse)", lambda e: e >> gather(reverse), lambda a: a[::-1], shape, lambda b: b)
    return Stage("scatter(reverse)", lambda e: e >> scatter(reverse), lambda a: a[::-1], shape, lambda b: b)


def _elementwise_square(shape: Shape) -> Stage:
    """``map(square)`` nested as deep as the array."""
    f = map(square)
    for _ in shape[1:]:
        f = map(f)
    return Stage(f"{show(f)}", lambda e: e >> f, lambda a: a * a, shape, lambda b: b * b)


def _halve(n: int) -> Stage:
    """``[f32]n -> [f32]n/2``: sums of neighbouring pairs."""
    return Stage(
        "split(2) >> map(reduce(add, 0.0)) >> join",
        lambda e: e >> split(2) >> map(reduce(add, 0.0)) >> join,
        lambda a: a.reshape(-1, 2).sum(axis=1),
        (n // 2,),
        lambda b: 2 * b,
    )


@st.composite
def stages(draw: st.DrawFn, shape: Shape, depth: int = 0) -> Stage:
    """A random stage whose preconditions hold on arrays of ``shape``."""
    rank, n, rest = len(shape), shape[0], shape[1:]
    kinds = ["split", "slide", "pad", "pad_clamp", "reverse", "gather_stride", "scatter_stride", "iterate", "square"]
    if rank >= 2:
        kinds += ["join", "transpose", "map", "map", "zip_rows", "reduce_rows"]
    else:
        kinds += ["zip_add", "zip_reversed", "reduce", "reduce_seq", "reduce_lambda", "reduce_seq_lambda", "reduce_max"]
        kinds += ["dot", "dot_seq", "add_total", "outer", "stencil", "zip_split_join"]
    if rank == 2:
        kinds += ["matvec", "matvec_seq", "add_column_sums"]
    kind = draw(st.sampled_from(kinds))

    if kind == "split":
        d = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
        return Stage(
            f"split({d})",
            lambda e: e >> split(d),
            lambda a: a.reshape((n // d, d) + rest),
            (n // d, d) + rest,
            lambda b: b,
        )
    if kind == "join":
        return Stage(
            "join",
            lambda e: e >> join,
            lambda a: a.reshape((-1,) + a.shape[2:]),
            (n * shape[1],) + shape[2:],
            lambda b: b,
        )
    if kind == "transpose":
        return Stage(
            "transpose",
            lambda e: e >> transpose,
            lambda a: np.swapaxes(a, 0, 1),
            (shape[1], n) + shape[2:],
            lambda b: b,
        )
    if kind == "slide":
        sz = draw(st.integers(1, min(n, 4)))
        step = draw(st.integers(1, 3))
        count = (n - sz) // step + 1
        return Stage(
            f"slide({sz}, {step})",
            lambda e: e >> slide(sz, step),
            lambda a: _windows(a, sz, step),
            (count, sz) + rest,
            lambda b: b,
        )
    if kind in ("pad", "pad_clamp"):
        left, right = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        clamp = kind == "pad_clamp"
        value: float | str = "clamp" if clamp else 0.0
        return Stage(
            f"pad({left}, {right}, {value!r})",
            lambda e: e >> pad(left, right, value),
            lambda a: _pad(a, left, right, clamp),
            (n + left + right,) + rest,
            lambda b: b,
        )
    if kind == "reverse":
        return _reverse(draw, shape)
    if kind in ("gather_stride", "scatter_stride"):
        s = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
        perm = _stride_perm(n, s)
        if kind == "gather_stride":
            return Stage(
                f"gather(stride({s}))", lambda e: e >> gather(stride(s)), lambda a: a[perm], shape, lambda b: b
            )

        def scattered(a: np.ndarray) -> np.ndarray:
            out = np.empty_like(a)
            out[perm] = a
            return out

        return Stage(f"scatter(stride({s}))", lambda e: e >> scatter(stride(s)), scattered, shape, lambda b: b)
    if kind == "map" and depth < 2:
        inner = draw(pipelines(rest, depth + 1, max_stages=2))
        lam = _lambda(inner.build)

        def mapped(a: np.ndarray) -> np.ndarray:
            return np.stack([inner.ref(row) for row in a])

        return Stage(f"map({inner.label})", lambda e: e >> map(lam), mapped, (n, *inner.shape), inner.bound)
    if kind == "iterate":
        return draw(iterations(shape, depth))
    if kind == "square":
        return _elementwise_square(shape)
    if kind == "zip_add":
        return Stage(
            "λa. zip(a, a) >> map(add)", lambda e: zip(e, e) >> map(add), lambda a: a + a, shape, lambda b: 2 * b
        )
    if kind == "reduce":
        return Stage(
            "reduce(add, 0.0)", lambda e: e >> reduce(add, 0.0), lambda a: a.sum(keepdims=True), (1,), lambda b: n * b
        )
    if kind == "reduce_seq":
        return Stage(
            "reduce_seq(add, 0.0)",
            lambda e: e >> reduce_seq(add, 0.0),
            lambda a: a.sum(keepdims=True),
            (1,),
            lambda b: n * b,
        )
    if kind == "reduce_max":
        return Stage(
            "reduce_seq(maximum, -1000.0)",
            lambda e: e >> reduce_seq(maximum, -1000.0),
            lambda a: np.maximum(a.max(keepdims=True), -1000.0),
            (1,),
            lambda b: max(b, 1000.0),
        )
    if kind == "dot":  # recognised by the interpreter as a contraction
        return Stage(
            "λa. zip(a, a) >> map(mult) >> reduce(add, 0.0)",
            lambda e: zip(e, e) >> map(mult) >> reduce(add, 0.0),
            lambda a: (a * a).sum(keepdims=True),
            (1,),
            lambda b: n * b * b,
        )
    if kind == "dot_seq":  # the same as one reduce_seq
        step_f = Lambda((Param("acc"), Param("pq")), add(Param("acc"), mult(Param("pq")[0], Param("pq")[1])))
        return Stage(
            "λa. zip(a, a) >> reduce_seq(λacc, pq. add(acc, mult(pq[0], pq[1])), 0.0)",
            lambda e: zip(e, e) >> reduce_seq(step_f, 0.0),
            lambda a: (a * a).sum(keepdims=True),
            (1,),
            lambda b: n * b * b,
        )
    if kind == "reduce_lambda":  # not recognised as a binary user function: the generic halving loop
        plus = Lambda((Param("u"), Param("v")), add(Param("v"), Param("u")))
        return Stage(
            "reduce(λu, v. add(v, u), 0.0)",
            lambda e: e >> reduce(plus, 0.0),
            lambda a: a.sum(keepdims=True),
            (1,),
            lambda b: n * b,
        )
    if kind == "reduce_seq_lambda":
        sq = Lambda((Param("acc"), Param("v")), add(Param("acc"), square(Param("v"))))
        return Stage(
            "reduce_seq(λacc, v. add(acc, square(v)), 0.0)",
            lambda e: e >> reduce_seq(sq, 0.0),
            lambda a: (a * a).sum(keepdims=True),
            (1,),
            lambda b: n * b * b,
        )
    if kind == "stencil":  # zips arrays whose sizes are equal only after simplification
        left, right = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        width = left + right + 1

        def sums(a: np.ndarray) -> np.ndarray:
            return _windows(_pad(a, left, right, clamp=True), width, 1).sum(axis=1)

        return Stage(
            f"λa. zip(a, a >> pad({left}, {right}, 'clamp') >> slide({width}, 1) >> map(reduce(add, 0.0)) "
            ">> join) >> map(add)",
            lambda e: (
                e
                >> _lambda(
                    lambda a: (
                        zip(a, a >> pad(left, right, "clamp") >> slide(width, 1) >> map(reduce(add, 0.0)) >> join)
                        >> map(add)
                    )
                )
            ),
            lambda a: a + sums(a),
            shape,
            lambda b: (width + 1) * b,
        )
    if kind == "zip_split_join":  # equal sizes given the fact that split(d) needs
        d = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
        return Stage(
            f"λa. zip(a, a >> split({d}) >> map(map(square)) >> join) >> map(add)",
            lambda e: e >> _lambda(lambda a: zip(a, a >> split(d) >> map(map(square)) >> join) >> map(add)),
            lambda a: a + a * a,
            shape,
            lambda b: b + b * b,
        )
    if kind == "zip_reversed":
        return Stage(
            "λa. zip(a, a >> gather(reverse)) >> map(subtract)",
            lambda e: e >> _lambda(lambda a: zip(a, a >> gather(reverse)) >> map(subtract)),
            lambda a: a - a[::-1],
            shape,
            lambda b: 2 * b,
        )
    if kind == "zip_rows" and len(rest) == 1:  # an array of tuples of arrays
        by_userfun = draw(st.booleans())

        def rows(pq: Expr) -> Expr:
            pairs = zip(pq[0], pq[1])
            return pairs >> map(add) if by_userfun else pairs >> map(_lambda(lambda t: add(t[0], t[1])))

        label = "map(add)" if by_userfun else "map(λt. add(t[0], t[1]))"
        return Stage(
            f"λa. zip(a, a >> scatter(reverse)) >> map(λpq. zip(pq[0], pq[1]) >> {label})",
            lambda e: e >> _lambda(lambda a: zip(a, a >> scatter(reverse)) >> map(_lambda(rows))),
            lambda a: a + a[::-1],
            shape,
            lambda b: 2 * b,
        )
    if kind == "reduce_rows" and len(rest) == 1:  # reduce with an array accumulator, initialised by an expression
        rows_add = Lambda((Param("r1"), Param("r2")), zip(Param("r1"), Param("r2")) >> map(add))
        keep = Lambda((Param("acc"), Param("v")), Param("acc"))

        def zero_row(a: Expr) -> Expr:
            return a >> transpose >> map(reduce_seq(keep, 0.0)) >> join

        return Stage(
            "λa. a >> reduce(λr1, r2. zip(r1, r2) >> map(add), zero_row(a))",
            lambda e: e >> _lambda(lambda a: a >> reduce(rows_add, zero_row(a))),
            lambda a: a.sum(axis=0, keepdims=True),
            (1, *rest),
            lambda b: n * b,
        )
    if kind == "add_total":  # an outer parameter used two maps deep
        return Stage(
            "λa. a >> map(λv. a >> reduce(add, 0.0) >> map(λs. add(v, s))) >> join",
            lambda e: (
                e
                >> _lambda(
                    lambda a: (
                        a >> map(_lambda(lambda v: a >> reduce(add, 0.0) >> map(_lambda(lambda s: add(v, s))))) >> join
                    )
                )
            ),
            lambda a: a + a.sum(),
            shape,
            lambda b: (n + 1) * b,
        )
    if kind == "outer" and n * n <= MAX_ELEMS:
        return Stage(
            "λa. a >> map(λu. a >> map(λv. mult(u, v)))",
            lambda e: e >> _lambda(lambda a: a >> map(_lambda(lambda u: a >> map(_lambda(lambda v: mult(u, v)))))),
            lambda a: np.outer(a, a),
            (n, n),
            lambda b: b * b,
        )
    if kind in ("matvec", "matvec_seq", "add_column_sums"):  # the vector is computed from an outer parameter
        m = rest[0]

        def column_sums(a: Expr) -> Expr:
            return a >> transpose >> map(reduce(add, 0.0)) >> join

        if kind == "add_column_sums":
            return Stage(
                "λa. a >> map(λrow. zip(row, column_sums(a)) >> map(add))",
                lambda e: e >> _lambda(lambda a: a >> map(_lambda(lambda row: zip(row, column_sums(a)) >> map(add)))),
                lambda a: a + a.sum(axis=0),
                shape,
                lambda b: (n + 1) * b,
            )
        a_mv = Param("a_mv")
        step_f = Lambda((Param("acc"), Param("pq")), add(mult(Param("pq")[1], Param("pq")[0]), Param("acc")))

        def dot_row(row: Expr) -> Expr:
            pairs = zip(row, column_sums(a_mv))
            return pairs >> map(mult) >> reduce(add, 0.0) if kind == "matvec" else pairs >> reduce_seq(step_f, 0.0)

        return Stage(
            f"λa. a >> {kind}(column_sums(a)) >> join",
            lambda e: e >> Lambda((a_mv,), a_mv >> map(_lambda(dot_row)) >> join),
            lambda a: a @ a.sum(axis=0),
            (n,),
            lambda b: m * b * n * b,
        )
    return _reverse(draw, shape)


@st.composite
def iterations(draw: st.DrawFn, shape: Shape, depth: int) -> Stage:
    """``iterate(k, f)`` for an ``f`` that stays applicable ``k`` times."""
    k = draw(st.integers(0, 3))
    n = shape[0]
    choice = draw(st.sampled_from(["same_shape", "halve", "grow"]))
    if choice == "halve" and len(shape) == 1 and n % (2**k) == 0:
        body = _halve(n)  # the ref and bound do not depend on n

        def halved(a: np.ndarray) -> np.ndarray:
            for _ in range(k):
                a = body.ref(a)
            return a

        return Stage(
            f"iterate({k}, {body.label})",
            lambda e: e >> iterate(k, _lambda(body.build)),
            halved,
            (n // 2**k,),
            lambda b: b * 2**k,
        )
    if choice == "grow":
        left, right = draw(st.integers(0, 1)), draw(st.integers(0, 1))

        def grown(a: np.ndarray) -> np.ndarray:
            return _pad(a, k * left, k * right, clamp=True)

        f = pad(left, right, "clamp")
        return Stage(
            f"iterate({k}, {show(f)})",
            lambda e: e >> iterate(k, f),
            grown,
            (n + k * (left + right),) + shape[1:],
            lambda b: b,
        )
    body = draw(stages(shape, depth + 1))
    if body.shape != shape:
        body = _reverse(draw, shape)
    lam = _lambda(body.build)

    def repeated(a: np.ndarray) -> np.ndarray:
        for _ in range(k):
            a = body.ref(a)
        return a

    def bound(b: float) -> float:
        for _ in range(k):
            b = body.bound(b)
        return b

    return Stage(f"iterate({k}, {body.label})", lambda e: e >> iterate(k, lam), repeated, shape, bound)


def _acceptable(stage: Stage, bound: float) -> bool:
    return len(stage.shape) <= MAX_RANK and prod(stage.shape) <= MAX_ELEMS and stage.bound(bound) <= MAX_MAGNITUDE


@st.composite
def pipelines(draw: st.DrawFn, shape: Shape, depth: int = 0, max_stages: int = 4) -> Stage:
    """One to ``max_stages`` stages, each within the limits on rank, element count and magnitude."""
    chosen: list[Stage] = []
    bound: float = INPUT_MAGNITUDE
    for _ in range(draw(st.integers(1, max_stages))):
        stage = draw(stages(shape, depth))
        if not _acceptable(stage, bound):
            stage = _reverse(draw, shape)
        chosen.append(stage)
        shape, bound = stage.shape, stage.bound(bound)
    return _pipeline(chosen)


@dataclass(frozen=True)
class Case:
    prog: Fun
    x: np.ndarray
    sizes: dict[str, int]
    expected: np.ndarray
    pipeline: Stage

    def __repr__(self) -> str:
        return f"Case({self.prog.param_types[0]}, sizes={self.sizes}, x.shape={self.x.shape}, {self.pipeline.label})"


@dataclass(frozen=True)
class Sized:
    """A size for a type annotation, with its concrete value and the variable it mentions."""

    annotation: ArithExpr | int
    value: int
    var: Var | None = None
    var_value: int = 0

    @property
    def sizes(self) -> dict[str, int]:
        return {} if self.var is None else {self.var.name: self.var_value}


@st.composite
def sized(draw: st.DrawFn, name: str, hi: int) -> Sized:
    form = draw(st.sampled_from(["const", "var", "var", "multiple", "offset"]))
    if form == "const":
        n = draw(st.integers(1, hi))
        return Sized(n, n)
    v = size(name)
    if form == "var":
        n = draw(st.integers(1, hi))
        return Sized(v, n, v, n)
    if form == "multiple":  # [f32](c*N): split(c) is decided by the form of the size
        c = draw(st.integers(2, 4))
        k = draw(st.integers(1, max(1, hi // c)))
        return Sized(c * v, c * k, v, k)
    c = draw(st.integers(1, 3))  # [f32](N + c)
    k = draw(st.integers(1, max(1, hi - c)))
    return Sized(v + c, k + c, v, k)


SYMBOLIC_KINDS = ("pad", "pad_clamp", "split", "slide", "gather_stride", "scatter_stride")


@st.composite
def symbolic_stages(draw: st.DrawFn, outer: Sized, shape: Shape, kinds: tuple[str, ...] = SYMBOLIC_KINDS) -> Stage:
    """A stage whose static arguments are the size variable ``K`` of an outer size ``c*K`` or ``K + c``."""
    v, k = outer.var, outer.var_value
    assert v is not None
    n, rest = shape[0], shape[1:]
    kind = draw(st.sampled_from(kinds))
    if n % k or kind in ("pad", "pad_clamp"):  # K does not divide the size: pad by K
        left, right = draw(st.sampled_from([(v, 0), (0, v), (v, v)]))
        lk, rk = (k if left is v else 0), (k if right is v else 0)
        clamp = kind == "pad_clamp"
        value: float | str = "clamp" if clamp else 0.0
        return Stage(
            f"pad({left}, {right}, {value!r})",
            lambda e: e >> pad(left, right, value),
            lambda a: _pad(a, lk, rk, clamp),
            (n + lk + rk,) + rest,
            lambda b: b,
        )
    if kind == "split":
        return Stage(
            f"split({v})",
            lambda e: e >> split(v),
            lambda a: a.reshape((n // k, k) + rest),
            (n // k, k) + rest,
            lambda b: b,
        )
    if kind == "slide":
        return Stage(
            f"slide({v}, {v})",
            lambda e: e >> slide(v, v),
            lambda a: _windows(a, k, k),
            ((n - k) // k + 1, k) + rest,
            lambda b: b,
        )
    perm = _stride_perm(n, k)
    if kind == "gather_stride":
        return Stage(f"gather(stride({v}))", lambda e: e >> gather(stride(v)), lambda a: a[perm], shape, lambda b: b)

    def scattered(a: np.ndarray) -> np.ndarray:
        out = np.empty_like(a)
        out[perm] = a
        return out

    return Stage(f"scatter(stride({v}))", lambda e: e >> scatter(stride(v)), scattered, shape, lambda b: b)


@st.composite
def cases(draw: st.DrawFn, max_stages: int = 4) -> Case:
    outer = draw(sized("N", 12))
    sizes = outer.sizes
    n = outer.value
    inner = Sized(1, 1)
    if draw(st.booleans()):
        if draw(st.integers(0, 3)) == 0:  # a square matrix: [[f32]N]N
            inner = outer
        else:
            inner = draw(sized("M", 6))
            sizes = {**sizes, **inner.sizes}
        t = Array[Array[f32, inner.annotation], outer.annotation]
        shape: Shape = (n, inner.value)
    else:
        t = Array[f32, outer.annotation]
        shape = (n,)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-INPUT_MAGNITUDE, INPUT_MAGNITUDE + 1, size=shape).astype(np.float32)
    first: list[Stage] = []
    if outer.var is not None and draw(st.booleans()):  # split(N), pad(N, 0, ...), gather(stride(N)), ...
        first.append(draw(symbolic_stages(outer, shape)))
        shape = first[0].shape
    elif len(shape) == 2 and inner.var is not None and draw(st.booleans()):  # map(split(M)) and the like
        row = draw(symbolic_stages(inner, shape[1:]))
        lam = _lambda(row.build)
        first.append(
            Stage(
                f"map({row.label})",
                lambda e: e >> map(lam),
                lambda a: np.stack([row.ref(r) for r in a]),
                (n, *row.shape),
                row.bound,
            )
        )
        shape = first[0].shape
    pipeline = _pipeline([*first, draw(pipelines(shape, max_stages=max_stages))])
    xp = Param("x")
    prog = Fun((xp,), pipeline.build(xp), "random_program", (t,))
    return Case(prog, x, sizes, pipeline.ref(x.astype(np.float64)), pipeline)


# ---- properties ----------------------------------------------------------------------------------------


@given(cases())
def test_checker_shape_matches_interpreter(case: Case) -> None:
    note(repr(case))
    result = case.prog.type.result
    assert isinstance(result, ArrayType), result
    out = interpret(case.prog, case.x)
    assert isinstance(out, np.ndarray)
    typed_shape = tuple(s.evaluate(case.sizes) for s in result.shape)
    assert typed_shape == out.shape, (str(result), pretty(case.prog, types=True))
    assert typed_shape == case.pipeline.shape
    assert result.scalar == f32
    for c in case.prog.constraints:
        assert c.holds(case.sizes), c


@given(cases())
def test_interpreter_matches_numpy_reference(case: Case) -> None:
    note(repr(case))
    out = interpret(case.prog, case.x)
    assert out.shape == case.expected.shape
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, case.expected, rtol=1e-5, err_msg=pretty(case.prog, types=True))


@given(cases())
def test_json_round_trip(case: Case) -> None:
    note(repr(case))
    text = to_json(case.prog)
    back = from_json(text)
    assert back == case.prog
    assert to_json(back) == text
    assert back.type == case.prog.type
    assert show(back) == show(case.prog)


@given(cases())
def test_array_of_tuples_result(case: Case) -> None:
    """A program ending in ``zip``: the checker's tuple type and the interpreter's tuple of arrays agree."""
    note(repr(case))
    body = case.prog.body
    prog = Fun(case.prog.params, zip(body, body >> scatter(reverse)), "zipped", case.prog.param_types)
    result = prog.type.result
    assert isinstance(result, ArrayType) and isinstance(result.elem, TupleType), result
    out = interpret(prog, case.x)
    assert isinstance(out, tuple) and len(out) == 2
    n = result.size.evaluate(case.sizes)
    for component, elem_type, expected in builtins.zip(out, result.elem.elems, (case.expected, case.expected[::-1])):
        elem_shape = elem_type.shape if isinstance(elem_type, ArrayType) else ()
        assert component.shape == (n, *(s.evaluate(case.sizes) for s in elem_shape))
        np.testing.assert_allclose(component, expected, rtol=1e-5)
    assert from_json(to_json(prog)) == prog
