"""``examples.dot`` is :mod:`lift.examples.dot` (see :func:`examples.stand_in`); ``python -m examples.dot`` runs it."""

from examples import stand_in

stand_in(__name__, __spec__)
