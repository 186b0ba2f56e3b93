"""``examples.gemv`` is :mod:`lift.examples.gemv` (see :func:`examples.stand_in`); ``python -m examples.gemv`` runs it."""

from examples import stand_in

stand_in(__name__, __spec__)
