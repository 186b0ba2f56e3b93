"""``assert_equivalent(p, q, sizes=...)``: two programs have the same type and the same meaning on random inputs.

Meaning is the interpreter's. Integer results must be equal. Float results are compared with a *float64
reference*: ``p`` with every ``f32`` widened to ``f64`` (:func:`lift.testing.widen`), run on the same inputs; each
of ``p`` and ``q`` must be within ``rtol`` of it, elementwise: ``|out - ref| <= rtol * |ref| + atol``, where
``atol`` defaults to ``rtol`` times the largest ``|ref|`` of that output (so an element that cancels to about
zero is judged against the output's scale). Where ``p`` cannot be widened (its user functions do not translate
at ``f64``), ``q`` is compared with ``p`` itself by the same rule.

Inputs come from :func:`lift.testing.inputs_for`: by default the assertion runs its own Hypothesis search over
``examples`` inputs and, on failure, reports the shrunk counterexample (the search is derandomized: the same
programs get the same inputs on every run, so a failure reproduces); inside a Hypothesis test, pass the test's
``data=st.data()`` object so that inputs are drawn (and shrunk) along with the test's other choices; or pass
``inputs=`` explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from lift.dsl.interpret import interpret
from lift.dsl.ir import Fun
from lift.dsl.printer import pretty
from lift.errors import LiftError
from lift.testing.retype import widen
from lift.testing.strategies import inputs_for
from lift.types.checker import types_equal

__all__ = ["assert_equivalent"]


def assert_equivalent(
    p: Fun,
    q: Fun,
    *,
    sizes: Mapping[str, int] | None = None,
    rtol: float = 1e-5,
    atol: float | None = None,
    examples: int = 10,
    data: st.DataObject | None = None,
    inputs: Sequence[Any] | None = None,
) -> None:
    """Raise ``AssertionError`` unless ``p`` and ``q`` have the same type and agree on random inputs.

    ``sizes`` binds the programs' size variables (the inputs' shapes follow); ``examples`` is how many inputs
    are tried; ``data`` draws them from an enclosing Hypothesis test; ``inputs`` gives one set explicitly. The
    message shows both programs with their types and the counterexample: the inputs, both results, the
    reference and the worst element.
    """
    for name, prog in (("p", p), ("q", q)):
        if not isinstance(prog, Fun):
            raise LiftError(f"assert_equivalent: {name} must be a program made with @fun, found {type(prog).__name__}")
    _check_types(p, q)
    env = dict(sizes or {})
    for c in q.constraints:
        if env or not c.free_vars():
            try:
                holds = c.holds(env)
            except KeyError:
                continue  # inputs_for names the missing size
            if not holds:
                raise AssertionError(f"q needs {c}, which fails at sizes {env}\n{_both(p, q)}")
    if inputs is not None:
        _compare(p, q, tuple(inputs), env, rtol, atol)
        return
    strategy = inputs_for(p, env)
    if data is not None:
        for _ in range(examples):
            _compare(p, q, data.draw(strategy, label="inputs"), env, rtol, atol)
        return
    if currently_in_test_context():
        raise LiftError(
            "assert_equivalent inside a Hypothesis test: pass the test's data=st.data() object (or inputs=...), "
            "so that inputs are drawn by the test itself"
        )

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def search(args: tuple[Any, ...]) -> None:
        _compare(p, q, args, env, rtol, atol)

    search()


def _both(p: Fun, q: Fun) -> str:
    return f"p:\n{_pretty(p)}\nq:\n{_pretty(q)}"


def _pretty(prog: Fun) -> str:
    try:
        return pretty(prog, types=True)
    except LiftError:
        return pretty(prog)


def _check_types(p: Fun, q: Fun) -> None:
    tp, tq = p.type, q.type
    same = len(tp.params) == len(tq.params) and all(
        types_equal(a, b, p.constraints) for a, b in zip(tp.params, tq.params)
    )
    if not same or not types_equal(tp.result, tq.result, p.constraints):
        raise AssertionError(f"p and q have different types: {tp} and {tq}\n{_both(p, q)}")


def _leaves(v: Any) -> list[np.ndarray]:
    if isinstance(v, tuple):
        return [leaf for x in v for leaf in _leaves(x)]
    return [np.asarray(v)]


def _to_f64(v: Any) -> Any:
    if isinstance(v, tuple):
        return tuple(_to_f64(x) for x in v)
    a = np.asarray(v)
    return a.astype(np.float64) if a.dtype == np.float32 else a


def _show(a: Any) -> str:
    if isinstance(a, tuple):
        return "(" + ", ".join(_show(x) for x in a) + ")"
    return np.array2string(np.asarray(a), threshold=80, max_line_width=110)


def _compare(p: Fun, q: Fun, args: tuple[Any, ...], sizes: Mapping[str, int], rtol: float, atol: float | None) -> None:
    out_p, out_q = interpret(p, *args), interpret(q, *args)
    leaves_p, leaves_q = _leaves(out_p), _leaves(out_q)
    reference: list[np.ndarray] | None = None
    what = "the float64 reference (p computed in f64)"
    if any(a.dtype.kind == "f" for a in leaves_p):
        try:
            reference = _leaves(interpret(widen(p), *_to_f64(args)))
        except LiftError:
            reference, what = None, "p (it has no f64 version)"
    problems = []
    if len(leaves_p) != len(leaves_q):
        problems.append(f"p gives {len(leaves_p)} output array(s), q gives {len(leaves_q)}")
    for i, (a, b) in enumerate(zip(leaves_p, leaves_q)):
        label = f"output {i}: " if len(leaves_p) > 1 else ""
        if a.shape != b.shape:
            problems.append(f"{label}p has shape {a.shape}, q has shape {b.shape}")
            continue
        if a.dtype.kind != "f":
            if not np.array_equal(a, b):
                bad = np.argwhere(a != b)[0]
                problems.append(
                    f"{label}at {tuple(int(k) for k in bad)}: p gives {a[tuple(bad)]}, q gives {b[tuple(bad)]}"
                )
            continue
        ref = reference[i] if reference is not None else a.astype(np.float64)
        for name, out in (("p", a), ("q", b)):
            if name == "p" and reference is None:
                continue
            problem = _close(out, ref, rtol, atol)
            if problem is not None:
                problems.append(f"{label}{name} differs from {what} {problem}")
    if problems:
        inputs = "\n".join(f"  {prm.name} = {_show(x)}" for prm, x in zip(p.params, args))
        raise AssertionError(
            "p and q differ:\n  "
            + "\n  ".join(problems)
            + f"\n{_both(p, q)}\ncounterexample (sizes {dict(sizes)}):\n{inputs}\n"
            + f"p gives:\n  {_show(out_p)}\nq gives:\n  {_show(out_q)}"
            + (
                f"\nfloat64 reference:\n  {_show(tuple(reference) if len(reference) > 1 else reference[0])}"
                if reference
                else ""
            )
        )


def _close(out: np.ndarray, ref: np.ndarray, rtol: float, atol: float | None) -> str | None:
    """``None`` when ``out`` is within tolerance of ``ref``, else where and by how much it is not."""
    finite = np.abs(ref[np.isfinite(ref)])
    scale = float(finite.max()) if finite.size else 0.0
    tol_abs = rtol * scale if atol is None else atol
    o = out.astype(np.float64)
    ok = np.isclose(o, ref, rtol=rtol, atol=tol_abs, equal_nan=True)
    if ok.all():
        return None
    err = np.where(ok, 0.0, np.abs(o - ref))
    worst = np.unravel_index(int(np.nanargmax(np.nan_to_num(err, nan=np.inf))), err.shape)
    return (
        f"at {tuple(int(k) for k in worst)}: {float(o[worst])!r} vs {float(ref[worst])!r} "
        f"(allowed |error| <= {rtol} * |ref| + {tol_abs:g})"
    )
