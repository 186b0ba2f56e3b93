"""``examples.matmul_blocked`` is :mod:`lift.examples.matmul_blocked` (see :func:`examples.stand_in`); ``python -m examples.matmul_blocked`` runs it."""

from examples import stand_in

stand_in(__name__, __spec__)
