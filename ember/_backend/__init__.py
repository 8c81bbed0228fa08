"""The one seam between ember and an array library.

Every op asks here for the array module of its inputs (``xp``); nothing else in
ember imports numpy directly.  Today only NumPy on the CPU is wired; a CuPy
module for ``device='cuda'`` slots in beside it.
"""
import numpy as np

try:  # bfloat16 is not a NumPy dtype; ml_dtypes supplies a real one
    import ml_dtypes as _ml_dtypes
    bfloat16 = np.dtype(_ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes is a declared dependency
    bfloat16 = None

xp = np

# PyTorch never warns on overflow, division by zero or invalid values: it
# quietly produces inf/nan.  Match that for ember's own array work.
np.seterr(all="ignore")


def array_module(device=None):
    """The array module for a device (only the CPU for now)."""
    return np


__all__ = ["np", "xp", "bfloat16", "array_module"]
