"""Rewrite rules as values, the engine that applies them, and a breadth-first explorer.

::

    from lift.rewrite import map_fusion, split_join, sites, apply

    for site in sites(prog, split_join(4)):
        print(site)                      # map0 at `x >> map(square)`
    prog2 = apply(prog, split_join(4), 0)  # same type, same meaning

Every rule has a ``name``, an ``equation``, side ``conditions`` (each with a sentence) and Lift's name for it;
parametrised rules (``split_join(n)``, ``slide_tiling(step)``, ``tile_2d(r, c)``,
``partial_reduce_split_join(n)``) are functions returning a rule. See ``docs/rewrite.md``.
"""

from lift.rewrite.algorithmic import join_split, map_fission, map_fusion, slide_tiling, split_join
from lift.rewrite.copies import add_id, implement_id, remove_id
from lift.rewrite.engine import Site, apply, bindings, candidate_sites, sites
from lift.rewrite.explore import Exploration, Reached, explore
from lift.rewrite.interchange import map_map_interchange, map_reduce_interchange, tile_2d
from lift.rewrite.reduction import partial_reduce, partial_reduce_split_join, reduce_map_fusion
from lift.rewrite.rule import Bindings, Condition, Rule
from lift.rewrite.simplification import (
    gather_scatter_id,
    join_split_id,
    scatter_gather_id,
    split_join_id,
    transpose_transpose_id,
)

__all__ = [
    "Bindings",
    "Condition",
    "Exploration",
    "Reached",
    "Rule",
    "Site",
    "add_id",
    "apply",
    "bindings",
    "candidate_sites",
    "explore",
    "gather_scatter_id",
    "implement_id",
    "join_split",
    "join_split_id",
    "map_fission",
    "map_fusion",
    "map_map_interchange",
    "map_reduce_interchange",
    "partial_reduce",
    "partial_reduce_split_join",
    "reduce_map_fusion",
    "remove_id",
    "rules",
    "scatter_gather_id",
    "sites",
    "slide_tiling",
    "split_join",
    "split_join_id",
    "tile_2d",
    "transpose_transpose_id",
]


def rules(*, factors: tuple[int, ...] = (2,), copies: bool = False) -> tuple[Rule, ...]:
    """The standard rules, parametrised ones instantiated with every factor (``tile_2d`` with pairs of them).

    Copy rules (which apply almost everywhere) are included only with ``copies=True``.
    """
    out: list[Rule] = [
        map_fusion,
        map_fission,
        join_split,
        join_split_id,
        split_join_id,
        transpose_transpose_id,
        gather_scatter_id,
        scatter_gather_id,
        reduce_map_fusion,
        partial_reduce,
        map_reduce_interchange,
        map_map_interchange,
    ]
    for n in factors:
        out += [split_join(n), partial_reduce_split_join(n), slide_tiling(n)]
    out += [tile_2d(a, b) for a in factors for b in factors]
    if copies:
        out += [add_id, remove_id, implement_id]
    return tuple(out)
