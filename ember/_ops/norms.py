"""Vector norms: vector_norm (linalg.vector_norm's numeric-``ord`` path), norm (torch.norm,
handing matrix norms to ember.linalg) and dist.  Re-exported by reduce.
"""
import builtins
import math

from .. import _errors
from ..autograd.op import Op
from ._util import D, Tensor, np, install, result_dtype
from .elementwise import where, _out
from .sort import _c, dim_alias
from .reduce import _axes, _kd, _amax_grad, _require_float, _type_name


def _vnorm_np(a, ord, axes, keepdim):
    x = np.abs(a)
    if ord == 2:
        r = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
    elif ord == math.inf:
        r = np.max(x, axis=axes, keepdims=keepdim)
    elif ord == -math.inf:
        r = np.min(x, axis=axes, keepdims=keepdim)
    elif ord == 0:
        r = np.sum(x != 0, axis=axes, keepdims=keepdim, dtype=x.dtype)
    elif ord == 1:
        r = np.sum(x, axis=axes, keepdims=keepdim)
    else:
        r = np.sum(x ** x.dtype.type(ord), axis=axes, keepdims=keepdim) ** x.dtype.type(1 / ord)
    return _c(np.asarray(r).astype(x.dtype, copy=False))


def _vnorm_grad(g, x, r, ord, axes, keepdim):
    """PyTorch's norm_backward for a vector norm ``r`` of ``x`` over ``axes``."""
    shape = x._data.shape
    gk, rk = _kd(g, shape, axes, keepdim), _kd(r, shape, axes, keepdim)
    if ord == 0:  # PyTorch leaves the gradient undefined
        return None
    if ord == 1:
        return x.sign() * gk
    if ord == 2:
        return x * where(rk == 0, 0.0, gk / rk)
    if math.isinf(ord):
        return x.sign() * _amax_grad(g, np.abs(x._data), r._data, axes, keepdim)
    if ord < 1:
        scaled = where(x == 0, 0.0, x.sign() * x.abs().pow(ord - 1))
        return scaled * gk * rk.pow(1 - ord)
    scaled = x.sign() * x.abs().pow(ord - 1) if ord < 2 else x * x.abs().pow(ord - 2)
    return scaled * where(rk == 0, 0.0, gk / rk.pow(ord - 1))


_vnorm = Op("LinalgVectorNormBackward0",
            lambda ctx, a, ord, axes, keepdim: _vnorm_np(a, ord, axes, keepdim),
            saves_output=True)
_vnorm.backward(lambda ctx, g: _vnorm_grad(g, ctx.inputs[0], ctx.result, ctx.kw["ord"],
                                           ctx.kw["axes"], ctx.kw["keepdim"]))


def vector_norm(input, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """linalg.vector_norm (torch.norm's numeric-``p`` path)."""
    _require_float(input, "linalg.vector_norm: Expected a floating point or complex tensor "
                          "as input. Got {}")
    if dtype is not None:
        input = input.to(D.to_dtype(dtype))
    axes = _axes(dim, input.dim())
    ord = float(ord)
    if ord < 0 or math.isinf(ord):
        if input._data.size == 0 and (axes is None or builtins.any(
                input._data.shape[d] == 0 for d in axes)):
            name = "inf" if ord == math.inf else "-inf" if ord == -math.inf else f"{ord:g}"
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an "
                               "empty tensor because the operation does not have an identity")
    return _out(_vnorm(input, ord=ord, axes=axes, keepdim=keepdim), out)


@dim_alias
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, (int, np.integer)) or len(dim) <= 2):
            return vector_norm(input, 2, dim, keepdim, dtype=dtype, out=out)
        dims = list(range(input.dim())) if dim is None else dim
        if isinstance(dims, int) or len(dims) != 2:
            got = " ".join(str(d) for d in ([dims] if isinstance(dims, int) else dims))
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
        from .. import linalg
        if not hasattr(linalg, "matrix_norm"):
            raise NotImplementedError(f"norm(p={p!r}) needs ember.linalg.matrix_norm")
        return linalg.matrix_norm(input, p, dims, keepdim, dtype=dtype)
    return vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype=dtype, out=out)


def _dist_fwd(ctx, a, b, p, dt):
    try:
        diff = a.astype(dt.np, copy=False) - b.astype(dt.np, copy=False)
    except ValueError:
        raise _errors.broadcast_mismatch(a.shape, b.shape) from None
    return _vnorm_np(diff, p, None, False)


_dist = Op("DistBackward0", _dist_fwd, saves_output=True)


@_dist.backward
def _(ctx, g):
    a, b = ctx.inputs
    diff = a - b
    gd = _vnorm_grad(g, diff, ctx.result, ctx.kw["p"], None, False)
    return (None, None) if gd is None else (gd, -gd)


def dist(input, other, p=2):
    if not isinstance(other, Tensor):
        raise TypeError(f"dist(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    dt = result_dtype(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {_type_name(dt)} instead.")
    return _dist(input, other, p=float(p), dt=dt)


install({"norm": norm, "dist": dist})

__all__ = ["norm", "dist"]
