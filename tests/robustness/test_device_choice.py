"""Device choice: a real GPU, then PoCL's CPU device, then any other; Oclgrind only when asked (issue 8).

The device lists are fakes (``lift.ocl.device._devices`` patched): no driver is needed."""

from __future__ import annotations

from dataclasses import dataclass

import pyopencl as cl
import pytest

import lift
from lift.ocl import device as dev


@dataclass(frozen=True)
class FakePlatform:
    name: str


@dataclass(frozen=True)
class FakeDevice:
    platform: FakePlatform
    name: str
    type: int


OCLGRIND = FakeDevice(FakePlatform("Oclgrind"), "Oclgrind Simulator", cl.device_type.GPU)  # it says GPU
POCL = FakeDevice(FakePlatform("Portable Computing Language"), "pthread-AMD EPYC", cl.device_type.CPU)
NVIDIA = FakeDevice(FakePlatform("NVIDIA CUDA"), "NVIDIA H200", cl.device_type.GPU)
INTEL_CPU = FakeDevice(FakePlatform("Intel(R) OpenCL"), "Intel Xeon", cl.device_type.CPU)


@pytest.fixture
def devices(monkeypatch: pytest.MonkeyPatch) -> list[FakeDevice]:
    listed: list[FakeDevice] = []
    monkeypatch.setattr(dev, "_devices", lambda: list(listed))
    monkeypatch.delenv("LIFT_DEVICE", raising=False)
    return listed


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        ([OCLGRIND, POCL], POCL),
        ([POCL, OCLGRIND], POCL),
        ([OCLGRIND, POCL, NVIDIA], NVIDIA),
        ([OCLGRIND, INTEL_CPU], INTEL_CPU),
        ([INTEL_CPU, POCL], POCL),
    ],
)
def test_the_default_prefers_a_real_gpu_then_pocl(
    devices: list[FakeDevice], present: list[FakeDevice], chosen: FakeDevice
) -> None:
    devices.extend(present)
    assert dev.select_device() is chosen


def test_oclgrind_is_used_only_when_asked(devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch) -> None:
    devices.extend([OCLGRIND, POCL])
    assert dev.select_device("oclgrind") is OCLGRIND
    monkeypatch.setenv("LIFT_DEVICE", "oclgrind")
    assert dev.select_device() is OCLGRIND
    devices.remove(POCL)
    monkeypatch.delenv("LIFT_DEVICE")
    with pytest.raises(lift.DeviceError, match=r"only when asked for.*LIFT_DEVICE=oclgrind"):
        dev.select_device()


@pytest.mark.parametrize("word", [" pocl ", "POCL", "\tPoCl\n", "portable", "1"])
def test_words_are_trimmed_and_compared_without_case(
    devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch, word: str
) -> None:
    devices.extend([OCLGRIND, POCL])
    assert dev.select_device(word) is POCL
    monkeypatch.setenv("LIFT_DEVICE", word)
    assert dev.select_device() is POCL


def test_a_blank_lift_device_means_the_default(devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch) -> None:
    devices.extend([OCLGRIND, POCL])
    monkeypatch.setenv("LIFT_DEVICE", "   ")
    assert dev.select_device() is POCL


@pytest.mark.parametrize("word", ["amd-gpu", "7", True, 2.5])
def test_unknown_words_name_the_available_devices(devices: list[FakeDevice], word: object) -> None:
    devices.extend([OCLGRIND, POCL])
    with pytest.raises(lift.DeviceError) as info:
        dev.select_device(word)
    message = str(info.value)
    assert "0: Oclgrind / Oclgrind Simulator" in message or "expected a pyopencl device" in message
    assert isinstance(info.value, lift.LiftError)


def test_no_device_at_all_gives_the_help(devices: list[FakeDevice]) -> None:
    with pytest.raises(lift.DeviceError, match="pyopencl\\[pocl\\]"):
        dev.select_device()
