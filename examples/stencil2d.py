"""``examples.stencil2d`` is :mod:`lift.examples.stencil2d` (see :func:`examples.stand_in`); ``python -m examples.stencil2d`` runs it."""

from examples import stand_in

stand_in(__name__, __spec__)
