"""ember.backends.mkl: NumPy's BLAS does this job; report it present as torch's CPU wheel does."""


def is_available():
    return True
