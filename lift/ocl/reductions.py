"""Parallel reductions as low-level programs: what a ``reduce`` becomes at a parallel level.

* :func:`work_group_reduction` — the threads of one work-group reduce an array: ``L`` threads fold strided
  elements (thread ``l`` reads ``l, l + L, …``: neighbouring threads, neighbouring elements) into local memory,
  then halve them pairwise (``split(L/2) >> transpose``: element ``i`` with ``i + L/2``, no bank conflicts) until
  one value is left. A ``reduce`` at level ``lcl d`` inside a ``map_wrg(d)`` is this.
* :func:`work_group_parts` — the first stage of Lift's two-stage reduction of a whole array: work-groups each
  reduce a part, one partial result each (a whole-array ``reduce`` at level ``wrg0``; the second stage is one
  work-group reducing the partial results, after a cut).

The element function of a map fused into the reduction (Lift's ``reduceMapFusion``) is applied where the threads
read each element (:func:`fold`). ``f`` is associative and commutative and its initial value neutral (the type
checker's laws for ``reduce``), so any grouping and order gives the same result up to rounding.
"""

from __future__ import annotations

from collections.abc import Callable

from lift.dsl import join, map_lcl, map_wrg, reduce_seq, split, to_global, to_local, to_private, transpose
from lift.dsl.ir import Expr, FunCall, FunDecl, Lambda, Param, fresh_name

__all__ = ["REDUCTION_THREADS", "fold", "work_group_parts", "work_group_reduction"]

REDUCTION_THREADS = 256
"""The most threads a work-group reduction uses (a power of two dividing the array's length)."""


def threads_for(n: int, limit: int | None = None) -> int:
    """The threads a work-group reduction of ``n`` elements uses: the largest power of two at most ``limit``
    (:data:`REDUCTION_THREADS` by default) dividing ``n``."""
    limit = REDUCTION_THREADS if limit is None else limit
    lanes = 1
    while lanes * 2 <= limit and n % (lanes * 2) == 0:
        lanes *= 2
    return lanes


def fold(f: FunDecl, element: FunDecl | None, taken: set[str]) -> FunDecl:
    """``f``, or ``λ(acc, x). f(acc, element(x))`` when a map's ``element`` function is fused into the reduction
    (fresh parameter names, added to ``taken``)."""
    if element is None:
        return f
    acc = Param(fresh_name("acc", taken))
    taken.add(acc.name)
    x = Param(fresh_name("x", taken))
    taken.add(x.name)
    return Lambda((acc, x), FunCall(f, (acc, FunCall(element, (x,)))))


def work_group_reduction(
    data: Expr,
    *,
    threads: int,
    fold_in: FunDecl,
    combine: FunDecl,
    init: Expr,
    dim: int,
    name: str,
    last: Callable[[FunDecl], FunDecl] | None = None,
) -> Expr:
    """``data`` (``threads · R`` elements) reduced by ``threads`` threads of a work-group (``map_lcl(dim)``):
    ``[a]1``. ``fold_in`` folds an element into a thread's accumulator, ``combine`` two accumulators; ``last``
    wraps the step that writes the result (``to_global``; the identity: where the enclosing function's result
    goes). Without ``last`` every thread combines the last partial results itself, into private memory: the
    value the work-group reads next, with no thread waiting on another for it."""
    per_thread = map_lcl(reduce_seq(fold_in, init), dim=dim, name=f"{name}_threads")
    final = 1 if last is not None else 2  # the width the threads' tree stops at
    x = data >> split(threads) >> transpose >> (last if threads == 1 and last else to_local)(per_thread) >> join
    width, step = threads, 0
    while width > final:
        width //= 2
        step += 1
        pairs = map_lcl(reduce_seq(combine, init), dim=dim, name=f"{name}_tree{step}")
        x = x >> split(width) >> transpose >> (last if width == 1 and last else to_local)(pairs) >> join
    if last is None:
        x = x >> to_private(reduce_seq(combine, init))
    return x


def work_group_parts(
    data: Expr, *, n: int, groups: int, threads: int, fold_in: FunDecl, combine: FunDecl, init: Expr, name: str
) -> Expr:
    """``data`` (``n`` elements) reduced by ``groups`` work-groups of ``threads`` threads (``map_wrg(0)``), one
    partial result each in global memory: ``[a]groups``."""

    def part(chunk: Expr) -> Expr:
        return work_group_reduction(
            chunk, threads=threads, fold_in=fold_in, combine=combine, init=init, dim=0, name=name, last=to_global
        )

    return data >> split(n // groups) >> map_wrg(part, name=f"{name}_groups") >> join
