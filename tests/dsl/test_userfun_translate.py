"""Tests of lift.dsl.userfun_translate: the C text, numpy evaluation against plain Python, rejected constructs,
and the C semantics (gcc syntax check, integer floor division run natively, and the functions run in OpenCL)."""

from __future__ import annotations

import inspect
import math
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lift.dsl.userfun_translate import (
    TranslatedUserFun,
    default_struct_name,
    parse_function_source,
    required_structs,
    struct_definition,
    translate_userfun,
)
from lift.errors import UserFunError
from lift.types.data import DataType, ScalarType, Tuple, TupleType, bool_, f32, f64, i32, i64

# -- sample user functions: plain Python, run directly as the reference (types are passed in) -------------------


def mult(x, y):
    return x * y


def relu_scaled(x, s):
    t = x * s
    return t if t > 0.0 else 0.0


def norm(p):
    return math.sqrt(p[0] * p[0] + p[1] * p[1])


def minmax(x, y):
    return (min(x, y), max(x, y))


def poly(x, n):
    """Mixed int/float, augmented assignments, int literals next to floats."""
    acc = 1.0
    acc += x * 2 + n
    acc *= x - 0.5
    return acc / (1 + abs(x)) - n**2


def clamp_step(x, lo, hi):
    if x < lo:
        return lo
    elif x > hi and not (hi < lo):
        y = hi
    else:
        y = x
    return y * 0.5 if y >= 0.0 or lo == hi else -y


def int_ops(a, b):
    return a // b * 3 + a % b - max(a, b, 0) + abs(a) + a // -4 - a % 3


def math_mix(x, y):
    return math.exp(-x * x) + math.tanh(y) + math.atan2(y, x) + math.floor(x) - math.fmod(x, 1.5) + math.pi


def swap_scale(p, s):
    a, b = p
    return (b * s, a * s)


def chained(x, lo, hi):
    return 1.0 if lo < x <= hi else 0.0


def with_cast(x, k):
    return float(int(x * k)) + float(k) / 3


def nested(p, q):
    if p[0][1] > q:
        return ((p[1], q), p[0][0])
    return (p[0], q)


PAIR = Tuple[f32, f32]
SAMPLES: list[tuple[Callable[..., Any], list[DataType], DataType]] = [
    (mult, [f32, f32], f32),
    (relu_scaled, [f32, f32], f32),
    (norm, [PAIR], f32),
    (minmax, [f32, f32], PAIR),
    (poly, [f32, i32], f32),
    (clamp_step, [f32, f32, f32], f32),
    (int_ops, [i32, i32], i32),
    (math_mix, [f64, f64], f64),
    (swap_scale, [PAIR, f32], PAIR),
    (chained, [f32, f32, f32], f32),
    (with_cast, [f32, i32], f32),
    (nested, [Tuple[PAIR, f32], f32], Tuple[PAIR, f32]),
]


def translate_fn(fn: Callable[..., Any], types: list[DataType], result: DataType) -> TranslatedUserFun:
    names = list(inspect.signature(fn).parameters)
    return translate_userfun(
        inspect.getsource(fn),
        name=fn.__name__,
        param_names=names,
        param_types=types,
        result_type=result,
        filename=__file__,
        first_line=fn.__code__.co_firstlineno,
    )


def translate_src(src: str, types: list[DataType], result: DataType, **kw: Any) -> TranslatedUserFun:
    fn = parse_function_source(src)
    names = [a.arg for a in fn.args.args]
    return translate_userfun(src, name=fn.name, param_names=names, param_types=types, result_type=result, **kw)


def ret(expr: str, types: list[DataType], result: DataType) -> str:
    """The C expression returned by ``def f(a, b, c): return expr``."""
    names = "abcd"[: len(types)]
    c = translate_src(f"def f({', '.join(names)}):\n    return {expr}\n", types, result).c_definition
    (line,) = [ln for ln in c.splitlines() if ln.strip().startswith("return ")]
    return line.strip()[len("return ") : -1]


# -- C text ------------------------------------------------------------------------------------------------------


def test_c_text_of_the_examples() -> None:
    assert translate_fn(mult, [f32, f32], f32).c_definition == (
        "float mult(float x, float y)\n{\n    return x * y;\n}\n"
    )
    assert translate_fn(relu_scaled, [f32, f32], f32).c_definition == (
        "float relu_scaled(float x, float s)\n{\n    float t = x * s;\n    return t > 0.0f ? t : 0.0f;\n}\n"
    )
    assert translate_fn(norm, [PAIR], f32).c_definition == (
        "float norm(Tuple_float_float p)\n{\n    return sqrt(p._0 * p._0 + p._1 * p._1);\n}\n"
    )
    assert translate_fn(minmax, [f32, f32], PAIR).c_definition == (
        "Tuple_float_float minmax(float x, float y)\n{\n    return (Tuple_float_float){fmin(x, y), fmax(x, y)};\n}\n"
    )


def test_c_text_of_locals_and_statements() -> None:
    assert translate_fn(poly, [f32, i32], f32).c_definition == textwrap.dedent(
        """\
        float poly(float x, int n)
        {
            float acc = 1.0f;
            acc += x * 2.0f + n;
            acc *= x - 0.5f;
            return acc / (1.0f + fabs(x)) - n * n;
        }
        """
    )
    assert translate_fn(clamp_step, [f32, f32, f32], f32).c_definition == textwrap.dedent(
        """\
        float clamp_step(float x, float lo, float hi)
        {
            float y;
            if (x < lo) {
                return lo;
            } else if (x > hi && !(hi < lo)) {
                y = hi;
            } else {
                y = x;
            }
            return y >= 0.0f || lo == hi ? y * 0.5f : -y;
        }
        """
    )
    assert translate_fn(swap_scale, [PAIR, f32], PAIR).c_definition == textwrap.dedent(
        """\
        Tuple_float_float swap_scale(Tuple_float_float p, float s)
        {
            float a = p._0;
            float b = p._1;
            return (Tuple_float_float){b * s, a * s};
        }
        """
    )
    c = translate_fn(nested, [Tuple[PAIR, f32], f32], Tuple[PAIR, f32]).c_definition
    assert "Tuple_Tuple2_float_float_float nested(Tuple_Tuple2_float_float_float p, float q)" in c
    assert "if (p._0._1 > q) {" in c
    assert "return (Tuple_Tuple2_float_float_float){{p._1, q}, p._0._0};" in c
    assert "return (Tuple_Tuple2_float_float_float){p._0, q};" in c


@pytest.mark.parametrize(
    ("expr", "c"),
    [
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a * (b + c)", "a * (b + c)"),
        ("a / (b * c)", "a / (b * c)"),
        ("-(a * b)", "-(a * b)"),
        ("-a * b", "-a * b"),
        ("- -a", "-(-a)"),
        ("+a", "a"),
        ("a if b > c else -a", "b > c ? a : -a"),
        ("(a if b > c else c) + 1", "(b > c ? a : c) + 1.0f"),
        ("a if b > c else (b if a > c else c)", "b > c ? a : a > c ? b : c"),
        ("1.0 if a < b and (b < c or a == c) else 0.0", "a < b && (b < c || a == c) ? 1.0f : 0.0f"),
        ("1.0 if a < b or b < c and a > c else 0.0", "a < b || (b < c && a > c) ? 1.0f : 0.0f"),
        ("1.0 if not a < b else 0.0", "!(a < b) ? 1.0f : 0.0f"),
        ("1.0 if a < b < c else 0.0", "a < b && b < c ? 1.0f : 0.0f"),
        ("a ** 2", "pow(a, 2.0f)"),
        ("abs(a) + min(a, b, c)", "fabs(a) + fmin(fmin(a, b), c)"),
        ("2 * a + 1.5", "2.0f * a + 1.5f"),
        ("a * 1e-5", "a * 1e-05f"),
        ("a * 0.1", "a * 0.1f"),
        ("math.pi * a", "3.1415927f * a"),
        ("a + (1 + 2) * 3", "a + 9.0f"),
        ("a * (1 / 3)", "a * 0.33333334f"),
        ("a - -1", "a - -1.0f"),
        ("math.inf if a > b else -math.inf", "a > b ? INFINITY : -INFINITY"),
        ("sqrt(a) + math.pow(a, b)", "sqrt(a) + pow(a, b)"),
        ("float(a)", "a"),
    ],
)
def test_c_precedence_and_literals_f32(expr: str, c: str) -> None:
    assert ret(expr, [f32, f32, f32], f32) == c


@pytest.mark.parametrize(
    ("expr", "types", "result", "c"),
    [
        ("a // 2", [i32, i32], i32, "a / 2 - (a % 2 < 0)"),
        ("a % -3", [i32, i32], i32, "a % -3 + (a % -3 > 0 ? -3 : 0)"),
        ("a // b", [i32, i32], i32, "a / b - (a % b != 0 && (a % b < 0) != (b < 0))"),
        ("a % b", [i32, i32], i32, "a % b + (a % b != 0 && (a % b < 0) != (b < 0) ? b : 0)"),
        ("a ** 3", [i32, i32], i32, "a * a * a"),
        ("(a + 1) ** 2", [i32, i32], i32, "(a + 1) * (a + 1)"),
        ("a ** 0", [i32, i32], i32, "1"),
        ("abs(a) - 5", [i32, i32], i32, "(int)abs(a) - 5"),
        ("max(a, b)", [i32, i32], i32, "max(a, b)"),
        ("a + b", [i32, i64], i64, "a + b"),
        ("a", [i32, i64], i64, "(long)a"),
        ("a * 0.5", [f64, f64], f64, "a * 0.5"),
        ("a + 1", [f64, f64], f64, "a + 1.0"),
        ("a + b", [f32, i32], f32, "a + b"),
        ("b + 1", [f32, i32], f32, "(float)(b + 1)"),
        ("b * 0.5", [f32, i32], f32, "b * 0.5f"),
        ("math.sqrt(b)", [f32, i32], f32, "sqrt((float)b)"),
        ("a * b", [f64, f32], f64, "a * b"),
        ("int(a)", [f32, i32], i32, "(int)a"),
        ("float(b) / 2", [f32, i32], f32, "(float)b / 2.0f"),
        ("a < b", [f32, f32], bool_, "a < b"),
        ("True", [f32, f32], bool_, "true"),
    ],
)
def test_c_typing(expr: str, types: list[DataType], result: DataType, c: str) -> None:
    assert ret(expr, types, result) == c


def test_a_local_initialised_with_an_int_literal_becomes_a_float_if_it_must() -> None:
    src = "def f(x, y):\n    acc = 0\n    n = 1\n    if x > 0.0:\n        acc += x\n    acc = acc + y\n"
    src += "    return acc * n\n"
    t = translate_src(src, [f32, f64], f64)
    assert t.c_definition == textwrap.dedent(
        """\
        double f(float x, double y)
        {
            double acc = 0.0;
            int n = 1;
            if (x > 0.0f) {
                acc += x;
            }
            acc = acc + y;
            return acc * n;
        }
        """
    )
    got = t.evaluate(np.array([1.0, -1.0], np.float32), np.array([0.5, 0.5]))
    assert got.tolist() == [1.5, 0.5] and got.dtype == np.float64
    with pytest.raises(UserFunError, match=r"^<userfun>:3: .*'//' on floats"):  # s is a float from line 2 on
        translate_src("def f(n):\n    s = 0\n    k = s // 2\n    s = 0.5\n    return k\n", [i32], i32)


def test_c_names_that_are_reserved_in_c_are_renamed() -> None:
    src = "def f(x, int):\n    double = x * 2\n    sqrt = double + int\n    __y = sqrt\n    return __y\n"
    c = translate_src(src, [f32, f32], f32).c_definition
    assert "float f(float x, float int_)" in c
    assert "float double_ = x * 2.0f;" in c
    assert "float sqrt_ = double_ + int_;" in c
    assert "float v__y = sqrt_;" in c


def test_struct_names_and_definitions() -> None:
    assert default_struct_name(Tuple[f32, i32]) == "Tuple_float_int"
    inner = Tuple[f32, f32]
    assert default_struct_name(Tuple[inner, i32]) == "Tuple_Tuple2_float_float_int"
    assert default_struct_name(Tuple[Tuple[f32], f32, i32]) != default_struct_name(Tuple[inner, i32])
    assert struct_definition(inner) == "typedef struct { float _0; float _1; } Tuple_float_float;"
    assert struct_definition(Tuple[inner, f64]) == (
        "typedef struct { Tuple_float_float _0; double _1; } Tuple_Tuple2_float_float_double;"
    )
    outer = Tuple[inner, f64]
    assert required_structs([f32, outer, inner]) == [inner, outer]
    custom = translate_src("def f(p):\n    return p[1]\n", [inner], f32, struct_name=lambda t: "pair")
    assert custom.c_definition.startswith("float f(pair p)")


# -- numpy evaluation --------------------------------------------------------------------------------------------


def _random(t: DataType, rng: np.random.Generator, n: int) -> Any:
    if isinstance(t, TupleType):
        return tuple(_random(e, rng, n) for e in t.elems)
    assert isinstance(t, ScalarType)
    if t in (i32, i64):
        v = rng.integers(-20, 21, n)
        return np.where(v == 0, 7, v).astype(t.dtype)  # nonzero: int_ops divides by its second argument
    return rng.uniform(-3.0, 3.0, n).astype(t.dtype)


def _at(v: Any, i: int) -> Any:
    return tuple(_at(e, i) for e in v) if isinstance(v, tuple) else v[i].item()


def _check_close(got: Any, want: Any, t: DataType) -> None:
    if isinstance(t, TupleType):
        for g, w, e in zip(got, want, t.elems):
            _check_close(g, w, e)
        return
    assert isinstance(t, ScalarType) and got.dtype == t.dtype
    rtol = 1e-5 if t == f32 else 1e-12
    np.testing.assert_allclose(got, np.array(want, dtype=np.float64), rtol=rtol, atol=rtol)


@pytest.mark.parametrize(("fn", "types", "result"), SAMPLES, ids=[s[0].__name__ for s in SAMPLES])
def test_numpy_matches_python(fn: Callable[..., Any], types: list[DataType], result: DataType) -> None:
    rng = np.random.default_rng(1)
    n = 200
    args = [_random(t, rng, n) for t in types]
    got = translate_fn(fn, types, result).evaluate(*args)
    rows = [fn(*[_at(a, i) for a in args]) for i in range(n)]
    _check_close(got, _columns(rows, result), result)


def _columns(rows: list[Any], t: DataType) -> Any:
    """Per-element results regrouped into one array per scalar component."""
    if isinstance(t, TupleType):
        return tuple(_columns([r[k] for r in rows], e) for k, e in enumerate(t.elems))
    return np.array(rows, dtype=np.float64)


def test_float32_precision_is_kept() -> None:
    x = np.linspace(-2, 2, 101, dtype=np.float32)
    y = x[::-1].copy()
    got = translate_fn(mult, [f32, f32], f32).evaluate(x, y)
    assert got.dtype == np.float32 and np.array_equal(got, x * y)
    plus = translate_src("def f(x):\n    return x + 0.1\n", [f32], f32).evaluate(x)
    assert np.array_equal(plus, x + np.float32(0.1))  # float32 arithmetic, not float64 rounded at the end
    r = translate_fn(relu_scaled, [f32, f32], f32).evaluate(x, np.float32(1.5))
    assert r.dtype == np.float32 and np.array_equal(r, np.where(x * np.float32(1.5) > 0, x * np.float32(1.5), 0))
    mixed = translate_fn(poly, [f32, i32], f32).evaluate(x, np.arange(101, dtype=np.int32))
    assert mixed.dtype == np.float32


def test_evaluate_shapes_and_inputs() -> None:
    m = translate_fn(mult, [f32, f32], f32)
    out = m.evaluate(np.float32(2.0), np.float32(3.0))
    assert isinstance(out, np.ndarray) and out.shape == () and out == 6.0
    assert m.evaluate([1.0, 2.0], 2.0).dtype == np.float32  # lists and Python floats are converted
    const = translate_src("def f(x):\n    return 1\n", [f32], f32).evaluate(np.zeros((2, 3), np.float32))
    assert const.shape == (2, 3) and const.dtype == np.float32 and (const == 1).all()
    lo, hi = translate_fn(minmax, [f32, f32], PAIR).evaluate(np.array([1.0, 5.0]), np.array([3.0, 2.0]))
    assert lo.tolist() == [1.0, 2.0] and hi.tolist() == [3.0, 5.0] and lo.dtype == np.float32
    with pytest.raises(TypeError):
        m.evaluate(np.zeros(2))
    with pytest.raises(TypeError):
        translate_fn(norm, [PAIR], f32).evaluate(np.zeros(2))


def test_evaluate_is_silent_on_division_by_zero_like_c() -> None:
    f = translate_src("def f(x, y):\n    return x / y if y != 0.0 else 0.0\n", [f32, f32], f32)
    assert f.evaluate(np.array([1.0, 2.0]), np.array([0.0, 4.0])).tolist() == [0.0, 0.5]


def test_if_statements_vectorise() -> None:
    src = textwrap.dedent(
        """\
        def f(x, n):
            if n > 2:
                if x > 0.0:
                    return x
                y = -x
            else:
                y = x * n
            if y > 1.0:
                y = 1.0
            return y
        """
    )
    x = np.array([1.0, -1.0, 2.0, 0.5, -3.0], np.float32)
    n = np.array([3, 3, 1, 2, 0], np.int32)
    got = translate_src(src, [f32, i32], f32).evaluate(x, n)
    assert got.tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_parse_function_source() -> None:
    src = "    @userfun\n    def f(x):\n        '''doc'''\n        return x\n"
    fn = parse_function_source(src)
    assert fn.name == "f" and fn.decorator_list == [] and fn.lineno == 2
    odd = "    def f(x):\n        s = '''\nflush left'''\n        return x\n"  # dedent cannot remove the indent
    assert parse_function_source(odd).lineno == 1
    with pytest.raises(UserFunError, match="exactly one function definition"):
        parse_function_source("def f(x):\n    return x\ndef g(x):\n    return x\n")
    with pytest.raises(UserFunError, match=r"f\.py:11: cannot parse"):
        parse_function_source("def f(x):\n    return x +\n", filename="f.py", first_line=10)


# -- rejected constructs -----------------------------------------------------------------------------------------

REJECTED: list[tuple[str, str, int]] = [  # (body of `def f(x, y)`, what the message names, line in the body)
    ("while x > 0:\n    x = x - 1\nreturn x", "a while loop is not supported", 1),
    ("for i in range(3):\n    x = x + i\nreturn x", "a for loop is not supported", 1),
    ("return [x, y][0]", "a list is not supported", 1),
    ("return {0: x}[0]", "a dict is not supported", 1),
    ("g = lambda z: z\nreturn x", "a lambda is not supported", 1),
    ("return x * K", "the global or closure variable 'K'", 1),
    ("return g(x)", "a call to 'g'", 1),
    ("print(x)\nreturn x", "a call to 'print'", 1),
    ("return x.real", "attribute access 'x.real'", 1),
    ("return np.sqrt(x)", "a call to 'np.sqrt'", 1),
    ("return math.gamma(x)", "math.gamma is not supported", 1),
    ("return x[0]", "subscript of a f32 value", 1),
    ("return x // y", "'//' on floats", 1),
    ("return x % y", "'%' on floats", 1),
    ("return 'a'", "the literal 'a'", 1),
    ("try:\n    return x\nexcept Exception:\n    return y", "a try statement", 1),
    ("import math\nreturn x", "an import", 1),
    ("def g(z):\n    return z\nreturn x", "a nested function definition", 1),
    ("if x > 0:\n    z = x\nreturn z", "the local 'z' is used before it is assigned", 3),
    ("if x > 0:\n    return x", "the function can end without a return", 1),
    ("return x\ny = x", "unreachable", 2),
    ("return 1.0 if x is y else 0.0", "the operator 'is'", 1),
    ("return (z := x)", "an assignment expression", 1),
    ("return x if x else y", "a condition must be a comparison", 1),
    ("return max(x, y, key=abs)", "keyword or starred arguments", 1),
    ("a = b = x\nreturn a", "a chained assignment", 1),
    ("assert x > 0\nreturn x", "an assert statement", 1),
    ("raise ValueError()", "a raise statement", 1),
    ("x\nreturn x", "an expression statement", 1),
    ("return", "a bare return", 1),
    ("return x + True", "needs numbers, found a bool value", 1),
    ("return (x, y)", "is a tuple", 1),
    ("z = x\nz = 1 < 2\nreturn z", "the literal True cannot be a f32 value", 2),
    ("return max(x)", "two or more arguments", 1),
    ("return math.sqrt(x, y)", "sqrt() takes 1 arguments", 1),
    # constructs with no translator and no hint of their own are named by their syntax class
    ("return f'{x}'", "the Python construct JoinedStr is not supported", 1),
    ("return {x}", "the Python construct Set is not supported", 1),
    ("del y\nreturn x", "the Python construct Delete is not supported", 1),
    ("z: float\nreturn x", "an annotation without a value", 1),
    ("p = (x, y)\np[0] += 1.0\nreturn x", "an augmented assignment to a non-name", 2),
    ("return x ** y if y > 0.0 else\\\n    x", "", 1),  # accepted: the sanity case for this table
    ("pass\nz: float = x\nz += y\nreturn z", "", 1),  # accepted: pass, an annotated and an augmented assignment
]


@pytest.mark.parametrize(("body", "what", "line"), REJECTED, ids=[r[1] or "accepted" for r in REJECTED])
def test_rejected_constructs(body: str, what: str, line: int) -> None:
    src = "def f(x, y):\n" + textwrap.indent(body, "    ") + "\n"
    if not what:
        translate_src(src, [f32, f32], f32, filename="user/code.py", first_line=40)
        return
    with pytest.raises(UserFunError) as err:
        translate_src(src, [f32, f32], f32, filename="user/code.py", first_line=40)
    msg = str(err.value)
    assert msg.startswith(f"user/code.py:{40 + line}: user function 'f': "), msg
    assert what in msg


@pytest.mark.parametrize(
    ("body", "types", "result", "what"),
    [
        ("return a / b", [i32, i32], i32, "'/' on integers is not supported in user functions; use '//'"),
        ("return a * 1.5", [i32, i32], i32, "has type f64 but i32 is declared; convert explicitly with int(...)"),
        ("return a & b", [i32, i32], i32, "the operator '&'"),
        ("return a ** b", [i32, i32], i32, "'**' on integers"),
        ("return a + 3000000000", [i32, i32], i32, "out of range for i32"),
        ("return a * 1e300", [f32, f32], f32, "out of range for f32"),
        ("return a", [f64, f64], f32, "has type f64 but f32 is declared"),
        ("return a[b]", [PAIR, i32], f32, "a tuple index must be an integer literal"),
        ("return a[2]", [PAIR, i32], f32, "a tuple index must be an integer literal"),
        ("return a[0:1]", [PAIR, i32], f32, "a slice"),
        ("x, y = a\nreturn x", [f32, f32], f32, "cannot unpack"),
        ("a, b = b, a\nreturn a", [PAIR, PAIR], PAIR, "reads a name it assigns"),
        ("return (a, b, a)", [f32, f32], PAIR, "has type"),
        ("return 1 // 0", [i32, i32], i32, "cannot be evaluated"),
        ("return int(math.inf)", [i32, i32], i32, "cannot be evaluated"),
        ("return a if b > 0 else 1.5", [i32, i32], i32, "has type f64 but i32 is declared"),
    ],
)
def test_rejected_typing(body: str, types: list[DataType], result: DataType, what: str) -> None:
    src = "def f(a, b):\n" + textwrap.indent(body, "    ") + "\n"
    with pytest.raises(UserFunError, match=r"^<userfun>:2: user function 'f': ") as err:
        translate_src(src, types, result)
    assert what in str(err.value)


def test_rejected_signatures() -> None:
    with pytest.raises(UserFunError, match="differ from the declared"):
        translate_userfun("def f(x):\n    return x\n", name="f", param_names=["y"], param_types=[f32], result_type=f32)
    with pytest.raises(UserFunError, match="default parameters"):
        translate_src("def f(x=1.0):\n    return x\n", [f32], f32)
    with pytest.raises(UserFunError, match="cannot name an OpenCL C function"):
        translate_userfun(
            "def f(x):\n    return x\n", name="float", param_names=["x"], param_types=[f32], result_type=f32
        )


def test_errors_point_into_the_users_file() -> None:
    def bad(x):
        y = x
        while y > 1.0:
            y = y / 2
        return y

    with pytest.raises(UserFunError) as err:
        translate_fn(bad, [f32], f32)
    line = bad.__code__.co_firstlineno + 2
    assert str(err.value) == (
        f"{__file__}:{line}: user function 'bad': a while loop is not supported in user functions; "
        "use a combinator (map/reduce/iterate) instead"
    )


# -- the C text is C: gcc, and OpenCL ----------------------------------------------------------------------------

C_PRELUDE = """#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
"""


def _program(funs: list[tuple[TranslatedUserFun, list[DataType], DataType]]) -> str:
    structs = required_structs(t for _, ts, r in funs for t in (*ts, r))
    return "\n".join([*(struct_definition(t) for t in structs), *(f.c_definition for f, _, _ in funs)])


def _gcc(tmp_path: Path, code: str, *flags: str) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    path = tmp_path / "prog.c"
    path.write_text(code)
    out = tmp_path / "prog"
    cmd = [gcc, "-std=c99", "-Wall", "-Werror", "-Wno-unused-function", *flags, str(path), "-o", str(out), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr + "\n" + code
    return out


def test_c_compiles_with_gcc(tmp_path: Path) -> None:
    funs = [(translate_fn(fn, ts, r), ts, r) for fn, ts, r in SAMPLES if fn is not int_ops]  # int_ops: long abs
    _gcc(tmp_path, C_PRELUDE + _program(funs), "-fsyntax-only")


def test_c_integer_floor_division_matches_python(tmp_path: Path) -> None:
    ops = {"fd": "a // b", "fm": "a % b", "fd3": "a // 3", "fm3": "a % 3", "fdm3": "a // -3", "fmm3": "a % -3"}
    funs = [translate_src(f"def {k}(a, b):\n    return {e}\n", [i32, i32], i32) for k, e in ops.items()]
    funs.append(translate_src("def fl(a, b):\n    x = a\n    x //= b\n    return x % b\n", [i64, i64], i64))
    calls = " ".join(f'printf("%d ", {k}(a, b));' for k in ops) + ' printf("%ld\\n", fl(a, b));'
    main = f"int main(void) {{ for (int a = -9; a <= 9; a++) for (int b = -4; b <= 4; b++) if (b) {{ {calls} }} }}"
    exe = _gcc(tmp_path, C_PRELUDE + "#include <stdio.h>\n" + "\n".join(f.c_definition for f in funs) + main)
    got = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split("\n")
    want = [
        " ".join(str(v) for v in [a // b, a % b, a // 3, a % 3, a // -3, a % -3, (a // b) % b])
        for a in range(-9, 10)
        for b in range(-4, 5)
        if b
    ]
    assert got[:-1] == want


def test_functions_run_in_opencl() -> None:
    cl = pytest.importorskip("pyopencl")
    try:
        device = next(d for p in cl.get_platforms() if "Portable" in p.name for d in p.get_devices())
    except (StopIteration, cl.Error):
        pytest.skip("no pocl OpenCL device")
    ctx = cl.Context([device])
    queue = cl.CommandQueue(ctx)
    funs = [(fn, translate_fn(fn, ts, r), ts, r) for fn, ts, r in SAMPLES]
    kernels = []
    for fn, _, ts, r in funs:
        ins = [(f"a{k}", t) for k, t in enumerate(ts)]
        leaves_in = [(f"{n}{s}", e) for n, t in ins for s, e in _flat(t)]
        leaves_out = [(f"o{s}", e) for s, e in _flat(r)]
        params = [f"global const {e.c_name}* {n}" for n, e in leaves_in] + [
            f"global {e.c_name}* {n}" for n, e in leaves_out
        ]
        call = ", ".join(_build(t, n) for n, t in ins)
        stores = " ".join(f"{n}[i] = r{s.replace('_', '._')};" for (n, _), (s, _) in zip(leaves_out, _flat(r)))
        rtype = default_struct_name(r) if isinstance(r, TupleType) else _flat(r)[0][1].c_name
        kernels.append(
            f"kernel void k_{fn.__name__}({', '.join(params)}) {{ int i = get_global_id(0); "
            f"{rtype} r = {fn.__name__}({call}); {stores} }}"
        )
    code = _program([(f, ts, r) for _, f, ts, r in funs]) + "\n" + "\n".join(kernels)
    code = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" + code
    program = cl.Program(ctx, code).build()
    rng = np.random.default_rng(2)
    n = 64
    for fn, f, ts, r in funs:
        args = [_random(t, rng, n) for t in ts]
        leaves = [a for arg in args for a in _leaves(arg)]
        bufs = [cl.Buffer(ctx, cl.mem_flags.READ_ONLY | cl.mem_flags.COPY_HOST_PTR, hostbuf=a) for a in leaves]
        outs = [np.empty(n, e.dtype) for _, e in _flat(r)]
        obufs = [cl.Buffer(ctx, cl.mem_flags.WRITE_ONLY, o.nbytes) for o in outs]
        getattr(program, f"k_{fn.__name__}")(queue, (n,), None, *bufs, *obufs)
        for o, b in zip(outs, obufs):
            cl.enqueue_copy(queue, o, b)
        want = _leaves(f.evaluate(*args))
        for o, w in zip(outs, want):
            np.testing.assert_allclose(o, w, rtol=2e-6, atol=2e-6, err_msg=fn.__name__)


def _flat(t: DataType, path: str = "") -> list[tuple[str, ScalarType]]:
    """The scalar leaves of ``t`` with their paths: ``_0_1`` for ``x._0._1``."""
    if isinstance(t, TupleType):
        return [leaf for i, e in enumerate(t.elems) for leaf in _flat(e, f"{path}_{i}")]
    assert isinstance(t, ScalarType)
    return [(path, t)]


def _build(t: DataType, name: str, path: str = "") -> str:
    """An OpenCL C expression that rebuilds a (tuple) argument from its leaf arrays."""
    if isinstance(t, TupleType):
        inner = ", ".join(_build(e, name, f"{path}_{i}") for i, e in enumerate(t.elems))
        return f"({default_struct_name(t)}){{{inner}}}"
    return f"{name}{path}[i]"


def _leaves(v: Any) -> list[Any]:
    return [x for e in v for x in _leaves(e)] if isinstance(v, tuple) else [v]
