"""The Z3 mapping model: every valid way to map a program onto an OpenCL device, and why others are invalid.

Time limits of the solver (``set_timeout``, ``time_limits``, ``limits``) live in ``lift.types.smt`` and are
re-exported here: every query of the model runs under them.
"""

from lift.solve.device import DEFAULT_DEVICE, MALI_G72, DeviceDescription
from lift.solve.lowered import choices_of
from lift.solve.mapping import Mapping
from lift.solve.model import Explanation, MappingSpace, TuningSpace, mappings
from lift.types.smt import TimeLimits, limits, set_timeout, time_limits

__all__ = [
    "DEFAULT_DEVICE",
    "MALI_G72",
    "DeviceDescription",
    "Explanation",
    "Mapping",
    "MappingSpace",
    "TimeLimits",
    "TuningSpace",
    "choices_of",
    "limits",
    "mappings",
    "set_timeout",
    "time_limits",
]
