"""scaled_dot_product_attention: PyTorch's fused CPU kernel as one op, and its math path."""
import math

from ..autograd.op import Op
from ._util import _wrap, np
from .nn_ops import _softmax_np, _unsafe_view, dropout, softmax


def _attn_bias(mask, L, S, causal, dtype):
    bias = None
    if causal:
        bias = np.where(np.tril(np.ones((L, S), bool)), 0, -np.inf).astype(dtype)
    if mask is not None:
        m = np.where(mask, 0, -np.inf).astype(dtype) if mask.dtype == bool else mask
        bias = m if bias is None else bias + m
    return bias


def _sdpa_fwd(ctx, q, k, v, mask, causal, scale):
    s = np.matmul(q, np.swapaxes(k, -1, -2)) * q.dtype.type(scale)
    bias = _attn_bias(mask, q.shape[-2], k.shape[-2], causal, q.dtype)
    if bias is not None:
        s = s + bias
    return np.matmul(_softmax_np(s, -1, False), v)


_sdpa = Op("ScaledDotProductFlashAttentionForCpuBackward0", _sdpa_fwd)


@_sdpa.backward
def _(ctx, g):
    q, k, v = ctx.inputs
    kw = ctx.kw
    s = (q @ k.transpose(-2, -1)) * kw["scale"]
    bias = _attn_bias(kw["mask"], q.shape[-2], k.shape[-2], kw["causal"], q.dtype.np)
    if bias is not None:
        s = s + _wrap(bias)
    p = softmax(s, -1)
    n = ctx.needs_input_grad
    gp = g @ v.transpose(-2, -1)
    gs = p * (gp - (gp * p).sum(-1, keepdim=True)) * kw["scale"]
    return (gs @ k if n[0] else None, gs.transpose(-2, -1) @ q if n[1] else None,
            p.transpose(-2, -1) @ g if n[2] else None)


def _batched_matmul(a, b):
    """matmul of >=3-d operands as PyTorch lowers it: expand, fold into bmm, unsafe view."""
    from .shape import broadcast_shapes
    batch = tuple(broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    n, k, p = a.shape[-2], a.shape[-1], b.shape[-1]
    bs = int(np.prod(batch)) if batch else 1
    a3 = a.expand(batch + (n, k)).reshape(bs, n, k)
    b3 = b.expand(batch + (k, p)).reshape(bs, k, p)
    return _unsafe_view(a3.bmm(b3), shape=batch + (n, p))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    sc = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    fused = (dropout_p == 0.0 and not enable_gqa and query.dim() in (3, 4)
             and query.shape[-1] == value.shape[-1])
    if not fused:
        # PyTorch's math path: both operands scaled by sqrt(scale), two batched matmuls
        root = math.sqrt(sc)
        s = _batched_matmul(query * root, (key * root).transpose(-2, -1))
        bias = _attn_bias(None if attn_mask is None else attn_mask._data, query.shape[-2],
                          key.shape[-2], is_causal, query.dtype.np)
        if bias is not None:
            s = s + _wrap(bias)
        p = softmax(s, -1)
        if dropout_p > 0.0:
            p = dropout(p, dropout_p, True)
        return _batched_matmul(p, value)
    mask = None if attn_mask is None else attn_mask._data
    if query.dim() == 3:
        # the fused kernel takes (N, heads, L, E): 3-d inputs gain a batch dim around it
        return _sdpa(query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0), mask=mask,
                     causal=bool(is_causal), scale=sc).squeeze(0)
    return _sdpa(query, key, value, mask=mask, causal=bool(is_causal), scale=sc)
