"""Launch geometry and memory: the NDRange a kernel runs with, checked against the program and the device.

A kernel's parallel loops (``map_glb``, ``map_wrg``, ``map_lcl``) are printed either as a strided loop (``for (gid =
get_global_id(0); gid < N; gid += get_global_size(0))``: any number of threads covers the work) or, where the
launch has one thread per iteration, as a bare ``gid = get_global_id(0);`` (see :mod:`lift.ocl.codegen`). The
tuning values ``ls0..2`` (local sizes) and ``gs0..2`` (global sizes) may change the launch only where the code
stays correct:

* a ``glb`` dimension: ``gs`` is a multiple of ``ls`` (when a local size is given) and at most the extent
  rounded up to one; a one-thread-per-iteration loop needs ``gs`` at least the extent (fewer threads would skip
  work), a strided loop any ``gs`` of at least one work-group. A local size on a one-thread-per-iteration
  loop makes the kernel test ``gid < N`` (the rounded-up launch has spare threads);
* a ``wrg`` dimension: ``ls`` divides the longest ``map_lcl`` of the dimension (so that every thread runs its
  loops the same number of times and reaches the barriers, as the mapping model requires), and is 1 where the
  dimension has no ``map_lcl``; ``gs / ls`` work-groups, exactly the extent for a one-group-per-iteration loop,
  between 1 and the extent for a strided one;
* the work-group fits the device (``ls_d`` at most the device's per-dimension limit, their product at most its
  work-group limit); a dimension without a parallel map takes no value.

Anything else is refused with :class:`~lift.errors.LiftValueError`, naming the value, the allowed range and why.
Buffers are checked against the device's global memory, its largest allocation and the host's free memory
before anything is allocated (:class:`~lift.errors.LiftLimitError`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lift.errors import LiftLimitError, LiftValueError

__all__ = [
    "DeviceLimits",
    "Geometry",
    "check_memory",
    "check_value_names",
    "fixed_local_sizes",
    "geometry",
    "guarded_dims",
    "host_available_bytes",
]

KNOWN_VALUES: tuple[str, ...] = (*(f"ls{d}" for d in range(3)), *(f"gs{d}" for d in range(3)), "lpad")
"""The tuning values a launch takes: local and global sizes of the three NDRange dimensions."""

Key = tuple[str, int]
"""A parallel level and NDRange dimension, e.g. ``("glb", 0)``."""


@dataclass(frozen=True)
class DeviceLimits:
    """What a device allows a launch."""

    max_work_group_size: int
    max_work_item_sizes: tuple[int, ...]
    global_mem_size: int
    max_mem_alloc_size: int
    name: str = "the device"

    @staticmethod
    def of(device: Any) -> DeviceLimits:
        """The limits of a pyopencl device."""
        return DeviceLimits(
            int(device.max_work_group_size),
            tuple(int(x) for x in device.max_work_item_sizes),
            int(device.global_mem_size),
            int(device.max_mem_alloc_size),
            device.name.strip(),
        )


@dataclass(frozen=True)
class Geometry:
    """An NDRange: global sizes, and local sizes (``None`` lets the driver choose)."""

    global_size: tuple[int, ...]
    local_size: tuple[int, ...] | None


# ---- the values' names, before any size is known ---------------------------------------------------------
def check_value_names(values: Mapping[str, object], used: frozenset[Key]) -> None:
    """Refuse unknown names, values that are not positive ints, and values for a dimension the kernel does not
    use (``used``: its parallel (level, dim) pairs)."""
    for name, value in values.items():
        if name not in KNOWN_VALUES:
            raise LiftValueError(
                f"values: unknown tuning value {name!r}; the known ones are {', '.join(KNOWN_VALUES)} "
                "(local and global sizes of NDRange dimensions 0..2, and the padding of local rows)"
            )
        lowest = 0 if name == "lpad" else 1  # no padding is a padding; no thread is no launch
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lowest:
            kind = "a non-negative" if lowest == 0 else "a positive"
            raise LiftValueError(f"values: {name} must be {kind} int, found {type(value).__name__} {value!r}")
        if name == "lpad":
            continue  # a layout of local memory, not a launch size (see lift.ocl.codegen.generate)
        d = int(name[2])
        groups = any(level != "glb" for level, _ in used)
        outer = ("wrg", d) if groups else ("glb", d)
        if outer not in used and value != 1:
            maps = ", ".join(f"map_{level}(dim={k})" for level, k in sorted(used)) or "none"
            raise LiftValueError(
                f"values: {name} = {value}, but the kernel has no parallel map in dimension {d} (its maps: {maps}); "
                "extra threads there would all repeat the same work. Leave it out"
            )
        if groups and name.startswith("ls") and ("lcl", d) not in used and value != 1:
            raise LiftValueError(
                f"values: {name} = {value}, but dimension {d} has no map_lcl: every thread of a work-group would "
                f"repeat the same work. Leave it out (or 1)"
            )


def guarded_dims(values: Mapping[str, object], used: frozenset[Key]) -> frozenset[int]:
    """The ``glb`` dimensions whose one-thread-per-iteration loops must test ``gid < N``: those given a local
    size, since the launch is then rounded up to a multiple of it."""
    return frozenset(d for level, d in used if level == "glb" and f"ls{d}" in values)


FIXED_WORK_GROUP_LIMIT = 256
"""The most threads a work-group may have when lift-ir fixes its size at compile time by itself: every OpenCL GPU
and CPU device takes work-groups of 256 threads (a larger one is fixed only when the user asks, with ``ls0..2``)."""


def fixed_local_sizes(lcl_extents: Mapping[int, Sequence[int | None]], values: Mapping[str, int]) -> dict[int, int]:
    """The work-group size of each dimension with ``map_lcl`` loops, fixed at compile time so that a loop as long as
    it runs one iteration per thread, unstrided: ``ls{d}`` where the user gives it, otherwise the longest ``map_lcl``
    of the dimension (what the launch would choose), when every such loop's length is known and the work-group
    has at most :data:`FIXED_WORK_GROUP_LIMIT` threads. Empty when the sizes are not all known (the loops stay
    strided and the launch chooses)."""
    fixed: dict[int, int] = {}
    for d, lengths in lcl_extents.items():
        if f"ls{d}" in values:
            fixed[d] = int(values[f"ls{d}"])
        elif lengths and all(n is not None for n in lengths):
            fixed[d] = max(n for n in lengths if n is not None)
        else:
            return {}
    derived = [fixed[d] for d in fixed if f"ls{d}" not in values]
    return fixed if int(np.prod(derived or [1])) <= FIXED_WORK_GROUP_LIMIT else {}


# ---- the geometry, once the sizes are known ---------------------------------------------------------------
def geometry(
    extents: Mapping[Key, int], once: frozenset[Key], values: Mapping[str, int], limits: DeviceLimits
) -> Geometry:
    """The NDRange for loops of the given extents (the longest map of each (level, dim)); ``once``: the
    (level, dim) pairs whose loops run one iteration per thread (or work-group) with no stride."""
    dims = 1 + max((d for _, d in extents), default=0)
    if dims > len(limits.max_work_item_sizes):
        raise LiftValueError(
            f"the kernel uses NDRange dimension {dims - 1}, but {limits.name} has {len(limits.max_work_item_sizes)}"
        )
    if any(level != "glb" for level, _ in extents):
        return _group_geometry(extents, once, values, limits, dims)
    return _global_geometry(extents, once, values, limits, dims)


def _round_up(n: int, k: int) -> int:
    return -(-n // k) * k


def _span(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}..{hi}"


def _refuse(name: str, value: int, allowed: str, why: str) -> LiftValueError:
    return LiftValueError(f"values: {name} = {value} is not allowed: {why}; allowed: {allowed}")


def _check_work_group(local: Sequence[int], limits: DeviceLimits) -> None:
    for d, ls in enumerate(local):
        if ls > limits.max_work_item_sizes[d]:
            raise _refuse(
                f"ls{d}",
                ls,
                f"1..{limits.max_work_item_sizes[d]}",
                f"{limits.name} limits dimension {d} of a work-group",
            )
    total = int(np.prod(local))
    if total > limits.max_work_group_size:
        shown = " x ".join(str(x) for x in local)
        raise LiftValueError(
            f"values: a work-group of {shown} = {total} threads exceeds the maximum of {limits.max_work_group_size} "
            f"on {limits.name}; choose smaller local sizes"
        )


def _global_geometry(
    extents: Mapping[Key, int], once: frozenset[Key], values: Mapping[str, int], limits: DeviceLimits, dims: int
) -> Geometry:
    explicit_local = any(f"ls{d}" in values for d in range(dims))
    local = [int(values.get(f"ls{d}", 1)) for d in range(dims)]
    _check_work_group(local, limits)
    global_size = []
    for d in range(dims):
        extent, ls = extents.get(("glb", d), 1), local[d]
        top = _round_up(extent, ls)
        gs = int(values.get(f"gs{d}", top))
        if ("glb", d) in once:
            lowest, why = extent, "the map_glb loop runs one iteration per thread"
        else:
            lowest, why = ls, "the map_glb loop is strided"
        allowed = _span(lowest, top) + (f", a multiple of ls{d} = {ls}" if explicit_local and ls > 1 else "")
        if gs > top:
            raise _refuse(f"gs{d}", gs, allowed, f"dimension {d} has {extent} iterations; more threads only idle")
        if gs < lowest:
            raise _refuse(f"gs{d}", gs, allowed, f"{why}, over {extent} iterations: fewer threads would skip work")
        if explicit_local and gs % ls:
            raise _refuse(f"gs{d}", gs, allowed, f"a global size is a multiple of the local size ls{d} = {ls}")
        global_size.append(gs)
    return Geometry(tuple(global_size), tuple(local) if explicit_local else None)


def _largest_divisor_at_most(n: int, limit: int) -> int:
    return next(k for k in range(max(1, min(n, limit)), 0, -1) if n % k == 0)


def _group_geometry(
    extents: Mapping[Key, int], once: frozenset[Key], values: Mapping[str, int], limits: DeviceLimits, dims: int
) -> Geometry:
    local, global_size = [], []
    budget = limits.max_work_group_size
    for d in range(dims):
        lanes = extents.get(("lcl", d))
        if f"ls{d}" in values:
            ls = int(values[f"ls{d}"])
            if lanes is not None and lanes % ls:
                divisors = [k for k in range(1, lanes + 1) if lanes % k == 0]
                raise _refuse(
                    f"ls{d}",
                    ls,
                    "a divisor of "
                    + str(lanes)
                    + f" ({', '.join(map(str, divisors[:12]))}{', …' if len(divisors) > 12 else ''})",
                    f"the longest map_lcl of dimension {d} has {lanes} iterations, and every thread of a work-group "
                    "must run its loops the same number of times to reach the same barriers",
                )
        else:
            ls = _largest_divisor_at_most(lanes, min(budget, limits.max_work_item_sizes[d])) if lanes else 1
        budget = max(1, budget // ls)
        local.append(ls)
    _check_work_group(local, limits)
    for d in range(dims):
        ls, groups_needed = local[d], extents.get(("wrg", d), 1)
        groups = groups_needed
        if f"gs{d}" in values:
            gs = int(values[f"gs{d}"])
            lowest = groups_needed if ("wrg", d) in once else 1
            allowed = _span(lowest * ls, groups_needed * ls) + (f", a multiple of ls{d} = {ls}" if ls > 1 else "")
            if gs % ls:
                raise _refuse(f"gs{d}", gs, allowed, f"a global size is a multiple of the local size ls{d} = {ls}")
            groups = gs // ls
            if groups > groups_needed:
                raise _refuse(
                    f"gs{d}",
                    gs,
                    allowed,
                    f"dimension {d} has {groups_needed} work-group iterations; more groups only idle",
                )
            if groups < lowest:
                raise _refuse(
                    f"gs{d}",
                    gs,
                    allowed,
                    f"the map_wrg loop runs one iteration per work-group, over {groups_needed} iterations: fewer "
                    "work-groups would skip work",
                )
        global_size.append(groups * ls)
    return Geometry(tuple(global_size), tuple(local))


# ---- memory -------------------------------------------------------------------------------------------------
def host_available_bytes() -> int | None:
    """The host memory free for new allocations (``MemAvailable``), or ``None`` where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def check_memory(
    device_buffers: Mapping[str, int], host_bytes: int, limits: DeviceLimits, host_available: int | None
) -> None:
    """Refuse a launch whose buffers (name → bytes) do not fit the device, or whose ``host_bytes`` of new host
    arrays do not fit the host's free memory."""
    for name, nbytes in device_buffers.items():
        if nbytes > limits.max_mem_alloc_size:
            raise LiftLimitError(
                f"buffer {name} needs {nbytes} bytes ({_gib(nbytes)}), more than the largest allocation of "
                f"{limits.name}, {limits.max_mem_alloc_size} bytes ({_gib(limits.max_mem_alloc_size)}); use smaller sizes"
            )
    total = sum(device_buffers.values())
    if total > limits.global_mem_size:
        raise LiftLimitError(
            f"the kernel's buffers need {total} bytes ({_gib(total)}), more than the global memory of {limits.name}, "
            f"{limits.global_mem_size} bytes ({_gib(limits.global_mem_size)}); use smaller sizes"
        )
    if host_available is not None and host_bytes > host_available:
        raise LiftLimitError(
            f"the host arrays need {host_bytes} bytes ({_gib(host_bytes)}), more than the host's free memory, "
            f"{host_available} bytes ({_gib(host_available)}); use smaller sizes"
        )
