"""``examples.conv2d`` is :mod:`lift.examples.conv2d` (see :func:`examples.stand_in`); ``python -m examples.conv2d`` runs it."""

from examples import stand_in

stand_in(__name__, __spec__)
