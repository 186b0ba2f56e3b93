"""``lift.solve.describe``: the device limits the mapping model reads, without importing ``lift.ocl``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from lift.errors import DeviceError, LiftInternalError
from lift.solve import DEFAULT_DEVICE, MALI_G72, DeviceDescription
from lift.solve import device as solve_device


def test_none_is_the_default_device_and_a_description_is_kept_as_is() -> None:
    assert solve_device.describe(None) is DEFAULT_DEVICE
    assert solve_device.describe(MALI_G72) is MALI_G72


def test_a_device_is_read_through_pyopencls_attribute_names() -> None:
    fake = SimpleNamespace(name=" Some GPU \n", max_work_group_size=512, local_mem_size=65536)
    assert solve_device.describe(fake) == DeviceDescription("Some GPU", 512, 65536)


def test_words_and_indices_go_through_the_installed_chooser(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []

    def choose(words: Any) -> Any:
        asked.append(words)
        return SimpleNamespace(name="Chosen", max_work_group_size=128, local_mem_size=1024)

    monkeypatch.setattr(solve_device, "_CHOOSER", [choose])
    assert solve_device.describe("nvidia") == DeviceDescription("Chosen", 128, 1024)
    assert solve_device.describe(2).name == "Chosen"
    assert asked == ["nvidia", 2]


def test_importing_lift_installs_the_ocl_chooser() -> None:
    from lift.ocl.device import select_device

    assert solve_device._CHOOSER == [select_device]


def test_words_without_a_chooser_say_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_device, "_CHOOSER", [])
    with pytest.raises(LiftInternalError, match=r"no device chooser is installed.*import lift"):
        solve_device.describe("pocl")


def test_something_that_is_not_a_device_names_what_it_lacks() -> None:
    with pytest.raises(DeviceError, match=r"found object .*it has no name, max_work_group_size"):
        solve_device.describe(object())
    with pytest.raises(DeviceError, match=r"it has no local_mem_size"):
        solve_device.describe(SimpleNamespace(name="half", max_work_group_size=64))
