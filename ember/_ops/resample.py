"""Padding, interpolation, pixel shuffle and grid sampling.

Every mode is separable: along each spatial axis the output gathers input positions
(one index array, or two/four with weights for linear/cubic modes).  Forward is a
gather per axis (np.take); backward scatters back per axis.  The index arrays are
non-decreasing, so the scatter is ``np.add.reduceat`` over runs of equal indices, not
``np.add.at``.
"""
import math

from ..autograd.op import Op
from ._util import D, _wrap, np
from .conv import _names, _tname

_UNSUPPORTED_PAD = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _scatter_axis(g, idx, size, axis, weight=None):
    """Adjoint of ``np.take(x, idx, axis)`` (times ``weight``) for sorted ``idx``."""
    if weight is not None:
        shape = [1] * g.ndim
        shape[axis] = len(weight)
        g = g * weight.reshape(shape).astype(g.dtype, copy=False)
    out_shape = list(g.shape)
    out_shape[axis] = size
    out = np.zeros(out_shape, g.dtype)
    if len(idx) == 0:
        return out
    order = None
    if np.any(np.diff(idx) < 0):
        order = np.argsort(idx, kind="stable")
        idx = idx[order]
        g = np.take(g, order, axis=axis)
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    sums = np.add.reduceat(g, starts, axis=axis)
    sl = [slice(None)] * g.ndim
    sl[axis] = idx[starts]
    out[tuple(sl)] = sums
    return out


# --- pad -----------------------------------------------------------------------------------

def _constant_pad_fwd(ctx, a, pad, value):
    nd = len(pad) // 2
    shape = list(a.shape)
    src = [slice(None)] * a.ndim
    dst = [slice(None)] * a.ndim
    for i in range(nd):
        ax = a.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = shape[ax]
        new = n + lo + hi
        if new < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} "
                               f"resulted in a negative output size, which is invalid. Check "
                               f"dimension {ax} of your input.")
        shape[ax] = new
        src[ax] = slice(max(-lo, 0), n - max(-hi, 0))
        dst[ax] = slice(max(lo, 0), max(lo, 0) + max(n - max(-lo, 0) - max(-hi, 0), 0))
    out = np.full(shape, value, a.dtype) if value != 0 else np.zeros(shape, a.dtype)
    out[tuple(dst)] = a[tuple(src)]
    return out


_constant_pad = Op("ConstantPadNdBackward0", _constant_pad_fwd, saves=())


@_constant_pad.backward
def _(ctx, g):
    return _constant_pad(g, pad=tuple(-p for p in ctx.kw["pad"]), value=0)


def constant_pad_nd(input, pad, value=0):
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Length of pad must be even but instead it equals " + str(len(pad)))
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Length of pad should be no more than twice the number of "
                           f"dimensions of the input. Pad length is {len(pad)} while the input "
                           f"has {input.dim()} dimensions.")
    if input.dtype is D.bool:
        value = bool(value)
    elif not input.dtype.is_floating_point:
        value = int(value)
    return _constant_pad(input, pad=pad, value=value)


def _pad_index(n, lo, hi, mode):
    """Source position of every output position along one padded axis."""
    pos = np.arange(-lo, n + hi)
    if mode == "reflect":
        period = 2 * (n - 1) if n > 1 else 1
        pos = np.abs(pos) % period if n > 1 else np.zeros_like(pos)
        return np.where(pos >= n, period - pos, pos)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    return pos % n  # circular


def _index_pad_fwd(ctx, a, pad, mode):
    nd = len(pad) // 2
    out = a
    for i in range(nd):
        ax = a.ndim - 1 - i
        out = np.take(out, _pad_index(a.shape[ax], pad[2 * i], pad[2 * i + 1], mode), axis=ax)
    return out


def _index_pad_bwd(ctx, g):
    a = ctx.inputs[0]
    pad, mode = ctx.kw["pad"], ctx.kw["mode"]
    nd = len(pad) // 2
    for i in reversed(range(nd)):
        ax = a.dim() - 1 - i
        g = _scatter_axis(g, _pad_index(a.shape[ax], pad[2 * i], pad[2 * i + 1], mode),
                          a.shape[ax], ax)
    return g


_PAD_OPS = {}
for _mode, _nm in (("reflect", "ReflectionPad"), ("replicate", "ReplicationPad"),
                   ("circular", "CircularPad")):
    for _k in (1, 2, 3):
        _op = Op(f"{_nm}{_k}DBackward0", _index_pad_fwd, saves=(), raw_backward=True)
        _op.backward(_index_pad_bwd)
        _PAD_OPS[_mode, _k] = _op


def pad(input, pad, mode="constant", value=None):
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.dim()}")
    if mode == "constant":
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for "
                                  f"{input.dim()}D input tensor.\n" + _UNSUPPORTED_PAD)
    for i in range(k):
        ax = input.dim() - 1 - i
        n, lo, hi = input.shape[ax], pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {ax} of input {_names(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    if any(p < 0 for p in pad):
        # negative padding crops first, as a constant pad does
        crop = tuple(min(p, 0) for p in pad)
        input = constant_pad_nd(input, crop)
        pad = tuple(max(p, 0) for p in pad)
    return _PAD_OPS[mode, k](input, pad=pad, mode=mode)


# --- interpolate ------------------------------------------------------------------------------

def _src_scale(in_size, out_size, align_corners, scale, ft):
    """PyTorch's source-index scale, in the kernel's compute precision ``ft``."""
    if align_corners:
        return ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
    return ft(1.0 / scale) if scale is not None and scale > 0 else ft(in_size) / ft(out_size)


def _axis_plan(mode, in_size, out_size, align_corners, scale, ft):
    """[(index array, weight array or None)] whose weighted gathers give the output."""
    dst = np.arange(out_size).astype(ft)
    if mode in ("nearest", "nearest-exact"):
        s = _src_scale(in_size, out_size, False, scale, ft)
        src = dst + ft(0.5) if mode == "nearest-exact" else dst
        return [(np.minimum(np.floor(src * s), in_size - 1).astype(np.int64), None)]
    r = _src_scale(in_size, out_size, align_corners, scale, ft)
    real = dst * r if align_corners else (dst + ft(0.5)) * r - ft(0.5)
    if mode == "cubic":
        i0 = np.floor(real).astype(np.int64)
        t = real - i0
        A = ft(-0.75)

        def near(x):
            return ((A + 2) * x - (A + 3)) * x * x + 1

        def far(x):
            return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
        ws = [far(t + 1), near(t), near(1 - t), far(2 - t)]
        return [(np.clip(i0 - 1 + j, 0, in_size - 1), ws[j]) for j in range(4)]
    real = np.maximum(real, ft(0))
    i0 = np.minimum(real.astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    l1 = np.minimum(real - i0, ft(1))
    return [(i0, ft(1) - l1), (i1, l1)]


def _interp_fwd(ctx, a, plans):
    nd = len(plans)
    out = a
    wdt = a.dtype if a.dtype.kind == "f" and a.dtype.itemsize >= 4 else np.float32
    for i, plan in enumerate(plans):
        ax = a.ndim - nd + i
        acc = None
        for idx, w in plan:
            part = np.take(out, idx, axis=ax)
            if w is not None:
                shape = [1] * a.ndim
                shape[ax] = len(w)
                part = part * w.astype(wdt).reshape(shape)
            acc = part if acc is None else acc + part
        out = acc
    return out.astype(a.dtype, copy=False)


def _interp_bwd(ctx, g):
    a = ctx.inputs[0]
    plans = ctx.kw["plans"]
    nd = len(plans)
    for i in reversed(range(nd)):
        ax = a.dim() - nd + i
        size = a.shape[ax]
        acc = None
        for idx, w in plans[i]:
            part = _scatter_axis(g, idx, size, ax, w)
            acc = part if acc is None else acc + part
        g = acc
    return g


_INTERP_OPS = {}
for _mode, _nm, _dims in (("nearest", "UpsampleNearest", (1, 2, 3)),
                          ("nearest-exact", "UpsampleNearestExact", (1, 2, 3)),
                          ("linear", "UpsampleLinear", (1,)),
                          ("bilinear", "UpsampleBilinear", (2,)),
                          ("trilinear", "UpsampleTrilinear", (3,)),
                          ("bicubic", "UpsampleBicubic", (2,))):
    for _k in _dims:
        _op = Op(f"{_nm}{_k}DBackward0", _interp_fwd, saves=(), raw_backward=True)
        _op.backward(_interp_bwd)
        _INTERP_OPS[_mode, _k] = _op


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and output "
                    f"size of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                    f"format and output size in (o1, o2, ...,oK) format.")
            out_size = [int(s) for s in size]
        else:
            out_size = [int(size)] * dim
    elif scale_factor is not None:
        out_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    f"Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, "
                    f"C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out_size = [int(math.floor(input.shape[i + 2] * scales[i])) for i in range(dim)]
        scales = None
    if antialias:
        raise NotImplementedError("antialias=True is not supported by ember")
    if out_size is None:
        out_size = [int(math.floor(input.shape[i + 2] * scales[i])) for i in range(dim)]
    want = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
    if mode in want and dim + 2 in (3, 4, 5) and want[mode] != dim:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{want[mode] + 2}D input")
    if dim not in (1, 2, 3) or mode not in ("nearest", "nearest-exact", "area", "linear",
                                           "bilinear", "trilinear", "bicubic"):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})")
    if mode == "area":
        from . import pooling as P
        fn = {1: P.adaptive_avg_pool1d, 2: P.adaptive_avg_pool2d, 3: P.adaptive_avg_pool3d}
        return fn[dim](input, out_size if dim > 1 else out_size[0])
    if any(o <= 0 for o in out_size):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(map(str, input.shape[2:]))}) and output "
                           f"({', '.join(map(str, out_size))})")
    kind = "cubic" if mode == "bicubic" else ("linear" if mode in want else mode)
    ft = np.float64 if input.dtype is D.float64 else np.float32
    plans = tuple(_axis_plan(kind, input.shape[2 + i], out_size[i], align_corners,
                             None if scales is None else scales[i], ft) for i in range(dim))
    return _INTERP_OPS[mode, dim](input, plans=plans)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --- pixel shuffle ------------------------------------------------------------------------------

def _shuffle_fwd(ctx, a, r, inverse):
    lead = a.shape[:-3]
    C, H, W = a.shape[-3:]
    if not inverse:
        oc = C // (r * r)
        v = a.reshape(lead + (oc, r, r, H, W))
        n = len(lead)
        perm = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
        return np.ascontiguousarray(v.transpose(perm)).reshape(lead + (oc, H * r, W * r))
    oh, ow = H // r, W // r
    v = a.reshape(lead + (C, oh, r, ow, r))
    n = len(lead)
    perm = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    return np.ascontiguousarray(v.transpose(perm)).reshape(lead + (C * r * r, oh, ow))


_pixel_shuffle = Op("PixelShuffleBackward0", lambda c, a, r: _shuffle_fwd(c, a, r, False),
                    saves=())
_pixel_unshuffle = Op("PixelUnshuffleBackward0", lambda c, a, r: _shuffle_fwd(c, a, r, True),
                      saves=())
_pixel_shuffle.backward(lambda c, g: _pixel_unshuffle(g, r=c.kw["r"]))
_pixel_unshuffle.backward(lambda c, g: _pixel_shuffle(g, r=c.kw["r"]))


def pixel_shuffle(input, upscale_factor):
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if input.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{input.shape[-3]} is not divisible by {r * r}")
    return _pixel_shuffle(input, r=r)


def pixel_unshuffle(input, downscale_factor):
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    if input.shape[-2] % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={input.shape[-2]} is not "
                           f"divisible by {r}")
    if input.shape[-1] % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={input.shape[-1]} is not "
                           f"divisible by {r}")
    return _pixel_unshuffle(input, r=r)


def _channel_shuffle_fwd(ctx, a, groups):
    N, C = a.shape[:2]
    v = a.reshape((N, groups, C // groups) + a.shape[2:]).swapaxes(1, 2)
    return np.ascontiguousarray(v).reshape(a.shape)


_channel_shuffle = Op("ChannelShuffleBackward0", _channel_shuffle_fwd, saves=())
_channel_shuffle.backward(lambda c, g: _channel_shuffle(
    g, groups=c.inputs[0].shape[1] // c.kw["groups"]))


def channel_shuffle(input, groups):
    if input.dim() < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got "
                           f"{input.shape[1]} channels and {groups} groups.")
    return _channel_shuffle(input, groups=int(groups))


# --- grid sampling -------------------------------------------------------------------------------

def _base_axis(n, align_corners, dt):
    if n <= 1:
        return np.zeros(max(n, 1), dt)
    v = np.linspace(-1, 1, n, dtype=np.float64)
    return (v if align_corners else v * (n - 1) / n).astype(dt)


def _base_grid(spatial, align_corners, dt):
    """(prod(spatial), nd + 1) rows [x, y, (z,) 1]; x runs along the last axis."""
    axes = [_base_axis(n, align_corners, dt) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    cols = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(mesh[0].size, dt)]
    return np.stack(cols, 1)


def _affine_fwd(ctx, theta, spatial, align_corners):
    base = _base_grid(spatial, align_corners, theta.dtype)
    out = np.matmul(base[None], np.swapaxes(theta, 1, 2))
    return out.reshape((theta.shape[0],) + tuple(spatial) + (len(spatial),))


_affine_grid = Op("AffineGridGeneratorBackward0", _affine_fwd, saves=())


@_affine_grid.backward
def _(ctx, g):
    sp = ctx.kw["spatial"]
    base = _wrap(_base_grid(sp, ctx.kw["align_corners"], g.dtype.np))
    n = g.shape[0]
    return g.reshape(n, -1, len(sp)).transpose(1, 2) @ base


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got "
                         f"{str(theta.dtype).replace('ember.', 'torch.')}")
    size = [int(v) for v in size]
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got torch.Size({list(theta.shape)}).")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got torch.Size({list(theta.shape)}).")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return _affine_grid(theta, spatial=tuple(spatial), align_corners=bool(align_corners))


def _grid_coord(c, size, align_corners, padding_mode):
    """Grid values -> pixel coordinates, and d(coordinate)/d(grid value)."""
    if align_corners:
        x, dx = (c + 1) / 2 * (size - 1), np.full(c.shape, (size - 1) / 2, c.dtype)
    else:
        x, dx = ((c + 1) * size - 1) / 2, np.full(c.shape, size / 2, c.dtype)
    if padding_mode == "reflection":
        lo, span = (0.0, size - 1.0) if align_corners else (-0.5, float(size))
        if span <= 0:
            x, dx = np.zeros_like(x), np.zeros_like(dx)
        else:
            t = x - lo
            sign = np.where(t < 0, -1, 1)
            t = np.abs(t)
            flips = np.floor(t / span)
            extra = np.fmod(t, span)
            even = np.fmod(flips, 2) == 0
            x = np.where(even, extra + lo, span - extra + lo)
            dx = dx * sign * np.where(even, 1, -1)
    if padding_mode in ("border", "reflection"):
        inside = (x > 0) & (x < size - 1)
        x = np.clip(x, 0, size - 1)
        dx = np.where(inside, dx, 0)
    return x.astype(c.dtype, copy=False), dx.astype(c.dtype, copy=False)


def _grid_taps(inp, grid, mode, padding_mode, align_corners):
    N, C, H, W = inp.shape
    ix, dix = _grid_coord(grid[..., 0], W, align_corners, padding_mode)
    iy, diy = _grid_coord(grid[..., 1], H, align_corners, padding_mode)
    if mode == "nearest":
        corners = [(np.rint(iy).astype(np.int64), np.rint(ix).astype(np.int64),
                    np.ones_like(ix))]
        return corners, (ix, iy, dix, diy, None)
    x0, y0 = np.floor(ix), np.floor(iy)
    wx1, wy1 = ix - x0, iy - y0
    wx0, wy0 = 1 - wx1, 1 - wy1
    x0i, y0i = x0.astype(np.int64), y0.astype(np.int64)
    corners = [(y0i, x0i, wy0 * wx0), (y0i, x0i + 1, wy0 * wx1),
               (y0i + 1, x0i, wy1 * wx0), (y0i + 1, x0i + 1, wy1 * wx1)]
    return corners, (ix, iy, dix, diy, (wx0, wx1, wy0, wy1))


def _gather_corner(flat, yi, xi, H, W):
    """Values at (yi, xi) of every (n, c) plane; zero outside.  flat: (N, C, H*W)."""
    valid = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)
    idx = (np.clip(yi, 0, H - 1) * W + np.clip(xi, 0, W - 1)).reshape(flat.shape[0], 1, -1)
    v = np.take_along_axis(flat, idx, 2)
    return v * valid.reshape(flat.shape[0], 1, -1), valid, idx


def _grid_sample_fwd(ctx, inp, grid, mode, padding_mode, align_corners):
    N, C, H, W = inp.shape
    Ho, Wo = grid.shape[1:3]
    flat = inp.reshape(N, C, H * W)
    corners, _ = _grid_taps(inp, grid, mode, padding_mode, align_corners)
    out = 0
    for yi, xi, w in corners:
        v, _, _ = _gather_corner(flat, yi, xi, H, W)
        out = out + v * w.reshape(N, 1, -1)
    return np.asarray(out, inp.dtype).reshape(N, C, Ho, Wo)


_grid_sampler = Op("GridSampler2DBackward0", _grid_sample_fwd, raw_backward=True)


@_grid_sampler.backward
def _(ctx, g):
    inp, grid = ctx.inputs[0]._data, ctx.inputs[1]._data
    kw = ctx.kw
    N, C, H, W = inp.shape
    flat = inp.reshape(N, C, H * W)
    gf = g.reshape(N, C, -1)
    corners, (ix, iy, dix, diy, ws) = _grid_taps(inp, grid, kw["mode"], kw["padding_mode"],
                                                 kw["align_corners"])
    need = ctx.needs_input_grad
    ginp = ggrid = None
    if need[0]:
        acc = np.zeros((N, C, H * W), np.float64)
        base = (np.arange(N * C) * (H * W)).reshape(N, C, 1)
        for yi, xi, w in corners:
            _, valid, idx = _gather_corner(flat, yi, xi, H, W)
            vals = gf * (w * valid).reshape(N, 1, -1)
            acc.reshape(-1)[:] += np.bincount((base + idx).reshape(-1), vals.reshape(-1),
                                              minlength=N * C * H * W)
        ginp = acc.astype(inp.dtype).reshape(inp.shape)
    if need[1]:
        if ws is None:
            ggrid = np.zeros_like(grid)
        else:
            wx0, wx1, wy0, wy1 = ws
            v = [_gather_corner(flat, yi, xi, H, W)[0] for yi, xi, _ in corners]
            sh = (N, 1, -1)
            gx = ((v[1] - v[0]) * wy0.reshape(sh) + (v[3] - v[2]) * wy1.reshape(sh))
            gy = ((v[2] - v[0]) * wx0.reshape(sh) + (v[3] - v[1]) * wx1.reshape(sh))
            gx = (gx * gf).sum(1).reshape(ix.shape) * dix
            gy = (gy * gf).sum(1).reshape(iy.shape) * diy
            ggrid = np.stack([gx, gy], -1).astype(grid.dtype)
    return ginp, ggrid


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic" or input.dim() != 4:
        raise NotImplementedError("ember's grid_sample supports 4-D input with bilinear or "
                                  "nearest modes")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {_tname(input.dtype)} and grid has "
                           f"{_tname(grid.dtype)}")
    return _grid_sampler(input, grid, mode=mode, padding_mode=padding_mode,
                         align_corners=bool(align_corners))


__all__ = ["constant_pad_nd", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]
