"""Normalisation ops: batch, layer, group, instance, local-response and RMS norm.

Statistics are taken in float64 for float32 inputs (PyTorch accumulates in a wider type
too).  Backwards rebuild the statistics with ember ops from the saved input, so a graph
made with create_graph differentiates through them.
"""
from .. import _errors
from ..autograd.grad_mode import no_grad
from ..autograd.op import Op
from ._util import D, _wrap, np


def _tname(dt):
    return _errors._TYPE_NAMES[dt.name][:-6]


# --- normalisation ------------------------------------------------------------------------

def _norm_stats(x, axes):
    """Mean and biased variance over ``axes`` (float64 accumulation for float32)."""
    acc = np.float64 if x.dtype == np.float32 else (np.float32 if x.dtype.itemsize == 2
                                                    else x.dtype)
    mean = np.mean(x, axis=axes, keepdims=True, dtype=acc)
    xc = x - mean.astype(x.dtype) if acc != x.dtype else x - mean
    var = np.mean(np.square(xc, dtype=acc), axis=axes, keepdims=True)
    return mean, var


def _affine_shape(ndim, axis_len, axis=1):
    shape = [1] * ndim
    shape[axis] = axis_len
    return shape


def _bn_fwd(ctx, x, w, b, training, momentum, eps, rmean, rvar):
    axes = (0,) + tuple(range(2, x.ndim))
    C = x.shape[1]
    shp = _affine_shape(x.ndim, C)
    if training:
        mean, var = _norm_stats(x, axes)
        if rmean is not None:
            n = x.size // C
            unbiased = var.reshape(-1) * (n / (n - 1)) if n > 1 else var.reshape(-1)
            rm, rv = rmean._data, rvar._data
            rm *= (1 - momentum)
            rm += momentum * mean.reshape(-1).astype(rm.dtype)
            rv *= (1 - momentum)
            rv += momentum * unbiased.astype(rv.dtype)
            rmean._bump()
            rvar._bump()
    else:
        mean = rmean._data.reshape(shp).astype(np.float64)
        var = rvar._data.reshape(shp).astype(np.float64)
    invstd = 1.0 / np.sqrt(var + eps)
    if ctx is not None:
        ctx.stats = (mean.astype(x.dtype), invstd.astype(x.dtype))
    scale = invstd if w is None else invstd * w.reshape(shp)
    shift = -mean * scale
    if b is not None:
        shift = shift + b.reshape(shp)
    out = x * scale.astype(x.dtype) + shift.astype(x.dtype)
    return out.astype(x.dtype, copy=False)


_batch_norm = Op("NativeBatchNormBackward0", _bn_fwd, saves=(0, 1))


def _normalized_grad(g, xhat, invstd, w, dims, recompute):
    """Backward of y = xhat * w + b with xhat = (x - mean) * invstd over ``dims``."""
    gxhat = g if w is None else g * w
    if not recompute:
        return gxhat * invstd
    n = 1
    for d in dims:
        n *= xhat.shape[d]
    m1 = gxhat.mean(dims, keepdim=True)
    m2 = (gxhat * xhat).mean(dims, keepdim=True)
    return (gxhat - m1 - xhat * m2) * invstd


@_batch_norm.backward
def _(ctx, g):
    x, w, b = ctx.inputs
    training = ctx.kw["training"]
    dims = (0,) + tuple(range(2, x.dim()))
    shp = _affine_shape(x.dim(), x.shape[1])
    mean, invstd = (_wrap(a) for a in ctx.stats)
    if training:
        # statistics rebuilt with ember ops so that create_graph differentiates them too
        m = x.mean(dims, keepdim=True)
        xc = x - m
        invstd = ((xc * xc).mean(dims, keepdim=True) + ctx.kw["eps"]).rsqrt()
        xhat = xc * invstd
    else:
        xhat = (x - mean) * invstd
    n = ctx.needs_input_grad
    wv = w.view(shp) if w is not None else None
    gx = _normalized_grad(g, xhat, invstd, wv, dims, training) if n[0] else None
    gw = (g * xhat).sum(dims) if n[1] else None
    gb = g.sum(dims) if n[2] else None
    return gx, gw, gb


def _check_mixed(input, *params):
    """PyTorch's CPU rule: parameters share the input's dtype, or are float32 for a half
    input."""
    first = next((p for p in params if p is not None), None)
    if first is None:
        return
    if first.dtype is input.dtype:
        for p in params:
            if p is not None and p.dtype is not input.dtype:
                raise RuntimeError(f"expected scalar type {_tname(input.dtype)} but found "
                                   f"{_tname(p.dtype)}")
        return
    for p in params:
        if p is not None and p.dtype is not D.float32:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of "
                               "Float")
    if input.dtype not in (D.float16, D.bfloat16):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _no_grad_arg(fn, name, t):
    from ..autograd.grad_mode import is_grad_enabled
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                           f"argument '{name}'. This input cannot have requires_grad True.")


def batch_norm(input, weight=None, bias=None, running_mean=None, running_var=None,
               training=False, momentum=0.1, eps=1e-5, cudnn_enabled=True):
    C = input.shape[1] if input.dim() > 1 else 1
    _no_grad_arg("native_batch_norm", "running_mean", running_mean)
    _no_grad_arg("native_batch_norm", "running_var", running_var)
    # PyTorch's order: running stats (and their presence in eval mode), then affine
    for nm, t in (("running_mean", running_mean), ("running_var", running_var),
                  ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{nm} should contain {C} elements not {t.numel()}")
        if t is None and nm.startswith("running") and not training:
            raise RuntimeError(f"{nm} must be defined in evaluation mode")
    _check_mixed(input, weight, bias, running_mean, running_var)
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' (position 7) must be float, not "
                        "NoneType")
    return _batch_norm(input, weight, bias, training=bool(training), momentum=momentum,
                       eps=eps, rmean=running_mean, rvar=running_var)


def _ln_fwd(ctx, x, w, b, axes, eps):
    mean, var = _norm_stats(x, axes)
    invstd = 1.0 / np.sqrt(var + eps)
    out = ((x - mean) * invstd).astype(x.dtype, copy=False)
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out.astype(x.dtype, copy=False)


_layer_norm = Op("NativeLayerNormBackward0", _ln_fwd, saves=(0, 1))


@_layer_norm.backward
def _(ctx, g):
    x, w, b = ctx.inputs
    dims = ctx.kw["axes"]
    m = x.mean(dims, keepdim=True)
    xc = x - m
    invstd = ((xc * xc).mean(dims, keepdim=True) + ctx.kw["eps"]).rsqrt()
    xhat = xc * invstd
    n = ctx.needs_input_grad
    lead = tuple(range(x.dim() - len(dims)))
    gx = _normalized_grad(g, xhat, invstd, w, dims, True) if n[0] else None
    gw = (g * xhat).sum(lead) if n[1] and lead else ((g * xhat) if n[1] else None)
    gb = (g.sum(lead) if lead else g) if n[2] else None
    return gx, gw, gb


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5,
               cudnn_enable=True):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(ns)}")
    if bias is not None and tuple(bias.shape) != ns:
        raise RuntimeError(f"Expected bias to be of same shape as normalized_shape, but got "
                           f"bias of shape {list(bias.shape)} and normalized_shape = "
                           f"{list(ns)}")
    if k == 0 or input.dim() < k or tuple(input.shape[-k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(input.shape)}")
    _check_mixed(input, weight, bias)
    axes = tuple(range(input.dim() - k, input.dim()))
    return _layer_norm(input, weight, bias, axes=axes, eps=eps)


def _gn_fwd(ctx, x, w, b, groups, eps):
    N, C = x.shape[:2]
    xg = x.reshape(N, groups, -1)
    mean, var = _norm_stats(xg, (2,))
    invstd = 1.0 / np.sqrt(var + eps)
    out = ((xg - mean) * invstd).astype(x.dtype, copy=False).reshape(x.shape)
    shp = _affine_shape(x.ndim, C)
    if w is not None:
        out = out * w.reshape(shp)
    if b is not None:
        out = out + b.reshape(shp)
    return out.astype(x.dtype, copy=False)


_group_norm = Op("NativeGroupNormBackward0", _gn_fwd, saves=(0, 1))


@_group_norm.backward
def _(ctx, g):
    x, w, b = ctx.inputs
    G = ctx.kw["groups"]
    N, C = x.shape[:2]
    xg = x.reshape(N, G, -1)
    m = xg.mean(2, keepdim=True)
    xc = xg - m
    invstd = ((xc * xc).mean(2, keepdim=True) + ctx.kw["eps"]).rsqrt()
    xhat = (xc * invstd).reshape(x.shape)
    shp = _affine_shape(x.dim(), C)
    n = ctx.needs_input_grad
    dims = (0,) + tuple(range(2, x.dim()))
    gx = None
    if n[0]:
        gxhat = g if w is None else g * w.view(shp)
        gxg, xhg = gxhat.reshape(N, G, -1), xhat.reshape(N, G, -1)
        gx = ((gxg - gxg.mean(2, keepdim=True) - xhg * (gxg * xhg).mean(2, keepdim=True))
              * invstd).reshape(x.shape)
    gw = (g * xhat).sum(dims) if n[1] else None
    gb = g.sum(dims) if n[2] else None
    return gx, gw, gb


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    N, C = input.shape[:2]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for nm, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            raise RuntimeError(f"Expected {nm} to be a vector of size equal to the number of "
                               f"channels in input, but got {nm} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    _check_mixed(input, weight, bias)
    return _group_norm(input, weight, bias, groups=num_groups, eps=eps)


def instance_norm(input, weight=None, bias=None, running_mean=None, running_var=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5, cudnn_enabled=True):
    N, C = input.shape[:2]
    shape = (1, N * C) + tuple(input.shape[2:])
    w = weight.repeat(N) if weight is not None else None
    b = bias.repeat(N) if bias is not None else None
    rm = running_mean.repeat(N) if running_mean is not None else None
    rv = running_var.repeat(N) if running_var is not None else None
    out = batch_norm(input.reshape(shape), w, b, rm, rv, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None:
        with no_grad():
            running_mean.copy_(rm.view(N, C).mean(0))
            running_var.copy_(rv.view(N, C).mean(0))
    return out.view(input.shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    from .pooling import avg_pool2d, avg_pool3d
    from .resample import pad
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        s = input.shape
        div = div.view(s[0], 1, s[1], s[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(s)
    return input / div.mul(alpha).add(k).pow(beta)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.dim() - len(ns), input.dim()))
    if eps is None:
        eps = float(np.finfo(input.dtype.np).eps) if input.dtype.is_floating_point else 1e-6
    r = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return r * weight if weight is not None else r


__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"]
