"""Attention: F.scaled_dot_product_attention and F.multi_head_attention_forward.

scaled_dot_product_attention takes PyTorch's CPU routes: 3-d and 4-d inputs
without dropout go to one fused op (``ScaledDotProductFlashAttentionForCpuBackward0``,
once differentiable, backward from the saved probabilities); 2-d inputs and
dropout take the math route of ordinary ops.  In both, a query row whose keys are
all masked out attends to nothing and gives zeros (PyTorch's "safe" softmax).

multi_head_attention_forward follows PyTorch's sequence of ops (packed input
projection, head split by views, baddbmm or SDPA, output projection), so outputs,
strides and grad_fn names agree.
"""
import math
import warnings

from .._backend import np
from .._tensor import Tensor, _wrap
from ..autograd.op import Op
from .._ops.nn_ops import dropout as _dropout, linear
from .._ops.resample import pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_C10 = {"float32": "float", "float64": "double", "float16": "c10::Half",
        "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
        "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _c10(dt):
    return _C10.get(dt.name, dt.name)


# --- softmax that leaves fully masked rows at zero ------------------------------------------

def _safe_softmax_np(s):
    m = s.max(-1, keepdims=True)
    dead = m == -np.inf
    if dead.any():
        m = np.where(dead, 0, m)
    e = np.exp(s - m)
    tot = e.sum(-1, keepdims=True)
    if dead.any():
        tot = np.where(tot == 0, 1, tot)
    e /= tot
    return e


_safe_softmax = Op("SafeSoftmaxBackward0", lambda c, a: _safe_softmax_np(a), saves=(),
                   saves_output=True)


@_safe_softmax.backward
def _(ctx, g):
    y = ctx.result
    gy = g * y
    return gy - y * gy.sum(-1, keepdim=True)


def _bias_array(mask, L, S, causal, dtype):
    """Additive float bias from a bool (True = attend) or float mask and the causal flag."""
    bias = None
    if causal:
        bias = np.where(np.tril(np.ones((L, S), bool)), 0, -np.inf).astype(dtype)
    if mask is not None:
        m = np.where(mask, 0, -np.inf).astype(dtype) if mask.dtype == bool else mask
        bias = m if bias is None else bias + m
    return bias


# --- the fused op -------------------------------------------------------------------------------

def _sdpa_fwd(ctx, q, k, v, mask, causal, scale, groups):
    if groups > 1:
        k, v = np.repeat(k, groups, axis=-3), np.repeat(v, groups, axis=-3)
    s = np.matmul(q, np.swapaxes(k, -1, -2))
    s *= s.dtype.type(scale)
    bias = _bias_array(mask, q.shape[-2], k.shape[-2], causal, q.dtype)
    if bias is not None:
        s += bias
    p = _safe_softmax_np(s)
    if ctx is not None:
        ctx.saved = (p, k, v)
    return np.matmul(p, v)


_sdpa = Op("ScaledDotProductFlashAttentionForCpuBackward0", _sdpa_fwd, raw_backward=True)


@_sdpa.backward
def _(ctx, g):
    p, k, v = ctx.saved
    q = ctx.inputs[0]._data
    scale, groups = ctx.kw["scale"], ctx.kw["groups"]
    need = ctx.needs_input_grad
    dp = np.matmul(g, np.swapaxes(v, -1, -2))
    ds = dp
    ds -= (dp * p).sum(-1, keepdims=True)
    ds *= p
    ds *= ds.dtype.type(scale)
    dq = np.matmul(ds, k) if need[0] else None
    dk = np.matmul(np.swapaxes(ds, -1, -2), q) if need[1] else None
    dv = np.matmul(np.swapaxes(p, -1, -2), g) if need[2] else None

    def fold(a):  # gradients of repeated key/value heads add up
        if a is None or groups == 1:
            return a
        sh = a.shape
        return a.reshape(sh[:-3] + (sh[-3] // groups, groups) + sh[-2:]).sum(-3)
    return dq, fold(dk), fold(dv)


def _check_sdpa(query, key, value, attn_mask, is_causal, enable_gqa):
    if query.dtype is not key.dtype or query.dtype is not value.dtype:
        raise RuntimeError(
            f"Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_c10(query.dtype)} key.dtype: {_c10(key.dtype)} and value.dtype: "
            f"{_c10(value.dtype)} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            f"Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} "
            "instead.")
    if attn_mask is not None:
        mdt = attn_mask.dtype
        if mdt.name != "bool" and not (mdt.is_floating_point and mdt is query.dtype):
            raise RuntimeError(
                f"Expected attn_mask dtype to be bool or float or to match query dtype, but "
                f"got attn_mask.dtype: {_c10(mdt)} and  query.dtype: {_c10(query.dtype)} "
                "instead.")
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not "
                               "be set when is_causal=True")
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Float but found "
                           f"{_c10(query.dtype).capitalize()}")
    if key.shape[-1] != query.shape[-1]:
        n = int(np.prod(key.shape[:-2])) if key.dim() > 2 else 1
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {query.shape[-1]}] but got: [{n}, {key.shape[-1]}].")
    groups = 1
    if enable_gqa and query.dim() >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv or hk != hv:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in ")
        groups = hq // hk
    elif query.dim() >= 3 and key.dim() >= 3 and query.shape[-3] != key.shape[-3] \
            and key.shape[-3] != 1 and query.shape[-3] != 1:
        raise RuntimeError(f"The size of tensor a ({query.shape[-3]}) must match the size of "
                           f"tensor b ({key.shape[-3]}) at non-singleton dimension "
                           f"{query.dim() - 3}")
    return groups


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v over the last two dims; (..., L, E) x (..., S, E)."""
    groups = _check_sdpa(query, key, value, attn_mask, is_causal, enable_gqa)
    sc = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    nd = query.dim()
    # PyTorch's CPU flash kernel: 3-d/4-d, equal batch and head counts (or GQA), equal
    # query and value widths, no dropout, and a mask that needs no gradient
    fused = (dropout_p == 0.0 and nd in (3, 4) and key.dim() == nd and value.dim() == nd
             and query.shape[0] == key.shape[0] == value.shape[0]
             and (groups > 1 or query.shape[-3] == key.shape[-3] == value.shape[-3])
             and query.shape[-1] == value.shape[-1]
             and not (attn_mask is not None and attn_mask.requires_grad))
    if not fused:
        return _sdpa_math(query, key, value, attn_mask, dropout_p, is_causal, sc, groups)
    mask = None if attn_mask is None else attn_mask._data
    if nd == 3:
        # the fused kernel takes (N, heads, L, E): 3-d inputs gain a batch dim around it
        return _sdpa(query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0), mask=mask,
                     causal=bool(is_causal), scale=sc, groups=groups).squeeze(0)
    return _sdpa(query, key, value, mask=mask, causal=bool(is_causal), scale=sc,
                 groups=groups)


def _sdpa_math(query, key, value, attn_mask, dropout_p, is_causal, scale, groups):
    """PyTorch's math route: both operands scaled by sqrt(scale), safe softmax, dropout."""
    from .._ops.linalg import matmul
    root = math.sqrt(scale)
    q = query * root
    if groups > 1:
        key = key.repeat_interleave(groups, -3)
        value = value.repeat_interleave(groups, -3)
    s = matmul(q, key.transpose(-2, -1) * root)
    bias = _bias_array(None if attn_mask is None else attn_mask.detach()._data,
                       query.shape[-2], key.shape[-2], is_causal, query.dtype.np)
    if attn_mask is not None and attn_mask.dtype.is_floating_point and attn_mask.requires_grad:
        s = s + attn_mask
    elif bias is not None:
        s = s + _wrap(bias)
    p = _safe_softmax(s)
    if dropout_p > 0.0:
        p = _dropout(p, dropout_p, True)
    return matmul(p, value)


# --- multi-head attention -------------------------------------------------------------------

def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked out) becomes a float mask of -inf; float masks pass."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype.name != "bool" and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=3)
    if not is_float:
        from .._creation import zeros_like
        mask = zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _in_projection_packed(q, k, v, w, b=None):
    E = q.size(-1)
    if k is v:
        if q is k:  # self-attention: one product, split as (3, E) like chunk()
            proj = linear(q, w, b)
            proj = proj.unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2).squeeze(-2)
            proj = proj.contiguous()
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        kv = linear(k, w_kv, b_kv)
        kv = kv.unflatten(-1, (2, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return linear(q, w_q, b_q), kv[0], kv[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    for name, w, shape in (("query", w_q, (Eq, Eq)), ("key", w_k, (Eq, Ek)),
                           ("value", w_v, (Eq, Ev))):
        if tuple(w.shape) != shape:
            raise AssertionError(f"expecting {name} weights shape of {shape}, but got "
                                 f"{w.shape}")
    for name, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and tuple(b.shape) != (Eq,):
            raise AssertionError(f"expecting {name} bias shape of {(Eq,)}, but got {b.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Sequence-first (L, N, E) multi-head attention; returns (output, weights or None)."""
    from .._ops.linalg import baddbmm, bmm
    from .. import _creation as C
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # SDPA applies the causal hint itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, "
                             f"but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        from .. import cat
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz, num_heads, head_dim, "k")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "v")

    if add_zero_attn:
        from .. import cat
        zshape = (bsz * num_heads, 1, head_dim)
        k = cat([k, C.zeros(zshape, dtype=k.dtype)], dim=1)
        v = cat([v, C.zeros(zshape, dtype=v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.size(1)

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(
            -1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        E = q.shape[-1]
        q_scaled = q * math.sqrt(1.0 / float(E))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            w = baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            w = bmm(q_scaled, k.transpose(-2, -1))
        from .._ops.nn_ops import softmax
        w = softmax(w, -1)
        if dropout_p > 0.0:
            w = _dropout(w, dropout_p, True)
        out = bmm(w, v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.size(1))
        w = w.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            w = w.mean(dim=1)
        if not is_batched:
            out, w = out.squeeze(1), w.squeeze(0)
        return out, w

    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.size(1))
    if not is_batched:
        out = out.squeeze(1)
    return out, None


def _heads(t, static, bsz, num_heads, head_dim, name):
    """(S, N, E) -> (N*heads, S, head_dim), or a caller-given static tensor of that shape."""
    if static is None:
        return t.view(t.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.size(0) != bsz * num_heads:
        raise AssertionError(f"expecting static_{name}.size(0) of {bsz * num_heads}, but got "
                             f"{static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting static_{name}.size(2) of {head_dim}, but got "
                             f"{static.size(2)}")
    return static
