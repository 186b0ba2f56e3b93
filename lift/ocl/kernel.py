"""``lift.compile``: a program and a mapping become a ``Kernel`` — OpenCL C source, launch geometry, and a
callable that checks its arguments, runs on a device and returns numpy results.

Launch geometry (the documented default, overridable by ``values``): a ``glb`` dimension gets as many threads
as the longest map on it; a ``wrg`` dimension as many work-groups as the longest map on it; a ``lcl``
dimension's local size is the largest divisor of its longest map that fits the device's work-group limit
(``values={"ls0": 64}`` chooses it), so that its loops have the same trip count in every thread.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lift.dsl.bind import bind_arguments, check_sizes
from lift.dsl.ir import Fun, Map, Node, Stride, map_labels, transform, walk
from lift.dsl.layout import Layout
from lift.dsl.mapper import NodeMapper
from lift.dsl.source import Source
from lift.errors import LiftError, LiftTimeoutError, LiftTypeError, LiftValueError, MappingError
from lift.ocl import device as dev
from lift.ocl import launch
from lift.ocl.barriers import Answers, insert_barriers
from lift.ocl.bounds import check_bounds, check_long_range, wide_index_vars
from lift.ocl.codegen import Generated, generate
from lift.ocl.codegen_funs import Extents, parallel_extents
from lift.ocl.lower import lower, runs_in_one_work_item
from lift.ocl.passes import (
    guard_spare_threads,
    hoist_invariant_indices,
    unflatten_loops,
    unroll_register_loops,
    widen_indices,
)
from lift.ocl.plan import Barrier, Block, accesses_in, barriers_in, loops_in
from lift.ocl.printer import Printer
from lift.ocl.private_slices import slice_private_arrays
from lift.ocl.stages import Stage, cuts_of_hand_lowered, stages_of
from lift.solve.mapping import Mapping
from lift.solve.rules import LEVELS_GO_TOGETHER, NDRANGE_DIMENSIONS
from lift.types.arith import ArithExpr, Cst, Max, Min
from lift.types.data import ArrayType, DataType, ScalarType, TupleType, VectorType, map_sizes

if TYPE_CHECKING:
    from lift.ocl.sequence import KernelSequence

__all__ = ["Built", "Kernel", "Profile", "build", "check_levels", "compile_program", "specialise"]


def specialise(prog: Fun, sizes: AbcMapping[str, int]) -> Fun:
    """``prog`` with size variables replaced by constants (types and combinator arguments)."""
    values = {k: Cst(int(n)) for k, n in sizes.items()}

    def subs(n: ArithExpr) -> ArithExpr:
        return n.subs(values)

    body = transform(prog.body, _WithSizes(subs))
    types = tuple(map_sizes(t, subs) for t in prog.param_types)
    return Fun(prog.params, body, prog.name, types)  # type: ignore[arg-type]


class _WithSizes(NodeMapper[Node | None]):
    """A node with its own sizes replaced by ``fn``'s values; ``None`` for a node with no size of its own (the
    walk rebuilds it around its specialised children)."""

    def __init__(self, fn: Callable[[ArithExpr], ArithExpr]) -> None:
        self.fn = fn
        """The substitution of one size."""

    def map_layout(self, n: Layout) -> Node:
        return n.with_sizes(self.fn)

    def map_source(self, n: Source) -> Node:
        return n.with_sizes(self.fn)

    def map_stride(self, n: Stride) -> Node:
        return Stride(self.fn(n.s))

    def map_node(self, n: Node) -> None:
        return None


@dataclass(frozen=True)
class Profile:
    """Device times of repeated launches (seconds, from OpenCL profiling events)."""

    times: tuple[float, ...]
    """Every launch's device time (for several kernels: from the first one's start to the last one's end)."""
    kernels: tuple[tuple[str, tuple[float, ...]], ...] = ()
    """For a program of several kernels: each kernel's name with its own device time at every launch."""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)


def compile_program(
    prog: Fun,
    sizes: AbcMapping[str, int] | None = None,
    mapping: Mapping | None = None,
    values: AbcMapping[str, int] | None = None,
    device: Any = None,
    *,
    check_model: bool = False,
) -> Kernel | KernelSequence:
    """Compile ``prog`` (see :func:`lift.compile`). ``check_model`` first checks an explicit ``mapping``, or the
    mapping a hand-lowered program makes, against the mapping model's structural rules (the model's own
    candidates skip it: they satisfy them by construction)."""
    if not isinstance(prog, Fun):
        raise LiftTypeError(f"compile: expected a program made with @fun, found {type(prog).__name__}")
    _ = prog.type  # type errors first
    sizes = check_sizes(sizes, "compile") or None  # positive 64-bit integers, or a LiftValueError
    hand_lowered = mapping is None and lower(prog) is prog
    if hand_lowered:
        mapping = cuts_of_hand_lowered(prog, sizes, device)  # a program written in parts: where the model cuts it
    elif mapping is None:
        mapping = _model_choice(prog, sizes, device)
        if mapping is None:
            # no valid mapping (a reduction outside every map, say): the whole program in one work-item
            return _compile_lowered(prog, lower(prog, single_thread=True), sizes, values, device)
    stages = stages_of(prog, mapping, sizes) if mapping is not None else None
    if stages is not None:  # several kernels: cut where the mapping says, whole-array reductions apart
        if check_model:
            _check_against_model(prog, sizes, mapping, device)
        if len(stages) == 1:  # a whole-array reduction that one work-group finishes: one kernel
            kernel = _compile_lowered(prog, stages[0].lowered, sizes, values, device)
            kernel.chosen = mapping
            return kernel
        return _compile_stages(prog, mapping, stages, sizes, values, device)  # type: ignore[arg-type]
    low = lower(prog, mapping, sizes=sizes)  # reports labels the mapping misses or does not know
    if check_model:
        _check_against_model(prog, sizes, mapping, device)
    kernel = _compile_lowered(prog, low, sizes, values, device)
    if mapping is not None and set(mapping.levels) - {label for _, label in map_labels(prog)}:
        kernel.chosen = mapping  # levels of reductions the lowered program no longer shows
    return kernel


def _compile_stages(
    prog: Fun,
    mapping: Mapping,
    stages: tuple[Stage, ...],
    sizes: AbcMapping[str, int] | None,
    values: AbcMapping[str, int] | None,
    device: Any,
) -> KernelSequence:
    """One kernel per stage, each given the tuning values that apply to it (a value no kernel can use is refused
    as for one kernel)."""
    from lift.ocl.sequence import KernelSequence

    values = dict(values or {})
    per_stage: list[dict[str, int]] = []
    for stage in stages:
        specialised = specialise(stage.lowered, sizes) if sizes else stage.lowered
        used = frozenset(parallel_extents(specialised.typed.program))
        applies = {}
        for name, value in values.items():
            try:
                launch.check_value_names({name: value}, used)
            except LiftValueError:
                continue
            applies[name] = value
        per_stage.append(applies)
    for name, value in values.items():
        if not any(name in applies for applies in per_stage):
            specialised = specialise(stages[0].lowered, sizes) if sizes else stages[0].lowered
            launch.check_value_names({name: value}, frozenset(parallel_extents(specialised.typed.program)))
    kernels = []
    for stage, applies in zip(stages, per_stage):
        k = _compile_lowered(stage.program, stage.lowered, sizes, applies, device)
        k.completes = stage.completes
        kernels.append(k)
    return KernelSequence(prog, tuple(kernels), stages, mapping, dict(sizes or {}))


def _check_against_model(prog: Fun, sizes: AbcMapping[str, int] | None, mapping: Mapping | None, device: Any) -> None:
    """Refuse a mapping that breaks the mapping model's structural rules, as ``lift.explain`` names them (the
    rules on index expressions are checked while the kernel is built). ``None``: the program's own mapping."""
    from lift.solve.lowered import choices_of
    from lift.solve.model import MappingSpace

    if mapping is None:
        choices = choices_of(prog)
    elif runs_in_one_work_item(mapping):
        return  # the model's rules are about parallel maps: one work-item running everything breaks none
    else:
        choices = {**mapping.levels, **{f"space:{label}": space for label, space in mapping.spaces.items()}}
        choices |= {f"cut:{label}": "yes" for label in mapping.cuts}
    # Lift's search heuristics prune valid mappings: a mapping asked for explicitly is only held to the rules
    space = MappingSpace(prog, sizes, device, heuristics=False)
    broken = space.violations(choices)
    if broken:
        shown = ", ".join(f"{k}={v}" for k, v in choices.items())
        rules = "\n".join(f"- {r.name}: {r.sentence}" for r in broken)
        raise MappingError(
            f"{prog.name}: the mapping {shown} breaks the mapping model's rules:\n{rules}\n"
            "lift.explain(prog, choices) says the same for partial choices; lift.mappings(prog, sizes).sample(k) "
            "lists valid mappings",
            rule=broken[0].name,
        )


def compile_unsynchronised(
    prog: Fun, sizes: AbcMapping[str, int] | None, mapping: Mapping, device: Any = None
) -> Kernel:
    """``prog`` compiled for ``mapping`` with no barriers and no race checks: for showing, under Oclgrind, the
    race that makes a rejected mapping invalid. Never use it to compute."""
    return _compile_lowered(prog, lower(prog, mapping), sizes, None, device, synchronise=False)


def _model_choice(prog: Fun, sizes: AbcMapping[str, int] | None, device: Any) -> Mapping | None:
    """The default policy: the mapping model's most parallel valid mapping (``MappingSpace.best()``); ``None``
    (one work-item) when there is none, or when the model runs past its time limit (not cached: a later call
    with a higher limit may answer)."""
    from lift.solve.device import describe

    try:
        return _best_mapping(prog, tuple(sorted((sizes or {}).items())), describe(device))
    except LiftTimeoutError:
        return None


@functools.lru_cache(maxsize=128)
def _best_mapping(prog: Fun, sizes: tuple[tuple[str, int], ...], device: Any) -> Mapping | None:
    from lift.solve.model import MappingSpace

    try:
        return MappingSpace(prog, dict(sizes), device).best("parallelism")
    except MappingError:
        return None


def _compile_lowered(
    prog: Fun,
    low: Fun,
    sizes: AbcMapping[str, int] | None,
    values: AbcMapping[str, int] | None,
    device: Any,
    *,
    synchronise: bool = True,
) -> Kernel:
    values = dict(values or {})
    specialised = specialise(low, sizes) if sizes else low  # specialised once: build is given it as it is
    extents = parallel_extents(specialised.typed.program)
    launch.check_value_names(values, frozenset(extents))  # before anything is built from them
    local_sizes = _fixed_local_sizes(extents, values)
    padding = int(values.get("lpad", 0))
    built = build(specialised, None, synchronise=synchronise, local_sizes=local_sizes, local_padding=padding)
    gen, body = built.generated, built.body
    if padding and not gen.padded:
        raise LiftValueError(
            f"values: lpad = {padding} pads the rows of local arrays of rows, but {prog.name} has none; leave it out"
        )
    values.update({f"ls{d}": n for d, n in local_sizes.items()})  # the launch uses the sizes the loops assume
    check_bounds(gen, built.facts)
    body = slice_private_arrays(body, per_thread=_per_thread_variables(body, local_sizes))
    # the passes that change how the kernel is spelled, never what it touches
    wide = wide_index_vars(gen)
    body = guard_spare_threads(body, dims=launch.guarded_dims(values, frozenset(gen.extents)))
    body = widen_indices(body, variables=wide)
    body = unflatten_loops(body, taken=gen.taken)
    body = hoist_invariant_indices(body, taken=gen.taken | {s.var for s in loops_in(body)}, wide=wide)
    body = unroll_register_loops(body)
    # OpenCL C's min(int, long) is ambiguous: with 64-bit indices, index min/max take long operands
    symbolic = bool(gen.size_vars)
    printer = Printer("long" if symbolic or (wide and _uses_minmax(gen)) else "")
    return Kernel(prog, low, gen, body, dict(sizes or {}), values, device, printer)


@dataclass(frozen=True)
class Built:
    """A lowered program's kernel with its barriers: everything that decides whether the mapping is valid."""

    generated: Generated
    """The generated kernel (its accesses and loops)."""
    body: Block
    """Its body with the barriers it needs."""
    facts: tuple[Any, ...]
    """The size facts the index analysis assumed."""


def _per_thread_variables(body: Block, local_sizes: AbcMapping[int, int]) -> dict[str, tuple[str, int]]:
    """The variables of the parallel loops that run at most once per thread (a thread per iteration, or a
    ``map_lcl`` no longer than its fixed work-group size), with their level and dimension."""
    return {
        s.var: (s.loop.level, s.loop.dim)
        for s in loops_in(body)
        if s.loop.at.is_parallel
        and (
            s.once
            or (s.loop.level == "lcl" and isinstance(s.stop, Cst) and s.stop.value <= local_sizes.get(s.loop.dim, 0))
        )
    }


def _fixed_local_sizes(extents: Extents, values: AbcMapping[str, int]) -> dict[int, int]:
    """The work-group sizes fixed at compile time (:func:`lift.ocl.launch.fixed_local_sizes`) for the parallel maps'
    ``extents``."""
    lengths = {
        dim: [n.value if isinstance(n, Cst) else None for n in lcl]
        for (level, dim), lcl in extents.items()
        if level == "lcl"
    }
    return launch.fixed_local_sizes(lengths, values)


def build(
    low: Fun,
    sizes: AbcMapping[str, int] | None,
    *,
    synchronise: bool = True,
    answers: Answers | None = None,
    local_sizes: AbcMapping[int, int] | None = None,
    local_padding: int = 0,
) -> Built:
    """Generate the kernel of ``low`` and insert its barriers: raises :class:`MappingError` for a mapping the
    rules on index expressions refuse. ``answers`` shares the answers to conflict questions between the kernels
    of one program (see :data:`lift.ocl.barriers.Answers`); ``local_sizes`` are work-group sizes fixed at compile
    time (by dimension), ``local_padding`` the elements after each row of a local array of rows."""
    specialised = specialise(low, sizes) if sizes else low
    _check_dimensions(specialised)
    gen = generate(specialised, local_sizes=local_sizes, local_padding=local_padding)
    check_levels(gen.extents)
    facts = tuple(specialised.typed.constraints)
    body = gen.body
    if synchronise:
        body = insert_barriers(gen, facts=facts, answers=answers)
    check_long_range(gen)
    return Built(gen, body, facts)


def check_levels(extents: AbcMapping[tuple[str, int], Any]) -> None:
    """The parallel levels a kernel uses go together: no ``map_glb`` with ``map_wrg``/``map_lcl``, and a
    ``map_lcl`` only where a ``map_wrg`` of its dimension is used."""
    if any(level == "glb" for level, _ in extents) and any(level in ("wrg", "lcl") for level, _ in extents):
        raise LEVELS_GO_TOGETHER.refuse(
            "a kernel cannot mix map_glb with map_wrg/map_lcl (the thread ids would conflict)"
        )
    for level, dim in extents:
        if level == "lcl" and ("wrg", dim) not in extents:
            raise LEVELS_GO_TOGETHER.refuse(f"map_lcl(dim={dim}) needs an enclosing map_wrg(dim={dim})")


def _uses_minmax(gen: Generated) -> bool:
    return any(
        isinstance(x, (Min, Max))
        for a in accesses_in(gen.body)
        for e in (a.index, *(b for g in a.guards for b in (g.value, g.lo, g.hi)))
        for x in _subexpressions(e)
    )


def _subexpressions(e: ArithExpr) -> list[ArithExpr]:
    return [e, *(x for c in e.children() for x in _subexpressions(c))]


def _check_dimensions(low: Fun) -> None:
    """Every parallel map of a lowered program names an NDRange dimension 0, 1 or 2."""
    for n in walk(low):
        if isinstance(n, Map) and n.level in ("glb", "wrg", "lcl") and n.dim not in (0, 1, 2):
            raise NDRANGE_DIMENSIONS.refuse(
                f"{n.name or 'a map'}: map_{n.level}(dim={n.dim}) names NDRange dimension {n.dim}; OpenCL has "
                "dimensions 0, 1 and 2"
            )


class Kernel:
    """A compiled program: ``k.source``, ``k.mapping``, ``k.global_size``, ``k.local_size``, ``k(*arrays)``,
    ``k.profile(*arrays, repeat=…)``."""

    def __init__(
        self,
        program: Fun,
        lowered: Fun,
        gen: Generated,
        body: Block,
        sizes: dict[str, int],
        values: dict[str, int],
        device: Any,
        printer: Printer | None = None,
    ) -> None:
        self.program = program
        """The program as written."""
        self.lowered = lowered
        """The low-level program compiled."""
        self.sizes = sizes
        self.values = values
        self._gen = gen
        self._body = body
        self._device_spec = device
        self._printer = printer or Printer()
        self._check_values()
        self.source = self._print()
        """The OpenCL C source."""

    # ---- source ------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._gen.name

    @property
    def mapping(self) -> Mapping:
        """The levels and spaces of the program's maps (a program run in one work-item has every map ``seq``;
        maps the lowering adds, the one-work-item wrapper or a final copy, are not the program's and are left
        out, so that the mapping compiles the same kernel again)."""
        from lift.dsl.ir import Map, ToMem, map_labels, name_maps, walk

        if self.chosen is not None:
            return self.chosen
        own = {label for _, label in map_labels(name_maps(self.program))}

        levels: dict[str, str] = {}
        spaces: dict[str, str] = {}
        for n in walk(self.lowered):
            if isinstance(n, ToMem) and isinstance(n.f, Map) and n.f.name:
                spaces[n.f.name] = n.space
            if isinstance(n, Map) and n.name and n.level:
                levels[n.name] = str(n.at)
        if set(levels) - own:
            levels = {label: level for label, level in levels.items() if label in own}
            spaces = {label: space for label, space in spaces.items() if label in own}
        return Mapping(levels, spaces)

    @property
    def kernels(self) -> tuple[Kernel, ...]:
        """The kernels the program runs as: this one (see :class:`lift.ocl.sequence.KernelSequence` for several)."""
        return (self,)

    chosen: Mapping | None = None
    """The mapping this kernel was compiled for, where the lowered program cannot tell it (a whole-array
    reduction's level, a map fused into it)."""

    completes: str = "result"
    """What this kernel completes: ``result``, or for a kernel of a sequence the label of the computation after
    which the program is cut (``map0``, ``reduce0.parts``)."""

    @property
    def extra_bytes(self) -> int | None:
        """Device bytes beyond the inputs and outputs (global temporaries) at the compiled sizes; ``None`` when
        sizes are left symbolic."""
        return None if self._size_args() else self.temporary_bytes({})

    @property
    def barriers(self) -> list[Barrier]:
        """The barriers in the kernel, in order."""
        return barriers_in(self._body)

    def _print(self) -> str:
        from lift.dsl.userfun_syntax import struct_definition

        g = self._gen
        lines = [f"// generated by lift-ir from {self.program.name}"]
        if any(b.scalar.name == "f64" for b in self._all_buffers()):
            lines.append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable")
        for t in g.structs:
            lines.append(struct_definition(t))
        for uf in g.userfuns.values():
            lines.append(uf.translated.c_definition.rstrip())
        params = []
        for _, _, buffers in g.inputs:
            params += [f"const global {b.scalar.c_name}* restrict {b.name}" for b in buffers]
        params += [f"global {b.scalar.c_name}* {b.name}" for b in g.outputs]
        params += [f"global {b.scalar.c_name}* {b.name}" for b in g.temps]
        # sizes are 64-bit: a size, or an index computed from it, may pass 2**31
        params += [f"long {s}" for s in self._size_args()]
        lines.append(f"kernel {self._work_group_attribute()}void {g.name}({', '.join(params)})")
        lines.append("{")
        lines.extend(self._printer.block(Block(tuple(g.locals))))
        lines.extend(self._printer.block(self._body))
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _work_group_attribute(self) -> str:
        """``__attribute__((reqd_work_group_size(…)))`` when the work-group size is fixed at compile time (every
        ``map_lcl`` dimension has its ``ls`` value): the compiler may then size loops and registers for it."""
        lcl_dims = {d for level, d in self._gen.extents if level == "lcl"}
        if not lcl_dims or any(f"ls{d}" not in self.values for d in lcl_dims):
            return ""
        sizes = ", ".join(str(int(self.values.get(f"ls{d}", 1))) for d in range(3))
        return f"__attribute__((reqd_work_group_size({sizes}))) "

    def _all_buffers(self) -> list[Any]:
        g = self._gen
        return [b for _, _, bs in g.inputs for b in bs] + g.outputs + g.temps

    def _size_args(self) -> list[str]:
        return list(self._gen.size_vars)  # by C name; sizes fixed at compile time were substituted already

    # ---- launch geometry ---------------------------------------------------------------------------
    def _check_values(self) -> None:
        if self.values and not self._size_args():
            self.launch_config({})  # every size is known: refuse bad values now rather than at the first launch

    def _once(self) -> frozenset[tuple[str, int]]:
        """The parallel (level, dim) pairs whose loops run one iteration per thread or work-group, unstrided."""
        return frozenset((s.loop.level, s.loop.dim) for s in loops_in(self._gen.body) if s.once)

    def launch_config(self, sizes: AbcMapping[str, int]) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
        """The global and local sizes for the given size variables (checked: see :mod:`lift.ocl.launch`)."""
        env = self._gen.c_sizes({**self.sizes, **sizes})  # the kernel's expressions use C names
        extents = {key: max(x.evaluate(env) for x in xs) for key, xs in self._gen.extents.items()}
        limits = launch.DeviceLimits.of(dev.select_device(self._device_spec))
        shape = launch.geometry(extents, self._once(), self.values, limits)
        return shape.global_size, shape.local_size

    @property
    def global_size(self) -> tuple[int, ...] | None:
        """The global size, when the sizes were given at compile time."""
        return self.launch_config({})[0] if not self._size_args() else None

    @property
    def local_size(self) -> tuple[int, ...] | None:
        """The local size (None lets the driver choose), when the sizes were given at compile time."""
        return self.launch_config({})[1] if not self._size_args() else None

    # ---- running -----------------------------------------------------------------------------------
    def _bind(self, arrays: tuple[Any, ...]) -> tuple[list[Any], dict[str, int]]:
        """Check the arguments (dtype, rank, shape, size facts) before anything is launched."""
        values, sizes = bind_arguments(self.program.typed, arrays)
        for name, n in self.sizes.items():
            if sizes.get(name, n) != n:
                raise LiftTypeError(
                    f"{self.name}: the kernel was compiled for {name} = {n}, "
                    f"but the arguments have {name} = {sizes[name]}"
                )
        return values, sizes

    def check_memory(self, sizes: AbcMapping[str, int] | None = None, *, host_inputs: bool = False) -> None:
        """Refuse (:class:`~lift.errors.LiftLimitError`, with the numbers) a launch at ``sizes`` whose buffers do
        not fit the device's global memory or its largest allocation, or whose results do not fit the host's
        free memory (with ``host_inputs``, the inputs too: for a caller that has yet to create them)."""
        env = self._gen.c_sizes({**self.sizes, **(sizes or {})})
        device = dev.select_device(self._device_spec)

        def nbytes(buffers: list[Any]) -> dict[str, int]:
            return {b.name: b.size.evaluate(env) * b.scalar.dtype.itemsize for b in buffers}

        inputs = nbytes([b for _, _, bs in self._gen.inputs for b in bs])
        outputs = nbytes(self._gen.outputs)
        host = sum(outputs.values()) + (sum(inputs.values()) if host_inputs else 0)
        device_buffers = {**inputs, **outputs, **nbytes(self._gen.temps)}
        launch.check_memory(device_buffers, host, launch.DeviceLimits.of(device), launch.host_available_bytes())

    def _launch(self, arrays: tuple[Any, ...], repeat: int) -> tuple[Any, list[float]]:
        values, sizes = self._bind(arrays)
        self.check_memory(sizes)
        queue = dev.queue_for(dev.select_device(self._device_spec))
        env = {**self.sizes, **sizes}
        inputs = {name: upload(queue, value, t, buffers) for (name, t, buffers), value in zip(self._gen.inputs, values)}
        outputs = self.allocate_outputs(queue, env)
        launch_ = self.prepare(queue, inputs, outputs, env)
        times = []
        for _ in range(repeat):
            event = launch_()
            event.wait()
            times.append((event.profile.end - event.profile.start) * 1e-9)
        hosts = [download(queue, b, buf, self._gen.c_sizes(env)) for b, buf in zip(self._gen.outputs, outputs)]
        queue.finish()
        return _assemble(hosts, self.program.type.result, env), times

    # ---- the pieces of a launch, shared with a sequence of kernels (lift.ocl.sequence) ---------------------
    def output_bytes(self, env: AbcMapping[str, int]) -> list[int]:
        """The bytes of each of the kernel's outputs (one per leaf, in order) at the sizes ``env``."""
        c_env = self._gen.c_sizes({**self.sizes, **env})
        return [b.size.evaluate(c_env) * b.scalar.dtype.itemsize for b in self._gen.outputs]

    def allocate_outputs(self, queue: Any, env: AbcMapping[str, int]) -> list[Any]:
        """Device buffers for the kernel's outputs at the sizes ``env`` (one per output leaf, in order)."""
        return [device_buffer(queue, n) for n in self.output_bytes(env)]

    def input_names(self) -> list[str]:
        """The parameters the kernel reads, in argument order."""
        return [name for name, _, _ in self._gen.inputs]

    def temporary_bytes(self, env: AbcMapping[str, int]) -> int:
        """The bytes of the global temporaries the kernel allocates itself at the sizes ``env``."""
        c_env = self._gen.c_sizes({**self.sizes, **env})
        return sum(b.size.evaluate(c_env) * b.scalar.dtype.itemsize for b in self._gen.temps)

    def prepare(
        self, queue: Any, inputs: AbcMapping[str, list[Any]], outputs: list[Any], env: AbcMapping[str, int]
    ) -> Callable[[], Any]:
        """A function that enqueues the kernel (and returns its event) reading ``inputs`` (device buffers by
        parameter name, one per leaf) and writing ``outputs``, at the sizes ``env``; its own temporaries are
        allocated once, here."""
        import pyopencl as cl

        env = {**self.sizes, **env}
        global_size, local_size = self.launch_config(env)
        device = queue.device
        program = dev.build(device, self.source)
        c_env = self._gen.c_sizes(env)  # the kernel's expressions and size arguments use C names
        args: list[Any] = [buf for name in self.input_names() for buf in inputs[name]]
        args += outputs
        for b in self._gen.temps:
            args.append(device_buffer(queue, b.size.evaluate(c_env) * b.scalar.dtype.itemsize))
        args += [np.int64(c_env[s]) for s in self._size_args()]
        kernel = cl.Kernel(program, self.name)

        def enqueue() -> Any:
            # the arguments stay referenced here: a buffer collected while the kernel holds it is freed under it
            kernel.set_args(*args)
            return cl.enqueue_nd_range_kernel(queue, kernel, global_size, local_size)

        return enqueue

    def __call__(self, *arrays: Any) -> Any:
        """Run on ``arrays`` (same conventions as ``lift.interpret``) and return the result."""
        result, _ = self._launch(arrays, 1)
        return result

    def profile(self, *arrays: Any, repeat: int = 10) -> Profile:
        """Device times of ``repeat`` launches on ``arrays`` (the first launch included: warm up yourself)."""
        if repeat < 1:
            raise LiftError("profile(repeat=…): repeat must be at least 1")
        _, times = self._launch(arrays, repeat)
        return Profile(tuple(times))

    def __repr__(self) -> str:
        return f"Kernel({self.name}, {self.mapping})"


def upload(queue: Any, value: Any, t: DataType, buffers: list[Any]) -> list[Any]:
    """Read-only device copies of an argument's leaves (one per buffer of the parameter)."""
    import pyopencl as cl

    out = []
    for b, leaf in zip(buffers, _leaves(value, t)):
        data = np.ascontiguousarray(leaf, dtype=b.scalar.dtype)
        flags = cl.mem_flags.READ_ONLY | cl.mem_flags.COPY_HOST_PTR
        out.append(cl.Buffer(queue.context, flags, hostbuf=data if data.size else np.zeros(1, data.dtype)))
    return out


def device_buffer(queue: Any, nbytes: int) -> Any:
    """A read-write device buffer of ``nbytes`` (at least one)."""
    import pyopencl as cl

    return cl.Buffer(queue.context, cl.mem_flags.READ_WRITE, max(nbytes, 1))


def download(queue: Any, b: Any, buf: Any, c_env: AbcMapping[str, int]) -> np.ndarray:
    """The host copy of the output buffer ``b`` held in the device buffer ``buf``."""
    import pyopencl as cl

    host = np.empty(b.size.evaluate(c_env), dtype=b.scalar.dtype)
    if host.size:
        cl.enqueue_copy(queue, host, buf)
    return host


def _leaves(value: Any, t: DataType) -> list[Any]:
    if isinstance(value, tuple):
        return [leaf for v in value for leaf in _leaves(v, t)]
    return [value]


def _assemble(outputs: list[np.ndarray], t: DataType, env: dict[str, int]) -> Any:
    """The result arrays in the type's shape (a tuple of arrays for an array of tuples)."""
    return _Assembled(list(outputs), env)(t, ())


class _Assembled(NodeMapper[Any]):
    """The next result arrays shaped as a value of a type, inside arrays of the dimensions ``shape``: an array
    type adds its size to them, a tuple type is a tuple of its components' results, a scalar takes one array."""

    covers = (DataType,)

    def __init__(self, outputs: list[np.ndarray], env: dict[str, int]) -> None:
        self.remaining = outputs
        """The result arrays not yet taken, in order."""
        self.env = env
        """The sizes' values."""

    def map_array_type(self, t: ArrayType, shape: tuple[int, ...]) -> Any:
        return self(t.elem, (*shape, t.size.evaluate(self.env)))

    def map_tuple_type(self, t: TupleType, shape: tuple[int, ...]) -> Any:
        return tuple(self(e, shape) for e in t.elems)

    def map_scalar_type(self, t: ScalarType, shape: tuple[int, ...]) -> Any:
        return self.remaining.pop(0).reshape(shape)

    def map_vector_type(self, t: VectorType, shape: tuple[int, ...]) -> Any:
        return self.remaining.pop(0).reshape((*shape, t.lanes))  # the lanes: a trailing axis, as interpreted
