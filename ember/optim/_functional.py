"""Array kernels the optimizers share, rounding where PyTorch's CPU kernels round.

PyTorch's vectorised CPU kernels compute ``add(x, alpha=a)``, ``lerp`` and
``addcmul`` with a fused multiply-add: ``x * a + y`` is rounded once.  NumPy
has no fused multiply-add, so by default ember rounds the product and the sum
separately -- one extra float32 rounding, which keeps the optimizer step as
fast as plain NumPy can be.  Set ``FMA = True`` to emulate the fused rounding
for float32 through float64 (the product of two float32 numbers is exact in
float64, so only the sum rounds): SGD, ASGD, Rprop and Adamax then match
PyTorch bit for bit (the others use sqrt, where PyTorch's MKL result is off by
an ulp now and then), at about three times the cost of those kernels.  Float64
always rounds twice.

Every function works in place on NumPy arrays; ``opt._buf`` supplies scratch
(``opt`` is the optimizer, or one piece of a parallel update: see
``Optimizer._update``).
"""
from .._backend import np

FMA = False

_f32, _f64 = np.dtype(np.float32), np.dtype(np.float64)


def real(a):
    """A complex array as real (..., 2) pairs (PyTorch's ``view_as_real``), sharing
    memory; real arrays pass through.  Adam and friends treat the two parts of a
    complex parameter as independent coordinates."""
    return a[..., None].view(a.real.dtype) if a.dtype.kind == "c" else a


def adjusted_grad(opt, g, d, maximize=False, wd=0):
    """The gradient as an update sees it: negated under ``maximize``, plus ``wd *
    param`` for L2 weight decay.  Scratch slots 0 and 1 hold it when it differs
    from ``g``; optimizers use slots from 2 on."""
    if maximize:
        g = np.negative(g, out=opt._buf(g, 0))
    if wd != 0:
        g = fma(opt, opt._buf(g, 1), d, wd, g)
    return g


def fma(opt, out, x, s, c):
    """``out = x * s + c`` (``s`` a scalar or an array); ``out`` may alias x or c."""
    if FMA and out.dtype == _f32:
        w = opt._buf(out, 0, _f64)
        np.copyto(w, x)
        w2 = opt._buf(out, 1, _f64)
        if isinstance(s, np.ndarray):
            np.copyto(w2, s)
            w *= w2
        else:
            w *= float(np.float32(s))
        np.copyto(w2, c)
        w += w2
        np.copyto(out, w, casting="same_kind")
        return out
    t = np.multiply(x, s, out=opt._buf(out, 9))
    return np.add(c, t, out=out)


def axpy_(opt, y, x, a):
    """``y.add_(x, alpha=a)``."""
    if a == 1:
        return np.add(y, x, out=y)
    if a == -1:
        return np.subtract(y, x, out=y)
    return fma(opt, y, x, a, y)


def lerp_(opt, a, end, w):
    """``a.lerp_(end, w)``: anchored at the nearer end, as PyTorch does, so the
    result is exact at w = 0 and w = 1."""
    d = np.subtract(end, a, out=opt._buf(a, 8))
    w = a.dtype.type(w)
    if abs(w) < 0.5:
        return fma(opt, a, d, w, a)
    return fma(opt, a, d, w - 1, end)


def addcmul_(opt, y, t1, t2, value=1, out=None):
    """``y.addcmul_(t1, t2, value=value)``: ``y + (value * t1) * t2``; with
    ``out`` given, ``y.addcmul(...)`` into ``out`` instead."""
    if value != 1:
        t1 = np.multiply(t1, value, out=opt._buf(y, 8))
    return fma(opt, y if out is None else out, t1, t2, y)


def addcdiv_(opt, y, t1, t2, value=1):
    """``y.addcdiv_(t1, t2, value=value)``: ``y + (value * t1) / t2`` (not fused)."""
    t = opt._buf(y, 8)
    if value != 1:
        np.multiply(t1, value, out=t)
        t /= t2
    else:
        np.divide(t1, t2, out=t)
    return np.add(y, t, out=y)
