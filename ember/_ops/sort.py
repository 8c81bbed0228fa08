"""Sorting and selection: sort, argsort, msort, topk, kthvalue, quantile, unique, bincount,
histc, searchsorted, bucketize; ``ember.return_types``, the named tuples that these and the
reductions (max(dim), median, mode...) return; and helpers reduce.py shares.

Where PyTorch's CPU kernels leave the order of tied elements to a C++ standard-library
algorithm (``std::nth_element``/``std::sort``/``std::partial_sort`` in topk and mode,
Sedgewick's quickselect in kthvalue) the result is still deterministic; the "replay"
section below re-runs those algorithms, vectorised over rows, where ties make it matter.
"""
import functools
import math
import operator
import sys
import types

from .. import _errors
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install
from ._stl import _heap_select, _insertion_sort, _keys, _nth_element, _order_key, _py_rows, _quickselect, _real, _sort_heap, _std_sort, _ties  # noqa: F401 (median.py imports some from here)

# --- ember.return_types ---------------------------------------------------------------


class _StructSeq(tuple):
    """A tuple with named fields that prints like ``torch.return_types.max``."""
    __slots__ = ()
    _names = ()

    def __new__(cls, seq):
        seq = tuple(seq)
        if len(seq) != len(cls._names):
            raise TypeError(f"ember.return_types.{cls.__name__}() takes a {len(cls._names)}"
                            f"-sequence ({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        fields = ",\n".join(f"{n}={v!r}" for n, v in zip(self._names, self))
        return f"ember.return_types.{type(self).__name__}(\n{fields})"

    __str__ = __repr__

    def __reduce__(self):
        return type(self), (tuple(self),)


return_types = types.ModuleType("ember.return_types",
                                "Named-tuple results of ops such as max(dim) and sort.")
for _name, _fields in {"max": ("values", "indices"), "min": ("values", "indices"),
                       "sort": ("values", "indices"), "topk": ("values", "indices"),
                       "kthvalue": ("values", "indices"), "median": ("values", "indices"),
                       "nanmedian": ("values", "indices"), "mode": ("values", "indices"),
                       "cummax": ("values", "indices"), "cummin": ("values", "indices"),
                       "aminmax": ("min", "max")}.items():
    _ns = {"__slots__": (), "_names": _fields, "n_fields": 2, "n_sequence_fields": 2,
           "n_unnamed_fields": 0, "__module__": "ember.return_types"}
    _ns.update({f: property(operator.itemgetter(i)) for i, f in enumerate(_fields)})
    setattr(return_types, _name, type(_name, (_StructSeq,), _ns))
sys.modules["ember.return_types"] = return_types
RT = return_types


# --- shared helpers for value-selecting ops ----------------------------------------------

def _c(a):
    """``a`` as a C-contiguous array with PyTorch's strides, size-1 dims included (PyTorch
    returns fresh reductions contiguous)."""
    a = np.asarray(a)
    if a.flags.c_contiguous and (a.ndim < 2 or 1 not in a.shape or a.strides == np.empty(
            a.shape, a.dtype).strides):
        return a
    return a.copy()


def _coords(index, dim):
    coords = list(np.indices(index.shape, sparse=True))
    coords[dim] = index
    return tuple(coords)


def _place_fwd(ctx, g, index, dim, shape, accumulate=False):
    if not shape:
        return np.array(g.reshape(()), copy=True)
    out = np.zeros(shape, g.dtype)
    g = g.reshape(index.shape)
    if accumulate:
        np.add.at(out, _coords(index, dim), g)
    else:
        np.put_along_axis(out, index, g, dim)
    return out


def _take_fwd(ctx, a, index, dim, gshape):
    if a.ndim == 0:
        return np.array(a.reshape(gshape), copy=True)
    return np.take_along_axis(a, index, dim).reshape(gshape)


# The gradient of a value-selecting op (max(dim), sort, topk...) lands on the indices it
# picked; the pair of ops keeps that gradient itself differentiable (create_graph).
_place = Op("ScatterAddBackward0", _place_fwd, saves=())
_take = Op("GatherBackward0", _take_fwd, saves=())
_place.backward(lambda ctx, g: _take(g, index=ctx.kw["index"], dim=ctx.kw["dim"],
                                     gshape=ctx.inputs[0]._data.shape))
_take.backward(lambda ctx, g: _place(g, index=ctx.kw["index"], dim=ctx.kw["dim"],
                                     shape=ctx.inputs[0]._data.shape, accumulate=True))


def place_grad(g, index, dim, shape, accumulate=False):
    """Zeros of ``shape`` with ``g`` put where ``index`` (keepdim layout) points."""
    return _place(g, index=index, dim=dim, shape=tuple(shape), accumulate=accumulate)


def evenly_grad(g, x, r):
    """``g`` shared evenly by the elements equal to ``r`` (max(), median()): PyTorch's rule."""
    mask = np.isnan(x) if (r != r) else (x == r)
    return g * _wrap((mask / max(int(mask.sum()), 1)).astype(g._data.dtype))


def dim_alias(fn):
    """PyTorch takes NumPy's ``axis=`` wherever it takes ``dim=``."""
    @functools.wraps(fn)
    def wrapper(*args, **kw):
        if "axis" in kw:
            kw["dim"] = kw.pop("axis")
        return fn(*args, **kw)
    return wrapper


_KERNEL_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                 "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short",
                 "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}


def _not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for '
                               f"'{_KERNEL_NAMES.get(dt.name, dt.name)}'")


def real_only(input, kernel=None, message=None):
    """Ordering ops refuse complex input, each in its own PyTorch words."""
    if input.dtype.is_complex:
        raise _not_implemented(kernel, input.dtype) if kernel else RuntimeError(message)


def _dim_of(input, dim):
    return _errors.wrap_dim(dim, input.dim())


def _nonempty_dim(name, input, d, sep="()"):
    if input.dim() and input._data.shape[d] == 0:
        raise IndexError(f"{name}{sep}: Expected reduction dim {d} to have non-zero size.")


def _rows(a, d):
    """``a`` with dim ``d`` moved last and the rest flattened: (rows, n), plus undo info."""
    m = np.moveaxis(a, d, -1)
    return m.reshape(-1, m.shape[-1]), m.shape


def _unrows(r, mshape, d, keepdim=True):
    """Inverse of ``_rows`` for a result with ``r.shape[1]`` entries per row."""
    out = np.moveaxis(r.reshape(mshape[:-1] + (r.shape[1],)), -1, d)
    return out if keepdim else out.squeeze(d)


# --- sort, argsort, msort ------------------------------------------------------------------

# dtypes whose unstable sort PyTorch runs through std::sort; float32/64 and int32/64 go to
# x86-simd-sort, whose tie order depends on the machine, so ember keeps them stable.
_STD_SORT_KINDS = ("bool", "uint8", "int8", "int16", "float16", "bfloat16")


def _stable_indices(a, dim, descending):
    a = _real(a)
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    n = a.shape[dim]  # reversed, so that a stable ascending sort keeps ties in order
    return np.flip(n - 1 - np.argsort(np.flip(a, dim), axis=dim, kind="stable"), dim)


def _sort_indices(a, dim, descending, stable):
    idx = _stable_indices(a, dim, descending)
    n = a.shape[dim]
    radix = a.ndim == 1 and not descending and a.dtype.kind in "iu" and a.size >= 32768
    if stable or n <= 16 or radix or D._BY_NP[a.dtype].name not in _STD_SORT_KINDS:
        return idx
    rows, mshape = _rows(a, dim)
    ir = _rows(idx, dim)[0].copy()
    tie = _ties(np.take_along_axis(_real(rows), ir, 1))
    if tie.any():
        Kt = _keys(rows[tie], descending)
        It = np.broadcast_to(np.arange(n), Kt.shape).copy()
        _std_sort(Kt, It, n)
        ir[tie] = It
    return _unrows(ir, mshape, dim)


def _dense_strides(a):
    """``a``'s element strides if it is non-overlapping and dense (PyTorch's empty_like
    then keeps them), else None."""
    st = tuple(s // a.itemsize for s in a.strides)
    dims = builtins_sorted((i for i in range(a.ndim) if a.shape[i] >= 2), key=lambda i: st[i])
    need = 1
    for i in dims:
        if st[i] != need:
            return None
        need *= a.shape[i]
    return st


builtins_sorted = sorted


def _like(a, arr):
    """``arr`` (shaped like ``a``) laid out in memory the way ``a`` is."""
    st = _dense_strides(a) if not a.flags.c_contiguous else None
    if st is None:
        return _c(arr)
    out = np.lib.stride_tricks.as_strided(np.empty(arr.size, arr.dtype), a.shape,
                                          tuple(s * arr.itemsize for s in st))
    out[...] = arr
    return out


def _sort_fwd(ctx, a, dim, descending, stable):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    idx = _sort_indices(a, dim, descending, stable)
    if ctx is not None:
        ctx.idx = idx
    return _like(a, np.take_along_axis(a, idx, dim)), _like(a, idx.astype(np.int64))


def _select_bwd(ctx, g, _gi=None):
    shape = ctx.inputs[0]._data.shape
    return place_grad(g, getattr(ctx, "idx", None), ctx.kw["dim"], shape)


_sort = Op("SortBackward0", _sort_fwd, saves=(), n_outputs=2, nondiff_outputs=(1,))
_sort.backward(_select_bwd)


@dim_alias
def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    real_only(input, message=" Sort does not support complex dtypes on CPU")
    return RT.sort(_sort(input, dim=_dim_of(input, dim), descending=bool(descending),
                         stable=bool(stable)))


@dim_alias
def argsort(input, dim=-1, descending=False, stable=False):
    real_only(input, message=" Sort does not support complex dtypes on CPU")
    a = input._data
    if a.ndim == 0:
        return _wrap(np.zeros((), np.int64))
    d = _dim_of(input, dim)
    return _wrap(_like(a, _sort_indices(a, d, bool(descending), bool(stable)).astype(np.int64)))


def msort(input, *, out=None):
    return sort(input, 0).values


# --- topk, kthvalue ------------------------------------------------------------------------

def _topk_rows(rows, k, largest, sorted):
    """Per-row positions PyTorch's topk_impl_loop picks, in its output order."""
    n = rows.shape[1]
    partial = k * 64 <= n  # std::partial_sort, else std::nth_element (+ std::sort)
    v = _order_key(rows, largest)
    # the k + 1 first in comparator order, by value then position; without ties among them
    # every algorithm agrees with that order
    cand = np.argpartition(v, k, axis=1)[:, :k + 1] if k < n else np.broadcast_to(
        np.arange(n), v.shape)
    cv = np.take_along_axis(v, cand, 1)
    o = np.lexsort((cand, cv), axis=1)
    idx = np.take_along_axis(cand, o[:, :k], 1)
    if not partial and not sorted and k > 1:  # nth_element's own arrangement shows
        need = np.ones(len(rows), bool)
    else:
        need = _ties(np.take_along_axis(cv, o, 1))
    if need.any():
        Kn = _keys(rows[need], largest)
        In = np.broadcast_to(np.arange(n), Kn.shape).copy()
        if partial:
            for r in range(len(Kn)):
                keys = Kn[r].copy()
                _py_rows(Kn, In, r, lambda hp: (_heap_select(hp, 0, k, n, keys),
                                                _sort_heap(hp, 0, k)))
        else:
            _nth_element(Kn, In, k - 1)
            if sorted:
                _std_sort(Kn, In, k - 1)
        idx[need] = In[:, :k]
    return idx


def _topk_fwd(ctx, a, k, dim, largest, sorted):
    if a.ndim == 0:
        return a.reshape((1,) * k).reshape(()).copy(), np.zeros((), np.int64)
    rows, mshape = _rows(a, dim)
    idx = _topk_rows(rows, k, largest, sorted) if k else np.zeros((len(rows), 0), np.int64)
    vals = np.take_along_axis(rows, idx, 1)
    idx = _unrows(idx, mshape, dim)
    if ctx is not None:
        ctx.idx = idx
    return _c(_unrows(vals, mshape, dim)), _c(idx)


_topk = Op("TopkBackward0", _topk_fwd, saves=(), n_outputs=2, nondiff_outputs=(1,))
_topk.backward(_select_bwd)


@dim_alias
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    real_only(input, message=" topk does not support complex dtypes on CPU")
    d = _dim_of(input, dim)
    n = input._data.shape[d] if input.dim() else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    return RT.topk(_topk(input, k=int(k), dim=d, largest=bool(largest), sorted=bool(sorted)))


def _kth_fwd(ctx, a, k, dim, keepdim):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    rows, mshape = _rows(a, dim)
    v = _real(rows)
    pick = np.argpartition(v, k - 1, axis=1)[:, k - 1]
    kth = np.take_along_axis(v, pick[:, None], 1)
    same = v == kth
    if v.dtype.kind == "f":
        same |= np.isnan(v) & np.isnan(kth)
    tie = same.sum(1) > 1  # only then does quickselect's tie order show
    if tie.any():
        Kt = _keys(rows[tie], False)
        It = np.broadcast_to(np.arange(rows.shape[1]), Kt.shape).copy()
        _quickselect(Kt, It, k - 1)
        pick[tie] = It[:, k - 1]
    return _pick_out(ctx, rows, pick, mshape, dim, keepdim)


def _pick_out(ctx, rows, pick, mshape, dim, keepdim):
    """(values, indices) of one picked position per row, shaped as a dim reduction."""
    vals = np.take_along_axis(rows, pick[:, None], 1)
    idx = _unrows(pick[:, None], mshape, dim)
    if ctx is not None:
        ctx.idx = idx
    return (_c(_unrows(vals, mshape, dim, keepdim)),
            _c(idx if keepdim else idx.squeeze(dim)).astype(np.int64, copy=False))


_kthvalue = Op("KthvalueBackward0", _kth_fwd, saves=(), n_outputs=2, nondiff_outputs=(1,))
_kthvalue.backward(_select_bwd)


@dim_alias
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    real_only(input, "kthvalue_cpu")
    d = _dim_of(input, dim)
    _nonempty_dim("kthvalue", input, d)
    n = input._data.shape[d] if input.dim() else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return RT.kthvalue(_kthvalue(input, k=int(k), dim=d, keepdim=keepdim))


# --- unique, unique_consecutive -------------------------------------------------------------

def _no_derivative(grad_fn, op_name, n_outputs=1):
    """An op whose output is on the graph but whose backward PyTorch never implemented."""
    def fwd(ctx, a, fn):
        return fn(a)
    op = Op(grad_fn, fwd, saves=(), n_outputs=n_outputs, nondiff_outputs=(1, 2))

    @op.backward
    def _(ctx, *grads):
        raise NotImplementedError(f"the derivative for '{op_name}' is not implemented.")
    return op


_unique2 = _no_derivative("Unique2Backward0", "_unique2", 3)
_unique_dim = _no_derivative("UniqueDimBackward0", "unique_dim", 3)
_unique_consec = _no_derivative("UniqueConsecutiveBackward0", "unique_consecutive", 3)


def _unique_result(res, return_inverse, return_counts):
    if not (return_inverse or return_counts):
        return res[0]
    return (res[0],) + ((res[1],) if return_inverse else ()) + ((res[2],) if return_counts
                                                                else ())


def _unique_flat(a):
    out, inv, cnt = np.unique(a.reshape(-1), return_inverse=True, return_counts=True,
                              equal_nan=False)
    return _c(out), _c(inv.reshape(a.shape).astype(np.int64)), _c(cnt.astype(np.int64))


def _unique_along(d):
    def fn(a):
        out, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        return _c(out), _c(inv.reshape(-1).astype(np.int64)), _c(cnt.astype(np.int64))
    return fn


def _unique_dim_of(input, dim):
    d = _dim_of(input, dim)
    if builtins_any(n == 0 for i, n in enumerate(input._data.shape) if i != d):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                           "unique cannot be applied")
    return d


@dim_alias
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted unique values (PyTorch's CPU kernel sorts even when ``sorted=False``)."""
    real_only(input, "unique")
    if dim is None:
        res = _unique2(input, fn=_unique_flat)
    else:
        res = _unique_dim(input, fn=_unique_along(_unique_dim_of(input, dim)))
    return _unique_result(res, return_inverse, return_counts)


def _consecutive(d):
    def fn(a):
        x = a.reshape(-1) if d is None else np.moveaxis(a, d, 0)
        xr = x.reshape(x.shape[0], math.prod(x.shape[1:]))
        changed = (xr[1:] != xr[:-1]).any(1)
        start = np.concatenate([[True], changed]) if x.shape[0] else np.zeros(0, bool)
        inv = np.cumsum(start) - 1
        out = x[start] if d is None else np.moveaxis(x[start], 0, d)
        counts = np.diff(np.append(np.flatnonzero(start), x.shape[0]))
        return (_c(out), _c(inv.reshape(a.shape) if d is None else inv),
                _c(counts.astype(np.int64)))
    return fn


@dim_alias
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    d = None if dim is None else _unique_dim_of(input, dim)
    return _unique_result(_unique_consec(input, fn=_consecutive(d)), return_inverse,
                          return_counts)


builtins_any = any


# --- bincount, histc -----------------------------------------------------------------------

def bincount(input, weights=None, minlength=0):
    if input.dtype.category != D._CATEGORY_INT:
        raise _not_implemented("bincount_cpu", input.dtype)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    a = input._data
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _wrap(np.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != a.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out = np.float32 if weights.dtype is D.float32 else np.float64
    return _wrap(np.bincount(a, weights=w.astype(np.float64), minlength=minlength).astype(out))


def _fmt(v):
    v = float(v)
    return "-nan" if v != v else f"{v:g}"


def histc(input, bins=100, min=0, max=0, *, out=None):
    real_only(input, "aminmax_cpu")
    if not input.dtype.is_floating_point:
        raise _not_implemented("histogram_cpu", input.dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    a = input._data
    ft = a.dtype.type
    lo, hi = ft(min), ft(max)
    if lo == hi and a.size:
        lo, hi = a.min(), a.max()
    if lo == hi:
        lo, hi = lo - ft(1), hi + ft(1)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_fmt(lo)}, {_fmt(hi)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    x = a.reshape(-1)
    x = x[(x >= lo) & (x <= hi)]
    # PyTorch's arithmetic, in the input's precision: (x - lo) * bins / (hi - lo), truncated
    pos = ((x - lo) * ft(bins) / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return _wrap(np.bincount(pos, minlength=bins).astype(a.dtype))


# --- searchsorted, bucketize ---------------------------------------------------------------

def _bsearch(seq, vals, right, sorter=None):
    """Binary search with PyTorch's comparisons (NaN never compares true), row by row:
    seq (R, n), vals (R, m) -> insertion points (R, m)."""
    n = seq.shape[1]
    rows = np.arange(seq.shape[0])[:, None]
    start = np.zeros(vals.shape, np.int64)
    end = np.full(vals.shape, n, np.int64)
    while True:
        act = start < end
        if not act.any():
            return start
        mid = start + ((end - start) >> 1)
        midc = np.minimum(mid, n - 1)
        if sorter is not None:
            midc = sorter[rows, midc]
        mv = seq[rows, midc]
        go_right = ~(mv > vals) if right else ~(mv >= vals)
        start = np.where(act & go_right, mid + 1, start)
        end = np.where(act & ~go_right, mid, end)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    v = np.asarray(input) if scalar else input._data
    if seq.ndim > 1 and (scalar or seq.shape[:-1] != v.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor {list(v.shape)}")
    srt = None
    if sorter is not None:
        if sorter._data.shape != seq.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq.shape)}and got sorter tensor "
                f"{list(sorter._data.shape)}")
        srt = sorter._data.reshape(-1, seq.shape[-1]) if seq.ndim > 1 else sorter._data[None]
    s2 = seq.reshape(-1, seq.shape[-1]) if seq.ndim > 1 else seq.reshape(1, -1)
    v2 = v.reshape(s2.shape[0], -1) if seq.ndim > 1 else v.reshape(1, -1)
    if s2.shape[1] == 0:
        pos = np.zeros(v2.shape, np.int64)
    else:
        pos = _bsearch(s2, v2, right, srt)
    dt = np.int32 if out_int32 else np.int64
    return _wrap(pos.reshape(v.shape).astype(dt))


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# --- quantile, nanquantile -----------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _lerp(lo, hi, w):
    """PyTorch's lerp: exact at both ends."""
    return np.where(np.abs(w) < 0.5, lo + w * (hi - lo), hi - (hi - lo) * (1 - w))


def _quantile_fwd(ctx, a, q, dim, keepdim, interpolation, ignore_nan, q_scalar):
    x = a.reshape(1, -1) if dim is None else np.moveaxis(a, dim, -1)
    order = np.argsort(x, axis=-1, kind="stable")
    srt = np.take_along_axis(x, order, -1)
    ft = a.dtype.type
    qv = q.reshape(-1)
    if ignore_nan:  # ranks over the non-NaN values; all-NaN slices pick a NaN
        cnt = srt.shape[-1] - np.isnan(srt).sum(-1, keepdims=True)
        ranks = np.maximum(qv * (cnt - 1).astype(ft), ft(0))
    else:  # a NaN anywhere makes the quantile NaN: point at the last (NaN) entry
        last = srt.shape[-1] - 1
        ranks = np.where(np.isnan(srt).any(-1, keepdims=True), ft(last), qv * ft(last))
    if interpolation in ("lower", "higher", "nearest"):
        ranks = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}[interpolation](
            ranks)
    below = ranks.astype(np.int64)
    res = np.take_along_axis(srt, below, -1)
    parts = [(np.take_along_axis(order, below, -1), None)]
    if interpolation in ("linear", "midpoint"):
        w = np.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below.astype(ft)
        above = np.ceil(ranks).astype(np.int64)
        res = _lerp(res, np.take_along_axis(srt, above, -1), w)
        parts = [(parts[0][0], 1 - w), (np.take_along_axis(order, above, -1), w)]
    if ctx is not None:
        ctx.parts, ctx.core = parts, res.shape
    return _c(_quantile_layout(res, a.ndim, dim, keepdim, q_scalar))


def _quantile_layout(res, ndim, dim, keepdim, q_scalar):
    """(..., Q) -> PyTorch's layout with a trailing 1 for SqueezeBackward4 to remove: the Q
    axis itself for a scalar q, else Q moved first."""
    core = res.shape[:-1] if dim is not None else ()
    if keepdim:
        core = (1,) * ndim if dim is None else core[:dim] + (1,) + core[dim:]
    res = res.reshape(core + res.shape[-1:])
    return res if q_scalar else np.moveaxis(res, -1, 0)[..., None]


_quantile = Op("LerpBackward1", _quantile_fwd, saves=())


@_quantile.backward
def _(ctx, g):
    x, kw = ctx.inputs[0], ctx.kw
    dim = kw["dim"]
    if not kw["q_scalar"]:
        g = g.squeeze(-1).movedim(0, -1)
    g = g.reshape(ctx.core)
    xshape = (1, x.numel()) if dim is None else np.moveaxis(x._data, dim, -1).shape
    grad = None
    for idx, w in ctx.parts:
        part = place_grad(g if w is None else g * _wrap(w), idx, len(xshape) - 1, xshape,
                          accumulate=True)
        grad = part if grad is None else grad + part
    return grad.reshape(x._data.shape) if dim is None else grad.movedim(-1, dim)


def _squeeze_last_fwd(ctx, a):
    return a.reshape(a.shape[:-1])


_squeeze_last = Op("SqueezeBackward4", _squeeze_last_fwd, saves=())
_squeeze_last.backward(lambda ctx, g: g.unsqueeze(-1))


def _quantile_call(input, q, dim, keepdim, interpolation, ignore_nan):
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    q_scalar = not isinstance(q, Tensor)
    if q_scalar and not 0 <= q <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
    if input._data.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if not q_scalar and q.dim() > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if q_scalar:
        qa = np.asarray(q, input.dtype.np)
    else:
        if q.dtype is not input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        qa = q._data
        if not ((qa >= 0) & (qa <= 1)).all():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        q_scalar = q.dim() == 0
    d = _dim_of(input, dim) if dim is not None and input.dim() else None
    r = _quantile(input, q=qa, dim=d, keepdim=keepdim, interpolation=interpolation,
                  ignore_nan=ignore_nan, q_scalar=q_scalar)
    return _squeeze_last(r)


@dim_alias
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile_call(input, q, dim, keepdim, interpolation, False)


@dim_alias
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile_call(input, q, dim, keepdim, interpolation, True)


install({"sort": sort, "argsort": argsort, "msort": msort, "topk": topk,
         "kthvalue": kthvalue, "unique": unique, "unique_consecutive": unique_consecutive,
         "bincount": bincount, "histc": histc, "quantile": quantile,
         "nanquantile": nanquantile})

__all__ = ["return_types", "sort", "argsort", "msort", "topk", "kthvalue", "unique",
           "unique_consecutive", "bincount", "histc", "searchsorted", "bucketize", "quantile",
           "nanquantile"]
