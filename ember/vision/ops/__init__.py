"""ember.vision.ops: the building blocks torchvision.ops shares between models."""
from .misc import Conv2dNormActivation, SqueezeExcitation, FrozenBatchNorm2d

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "FrozenBatchNorm2d"]
