"""Barrier insertion, decided by Z3 on the index expressions of the accesses.

Two accesses to the same buffer, at least one a write, need a barrier between them exactly when some element
can be touched by two *different* threads of a work-group: ``∃ threads t1 ≠ t2, iterations: index1 = index2``
within the loop ranges and the program's size facts. If the two threads can be in different work-groups no
barrier helps, and the kernel is refused (:class:`~lift.errors.MappingError`). A barrier is placed just before
the first statement that conflicts with what was done since the last barrier, at the level of the block that
holds both; a loop whose next iteration would conflict with its current one gets a barrier at the end of its
body. A barrier must be reached by every thread of the work-group: placing one inside a loop whose trip count
differs between threads is refused. Private memory never needs a barrier (each thread has its own).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace

import z3

from lift.ocl.codegen import Generated
from lift.ocl.plan import Access, Barrier, Block, For, Loop, Stmt
from lift.solve.rules import (
    BARRIER_REACHED_BY_ALL_THREADS,
    NO_SYNC_BETWEEN_WORK_GROUPS,
    NO_WRITE_WRITE_RACE,
    PRIVATE_READ_BY_ITS_WRITER,
)
from lift.types.arith import ArithExpr, Cst, Var
from lift.types.injective import injective
from lift.types.smt import Constraint, decide, range_constraints, to_z3, z3_session

__all__ = ["insert_barriers"]


Answers = dict[Hashable, object]
"""Answers to conflict questions, by the question's canonical form (:meth:`_Inserter.question`): the kernels of
one program under different mappings ask many of the same questions, and a mapping model keeps one table for
all of them. Facts are not part of the key: use one table per program and sizes."""


def insert_barriers(gen: Generated, *, facts: Sequence[Constraint] = (), answers: Answers | None = None) -> Block:
    """``gen.body`` with the barriers it needs (a pass on the kernel plan); raises :class:`MappingError` for a
    mapping the rules on index expressions refuse."""
    with z3_session():  # the analysis builds Z3 terms throughout
        inserter = _Inserter(gen, facts, {} if answers is None else answers)
        inserter.check_write_races()
        return inserter.block(gen.body, [])


class _Inserter:
    def __init__(self, gen: Generated, facts: Sequence[Constraint], answers: Answers) -> None:
        self.gen = gen
        self.answers = answers
        self.facts = [c.to_z3() for c in facts]
        # the parallel (level, dim) pairs of the kernel along which more than one thread works
        self.used = frozenset(k for k, extents in gen.extents.items() if any(x != Cst(1) for x in extents))

    def is_uniform(self, lp: Loop, stmt: For) -> bool:
        """The loop has the same trip count in every thread of a work-group: sequential and work-group loops,
        the longest ``lcl`` map of its dimension (the local size divides it), and a ``glb`` loop that runs
        exactly once per thread."""
        if lp.level in ("seq", "wrg"):
            return True
        if lp.level == "lcl":
            return all(x == lp.extent for x in self.gen.extents.get((lp.level, lp.dim), []))
        return stmt.once and not stmt.guard

    # ---- walking the kernel -----------------------------------------------------------------------------
    def block(self, b: Block, context: list[tuple[Loop, For]]) -> Block:
        uniform = all(self.is_uniform(lp, s) for lp, s in context)
        shared = {lp.var.name for lp, _ in context if lp.level in ("seq", "wrg")}
        enclosing = {lp.var.name for lp, _ in context}
        out: list[Stmt] = []
        pending: list[Access] = []
        for s in b.stmts:
            accesses = list(s.accesses)
            self.check_private_owners(pending, accesses, enclosing)
            fences = self.conflicts(pending, accesses, shared)
            if fences:
                self.place(out, fences, uniform, context)
                pending = []
            if isinstance(s, For):
                s = replace(s, body=self.loop_body(s, s.loop, context))
                body = s.body
                if body.stmts and isinstance(body.stmts[-1], Barrier):
                    out.append(s)  # its last iteration ends synchronised: nothing is pending after it
                    pending = []
                    continue
            out.append(s)
            pending.extend(accesses)
        return Block(tuple(out))

    def loop_body(self, s: For, lp: Loop, context: list[tuple[Loop, For]]) -> Block:
        inner = [*context, (lp, s)]
        body = self.block(s.body, inner)
        if s.once:
            return body  # no next iteration
        # the next iteration: what follows the last barrier, against what precedes the first one
        stmts = list(body.stmts)
        marks = [k for k, x in enumerate(stmts) if isinstance(x, Barrier)]
        cut, first = (marks[-1], marks[0]) if marks else (-1, len(stmts))
        tail = [a for x in stmts[cut + 1 :] for a in x.accesses]
        head = [a for x in stmts[:first] for a in x.accesses]
        shared = {q.var.name for q, _ in context if q.level in ("seq", "wrg")}
        # a work-group runs every iteration of its own strided map_wrg loop: the next iteration is the same group
        same_group = {lp.var.name} if lp.level == "wrg" else set()
        # the next iteration has another value of the loop variable (the same thread's next one, or another's)
        fences = self.conflicts(tail, head, shared, same_group, distinct={lp.var.name})
        if fences:
            uniform = all(self.is_uniform(q, f) for q, f in inner)
            self.place(stmts, fences, uniform, inner, carried=True)
        return Block(tuple(stmts))

    def place(
        self, out: list[Stmt], fences: set[str], uniform: bool, context: list[tuple[Loop, For]], carried: bool = False
    ) -> None:
        if not uniform:
            culprit = next((lp for lp, s in context if not self.is_uniform(lp, s)), None)
            where = f" inside {_named(culprit)}" if culprit else ""
            raise BARRIER_REACHED_BY_ALL_THREADS.refuse(
                f"the kernel needs a barrier{where}, but not every thread of the work-group reaches it: that loop's "
                "trip count differs between threads (its size is not a multiple of the local size). Choose a local "
                "size that divides it, or move the synchronised work out of the loop"
            )
        reason = "next iteration overwrites data other threads still read" if carried else ""
        out.append(Barrier("local" in fences, "global" in fences, reason))

    def check_write_races(self) -> None:
        """No element is written by two different threads (or work-groups) of the launch: no barrier orders
        two writes made by one statement."""
        writes = _distinct([a for a in self.gen.body.accesses if a.write])
        for a in writes:
            if a.buffer.space == "private":
                continue
            key = self.question("write-write", a, a, set())
            if key not in self.answers:
                self.answers[key] = self.two_writers(a)
            if self.answers[key]:
                raise NO_WRITE_WRITE_RACE.refuse(
                    f"{a.buffer.described}: two different threads write the same element ({_where(a)}, every thread "
                    "that runs the write makes it); map the computation so that each element has one writer",
                    **self.deciding(a, a),
                )

    def two_writers(self, a: Access) -> bool:
        """Two different threads (or work-groups) may make the write ``a`` to the same element."""
        own = {(lp.level, lp.dim) for lp in a.loops}
        spread = {"lcl", "glb"} if a.buffer.space == "local" else {"lcl", "glb", "wrg"}
        if not a.guards and any(level in spread and (level, dim) not in own for level, dim in self.used):
            # every thread along a level the write is outside of makes it, and it is made: no need to ask Z3
            return True
        threads = {lp.var.name for lp in a.loops if lp.level != "seq" and not _one_value(lp.var)}
        if threads <= {v.name for v in a.index.free_vars()} and injective(a.index, [lp.var for lp in a.loops]):
            return False  # distinct iterations write distinct elements, and every thread's iterations are its own
        loops_a, loops_b, base = self.same_element(a, a, set())
        group_differ = None
        if a.buffer.space == "local":
            # each work-group has its own local memory: only threads of one group can collide in it
            base += [to_z3(x) == to_z3(y) for (lx, x), (_, y) in zip(loops_a, loops_b) if lx.level == "wrg"]
        else:
            group_vars = {lp.var.name for lp, _ in loops_a if lp.level == "wrg"}
            group_differ = _groups_differ(loops_a, loops_b, group_vars, self.used)
        differ = [d for d in (_threads_differ(loops_a, loops_b, self.used), group_differ) if d is not None]
        return bool(differ) and _possible([*base, z3.Or(*differ)])

    def check_private_owners(self, earlier: list[Access], later: list[Access], enclosing: set[str]) -> None:
        """Private memory is one thread's own: an element of it that a later statement reads must have been
        written by the reading thread. ``enclosing`` names the loops around both statements (the same
        iteration for both)."""
        for w in _distinct(earlier):
            if not w.write or w.buffer.space != "private":
                continue
            for r in _distinct(later):
                if r.write or r.buffer != w.buffer:
                    continue
                key = self.question("private-owner", w, r, enclosing)
                if key not in self.answers:
                    self.answers[key] = self.private_reader_differs(w, r, enclosing)
                if self.answers[key] is not None:
                    raise PRIVATE_READ_BY_ITS_WRITER.refuse(
                        f"{w.buffer.described}: private memory holds each thread's own data, but an element of it "
                        f"written by one thread ({_where(w)}) is read by another ({_where(r)}); run the writer and the "
                        "reader of this value on the same thread (the same parallel maps), or keep it in local or "
                        "global memory",
                        **self.deciding(w, r),
                    )

    def private_reader_differs(self, w: Access, r: Access, enclosing: set[str]) -> str | None:
        """``"private"`` when some thread may read an element of ``w``'s buffer that it did not write."""
        loops_w, loops_r, base = self.same_element(w, r, enclosing)
        terms: list[z3.BoolRef] = []
        for level, dim in sorted(self.used):
            writer = _thread_vars(loops_w, level).get(dim)
            reader = _thread_vars(loops_r, level).get(dim)
            if writer is None:
                continue  # every thread along this dimension wrote it, the reader among them
            if reader is None:
                terms.append(z3.BoolVal(True))  # every thread reads what one of them wrote
            elif writer.name != reader.name:
                terms.append(to_z3(writer) != to_z3(reader))
        if terms and _possible([*base, z3.Or(*terms)]):
            return "private"
        return None

    def same_element(
        self, a: Access, b: Access, shared: set[str]
    ) -> tuple[list[tuple[Loop, Var]], list[tuple[Loop, Var]], list[z3.BoolRef]]:
        """The loops of ``a`` and ``b`` with the variables not in ``shared`` renamed apart, and the formulas
        saying that both run (loop ranges, guards, size facts) and touch the same element."""
        index_a, loops_a, guards_a = _renamed(a, "_1", shared)
        index_b, loops_b, guards_b = _renamed(b, "_2", shared)
        loop_vars = {var for _, var in (*loops_a, *loops_b)}
        base = [
            *range_constraints({x for e in (index_a, index_b) for x in e.free_vars()} | loop_vars),
            *self.facts,
            *guards_a,
            *guards_b,
            to_z3(index_a) == to_z3(index_b),
        ]
        return loops_a, loops_b, base

    def deciding(self, a: Access, b: Access, *, carried: bool = False) -> dict[str, frozenset[str]]:
        """What decides a refused conflict between ``a`` and ``b``, as :class:`MappingError` keywords: the maps of
        their loops (``labels``) and the parallel levels in use that neither access runs inside (``uses``: every
        thread along such a level makes the access, whichever map uses it). More maps using more levels only
        add ways for two threads to differ, so every mapping with the same choices for the labels that uses
        those levels is refused too. A conflict between two iterations of one loop also depends on whether that
        loop runs once per thread, which the other maps on its dimension decide: nothing is generalised."""
        if carried:
            return {}
        own = {(lp.level, lp.dim) for lp in (*a.loops, *b.loops)}
        return {
            "labels": frozenset(lp.label for lp in (*a.loops, *b.loops) if lp.label),
            "uses": frozenset(f"{level}{dim}" for level, dim in self.used - own),
        }

    def question(
        self,
        kind: str,
        a: Access,
        b: Access,
        shared: set[str],
        same_group: set[str] = frozenset(),  # type: ignore[assignment]
        distinct: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> Hashable:
        """The canonical form of a question about accesses ``a`` and ``b``: their loop variables renamed by order
        of appearance (a bijection, so two questions with one form are the same question up to names), with
        everything else the answer depends on: the buffer's space, which accesses write, their indices, guards
        and loops, which loop variables both see, and the parallel levels in use."""
        names: dict[str, Var] = {}
        for lp in (*a.loops, *b.loops):
            if lp.var.name not in names:
                hi = lp.var.hi.subs(names) if lp.var.hi is not None else None
                names[lp.var.name] = Var(f"q{len(names)}", lp.var.lo, hi)

        def canonical(x: Access) -> Hashable:
            return (
                x.write,
                x.index.subs(names),
                tuple((lp.level, lp.dim, names[lp.var.name]) for lp in x.loops),
                tuple((g.value.subs(names), g.lo.subs(names), g.hi.subs(names)) for g in x.guards),
            )

        def renamed(variables: set[str]) -> frozenset[str]:
            return frozenset(names[n].name for n in variables if n in names)

        return (
            kind,
            a.buffer.space,
            canonical(a),
            canonical(b),
            renamed(shared),
            renamed(same_group),
            renamed(distinct),
            self.used,
        )

    # ---- deciding conflicts --------------------------------------------------------------------------
    def conflicts(
        self,
        earlier: list[Access],
        later: list[Access],
        shared: set[str],
        same_group: set[str] | None = None,
        distinct: set[str] | None = None,
    ) -> set[str]:
        """The memory spaces whose fences a barrier between ``earlier`` and ``later`` needs (empty: none).

        ``shared`` names the loop variables both accesses see with the same value; ``same_group`` those that
        differ between the accesses but stay within one work-group."""
        fences: set[str] = set()
        same_group = same_group or set()
        distinct = distinct or set()
        for a in _distinct(earlier):
            for b in _distinct(later):
                if a.buffer != b.buffer or not (a.write or b.write) or a.buffer.space == "private":
                    continue
                if a.buffer.space in fences:
                    continue
                key = self.question("conflict", a, b, shared, same_group, distinct)
                if key not in self.answers:
                    self.answers[key] = self.decide(a, b, shared, same_group, distinct)
                answer = self.answers[key]
                if answer == _OTHER_GROUP:
                    raise NO_SYNC_BETWEEN_WORK_GROUPS.refuse(
                        f"{a.buffer.described}: an element written by one thread ({_where(a)}) is "
                        f"{'read' if not b.write else 'written'} by a thread of another work-group ({_where(b)}) in "
                        "the same kernel, and work-groups cannot synchronise; keep producer and consumer in one "
                        "work-group (map_wrg/map_lcl) or use the same thread for both",
                        **self.deciding(a, b, carried=bool(distinct)),
                    )
                if answer is not None:
                    fences.add(str(answer))
        return fences

    def decide(
        self,
        a: Access,
        b: Access,
        shared: set[str],
        same_group: set[str],
        distinct: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> str | None:
        """The fence needed between accesses ``a`` then ``b``, None, or ``_OTHER_GROUP`` when a thread of another
        work-group may touch the element (no barrier can order that)."""
        loops_a, loops_b, base = self.same_element(a, b, shared)
        if a.buffer.space != "local":
            # another iteration of a strided map_wrg loop may run in another group: only local memory, which
            # each group has for itself, is sure to be touched by the same group in every iteration
            same_group = set()
        group_vars = {lp.var.name for lp, _ in (*loops_a, *loops_b) if lp.level == "wrg"} - same_group
        base += [to_z3(x) != to_z3(y) for (lx, x), (_, y) in zip(loops_a, loops_b) if lx.var.name in distinct]
        if a.buffer.space == "local":
            # each work-group has its own local memory: only threads of one group can meet in it
            base += [
                to_z3(x) == to_z3(y)
                for (lx, x), (ly, y) in zip(loops_a, loops_b)
                if lx.level == ly.level == "wrg" and lx.dim == ly.dim and x.name != y.name
            ]
        local = a.buffer.space == "local"
        # Two work-items are different when their local or global ids differ, or when they belong to different
        # work-groups (equal local ids in two groups are two threads). Local memory is per group: only the
        # local ids matter there.
        threads_differ = _threads_differ(loops_a, loops_b, self.used)
        groups_differ = None if local else _groups_differ(loops_a, loops_b, group_vars, self.used)
        differ = [d for d in (threads_differ, groups_differ) if d is not None]
        if not differ or not _possible([*base, z3.Or(*differ)]):
            return None
        if groups_differ is not None and _possible([*base, groups_differ]):
            return _OTHER_GROUP
        return a.buffer.space


_OTHER_GROUP = "other work-group"


def _named(lp: Loop) -> str:
    """A loop as messages name it: its map's label and level (``map1 (lcl0)``)."""
    what = lp.label or ("a sequential loop" if lp.level == "seq" else "a loop the lowering added")
    return f"{what} ({lp.at})"


def _where(a: Access) -> str:
    """Where an access is made, in the program's words: the innermost map around it."""
    labelled = [lp for lp in a.loops if lp.label]
    return f"in {_named(labelled[-1])}" if labelled else "outside every map"


def _distinct(accesses: list[Access]) -> list[Access]:
    return list(dict.fromkeys(accesses))


def _renamed(a: Access, suffix: str, shared: set[str]) -> tuple[ArithExpr, list[tuple[Loop, Var]], list[z3.BoolRef]]:
    """The access with the loop variables it does not share with the other access renamed apart."""
    mapping: dict[str, ArithExpr] = {}
    loops: list[tuple[Loop, Var]] = []
    for lp in a.loops:
        if lp.var.name in shared:
            loops.append((lp, lp.var))
            continue
        hi = lp.var.hi.subs(mapping) if lp.var.hi is not None else None
        renamed = Var(lp.var.name + suffix, lp.var.lo, hi)
        mapping[lp.var.name] = renamed
        loops.append((lp, renamed))
    index = a.index.subs(mapping)
    guards = []
    for g in a.guards:
        value = to_z3(g.value.subs(mapping))
        guards.append(z3.And(value >= to_z3(g.lo.subs(mapping)), value < to_z3(g.hi.subs(mapping))))
    return index, loops, guards


def _one_value(var: Var) -> bool:
    """The loop variable takes one value (a loop of one iteration): nothing to compare."""
    return var.lo == 0 and var.hi == Cst(1)


def _thread_vars(loops: list[tuple[Loop, Var]], level: str) -> dict[int, Var]:
    return {lp.dim: var for lp, var in loops if lp.level == level}


def _threads_differ(
    a: list[tuple[Loop, Var]],
    b: list[tuple[Loop, Var]],
    used: frozenset[tuple[str, int]],
    levels: tuple[str, ...] = ("lcl", "glb"),
) -> z3.BoolRef | None:
    """Threads of the two accesses differ: some parallel index of ``levels`` differs (an access outside a
    parallel loop of some dimension the kernel uses is made by every thread along it)."""
    terms = []
    for level in levels:
        ta, tb = _thread_vars(a, level), _thread_vars(b, level)
        dims = set(ta) | set(tb) | {d for lv, d in used if lv == level}
        for dim in sorted(dims):
            if dim in ta and dim in tb:
                if ta[dim].name != tb[dim].name and not (_one_value(ta[dim]) and _one_value(tb[dim])):
                    terms.append(to_z3(ta[dim]) != to_z3(tb[dim]))
            else:
                return z3.BoolVal(True)  # every thread along that dimension takes part
    return z3.Or(*terms) if terms else None


def _groups_differ(
    a: list[tuple[Loop, Var]], b: list[tuple[Loop, Var]], group_vars: set[str], used: frozenset[tuple[str, int]]
) -> z3.BoolRef | None:
    """The two accesses may belong to different work-groups (``group_vars``: the work-group loop variables
    that identify a group here; the others range over iterations that one group runs)."""
    if any(lv == "glb" for lv, _ in used):
        # one global id is one thread of one group; two different ones may lie in two groups
        return _threads_differ(a, b, used, ("glb",))
    ga, gb = _thread_vars(a, "wrg"), _thread_vars(b, "wrg")
    for dim in {d for lv, d in used if lv == "wrg"}:
        if dim not in ga or dim not in gb:
            return z3.BoolVal(True)  # made by every work-group along that dimension
    terms = [
        to_z3(ga[d]) != to_z3(gb[d])
        for d in set(ga) & set(gb)
        if ga[d].name != gb[d].name and {ga[d].name, gb[d].name} & _renamings(group_vars)
    ]
    return z3.Or(*terms) if terms else None


def _renamings(names: set[str]) -> set[str]:
    return {n + suffix for n in names for suffix in ("", "_1", "_2")}


def _possible(formulas: list[z3.BoolRef]) -> bool:
    """Satisfiable, or undecided within the time limit (then a barrier, or a refusal, is the safe answer)."""
    return decide(formulas) != z3.unsat
