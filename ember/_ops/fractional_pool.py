"""F.fractional_max_pool2d/3d: max pooling over pseudo-random window starts."""
import itertools

from ..autograd.op import Op
from ._util import np
from .conv import _ntuple
from .pooling import _adaptive_max_bwd, _lowest


def _frac_starts(u, size, out, k, dt):
    """Window starts per plane: PyTorch's pseudo-random sequence, in the input's precision."""
    seq = np.empty(u.shape + (out,), np.int64)
    if out > 1:
        alpha = dt(size - k) / dt(out - 1)
        i = np.arange(out - 1, dtype=dt)
        seq[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) \
            - (u[..., None] * alpha).astype(np.int64)
    seq[..., -1] = size - k
    return seq


def _frac_fwd(ctx, x, k, out_sp, samples):
    nd = len(k)
    u = samples._data.reshape(-1, x.shape[-nd - 1], nd)  # (N, C, nd), W first
    lead = x.shape[:-nd]
    dt = x.dtype.type if x.dtype.kind == "f" else np.float32
    starts = [_frac_starts(u[..., nd - 1 - i].reshape(lead), x.shape[-nd + i], out_sp[i], k[i],
                           dt) for i in range(nd)]
    best = np.full(lead + tuple(out_sp), _lowest(x.dtype), x.dtype)
    idx = np.zeros(best.shape, np.int64)
    planes = x.reshape((-1,) + x.shape[-nd:])
    pid = np.arange(planes.shape[0]).reshape(lead + (1,) * nd)
    for off in itertools.product(*(range(v) for v in k)):
        pos = []
        for i in range(nd):
            shape = lead + tuple(out_sp[j] if j == i else 1 for j in range(nd))
            pos.append((starts[i] + off[i]).reshape(shape))
        flat = 0
        for i in range(nd):
            flat = flat * x.shape[-nd + i] + pos[i]
        v = planes.reshape(planes.shape[0], -1)[pid.reshape(pid.shape), flat]
        m = v > best
        if x.dtype.kind in "fV":
            m |= np.isnan(v)
        if not any(off):
            m[...] = True
        np.copyto(best, v, where=m)
        np.copyto(idx, np.broadcast_to(flat, idx.shape), where=m)
    if ctx is not None:
        ctx.saved_idx = (None, idx)
    return best, idx


_frac2d = Op("FractionalMaxPool2DBackward0", _frac_fwd, saves=(0,), raw_backward=True,
             n_outputs=2, nondiff_outputs=(1,))
_frac2d.backward(_adaptive_max_bwd)
_frac3d = Op("FractionalMaxPool3DBackward0", _frac_fwd, saves=(0,), raw_backward=True,
             n_outputs=2, nondiff_outputs=(1,))
_frac3d.backward(_adaptive_max_bwd)


def _fractional(nd, input, kernel_size, output_size, output_ratio, return_indices,
                _random_samples):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    k = _ntuple(kernel_size, nd)
    if output_size is None:
        if len(output_ratio) > nd:  # a bare number has no len(), as in PyTorch
            raise ValueError(f"{name} requires output_ratio to either be a single Int or "
                             "tuple of Ints.")
        ratio = tuple(output_ratio) * (nd if len(output_ratio) == 1 else 1)
        output_size = [int(input.shape[-nd + i] * ratio[i]) for i in range(nd)]
    out = _ntuple(output_size, nd)
    dims = ("height", "width") if nd == 2 else ("time", "height", "width")
    where = name if nd == 2 else name + "_out"
    for i in range(nd):
        size = input.shape[-nd + i]
        # the 3-d kernel wants the windows strictly inside; the 2-d one allows a flush fit
        if out[i] + k[i] - 1 > size or (nd == 3 and out[i] + k[i] - 1 >= size):
            raise RuntimeError(f"{where}(): pool {dims[i]} {k[i]} too large relative to "
                               f"input {dims[i]} {size}")
    if _random_samples is None:
        from .random_ops import rand
        n = 1 if input.dim() == nd + 1 else input.shape[0]
        _random_samples = rand(n, input.shape[-nd - 1], nd, dtype=input.dtype)
    op = _frac2d if nd == 2 else _frac3d
    r, idx = op(input, k=k, out_sp=out, samples=_random_samples)
    return (r, idx) if return_indices else r


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    return _fractional(2, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    return _fractional(3, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)
