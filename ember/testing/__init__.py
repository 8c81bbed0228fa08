"""ember.testing: ``assert_close`` with torch.testing's tolerances and failure messages.

Inputs are matched pairwise first (sequences and mappings are walked, the leaves must be
None, bools, numbers, ember Tensors or NumPy arrays of the same kind), so a structural
mismatch is reported before any value is compared, as torch does.
"""
import cmath
from collections.abc import Mapping, Sequence

import numpy as np

from .._dtype import bfloat16, complex64, complex128, float16, float32, float64, int64
from .._dtype import get_default_dtype, promote_types, uint16, uint32, uint64
from .._tensor import Tensor
from ._creation import make_tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) per dtype; every other dtype (integers, bool) must match exactly
_PRECISIONS = {float16: (0.001, 1e-5), bfloat16: (0.016, 1e-5), float32: (1.3e-6, 1e-5),
               float64: (1e-7, 1e-7), complex64: (1.3e-6, 1e-5), complex128: (1e-7, 1e-7)}
_NUMBER_DTYPES = {int: int64, float: float64, complex: complex128}


class _Failure(Exception):
    """A mismatch found while pairing or comparing: raised to the user as ``kind(msg)``."""

    def __init__(self, kind, msg, id=()):
        super().__init__(msg)
        self.kind, self.msg, self.id = kind, msg, id

    def to_error(self, msg):
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.msg
        if self.id:
            text += "\n\nThe failure occurred for item " + "".join(str([i]) for i in self.id)
        return self.kind(msg(text) if callable(msg) else text)


def _tolerances(dtypes, rtol, atol, id):
    if (rtol is None) != (atol is None):
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                   f"but got no {'rtol' if rtol is None else 'atol'}.", id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*[_PRECISIONS.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def _is_sequence(x):
    return isinstance(x, Sequence) and not isinstance(x, str)


def _pairs(actual, expected, id=()):
    """Flatten matching containers into (actual_leaf, expected_leaf, id) triples."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, "The length of the sequences mismatch: "
                                           f"{len(actual)} != {len(expected)}", id)
        return [p for i in range(len(actual)) for p in _pairs(actual[i], expected[i], id + (i,))]
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        a_keys, e_keys = set(actual.keys()), set(expected.keys())
        if a_keys != e_keys:
            raise _Failure(AssertionError,
                           "The keys of the mappings do not match:\n"
                           f"Missing keys in the actual mapping: {sorted(e_keys - a_keys)}\n"
                           f"Additional keys in the actual mapping: {sorted(a_keys - e_keys)}",
                           id)
        try:
            keys = sorted(a_keys)
        except Exception:
            keys = list(a_keys)
        return [p for k in keys for p in _pairs(actual[k], expected[k], id + (k,))]
    return [(actual, expected, id)]


def _kind(a, e):
    if a is None or e is None:
        return "none"
    if all(isinstance(x, (bool, np.bool_)) for x in (a, e)):
        return "bool"
    if all(isinstance(x, (int, float, complex, np.number)) and not isinstance(x, bool)
           for x in (a, e)):
        return "number"
    if (isinstance(a, Tensor) and isinstance(e, Tensor)) or \
            (isinstance(a, np.ndarray) and isinstance(e, np.ndarray)):
        return "tensor"
    return None


def _scalar_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg("Scalars", f"Expected {expected} but got {actual}.",
                         abs_diff, None, atol, rel_diff, None, rtol)


def _mismatch_msg(what, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equal = rtol == 0 and atol == 0
    lines = [f"{what} are not {'equal' if equal else 'close'}!", "", extra.strip()]
    for kind, diff, idx, tol in (("absolute", abs_diff, abs_idx, atol),
                                 ("relative", rel_diff, rel_idx, rtol)):
        line = (f"{kind.title()} difference: {diff}" if idx is None
                else f"Greatest {kind} difference: {diff} at index {idx}")
        lines.append(line if equal else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


def _compare_numbers(a, e, rtol, atol, equal_nan, check_dtype, id):
    a = a.item() if isinstance(a, np.number) else a
    e = e.item() if isinstance(e, np.number) else e
    if check_dtype and type(a) is not type(e):
        raise _Failure(AssertionError, f"The (d)types do not match: {type(a)} != {type(e)}.", id)
    if a == e or (equal_nan and cmath.isnan(a) and cmath.isnan(e)):
        return
    abs_diff = abs(a - e)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(e):
        return
    raise _Failure(AssertionError, _scalar_msg(a, e, rtol, atol), id)


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    from .. import from_numpy
    return from_numpy(x if x.flags.writeable else x.copy())


def _close_mask(a, e, rtol, atol, equal_nan):
    """torch.isclose: |a - e| <= atol + rtol * |e|, infinities equal only to themselves."""
    with np.errstate(invalid="ignore", over="ignore"):
        close = a == e
        if rtol != 0 or atol != 0:
            if not (np.issubdtype(a.dtype, np.inexact) or a.dtype.name == "bfloat16"):
                a, e = a.astype(np.float64), e.astype(np.float64)
            close |= np.isfinite(e) & (np.abs(a - e) <= atol + rtol * np.abs(e))
        if equal_nan:
            close |= np.isnan(a) & np.isnan(e)
    return close


def _tensor_msg(a, e, close, rtol, atol, floating):
    shape = close.shape
    total, n_bad = close.size, int(close.size - np.count_nonzero(close))
    extra = f"Mismatched elements: {n_bad} / {total} ({n_bad / total:.1%})"
    a, e, close = a.reshape(-1), e.reshape(-1), close.reshape(-1)
    if not floating:
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[close] = 0
        denom = np.abs(e)
        if not floating:  # integer true division yields the default float dtype
            abs_diff_f = abs_diff.astype(get_default_dtype().np)
            rel_diff = abs_diff_f / denom.astype(abs_diff_f.dtype)
        else:
            rel_diff = abs_diff / denom
        rel_diff[close] = 0

    def top(diff):
        i = int(np.argmax(diff))  # the first NaN when there is one, as torch.max
        v = diff[i].item()
        return (float(v) if floating else v), tuple(int(k) for k in np.unravel_index(i, shape))
    abs_v, abs_i = top(abs_diff)
    rel_v, rel_i = top(rel_diff)
    return _mismatch_msg("Tensor-likes", extra, abs_v, abs_i, atol, rel_v, rel_i, rtol)


def _compare_tensors(a, e, rtol, atol, equal_nan, check_dtype, check_layout, check_stride, id):
    a, e = _as_tensor(a), _as_tensor(e)
    rtol, atol = _tolerances((a.dtype, e.dtype), rtol, atol, id)

    def mismatch(name, x, y):
        raise _Failure(AssertionError,
                       f"The values for attribute '{name}' do not match: {x} != {y}.", id)
    if a.shape != e.shape:
        mismatch("shape", a.shape, e.shape)
    if check_stride and a.stride() != e.stride():
        mismatch("stride()", a.stride(), e.stride())
    if check_dtype and a.dtype != e.dtype:
        mismatch("dtype", a.dtype, e.dtype)
    x, y = a._data, e._data
    if a.dtype != e.dtype:
        # unsigned types beyond uint8 have no promotion partner; compare them as int64
        da = int64 if a.dtype in (uint16, uint32, uint64) else a.dtype
        de = int64 if e.dtype in (uint16, uint32, uint64) else e.dtype
        common = promote_types(da, de)
        x, y, dtype = x.astype(common.np), y.astype(common.np), common
    else:
        dtype = a.dtype
    close = _close_mask(x, y, rtol, atol, equal_nan)
    if close.all():
        return
    if x.ndim == 0:
        raise _Failure(AssertionError, _scalar_msg(x.item() if dtype != bfloat16 else float(x),
                                                   y.item() if dtype != bfloat16 else float(y),
                                                   rtol, atol), id)
    floating = dtype.is_floating_point or dtype.is_complex
    raise _Failure(AssertionError, _tensor_msg(x, y, close, rtol, atol, floating), id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` are close.

    Close means ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with
    default (rtol, atol) chosen from the dtypes: float16 (1e-3, 1e-5), bfloat16
    (1.6e-2, 1e-5), float32 (1.3e-6, 1e-5), float64 (1e-7, 1e-7), exact otherwise.
    Shapes must match, and dtypes too unless ``check_dtype=False`` (then both are
    promoted to a common dtype).  ``msg`` replaces the message, or, if callable, is
    given the generated message and returns the one to raise.
    """
    __tracebackhide__ = True
    try:
        pairs = _pairs(actual, expected)
        kinds = []
        for a, e, id in pairs:
            kind = _kind(a, e)
            if kind is None:
                raise _Failure(TypeError, "No comparison pair was able to handle inputs of "
                                          f"type {type(a)} and {type(e)}.", id)
            if kind == "number":
                kinds.append(_tolerances([_NUMBER_DTYPES[type(x.item() if isinstance(
                    x, np.number) else x)] for x in (a, e)], rtol, atol, id))
            else:
                kinds.append(None)
        for (a, e, id), tols in zip(pairs, kinds):
            kind = _kind(a, e)
            if kind == "none":
                if not (a is None and e is None):
                    raise _Failure(AssertionError, f"None mismatch: {a} is not {e}", id)
            elif kind == "bool":
                if bool(a) is not bool(e):
                    raise _Failure(AssertionError, f"Booleans mismatch: {a} is not {e}", id)
            elif kind == "number":
                _compare_numbers(a, e, *tols, equal_nan, check_dtype, id)
            else:
                _compare_tensors(a, e, rtol, atol, equal_nan, check_dtype, check_layout,
                                 check_stride, id)
    except _Failure as failure:
        raise failure.to_error(msg) from None
