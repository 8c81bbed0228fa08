"""Distances: cosine similarity, pairwise (p-norm) distance, pdist."""
import math

from .. import _errors
from ..autograd.grad_mode import no_grad
from ..autograd.op import Op
from ._util import _wrap, np


# --- distances ---------------------------------------------------------------------------------

def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    from .shape import broadcast_tensors
    x1, x2 = broadcast_tensors(x1, x2)
    d = _errors.wrap_dim(dim, x1.dim())
    n1 = x1.norm(2, d, keepdim=True)
    n2 = x2.norm(2, d, keepdim=True)
    with no_grad():
        # clamped without a graph: the gradient goes through the unclamped norm
        n1.data = n1.data.clamp_min(eps)
        n2.data = n2.data.clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def _pnorm_np(a, p, axis, keepdim):
    x = np.abs(a)
    if p == 2:
        r = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdim))
    elif p == 1:
        r = np.sum(x, axis=axis, keepdims=keepdim)
    elif p == math.inf:
        r = np.max(x, axis=axis, keepdims=keepdim, initial=0)
    elif p == -math.inf:
        r = np.min(x, axis=axis, keepdims=keepdim)
    elif p == 0:
        r = np.sum(x != 0, axis=axis, keepdims=keepdim).astype(a.dtype)
    else:
        r = np.sum(x ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)
    return r.astype(a.dtype, copy=False)


def _pnorm_grad(g, x, r, p):
    """d||x||_p / dx times g, with ``r`` the norm broadcast against x."""
    if p == 0:
        return x * 0
    if p == 1:
        return g * x.sign()
    if p in (math.inf, -math.inf):
        hit = x.abs() == r
        return g * x.sign() * hit / hit.sum(-1, keepdim=True)
    if p == 2:
        return g * x / r.masked_fill(r == 0, math.inf)
    return g * x * x.abs().pow(p - 2) / r.pow(p - 1).masked_fill(r == 0, math.inf)


_norm_dim = Op("NormBackward1", lambda c, a, p, dim, keepdim: _pnorm_np(a, p, dim, keepdim),
               saves_output=True)


@_norm_dim.backward
def _(ctx, g):
    x = ctx.inputs[0]
    r = ctx.result
    if not ctx.kw["keepdim"]:
        g, r = g.unsqueeze(ctx.kw["dim"]), r.unsqueeze(ctx.kw["dim"])
    return _pnorm_grad(g, x, r, ctx.kw["p"])


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    from .loss import _add_scalar
    d = max(x1.dim(), x2.dim())
    diff = _add_scalar(x1 - x2, other=eps)
    if diff.dim() == 0:
        return _norm_dim(diff.reshape(1), p=p, dim=0, keepdim=False).reshape(()) \
            if not keepdim else diff.abs()
    return _norm_dim(diff, p=p, dim=d - 1, keepdim=bool(keepdim))


def _pdist_fwd(ctx, a, p):
    i, j = np.triu_indices(a.shape[0], 1)
    return _pnorm_np(a[i] - a[j], p, 1, False)


_pdist = Op("PdistBackward0", _pdist_fwd, saves_output=True)


@_pdist.backward
def _(ctx, g):
    x = ctx.inputs[0]
    i, j = np.triu_indices(x.shape[0], 1)
    ti, tj = _wrap(i), _wrap(j)
    d = x.index_select(0, ti) - x.index_select(0, tj)
    gp = _pnorm_grad(g.unsqueeze(1), d, ctx.result.unsqueeze(1), ctx.kw["p"])
    from .._creation import zeros
    z = zeros(x.shape, dtype=x.dtype)
    return z.index_add(0, ti, gp).index_add(0, tj, -gp)


def pdist(input, p=2):
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return _pdist(input, p=p)


__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]
