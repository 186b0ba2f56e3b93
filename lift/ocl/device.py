"""Choosing an OpenCL device, and the contexts, queues and built programs cached per device.

``LIFT_DEVICE`` (or the ``device`` argument) takes ``pocl``, ``oclgrind``, ``nvidia``, a fragment of a
platform or device name, or an index into :func:`list_devices`. With none: a GPU if one is visible, else
PoCL's CPU device.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lift.errors import LiftError

__all__ = ["DeviceInfo", "build", "list_devices", "queue_for", "select_device"]

_ALIASES = {"pocl": "portable computing language", "oclgrind": "oclgrind", "nvidia": "nvidia", "cuda": "nvidia"}

NO_DEVICE_HELP = (
    'no OpenCL device found. PoCL\'s CPU device comes with `pip install "pyopencl[pocl]"` (a dependency of '
    "lift-ir); a vendor driver that is installed but not registered can be registered with a vendors file, e.g. "
    "`mkdir -p icd && echo /usr/lib/libnvidia-opencl.so.1 > icd/nvidia.icd && export OCL_ICD_VENDORS=$PWD/icd`"
)


@dataclass(frozen=True)
class DeviceInfo:
    """One OpenCL device as listed by :func:`list_devices`."""

    index: int
    platform: str
    name: str
    kind: str
    max_work_group_size: int
    local_mem_size: int


def _cl() -> Any:
    import pyopencl as cl

    return cl


def _devices() -> list[Any]:
    cl = _cl()
    try:
        platforms = cl.get_platforms()
    except cl.Error:
        return []
    out = []
    for p in platforms:
        try:
            out.extend(p.get_devices())
        except cl.Error:
            continue
    return out


def _kind(flags: int) -> str:
    cl = _cl()
    kinds = [k for k in ("GPU", "CPU", "ACCELERATOR") if flags & getattr(cl.device_type, k)]
    return "/".join(kinds) or "other"


def list_devices() -> list[DeviceInfo]:
    """Every visible OpenCL device."""
    return [
        DeviceInfo(
            k,
            d.platform.name,
            d.name.strip(),
            _kind(d.type),
            d.max_work_group_size,
            d.local_mem_size,
        )
        for k, d in enumerate(_devices())
    ]


def select_device(device: Any = None) -> Any:
    """The pyopencl device for ``device`` (a device, a name, an index) or ``LIFT_DEVICE``, else the default."""
    cl = _cl()
    if isinstance(device, cl.Device):
        return device
    spec = device if device is not None else os.environ.get("LIFT_DEVICE") or None
    devices = _devices()
    if not devices:
        raise LiftError(NO_DEVICE_HELP)
    if spec is None:
        gpus = [d for d in devices if d.type & cl.device_type.GPU]
        if gpus:
            return gpus[0]
        pocl = [d for d in devices if "portable" in d.platform.name.lower()]
        return (pocl or devices)[0]
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        k = int(spec)
        if not 0 <= k < len(devices):
            raise LiftError(f"device index {k} is out of range: {len(devices)} device(s); see `python -m lift devices`")
        return devices[k]
    if not isinstance(spec, str):
        raise LiftError(f"device: expected a pyopencl device, a name or an index, found {type(spec).__name__}")
    needle = _ALIASES.get(spec.lower(), spec.lower())
    for d in devices:
        if needle in d.platform.name.lower() or needle in d.name.lower():
            return d
    names = "; ".join(f"{k}: {d.platform.name} / {d.name.strip()}" for k, d in enumerate(devices))
    raise LiftError(f"no OpenCL device matches {spec!r}; the devices are {names}")


@lru_cache(maxsize=16)
def queue_for(device: Any) -> Any:
    """A profiling-enabled command queue (and its context) for ``device``, one per device."""
    cl = _cl()
    context = cl.Context([device])
    return cl.CommandQueue(context, properties=cl.command_queue_properties.PROFILING_ENABLE)


@lru_cache(maxsize=256)
def build(device: Any, source: str, options: str = "") -> Any:
    """The built program of ``source`` for ``device`` (cached); a build failure shows the log and the source."""
    cl = _cl()
    queue = queue_for(device)
    try:
        return cl.Program(queue.context, source).build(options=options)
    except cl.Error as err:
        numbered = "\n".join(f"{k:4d}  {line}" for k, line in enumerate(source.splitlines(), 1))
        raise LiftError(
            f"the OpenCL compiler of {device.name.strip()} rejected the kernel:\n{err}\n\n{numbered}"
        ) from None
