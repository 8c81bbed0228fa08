"""Sorting and selection against torch: sort/argsort/msort, topk and kthvalue (tie order
included), quantile, unique, bincount, histc, searchsorted/bucketize; gradients and errors."""
import numpy as np
import pytest

from parity import check, torch
import ember

rng = np.random.default_rng(1)
nan = np.nan


def ints(shape, hi=4):
    return rng.integers(0, hi, shape).astype(float)


FLOATS = rng.standard_normal((3, 5, 6))
WITH_NAN = np.array([[1., nan, 3, nan, 2, 2], [2, 5, 5, 1, -np.inf, np.inf],
                     [4, 4, 4, 4, 4, 4], [nan, nan, 1, 0, -0.0, 0]])


# --- sort, argsort, msort ------------------------------------------------------------------

@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32", "bool", "uint8"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_small_rows(dt, dim):
    # std::sort of up to 16 elements is an insertion sort: ties keep their order.  (float and
    # int32/64 unstable sorts go to x86-simd-sort, whose tie order is the CPU's business.)
    x = ints((4, 6, 5)) if dt != "float32" else FLOATS
    unstable_ok = dt in ("bool", "uint8") or dt == "float32"  # float32 data has no ties
    for desc in (False, True):
        if unstable_ok:
            check(lambda m, t: m.sort(t, dim, desc), x=x, dtype=dt, grad=True)
            check(lambda m, t: m.argsort(t, dim, desc), x=x, dtype=dt)
        check(lambda m, t: m.sort(t, dim, desc)[0], x=x, dtype=dt, grad=True)
        check(lambda m, t: t.sort(dim=dim, descending=desc, stable=True), x=x, dtype=dt)
        check(lambda m, t: t.argsort(dim=dim, descending=desc, stable=True), x=x, dtype=dt)


@pytest.mark.parametrize("dt", ["uint8", "int8", "int16", "bool", "float16"])
@pytest.mark.parametrize("n", [17, 40, 300])
def test_sort_std_sort_ties_replayed(dt, n):
    # these dtypes go through std::sort, whose tie order ember replays
    x = ints((5, n), 2 if dt == "bool" else 6)
    for desc in (False, True):
        check(lambda m, t: m.sort(t, 1, desc), x=x, dtype=dt)
        check(lambda m, t: m.argsort(t.T, 0, desc), x=x, dtype=dt)


@pytest.mark.parametrize("dt", ["float32", "float64", "int64"])
def test_sort_large_rows(dt):
    x = ints((4, 50), 5)
    for desc in (False, True):
        check(lambda m, t: m.sort(t, 1, desc, stable=True), x=x, dtype=dt)
        check(lambda m, t: m.argsort(t, 1, desc, stable=True), x=x, dtype=dt)
        for m in (torch, ember):  # unstable: values must agree, indices must sort them
            t = m.tensor(x, dtype=getattr(m, dt))
            v, i = m.sort(t, 1, desc)
            assert (t.gather(1, i) == v).all()
        v_t = torch.sort(torch.tensor(x), 1, desc).values.numpy()
        v_e = ember.sort(ember.tensor(x), 1, desc).values.numpy()
        np.testing.assert_array_equal(v_e, v_t)


def test_sort_nan_and_layouts():
    for desc in (False, True):
        check(lambda m, t: t.sort(1, desc, stable=True), x=WITH_NAN, grad=True)
        check(lambda m, t: t.sort(0, desc)[0], x=WITH_NAN, grad=True)  # values: xss order
    x = FLOATS
    for f in [lambda m, t: t.permute(2, 0, 1).sort(1), lambda m, t: t.transpose(0, 2).argsort(0),
              lambda m, t: t.mT.sort(-1, True), lambda m, t: t[:, None].transpose(0, 2).sort(1),
              lambda m, t: t[:, ::2].sort(1), lambda m, t: m.msort(t), lambda m, t: t.msort(),
              lambda m, t: t.T.msort(), lambda m, t: t[0, 0].sort(), lambda m, t: t[0, 0, 0].sort(),
              lambda m, t: t[0, 0, 0].argsort(), lambda m, t: t[0, 0, 0].msort(),
              lambda m, t: t[:0].sort(0), lambda m, t: t.sort(1).values.exp()]:
        check(f, x=x, grad=True)


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_types_order_like_torch(dt):
    x = np.array([[1., nan, 2, 2, 0, 1], [3, 1, 1, 2, 2, 2], [nan] * 6])
    for f in [lambda m, t: t.median(), lambda m, t: t[:2].median(), lambda m, t: t.median(1),
              lambda m, t: t.nanmedian(1), lambda m, t: t.nanmedian(), lambda m, t: t.mode(1),
              lambda m, t: t.kthvalue(2, 1), lambda m, t: t.sort(1), lambda m, t: t.topk(3),
              lambda m, t: t.repeat(1, 5).mode(1), lambda m, t: t.repeat(1, 5).nanmedian(1),
              lambda m, t: t.repeat(1, 7).argsort(1, True), lambda m, t: t.repeat(1, 5).topk(7),
              lambda m, t: t.repeat(1, 5).kthvalue(7)]:
        check(f, t=x, dtype=dt, grad=True)


# --- topk ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,hi", [(6, 3), (17, 4), (40, 3), (200, 5), (700, 3)])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("sorted_", [True, False])
def test_topk_ties_match_torch(n, hi, largest, sorted_):
    x = ints((8, n), hi)
    for k in sorted({1, 2, 3, min(n, 7), n // 2, n}):
        check(lambda m, t: m.topk(t, k, 1, largest, sorted_), x=x, grad=True)
        check(lambda m, t: t.T.topk(k, 0, largest, sorted_), x=x, dtype="int64")


@pytest.mark.parametrize("sorted_", [True, False])
def test_topk_distinct_and_nan(sorted_):
    x = FLOATS
    for k in (1, 3, 6):
        for largest in (True, False):
            check(lambda m, t: t.topk(k, -1, largest, sorted_), x=x, grad=True)
            check(lambda m, t: t.topk(min(k, 3), 0, largest, sorted_), x=x, grad=True)
    for k in (1, 2, 4, 6):
        for largest in (True, False):
            check(lambda m, t: t.topk(k, 1, largest, sorted_), x=WITH_NAN, grad=True)
    big = rng.standard_normal((3, 1000))
    big[:, ::3] = np.round(big[:, ::3])
    for k in (1, 5, 15):  # the partial_sort path (k * 64 <= n)
        check(lambda m, t: t.topk(k, 1, True, sorted_), x=big, grad=True)
        check(lambda m, t: t.topk(k, 1, False, sorted_), x=big)


def test_topk_shapes():
    for f in [lambda m, t: t.topk(0), lambda m, t: t[0, 0, 0].topk(1), lambda m, t: t.topk(2, 0),
              lambda m, t: t.topk(6, dim=2), lambda m, t: t.topk(3, 1, largest=False)]:
        check(f, x=FLOATS, grad=True)
    check(lambda m, t: t.topk(2, 1), x=ints((3, 5)), dtype="uint8")


# --- kthvalue --------------------------------------------------------------------------------

@pytest.mark.parametrize("n,hi", [(5, 3), (9, 2), (40, 4), (333, 6)])
def test_kthvalue_ties_match_torch(n, hi):
    x = ints((6, n), hi)
    for k in sorted({1, 2, n // 3 + 1, n // 2 + 1, n}):
        check(lambda m, t: m.kthvalue(t, k, 1), x=x, grad=True)
        check(lambda m, t: t.T.kthvalue(k, 0, True), x=x, dtype="int64")


def test_kthvalue_misc():
    for k in (1, 3, 6):
        check(lambda m, t: t.kthvalue(k), x=WITH_NAN, grad=True)
    for f in [lambda m, t: t.kthvalue(2, 0, True), lambda m, t: t.kthvalue(5, -1),
              lambda m, t: t[0, 0, 0].kthvalue(1), lambda m, t: t.kthvalue(1, dim=1)]:
        check(f, x=FLOATS, grad=True)


# --- quantile --------------------------------------------------------------------------------

@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
def test_quantile(interp, fn):
    x = FLOATS
    qs = np.array([0., 0.1, 0.25, 0.5, 0.9, 1.])
    for dim in (None, 0, 1, -1):
        for keepdim in (False, True):
            check(lambda m, t: getattr(m, fn)(t, 0.3, dim, keepdim, interpolation=interp),
                  x=x, grad=True)
            check(lambda m, t, q: getattr(t, fn)(q, dim, keepdim, interpolation=interp),
                  x=x, q=qs, grad=True)
    # values only with ties: which tied element takes the gradient follows torch's sort
    check(lambda m, t: getattr(m, fn)(t, 0.5, 1, interpolation=interp), x=WITH_NAN)
    check(lambda m, t, q: getattr(m, fn)(t, q, 1, interpolation=interp), x=WITH_NAN, q=qs)
    check(lambda m, t: getattr(m, fn)(t, 0.7, interpolation=interp), x=x, dtype="float64",
          grad=True)
    check(lambda m, t: getattr(m, fn)(t[0, 0, 0], 0.7, 0, interpolation=interp), x=x)
    check(lambda m, t, q: getattr(m, fn)(t, q[2], interpolation=interp), x=x, q=qs)


def test_quantile_grad_fn():
    for m in (torch, ember):
        t = m.tensor(FLOATS, requires_grad=True)
        assert t.quantile(0.2).grad_fn.name() == "SqueezeBackward4"
        q = m.tensor([0.2, 0.5], dtype=m.float64)
        assert t.nanquantile(q, 1).grad_fn.name() == "SqueezeBackward4"


# --- unique, unique_consecutive --------------------------------------------------------------

def test_unique():
    x = ints((4, 5), 4)
    for dt in ("float32", "int64", "bool", "uint8"):
        for kw in [{}, {"return_inverse": True}, {"return_counts": True},
                   {"return_inverse": True, "return_counts": True}, {"sorted": False}]:
            check(lambda m, t: m.unique(t, **kw), x=x, dtype=dt)
            check(lambda m, t: t.unique(dim=0, **kw), x=x, dtype=dt)
            check(lambda m, t: m.unique(t, dim=1, **kw), x=x, dtype=dt)
            check(lambda m, t: m.unique_consecutive(t, **kw), x=np.sort(x, None).reshape(4, 5),
                  dtype=dt) if "sorted" not in kw else None
            check(lambda m, t: t.unique_consecutive(**kw), x=x, dtype=dt) \
                if "sorted" not in kw else None
    rows = np.array([[1., 2], [1, 2], [0, 5], [1, 2], [1, 2]])
    kw = {"return_inverse": True, "return_counts": True}
    check(lambda m, t: m.unique_consecutive(t, dim=0, **kw), x=rows)
    check(lambda m, t: m.unique_consecutive(t, dim=1, **kw), x=rows)
    check(lambda m, t: m.unique(t, **kw), x=np.array([nan, 1., nan, 2, 1]))
    check(lambda m, t: m.unique_consecutive(t, **kw), x=np.array([nan, nan, 1., 1, nan]))
    check(lambda m, t: m.unique(t, **kw), x=np.array(3.))
    check(lambda m, t: m.unique(t, **kw), x=np.zeros(0))
    check(lambda m, t: m.unique_consecutive(t, **kw), x=np.zeros(0))


def test_unique_graph_and_empty_dims():
    x = np.array([1., 2, 1])
    for f in [lambda m, t: m.unique(t, return_inverse=True), lambda m, t: t.unique(dim=0),
              lambda m, t: m.unique_consecutive(t, return_counts=True),
              lambda m, t: m.unique_consecutive(t, dim=0)]:
        check(lambda m, t: f(m, t.requires_grad_()), t=x)  # on the graph, like torch
        check(lambda m, t: f(m, t.requires_grad_())[0].sum().backward(), t=x, match=True)
    for shape, d in [((3, 0, 2), 1), ((0, 3, 2), 1), ((3, 0, 2), 0), ((0, 3), 0)]:
        for fn in ("unique", "unique_consecutive"):
            check(lambda m, t: getattr(m, fn)(t, dim=d, return_inverse=True,
                                              return_counts=True), t=np.zeros(shape), match=True)


# --- bincount, histc --------------------------------------------------------------------------

def test_bincount():
    x = rng.integers(0, 7, 30).astype(float)
    w = rng.standard_normal(30)
    check(lambda m, t: m.bincount(t), x=x, dtype="int64")
    check(lambda m, t: t.bincount(minlength=10), x=x, dtype="int64")
    check(lambda m, t: m.bincount(t, minlength=2), x=x, dtype="uint8")
    for wdt in ("float32", "float64", "int64", "float16"):
        check(lambda m, t: m.bincount(t.long(), t.new_tensor(w).to(getattr(m, wdt))), x=x)
    check(lambda m, t: m.bincount(t, minlength=3), x=np.zeros(0), dtype="int64")


def test_histc():
    x = rng.standard_normal(500)
    for dt in ("float32", "float64"):
        check(lambda m, t: m.histc(t), x=x, dtype=dt)
        check(lambda m, t: t.histc(7, -1, 1), x=x, dtype=dt)
        check(lambda m, t: m.histc(t, bins=13, min=-0.3, max=2.5), x=x, dtype=dt)
        check(lambda m, t: m.histc(t, bins=4), x=np.array([1., 1]), dtype=dt)
        check(lambda m, t: m.histc(t, bins=5, min=0, max=2), x=np.array([1., nan, 2, 0]),
              dtype=dt)
        check(lambda m, t: m.histc(t, bins=3), x=np.zeros(0), dtype=dt)
    check(lambda m, t: m.histc(t, bins=10), x=np.linspace(0, 1, 101), dtype="float32")


# --- searchsorted, bucketize ------------------------------------------------------------------

def test_searchsorted():
    seq = np.array([1., 3, 5, 5, 7, 9])
    vals = np.array([[0., 3, 5, 6, 9, 10], [5, 5, 1, 2, 8, 9]])
    for right in (False, True):
        check(lambda m, s, v: m.searchsorted(s, v, right=right), s=seq, v=vals)
        check(lambda m, s, v: m.searchsorted(s, v, side="right" if right else "left",
                                             out_int32=True), s=seq, v=vals)
        check(lambda m, s, v: m.searchsorted(s, v, right=right), s=np.sort(ints((2, 7), 9)),
              v=vals)
        check(lambda m, s, v: m.bucketize(v, s, right=right), s=seq, v=vals)
        check(lambda m, s: m.bucketize(5, s, right=right, out_int32=True), s=seq)
        check(lambda m, s: m.searchsorted(s, 5, right=right), s=seq)
    check(lambda m, s, v: m.searchsorted(s, v), s=seq, v=vals, dtype="int64")
    check(lambda m, s, v: m.searchsorted(s, v.long()), s=seq, v=vals)
    check(lambda m, s, v: m.searchsorted(s, v), s=np.array([1., 3, nan]),
          v=np.array([3., nan, 4, 0]))
    shuffled = np.array([5., 1, 9, 3, 7])
    check(lambda m, s, v: m.searchsorted(s, v, sorter=s.argsort()), s=shuffled, v=vals)
    check(lambda m, s, v: m.searchsorted(s, v), s=np.zeros(0), v=vals)
    big = np.sort(rng.standard_normal(1000))
    check(lambda m, s, v: m.searchsorted(s, v), s=big, v=rng.standard_normal(300))


# --- gradients ---------------------------------------------------------------------------------

GRADCHECK = [
    lambda t: t.sort(1)[0], lambda t: t.sort(0, descending=True)[0], lambda t: t.msort(),
    lambda t: t.topk(2)[0], lambda t: t.topk(2, 0, largest=False, sorted=False)[0],
    lambda t: t.kthvalue(2, 1)[0], lambda t: t.quantile(0.3),
    lambda t: t.quantile(ember.tensor([0.2, 0.9], dtype=ember.float64), 1, keepdim=True),
    lambda t: t.nanquantile(0.6, 0, interpolation="midpoint"),
    lambda t: t.quantile(0.6, 1, interpolation="nearest"),
]


@pytest.mark.parametrize("i", range(len(GRADCHECK)))
def test_gradcheck(i):
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(GRADCHECK[i], (x,))


# --- errors ------------------------------------------------------------------------------------

ERRORS = [
    lambda m, t: m.topk(t, 4), lambda m, t: m.topk(t, -1), lambda m, t: m.topk(t[0, 0], 2),
    lambda m, t: m.kthvalue(t, 4), lambda m, t: m.kthvalue(t, 0, 0),
    lambda m, t: m.kthvalue(t[:0], 1, 0), lambda m, t: m.sort(t, 2), lambda m, t: m.argsort(t, -3),
    lambda m, t: m.quantile(t, 1.5), lambda m, t: m.quantile(t, t[0]),
    lambda m, t: m.quantile(t, t.new_tensor([[0.5]])),
    lambda m, t: m.quantile(t, t.new_tensor([0.5, 1.5])),
    lambda m, t: m.quantile(t, t.new_tensor([0.5]).double()),
    lambda m, t: m.quantile(t.long(), 0.5), lambda m, t: m.quantile(t[:0], 0.5),
    lambda m, t: m.quantile(t, 0.5, interpolation="foo"),
    lambda m, t: m.nanquantile(t.long(), 0.5),
    lambda m, t: m.bincount(t.long().view(-1) - 5), lambda m, t: m.bincount(t.long()),
    lambda m, t: m.bincount(t.view(-1)), lambda m, t: m.bincount(t.long().view(-1), t[0]),
    lambda m, t: m.bincount(t.long().view(-1), minlength=-1), lambda m, t: m.bincount(t.bool()),
    lambda m, t: m.histc(t, min=3, max=1), lambda m, t: m.histc(t.long()),
    lambda m, t: m.histc(t, bins=0), lambda m, t: m.histc(t.new_tensor([1., float("inf")])),
    lambda m, t: m.searchsorted(t, t.new_ones(3, 3)), lambda m, t: m.bucketize(t, t),
    lambda m, t: m.searchsorted(t[0], t, side="left", right=True),
    lambda m, t: m.searchsorted(t[0], t, sorter=t[0, :1].long()), lambda m, t: m.unique(t, dim=2),
    lambda m, t: m.median(t[:0], 1), lambda m, t: m.mode(t[:0], 0),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    check(ERRORS[i], t=np.array([[1., 2, 3], [3, 4, 5]]), match=True)


@pytest.mark.parametrize("op", [
    "t.nansum()", "t.max()", "t.max(1)", "t.min()", "t.amax(1)", "t.amin()", "t.argmax()",
    "m.aminmax(t)", "t.sort()", "t.argsort()", "t.topk(2)", "t.kthvalue(2)", "t.median()",
    "t.median(1)", "t.nanmedian(0)", "t.mode(1)", "t.cummax(1)", "t.cummin(1)",
    "t.quantile(0.5)", "m.unique(t)", "t.msort()", "t.histc()"])
def test_complex_rejected_like_torch(op):
    check(eval("lambda m, t: " + op), t=np.ones((3, 4)), dtype="complex64", match=True)


def test_complex_reductions():
    x = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    for f in [lambda m, t: t.sum(1), lambda m, t: t.mean(), lambda m, t: t.var(1),
              lambda m, t: t.std(), lambda m, t: t.prod(1), lambda m, t: t.cumsum(0),
              lambda m, t: t.cumprod(1), lambda m, t: t.norm(), lambda m, t: t.norm(1, dim=1),
              lambda m, t: m.var_mean(t, 1), lambda m, t: t.logsumexp(1), lambda m, t: t.all(1)]:
        check(f, t=x, dtype="complex64", rtol=1e-4, atol=1e-5)
