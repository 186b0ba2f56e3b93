"""Code generation: a lowered, typed program becomes one OpenCL kernel.

The generator walks the program once. Data-rearranging expressions become views (``lift.ocl.views``);
computing expressions are generated *into* a destination view: a map becomes a loop at its level
(``get_global_id``, ``get_group_id``, ``get_local_id`` strided loops, or a plain ``for``), a ``reduce_seq``
an accumulator and a loop, a user-function call an assignment. A computation whose result is consumed by
another is materialised in a buffer of its address space, one slot per parallel iteration that computes it.
Every statement carries the memory accesses it makes, with their enclosing loops, so that :mod:`lift.ocl.barriers` can decide,
with Z3 on the index expressions, where the work-group must synchronise.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping as AbcMapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from lift.dsl.ir import (
    Expr,
    Fun,
    FunCall,
    FunDecl,
    Get,
    Id,
    Iterate,
    Lambda,
    Literal,
    Map,
    Node,
    Param,
    Reduce,
    ToMem,
    UserFun,
    Zip,
    computes,
    walk,
)
from lift.dsl.ir import output_space as _output_space
from lift.dsl.layout import Layout
from lift.dsl.levels import Level
from lift.dsl.source import Source
from lift.dsl.userfun_syntax import c_literal
from lift.errors import LiftError, LiftInternalError, LiftLimitError
from lift.ocl import views as v
from lift.ocl.names import KernelNames, c_name, c_userfun, kernel_names, rename_sizes
from lift.ocl.plan import (
    Block,
    Call,
    Constant,
    Declare,
    Field,
    For,
    Guard,
    Guarded,
    Load,
    Loop,
    Pack,
    Set,
    Stmt,
    Store,
    Value,
    Variable,
    accesses_of,
)
from lift.solve.rules import (
    BACKEND_SUPPORT,
    CONSTANT_SIZE_LOCAL_PRIVATE,
    LOCAL_INSIDE_WORK_GROUPS,
    PARALLEL_OUTSIDE_SEQUENTIAL,
    WRITTEN_INSIDE_PARALLEL_MAPS,
)
from lift.types.arith import ArithExpr, Cst, Var
from lift.types.checker import typed_for
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, sizes_of

__all__ = ["MAX_UNROLLED_ITERATIONS", "Generated", "generate"]

_LOOP_NAMES = {"glb": "gid", "wrg": "wg", "lcl": "lid", "seq": "i"}


@dataclass
class Generated:
    """The kernel's parts, before barrier insertion and printing."""

    name: str
    body: Block
    inputs: list[tuple[str, DataType, list[v.Buffer]]]
    """Each program parameter: its name, type and buffers (one per scalar component)."""
    outputs: list[v.Buffer]
    """The result's buffers."""
    temps: list[v.Buffer]
    """Global temporaries the host allocates."""
    locals: list[Declare]
    """Local-memory arrays, declared at kernel scope."""
    userfuns: dict[str, UserFun]
    """Every user function called, by its C name (each renamed to it, see :func:`lift.ocl.names.c_userfun`)."""
    structs: list[TupleType]
    size_vars: list[str]
    """Size variables passed as ``int`` arguments, by their C names."""
    extents: dict[tuple[str, int], list[ArithExpr]]
    """For each parallel (level, dim): the trip counts of its maps."""
    size_names: dict[str, str] = field(default_factory=dict)
    """Each size variable of the program → its C name: the kernel's expressions mention the C names only."""
    taken: frozenset[str] = frozenset()
    """Every name the kernel uses (a pass that adds variables must choose others)."""

    def c_sizes(self, sizes: AbcMapping[str, int]) -> dict[str, int]:
        """Size values by the program's names → the same values by the kernel's C names (for evaluating the
        kernel's extents and buffer sizes, and for its size arguments)."""
        return {c: sizes[name] for name, c in self.size_names.items() if name in sizes}


MAX_UNROLLED_ITERATIONS = 64
"""The most steps of an ``iterate`` over a computing function the backend unrolls."""


def generate(prog: Fun, *, name: str | None = None) -> Generated:
    """Generate the kernel plan of a lowered program (``prog`` is type-checked here). Every name the kernel
    prints is checked and given its C name first (:mod:`lift.ocl.names`): a user's name is never printed as
    given."""
    names = kernel_names(prog, name)
    return _Generator(rename_sizes(prog, names.sizes), names).run()


def _scalars(t: DataType, prefix: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], ScalarType]]:
    """The scalar components of ``t`` (through arrays), by tuple path."""
    while isinstance(t, ArrayType):
        t = t.elem
    if isinstance(t, TupleType):
        return [c for k, e in enumerate(t.elems) for c in _scalars(e, (*prefix, k))]
    assert isinstance(t, ScalarType)
    return [(prefix, t)]


class _Generator:
    def __init__(self, prog: Fun, names: KernelNames) -> None:
        self.typed = prog.typed
        self.prog: Fun = self.typed.program
        self.name = names.kernel
        self.names = names
        self.taken: set[str] = set(names.taken())  # the generator's own names come second
        self.userfun_of: dict[str, UserFun] = {}  # C name -> the user function as written
        self.env: dict[str, v.View] = {}
        self.loops: list[Loop] = []
        self.blocks: list[list[Stmt]] = [[]]
        self.out = Generated(names.kernel, Block(), [], [], [], [], {}, [], [], {}, dict(names.sizes))
        self.structs: list[TupleType] = []

    # ---- names and bookkeeping ---------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        k, name = 0, base
        separator = "_" if base[-1].isdigit() else ""
        while name in self.taken:
            k += 1
            name = f"{base}{separator}{k}"
        self.taken.add(name)
        return name

    def derived(self, name: str) -> str:
        """A fresh C name derived from a user's C name (``x_0`` for a tuple component of ``x``)."""
        name = c_name(name, self.taken)
        self.taken.add(name)
        return name

    def emit(self, stmt: Stmt) -> None:
        """Append ``stmt`` to the current block, with the accesses it makes (read off its values, each with the
        loops around it)."""
        if not isinstance(stmt, (For, Block)):
            stmt = replace(stmt, accesses=accesses_of(stmt, tuple(self.loops)))  # type: ignore[type-var]
        self.blocks[-1].append(stmt)

    def declare_type(self, t: DataType) -> DataType:
        """``t``, its struct (and those of its components) declared first when it is a tuple."""
        if isinstance(t, TupleType) and t not in self.structs:
            for e in t.elems:
                self.declare_type(e)
            self.structs.append(t)
        return t

    # ---- entry -------------------------------------------------------------------------------------
    def run(self) -> Generated:
        self.out.size_vars = sorted({x.name for t in self.prog.param_types for n in sizes_of(t) for x in n.free_vars()})
        for p, t in zip(self.prog.params, self.prog.param_types):
            buffers = []
            pairs = []
            base = self.names.params[p.name]
            for path, scalar in _scalars(t):
                suffix = "".join(f"_{k}" for k in path)
                c_buffer = self.derived(base + suffix) if path else base
                part = f" (component {', '.join(map(str, path))})" if path else ""
                buf = v.Buffer(
                    c_buffer, scalar, "global", v.scalar_count(t, path), "input", f"parameter {p.name}{part}"
                )
                buffers.append(buf)
                pairs.append((path, buf))
            self.out.inputs.append((p.name, t, buffers))
            self.env[p.name] = v.MemView(t, tuple(pairs))
        result = self.typed.type.result
        out_pairs = []
        for path, scalar in _scalars(result):
            suffix = "".join(f"_{k}" for k in path)
            part = f" (component {', '.join(map(str, path))})" if path else ""
            size = v.scalar_count(result, path)
            buf = v.Buffer(self.fresh(f"out{suffix}"), scalar, "global", size, "output", f"the program's result{part}")
            self.out.outputs.append(buf)
            out_pairs.append((path, buf))
        self.collect_extents()
        dest = v.MemView(result, tuple(out_pairs))
        self.into(self.prog.body, dest)
        self.out.body = Block(tuple(self.blocks[0]))
        self.out.structs = self.structs
        self.out.taken = frozenset(self.taken)
        return self.out

    def collect_extents(self) -> None:
        """The trip count of every parallel map, by (level, dim), before any loop is printed."""

        def visit(f: FunDecl, t: DataType | None) -> None:
            if isinstance(f, ToMem):
                visit(f.f, t)
            elif isinstance(f, Map) and isinstance(t, ArrayType):
                if f.level in ("glb", "wrg", "lcl") and computes(f.f):
                    self.out.extents.setdefault((f.level, f.dim), []).append(t.size)
                visit(f.f, t.elem)
            elif isinstance(f, Iterate) and t is not None and computes(f):
                # every unrolled step, typed for its own argument (the sizes may change from step to step)
                for g, t_in, _ in self.steps(f, t, limit=MAX_UNROLLED_ITERATIONS):
                    visit(g, t_in)
                    calls(g)

        def calls(node: Node) -> None:
            for n in walk(node):
                if isinstance(n, FunCall) and len(n.args) == 1:
                    visit(n.f, n.args[0].type)

        calls(self.prog)

    # ---- values: views of expressions --------------------------------------------------------------
    def value(self, e: Expr) -> v.View:
        """The view of ``e``, materialising computed data in memory where needed."""
        if isinstance(e, Param):
            if e.name not in self.env:
                raise LiftError(f"internal: unbound parameter {e.name}")
            return self.env[e.name]
        if isinstance(e, Literal):
            return v.ValueView(self.literal(e))
        if isinstance(e, Source):
            source = e
            return v.SourceView(lambda indices: self.literal(source.element(indices)))
        assert isinstance(e, FunCall) and e.type is not None
        f = e.f
        if _scalar_function(f):
            return v.ValueView(self.call(e))
        if not computes(f):
            return self.view(f, [self.value(a) for a in e.args], [a.type for a in e.args], e)  # type: ignore[misc]
        if isinstance(f, Lambda):
            # a lambda applied is a let: its body's computations are placed where they ask to be
            return self.view(f, [self.value(a) for a in e.args], [a.type for a in e.args], e)  # type: ignore[misc]
        dest = self.allocate(e.type, _output_space(f), f)
        self.into(e, dest)
        return dest

    def view(self, f: FunDecl, args: list[v.View], types: list[DataType], e: Expr | None) -> v.View:
        """The view of a data-rearranging function applied to argument views."""
        if isinstance(f, Lambda):
            saved = {p.name: self.env.get(p.name) for p in f.params}
            self.env.update({p.name: a for p, a in zip(f.params, args)})
            try:
                return self.value(f.body)
            finally:
                for k, old in saved.items():
                    if old is None:
                        self.env.pop(k, None)
                    else:
                        self.env[k] = old
        if isinstance(f, Zip):
            t = e.type if e is not None else None
            assert isinstance(t, ArrayType) and isinstance(t.elem, TupleType)
            return v.ZipView(tuple(args), t.elem)
        (a,) = args
        (t,) = types
        if isinstance(f, Get):
            return a.at(v.Component(f.i))
        if isinstance(f, Id):
            return a
        if isinstance(f, Iterate):
            for g, t_in, _ in self.steps(f, t):
                a = self.view(g, [a], [t_in], None)
            return a
        assert isinstance(t, ArrayType), f"{f} on {t}"
        if isinstance(f, Layout):
            return v.LayoutView(a, f, t)
        if isinstance(f, Map):
            elem_t = t.elem
            return v.FunView(a, lambda x, g=f.f, et=elem_t: self.view(g, [x], [et], None))  # type: ignore[misc]
        raise BACKEND_SUPPORT.refuse(f"{_show(f)}: cannot be compiled as a view (it computes, but no rule says how)")

    def result_type(self, f: FunDecl, t: DataType) -> DataType:
        """The type of ``f`` applied to a ``t``, read off the typed program where ``f`` may use outer
        parameters (lambdas carry typed bodies), derived by the checker's rules for closed patterns."""
        if isinstance(f, Lambda):
            assert f.body.type is not None
            return f.body.type
        if isinstance(f, UserFun):
            return f.result_type
        if isinstance(f, ToMem):
            return self.result_type(f.f, t)
        if isinstance(f, Map):
            assert isinstance(t, ArrayType)
            return ArrayType(self.result_type(f.f, t.elem), t.size)
        if isinstance(f, Reduce):
            assert f.init.type is not None
            return ArrayType(f.init.type, Cst(1))
        if isinstance(f, Iterate):
            results = [out_t for _, _, out_t in self.steps(f, t)]
            return results[-1] if results else t
        from lift.types.checker import typecheck

        return typecheck(f, t).result  # type: ignore[attr-defined]

    def literal(self, e: Literal) -> Value:
        t = e.type
        if isinstance(t, TupleType):
            assert isinstance(e.value, tuple)
            parts = tuple(Constant(c_literal(x, s), s) for x, s in zip(e.value, t.elems))  # type: ignore[arg-type]
            return Pack(t, parts)
        assert isinstance(t, ScalarType) and not isinstance(e.value, tuple)
        return Constant(c_literal(e.value, t), t)

    # ---- memory ------------------------------------------------------------------------------------
    def allocate(self, t: DataType, space: str, where: FunDecl) -> v.View:
        """Memory for a value of type ``t`` computed in the current loops: one slot per parallel iteration
        (global), per local thread iteration (local), or per thread (private)."""
        if space == "global":
            slots = [lp for lp in self.loops if lp.level != "seq"]
        elif space == "local":
            slots = [lp for lp in self.loops if lp.level == "lcl"]
            if not any(lp.level == "wrg" for lp in self.loops):
                raise LOCAL_INSIDE_WORK_GROUPS.refuse(
                    f"{_holds(where)}: local memory is shared by a work-group, so the computation writing it must "
                    "run inside map_wrg"
                )
        else:
            slots = []
        slot: ArithExpr = Cst(0)
        per_slot: ArithExpr = Cst(1)
        for lp in slots:
            slot = slot * lp.extent + lp.var
            per_slot = per_slot * lp.extent
        base = self.fresh("tmp" if space == "global" else f"{space[0]}tmp" if space != "private" else "ptmp")
        pairs = []
        for path, scalar in _scalars(t):
            suffix = "".join(f"_{k}" for k in path)
            size = v.scalar_count(t, path) * per_slot
            buf = v.Buffer(f"{base}{suffix}", scalar, space, size, "temp", _holds(where))
            pairs.append((path, buf))
            if space == "global":
                self.out.temps.append(buf)
            elif not isinstance(size, Cst):
                raise CONSTANT_SIZE_LOCAL_PRIVATE.refuse(
                    f"{_holds(where)}: its {space} array would have {size} elements; {space} arrays need a "
                    "constant size: pass sizes={...} to lift.compile"
                )
            elif space == "local":
                self.out.locals.append(Declare(buf.name, scalar, space="local", size=size))
            elif isinstance(t, ArrayType):
                self.emit(Declare(buf.name, scalar, size=size))
            else:
                self.emit(Declare(buf.name, scalar))
        if space == "private" and not isinstance(t, ArrayType):
            if len(pairs) == 1:
                return v.ValueView(Variable(pairs[0][1].name, pairs[0][1].scalar))
            return v.ValueView(_tuple_of_vars(t, dict(pairs)))
        return v.MemView(t, tuple(pairs), slot)

    # ---- values of refs ----------------------------------------------------------------------------
    def store(self, dest: v.View, value: Value, t: DataType) -> None:
        """``dest = value`` for a scalar or tuple ``t`` (tuples component by component)."""
        target = dest.access([])
        guards: tuple[Guard, ...] = ()
        while isinstance(target, Guarded):  # a place only some of whose elements are kept (take, drop)
            guards, target = (*guards, target.guard), target.target
        if isinstance(target, Pack):
            assert isinstance(t, TupleType)
            if isinstance(value, Pack):
                parts: list[Value] = list(value.parts)
            else:
                tmp = self.fresh("t")
                self.emit(Declare(tmp, self.declare_type(t), value))
                parts = [Field(Variable(tmp, t), k) for k in range(len(t.elems))]
            for k, part in enumerate(parts):
                self.store(dest.at(v.Component(k)), part, t.elems[k])
            return
        if isinstance(target, Load):
            if not any(lp.level != "seq" for lp in self.loops) and target.buffer.space != "private":
                raise WRITTEN_INSIDE_PARALLEL_MAPS.refuse(
                    f"{target.buffer.described} would be written by every thread; compute it inside a map_glb or "
                    "map_wrg"
                )
            if target.buffer.role == "input":
                raise LiftInternalError(f"a write to the input {target.buffer.name}")
            self.emit(Store(target.buffer, target.index, value, Guard.merged(guards)))
        elif isinstance(target, (Variable, Field)) and not guards:
            self.emit(Set(target, value))
        else:
            raise LiftInternalError(f"{self.name}: a computation's destination is not memory or a variable: {target}")

    # ---- computing into a destination --------------------------------------------------------------
    def into(self, e: Expr, dest: v.View) -> None:
        """Emit the statements that compute ``e`` into ``dest``."""
        t = e.type
        assert t is not None
        if isinstance(e, FunCall):
            f = e.f
            if isinstance(f, ToMem):
                self.into(FunCall(f.f, e.args, e.type), dest)
                return
            if isinstance(f, Map) and computes(f.f):
                self.map_loop(f, e, dest)
                return
            if isinstance(f, Reduce):
                self.reduction(f, e, dest)
                return
            if isinstance(f, Id):
                self.copy(self.value(e.args[0]), dest, t)
                return
            if isinstance(f, Iterate) and computes(f):
                self.iterate_into(f, e.args[0], dest)
                return
            if isinstance(f, Lambda) and computes(f):
                views = [self.value(a) for a in e.args]
                saved = dict(self.env)
                self.env.update({p.name: a for p, a in zip(f.params, views)})
                try:
                    self.into(f.body, dest)
                finally:
                    self.env = saved
                return
            if isinstance(f, Zip):
                # zip(a, b) is written in place: each array into its component of the destination
                for k, part in enumerate(e.args):
                    self.into(part, v.UnzipView(dest, k))
                return
            through = self.write_through(f, e, dest)
            if through is not None:
                self.into(e.args[0], through)
                return
        self.copy(self.value(e), dest, t)

    def iterate_into(self, f: Iterate, arg: Expr, dest: v.View) -> None:
        """``iterate(k, g)``: ``g`` applied ``k`` times, unrolled; each step but the last writes a temporary in
        the space ``g`` asks for, two temporaries of one type taking turns (the barrier analysis orders a step's
        writes after the previous step's reads), the last step writes ``dest``."""
        if f.k > MAX_UNROLLED_ITERATIONS:
            raise LiftLimitError(
                f"{_show(f)}: the OpenCL backend unrolls iterate over a computing function, up to "
                f"{MAX_UNROLLED_ITERATIONS} steps; split it (iterate(a, iterate(b, f)) with a*b = {f.k} still "
                "unrolls) or run the steps as separate programs"
            )
        src = self.value(arg)
        t = arg.type
        assert t is not None
        if f.k == 0:
            self.copy(src, dest, t)  # no step: the result is the argument
            return
        turns: dict[DataType, list[v.View]] = {}
        space = _output_space(f.f)
        for step, (g, t_in, out_t) in enumerate(self.steps(f, t)):
            if step == f.k - 1:
                target = dest
            else:
                pair = turns.setdefault(out_t, [])
                free = [b for b in pair if b is not src]
                if free:
                    target = free[0]
                else:
                    target = self.allocate(out_t, space, f)
                    pair.append(target)
            self.apply_into(g, src, t_in, target)
            src = target

    def steps(
        self, f: Iterate, t: DataType, *, limit: int | None = None
    ) -> Iterator[tuple[FunDecl, DataType, DataType]]:
        """``iterate``'s steps, each ``(g, argument type, result type)`` with ``g`` typed for its own argument
        (the sizes may change from one step to the next); at most ``limit`` of them."""
        for _ in range(f.k if limit is None else min(f.k, limit)):
            g = typed_for(f.f, t)
            out_t = self.result_type(g, t)
            yield g, t, out_t
            t = out_t

    def write_through(self, f: FunDecl, e: FunCall, dest: v.View) -> v.View | None:
        """The destination for the argument of a rearrangement that can be written in place."""
        if len(e.args) != 1 or not isinstance(e.args[0], FunCall):
            return None
        t = e.args[0].type
        assert isinstance(t, ArrayType)
        if isinstance(f, Layout):
            return v.LayoutWriteView(dest, f, t) if f.writes else None
        return None

    def copy(self, src: v.View, dest: v.View, t: DataType) -> None:
        """Element-by-element copy (sequential loops in the current thread)."""
        if isinstance(t, ArrayType):
            with self.loop("seq", 0, t.size, "") as i:
                self.copy(src.at(i), dest.at(i), t.elem)
            return
        if isinstance(t, TupleType) and any(isinstance(e, ArrayType) for e in t.elems):
            for k, e in enumerate(t.elems):
                self.copy(src.at(v.Component(k)), dest.at(v.Component(k)), e)
            return
        self.store(dest, src.access([]), t)

    @contextmanager
    def loop(self, level: str, dim: int, extent: ArithExpr, label: str) -> Iterator[ArithExpr]:
        if level == "seq" and extent == Cst(1):
            yield Cst(0)  # a sequential loop of one iteration is its body
            return
        var = Var(self.fresh(_LOOP_NAMES[level] + (str(dim) if level != "seq" else "")), 0, extent)
        lp = Loop(var, Level(level, dim if level != "seq" else 0), label)  # type: ignore[arg-type]
        self.loops.append(lp)
        self.blocks.append([])
        try:
            yield var
        finally:
            body = Block(tuple(self.blocks.pop()))
            self.loops.pop()
            if level == "seq":
                stmt = For(lp, body, accesses=body.accesses)
            else:
                extents = self.out.extents.get((level, dim), [extent])
                once = level != "lcl" and all(x == extent for x in extents)
                stmt = For(lp, body, once=once, guard=not once, accesses=body.accesses)
            self.emit(stmt)

    def map_loop(self, f: Map, e: FunCall, dest: v.View) -> None:
        level = f.level or "seq"
        if level == "seq" and not self.loops:
            raise PARALLEL_OUTSIDE_SEQUENTIAL.refuse(
                f"{f.name or 'a map'}: a sequential map outside every parallel map would run in every thread; "
                "map the outermost computing map with map_glb or map_wrg"
            )
        (arg,) = e.args
        src = self.value(arg)
        t = arg.type
        assert isinstance(t, ArrayType)
        with self.loop(level, f.dim, t.size, f.name or "") as i:
            element = src.at(i)
            self.apply_into(f.f, element, t.elem, dest.at(i))

    def apply_into(self, g: FunDecl, element: v.View, elem_t: DataType, dest: v.View) -> None:
        """``dest = g(element)``."""
        if isinstance(g, Lambda):
            saved = dict(self.env)
            self.env[g.params[0].name] = element
            try:
                self.into(g.body, dest)
            finally:
                self.env = saved
            return
        if isinstance(g, UserFun):
            if len(g.param_names) > 1 and isinstance(elem_t, TupleType):
                args = [element.access([v.Component(k)]) for k in range(len(g.param_names))]
            else:
                args = [element.access([])]
            call = Call(self.use(g), tuple(args), g.result_type)
            self.store(dest, call, g.result_type)
            return
        p = Param(self.fresh("e"))
        self.env[p.name] = element
        self.into(FunCall(g, (Param(p.name, elem_t),), None).replace(type=self.result_type(g, elem_t)), dest)

    def reduction(self, f: Reduce, e: FunCall, dest: v.View) -> None:
        if not f.seq:
            raise LiftInternalError("reduce: lower the program first (reductions compile as reduce_seq)")
        (arg,) = e.args
        t = arg.type
        acc_t = f.init.type
        assert isinstance(t, ArrayType) and acc_t is not None
        if isinstance(acc_t, ArrayType):
            raise BACKEND_SUPPORT.refuse(
                f"{_show(f)}: reduce_seq with an array accumulator is not supported by the OpenCL backend yet"
            )
        fused = _fusable_map(arg)
        if fused is not None:
            # Lift's reduceSeq ∘ mapSeq fusion: the map's elements are computed where the reduction reads them
            g, producer = fused
            inner = self.value(producer)
            inner_t = producer.type
            assert isinstance(inner_t, ArrayType)

            def element(j: ArithExpr) -> v.View:
                args = _unpacked(g, inner.at(j), inner_t.elem)
                return v.ValueView(self.apply_scalar(g, args, []))
        else:
            src = self.value(arg)

            def element(j: ArithExpr) -> v.View:
                return src.at(j)

        acc = self.fresh("acc")
        init = self.value(f.init).access([])
        self.emit(Declare(acc, self.declare_type(acc_t), init))
        acc_ref = Variable(acc, acc_t)
        with self.loop("seq", 0, t.size, "") as j:
            value = self.apply_scalar(f.f, [v.ValueView(acc_ref), element(j)], [acc_t, t.elem])
            self.store(v.ValueView(acc_ref), value, acc_t)
        self.store(dest.at(Cst(0)), acc_ref, acc_t)

    def apply_scalar(self, g: FunDecl, args: list[v.View], types: list[DataType]) -> Value:
        """The value of ``g(args…)`` for a scalar-valued function (inlined, no memory)."""
        if isinstance(g, UserFun):
            return Call(self.use(g), tuple(a.access([]) for a in args), g.result_type)
        if isinstance(g, Lambda):
            saved = dict(self.env)
            self.env.update({p.name: a for p, a in zip(g.params, args)})
            try:
                assert g.body is not None
                return self.call_ref(g.body)
            finally:
                self.env = saved
        raise BACKEND_SUPPORT.refuse(f"{_show(g)}: a reduction's function must be a user function or a lambda of them")

    def call_ref(self, e: Expr) -> Value:
        if isinstance(e, FunCall) and isinstance(e.f, UserFun):
            return self.call(e)
        return self.value(e).access([])

    def call(self, e: FunCall) -> Value:
        """A scalar user-function call (or a lambda of them) as a value."""
        f = e.f
        if isinstance(f, Lambda):
            views = [self.value(a) for a in e.args]
            saved = dict(self.env)
            self.env.update({p.name: a for p, a in zip(f.params, views)})
            try:
                return self.call_ref(f.body)
            finally:
                self.env = saved
        assert isinstance(f, UserFun) and e.type is not None
        name = self.use(f)
        refs = [self.value(a).access([]) for a in e.args]
        if len(refs) == 1 and len(f.param_names) > 1 and isinstance(refs[0], Pack):
            refs = list(refs[0].parts)
        return Call(name, tuple(refs), e.type)

    def use(self, f: UserFun) -> str:
        """The C name of the user function ``f``, whose definition (renamed to it) the kernel prints."""
        name = self.names.userfuns[f.name]
        known = self.userfun_of.get(name)
        if known is not None and known != f:
            raise LiftError(f"two different user functions are both named {f.name!r}; rename one of them")
        if known is None:
            self.userfun_of[name] = f
            self.out.userfuns[name] = c_userfun(f, name)
        for t in (*f.param_types, f.result_type):
            self.declare_type(t)
        return name


def _holds(f: FunDecl) -> str:
    """What an intermediate computed by ``f`` is, in the program's words: ``the output of map1``."""
    inner = f.f if isinstance(f, ToMem) else f
    if isinstance(inner, Map) and inner.name:
        return f"the output of {inner.name}"
    text = _show(f)
    return f"the result of {text if len(text) <= 60 else text[:57] + '...'}"


def _fusable_map(arg: Expr) -> tuple[FunDecl, Expr] | None:
    """``(g, x)`` when ``arg`` is ``map_seq(g) $ x`` with a scalar ``g`` and no address space asked for: its
    result is read once, element by element, by the reduction, so it need not be stored."""
    if not (isinstance(arg, FunCall) and isinstance(arg.f, Map) and arg.f.level in ("", "seq")):
        return None
    g = arg.f.f
    return (g, arg.args[0]) if _scalar_function(g) else None


def _scalar_function(f: FunDecl) -> bool:
    """A user function, or a lambda of them computing a scalar or tuple: printed inline as a C expression."""
    return isinstance(f, UserFun) or (
        isinstance(f, Lambda)
        and isinstance(f.body.type, ScalarType | TupleType)
        and not any(isinstance(n, FunCall) and isinstance(n.f, (Map, Reduce)) for n in walk(f.body))
    )


def _unpacked(g: FunDecl, element: v.View, elem_t: DataType) -> list[v.View]:
    """The arguments of ``g`` for one element: the components of a tuple for a user function of several."""
    if isinstance(g, UserFun) and len(g.param_names) > 1 and isinstance(elem_t, TupleType):
        return [element.at(v.Component(k)) for k in range(len(g.param_names))]
    return [element]


def _tuple_of_vars(t: DataType, buffers: dict[tuple[int, ...], v.Buffer], prefix: tuple[int, ...] = ()) -> Value:
    if isinstance(t, TupleType):
        parts = tuple(_tuple_of_vars(e, buffers, (*prefix, k)) for k, e in enumerate(t.elems))
        return Pack(t, parts)
    b = buffers[prefix]
    return Variable(b.name, b.scalar)


def _show(f: FunDecl) -> str:
    from lift.dsl.printer import show

    return show(f)
