"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode, quantile, unique,
bincount, histc, searchsorted; and ``ember.return_types``, the named tuples they return.

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


# --- replaying libstdc++ (and TH's quickselect) ------------------------------------------
# K holds keys, one row per slice, such that key(x) < key(y) exactly when the op's
# comparator says comp(x, y): int64 ranks (NaN ordering built in), or the raw values for
# mode's plain '<'.  I holds the original positions.  Every algorithm permutes both in
# place.  A Hoare partition is computed at once for many segments: the i-th
# element that stops the left scan is swapped with the i-th that stops the right scan
# for as long as they have not crossed, which is what the scanning loops do one by one.

_BIG = np.iinfo(np.int64).max


def _keys(a, desc):
    """Dense ranks of ``a`` (NaNs rank last, as PyTorch's comparators put them)."""
    if a.dtype == np.bool_:
        r = a.astype(np.int64)
    else:
        r = np.unique(a.reshape(-1), return_inverse=True)[1].reshape(a.shape)
    return -r if desc else r


def _real(a):
    """``a`` as a NumPy-native numeric array (bfloat16 goes through float32)."""
    return a if a.dtype.kind in "biuf" else a.astype(np.float32)


def _order_key(a, desc):
    """Cheap keys whose ascending order (NaN last) is the comparator's, ties kept; descending
    maps NaN to -inf, which ties with +inf and so gets replayed with exact keys."""
    a = _real(a)
    if not desc:
        return a
    if a.dtype.kind == "f":
        return np.where(np.isnan(a), -np.inf, -a)
    return np.iinfo(a.dtype).max - a if a.dtype.kind == "u" else ~a


def _ties(s):
    """Rows of sorted keys ``s`` with two equal neighbours (NaNs count as equal)."""
    eq = s[:, 1:] == s[:, :-1]
    if s.dtype.kind == "f":
        eq |= np.isnan(s[:, 1:]) & np.isnan(s[:, :-1])
    return eq.any(1)


def _swap(K, I, rows, p, q):
    n = K.shape[1]
    a, b = rows * n + p, rows * n + q  # flat indices: 1-D fancy indexing is much faster
    for X in (K.reshape(-1), I.reshape(-1)):
        X[a], X[b] = X[b], X[a]


def _seg_gather(K, rows, lo, hi):
    """Segments [lo, hi) of K's rows end to end: (segment, position, key) per element."""
    n = hi - lo
    seg = np.repeat(np.arange(len(rows)), n)
    P = lo[seg] + np.arange(seg.size) - (np.cumsum(n) - n)[seg]
    return seg, P, K.reshape(-1)[rows[seg] * K.shape[1] + P]


def _seg_stops(K, rows, lo, hi, left_fn, right_fn):
    """Scan segments [lo, hi) of K's rows, flattened end to end: the elements that stop the
    left scan (ranked from the left) and the right scan (ranked from the right), each as
    (segment, rank, position, count per segment)."""
    seg, P, v = _seg_gather(K, rows, lo, hi)
    out = []
    for mask, from_right in ((left_fn(seg, P, v), False), (right_fn(seg, P, v), True)):
        i = np.flatnonzero(mask)
        s = seg[i]
        cnt = np.bincount(s, minlength=len(rows))
        rank = np.arange(i.size) - (np.cumsum(cnt) - cnt)[s]
        out.append((s, cnt[s] - 1 - rank if from_right else rank, P[i], cnt))
    return out


def _pairs(left, right):
    """The i-th left stop of each segment beside its i-th right stop, and their segment."""
    npair = np.minimum(left[3], right[3])
    base = np.cumsum(npair) - npair
    res = []
    for s, rank, p, _ in (left, right):
        ok = rank < npair[s]
        a = np.empty(npair.sum(), np.int64)
        a[base[s[ok]] + rank[ok]] = p[ok]
        res.append(a)
    return res[0], res[1], np.repeat(np.arange(len(npair)), npair)


def _stop_at(side, k, default):
    """Per segment, the position of the stop ranked ``k[segment]`` (``default`` if none)."""
    s, rank, p, cnt = side
    out = np.full(len(cnt), default, np.int64)
    hit = rank == k[s]
    out[s[hit]] = p[hit]
    return out


def _stl_partition(K, I, rows, lo, hi):
    """libstdc++'s __unguarded_partition_pivot on segments [lo, hi) of rows: the cuts."""
    a, b, c = lo + 1, lo + (hi - lo) // 2, hi - 1
    ka, kb, kc = K[rows, a], K[rows, b], K[rows, c]
    ab, bc, ac = ka < kb, kb < kc, ka < kc
    t = np.where(ab, np.where(bc, b, np.where(ac, c, a)), np.where(ac, a, np.where(bc, c, b)))
    _swap(K, I, rows, lo, t)
    piv = K[rows, lo]
    left, right = _seg_stops(K, rows, lo, hi, lambda s, P, v: (P > lo[s]) & ~(v < piv[s]),
                             lambda s, P, v: ~(piv[s] < v))
    lp, rp, ps = _pairs(left, right)
    cross = lp < rp
    _swap(K, I, rows[ps[cross]], lp[cross], rp[cross])
    m = np.bincount(ps[cross], minlength=len(rows))
    return np.minimum(_stop_at(left, m, _BIG), _stop_at(right, m - 1, _BIG))


def _stable_window(K, I, lo, hi, width):
    """Stable sort of each row's [lo, hi) (insertion sort's result), width >= hi - lo."""
    rows = np.arange(K.shape[0])[:, None]
    P = np.minimum(lo[:, None] + np.arange(width), K.shape[1] - 1)
    valid = lo[:, None] + np.arange(width) < hi[:, None]
    k = np.where(valid, K[rows, P], _BIG)
    o = np.argsort(k, axis=1, kind="stable")
    src = np.take_along_axis(P, o, 1)
    r = np.broadcast_to(rows, P.shape)[valid]  # clipped positions repeat: write valid only
    K[r, P[valid]], I[r, P[valid]] = K[r, src[valid]], I[r, src[valid]]


def _lg(n):
    return int(n).bit_length() - 1


def _std_sort(K, I, h):
    """std::sort (introsort) of each row's first ``h`` entries."""
    nrow = K.shape[0]
    rows, lo = np.arange(nrow), np.zeros(nrow, np.int64)
    hi, depth = np.full(nrow, h), np.full(nrow, 2 * _lg(h) if h else 0)
    keep = hi - lo > 16
    rows, lo, hi, depth = rows[keep], lo[keep], hi[keep], depth[keep]
    while len(rows):
        deep = depth == 0
        for r, l, e in zip(rows[deep], lo[deep], hi[deep]):
            _py_rows(K, I, r, lambda hp: (_heap_select(hp, l, e, e), _sort_heap(hp, l, e)))
        rows, lo, hi, depth = rows[~deep], lo[~deep], hi[~deep], depth[~deep] - 1
        seg, _, v = _seg_gather(K, rows, lo, hi)
        starts = np.cumsum(hi - lo) - (hi - lo)
        same = np.minimum.reduceat(v, starts) == np.maximum.reduceat(v, starts)
        for length in np.unique((hi - lo)[same]):  # runs of equal keys: a known shuffle
            at = same & (hi - lo == length)
            base = (rows[at] * K.shape[1] + lo[at])[:, None]
            flat = I.reshape(-1)
            flat[base + np.arange(length)] = flat[base + _equal_perm(int(length))]
        rows, lo, hi, depth = rows[~same], lo[~same], hi[~same], depth[~same]
        cut = _stl_partition(K, I, rows, lo, hi)
        rows, depth = np.concatenate([rows, rows]), np.concatenate([depth, depth])
        lo, hi = np.concatenate([cut, lo]), np.concatenate([hi, cut])
        keep = hi - lo > 16
        rows, lo, hi, depth = rows[keep], lo[keep], hi[keep], depth[keep]
    if h <= 1:
        return
    if K.dtype.kind == "f" and np.isnan(K[:, :h]).any():
        _final_insertion_nan(K, I, h)
    else:  # the final insertion sort only moves elements past greater ones: stable
        _stable_window(K, I, np.zeros(nrow, np.int64), np.full(nrow, h), h)


def _insertion_sort(K, I, h):
    """libstdc++'s __insertion_sort of each row's first h entries with a plain '<' (NaN keys
    stop an element moving left, yet one smaller than the first element jumps to the front)."""
    ar = np.arange(K.shape[0])
    for i in range(1, h):
        val, vi = K[:, i].copy(), I[:, i].copy()
        stay = ~(val[:, None] < K[:, :i])
        last = np.where(stay.any(1), i - 1 - np.argmax(stay[:, ::-1], 1), -1)
        p = np.where(~stay[:, 0], 0, last + 1)
        cols = np.arange(i + 1)
        src = np.where(cols > p[:, None], cols - 1, cols)
        K[:, :i + 1] = np.take_along_axis(K[:, :i + 1], src, 1)
        I[:, :i + 1] = np.take_along_axis(I[:, :i + 1], src, 1)
        K[ar, p], I[ar, p] = val, vi


def _final_insertion_nan(K, I, h):
    """__final_insertion_sort with NaN keys: the first 16 by insertion sort, then every
    element moves left within its NaN-delimited stretch, i.e. a stable sort per stretch."""
    _insertion_sort(K, I, builtins_min(h, 16))
    if h > 16:
        k = K[:, :h]
        nan = np.isnan(k)
        o = np.lexsort((np.where(nan, 0, k), ~nan, np.cumsum(nan, 1)), axis=1)
        K[:, :h] = np.take_along_axis(k, o, 1)
        I[:, :h] = np.take_along_axis(I[:, :h], o, 1)


@functools.lru_cache(maxsize=None)
def _equal_perm(n):
    """Where introsort's partitioning leaves the elements of an all-equal run of length n:
    the median swap, then every left/right pair swapped up to the middle, then recursion."""
    perm = np.arange(n)
    if n <= 16:
        return perm
    perm[[0, n // 2]] = perm[[n // 2, 0]]
    m = (n - 1) // 2
    i = np.arange(m)
    perm[1 + i], perm[n - 1 - i] = perm[n - 1 - i], perm[1 + i]
    cut = builtins_min(1 + m, n - m)
    perm[:cut] = perm[:cut][_equal_perm(cut)]
    perm[cut:] = perm[cut:][_equal_perm(n - cut)]
    perm.setflags(write=False)
    return perm


def _nth_element(K, I, nth):
    """std::nth_element (introselect) of each row around position ``nth``."""
    nrow, n = K.shape
    rows, lo, hi = np.arange(nrow), np.zeros(nrow, np.int64), np.full(nrow, n)
    depth = np.full(nrow, 2 * _lg(n))
    while True:
        act = hi - lo > 3
        if not act.any():
            break
        for r in np.nonzero(act & (depth == 0))[0]:
            l, e = lo[r], hi[r]
            _py_rows(K, I, r, lambda hp: _heap_nth(hp, l, nth, e))
            lo[r], hi[r] = l, l + 1  # heap_select + swap, then no insertion sort
        go = np.nonzero(act & (depth > 0))[0]
        depth[go] -= 1
        cut = _stl_partition(K, I, rows[go], lo[go], hi[go])
        right = cut <= nth
        lo[go], hi[go] = np.where(right, cut, lo[go]), np.where(right, hi[go], cut)
    _stable_window(K, I, lo, hi, 3)


def _quickselect(K, I, k):
    """TH's quick_select_template (Sedgewick's partition): row position k in place."""
    nrow, n = K.shape
    L, R = np.zeros(nrow, np.int64), np.full(nrow, n - 1)
    while True:
        two = R == L + 1
        if two.any():
            r = np.nonzero(two)[0]
            sw = K[r, L[r]] > K[r, R[r]]
            _swap(K, I, r[sw], L[r][sw], R[r][sw])
            R[r] = L[r]
        r = np.nonzero(R > L + 1)[0]
        if not len(r):
            break
        l, e = L[r], R[r]
        _swap(K, I, r, (l + e) >> 1, l + 1)
        for x, y in ((l + 1, e), (l, e), (l + 1, l)):
            sw = K[r, x] > K[r, y]
            _swap(K, I, r[sw], x[sw], y[sw])
        piv = K[r, l]
        left, right = _seg_stops(K, r, l, e + 1,
                                 lambda s, P, v: (P >= l[s] + 2) & ~(piv[s] > v),
                                 lambda s, P, v: (P <= e[s] - 1) & ~(v > piv[s]))
        lp, rp, ps = _pairs(left, right)
        ok = lp <= rp  # equal means i == j: a no-op swap, and the scans go on
        sw = ok & (lp < rp)
        _swap(K, I, r[ps[sw]], lp[sw], rp[sw])
        m = np.bincount(ps[ok], minlength=len(r))
        # q: the last pair that really swapped; its positions bound the final scans
        q = m - 1 - ((m > 0) & (_stop_at(left, m - 1, -1) == _stop_at(right, m - 1, -2)))
        i_end = np.minimum(_stop_at(left, m, _BIG), _stop_at(right, q, _BIG))
        j_end = np.maximum(_stop_at(right, m, -1), _stop_at(left, q, -1))
        _swap(K, I, r, l, j_end)
        L[r], R[r] = np.where(j_end <= k, i_end, l), np.where(j_end >= k, j_end - 1, e)


# libstdc++'s heap algorithms, on a list of (key, index) pairs; used for topk's
# partial_sort and introsort's depth-limit fallback.

def _adjust_heap(h, first, hole, length, value):
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if h[first + child][0] < h[first + child - 1][0]:
            child -= 1
        h[first + hole] = h[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        h[first + hole] = h[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and h[first + parent][0] < value[0]:
        h[first + hole] = h[first + parent]
        hole, parent = parent, (parent - 1) // 2
    h[first + hole] = value


def _heap_select(h, first, middle, last, keys=None):
    n = middle - first
    if n >= 2:
        for parent in range((n - 2) // 2, -1, -1):
            _adjust_heap(h, first, parent, n, h[first + parent])
    i = middle
    while i < last:  # only elements beating the current top enter: find them in chunks
        stop = builtins_min(i + 4096, last)
        cand = range(i, stop) if keys is None else i + np.flatnonzero(
            keys[i:stop] < h[first][0])
        for j in cand:
            if h[j][0] < h[first][0]:
                value, h[j] = h[j], h[first]
                _adjust_heap(h, first, 0, n, value)
        i = stop


def _sort_heap(h, first, last):
    while last - first > 1:
        last -= 1
        value, h[last] = h[last], h[first]
        _adjust_heap(h, first, 0, last - first, value)


def _heap_nth(h, first, nth, last):
    _heap_select(h, first, nth + 1, last)
    h[first], h[nth] = h[nth], h[first]


builtins_min = min


def _py_rows(K, I, r, fn):
    hp = list(zip(K[r].tolist(), I[r].tolist()))
    fn(hp)
    K[r], I[r] = [p[0] for p in hp], [p[1] for p in hp]


# --- sort, argsort, msort ------------------------------------------------------------------

# dtypes whose unstable sort PyTorch runs through std::sort; float32/64 and int32/64 go to
# x86-simd-sort, whose tie order depends on the machine, so ember keeps them stable.
_STD_SORT_KINDS = ("bool", "uint8", "int8", "int16", "float16", "bfloat16")


def _stable_indices(a, dim, descending):
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


@dim_alias
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted unique values (PyTorch's CPU kernel sorts even when ``sorted=False``)."""
    real_only(input, "unique")
    if dim is None:
        res = _unique2(input, fn=_unique_flat)
    else:
        d = _dim_of(input, dim)
        if builtins_any(n == 0 for i, n in enumerate(input._data.shape) if i != d):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        res = _unique_dim(input, fn=_unique_along(d))
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
    d = None if dim is None else _dim_of(input, dim)
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
