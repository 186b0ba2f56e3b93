"""The sources that ship, each defined once in its module (see :mod:`lift.dsl.source`): importing this package
registers them."""

from lift.dsl.sources.filled import Filled, value

__all__ = ["Filled", "value"]
