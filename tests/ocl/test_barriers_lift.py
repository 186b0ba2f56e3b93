"""Lift's barrier tests, ported to our DSL (issue 4).

Sources (lift-project/lift, branch ``cc22-artifact``, ``src/test/opencl/generator/``):
``TestBarrier.scala`` (TB, the old barrier *elimination*) and ``TestBarrierInsertion.scala`` (TBI, the cc22
barrier *insertion*). Each case below is our own hand-lowered program with the synchronisation pattern of one
Lift test, checked four ways (one parametrized test each):

* the barriers the backend inserts, as ``(local fence, global fence)`` pairs, equal the expected ones (and,
  where a case says so, the kernel's ``local`` arrays, ``private`` variables and ``global`` temporaries);
* the kernel agrees with ``lift.interpret`` on PoCL (float32 random inputs, rtol 1e-5);
* Oclgrind finds no data race, no barrier divergence and no invalid access;
* for each expected barrier, Oclgrind finds a data race once that barrier is deleted from the source: the
  expected barriers are necessary as well as sufficient.

Sizes are small (Lift's work-group chunks of 128 elements become 16, its 32⁴ inputs 4⁴) so that Oclgrind stays
fast; the synchronisation patterns do not depend on them.

**Where we expect fewer barriers than Lift, and why.** Most of Lift's extra barriers guard the *next iteration
of the ``MapWrg`` loop*: Lift's kernels loop over work-groups (``for (wg = get_group_id(0); wg < n; wg +=
get_num_groups(0))``), so a local buffer is reused by the next chunk and must not be overwritten while slower
threads still read it. Our backend launches one work-group per ``map_wrg`` iteration (the loop runs once,
``int wg0 = get_group_id(0);``) and gives every work-group its own slot of a global temporary, so that barrier
is never needed (Shine's port of these tests, rise-lang/shine PR #220, also notes that Lift often fences global
memory there where the buffer is local). The other deviations are barriers that TB's elimination pass failed
to remove although every thread reads only what it wrote itself (TBI agrees with us there), and TBI's "middle"
barrier of ``loopReorder2Local``. Every deviation is stated on its case, and every expected list is backed by
Oclgrind both ways (no race with it, a race without any one of its barriers).

**Bugs these ports found** (minimal reproducers in the report to issue 4): stores of tuples lost their accesses,
so no barrier protected them (tupleBarrierJust*, tupleInside2MapLcl; fixed meanwhile in b33f5f8); a loop whose
body ended in a barrier was deleted from the kernel (loopCarriedLocalReuse, invalidKernel); ``to_local`` /
``to_private`` on the function inside a map was ignored (mapLcls*), and so was a point-free ``to_local(f) >>
split(4) >> map_lcl(g >> h)`` (TestAddressSpaces.privateLocalGlobal*) — the last three fixed meanwhile in
9c90931; and an unneeded loop-carried barrier (invalidKernel): the next iteration of a loop was not known to
have another value of its variable (fixed since).

**Loop and no-loop variants.** Lift's ``noLoop*`` tests inject the launch sizes so that the ``MapLcl`` loops
disappear. Our ``map_lcl`` loops always print, so we keep the distinction by running the *loop* variant with a
local size smaller than the trip count (``values={"ls0": 4}``: every thread runs four iterations) and the
no-loop variant with one iteration per thread.

**Adapted** (same synchronisation pattern, different spelling; said on each case): ``Tail()`` becomes
``slide(2, 1)`` with a reduction keeping the window's second element (thread ``i`` reads element ``i + 1``);
``Tuple(f $ y._0, g $ y._1)`` becomes a tuple-returning user function, or a ``zip`` of two arrays where Lift
placed the two components in different address spaces (our tuples live in one space); Lift's
tuple-of-arrays + ``Unzip`` becomes an array of tuples read through ``map(map(get))``; ``asVector(4)`` becomes
``split(4) >> map_lcl(map_seq(…)) >> join`` (a thread handles the same 4 consecutive elements);
``Value(…)``-driven ``MapWrg(1)`` wrappers become an outer array dimension of size 1; ``invalidKernel`` cannot
be made illegal by a local size (ours always divides the trip count), so its port is valid and a sibling
(``test_invalid_kernel_barrier_not_reached``) makes the trip count differ from the local size instead.

**Not ported.** ``TB.testIsGather`` (a unit test of Lift's ``BarrierElimination.isPattern``, no kernel);
``TBI.vgg_layer0`` and ``TBI.vgg_layer10`` (whole VGG-16 layers from the paper's artifact, compared
text-for-text with a hand-annotated copy: they use ``TransposeW``, ``Tuple(2)`` construction and ``Value``
literals, which our DSL lacks, and 226×226×3 inputs, far too large for Oclgrind; the convolution flagship has
its own tests). TB's ``@Ignore``-d tests are ported anyway (they are valid programs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, Tuple, f32, fun, size, userfun
from lift.dsl import (
    gather,
    join,
    map,
    map_lcl,
    map_seq,
    map_wrg,
    reduce_seq,
    reverse,
    scatter,
    slide,
    split,
    to_global,
    to_local,
    transpose,
    zip,
)
from lift.dsl import id as copy
from lift.dsl.prelude import add
from lift.ocl.kernel import compile_program
from tests.ocl.conftest import OclgrindFindings, needs_pocl, random_inputs

N = size("N")
M = size("M")
K = size("K")
C = 16
"""Lift's chunk of 128 elements per work-group, made small."""

LOCAL = (True, False)
GLOBAL = (False, True)
BOTH = (True, True)


@userfun
def pair(a: f32, b: f32) -> Tuple[f32, f32]:
    """Lift's ``Tuple(id $ y._0, id $ y._1)``."""
    return (a, b)


@userfun
def second(acc: f32, x: f32) -> f32:
    """A reduction that keeps the last element: over a window of 2 it is the window's second element."""
    return x


def per_group(body: Any) -> Any:
    """Lift's ``Join() o MapWrg(body) o Split(128)`` (with our chunk ``C``)."""
    return split(C) >> map_wrg(body) >> join


def first_of_pairs(rows: Any) -> Any:
    """``Get(0) o Unzip()`` on rows of pairs: the first components, as a view."""
    return rows >> map(map(lambda t: t[0]))


def tail(row: Any) -> Any:
    """Lift's ``MapLcl(id) o Tail()``: thread ``i`` reads element ``i + 1`` (a window of 2, keep the second)."""
    return row >> slide(2, 1) >> map_lcl(reduce_seq(second, 0.0)) >> join


# ======================================================================================================
# 1-D chunks: Join() o MapWrg(...) o Split(128)
# ======================================================================================================


@fun
def sequential_map_follows_parallel(x: Array[f32, N]):
    """TB/TBI.sequentialMapFollowsParallel: ``MapSeq(id) o MapLcl(id)``, the map_lcl's result in global memory
    read whole by every thread (TB: 1 barrier; TBI: 2, the second for the MapWrg loop). Every thread of the group
    then writes the whole chunk: a write-write race (benign here, the same values), which Shine's port and we
    refuse (test_every_thread_writing_one_element_is_refused)."""
    return x >> per_group(lambda c: c >> map_lcl(copy) >> map_seq(copy))


@fun
def sequential_map_follows_parallel_with_local_memory(x: Array[f32, N]):
    """TB.sequentialMapFollowsParallelWithLocalMemory (@Ignore in Lift, expecting 2): the same through local
    memory: one local barrier (Lift's second guards the MapWrg loop)."""
    return x >> per_group(lambda c: c >> to_local(map_lcl(copy)) >> to_global(map_seq(copy)))


@fun
def sequential_reduce_follows_parallel(x: Array[f32, N]):
    """TB/TBI.sequentialReduceFollowsParallel: ``toGlobal(MapSeq(id)) o ReduceSeq(add) o MapLcl(id)``: one global
    barrier before the sum (TB: 1; TBI: 2, the second for the MapWrg loop)."""
    return x >> per_group(lambda c: c >> map_lcl(copy) >> reduce_seq(add, 0.0) >> to_global(map_seq(copy)))


@fun
def sequential_reduce_follows_parallel_with_local_memory(x: Array[f32, N]):
    """TB.sequentialReduceFollowsParallelWithLocalMemory (@Ignore in Lift, expecting 2): the sum reads local
    memory: one local barrier (Lift's second guards the MapWrg loop)."""
    return x >> per_group(lambda c: c >> to_local(map_lcl(copy)) >> reduce_seq(add, 0.0) >> to_global(map_seq(copy)))


@fun
def basic_barrier(x: Array[f32, N]):
    """TB/TBI.basicBarrier: ``MapWrg(MapLcl(id))``: nothing to synchronise (Lift: 0)."""
    return x >> per_group(map_lcl(copy))


@fun
def reorder_global_last(x: Array[f32, N]):
    """TB/TBI.reorderGlobalLast: ``MapLcl(id) o Gather(reverse) o MapLcl(id)`` through a global temporary:
    thread i reads what thread 15 - i wrote: one global barrier (TB: 1; TBI: 2, the second for the MapWrg
    loop, which our per-work-group temporary slots make unnecessary)."""
    return x >> per_group(lambda c: c >> map_lcl(copy) >> gather(reverse) >> map_lcl(copy))


@fun
def reorder_global_first(x: Array[f32, N]):
    """TB/TBI.reorderGlobalFirst: ``MapLcl(id) o MapLcl(id) o Gather(reverse)``: the reversal reads the input,
    every thread then reads its own element: no barrier (Lift: 0)."""
    return x >> per_group(lambda c: c >> gather(reverse) >> map_lcl(copy) >> map_lcl(copy))


@fun
def reorder_local(x: Array[f32, N]):
    """TB/TBI.reorderLocal and TB/TBI.noLoopReorderLocal: ``toGlobal(MapLcl(id)) o toLocal(MapLcl(id)) o
    Gather(reverse)``: every thread reads back its own local element: no barrier. TBI and TB's noLoop variant
    expect 0; TB.reorderLocal expects 1 (its elimination pass keeps the MapWrg-loop barrier; it is not needed
    even with a loop, since each thread only touches its own slot)."""
    return x >> per_group(lambda c: c >> gather(reverse) >> to_local(map_lcl(copy)) >> to_global(map_lcl(copy)))


@fun
def reorder_last_local(x: Array[f32, N]):
    """TB/TBI.reorderLastLocal and noLoopReorderLastLocal: ``toGlobal(MapLcl(id)) o Gather(reverse) o
    toLocal(MapLcl(id))``: one local barrier between the copy and the reversed read. Lift expects 2 (TB's
    noLoop variant: 1): the second guards the local buffer against the next MapWrg iteration, which our
    one-work-group-per-chunk kernels do not have."""
    return x >> per_group(lambda c: c >> to_local(map_lcl(copy)) >> gather(reverse) >> to_global(map_lcl(copy)))


@fun
def reorder_write_last_local(x: Array[f32, N]):
    """TB/TBI.reorderWriteLastLocal: ``toGlobal(Scatter(reverse) o MapLcl(id)) o toLocal(MapLcl(id))``: the
    reversal is on the output's write, every thread reads its own local element: no barrier (TBI: 0; TB: 1,
    an elimination leftover)."""
    return x >> per_group(lambda c: c >> to_local(map_lcl(copy)) >> to_global(map_lcl(copy) >> scatter(reverse)))


@fun
def no_reorder_local(x: Array[f32, N]):
    """TB/TBI.noReorderLocal and noLoopNoReorderLocal: ``toGlobal(MapLcl(id)) o toLocal(MapLcl(id))``: no
    barrier (TBI and TB's noLoop variant: 0; TB.noReorderLocal: 1, an elimination leftover)."""
    return x >> per_group(lambda c: c >> to_local(map_lcl(copy)) >> to_global(map_lcl(copy)))


@fun
def reorder2_local(x: Array[f32, N]):
    """TB/TBI.noLoopReorder2Local and loopReorder2Local: ``toGlobal(MapLcl(id)) o MapLcl(id) o Gather(reverse)
    o toLocal(MapLcl(id)) o Gather(reverse)``; Lift infers local memory for the unannotated middle map, we say
    it. One local barrier before the first reversed read; the last map reads back the elements its own thread
    wrote to the second local buffer, so the "middle" barrier is not needed. Lift: TB 1 (no loop) and 2 (loop,
    the second for the MapWrg loop); TBI 2 for both, its comment insisting that the middle barrier must stay
    ("(Middle barrier should be eliminated) No, it shouldn't!"); Oclgrind finds no race without it."""
    return x >> per_group(
        lambda c: (
            c
            >> gather(reverse)
            >> to_local(map_lcl(copy))
            >> gather(reverse)
            >> to_local(map_lcl(copy))
            >> to_global(map_lcl(copy))
        )
    )


@fun
def reorder3_local(x: Array[f32, N]):
    """TB/TBI.noLoopReorder3Local: ``toGlobal(MapLcl(id)) o Gather(reverse) o MapLcl(id) o Gather(reverse) o
    toLocal(MapLcl(id)) o Gather(reverse)`` (the middle map in local memory, as Lift infers): two reversed reads
    of local data, two local barriers (Lift: 2)."""
    return x >> per_group(
        lambda c: (
            c
            >> gather(reverse)
            >> to_local(map_lcl(copy))
            >> gather(reverse)
            >> to_local(map_lcl(copy))
            >> gather(reverse)
            >> to_global(map_lcl(copy))
        )
    )


@fun
def reorder_in_local_but_sequential(x: Array[f32, N]):
    """TB.reorderInLocalButSequential (@Ignore in Lift, expecting 1): each thread copies a row of 4 to local
    memory and reads that same row reversed: no barrier (Shine's port of it agrees that 0 would be right)."""
    return x >> per_group(
        lambda c: (
            c
            >> split(4)
            >> to_local(map_lcl(map_seq(copy)))
            >> map(gather(reverse))
            >> to_global(map_lcl(map_seq(copy)))
            >> join
        )
    )


@fun
def tail_global(x: Array[f32, N]):
    """TB/TBI.tail, adapted (``Tail()`` → ``slide(2, 1)``, keep the second): ``MapLcl(id) o Tail() o
    MapLcl(id)``: thread i reads the element thread i + 1 wrote to global memory: one global barrier (TB: 1;
    TBI: 2, the second for the MapWrg loop)."""
    return x >> per_group(lambda c: c >> map_lcl(copy) >> tail)


@fun
def tail_in_local(x: Array[f32, N]):
    """TB/TBI.tailInLocal, adapted as ``tail``: through local memory: one local barrier (Lift: 2, the second for
    the MapWrg loop)."""
    return x >> per_group(
        lambda c: c >> to_local(map_lcl(copy)) >> slide(2, 1) >> to_global(map_lcl(reduce_seq(second, 0.0))) >> join
    )


# ======================================================================================================
# Tuples (TB/TBI.tupleBarrier*, twoCorrectBarrierLocations): MapWrg over Split(32)
# ======================================================================================================


@fun
def tuple_barrier_just_local(x: Array[f32, N]):
    """TB/TBI.tupleBarrierJustLocal: ``toGlobal(MapLcl(add)) o Gather(reverse) o MapLcl(y => Tuple(toLocal(id) $
    y._0, toLocal(id) $ y._1)) $ Zip(x, x)``, the tuple made by a user function in local memory: one local
    barrier (TB: 1; TBI: 2, the second for the MapWrg loop)."""
    return x >> per_group(lambda c: zip(c, c) >> to_local(map_lcl(pair)) >> gather(reverse) >> to_global(map_lcl(add)))


@fun
def tuple_barrier_just_global(x: Array[f32, N]):
    """TB/TBI.tupleBarrierJustGlobal: the same with the pairs in global memory: one global barrier (TB: 1; TBI: 2,
    the second for the MapWrg loop)."""
    return x >> per_group(lambda c: zip(c, c) >> map_lcl(pair) >> gather(reverse) >> to_global(map_lcl(add)))


@fun
def tuple_barrier_both(x: Array[f32, N]):
    """TB/TBI.tupleBarrierBoth, adapted: Lift's pair has its first component in local and its second in global
    memory; ours is a zip of a local and a global array, written by two maps. One barrier with both fences
    (TB: 1; TBI: 2, the second for the MapWrg loop)."""
    return x >> per_group(
        lambda c: zip(c >> to_local(map_lcl(copy)), c >> map_lcl(copy)) >> gather(reverse) >> to_global(map_lcl(add))
    )


@fun
def two_correct_barrier_locations(x: Array[f32, N]):
    """TBI.twoCorrectBarrierLocations, adapted as ``tuple_barrier_both``: two rounds of (local, global) pairs, each
    thread reading its own elements, then a reversed read. The one barrier (both fences) may sit after either
    round; we place it as late as possible, like Lift (TBI: 2, the second for the MapWrg loop)."""
    return x >> per_group(
        lambda c: (
            zip(
                c >> to_local(map_lcl(copy)) >> to_local(map_lcl(copy)),
                c >> map_lcl(copy) >> map_lcl(copy),
            )
            >> gather(reverse)
            >> to_global(map_lcl(add))
        )
    )


@fun
def loop_carried_local_reuse(x: Array[Array[Array[f32, C], 3], N]):
    """BarrierInsertion.scala's doc comment (TBI's pass): "write-after-read across loop iterations", one of the
    bugs of TB's elimination it fixes. A ``MapSeq`` inside ``MapWrg`` reuses one local buffer per row: a local
    barrier before the reversed read, and one at the end of the loop body, before the next row overwrites what
    slower threads may still be reading."""
    return x >> map_wrg(map_seq(to_local(map_lcl(copy)) >> gather(reverse) >> to_global(map_lcl(copy))))


# ======================================================================================================
# Zips of local copies (TB/TBI.copy*InZip*): MapWrg over the rows of N×N matrices
# ======================================================================================================


def both_local(p: Any, rev_a: bool = False, rev_b: bool = False) -> Any:
    a = p[0] >> to_local(map_lcl(copy))
    b = p[1] >> to_local(map_lcl(copy))
    return zip(a >> gather(reverse) if rev_a else a, b >> gather(reverse) if rev_b else b)


@fun
def copy_to_local_in_zip(a: Array[Array[f32, N], N], b: Array[Array[f32, N], N]):
    """TB/TBI.copyToLocalInZip: ``MapWrg(toGlobal(MapLcl(add)) o (p => Zip(toLocal(MapLcl(id)) $ p._0,
    toLocal(MapLcl(id)) $ p._1)))``: every thread adds its own two local elements: no barrier (TBI: 0; TB: 1,
    an elimination leftover)."""
    return zip(a, b) >> map_wrg(lambda p: both_local(p) >> to_global(map_lcl(add)))


@fun
def copy_to_local_in_zip_and_reorder(a: Array[Array[f32, N], N], b: Array[Array[f32, N], N]):
    """TB/TBI.copyToLocalInZipAndReorder: the zip reversed: one local barrier covers both buffers (TB: 2; TBI: 2
    local, one of them for the MapWrg loop)."""
    return zip(a, b) >> map_wrg(lambda p: both_local(p) >> gather(reverse) >> to_global(map_lcl(add)))


@fun
def copy_to_local_and_reorder_in_zip(a: Array[Array[f32, N], N], b: Array[Array[f32, N], N]):
    """TB/TBI.copyToLocalAndReorderInZip: the first local copy reversed: one local barrier (Lift: 2, one for the
    MapWrg loop)."""
    return zip(a, b) >> map_wrg(lambda p: both_local(p, rev_a=True) >> to_global(map_lcl(add)))


@fun
def copy_to_local_and_reorder_in_zip2(a: Array[Array[f32, N], N], b: Array[Array[f32, N], N]):
    """TB/TBI.copyToLocalAndReorderInZip2: the second local copy reversed: one local barrier (Lift: 2, one for the
    MapWrg loop)."""
    return zip(a, b) >> map_wrg(lambda p: both_local(p, rev_b=True) >> to_global(map_lcl(add)))


@fun
def copy_to_local_and_reorder_both_in_zip(a: Array[Array[f32, N], N], b: Array[Array[f32, N], N]):
    """TB.copyToLocalAndReorderBothInZip (@Ignore in Lift) = TBI.copyToLocalReorderedInZip: both local copies
    reversed: one local barrier covers both (TB: 2; TBI: 2 local, one for the MapWrg loop)."""
    return zip(a, b) >> map_wrg(lambda p: both_local(p, rev_a=True, rev_b=True) >> to_global(map_lcl(add)))


@fun
def copy_one_to_local_in_zip(a: Array[Array[f32, N], N], b: Array[Array[f32, N], N]):
    """TB/TBI.copyOneToLocalInZip: only the first row copied to local memory, read by its writer: no barrier
    (TBI: 0; TB: 1, an elimination leftover)."""
    return zip(a, b) >> map_wrg(lambda p: zip(p[0] >> to_local(map_lcl(copy)), p[1]) >> to_global(map_lcl(add)))


# ======================================================================================================
# Nested MapLcl (TB/TBI.doubleNestedMapLcl*, tripleNestedMapLcl*): MapWrg(0)(MapWrg(1)(...)) over N⁴ / N⁶
# ======================================================================================================


def lcl2(f: Any) -> Any:
    """``MapLcl(0)(MapLcl(1)(f))``."""
    return map_lcl(map_lcl(f, 1), 0)


def wrg2(body: Any) -> Any:
    """``MapWrg(0)(MapWrg(1)(body))``."""
    return map_wrg(map_wrg(body, 1), 0)


@fun
def double_nested_map_lcl(x: Array[Array[Array[Array[f32, N], N], N], N]):
    """TB/TBI.doubleNestedMapLcl: ``toGlobal(MapLcl(0)(MapLcl(1)(id))) o toLocal(MapLcl(0)(MapLcl(1)(id)))``: the
    same thread writes and reads each element: no barrier (TBI: 0; TB: 1, an elimination leftover)."""
    return x >> wrg2(lambda g: g >> to_local(lcl2(copy)) >> to_global(lcl2(copy)))


@fun
def triple_nested_map_lcl(x: Array[Array[Array[Array[Array[Array[f32, N], N], N], N], N], N]):
    """TB/TBI.tripleNestedMapLcl: the 3-D version: no barrier (TBI: 0; TB: 1, an elimination leftover)."""

    def lcl3(f: Any) -> Any:
        return map_lcl(map_lcl(map_lcl(f, 2), 1), 0)

    return x >> map_wrg(map_wrg(map_wrg(lambda g: g >> to_local(lcl3(copy)) >> to_global(lcl3(copy)), 2), 1), 0)


@fun
def triple_nested_map_lcl_with_scatter(x: Array[Array[Array[Array[Array[Array[f32, N], N], N], N], N], N]):
    """TB/TBI.tripleNestedMapLclWithScatter: the innermost local write reversed (``Scatter(reverse) o
    MapLcl(2)(id)``): one local barrier (Lift: 2, one for the MapWrg loop)."""
    write = map_lcl(map_lcl(map_lcl(copy, 2) >> scatter(reverse), 1), 0)
    read = map_lcl(map_lcl(map_lcl(copy, 2), 1), 0)
    return x >> map_wrg(map_wrg(map_wrg(lambda g: g >> to_local(write) >> to_global(read), 2), 1), 0)


@fun
def double_nested_map_lcl_with_reorder(x: Array[Array[Array[Array[f32, N], N], N], N]):
    """TB/TBI.doubleNestedMapLclWithReorder: ``Map(Gather(reverse))`` between a local write and its read: one
    local barrier (Lift: 2, one for the MapWrg loop)."""
    return x >> wrg2(lambda g: g >> to_local(lcl2(copy)) >> map(gather(reverse)) >> to_global(lcl2(copy)))


@fun
def double_nested_map_lcl_with_reorder2(x: Array[Array[Array[Array[f32, N], N], N], N]):
    """TB/TBI.doubleNestedMapLclWithReorder2: ``toLocal(MapLcl(0)(Gather(reverse) o MapLcl(1)(id)))``, the
    reversal on the local write: one local barrier (Lift: 2, one for the MapWrg loop)."""
    write = map_lcl(map_lcl(copy, 1) >> gather(reverse), 0)
    return x >> wrg2(lambda g: g >> to_local(write) >> to_global(lcl2(copy)))


@fun
def double_nested_map_lcl_with_reorder3(x: Array[Array[Array[Array[f32, N], N], N], N]):
    """TB/TBI.doubleNestedMapLclWithReorder3: ``toGlobal(MapLcl(0)(MapLcl(1)(id) o Gather(reverse)))``, the
    reversal on the local read: one local barrier (Lift: 2, one for the MapWrg loop)."""
    read = map_lcl(gather(reverse) >> map_lcl(copy, 1), 0)
    return x >> wrg2(lambda g: g >> to_local(lcl2(copy)) >> to_global(read))


@fun
def double_nested_map_lcl_with_reorder_global_mem(x: Array[Array[Array[Array[f32, N], N], N], N]):
    """TB/TBI.doubleNestedMapLclWithReorderGlobalMem: ``MapLcl(0)(MapLcl(1)(id)) o MapLcl(0)(Gather(reverse) o
    MapLcl(1)(id))`` through a global temporary: one global barrier (TB: 1; TBI: 2, one for the MapWrg loop,
    unnecessary with our per-work-group temporary slots)."""
    write = map_lcl(map_lcl(copy, 1) >> gather(reverse), 0)
    return x >> wrg2(lambda g: g >> write >> lcl2(copy))


@fun
def double_nested_map_lcl_with_reorder_global_mem2(x: Array[Array[Array[Array[f32, N], N], N], N]):
    """TB/TBI.doubleNestedMapLclWithReorderGlobalMem2: ``MapLcl(0)(MapLcl(1)(id) o Gather(reverse)) o
    MapLcl(0)(MapLcl(1)(id))``: one global barrier (TB: 1; TBI: 2, one for the MapWrg loop)."""
    read = map_lcl(gather(reverse) >> map_lcl(copy, 1), 0)
    return x >> wrg2(lambda g: g >> lcl2(copy) >> read)


@fun
def double_nested_map_lcl_with_reorder_global_mem3(x: Array[Array[Array[Array[f32, N], N], N], N]):
    """TB/TBI.doubleNestedMapLclWithReorderGlobalMem3: ``MapLcl(0)(MapLcl(1)(id)) o Scatter(reverse) o
    MapLcl(0)(MapLcl(1)(id))``, the rows reversed on the write: one global barrier (TB: 1; TBI: 2, one for the
    MapWrg loop)."""
    return x >> wrg2(lambda g: g >> lcl2(copy) >> scatter(reverse) >> lcl2(copy))


@fun
def invalid_kernel(x: Array[Array[Array[Array[f32, 16], 16], N], N]):
    """TB/TBI.invalidKernel: ``MapLcl(0)(MapLcl(1)(id) o Gather(reverse) o MapLcl(1)(id))`` needs a global barrier
    *inside* the MapLcl(0) loop. Lift launches 32 threads for its 16 iterations, so half the threads skip the
    barrier (IllegalKernel). Our local size always divides the trip count (16), so every thread reaches the
    barrier and the kernel is valid; see ``test_invalid_kernel_barrier_not_reached`` for the illegal form."""
    return x >> wrg2(map_lcl(map_lcl(copy, 1) >> gather(reverse) >> map_lcl(copy, 1), 0))


# ======================================================================================================
# Tuples inside MapLcl (TB/TBI.tuple*InsideMapLcl*): MapWrg(0)(MapWrg(1)(...)) over [[[[f32]8]8]N]N
# ======================================================================================================


def pairs_to_local(x: Any, rows_dim: int, elems: Any) -> Any:
    """``toLocal(MapLcl(rows_dim)(pair => Tuple(… $ pair._0, … $ pair._1))) $ Zip(x, x)``, as an array of
    pairs (Lift builds a pair of arrays and unzips it)."""
    return zip(x, x) >> to_local(map_lcl(lambda p: zip(p[0], p[1]) >> elems, rows_dim))


@fun
def tuple_inside_2_map_lcl(x: Array[Array[Array[Array[f32, 8], 8], N], N]):
    """TB/TBI.tupleInside2MapLcl, adapted (array of pairs): written by MapLcl(1) over rows and MapLcl(0) over
    columns, read back by MapLcl(0) over rows and MapLcl(1) over columns, i.e. by the transposed thread: one
    local barrier (TB: 1; TBI: 2, one for the MapWrg loop)."""
    return x >> wrg2(
        lambda g: pairs_to_local(g, 1, map_lcl(pair, 0)) >> first_of_pairs >> to_global(map_lcl(map_lcl(copy, 1), 0))
    )


@fun
def tuple_inside_map_lcl(x: Array[Array[Array[Array[f32, 8], 8], N], N]):
    """TB/TBI.tupleInsideMapLcl, adapted (array of pairs): read back with the same thread layout (MapLcl(1) over
    rows, MapLcl(0) over columns): no barrier (TBI: 0; TB: 1, an elimination leftover)."""
    return x >> wrg2(
        lambda g: pairs_to_local(g, 1, map_lcl(pair, 0)) >> first_of_pairs >> to_global(map_lcl(map_lcl(copy, 0), 1))
    )


@fun
def tuple_inside_map_lcl2(x: Array[Array[Array[Array[f32, 8], 8], N], N]):
    """TB/TBI.tupleInsideMapLcl2: Lift's spelling differs from tupleInsideMapLcl only in ``Get(0)`` used as a
    function; ours reads the *second* components instead, so that it is not a duplicate: no barrier (TBI: 0;
    TB: 1)."""
    return x >> wrg2(
        lambda g: (
            pairs_to_local(g, 1, map_lcl(pair, 0))
            >> map(map(lambda t: t[1]))
            >> to_global(map_lcl(map_lcl(copy, 0), 1))
        )
    )


@fun
def tuple_with_as_vector_inside_map_lcl(x: Array[Array[Array[Array[f32, 8], 8], N], N]):
    """TB/TBI.tupleWithAsVectorInsideMapLcl, adapted: ``asVector(4)`` → ``split(4)``, a thread handling 4
    consecutive elements on both sides: no barrier (TBI: 0, "vectorizing doesn't change the index
    expressions"; TB: 2)."""

    def by4(f: Any) -> Any:
        return split(4) >> map_lcl(map_seq(f), 0) >> join

    return x >> wrg2(lambda g: pairs_to_local(g, 1, by4(pair)) >> first_of_pairs >> to_global(map_lcl(by4(copy), 1)))


# ======================================================================================================
# MapSeq around MapLcl (TBI.mapLcls*): MapWrg(0) over [[[f32]K]N]M
# ======================================================================================================


# Written as Lift writes them, with ``to_local``/``to_global`` on the innermost ``id``: a map's result lives where
# its innermost function writes it (``map_lcl(map_seq(to_local(id)))`` is a local array).


@fun
def map_lcls(a: Array[Array[Array[f32, K], N], M]):
    """TBI.mapLcls: ``MapSeq(MapLcl(0)(toGlobal(id))) o MapSeq(MapLcl(0)(toLocal(id)))``: each thread reads its own
    local element: no barrier (Lift: none between the two MapSeqs)."""
    return a >> map_wrg(lambda m: m >> map_seq(map_lcl(to_local(copy))) >> map_seq(map_lcl(to_global(copy))))


@fun
def map_lcls_transposed(a: Array[Array[Array[f32, K], N], M]):
    """TBI.mapLclsTransposed: ``MapSeq(MapLcl(0)(toGlobal(id))) o MapLcl(0)(MapSeq(toLocal(id)))``: rows written
    by one thread each, read column-parallel: one local barrier (TBI: 2, the second after the reading MapSeq,
    for the MapWrg loop)."""
    return a >> map_wrg(lambda m: m >> map_lcl(map_seq(to_local(copy))) >> map_seq(map_lcl(to_global(copy))))


@fun
def map_lcls_diff_dims(a: Array[Array[Array[Array[f32, K], N], M], 1]):
    """TBI.mapLclsDiffDims: ``MapLcl(0)(MapLcl(1)(toGlobal(id))) o MapLcl(1)(MapLcl(0)(toLocal(id)))`` inside
    ``MapWrg(1)(MapWrg(0)(…))`` (Lift maps MapWrg(1) over a one-element ``Value``; ours over an outer dimension
    of 1). Written by thread (row, col), read by thread (col, row): one local barrier (TBI: 2, the second for
    the MapWrg loop)."""
    write = map_lcl(map_lcl(to_local(copy), 0), 1)
    read = map_lcl(map_lcl(to_global(copy), 1), 0)
    return a >> map_wrg(lambda whole: whole >> map_wrg(lambda m: m >> write >> read, 0), 1)


@fun
def map_lcls_with_transpose(a: Array[Array[Array[f32, K], N], M]):
    """TBI.mapLclsWithTranspose: ``MapSeq(MapLcl(0)(toGlobal(id))) o Transpose() o MapSeq(MapLcl(0)(toLocal(id)))``:
    element (n, k) written by thread k, read by thread n: one local barrier (TBI: 2, the second for the MapWrg
    loop)."""
    return a >> map_wrg(
        lambda m: m >> map_seq(map_lcl(to_local(copy))) >> transpose >> map_seq(map_lcl(to_global(copy)))
    )


@fun
def map_lcls_with_2_transposes(a: Array[Array[Array[f32, K], N], M]):
    """TBI.mapLclsWith2Transposes: the same with ``Transpose() o Transpose()``: each thread reads its own
    elements: no barrier (Lift: none between the MapSeqs)."""
    return a >> map_wrg(
        lambda m: m >> map_seq(map_lcl(to_local(copy))) >> transpose >> transpose >> map_seq(map_lcl(to_global(copy)))
    )


# ======================================================================================================
# The table
# ======================================================================================================


@dataclass(frozen=True)
class Case:
    """One ported Lift test."""

    id: str
    """Lift's test name (with a suffix for our variants)."""
    prog: Any
    sizes: dict[str, int]
    barriers: list[tuple[bool, bool]]
    """Expected ``(local fence, global fence)`` of every barrier, in order."""
    values: dict[str, int] = field(default_factory=dict)
    """Tuning values (``ls0``: the local size of dimension 0)."""
    memory: dict[str, int] | None = None
    """Expected numbers of ``local`` arrays, ``private`` variables and ``global`` temporaries (None: unchecked)."""
    fixed: bool = True
    """Compile with the sizes (else they are bound at launch)."""
    xfail: dict[str, str] = field(default_factory=dict)
    """Check (``barriers``, ``memory``, ``pocl``, ``oclgrind``) → the backend bug that makes it fail."""


def params(cases: list[Case], check: str) -> list[Any]:
    """``cases`` as pytest parameters for one check, with a strict xfail where a known bug breaks it
    (``needed``: every expected barrier, by its index, for the cases whose kernels are right)."""
    if check == "needed":
        return [
            pytest.param(c, i, id=f"{c.id}-{i}")
            for c in cases
            if not {"barriers", "oclgrind"} & set(c.xfail)
            for i in range(len(c.barriers))
        ]
    out = []
    for c in cases:
        if check == "memory" and c.memory is None:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=c.xfail[check])] if check in c.xfail else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def compile_case(c: Case, device: str | None = None) -> lift.Kernel:
    return lift.compile(c.prog, sizes=c.sizes if c.fixed else None, values=c.values or None, device=device)


def memory_of(k: lift.Kernel) -> dict[str, int]:
    """How many local arrays, private variables and global temporaries the kernel declares."""
    src = k.source
    return {
        "local": len(re.findall(r"^\s*local \w+ \w+\[", src, re.M)),
        "private": len(re.findall(r"^\s*\w+ ptmp\w*(?:\[\d+\])?;", src, re.M)),
        "global": len(re.findall(r"global \w+\* tmp\w*", src)),
    }


def check_barriers(c: Case) -> None:
    k = compile_case(c)
    assert [(b.local, b.global_) for b in k.barriers] == c.barriers, k.source


def check_memory(c: Case) -> None:
    k = compile_case(c)
    assert memory_of(k) == c.memory, k.source


def check_result(c: Case, got: Any, arrays: list[np.ndarray]) -> None:
    np.testing.assert_allclose(got, lift.interpret(c.prog, *arrays), rtol=1e-5, atol=1e-6)


def check_pocl(c: Case) -> None:
    k = compile_case(c, "pocl")
    arrays = random_inputs(c.prog, c.sizes, seed=1)
    check_result(c, k(*arrays), arrays)


def check_oclgrind(c: Case, oclgrind: Any) -> None:
    _oclgrind_still_reports()
    k = compile_case(c, "oclgrind")
    arrays = random_inputs(c.prog, c.sizes, seed=2)
    check_result(c, oclgrind(k, *arrays), arrays)


def _oclgrind_still_reports() -> None:
    """Oclgrind stops reporting after ``OCLGRIND_MAX_ERRORS`` (default 1000) errors in a process: from then on a
    clean run proves nothing, so fail rather than pass vacuously."""
    log = Path(os.environ.get("OCLGRIND_LOG", "/nonexistent"))
    if log.exists() and "suppressing further errors" in log.read_text(errors="replace"):
        pytest.fail(
            "Oclgrind has reached its error limit (OCLGRIND_MAX_ERRORS, set in tests/conftest.py) in this "
            "process and reports nothing more"
        )


BARRIER_LINE = re.compile(r"^[ \t]*barrier\([^)]*\);[^\n]*\n", re.M)


def check_barrier_needed(c: Case, i: int, oclgrind: Any) -> None:
    """Without its ``i``-th barrier the kernel races: the expected barriers are necessary, not only sufficient
    (this is what backs every case where we expect fewer barriers than Lift, together with the clean run)."""
    k = compile_case(c, "oclgrind")
    found = list(BARRIER_LINE.finditer(k.source))
    assert len(found) == len(c.barriers), k.source
    k.source = k.source[: found[i].start()] + k.source[found[i].end() :]
    with pytest.raises(OclgrindFindings, match="data race"):
        oclgrind(k, *random_inputs(c.prog, c.sizes, seed=3))


S1 = {"N": 2 * C}
S2 = {"N": 8}
S4 = {"N": 4}
S6 = {"N": 2}
S_MNK = {"M": 2, "N": 3, "K": 5}
LOOP = {"ls0": 4}

CASES = [
    Case("basicBarrier", basic_barrier, S1, []),
    Case("reorderGlobalLast", reorder_global_last, S1, [GLOBAL]),
    Case("reorderGlobalFirst", reorder_global_first, S1, []),
    Case("reorderLocal", reorder_local, S1, [], LOOP),
    Case("noLoopReorderLocal", reorder_local, S1, []),
    Case("reorderLastLocal", reorder_last_local, S1, [LOCAL], LOOP),
    Case("noLoopReorderLastLocal", reorder_last_local, S1, [LOCAL]),
    Case("reorderWriteLastLocal", reorder_write_last_local, S1, [], LOOP),
    Case("noReorderLocal", no_reorder_local, S1, [], LOOP),
    Case("noLoopNoReorderLocal", no_reorder_local, S1, []),
    Case("loopReorder2Local", reorder2_local, S1, [LOCAL], LOOP),
    Case("noLoopReorder2Local", reorder2_local, S1, [LOCAL]),
    Case("noLoopReorder3Local", reorder3_local, S1, [LOCAL, LOCAL]),
    Case("reorderInLocalButSequential", reorder_in_local_but_sequential, S1, []),
    Case("tail", tail_global, S1, [GLOBAL]),
    Case("tailInLocal", tail_in_local, S1, [LOCAL]),
    Case("tupleBarrierJustLocal", tuple_barrier_just_local, S1, [LOCAL]),
    Case("tupleBarrierJustGlobal", tuple_barrier_just_global, S1, [GLOBAL]),
    Case("tupleBarrierBoth", tuple_barrier_both, S1, [BOTH]),
    Case("twoCorrectBarrierLocations", two_correct_barrier_locations, S1, [BOTH]),
    Case(
        "loopCarriedLocalReuse",
        loop_carried_local_reuse,
        S6,
        [LOCAL, LOCAL],
    ),
    Case("copyToLocalInZip", copy_to_local_in_zip, S2, []),
    Case("copyToLocalInZipAndReorder", copy_to_local_in_zip_and_reorder, S2, [LOCAL]),
    Case("copyToLocalAndReorderInZip", copy_to_local_and_reorder_in_zip, S2, [LOCAL]),
    Case("copyToLocalAndReorderInZip2", copy_to_local_and_reorder_in_zip2, S2, [LOCAL]),
    Case("copyToLocalAndReorderBothInZip", copy_to_local_and_reorder_both_in_zip, S2, [LOCAL]),
    Case("copyOneToLocalInZip", copy_one_to_local_in_zip, S2, []),
    Case("doubleNestedMapLcl", double_nested_map_lcl, S4, []),
    Case("tripleNestedMapLcl", triple_nested_map_lcl, S6, []),
    Case("tripleNestedMapLclWithScatter", triple_nested_map_lcl_with_scatter, {"N": 3}, [LOCAL]),
    Case("doubleNestedMapLclWithReorder", double_nested_map_lcl_with_reorder, S4, [LOCAL]),
    Case("doubleNestedMapLclWithReorder2", double_nested_map_lcl_with_reorder2, S4, [LOCAL]),
    Case("doubleNestedMapLclWithReorder3", double_nested_map_lcl_with_reorder3, S4, [LOCAL]),
    Case("doubleNestedMapLclWithReorderGlobalMem", double_nested_map_lcl_with_reorder_global_mem, S4, [GLOBAL]),
    Case("doubleNestedMapLclWithReorderGlobalMem2", double_nested_map_lcl_with_reorder_global_mem2, S4, [GLOBAL]),
    Case("doubleNestedMapLclWithReorderGlobalMem3", double_nested_map_lcl_with_reorder_global_mem3, S4, [GLOBAL]),
    Case(
        "invalidKernel",
        invalid_kernel,
        S6,
        [GLOBAL],
    ),
    Case(
        "invalidKernel-loop",
        invalid_kernel,
        S6,
        [GLOBAL],
        {"ls0": 8, "ls1": 8},
    ),
    Case("tupleInside2MapLcl", tuple_inside_2_map_lcl, S6, [LOCAL]),
    Case("tupleInsideMapLcl", tuple_inside_map_lcl, S6, []),
    Case("tupleInsideMapLcl2", tuple_inside_map_lcl2, S6, []),
    Case("tupleWithAsVectorInsideMapLcl", tuple_with_as_vector_inside_map_lcl, S6, []),
    Case(
        "mapLcls",
        map_lcls,
        S_MNK,
        [],
        memory={"local": 1, "private": 0, "global": 0},
    ),
    Case(
        "mapLclsTransposed",
        map_lcls_transposed,
        S_MNK,
        [LOCAL],
        memory={"local": 1, "private": 0, "global": 0},
    ),
    Case("mapLclsDiffDims", map_lcls_diff_dims, S_MNK, [LOCAL], memory={"local": 1, "private": 0, "global": 0}),
    Case(
        "mapLclsWithTranspose", map_lcls_with_transpose, S_MNK, [LOCAL], memory={"local": 1, "private": 0, "global": 0}
    ),
    Case(
        "mapLclsWith2Transposes", map_lcls_with_2_transposes, S_MNK, [], memory={"local": 1, "private": 0, "global": 0}
    ),
]


@pytest.mark.parametrize("c", params(CASES, "barriers"))
def test_barriers(c: Case) -> None:
    check_barriers(c)


@pytest.mark.parametrize("c", params(CASES, "memory"))
def test_memory(c: Case) -> None:
    check_memory(c)


@needs_pocl
@pytest.mark.parametrize("c", params(CASES, "pocl"))
def test_on_pocl(c: Case) -> None:
    check_pocl(c)


@pytest.mark.parametrize("c", params(CASES, "oclgrind"))
def test_under_oclgrind(c: Case, oclgrind: Any) -> None:
    check_oclgrind(c, oclgrind)


@pytest.mark.parametrize(("c", "i"), params(CASES, "needed"))
def test_barrier_is_needed(c: Case, i: int, oclgrind: Any) -> None:
    check_barrier_needed(c, i, oclgrind)


def test_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


@fun
def invalid_kernel_uneven(x: Array[Array[Array[Array[f32, 8], 32], N], N]):
    """The illegal form of TB/TBI.invalidKernel: a first ``MapLcl(0)`` over 32 rows sets the local size to 32,
    then the ``MapLcl(0)`` over 16 row pairs holds the barrier its reversed ``MapLcl(1)`` reads need, and
    threads 16..31 never enter that loop, so they would skip the barrier."""
    return x >> wrg2(
        lambda g: (
            g
            >> lcl2(copy)
            >> split(2)
            >> map(join)
            >> map_lcl(map_lcl(copy, 1) >> gather(reverse) >> map_lcl(copy, 1), 0)
        )
    )


@pytest.mark.parametrize(
    "prog",
    [
        sequential_map_follows_parallel,
        sequential_map_follows_parallel_with_local_memory,
        sequential_reduce_follows_parallel,
        sequential_reduce_follows_parallel_with_local_memory,
    ],
    ids=lambda p: p.name,
)
def test_every_thread_writing_one_element_is_refused(prog: Any) -> None:
    """TB/TBI.sequential*FollowsParallel*: after the map_lcl, code outside every map_lcl runs in every thread of
    the group, so all of them write the same output elements. Lift accepts these (with 1 or 2 barriers); like
    Shine's port, we refuse them as write-write races."""
    with pytest.raises(lift.MappingError, match="two different threads write the same element") as info:
        compile_program(prog, sizes=S1)  # the backend's own check (lift.compile's model check refuses them first)
    assert info.value.rule == "no-write-write-race"


def test_invalid_kernel_barrier_not_reached() -> None:
    """TB/TBI.invalidKernel (expected = IllegalKernel): a barrier that not every thread reaches is refused."""
    with pytest.raises(lift.MappingError, match="not every thread of the work-group reaches it"):
        lift.compile(invalid_kernel_uneven, sizes={"N": 2})
