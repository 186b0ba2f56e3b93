"""Choosing an OpenCL device, and the contexts, queues and built programs cached per device.

``LIFT_DEVICE`` (or the ``device`` argument) takes ``pocl``, ``oclgrind``, ``nvidia``, a fragment of a
platform or device name, or an index into :func:`list_devices` (trimmed, any case). With none: a real GPU if
one is visible, else PoCL's CPU device, else any other device; the Oclgrind simulator only when asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lift.errors import DeviceError

__all__ = ["DeviceInfo", "build", "list_devices", "queue_for", "select_device"]

_ALIASES = {"pocl": "portable computing language", "oclgrind": "oclgrind", "nvidia": "nvidia", "cuda": "nvidia"}

NO_DEVICE_HELP = (
    'no OpenCL device found. PoCL\'s CPU device comes with `pip install "pyopencl[pocl]"` (a dependency of '
    "lift-ir); a vendor driver that is installed but not registered can be registered with a vendors file, e.g. "
    "`mkdir -p icd && echo /usr/lib/libnvidia-opencl.so.1 > icd/nvidia.icd && export OCL_ICD_VENDORS=$PWD/icd`; "
    "`lift doctor` finds such drivers and prints the exact line (`lift doctor --fix DIR` writes the files)"
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


def device_kind(flags: int) -> str:
    """A device's type flags in words: ``GPU``, ``CPU``, ``ACCELERATOR`` (joined by ``/``), else ``other``."""
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
            device_kind(d.type),
            d.max_work_group_size,
            d.local_mem_size,
        )
        for k, d in enumerate(_devices())
    ]


def _is_oclgrind(d: Any) -> bool:
    return "oclgrind" in d.platform.name.lower()


def _is_pocl(d: Any) -> bool:
    return _ALIASES["pocl"] in d.platform.name.lower()


def _default(devices: list[Any]) -> Any:
    """A real GPU, else PoCL's CPU device, else any device but the Oclgrind simulator (which reports itself as a
    GPU, and runs kernels thousands of times slower: it is for checking, used only when asked for)."""
    cl = _cl()
    real = [d for d in devices if not _is_oclgrind(d)]
    gpus = [d for d in real if d.type & cl.device_type.GPU]
    pocl = [d for d in real if _is_pocl(d) and d.type & cl.device_type.CPU]
    for choice in (gpus, pocl, real):
        if choice:
            return choice[0]
    raise DeviceError(
        "the only OpenCL device is the Oclgrind simulator, which is used only when asked for: pass "
        "device='oclgrind' or set LIFT_DEVICE=oclgrind. For a real device: " + NO_DEVICE_HELP
    )


def _listing(devices: list[Any]) -> str:
    return "; ".join(f"{k}: {d.platform.name} / {d.name.strip()}" for k, d in enumerate(devices))


def select_device(device: Any = None) -> Any:
    """The pyopencl device for ``device`` (a device, a name, an index) or ``LIFT_DEVICE``, else the default: a
    real GPU, else PoCL's CPU device, else any other but Oclgrind. Words are trimmed and compared without case;
    a word that matches no device raises :class:`~lift.errors.DeviceError` listing the devices."""
    cl = _cl()
    if isinstance(device, cl.Device):
        return device
    spec = device if device is not None else os.environ.get("LIFT_DEVICE")
    if isinstance(spec, str):
        spec = spec.strip().lower() or None  # an empty or blank LIFT_DEVICE means no choice
    devices = _devices()
    if not devices:
        raise DeviceError(NO_DEVICE_HELP)
    if spec is None:
        return _default(devices)
    if isinstance(spec, bool) or not isinstance(spec, int | str):
        raise DeviceError(
            f"device: expected a pyopencl device, a name or an index, found {type(spec).__name__} {spec!r}"
        )
    if isinstance(spec, int) or spec.isdigit():
        k = int(spec)
        if not 0 <= k < len(devices):
            raise DeviceError(f"device index {k} is out of range: the devices are {_listing(devices)}")
        return devices[k]
    needle = _ALIASES.get(spec, spec)
    for d in devices:
        if needle in d.platform.name.lower() or needle in d.name.lower():
            return d
    raise DeviceError(
        f"no OpenCL device matches {spec!r}; the devices are {_listing(devices)} (use a name fragment, an index, "
        "or pocl, oclgrind, nvidia; for a driver that is installed but not listed, `lift doctor` says how to "
        "register it)"
    )


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
        raise DeviceError(
            f"the OpenCL compiler of {device.name.strip()} rejected the kernel:\n{err}\n\n{numbered}"
        ) from None
