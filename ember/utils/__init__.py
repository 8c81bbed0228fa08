"""ember.utils: data loading, activation checkpointing, model_zoo (TensorBoard on import)."""
from . import data  # noqa: F401
from . import checkpoint, model_zoo  # noqa: F401
