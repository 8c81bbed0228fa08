"""ember.backends.openmp: torch's CPU wheel is built with OpenMP."""


def is_available():
    return True
