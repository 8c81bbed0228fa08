"""Pooling: max / avg / adaptive / unpool, by strided views of the input.

Each pooling op walks the kernel offsets only (kh*kw iterations); every step is
one vectorised pass over a strided view of all batches, channels and pixels.
Max pooling remembers which offset won (a small int8 map) so its backward is a
strided add per offset, and it turns the map into PyTorch's flat indices only
when they are asked for.
"""
import itertools

from .._backend.parallel import parallel_items
from ..autograd.op import Op
from ._util import D, np
from .conv import _ntuple, _names, _tname

_as_strided = np.lib.stride_tricks.as_strided


def _out_len(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length, incl. the ceil-mode 'start inside' rule."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _offset_views(xp, k, s, d, out_sp):
    """Yield (offset, strided view (lead..., *out)) of padded ``xp`` per kernel offset."""
    nd = len(k)
    lead = xp.ndim - nd
    for off in itertools.product(*(range(kk) for kk in k)):
        idx = (slice(None),) * lead + tuple(
            slice(off[i] * d[i], off[i] * d[i] + s[i] * (out_sp[i] - 1) + 1, s[i])
            for i in range(nd))
        yield off, idx


def _padded(x, nd, p, k, s, d, out_sp, fill):
    """``x`` padded by ``p`` in front and enough behind for every window."""
    sp = x.shape[-nd:]
    need = [max(sp[i] + 2 * p[i], (out_sp[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1)
            for i in range(nd)]
    if all(p[i] == 0 and need[i] == sp[i] for i in range(nd)):
        return x
    xp = np.full(x.shape[:-nd] + tuple(need), fill, x.dtype)
    xp[(Ellipsis,) + tuple(slice(p[i], p[i] + sp[i]) for i in range(nd))] = x
    return xp


def _lowest(dtype):
    if dtype.kind in "fV":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


# --- max pooling -------------------------------------------------------------------
#
# The forward is a running np.maximum over the offset views (one cheap pass each).
# Which offset won is only worked out when needed -- for indices, or in backward,
# where the winners are found again by comparing the views with the maximum: the
# first equal offset wins, as PyTorch's strict ``>`` scan picks the first maximum.
# NaN (PyTorch keeps the last NaN) and all-lowest windows reaching into padding take
# the exact scan, which also records the winners.

def _need(sp, k, s, p, d, out_sp):
    return [max(sp[i] + 2 * p[i], (out_sp[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1)
            for i in range(len(k))]


def _running_max(xp, k, s, d, out_sp):
    best = None
    for _, idx in _offset_views(xp, k, s, d, out_sp):
        if best is None:
            best = xp[idx].copy()
        else:
            np.maximum(best, xp[idx], out=best)
    return best


def _exact_scan(x, xp, k, s, p, d, out_sp):
    """PyTorch's scan: (max, winning offset) with its NaN and first-valid rules."""
    nd = len(k)
    best = np.full(x.shape[:-nd] + tuple(out_sp), _lowest(x.dtype), x.dtype)
    # a window starting in the padding defaults to its first real element
    first = [np.maximum(-(-(p[i] - np.arange(out_sp[i]) * s[i]) // d[i]), 0)
             for i in range(nd)]
    kmul = [int(np.prod(k[i + 1:])) for i in range(nd)]
    start = first[0] * kmul[0]
    for i in range(1, nd):
        start = np.add.outer(start, first[i] * kmul[i])
    win = np.empty(best.shape, np.int16)
    win[...] = start
    floating = x.dtype.kind in "fV"
    for n, (_, idx) in enumerate(_offset_views(xp, k, s, d, out_sp)):
        v = xp[idx]
        m = v > best
        if floating:
            m |= np.isnan(v)
        np.copyto(best, v, where=m)
        np.copyto(win, n, where=m)
    return best, win


def _padded_for_max(x, k, s, p, d, out_sp):
    return _padded(x, len(k), p, k, s, d, out_sp, _lowest(x.dtype))


def _maxpool_fwd(ctx, x, k, s, p, d, ceil_mode, out_sp, want_indices):
    if not want_indices and x.ndim > len(k):
        out = np.empty(x.shape[:-len(k)] + tuple(out_sp), x.dtype)

        def piece(lo, hi):
            xp = _padded_for_max(x[lo:hi], k, s, p, d, out_sp)
            out[lo:hi] = _running_max(xp, k, s, d, out_sp)
        parallel_items(piece, x.shape[0], x[:1].size)
        return out, np.empty(0, np.int64)
    xp = _padded_for_max(x, k, s, p, d, out_sp)
    if not want_indices:
        return _running_max(xp, k, s, d, out_sp), np.empty(0, np.int64)
    best, win = _exact_scan(x, xp, k, s, p, d, out_sp)
    if ctx is not None:
        ctx.win = win
    return best, _flat_indices(win, x.shape[-len(k):], k, s, p, d, out_sp)


def _flat_indices(win, sp, k, s, p, d, out_sp):
    """Offset map -> PyTorch's indices into each flattened input plane."""
    nd = len(k)
    flat = 0
    rem = win.astype(np.int64)
    for i in range(nd):
        kmul = int(np.prod(k[i + 1:]))
        ki = rem // kmul
        rem = rem - ki * kmul
        shape = [1] * nd
        shape[i] = out_sp[i]
        pos = np.arange(out_sp[i]).reshape(shape) * s[i] - p[i] + ki * d[i]
        flat = flat * sp[i] + pos
    return flat


def _maxpool_bwd(ctx, g, _gi=None):
    x = ctx.inputs[0]._data
    kw = ctx.kw
    k, s, p, d, out_sp = kw["k"], kw["s"], kw["p"], kw["d"], kw["out_sp"]
    nd = len(k)
    sp = x.shape[-nd:]
    gx = np.zeros(x.shape[:-nd] + tuple(_need(sp, k, s, p, d, out_sp)), g.dtype)
    win = getattr(ctx, "win", None)
    ctx.win = None
    if x.ndim > nd:  # batch slices are independent: spread them over the threads
        def piece(lo, hi):
            _maxpool_grad_into(gx[lo:hi], x[lo:hi], g[lo:hi],
                               None if win is None else win[lo:hi], k, s, p, d, out_sp)
        parallel_items(piece, x.shape[0], x[:1].size)
    else:
        _maxpool_grad_into(gx, x, g, win, k, s, p, d, out_sp)
    return gx[(Ellipsis,) + tuple(slice(p[i], p[i] + sp[i]) for i in range(nd))]


def _maxpool_grad_into(gx, x, g, win, k, s, p, d, out_sp):
    """Route ``g`` to each window's winner in the zeroed, padded ``gx``."""
    nd = len(k)
    # windows that do not overlap can write their cells instead of adding to them
    disjoint = all(s[i] >= d[i] * (k[i] - 1) + 1 for i in range(nd))
    xp = None
    if win is None:
        xp = _padded_for_max(x, k, s, p, d, out_sp)
        best = _running_max(xp, k, s, d, out_sp)
        tricky = x.dtype.kind in "fV" and np.isnan(best).any()
        if not tricky and (xp is not x):
            tricky = (best == _lowest(x.dtype)).any()
        if tricky:
            _, win = _exact_scan(x, xp, k, s, p, d, out_sp)
    if win is not None:
        for n, (_, idx) in enumerate(_offset_views(gx, k, s, d, out_sp)):
            gx[idx] += g * (win == n)
        return
    taken = None
    for _, idx in _offset_views(gx, k, s, d, out_sp):
        m = xp[idx] == best
        if taken is None:
            taken = m
        else:
            m &= ~taken
            taken |= m
        if disjoint:
            np.multiply(g, m, out=gx[idx])
        else:
            gx[idx] += g * m


_maxpool2d = Op("MaxPool2DWithIndicesBackward0", _maxpool_fwd, saves=(0,), raw_backward=True,
                n_outputs=2, nondiff_outputs=(1,))
_maxpool3d = Op("MaxPool3DWithIndicesBackward0", _maxpool_fwd, saves=(0,), raw_backward=True,
                n_outputs=2, nondiff_outputs=(1,))
_maxpool2d.backward(_maxpool_bwd)
_maxpool3d.backward(_maxpool_bwd)


def _pool_args(name, nd, kernel_size, stride, padding, dilation):
    k = _ntuple(kernel_size, nd)
    if len(k) != nd:
        raise RuntimeError(f"{name}: kernel_size must either be a single int, or a tuple of "
                           f"{'two' if nd == 2 else 'three'} ints")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _ntuple(stride, nd)
    if len(s) != nd:
        raise RuntimeError(f"{name}: stride must either be omitted, a single int, or a tuple "
                           f"of {'two' if nd == 2 else 'three'} ints")
    p = _ntuple(padding, nd)
    if len(p) != nd:
        raise RuntimeError(f"{name}: padding must either be a single int, or a tuple of "
                           f"{'two' if nd == 2 else 'three'} ints")
    d = _ntuple(dilation, nd) if dilation is not None else (1,) * nd
    if len(d) != nd:
        raise RuntimeError(f"{name}: dilation must be either a single int, or a tuple of "
                           f"{'two' if nd == 2 else 'three'} ints")
    return k, s, p, d


def _check_pool_input(x, nd, name):
    if x.dim() not in (nd + 1, nd + 2) or x.numel() == 0 and x.dim() == nd + 1:
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected "
                           "for input")
    if any(v == 0 for v in x.shape[1:]) :
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional "
                           f"0 dim batch size for input, but got:{_names(x.shape)}")


def _pool_out(x, nd, k, s, p, d, ceil_mode, what="max"):
    if any(v == 0 for v in k):
        raise RuntimeError("kernel size should be greater than zero, but got " +
                           " ".join(f"k{'DHW'[3 - nd + i]}: {k[i]}" for i in range(nd)))
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got " +
                           " ".join(f"dilation{'DHW'[3 - nd + i]}: {d[i]}" for i in range(nd)))
    for i in range(nd):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            if what == "max":
                raise RuntimeError(f"pad should be at most half of effective kernel size, but "
                                   f"got pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    sp = x.shape[-nd:]
    out = tuple(_out_len(sp[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd))
    if any(o < 1 for o in out):
        c = x.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + tuple(sp)))}). "
                           f"Calculated output size: ({'x'.join(map(str, (c,) + out))}). "
                           "Output size is too small")
    return out


def _max_pool_nd(nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                 return_indices, name):
    k, s, p, d = _pool_args(name, nd, kernel_size, stride, padding, dilation)
    _check_pool_input(input, nd, name)
    out_sp = _pool_out(input, nd, k, s, p, d, ceil_mode)
    if input.dtype is D.bool or input.dtype.is_complex:
        raise RuntimeError(f"\"max_pool{nd}d\" not implemented for '{_tname(input.dtype)}'")
    op = _maxpool2d if nd == 2 else _maxpool3d
    out, idx = op(input, k=k, s=s, p=p, d=d, ceil_mode=ceil_mode, out_sp=out_sp,
                  want_indices=bool(return_indices))
    return (out, idx) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool_nd(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices, "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool_nd(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices, "max_pool3d")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional "
                           f"0 dim batch size for input, but got:{_names(input.shape)}")
    k = _ntuple(kernel_size, 1)
    s = k if stride is None or stride == [] or stride == () else _ntuple(stride, 1)
    r = max_pool2d(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + _ntuple(padding, 1),
                   (1,) + _ntuple(dilation, 1), ceil_mode, return_indices)
    if return_indices:
        return r[0].squeeze(-2), r[1].squeeze(-2)
    return r.squeeze(-2)


# --- average pooling -----------------------------------------------------------------

def _divisor(sp, k, s, p, out_sp, count_include_pad, divisor_override):
    if divisor_override:
        return None
    nd = len(k)
    full = part = 1
    for i in range(nd):
        start = np.arange(out_sp[i]) * s[i] - p[i]
        end = np.minimum(start + k[i], sp[i] + p[i])
        shape = [1] * nd
        shape[i] = out_sp[i]
        full = full * (end - start).reshape(shape)
        part = part * (np.minimum(end, sp[i]) - np.maximum(start, 0)).reshape(shape)
    return full if count_include_pad else part


def _avgpool_fwd(ctx, x, k, s, p, ceil_mode, count_include_pad, divisor_override, out_sp):
    nd = len(k)
    d = (1,) * nd
    acc_t = x.dtype if x.dtype.kind == "f" and x.dtype.itemsize >= 4 else (
        np.float32 if x.dtype.kind in "fV" else np.int64)
    div = _divisor(x.shape[-nd:], k, s, p, out_sp, count_include_pad, divisor_override)
    if div is None:
        div = divisor_override
    acc = np.empty(x.shape[:-nd] + tuple(out_sp), acc_t)
    same = x.dtype.kind == "f" and acc.dtype == x.dtype  # averaged in place

    def piece(lo, hi):  # window sums of a batch slice, on the intra-op threads
        xp = _padded(x[lo:hi], nd, p, k, s, d, out_sp, 0)
        a = acc[lo:hi]
        for n, (_, idx) in enumerate(_offset_views(xp, k, s, d, out_sp)):
            if n == 0:
                np.copyto(a, xp[idx], casting="unsafe")
            else:
                a += xp[idx]
        if same:
            a /= np.asarray(div, acc_t)
    if x.ndim > nd:
        parallel_items(piece, x.shape[0], x[:1].size)
    else:
        piece(0, None)
    if x.dtype.kind in "iu":
        # integer average: C++ integer division truncates toward zero
        q = np.abs(acc) // div
        return (np.sign(acc) * q).astype(x.dtype)
    if same:
        return acc
    return (acc / np.asarray(div, acc_t)).astype(x.dtype, copy=False)


def _avgpool_bwd(ctx, g):
    x = ctx.inputs[0]._data
    kw = ctx.kw
    k, s, p, out_sp = kw["k"], kw["s"], kw["p"], kw["out_sp"]
    nd = len(k)
    d = (1,) * nd
    sp = x.shape[-nd:]
    div = _divisor(sp, k, s, p, out_sp, kw["count_include_pad"], kw["divisor_override"])
    gd = g / np.asarray(div if div is not None else kw["divisor_override"], g.dtype)
    if all(s[i] == k[i] and p[i] == 0 and out_sp[i] * k[i] == sp[i] for i in range(nd)):
        # windows tile the input exactly: each cell gets its window's share, one pass
        # (repeating along the last axis first keeps every copy's inner runs long)
        lead = x.shape[:-nd]
        gx = np.empty(x.shape, g.dtype)
        tiles = lead + tuple(v for i in range(nd - 1) for v in (out_sp[i], k[i])) + sp[-1:]
        spread = lead + tuple(v for i in range(nd - 1) for v in (out_sp[i], 1)) + sp[-1:]
        gx.reshape(tiles)[...] = np.repeat(gd, k[-1], axis=-1).reshape(spread)
        return gx
    need = [max(sp[i] + 2 * p[i], (out_sp[i] - 1) * s[i] + k[i]) for i in range(nd)]
    gx = np.zeros(x.shape[:-nd] + tuple(need), g.dtype)
    for _, idx in _offset_views(gx, k, s, d, out_sp):
        gx[idx] += gd
    return gx[(Ellipsis,) + tuple(slice(p[i], p[i] + sp[i]) for i in range(nd))]


_avgpool2d = Op("AvgPool2DBackward0", _avgpool_fwd, saves=(), raw_backward=True)
_avgpool3d = Op("AvgPool3DBackward0", _avgpool_fwd, saves=(), raw_backward=True)
_avgpool2d.backward(_avgpool_bwd)
_avgpool3d.backward(_avgpool_bwd)


def _avg_pool_nd(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override, name):
    k, s, p, d = _pool_args(name, nd, kernel_size, stride, padding, 1)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected "
                           "for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out_sp = _pool_out(input, nd, k, s, p, d, ceil_mode, "avg")
    if input.dtype is D.bool or input.dtype.is_complex:
        raise RuntimeError(f"\"avg_pool{nd}d\" not implemented for '{_tname(input.dtype)}'")
    op = _avgpool2d if nd == 2 else _avgpool3d
    return op(input, k=k, s=s, p=p, ceil_mode=bool(ceil_mode),
              count_include_pad=bool(count_include_pad), divisor_override=divisor_override,
              out_sp=out_sp)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool_nd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override, "avg_pool2d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool_nd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override, "avg_pool3d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    k = _ntuple(kernel_size, 1)
    s = k if stride is None or stride == [] or stride == () else _ntuple(stride, 1)
    return avg_pool2d(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + _ntuple(padding, 1),
                      ceil_mode, count_include_pad).squeeze(-2)


# --- adaptive pooling ------------------------------------------------------------------

def _bounds(size, out):
    """PyTorch's adaptive windows: [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    return (i * size) // out, -(-((i + 1) * size) // out)


def _avg_matrix(size, out, dtype):
    lo, hi = _bounds(size, out)
    pos = np.arange(size)
    m = (pos >= lo[:, None]) & (pos < hi[:, None])
    return (m / (hi - lo)[:, None]).astype(dtype)


def _adaptive_avg_fwd(ctx, x, out_sp):
    nd = len(out_sp)
    dt = np.float32 if x.dtype.itemsize == 2 else x.dtype
    r = x.astype(dt, copy=False)
    # one small averaging matrix per spatial axis, applied as GEMMs over all planes
    for i in range(nd):
        axis = x.ndim - nd + i
        m = _avg_matrix(x.shape[axis], out_sp[i], dt)
        r = np.moveaxis(np.matmul(np.moveaxis(r, axis, -1), m.T), -1, axis)
    return np.ascontiguousarray(r, dtype=x.dtype)


def _adaptive_avg_bwd(ctx, g):
    x = ctx.inputs[0]._data
    out_sp = ctx.kw["out_sp"]
    nd = len(out_sp)
    r = g
    for i in range(nd):
        axis = g.ndim - nd + i
        m = _avg_matrix(x.shape[axis], out_sp[i], g.dtype)
        r = np.moveaxis(np.matmul(np.moveaxis(r, axis, -1), m), -1, axis)
    return np.ascontiguousarray(r)


_adaptive_avg2d = Op("AdaptiveAvgPool2DBackward0", _adaptive_avg_fwd, saves=(),
                     raw_backward=True)
_adaptive_avg3d = Op("AdaptiveAvgPool3DBackward0", _adaptive_avg_fwd, saves=(),
                     raw_backward=True)
_adaptive_avg2d.backward(_adaptive_avg_bwd)
_adaptive_avg3d.backward(_adaptive_avg_bwd)


def _adaptive_size(input, output_size, nd):
    out = output_size if isinstance(output_size, (list, tuple)) else (output_size,) * nd
    if len(out) != nd:
        raise RuntimeError(f"adaptive_avg_pool{nd}d: output_size must be {nd}")
    return tuple(int(input.shape[-nd + i]) if o is None else int(o) for i, o in enumerate(out))


def _adaptive_checks(input, nd, name, out):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{_names(input.shape)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_names(input.shape)} with "
                               f"dimension {i} being empty")
    if not (input.dtype.is_floating_point):
        raise NotImplementedError(f"\"{name}\" not implemented for '{_tname(input.dtype)}'")


def adaptive_avg_pool2d(input, output_size):
    out = _adaptive_size(input, output_size, 2)
    _adaptive_checks(input, 2, "adaptive_avg_pool2d", out)
    if out == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    return _adaptive_avg2d(input, out_sp=out)


def adaptive_avg_pool3d(input, output_size):
    out = _adaptive_size(input, output_size, 3)
    _adaptive_checks(input, 3, "adaptive_avg_pool3d", out)
    if out == (1, 1, 1):
        return input.mean((-1, -2, -3), keepdim=True)
    return _adaptive_avg3d(input, out_sp=out)


def adaptive_avg_pool1d(input, output_size):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'input' (position 1) must be 2D "
                           f"or 3D, but got {input.dim()}D")
    o = _ntuple(output_size, 1)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + o).squeeze(-2)


def _adaptive_max_fwd(ctx, x, out_sp):
    nd = len(out_sp)
    sp = x.shape[-nd:]
    lows, highs, spans = [], [], []
    for i in range(nd):
        lo, hi = _bounds(sp[i], out_sp[i])
        lows.append(lo)
        highs.append(hi)
        spans.append(int((hi - lo).max()))
    best = np.full(x.shape[:-nd] + tuple(out_sp), _lowest(x.dtype), x.dtype)
    idx = np.zeros(best.shape, np.int64)
    first = True
    for off in itertools.product(*(range(v) for v in spans)):
        # a window shorter than the longest re-reads its last element: harmless for max
        pos = [np.minimum(lows[i] + off[i], highs[i] - 1) for i in range(nd)]
        grid = np.ix_(*pos)
        v = x[(Ellipsis,) + grid]
        flat = 0
        for i in range(nd):
            flat = flat * sp[i] + pos[i].reshape([-1 if j == i else 1 for j in range(nd)])
        m = v > best
        if x.dtype.kind in "fV":
            m |= np.isnan(v)
        if first:
            m[...] = True
            first = False
        np.copyto(best, v, where=m)
        np.copyto(idx, np.broadcast_to(flat, idx.shape), where=m)
    return best, idx


def _adaptive_max_bwd(ctx, g, _gi=None):
    x = ctx.inputs[0]._data
    nd = len(ctx.kw["out_sp"])
    _, idx = ctx.saved_idx
    return _scatter_planes(g, idx, x.shape, nd, accumulate=True)


def _scatter_planes(vals, idx, shape, nd, accumulate):
    """Put ``vals`` at flat plane indices ``idx`` of a zero array of ``shape``."""
    plane = int(np.prod(shape[-nd:]))
    lead = int(np.prod(shape[:-nd]))
    out = np.zeros((lead, plane), vals.dtype)
    rows = np.arange(lead).reshape(lead, 1)
    v = vals.reshape(lead, -1)
    i = idx.reshape(lead, -1)
    if accumulate:
        np.add.at(out, (rows, i), v)
    else:
        out[rows, i] = v
    return out.reshape(shape)


def _adaptive_max_fwd_ctx(ctx, x, out_sp):
    best, idx = _adaptive_max_fwd(ctx, x, out_sp)
    if ctx is not None:
        ctx.saved_idx = (None, idx)
    return best, idx


_adaptive_max2d = Op("AdaptiveMaxPool2DBackward0", _adaptive_max_fwd_ctx, saves=(0,),
                     raw_backward=True, n_outputs=2, nondiff_outputs=(1,))
_adaptive_max2d.backward(_adaptive_max_bwd)
_adaptive_max3d = Op("AdaptiveMaxPool3DBackward0", _adaptive_max_fwd_ctx, saves=(0,),
                     raw_backward=True, n_outputs=2, nondiff_outputs=(1,))
_adaptive_max3d.backward(_adaptive_max_bwd)


def _adaptive_max_nd(nd, input, output_size, return_indices):
    name = f"adaptive_max_pool{nd}d"
    out = _adaptive_size(input, output_size, nd)
    _adaptive_checks(input, nd, name, out)
    op = _adaptive_max2d if nd == 2 else _adaptive_max3d
    r, idx = op(input, out_sp=out)
    return (r, idx) if return_indices else r


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max_nd(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max_nd(3, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d() argument 'input' (position 1) must be 2D "
                           f"or 3D, but got {input.dim()}D")
    o = _ntuple(output_size, 1)
    r = adaptive_max_pool2d(input.unsqueeze(-2), (1,) + o, return_indices)
    if return_indices:
        return r[0].squeeze(-2), r[1].squeeze(-2)
    return r.squeeze(-2)


# --- max_unpool ------------------------------------------------------------------------

def _unpool_fwd(ctx, x, idx, out_sp):
    nd = len(out_sp)
    idx = idx._data
    plane = int(np.prod(out_sp))
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = idx[(idx < 0) | (idx >= plane)].reshape(-1)[0]
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           + "x".join(map(str, out_sp)) + ")")
    return _scatter_planes(x, idx, x.shape[:-nd] + tuple(out_sp), nd, accumulate=False)


def _unpool_bwd(ctx, g):
    (x,) = ctx.inputs[:1]
    idx = ctx.kw["idx"]
    nd = len(ctx.kw["out_sp"])
    lead = x.shape[:-nd]
    flat = g.reshape(tuple(lead) + (-1,))
    return flat.gather(-1, idx.reshape(tuple(lead) + (-1,))).reshape(x.shape)


_unpool2d = Op("MaxUnpool2DBackward0", _unpool_fwd, saves=())
_unpool3d = Op("MaxUnpool3DBackward0", _unpool_fwd, saves=())
_unpool2d.backward(_unpool_bwd)
_unpool3d.backward(_unpool_bwd)


def _unpool_output_size(input, k, s, p, output_size):
    nd = len(k)
    default = [(input.shape[-nd + i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(nd)]
    if output_size is None:
        return tuple(default)
    shown = output_size
    output_size = [int(v) for v in output_size]
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for i in range(nd):
        lo, hi = default[i] - s[i], default[i] + s[i]
        if not lo < output_size[i] < hi:
            raise ValueError(f'invalid output_size "{shown}" (dim {i} must be between '
                             f'{lo} and {hi})')
    return tuple(output_size)


def _max_unpool_nd(nd, input, indices, kernel_size, stride, padding, output_size):
    k = _ntuple(kernel_size, nd)
    s = k if stride is None else _ntuple(stride, nd)
    p = _ntuple(padding, nd)
    out = _unpool_output_size(input, k, s, p, output_size)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d "
                           f"Tensor, but got a tensor with {input.dim()} dimensions.")
    if indices.dtype is not D.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{_tname(indices.dtype)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({_names(input.shape)}) but got indices tensor with shape: "
                           f"{_names(indices.shape)}")
    op = _unpool2d if nd == 2 else _unpool3d
    return op(input, idx=indices, out_sp=out)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool_nd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool_nd(3, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k = _ntuple(kernel_size, 1)
    s = k if stride is None else _ntuple(stride, 1)
    p = _ntuple(padding, 1)
    out = _unpool_output_size(input, k, s, p, output_size)
    return max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), (k[0], 1), (s[0], 1),
                        (p[0], 0), out + (1,)).squeeze(-1)


# --- power-average pooling ---------------------------------------------------------------

def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    k = _ntuple(kernel_size, nd)
    maxp = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}[nd]
    if norm_type == 0:
        raise ValueError(f"norm_type must be a non-zero value, but got {norm_type}")
    if norm_type == float("inf"):
        return maxp(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -maxp(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    avg = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[nd]
    r = avg(input.pow(norm_type), kernel_size if nd == 1 else k, stride, 0, ceil_mode)
    # sign * relu(|.|) keeps the gradient finite at 0 for fractional powers
    return (r.sign() * r.abs().relu()).mul(int(np.prod(k))).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d",
           "adaptive_max_pool1d"]


# (defined apart to keep this file short; exported from here as before)
from .fractional_pool import fractional_max_pool2d, fractional_max_pool3d  # noqa: E402,F401
