"""The command line: ``python -m lift types|run|examples``."""

from __future__ import annotations

import pytest

from lift.cli import main


def test_types_prints_every_stage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["types", "dot"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fun dot(")
    assert ">> reduce(add, 0.0)" in out and ": [f32]1" in out


def test_run_checks_an_example_at_given_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "dot", "-s", "N=64"]) == 0
    assert "N=64" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "nope"], "unknown example 'nope'"),
        (["run", "dot", "-s", "N=x"], "NAME=INT"),
        (["run", "dot", "-s", "N=0"], "at least 1"),
        (["run", "matmul", "-s", "M=3", "-s", "K=5", "-s", "N=2"], "ok"),
    ],
)
def test_bad_input_is_reported_not_raised(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    captured = capsys.readouterr()
    assert message in captured.err + captured.out
    assert code == (0 if message == "ok" else 2)


def test_kernel_prints_the_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kernel", "dot", "--print", "-s", "N=65536"]) == 0
    out = capsys.readouterr().out
    # the default mapping: work-groups reduce parts of the products (fused in), a last one their partial sums
    assert "void dot_reduce0_parts_kernel(" in out and "acc = add(acc, mult(x[" in out and "void dot_kernel(" in out


def test_kernel_runs_on_pocl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kernel", "stencil1d", "--run", "--device", "pocl", "-s", "N=256"]) == 0
    assert "max relative error" in capsys.readouterr().out


def test_devices_lists_pocl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices"]) == 0
    assert "Portable Computing Language" in capsys.readouterr().out


def test_kernel_with_an_unknown_device_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kernel", "dot", "--run", "--device", "no-such-device"]) == 2
    assert "no OpenCL device matches" in capsys.readouterr().err


def test_mappings_count_list_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mappings", "matmul", "--count"]) == 0
    assert "valid mappings" in capsys.readouterr().out
    assert main(["mappings", "matmul", "--list", "2"]) == 0
    assert capsys.readouterr().out.count("map0=") == 2
    assert main(["mappings", "matmul", "--explain", "map0=glb0", "--explain", "map1=lcl0"]) == 0
    assert "no-glb-with-wrg-lcl" in capsys.readouterr().out
    assert main(["mappings", "matmul", "--explain", "map1"]) == 2
    assert "LABEL=CHOICE" in capsys.readouterr().err


def test_case_study_samples_compiles_verifies_and_times(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["case-study", "--layer", "conv5_1", "--shrink", "64", "--samples", "2", "--device", "pocl"]) == 0
    out = capsys.readouterr().out
    assert "valid mappings, 2 sampled" in out and "best: map0=" in out and "GFLOP/s" in out


def test_case_study_rejects_an_unknown_layer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["case-study", "--layer", "conv9_9"]) == 2
    assert "VGG-16 layers are" in capsys.readouterr().err
