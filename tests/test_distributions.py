"""ember.distributions against torch.distributions: values, gradients, seeded samples,
validation errors and reprs."""
import math

import numpy as np
import pytest

from tests.parity import check, same_repr, to_numpy

torch = pytest.importorskip("torch")
import ember  # noqa: E402
import ember.distributions  # noqa: E402
import torch.distributions  # noqa: E402

rng = np.random.default_rng(0)
LOC = rng.standard_normal((3, 4)).astype(np.float32)
SCALE = (rng.random((3, 4)) + 0.2).astype(np.float32)
X = rng.standard_normal((3, 4)).astype(np.float32)
LOGITS = rng.standard_normal((3, 5)).astype(np.float32)
PROBS = (rng.random((3, 5)) + 0.05).astype(np.float32)
P01 = (rng.random((3, 4)) * 0.9 + 0.05).astype(np.float32)
LOW = rng.standard_normal((3, 4)).astype(np.float32)
HIGH = LOW + (rng.random((3, 4)) + 0.5).astype(np.float32)


def D(m):
    return m.distributions


def torch_text(e):
    return str(e).replace("ember.", "torch.")


def check_msg(fn, **inputs):
    """Both raise the same type with the same text (``ember.`` read as ``torch.``)."""
    errs = []
    for m in (torch, ember):
        args = {k: m.tensor(v) if isinstance(v, np.ndarray) else v for k, v in inputs.items()}
        with pytest.raises(Exception) as info:
            fn(m, **args)
        errs.append(info.value)
    assert type(errs[0]).__name__ == type(errs[1]).__name__
    assert torch_text(errs[1]) == str(errs[0])


def seeded(fn, seed=0):
    out = []
    for m in (torch, ember):
        m.manual_seed(seed)
        out.append(fn(m))
    return out


# ---- Normal ----------------------------------------------------------------

@pytest.mark.parametrize("attr", ["mean", "variance", "stddev", "mode"])
def test_normal_moments(attr):
    check(lambda m, loc, scale: getattr(D(m).Normal(loc, scale), attr),
          loc=LOC, scale=SCALE, grad=True)


def test_normal_log_prob_entropy_cdf_grad():
    check(lambda m, loc, scale, x: D(m).Normal(loc, scale).log_prob(x), loc=LOC, scale=SCALE,
          x=X, grad=True)
    check(lambda m, loc, scale: D(m).Normal(loc, scale).entropy(), loc=LOC, scale=SCALE,
          grad=True)
    check(lambda m, loc, scale, x: D(m).Normal(loc, scale).cdf(x), loc=LOC, scale=SCALE, x=X,
          grad=True)
    check(lambda m, loc, scale, x: D(m).Normal(loc, scale).icdf(m.sigmoid(x)), loc=LOC,
          scale=SCALE, x=X, grad=True, rtol=1e-4, atol=1e-5)


def test_normal_scalar_params_and_broadcast():
    check(lambda m, x: D(m).Normal(0.5, 2.0).log_prob(x), x=X, grad=True)
    check(lambda m, loc, x: D(m).Normal(loc[0], 1.5).log_prob(x), loc=LOC, x=X, grad=True)
    t, e = D(torch).Normal(0.5, 2.0), D(ember).Normal(0.5, 2.0)
    assert tuple(e.batch_shape) == tuple(t.batch_shape) == ()
    assert e.loc.dtype is ember.float32


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3), (20,)])
@pytest.mark.parametrize("method", ["sample", "rsample"])
def test_normal_samples_match_seed(sample_shape, method):
    def fn(m):
        d = D(m).Normal(m.tensor(LOC), m.tensor(SCALE))
        return getattr(d, method)(sample_shape)
    t, e = seeded(fn)
    assert tuple(e.shape) == tuple(t.shape) == sample_shape + (3, 4)
    np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=1e-6, atol=1e-6)


def test_normal_rsample_grad_and_scalar_sample():
    def fn(m):
        loc = m.tensor(LOC, requires_grad=True)
        scale = m.tensor(SCALE, requires_grad=True)
        s = D(m).Normal(loc, scale).rsample((2,))
        (s * s).sum().backward()
        return s, loc.grad, scale.grad
    t, e = seeded(fn, seed=3)
    for a, b in zip(t, e):
        np.testing.assert_allclose(to_numpy(b), to_numpy(a), rtol=1e-5, atol=1e-5)
    assert e[0].grad_fn.name() == t[0].grad_fn.name()
    t, e = seeded(lambda m: D(m).Normal(0.0, 1.0).sample((7,)), seed=5)
    np.testing.assert_array_equal(to_numpy(e), to_numpy(t))
    t, e = seeded(lambda m: D(m).Normal(m.tensor(LOC, requires_grad=True), 1.0).sample())
    assert not e.requires_grad and not t.requires_grad


def test_normal_float64_gradcheck():
    loc = ember.tensor(LOC.astype(np.float64), requires_grad=True)
    scale = ember.tensor(SCALE.astype(np.float64), requires_grad=True)
    x = ember.tensor(X.astype(np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a, b, c: ember.distributions.Normal(a, b).log_prob(c), (loc, scale, x))


# ---- Categorical -----------------------------------------------------------

def test_categorical_probs_logits_normalised():
    check(lambda m, p: (D(m).Categorical(probs=p).probs, D(m).Categorical(probs=p).logits),
          p=PROBS, grad=True)
    check(lambda m, lg: (D(m).Categorical(logits=lg).logits,
                         D(m).Categorical(logits=lg).probs), lg=LOGITS, grad=True)


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_categorical_log_prob_entropy(param):
    arr = PROBS if param == "probs" else LOGITS
    v = np.array([0, 4, 2])
    check(lambda m, a, v: D(m).Categorical(**{param: a}).log_prob(v), a=arr, v=v, grad=True)
    check(lambda m, a, v: D(m).Categorical(**{param: a}).log_prob(v), a=arr,
          v=np.array([[0, 4, 2], [1, 1, 3]]), grad=True)
    check(lambda m, a: D(m).Categorical(**{param: a}).entropy(), a=arr, grad=True)
    check(lambda m, a: D(m).Categorical(**{param: a}).perplexity(), a=arr, grad=True)
    check(lambda m, a: (D(m).Categorical(**{param: a}).mean,
                        D(m).Categorical(**{param: a}).variance,
                        D(m).Categorical(**{param: a}).mode,
                        D(m).Categorical(**{param: a}).enumerate_support()), a=arr)


def test_categorical_entropy_with_zero_prob():
    check(lambda m, p: D(m).Categorical(probs=p).entropy(),
          p=np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], np.float32), grad=True)


@pytest.mark.parametrize("sample_shape", [(), (1,), (6,), (2, 3)])
@pytest.mark.parametrize("param", ["probs", "logits", "probs1d"])
def test_categorical_samples_match_seed(sample_shape, param):
    def fn(m):
        if param == "probs1d":
            d = D(m).Categorical(probs=m.tensor(PROBS[0]))
        else:
            d = D(m).Categorical(**{param: m.tensor(PROBS if param == "probs" else LOGITS)})
        return d.sample(sample_shape)
    t, e = seeded(fn, seed=11)
    assert e.dtype is ember.int64
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(to_numpy(e), to_numpy(t))


# ---- Bernoulli -------------------------------------------------------------

@pytest.mark.parametrize("param", ["probs", "logits"])
def test_bernoulli_values_and_grads(param):
    arr = P01 if param == "probs" else X
    value = (rng.random((3, 4)) > 0.5).astype(np.float32)
    check(lambda m, a, v: D(m).Bernoulli(**{param: a}).log_prob(v), a=arr, v=value, grad=True)
    check(lambda m, a: D(m).Bernoulli(**{param: a}).entropy(), a=arr, grad=True)
    check(lambda m, a: (D(m).Bernoulli(**{param: a}).mean,
                        D(m).Bernoulli(**{param: a}).variance,
                        D(m).Bernoulli(**{param: a}).stddev), a=arr, grad=True)
    check(lambda m, a: D(m).Bernoulli(**{param: a}).enumerate_support(), a=arr)


def test_bernoulli_scalar_and_mode():
    check(lambda m, v: D(m).Bernoulli(0.3).log_prob(v), v=np.array([0.0, 1.0], np.float32))
    check(lambda m, p: D(m).Bernoulli(p).mode, p=np.array([0.2, 0.5, 0.9], np.float32))


@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 5)])
def test_bernoulli_samples_match_seed(sample_shape):
    t, e = seeded(lambda m: D(m).Bernoulli(logits=m.tensor(X)).sample(sample_shape), seed=7)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(to_numpy(e), to_numpy(t))


# ---- Uniform ---------------------------------------------------------------

def test_uniform_values_and_grads():
    x = np.concatenate([LOW[:1] - 1, (LOW[1:] + HIGH[1:]) / 2])  # first row outside
    check(lambda m, lo, hi, x: D(m).Uniform(lo, hi, validate_args=False).log_prob(x),
          lo=LOW, hi=HIGH, x=x, grad=True)
    check(lambda m, lo, hi: (D(m).Uniform(lo, hi).entropy(), D(m).Uniform(lo, hi).mean,
                             D(m).Uniform(lo, hi).variance, D(m).Uniform(lo, hi).stddev),
          lo=LOW, hi=HIGH, grad=True)
    check(lambda m, lo, hi, x: D(m).Uniform(lo, hi).cdf(x), lo=LOW, hi=HIGH, x=x, grad=True)


@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 2)])
def test_uniform_rsample_match_seed(sample_shape):
    def fn(m):
        lo = m.tensor(LOW, requires_grad=True)
        s = D(m).Uniform(lo, m.tensor(HIGH)).rsample(sample_shape)
        s.sum().backward()
        return s, lo.grad
    t, e = seeded(fn, seed=2)
    for a, b in zip(t, e):
        np.testing.assert_allclose(to_numpy(b), to_numpy(a), rtol=1e-6, atol=1e-6)
    t, e = seeded(lambda m: D(m).Uniform(0.0, 2.0).sample((5,)))
    np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=1e-6)


# ---- shapes, expand, repr --------------------------------------------------

def test_shapes_and_expand():
    for m in (torch, ember):
        n = D(m).Normal(m.zeros(3), 1.0).expand((2, 3))
        assert tuple(n.batch_shape) == (2, 3) and tuple(n.event_shape) == ()
        assert tuple(n.sample((4,)).shape) == (4, 2, 3)
        c = D(m).Categorical(logits=m.zeros(5)).expand((2,))
        assert tuple(c.batch_shape) == (2,) and tuple(c.sample().shape) == (2,)
        assert isinstance(n.batch_shape, m.Size)


def test_repr():
    for fn in [lambda m: D(m).Normal(m.zeros(2), m.ones(2)),
               lambda m: D(m).Normal(0.0, 1.0),
               lambda m: D(m).Categorical(m.ones(3)),
               lambda m: D(m).Categorical(m.ones(1)),
               lambda m: D(m).Categorical(logits=m.zeros(2, 4)),
               lambda m: D(m).Bernoulli(0.3),
               lambda m: D(m).Bernoulli(logits=m.zeros(2, 2)),
               lambda m: D(m).Uniform(0.0, 1.0),
               lambda m: D(m).Uniform(m.zeros(2), 1.0)]:
        same_repr(fn(torch), fn(ember))
    c = [D(m).Categorical(logits=m.zeros(2, 4)) for m in (torch, ember)]
    for d in c:
        d.probs  # caching probs adds it to the repr, as in torch
    same_repr(*c)
    for name in ["real", "positive", "simplex", "real_vector", "unit_interval", "boolean"]:
        same_repr(getattr(torch.distributions.constraints, name),
                  getattr(ember.distributions.constraints, name))


# ---- validation ------------------------------------------------------------

def test_validate_args_messages():
    check_msg(lambda m, s: D(m).Normal(m.zeros(2), s), s=np.array([1.0, -1.0], np.float32))
    check_msg(lambda m, s: D(m).Normal(0.0, s), s=np.array(-1.0, np.float32))
    check_msg(lambda m, lo: D(m).Uniform(lo, m.tensor([1.0, -1.0])),
              lo=np.zeros(2, np.float32))
    check_msg(lambda m, p: D(m).Categorical(p), p=np.array([1.0, -1.0], np.float32))
    check_msg(lambda m, p: D(m).Bernoulli(p), p=np.array([0.5, 1.5], np.float32))
    check_msg(lambda m, lg: D(m).Normal(lg, 1.0), lg=np.array([0.0, math.nan], np.float32))
    check_msg(lambda m: D(m).Categorical())
    check_msg(lambda m, p: D(m).Categorical(p, logits=p), p=PROBS)
    check_msg(lambda m, p: D(m).Categorical(p), p=np.array(0.5, np.float32))
    check_msg(lambda m: D(m).Bernoulli())
    check_msg(lambda m: D(m).Normal("a", 1.0))


def test_validate_sample_messages():
    check_msg(lambda m, v: D(m).Bernoulli(0.3).log_prob(v), v=np.array([0.5], np.float32))
    check_msg(lambda m, v: D(m).Normal(m.zeros(2), 1.0).log_prob(v), v=np.zeros(3, np.float32))
    check_msg(lambda m, v: D(m).Categorical(m.ones(3)).log_prob(v), v=np.array([3]))
    check_msg(lambda m: D(m).Normal(0.0, 1.0).log_prob(0.5))
    check_msg(lambda m, v: D(m).Uniform(0.0, 1.0).log_prob(v), v=np.array([2.0], np.float32))
    # validate_args=False skips both checks, as in torch
    check(lambda m, s: D(m).Normal(0.0, s, validate_args=False).scale,
          s=np.array([-1.0], np.float32))


# ---- kl_divergence ---------------------------------------------------------

def test_kl_normal_normal():
    check(lambda m, a, b, c, d: D(m).kl_divergence(D(m).Normal(a, b), D(m).Normal(c, d)),
          a=LOC, b=SCALE, c=X, d=SCALE[::-1].copy(), grad=True)


def test_kl_categorical_categorical():
    check(lambda m, p, q: D(m).kl_divergence(D(m).Categorical(logits=p),
                                              D(m).Categorical(probs=q)),
          p=LOGITS, q=PROBS, grad=True)
    zp = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]], np.float32)
    zq = np.array([[0.3, 0.3, 0.4], [0.5, 0.5, 0.0]], np.float32)
    check(lambda m, p, q: D(m).kl_divergence(D(m).Categorical(p), D(m).Categorical(q)),
          p=zp, q=zq)


def test_kl_bernoulli_uniform_and_missing():
    check(lambda m, p, q: D(m).kl_divergence(D(m).Bernoulli(p), D(m).Bernoulli(logits=q)),
          p=P01, q=X, grad=True)
    check(lambda m, lo, hi: D(m).kl_divergence(D(m).Uniform(lo, hi), D(m).Uniform(lo - 1, hi)),
          lo=LOW, hi=HIGH, grad=True)
    check_msg(lambda m: D(m).kl_divergence(D(m).Categorical(m.ones(2)), D(m).Normal(0.0, 1.0)))
