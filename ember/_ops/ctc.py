"""Connectionist temporal classification loss.

The forward (alpha) and backward (beta) recursions run over time steps -- each step
depends on the previous one -- and are vectorised over the batch and the extended label
sequence (blank, l1, blank, l2, ..., blank).  Log space, float64.  The gradient is
PyTorch's: taken as if ``log_probs`` came out of a log_softmax (exp(lp) - posterior).
"""
import math

from ..autograd.op import Op
from ._util import np
from .loss import _red


def _ctc_setup(lp, targets, in_len, tg_len, blank):
    T, N, C = lp.shape
    tl = tg_len.astype(np.int64)
    S = int(tl.max()) if N else 0
    if targets.ndim == 1:  # concatenated targets
        starts = np.concatenate([[0], np.cumsum(tl)[:-1]])
        pos = starts[:, None] + np.arange(S)[None, :]
        lab = targets[np.minimum(pos, max(len(targets) - 1, 0))] if len(targets) else \
            np.zeros((N, S), np.int64)
    else:
        lab = targets[:, :S]
    L = 2 * S + 1
    ext = np.full((N, L), blank, np.int64)
    ext[:, 1::2] = lab
    Ln = 2 * tl + 1
    valid = np.arange(L)[None, :] < Ln[:, None]
    skip = np.zeros((N, L), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    lpe = np.take_along_axis(lp.astype(np.float64), np.broadcast_to(ext[None], (T, N, L)), 2)
    return ext, Ln, valid, skip, lpe, in_len.astype(np.int64)


def _lse3(a, b, c):
    m = np.maximum(np.maximum(a, b), c)
    m_safe = np.where(np.isneginf(m), 0, m)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(a - m_safe) + np.exp(b - m_safe) + np.exp(c - m_safe)) + m_safe


def _shift(a, k):
    out = np.full(a.shape, -np.inf)
    out[:, k:] = a[:, :-k] if k else a
    return out


def _ctc_alpha(lpe, valid, skip):
    T, N, L = lpe.shape
    alpha = np.full((T, N, L), -np.inf)
    alpha[0, :, 0] = lpe[0, :, 0]
    if L > 1:
        alpha[0, :, 1] = lpe[0, :, 1]
    alpha[0][~valid] = -np.inf
    for t in range(1, T):
        a = alpha[t - 1]
        two = np.where(skip, _shift(a, 2), -np.inf)
        alpha[t] = np.where(valid, _lse3(a, _shift(a, 1), two) + lpe[t], -np.inf)
    return alpha


def _ctc_nll(alpha, Ln, in_len):
    n = np.arange(alpha.shape[1])
    last = alpha[np.maximum(in_len - 1, 0), n]
    a = last[n, Ln - 1]
    b = np.where(Ln > 1, last[n, np.maximum(Ln - 2, 0)], -np.inf)
    return -np.logaddexp(a, b)


def _ctc_fwd(ctx, lp, targets, in_len, tg_len, blank, zero_infinity):
    ext, Ln, valid, skip, lpe, il = _ctc_setup(lp, targets._data, in_len, tg_len, blank)
    return _ctc_nll(_ctc_alpha(lpe, valid, skip), Ln, il).astype(lp.dtype)


_ctc = Op("CtcLossBackward0", _ctc_fwd, saves=(0,), raw_backward=True)


@_ctc.backward
def _(ctx, g):
    lp = ctx.inputs[0]._data
    kw = ctx.kw
    T, N, C = lp.shape
    ext, Ln, valid, skip, lpe, il = _ctc_setup(lp, kw["targets"]._data, kw["in_len"],
                                               kw["tg_len"], kw["blank"])
    alpha = _ctc_alpha(lpe, valid, skip)
    nll = _ctc_nll(alpha, Ln, il)
    L = ext.shape[1]
    beta = np.full((T, N, L), -np.inf)
    n = np.arange(N)
    skip_next = np.zeros((N, L), bool)
    skip_next[:, :-2] = skip[:, 2:]
    for t in range(T - 1, -1, -1):
        start = np.full((N, L), -np.inf)
        start[n, Ln - 1] = lpe[t, n, Ln - 1]
        has2 = Ln > 1
        start[n[has2], Ln[has2] - 2] = lpe[t, n[has2], Ln[has2] - 2]
        if t + 1 < T:
            b = beta[t + 1]
            nxt = np.full((N, L), -np.inf)
            nxt[:, :-1] = b[:, 1:]
            nxt2 = np.full((N, L), -np.inf)
            nxt2[:, :-2] = b[:, 2:]
            rec = _lse3(b, nxt, np.where(skip_next, nxt2, -np.inf)) + lpe[t]
        else:
            rec = np.full((N, L), -np.inf)
        row = np.where((t == il - 1)[:, None], start, np.where((t < il - 1)[:, None], rec,
                                                               -np.inf))
        beta[t] = np.where(valid, row, -np.inf)
    ab = alpha + beta  # (T, N, L); collect per class
    m = ab.max(2, keepdims=True)
    m = np.where(np.isneginf(m), 0, m)
    onehot = (ext[:, :, None] == np.arange(C)[None, None, :]).astype(np.float64)  # (N, L, C)
    summed = np.einsum("tnl,nlc->tnc", np.exp(ab - m), onehot)
    with np.errstate(divide="ignore", invalid="ignore"):
        lcab = np.log(summed) + m
        grad = np.exp(lp.astype(np.float64)) - np.exp(lcab + nll[None, :, None] - lp)
    grad = np.where((np.arange(T)[:, None] < il[None, :])[:, :, None], grad, 0)
    if kw["zero_infinity"]:
        grad = np.where(np.isinf(nll)[None, :, None], 0, grad)
    return (grad * g[None, :, None]).astype(lp.dtype)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    from .._creation import tensor
    reduction = _red(reduction)
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    tg = targets.unsqueeze(0) if unbatched and targets.dim() == 1 else targets
    il = np.atleast_1d(np.asarray(input_lengths._data if hasattr(input_lengths, "_data")
                                  else input_lengths)).astype(np.int64)
    tl = np.atleast_1d(np.asarray(target_lengths._data if hasattr(target_lengths, "_data")
                                  else target_lengths)).astype(np.int64)
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if il.size and il.max() > T:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                           f"{il.max()} (while checking arguments for ctc_loss_cpu)")
    loss = _ctc(lp, targets=tg, in_len=il, tg_len=tl, blank=blank,
                zero_infinity=bool(zero_infinity))
    if zero_infinity:
        from .elementwise import where
        loss = where(loss == math.inf, loss.new_zeros(()), loss)
    if reduction == "mean":
        div = tensor(np.maximum(tl, 1)).to(loss.dtype)
        return (loss / div).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss
