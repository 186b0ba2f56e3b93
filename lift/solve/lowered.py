"""Reading the mapping a hand-lowered program makes, so that the model can check it."""

from __future__ import annotations

from lift.dsl.ir import Fun, FunCall, Map, ToMem, computes, name_maps, output_space, program_order
from lift.errors import LiftError

__all__ = ["choices_of"]


def choices_of(prog: Fun) -> dict[str, str]:
    """``{"map0": "wrg0", "map1": "lcl0", "space:map1": "local"}`` for a low-level program."""
    named = name_maps(prog)
    out: dict[str, str] = {}
    for n in program_order(named):
        if isinstance(n, Map) and computes(n.f) and n.name:
            if not n.level:
                raise LiftError(
                    f"check: {n.name} has no level: check takes a low-level program (map_glb, map_wrg, map_lcl, "
                    "map_seq); use lift.explain for partial choices on an algorithmic one"
                )
            out[n.name] = str(n.at)
        if isinstance(n, FunCall):
            f = n.f
            inner = f.f if isinstance(f, ToMem) else f
            if isinstance(inner, Map) and inner.name and computes(inner.f):
                space = f.space if isinstance(f, ToMem) else output_space(inner)
                if space != "global":
                    out[f"space:{inner.name}"] = space
    return out
