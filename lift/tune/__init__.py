"""Exploration of mappings and tuning values: compile, run, verify, keep the fastest."""

from lift.tune.explore import Exploration, Trial, explore

__all__ = ["VGG16_LAYERS", "Exploration", "Trial", "explore"]

VGG16_LAYERS: dict[str, tuple[int, int, int]] = {
    "conv1_1": (224, 3, 64),
    "conv1_2": (224, 64, 64),
    "conv2_1": (112, 64, 128),
    "conv2_2": (112, 128, 128),
    "conv3_1": (56, 128, 256),
    "conv3_2": (56, 256, 256),
    "conv4_1": (28, 256, 512),
    "conv4_2": (28, 512, 512),
    "conv5_1": (14, 512, 512),
}
"""The nine distinct 3x3 convolution layers of VGG-16: (height = width, input channels, output channels)."""
