"""The exception hierarchy of lift-ir.

Every error says what went wrong, where (the combinator, the parameter, the rule), and how to fix it.
"""

from __future__ import annotations

__all__ = ["LiftError", "LiftTypeError", "MappingError", "UserFunError"]


class LiftError(Exception):
    """Base class of every error lift-ir raises on purpose."""


class LiftTypeError(LiftError, TypeError):
    """An ill-typed or ill-shaped program, or arguments that contradict a program's types.

    The message names the combinator (or parameter), the expected and the found types or sizes, and the
    constraint that failed, written as a formula.
    """


class UserFunError(LiftTypeError):
    """A user function whose Python body cannot be translated to OpenCL C (names the file, line and construct)."""


class MappingError(LiftError):
    """An invalid mapping of a program onto the OpenCL thread hierarchy or memory; lists the violated rules.

    ``rule`` names the rule broken (when one is known) and ``labels`` the maps whose choices decide it, so that
    the mapping model can exclude every mapping that makes the same choices for them.
    """

    def __init__(self, message: str, *, rule: str | None = None, labels: frozenset[str] = frozenset()) -> None:
        super().__init__(message)
        self.rule = rule
        self.labels = labels
