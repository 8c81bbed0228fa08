"""More shape ops: flip, roll, repeat, tile, repeat_interleave, tril/triu, meshgrid, diag...

Every op here returns a fresh tensor (PyTorch's ``flip`` copies, unlike NumPy's), except
``meshgrid`` whose outputs are expanded views, as in PyTorch.  The torch-level linear
algebra aliases (``torch.det``, ``torch.svd`` ...) live at the end and forward to
``ember.linalg``.
"""
import warnings

from .. import _errors
from ..autograd.op import Op
from . import shape as S
from ._util import D, Tensor, _wrap, np, install, canonical_dims
from .linalg import _reshape, _contig

_wrap_dim = _errors.wrap_dim
_NAME = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
         "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
         "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _dims_arg(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    if len(dims) == 1 and isinstance(dims[0], Tensor):
        return tuple(dims[0].tolist())
    return tuple(dims)


def _zeros(shape, dt):
    from .._creation import zeros
    return zeros(shape, dtype=dt)


# --- flip / roll / rot90 ------------------------------------------------------------------

def _flip_fwd(ctx, a, dims):
    if not dims or a.ndim == 0:
        return np.copy(a, order="K")
    return np.copy(np.flip(a, dims), order="K")  # PyTorch keeps the input's layout


_flip = Op("FlipBackward0", _flip_fwd, saves=())
_flip.backward(lambda ctx, g: _flip(g, dims=ctx.kw["dims"]))


def flip(input, *dims):
    dims = _dims_arg(dims)
    if input.dim() == 0:
        for d in dims:
            _wrap_dim(d, 0)
        return _flip(input, dims=())
    return _flip(input, dims=canonical_dims(dims, input.dim()) if dims else ())


def fliplr(input):
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return _flip(input, dims=(1,))


def flipud(input):
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return _flip(input, dims=(0,))


def _roll_fwd(ctx, a, shifts, dims):
    if a.size == 0:
        return a.copy()
    if dims is None:
        return _contig(np.roll(a, shifts[0]))
    return _contig(np.roll(a, shifts, dims))


_roll = Op("RollBackward0", _roll_fwd, saves=())
_roll.backward(lambda ctx, g: _roll(g, shifts=tuple(-s for s in ctx.kw["shifts"]),
                                    dims=ctx.kw["dims"]))


def roll(input, shifts, dims=None):
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    dims = None if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    nd = len(dims) if dims else 0
    if (dims is None or nd == 0) and len(shifts) == 1:
        return _roll(input, shifts=shifts, dims=None)
    if len(shifts) != nd:
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{nd}")
    dims = tuple(_wrap_dim(d, input.dim()) for d in dims)
    return _roll(input, shifts=shifts, dims=dims)


def _rot90_fwd(ctx, a, k, d0, d1):
    if k == 1:
        return np.swapaxes(_contig(np.flip(a, d1)), d0, d1)
    if k == 2:
        return _contig(np.flip(a, (d0, d1)))
    if k == 3:
        return np.swapaxes(_contig(np.flip(a, d0)), d0, d1)
    return a.copy()


_rot90 = Op("Rot90Backward0", _rot90_fwd, saves=())
_rot90.backward(lambda ctx, g: _rot90(g, k=(4 - ctx.kw["k"]) % 4, d0=ctx.kw["d0"],
                                      d1=ctx.kw["d1"]))


def rot90(input, k=1, dims=(0, 1)):
    dims = list(dims)
    nd = input.dim()
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == nd:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    d0, d1 = _wrap_dim(dims[0], nd), _wrap_dim(dims[1], nd)
    return _rot90(input, k=k % 4, d0=d0, d1=d1)


# --- repeat / tile / repeat_interleave ---------------------------------------------------------

def _repeat_fwd(ctx, a, reps):
    a = a.reshape((1,) * (len(reps) - a.ndim) + a.shape)
    return _contig(np.tile(a, reps))


_repeat = Op("RepeatBackward0", _repeat_fwd, saves=())


@_repeat.backward
def _(ctx, g):
    reps = ctx.kw["reps"]
    shape = ctx.inputs[0]._data.shape
    padded = (1,) * (len(reps) - len(shape)) + shape
    # each output dim splits into (repeat, size): sum the repeat halves away
    g = _reshape(g, tuple(x for r, s in zip(reps, padded) for x in (r, s)))
    g = g.sum(tuple(range(0, 2 * len(reps), 2)))
    return _reshape(g, shape)


def repeat(self, *sizes):
    reps = tuple(int(s) for s in _dims_arg(sizes))
    if len(reps) < self.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(reps) - self.dim()) + self._data.shape
    target = [r * s for r, s in zip(reps, shape)]
    for t in target:
        if t < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {t}: {target}")
    return _repeat(self, reps=reps)


def tile(input, dims):
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"tile(): argument 'dims' (position 2) must be tuple of ints, not "
                        f"{type(dims).__name__}")
    dims = tuple(dims)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # repeat_interleave(repeats): indices 0.. each repeated
        return _interleave_index(input, output_size)
    if dim is None:
        input = input.flatten()
        dim = 0
    d = _wrap_dim(dim, input.dim())
    if not isinstance(repeats, Tensor):
        repeats = int(repeats)
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        shape = input._data.shape
        e = input.unsqueeze(d + 1).expand(shape[:d + 1] + (repeats,) + shape[d + 1:])
        return e.contiguous().flatten(d, d + 1)
    if repeats.dim() > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    n = input._data.shape[d]
    if repeats.numel() == 1 and n != 1:
        repeats = repeats.reshape(1).expand(n)
    elif repeats.dim() == 1 and repeats._data.shape[0] != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {repeats._data.shape[0]} and input.size({d}) = {n}")
    index = _interleave_index(repeats.reshape(-1), output_size)
    return input.index_select(d, index)


def _interleave_index(repeats, output_size=None):
    if repeats.dtype.category > D._CATEGORY_INT or repeats.dtype is D.bool:
        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                  f"'{_NAME[repeats.dtype.name]}'")
    if repeats.dim() != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    r = repeats._data
    if (r < 0).any():
        raise RuntimeError("repeats can not be negative")
    idx = np.repeat(np.arange(r.shape[0], dtype=r.dtype), r)
    if output_size is not None and idx.shape[0] != output_size:
        raise RuntimeError("allocated size does not match required size")
    return _wrap(idx)


# --- triangles and diagonals -------------------------------------------------------------------

def _tri(name, npfn):
    op = Op(name, lambda ctx, a, k: npfn(a, k), saves=())
    op.backward(lambda ctx, g: op(g, k=ctx.kw["k"]))
    label = name[:4].lower()

    def fn(input, diagonal=0, *, out=None):
        if input.dim() < 2:
            raise RuntimeError(f"{label}: input tensor must have at least 2 dimensions")
        r = op(input, k=int(diagonal))
        if out is not None:
            out.copy_(r)
            return out
        return r
    fn.__name__ = label
    return fn


tril = _tri("TrilBackward0", np.tril)
triu = _tri("TriuBackward0", np.triu)


def _inplace(fn):
    def method(self, *args, **kw):
        from .inplace import apply_inplace
        return apply_inplace(self, fn, *args, **kw)
    return method


def _tri_indices(name, lower):
    def fn(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
        dt = D.int64 if dtype is None else D.to_dtype(dtype)
        if dt.category > D._CATEGORY_INT or dt is D.bool:
            raise NotImplementedError(f'"{name}" not implemented for \'{_NAME[dt.name]}\'')
        if row < 0 or col < 0:
            raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                               f"col must be non-negative, got{col}")
        mask = np.tri(row, col, offset, dtype=bool)
        if not lower:
            mask = ~np.tri(row, col, offset - 1, dtype=bool)
        return _wrap(np.stack(np.nonzero(mask)).astype(dt.np))
    fn.__name__ = name
    return fn


tril_indices = _tri_indices("tril_indices", True)
triu_indices = _tri_indices("triu_indices", False)


def _diag_embed_fwd(ctx, a, offset, dim1, dim2):
    m = a.shape[-1]
    n = m + abs(offset)
    work = np.zeros(a.shape[:-1] + (n, n), dtype=a.dtype)
    i = np.arange(m)
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    work[..., r, c] = a
    return _contig(np.moveaxis(work, (-2, -1), (dim1, dim2)))


_diag_embed = Op("DiagEmbedBackward0", _diag_embed_fwd, saves=())
_diag_embed.backward(lambda ctx, g: S.diagonal(g, ctx.kw["offset"], ctx.kw["dim1"],
                                               ctx.kw["dim2"]))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    nd = input.dim() + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if d1 > d2:  # the diagonal runs along (row, col) = (dim1, dim2): mirror the offset
        d1, d2, offset = d2, d1, -offset
    return _diag_embed(input, offset=offset, dim1=d1, dim2=d2)


_diag_copy = Op("DiagonalBackward0_copy",
                lambda ctx, a, offset: np.diagonal(a, offset).copy(), saves=())


@_diag_copy.backward
def _(ctx, g):
    shape = ctx.inputs[0]._data.shape
    off = ctx.kw["offset"]
    full = _diag_embed(g, offset=off, dim1=0, dim2=1)
    # diag_embed builds a square matrix; cut (or pad) it to the input's shape
    n = full._data.shape[0]
    if (n, n) == shape:
        return full
    z = _zeros((max(shape[0], n), max(shape[1], n)), g.dtype)
    z = z + _pad_to(full, z._data.shape)
    return z[:shape[0], :shape[1]]


def _pad_to(t, shape):
    r = t
    for d in range(t.dim()):
        extra = shape[d] - r._data.shape[d]
        if extra > 0:
            zshape = list(r._data.shape)
            zshape[d] = extra
            r = S.cat([r, _zeros(tuple(zshape), r.dtype)], d)
    return r


def diag(input, diagonal=0, *, out=None):
    nd = input.dim()
    if nd == 1:
        r = _diag_embed(input, offset=diagonal, dim1=0, dim2=1)
    elif nd == 2:
        r = _diag_copy(input, offset=diagonal)
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")
    if out is not None:
        out.copy_(r) if tuple(out.shape) == tuple(r.shape) else out.resize_(r.shape).copy_(r)
        return out
    return r


def diagflat(input, offset=0):
    return _diag_embed(_reshape(input, -1), offset=offset, dim1=0, dim2=1)


def _block_diag_fwd(ctx, *arrays, dt, shapes):
    rows = sum(s[0] for s in shapes)
    cols = sum(s[1] for s in shapes)
    out = np.zeros((rows, cols), dtype=dt.np)
    r = c = 0
    for a, (h, w) in zip(arrays, shapes):
        out[r:r + h, c:c + w] = a.reshape(h, w)
        r, c = r + h, c + w
    return out


_block_diag = Op("BlockDiagBackward0", _block_diag_fwd, saves=())


@_block_diag.backward
def _(ctx, g):
    grads, r, c = [], 0, 0
    for t, (h, w) in zip(ctx.inputs, ctx.kw["shapes"]):
        grads.append(_reshape(g[r:r + h, c:c + w], t.shape))
        r, c = r + h, c + w
    return tuple(grads)


def block_diag(*tensors):
    if not tensors:
        return _zeros((1, 0), D.get_default_dtype())
    shapes = []
    dt = tensors[0].dtype
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.dim()} dimensions")
        s = t._data.shape
        shapes.append((1, 1) if len(s) == 0 else (1, s[0]) if len(s) == 1 else s)
        dt = D.promote_types(dt, t.dtype)
    return _block_diag(*tensors, dt=dt, shapes=tuple(shapes))


# --- grids and combinations ---------------------------------------------------------------

_MESHGRID_WARNING = ("torch.meshgrid: in an upcoming release, it will be required to pass the "
                     "indexing argument.")


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    n = len(ts)
    out = []
    for i, t in enumerate(ts):
        view_shape = (1,) * i + (-1,) + (1,) * (n - i - 1)
        out.append(t.view(view_shape).expand(shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors):
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return S.stack([_reshape(g, -1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(np.empty((0,), dtype=input.dtype.np))
    n = input._data.shape[0]
    grids = np.meshgrid(*([np.arange(n)] * r), indexing="ij")
    mask = np.ones(grids[0].shape, dtype=bool)
    for a, b in zip(grids[:-1], grids[1:]):
        mask &= (a <= b) if with_replacement else (a < b)
    idx = np.stack([g[mask] for g in grids], 1)
    return input[_wrap(idx.astype(np.int64))]


# --- cdist -------------------------------------------------------------------------------------

def _pdist_np(x1, x2, p):
    diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return np.count_nonzero(diff, axis=-1).astype(x1.dtype)
    if p == 1:
        return diff.sum(-1)
    if p == 2:
        return np.sqrt(np.einsum("...k,...k->...", diff, diff))
    if np.isinf(p):
        return diff.max(-1) if diff.shape[-1] else np.zeros(diff.shape[:-1], x1.dtype)
    return (diff ** p).sum(-1) ** (1.0 / p)


_cdist = Op("CdistBackward0",
            lambda ctx, x1, x2, p: _contig(_pdist_np(x1, x2, p)),
            saves_output=True)


@_cdist.backward
def _(ctx, g):
    x1, x2 = ctx.inputs
    p = ctx.kw["p"]
    d = ctx.result
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)          # (..., P, R, M)
    if p == 0:
        w = diff * 0
    elif p == 1:
        w = diff.sign()
    elif p == 2:
        w = diff / d.unsqueeze(-1)
    elif np.isinf(p):
        a = diff.abs()
        w = diff.sign() * (a == d.unsqueeze(-1))
    else:
        w = diff.sign() * diff.abs().pow(p - 1) / d.unsqueeze(-1).pow(p - 1)
    if p != 1 and not np.isinf(p):  # zero distances have a zero (sub)gradient
        w = w.masked_fill((d == 0).unsqueeze(-1), 0.0)
    gw = g.unsqueeze(-1) * w
    n = ctx.needs_input_grad
    return (gw.sum(-2) if n[0] else None), (-gw.sum(-3) if n[1] else None)


def _euclid_fwd(ctx, x1, x2):
    n1 = np.einsum("...k,...k->...", x1, x1)[..., None]
    n2 = np.einsum("...k,...k->...", x2, x2)[..., None]
    a = np.concatenate([x1 * -2, n1, np.ones_like(n1)], -1)
    b = np.concatenate([x2, np.ones_like(n2), n2], -1)
    r = np.matmul(a, np.swapaxes(b, -1, -2))
    return np.sqrt(np.maximum(r, 0, out=r), out=r)


_euclid = Op("EuclideanDistBackward0", _euclid_fwd, saves_output=True)


@_euclid.backward
def _(ctx, g):
    x1, x2 = ctx.inputs
    res = ctx.result
    ratio = (g / res).masked_fill(res == 0, 0.0)
    n = ctx.needs_input_grad
    g1 = x1 * ratio.sum(-1, keepdim=True) - ratio.matmul(x2) if n[0] else None
    g2 = x2 * ratio.sum(-2).unsqueeze(-1) - ratio.transpose(-2, -1).matmul(x1) if n[1] \
        else None
    return g1, g2


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    for name, t in (("X1", x1), ("X2", x2)):
        if t.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t.dim()}D")
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_NAME[t.dtype.name]}")
    c1, c2 = x1._data.shape[-1], x2._data.shape[-1]
    if c1 != c2:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {c1} X2: {c2}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"X1 and X2 must have the same dtype, but got "
                           f"{_NAME[x1.dtype.name]} and {_NAME[x2.dtype.name]}")
    b1, b2 = x1._data.shape[:-2], x2._data.shape[:-2]
    try:
        batch = tuple(np.broadcast_shapes(b1, b2))
    except ValueError:
        raise _errors.broadcast_mismatch(b1, b2) from None
    r1, r2 = x1._data.shape[-2], x2._data.shape[-2]
    mode = modes.index(compute_mode)
    use_mm = p == 2 and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25)))
    if use_mm:
        nb = int(np.prod(batch)) if batch else 1
        a = _reshape(x1.expand(batch + (r1, c1)), nb, r1, c1)
        b = _reshape(x2.expand(batch + (r2, c2)), nb, r2, c2)
        return _euclid(a, b).view(batch + (r1, r2))
    return _cdist(x1, x2, p=float(p))


# --- narrow_copy ------------------------------------------------------------------------------

_narrow_copy = Op("NarrowCopyBackward0",
                  lambda ctx, a, dim, start, length: _contig(
                      a[(slice(None),) * dim + (slice(start, start + length),)]), saves=())


@_narrow_copy.backward
def _(ctx, g):
    shape = ctx.inputs[0]._data.shape
    d, start, length = ctx.kw["dim"], ctx.kw["start"], ctx.kw["length"]
    parts = []
    if start:
        parts.append(_zeros(shape[:d] + (start,) + shape[d + 1:], g.dtype))
    parts.append(g)
    rest = shape[d] - start - length
    if rest:
        parts.append(_zeros(shape[:d] + (rest,) + shape[d + 1:], g.dtype))
    return S.cat(parts, d) if len(parts) > 1 else g


def narrow_copy(input, dim, start, length):
    S.narrow(input, dim, start, length)  # PyTorch's checks and wording
    d = _wrap_dim(dim, input.dim())
    start = int(start)
    if start < 0:
        start += input._data.shape[d]
    return _narrow_copy(input, dim=d, start=start, length=length)


install({
    "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll, "rot90": rot90,
    "repeat": repeat, "tile": lambda self, *dims: tile(self, _dims_arg(dims)), "repeat_interleave": repeat_interleave,
    "tril": tril, "triu": triu, "tril_": _inplace(tril), "triu_": _inplace(triu),
    "diag": diag, "diag_embed": diag_embed, "diagflat": diagflat, "narrow_copy": narrow_copy,
})

__all__ = ["flip", "fliplr", "flipud", "roll", "rot90", "tile", "repeat_interleave", "tril",
           "triu", "tril_indices", "triu_indices", "meshgrid", "diag", "diag_embed",
           "diagflat", "block_diag", "cartesian_prod", "combinations", "cdist", "narrow_copy"]

# torch-level linear algebra (torch.det, torch.svd ...): defined in ember.linalg, which
# imports this module, so it is imported last
from .. import linalg as _linalg  # noqa: E402

globals().update(_linalg.TORCH_ALIASES)
__all__ += list(_linalg.TORCH_ALIASES)
