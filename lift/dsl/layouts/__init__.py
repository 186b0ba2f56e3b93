"""The layout combinators that ship, each defined once in its module (see :mod:`lift.dsl.layout`): importing this
package registers them."""

from lift.dsl.layouts.crop import Drop, Take, drop, take
from lift.dsl.layouts.padding import Pad
from lift.dsl.layouts.permute import Gather, Scatter
from lift.dsl.layouts.reorder import ReorderStride, reorder_stride
from lift.dsl.layouts.shape import Join, Slide, Split, Transpose
from lift.dsl.layouts.vector import AsScalar, AsVector, as_scalar, as_vector

__all__ = [
    "AsScalar",
    "AsVector",
    "Drop",
    "Gather",
    "Join",
    "Pad",
    "ReorderStride",
    "Scatter",
    "Slide",
    "Split",
    "Take",
    "Transpose",
    "as_scalar",
    "as_vector",
    "drop",
    "reorder_stride",
    "take",
]
