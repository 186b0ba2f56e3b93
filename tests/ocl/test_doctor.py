"""``lift doctor``: installed-but-unregistered OpenCL drivers found on fake vendor layouts, and the fix."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from lift.cli import main
from lift.ocl.doctor import (
    Layout,
    OpenCLProbe,
    SeenDevice,
    SeenPlatform,
    diagnose,
    doctor,
    fix_files,
    fix_line,
    library_dirs,
    registrations,
)

from .conftest import needs_pocl

NVIDIA = "libnvidia-opencl.so.1"
POCL = "Portable Computing Language"
POCL_ONLY = OpenCLProbe((SeenPlatform(POCL, (SeenDevice(POCL, "pthread-cpu", "CPU"),)),))
NOTHING = OpenCLProbe((), "pyopencl lists no platform: clGetPlatformIDs failed: PLATFORM_NOT_FOUND_KHR")
OCLGRIND_ONLY = OpenCLProbe((SeenPlatform("Oclgrind", (SeenDevice("Oclgrind", "Oclgrind Simulator", "GPU"),)),))


def _library(root: Path, relative: str) -> Path:
    """A stand-in driver library: an empty file where the driver would be installed."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def _vendor_file(directory: Path, name: str, library: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(library + "\n")
    return path


@pytest.fixture
def nvidia_unregistered(tmp_path: Path) -> tuple[Layout, Path]:
    """A root with NVIDIA's library in /usr/lib/x86_64-linux-gnu and an empty /etc/OpenCL/vendors."""
    library = _library(tmp_path, f"usr/lib/x86_64-linux-gnu/{NVIDIA}")
    (tmp_path / "etc/OpenCL/vendors").mkdir(parents=True)
    return Layout(tmp_path, {}), library


def test_an_unregistered_library_is_reported_with_the_one_line_fix(nvidia_unregistered: tuple[Layout, Path]) -> None:
    layout, library = nvidia_unregistered
    diagnosis = diagnose(layout, NOTHING)
    assert [d.driver.key for d in diagnosis.unregistered] == ["nvidia"]
    assert fix_line(diagnosis) == (
        f"mkdir -p icd && echo {shlex.quote(str(library))} > icd/nvidia.icd && export OCL_ICD_VENDORS=$PWD/icd"
    )
    text, code = doctor(layout=layout, probe=NOTHING)
    assert code == 1
    assert "PLATFORM_NOT_FOUND_KHR" in text
    assert f"NVIDIA: {library}: NOT REGISTERED" in text
    assert f"  {fix_line(diagnosis)}" in text.splitlines()
    assert "No usable device (exit code 1)." in text


def test_the_fix_line_works_in_a_shell(nvidia_unregistered: tuple[Layout, Path], tmp_path: Path) -> None:
    layout, library = nvidia_unregistered
    line = fix_line(diagnose(layout, NOTHING))
    assert line is not None
    work = tmp_path / "work dir"
    work.mkdir()
    shown = subprocess.run(
        ["bash", "-c", f"{line} && echo $OCL_ICD_VENDORS"], cwd=work, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == str(work / "icd")
    assert (work / "icd/nvidia.icd").read_text() == f"{library}\n"


def test_fix_writes_the_vendor_file_into_the_users_directory(nvidia_unregistered: tuple[Layout, Path]) -> None:
    layout, library = nvidia_unregistered
    target = layout.root / "home/me/icd"
    text, _ = doctor(fix_dir=target, layout=layout, probe=POCL_ONLY)
    assert (target / "nvidia.icd").read_text() == f"{library}\n"
    assert f"  export OCL_ICD_VENDORS={target.resolve()}" in text.splitlines()
    assert list((layout.root / "etc/OpenCL/vendors").iterdir()) == []  # the system's files are not touched
    # with the new directory in effect, the driver counts as registered
    fixed = Layout(layout.root, {"OCL_ICD_VENDORS": str(target)})
    assert diagnose(fixed, POCL_ONLY).unregistered == ()
    again, code = doctor(fix_dir=target, layout=fixed, probe=POCL_ONLY)
    assert code == 0 and "nothing to register, nothing written" in again


def test_a_registration_by_path_or_by_file_name_counts(nvidia_unregistered: tuple[Layout, Path]) -> None:
    layout, library = nvidia_unregistered
    vendors = layout.root / "etc/OpenCL/vendors"
    by_path = _vendor_file(vendors, "nvidia.icd", str(library))
    assert diagnose(layout, POCL_ONLY).unregistered == ()
    by_path.unlink()
    _vendor_file(vendors, "nvidia.icd", NVIDIA)
    diagnosis = diagnose(layout, POCL_ONLY)
    assert diagnosis.unregistered == () and fix_line(diagnosis) is None
    text, code = doctor(layout=layout, probe=POCL_ONLY)
    assert code == 0
    assert f"NVIDIA: {library}: registered" in text
    assert "All registered" in text
    assert "no platform of it is listed" in text  # registered, yet the probe shows no NVIDIA platform


def test_a_registration_through_a_symlink_counts(tmp_path: Path) -> None:
    real = _library(tmp_path, "usr/lib64/libnvidia-opencl.so.550.54")
    (tmp_path / f"usr/lib64/{NVIDIA}").symlink_to(real.name)
    _vendor_file(tmp_path / "etc/OpenCL/vendors", "nvidia.icd", str(real))
    assert diagnose(Layout(tmp_path, {}), POCL_ONLY).unregistered == ()


def test_ocl_icd_vendors_replaces_the_system_directory(nvidia_unregistered: tuple[Layout, Path]) -> None:
    layout, library = nvidia_unregistered
    _vendor_file(layout.root / "etc/OpenCL/vendors", "nvidia.icd", str(library))
    elsewhere = layout.root / "mine"
    _vendor_file(elsewhere, "other.icd", "/nowhere/libother.so")
    hidden = Layout(layout.root, {"OCL_ICD_VENDORS": str(elsewhere)})
    diagnosis = diagnose(hidden, NOTHING)
    assert [d.driver.key for d in diagnosis.unregistered] == ["nvidia"]
    assert [r.library for r in diagnosis.broken] == ["/nowhere/libother.so"]
    # the new directory keeps what the current one registers, so pointing the loader at it loses nothing
    assert [(f.name, f.library) for f in fix_files(diagnosis)] == [
        ("other.icd", "/nowhere/libother.so"),
        ("nvidia.icd", str(library)),
    ]


def test_ocl_icd_vendors_as_one_file_or_one_library(nvidia_unregistered: tuple[Layout, Path]) -> None:
    layout, library = nvidia_unregistered
    vendors = layout.root / "etc/OpenCL/vendors"
    _vendor_file(vendors, "nvidia.icd", str(library))
    # a bare .icd name is looked up in the vendors directory
    assert [r.library for r in registrations(Layout(layout.root, {"OCL_ICD_VENDORS": "nvidia.icd"}))] == [str(library)]
    single = _vendor_file(layout.root / "one", "x.icd", "libpocl.so.2")
    assert [r.library for r in registrations(Layout(layout.root, {"OCL_ICD_VENDORS": str(single)}))] == ["libpocl.so.2"]
    as_library = Layout(layout.root, {"OCL_ICD_VENDORS": str(library)})
    assert diagnose(as_library, POCL_ONLY).unregistered == ()


def test_opencl_vendor_path_moves_the_system_directory(nvidia_unregistered: tuple[Layout, Path]) -> None:
    layout, library = nvidia_unregistered
    moved = layout.root / "opt/vendors"
    _vendor_file(moved, "nvidia.icd", str(library))
    assert diagnose(Layout(layout.root, {"OPENCL_VENDOR_PATH": str(moved)}), POCL_ONLY).unregistered == ()


def test_bundled_vendor_files_are_read_besides_the_system_ones(tmp_path: Path) -> None:
    bundled = tmp_path / "site-packages/pyopencl/.libs"
    _vendor_file(bundled, "pocl.icd", "libpocl-abc.so")
    layout = Layout(tmp_path, {}, bundled)
    assert [(r.library, r.origin) for r in registrations(layout)] == [("libpocl-abc.so", "pyopencl's bundled drivers")]
    text, code = doctor(layout=layout, probe=POCL_ONLY)
    assert code == 0 and "All registered" in text


def test_libraries_are_searched_in_the_environment_and_vendor_directories(tmp_path: Path) -> None:
    rocm = _library(tmp_path, "opt/rocm-6.1.0/lib/libamdocl64.so")
    intel = _library(tmp_path, "custom/libigdrcl.so")
    container = _library(tmp_path, "drivers/nvidia/libnvidia-opencl.so.1")
    (tmp_path / "etc/ld.so.conf.d").mkdir(parents=True)
    (tmp_path / "etc/ld.so.conf.d/nvidia.conf").write_text("# container driver\n/drivers/nvidia\n")
    layout = Layout(tmp_path, {"LD_LIBRARY_PATH": f"{tmp_path / 'custom'}:relative:"})
    dirs = library_dirs(layout)
    assert dirs[:2] == (tmp_path / "custom", tmp_path / "drivers/nvidia")
    assert rocm.parent in dirs
    found = {d.driver.key: d.paths for d in diagnose(layout, NOTHING).unregistered}
    assert found == {"nvidia": (container,), "amdocl64": (rocm,), "intel": (intel,)}


def test_two_unregistered_drivers_share_one_line(tmp_path: Path) -> None:
    nvidia = _library(tmp_path, f"usr/lib64/{NVIDIA}")
    amd = _library(tmp_path, "opt/rocm/lib/libamdocl64.so")
    line = fix_line(diagnose(Layout(tmp_path, {}), NOTHING))
    assert line == (
        f"mkdir -p icd && echo {nvidia} > icd/nvidia.icd && echo {amd} > icd/amdocl64.icd"
        " && export OCL_ICD_VENDORS=$PWD/icd"
    )


def test_nothing_installed_and_no_platform(tmp_path: Path) -> None:
    text, code = doctor(layout=Layout(tmp_path, {}), probe=NOTHING)
    assert code == 1
    assert "no other vendor driver library" in text
    assert "pip install 'pyopencl[pocl]'" in text


def test_only_the_simulator_is_not_usable(tmp_path: Path) -> None:
    text, code = doctor(layout=Layout(tmp_path, {}), probe=OCLGRIND_ONLY)
    assert code == 1
    assert "a simulator: used only when asked for" in text


def test_fix_system_needs_root_and_writes_only_when_asked(nvidia_unregistered: tuple[Layout, Path]) -> None:
    layout, library = nvidia_unregistered
    vendors = layout.root / "etc/OpenCL/vendors"
    text, code = doctor(fix_system=True, layout=layout, probe=POCL_ONLY, is_root=lambda: False)
    assert code == 1 and "needs root" in text and list(vendors.iterdir()) == []
    _vendor_file(vendors, "nvidia.icd", "/old/driver/libnvidia-opencl.so.1")  # a stale file is kept, not replaced
    text, code = doctor(fix_system=True, layout=layout, probe=POCL_ONLY, is_root=lambda: True)
    assert code == 0
    assert (vendors / "nvidia-2.icd").read_text() == f"{library}\n"
    assert (vendors / "nvidia.icd").read_text() == "/old/driver/libnvidia-opencl.so.1\n"
    assert diagnose(layout, POCL_ONLY).unregistered == ()


@needs_pocl
def test_this_machine_is_all_registered() -> None:
    text, code = doctor()
    assert code == 0
    assert "Portable Computing Language" in text
    assert "pyopencl's bundled drivers" in text


def test_cli_doctor_on_a_fake_layout(
    nvidia_unregistered: tuple[Layout, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    layout, library = nvidia_unregistered
    monkeypatch.setattr(Layout, "current", staticmethod(lambda: layout))
    monkeypatch.setattr("lift.ocl.doctor.probe_opencl", lambda: NOTHING)
    assert main(["doctor"]) == 1
    assert "NOT REGISTERED" in capsys.readouterr().out
    target = layout.root / "icd"
    assert main(["devices", "--doctor", "--fix", str(target)]) == 1
    assert f"export OCL_ICD_VENDORS={target}" in capsys.readouterr().out
    assert (target / "nvidia.icd").read_text() == f"{library}\n"


@needs_pocl
def test_cli_doctor_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    assert "All registered" in capsys.readouterr().out


def test_the_guide_shows_what_the_doctor_prints(tmp_path: Path) -> None:
    """docs/opencl.md's example report is the doctor's output on the layout it describes."""
    guide = (Path(__file__).resolve().parents[2] / "docs/opencl.md").read_text()
    shown = guide.split("```bash\nlift doctor\n```\n\n```text\n", 1)[1].split("```", 1)[0]
    for d in ("usr/lib", "usr/lib64", "usr/local/lib", "etc/OpenCL/vendors"):
        (tmp_path / d).mkdir(parents=True)
    _library(tmp_path, f"usr/lib/x86_64-linux-gnu/{NVIDIA}")
    text, _ = doctor(layout=Layout(tmp_path, {}), probe=NOTHING)
    assert text.replace(str(tmp_path), "") + "\n" == shown


@needs_pocl
def test_the_device_listing_and_errors_point_to_the_doctor(capsys: pytest.CaptureFixture[str]) -> None:
    from lift.errors import DeviceError
    from lift.ocl.device import NO_DEVICE_HELP, select_device

    assert main(["devices"]) == 0
    assert "lift doctor" in capsys.readouterr().out
    assert "lift doctor" in NO_DEVICE_HELP
    with pytest.raises(DeviceError, match="lift doctor"):
        select_device("no-such-device")


def test_a_bare_versioned_name_that_the_linker_resolves_counts(tmp_path: Path) -> None:
    """Debian's PoCL registers ``libpocl.so.2.12.0``, the file ``libpocl.so.2`` links to (seen on a GPU machine)."""
    real = _library(tmp_path, "usr/lib/x86_64-linux-gnu/libpocl.so.2.12.0")
    (real.parent / "libpocl.so.2").symlink_to(real.name)
    _vendor_file(tmp_path / "etc/OpenCL/vendors", "pocl.icd", "libpocl.so.2.12.0")
    diagnosis = diagnose(Layout(tmp_path, {}), POCL_ONLY)
    assert [d.driver.key for d in diagnosis.drivers] == ["pocl"] and diagnosis.unregistered == ()


def test_two_platforms_of_one_name_are_listed_apart(tmp_path: Path) -> None:
    """Two registrations of one driver give two platforms of one name, each with its own devices."""
    twice = OpenCLProbe(tuple(SeenPlatform(POCL, (SeenDevice(POCL, f"cpu {k}", "CPU"),)) for k in (1, 2)))
    text, code = doctor(layout=Layout(tmp_path, {}), probe=twice)
    assert code == 0
    assert text.splitlines()[1:3] == [f"  {POCL}: cpu 1 (CPU)", f"  {POCL}: cpu 2 (CPU)"]
