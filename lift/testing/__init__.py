"""Property-based verification: Hypothesis strategies for programs and inputs, and an equivalence assertion.

::

    from hypothesis import given
    from lift.testing import assert_equivalent, programs
    from lift.rewrite import map_fusion, sites, apply

    @given(programs())
    def test_fusion(prog):
        for site in sites(prog, map_fusion):
            assert_equivalent(prog, apply(prog, map_fusion, site))

See ``docs/rewrite.md``.
"""

from lift.testing.assertions import assert_equivalent
from lift.testing.retype import retype, widen
from lift.testing.strategies import COMBINATORS, inputs_for, programs

__all__ = ["COMBINATORS", "assert_equivalent", "inputs_for", "programs", "retype", "widen"]
