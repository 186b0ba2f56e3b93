"""Writing a computed result through a rearrangement: where the argument of a data-rearranging function goes so that
the function's result lands in a given destination.

``compute >> transpose >> map(join)`` (the untile after a 2-D tiling), ``map(split(4))``, ``scatter(…)``: the
function only moves elements, so instead of computing its argument into a temporary and copying the rearranged
elements out, the computation writes each element straight to its final place — the destination seen through
the function's inverse. A layout combinator says how with :meth:`~lift.dsl.layout.Layout.write` (``writes > 0``);
``map(g)`` writes each element through ``g``; a lambda writes through its pipeline of stages, last stage first;
``id`` is the destination itself. A function with any other stage (one that computes, a ``zip``, a layout that
cannot be written through such as ``slide`` or ``pad``) has no such view: :func:`written_through` says ``None``
and the caller copies.
"""

from __future__ import annotations

from lift.dsl.ir import Expr, FunCall, FunDecl, Id, Lambda, Map
from lift.dsl.layout import Layout
from lift.dsl.mapper import NodeMapper
from lift.dsl.traversal import computes
from lift.ocl import views as v
from lift.types.arith import Cst
from lift.types.data import ArrayType, DataType

__all__ = ["written_through"]


def written_through(f: FunDecl, t: DataType, dest: v.View) -> v.View | None:
    """The destination of ``f``'s argument (of type ``t``) such that ``f``'s result is written into ``dest``; ``None``
    when ``f`` cannot be written through."""
    return _WRITE_THROUGH(f, t, dest)


class _WriteThrough(NodeMapper["v.View | None"]):
    covers = (FunDecl,)

    def map_layout(self, f: Layout, t: DataType, dest: v.View) -> v.View | None:
        if not f.writes or not isinstance(t, ArrayType):
            return None
        return v.LayoutWriteView(dest, f, t)

    def map_map(self, f: Map, t: DataType, dest: v.View) -> v.View | None:
        if computes(f.f) or not isinstance(t, ArrayType):
            return None
        g, elem_t = f.f, t.elem
        # decided once on a probe element, so that a function that cannot be written through is known now
        if self(g, elem_t, dest.at(_PROBE)) is None:
            return None
        return v.FunView(dest, lambda element_dest: _checked(self(g, elem_t, element_dest)))

    def map_id(self, f: Id, t: DataType, dest: v.View) -> v.View | None:
        return dest

    def map_lambda(self, f: Lambda, t: DataType, dest: v.View) -> v.View | None:
        if len(f.params) != 1:
            return None
        (param,) = f.params
        body: Expr = f.body
        target: v.View | None = dest
        while isinstance(body, FunCall) and len(body.args) == 1 and target is not None:
            (arg,) = body.args
            arg_t = t if arg == param else arg.type
            if arg_t is None:
                return None
            target = self(body.f, arg_t, target)
            body = arg
        return target if body == param else None

    def cannot(self, f: FunDecl, t: DataType, dest: v.View) -> v.View | None:
        """A function that computes, combines several arrays or picks a component is no rearrangement of one."""
        return None

    map_user_fun = map_reduce = map_zip = map_get = map_iterate = map_to_mem = cannot


def _checked(view: v.View | None) -> v.View:
    assert view is not None, "decided on the probe element"
    return view


_PROBE = Cst(0)
_WRITE_THROUGH = _WriteThrough()
