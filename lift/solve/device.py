"""Descriptions of devices, so that a mapping model can be built for a device that is not present."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_DEVICE", "MALI_G72", "DeviceDescription", "describe"]


@dataclass(frozen=True)
class DeviceDescription:
    """The limits of a device that constrain mappings and tuning values."""

    name: str
    """A name for messages."""
    max_work_group_size: int
    """The largest number of threads in a work-group."""
    local_mem_size: int
    """Bytes of local memory per work-group."""
    max_private_elements: int = 64
    """The most scalars a thread may keep in private arrays (registers; more spills or, on CPU runtimes, can
    exhaust the stack)."""


MALI_G72 = DeviceDescription("Mali-G72 (the paper's device)", 384, 32 * 1024)
"""The ARM Mali-G72 MP12 of the CC'22 paper's artifact: work-groups of at most 384 threads, 32 KiB of local memory."""

DEFAULT_DEVICE = DeviceDescription("generic OpenCL GPU", 256, 32 * 1024)
"""A conservative device: what most OpenCL GPUs allow."""


def describe(device: Any = None) -> DeviceDescription:
    """A description of ``device``: a ``DeviceDescription`` as is, a pyopencl device or the words of
    ``LIFT_DEVICE`` read from the device, or ``DEFAULT_DEVICE`` for ``None``."""
    if device is None:
        return DEFAULT_DEVICE
    if isinstance(device, DeviceDescription):
        return device
    from lift.ocl.device import select_device

    d = select_device(device)
    return DeviceDescription(d.name.strip(), int(d.max_work_group_size), int(d.local_mem_size))
