"""The OpenCL backend as the mapping model sees it (:class:`lift.solve.backend.Backend`): the kernel of a
candidate mapping is generated and its barriers decided — the rules on index expressions — and nothing is
printed or launched."""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Mapping as AbcMapping

from lift.dsl.ir import Fun
from lift.errors import MappingError
from lift.ocl.kernel import build
from lift.ocl.lower import lower
from lift.ocl.plan import barriers_in
from lift.ocl.stages import stages_of
from lift.solve.mapping import Mapping

__all__ = ["OPENCL", "OpenCLBackend"]


class OpenCLBackend:
    """Decides a mapping by building its kernel (generation and barrier insertion; no C is printed)."""

    def refusal(
        self,
        prog: Fun,
        sizes: AbcMapping[str, int] | None,
        mapping: Mapping,
        *,
        answers: dict[Hashable, object],
    ) -> MappingError | None:
        try:
            for low in _kernels(prog, sizes, mapping):
                build(low, sizes, answers=answers)
        except MappingError as err:
            return err
        return None

    def barrier_count(self, prog: Fun, sizes: AbcMapping[str, int] | None, mapping: Mapping) -> int:
        return sum(len(barriers_in(build(low, sizes).body)) for low in _kernels(prog, sizes, mapping))


def _kernels(prog: Fun, sizes: AbcMapping[str, int] | None, mapping: Mapping) -> list[Fun]:
    """The low-level program of each kernel ``prog`` runs as for ``mapping``."""
    stages = stages_of(prog, mapping, sizes)
    return [lower(prog, mapping, sizes=sizes)] if stages is None else [stage.lowered for stage in stages]


OPENCL = OpenCLBackend()
"""The backend ``lift`` installs for the mapping model."""
