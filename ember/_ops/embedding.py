"""Embedding lookups: embedding (with padding_idx, max_norm, scale_grad_by_freq),
embedding_bag (sum / mean / max over bags given by offsets) and one_hot."""
from .. import _errors
from ..autograd.grad_mode import no_grad
from ..autograd.op import Op
from ._util import D, _wrap, np


def _embedding_fwd(ctx, w, idx, padding_idx, scale_grad_by_freq):
    return w[idx._data]


_embedding = Op("EmbeddingBackward0", _embedding_fwd, saves=())


@_embedding.backward
def _(ctx, g):
    w = ctx.inputs[0]
    idx = ctx.kw["idx"]._data.reshape(-1)
    pad = ctx.kw["padding_idx"]
    gflat = g.reshape(-1, w.shape[1])
    coef = None
    if pad is not None and pad >= 0:
        coef = (idx != pad).astype(g.dtype.np)
    if ctx.kw["scale_grad_by_freq"]:
        counts = np.bincount(idx, minlength=w.shape[0])
        c = (1.0 / counts[idx]).astype(g.dtype.np)
        coef = c if coef is None else coef * c
    if coef is not None:
        gflat = gflat * _wrap(coef).unsqueeze(1)
    from .._creation import zeros
    return zeros(w.shape, dtype=g.dtype).index_add(0, _wrap(idx), gflat)


def embedding_renorm_(weight, input, max_norm, norm_type):
    idx = np.unique(input._data.reshape(-1))
    with no_grad():
        rows = weight._data[idx]
        norms = np.linalg.norm(rows.astype(np.float64), ord=norm_type, axis=1) \
            if norm_type != 2 else np.sqrt(np.sum(rows.astype(np.float64) ** 2, axis=1))
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight._data[idx] = (rows * scale[:, None]).astype(weight._data.dtype)
        weight._bump()
    return weight


def embedding(weight, input, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got torch."
                           f"{_errors._TYPE_NAMES[input.dtype.name]} instead (while checking "
                           "arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    return _embedding(weight, idx=input, padding_idx=padding_idx,
                      scale_grad_by_freq=bool(scale_grad_by_freq))


def _bags(n, offsets, include_last):
    """(starts, ends) of every bag; bags are consecutive runs of the index list."""
    starts = offsets[:-1] if include_last else offsets
    ends = offsets[1:] if include_last else np.append(offsets[1:], n)
    return starts, np.minimum(ends, n)


def _segment_reduce(ufunc, vals, starts, ends, empty):
    """ufunc.reduceat over the bags, with ``empty`` for bags holding nothing."""
    out = np.full((len(starts),) + vals.shape[1:], empty, vals.dtype)
    full = ends > starts
    if full.any():
        out[full] = ufunc.reduceat(vals[:ends[full][-1]], starts[full], axis=0)
    return out


def _bag_fwd(ctx, w, psw, idx, offsets, mode, include_last, padding_idx, scale_grad_by_freq):
    idx = idx._data
    starts, ends = _bags(len(idx), offsets._data, include_last)
    keep = (idx != padding_idx) if padding_idx is not None else np.ones(len(idx), bool)
    rows = w[idx]
    if mode == "max":
        rows = np.where(keep[:, None], rows, -np.inf).astype(w.dtype)
        out = _segment_reduce(np.maximum, rows, starts, ends, -np.inf)
        return np.where(np.isneginf(out), 0, out).astype(w.dtype)
    rows = rows * keep[:, None]
    if psw is not None:
        rows = rows * psw[:, None]
    out = _segment_reduce(np.add, rows, starts, ends, 0)
    if mode == "mean":
        count = _segment_reduce(np.add, keep.astype(np.int64), starts, ends, 0)
        out = out / np.maximum(count, 1)[:, None].astype(w.dtype)
    return out.astype(w.dtype, copy=False)


_embedding_bag = Op("EmbeddingBagBackward0", _bag_fwd, raw_backward=True)


@_embedding_bag.backward
def _(ctx, g):
    w = ctx.inputs[0]._data
    psw = None if ctx.inputs[1] is None else ctx.inputs[1]._data
    kw = ctx.kw
    idx = kw["idx"]._data
    n = len(idx)
    starts, ends = _bags(n, kw["offsets"]._data, kw["include_last"])
    pad = kw["padding_idx"]
    keep = (idx != pad) if pad is not None else np.ones(n, bool)
    bag_of = np.repeat(np.arange(len(starts)), ends - starts)
    m = len(bag_of)  # indices past the last bag belong to none
    gw = np.zeros(w.shape, g.dtype)
    if kw["mode"] == "max":
        out = _bag_fwd(None, w, None, kw["idx"], kw["offsets"], "max", kw["include_last"],
                       pad, False)
        rows = np.where(keep[:m, None], w[idx[:m]], -np.inf)
        pos = np.where(rows == out[bag_of], np.arange(m)[:, None], m)
        first = _segment_reduce(np.minimum, pos, starts, ends, m)  # first maximum wins
        hit = first < m
        b, d = np.nonzero(hit)
        np.add.at(gw, (idx[first[b, d]], d), g[b, d])
        return gw, None
    coef = keep[:m].astype(g.dtype)
    if kw["mode"] == "mean":
        count = np.bincount(bag_of, weights=keep[:m], minlength=len(starts))
        coef = coef / np.maximum(count, 1)[bag_of].astype(g.dtype)
    gpsw = None
    if psw is not None:
        gpsw = np.zeros(psw.shape, g.dtype)
        gpsw[:m] = (g[bag_of] * w[idx[:m]]).sum(1) * coef
        coef = coef * psw[:m]
    if kw["scale_grad_by_freq"]:
        counts = np.bincount(idx, minlength=w.shape[0])
        coef = coef / counts[idx[:m]]
    np.add.at(gw, idx[:m], g[bag_of] * coef[:, None])
    return gw, gpsw


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    from .._creation import arange
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights "
                         f"(torch.Size({list(per_sample_weights.shape)})) is not None, then it "
                         f"must have the same shape as the input (torch.Size("
                         f"{list(input.shape)}))")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated "
                             f"is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {str(type(offsets)).replace('ember', 'torch')}")
        offsets = arange(0, input.numel(), input.shape[1], dtype=input.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    off = offsets._data
    if off.size and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0. However, got {off[0]}")
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    if max_norm is not None:
        embedding_renorm_(weight.detach(), input, max_norm, norm_type)
    return _embedding_bag(weight, per_sample_weights, idx=input, offsets=offsets, mode=mode,
                          include_last=bool(include_last_offset), padding_idx=padding_idx,
                          scale_grad_by_freq=bool(scale_grad_by_freq))


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(a.shape + (num_classes,), np.int64)
    np.put_along_axis(out, a[..., None], 1, axis=-1)
    return _wrap(out)


__all__ = ["embedding", "embedding_renorm_"]
