"""The command line never shows a traceback: every bad input is one ``error: …`` line and a non-zero exit, and
sizes are checked before anything is allocated (issue 8)."""

from __future__ import annotations

import pytest

from lift.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kernel", "dot", "-s", "N=0"], "a size must be an int at least 1 and at most 2**62, found 0"),
        (["kernel", "dot", "-s", "N=-3"], "found -3"),
        (["kernel", "dot", "-s", "N=abc"], "NAME=INT"),
        (["kernel", "dot", "-s", "N=99999999999999999999"], "at most 2**62"),
        (["kernel", "dot", "-s", "Q=4"], "dot has no size Q; its sizes are N"),
        (["run", "dot", "-s", "N=0"], "found 0"),
        (["mappings", "dot", "-s", "N=-1"], "found -1"),
        (["kernel", "nope"], "unknown example 'nope'"),
        (["kernel", "dot", "--run", "--device", "no-such-device"], "no OpenCL device matches 'no-such-device'"),
        (["kernel", "dot", "-s", "N=3000000000", "--run", "--device", "pocl"], "needs 12000000000 bytes"),
        (["kernel", "matmul", "-s", "M=4611686018427387904", "-s", "K=4"], "beyond the largest 64-bit integer"),
    ],
)
def test_bad_input_is_one_error_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_sizes_beyond_host_memory_are_refused_before_interpreting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "dot", "-s", "N=4611686018427387904"]) == 2
    assert "more than the host's free memory" in capsys.readouterr().err
