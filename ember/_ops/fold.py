"""F.unfold (im2col) and F.fold (col2im) on NCHW tensors, as PyTorch returns them."""
from ..autograd.op import Op
from ._util import np
from .conv import _as_strided, _ntuple


def _unfold_fwd(ctx, x, k, d, p, s):
    if x.ndim == 3:
        return _unfold_fwd(ctx, x[None], k, d, p, s)[0]
    N, C, H, W = x.shape
    oh = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    xp = x
    if p[0] or p[1]:
        xp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), x.dtype)
        xp[:, :, p[0]:p[0] + H, p[1]:p[1] + W] = x
    sn, sc, sh, sw = xp.strides
    v = _as_strided(xp, (N, C, k[0], k[1], oh, ow),
                    (sn, sc, sh * d[0], sw * d[1], sh * s[0], sw * s[1]), writeable=False)
    return np.ascontiguousarray(v).reshape(N, C * k[0] * k[1], oh * ow)


def _fold_fwd(ctx, cols, out_size, k, d, p, s):
    if cols.ndim == 2:
        return _fold_fwd(ctx, cols[None], out_size, k, d, p, s)[0]
    N, CK, L = cols.shape
    C = CK // (k[0] * k[1])
    H, W = out_size
    oh = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    c6 = cols.reshape(N, C, k[0], k[1], oh, ow)
    out = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            out[:, :, i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0],
                j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]] += c6[:, :, i, j]
    return np.ascontiguousarray(out[:, :, p[0]:p[0] + H, p[1]:p[1] + W])


_unfold = Op("Im2ColBackward0", _unfold_fwd, saves=())
_fold = Op("Col2ImBackward0", _fold_fwd, saves=())


@_unfold.backward
def _(ctx, g):
    kw = ctx.kw
    return _fold(g, out_size=ctx.inputs[0].shape[-2:], k=kw["k"], d=kw["d"], p=kw["p"],
                 s=kw["s"])


@_fold.backward
def _(ctx, g):
    kw = ctx.kw
    return _unfold(g, k=kw["k"], d=kw["d"], p=kw["p"], s=kw["s"])


def _fold_args(kernel_size, dilation, padding, stride):
    return (_ntuple(kernel_size, 2), _ntuple(dilation, 2), _ntuple(padding, 2),
            _ntuple(stride, 2))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    if input.dim() not in (3, 4):
        raise NotImplementedError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    H, W = input.shape[-2:]
    oh = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    if oh < 1 or ow < 1:
        raise RuntimeError(
            f"Given input with spatial size ({H}, {W}), kernel_size=({k[0]}, {k[1]}), "
            f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the "
            f"array of sliding blocks as ({oh}, {ow}), but its components must be at least "
            "one.")
    return _unfold(input, k=k, d=d, p=p, s=s)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    out_size = _ntuple(output_size, 2)
    if input.dim() not in (2, 3):
        raise NotImplementedError(
            f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
            f"(got {input.dim()}D)")
    kk = k[0] * k[1]
    ck, nblocks = input.shape[-2:]
    if ck % kk:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={ck} and kernel_size=({k[0]}, "
            f"{k[1]})")
    H, W = out_size
    oh = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    if oh * ow != nblocks:
        raise RuntimeError(
            f"Given output_size=({H}, {W}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, "
            f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of "
            f"input's dimension 2 to match the calculated number of sliding blocks {oh} * "
            f"{ow} = {oh * ow}, but got input.size(2)={nblocks}.")
    return _fold(input, out_size=out_size, k=k, d=d, p=p, s=s)


