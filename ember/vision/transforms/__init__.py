"""ember.vision.transforms (being built)."""
