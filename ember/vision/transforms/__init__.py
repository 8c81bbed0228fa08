"""ember.vision.transforms: torchvision.transforms' role (PIL images and ember tensors)."""
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _all
from .functional import InterpolationMode  # noqa: F401
from . import functional  # noqa: F401

__all__ = list(_all) + ["functional"]
