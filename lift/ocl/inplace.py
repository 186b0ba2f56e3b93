"""When a reduction may update an array accumulator in place: a decision on the plan of one update.

``reduce_seq(f, init)`` with an array accumulator means ``acc' = f(acc, x)`` at every step, ``acc'`` computed from
the old ``acc`` alone. Writing ``acc'`` straight into ``acc``'s memory (Lift's ``allocReduce``: no second array, no
copy per step) computes the same values when no element of ``acc`` is read after it has been overwritten in the
same step. :func:`updates_in_place` proves that on the statements generated for one update when

* each buffer of the accumulator is written by one store, and
* every read of the accumulator's memory is in that store, at the index it writes (the element's old value is
  read by the statement that replaces it, as in ``acc[i] = acc[i] + a * b[i]``).

A map writes each element once, so the store replaces each element once per update — or, inside a reduction
nested in the update that continues the accumulator in place, once per step of that reduction, each step
reading what the previous one left: exactly that reduction's meaning. Anything else — the old value kept in a
variable first, read at another index or by another statement — is "not proved", and the caller computes the
update into a second array and copies it back (correct, slower).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from lift.dsl.mapper import NodeMapper
from lift.ocl import views as v
from lift.ocl.plan import Block, Buffer, Load, Store, accesses_in, statements_in
from lift.types.arith import ArithExpr, Var
from lift.types.data import ArrayType, DataType, ScalarType, TupleType
from lift.types.smt import equal

__all__ = ["buffers_of", "same_memory", "updates_in_place"]


def updates_in_place(update: Block, accumulator: Collection[Buffer]) -> bool:
    """Whether the statements ``update`` (one step of a reduction, computed into the buffers ``accumulator``) may
    overwrite the accumulator as they go (see the module documentation)."""
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
    return all(
        access.buffer not in buffers or access.write or id(access) in read_by_own_store
        for access in accesses_in(update)
    )


# ---- where a view's elements are stored -------------------------------------------------------------------------
def buffers_of(view: v.View, t: DataType) -> list[Buffer]:
    """The buffers holding the elements of ``view`` (of type ``t``), read off the load of a generic element of each
    scalar component; empty when some element is not a plain load (a constant, a guarded or padded element)."""
    loads = [view.access(path) for path in _PROBES(t, ())]
    return [load.buffer for load in loads if isinstance(load, Load)] if all(isinstance(x, Load) for x in loads) else []


def same_memory(a: v.View, b: v.View, t: DataType) -> bool:
    """Whether the views ``a`` and ``b`` of a value of type ``t`` denote the same memory element for element (each
    generic element a load of one buffer at an index proved equal)."""
    for path in _PROBES(t, ()):
        x, y = a.access(path), b.access(path)
        if not (isinstance(x, Load) and isinstance(y, Load) and x.buffer == y.buffer and equal(x.index, y.index)):
            return False
    return True


class _Probes(NodeMapper[Iterator[list[v.Step]]]):
    """A generic element of each scalar component of a type: a fresh index per array dimension (with its range),
    a component step per tuple component."""

    covers = (DataType,)

    def map_array_type(self, t: ArrayType, path: tuple[v.Step, ...]) -> Iterator[list[v.Step]]:
        index: ArithExpr = Var(f"probe{len(path)}", 0, t.size)
        return self(t.elem, (*path, index))

    def map_tuple_type(self, t: TupleType, path: tuple[v.Step, ...]) -> Iterator[list[v.Step]]:
        for k, elem in enumerate(t.elems):
            yield from self(elem, (*path, v.Component(k)))

    def map_scalar_type(self, t: ScalarType, path: tuple[v.Step, ...]) -> Iterator[list[v.Step]]:
        yield list(path)


_PROBES = _Probes()
