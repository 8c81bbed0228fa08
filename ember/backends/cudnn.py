"""ember.backends.cudnn: cuDNN's switches, as a CPU-only torch build has them.

There is no cuDNN (``is_available()`` False, ``version()`` None), but the flags keep
torch's defaults and can be set, since training scripts set them unconditionally
(``cudnn.benchmark = True``, ``cudnn.deterministic = True`` for reproducibility).
"""
from contextlib import contextmanager

from . import _flags

_state = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True,
          "fp32_precision": "none", "depthwise_kernel": "auto"}


def _check_depthwise(value):
    if value not in ("auto", "cudnn", "native"):
        raise RuntimeError(f"Unknown cuDNN depthwise kernel mode: {value}. "
                           "Expected one of: auto, cudnn, native")


def is_available():
    return False


def version():
    return None


def is_acceptable(tensor):
    # cuDNN only ever takes CUDA tensors, and there are none
    return False


def _set_flags(values):
    import sys
    module = sys.modules[__name__]
    old = {k: getattr(module, k) for k in values}
    for k, v in values.items():
        if v is not None:
            setattr(module, k, v)
    return old


@contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    """Set the flags for the ``with`` block (unset arguments take these defaults, as in
    torch); benchmark_limit only applies where cuDNN exists."""
    with _flags.unfrozen():
        old = _set_flags({"enabled": enabled, "benchmark": benchmark,
                          "deterministic": deterministic, "allow_tf32": allow_tf32,
                          "fp32_precision": fp32_precision,
                          "depthwise_kernel": depthwise_kernel})
    try:
        yield
    finally:
        with _flags.unfrozen():
            _set_flags(old)


class _CudnnModule(_flags.FlagModule):
    enabled = _flags.flag(_state, "enabled", bool, "set_enabled_cudnn")
    benchmark = _flags.flag(_state, "benchmark", bool, "set_benchmark_cudnn")
    deterministic = _flags.flag(_state, "deterministic", bool, "set_deterministic_cudnn")
    # torch's setter reports itself under the cuBLAS name; keep its words
    allow_tf32 = _flags.flag(_state, "allow_tf32", bool, "set_allow_tf32_cublas")
    fp32_precision = _flags.flag(_state, "fp32_precision", str, "_set_fp32_precision_setter",
                                 _flags.check_precision)
    depthwise_kernel = _flags.flag(_state, "depthwise_kernel", str,
                                   "set_cudnn_depthwise_kernel", _check_depthwise)


benchmark_limit = None  # a CUDA-only setting: None where cuDNN is absent

_flags.install(__name__, _CudnnModule)
