"""Cumulative ops along a dim: cumsum, cumprod (and their in-place methods), cummax and
cummin.  Floating cumulative sums and products accumulate in float64 (complex128) as
PyTorch's CPU kernels do.  Re-exported by reduce.
"""
from .. import _errors
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op import Op
from ._util import _wrap, np, install
from .elementwise import where, _out
from .sort import RT, _c, place_grad, dim_alias, real_only
from .reduce import _sum_dtype


def _cum_acc(dt):
    return np.float64 if dt.is_floating_point else np.complex128 if dt.is_complex else dt.np.type


def _cumsum_fwd(ctx, a, dim, dt):
    if a.ndim == 0:
        return a.astype(dt.np)
    return _c(np.cumsum(a, axis=dim, dtype=_cum_acc(dt)).astype(dt.np, copy=False))


def _rcumsum_fwd(ctx, a, dim, dt):
    if a.ndim == 0:
        return a.copy()
    flip = np.flip(a, dim)
    return _c(np.flip(np.cumsum(flip, axis=dim, dtype=_cum_acc(dt)), dim).astype(a.dtype))


_cumsum = Op("CumsumBackward0", _cumsum_fwd, saves=())
_rcumsum = Op("CumsumBackward0", _rcumsum_fwd, saves=())  # sum over j >= i
_cumsum.backward(lambda ctx, g: _rcumsum(g, dim=ctx.kw["dim"], dt=g.dtype))
_rcumsum.backward(lambda ctx, g: _cumsum(g, dim=ctx.kw["dim"], dt=g.dtype))


@dim_alias
def cumsum(input, dim, *, dtype=None, out=None):
    d = _errors.wrap_dim(dim, input.dim())
    return _out(_cumsum(input, dim=d, dt=_sum_dtype(input, dtype)), out)


def _cumprod_fwd(ctx, a, dim, dt):
    if a.ndim == 0:
        return a.astype(dt.np)
    return _c(np.cumprod(a, axis=dim, dtype=_cum_acc(dt)).astype(dt.np, copy=False))


_cumprod = Op("CumprodBackward0", _cumprod_fwd, saves_output=True)


@_cumprod.backward
def _(ctx, g):
    x, d = ctx.inputs[0], ctx.kw["dim"]
    if x.dim() == 0:
        return g
    out = ctx.result
    zero = x._data == 0
    if not zero.any():
        return _rcumsum(g * out, dim=d, dt=g.dtype) / x
    if _grad_state.enabled:  # create_graph: the exact O(n^2) form, differentiable throughout
        return _cumprod_grad_exact(g, x, d)
    # Past the first zero z of a slice the output is 0: a nonzero x_i gets the usual sum
    # (which is 0 past z), x_z gets sum_{j>=z} g_j * prod_{k<=j, k!=z} x_k, later zeros 0.
    n = x._data.shape[d]
    pos = np.arange(n).reshape([-1 if i == d else 1 for i in range(x.dim())])
    z = np.where(zero.any(d, keepdims=True), np.argmax(zero, axis=d, keepdims=True), n)
    at = _wrap(pos == z)
    nz = _wrap(~zero)
    t1 = where(nz, _rcumsum(g * out, dim=d, dt=g.dtype) / where(nz, x, 1.0), 0.0)
    s = (g * where(at, 1.0, x).cumprod(d) * _wrap(pos >= z)).sum(d, keepdim=True)
    return t1 + where(at, s, 0.0)


def _cumprod_grad_exact(g, x, d):
    """d/dx_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i, one k at a time (as PyTorch does)."""
    from .shape import cat
    n, cols = x._data.shape[d], []
    col = x._data.shape[:d] + (1,) + x._data.shape[d + 1:]
    for k in range(n):
        # prod_{i<=j, i!=k} x_i for every j: 0 before k, then prod(x[:k]) * cumprod(x[k+1:])
        until = x.narrow(d, 0, k).prod(d, keepdim=True) if k else _wrap(
            np.ones(col, g._data.dtype))
        parts = [_wrap(np.zeros(col[:d] + (k,) + col[d + 1:], g._data.dtype)), until]
        if k < n - 1:
            parts.append(until * x.narrow(d, k + 1, n - k - 1).cumprod(d))
        cols.append((g * cat(parts, d)).sum(d, keepdim=True))
    return cat(cols, d)


@dim_alias
def cumprod(input, dim, *, dtype=None, out=None):
    d = _errors.wrap_dim(dim, input.dim())
    return _out(_cumprod(input, dim=d, dt=_sum_dtype(input, dtype)), out)


def _cumext_op(name, acc_ufunc):
    def fwd(ctx, a, dim):
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        v = acc_ufunc.accumulate(a, axis=dim)
        # the index moves to j when a[j] reaches the running extreme (ties: the latest)
        # or is NaN; once the extreme is NaN only a later NaN moves it.
        upd = a == v
        if a.dtype.kind in "fc":
            upd |= np.isnan(a)
        pos = np.arange(a.shape[dim]).reshape([-1 if i == dim else 1 for i in range(a.ndim)])
        idx = np.maximum.accumulate(np.where(upd, pos, 0), axis=dim)
        if ctx is not None:
            ctx.idx = idx
        return _c(v), _c(idx.astype(np.int64, copy=False))

    op = Op(name, fwd, saves=(), n_outputs=2, nondiff_outputs=(1,))

    @op.backward
    def _(ctx, g, _gi=None):
        shape = ctx.inputs[0]._data.shape
        if not shape:
            return g
        return place_grad(g, ctx.idx, ctx.kw["dim"], shape, accumulate=True)
    return op


_cummax, _cummin = _cumext_op("CummaxBackward0", np.maximum), _cumext_op("CumminBackward0",
                                                                          np.minimum)


@dim_alias
def cummax(input, dim, *, out=None):
    real_only(input, "cummax_cpu")
    return RT.cummax(_cummax(input, dim=_errors.wrap_dim(dim, input.dim())))


@dim_alias
def cummin(input, dim, *, out=None):
    real_only(input, "cummin_cpu")
    return RT.cummin(_cummin(input, dim=_errors.wrap_dim(dim, input.dim())))


def _inplace(fn):
    def method(self, *args, **kw):
        from .inplace import apply_inplace
        return apply_inplace(self, fn, *args, **kw)
    return method


install({"cumsum": cumsum, "cumprod": cumprod, "cummax": cummax, "cummin": cummin,
         "cumsum_": _inplace(cumsum), "cumprod_": _inplace(cumprod)})

__all__ = ["cumsum", "cumprod", "cummax", "cummin"]
