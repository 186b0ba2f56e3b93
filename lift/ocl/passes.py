"""Passes on the kernel plan: each a pure function from a plan body to a plan body, run after the analyses.

:func:`lift.ocl.kernel.build` generates the plan (:mod:`lift.ocl.codegen`) and decides its barriers and the
rules on index expressions (:mod:`lift.ocl.barriers`, a pass that may refuse the mapping); the bounds of every
access are proved on that plan (:mod:`lift.ocl.bounds`). What follows changes how the kernel is spelled, never
what it touches, so it runs last, just before printing:

* :func:`guard_spare_threads` — one-iteration ``glb`` loops test ``gid < N`` when the launch is rounded up;
* :func:`widen_indices` — loop variables whose indices can reach ``2**31`` become ``long``;
* :func:`unflatten_loops` — a sequential loop whose variable is only ever split into mixed-radix digits
  (``i / 768``, ``(i / 256) % 3``, ``i % 256``: the loop over a joined window) becomes one loop per digit, and
  the divisions disappear;
* :func:`hoist_invariant_indices` — a division or remainder of the index arithmetic that does not change
  inside a loop is computed once, before it, in a named ``const`` variable;
* :func:`unroll_register_loops` — a sequential loop of known length that indexes a private array by its variable
  is marked ``#pragma unroll``, so that the array can live in registers.

A new pass is a function ``(body, *, options) -> body`` over :class:`~lift.ocl.plan.Block`, added to the list in
:func:`lift.ocl.kernel._compile_lowered`; :func:`lift.ocl.plan.map_indices` and
:func:`lift.ocl.plan.transform_loops` do the walking.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import replace

from lift.dsl.mapper import NodeMapper
from lift.ocl.bounds import overflows
from lift.ocl.plan import Block, Declare, For, Index, Stmt, accesses_in, map_indices, statements_in, transform_loops
from lift.types.arith import ArithExpr, Cst, FloorDiv, Mod, Var, replace_subterms
from lift.types.data import i64
from lift.types.injective import digit_parts

__all__ = [
    "guard_spare_threads",
    "hoist_invariant_indices",
    "unflatten_loops",
    "unroll_register_loops",
    "widen_indices",
]

MAX_UNROLLED_LENGTH = 64
"""The longest loop :func:`unroll_register_loops` asks to unroll: register blocks are far smaller; longer loops
would only grow the code."""


def guard_spare_threads(body: Block, *, dims: Collection[int]) -> Block:
    """One-thread-per-iteration ``glb`` loops of NDRange dimensions ``dims`` test ``gid < N``: their launch is
    rounded up to a multiple of the local size, so some threads have no iteration."""
    if not dims:
        return body

    def guard(s: For) -> For:
        return replace(s, guard=True) if s.once and s.loop.level == "glb" and s.loop.dim in dims else s

    return transform_loops(body, guard)


def widen_indices(body: Block, *, variables: Collection[str], index_type: str = "long") -> Block:
    """``body`` with the loops over ``variables`` declaring their variable as ``index_type``."""
    if not variables:
        return body
    return transform_loops(body, lambda s: replace(s, index_type=index_type) if s.var in variables else s)


def unflatten_loops(body: Block, *, taken: Collection[str]) -> Block:
    """Sequential loops over a flattened index become nests of loops over its digits.

    A loop ``for i < E`` whose variable appears only as digits ``(i // d) % m`` of one mixed radix (every
    boundary ``d`` and ``d*m`` divides the next, up to ``E``) is replaced by one loop per digit, the most
    significant outermost: the iterations run in the same order (``i`` is the digits read as a number), so
    the body computes the same values in the same order, and each digit is a plain loop variable where the
    body divided ``i``. ``taken`` lists the names the kernel already uses."""
    names = set(taken)

    def rewrite(s: For) -> For:
        return _unflattened(s, names) or s

    return transform_loops(body, rewrite)


def _unflattened(s: For, names: set[str]) -> For | None:
    """``s`` as a nest of loops over the digits of its variable, or ``None`` when it is not such a loop."""
    extent = s.loop.extent
    if s.loop.level != "seq" or s.once or not isinstance(extent, Cst):
        return None
    var = s.loop.var
    atoms: dict[ArithExpr, tuple[int, int | None]] = {}
    mixed = [False]  # some use of the variable is not one of its digits

    def visit(e: ArithExpr) -> None:
        parts = digit_parts(e)
        if parts is not None and parts[0].name == var.name:
            atoms[e] = parts[1:]
            return
        if isinstance(e, Var) and e.hi is not None and var.name in {x.name for x in e.hi.free_vars()}:
            mixed[0] = True  # an inner loop's bound depends on the variable
        for c in e.children():
            visit(c)

    def collect(e: ArithExpr) -> ArithExpr:
        visit(e)
        return e

    map_indices(s.body, collect)
    if mixed[0] or not any(d > 1 or m is not None for d, m in atoms.values()):
        return None  # nothing is divided: the loop is already as simple as it gets
    bounds = {1, extent.value}
    for d, m in atoms.values():
        bounds |= {d} | ({d * m} if m is not None else set())
    radix = sorted(b for b in bounds if b <= extent.value)
    if any(hi % lo for lo, hi in itertools.pairwise(radix)):
        return None  # the digits overlap: no single mixed radix
    digits = []
    for k, (lo, hi) in enumerate(itertools.pairwise(radix)):
        name, n = f"{var.name}_{k}", 0
        while name in names:
            n += 1
            name = f"{var.name}_{k}_{n}"
        names.add(name)
        digits.append((Var(name, 0, Cst(hi // lo)), lo))

    def value_of(d: int, m: int | None) -> ArithExpr:
        top = d * m if m is not None else extent.value
        return sum_of([v * (lo // d) for v, lo in digits if d <= lo < top])

    replacement = {atom: value_of(d, m) for atom, (d, m) in atoms.items()}
    body = map_indices(s.body, lambda e: replace_subterms(e, replacement))
    innermost, *outer = [replace(s, loop=replace(s.loop, var=digit)) for digit, _ in digits]
    nest = replace(innermost, body=body)  # the least significant digit innermost
    for loop in outer:
        nest = replace(loop, body=Block((nest,)))
    return nest


def sum_of(terms: list[ArithExpr]) -> ArithExpr:
    total: ArithExpr = Cst(0)
    for t in terms:
        total = total + t
    return total


def hoist_invariant_indices(body: Block, *, taken: Collection[str], wide: Collection[str] = ()) -> Block:
    """Divisions and remainders of the index arithmetic computed once per value instead of once per iteration.

    For each loop that repeats (not a one-iteration thread loop), every ``x / c`` and ``x % c`` in its body that
    mentions neither its variable nor anything bound inside it is computed before the loop, in a ``const``
    variable named after what it computes (``gid2_div_56``), and the body reads the variable. Outer loops are
    done first, so each value is computed in the outermost place where all it depends on is known. ``taken``
    lists the names the kernel already uses; ``wide`` the loop variables declared ``long`` (a hoisted value
    over one of them, or over a size, is ``long`` too)."""
    return _Hoister(set(taken), set(wide)).block(body)


class _Hoister(NodeMapper[list[Stmt]]):
    """A statement as the statements that replace it: a loop preceded by the values hoisted out of it."""

    covers = (Stmt,)

    def __init__(self, taken: set[str], wide: set[str]) -> None:
        self.taken = taken
        self.wide = wide  # loop variables and hoisted values declared long
        self.narrow: set[str] = set()  # hoisted values declared int

    def block(self, block: Block) -> Block:
        return Block(tuple(x for s in block.stmts for x in self(s)))

    def map_block(self, s: Block) -> list[Stmt]:
        return [self.block(s)]

    def map_for(self, s: For) -> list[Stmt]:
        hoisted: list[Stmt] = []
        if not s.once:
            inside = _bound_inside(s)
            invariant: dict[ArithExpr, Var] = {}
            for e in _division_terms(s.body):
                if not ({x.name for x in e.free_vars()} & inside) and e not in invariant:
                    invariant[e] = self.variable(e)
            if invariant:
                for e, var in invariant.items():
                    index_type = "long" if self.is_wide(e) else "int"
                    (self.wide if index_type == "long" else self.narrow).add(var.name)
                    hoisted.append(Declare(var.name, i64, Index(e), index_type=index_type))
                s = replace(s, body=map_indices(s.body, lambda x: replace_subterms(x, invariant)))
        return [*hoisted, replace(s, body=self.block(s.body))]

    def _kept(self, s: Stmt) -> list[Stmt]:
        return [s]

    map_declare = map_store = map_set = map_barrier = _kept

    def variable(self, e: ArithExpr) -> Var:
        base = _NAME_OF(e)
        name, k = base, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return Var(name, 0)

    def is_wide(self, e: ArithExpr) -> bool:
        """The value needs ``long``: it reads a ``long`` variable or a size (sizes are ``long`` arguments), or
        some value of it can pass ``2**31``."""
        for x in e.free_vars():
            if x.name in self.wide or (x.hi is None and x.name not in self.narrow):
                return True
        return overflows(e)


def _bound_inside(s: For) -> set[str]:
    """The loop's variable and every name its body binds (inner loop variables, declared variables)."""
    loops = {x.var for x in statements_in(s.body, For)}
    return {s.var} | loops | {x.name for x in statements_in(s.body, Declare)}


def _division_terms(body: Block) -> list[ArithExpr]:
    """The outermost divisions and remainders (by a constant or a size) in the index expressions of ``body``."""
    terms = _DivisionTerms()

    def collect(e: ArithExpr) -> ArithExpr:
        terms(e)
        return e

    map_indices(body, collect)
    return terms.found


class _DivisionTerms(NodeMapper[None]):
    """Collects the outermost divisions and remainders of an expression whose dividend is not a constant."""

    covers = (ArithExpr,)

    def __init__(self) -> None:
        self.found: list[ArithExpr] = []
        """What was found, in order."""

    def _division(self, e: FloorDiv | Mod) -> None:
        if isinstance(e.num, Cst):
            self._inside(e)
        else:
            self.found.append(e)

    def _inside(self, e: ArithExpr) -> None:
        for c in e.children():
            self(c)

    map_floor_div = map_mod = _division
    map_cst = map_var = map_sum = map_prod = map_min = map_max = _inside


class _Name(NodeMapper[str]):
    """A readable name for a hoisted value: ``gid2_div_56`` for ``gid2 / 56``, ``i_mod_3`` for ``i % 3``."""

    covers = (ArithExpr,)

    def map_floor_div(self, e: FloorDiv) -> str:
        return f"{self(e.num)}_div_{self(e.den)}"

    def map_mod(self, e: Mod) -> str:
        return f"{self(e.num)}_mod_{self(e.den)}"

    def map_var(self, e: Var) -> str:
        return e.name

    def map_cst(self, e: Cst) -> str:
        return str(e.value)

    def _index(self, e: ArithExpr) -> str:
        return "index"

    map_sum = map_prod = map_min = map_max = _index


_NAME_OF = _Name()


def unroll_register_loops(body: Block) -> Block:
    """Sequential loops of constant length (at most :data:`MAX_UNROLLED_LENGTH`) whose variable indexes a private
    array are marked for unrolling: with every index a constant, a register block stays in registers instead of
    being spilled to memory (an array indexed by a run-time value cannot live in registers)."""

    def marked(s: For) -> For:
        if s.loop.at.is_parallel or not isinstance(s.stop, Cst) or s.stop.value > MAX_UNROLLED_LENGTH:
            return s
        indexes_private = any(
            a.buffer.space == "private" and s.loop.var in a.index.free_vars() for a in accesses_in(s.body)
        )
        return replace(s, unroll=True) if indexes_private else s

    return transform_loops(body, marked)
