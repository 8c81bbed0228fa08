"""Further ember.distributions families against torch.distributions: values, gradients,
shapes, reprs, validation errors, seeded samples (where torch's draws are replayable) and
sample statistics (where torch uses its own rejection samplers)."""

import numpy as np
import pytest

from tests.parity import check, same_repr, to_numpy

torch = pytest.importorskip("torch")
import ember  # noqa: E402
import ember.distributions  # noqa: E402
import torch.distributions  # noqa: E402

rng = np.random.default_rng(1)
LOC = rng.standard_normal((3, 4)).astype(np.float32)
SCALE = (rng.random((3, 4)) + 0.3).astype(np.float32)
POS = (rng.random((3, 4)) * 3 + 0.2).astype(np.float32)
POS2 = (rng.random((3, 4)) * 3 + 0.2).astype(np.float32)
X = rng.standard_normal((3, 4)).astype(np.float32)
XPOS = (rng.random((3, 4)) * 2 + 0.05).astype(np.float32)
U01 = (rng.random((3, 4)) * 0.9 + 0.05).astype(np.float32)
CONC = (rng.random((3, 5)) * 3 + 0.3).astype(np.float32)
CONC2 = (rng.random((3, 5)) * 3 + 0.3).astype(np.float32)
SIMPLEX = (CONC / CONC.sum(-1, keepdims=True)).astype(np.float32)
COUNTS = rng.integers(0, 6, (3, 4)).astype(np.float32)
A = rng.standard_normal((2, 3, 3))
COV = (A @ A.transpose(0, 2, 1) + 3 * np.eye(3)).astype(np.float32)
B = rng.standard_normal((3, 3))
COV2 = (B @ B.T + 2 * np.eye(3)).astype(np.float32)
MLOC = rng.standard_normal((2, 3)).astype(np.float32)
MX = rng.standard_normal((4, 2, 3)).astype(np.float32)


def D(m):
    return m.distributions


def check_msg(fn, **inputs):
    errs = []
    for m in (torch, ember):
        args = {k: m.tensor(v) if isinstance(v, np.ndarray) else v for k, v in inputs.items()}
        with pytest.raises(Exception) as info:
            fn(m, **args)
        errs.append(info.value)
    assert type(errs[0]).__name__ == type(errs[1]).__name__
    assert str(errs[1]).replace("ember.", "torch.") == str(errs[0])


def seeded(fn, seed=0):
    out = []
    for m in (torch, ember):
        m.manual_seed(seed)
        out.append(fn(m))
    return out


# (constructor, value array, stats) per family: values of log_prob etc. vs torch
FAMILIES = {
    "Exponential": (lambda m, a, b: D(m).Exponential(a), XPOS),
    "Laplace": (lambda m, a, b: D(m).Laplace(LOCT(m, a), b), X),
    "Cauchy": (lambda m, a, b: D(m).Cauchy(LOCT(m, a), b), X),
    "Gumbel": (lambda m, a, b: D(m).Gumbel(LOCT(m, a), b), X),
    "LogNormal": (lambda m, a, b: D(m).LogNormal(LOCT(m, a), b), XPOS),
    "Gamma": (lambda m, a, b: D(m).Gamma(a, b), XPOS),
    "Beta": (lambda m, a, b: D(m).Beta(a, b), U01),
    "StudentT": (lambda m, a, b: D(m).StudentT(a + 0.5, LOCT(m, b), b), X),
    "Chi2": (lambda m, a, b: D(m).Chi2(a), XPOS),
    "Poisson": (lambda m, a, b: D(m).Poisson(a), COUNTS),
    "Geometric": (lambda m, a, b: D(m).Geometric(a / 4), COUNTS),
    "Binomial": (lambda m, a, b: D(m).Binomial(5, a / 4), COUNTS),
    "BinomialLogits": (lambda m, a, b: D(m).Binomial(m.tensor(COUNTS) + 2, logits=a - 1),
                       COUNTS),
}


def LOCT(m, a):
    return a - 1.5  # a real-valued location from a positive parameter


@pytest.mark.parametrize("name", list(FAMILIES))
def test_log_prob_and_moments(name):
    make, value = FAMILIES[name]
    # ember's xlogy gives 0 where torch gives log(y) as d xlogy(x, y) / dx at x = 0
    keep = (lambda v: v.detach()) if name == "Poisson" else (lambda v: v)
    check(lambda m, a, b, v: make(m, a, b).log_prob(keep(v)), a=POS, b=POS2, v=value,
          grad=True, rtol=2e-5, atol=1e-5)
    for attr in ["mean", "variance", "stddev", "mode"]:
        check(lambda m, a, b: getattr(make(m, a, b), attr), a=POS, b=POS2, grad=True,
              rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in FAMILIES if n not in ("Poisson",)])
def test_entropy(name):
    make, _ = FAMILIES[name]
    check(lambda m, a, b: make(m, a, b).entropy(), a=POS, b=POS2, grad=True, rtol=2e-5,
          atol=1e-5)


@pytest.mark.parametrize("name", ["Exponential", "Laplace", "Cauchy", "Gumbel", "LogNormal",
                                  "Gamma"])
def test_cdf_icdf(name):
    make, value = FAMILIES[name]
    # torch has no derivative of gammainc w.r.t. its first argument
    first = (lambda a: a.detach()) if name == "Gamma" else (lambda a: a)
    check(lambda m, a, b, v: make(m, first(a), b).cdf(v), a=POS, b=POS2, v=value, grad=True,
          rtol=1e-4, atol=1e-5)
    if name != "Gamma":
        check(lambda m, a, b, u: make(m, a, b).icdf(u), a=POS, b=POS2, u=U01, grad=True,
              rtol=1e-4, atol=1e-5)
    else:
        check(lambda m, a, b, u: make(m, a, b).icdf(u), a=POS, b=POS2, u=U01)


def test_dirichlet_values():
    check(lambda m, c, v: D(m).Dirichlet(c).log_prob(v), c=CONC, v=SIMPLEX, grad=True)
    check(lambda m, c: (D(m).Dirichlet(c).entropy(), D(m).Dirichlet(c).mean,
                        D(m).Dirichlet(c).variance), c=CONC, grad=True, rtol=2e-5)
    check(lambda m, c: D(m).Dirichlet(c).mode,
          c=np.array([[0.5, 0.3, 0.9], [2.0, 3.0, 1.5]], np.float32))


def test_one_hot_categorical():
    probs = SIMPLEX
    v = np.eye(5, dtype=np.float32)[[0, 3, 2]]
    for kw in ("probs", "logits"):
        arr = probs if kw == "probs" else np.log(probs)
        check(lambda m, a, v: D(m).OneHotCategorical(**{kw: a}).log_prob(v), a=arr, v=v,
              grad=True)
        check(lambda m, a: (D(m).OneHotCategorical(**{kw: a}).entropy(),
                            D(m).OneHotCategorical(**{kw: a}).mean,
                            D(m).OneHotCategorical(**{kw: a}).variance,
                            D(m).OneHotCategorical(**{kw: a}).mode), a=arr, grad=True)
    check(lambda m, a: D(m).OneHotCategorical(a).enumerate_support(), a=probs)
    t, e = seeded(lambda m: D(m).OneHotCategorical(m.tensor(probs)).sample((4,)), seed=3)
    assert e.dtype is ember.float32
    np.testing.assert_array_equal(to_numpy(e), to_numpy(t))


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_mvn_values(param):
    def mat(m, c):
        if param == "covariance_matrix":
            return c
        if param == "precision_matrix":
            return m.linalg.inv(c)
        return m.linalg.cholesky(c)

    def make(m, loc, c):
        return D(m).MultivariateNormal(loc, **{param: mat(m, c)})
    check(lambda m, loc, c, x: make(m, loc, c).log_prob(x), loc=MLOC, c=COV, x=MX, grad=True,
          rtol=1e-4, atol=1e-4)
    check(lambda m, loc, c: (make(m, loc, c).entropy(), make(m, loc, c).variance,
                             make(m, loc, c).mean), loc=MLOC, c=COV, grad=True, rtol=1e-4,
          atol=1e-4)
    check(lambda m, loc, c: (make(m, loc, c).covariance_matrix, make(m, loc, c).scale_tril,
                             make(m, loc, c).precision_matrix), loc=MLOC, c=COV, grad=True,
          rtol=1e-4, atol=1e-4, check_stride=False)
    # an unbatched covariance shared by a batch of locations
    check(lambda m, loc, c, x: D(m).MultivariateNormal(loc, **{param: mat(m, c)}).log_prob(x),
          loc=MLOC, c=COV2, x=MX, grad=True, rtol=1e-4, atol=1e-4)


def test_mvn_rsample_matches_seed_and_grads():
    def fn(m):
        loc = m.tensor(MLOC, requires_grad=True)
        c = m.tensor(COV, requires_grad=True)
        s = D(m).MultivariateNormal(loc, c).rsample((5,))
        (s * s).sum().backward()
        return s, loc.grad, c.grad
    t, e = seeded(fn, seed=4)
    assert tuple(e[0].shape) == (5, 2, 3)
    for a, b in zip(t, e):
        np.testing.assert_allclose(to_numpy(b), to_numpy(a), rtol=1e-4, atol=1e-4)


def test_independent():
    def make(m, loc, scale):
        return D(m).Independent(D(m).Normal(loc, scale), 1)
    check(lambda m, loc, scale, x: make(m, loc, scale).log_prob(x), loc=LOC, scale=SCALE, x=X,
          grad=True)
    check(lambda m, loc, scale: (make(m, loc, scale).entropy(), make(m, loc, scale).mean,
                                 make(m, loc, scale).variance), loc=LOC, scale=SCALE, grad=True)
    for m in (torch, ember):
        d = make(m, m.zeros(2, 3), m.ones(2, 3))
        assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3,)
        assert d.has_rsample and not d.has_enumerate_support
        assert tuple(d.expand((4, 2)).sample((5,)).shape) == (5, 4, 2, 3)
    t, e = seeded(lambda m: make(m, m.tensor(LOC), m.tensor(SCALE)).rsample((2,)), seed=9)
    np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=1e-6, atol=1e-6)


# ---- samples that replay torch's stream ---------------------------------------------

REPLAYED = {
    "Exponential": lambda m, a, b: D(m).Exponential(a),
    "Laplace": lambda m, a, b: D(m).Laplace(a - 1.5, b),
    "Cauchy": lambda m, a, b: D(m).Cauchy(a - 1.5, b),
    "Gumbel": lambda m, a, b: D(m).Gumbel(a - 1.5, b),
    "LogNormal": lambda m, a, b: D(m).LogNormal(a - 1.5, b),
}


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 7)])
@pytest.mark.parametrize("name", list(REPLAYED))
def test_rsample_matches_seed(name, sample_shape):
    def fn(m):
        a = m.tensor(POS, requires_grad=True)
        b = m.tensor(POS2, requires_grad=True)
        s = REPLAYED[name](m, a, b).rsample(sample_shape)
        s.sum().backward()
        return s, a.grad, b.grad
    t, e = seeded(fn, seed=5)
    assert tuple(e[0].shape) == tuple(t[0].shape) == sample_shape + (3, 4)
    assert e[0].grad_fn.name() == t[0].grad_fn.name()
    for a, b in zip(t, e):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(to_numpy(b), to_numpy(a), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["Exponential", "Laplace", "Cauchy", "Gumbel", "LogNormal"])
def test_scalar_params_sample_matches_seed(name):
    make = {"Exponential": lambda m: D(m).Exponential(2.0)}.get(
        name, lambda m: getattr(D(m), name)(0.5, 2.0))
    t, e = seeded(lambda m: make(m).sample((20,)), seed=6)
    assert e.dtype is ember.float32 and not e.requires_grad
    np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_discrete_samples_match_seed(dtype):
    rate = (POS * 5).astype(dtype)
    t, e = seeded(lambda m: D(m).Poisson(m.tensor(rate)).sample((3,)), seed=2)
    np.testing.assert_array_equal(to_numpy(e), to_numpy(t))
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    t, e = seeded(lambda m: D(m).Geometric(m.tensor(U01.astype(dtype))).sample((3,)), seed=2)
    np.testing.assert_array_equal(to_numpy(e), to_numpy(t))


# ---- samplers of their own: distribution statistics --------------------------------

N = 20000


def _moments(d, n=N):
    s = to_numpy(d.sample((n,))).astype(np.float64)
    return s, s.mean(0), s.var(0)


@pytest.mark.parametrize("conc", [0.3, 1.0, 4.5, 50.0])
def test_gamma_sample_statistics(conc):
    d = ember.distributions.Gamma(ember.tensor([conc, conc]), ember.tensor([1.0, 3.0]))
    s, mean, var = _moments(d)
    m = np.array([conc, conc / 3])
    v = np.array([conc, conc / 9])
    assert (np.abs(mean - m) < 5 * np.sqrt(v / N)).all(), (mean, m)
    np.testing.assert_allclose(var, v, rtol=0.1)
    assert (s > 0).all()


def test_beta_dirichlet_binomial_studentt_statistics():
    ember.manual_seed(0)
    c = np.array([0.5, 2.0, 7.0], np.float32)
    s, mean, var = _moments(ember.distributions.Dirichlet(ember.tensor(c)))
    np.testing.assert_allclose(s.sum(-1), 1, rtol=1e-5)
    a0 = c.sum()
    np.testing.assert_allclose(mean, c / a0, atol=0.01)
    np.testing.assert_allclose(var, c * (a0 - c) / (a0 ** 2 * (a0 + 1)), rtol=0.1)
    s, mean, var = _moments(ember.distributions.Beta(ember.tensor([0.4, 3.0]),
                                                     ember.tensor([0.7, 2.0])))
    np.testing.assert_allclose(mean, [0.4 / 1.1, 0.6], atol=0.01)
    n = np.array([3.0, 20.0, 200.0, 1000.0], np.float32)
    p = np.array([0.3, 0.6, 0.2, 0.97], np.float32)
    s, mean, var = _moments(ember.distributions.Binomial(ember.tensor(n), ember.tensor(p)))
    assert (s == np.round(s)).all() and (s >= 0).all() and (s <= n).all()
    np.testing.assert_allclose(mean, n * p, rtol=0.01)
    np.testing.assert_allclose(var, n * p * (1 - p), rtol=0.08)
    s, mean, var = _moments(ember.distributions.StudentT(ember.tensor([5.0, 30.0])))
    np.testing.assert_allclose(var, [5 / 3, 30 / 28], rtol=0.15)
    # the same seed gives the same draws
    ember.manual_seed(3)
    a = ember.distributions.Gamma(ember.tensor(c), 1.0).sample((4,))
    ember.manual_seed(3)
    b = ember.distributions.Gamma(ember.tensor(c), 1.0).sample((4,))
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_implicit_reparam_gradients_match_torch():
    alpha = np.array([0.2, 0.9, 1.0, 3.5, 12.0, 40.0], np.float64)
    for m in (ember,):
        a = m.tensor(alpha, requires_grad=True)
        x = D(m).Gamma(a, 1.0).rsample((50,))
        x.sum().backward()
    # torch's own implicit derivative at ember's samples
    xt = torch.tensor(to_numpy(x))
    expected = torch._standard_gamma_grad(torch.tensor(alpha).expand_as(xt), xt).sum(0)
    np.testing.assert_allclose(to_numpy(a.grad), expected.numpy(), rtol=2e-3)
    assert x.grad_fn.name() == "DivBackward0"
    assert x.grad_fn.next_functions[0][0].name() == "StandardGammaBackward0"
    # Dirichlet (and Beta through it)
    c = np.array([[0.4, 1.3, 5.0], [2.0, 2.0, 9.0]], np.float64)
    ce = ember.tensor(c, requires_grad=True)
    w = np.arange(3.0)
    xe = ember.distributions.Dirichlet(ce).rsample((40,))
    (xe * ember.tensor(w)).sum().backward()
    xt = torch.tensor(to_numpy(xe))
    ct = torch.tensor(c).expand_as(xt)
    total = ct.sum(-1, True).expand_as(ct)
    g = torch._dirichlet_grad(xt, ct, total)
    gout = torch.tensor(w).expand_as(xt)
    expected = (g * (gout - (xt * gout).sum(-1, True))).sum(0)
    np.testing.assert_allclose(to_numpy(ce.grad), expected.numpy(), rtol=5e-3, atol=1e-5)
    assert xe.grad_fn.name() == "_DirichletBackward"
    b = ember.distributions.Beta(ember.tensor([0.5, 2.0], requires_grad=True), 1.0).rsample()
    assert b.grad_fn.name() == "SelectBackward0"


def test_gamma_sample_gradcheck_of_log_prob():
    a = ember.tensor(POS.astype(np.float64), requires_grad=True)
    b = ember.tensor(POS2.astype(np.float64), requires_grad=True)
    x = ember.tensor(XPOS.astype(np.float64))
    assert ember.autograd.gradcheck(
        lambda a, b: ember.distributions.Gamma(a, b).log_prob(x), (a, b))
    assert ember.autograd.gradcheck(
        lambda a, b: ember.distributions.Beta(a, b).entropy(), (a, b))


# ---- shapes, expand, repr ------------------------------------------------------------

def _all(m):
    d = D(m)
    z, o = m.zeros(2, 3), m.ones(2, 3)
    return [d.Exponential(o), d.Laplace(z, o), d.Cauchy(z, o), d.Gumbel(z, o),
            d.LogNormal(z, o), d.Gamma(o, o), d.Beta(o, o), d.Chi2(o), d.StudentT(o),
            d.Dirichlet(o), d.Poisson(o), d.Binomial(4, o / 2), d.Geometric(o / 2),
            d.OneHotCategorical(o), d.MultivariateNormal(z, m.eye(3)),
            d.Independent(d.Normal(z, o), 1)]


def test_shapes_expand_support_repr():
    for td, ed in zip(_all(torch), _all(ember)):
        name = type(td).__name__
        assert type(ed).__name__ == name
        assert tuple(td.batch_shape) == tuple(ed.batch_shape), name
        assert tuple(td.event_shape) == tuple(ed.event_shape), name
        assert td.has_rsample == ed.has_rsample, name
        assert td.has_enumerate_support == ed.has_enumerate_support, name
        same_repr(td, ed)
        same_repr(td.support, ed.support)
        assert sorted(td.arg_constraints) == sorted(ed.arg_constraints), name
        for k in td.arg_constraints:
            same_repr(td.arg_constraints[k], ed.arg_constraints[k])
        big = (4,) + tuple(td.batch_shape)
        te, ee = td.expand(big), ed.expand(big)
        assert tuple(te.batch_shape) == tuple(ee.batch_shape) == big
        assert tuple(te.sample((2,)).shape) == tuple(ee.sample((2,)).shape), name
        assert isinstance(ee.batch_shape, ember.Size)


def test_scalar_reprs():
    for fn in [lambda m: D(m).Exponential(2.0), lambda m: D(m).Laplace(0.0, 1.0),
               lambda m: D(m).Gamma(2.0, 3.0), lambda m: D(m).Beta(0.5, 1.0),
               lambda m: D(m).Poisson(3.0), lambda m: D(m).Geometric(0.3),
               lambda m: D(m).Gumbel(1.0, 2.0), lambda m: D(m).LogNormal(0.0, 1.0),
               lambda m: D(m).StudentT(3.0), lambda m: D(m).Cauchy(0.0, 1.0),
               lambda m: D(m).Binomial(10, m.tensor(0.5)),
               lambda m: D(m).MultivariateNormal(m.zeros(2), scale_tril=m.eye(2))]:
        same_repr(fn(torch), fn(ember))
    for td, ed in zip(_all(torch), _all(ember)):
        assert type(td).__name__ == type(ed).__name__


# ---- validation --------------------------------------------------------------------

def test_validate_args_messages():
    neg = np.array([1.0, -1.0], np.float32)
    check_msg(lambda m, r: D(m).Exponential(r), r=neg)
    check_msg(lambda m, s: D(m).Laplace(0.0, s), s=neg)
    check_msg(lambda m, s: D(m).Cauchy(m.zeros(2), s), s=neg)
    check_msg(lambda m, s: D(m).Gamma(s, 1.0), s=neg)
    check_msg(lambda m, s: D(m).Beta(s, 1.0), s=neg)
    check_msg(lambda m, s: D(m).Dirichlet(s), s=neg)
    check_msg(lambda m: D(m).Dirichlet(m.tensor(1.0)))
    check_msg(lambda m, s: D(m).Poisson(s), s=neg)
    check_msg(lambda m, s: D(m).Geometric(s), s=np.array([0.5, 0.0], np.float32))
    check_msg(lambda m, s: D(m).Geometric(s), s=np.array([0.5, 1.5], np.float32))
    check_msg(lambda m: D(m).Geometric())
    check_msg(lambda m, s: D(m).Binomial(m.tensor([2.0, 2.5]), s),
              s=np.array([0.5, 0.5], np.float32))
    check_msg(lambda m: D(m).Binomial(3))
    check_msg(lambda m, s: D(m).StudentT(s), s=neg)
    check_msg(lambda m, s: D(m).LogNormal(0.0, s), s=neg)
    check_msg(lambda m, s: D(m).Gumbel(0.0, s), s=neg)
    check_msg(lambda m, p: D(m).OneHotCategorical(p), p=neg)
    check_msg(lambda m: D(m).MultivariateNormal(m.zeros(2)))
    check_msg(lambda m: D(m).MultivariateNormal(m.zeros(2), m.eye(2), scale_tril=m.eye(2)))
    check_msg(lambda m: D(m).MultivariateNormal(m.tensor(0.0), m.eye(2)))
    check_msg(lambda m: D(m).MultivariateNormal(m.zeros(2), m.ones(2)))
    check_msg(lambda m: D(m).MultivariateNormal(m.zeros(2), scale_tril=m.ones(2)))
    check_msg(lambda m: D(m).MultivariateNormal(m.zeros(2), precision_matrix=m.ones(2)))
    check_msg(lambda m: D(m).MultivariateNormal(m.zeros(2), m.tensor([[1.0, 2.0], [2.0, 1.0]])))
    check_msg(lambda m: D(m).MultivariateNormal(m.zeros(2), scale_tril=m.ones(2, 2)))
    check_msg(lambda m: D(m).Independent(D(m).Normal(m.zeros(2), 1.0), 2))


def test_validate_sample_messages():
    check_msg(lambda m, v: D(m).Exponential(1.0).log_prob(v), v=np.array([-1.0], np.float32))
    check_msg(lambda m, v: D(m).Poisson(2.0).log_prob(v), v=np.array([1.5], np.float32))
    check_msg(lambda m, v: D(m).Beta(1.0, 2.0).log_prob(v), v=np.array([1.5], np.float32))
    check_msg(lambda m, v: D(m).Binomial(3, m.tensor(0.5)).log_prob(v),
              v=np.array([4.0], np.float32))
    check_msg(lambda m, v: D(m).Dirichlet(m.ones(3)).log_prob(v),
              v=np.array([0.5, 0.6, 0.1], np.float32))
    check_msg(lambda m, v: D(m).OneHotCategorical(m.ones(3)).log_prob(v),
              v=np.array([1.0, 1.0, 0.0], np.float32))
    check_msg(lambda m, v: D(m).MultivariateNormal(m.zeros(2), m.eye(2)).log_prob(v),
              v=np.zeros(3, np.float32))
    check_msg(lambda m, v: D(m).LogNormal(0.0, 1.0).log_prob(v), v=np.array([-1.0], np.float32))


# ---- kl_divergence -------------------------------------------------------------------

KL = {
    "Exponential": lambda m, a, b: D(m).Exponential(a),
    "Gamma": lambda m, a, b: D(m).Gamma(a, b),
    "Beta": lambda m, a, b: D(m).Beta(a, b),
    "Poisson": lambda m, a, b: D(m).Poisson(a),
    "Laplace": lambda m, a, b: D(m).Laplace(a - 1.5, b),
    "Cauchy": lambda m, a, b: D(m).Cauchy(a - 1.5, b),
    "Gumbel": lambda m, a, b: D(m).Gumbel(a - 1.5, b),
    "LogNormal": lambda m, a, b: D(m).LogNormal(a - 1.5, b),
    "Geometric": lambda m, a, b: D(m).Geometric(a / 4),
    "Binomial": lambda m, a, b: D(m).Binomial(5, a / 4),
    "Independent": lambda m, a, b: D(m).Independent(D(m).Normal(a, b), 1),
}


@pytest.mark.parametrize("name", list(KL))
def test_kl_pairs(name):
    make = KL[name]
    check(lambda m, a, b, c, d: D(m).kl_divergence(make(m, a, b), make(m, c, d)),
          a=POS, b=POS2, c=POS2, d=POS, grad=True, rtol=2e-5, atol=1e-5)


def test_kl_multivariate():
    check(lambda m, a, b: D(m).kl_divergence(D(m).Dirichlet(a), D(m).Dirichlet(b)),
          a=CONC, b=CONC2, grad=True, rtol=2e-5, atol=1e-5)
    check(lambda m, a, b: D(m).kl_divergence(D(m).OneHotCategorical(a),
                                              D(m).OneHotCategorical(logits=b)),
          a=SIMPLEX, b=CONC2, grad=True)
    check(lambda m, l1, c1, l2, c2: D(m).kl_divergence(D(m).MultivariateNormal(l1, c1),
                                                        D(m).MultivariateNormal(l2, c2)),
          l1=MLOC, c1=COV, l2=MLOC[::-1].copy(), c2=COV2, grad=True, rtol=1e-4, atol=1e-4)
    check(lambda m, a: D(m).kl_divergence(D(m).Binomial(5, a / 4), D(m).Binomial(3, a / 5)),
          a=POS)
    check_msg(lambda m: D(m).kl_divergence(D(m).Binomial(3, m.tensor(0.5)),
                                           D(m).Binomial(5, m.tensor(0.5))))
    check_msg(lambda m: D(m).kl_divergence(D(m).Laplace(0.0, 1.0), D(m).Cauchy(0.0, 1.0)))
