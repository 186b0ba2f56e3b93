"""Descriptions of devices, so that a mapping model can be built for a device that is not present.

``solve`` sits above ``ocl`` in the flow and never imports it: a pyopencl device is read through the attribute
names pyopencl gives it, and the words of ``LIFT_DEVICE`` (``"pocl"``, an index, …) are turned into a device
by the chooser the package installs when ``lift`` is imported (``lift.ocl.device.select_device``), as it
installs the mapping model's backend (:mod:`lift.solve.backend`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lift.errors import DeviceError, LiftInternalError

__all__ = ["DEFAULT_DEVICE", "MALI_G72", "DeviceDescription", "describe", "install_device_chooser"]


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


DeviceChooser = Callable[[Any], Any]
"""Turns the words of ``LIFT_DEVICE`` (a name fragment, an alias, an index) into a pyopencl device."""

_CHOOSER: list[DeviceChooser] = []

_DEVICE_ATTRIBUTES = ("name", "max_work_group_size", "local_mem_size")
"""What ``describe`` reads of a device: the names pyopencl's ``Device`` gives these properties."""


def install_device_chooser(choose: DeviceChooser) -> None:
    """Make ``choose`` the function ``describe`` asks to turn device words into a device (``lift``'s
    ``__init__`` installs ``lift.ocl.device.select_device`` once, at import)."""
    _CHOOSER[:] = [choose]


def describe(device: Any = None) -> DeviceDescription:
    """A description of ``device``: a ``DeviceDescription`` as is, a pyopencl device or the words of
    ``LIFT_DEVICE`` read from the device, or ``DEFAULT_DEVICE`` for ``None``."""
    if device is None:
        return DEFAULT_DEVICE
    if isinstance(device, DeviceDescription):
        return device
    if isinstance(device, str | int):  # words or an index: the installed chooser finds the device
        if not _CHOOSER:
            raise LiftInternalError(
                f"device {device!r}: no device chooser is installed to find it: import lift (which installs "
                "lift.ocl.device.select_device), or pass a pyopencl device or a DeviceDescription"
            )
        device = _CHOOSER[0](device)
    missing = [a for a in _DEVICE_ATTRIBUTES if not hasattr(device, a)]
    if missing:
        raise DeviceError(
            f"device: expected a DeviceDescription, a pyopencl device, a name or an index, found "
            f"{type(device).__name__} {device!r} (it has no {', '.join(missing)})"
        )
    return DeviceDescription(device.name.strip(), int(device.max_work_group_size), int(device.local_mem_size))
