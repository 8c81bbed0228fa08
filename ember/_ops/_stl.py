"""Replays of the C++ standard-library algorithms PyTorch's CPU kernels use for topk, mode,
kthvalue and unstable sorts, vectorised over rows, so tied elements come out in the same
order as in PyTorch.  Used by sort.py and reduce.py only where ties make it matter.
"""
import functools

from .._backend import np

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
        r = np.unique(_real(a).reshape(-1), return_inverse=True)[1].reshape(a.shape)
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
