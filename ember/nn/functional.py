"""ember.nn.functional (being built)."""
