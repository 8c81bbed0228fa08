"""Reductions and cumulative ops against torch: dims/keepdim/dtype combinations, NaN and
tie handling, grad_fn names, gradients (parity and gradcheck), errors and their wording."""
import pickle
import warnings

import numpy as np
import pytest

from parity import check, same_repr, torch
import ember

rng = np.random.default_rng(0)
DATA = {
    "float32": rng.standard_normal((3, 4, 5)),
    "float64": rng.standard_normal((3, 4, 5)),
    "int64": rng.integers(-3, 4, (3, 4, 5)).astype(float),  # plenty of ties
    "bool": rng.integers(0, 2, (3, 4, 5)).astype(float),
}
DTYPES = list(DATA)

MULTI_DIM = {  # ops that take a tuple of dims
    "sum": lambda m, x, d, k: m.sum(x, d, k),
    "nansum": lambda m, x, d, k: m.nansum(x, d, k),
    "mean": lambda m, x, d, k: m.mean(x, d, k),
    "nanmean": lambda m, x, d, k: m.nanmean(x, d, k),
    "var": lambda m, x, d, k: m.var(x, d, keepdim=k),
    "std": lambda m, x, d, k: x.std(d, keepdim=k),
    "amax": lambda m, x, d, k: m.amax(x, d, k),
    "amin": lambda m, x, d, k: x.amin(d, k),
    "logsumexp": lambda m, x, d, k: m.logsumexp(x, d, k),
    "all": lambda m, x, d, k: m.all(x, d, k),
    "any": lambda m, x, d, k: x.any(d, keepdim=k),
    "norm": lambda m, x, d, k: m.norm(x, dim=d, keepdim=k),
    "std_mean": lambda m, x, d, k: m.std_mean(x, d, keepdim=k),
    "var_mean": lambda m, x, d, k: m.var_mean(x, d, correction=0, keepdim=k),
}
ONE_DIM = {  # ops that take a single int dim
    "prod": lambda m, x, d, k: m.prod(x, d, k),
    "max": lambda m, x, d, k: m.max(x, d, k),
    "min": lambda m, x, d, k: x.min(d, keepdim=k),
    "argmax": lambda m, x, d, k: m.argmax(x, d, k),
    "argmin": lambda m, x, d, k: x.argmin(d, k),
    "median": lambda m, x, d, k: m.median(x, d, k),
    "nanmedian": lambda m, x, d, k: x.nanmedian(d, k),
    "mode": lambda m, x, d, k: m.mode(x, d, k),
    "aminmax": lambda m, x, d, k: m.aminmax(x, dim=d, keepdim=k),
}
CUMULATIVE = {
    "cumsum": lambda m, x, d: m.cumsum(x, d),
    "cumprod": lambda m, x, d: x.cumprod(d),
    "cummax": lambda m, x, d: m.cummax(x, d),
    "cummin": lambda m, x, d: x.cummin(dim=d),
    "cumsum_f64": lambda m, x, d: m.cumsum(x, d, dtype=m.float64),
}


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", list(MULTI_DIM))
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), (2, 1, 0), ()])
def test_multi_dim_reductions(name, dim, dt):
    fn = MULTI_DIM[name]
    for keepdim in (False, True):
        check(lambda m, x: fn(m, x, dim, keepdim), x=DATA[dt], dtype=dt, grad=True)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", list(ONE_DIM))
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_single_dim_reductions(name, dim, dt):
    fn = ONE_DIM[name]
    for keepdim in (False, True):
        check(lambda m, x: fn(m, x, dim, keepdim), x=DATA[dt], dtype=dt, grad=True)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", ["sum", "nansum", "mean", "nanmean", "prod", "max", "min",
                                  "amax", "amin", "argmax", "argmin", "median", "nanmedian",
                                  "std", "var", "all", "any", "norm", "aminmax"])
def test_full_reductions(name, dt):
    check(lambda m, x: getattr(m, name)(x), x=DATA[dt], dtype=dt, grad=True)
    with warnings.catch_warnings():  # std/var of one element: no degrees of freedom
        warnings.simplefilter("ignore")
        check(lambda m, x: getattr(m, name)(x[0, 0, :1]), x=DATA[dt], dtype=dt, grad=True)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", list(CUMULATIVE))
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative(name, dim, dt):
    check(lambda m, x: CUMULATIVE[name](m, x, dim), x=DATA[dt], dtype=dt, grad=True)


def test_grad_fn_names():
    x = np.array([[1., 3, 3], [2, 2, 0]])
    cases = [
        (lambda m, t: t.sum(), "SumBackward0"), (lambda m, t: t.sum(0), "SumBackward1"),
        (lambda m, t: m.sum(t, dim=None), "SumBackward1"),
        (lambda m, t: t.sum((), keepdim=True), "SumBackward1"),
        (lambda m, t: t.mean(), "MeanBackward0"), (lambda m, t: t.mean(1), "MeanBackward1"),
        (lambda m, t: t.prod(), "ProdBackward0"), (lambda m, t: t.prod(1), "ProdBackward1"),
        (lambda m, t: t.nansum(), "NansumBackward0"), (lambda m, t: t.nanmean(), "DivBackward0"),
        (lambda m, t: t.std(), "StdBackward0"), (lambda m, t: t.var(0), "VarBackward0"),
        (lambda m, t: m.std_mean(t)[1], "StdMeanBackward0"),
        (lambda m, t: m.var_mean(t, 0)[0], "VarMeanBackward0"),
        (lambda m, t: t.max(), "MaxBackward1"), (lambda m, t: t.min(), "MinBackward1"),
        (lambda m, t: t.max(1)[0], "MaxBackward0"), (lambda m, t: t.min(0).values, "MinBackward0"),
        (lambda m, t: t.amax(), "AmaxBackward0"), (lambda m, t: t.amin(1), "AminBackward0"),
        (lambda m, t: m.aminmax(t).max, "AminmaxBackward0"),
        (lambda m, t: t.logsumexp(1), "LogsumexpBackward0"),
        (lambda m, t: t.cumsum(0), "CumsumBackward0"),
        (lambda m, t: t.cumprod(1), "CumprodBackward0"),
        (lambda m, t: t.cummax(1)[0], "CummaxBackward0"),
        (lambda m, t: t.cummin(1)[0], "CumminBackward0"),
        (lambda m, t: t.median(), "MedianBackward0"),
        (lambda m, t: t.median(1)[0], "MedianBackward1"),
        (lambda m, t: t.nanmedian(), "NanmedianBackward0"),
        (lambda m, t: t.nanmedian(0)[0], "NanmedianBackward1"),
        (lambda m, t: t.mode(1)[0], "ModeBackward0"),
        (lambda m, t: t.norm(), "LinalgVectorNormBackward0"),
        (lambda m, t: m.norm(t, float("inf"), dim=1), "LinalgVectorNormBackward0"),
        (lambda m, t: m.dist(t, t * 2), "DistBackward0"),
        (lambda m, t: m.max(t, t * 2), "MaximumBackward0"),
    ]
    for fn, name in cases:
        for m in (torch, ember):
            t = m.tensor(x, requires_grad=True)
            assert fn(m, t).grad_fn.name() == name, (m.__name__, name)


def test_return_types():
    check(lambda m, x: m.max(x, 1), x=DATA["float32"][0], grad=True)
    for m in (torch, ember):
        r = m.max(m.tensor([[1., 3], [4, 2]]), 1)
        v, i = r
        assert r[0] is v and r[-1] is i and r.values is v and r.indices is i and len(r) == 2
        assert isinstance(r, tuple) and r.n_fields == 2
        assert type(r).__name__ == "max"
        a = m.aminmax(m.tensor([1., 5]))
        assert a.min.item() == 1 and a.max.item() == 5
    same_repr(torch.max(torch.tensor([[1., 3], [4, 2]]), 1),
              ember.max(ember.tensor([[1., 3], [4, 2]]), 1))
    same_repr(torch.aminmax(torch.tensor([1., 5]), dim=0),
              ember.aminmax(ember.tensor([1., 5]), dim=0))
    t = torch.tensor([[1., 3], [4, 2]], requires_grad=True)
    e = ember.tensor([[1., 3], [4, 2]], requires_grad=True)
    same_repr(t.sort(1), e.sort(1))
    same_repr(t.cummax(0), e.cummax(0))
    r = pickle.loads(pickle.dumps(ember.max(ember.tensor([[1., 3]]), 1)))
    assert type(r) is ember.return_types.max and r.values.tolist() == [3.0]
    import ember.return_types as rt
    assert rt.sort is ember.return_types.sort


def test_nan_propagation():
    nan = np.nan
    x = np.array([[1., nan, 3, nan], [2, 5, 5, 1], [4, 4, 4, 4], [nan, nan, 1, 0]])
    for f in [lambda m, t: m.max(t, 1), lambda m, t: m.min(t, 1), lambda m, t: t.max(),
              lambda m, t: t.amax(1), lambda m, t: t.amin(0), lambda m, t: m.argmax(t, 1),
              lambda m, t: t.argmin(1), lambda m, t: t.argmax(), lambda m, t: m.aminmax(t, dim=1),
              lambda m, t: t.cummax(1), lambda m, t: t.cummin(1), lambda m, t: t.median(1),
              lambda m, t: t.nanmedian(1), lambda m, t: t.median(), lambda m, t: t.nanmedian(),
              lambda m, t: t.nansum(1), lambda m, t: t.nanmean(0), lambda m, t: t.logsumexp(1),
              lambda m, t: t.sum(1), lambda m, t: t.std(1), lambda m, t: t.norm(dim=1),
              lambda m, t: t.prod(1), lambda m, t: t.cumsum(1), lambda m, t: t.mode(1)]:
        check(f, x=x, grad=True)
    check(lambda m, t: t.nanmedian(1), x=np.full((2, 3), nan))


def test_ties_and_special_values():
    x = np.array([[1., 3, 3, -0.0], [2, 2, 0, 0.0], [-np.inf, np.inf, 1, 2]])
    for f in [lambda m, t: t.max(), lambda m, t: t.amax(1), lambda m, t: t.amin(),
              lambda m, t: t.max(1), lambda m, t: t.min(0), lambda m, t: t.median(),
              lambda m, t: t.median(1), lambda m, t: t.mode(1), lambda m, t: m.aminmax(t),
              lambda m, t: t.norm(float("inf")), lambda m, t: t.norm(float("-inf"), 1),
              lambda m, t: t.logsumexp(1), lambda m, t: t.cummax(1), lambda m, t: t.cummin(1)]:
        check(f, x=x, grad=True)
    check(lambda m, t: t.logsumexp(0), x=np.array([[np.inf, -np.inf], [1., -np.inf]]),
          grad=True)
    check(lambda m, t: t.mode(), x=np.array([3., 1, 2, 1, 2, 3, 2, 1]))
    check(lambda m, t: t.mode(), x=np.array([np.nan, 2, 1, np.nan, 1, 2]))


def test_mode_large_rows_with_ties():
    # beyond 16 elements std::sort partitions before its insertion sort: replayed
    for n, hi in [(17, 3), (40, 5), (200, 20), (1000, 4)]:
        check(lambda m, t: t.mode(1), x=rng.integers(0, hi, (6, n)).astype(float),
              dtype="int64")
        check(lambda m, t: t.mode(0), x=rng.integers(0, hi, (n, 3)).astype(float), grad=True)
    check(lambda m, t: t.mode(1), x=rng.integers(0, 2, (4, 300)).astype(float), dtype="bool")


def test_std_var_arguments():
    x = DATA["float64"][0]
    for f in [lambda m, t: m.std(t, 0, True, True), lambda m, t: m.std(t, False),
              lambda m, t: t.var(1, False), lambda m, t: m.var(t, dim=0, correction=0),
              lambda m, t: m.var(t, 0, correction=1.5), lambda m, t: m.std(t, [], keepdim=True),
              lambda m, t: m.var_mean(t, 1, False, True),
              lambda m, t: m.std_mean(t, unbiased=False),
              lambda m, t: m.std(t, dim=None, keepdim=True)]:
        check(f, x=x, grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in [lambda m, t: m.std(t, dim=0, correction=4), lambda m, t: t[:1].var(0),
                  lambda m, t: t[0, 0].std()]:
            check(f, x=x)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        ember.var(ember.tensor([1.]))


def test_var_accuracy_two_pass():
    # a large offset defeats the one-pass formula in float32
    x = (1e4 + rng.standard_normal(10000)).astype(np.float32)
    check(lambda m, t: t.var(), x=x, rtol=1e-4)
    check(lambda m, t: t.std(0), x=x, rtol=1e-4)


def test_sum_dtypes_and_promotion():
    x = DATA["int64"][0]
    for dt in ["float32", "int64", "bool", "uint8", "int32", "float64"]:
        check(lambda m, t: m.sum(t), x=x, dtype=dt)
        check(lambda m, t: m.prod(t, 0), x=x, dtype=dt)
        check(lambda m, t: m.cumsum(t, 1), x=x, dtype=dt)
        check(lambda m, t: m.cumprod(t, 0), x=x, dtype=dt)
        check(lambda m, t: m.all(t, 1), x=x, dtype=dt)
        check(lambda m, t: m.any(t, (0, 1), keepdim=True), x=x, dtype=dt)
        check(lambda m, t: m.all(t, []), x=x, dtype=dt)
    for f in [lambda m, t: m.sum(t, dtype=m.float64), lambda m, t: t.sum(1, dtype=m.int32),
              lambda m, t: m.mean(t, dtype=m.float64), lambda m, t: t.nansum(dtype=m.float64),
              lambda m, t: m.prod(t, dtype=m.float64), lambda m, t: m.cumsum(t, 0, dtype=m.float16),
              lambda m, t: t.sum(dtype=m.bool), lambda m, t: m.nanmean(t, 1, True),
              lambda m, t: m.norm(t, 2, 1, True, dtype=m.float64)]:
        check(f, x=DATA["float32"][0], grad=True)
    check(lambda m, t: m.sum(t), x=DATA["float32"], dtype="float16")
    check(lambda m, t: m.mean(t, 1), x=DATA["float32"], dtype="float16", rtol=1e-3)
    check(lambda m, t: t.logsumexp(1), x=x, dtype="int64")


def test_float32_accumulation():
    x = rng.random(100000).astype(np.float32)
    check(lambda m, t: t.sum(), x=x)
    check(lambda m, t: t.mean(), x=x)
    check(lambda m, t: t.cumsum(0), x=x)  # torch accumulates in double


def test_norms():
    x = DATA["float64"][0]
    for p in [2, 1, 3, 0.5, 0, -1, float("inf"), float("-inf"), "fro"]:
        check(lambda m, t: m.norm(t, p), x=x, grad=p != 0)  # torch's p=0 grad is undefined
        check(lambda m, t: t.norm(p, dim=1, keepdim=True), x=x, grad=p != 0)
    check(lambda m, t: t.norm(p="fro", dim=(0, 1)), x=x, grad=True)
    z = np.zeros((2, 3))
    for p in [2, 1, 3, 0.5, float("inf")]:
        check(lambda m, t: t.norm(p), x=z, grad=True)
    for p in [2, 1, 0, float("inf"), 3]:
        check(lambda m, a, b: m.dist(a, b, p), a=x, b=x[:1] * 2, grad=p != 0)
    check(lambda m, a: m.dist(a, a.detach()), a=x, grad=True)


def test_prod_and_cumprod_with_zeros():
    x = np.array([[1., 3, 3, 2], [2, 2, 0, 5], [0, 4, 0, 1], [0.5, -2, 1.5, 0]])
    for f in [lambda m, t: t.prod(), lambda m, t: t.prod(1), lambda m, t: t.prod(0, True),
              lambda m, t: t.cumprod(1), lambda m, t: t.cumprod(0)]:
        check(f, x=x, grad=True)
        check(f, x=x[1:2, 1:3], grad=True)


GRADCHECK = [
    lambda t: t.sum((0, 2)), lambda t: t.mean(1, True), lambda t: t.prod(1),
    lambda t: t.std(1), lambda t: t.var((0, 1), correction=0), lambda t: ember.std_mean(t, 2),
    lambda t: ember.var_mean(t), lambda t: t.max(1)[0], lambda t: t.amax((0, 2)),
    lambda t: t.amin(), lambda t: t.logsumexp(2), lambda t: t.cumsum(1),
    lambda t: t.cumprod(2), lambda t: t.cummax(0)[0], lambda t: t.cummin(2)[0],
    lambda t: t.norm(), lambda t: t.norm(3, dim=1), lambda t: t.norm(1.5, dim=0),
    lambda t: t.norm(float("inf"), dim=2), lambda t: t.nansum(0), lambda t: t.nanmean(1),
    lambda t: t.median(2)[0], lambda t: t.mode(1)[0], lambda t: ember.aminmax(t, dim=1),
    lambda t: t.max(), lambda t: ember.dist(t, t[0] * 0.5), lambda t: t.median(),
]


@pytest.mark.parametrize("i", range(len(GRADCHECK)))
def test_gradcheck(i):
    x = ember.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(GRADCHECK[i], (x,))


def double_grad(fn, x):
    """fn's second derivative (through create_graph) compared with torch's."""
    w = rng.standard_normal(x.shape)
    res = []
    for m in (torch, ember):
        t = m.tensor(x, requires_grad=True)
        (g,) = m.autograd.grad(fn(m, t).sum(), t, create_graph=True)
        (g * m.tensor(w)).sum().backward()
        res.append(t.grad.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fn", [
    lambda m, t: t.std(1), lambda m, t: t.var(), lambda m, t: m.std_mean(t, 0)[0],
    lambda m, t: t.logsumexp(1), lambda m, t: t.cumprod(1), lambda m, t: t.prod(1),
    lambda m, t: t.prod(), lambda m, t: t.norm(3, dim=1), lambda m, t: t.norm(),
    lambda m, t: m.dist(t, t[:1] * 3), lambda m, t: t.cumsum(0) ** 2,
    lambda m, t: t.max(1)[0] ** 2, lambda m, t: t.sort(1)[0] ** 3, lambda m, t: t.amax(1) ** 2,
    lambda m, t: t.topk(2)[0] ** 2, lambda m, t: t.cummax(1)[0] ** 2,
    lambda m, t: t.quantile(0.3, 1) ** 2])
def test_double_backward(fn):
    double_grad(fn, rng.standard_normal((3, 4)))
    if "quantile" not in fn.__code__.co_names:  # torch's float64 sort orders ties by CPU
        double_grad(fn, np.array([[1., 0, 2, 0.5], [0, 0, 3, 1], [2, 1, 1, -2]]))


def test_strides_and_zero_dim():
    x = DATA["float32"]
    for f in [lambda m, t: t.permute(2, 0, 1).sum(1), lambda m, t: t.permute(2, 0, 1).sum(1, True),
              lambda m, t: t.transpose(0, 2).max(1), lambda m, t: t.transpose(0, 2).cumsum(1),
              lambda m, t: t.transpose(0, 2).std(0), lambda m, t: t.transpose(1, 2).cummax(0),
              lambda m, t: t.transpose(1, 2).median(1), lambda m, t: t.mT.logsumexp(1)]:
        check(f, x=x, grad=True)
    s = np.array(2.5)
    for f in [lambda m, t: t.sum(0), lambda m, t: t.sum(-1, True), lambda m, t: t.max(0),
              lambda m, t: t.argmax(0, True), lambda m, t: t.argmax(keepdim=True),
              lambda m, t: t.cumsum(0), lambda m, t: t.cumprod(-1), lambda m, t: t.cummax(0),
              lambda m, t: t.median(0), lambda m, t: t.mode(0), lambda m, t: t.logsumexp(0),
              lambda m, t: t.logsumexp(()), lambda m, t: t.prod(0), lambda m, t: t.amax(0),
              lambda m, t: m.aminmax(t, dim=0), lambda m, t: t.norm(dim=0), lambda m, t: t.all(0),
              lambda m, t: t.std(0) * 0]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(f, x=s, grad=True)


def test_empty():
    e = np.zeros((0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in [lambda m, t: t.sum(0), lambda m, t: t.prod(0), lambda m, t: t.mean(),
                  lambda m, t: t.mean(0), lambda m, t: t.std(), lambda m, t: t.var(1),
                  lambda m, t: t.logsumexp(0), lambda m, t: t.logsumexp(1), lambda m, t: t.norm(),
                  lambda m, t: t.cumsum(0), lambda m, t: t.cummax(0), lambda m, t: t.max(1),
                  lambda m, t: t.amax(1), lambda m, t: t.argmax(1), lambda m, t: t.median(),
                  lambda m, t: t.median(1), lambda m, t: t.mode(1), lambda m, t: t.all(),
                  lambda m, t: t.any(1), lambda m, t: m.aminmax(t, dim=1)]:
            check(f, x=e)


ERRORS = [
    lambda m, t: m.max(t[:0]), lambda m, t: m.min(t[:0]), lambda m, t: m.max(t[:0], 0),
    lambda m, t: m.amax(t[:0]), lambda m, t: m.amin(t[:0], 0), lambda m, t: m.argmax(t[:0]),
    lambda m, t: m.argmin(t[:0], 0), lambda m, t: m.aminmax(t[:0]),
    lambda m, t: m.aminmax(t[:0], dim=0), lambda m, t: m.median(t[:0], 0),
    lambda m, t: m.mode(t[:0], 0), lambda m, t: m.max(t, 2), lambda m, t: m.sum(t, 5),
    lambda m, t: m.sum(t, (0, -2)), lambda m, t: m.amax(t, (1, 1)),
    lambda m, t: m.mean(t.long()), lambda m, t: m.mean(t, dtype=m.int64),
    lambda m, t: m.nanmean(t.long()), lambda m, t: m.std(t.long()), lambda m, t: m.var(t.bool()),
    lambda m, t: m.argmax(t.bool()), lambda m, t: m.norm(t.long()),
    lambda m, t: m.dist(t.long(), t.long()), lambda m, t: m.dist(t, t[:, :1].T.repeat(1, 3)),
    lambda m, t: m.median(t.bool()), lambda m, t: m.median(t.bool(), 0),
    lambda m, t: m.logsumexp(t, ()), lambda m, t: m.norm(t[:0], float("inf")),
    lambda m, t: m.norm(t, "fro", (0, 1, 1)), lambda m, t: m.cumsum(t, 2),
    lambda m, t: m.cummax(t, -3), lambda m, t: m.prod(t, (0, 1)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    check(ERRORS[i], t=np.array([[1., 2], [3, 4]]), match=i < 30)


def test_axis_alias():
    x = DATA["float64"]
    for f in [lambda m, t: m.sum(t, axis=1), lambda m, t: t.mean(axis=(0, 2), keepdim=True),
              lambda m, t: m.max(t, axis=0), lambda m, t: t.std(axis=1),
              lambda m, t: t.amax(axis=2),
              lambda m, t: m.argmax(t, axis=1), lambda m, t: t.cumsum(axis=0),
              lambda m, t: m.all(t, axis=1), lambda m, t: t.median(axis=1),
              lambda m, t: m.logsumexp(t, axis=2), lambda m, t: t.sort(axis=0),
              lambda m, t: t.topk(2, axis=0), lambda m, t: m.quantile(t, 0.5, axis=1)]:
        check(f, x=x, grad=True)


def test_out_and_inplace():
    for m in (torch, ember):
        o = m.empty(0)
        r = m.sum(m.tensor([[1., 2], [3, 4]]), 1, out=o)
        assert r is o and o.tolist() == [3., 7.]
        t = m.tensor([1., 2, 3])
        t.cumsum_(0)
        assert t.tolist() == [1., 3., 6.]
