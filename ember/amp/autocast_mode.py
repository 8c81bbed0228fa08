"""``autocast``: a context manager and decorator.

On a machine without CUDA, PyTorch disables a CUDA autocast region with a warning;
ember does the same.  CPU autocast (running matrix products in bfloat16) is not
implemented: asking for it raises instead of silently computing in float32.
"""
import functools
import warnings

from .. import _dtype as D
from ..cuda import is_available as _cuda_available

_enabled = {"cpu": False, "cuda": False}


def is_autocast_available(device_type):
    return device_type in ("cpu", "cuda")


def is_autocast_enabled(device_type=None):
    return _enabled.get(device_type or "cuda", False)


class autocast:
    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else (
            D.bfloat16 if device_type == "cpu" else D.float16)
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        if enabled and device_type == "cuda" and not _cuda_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.")
            enabled = False
        if enabled and device_type not in ("cpu", "cuda"):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        if enabled and device_type == "cpu":
            raise NotImplementedError(
                "ember does not implement CPU autocast (bfloat16 matrix products); "
                "run the region in float32 with autocast(..., enabled=False)")
        self._enabled = enabled

    def __enter__(self):
        self._prev = _enabled.get(self.device, False)
        _enabled[self.device] = self._enabled
        return self

    def __exit__(self, *exc):
        _enabled[self.device] = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return run
