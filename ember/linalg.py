"""ember.linalg: norms, inverses, solves, decompositions."""
