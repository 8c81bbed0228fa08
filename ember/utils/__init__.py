"""ember.utils: data loading and (later) TensorBoard."""
from . import data  # noqa: F401
