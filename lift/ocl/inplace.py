"""When a reduction may update an array accumulator in place: a decision on the plan of one update.

``reduce_seq(f, init)`` with an array accumulator means ``acc' = f(acc, x)`` at every step, ``acc'`` computed from
the old ``acc`` alone. Writing ``acc'`` straight into ``acc``'s memory (Lift's ``allocReduce``: no second array, no
copy per step) computes the same values when no element of ``acc`` is read after it has been overwritten in the
same step. That holds, and is what :func:`updates_in_place` checks on the statements generated for one update,
when

* every read of the accumulator's memory is in a store to the same buffer at the same index (the element's old
  value is read by the statement that replaces it, as in ``acc[i] = acc[i] + a * b[i]``), and
* each buffer of the accumulator is written by one store, which writes a different element at every iteration
  of the loops inside the update (its index is injective in those loop variables: no element is replaced twice,
  so none is read after it was replaced).

Anything else — the old value kept in a variable first, read at another index, a store index that repeats — is
"not proved", and the caller computes the update into a second array and copies it back (correct, slower).
"""

from __future__ import annotations

from collections.abc import Collection

from lift.ocl.plan import Block, Buffer, Loop, Store, accesses_in, statements_in
from lift.types.injective import injective
from lift.types.smt import equal

__all__ = ["updates_in_place"]


def updates_in_place(update: Block, accumulator: Collection[Buffer], outer: tuple[Loop, ...]) -> bool:
    """Whether the statements ``update`` (one step of a reduction, computed into the buffers ``accumulator``) may
    overwrite the accumulator as they go (see the module documentation); ``outer`` are the loops around the
    update, whose variables do not change during it."""
    buffers = set(accumulator)
    stores = statements_in(update, Store)
    written = [s.buffer for s in stores if s.buffer in buffers]
    if len(written) != len(set(written)):
        return False  # two stores to one buffer may replace an element the second reads
    read_by_own_store = {
        id(access)
        for s in stores
        if s.buffer in buffers
        for access in s.accesses
        if not access.write and access.buffer == s.buffer and equal(access.index, s.index)
    }
    for access in accesses_in(update):
        if access.buffer not in buffers:
            continue
        if access.write:
            inner = [lp.var for lp in access.loops[len(outer) :]]
            if not injective(access.index, inner):
                return False
        elif id(access) not in read_by_own_store:
            return False
    return True
