"""make_tensor: random test inputs of any dtype, drawn exactly as torch.testing draws them
(so under the same seed ember and torch produce the same values)."""
import math
import warnings
from collections.abc import Sequence

from .. import _dtype as D

_INTEGRAL = (D.uint8, D.int8, D.int16, D.int32, D.int64, D.uint16, D.uint32, D.uint64)
_FLOATING = (D.float16, D.bfloat16, D.float32, D.float64)
_COMPLEX = (D.complex64, D.complex128)


def _bounds(low, high, lowest, highest, default_low, default_high, dtype):
    """Fill in defaults, reject bad intervals, clamp to the dtype's range."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype in _FLOATING + _COMPLEX:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                      "complex types is deprecated since 2.1 and will be removed in 2.3. "
                      "Use `torch.full(...)` instead.", FutureWarning, stacklevel=4)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype is D.bool or dtype in _INTEGRAL:
        return math.ceil(low), math.ceil(high)
    return low, high


def _uniform(shape, dtype, low, high):
    import ember
    t = ember.empty(shape, dtype=dtype)
    if high - low >= ember.finfo(dtype).max:  # the width itself would overflow
        return t.uniform_(low / 2, high / 2).mul_(2)
    return t.uniform_(low, high)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` filled uniformly from ``[low, high)``.

    Defaults: bool [0, 2), unsigned [0, 10), signed integers [-9, 10), floating and complex
    [-9, 9); bounds outside the dtype's range are clamped.  ``noncontiguous`` returns a
    strided view, ``exclude_zero`` replaces zeros by 1 (integers) or the smallest normal
    (floating).  Draws from the global generator: ember.manual_seed(s) reproduces
    torch.testing.make_tensor under torch.manual_seed(s).
    """
    import ember
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous} and "
                         f"memory_format={memory_format}")
    integral = dtype is D.bool or dtype in _INTEGRAL
    if requires_grad and integral:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # draw twice the last dimension, then keep every other element
        shape = (*shape[:-1], 2 * shape[-1])

    if dtype is D.bool:
        low, high = _bounds(low, high, 0, 2, 0, 2, dtype)
        result = ember.randint(low, high, shape, dtype=dtype)
    elif dtype in _INTEGRAL:
        info = ember.iinfo(dtype)
        # randint's exclusive bound cannot exceed int64's range, hence no +1 for int64
        low, high = _bounds(low, high, info.min, info.max + (dtype is not D.int64), -9, 10,
                            dtype)
        result = ember.randint(low, high, shape, dtype=dtype)
    elif dtype in _FLOATING + _COMPLEX:
        info = ember.finfo(dtype)
        low, high = _bounds(low, high, info.min, info.max, -9, 9, dtype)
        if dtype in _COMPLEX:
            # torch fills view_as_real(result): real and imaginary parts interleaved
            part = D.float32 if dtype is D.complex64 else D.float64
            pairs = _uniform((*shape, 2), part, low, high)
            result = ember.complex(pairs[..., 0], pairs[..., 1])
        else:
            result = _uniform(shape, dtype, low, high)
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by "
                        "torch.testing.make_tensor(). To request support, file an issue at: "
                        "https://github.com/pytorch/pytorch/issues")
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone()
    if exclude_zero:
        result[result == 0] = 1 if integral else ember.finfo(dtype).tiny
    if not integral:
        result.requires_grad = requires_grad
    return result
