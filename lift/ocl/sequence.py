"""A program compiled to several kernels: launched in order on one queue, temporaries kept on the device.

The mapping model cuts a program where work-groups would have to wait for each other (:mod:`lift.solve.kernels`);
:mod:`lift.ocl.stages` makes one program of each part. A :class:`KernelSequence` holds their kernels and runs
them as one callable with the interface of a :class:`~lift.ocl.kernel.Kernel`: the arguments are checked and
copied to the device once, each kernel reads the program's inputs and the temporaries earlier kernels wrote,
and only the last kernel's result comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lift.dsl.bind import bind_arguments
from lift.dsl.ir import Fun
from lift.errors import LiftError, LiftTypeError
from lift.ocl import device as dev
from lift.ocl.kernel import Kernel, Profile, _assemble, download, upload
from lift.ocl.stages import Stage
from lift.solve.mapping import Mapping

__all__ = ["KernelSequence"]


class KernelSequence:
    """A program run as several kernels: ``k.kernels`` (each a :class:`~lift.ocl.kernel.Kernel` with its source,
    mapping, sizes and ``completes``: what it finishes before the next starts), ``k.source`` (all of them),
    ``k.mapping`` (the whole program's), ``k(*arrays)``, ``k.profile(*arrays, repeat=…)`` and ``k.extra_bytes``."""

    def __init__(
        self,
        program: Fun,
        kernels: tuple[Kernel, ...],
        stages: tuple[Stage, ...],
        mapping: Mapping,
        sizes: dict[str, int],
    ) -> None:
        self.program = program
        """The program as written."""
        self.kernels = kernels
        """Its kernels, in launch order."""
        self.stages = stages
        """The stage programs the kernels were compiled from (:class:`lift.ocl.stages.Stage`)."""
        self.mapping = mapping
        """The mapping, with its cuts."""
        self.sizes = sizes
        self.source = "\n".join(
            f"// kernel {k + 1} of {len(kernels)}: completes {kernel.completes}\n{kernel.source}"
            for k, kernel in enumerate(kernels)
        )
        """Every kernel's OpenCL C source, in launch order."""

    @property
    def name(self) -> str:
        """The program's name (each kernel has its own: ``k.kernels[i].name``)."""
        return self.program.name

    @property
    def barriers(self) -> list[Any]:
        """The barriers of every kernel, in launch order."""
        return [b for k in self.kernels for b in k.barriers]

    @property
    def global_size(self) -> None:
        """Each kernel has its own: see ``k.kernels[i].global_size``."""
        return None

    @property
    def local_size(self) -> None:
        """Each kernel has its own: see ``k.kernels[i].local_size``."""
        return None

    @property
    def extra_bytes(self) -> int | None:
        """Device bytes beyond the inputs and outputs: the temporaries passed between kernels and those each kernel
        allocates itself, at the compiled sizes (``None`` when sizes are left symbolic)."""
        if any(k.extra_bytes is None for k in self.kernels):
            return None
        between = sum(
            sum(k.output_bytes({})) for k, stage in zip(self.kernels, self.stages) if stage.output is not None
        )
        return between + sum(k.extra_bytes or 0 for k in self.kernels)

    def check_memory(self, sizes: dict[str, int] | None = None, *, host_inputs: bool = False) -> None:
        """Refuse (:class:`~lift.errors.LiftLimitError`) a launch whose kernels' buffers do not fit the device or
        whose result does not fit the host (see :meth:`lift.ocl.kernel.Kernel.check_memory`)."""
        for k in self.kernels:
            k.check_memory(sizes, host_inputs=host_inputs)

    def _run(self, arrays: tuple[Any, ...], repeat: int) -> tuple[Any, list[float], list[list[float]]]:
        values, sizes = bind_arguments(self.program.typed, arrays)
        for name, n in self.sizes.items():
            if sizes.get(name, n) != n:
                raise LiftTypeError(
                    f"{self.name}: the kernels were compiled for {name} = {n}, but the arguments have {name} = {sizes[name]}"
                )
        env = {**self.sizes, **sizes}
        self.check_memory(sizes)
        queue = dev.queue_for(dev.select_device(self.kernels[0]._device_spec))
        # each parameter copied once, with the element types of the kernel that reads it
        buffers: dict[str, list[Any]] = {}
        for name, value in zip((p.name for p in self.program.params), values):
            for k in self.kernels:
                entry = next((e for e in k._gen.inputs if e[0] == name), None)
                if entry is not None:
                    buffers[name] = upload(queue, value, entry[1], entry[2])
                    break
        launches: list[Callable[[], Any]] = []
        outputs: list[Any] = []
        for k, stage in zip(self.kernels, self.stages):
            outputs = k.allocate_outputs(queue, env)
            launches.append(k.prepare(queue, buffers, outputs, env))
            if stage.output is not None:
                buffers[stage.output] = outputs
        totals: list[float] = []
        each: list[list[float]] = [[] for _ in self.kernels]
        for _ in range(repeat):
            events = [launch() for launch in launches]
            events[-1].wait()
            totals.append((events[-1].profile.end - events[0].profile.start) * 1e-9)
            for times, event in zip(each, events):
                times.append((event.profile.end - event.profile.start) * 1e-9)
        last = self.kernels[-1]
        c_env = last._gen.c_sizes(env)
        hosts = [download(queue, b, buf, c_env) for b, buf in zip(last._gen.outputs, outputs)]
        queue.finish()
        return _assemble(hosts, self.program.type.result, env), totals, each

    def __call__(self, *arrays: Any) -> Any:
        """Run every kernel on ``arrays`` (the conventions of ``lift.interpret``) and return the result."""
        result, _, _ = self._run(arrays, 1)
        return result

    def profile(self, *arrays: Any, repeat: int = 10) -> Profile:
        """Device times of ``repeat`` launches of the whole sequence (``times``: first kernel's start to last
        kernel's end) and of each kernel (``kernels``); the first launch included: warm up yourself."""
        if repeat < 1:
            raise LiftError("profile(repeat=…): repeat must be at least 1")
        _, totals, each = self._run(arrays, repeat)
        return Profile(tuple(totals), tuple((k.name, tuple(t)) for k, t in zip(self.kernels, each)))

    def __repr__(self) -> str:
        cuts = ", ".join(k.completes for k in self.kernels[:-1])
        return f"KernelSequence({self.name}, {len(self.kernels)} kernels, cut after {cuts})"
