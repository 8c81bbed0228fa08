"""Reductions: sum, mean, prod, var/std, max/min, amax/amin, argmax/argmin, logsumexp,
all/any, and the dim helpers the other reduction modules share.  The cumulative ops
(cumulative), norms (norms) and median/mode (median) live in their own modules and are
re-exported here.

Dims are taken as PyTorch takes them: an int, a sequence, or None (and mostly ``()``) for
all of them; a 0-d tensor accepts dim 0 or -1 and reduces nothing.  Floating sums follow
NumPy's pairwise summation (PyTorch uses a cascade; both are accurate to a few ulps), and
variances use two passes in float64.
"""
import builtins
import math
import warnings

from .. import _errors
from ..autograd.op import Op
from .complex import holomorphic
from ._util import D, Tensor, _wrap, np, install, canonical_dims
from .elementwise import maximum, minimum, where, _out
from .sort import RT, _c, place_grad, evenly_grad, dim_alias, real_only, _nonempty_dim


class _Unset:
    """Default of ``dim`` that tells "not given" from ``dim=None`` (they pick different
    grad_fns in PyTorch: SumBackward0 vs SumBackward1)."""

    def __repr__(self):
        return "None"


_UNSET = _Unset()


def _axes(dim, ndim, empty_is_all=True):
    """NumPy axes for a ``dim`` argument: None means all of them."""
    if dim is None or dim is _UNSET:
        return None
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, without the checks
        return (dim + ndim if dim < 0 else dim,)
    if isinstance(dim, (list, tuple)) and not dim:
        return None if empty_is_all else ()
    dims = canonical_dims(dim, ndim)
    return dims if ndim else ()


def _count(shape, axes):
    return math.prod(shape) if axes is None else math.prod(shape[d] for d in axes)


def _kd(g, shape, axes, keepdim):
    """A reduced tensor reshaped to its keepdim shape, so it broadcasts against the input."""
    if keepdim or g.dim() == len(shape):
        return g
    kd = list(shape)
    for d in (range(len(shape)) if axes is None else axes):
        kd[d] = 1
    return g.reshape(kd)


def _expand_grad(g, shape, axes, keepdim):
    return _kd(g, shape, axes, keepdim).expand(shape)


def _acc(dt):
    """NumPy accumulation type: half types accumulate in float32, like PyTorch."""
    return _ACC.get(dt) or dt.np.type


_ACC = {D.float16: np.float32, D.bfloat16: np.float32}


def _type_name(dt):
    return _errors._TYPE_NAMES[dt.name][:-6]


def _require_float(input, msg):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(msg.format(_type_name(input.dtype)))


# --- sum, nansum, mean, nanmean, prod -------------------------------------------------

def _sum_dtype(t, dtype):
    if dtype is not None:
        return D.to_dtype(dtype)
    if t.dtype.category <= D._CATEGORY_INT:
        return D.int64
    return t.dtype


def _sum_fwd(ctx, a, axes, keepdim, dt):
    r = np.add.reduce(a, axis=axes, dtype=_acc(dt), keepdims=keepdim)
    return _c(r if r.dtype == dt.np else r.astype(dt.np))


def _nansum_fwd(ctx, a, axes, keepdim, dt):
    r = np.nansum(a.astype(_acc(dt), copy=False), axis=axes, keepdims=keepdim)
    return _c(r.astype(dt.np, copy=False))


def _sum_bwd(ctx, g):
    return _expand_grad(g, ctx.inputs[0]._data.shape, ctx.kw["axes"], ctx.kw["keepdim"])


_sum0 = Op("SumBackward0", _sum_fwd, saves=())
_sum1 = Op("SumBackward1", _sum_fwd, saves=())
_sum0.backward(_sum_bwd)
_sum1.backward(_sum_bwd)
_nansum = Op("NansumBackward0", _nansum_fwd)


@_nansum.backward
def _(ctx, g):
    x = ctx.inputs[0]
    keep = _wrap((~np.isnan(x._data)).astype(g._data.dtype))
    return _expand_grad(g, x._data.shape, ctx.kw["axes"], ctx.kw["keepdim"]) * keep


@dim_alias
def sum(input, dim=_UNSET, keepdim=False, *, dtype=None, out=None):
    op = _sum0 if dim is _UNSET and not keepdim else _sum1
    r = op(input, axes=_axes(dim, input.dim()), keepdim=keepdim, dt=_sum_dtype(input, dtype))
    return _out(r, out)


@dim_alias
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    real_only(input, message="nansum on CPU does not support complex inputs")
    r = _nansum(input, axes=_axes(dim, input.dim()), keepdim=keepdim,
                dt=_sum_dtype(input, dtype))
    return _out(r, out)


def _mean_fwd(ctx, a, axes, keepdim, dt):
    acc = _acc(dt)
    r = np.add.reduce(a, axis=axes, dtype=acc, keepdims=keepdim) / acc(_count(a.shape, axes))
    r = np.asarray(r)
    return _c(r if r.dtype == dt.np else r.astype(dt.np))


def _mean_bwd(ctx, g):
    shape, axes = ctx.inputs[0]._data.shape, ctx.kw["axes"]
    return _expand_grad(g, shape, axes, ctx.kw["keepdim"]) / _count(shape, axes)


_mean0 = Op("MeanBackward0", _mean_fwd, saves=())
_mean1 = Op("MeanBackward1", _mean_fwd, saves=())
_mean0.backward(_mean_bwd)
_mean1.backward(_mean_bwd)


def _mean_dtype(input, dtype, name):
    if dtype is not None:
        dt, what = D.to_dtype(dtype), "Optional dtype"
    else:
        dt, what = input.dtype, "Input dtype"
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{name}(): could not infer output dtype. {what} must be either a "
                           f"floating point or complex dtype. Got: {_type_name(dt)}")
    return dt


@dim_alias
def mean(input, dim=_UNSET, keepdim=False, *, dtype=None, out=None):
    dt = _mean_dtype(input, dtype, "mean")
    op = _mean0 if dim is _UNSET and not keepdim else _mean1
    return _out(op(input, axes=_axes(dim, input.dim()), keepdim=keepdim, dt=dt), out)


@dim_alias
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    _require_float(input, "nanmean(): expected input to have floating point or complex dtype "
                          "but got {}")
    axes = _axes(dim, input.dim())
    n = np.sum(~np.isnan(input._data), axis=axes, keepdims=keepdim, dtype=np.int64)
    return _out(nansum(input, dim, keepdim, dtype=dtype) / _wrap(_c(n)), out)


def _prod_fwd(ctx, a, dim, keepdim, dt):
    r = np.prod(a, axis=dim, keepdims=keepdim, dtype=_acc(dt))
    return _c(r.astype(dt.np, copy=False))


def _prod_bwd(ctx, g):
    x, dim, keepdim = ctx.inputs[0], ctx.kw["dim"], ctx.kw["keepdim"]
    if x.dim() == 0:
        return g
    axes = None if dim is None else (dim,)
    shape = x._data.shape
    gk = _kd(g, shape, axes, keepdim)
    if not (x._data == 0).any():
        return gk * (_kd(ctx.result, shape, axes, keepdim) / x)
    # With zeros: the product of the others, as exclusive cumulative products from both
    # sides (PyTorch's prod_safe_zeros_backward), differentiable for create_graph.
    if dim is None:
        return gk * _prod_others(x.reshape(-1), 0).reshape(shape)
    return gk * _prod_others(x, dim)


def _shift_fwd(ctx, a, dim, fill, step):
    """Entries moved ``step`` (+1 or -1) places along ``dim``; the vacated end is ``fill``."""
    out = np.full_like(a, fill)
    src = [slice(None)] * a.ndim
    dst = list(src)
    src[dim], dst[dim] = (slice(0, -1), slice(1, None)) if step > 0 else (slice(1, None),
                                                                           slice(0, -1))
    out[tuple(dst)] = a[tuple(src)]
    return out


_shift = Op("ConstantPadNdBackward0", _shift_fwd, saves=())
_shift.backward(lambda ctx, g: _shift(g, dim=ctx.kw["dim"], fill=0, step=-ctx.kw["step"]))
_flip = Op("FlipBackward0", lambda ctx, a, dim: np.flip(a, dim).copy(), saves=())
_flip.backward(lambda ctx, g: _flip(g, dim=ctx.kw["dim"]))


def _prod_others(x, d):
    before = _shift(x, dim=d, fill=1, step=1).cumprod(d)
    after = _flip(_flip(_shift(x, dim=d, fill=1, step=-1), dim=d).cumprod(d), dim=d)
    return before * after


_prod0 = Op("ProdBackward0", _prod_fwd, saves_output=True)
_prod1 = Op("ProdBackward1", _prod_fwd, saves_output=True)
_prod0.backward(_prod_bwd)
_prod1.backward(_prod_bwd)
holomorphic(_prod0, _prod1)


@dim_alias
def prod(input, dim=_UNSET, keepdim=False, *, dtype=None, out=None):
    dt = _sum_dtype(input, dtype)
    if dim is _UNSET or dim is None:
        return _out(_prod0(input, dim=None, keepdim=False, dt=dt), out)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' (position 2) must be int, not "
                        f"{type(dim).__name__}")
    d = _errors.wrap_dim(int(dim), input.dim())
    return _out(_prod1(input, dim=d if input.dim() else (), keepdim=keepdim, dt=dt), out)


# --- var, std, var_mean, std_mean -----------------------------------------------------

def _moments(a, axes, keepdim, correction, name):
    """(variance, mean) by the two-pass algorithm in float64 (or complex128)."""
    wide = np.complex128 if a.dtype.kind == "c" else np.float64
    x = a.astype(wide, copy=False)
    n = _count(a.shape, axes)
    m = np.sum(x, axis=axes, keepdims=True) / n  # 0/0 = nan for an empty reduction
    d = x - m
    ss = np.sum((d * d.conj()).real if wide is np.complex128 else d * d, axis=axes,
                keepdims=keepdim)
    dof = n - correction
    if dof <= 0 and n and name:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=5)
    var = ss / builtins.max(dof, 0)
    if not keepdim:
        m = m.reshape(var.shape)
    real = np.float32 if a.dtype == np.complex64 else np.float64
    return _c(var.astype(real if a.dtype.kind == "c" else a.dtype)), _c(m.astype(a.dtype))


def _var_grad(g, x, axes, keepdim, correction, gn=None):
    """d var / dx applied to ``g`` (written with ember ops, so twice differentiable).
    ``gn``: the count PyTorch's backward divides by (1, not numel, for ``dim=()``)."""
    shape = x._data.shape
    dof = (gn or _count(shape, axes)) - correction
    mu = x.mean() if axes is None else x.mean(axes, keepdim=True)
    scale = 2.0 / dof if dof else math.inf
    return _kd(g, shape, axes, keepdim) * (x - mu) * scale


def _std_to_var_grad(g, r):
    return where(r == 0, 0.0, g / (r * 2))


def _var_op(name, want_std, with_mean):
    def fwd(ctx, a, axes, keepdim, correction, fname, gn=None):
        var, m = _moments(a, axes, keepdim, correction, fname)
        v = np.sqrt(var) if want_std else var
        return (v, m) if with_mean else v

    op = Op(name, fwd, n_outputs=2 if with_mean else 1,
            saves_output=want_std and not with_mean)

    @op.backward
    def _(ctx, g, g_mean=None):
        x, kw = ctx.inputs[0], ctx.kw
        axes, keepdim, c = kw["axes"], kw["keepdim"], kw["correction"]
        res = None
        if g is not None:
            if want_std:
                r = ctx.result if not with_mean else _std(
                    x, axes=axes, keepdim=keepdim, correction=c, fname="")
                g = _std_to_var_grad(g, r)
            res = _var_grad(g, x, axes, keepdim, c, kw.get("gn"))
        if g_mean is not None:
            shape = x._data.shape
            gm = _expand_grad(g_mean, shape, axes, keepdim) / _count(shape, axes)
            res = gm if res is None else res + gm
        return res
    return op


_var = _var_op("VarBackward0", False, False)
_std = _var_op("StdBackward0", True, False)
_var_mean = _var_op("VarMeanBackward0", False, True)
_std_mean = _var_op("StdMeanBackward0", True, True)


def _var_call(op, fname, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # std(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{fname}() received an invalid combination of arguments - got both "
                        "unbiased and correction")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    gn = 1 if isinstance(dim, (list, tuple)) and not dim else None
    return op(input, axes=_axes(dim, input.dim()), keepdim=keepdim, correction=correction,
              fname=fname, gn=gn)


@dim_alias
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return _out(_var_call(_var, "var", input, dim, unbiased, keepdim, correction), out)


@dim_alias
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return _out(_var_call(_std, "std", input, dim, unbiased, keepdim, correction), out)


@dim_alias
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_call(_var_mean, "var_mean", input, dim, unbiased, keepdim, correction)


@dim_alias
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_call(_std_mean, "std_mean", input, dim, unbiased, keepdim, correction)


# --- max, min, amax, amin, aminmax, argmax, argmin ------------------------------------

def _all_op(name, npf):
    op = Op(name, lambda ctx, a: _c(npf(a)))
    op.backward(lambda ctx, g: evenly_grad(g, ctx.inputs[0]._data, npf(ctx.inputs[0]._data)))
    return op


def _dim_op(name, argf):
    def fwd(ctx, a, dim, keepdim):
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        idx = argf(a, axis=dim, keepdims=True)
        v = np.take_along_axis(a, idx, dim)
        if ctx is not None:
            ctx.idx = idx
        if not keepdim:
            v, idx = v.squeeze(dim), idx.squeeze(dim)
        return _c(v), _c(idx.astype(np.int64, copy=False))

    op = Op(name, fwd, saves=(), n_outputs=2, nondiff_outputs=(1,))

    @op.backward
    def _(ctx, g, _gi=None):
        return place_grad(g, getattr(ctx, "idx", None), ctx.kw["dim"],
                          ctx.inputs[0]._data.shape)
    return op


_max_all, _min_all = _all_op("MaxBackward1", np.max), _all_op("MinBackward1", np.min)
_max_dim, _min_dim = _dim_op("MaxBackward0", np.argmax), _dim_op("MinBackward0", np.argmin)


def _no_dim_error(name):
    return RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                        "== 0. Specify the reduction dim with the 'dim' argument.")


def _maxmin(name, all_op, dim_op, binary, rtype):
    def fn(input, dim=None, keepdim=False, *, other=None, out=None):
        if other is not None or isinstance(dim, Tensor):
            return binary(input, other if other is not None else dim, out=out)
        if dim is None:
            if input._data.size == 0:
                raise _no_dim_error(name)
            real_only(input, f"{name}_all")
            return _out(all_op(input), out)
        d = _errors.wrap_dim(dim, input.dim())
        _nonempty_dim(name, input, d)
        real_only(input, message=f"{name}(): does not support complex input")
        return rtype(dim_op(input, dim=d, keepdim=keepdim))
    fn.__name__ = name
    return fn


max = dim_alias(_maxmin("max", _max_all, _max_dim, maximum, RT.max))
min = dim_alias(_maxmin("min", _min_all, _min_dim, minimum, RT.min))


def _check_reduce_nonempty(name, input, axes):
    if input._data.size:
        return
    if axes is None:
        raise _no_dim_error(name)
    for d in axes:
        if input._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _amax_grad(g, x, r, axes, keepdim):
    """``g`` split evenly over the elements equal to the extreme value (nan if none are)."""
    shape = x.shape
    mask = x == _kd(_wrap(r), shape, axes, keepdim)._data
    count = np.sum(mask, axis=axes, keepdims=True)
    return _kd(g, shape, axes, keepdim) * _wrap((mask / count).astype(g._data.dtype))


def _amax_op(name, npf):
    op = Op(name, lambda ctx, a, axes, keepdim: _c(npf(a, axis=axes, keepdims=keepdim)),
            saves_output=True)
    op.backward(lambda ctx, g: _amax_grad(g, ctx.inputs[0]._data, ctx.result._data,
                                          ctx.kw["axes"], ctx.kw["keepdim"]))
    return op


_amax, _amin = _amax_op("AmaxBackward0", np.max), _amax_op("AminBackward0", np.min)


@dim_alias
def amax(input, dim=(), keepdim=False, *, out=None):
    axes = _axes(dim, input.dim())
    _check_reduce_nonempty("amax", input, axes)
    real_only(input, "max_values_cpu")
    return _out(_amax(input, axes=axes, keepdim=keepdim), out)


@dim_alias
def amin(input, dim=(), keepdim=False, *, out=None):
    axes = _axes(dim, input.dim())
    _check_reduce_nonempty("amin", input, axes)
    real_only(input, "min_values_cpu")
    return _out(_amin(input, axes=axes, keepdim=keepdim), out)


def _aminmax_fwd(ctx, a, axes, keepdim):
    return (_c(np.min(a, axis=axes, keepdims=keepdim)),
            _c(np.max(a, axis=axes, keepdims=keepdim)))


_aminmax = Op("AminmaxBackward0", _aminmax_fwd, n_outputs=2)


@_aminmax.backward
def _(ctx, g_min, g_max):
    x, axes, keepdim = ctx.inputs[0]._data, ctx.kw["axes"], ctx.kw["keepdim"]
    mn, mx = _aminmax_fwd(None, x, axes, keepdim)
    res = None
    for g, r in ((g_min, mn), (g_max, mx)):
        if g is not None:
            part = _amax_grad(g, x, r, axes, keepdim)
            res = part if res is None else res + part
    return res


@dim_alias
def aminmax(input, *, dim=None, keepdim=False, out=None):
    real_only(input, "aminmax_cpu")
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        axes = None
    else:
        d = _errors.wrap_dim(dim, input.dim())
        _nonempty_dim("aminmax", input, d, sep="")
        axes = (d,) if input.dim() else ()
    return RT.aminmax(_aminmax(input, axes=axes, keepdim=keepdim))


def _argext(name, npf):
    def fn(input, dim=None, keepdim=False, *, out=None):
        if input.dtype is D.bool:
            raise RuntimeError(f"{name}(): does not support bool input")
        real_only(input, message=f"{name}(): does not support complex input")
        a = input._data
        if dim is None:
            if a.size == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            r = np.asarray(npf(a)).reshape((1,) * a.ndim if keepdim else ())
        else:
            d = _errors.wrap_dim(dim, a.ndim)
            _nonempty_dim(name, input, d)
            r = npf(a, axis=d, keepdims=keepdim) if a.ndim else np.zeros((), np.int64)
        return _out(_wrap(_c(r.astype(np.int64, copy=False))), out)
    fn.__name__ = name
    return fn


argmax = dim_alias(_argext("argmax", np.argmax))
argmin = dim_alias(_argext("argmin", np.argmin))


# --- logsumexp, all, any ---------------------------------------------------------------

def _logsumexp_fwd(ctx, a, axes, keepdim, dt):
    x = a.astype(dt.np, copy=False)
    if _count(x.shape, axes) == 0:
        return np.full(np.sum(x, axis=axes, keepdims=keepdim).shape, -np.inf, dt.np)
    m = np.max(x.real, axis=axes, keepdims=True)
    m = np.where(np.isinf(m), np.zeros((), m.dtype), m)
    r = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return _c(r if keepdim else r.reshape(()) if axes is None else np.squeeze(r, axis=axes))


_logsumexp = Op("LogsumexpBackward0", _logsumexp_fwd, saves_output=True)


@_logsumexp.backward
def _(ctx, g):
    x, axes, keepdim = ctx.inputs[0], ctx.kw["axes"], ctx.kw["keepdim"]
    shape = x._data.shape
    return _kd(g, shape, axes, keepdim) * (x - _kd(ctx.result, shape, axes, keepdim)).exp()


holomorphic(_logsumexp)


@dim_alias
def logsumexp(input, dim, keepdim=False, *, out=None):
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' (position 2) must be tuple of ints, not "
                        "NoneType")
    if isinstance(dim, (list, tuple)) and not dim and input.dim() and not keepdim:
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape "
                           f"{[1] * input.dim()}")
    dt = input.dtype if input.dtype.is_floating_point or input.dtype.is_complex else \
        D.get_default_dtype()
    return _out(_logsumexp(input, axes=_axes(dim, input.dim()), keepdim=keepdim, dt=dt), out)


def _logical_reduce(npf):
    def fn(input, dim=None, keepdim=False, *, out=None):
        axes = _axes(dim, input.dim(), empty_is_all=False)
        r = npf(input._data, axis=axes, keepdims=keepdim)
        dt = np.uint8 if input.dtype is D.uint8 else np.bool_
        return _out(_wrap(_c(np.asarray(r).astype(dt, copy=False))), out)
    fn.__name__ = npf.__name__
    return fn


all, any = dim_alias(_logical_reduce(np.all)), dim_alias(_logical_reduce(np.any))


install({"sum": sum, "nansum": nansum, "mean": mean, "nanmean": nanmean, "prod": prod,
         "var": var, "std": std, "max": max, "min": min, "amax": amax, "amin": amin,
         "aminmax": aminmax, "argmax": argmax, "argmin": argmin, "logsumexp": logsumexp,
         "all": all, "any": any})

# The rest of the reductions use the helpers above, so they are imported last.
from . import cumulative as _cumulative  # noqa: E402
from . import norms as _norms  # noqa: E402
from . import median as _median  # noqa: E402
from .cumulative import *  # noqa: E402,F401,F403
holomorphic(_cumulative._cumprod)  # cumulative.py's formula is g * d(cumprod)/dx too
from .norms import *  # noqa: E402,F401,F403
from .norms import vector_norm  # noqa: E402,F401  (still importable from here)
from .median import *  # noqa: E402,F401,F403

__all__ = ["sum", "nansum", "mean", "nanmean", "prod", "var", "std", "var_mean", "std_mean",
           "max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "logsumexp", "all",
           "any"] + _cumulative.__all__ + _norms.__all__ + _median.__all__
