"""ember.backends: torch.backends as a CPU-only build of PyTorch reports it.

The flags are real attributes (assignment type-checks and reads back); the availability
queries answer for a CPU-only build: no cuDNN, no MPS, MKL/oneDNN/OpenMP present.
"""
from contextlib import contextmanager

from . import _flags

_generic = {"fp32_precision": "none"}


def disable_global_flags():
    _flags._frozen[0] = True


def flags_frozen():
    return _flags._frozen[0]


@contextmanager
def flags(fp32_precision="none"):
    import sys
    module = sys.modules[__name__]
    with _flags.unfrozen():
        old = module.fp32_precision
        if fp32_precision is not None:
            module.fp32_precision = fp32_precision
    try:
        yield
    finally:
        with _flags.unfrozen():
            module.fp32_precision = old


class _BackendsModule(_flags.FlagModule):
    fp32_precision = _flags.flag(_generic, "fp32_precision", str, "_set_fp32_precision_setter",
                                 _flags.check_precision)


_flags.install(__name__, _BackendsModule)

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: E402,F401
