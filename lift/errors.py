"""The exception hierarchy of lift-ir.

Every error says what went wrong, where (the combinator, the parameter, the rule), and how to fix it::

    LiftError                       anything lift-ir raises on purpose about its input
    ├── LiftTypeError (TypeError)   an ill-typed program, or arguments that contradict its types
    │   └── UserFunError            a user function that cannot be translated to OpenCL C
    ├── LiftValueError (ValueError) a bad value: a size, a device word, a launch size, an option
    │   └── SerializationError      a JSON document that does not describe a valid program
    ├── MappingError                an invalid mapping (names the violated rules)
    ├── RewriteError                a refused rewrite (names the rule, the site and the condition that fails)
    ├── DeviceError                 no usable OpenCL device, or a build/launch the device refuses
    └── LiftLimitError              a request beyond a stated limit (nesting depth, memory, iterations)
        └── LiftTimeoutError        a solver query that ran past its time limit (TimeoutError)

    LiftInternalError               a bug in lift-ir itself (not a LiftError: the input was fine)
"""

from __future__ import annotations

__all__ = [
    "DeviceError",
    "LiftError",
    "LiftInternalError",
    "LiftLimitError",
    "LiftTimeoutError",
    "LiftTypeError",
    "LiftValueError",
    "MappingError",
    "RewriteError",
    "SerializationError",
    "UserFunError",
]


class LiftError(Exception):
    """Base class of every error lift-ir raises on purpose."""


class LiftTypeError(LiftError, TypeError):
    """An ill-typed or ill-shaped program, or arguments that contradict a program's types.

    The message names the combinator (or parameter), the expected and the found types or sizes, and the
    constraint that failed, written as a formula.
    """


class UserFunError(LiftTypeError):
    """A user function whose Python body cannot be translated to OpenCL C (names the file, line and construct)."""


class LiftValueError(LiftError, ValueError):
    """A value lift-ir cannot accept: a size that is not a positive integer, an unknown device word, launch
    sizes that do not fit the program, an option out of range. The message names the argument, what was
    expected and what was found."""


class SerializationError(LiftValueError):
    """A JSON document that does not describe a valid program: names the path in the document (``$.body.f``),
    what was expected there and what was found. Nothing in a refused document is ever run or printed as code."""


class MappingError(LiftError):
    """An invalid mapping of a program onto the OpenCL thread hierarchy or memory; lists the violated rules.

    ``rule`` names the rule broken (when one is known) and ``labels`` the maps whose choices decide it, so that
    the mapping model can exclude every mapping that makes the same choices for them. ``uses`` lists parallel
    levels (``"glb1"``) the verdict also depends on being in use by *some* map of the kernel (an access outside
    every loop of a used dimension is made by every thread along it): the refusal then covers every mapping that
    makes the same choices for ``labels`` and uses each of them.
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str | None = None,
        labels: frozenset[str] = frozenset(),
        uses: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.labels = labels
        self.uses = uses


class RewriteError(LiftError):
    """A rewrite rule refused at a site: it does not match there, one of its side conditions fails, or the
    result would change the program's type or need a size fact the program does not guarantee. ``rule`` and
    ``site`` name where; ``condition`` names the failing side condition (empty when the pattern did not match or
    the result was refused)."""

    def __init__(self, message: str, *, rule: str, site: str, condition: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.site = site
        self.condition = condition


class DeviceError(LiftError):
    """No usable OpenCL device, or a device that refuses to build or launch a kernel (with its log)."""


class LiftLimitError(LiftError):
    """A request beyond a stated limit: a program nested deeper than lift-ir handles, sizes whose buffers do
    not fit the device or host memory, too many iterations. The message states the limit and how to stay
    under it."""


class LiftTimeoutError(LiftLimitError, TimeoutError):
    """A solver query that ran past its time limit. ``query`` names it; the message says how to narrow the
    space (fix some choices, bind sizes) or raise the limit (``lift.solve.set_timeout``)."""

    def __init__(self, message: str, *, query: str = "") -> None:
        super().__init__(message)
        self.query = query


class LiftInternalError(Exception):
    """A failure inside lift-ir that no input should cause: a bug to report, never a user error."""
