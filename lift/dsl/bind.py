"""Binding a program's parameters to concrete arrays: dtype checks, shapes, and the size variables.

Shared by the interpreter and the OpenCL runtime, so that both reject the same bad arguments with the
same messages, before any work is done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lift.dsl.mapper import NodeMapper
from lift.errors import LiftInternalError, LiftTypeError, LiftValueError
from lift.types.arith import ArithExpr, Cst, Var
from lift.types.data import MAX_SIZE, ArrayType, DataType, ScalarType, TupleType, VectorType

if TYPE_CHECKING:
    from lift.types.checker import TypedProgram

__all__ = ["MAX_SIZE", "bind_arguments", "bind_sizes", "check_constraints", "check_sizes"]


def bind_arguments(typed: TypedProgram, arrays: Sequence[Any]) -> tuple[list[Any], dict[str, int]]:
    """Check ``arrays`` against the program's parameter types; the arrays as values, and the sizes."""
    prog = typed.program
    names = [p.name for p in prog.params]
    if len(arrays) != len(names):
        raise LiftTypeError(f"{prog.name}: takes {len(names)} argument(s) ({', '.join(names)}), found {len(arrays)}")
    values = [_convert(a, t, name) for a, t, name in zip(arrays, prog.param_types, names)]
    observations: list[tuple[ArithExpr, int, str]] = []
    for v, t, name in zip(values, prog.param_types, names):
        _observe(v, t, name, observations)
    sizes = bind_sizes(observations)
    check_constraints(typed, sizes)
    return values, sizes


class _Convert(NodeMapper[Any]):
    """``x`` as numpy data of the structure of ``t`` (tuples of arrays for arrays of tuples), by the kind of
    ``t``'s innermost type: ``self(t.innermost, x, t, name)``.

    A scalar parameter takes a Python number, a numpy scalar or a 0-d array; an array parameter a numpy array
    or nested lists of numbers. Numpy data must cast safely to the parameter's dtype (``x.astype`` otherwise);
    Python numbers by value (a float for an integer type is refused, an integer must fit). Strings, objects,
    masked arrays and scalars where an array is expected are refused, never parsed or silently unmasked.
    """

    covers = (DataType,)

    def map_tuple_type(self, inner: TupleType, x: Any, t: DataType, name: str) -> Any:
        if not isinstance(x, (tuple, list)) or len(x) != len(inner.elems):
            raise LiftTypeError(
                f"parameter {name!r}: expected a tuple of {len(inner.elems)} arrays for type {t}, "
                f"found {type(x).__name__}"
            )
        return tuple(_convert(c, _with_inner(t, e), f"{name}[{i}]") for i, (c, e) in enumerate(zip(x, inner.elems)))

    def map_scalar_type(self, inner: ScalarType, x: Any, t: DataType, name: str) -> Any:
        target = inner.dtype
        if isinstance(x, np.ma.MaskedArray):
            raise LiftTypeError(
                f"parameter {name!r}: expected {t}, found a masked array; lift-ir does not honour masks: pass "
                "x.filled(value) with the value masked elements should take, or x.data to ignore the mask"
            )
        from_python = _is_python_data(x)
        arr = _numeric(x, t, name)
        if t.array_shape and arr.ndim == 0:
            raise LiftTypeError(
                f"parameter {name!r}: expected an array of type {t}, found the scalar {type(x).__name__} {x!r}; "
                "pass a numpy array (np.asarray(...)) of that shape"
            )
        if from_python:
            return _from_python(arr, inner, t, name)
        if not np.can_cast(arr.dtype, target, casting="safe"):
            what = "an array" if arr.ndim else "a scalar"
            raise LiftTypeError(
                f"parameter {name!r}: expected {t} (dtype {target}), found {what} of dtype {arr.dtype}, which "
                f"cannot be cast safely; convert it first, e.g. x.astype(np.{target})"
            )
        return np.asarray(arr, dtype=target, order="C")  # asarray keeps a 0-d scalar 0-d

    def map_array_type(self, inner: ArrayType, x: Any, t: DataType, name: str) -> Any:
        raise LiftInternalError(f"parameter {name!r}: the innermost type of {t} is the array type {inner}")


_CONVERT = _Convert()


def _convert(x: Any, t: DataType, name: str) -> Any:
    return _CONVERT(t.innermost, x, t, name)


def _is_python_data(x: Any) -> bool:
    return isinstance(x, (list, tuple, int, float)) and not isinstance(x, np.generic)


def _numeric(x: Any, t: DataType, name: str) -> np.ndarray:
    """``x`` as a numpy array of numbers (booleans, integers or floats), or a named refusal."""
    if isinstance(x, (str, bytes)) or x is None:
        raise LiftTypeError(f"parameter {name!r}: expected {t}, found {type(x).__name__} {x!r}; pass numbers")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError, OverflowError) as err:
        raise LiftTypeError(
            f"parameter {name!r}: expected {t}, cannot read {type(x).__name__} as an array of numbers ({err}); "
            "pass a numpy array, or nested lists of numbers of a rectangular shape"
        ) from None
    if arr.dtype.kind not in "biuf":
        raise LiftTypeError(
            f"parameter {name!r}: expected numbers for {t}, found {type(x).__name__} of dtype {arr.dtype} "
            f"({_kind_words(arr.dtype)}); lift-ir never parses strings or objects as numbers: convert them "
            "first, e.g. np.asarray(values, dtype=np.float32)"
        )
    return arr


def _kind_words(dtype: np.dtype[Any]) -> str:
    return {"U": "strings", "S": "bytes", "O": "Python objects", "c": "complex numbers"}.get(dtype.kind, "not numbers")


def _from_python(arr: np.ndarray, scalar: ScalarType, t: DataType, name: str) -> np.ndarray:
    """Python numbers converted by value: every value must be representable in the parameter's type."""
    target = scalar.dtype
    if target.kind in "iu":
        if arr.dtype.kind == "f":
            raise LiftTypeError(f"parameter {name!r}: expected integers ({t}), found floating-point values")
        info = np.iinfo(target)
        if arr.size and (arr.min() < info.min or arr.max() > info.max):
            raise LiftValueError(
                f"parameter {name!r}: values of {t} must lie in {info.min} .. {info.max}, found "
                f"{arr.min()} .. {arr.max()}; use a wider type (i64) or smaller values"
            )
        return np.asarray(arr, dtype=target, order="C")
    with np.errstate(over="ignore"):
        converted = np.asarray(arr, dtype=target, order="C")
    if np.any(np.isfinite(arr) & ~np.isfinite(converted)):
        raise LiftValueError(
            f"parameter {name!r}: a finite value is beyond the range of {scalar} (it would become infinite); "
            f"use {'f64' if target != np.float64 else 'smaller values'}"
        )
    return converted


def _with_inner(t: DataType, inner: DataType) -> DataType:
    """``t`` with its innermost type replaced by ``inner`` (the array dimensions kept)."""
    for n in reversed(t.array_shape):
        inner = ArrayType(inner, n)
    return inner


class _Observe(NodeMapper[None]):
    """Records which size expression each dimension of a converted value must equal, by the kind of the
    parameter type's innermost type: ``self(t.innermost, v, t, name, out)``."""

    covers = (DataType,)

    def map_tuple_type(
        self, inner: TupleType, v: Any, t: DataType, name: str, out: list[tuple[ArithExpr, int, str]]
    ) -> None:
        for i, (c, e) in enumerate(zip(v, inner.elems)):
            _observe(c, _with_inner(t, e), f"{name}[{i}]", out)

    def map_scalar_type(
        self, inner: ScalarType, v: Any, t: DataType, name: str, out: list[tuple[ArithExpr, int, str]]
    ) -> None:
        dims = t.array_shape
        if v.ndim != len(dims):
            raise LiftTypeError(
                f"parameter {name!r}: expected a {len(dims)}-D array for type {t}, found shape {v.shape} ({v.ndim}-D)"
            )
        for axis, (expr, n) in enumerate(zip(dims, v.shape)):
            out.append((expr, int(n), f"parameter {name!r}, axis {axis} (type {t})"))

    def map_vector_type(
        self, inner: VectorType, v: Any, t: DataType, name: str, out: list[tuple[ArithExpr, int, str]]
    ) -> None:
        """A vector's lanes are a trailing axis after the array's."""
        if v.ndim == 0 or v.shape[-1] != inner.lanes:
            raise LiftTypeError(
                f"parameter {name!r}: expected the lanes of {inner} as a last axis of {inner.lanes} for type {t}, "
                f"found shape {v.shape}"
            )
        self.map_scalar_type(inner, v[..., 0], t, name, out)

    def map_array_type(
        self, inner: ArrayType, v: Any, t: DataType, name: str, out: list[tuple[ArithExpr, int, str]]
    ) -> None:
        raise LiftInternalError(f"parameter {name!r}: the innermost type of {t} is the array type {inner}")


_OBSERVE = _Observe()


def _observe(v: Any, t: DataType, name: str, out: list[tuple[ArithExpr, int, str]]) -> None:
    """Record which size expression each dimension of ``v`` (converted for the type ``t``) must equal."""
    _OBSERVE(t.innermost, v, t, name, out)


def check_sizes(sizes: Any, where: str) -> dict[str, int]:
    """``sizes`` (a mapping from size names to values, or ``None``) as a dict of Python ints, each a positive
    integer that fits 64 bits; anything else is a ``LiftValueError`` naming the entry and the fix."""
    if sizes is None:
        return {}
    if not isinstance(sizes, Mapping):
        raise LiftValueError(
            f"{where}: sizes must be a dict from size names to positive integers, e.g. {{'N': 1024}}; "
            f"found {type(sizes).__name__} {sizes!r}"
        )
    checked: dict[str, int] = {}
    for name, value in sizes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise LiftValueError(f"{where}: the size name {name!r} is not an identifier; name sizes as in size('N')")
        checked[name] = _positive_size(value, f"{where}: size {name}")
    return checked


def _positive_size(value: Any, where: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        hint = f"; sizes are integers: use {int(value)}" if isinstance(value, float) and value.is_integer() else ""
        raise LiftValueError(f"{where}: expected a positive integer, found {type(value).__name__} {value!r}{hint}")
    n = int(value)
    if n < 1:
        raise LiftValueError(f"{where}: expected a positive integer (sizes are at least 1), found {n}")
    if n > MAX_SIZE:
        raise LiftValueError(
            f"{where}: {n} is beyond the largest size, {MAX_SIZE} (2**63 - 1, what a 64-bit integer holds)"
        )
    return n


def bind_sizes(observations: Sequence[tuple[ArithExpr, int, str]]) -> dict[str, int]:
    """Solve ``expr == value`` observations for the size variables (linear in one unknown at a time)."""
    sizes: dict[str, int] = {}
    pending = list(observations)
    while pending:
        progress = False
        rest = []
        for expr, value, where in pending:
            e = expr.subs(sizes)
            if isinstance(e, Cst):
                if e.value != value:
                    raise LiftTypeError(f"{where}: expected size {_expected(expr, e, sizes)}, found {value}")
                progress = True
                continue
            unknown = [v for v in e.free_vars() if v.name not in sizes]
            if len(unknown) == 1:
                solved = _solve_linear(e, unknown[0], value)
                if solved is not None:
                    sizes[unknown[0].name] = solved
                    progress = True
                    rest.append((expr, value, where))  # re-checked on the next pass
                    continue
            rest.append((expr, value, where))
        pending = rest
        if not progress:
            expr, value, where = pending[0]
            raise LiftTypeError(f"{where}: cannot determine the sizes of {expr} from the value {value}")
        if all(not (set(v.name for v in e.free_vars()) - set(sizes)) for e, _, _ in pending):
            for expr, value, where in pending:
                got = expr.evaluate(sizes)
                if got != value:
                    raise LiftTypeError(f"{where}: expected size {_expected(expr, Cst(got), sizes)}, found {value}")
            break
    for name, value in sizes.items():
        if value < 1:
            raise LiftTypeError(f"size {name} = {value} from the arguments' shapes, but sizes are at least 1")
    return sizes


def _solve_linear(e: ArithExpr, v: Var, value: int) -> int | None:
    """The integer ``x`` with ``e[v := x] == value`` when ``e`` is ``a*v + b`` with constants, else None."""
    b = e.subs({v: 0})
    a_plus_b = e.subs({v: 1})
    if not (isinstance(b, Cst) and isinstance(a_plus_b, Cst)):
        return None
    a = a_plus_b.value - b.value
    if a == 0 or (value - b.value) % a:
        return None
    x = (value - b.value) // a
    return x if e.subs({v: x}) == Cst(value) else None


def _expected(expr: ArithExpr, value: Cst, sizes: dict[str, int]) -> str:
    """``3``, or ``N + 2 = 12 (with N = 10)`` for a symbolic size."""
    if isinstance(expr, Cst):
        return str(expr.value)
    names = sorted(v.name for v in expr.free_vars())
    bound = ", ".join(f"{n} = {sizes[n]}" for n in names if n in sizes)
    return f"{expr} = {value.value} (with {bound})"


def check_constraints(typed: TypedProgram, sizes: dict[str, int]) -> None:
    """Every size fact the program needs holds for ``sizes``, or a LiftTypeError names the one that fails."""
    for c in typed.constraints:
        try:
            ok = c.holds(sizes)
        except KeyError as err:
            raise LiftTypeError(f"{typed.program.name}: {c.origin} needs {c}, but {err.args[0]}") from None
        if not ok:
            bound = ", ".join(f"{k} = {v}" for k, v in sorted(sizes.items()))
            raise LiftTypeError(f"{typed.program.name}: {c.origin} needs {c}, which fails for {bound}")
