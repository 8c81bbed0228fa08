"""ember.vision: torchvision's role — datasets, transforms, models, image utilities."""
from . import datasets, transforms, models, ops, utils  # noqa: F401

__version__ = "0.29.1"


def get_image_backend():
    return "PIL"


def set_image_backend(backend):
    if backend != "PIL":
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
