"""Lift's address-space tests, ported to our DSL (issue 4).

Source: ``src/test/opencl/generator/TestAddressSpaces.scala`` (TAS) of lift-project/lift, branch
``cc22-artifact``. Lift's tests check the address space of the result (``GlobalMemory``), the number of
memories, or only the result; ours check, for every case, the barriers, the memory the kernel declares
(``local`` arrays, ``private`` variables, ``global`` temporaries), the result on PoCL against
``lift.interpret``, a clean Oclgrind run, and a data race under Oclgrind once any expected barrier is deleted
(the helpers are shared with ``test_barriers_lift``). The ``…LessThreads`` variants use 2 threads for a chunk
of 4 (``values={"ls0": 2}``, as Lift's ``Execute(2, …)``), so that a thread writes and reads two slots of its
private array.

**Bugs these ports found** (fixed meanwhile in 9c90931): ``map_lcl(to_private(…))`` and ``map_lcl(… >>
to_local(map_seq(…)))`` — Lift's spelling, the address space on the function inside the map — got a global
temporary instead (privateGlobalMemory2, privateLocalGlobal), and the point-free ``to_local(map_lcl(id)) >>
split(4) >> map_lcl(f >> g)`` put the local copy in global memory too (privateLocalGlobal2).

**Adapted.** ``Value("0.0f", ArrayType(Float, 4))`` / ``Value("1.0f", …)`` (a constant array: our DSL has only
scalar literals) becomes a user function returning the constant, mapped over the work-group's chunk: the data
flow (a private array filled by one map and copied out by another) is the same. ``plusOne`` is our
``plus_one``. Chunks are as in Lift (4 elements, or 16 for Lift's 128).

**Merged / not ported.** ``staticLocalMemory`` is the program of ``localGlobalMemory`` (only Lift's allocation
flag differs); our local memory is always allocated statically inside the kernel, which the one case checks
(one ``local`` array, no temporary buffer argument). ``nonStaticLocalMemory`` is not portable: we never pass
local memory as a kernel argument. ``privateGlobalMemoryThreadsNotSpecified`` expects Lift's IllegalKernel
because Lift sizes private memory by the number of iterations per thread, unknown without launch sizes; ours
sizes a private array by its data type, so the port checks that the kernel compiles *without* sizes and is
correct.
"""

from __future__ import annotations

from typing import Any

import pytest

from lift import Array, f32, fun, size, userfun
from lift.dsl import id as copy
from lift.dsl import join, map_glb, map_lcl, map_seq, map_wrg, reduce_seq, scatter, split, to_global, to_local
from lift.dsl import reverse as rev
from lift.dsl import to_private as private
from lift.dsl.prelude import add
from tests.ocl.conftest import needs_pocl
from tests.ocl.test_barriers_lift import (
    LOCAL,
    Case,
    check_barrier_needed,
    check_barriers,
    check_memory,
    check_oclgrind,
    check_pocl,
    params,
)

N = size("N")


@userfun
def plus_one(x: f32) -> f32:
    """Lift's ``plusOne``."""
    return x + 1.0


@userfun
def zero(x: f32) -> f32:
    """Stands for ``Value("0.0f", …)``."""
    return 0.0


@userfun
def one(x: f32) -> f32:
    """Stands for ``Value("1.0f", …)``."""
    return 1.0


@fun
def simple(x: Array[f32, N]):
    """TAS.simple: ``MapGlb(id)``: the result in global memory, nothing else."""
    return x >> map_glb(copy)


@fun
def global_private(x: Array[f32, N]):
    """TAS.globalPrivate: ``MapGlb(toGlobal(id) o toPrivate(id))``: one private scalar per thread."""
    return x >> map_glb(private(copy) >> to_global(copy))


@fun
def global_private_fixed_size_array(x: Array[f32, N]):
    """TAS.globalPrivateFixedSizeArray: ``Join() o MapGlb(toGlobal(MapSeq(id)) o toPrivate(MapSeq(id))) o
    Split(16)``: one private array of 16 per thread."""
    return x >> split(16) >> map_glb(private(map_seq(copy)) >> to_global(map_seq(copy))) >> join


@fun
def global_private_fixed_size_with_reorder(x: Array[f32, N]):
    """TAS.globalPrivateFixedSizeWithReorder: ``Scatter(reverse) o toGlobal(MapSeq(id)) o toPrivate(MapSeq(id))``
    in MapGlb: the global write reversed, the private array read by its writer: no barrier."""
    return x >> split(16) >> map_glb(private(map_seq(copy)) >> to_global(map_seq(copy)) >> scatter(rev)) >> join


@fun
def global_private_fixed_size_with_reorder2(x: Array[f32, N]):
    """TAS.globalPrivateFixedSizeWithReorder2: ``toGlobal(Scatter(reverse) o MapSeq(id)) o
    toPrivate(MapSeq(id))``: the scatter inside ``to_global``."""
    return x >> split(16) >> map_glb(private(map_seq(copy)) >> to_global(map_seq(copy) >> scatter(rev))) >> join


@fun
def local_global_memory(x: Array[f32, N]):
    """TAS.localGlobalMemory and TAS.staticLocalMemory: ``Join() o MapWrg(toGlobal(MapLcl(plusOne)) o
    toLocal(MapLcl(id))) o Split(4)``: one static local array of 4, read by its writers: no barrier."""
    return x >> split(4) >> map_wrg(to_local(map_lcl(copy)) >> to_global(map_lcl(plus_one))) >> join


@fun
def private_global_memory(x: Array[f32, N]):
    """TAS.privateGlobalMemory: ``MapWrg(Join() o MapLcl(toGlobal(MapSeq(id)) o toPrivate(MapSeq(plusOne))) o
    Split(1)) o Split(4)``: a private array of 1 per thread."""
    return (
        x
        >> split(4)
        >> map_wrg(split(1) >> map_lcl(private(map_seq(plus_one)) >> to_global(map_seq(copy))) >> join)
        >> join
    )


@fun
def private_array(x: Array[f32, N]):
    """TAS.privateArray: chunks of 16 (Lift: 128) split in rows of 4, each thread's row in a private array."""
    return (
        x
        >> split(16)
        >> map_wrg(split(4) >> map_lcl(private(map_seq(plus_one)) >> to_global(map_seq(copy))) >> join)
        >> join
    )


@fun
def private_local_global(x: Array[f32, N]):
    """TAS.privateLocalGlobal: ``toGlobal(MapLcl(id)) o Join() o MapLcl(toLocal(MapSeq(id)) o
    toPrivate(MapSeq(plusOne))) o Split(4) o toLocal(MapLcl(id))`` (Lift's spelling, ``to_local`` inside the
    map_lcl): thread i reads the row of 4 that threads 4i..4i+3 copied, and element j of the second local
    array is read by thread j but written by thread j / 4: two local barriers, two local arrays, one private."""
    return (
        x
        >> split(16)
        >> map_wrg(
            to_local(map_lcl(copy))
            >> split(4)
            >> map_lcl(private(map_seq(plus_one)) >> to_local(map_seq(copy)))
            >> join
            >> to_global(map_lcl(copy))
        )
        >> join
    )


@fun
def private_local_global2(x: Array[f32, N]):
    """TAS.privateLocalGlobal2: as privateLocalGlobal, the rows written straight to global memory: one local
    barrier."""
    return (
        x
        >> split(16)
        >> map_wrg(
            to_local(map_lcl(copy))
            >> split(4)
            >> map_lcl(private(map_seq(plus_one)) >> to_global(map_seq(copy)))
            >> join
        )
        >> join
    )


@fun
def reduce_on_private_array(x: Array[f32, N]):
    """TAS.reduceOnPrivateArray: ``toGlobal(MapSeq(id)) o ReduceSeq(add, 0.0f) o toPrivate(MapSeq(id))`` in
    MapGlb over ``Split(4)`` (Lift compares only the total; we compare every sum). The sum itself goes through a
    global temporary: our documented default for an unannotated intermediate (Lift infers private memory from
    the accumulator's initial value)."""
    return x >> split(4) >> map_glb(private(map_seq(copy)) >> reduce_seq(add, 0.0) >> to_global(map_seq(copy))) >> join


@fun
def init_array_value_private2(x: Array[f32, N]):
    """TAS.initArrayValuePrivate2, adapted: ``toGlobal(MapSeq(id)) o toPrivate(MapSeq(id)) $ Value("0.0f",
    ArrayType(Float, 4))`` in MapGlb: a private array of zeros copied out."""
    return x >> split(4) >> map_glb(private(map_seq(zero)) >> to_global(map_seq(copy))) >> join


@fun
def private_global_memory2(x: Array[f32, N]):
    """TAS.privateGlobalMemory2 and privateGlobalMemoryLessThreads: ``Join() o MapLcl(toGlobal(MapSeq(id))) o
    MapLcl(toPrivate(MapSeq(plusOne))) o Split(1)`` (Lift's spelling, ``to_private`` inside the map_lcl): the
    private rows written by one map_lcl and read by another, by the same thread: no barrier, one private
    array, no global temporary."""
    return (
        x
        >> split(4)
        >> map_wrg(split(1) >> map_lcl(private(map_seq(plus_one))) >> map_lcl(to_global(map_seq(copy))) >> join)
        >> join
    )


@fun
def private_global_memory_threads_not_specified(x: Array[f32, N]):
    """TAS.privateGlobalMemoryThreadsNotSpecified (Lift: IllegalKernel): the same with ``to_private`` around the
    map_lcl (see privateGlobalMemory2 for the inner spelling); compiled without sizes, it is legal here."""
    return (
        x
        >> split(4)
        >> map_wrg(split(1) >> private(map_lcl(map_seq(plus_one))) >> map_lcl(to_global(map_seq(copy))) >> join)
        >> join
    )


@fun
def init_array_value_private(x: Array[f32, N]):
    """TAS.initArrayValuePrivate, adapted: ``toGlobal(MapLcl(id)) o toPrivate(MapLcl(id)) $ Value("1.0f",
    ArrayType(Float, 4))`` in MapWrg: a private array of ones, written and read by map_lcl."""
    return x >> split(4) >> map_wrg(private(map_lcl(one)) >> to_global(map_lcl(copy))) >> join


def mem(local: int = 0, priv: int = 0, glob: int = 0) -> dict[str, int]:
    return {"local": local, "private": priv, "global": glob}


S = {"N": 32}
FEWER_THREADS = {"ls0": 2}

CASES = [
    Case("simple", simple, S, [], memory=mem()),
    Case("globalPrivate", global_private, S, [], memory=mem(priv=1)),
    Case("globalPrivateFixedSizeArray", global_private_fixed_size_array, S, [], memory=mem(priv=1)),
    Case("globalPrivateFixedSizeWithReorder", global_private_fixed_size_with_reorder, S, [], memory=mem(priv=1)),
    Case("globalPrivateFixedSizeWithReorder2", global_private_fixed_size_with_reorder2, S, [], memory=mem(priv=1)),
    Case("localGlobalMemory", local_global_memory, S, [], memory=mem(local=1)),
    Case("privateGlobalMemory", private_global_memory, S, [], memory=mem(priv=1)),
    Case("privateArray", private_array, S, [], memory=mem(priv=1)),
    Case("privateLocalGlobal", private_local_global, S, [LOCAL, LOCAL], memory=mem(local=2, priv=1)),
    Case("privateLocalGlobal2", private_local_global2, S, [LOCAL], memory=mem(local=1, priv=1)),
    Case("reduceOnPrivateArray", reduce_on_private_array, S, [], memory=mem(priv=1, glob=1)),
    Case("initArrayValuePrivate2", init_array_value_private2, S, [], memory=mem(priv=1)),
    Case("privateGlobalMemory2", private_global_memory2, S, [], memory=mem(priv=1)),
    Case("privateGlobalMemoryLessThreads", private_global_memory2, S, [], FEWER_THREADS, memory=mem(priv=1)),
    Case(
        "privateGlobalMemoryThreadsNotSpecified",
        private_global_memory_threads_not_specified,
        S,
        [],
        memory=mem(priv=1),
        fixed=False,
    ),
    Case(
        "privateGlobalMemoryThreadsNotSpecified-lessThreads",
        private_global_memory_threads_not_specified,
        S,
        [],
        FEWER_THREADS,
        memory=mem(priv=1),
        fixed=False,
    ),
    Case("initArrayValuePrivate", init_array_value_private, S, [], memory=mem(priv=1)),
    Case("initArrayValuePrivate-lessThreads", init_array_value_private, S, [], FEWER_THREADS, memory=mem(priv=1)),
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
