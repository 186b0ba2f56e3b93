"""Random well-typed programs, compiled with the default mapping and run on PoCL, agree with the interpreter.

The programs (``lift.testing.programs``) compute on small integers, so float32 results are exact and the
comparison is exact too. Every program compiles: array accumulators of ``reduce_seq`` included (updated in place
where that is proved safe, through a second array otherwise).
"""

from __future__ import annotations

from hypothesis import event, given, note
from hypothesis import strategies as st

import lift
from lift.dsl import pretty
from lift.testing import inputs_for, programs
from tests.ocl.conftest import assert_same_results, needs_pocl


@needs_pocl
@given(data=st.data(), prog=programs(max_stages=4, max_depth=2, max_elems=512))
def test_compiled_program_agrees_with_the_interpreter(data: st.DataObject, prog: lift.dsl.ir.Fun) -> None:
    note(pretty(prog, types=True))
    kernel = lift.compile(prog, device="pocl")
    note(kernel.source)
    event(f"barriers: {len(kernel.barriers)}")
    arrays = data.draw(inputs_for(prog))
    assert_same_results(kernel(*arrays), lift.interpret(prog, *arrays))
