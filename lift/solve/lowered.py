"""Reading the mapping a hand-lowered program makes, so that the model can check it."""

from __future__ import annotations

from lift.dsl.ir import Fun, FunCall, Map, Node, computes, name_maps, output_space, program_order
from lift.dsl.mapper import NodeMapper
from lift.errors import LiftError
from lift.solve.structure_nodes import computing_map, uncopied

__all__ = ["choices_of"]


def choices_of(prog: Fun) -> dict[str, str]:
    """``{"map0": "wrg0", "map1": "lcl0", "space:map1": "local"}`` for a low-level program."""
    out: dict[str, str] = {}
    for n in program_order(name_maps(prog)):
        out.update(_CHOICES(n))
    return out


class _Choices(NodeMapper[dict[str, str]]):
    """The choices one node of a low-level program makes: a computing map its level, a call of one whose output
    is not in global memory that address space."""

    covers = (Node,)

    def map_node(self, node: Node) -> dict[str, str]:
        return {}

    def map_map(self, m: Map) -> dict[str, str]:
        if not (computes(m.f) and m.name):
            return {}
        if not m.level:
            raise LiftError(
                f"check: {m.name} has no level: check takes a low-level program (map_glb, map_wrg, map_lcl, "
                "map_seq); use lift.explain for partial choices on an algorithmic one"
            )
        return {m.name: str(m.at)}

    def map_fun_call(self, call: FunCall) -> dict[str, str]:
        m = computing_map(uncopied(call.f))
        space = output_space(call.f)  # a to_*'s own space, else where the map's innermost function writes
        if m is None or not m.name or space == "global":
            return {}
        return {f"space:{m.name}": space}


_CHOICES = _Choices()
