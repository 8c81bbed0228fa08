"""Assorted math PyTorch has at the top level: isin, diff, deg2rad/rad2deg, gcd/lcm,
heaviside, logaddexp2, logcumsumexp, renorm, frexp, ldexp, nextafter, trapezoid and
friends, gradient, unravel_index, vander, window functions, and the in-place spellings
of the special functions."""
import math
import operator

from .. import _dtype as D
from .. import special as _sp
from ..autograd.op import Op
from . import elementwise as E
from . import pointwise as P
from .elementwise import _INT, _fl, _no_derivative, _not_tensor, _out, _reject, _run2
from .inplace import apply_inplace
from .sort import _StructSeq, return_types
from ._util import (TYPE_NAMES, Tensor, _wrap, finish, fix_layout, install, like_input,
                    not_implemented, np, operand, opmath, result_dtype)

_F32 = np.dtype(np.float32)


def _cat(ts, dim):
    from .joining import cat
    return cat(ts, dim)


# --- isin ---------------------------------------------------------------------------------

_ISIN_USAGE = (
    "isin() received an invalid combination of arguments - got ({}, {}), but expected one of:\n"
    " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)\n"
    " * (Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)\n"
    " * (Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)\n")
_NUM = (int, float, bool)


def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    a_t, b_t = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
    if not (a_t and (b_t or isinstance(test_elements, _NUM))) and not (
            b_t and isinstance(elements, _NUM)):
        raise TypeError(_ISIN_USAGE.format(type(elements).__name__,
                                           type(test_elements).__name__))
    for t in (elements, test_elements):
        if isinstance(t, Tensor) and (t.dtype is D.bool or t.dtype.is_complex):
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{TYPE_NAMES[t.dtype.name]}")
    dt = result_dtype(elements, test_elements)
    if dt is D.bool:
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    a = np.asarray(elements._data if a_t else elements).astype(dt.np, copy=False)
    b = np.asarray(test_elements._data if b_t else test_elements).astype(dt.np, copy=False)
    r = np.isin(a, b, assume_unique=assume_unique, invert=invert)
    return _out(_wrap(np.array(r, order="C")), out)


# --- diff -----------------------------------------------------------------------------------

def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = _wrap_dim(dim, input.dim())
    parts = []
    for p in (prepend, input, append):
        if p is None:
            continue
        if p is not input and p.dim() != input.dim():
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
        parts.append(p)
    x = _cat(parts, dim) if len(parts) > 1 else input
    boolean = x.dtype is D.bool
    for _ in range(n):
        L = x.shape[dim]
        if L == 0:
            break
        hi, lo = x.narrow(dim, 1, L - 1), x.narrow(dim, 0, L - 1)
        x = P.logical_xor(hi, lo) if boolean else hi - lo
    return _out(x, out)


def _wrap_dim(dim, nd):
    from .._errors import wrap_dim
    return wrap_dim(dim, nd)


# --- deg2rad / rad2deg ----------------------------------------------------------------------

def _angle_op(name, factor):
    def fwd(ctx, a, dt):
        x = opmath(a, dt)
        r = finish(x * x.dtype.type(factor), dt)
        return like_input(r, a)
    op = Op(name, fwd, saves=())
    op.backward(lambda ctx, g: g * factor)
    fname = {"Deg2RadBackward0": "deg2rad", "Rad2DegBackward0": "rad2deg"}[name]

    def public(input, *, out=None):
        if not isinstance(input, Tensor):
            raise _not_tensor(fname, input)
        dt = input.dtype
        if dt.is_complex:
            raise RuntimeError(f"{fname} is not supported for complex tensors.")
        if not dt.is_floating_point:
            dt = D.get_default_dtype()
        return _out(op(input, dt=dt), out)
    public.__name__ = public.__qualname__ = fname
    return public


deg2rad = _angle_op("Deg2RadBackward0", math.pi / 180)
rad2deg = _angle_op("Rad2DegBackward0", 180 / math.pi)


# --- gcd / lcm / heaviside / logaddexp2 / nextafter -----------------------------------------

def _int_only(name, ufunc):
    op = P._binary(name, ufunc, None, reject=("bool", "float", "complex"))
    return op


gcd = _int_only("GcdBackward0", np.gcd)
lcm = _int_only("LcmBackward0", np.lcm)
logaddexp2 = P._binary(
    "Logaddexp2Backward0", np.logaddexp2,
    lambda c, g, a, b: (g / (1 + (_fl(b, g) - _fl(a, g)).exp2()),
                        g / (1 + (_fl(a, g) - _fl(b, g)).exp2())),
    reject=("bool", "int", "complex"))


def _nextafter_grad(c, g, a, b):
    # PyTorch treats nextafter as the identity in its first argument
    need = c.needs_input_grad
    return (g if need[0] else None, g * 0 if need[1] else None)


def _nextafter_np(a, b):
    if a.dtype == _F32 and a.dtype != b.dtype:
        b = b.astype(_F32)
    return np.nextafter(a, b)


_nextafter_t = Op("NextafterBackward0", lambda ctx, a, b, dt: _nextafter_fwd(a, b, dt))


def _nextafter_fwd(a, b, dt):
    if dt.np in (D.float16.np,):
        r = np.nextafter(operand(a, dt), operand(b, dt))
        return fix_layout(r, (a, b))
    if dt is D.bfloat16:
        # step in bfloat16's own bit pattern: its ordering matches the float's
        x = operand(a, D.float32).astype(_F32)
        y = operand(b, D.float32).astype(_F32)
        x, y = np.broadcast_arrays(x, y)
        bits = x.view(np.uint32) >> 16
        step = np.where((y > x) == (x >= 0), 1, -1).astype(np.int64)
        nb = np.where(x == 0, np.where(y > 0, 1, 0x8001),
                      bits.astype(np.int64) + step).astype(np.uint32) << 16
        r = np.where((x == y) | (x != x) | (y != y), np.where(x != x, x, y),
                     nb.view(np.float32))
        return finish(r, dt)
    return _run2(np.nextafter, a, b, dt)


_nextafter_t.backward(lambda ctx, g: _nextafter_grad(ctx, g, *ctx.inputs))


def nextafter(input, other, *, out=None):
    if not isinstance(other, Tensor):
        raise _not_tensor("nextafter", other, "other", 2)
    dt = result_dtype(input, other)
    _reject("nextafter_cpu", dt, ("bool", "int", "complex"))
    return _out(_nextafter_t(input, other, dt=dt), out)


def _heaviside_np(x, v):
    return np.where(x == 0, v, (x > 0).astype(x.dtype))


_heaviside = _no_derivative("heaviside", lambda ctx, a, b, dt: _run2(_heaviside_np, a, b, dt))


def heaviside(input, values, *, out=None):
    if not isinstance(values, Tensor):
        raise _not_tensor("heaviside", values, "values", 2)
    if input.dtype.is_complex or values.dtype.is_complex:
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    return _out(_heaviside(input, values, dt=input.dtype), out)


# --- logcumsumexp -----------------------------------------------------------------------------

def _lcse_fwd(ctx, a, dim, dt):
    x = opmath(a, dt)
    if x.ndim == 0:
        return finish(x.copy(), dt)
    with np.errstate(all="ignore"):
        r = np.logaddexp.accumulate(x, axis=dim)
    return finish(r, dt)


# once differentiable: the log-space form below has -inf branches whose own gradient
# would come out NaN, so a second derivative is refused rather than wrong
_lcse = Op("LogcumsumexpBackward0", _lcse_fwd, saves_output=True, raw_backward=True)


@_lcse.backward
def _(ctx, g):
    # gradient_i = sum_{j>=i} g_j exp(x_i - out_j); split g by sign and sum in log space
    x, dim = ctx.inputs[0]._data, ctx.kw["dim"]
    if x.ndim == 0:
        return g
    out = ctx._out
    ninf = -np.inf
    with np.errstate(all="ignore"):
        lg = np.log(np.abs(g))
        pos = np.where(g > 0, lg, ninf) - out
        neg = np.where(g < 0, lg, ninf) - out

        def rev(t):
            return np.flip(np.logaddexp.accumulate(np.flip(t, dim), axis=dim), dim)
        res = np.exp(rev(pos) + x) - np.exp(rev(neg) + x)
    return res.astype(g.dtype, copy=False)


def logcumsumexp(input, dim, *, out=None):
    dim = _wrap_dim(dim, max(input.dim(), 1))
    if not input.dtype.is_floating_point and not input.dtype.is_complex:
        raise not_implemented("logcumsumexp_out_cpu", input.dtype)
    if input.dtype.is_complex:
        raise not_implemented("logcumsumexp_out_cpu", input.dtype)
    return _out(_lcse(input, dim=dim, dt=input.dtype), out)


# --- renorm ---------------------------------------------------------------------------------

def _renorm_check(x, p, dim, maxnorm):
    if x.dim() < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.dim()} "
                           f"dimensions")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {TYPE_NAMES[x.dtype.name]}")


def _norms(x, p, axes):
    a = np.abs(x)
    if p == math.inf:
        return a.max(axis=axes, keepdims=True) if a.size else np.zeros(
            [1 if i in axes else n for i, n in enumerate(x.shape)], a.dtype)
    if p == 2:
        return np.sqrt((a * a).sum(axis=axes, keepdims=True))
    if p == 1:
        return a.sum(axis=axes, keepdims=True)
    return (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)


def _renorm_fwd(ctx, a, dt, p, dim, maxnorm):
    x = opmath(a, dt)
    axes = tuple(i for i in range(x.ndim) if i != dim)
    with np.errstate(all="ignore"):
        norm = _norms(x, p, axes)
        factor = np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1).astype(x.dtype)
    return like_input(finish(x * factor, dt), a)


_renorm = Op("RenormBackward0", _renorm_fwd)


@_renorm.backward
def _(ctx, g):
    x = ctx.inputs[0]
    p, dim, maxnorm = ctx.kw["p"], ctx.kw["dim"], ctx.kw["maxnorm"]
    axes = [i for i in range(x.dim()) if i != dim]
    ax = x.abs()
    if p == math.inf:
        norm = ax.amax(axes, keepdim=True)
    else:
        norm = (ax ** p).sum(axes, keepdim=True) ** (1.0 / p)
    active = norm > maxnorm
    denom = norm + 1e-7
    factor = E.where(active, maxnorm / denom, 1.0)
    # d factor / d norm where clipping is active, times d norm / d x
    dfac = E.where(active, -maxnorm / (denom * denom), 0.0)
    inner = (g * x).sum(axes, keepdim=True)
    if p == math.inf:
        hit = (ax == norm).to(x.dtype)
        dnorm = x.sgn() * hit / hit.sum(axes, keepdim=True)
    elif p == 1:
        dnorm = x.sgn()
    elif p == 2:
        dnorm = x / norm
    else:
        dnorm = x.sgn() * ax ** (p - 1) / norm ** (p - 1)
    dnorm = E.where(norm == 0, 0.0, dnorm)
    return g * factor + dfac * inner * dnorm


def renorm(input, p, dim, maxnorm, *, out=None):
    _renorm_check(input, p, dim, maxnorm)
    dim = _wrap_dim(dim, input.dim())
    return _out(_renorm(input, dt=input.dtype, p=float(p), dim=dim, maxnorm=float(maxnorm)),
                out)


# --- frexp / ldexp ----------------------------------------------------------------------------

_FREXP = type("frexp", (_StructSeq,), {
    "__slots__": (), "_names": ("mantissa", "exponent"), "n_fields": 2,
    "n_sequence_fields": 2, "n_unnamed_fields": 0, "__module__": "ember.return_types",
    "mantissa": property(operator.itemgetter(0)), "exponent": property(operator.itemgetter(1))})
if not hasattr(return_types, "frexp"):
    return_types.frexp = _FREXP


def _frexp_fwd(ctx, a, dt):
    m, e = np.frexp(opmath(a, dt))
    return like_input(finish(m, dt), a), like_input(e.astype(np.int32, copy=False), a)


_frexp = Op("FrexpBackward0", _frexp_fwd, saves=(), n_outputs=2, nondiff_outputs=(1,))


@_frexp.backward
def _(ctx, gm, ge=None):
    e = np.frexp(opmath(ctx.inputs[0]._data, ctx.inputs[0].dtype))[1]
    return gm / _wrap(np.ldexp(np.ones((), gm._data.dtype), e).astype(gm._data.dtype))


def frexp(input, *, out=None):
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    r = _FREXP(_frexp(input, dt=input.dtype))
    if out is not None:
        _out(r[0], out[0])
        _out(r[1], out[1])
        return _FREXP(out)
    return r


def _ldexp_np(x, e):
    return x * np.exp2(e).astype(x.dtype, copy=False)


_ldexp = Op("LdexpBackward0", lambda ctx, a, b, dt: _run2(_ldexp_np, a, b, dt))


@_ldexp.backward
def _(ctx, g):
    x, e = ctx.inputs
    need = ctx.needs_input_grad
    p = _fl(e, g).exp2()
    return (g * p if need[0] else None,
            g * _fl(x, g) * p * math.log(2.0) if need[1] else None)


def ldexp(input, other, *, out=None):
    if not isinstance(other, Tensor):
        raise _not_tensor("ldexp", other, "other", 2)
    dt = result_dtype(input, other)
    if dt.category <= _INT:
        dt = D.get_default_dtype()
    return _out(_ldexp(input, other, dt=dt), out)


# --- trapezoid ------------------------------------------------------------------------------

def _trap_check(y, name):
    if y.dtype is D.bool:
        raise NotImplementedError(f"{name}: received a bool input for `y`, but bool is not "
                                  f"supported")


def _xdiff(x, y, dim):
    if x.dim() == 1:
        d = x[1:] - x[:-1]
        shape = [1] * y.dim()
        shape[dim] = d.shape[0]
        return d.view(shape)
    n = x.shape[dim]
    return x.narrow(dim, 1, n - 1) - x.narrow(dim, 0, n - 1)


def _pair_sum(y, dim):
    n = y.shape[dim]
    return y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    _trap_check(y, "trapezoid")
    dim = _wrap_dim(dim, y.dim())
    if y.dtype.category <= _INT:
        y = y.to(D.get_default_dtype())
    n = y.shape[dim]
    if x is not None and isinstance(x, Tensor):
        if n == 0:
            return y.sum(dim) * 0
        if x.dim() == 1 and x.shape[0] != n:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        return (_xdiff(x, y, dim) * _pair_sum(y, dim)).sum(dim) / 2.0
    step = 1 if dx is None else dx
    if x is not None:
        step = x
    if n == 0:
        return y.sum(dim) * 0
    return (y.sum(dim) - (y.select(dim, 0) + y.select(dim, -1)) * 0.5) * step


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    _trap_check(y, "cumulative_trapezoid")
    dim = _wrap_dim(dim, y.dim())
    if y.dtype.category <= _INT:
        y = y.to(D.get_default_dtype())
    n = y.shape[dim]
    if n == 0:
        return y.narrow(dim, 0, 0) * 1
    if x is not None and isinstance(x, Tensor):
        return (_xdiff(x, y, dim) * _pair_sum(y, dim)).cumsum(dim) / 2.0
    step = 1 if dx is None else dx
    if x is not None:
        step = x
    return (_pair_sum(y, dim) * (step / 2.0)).cumsum(dim)


# --- gradient -------------------------------------------------------------------------------

def gradient(input, *, spacing=1, dim=None, edge_order=1):
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    nd = input.dim()
    if dim is None:
        dims = list(range(nd))
    elif isinstance(dim, int):
        dims = [_wrap_dim(dim, nd)]
    else:
        dims = [_wrap_dim(d, nd) for d in dim]
    if isinstance(spacing, (list, tuple)):
        sp = list(spacing)
        if len(sp) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but "
                               f"got a spacing argument of length {len(sp)} and a dim "
                               f"argument of length {len(dims)}.")
    elif isinstance(spacing, Tensor) and spacing.dim() > 0:
        sp = [spacing] * len(dims)
    else:
        sp = [spacing.item() if isinstance(spacing, Tensor) else spacing] * len(dims)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    x = input if input.dtype.category > _INT else input.to(D.get_default_dtype())
    return tuple(_grad_along(x, h, d, edge_order) for h, d in zip(sp, dims))


def _grad_along(x, h, d, edge_order):
    n = x.shape[d]

    def sl(start, length):
        return x.narrow(d, start, length)
    if isinstance(h, Tensor):
        return _grad_coords(x, h, d, edge_order)
    interior = (sl(2, n - 2) - sl(0, n - 2)) / (2.0 * h)
    if edge_order == 1:
        first = (sl(1, 1) - sl(0, 1)) / h
        last = (sl(n - 1, 1) - sl(n - 2, 1)) / h
    else:
        first = (sl(0, 1) * -1.5 + sl(1, 1) * 2.0 - sl(2, 1) * 0.5) / h
        last = (sl(n - 3, 1) * 0.5 - sl(n - 2, 1) * 2.0 + sl(n - 1, 1) * 1.5) / h
    return _cat([first, interior, last], d)


def _grad_coords(x, c, d, edge_order):
    """Non-uniform spacing: the second-order interior formula of numpy.gradient."""
    n = x.shape[d]
    c = c.to(x.dtype) if c.dtype.category <= _INT else c
    shape = [1] * x.dim()
    shape[d] = n - 1
    dx = (c[1:] - c[:-1]).view(shape)
    m = [1] * x.dim()
    m[d] = n - 2
    h1, h2 = dx.narrow(d, 0, n - 2), dx.narrow(d, 1, n - 2)

    def sl(start, length):
        return x.narrow(d, start, length)
    a = -h2 / (h1 * (h1 + h2))
    b = (h2 - h1) / (h1 * h2)
    cc = h1 / (h2 * (h1 + h2))
    interior = sl(0, n - 2) * a + sl(1, n - 2) * b + sl(2, n - 2) * cc
    e0, e1 = dx.narrow(d, 0, 1), dx.narrow(d, n - 2, 1)
    if edge_order == 1:
        first = (sl(1, 1) - sl(0, 1)) / e0
        last = (sl(n - 1, 1) - sl(n - 2, 1)) / e1
    else:
        d1, d2 = e0, dx.narrow(d, 1, 1)
        a0 = -(2.0 * d1 + d2) / (d1 * (d1 + d2))
        b0 = (d1 + d2) / (d1 * d2)
        c0 = -d1 / (d2 * (d1 + d2))
        first = sl(0, 1) * a0 + sl(1, 1) * b0 + sl(2, 1) * c0
        d1, d2 = dx.narrow(d, n - 3, 1), e1
        a1 = d2 / (d1 * (d1 + d2))
        b1 = -(d2 + d1) / (d1 * d2)
        c1 = (2.0 * d2 + d1) / (d2 * (d1 + d2))
        last = sl(n - 3, 1) * a1 + sl(n - 2, 1) * b1 + sl(n - 1, 1) * c1
    return _cat([first, interior, last], d)


# --- unravel_index / vander / predicates ------------------------------------------------------

def unravel_index(indices, shape):
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices.dtype.category > _INT or indices.dtype is D.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got ember."
                        f"{indices.dtype.name}")
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    if not shape:
        return ()
    # PyTorch peels coordinates off with floor division: indices wrap modulo the size
    idx = indices._data.astype(np.int64) % max(math.prod(shape), 1)
    # PyTorch returns the unbound columns of one (..., len(shape)) tensor
    return _wrap(np.stack(np.unravel_index(idx, shape), -1)).unbind(-1)


def vander(x, N=None, increasing=False):
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if x.dtype.category <= _INT:
        x = x.to(D.int64)
    if n == 0:
        return x.new_empty((x.shape[0], 0))
    cols = [x.new_ones((x.shape[0], 1))]
    if n > 1:
        cols.append(x.unsqueeze(1).expand(x.shape[0], n - 1))
    r = _cat(cols, 1).cumprod(1)
    return r if increasing else r.flip([1])


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    return input.is_signed()


def is_nonzero(input):
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


# --- window functions -----------------------------------------------------------------------

def _window(name, window_length, periodic, dtype, requires_grad, fn):
    dt = dtype if dtype is not None else D.get_default_dtype()
    if dt.is_complex:
        raise not_implemented("arange_cpu", dt)
    if not dt.is_floating_point:
        raise RuntimeError(
            f"{name} expects floating point dtypes, got: TensorOptions(dtype="
            f"{_CTYPE.get(dt.name, dt.name)}, device=cpu, layout=Strided (default), "
            f"requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if window_length <= 1:
        r = np.ones(window_length, np.float64)
    else:
        m = window_length + 1 if periodic else window_length
        r = fn(np.arange(window_length, dtype=np.float64), m)
    t = _wrap(r.astype(dt.np))
    if requires_grad:
        t.requires_grad_(True)
    return t


_CTYPE = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
          "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
          "complex128": "c10::complex<double>"}


def _cosine(a0, a1, a2=0.0):
    def fn(n, m):
        w = 2 * math.pi * n / (m - 1)
        return a0 - a1 * np.cos(w) + a2 * np.cos(2 * w)
    return fn


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype, requires_grad,
                   _cosine(0.5, 0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype, requires_grad,
                   _cosine(alpha, beta))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, requires_grad,
                   _cosine(0.42, 0.5, 0.08))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   lambda n, m: 1 - np.abs(2 * n / (m - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    def fn(n, m):
        r = 2 * n / (m - 1) - 1
        return np.i0(beta * np.sqrt(np.clip(1 - r * r, 0, None))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, fn)


# --- in-place spellings ---------------------------------------------------------------------

def _inplace(fn, needs_self=True):
    def method(self, *args, **kw):
        return apply_inplace(self, fn, *args, needs_self=needs_self, **kw)
    return method


def _ldexp_(self, other):
    return apply_inplace(self, ldexp, other)


deg2rad_ = _inplace(deg2rad, False)
rad2deg_ = _inplace(rad2deg, False)
gcd_ = _inplace(gcd)
lcm_ = _inplace(lcm)
ldexp_ = _ldexp_
xlogy_ = _inplace(_sp.xlogy)
i0_ = _inplace(_sp.i0)
sinc_ = _inplace(_sp.sinc)
logit_ = _inplace(_sp.logit)

def _mvlgamma_(self, p):
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"mvlgamma: result type {TYPE_NAMES[self.dtype.name]} can't be cast "
                           f"to the desired output type {TYPE_NAMES[D.get_default_dtype().name]}")
    return apply_inplace(self, _sp.multigammaln, p)


install({
    "diff": diff, "deg2rad": deg2rad, "rad2deg": rad2deg, "deg2rad_": deg2rad_,
    "rad2deg_": rad2deg_, "gcd": gcd, "gcd_": gcd_, "lcm": lcm, "lcm_": lcm_,
    "heaviside": heaviside, "heaviside_": _inplace(heaviside, False),
    "logaddexp2": logaddexp2, "logcumsumexp": logcumsumexp,
    "renorm": renorm, "renorm_": _inplace(renorm), "frexp": frexp,
    "ldexp": ldexp, "ldexp_": ldexp_, "nextafter": nextafter,
    "nextafter_": _inplace(nextafter, False), "is_same_size": is_same_size,
    "is_nonzero": is_nonzero,
    "digamma_": _inplace(_sp.digamma), "lgamma_": _inplace(_sp.gammaln), "i0_": i0_,
    "logit_": logit_, "sinc_": sinc_, "xlogy_": xlogy_,
    "polygamma_": _inplace(lambda s, n: _sp.polygamma(n, s)),
    "mvlgamma_": _mvlgamma_,
    "greater_": Tensor.gt_, "greater_equal_": Tensor.ge_, "less_": Tensor.lt_,
    "less_equal_": Tensor.le_, "not_equal_": Tensor.ne_,
})

__all__ = [
    "isin", "diff", "deg2rad", "rad2deg", "deg2rad_", "rad2deg_", "gcd", "gcd_", "lcm", "lcm_",
    "heaviside", "logaddexp2", "logcumsumexp", "renorm", "frexp", "ldexp", "ldexp_",
    "nextafter", "trapezoid", "trapz", "cumulative_trapezoid", "gradient", "unravel_index",
    "vander", "is_same_size", "is_signed", "is_nonzero", "hann_window", "hamming_window",
    "bartlett_window", "blackman_window", "kaiser_window", "xlogy_", "i0_", "sinc_", "logit_",
]
