"""Range factories (arange, linspace, logspace, range) with PyTorch's exact CPU values.

The compiled kernels use fused multiply-adds and, for arange, 32-byte vectors; the
float results depend on both, so each kernel is reproduced operation for operation.
"""
import builtins
import math
import numbers
import warnings

from . import _dtype as D
from ._backend import np
from ._tensor import Tensor, _wrap
from ._creation import _finish, _dt, _default_complex

_complex = builtins.complex


def _num(x, name):
    if isinstance(x, Tensor):
        if x._data.ndim != 0:
            raise TypeError(f"arange(): argument '{name}' (position 1) must be Number, not "
                            "Tensor")
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _fma64(a, b, c):
    """a*b + c with a single rounding, for a float64 scalar ``a`` and integer-valued ``b``.

    a is split (Veltkamp) so that both partial products with b (|b| < 2**26) are exact;
    the three exact terms are then added with error-free transformations.
    """
    a = np.float64(a)
    b = np.asarray(b, np.float64)
    t = a * 134217729.0
    a_hi = t - (t - a)
    a_lo = a - a_hi
    p1, p2 = a_hi * b, a_lo * b
    s1 = p1 + c
    v = s1 - p1
    e1 = (p1 - (s1 - v)) + (c - v)
    s2 = s1 + p2
    v = s2 - s1
    e2 = (s1 - (s2 - v)) + (p2 - v)
    return s2 + (e1 + e2)


def _fma32(a, b, c):
    """float32 a*b + c rounded once (exact in float64 for integer |b| < 2**29)."""
    return (np.float64(a) * np.asarray(b, np.float64) + np.float64(c)).astype(np.float32)


def _fmt_scalar(v):
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == math.inf else "-inf" if v == -math.inf
                                     else repr(v))
    return str(v)


def _arange_values(start, step, n, dt):
    if dt.category <= D._CATEGORY_INT:
        # Scalars convert to the int64 accumulator by truncation (a 0.5 step becomes 0).
        return (int(start) + int(step) * np.arange(n, dtype=np.int64)).astype(dt.np)
    if dt.is_complex:
        raise NotImplementedError(f'"arange_cpu" not implemented for \'{dt._cname}\'')
    vec = 32 // dt.itemsize  # Vectorized<T>::size() on 256-bit vectors
    full = n // (2 * vec) * (2 * vec)
    idx = np.arange(n, dtype=np.float64)
    k = np.arange(vec, dtype=np.float64)
    if dt.itemsize >= 4:  # float32/float64: double accumulator
        out = np.empty(n, np.float64)
        out[full:] = _fma64(step, idx[full:], start)
        if full:
            base = _fma64(step, idx[:full:vec], start).astype(dt.np).astype(np.float64)
            out[:full] = _fma64(step, k[None, :], base[:, None]).reshape(-1)
        return out.astype(dt.np)
    s, st = np.float32(start), np.float32(step)  # half/bfloat16: float accumulator
    out = np.empty(n, np.float32)
    out[full:] = _fma32(st, idx[full:], s)
    if full:
        base = _fma32(st, idx[:full:vec], s).astype(dt.np).astype(np.float32)
        out[:full] = (base[:, None] + (k[None, :] * st).astype(np.float32)).reshape(-1)
    return out.astype(dt.np)


def arange(start=None, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    if start is None and end is None:
        raise TypeError("arange() missing 1 required positional arguments: \"end\"")
    if end is None:
        start, end = 0, start
    elif start is None:
        start = 0
    start, end, step = _num(start, "start"), _num(end, "end"), _num(step, "step")
    ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    dt = (D.int64 if ints else D.get_default_dtype()) if dtype is None else D.to_dtype(dtype)
    if not (step > 0 or step < 0):
        raise RuntimeError("step must be nonzero")
    for v in (start, end):
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"unsupported range: {_fmt_scalar(start)} -> "
                               f"{_fmt_scalar(end)}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if ints:
        for v in (start, end, step):
            if not -2 ** 63 <= v < 2 ** 63:
                raise RuntimeError("value cannot be converted to type int64_t without "
                                   "overflow")
        sgn = 1 if step > 0 else -1
        n = -(-(end - start) // step) if sgn > 0 else (start - end + (-step) - 1) // -step
        if n >= 2 ** 63 or (end - start + step - sgn) // step >= 2 ** 63:
            raise RuntimeError("invalid size, possible overflow?")
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
    if dt is D.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    return _finish(_wrap(_arange_values(start, step, n, dt)), requires_grad, device)


def range_(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    dt = _dt(dtype)
    n = int((end - start) / step) + 1
    return _finish(_wrap((start + np.arange(n, dtype=np.float64) * step).astype(dt.np)),
                   requires_grad, device)


def _steps_arg(steps, fn):
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got "
                        f"(steps={type(steps).__name__})")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _linspace_values(start, end, steps, dt):
    i = np.arange(steps, dtype=np.float64)
    lower = i < steps // 2
    if dt.category <= D._CATEGORY_INT:
        s, e = float(int(start)), float(int(end))
        step = (e - s) / (steps - 1)
        v = np.where(lower, _fma64(step, i, s), _fma64(-step, steps - 1 - i, e))
        return v.astype(dt.np)
    if dt.is_complex:
        s, e = _complex(start), _complex(end)
        step = (e - s) / (steps - 1)
        v = np.where(lower, s + step * i, e - step * (steps - 1 - i))
        return v.astype(dt.np)
    if dt is D.float64 or dt is D.float32:
        s, e = dt.np.type(start), dt.np.type(end)
        step = (e - s) / dt.np.type(steps - 1)
        if dt is D.float64:
            v = np.where(lower, _fma64(step, i, s), _fma64(-step, steps - 1 - i, e))
        else:
            v = np.where(lower, _fma32(step, i, s), _fma32(-step, steps - 1 - i, e))
        return v.astype(dt.np)

    def r(x):  # every Half/BFloat16 operation rounds through float
        return np.asarray(x, np.float32).astype(dt.np).astype(np.float32)
    s, e = r(np.float32(start)), r(np.float32(end))
    step = r(r(e - s) / r(steps - 1))
    v = np.where(lower, r(s + r(step * r(i))), r(e - r(step * r(steps - 1 - i))))
    return v.astype(dt.np)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    start, end = _num(start, "start"), _num(end, "end")
    steps = _steps_arg(steps, "linspace")
    if dtype is None:
        is_c = isinstance(start, _complex) or isinstance(end, _complex)
        dt = _default_complex() if is_c else D.get_default_dtype()
    else:
        dt = D.to_dtype(dtype)
    if steps == 0:
        arr = np.zeros(0, dt.np)
    elif steps == 1:
        arr = np.full(1, start).astype(dt.np)
    else:
        arr = _linspace_values(start, end, steps, dt)
    return _finish(_wrap(arr), requires_grad, device)


def _pow(base, x):
    try:
        return math.pow(base, x)
    except OverflowError:
        return math.inf


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    start, end = _num(start, "start"), _num(end, "end")
    steps = _steps_arg(steps, "logspace")
    dt = _dt(dtype)
    base = float(base)
    if steps == 0:
        return _finish(_wrap(np.zeros(0, dt.np)), requires_grad, device)
    if steps == 1:
        return _finish(_wrap(np.array([_pow(base, float(start))]).astype(dt.np)),
                       requires_grad, device)
    if dt.category <= D._CATEGORY_INT:
        s, e = float(int(start)), float(int(end))
        diff = e - s
    else:
        s, e = float(dt.np.type(start)), float(dt.np.type(end))
        diff = float(dt.np.type(e - s)) if dt.itemsize < 8 else e - s
    step = diff / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    x = np.where(i < steps // 2, s + step * i, e - step * (steps - 1 - i))
    # C's pow (NumPy's vectorised power can differ from it in the last bit).
    v = np.array([_pow(base, t) for t in x.tolist()])
    if dt.category <= D._CATEGORY_INT:
        v = v.astype(np.int64)
    return _finish(_wrap(v.astype(dt.np)), requires_grad, device)
