"""``examples.matmul`` is :mod:`lift.examples.matmul` (see :func:`examples.stand_in`); ``python -m examples.matmul`` runs it."""

from examples import stand_in

stand_in(__name__, __spec__)
