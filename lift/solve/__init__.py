"""The Z3 mapping model: every valid way to map a program onto an OpenCL device, and why others are invalid."""

from lift.solve.device import DEFAULT_DEVICE, MALI_G72, DeviceDescription
from lift.solve.lowered import choices_of
from lift.solve.mapping import Mapping
from lift.solve.model import Explanation, MappingSpace, TuningSpace, mappings

__all__ = [
    "DEFAULT_DEVICE",
    "MALI_G72",
    "DeviceDescription",
    "Explanation",
    "Mapping",
    "MappingSpace",
    "TuningSpace",
    "choices_of",
    "mappings",
]
