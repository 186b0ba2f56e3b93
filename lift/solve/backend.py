"""What the mapping model asks of a backend: whether the rules on index expressions accept a mapping.

The structural rules are the model's own (:mod:`lift.solve.rules`); the rules that need a kernel's index
expressions — no synchronisation between work-groups, a barrier reached by every thread, one writer per
element, private data read by its own thread — are decided by the backend that builds the kernel. ``solve``
sits above ``ocl`` in the flow and never imports it: the backend is handed in (``MappingSpace(…,
backend=…)``), and the package installs the OpenCL backend as the default when ``lift`` is imported.
"""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Mapping as AbcMapping
from typing import Protocol

from lift.dsl.ir import Fun
from lift.errors import LiftInternalError, MappingError
from lift.solve.mapping import Mapping

__all__ = ["Backend", "default_backend", "install_default_backend"]


class Backend(Protocol):
    """A backend the mapping model can ask about the rules on index expressions."""

    def refusal(
        self,
        prog: Fun,
        sizes: AbcMapping[str, int] | None,
        mapping: Mapping,
        *,
        answers: dict[Hashable, object],
    ) -> MappingError | None:
        """``None`` when the backend builds a correct kernel of ``prog`` for ``mapping``, else why not (with the
        rule and the maps that decide it). ``answers`` is the model's table of answers to the backend's questions
        for this program and sizes, shared between its candidates."""
        ...

    def barrier_count(self, prog: Fun, sizes: AbcMapping[str, int] | None, mapping: Mapping) -> int:
        """How many barriers the kernel of ``prog`` for a valid ``mapping`` executes in its text."""
        ...


_DEFAULT: list[Backend] = []


def install_default_backend(backend: Backend) -> None:
    """Make ``backend`` the one a :class:`~lift.solve.model.MappingSpace` uses when given none (``lift``'s
    ``__init__`` installs the OpenCL backend once, at import)."""
    _DEFAULT[:] = [backend]


def default_backend() -> Backend:
    """The installed default backend."""
    if not _DEFAULT:
        raise LiftInternalError(
            "no backend is installed for the mapping model: import lift (which installs the OpenCL backend) or "
            "pass MappingSpace(..., backend=...)"
        )
    return _DEFAULT[0]
