"""ember.vision.models (being built)."""
