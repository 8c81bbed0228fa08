"""Convolution lowered onto matrix products (im2col), plus F.unfold / F.fold.

Layout: the im2col matrix is built channels-last from a zero-padded channels-last copy
of the input, one row per tile of T neighbouring output pixels along the last axis
(T = 1: one row per pixel), so the gather copies long contiguous runs.  With T > 1 the
weight becomes a banded matrix with T column blocks: layers with few output channels
then multiply by a matrix wide enough for BLAS to run at full speed (see ``_tile``).
Transposes back to NCHW cost one pass over the output.

Backward (raw arrays, once differentiable like a custom kernel):
  weight grad = cols^T @ grad_out            (cols kept from forward if small)
  input grad  = for stride 1 when the input is not much bigger than the output: a
                convolution of the padded grad_out with the flipped kernel; otherwise
                grad_out @ W^T in the patch layout, added back with one strided add per
                run of patch entries (col2im).
"""
import itertools
import warnings

from .. import _errors
from ..autograd.op import Op
from .._backend.parallel import parallel_items
from ._util import D, Tensor, np

_as_strided = np.lib.stride_tricks.as_strided
_KEEP_COLS_BYTES = 256 << 20  # above this, backward rebuilds im2col instead of holding it


class _Scratch:
    """Recycles the big im2col buffers between calls.

    A fresh 50 MB array costs a page fault per 4 KB on first write, about as long again
    as the im2col copy itself; a training loop asks for the same shapes every step, so
    handing buffers back after use (forward patches once backward is done with them,
    backward's own patches at once) removes that cost.  Bounded by ``limit`` bytes."""

    def __init__(self, limit):
        self.free, self.held, self.limit = {}, 0, limit

    def get(self, shape, dtype):
        try:  # list.pop is atomic: threads calling conv at once never share a buffer
            a = self.free[(shape, np.dtype(dtype))].pop()
        except (KeyError, IndexError):
            return np.empty(shape, dtype)
        self.held -= a.nbytes
        return a

    def put(self, a):
        if a is not None and a.base is None and self.held + a.nbytes <= self.limit:
            self.free.setdefault((a.shape, a.dtype), []).append(a)
            self.held += a.nbytes


_scratch = _Scratch(512 << 20)


# --- argument parsing ----------------------------------------------------------------

def _ntuple(v, n, name="stride"):
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        v = tuple(int(e) for e in v)
        if len(v) == 1 and n > 1:
            return v * n
        return v
    return (int(v),) * n


def _names(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _low_precision(dt):
    return dt is D.float16 or dt is D.bfloat16


def _compute_dtype(arr):
    """Half types are computed in float32 (NumPy has no fast half GEMM)."""
    return np.float32 if arr.dtype.itemsize == 2 and arr.dtype.kind in "fV" else arr.dtype


# C++ scalar names, as PyTorch's messages print them
_TORCH_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half",
               "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
               "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
               "bool": "bool", "complex64": "c10::complex<float>",
               "complex128": "c10::complex<double>"}


def _tname(dt):
    return _errors._TYPE_NAMES[dt.name][:-6]


# --- im2col in output tiles ------------------------------------------------------------
#
# Two patch layouts:
#   channels-last ("cl"): cols (G, rows, K), gathered from a padded (N, *S, C) copy;
#       out = cols @ W.  A row serves T neighbouring outputs along the last spatial axis
#       (a "tile") and holds the input span those T outputs read, all channels; W is then
#       banded, one column block per output of the tile, zero where that output does not
#       read the span.  T = 1 is classic im2col: a row per output pixel, K = taps * Cg.
#   channel-major ("cf"): cols (G, Cg*K, N*P), rows are patch entries, each row a run
#       along an output row of a padded (C, N, *S) copy;        out = W @ cols.
# Why tiles: BLAS multiplies by a narrow matrix (a LeNet layer's 6 or 16 output channels)
# at a third of its full speed, and the gather copies each input value about kw times.
# A tile of T outputs widens the narrow side to Og*T columns and cuts the gather by
# about T, for span / (T * kw) times the arithmetic; ``_tile`` weighs the two.

def _span(T, kw, s, d):
    """How a tile row covers the last axis: (entries, input step between entries,
    entry step from one output of the tile to the next, entry step between taps)."""
    if T == 1:
        return kw, d, 0, 1  # only the taps themselves
    return (T - 1) * s + (kw - 1) * d + 1, 1, s, d


# float32 GEMM speed (GFLOP/s) on this project's 2-core machines against the narrow
# side of the product, and the gather's cost: ns per contiguous run plus ns per value
_NARROW = (4, 6, 8, 12, 16, 24, 32, 48, 64, 96)
_SPEED = (18, 25, 33, 47, 70, 90, 135, 170, 185, 195)
_RUN_NS, _VALUE_NS = 3.0, 0.08
_MAX_TILE = 32


def _tile(Cg, Og, k, s, d, out_sp):
    """Outputs per patch row: the divisor of the last output size with the least
    estimated time per output pixel (GEMM plus gather)."""
    ow = out_sp[-1]
    runs = int(np.prod(k[:-1]))  # contiguous runs per patch row
    best = None
    for T in range(1, min(ow, _MAX_TILE) + 1):
        if ow % T:
            continue
        taps = _span(T, k[-1], s[-1], d[-1])[0]
        cost = 2 * Og * runs * taps * Cg / np.interp(Og * T, _NARROW, _SPEED) + \
            runs / T * (_RUN_NS + _VALUE_NS * taps * Cg)
        if best is None or cost < best[0]:
            best = (cost, T)
    return best[1]


def _layout(Cg, Og, k, s, d, out_sp):
    """(channels-last?, tile) for a convolution; the same for its forward and backward.
    Channel-major only for a first layer of many filters over wide rows, where
    ``W @ cols`` is a product wide on both sides."""
    if Og >= 64 and s[-1] == 1 and d[-1] == 1 and k[-1] * Cg < out_sp[-1]:
        return False, 1
    return True, _tile(Cg, Og, k, s, d, out_sp)


def _pad(x, pads, cl):
    """Zero-padded copy of NC* ``x``, as (N, *S, C) if ``cl`` else (C, N, *S)."""
    N, C = x.shape[:2]
    sp = x.shape[2:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(sp, pads))
    inner = tuple(slice(lo, lo + s) for s, (lo, _) in zip(sp, pads))
    dt = _compute_dtype(x)
    full = _scratch.get(((N,) + padded + (C,)) if cl else ((C, N) + padded), dt)
    if any(lo or hi for lo, hi in pads):
        full.fill(0)
    if cl:  # a transposing copy, worth two threads
        dst, src = full[(slice(None),) + inner], np.moveaxis(x, 1, -1)
        parallel_items(lambda lo, hi: np.copyto(dst[lo:hi], src[lo:hi]), N, x[:1].size)
    else:
        full[(slice(None), slice(None)) + inner] = x.swapaxes(0, 1)
    return full


def _patches(x, pads, G, k, s, d, out_sp, plan, into=None):
    """im2col of ``x`` through a recycled padded copy (into ``into`` when given)."""
    xp = _pad(x, pads, plan[0])
    cols = _im2col(xp, G, k, s, d, out_sp, plan, into)
    _scratch.put(xp)
    return cols


def _im2col(xp, G, k, s, d, out_sp, plan, cols=None):
    cl, T = plan
    nd = len(k)
    st = xp.strides
    P, K = int(np.prod(out_sp)), int(np.prod(k))
    if cl:
        N, C = xp.shape[0], xp.shape[-1]
        Cg = C // G
        taps, step = _span(T, k[-1], s[-1], d[-1])[:2]
        shape = (G, N) + tuple(out_sp[:-1]) + (out_sp[-1] // T,) + tuple(k[:-1]) + (taps, Cg)
        strides = ((Cg * st[-1], st[0]) + tuple(st[1 + i] * s[i] for i in range(nd - 1))
                   + (st[nd] * s[-1] * T,) + tuple(st[1 + i] * d[i] for i in range(nd - 1))
                   + (st[nd] * step, st[-1]))
        final = (G, N * P // T, K // k[-1] * taps * Cg)
    else:
        C, N = xp.shape[:2]
        Cg = C // G
        shape = (G, Cg) + tuple(k) + (N,) + tuple(out_sp)
        strides = ((Cg * st[0], st[0]) + tuple(st[2 + i] * d[i] for i in range(nd))
                   + (st[1],) + tuple(st[2 + i] * s[i] for i in range(nd)))
        final = (G, Cg * K, N * P)
    if cols is None:
        cols = _scratch.get(final, xp.dtype)
    if cl and strides[-2] == Cg * strides[-1] == Cg * xp.itemsize:
        # each run of span * Cg values is contiguous in the input: copy it as one item
        item = np.dtype((np.void, shape[-2] * Cg * xp.itemsize))
        shape, strides = shape[:-2], strides[:-2]
        dst = cols.view(item).reshape(shape)
        src = np.ndarray(shape, item, xp, 0, strides)
    else:
        dst, src = cols.reshape(shape), _as_strided(xp, shape, strides, writeable=False)
    # a gather of many short runs: two threads copy nearly twice as fast as one
    ax = 1 if cl else 2 + nd  # the batch axis of both layouts

    def piece(lo, hi):
        sl = (slice(None),) * ax + (slice(lo, hi),)
        np.copyto(dst[sl], src[sl])
    parallel_items(piece, shape[ax], cols.size // max(shape[ax], 1))
    return cols


def _to_nchw(out, N, sp, plan, bias=None, dtype=None, res=None):
    """GEMM result -> contiguous (N, O, *sp), adding the bias on the way
    (into ``res``, a contiguous (N, O, *sp) array, when given)."""
    cl, T = plan
    P = int(np.prod(sp))
    dtype = dtype or out.dtype
    G, Og = (out.shape[0], out.shape[2] // T) if cl else out.shape[:2]
    if res is None:
        res = np.empty((N, G * Og) + tuple(sp), dtype)
    b = None if bias is None else bias.reshape(G, Og, 1).astype(out.dtype, copy=False)
    if not cl:
        src, dst = out.reshape(G, Og, N, P).transpose(2, 0, 1, 3), res.reshape(N, G, Og, P)
    elif T > 1 and out.dtype == dtype:
        # a tile's T outputs are neighbours in the result too: each moves as one item
        if b is not None:
            out += np.repeat(b.reshape(G, 1, Og), T, axis=2)
            b = None
        item = np.dtype((np.void, T * out.dtype.itemsize))
        src = out.reshape(G, N, P // T, Og * T).view(item).transpose(1, 0, 3, 2)
        dst = res.reshape(N, G, Og, P).view(item)
    else:
        src = out.reshape(G, N, P // T, Og, T).transpose(1, 0, 3, 2, 4)
        dst = res.reshape(N, G, Og, P // T, T)
        b = None if b is None else b[..., None]

    def piece(lo, hi):  # a transposing copy of short runs, worth two threads
        if b is None:
            np.copyto(dst[lo:hi], src[lo:hi], casting="unsafe")
        else:
            np.add(src[lo:hi], b, out=dst[lo:hi], casting="unsafe")
    parallel_items(piece, N, res[:1].size)
    return res


def _from_nchw(g, G, plan):
    """(N, O, *sp) -> the GEMM-output layout of ``plan``: (G, N*P/T, O/G*T) for
    channels-last, else (G, O/G, N*P); contiguous."""
    cl, T = plan
    N, O = g.shape[:2]
    Og = O // G
    P = int(np.prod(g.shape[2:]))
    dt = _compute_dtype(g)
    if not cl:
        v = g.reshape(N, G, Og, P)
        return np.ascontiguousarray(v.transpose(1, 2, 0, 3), dt).reshape(G, Og, N * P)
    res = np.empty((G, N * P // T, Og * T), dt)
    if g.dtype == dt and g.flags.c_contiguous:  # a tile's T values move as one item
        item = np.dtype((np.void, T * g.itemsize))
        src = g.reshape(N, G, Og, P).view(item).transpose(1, 0, 3, 2)
        dst = res.view(item).reshape(G, N, P // T, Og)
    else:
        src = g.reshape(N, G, Og, P // T, T).transpose(1, 0, 3, 2, 4)
        dst = res.reshape(G, N, P // T, Og, T)

    def piece(lo, hi):  # a transposing copy of short runs, worth two threads
        np.copyto(dst[:, lo:hi], src[:, lo:hi], casting="unsafe")
    parallel_items(piece, N, P * O)
    return res


def _band_view(B, nd, kw, T, s, d):
    """The (G, *k, Cg, Og, T) weight entries inside a banded (G, *k[:-1], span, Cg, Og, T)
    array: output t of a tile meets tap j at span entry t*s + j*d."""
    _, _, os_, ts = _span(T, kw, s, d)
    st = B.strides
    shape = B.shape[:nd] + (kw,) + B.shape[nd + 1:]
    return _as_strided(B, shape, st[:nd] + (st[nd] * ts, st[nd + 1], st[nd + 2],
                                            st[nd + 3] + st[nd] * os_))


def _w_cl(w, G, T=1, s=(1,), d=(1,)):
    """Weight (O, Cg, *k) -> (G, K, O/G*T), the right operand for channels-last rows."""
    O, Cg = w.shape[:2]
    k = w.shape[2:]
    nd = len(k)
    wg = w.reshape((G, O // G, Cg) + k).transpose(
        (0,) + tuple(range(3, 3 + nd)) + (2, 1))  # (G, *k, Cg, Og)
    dt = _compute_dtype(w)
    if T == 1:
        return np.ascontiguousarray(wg, dt).reshape(G, -1, O // G)
    taps = _span(T, k[-1], s[-1], d[-1])[0]
    B = np.zeros((G,) + k[:-1] + (taps, Cg, O // G, T), dt)
    _band_view(B, nd, k[-1], T, s[-1], d[-1])[...] = wg[..., None]
    return B.reshape(G, -1, O // G * T)


# im2col copies the input some k*k times over; done a few images at a time, the
# patches of one batch slice stay in the CPU caches for the GEMM that reads them.
_SLICE_BYTES = 6 << 20


def _cols_bytes(x, G, k, Cg, s, d, out_sp, plan):
    """The size of the im2col patches of the whole batch."""
    T = plan[1]
    taps = _span(T, k[-1], s[-1], d[-1])[0]
    return x.shape[0] * G * int(np.prod(out_sp)) // T * int(np.prod(k[:-1])) * taps * Cg * \
        np.dtype(_compute_dtype(x)).itemsize


def _slices(N, nbytes):
    """Slices of a batch of ``N`` whose work arrays of ``nbytes`` in all take about
    ``_SLICE_BYTES`` each."""
    n = max(1, min(N, -(-nbytes // _SLICE_BYTES)))
    return [(N * i // n, N * (i + 1) // n) for i in range(n)]


def _batch_slices(x, G, k, Cg, s, d, out_sp, plan):
    """Batch slices whose patches take about ``_SLICE_BYTES`` each."""
    return _slices(x.shape[0], _cols_bytes(x, G, k, Cg, s, d, out_sp, plan))


def _conv_forward(x, w, G, s, d, pads, out_sp, bias=None, keep=False):
    """Convolution of NC* ``x`` with (O, Cg, *k) ``w``: (output, patches if ``keep``).
    Unless the patches are kept, the batch goes through in cache-sized slices."""
    O, Cg = w.shape[:2]
    k = w.shape[2:]
    plan = _layout(Cg, O // G, k, s, d, out_sp)
    cl, T = plan
    wm = _w_cl(w, G, T, s, d) if cl else \
        w.reshape(G, O // G, -1).astype(_compute_dtype(w), copy=False)
    N = x.shape[0]
    # kept patches of one group are still gathered and multiplied slice by slice,
    # each slice's rows a contiguous part of the whole
    kept = None
    if keep and cl and G == 1:
        kept = _scratch.get((1, N * int(np.prod(out_sp)) // T,
                             int(np.prod(k[:-1])) * _span(T, k[-1], s[-1], d[-1])[0] * Cg),
                            _compute_dtype(x))
    slices = [(0, N)] if keep and kept is None else \
        _batch_slices(x, G, k, Cg, s, d, out_sp, plan)
    res = np.empty((N, O) + tuple(out_sp), x.dtype)
    rows = 0 if kept is None else kept.shape[1] // max(N, 1)
    for lo, hi in slices:
        cols = _patches(x[lo:hi], pads, G, k, s, d, out_sp, plan,
                        None if kept is None else kept[:, lo * rows:hi * rows])
        if cl:
            out = _scratch.get((G, cols.shape[1], wm.shape[2]), cols.dtype)
            np.matmul(cols, wm, out=out)
        else:
            out = _scratch.get((G, O // G, cols.shape[2]), cols.dtype)
            np.matmul(wm, cols, out=out)
        if not keep:
            _scratch.put(cols)
            cols = None
        _to_nchw(out, hi - lo, out_sp, plan, bias, x.dtype, res[lo:hi])
        _scratch.put(out)
    return res, (cols if kept is None else kept)


def _conv_weight_grad(x, g, w_shape, G, s, d, pads, cols=None):
    """d(conv)/d(weight) = patches^T @ grad_out, in the layout the forward used;
    without kept patches, summed over cache-sized batch slices."""
    O, Cg = w_shape[:2]
    k = w_shape[2:]
    nd = len(k)
    out_sp = g.shape[2:]
    plan = _layout(Cg, O // G, k, s, d, out_sp)
    cl, T = plan
    m = None
    for lo, hi in [(0, x.shape[0])] if cols is not None else \
            _batch_slices(x, G, k, Cg, s, d, out_sp, plan):
        c = cols if cols is not None else _patches(x[lo:hi], pads, G, k, s, d, out_sp, plan)
        if cl:
            part = np.matmul(c.transpose(0, 2, 1), _from_nchw(g[lo:hi], G, plan))
        else:
            part = np.matmul(_from_nchw(g[lo:hi], G, plan), c.transpose(0, 2, 1))
        _scratch.put(c)
        if m is None:
            m = part
        else:
            m += part
    if not cl:
        return m.reshape(w_shape)
    Og = O // G
    if T > 1:  # fold the band back: each tap's gradient, summed over the tile's outputs
        taps = _span(T, k[-1], s[-1], d[-1])[0]
        m = _band_view(m.reshape((G,) + tuple(k[:-1]) + (taps, Cg, Og, T)), nd, k[-1], T,
                       s[-1], d[-1]).sum(-1)
    m = m.reshape((G,) + tuple(k) + (Cg, Og))  # (G, K*Cg, Og) as (G, *k, Cg, Og)
    return m.transpose((0, nd + 2, nd + 1) + tuple(range(1, nd + 1))).reshape(w_shape)


def _conv_input_grad(g, w, x_shape, G, s, d, pads):
    """d(conv)/d(input), i.e. the transposed convolution of ``g`` with ``w``: the patch
    gradients ``grad_out @ W^T``, in the patch layout the forward used, each added back
    where its patch was read (col2im), a cache-sized slice of the batch at a time."""
    N, C = x_shape[:2]
    sp, k, gsp = tuple(x_shape[2:]), tuple(w.shape[2:]), tuple(g.shape[2:])
    nd = len(k)
    O, Cg = w.shape[:2]
    Og = O // G
    if all(v == 1 for v in s) and (Og <= Cg or np.prod(sp) <= 1.25 * np.prod(gsp)):
        # stride 1, and the input not much bigger than the output: the input gradient
        # is a plain convolution of the padded grad with the flipped kernel, whose GEMM
        # output is small (col2im's is the size of all patches)
        gpads = []
        for i in range(nd):
            lo = d[i] * (k[i] - 1) - pads[i][0]
            gpads.append((lo, sp[i] + d[i] * (k[i] - 1) - gsp[i] - lo))
        if any(lo < 0 or hi < 0 for lo, hi in gpads):
            g = g[(slice(None), slice(None)) + tuple(
                slice(max(-lo, 0), gsp[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(gpads))]
            gpads = [(max(lo, 0), max(hi, 0)) for lo, hi in gpads]
        flip = (slice(None),) * 3 + (slice(None, None, -1),) * nd
        wf = w.reshape((G, Og, Cg) + k)[flip].swapaxes(1, 2).reshape((C, Og) + k)
        return _conv_forward(g, wf, G, (1,) * nd, d, gpads, sp)[0]
    cl, T = _layout(Cg, Og, k, s, d, gsp)
    T = T if cl else 1
    span, estep = _span(T, k[-1], s[-1], d[-1])[:2]
    wt = _w_cl(w, G, T, s, d).transpose(0, 2, 1)  # (G, Og*T, K)
    gr = _from_nchw(g, G, (True, T))  # (G, rows, Og*T)
    per_image = gr.shape[1] // max(N, 1)
    padded = tuple(sp[i] + pads[i][0] + pads[i][1] for i in range(nd))
    inner = tuple(slice(lo, lo + sp[i]) for i, (lo, _) in enumerate(pads))
    res = np.empty((N, C) + sp, g.dtype)
    # a patch row's entries land at (tile start + e * estep); runs of entries no longer
    # than the step between tiles never collide, so each run is one strided add
    tstep = T * s[-1]
    run = tstep if T > 1 else 1
    lead = list(itertools.product(*(range(kk) for kk in k[:-1])))
    for lo, hi in _slices(N, gr.shape[1] * wt.size * gr.itemsize // max(Og * T, 1)):
        pc = np.matmul(gr[:, lo * per_image:hi * per_image], wt)
        pc = pc.reshape((G, hi - lo) + gsp[:-1] + (gsp[-1] // T,) + k[:-1] + (span, Cg))

        def piece(a, b, pc=pc, lo=lo):
            dest = np.zeros((b - a,) + padded + (G, Cg), pc.dtype)
            st = dest.strides
            for off in lead:
                base = sum(off[i] * d[i] * st[1 + i] for i in range(nd - 1))
                for q in range(0, span, run):
                    L = min(run, span - q)
                    shape = (b - a,) + gsp[:-1] + (gsp[-1] // T, L, G, Cg)
                    strides = ((st[0],) + tuple(st[1 + i] * s[i] for i in range(nd - 1))
                               + (st[nd] * tstep, st[nd] * estep, st[nd + 1], st[nd + 2]))
                    dst = np.ndarray(shape, dest.dtype, dest, base + q * estep * st[nd],
                                     strides)
                    src = pc[(slice(None), slice(a, b)) + (slice(None),) * nd + off
                             + (slice(q, q + L),)]
                    np.add(dst, np.moveaxis(src, 0, -2), out=dst)
            np.copyto(res[lo + a:lo + b], np.moveaxis(
                dest[(slice(None),) + inner].reshape((b - a,) + sp + (C,)), -1, 1),
                casting="unsafe")
        parallel_items(piece, hi - lo, pc.size // max(hi - lo, 1))
    return res


# --- convolution ---------------------------------------------------------------------

def _out_size(sp, pads, k, s, d):
    return tuple((sp[i] + pads[i][0] + pads[i][1] - d[i] * (k[i] - 1) - 1) // s[i] + 1
                 for i in range(len(sp)))


def _conv_fwd(ctx, x, w, b, stride, pads, dilation, groups):
    out_sp = _out_size(x.shape[2:], pads, w.shape[2:], stride, dilation)
    k, Cg = w.shape[2:], w.shape[1]
    plan = _layout(Cg, w.shape[0] // groups, k, stride, dilation, out_sp)
    keep = ctx is not None and \
        _cols_bytes(x, groups, k, Cg, stride, dilation, out_sp, plan) <= _KEEP_COLS_BYTES
    out, cols = _conv_forward(x, w, groups, stride, dilation, pads, out_sp, b, keep)
    if ctx is not None:
        ctx.cols = cols
    return out


_conv = Op("ConvolutionBackward0", _conv_fwd, saves=(0, 1), raw_backward=True)


@_conv.backward
def _(ctx, g):
    x, w = ctx.inputs[0]._data, ctx.inputs[1]._data
    kw = ctx.kw
    s, pads, d, G = kw["stride"], kw["pads"], kw["dilation"], kw["groups"]
    need = ctx.needs_input_grad
    cols, ctx.cols = ctx.cols, None
    gx = gw = gb = None
    if need[1]:
        gw = _conv_weight_grad(x, g, w.shape, G, s, d, pads, cols)
    else:
        _scratch.put(cols)
    del cols
    if need[2]:
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)), dtype=_compute_dtype(g))
    if need[0]:
        gx = _conv_input_grad(g, w, x.shape, G, s, d, pads)
    return gx, gw, gb


def _check_conv(name, nd, input, weight, bias, stride, padding, dilation, groups,
                transposed=False):
    """PyTorch's argument checks for conv{nd}d / conv_transpose{nd}d, in its order."""
    for nm, v in (("stride", stride), ("padding", padding), ("dilation", dilation)):
        if v is not None and len(v) != nd:
            raise RuntimeError(f"expected {nm} to be a single integer value or a list of {nd} "
                               f"values to match the convolution dimensions, but got "
                               f"{nm}={list(v)}")
    if padding is not None and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(v <= 0 for v in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.dim() != input.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight {_names(weight.shape)}, but got "
                           f"{input.dim()}-dimensional input of size {_names(input.shape)} "
                           "instead")
    ws, xs = weight.shape, input.shape
    if not transposed and ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size [{_names(ws)}] "
                           "instead")
    expect_c = ws[0] if transposed else ws[1] * groups
    if xs[1] != expect_c:
        lead = "transposed=1, weight" if transposed else f"groups={groups}, weight"
        raise RuntimeError(f"Given {lead} of size {_names(ws)}, expected input{_names(xs)} "
                           f"to have {expect_c} channels, but got {xs[1]} channels instead")
    out_c = ws[1] * groups if transposed else ws[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_c):
        lead = "transposed=1, weight" if transposed else "weight"
        raise RuntimeError(f"Given {lead} of size {_names(ws)}, expected bias to be "
                           f"1-dimensional with {out_c} elements, but got bias of size "
                           f"{_names(bias.shape)} instead")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input.dtype)} but found "
                           f"{_tname(weight.dtype)}")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({_TORCH_TYPE[input.dtype.name]}) and bias type "
                           f"({_TORCH_TYPE[bias.dtype.name]}) should be the same")
    if input.dtype is D.bool or input.dtype.is_complex:
        raise NotImplementedError(f"\"slow_conv{nd}d_cpu\" not implemented for "
                                  f"'{_tname(input.dtype)}'")


def _batched(name, nd, input):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {_names(input.shape)}")
    unbatched = input.dim() == nd + 1
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _conv_nd(nd, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{nd}d"
    input, unbatched = _batched(name, nd, input)
    stride = _ntuple(stride, nd)
    dilation = _ntuple(dilation, nd)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        _check_conv(name, nd, input, weight, bias, stride, None, dilation, groups)
        if padding == "valid":
            pads = ((0, 0),) * nd
        else:
            if any(v != 1 for v in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            k = weight.shape[2:]
            total = [dilation[i] * (k[i] - 1) for i in range(nd)]
            if any(t % 2 for t in total):
                warnings.warn("Using padding='same' with even kernel lengths and odd dilation "
                              "may require a zero-padded copy of the input be created")
            pads = tuple((t // 2, t - t // 2) for t in total)
            if any(lo != hi for lo, hi in pads):
                # PyTorch zero-pads the odd extra on the right first, then pads evenly
                from .resample import constant_pad_nd
                extra = []
                for lo, hi in reversed(pads):
                    extra += [0, hi - lo]
                input = constant_pad_nd(input, extra)
                pads = tuple((lo, lo) for lo, _ in pads)
    else:
        padding = _ntuple(padding, nd, "padding")
        _check_conv(name, nd, input, weight, bias, stride, padding, dilation, groups)
        pads = tuple((p, p) for p in padding)
    sp = input.shape[2:]
    k = weight.shape[2:]
    padded = [sp[i] + pads[i][0] + pads[i][1] for i in range(nd)]
    if any(padded[i] < dilation[i] * (k[i] - 1) + 1 for i in range(nd)):
        raise RuntimeError(
            "Calculated padded input size per channel: (" + " x ".join(map(str, padded))
            + "). Kernel size: (" + " x ".join(str(dilation[i] * (k[i] - 1) + 1)
                                             for i in range(nd))
            + "). Kernel size can't be greater than actual input size")
    out = _conv(input, weight, bias, stride=stride, pads=pads, dilation=dilation,
                groups=groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(3, input, weight, bias, stride, padding, dilation, groups)


# --- transposed convolution ------------------------------------------------------------
# conv_transpose(x, w) is exactly the input-gradient of conv(., w); its gradients are
# the forward convolution of g (for x) and the conv weight-gradient with the roles of
# input and grad swapped (for w).

def _convt_fwd(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
    k = w.shape[2:]
    nd = len(k)
    s, d, p, op = stride, dilation, padding, output_padding
    out_sp = tuple((x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
                   for i in range(nd))
    out = _conv_input_grad(x, w, (x.shape[0], w.shape[1] * groups) + out_sp, groups, s, d,
                           [(v, v) for v in p])
    if b is not None:
        out += b.reshape((-1,) + (1,) * nd).astype(out.dtype, copy=False)
    return out


_convt = Op("ConvolutionBackward0", _convt_fwd, saves=(0, 1), raw_backward=True)


@_convt.backward
def _(ctx, g):
    x, w = ctx.inputs[0]._data, ctx.inputs[1]._data
    kw = ctx.kw
    s, d, G = kw["stride"], kw["dilation"], kw["groups"]
    pads = [(v, v) for v in kw["padding"]]
    need = ctx.needs_input_grad
    gx = gw = gb = None
    cols = None
    if need[0]:
        gx, cols = _conv_forward(g, w, G, s, d, pads, x.shape[2:], keep=need[1])
    if need[1]:
        gw = _conv_weight_grad(g, x, w.shape, G, s, d, pads, cols)
    if need[2]:
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)), dtype=_compute_dtype(g))
    return gx, gw, gb


def _conv_transpose_nd(nd, input, weight, bias, stride, padding, output_padding, groups,
                       dilation):
    name = f"conv_transpose{nd}d"
    input, unbatched = _batched(name, nd, input)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride, padding = _ntuple(stride, nd), _ntuple(padding, nd, "padding")
    dilation, output_padding = _ntuple(dilation, nd), _ntuple(output_padding, nd)
    _check_conv(name, nd, input, weight, bias, stride, padding, dilation, groups,
                transposed=True)
    if any(not (op < s or op < d) for op, s, d in zip(output_padding, stride, dilation)):
        dims = ["height", "width"] if nd == 2 else (["depth", "height", "width"] if nd == 3
                                                     else ["width"])
        parts = " ".join(f"output_padding_{n}: {v}" for n, v in zip(dims, output_padding))
        parts += " " + " ".join(f"stride_{n}: {v}" for n, v in zip(dims, stride))
        parts += " " + " ".join(f"dilation_{n}: {v}" for n, v in zip(dims, dilation))
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           f"but got {parts}")
    sp = input.shape[2:]
    k = weight.shape[2:]
    out_sp = [(sp[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1)
              + output_padding[i] + 1 for i in range(nd)]
    if any(o <= 0 for o in out_sp):
        raise RuntimeError("Given input size per channel: (" + " x ".join(map(str, sp))
                           + "). Calculated output size per channel: ("
                           + " x ".join(map(str, out_sp)) + "). Output size is too small")
    out = _convt(input, weight, bias, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation, groups=groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_transpose_nd(1, input, weight, bias, stride, padding, output_padding,
                              groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_transpose_nd(2, input, weight, bias, stride, padding, output_padding,
                              groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_transpose_nd(3, input, weight, bias, stride, padding, output_padding,
                              groups, dilation)


__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]
