"""``examples.stencil1d`` is :mod:`lift.examples.stencil1d` (see :func:`examples.stand_in`); ``python -m examples.stencil1d`` runs it."""

from examples import stand_in

stand_in(__name__, __spec__)
