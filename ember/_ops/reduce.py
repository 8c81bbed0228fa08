"""Reductions: sum, mean, ... (dims, keepdim, dtype as PyTorch takes them)."""
from .. import _errors
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install, canonical_dims


def _sum_dtype(t, dtype):
    if dtype is not None:
        return D.to_dtype(dtype)
    if t.dtype.category <= D._CATEGORY_INT:
        return D.int64
    return t.dtype


def _expand_grad(g, in_shape, dims, keepdim):
    """A reduced gradient broadcast back over the reduced dims."""
    if not keepdim and dims:
        shape = list(in_shape)
        for d in dims:
            shape[d] = 1
        g = g.reshape(shape)
    return g.expand(in_shape)


def _sum_fwd(ctx, a, dims, keepdim, dt):
    return np.sum(a, axis=dims, keepdims=keepdim, dtype=dt.np)


_sum_all = Op("SumBackward0", _sum_fwd, saves=())
_sum_dim = Op("SumBackward1", _sum_fwd, saves=())
for _op in (_sum_all, _sum_dim):
    _op.backward(lambda ctx, g: _expand_grad(g, ctx.inputs[0]._data.shape, ctx.kw["dims"],
                                             ctx.kw["keepdim"]))


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    dt = _sum_dtype(input, dtype)
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return _sum_all(input, dims=None if input.dim() else None, keepdim=False, dt=dt) \
            if not keepdim else _sum_dim(input, dims=tuple(range(input.dim())), keepdim=True,
                                         dt=dt)
    dims = canonical_dims(dim, input.dim())
    return _sum_dim(input, dims=dims if input.dim() else None, keepdim=keepdim, dt=dt)


def _mean_fwd(ctx, a, dims, keepdim, dt):
    return np.mean(a, axis=dims, keepdims=keepdim, dtype=dt.np).astype(dt.np, copy=False)


def _mean_bwd(ctx, g):
    shape = ctx.inputs[0]._data.shape
    dims = ctx.kw["dims"]
    n = 1
    for d in (range(len(shape)) if dims is None else dims):
        n *= shape[d]
    return _expand_grad(g, shape, dims, ctx.kw["keepdim"]) / n if n else \
        _expand_grad(g, shape, dims, ctx.kw["keepdim"]) * float("nan")


_mean_all = Op("MeanBackward0", _mean_fwd, saves=())
_mean_dim = Op("MeanBackward1", _mean_fwd, saves=())
_mean_all.backward(_mean_bwd)
_mean_dim.backward(_mean_bwd)


def _float_check(input, dtype, name):
    dt = D.to_dtype(dtype) if dtype is not None else input.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {_errors._TYPE_NAMES[dt.name][:-6]}")
    return dt


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    dt = _float_check(input, dtype, "mean")
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        if keepdim:
            return _mean_dim(input, dims=tuple(range(input.dim())), keepdim=True, dt=dt)
        return _mean_all(input, dims=None, keepdim=False, dt=dt)
    dims = canonical_dims(dim, input.dim())
    return _mean_dim(input, dims=dims if input.dim() else None, keepdim=keepdim, dt=dt)


install({"sum": sum, "mean": mean})
