"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode, quantile, unique,
bincount, histc, searchsorted; and ``ember.return_types``, the named tuples they return.

Where PyTorch's CPU kernels leave the order of tied elements to a C++ standard-library
algorithm (``std::nth_element``/``std::sort``/``std::partial_sort`` in topk and mode,
Sedgewick's quickselect in kthvalue) the result is still deterministic; the "replay"
section below re-runs those algorithms, vectorised over rows, where ties make it matter.
"""
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
    """``a`` as a C-contiguous array (PyTorch returns fresh reductions contiguous)."""
    a = np.asarray(a)
    return a if a.flags.c_contiguous else a.copy()


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


def _dim_of(input, dim):
    return _errors.wrap_dim(dim, input.dim())


def _nonempty_dim(name, input, d, sep="()"):
    if input.dim() and input._data.shape[d] == 0:
        raise IndexError(f"{name}{sep}: Expected reduction dim {d} to have non-zero size.")


__all__ = ["return_types"]


def _rows(a, d):
    """``a`` with dim ``d`` moved last and the rest flattened: (rows, n), plus undo info."""
    m = np.moveaxis(a, d, -1)
    return m.reshape(-1, m.shape[-1]), m.shape


def _unrows(r, mshape, d, keepdim=True):
    """Inverse of ``_rows`` for a result with ``r.shape[1]`` entries per row."""
    out = np.moveaxis(r.reshape(mshape[:-1] + (r.shape[1],)), -1, d)
    return out if keepdim else out.squeeze(d)


# --- replaying libstdc++ (and TH's quickselect) ------------------------------------------
# K holds int64 keys, one row per slice, such that key(x) < key(y) exactly when the op's
# comparator says comp(x, y); I holds the original positions.  Every algorithm permutes
# both in place.  A Hoare partition is computed at once for many segments: the i-th
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


def _swap(K, I, rows, p, q):
    K[rows, p], K[rows, q] = K[rows, q], K[rows, p]
    I[rows, p], I[rows, q] = I[rows, q], I[rows, p]


def _stops(rows, lo, width, left_fn, right_fn, K):
    """Left stops ascending and right stops descending, padded, for windows of K."""
    P = lo[:, None] + np.arange(width)
    v = K[rows[:, None], np.minimum(P, K.shape[1] - 1)]
    left, right = left_fn(P, v), right_fn(P, v)
    lo_s = np.full((len(rows), width + 1), _BIG)
    ro_s = np.full((len(rows), width + 1), -1)
    r, c = np.nonzero(left)
    lo_s[r, (np.cumsum(left, 1) - 1)[r, c]] = P[r, c]
    r, c = np.nonzero(right)
    ro_s[r, (np.cumsum(right[:, ::-1], 1)[:, ::-1] - 1)[r, c]] = P[r, c]
    return lo_s, ro_s


def _stl_partition(K, I, rows, lo, hi):
    """libstdc++'s __unguarded_partition_pivot on segments [lo, hi) of rows: the cuts."""
    a, b, c = lo + 1, lo + (hi - lo) // 2, hi - 1
    ka, kb, kc = K[rows, a], K[rows, b], K[rows, c]
    ab, bc, ac = ka < kb, kb < kc, ka < kc
    t = np.where(ab, np.where(bc, b, np.where(ac, c, a)), np.where(ac, a, np.where(bc, c, b)))
    _swap(K, I, rows, lo, t)
    piv = K[rows, lo][:, None]
    h = hi[:, None]
    lo_s, ro_s = _stops(rows, lo, int((hi - lo).max()),
                        lambda P, v: (P > lo[:, None]) & (P < h) & ~(v < piv),
                        lambda P, v: (P < h) & ~(piv < v), K)
    cross = lo_s < ro_s
    m = cross.sum(1)
    r, i = np.nonzero(cross)
    _swap(K, I, rows[r], lo_s[r, i], ro_s[r, i])
    ix = np.arange(len(rows))
    return np.where(m > 0, np.minimum(lo_s[ix, m], ro_s[ix, np.maximum(m - 1, 0)]),
                    lo_s[ix, 0])


def _stable_window(K, I, lo, hi, width):
    """Stable sort of each row's [lo, hi) (insertion sort's result), width >= hi - lo."""
    rows = np.arange(K.shape[0])[:, None]
    P = np.minimum(lo[:, None] + np.arange(width), K.shape[1] - 1)
    valid = lo[:, None] + np.arange(width) < hi[:, None]
    k = np.where(valid, K[rows, P], _BIG)
    o = np.argsort(k, axis=1, kind="stable")
    src = np.take_along_axis(P, o, 1)
    K[rows, P] = np.where(valid, K[rows, src], K[rows, P])
    I[rows, P] = np.where(valid, I[rows, src], I[rows, P])


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
        cut = _stl_partition(K, I, rows, lo, hi)
        rows, depth = np.concatenate([rows, rows]), np.concatenate([depth, depth])
        lo, hi = np.concatenate([cut, lo]), np.concatenate([hi, cut])
        keep = hi - lo > 16
        rows, lo, hi, depth = rows[keep], lo[keep], hi[keep], depth[keep]
    if h > 1:
        _stable_window(K, I, np.zeros(nrow, np.int64), np.full(nrow, h), h)


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
        piv = K[r, l][:, None]
        lo_s, ro_s = _stops(r, l, int((e - l).max()) + 1,
                            lambda P, v: (P >= l[:, None] + 2) & (P <= e[:, None]) & ~(piv > v),
                            lambda P, v: (P <= e[:, None] - 1) & ~(v > piv), K)
        ok = lo_s <= ro_s  # equal means i == j: a no-op swap, and the scans go on
        m = ok.sum(1)
        s, i = np.nonzero(ok & (lo_s < ro_s))
        _swap(K, I, r[s], lo_s[s, i], ro_s[s, i])
        ix = np.arange(len(r))
        mq = np.maximum(m - 1, 0)
        q = m - 1 - ((m > 0) & (lo_s[ix, mq] == ro_s[ix, mq]))
        qc = np.maximum(q, 0)
        i_end = np.where(q >= 0, np.minimum(lo_s[ix, m], ro_s[ix, qc]), lo_s[ix, m])
        j_end = np.where(q >= 0, np.maximum(ro_s[ix, m], lo_s[ix, qc]), ro_s[ix, m])
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
