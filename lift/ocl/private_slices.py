"""Private slices: a private array computed by parallel loops holds only the part its own thread touches.

A private intermediate made inside ``map_lcl`` loops (a register block per thread, ``value(…) >>
map_lcl(map_lcl(to_private(…)))``) is declared for the whole value, its indices carrying the thread's position:
``ptmp[2*i + j + 4*lid0 + 16*lid1]`` in ``float ptmp[64]``. Private memory is the thread's own, and when every
loop over ``lid0`` and ``lid1`` runs at most once per thread — its variable is then the thread's id in every one
of them — a thread only ever touches the elements with its own ``lid0`` and ``lid1``: the terms ``4*lid0 +
16*lid1`` are the same in all of its accesses. :func:`slice_private_arrays` removes them, and the array shrinks
to what one thread uses (``float ptmp[4]``, ``ptmp[2*i + j]``): registers instead of a spill.

An array is sliced along a thread coordinate (a parallel level and dimension) when every access to it has a term
``c * v`` for a variable ``v`` of that coordinate, with the same ``c`` everywhere, and ``v`` appears nowhere else in
the index; otherwise (an access outside those loops, a division of the id) it is left whole. Within one thread
the removed terms are one constant, so distinct elements keep distinct indices. This is a spelling pass: it runs
after the barrier and bounds analyses (private memory needs no barrier; the new indices stay within the new
size by construction), and the statements' recorded accesses keep describing the kernel as generated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from lift.ocl.bounds import interval
from lift.ocl.plan import Block, Buffer, Declare, Load, Stmt, Store, Value, accesses_in, statements_in
from lift.types.arith import ArithExpr, Cst, Var
from lift.types.arith_simplify import monomials

__all__ = ["slice_private_arrays"]

Coordinate = tuple[str, int]
"""A thread coordinate: a parallel level and its NDRange dimension (``("lcl", 0)``)."""


def slice_private_arrays(body: Block, *, per_thread: Mapping[str, Coordinate]) -> Block:
    """``body`` with every private array that allows it reduced to its thread's slice (see the module
    documentation). ``per_thread`` names the loop variables that take one value per thread — those of loops that
    run at most once per thread — with the thread coordinate each stands for."""
    declared = {d.name: d for d in statements_in(body, Declare) if d.space == "private" and d.size is not None}
    slices: dict[str, tuple[Callable[[ArithExpr], ArithExpr], int]] = {}
    for name, decl in declared.items():
        indices = [a.index for a in accesses_in(body) if a.buffer.name == name and a.buffer.space == "private"]
        found = _slice(indices, per_thread)
        if found is not None and isinstance(decl.size, Cst) and found[1] < decl.size.value:
            slices[name] = found
    if not slices:
        return body
    rebuilt = _rebuilt(body, slices)
    assert isinstance(rebuilt, Block)
    return rebuilt


def _slice(
    indices: list[ArithExpr], per_thread: Mapping[str, Coordinate]
) -> tuple[Callable[[ArithExpr], ArithExpr], int] | None:
    """How to index the thread's slice (the index without the thread's terms) and its size; ``None`` when no
    coordinate can be removed."""
    if not indices:
        return None
    terms = [_thread_terms(index, per_thread) for index in indices]
    if any(t is None for t in terms):
        return None
    coordinates = {c for t in terms if t is not None for c in t}
    common = {
        c
        for c in coordinates
        if all(t is not None and c in t for t in terms)
        and len({t[c][1] for t in terms if t is not None}) == 1  # one coefficient for the coordinate everywhere
    }
    if common != coordinates or not common:
        return None  # some access lies outside a loop of the coordinate: the array is read whole

    def without_thread(index: ArithExpr) -> ArithExpr:
        own = _thread_terms(index, per_thread)
        assert own is not None
        return index - sum((Cst(coefficient) * var for var, coefficient in own.values()), Cst(0))

    highest = max(interval(without_thread(index)).hi for index in indices)
    lowest = min(interval(without_thread(index)).lo for index in indices)
    if lowest < 0 or highest == float("inf"):
        return None
    return without_thread, int(highest) + 1


def _thread_terms(index: ArithExpr, per_thread: Mapping[str, Coordinate]) -> dict[Coordinate, tuple[Var, int]] | None:
    """The index's terms ``c * v`` in per-thread variables, by coordinate; ``None`` when such a variable appears
    other than as a plain term (inside a division, a product with another variable), or two of one coordinate."""
    found: dict[Coordinate, tuple[Var, int]] = {}
    for atoms, coefficient in monomials(index).items():
        names = {v.name for atom in atoms for v in atom.free_vars()}
        thread_vars = names & per_thread.keys()
        if not thread_vars:
            continue
        if len(atoms) != 1 or not isinstance(atoms[0], Var) or atoms[0].name not in per_thread:
            return None
        coordinate = per_thread[atoms[0].name]
        if coordinate in found:
            return None
        found[coordinate] = (atoms[0], coefficient)
    return found


def _rebuilt(node: Any, slices: Mapping[str, tuple[Callable[[ArithExpr], ArithExpr], int]]) -> Any:
    """``node`` (a statement, a value, or a tuple of them) with the sliced arrays' declarations, loads and stores
    rewritten: a structural rebuild over the plan's dataclass fields, so that every kind of statement and value
    is covered."""
    if isinstance(node, tuple):
        return tuple(_rebuilt(x, slices) for x in node)
    if not isinstance(node, Stmt | Value | Block):
        return node
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        if f.name == "accesses":
            continue  # they describe the kernel as generated (see lift.ocl.passes)
        old = getattr(node, f.name)
        new = _rebuilt(old, slices)
        if new is not old:
            changes[f.name] = new
    if isinstance(node, Load | Store) and node.buffer.name in slices and node.buffer.space == "private":
        index_of, size = slices[node.buffer.name]
        changes["index"] = index_of(node.index)
        changes["buffer"] = _resized(node.buffer, size)
    elif isinstance(node, Declare) and node.name in slices and node.space == "private":
        changes["size"] = Cst(slices[node.name][1])
    return dataclasses.replace(node, **changes) if changes else node


def _resized(buffer: Buffer, size: int) -> Buffer:
    return dataclasses.replace(buffer, size=Cst(size))
