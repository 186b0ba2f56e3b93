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

from collections.abc import Callable, Iterator, Sequence
from collections.abc import Mapping as AbcMapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TypeVar, cast

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
    Param,
    Reduce,
    ToMem,
    UserFun,
    Zip,
    computes,
    output_space,
)
from lift.dsl.layout import Layout
from lift.dsl.layouts import Split
from lift.dsl.layouts.vector import AsScalar, AsVector
from lift.dsl.levels import Level
from lift.dsl.printer import show
from lift.dsl.source import Source
from lift.errors import LiftError, LiftInternalError, LiftLimitError
from lift.ocl import views as v
from lift.ocl.codegen_data import constant, scalars, tuple_of_vars, variables
from lift.ocl.codegen_funs import (
    MAX_UNROLLED_ITERATIONS,
    fusable_map,
    holds,
    is_scalar_function,
    parallel_extents,
    result_type,
    steps,
)
from lift.ocl.codegen_steps import Copy, Step, StoreAt
from lift.ocl.inplace import buffers_of, same_memory, updates_in_place
from lift.ocl.names import KernelNames, c_name, c_userfun, kernel_names, rename_sizes
from lift.ocl.plan import (
    Block,
    Call,
    Declare,
    For,
    Guard,
    Loop,
    Stmt,
    Value,
    Variable,
    accesses_of,
    type_of,
)
from lift.ocl.write_through import written_through
from lift.solve.rules import (
    BACKEND_SUPPORT,
    CONSTANT_SIZE_LOCAL_PRIVATE,
    LOCAL_INSIDE_WORK_GROUPS,
    PARALLEL_OUTSIDE_SEQUENTIAL,
)
from lift.types.arith import ArithExpr, Cst, Var
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, VectorType, sizes_of, vector
from lift.types.lanewise import lanewise

__all__ = ["MAX_UNROLLED_ITERATIONS", "Generated", "generate"]

_LOOP_NAMES = {"glb": "gid", "wrg": "wg", "lcl": "lid", "seq": "i"}

R = TypeVar("R")


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
    padded: int = 0
    """How many local arrays of rows have padded rows (the ``lpad`` value)."""

    def c_sizes(self, sizes: AbcMapping[str, int]) -> dict[str, int]:
        """Size values by the program's names → the same values by the kernel's C names (for evaluating the
        kernel's extents and buffer sizes, and for its size arguments)."""
        return {c: sizes[name] for name, c in self.size_names.items() if name in sizes}


def generate(
    prog: Fun, *, name: str | None = None, local_sizes: AbcMapping[int, int] | None = None, local_padding: int = 0
) -> Generated:
    """Generate the kernel plan of a lowered program (``prog`` is type-checked here). Every name the kernel
    prints is checked and given its C name first (:mod:`lift.ocl.names`): a user's name is never printed as
    given. ``local_sizes`` are the work-group sizes fixed at compile time, by dimension: a ``map_lcl`` loop as long
    as its dimension's local size is a single index (``int lid0 = get_local_id(0);``), not a strided loop.
    ``local_padding`` elements follow each row of a local array of rows (see :attr:`lift.ocl.views.MemView.row_padding`)."""
    names = kernel_names(prog, name)
    return _Generator(rename_sizes(prog, names.sizes), names, dict(local_sizes or {}), local_padding).run()


class _Generator:
    def __init__(self, prog: Fun, names: KernelNames, local_sizes: dict[int, int], local_padding: int) -> None:
        self.typed = prog.typed
        self.prog: Fun = self.typed.program
        self.name = names.kernel
        self.names = names
        self.local_sizes = local_sizes  # fixed work-group sizes, by dimension
        self.local_padding = local_padding  # elements after each row of a local array of rows
        self.taken: set[str] = set(names.taken())  # the generator's own names come second
        self.userfun_of: dict[str, UserFun] = {}  # C name -> the user function as written
        self.env: dict[str, v.View] = {}
        self.loops: list[Loop] = []
        self.blocks: list[list[Stmt]] = [[]]
        self.out = Generated(names.kernel, Block(), [], [], [], [], {}, [], [], {}, dict(names.sizes))
        self.structs: list[TupleType] = []
        # the steps that depend on the kind of node, one method per kind (see the classes below)
        self.value = _Values(self)
        self.view = _Views(self)
        self.into = _Into(self)
        self.apply_into = _ApplyInto(self)
        self.inline = _Inline(self)
        self.copy = Copy(self)
        self.store_at = StoreAt(self)

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

    @contextmanager
    def bound(self, params: Sequence[Param], views: Sequence[v.View]) -> Iterator[None]:
        """Parameters bound to views while a function's body is generated (the outer bindings restored after)."""
        saved = self.env
        self.env = {**saved, **{p.name: a for p, a in zip(params, views)}}
        try:
            yield
        finally:
            self.env = saved

    # ---- entry -------------------------------------------------------------------------------------
    def run(self) -> Generated:
        self.out.size_vars = sorted({x.name for t in self.prog.param_types for n in sizes_of(t) for x in n.free_vars()})
        for p, t in zip(self.prog.params, self.prog.param_types):
            buffers = []
            pairs = []
            base = self.names.params[p.name]
            for path, scalar in scalars(t):
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
        for path, scalar in scalars(result):
            suffix = "".join(f"_{k}" for k in path)
            part = f" (component {', '.join(map(str, path))})" if path else ""
            size = v.scalar_count(result, path)
            buf = v.Buffer(self.fresh(f"out{suffix}"), scalar, "global", size, "output", f"the program's result{part}")
            self.out.outputs.append(buf)
            out_pairs.append((path, buf))
        self.out.extents = parallel_extents(self.prog)
        dest = v.MemView(result, tuple(out_pairs))
        self.into(self.prog.body, dest)
        self.out.body = Block(tuple(self.blocks[0]))
        self.out.structs = self.structs
        self.out.taken = frozenset(self.taken)
        return self.out

    def literal(self, e: Literal) -> Value:
        assert e.type is not None
        return constant(e.type, e.value)

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
                    f"{holds(where)}: local memory is shared by a work-group, so the computation writing it must "
                    "run inside map_wrg"
                )
        else:
            slots = []
        slot: ArithExpr = Cst(0)
        per_slot: ArithExpr = Cst(1)
        for lp in slots:
            slot = slot * lp.extent + lp.var
            per_slot = per_slot * lp.extent
        padding = self.row_padding(t) if space == "local" and per_slot == Cst(1) else 0
        base = self.fresh("tmp" if space == "global" else f"{space[0]}tmp" if space != "private" else "ptmp")
        in_variables = space == "private" and not isinstance(t, ArrayType)  # a private scalar or tuple
        pairs = []
        for path, scalar in (variables if in_variables else scalars)(t):
            suffix = "".join(f"_{k}" for k in path)
            size = v.scalar_count(t, path) * per_slot
            if padding:
                row = t.array_shape[-1]
                size = size // row * (row + padding)
            buf = v.Buffer(f"{base}{suffix}", scalar, space, size, "temp", holds(where))
            pairs.append((path, buf))
            if space == "global":
                self.out.temps.append(buf)
            elif not isinstance(size, Cst):
                raise CONSTANT_SIZE_LOCAL_PRIVATE.refuse(
                    f"{holds(where)}: its {space} array would have {size} elements; {space} arrays need a "
                    "constant size: pass sizes={...} to lift.compile"
                )
            elif space == "local":
                self.out.locals.append(Declare(buf.name, scalar, space="local", size=size))
            elif in_variables:
                self.emit(Declare(buf.name, scalar))
            else:
                self.emit(Declare(buf.name, scalar, size=size))
        if in_variables:
            if len(pairs) == 1:
                return v.ValueView(Variable(pairs[0][1].name, pairs[0][1].scalar))
            return v.ValueView(tuple_of_vars(t, dict(pairs)))
        return v.MemView(t, tuple(pairs), slot, padding)

    def row_padding(self, t: DataType) -> int:
        """The padding of a local array of rows (at least two array dimensions): the ``lpad`` value,
        counted in :attr:`Generated.padded` (0 for any other array)."""
        if self.local_padding and len(t.array_shape) >= 2:
            self.out.padded += 1
            return self.local_padding
        return 0

    def store(self, dest: v.View, value: Value, t: DataType) -> None:
        """``dest = value`` for a scalar or tuple ``t`` (tuples component by component)."""
        self.store_at(dest.access([]), dest, value, t, ())

    # ---- computing into a destination --------------------------------------------------------------
    def iterate_into(self, f: Iterate, arg: Expr, dest: v.View) -> None:
        """``iterate(k, g)``: ``g`` applied ``k`` times, unrolled; each step but the last writes a temporary in
        the space ``g`` asks for, two temporaries of one type taking turns (the barrier analysis orders a step's
        writes after the previous step's reads), the last step writes ``dest``."""
        if f.k > MAX_UNROLLED_ITERATIONS:
            raise LiftLimitError(
                f"{show(f)}: the OpenCL backend unrolls iterate over a computing function, up to "
                f"{MAX_UNROLLED_ITERATIONS} steps; split it (iterate(a, iterate(b, f)) with a*b = {f.k} still "
                "unrolls) or run the steps as separate programs"
            )
        src = self.value(arg)
        t = arg.type
        assert t is not None
        if f.k == 0:
            self.copy(t, src, dest)  # no step: the result is the argument
            return
        turns: dict[DataType, list[v.View]] = {}
        space = output_space(f.f)
        for step, (g, t_in, out_t) in enumerate(steps(f, t)):
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
                if level == "lcl":
                    once = extent == Cst(self.local_sizes.get(dim, 0))  # one thread per iteration
                else:
                    once = all(x == extent for x in extents)
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

    def reduction(self, f: Reduce, e: FunCall, dest: v.View) -> None:
        acc_t = f.init.type
        assert acc_t is not None
        if isinstance(acc_t, ArrayType):
            result = dest.at(Cst(0))
            acc = self.accumulated(f, e, result)
            if acc is not result:
                self.copy(acc_t, acc, result)
            return
        element = self.reduced_elements(f, e)
        name = self.fresh("acc")
        init = self.value(f.init).access([])
        self.emit(Declare(name, self.declare_type(acc_t), init))
        acc_ref = Variable(name, acc_t)
        with self.loop("seq", 0, self.reduced_length(e), "") as j:
            value = self.inline(f.f, [v.ValueView(acc_ref), element(j)])
            self.store(v.ValueView(acc_ref), value, acc_t)
        self.store(dest.at(Cst(0)), acc_ref, acc_t)

    @staticmethod
    def reduced_length(e: FunCall) -> ArithExpr:
        t = e.args[0].type
        assert isinstance(t, ArrayType)
        return t.size

    def reduced_elements(self, f: Reduce, e: FunCall) -> Callable[[ArithExpr], v.View]:
        """The view of the reduced array's element ``j`` (a fused map's element computed where it is read)."""
        if not f.seq:
            raise LiftInternalError("reduce: lower the program first (reductions compile as reduce_seq)")
        (arg,) = e.args
        fused = fusable_map(arg)
        if fused is not None:
            # Lift's reduceSeq ∘ mapSeq fusion: the map's elements are computed where the reduction reads them
            g, producer = fused
            inner = self.value(producer)
            return lambda j: v.ValueView(self.inline(g, [inner.at(j)]))
        src = self.value(arg)
        return lambda j: src.at(j)

    def accumulated(self, f: Reduce, e: FunCall, dest: v.View | None) -> v.View:
        """``reduce_seq`` with an array accumulator (Lift's ``allocReduce``): the view of the memory holding the
        final value. The accumulator is the initial value's own memory when the initial value is computed here
        (``value(…) >> map_lcl(to_private(…))`` puts each thread's part where it asks), ``dest`` when the initial
        value already lies there (a reduction continuing an enclosing one's accumulator in place), and otherwise
        a private copy of it. Each step computes ``f(acc, x)`` straight into that memory when
        :func:`~lift.ocl.inplace.updates_in_place` proves it safe; otherwise into a second array, copied back."""
        acc_t = f.init.type
        step = f.f
        assert isinstance(acc_t, ArrayType) and isinstance(step, Lambda) and len(step.params) == 2
        element = self.reduced_elements(f, e)
        init = self.value(f.init)
        if dest is not None and same_memory(init, dest, acc_t):
            acc = dest
        elif isinstance(f.init, FunCall) and computes(f.init.f):
            acc = init  # memory computed for this reduction alone
        else:
            acc = self.allocate(acc_t, "private", f)
            self.copy(acc_t, init, acc)
        buffers = buffers_of(acc, acc_t)
        with self.loop("seq", 0, self.reduced_length(e), "") as j:
            temps, locals_ = len(self.out.temps), len(self.out.locals)
            self.blocks.append([])
            with self.bound(step.params, [acc, element(j)]):
                self.into(step.body, acc)
            update = Block(tuple(self.blocks.pop()))
            if buffers and updates_in_place(update, buffers):
                for stmt in update.stmts:
                    self.emit(stmt)
            else:
                # the in-place attempt is dropped with the memory it asked for
                del self.out.temps[temps:], self.out.locals[locals_:]
                new = self.allocate(acc_t, "private", f)
                with self.bound(step.params, [acc, element(j)]):
                    self.into(step.body, new)
                self.copy(acc_t, new, acc)
        return acc

    def materialised(self, e: FunCall) -> v.View:
        """The memory holding the value of a computing call: a reduction with an array accumulator is that
        accumulator (as its one-element result); anything else is computed into memory of its own, in the
        address space the call asks for."""
        f = e.f
        assert e.type is not None
        if isinstance(f, Reduce) and isinstance(f.init.type, ArrayType):
            acc_t = f.init.type
            return v.LayoutView(self.accumulated(f, e, None), Split(acc_t.size), acc_t)
        dest = self.allocate(e.type, output_space(f), f)
        self.into(e, dest)
        return dest

    def call(self, e: FunCall) -> Value:
        """A scalar user-function call (or a lambda of them) as a value."""
        if isinstance(e.f, UserFun) and all(a.type is None or a.type.vector_lanes() == 1 for a in e.args):
            self.use(e.f)  # its definition comes before those its arguments call (applied to vectors: see _Inline)
        return self.inline(e.f, [self.value(a) for a in e.args])

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


class _Values(Step[v.View]):
    """The view of an expression, materialising computed data in memory where needed."""

    covers = (Expr,)

    def map_param(self, e: Param) -> v.View:
        if e.name not in self.gen.env:
            raise LiftError(f"internal: unbound parameter {e.name}")
        return self.gen.env[e.name]

    def map_literal(self, e: Literal) -> v.View:
        return v.ValueView(self.gen.literal(e))

    def map_source(self, e: Source) -> v.View:
        return v.SourceView(lambda indices: self.gen.literal(e.element(indices)))

    def map_fun_call(self, e: FunCall) -> v.View:
        gen, f = self.gen, e.f
        assert e.type is not None
        if is_scalar_function(f):
            return v.ValueView(gen.call(e))
        if not computes(f) or isinstance(f, Lambda):
            # a rearrangement is a view; a lambda applied is a let: its body's computations are placed where
            # they ask to be
            return gen.view(f, [gen.value(a) for a in e.args], [a.type for a in e.args], e)
        return gen.materialised(e)


ArgViews = list[v.View]
ArgTypes = list[DataType]
Guards = tuple[Guard, ...]


class _Views(Step[v.View]):
    """The view of a data-rearranging function applied to argument views (of the given types; ``e`` is the
    call, when there is one)."""

    covers = (FunDecl,)

    def map_lambda(self, f: Lambda, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        with self.gen.bound(f.params, args):
            return self.gen.value(f.body)

    def map_zip(self, f: Zip, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        t = e.type if e is not None else None
        assert isinstance(t, ArrayType) and isinstance(t.elem, TupleType)
        return v.ZipView(tuple(args), t.elem)

    def map_get(self, f: Get, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        (a,) = args
        return a.at(v.Component(f.i))

    def map_id(self, f: Id, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        (a,) = args
        return a

    def map_iterate(self, f: Iterate, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        (a,), (t,) = args, types
        for g, t_in, _ in steps(f, t):
            a = self.gen.view(g, [a], [t_in], None)
        return a

    def map_layout(self, f: Layout, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        (a,), (t,) = args, types
        assert isinstance(t, ArrayType), f"{f} on {t}"
        return v.LayoutView(a, f, t)

    def map_as_vector(self, f: AsVector, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        (a,), (t,) = args, types
        return v.VectorsView(a, vector(cast(ScalarType, cast(ArrayType, t).elem), f.lanes))

    def map_as_scalar(self, f: AsScalar, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        (a,), (t,) = args, types
        return v.LanesView(a, cast(ArrayType, t).elem.vector_lanes())

    def map_map(self, f: Map, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        (a,), (t,) = args, types
        assert isinstance(t, ArrayType), f"{f} on {t}"
        return v.FunView(a, lambda x, g=f.f, et=t.elem: self.gen.view(g, [x], [et], None))  # type: ignore[misc]

    def computing(self, f: FunDecl, args: ArgViews, types: ArgTypes, e: Expr | None) -> v.View:
        """A function that computes is never a view."""
        raise BACKEND_SUPPORT.refuse(f"{show(f)}: cannot be compiled as a view (it computes, but no rule says how)")

    map_user_fun = map_reduce = map_to_mem = computing


class _Into(Step[None]):
    """The statements that compute an expression into a destination (a call: by its function, with the call)."""

    covers = (Expr, FunDecl)

    def map_fun_call(self, e: FunCall, dest: v.View) -> None:
        self(e.f, e, dest)

    def copied_value(self, e: Expr, dest: v.View) -> None:
        """The expression's value, copied into the destination element by element."""
        assert e.type is not None
        self.gen.copy(e.type, self.gen.value(e), dest)

    def map_to_mem(self, f: ToMem, e: FunCall, dest: v.View) -> None:
        self.gen.into(FunCall(f.f, e.args, e.type), dest)

    def map_map(self, f: Map, e: FunCall, dest: v.View) -> None:
        if computes(f.f):
            self.gen.map_loop(f, e, dest)
        else:
            self.rearranged(f, e, dest)

    def map_reduce(self, f: Reduce, e: FunCall, dest: v.View) -> None:
        self.gen.reduction(f, e, dest)

    def map_id(self, f: Id, e: FunCall, dest: v.View) -> None:
        assert e.type is not None
        self.gen.copy(e.type, self.gen.value(e.args[0]), dest)

    def map_iterate(self, f: Iterate, e: FunCall, dest: v.View) -> None:
        if computes(f):
            self.gen.iterate_into(f, e.args[0], dest)
        else:
            self.copied(f, e, dest)

    def map_lambda(self, f: Lambda, e: FunCall, dest: v.View) -> None:
        if not computes(f):
            self.rearranged(f, e, dest)
            return
        with self.gen.bound(f.params, [self.gen.value(a) for a in e.args]):
            self.gen.into(f.body, dest)

    def map_zip(self, f: Zip, e: FunCall, dest: v.View) -> None:
        # zip(a, b) is written in place: each array into its component of the destination
        for k, part in enumerate(e.args):
            self.gen.into(part, v.UnzipView(dest, k))

    def rearranged(self, f: FunDecl, e: FunCall, dest: v.View) -> None:
        """A rearrangement of a computed value written in place: its argument is computed straight into the
        destination seen through it (:func:`~lift.ocl.write_through.written_through`), or copied when it cannot
        be written through or its argument is not computed here."""
        target = None
        if len(e.args) == 1 and isinstance(e.args[0], FunCall) and e.args[0].type is not None:
            target = written_through(f, e.args[0].type, dest)
        if target is None:
            self.copied(f, e, dest)
        else:
            self.gen.into(e.args[0], target)

    map_layout = rearranged

    def map_as_scalar(self, f: AsScalar, e: FunCall, dest: v.View) -> None:
        # the vectors are written where their lanes go: the destination seen as vectors
        (arg,) = e.args
        assert arg.type is not None
        self.gen.into(arg, v.VectorsView(dest, cast(VectorType, cast(ArrayType, arg.type).elem)))

    def map_as_vector(self, f: AsVector, e: FunCall, dest: v.View) -> None:
        # the scalars are written as lanes of the destination's vectors
        self.gen.into(e.args[0], v.LanesView(dest, f.lanes))

    def copied(self, f: FunDecl, e: FunCall, dest: v.View) -> None:
        """The call's value, copied into the destination."""
        self.copied_value(e, dest)

    map_user_fun = map_get = copied
    map_param = map_literal = map_source = copied_value


class _ApplyInto(Step[None]):
    """``dest = g(element)`` for a function ``g`` applied to an element of the given type."""

    covers = (FunDecl,)

    def map_lambda(self, g: Lambda, element: v.View, elem_t: DataType, dest: v.View) -> None:
        with self.gen.bound(g.params[:1], [element]):
            self.gen.into(g.body, dest)

    def map_user_fun(self, g: UserFun, element: v.View, elem_t: DataType, dest: v.View) -> None:
        self.gen.store(dest, self.gen.inline(g, [element]), g.result_type)

    def called(self, g: FunDecl, element: v.View, elem_t: DataType, dest: v.View) -> None:
        """A pattern: its call on the element, computed into the destination."""
        p = Param(self.gen.fresh("e"))
        self.gen.env[p.name] = element
        call = FunCall(g, (Param(p.name, elem_t),), None).replace(type=result_type(g, elem_t))
        self.gen.into(call, dest)

    map_map = map_reduce = map_zip = map_get = map_iterate = map_id = map_to_mem = map_layout = called


class _Inline(Step[Value]):
    """The value of ``g(args…)`` for a scalar-valued function, printed inline as a C expression (no memory)."""

    covers = (FunDecl,)

    def map_user_fun(self, g: UserFun, args: ArgViews) -> Value:
        if len(args) == 1 and len(g.param_names) > 1:  # one tuple for a function of several parameters
            args = [args[0].at(v.Component(k)) for k in range(len(g.param_names))]
        values = tuple(a.access([]) for a in args)
        _, width = lanewise(g.name, g.param_types, [type_of(x) for x in values])
        if width == 1:
            return Call(self.gen.use(g), values, g.result_type)
        # applied to vectors: its vector version, lane by lane (the same source, typed with vectors)
        params = tuple(vector(cast(ScalarType, p), width) for p in g.param_types)
        result = vector(cast(ScalarType, g.result_type), width)
        lanes = UserFun(g.name, g.param_names, params, result, g.source, g.filename, g.first_line)
        return Call(self.vector_version(lanes), values, lanes.result_type)

    def vector_version(self, f: UserFun) -> str:
        """The C name of ``f``, the vector version of a user function, whose definition the kernel prints (named
        after the scalar one and the width: ``add_f32x4``)."""
        gen = self.gen
        known = [name for name, g in gen.userfun_of.items() if g == f]
        if known:
            return known[0]
        name = gen.derived(f"{gen.names.userfuns[f.name]}_{f.result_type}")
        gen.userfun_of[name] = f
        gen.out.userfuns[name] = c_userfun(f, name)
        return name

    def map_lambda(self, g: Lambda, args: ArgViews) -> Value:
        with self.gen.bound(g.params, args):
            return self.gen.value(g.body).access([])

    def refused(self, g: FunDecl, args: ArgViews) -> Value:
        """A pattern computes arrays, which no C expression holds."""
        raise BACKEND_SUPPORT.refuse(f"{show(g)}: a reduction's function must be a user function or a lambda of them")

    map_map = map_reduce = map_zip = map_get = map_iterate = map_id = map_to_mem = map_layout = refused
