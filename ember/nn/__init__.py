"""ember.nn: modules, layers, losses (being built)."""
from . import functional  # noqa: F401
