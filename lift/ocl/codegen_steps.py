"""The steps of code generation that dispatch on a data type or on a plan value rather than on an IR node: copying
a value element by element, and storing a value at the place a destination denotes (memory, a variable, a guarded
element, the lanes of a vector). :class:`Step` is the base of every such step (and of the IR steps in
:mod:`lift.ocl.codegen`): it emits into the generator's current block and reads its bindings."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from lift.dsl.mapper import NodeMapper
from lift.errors import LiftInternalError
from lift.ocl import views as v
from lift.ocl.plan import (
    Declare,
    Field,
    Guard,
    Guarded,
    Load,
    Pack,
    Set,
    Store,
    Value,
    Variable,
    VectorOf,
    consecutive,
    lane,
    type_of,
)
from lift.solve.rules import WRITTEN_INSIDE_PARALLEL_MAPS
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, VectorType

__all__ = ["Copy", "Step", "StoreAt"]

R = TypeVar("R")
Guards = tuple[Guard, ...]


class Step(NodeMapper[R]):
    """A step of the generator whose work depends on the kind of node: it emits into the generator's current
    block and reads its bindings."""

    def __init__(self, gen: Any) -> None:
        self.gen = gen


class Copy(Step[None]):
    """Element-by-element copy of a value of a type from a view to a destination (sequential loops in the
    current thread)."""

    covers = (DataType,)

    def map_array_type(self, t: ArrayType, src: v.View, dest: v.View) -> None:
        with self.gen.loop("seq", 0, t.size, "") as i:
            self(t.elem, src.at(i), dest.at(i))

    def map_tuple_type(self, t: TupleType, src: v.View, dest: v.View) -> None:
        if not any(isinstance(e, ArrayType) for e in t.elems):
            self.gen.store(dest, src.access([]), t)  # a tuple of scalars: stored at once
            return
        for k, e in enumerate(t.elems):
            self(e, src.at(v.Component(k)), dest.at(v.Component(k)))

    def map_scalar_type(self, t: ScalarType, src: v.View, dest: v.View) -> None:
        self.gen.store(dest, src.access([]), t)


class StoreAt(Step[None]):
    """``dest = value`` for a scalar or tuple type, by the place the destination denotes (``guards``: the
    conditions under which the place is written)."""

    covers = (Value,)

    def map_guarded(self, target: Guarded, dest: v.View, value: Value, t: DataType, guards: Guards) -> None:
        # a place only some of whose elements are kept (take, drop)
        self(target.target, dest, value, t, (*guards, target.guard))

    def map_pack(self, target: Pack, dest: v.View, value: Value, t: DataType, guards: Guards) -> None:
        t = target.type  # a tuple of places, one per component
        if isinstance(value, Pack):
            parts: list[Value] = list(value.parts)
        else:
            tmp = self.gen.fresh("t")
            self.gen.emit(Declare(tmp, self.gen.declare_type(t), value))
            parts = [Field(Variable(tmp, t), k) for k in range(len(t.elems))]
        for k, part in enumerate(parts):
            self.gen.store(dest.at(v.Component(k)), part, t.elems[k])

    def map_load(self, target: Load, dest: v.View, value: Value, t: DataType, guards: Guards) -> None:
        gen = self.gen
        if not any(lp.level != "seq" for lp in gen.loops) and target.buffer.space != "private":
            raise WRITTEN_INSIDE_PARALLEL_MAPS.refuse(
                f"{target.buffer.described} would be written by every thread; compute it inside a map_glb or map_wrg"
            )
        if target.buffer.role == "input":
            raise LiftInternalError(f"a write to the input {target.buffer.name}")
        gen.emit(Store(target.buffer, target.index, value, Guard.merged(guards)))

    def map_variable(self, target: Variable | Field, dest: v.View, value: Value, t: DataType, guards: Guards) -> None:
        if guards:
            self.not_a_place(target, dest, value, t, guards)
        self.gen.emit(Set(target, value))

    def map_vector_of(self, target: VectorOf, dest: v.View, value: Value, t: DataType, guards: Guards) -> None:
        run = consecutive(target.lanes)
        if run is not None:  # one vstoreN
            self.map_load(Load(*run), dest, value, t, guards)
            return
        # lanes that are not consecutive elements of one buffer are stored one by one, from a variable
        vector_t = cast(VectorType, type_of(value))
        tmp = Variable(self.gen.fresh("vec"), vector_t)
        self.gen.emit(Declare(tmp.name, vector_t, value))
        for k, place in enumerate(target.lanes):
            self(place, dest, lane(tmp, k), vector_t.element, guards)

    def not_a_place(self, target: Value, dest: v.View, value: Value, t: DataType, guards: Guards) -> None:
        """A computed value (or a variable written only where kept) is no destination."""
        raise LiftInternalError(f"{self.gen.name}: a computation's destination is not memory or a variable: {target}")

    map_field = map_lane_of = map_variable
    map_index = map_select = map_call = map_constant = not_a_place
