"""Loss functions, with PyTorch's formulas, reductions, grad_fn names and errors.

Losses PyTorch computes in one kernel (mse, nll, bce, smooth L1 ...) are single ops
here, named like its backward nodes; the ones it composes from tensor ops (l1, kl_div,
hinge, triplet ...) are composed the same way, so their graphs look alike.
``reduction`` is 'mean' | 'sum' | 'none' (top-level ``ember.*_loss`` functions also take
PyTorch's integer enum: 0 none, 1 mean, 2 sum).
"""
import math
import warnings

from .. import _errors
from ..autograd.grad_mode import no_grad
from ..autograd.op import Op
from ._util import D, _wrap, np

_ENUM = {0: "none", 1: "mean", 2: "sum"}


def _tname(dt):
    return _errors._TYPE_NAMES[dt.name][:-6]


def get_enum(reduction):
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def legacy_reduction(size_average, reduce, reduction):
    """PyTorch's handling of the deprecated ``size_average``/``reduce`` arguments."""
    if size_average is None and reduce is None:
        return reduction
    sa = True if size_average is None else size_average
    rd = True if reduce is None else reduce
    ret = "mean" if sa and rd else ("sum" if rd else "none")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _red(reduction):
    return _ENUM[reduction] if isinstance(reduction, int) else get_enum(reduction)


def _apply_reduction(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduce_np(loss, reduction):
    if reduction == "mean":
        return np.mean(loss, dtype=loss.dtype) if loss.size else np.asarray(np.nan, loss.dtype)
    if reduction == "sum":
        return np.sum(loss, dtype=loss.dtype)
    return loss


def _grad_scale(g, shape, reduction):
    """The incoming grad of a reduced loss, broadcast back over the elementwise loss."""
    if reduction == "none":
        return g
    n = 1
    for s in shape:
        n *= s
    return (g / n if reduction == "mean" else g).expand(shape)


def _size_warning(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.".replace(
                          "ember.Size", "torch.Size"), stacklevel=3)
        from .shape import broadcast_tensors
        return broadcast_tensors(input, target)
    return input, target


def _pointwise_loss(name, fwd, grad):
    """A loss of (input, target) computed elementwise then reduced, as one op."""
    def forward(ctx, x, t, reduction, **kw):
        return _reduce_np(fwd(x, t, **kw).astype(x.dtype, copy=False), reduction)
    op = Op(name, forward)

    @op.backward
    def _(ctx, g):
        x, t = ctx.inputs
        red = ctx.kw["reduction"]
        kw = {k: v for k, v in ctx.kw.items() if k != "reduction"}
        gl = _grad_scale(g, x.shape, red)
        d = grad(x, t, **kw)
        n = ctx.needs_input_grad
        return (gl * d if n[0] else None), (-(gl * d) if n[1] else None)
    return op


_mse = _pointwise_loss("MseLossBackward0", lambda x, t: np.square(x - t),
                       lambda x, t: (x - t) * 2)


def _smooth_l1_np(x, t, beta):
    z = np.abs(x - t)
    return np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)


def _smooth_l1_grad(x, t, beta):
    d = x - t
    from .elementwise import where
    return where(d.abs() < beta, d / beta, d.sign())


def _huber_np(x, t, delta):
    z = np.abs(x - t)
    return np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))


def _huber_grad(x, t, delta):
    d = x - t
    return d.clamp(-delta, delta)


_smooth_l1 = _pointwise_loss("SmoothL1LossBackward0", _smooth_l1_np, _smooth_l1_grad)
_huber = _pointwise_loss("HuberLossBackward0", _huber_np, _huber_grad)


def _soft_margin_np(x, t):
    return np.logaddexp(0, -t * x)


_soft_margin = Op("SoftMarginLossBackward0", lambda c, x, target, reduction: _reduce_np(
    _soft_margin_np(x, target._data).astype(x.dtype, copy=False), reduction))


@_soft_margin.backward
def _(ctx, g):
    x = ctx.inputs[0]
    t = ctx.kw["target"]
    gl = _grad_scale(g, x.shape, ctx.kw["reduction"])
    return gl * -t * (-t * x).sigmoid()


def mse_loss(input, target, reduction="mean", weight=None):
    input, target = _size_warning(input, target)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        se = (input - target).pow(2) * weight
        return _weighted_reduce(se, weight, reduction)
    return _mse(input, target, reduction=_red(reduction))


def _weighted_reduce(loss, weight, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def l1_loss(input, target, reduction="mean", weight=None):
    input, target = _size_warning(input, target)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        return _weighted_reduce((input - target).abs() * weight, weight, reduction)
    return _apply_reduction((input - target).abs(), _red(reduction))


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    input, target = _size_warning(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _apply_reduction((input - target).abs(), _red(reduction))
    return _smooth_l1(input, target, reduction=_red(reduction), beta=beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    input, target = _size_warning(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _huber(input, target, reduction=_red(reduction), delta=delta)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = _huber(input, target, reduction="none", delta=delta) * weight
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                         "'mean', 'sum'.")
    return _apply_reduction(loss, reduction)


def _no_target_grad(name, target):
    from ..autograd.grad_mode import is_grad_enabled
    if target.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to "
                           "argument 'target'. This input cannot have requires_grad True.")


def soft_margin_loss(input, target, reduction="mean"):
    _no_target_grad("soft_margin_loss", target)
    return _soft_margin(input, target=target, reduction=_red(reduction))


# --- negative log likelihood and cross entropy -------------------------------------------

def _nll_prepare(x, t, weight, ignore_index):
    """Rows (M, C) of the input with class last, flat targets, and per-row weights."""
    C = x.shape[1] if x.ndim > 1 else x.shape[0]
    xr = np.moveaxis(x, 1, -1).reshape(-1, C) if x.ndim > 1 else x.reshape(1, C)
    tr = t.reshape(-1)
    keep = tr != ignore_index
    bad = keep & ((tr < 0) | (tr >= C))
    if bad.any():
        raise IndexError(f"Target {tr[bad][0]} is out of bounds.")
    safe = np.where(keep, tr, 0)
    w = np.where(keep, 1.0 if weight is None else weight[safe], 0).astype(x.dtype)
    return xr, safe, w


def _nll_fwd(ctx, x, target, weight, ignore_index, reduction):
    t = target._data
    w_arr = None if weight is None else weight._data
    xr, safe, w = _nll_prepare(x, t, w_arr, ignore_index)
    picked = xr[np.arange(xr.shape[0]), safe]
    losses = -(picked * w)
    if reduction == "none":
        return losses.reshape(t.shape).astype(x.dtype, copy=False)
    total = np.sum(losses, dtype=x.dtype)
    if reduction == "sum":
        return total
    return np.asarray(total / np.sum(w, dtype=x.dtype), x.dtype)


def _nll_bwd(ctx, g):
    x = ctx.inputs[0]
    kw = ctx.kw
    t = kw["target"]._data
    weight = None if kw["weight"] is None else kw["weight"]._data
    xa = x._data
    xr, safe, w = _nll_prepare(xa, t, weight, kw["ignore_index"])
    red = kw["reduction"]
    if red == "mean":
        w = w / np.sum(w, dtype=xa.dtype)
    coef = np.zeros(xr.shape, xa.dtype)
    coef[np.arange(xr.shape[0]), safe] = -w
    if xa.ndim > 1:
        C = xa.shape[1]
        moved = (xa.shape[0],) + xa.shape[2:] + (C,)
        coef = np.moveaxis(coef.reshape(moved), -1, 1)
    else:
        coef = coef.reshape(xa.shape)
    coef = _wrap(np.ascontiguousarray(coef))
    if red == "none":
        gg = g.unsqueeze(1) if xa.ndim > 1 else g
        return gg * coef
    return g * coef


_nll = Op("NllLossBackward0", _nll_fwd, saves=(0,))
_nll2d = Op("NllLoss2DBackward0", _nll_fwd, saves=(0,))
_nll.backward(_nll_bwd)
_nll2d.backward(_nll_bwd)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    reduction = _red(reduction)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() == 1 and target.dim() != 0 and not (target.dim() == 1 and
                                                        target.shape[0] == 1):
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0] if target.dim() == 1 else list(target.shape)}")
    if input.dim() > 1 and input.shape[0] != (target.shape[0] if target.dim() else 1):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.dim() else 1}).")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_tname(target.dtype)}")
    C = input.shape[1] if input.dim() > 1 else input.shape[0]
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if input.dim() > 2:
        want = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != want:
            raise RuntimeError(f"Expected target size {list(want)}, got {list(target.shape)}")
    kw = dict(target=target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    if input.dim() <= 2:
        return _nll(input, **kw)
    if input.dim() == 4:
        return _nll2d(input, **kw)
    # PyTorch folds other N-d inputs into its 2-d kernel through views
    N, C = input.shape[:2]
    x4 = input.reshape(N, C, input.shape[2], -1)
    t3 = target.reshape(N, target.shape[1], -1)
    out = _nll2d(x4, **dict(kw, target=t3))
    return out.view(target.shape) if reduction == "none" else out


_div_scalar = Op("DivBackward1", lambda c, a, other: a / np.asarray(other, a.dtype), saves=())
_div_scalar.backward(lambda c, g: g / c.kw["other"])
_mul_scalar = Op("MulBackward1", lambda c, a, other: a * np.asarray(other, a.dtype), saves=())
_mul_scalar.backward(lambda c, g: g * c.kw["other"])
_add_scalar = Op("AddBackward1", lambda c, a, other: a + np.asarray(other, a.dtype), saves=())
_add_scalar.backward(lambda c, g: g)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    from .nn_ops import log_softmax
    reduction = _red(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    logp = log_softmax(input, class_dim)
    C = input.shape[class_dim]
    wshape = [1] * input.dim()
    if input.dim():
        wshape[class_dim] = C
    if tuple(input.shape) == tuple(target.shape):
        # class probabilities
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {_tname(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        t = target * (1 - label_smoothing) + label_smoothing / C if label_smoothing > 0 \
            else target
        prod = logp * t if weight is None else logp * t * weight.view(wshape)
        if reduction == "mean":
            n = input.numel() // C if C else 0
            return _div_scalar(-prod.sum(), other=n)
        if reduction == "sum":
            return -prod.sum()
        return -prod.sum(class_dim)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0.0:
        return nll
    ignore = target == ignore_index
    smooth = -(logp * weight.view(wshape)).sum(class_dim) if weight is not None \
        else -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            keep = target[~ignore] if target.dim() else target
            ret = smooth.sum() / weight.gather(0, keep.reshape(-1)).sum()
        else:
            ret = smooth.sum() / (~ignore).sum()
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return _mul_scalar(nll, other=1 - label_smoothing) + _mul_scalar(
        ret, other=label_smoothing / C)


# --- binary cross entropy ----------------------------------------------------------------------

def _bce_fwd(ctx, x, t, weight, reduction):
    if x.size and ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    lx = np.maximum(np.log(x), -100)
    l1x = np.maximum(np.log1p(-x), -100)
    loss = -(t * lx + (1 - t) * l1x)
    if weight is not None:
        loss = loss * weight._data
    return _reduce_np(loss.astype(x.dtype, copy=False), reduction)


_bce = Op("BinaryCrossEntropyBackward0", _bce_fwd)


@_bce.backward
def _(ctx, g):
    x, t = ctx.inputs
    w = ctx.kw["weight"]
    gl = _grad_scale(g, x.shape, ctx.kw["reduction"])
    if w is not None:
        gl = gl * w
    n = ctx.needs_input_grad
    gx = gl * (x - t) / ((1 - x) * x).clamp_min(1e-12) if n[0] else None
    gt = gl * ((1 - x).log().clamp_min(-100) - x.log().clamp_min(-100)) if n[1] else None
    return gx, gt


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_size_str(target)}) that is different to the "
                         f"input size ({_size_str(input)}) is deprecated. Please ensure they "
                         "have the same size.")
    if weight is not None:
        from .shape import broadcast_shapes
        weight = weight.expand(broadcast_shapes(target.shape, weight.shape))
    return _bce(input, target, weight=weight, reduction=_red(reduction))


def _size_str(t):
    return f"torch.Size({list(t.shape)})"


def _bce_logits_fwd(ctx, x, t, weight, pos_weight, reduction):
    sp = np.logaddexp(0, -x)  # log(1 + exp(-x)), stable
    if pos_weight is not None:
        lw = 1 + (pos_weight._data - 1) * t
        loss = (1 - t) * x + lw * sp
    else:
        loss = (1 - t) * x + sp
    if weight is not None:
        loss = loss * weight._data
    return _reduce_np(loss.astype(x.dtype, copy=False), reduction)


_bce_logits = Op("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_fwd)


@_bce_logits.backward
def _(ctx, g):
    x, t = ctx.inputs
    w, pw = ctx.kw["weight"], ctx.kw["pos_weight"]
    gl = _grad_scale(g, x.shape, ctx.kw["reduction"])
    if w is not None:
        gl = gl * w
    n = ctx.needs_input_grad
    gx = gt = None
    if n[0]:
        if pw is not None:
            lw = (pw - 1) * t + 1
            gx = gl * ((1 - t) - lw * (-x).sigmoid())
        else:
            gx = gl * (x.sigmoid() - t)
    if n[1]:
        if pw is not None:
            sp = (-x.abs()).exp().log1p() + (-x).clamp_min(0)  # softplus(-x), stable
            gt = gl * ((pw - 1) * sp - x)
        else:
            gt = gl * -x
    return gx, gt


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction="mean"):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_size_str(target)}) must be the same as input size "
                         f"({_size_str(input)})")
    return _bce_logits(input, target, weight=weight, pos_weight=pos_weight,
                       reduction=_red(reduction))


# --- composed losses --------------------------------------------------------------------------

_xlogy = Op("XlogyBackward0", lambda c, a, b: np.where(
    a == 0, np.zeros((), a.dtype), a * np.log(np.where(a == 0, 1, b))).astype(a.dtype))


@_xlogy.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    from .elementwise import where
    return (g * where(a != 0, b.log(), b.new_zeros(())) if n[0] else None,
            g * a / b if n[1] else None)


def kl_div(input, target, reduction="mean", *, log_target=False):
    reduction = _ENUM[reduction] if isinstance(reduction, int) else reduction
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy(target, target) - target * input
    if reduction == "batchmean":
        r = loss.sum()
        return r / _wrap(np.asarray(input.shape[0], input.dtype.np)) if input.dim() else r
    return _apply_reduction(loss, get_enum(reduction))


def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    reduction = _red(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (target * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    from .._creation import ones_like
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes"
            f": input1: {_size_str(input1)}, input2: {_size_str(input2)}, target: "
            f"{_size_str(target)} ")
    d = _add_scalar(-target * (input1 - input2), other=margin)
    return _apply_reduction(d.clamp_min(0), _red(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):
    from .elementwise import where
    zeros = _zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    out = where(target != 1, margin_clamp, zeros) + where(target != -1, input, zeros)
    return _apply_reduction(out, _red(reduction))


def _zeros_like(t):
    from .._creation import zeros_like
    return zeros_like(t)


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):
    from .nn_ops import logsigmoid
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _apply_reduction(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    from .elementwise import where
    if input1.dim() != input2.dim():
        raise RuntimeError(f"cosine_embedding_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {_size_str(input1)}, input2: "
                           f"{_size_str(input2)}, target: {_size_str(target)} ")
    d = input1.dim() - 1
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + eps
    m2 = (input2 * input2).sum(d) + eps
    cos = prod / (m1 * m2).sqrt()
    zeros = _zeros_like(cos)
    out = where(target == 1, 1 - cos, zeros) + where(target == -1, (cos - margin).clamp_min(0),
                                                     zeros)
    return _apply_reduction(out, _red(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction="mean"):
    from .distance import pairwise_distance
    from .elementwise import minimum
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")
    dpos = pairwise_distance(anchor, positive, p, eps)
    dneg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dneg = minimum(dneg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + dpos - dneg).clamp_min(0), _red(reduction))


def _multi_margin_parts(x, t, p, margin, weight):
    x2 = x.reshape(-1, x.shape[-1])
    N, C = x2.shape
    tt = t.reshape(-1)
    if tt.size and (tt.min() < 0 or tt.max() >= C):
        raise IndexError("target out of range")
    xy = x2[np.arange(N), tt][:, None]
    z = margin - xy + x2
    z[np.arange(N), tt] = 0
    z = np.maximum(z, 0)
    w = 1.0 if weight is None else weight[tt][:, None]
    return x2, tt, z, w, C


def _multi_margin_fwd(ctx, x, target, p, margin, weight, reduction):
    _, _, z, w, C = _multi_margin_parts(x, target._data, p, margin,
                                        None if weight is None else weight._data)
    loss = ((z ** p) * w).sum(1) / C
    loss = loss.astype(x.dtype, copy=False)
    if reduction == "none":
        return loss.reshape(target._data.shape)
    return _reduce_np(loss, reduction)


_multi_margin = Op("MultiMarginLossBackward0", _multi_margin_fwd, saves=(0,))


@_multi_margin.backward
def _(ctx, g):
    x = ctx.inputs[0]
    kw = ctx.kw
    p = kw["p"]
    x2, tt, z, w, C = _multi_margin_parts(x._data, kw["target"]._data, p, kw["margin"],
                                          None if kw["weight"] is None else kw["weight"]._data)
    d = (z > 0) * (p * z ** (p - 1) if p != 1 else 1.0) * w / C
    d[np.arange(len(tt)), tt] = -d.sum(1)
    coef = _wrap(d.astype(x._data.dtype).reshape(x.shape))
    red = kw["reduction"]
    if red == "none":
        return (g.unsqueeze(-1) if x.dim() > 1 else g) * coef
    n = len(tt)
    return (g / n if red == "mean" else g) * coef


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return _multi_margin(input, target=target, p=p, margin=margin, weight=weight,
                         reduction=_red(reduction))


def _mlm_parts(x, t):
    x2 = x.reshape(-1, x.shape[-1])
    t2 = t.reshape(-1, t.shape[-1])
    N, C = x2.shape
    # targets are the leading entries up to the first -1
    valid = np.cumprod(t2 >= 0, axis=1).astype(bool)
    is_target = np.zeros((N, C), bool)
    rows = np.repeat(np.arange(N), C).reshape(N, C)
    is_target[rows[valid], t2[valid]] = True
    return x2, t2, valid, is_target, C


def _mlm_fwd(ctx, x, target, reduction):
    x2, t2, valid, is_t, C = _mlm_parts(x, target._data)
    xy = np.take_along_axis(x2, np.where(valid, t2, 0), 1)  # (N, C) target scores
    z = np.maximum(1 - xy[:, :, None] + x2[:, None, :], 0)  # [n, j, i]
    z = z * valid[:, :, None] * (~is_t)[:, None, :]
    loss = (z.sum((1, 2)) / C).astype(x.dtype)
    if reduction == "none":
        return loss.reshape(x.shape[:-1]) if x.ndim > 1 else loss.reshape(())
    return _reduce_np(loss, reduction)


_mlm = Op("MultilabelMarginLossBackward0", _mlm_fwd, saves=(0,))


@_mlm.backward
def _(ctx, g):
    x = ctx.inputs[0]
    x2, t2, valid, is_t, C = _mlm_parts(x._data, ctx.kw["target"]._data)
    N = x2.shape[0]
    xy = np.take_along_axis(x2, np.where(valid, t2, 0), 1)
    act = ((1 - xy[:, :, None] + x2[:, None, :]) > 0) & valid[:, :, None] & (~is_t)[:, None, :]
    d = act.sum(1).astype(x2.dtype)  # + for each non-target i
    dy = -act.sum(2).astype(x2.dtype)  # - for each target slot j
    np.add.at(d, (np.repeat(np.arange(N), C).reshape(N, C)[valid], t2[valid]), dy[valid])
    coef = _wrap((d / C).reshape(x.shape).astype(x._data.dtype))
    red = ctx.kw["reduction"]
    if red == "none":
        return (g.unsqueeze(-1) if x.dim() > 1 else g) * coef
    return (g / N if red == "mean" else g) * coef


def multilabel_margin_loss(input, target, reduction="mean"):
    return _mlm(input, target=target, reduction=_red(reduction))


__all__ = ["binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "ctc_loss"]

from .ctc import ctc_loss  # noqa: E402
