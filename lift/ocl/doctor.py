"""Why an OpenCL driver is missing, and the one line that registers it (``lift doctor``).

pyopencl reaches drivers through an ICD loader (its wheels bundle ``ocl-icd``), which loads only the drivers
named by *vendor files*: one-line ``.icd`` files, each naming a driver library by path or by file name. The
loader's rules, which :func:`registrations` follows:

* the vendor files are the ``*.icd`` files of ``/etc/OpenCL/vendors`` (``$OPENCL_VENDOR_PATH`` names another
  directory instead);
* ``$OCL_ICD_VENDORS`` replaces that directory: a directory of ``.icd`` files, or one ``.icd`` file (a bare
  name is looked up in the vendors directory first), or else a driver library itself;
* the loader bundled in pyopencl's wheels also reads ``$PYOPENCL_HOME/.libs`` (pyopencl sets it on import),
  which is how the pip-installed PoCL and Oclgrind register themselves: they need no system file.

A driver whose library is installed but named by no vendor file is invisible: pyopencl reports
``PLATFORM_NOT_FOUND_KHR``, or lists only the other drivers. :func:`diagnose` finds the known vendor libraries
in the usual library directories and matches them against the vendor files, everything under a
:class:`Layout` (a filesystem root and an environment) so that it can be tried on a fake layout;
:func:`doctor` is what the command line prints, and its exit code: 0 when at least one usable device (any but
the Oclgrind simulator, which lift uses only when asked for) is visible now, 1 otherwise. Nothing is written
unless asked: ``fix_dir`` writes vendor files into a directory of the user's, ``fix_system`` into the
system's vendors directory (as root only).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lift.ocl.device import device_kind

__all__ = [
    "KNOWN_DRIVERS",
    "Diagnosis",
    "FoundDriver",
    "Layout",
    "OpenCLProbe",
    "Registration",
    "SeenDevice",
    "SeenPlatform",
    "VendorDriver",
    "VendorFile",
    "diagnose",
    "doctor",
    "fix_files",
    "fix_line",
    "library_dirs",
    "probe_opencl",
    "registrations",
    "render",
    "write_vendor_files",
]


@dataclass(frozen=True)
class VendorDriver:
    """A vendor's OpenCL driver: the library file names its vendor file usually names, and a fragment of the
    platform name it shows once loaded (lower case)."""

    key: str
    label: str
    file_names: tuple[str, ...]
    platform_fragment: str


KNOWN_DRIVERS: tuple[VendorDriver, ...] = (
    VendorDriver("nvidia", "NVIDIA", ("libnvidia-opencl.so.1",), "nvidia"),
    VendorDriver("amdocl64", "AMD ROCm", ("libamdocl64.so",), "amd"),
    VendorDriver("amdocl-orca64", "AMD legacy (Orca)", ("libamdocl-orca64.so",), "amd"),
    VendorDriver("intel", "Intel GPU (compute-runtime)", ("libigdrcl.so",), "intel"),
    VendorDriver("intel-cpu", "Intel CPU runtime", ("libintelocl.so",), "intel"),
    VendorDriver("pocl", "PoCL (system package)", ("libpocl.so.2", "libpocl.so"), "portable computing language"),
    VendorDriver("rusticl", "Mesa Rusticl", ("libRusticlOpenCL.so.1",), "rusticl"),
    VendorDriver("mesa", "Mesa Clover", ("libMesaOpenCL.so.1",), "clover"),
    VendorDriver("oclgrind", "Oclgrind (system package)", ("liboclgrind-rt-icd.so",), "oclgrind"),
    VendorDriver("mali", "Arm Mali", ("libmali.so",), "arm"),
    VendorDriver("xilinx", "Xilinx XRT", ("libxilinxopencl.so",), "xilinx"),
)
"""The driver libraries :func:`diagnose` looks for (the names their vendors' own ``.icd`` files use)."""

SYSTEM_LIBRARY_DIRS: tuple[str, ...] = (
    "usr/lib",
    "usr/lib64",
    "usr/lib/*-linux-gnu",
    "usr/local/lib",
    "usr/local/lib64",
    "usr/local/nvidia/lib64",  # NVIDIA's container toolkit mounts the driver here
    "usr/local/nvidia/lib",
    "usr/lib/wsl/lib",
    "opt/rocm*/lib",
    "opt/rocm*/opencl/lib",  # ROCm before 5.x
    "opt/amdgpu-pro/lib/*-linux-gnu",
    "opt/intel/oneapi/compiler/*/lib",
    "opt/intel/opencl*/lib64",
)
"""Library directories searched, relative to :attr:`Layout.root` (shell patterns)."""

SYSTEM_VENDORS_DIR = "etc/OpenCL/vendors"
BUNDLED_ORIGIN = "pyopencl's bundled drivers"


@dataclass(frozen=True)
class Layout:
    """Where to look: the filesystem ``root`` the fixed system locations are under, the ``env`` (whose paths are
    taken as they are), and the directory of vendor files that pyopencl's bundled loader reads (``None``
    when pyopencl uses another loader)."""

    root: Path = Path("/")
    env: Mapping[str, str] = field(default_factory=dict)
    bundled_vendors: Path | None = None

    @staticmethod
    def current() -> Layout:
        """This machine: ``/``, this process's environment, pyopencl's ``.libs`` when it has one."""
        return Layout(Path("/"), dict(os.environ), _pyopencl_libs())

    def system_vendors(self) -> Path:
        """The vendors directory the loader reads when ``$OCL_ICD_VENDORS`` is unset."""
        override = self.env.get("OPENCL_VENDOR_PATH", "")
        return Path(override) if override else self.root / SYSTEM_VENDORS_DIR


def _pyopencl_libs() -> Path | None:
    home = os.environ.get("PYOPENCL_HOME")
    if not home:
        spec = importlib.util.find_spec("pyopencl")  # without importing it: pyopencl sets PYOPENCL_HOME on import
        locations = list(spec.submodule_search_locations or []) if spec else []
        home = locations[0] if locations else None
    libs = Path(home) / ".libs" if home else None
    return libs if libs is not None and libs.is_dir() else None


@dataclass(frozen=True)
class Registration:
    """One driver the loader is told to load: the file that says so, the library it names, and where the loader
    found that file."""

    source: Path
    library: str
    origin: str

    def names(self, library: Path, search_dirs: tuple[Path, ...] = ()) -> bool:
        """Whether this registration loads ``library``. A path must be the same file (symbolic links followed); a
        bare file name is found by the dynamic linker: the same name, or a name that resolves to the same file
        in one of ``search_dirs`` (``libpocl.so.2.12.0`` for a ``libpocl.so.2`` linked to it)."""
        if "/" not in self.library:
            candidates = tuple(d / self.library for d in search_dirs)
            return self.library == library.name or any(_same_file(c, library) for c in candidates)
        return _same_file(Path(self.library), library)


def _same_file(a: Path, b: Path) -> bool:
    return a == b or (a.exists() and b.exists() and a.resolve() == b.resolve())


def _read_vendor_file(path: Path, origin: str) -> tuple[Registration, ...]:
    """The registration in one ``.icd`` file; an empty or unreadable file registers nothing (the loader skips it)."""
    try:
        first = path.read_text(errors="replace").splitlines()
    except OSError:
        return ()
    library = first[0].strip() if first else ""
    return (Registration(path, library, origin),) if library else ()


def _read_vendors_dir(directory: Path, origin: str) -> tuple[Registration, ...]:
    if not directory.is_dir():
        return ()
    return tuple(r for p in sorted(directory.glob("*.icd")) for r in _read_vendor_file(p, origin))


def registrations(layout: Layout) -> tuple[Registration, ...]:
    """Every driver the loader would try to load under ``layout``, by the ocl-icd rules in the module docstring."""
    chosen = layout.env.get("OCL_ICD_VENDORS", "")
    system = layout.system_vendors()
    if not chosen:
        found = _read_vendors_dir(system, str(system))
    elif Path(chosen).is_dir():
        found = _read_vendors_dir(Path(chosen), "$OCL_ICD_VENDORS")
    elif chosen.endswith(".icd"):
        in_system = system / chosen if "/" not in chosen else None
        candidate = in_system if in_system is not None and in_system.is_file() else Path(chosen)
        found = _read_vendor_file(candidate, "$OCL_ICD_VENDORS")
    else:
        found = (Registration(Path(chosen), chosen, "$OCL_ICD_VENDORS (a library)"),)
    bundled = _read_vendors_dir(layout.bundled_vendors, BUNDLED_ORIGIN) if layout.bundled_vendors else ()
    return found + bundled


def _ld_so_conf_dirs(root: Path) -> tuple[Path, ...]:
    """The directories listed in ``/etc/ld.so.conf.d/*.conf`` (where container runtimes add driver paths)."""
    out: list[Path] = []
    for conf in sorted((root / "etc/ld.so.conf.d").glob("*.conf")):
        try:
            lines = conf.read_text(errors="replace").splitlines()
        except OSError:
            continue
        out.extend(root / line.strip().lstrip("/") for line in lines if line.strip().startswith("/"))
    return tuple(out)


def library_dirs(layout: Layout) -> tuple[Path, ...]:
    """The existing directories searched for driver libraries, in order, each once: ``$LD_LIBRARY_PATH``, the
    dynamic linker's configured directories, then :data:`SYSTEM_LIBRARY_DIRS`."""
    from_env = tuple(Path(p) for p in layout.env.get("LD_LIBRARY_PATH", "").split(":") if p.startswith("/"))
    fixed = tuple(d for pattern in SYSTEM_LIBRARY_DIRS for d in sorted(layout.root.glob(pattern)))
    ordered = dict.fromkeys((*from_env, *_ld_so_conf_dirs(layout.root), *fixed))
    return tuple(d for d in ordered if d.is_dir())


@dataclass(frozen=True)
class FoundDriver:
    """A known driver found on disk: every copy of its library, and the registrations that load one of them."""

    driver: VendorDriver
    paths: tuple[Path, ...]
    registered_by: tuple[Registration, ...]

    @property
    def registered(self) -> bool:
        """Whether some vendor file names one of its copies."""
        return bool(self.registered_by)


def _find_driver(driver: VendorDriver, dirs: tuple[Path, ...], known: tuple[Registration, ...]) -> FoundDriver | None:
    paths = tuple(d / name for d in dirs for name in driver.file_names if (d / name).is_file())
    if not paths:
        return None
    # a bare name of the driver's (libpocl.so for a libpocl.so.2 found) is resolved by the linker to a copy too
    by = tuple(r for r in known if any(r.names(p, dirs) for p in paths) or r.library in driver.file_names)
    return FoundDriver(driver, paths, by)


@dataclass(frozen=True)
class SeenDevice:
    """A device pyopencl lists."""

    platform: str
    name: str
    kind: str

    @property
    def usable(self) -> bool:
        """Whether lift would pick it without being asked (the Oclgrind simulator is for checking only)."""
        return "oclgrind" not in self.platform.lower()


@dataclass(frozen=True)
class SeenPlatform:
    """A platform pyopencl lists (one per loaded driver; two drivers may give the same name), and its devices."""

    name: str
    devices: tuple[SeenDevice, ...]


@dataclass(frozen=True)
class OpenCLProbe:
    """What pyopencl sees now: the platforms, and the error when it sees none."""

    platforms: tuple[SeenPlatform, ...]
    error: str | None = None

    @property
    def devices(self) -> tuple[SeenDevice, ...]:
        """Every device of every platform."""
        return tuple(d for p in self.platforms for d in p.devices)


def probe_opencl() -> OpenCLProbe:
    """Ask pyopencl for the platforms and devices of this process (the loader reads vendor files once per process,
    so a fix shows in a new process)."""
    try:
        import pyopencl as cl
    except ImportError as err:
        return OpenCLProbe((), f"pyopencl cannot be imported ({err}); install it: pip install 'pyopencl[pocl]'")
    try:
        platforms = cl.get_platforms()
    except cl.Error as err:
        return OpenCLProbe((), f"pyopencl lists no platform: {err}")
    return OpenCLProbe(tuple(_seen_platform(cl, p) for p in platforms))


def _seen_platform(cl: Any, platform: Any) -> SeenPlatform:
    name = platform.name.strip()
    try:
        devices = platform.get_devices()
    except cl.Error:  # a platform without devices answers DEVICE_NOT_FOUND: it is listed with none
        devices = []
    return SeenPlatform(name, tuple(SeenDevice(name, d.name.strip(), device_kind(d.type)) for d in devices))


@dataclass(frozen=True)
class Diagnosis:
    """Everything the doctor found: the devices, the vendor files, the driver libraries on disk."""

    layout: Layout
    probe: OpenCLProbe
    registrations: tuple[Registration, ...]
    searched: tuple[Path, ...]
    drivers: tuple[FoundDriver, ...]

    @property
    def unregistered(self) -> tuple[FoundDriver, ...]:
        """Drivers installed but named by no vendor file: the ones to register."""
        return tuple(d for d in self.drivers if not d.registered)

    @property
    def broken(self) -> tuple[Registration, ...]:
        """Vendor files naming a library path that does not exist (a driver removed or moved)."""
        return tuple(r for r in self.registrations if "/" in r.library and not Path(r.library).exists())

    @property
    def usable(self) -> tuple[SeenDevice, ...]:
        """The devices lift would use without being asked."""
        return tuple(d for d in self.probe.devices if d.usable)


def diagnose(layout: Layout | None = None, probe: OpenCLProbe | None = None) -> Diagnosis:
    """Look at ``layout`` (default: this machine) and the OpenCL devices (default: ask pyopencl)."""
    layout = layout if layout is not None else Layout.current()
    known = registrations(layout)
    dirs = library_dirs(layout)
    drivers = tuple(f for d in KNOWN_DRIVERS if (f := _find_driver(d, dirs, known)) is not None)
    return Diagnosis(layout, probe if probe is not None else probe_opencl(), known, dirs, drivers)


@dataclass(frozen=True)
class VendorFile:
    """A vendor file to write: its file name and the library it names."""

    name: str
    library: str


def _free_name(stem: str, taken: set[str]) -> str:
    name, n = f"{stem}.icd", 2
    while name in taken:
        name, n = f"{stem}-{n}.icd", n + 1
    return name


def fix_files(diagnosis: Diagnosis, keep_current: bool = True) -> tuple[VendorFile, ...]:
    """The vendor files that register every unregistered driver (its first copy found). With ``keep_current``
    (a new ``$OCL_ICD_VENDORS`` directory, which hides the vendors directory read today) the current
    registrations come first, so that pointing the loader at the new directory loses none of them."""
    kept = [r for r in diagnosis.registrations if r.origin != BUNDLED_ORIGIN] if keep_current else []
    files: list[VendorFile] = []
    for r in kept:
        stem = r.source.stem if r.source.suffix == ".icd" else Path(r.library).name
        files.append(VendorFile(_free_name(stem, {f.name for f in files}), r.library))
    for d in diagnosis.unregistered:
        files.append(VendorFile(_free_name(d.driver.key, {f.name for f in files}), str(d.paths[0])))
    return tuple(files)


def fix_line(diagnosis: Diagnosis, directory: str = "icd") -> str | None:
    """The one shell line that registers every unregistered driver for this shell, through a new
    ``$OCL_ICD_VENDORS`` directory (relative to the current directory); ``None`` when nothing is unregistered."""
    if not diagnosis.unregistered:
        return None
    target = shlex.quote(directory)
    writes = [f"echo {shlex.quote(f.library)} > {target}/{shlex.quote(f.name)}" for f in fix_files(diagnosis)]
    where = directory if directory.startswith("/") else f"$PWD/{target}"
    return " && ".join([f"mkdir -p {target}", *writes, f"export OCL_ICD_VENDORS={where}"])


def system_fix_line(diagnosis: Diagnosis) -> str | None:
    """The shell line (to run as root) that registers every unregistered driver for every user, in the system's
    vendors directory; ``None`` when nothing is unregistered."""
    if not diagnosis.unregistered:
        return None
    vendors = diagnosis.layout.system_vendors()
    existing = {p.name for p in vendors.glob("*.icd")} if vendors.is_dir() else set()
    writes = [
        f"echo {shlex.quote(f.library)} > {shlex.quote(str(vendors / f.name))}" for f in _new_files(diagnosis, existing)
    ]
    return " && ".join([f"mkdir -p {shlex.quote(str(vendors))}", *writes])


def _new_files(diagnosis: Diagnosis, taken: set[str]) -> tuple[VendorFile, ...]:
    """Files for the unregistered drivers only, named apart from ``taken``."""
    out: list[VendorFile] = []
    for d in diagnosis.unregistered:
        out.append(VendorFile(_free_name(d.driver.key, taken | {f.name for f in out}), str(d.paths[0])))
    return tuple(out)


def write_vendor_files(directory: Path, files: tuple[VendorFile, ...]) -> tuple[Path, ...]:
    """Write ``files`` into ``directory`` (created if needed); a file already there with the same content is left
    alone, one with other content is kept and the new one gets a free name. Returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        content = f.library + "\n"
        path = directory / f.name
        if path.is_file() and path.read_text(errors="replace").strip() == f.library:
            continue
        if path.exists():
            path = directory / _free_name(path.stem, {p.name for p in directory.iterdir()})
        path.write_text(content)
        written.append(path)
    return tuple(written)


def _device_lines(probe: OpenCLProbe) -> list[str]:
    if probe.error is not None:
        return [f"  none: {probe.error}"]
    lines = []
    for platform in probe.platforms:
        devices = platform.devices
        shown = ", ".join(
            f"{d.name} ({d.kind}{'' if d.usable else ', a simulator: used only when asked for'})" for d in devices
        )
        lines.append(f"  {platform.name}: {shown or 'no device'}")
    return lines or ["  none"]


def _registration_lines(diagnosis: Diagnosis) -> list[str]:
    lines = [f"  {r.source.name} -> {r.library}  ({r.origin})" for r in diagnosis.registrations]
    lines += [f"  warning: {r.source} names {r.library}, which does not exist" for r in diagnosis.broken]
    return lines or [f"  none (the loader reads {_vendors_read(diagnosis.layout)})"]


def _vendors_read(layout: Layout) -> str:
    chosen = layout.env.get("OCL_ICD_VENDORS", "")
    return f"$OCL_ICD_VENDORS={chosen}" if chosen else str(layout.system_vendors())


def _driver_lines(diagnosis: Diagnosis) -> list[str]:
    lines = []
    seen = " ".join(p.name for p in diagnosis.probe.platforms).lower()
    for d in diagnosis.drivers:
        state = "registered" if d.registered else "NOT REGISTERED"
        lines.append(f"  {d.driver.label}: {', '.join(map(str, d.paths))}: {state}")
        if d.registered and diagnosis.probe.error is None and d.driver.platform_fragment not in seen:
            lines.append(
                "    registered, but no platform of it is listed: the library fails to load (see why with "
                "OCL_ICD_DEBUG=7, e.g. a driver without its GPU or kernel module)"
            )
    searched = f"searched {len(diagnosis.searched)} directories: {', '.join(map(str, diagnosis.searched))}"
    return [*lines, f"  ({searched})"] if lines else [f"  none ({searched})"]


def _advice(diagnosis: Diagnosis) -> list[str]:
    line = fix_line(diagnosis)
    if line is not None:
        names = ", ".join(d.driver.label for d in diagnosis.unregistered)
        return [
            f"Installed but not registered: {names}. Register for this shell with:",
            f"  {line}",
            "or let the doctor write the vendor files into a directory of yours: lift doctor --fix DIR",
            "or, for every user, as root (lift doctor --fix-system):",
            f"  {system_fix_line(diagnosis)}",
        ]
    if diagnosis.drivers:
        advice = ["All registered: every driver library found is named by a vendor file."]
    else:
        advice = ["All registered: no other vendor driver library in the directories searched."]
    if not diagnosis.usable:
        advice.append(
            "No usable OpenCL device: PoCL's CPU device comes with pip install 'pyopencl[pocl]'; for a GPU install "
            "its vendor's OpenCL driver (NVIDIA: the driver's libnvidia-opencl; AMD: rocm-opencl-runtime; Intel: "
            "intel-opencl-icd), then run lift doctor again."
        )
    return advice


def _summary(usable: tuple[SeenDevice, ...]) -> str:
    if not usable:
        return "No usable device (exit code 1)."
    names = ", ".join(f"{d.name} ({d.platform})" for d in usable)
    return f"{len(usable)} usable device{'' if len(usable) == 1 else 's'}: {names}."


def render(diagnosis: Diagnosis) -> str:
    """The doctor's report: devices, vendor files, driver libraries, and what to do."""
    return "\n".join(
        [
            "OpenCL devices:",
            *_device_lines(diagnosis.probe),
            "Vendor files the loader reads:",
            *_registration_lines(diagnosis),
            "Driver libraries on disk:",
            *_driver_lines(diagnosis),
            *_advice(diagnosis),
            _summary(diagnosis.usable),
        ]
    )


def _fix_in(diagnosis: Diagnosis, directory: Path) -> list[str]:
    if not diagnosis.unregistered:
        return [f"--fix {directory}: nothing to register, nothing written."]
    written = write_vendor_files(directory, fix_files(diagnosis))
    target = directory.resolve()
    return [
        f"--fix {directory}: wrote {', '.join(p.name for p in written) or 'nothing new'} in {target}. Use it with:",
        f"  export OCL_ICD_VENDORS={shlex.quote(str(target))}",
    ]


def _fix_system(diagnosis: Diagnosis, is_root: bool) -> tuple[list[str], bool]:
    """The lines reporting a system fix, and whether it failed."""
    vendors = diagnosis.layout.system_vendors()
    if not diagnosis.unregistered:
        return [f"--fix-system: nothing to register, nothing written in {vendors}."], False
    if not is_root:
        return [f"--fix-system writes into {vendors}, which needs root: run it with sudo, or use --fix DIR."], True
    existing = {p.name for p in vendors.glob("*.icd")} if vendors.is_dir() else set()
    written = write_vendor_files(vendors, _new_files(diagnosis, existing))
    lines = [f"--fix-system: wrote {', '.join(map(str, written))}."]
    if diagnosis.layout.env.get("OCL_ICD_VENDORS"):
        lines.append(f"note: $OCL_ICD_VENDORS is set, so the loader does not read {vendors}: unset it to use them.")
    return lines, False


def doctor(
    fix_dir: Path | None = None,
    fix_system: bool = False,
    layout: Layout | None = None,
    probe: OpenCLProbe | None = None,
    is_root: Callable[[], bool] = lambda: os.geteuid() == 0,
) -> tuple[str, int]:
    """The report of ``lift doctor`` and its exit code: 0 when at least one usable device is visible now, 1
    otherwise (also when ``fix_system`` is refused). ``fix_dir`` writes vendor files for the unregistered
    drivers (and copies of today's registrations, which the new directory hides) into that directory;
    ``fix_system`` writes them into the system's vendors directory (root only). Nothing else is written."""
    diagnosis = diagnose(layout, probe)
    lines = [render(diagnosis)]
    failed = False
    if fix_dir is not None:
        lines += _fix_in(diagnosis, fix_dir)
    if fix_system:
        system_lines, failed = _fix_system(diagnosis, is_root())
        lines += system_lines
    if diagnosis.unregistered and (fix_dir is not None or fix_system) and not failed:
        lines.append("The loader reads vendor files once per process: the new devices show in a new shell or process.")
    return "\n".join(lines), 0 if diagnosis.usable and not failed else 1
