"""Questions the mapping model asks about the functions of a program, each answered once per node class.

Each question is a small :class:`~lift.dsl.mapper.NodeMapper` with a method for the classes with something to say
and one for their base (``map_fun_decl``) giving the answer of every other function, so that a new combinator
answers without being listed here.
"""

from __future__ import annotations

from lift.dsl.ir import FunCall, FunDecl, Lambda, Map, ToMem, computes
from lift.dsl.mapper import NodeMapper

__all__ = ["computing_map", "runs_alone", "uncopied", "whole_map"]


class _Uncopied(NodeMapper[FunDecl]):
    """The function whose result a ``to_*`` copies (one ``to_*`` deep), or the function itself: what a call of
    it computes."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl) -> FunDecl:
        return f

    def map_to_mem(self, f: ToMem) -> FunDecl:
        return f.f


uncopied = _Uncopied()


class _ComputingMap(NodeMapper[Map | None]):
    """The function itself when it is a map that computes (a loop, with a label); ``None`` for any other function
    (a map that only rearranges data is a view)."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl) -> None:
        return None

    def map_map(self, f: Map) -> Map | None:
        return f if computes(f.f) else None


computing_map = _ComputingMap()


class _WholeMap(NodeMapper[bool]):
    """Whether a map's function is a whole map — ``map(g)``, ``to_*(map(g))`` or ``λx. map(g)(x)`` — so that the
    two maps nest perfectly (and may be fused). ``wrapped``: the function is already inside a ``to_*`` or a
    lambda, which only wrap the map itself, one deep."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl, wrapped: bool = False) -> bool:
        return False

    def map_map(self, f: Map, wrapped: bool = False) -> bool:
        return True

    def map_to_mem(self, f: ToMem, wrapped: bool = False) -> bool:
        return not wrapped and self(f.f, True)

    def map_lambda(self, f: Lambda, wrapped: bool = False) -> bool:
        if wrapped or len(f.params) != 1 or not isinstance(f.body, FunCall):
            return False
        return f.body.args == (f.params[0],) and self(f.body.f, True)


whole_map = _WholeMap()


class _RunsAlone(NodeMapper[bool]):
    """Whether a call of the function (under at most one ``to_*``), outside every map, computes where no mapping
    can spread the work over threads: every thread would run it. A map is mapped, and a lambda's body is
    analysed call by call."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl) -> bool:
        return computes(f)

    def map_map(self, f: Map) -> bool:
        return False

    def map_lambda(self, f: Lambda) -> bool:
        return False


runs_alone = _RunsAlone()
