"""Selection reductions: median, nanmedian and mode, over all elements or along a dim
(values and indices, picked as PyTorch's CPU kernels pick them).  Re-exported by reduce.
"""
from ..autograd.op import Op
from ._util import D, np, install
from .sort import (RT, evenly_grad, dim_alias, real_only, _nonempty_dim, _dim_of, _rows, _real,
                   _std_sort, _insertion_sort, _nth_element, _pick_out, _select_bwd)


def _no_bool(input, kernel):
    if input.dtype is D.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    real_only(input, kernel.replace("nan", ""))


def _median_all_fwd(ctx, a, ignore_nan):
    flat = _real(a).reshape(-1)
    if flat.dtype.kind == "f":
        nan = np.isnan(flat)
        if nan.any():
            if not ignore_nan:
                return np.array(np.nan, a.dtype)
            flat = flat[~nan]
        if flat.size == 0:
            return np.array(np.nan, a.dtype)
    k = (flat.size - 1) // 2
    return np.array(np.partition(flat, k)[k], a.dtype)


def _median_dim_fwd(ctx, a, dim, keepdim, ignore_nan):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    rows, mshape = _rows(a, dim)
    r = _real(rows)
    n = rows.shape[1]
    order = np.argsort(r, axis=1, kind="stable")  # NaNs last; ties by position
    ar = np.arange(len(rows))
    if r.dtype.kind != "f":
        pick = order[:, (n - 1) // 2]
    elif ignore_nan:
        cnt = n - np.isnan(r).sum(1)
        pick = order[ar, np.maximum((cnt - 1) // 2, 0)]
        if (cnt == 0).any():  # all NaN: which one nth_element leaves first, NaNs being equal
            K, I = np.zeros((1, n)), np.arange(n)[None].copy()
            _nth_element(K, I, 0)
            pick[cnt == 0] = I[0, 0]
    else:
        nan = np.isnan(r)
        pick = np.where(nan.any(1), np.argmax(nan, 1), order[:, (n - 1) // 2])
    return _pick_out(ctx, rows, pick, mshape, dim, keepdim)


def _median_ops(name_all, name_dim, ignore_nan):
    op_all = Op(name_all, lambda ctx, a: _median_all_fwd(ctx, a, ignore_nan), saves_output=True)
    op_all.backward(lambda ctx, g: evenly_grad(g, ctx.inputs[0]._data, ctx.result._data))
    op_dim = Op(name_dim, lambda ctx, a, dim, keepdim: _median_dim_fwd(
        ctx, a, dim, keepdim, ignore_nan), saves=(), n_outputs=2, nondiff_outputs=(1,))
    op_dim.backward(_select_bwd)

    def fn(input, dim=None, keepdim=False, *, out=None):
        name = "nanmedian" if ignore_nan else "median"
        if dim is None:
            _no_bool(input, "median_cpu" if not ignore_nan else "nanmedian_cpu")
            return op_all(input)
        d = _dim_of(input, dim)
        _nonempty_dim(name, input, d)
        _no_bool(input, "median_out" if not ignore_nan else "nanmedian_out")
        return getattr(RT, name)(op_dim(input, dim=d, keepdim=keepdim))
    return fn


median = dim_alias(_median_ops("MedianBackward0", "MedianBackward1", False))
nanmedian = dim_alias(_median_ops("NanmedianBackward0", "NanmedianBackward1", True))


def _mode_fwd(ctx, a, dim, keepdim):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    rows, mshape = _rows(a, dim)
    nrow, n = rows.shape
    if nrow == 0:
        return _pick_out(ctx, rows, np.zeros(0, np.int64), mshape, dim, keepdim)
    # PyTorch std::sorts (value, index) pairs by value with '<' (NaNs included), then takes
    # the first longest run of equal values and the index at that run's end.
    Ks = _real(rows).copy()
    Is = np.broadcast_to(np.arange(n), Ks.shape).copy()
    if n <= 16:
        _insertion_sort(Ks, Is, n)
    else:
        _std_sort(Ks, Is, n)
    nan_s = np.isnan(Ks) if Ks.dtype.kind == "f" else np.zeros(Ks.shape, bool)
    end = np.ones((nrow, n), bool)
    end[:, :-1] = (Ks[:, 1:] != Ks[:, :-1]) | nan_s[:, 1:] | nan_s[:, :-1]
    start = np.ones((nrow, n), bool)
    start[:, 1:] = end[:, :-1]
    pos = np.arange(n)
    run_start = np.maximum.accumulate(np.where(start, pos, 0), axis=1)
    best = np.argmax(np.where(end, pos - run_start + 1, 0), axis=1)
    return _pick_out(ctx, rows, Is[np.arange(nrow), best], mshape, dim, keepdim)


_mode = Op("ModeBackward0", _mode_fwd, saves=(), n_outputs=2, nondiff_outputs=(1,))
_mode.backward(_select_bwd)


@dim_alias
def mode(input, dim=-1, keepdim=False, *, out=None):
    d = _dim_of(input, dim)
    _nonempty_dim("mode", input, d)
    real_only(input, "mode_cpu")
    return RT.mode(_mode(input, dim=d, keepdim=keepdim))


install({"median": median, "nanmedian": nanmedian, "mode": mode})

__all__ = ["median", "nanmedian", "mode"]
