"""ember.vision.utils: make_grid, save_image (being built)."""
