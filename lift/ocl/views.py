"""Views: how data-rearranging combinators become index expressions, with no copies.

A view answers one question: which scalar does the access path ``[i, j, get(k), …]`` denote? Array indices
and tuple components are pushed through the chain of views down to memory, each view rewriting the path as
its combinator's meaning says (``split(n)``: ``[i, j]`` ↦ ``[i*n + j]``; ``join``: ``[k]`` ↦ ``[k / n, k % n]``;
``transpose``: ``[i, j]`` ↦ ``[j, i]``; ``slide``; ``pad``; ``gather``/``scatter``; ``zip``/``get``). At the
bottom, a memory view flattens the path into one ``ArithExpr`` for the buffer — simplified by the ``ArithExpr``
room, so the printed index is the one an expert would write. The same views, used as destinations, place a
computation's results (writing through ``join``, ``split``, ``transpose`` and permutations).

Arrays of tuples are stored as one buffer per scalar component (structure of arrays), as numpy holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from lift.dsl.layout import Layout
from lift.dsl.mapper import NodeMapper
from lift.errors import LiftError
from lift.ocl.codegen_data import constant
from lift.ocl.plan import Buffer, Field, Guard, Guarded, Load, Pack, Select, Value, VectorOf, lane, type_of
from lift.types.arith import ArithExpr, Cst
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, VectorType, scalar_count, scalar_of

__all__ = [
    "Buffer",
    "Component",
    "Guard",
    "Lane",
    "LanesView",
    "LayoutView",
    "LayoutWriteView",
    "MemView",
    "SourceView",
    "Step",
    "VectorsView",
    "View",
    "scalar_count",  # defined with the data types (the mapping model counts scalars too); kept here for ocl
]


@dataclass(frozen=True)
class Component:
    """A tuple-component step ``get(k)`` in an access path."""

    k: int
    """The component index."""


@dataclass(frozen=True)
class Lane:
    """A lane step in an access path: lane ``k`` of the vector the path has reached."""

    k: ArithExpr
    """The lane (a constant, but for a lane of vectors in memory picked by an index: ``as_scalar`` at ``[j]``)."""


Step = ArithExpr | Component | Lane


def _lanes(path: Sequence[Step], t: VectorType) -> list[ArithExpr]:
    """The lane the rest of an access path into a vector picks (a list of one)."""
    if len(path) != 1 or not isinstance(path[0], Lane):
        raise LiftError(f"internal: the path {list(path)} into the vector type {t}")
    return [path[0].k]


class View:
    """An array, tuple or scalar value seen through index arithmetic."""

    def access(self, path: Sequence[Step]) -> Value:
        """The scalar (or tuple) that ``path`` denotes, as a plan value: a load, a tuple of them, a padding
        select, or a value held in a variable."""
        raise NotImplementedError

    def at(self, *steps: Step) -> View:
        """This view with ``steps`` fixed: the element ``self[steps…]``."""
        return Sub(self, tuple(steps))


@dataclass(frozen=True)
class Sub(View):
    """A view with a fixed prefix of its path (an element of an array or a component of a tuple)."""

    inner: View
    """The whole value."""
    prefix: tuple[Step, ...]
    """The fixed steps."""

    def access(self, path: Sequence[Step]) -> Value:
        return self.inner.access((*self.prefix, *path))

    def at(self, *steps: Step) -> View:
        return Sub(self.inner, (*self.prefix, *steps))


def _split_path(path: Sequence[Step], what: str, count: int = 1) -> tuple[list[ArithExpr], list[Step]]:
    head = list(path[:count])
    if len(head) < count or not all(isinstance(s, ArithExpr) for s in head):
        raise LiftError(f"internal: the {what} view needs {count} array indices, found path {list(path)}")
    return head, list(path[count:])  # type: ignore[return-value]


@dataclass(frozen=True)
class MemView(View):
    """Data stored in buffers: one per scalar component, each row-major in the array dimensions."""

    type: DataType
    """The type of the stored value."""
    buffers: tuple[tuple[tuple[int, ...], Buffer], ...]
    """For each scalar component (its path of tuple indices), the buffer holding it."""
    base: ArithExpr = field(default_factory=lambda: Cst(0))
    """The element offset of this value within each buffer (a slot of a buffer shared by many threads,
    counted in units of the value's number of scalars per component)."""
    row_padding: int = 0
    """Unused elements after each row (the innermost array dimension) of an array of rows: rows then start in
    different memory banks (``base`` is 0 for a padded array: it has one slot)."""

    def access(self, path: Sequence[Step]) -> Value:
        return _Stored(self, path)(self.type, list(path), _Place())


@dataclass(frozen=True)
class _Place:
    """How far an access path into stored data has got: the array indices met, each with its dimension's size,
    and the tuple components (which pick the buffer)."""

    indices: tuple[tuple[ArithExpr, ArithExpr], ...] = ()
    """Each array index, with the size of the dimension it indexes."""
    component: tuple[int, ...] = ()
    """The tuple components."""


class _Stored(NodeMapper[Value]):
    """The value an access path denotes in a memory view: the path walked through the stored type, a step at a
    time (``rest``: the steps left; ``place``: where the steps before have got to)."""

    covers = (DataType,)

    def __init__(self, view: MemView, path: Sequence[Step]) -> None:
        self.view = view
        self.path = path

    def map_tuple_type(self, t: TupleType, rest: list[Step], place: _Place) -> Value:
        if not rest:
            return Pack(t, tuple(self.view.access([*self.path, Component(k)]) for k in range(len(t.elems))))
        step, *rest = rest
        if not isinstance(step, Component):
            raise LiftError(f"internal: index into {t}")
        return self(t.elems[step.k], rest, replace(place, component=(*place.component, step.k)))

    def map_array_type(self, t: ArrayType, rest: list[Step], place: _Place) -> Value:
        if not rest:
            raise LiftError(f"internal: access to the array {t} as a scalar (path {list(self.path)})")
        step, *rest = rest
        if not isinstance(step, ArithExpr):  # get(k) or a lane
            raise LiftError(f"internal: {step} on {t}")
        return self(t.elem, rest, replace(place, indices=(*place.indices, (step, t.size))))

    def map_scalar_type(self, t: ScalarType, rest: list[Step], place: _Place) -> Value:
        if rest:
            step = rest[0]
            raise LiftError(
                f"internal: get({step.k}) on {t}" if isinstance(step, Component) else f"internal: index into {t}"
            )
        return Load(*self.element(place, 1))

    def map_vector_type(self, t: VectorType, rest: list[Step], place: _Place) -> Value:
        # lane k of vector i is the buffer's scalar w*i + k
        buffer, first = self.element(place, t.lanes)
        if not rest:
            return VectorOf(t, tuple(Load(buffer, first + k) for k in range(t.lanes)))
        (k,) = _lanes(rest, t)
        return Load(buffer, first + k)

    def element(self, place: _Place, lanes: int) -> tuple[Buffer, ArithExpr]:
        """The buffer and index of the (first scalar of the) element the indices reach, ``lanes`` scalars each."""
        buffer = dict(self.view.buffers)[place.component]
        # the remaining array dimensions below the path contribute to the stride of each index
        flat: ArithExpr = Cst(0)
        innermost = len(place.indices) - 1
        for k, (i, n) in enumerate(place.indices):
            # a padded array's rows are longer than their elements by the padding
            flat = flat * (n + self.view.row_padding if k == innermost and k > 0 else n) + i
        return buffer, self.view.base * scalar_count(self.view.type, place.component) + flat * lanes


@dataclass(frozen=True)
class ValueView(View):
    """A scalar or tuple held in a C variable or written as a C expression."""

    ref: Value
    """What it denotes."""

    def access(self, path: Sequence[Step]) -> Value:
        ref = self.ref
        for step in path:
            ref = _STEP_INTO_VALUE(step, ref)
        return ref


class _StepIntoValue(NodeMapper[Value]):
    """The part of a value held in a variable (or computed) that a step of an access path picks."""

    def map_component(self, step: Component, ref: Value) -> Value:
        return ref.parts[step.k] if isinstance(ref, Pack) else Field(ref, step.k)

    def map_lane(self, step: Lane, ref: Value) -> Value:
        if not isinstance(step.k, Cst):
            raise LiftError(
                f"internal: lane {step.k} of the vector value {ref}: a value's lanes are picked by constants"
            )
        return lane(ref, step.k.value)

    def map_arith_expr(self, step: ArithExpr, ref: Value) -> Value:
        raise LiftError(f"internal: cannot index the scalar value {ref} with {step}")


_STEP_INTO_VALUE = _StepIntoValue()


@dataclass(frozen=True)
class ZipView(View):
    """``zip(a, b, …)``: ``[i, get(k), …]`` ↦ ``parts[k][i, …]``."""

    parts: tuple[View, ...]
    """The zipped arrays."""
    type: TupleType
    """The element type."""

    def access(self, path: Sequence[Step]) -> Value:
        (i,), rest = _split_path(path, "zip")
        if not rest:
            return Pack(self.type, tuple(p.access([i]) for p in self.parts))
        k = rest[0]
        if not isinstance(k, Component):
            raise LiftError(f"internal: zip element indexed by {k}")
        return self.parts[k.k].access([i, *rest[1:]])


@dataclass(frozen=True)
class UnzipView(View):
    """Component ``k`` of an array of tuples, as an array: ``[i, …]`` ↦ ``inner[i, get(k), …]`` (writing
    ``zip(a, b)`` in place writes ``a`` and ``b`` through one of these each)."""

    inner: View
    """The array of tuples."""
    k: int
    """The component."""

    def access(self, path: Sequence[Step]) -> Value:
        (i,), rest = _split_path(path, "unzip")
        return self.inner.access([i, Component(self.k), *rest])


@dataclass(frozen=True)
class SourceView(View):
    """An array every element of which is known statically (:class:`~lift.dsl.source.Source`): nothing is
    stored; an access is the element's value."""

    element: Callable[[list[ArithExpr]], Value] = field(compare=False)
    """The value at an element's indices."""

    def access(self, path: Sequence[Step]) -> Value:
        indices = [s for s in path if isinstance(s, ArithExpr)]
        if len(indices) != len(path):
            raise LiftError(f"internal: a source's elements are scalars, found path {list(path)}")
        return self.element(indices)


@dataclass(frozen=True)
class LayoutView(View):
    """A layout combinator (:class:`~lift.dsl.layout.Layout`) read in place: the result's leading indices become
    the argument's through the combinator's own :meth:`~lift.dsl.layout.Layout.read`."""

    inner: View
    """The argument."""
    layout: Layout
    """The combinator."""
    type: ArrayType
    """The argument's type."""

    def access(self, path: Sequence[Step]) -> Value:
        head, rest = _split_path(path, self.layout.spelling, self.layout.consumes)
        inside = self.inner.access([*self.layout.read(head, self.type), *rest])
        fill = self.layout.fill(head, self.type)
        if fill is None:
            return inside
        value, lo, hi, filler = fill
        guard = Guard(value, lo, hi)
        if not guard.tests():
            return inside
        scalar = scalar_of(self.type)
        assert scalar is not None
        # a padded array of vectors is read a whole vector or a lane at a time: the filler is of the same type
        filled = type_of(inside) if scalar.vector_lanes() > 1 else scalar
        return Select(guard, inside, constant(filled, filler.value))


@dataclass(frozen=True)
class LayoutWriteView(View):
    """The destination of a computation whose result a layout combinator rearranges: the argument's element at
    leading indices ``[i, …]`` is written where :meth:`~lift.dsl.layout.Layout.write` puts it in ``inner``."""

    inner: View
    """The destination of the layout's result."""
    layout: Layout
    """The combinator."""
    type: ArrayType
    """The argument's type."""

    def access(self, path: Sequence[Step]) -> Value:
        head, rest = _split_path(path, self.layout.spelling, self.layout.writes)
        target = self.inner.access([*self.layout.write(head, self.type), *rest])
        guard = self.layout.kept(head, self.type)
        if guard is None:
            return target
        lo, hi = guard
        return Guarded(Guard(head[0], lo, hi), target)


@dataclass(frozen=True)
class FunView(View):
    """``map(g)`` of a data-rearranging ``g``: ``[i, …]`` ↦ ``g(self.inner[i])[…]``, built lazily."""

    inner: View
    """The mapped array."""
    element: Callable[[View], View] = field(compare=False)
    """The view of ``g`` applied to one element."""

    def access(self, path: Sequence[Step]) -> Value:
        (i,), rest = _split_path(path, "map")
        return self.element(self.inner.at(i)).access(rest)


@dataclass(frozen=True)
class VectorsView(View):
    """``as_vector(w)`` of an array of scalars: element ``[i]`` is the vector of the scalars ``inner[w*i + k]``,
    ``k < w``; a lane step after ``i`` reads one of them. Also the destination through which a computation
    writes the vectors that ``as_scalar`` turns into ``inner``."""

    inner: View
    """The array of scalars."""
    type: VectorType
    """The type of its vectors."""

    def access(self, path: Sequence[Step]) -> Value:
        (i,), rest = _split_path(path, "as_vector")
        w = self.type.lanes
        if not rest:
            return VectorOf(self.type, tuple(self.inner.access([i * w + k]) for k in range(w)))
        (k,) = _lanes(rest, self.type)
        return self.inner.access([i * w + k])


@dataclass(frozen=True)
class LanesView(View):
    """``as_scalar`` of an array of vectors of ``lanes`` lanes: element ``[j]`` is lane ``j % lanes`` of
    ``inner[j // lanes]``. Also the destination through which a computation writes the scalars that
    ``as_vector`` turns into ``inner``."""

    inner: View
    """The array of vectors."""
    lanes: int
    """Their width."""

    def access(self, path: Sequence[Step]) -> Value:
        (j,), rest = _split_path(path, "as_scalar")
        return self.inner.access([j // self.lanes, Lane(j % self.lanes), *rest])
