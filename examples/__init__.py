"""The bundled examples under their short name, for a checkout: ``import examples``, ``examples.load("dot")``,
``python -m examples.dot N=4096``, ``python -m examples --test-sizes``.

The examples live in the package as :mod:`lift.examples` (so an installed ``lift`` has them too); this package
re-exports its helpers, and each ``examples.NAME`` module is the very module ``lift.examples.NAME`` (one program
object, one ``reference``: a test that patches one patches the other).
"""

import sys
from types import ModuleType

from lift.examples import NAMES, check, demo, load, max_relative_error, parse_sizes, uniform

__all__ = ["NAMES", "check", "demo", "load", "max_relative_error", "parse_sizes", "uniform"]


def stand_in(name: str, spec: object) -> None:
    """Called by the shim module ``examples.X`` with its ``__name__`` and ``__spec__``: imported, the shim becomes
    ``lift.examples.X`` in ``sys.modules`` (the import system returns that entry); run with ``python -m
    examples.X``, it runs the example's demo."""
    example: ModuleType = load(str(getattr(spec, "name", "")).rpartition(".")[2])
    if name == "__main__":
        example.main()
    else:
        sys.modules[name] = example
