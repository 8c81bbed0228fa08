"""Counting distributions (Poisson, Binomial, Geometric) and OneHotCategorical."""
from numbers import Number

import numpy as np

import ember
from ember.nn.functional import binary_cross_entropy_with_logits, one_hot

from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Binomial", "Geometric", "OneHotCategorical", "Poisson"]


class Poisson(Distribution):
    """Poisson distribution with ``rate`` (events per interval)."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = ember.Size() if isinstance(rate, Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Poisson, batch_shape, _instance, ("rate",))

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.poisson(self.rate.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()


def _binomial_np(n, p):
    """Binomial(n, p) variates (float64 arrays of one shape), drawn with ember's
    generator: inversion when the mean is small, Hoermann's BTRS rejection otherwise."""
    from scipy.special import gammaln
    n, p = np.broadcast_arrays(np.asarray(n, np.float64), np.asarray(p, np.float64))
    shape = n.shape
    n, p = n.ravel(), p.ravel()
    flip = p > 0.5
    q = np.where(flip, 1 - p, p)  # sample with q <= 1/2, reflect afterwards
    out = np.zeros_like(n)
    small = np.flatnonzero((n * q < 10) & (q > 0) & (n > 0))
    if small.size:
        ns, qs = n[small], q[small]
        u = ember.rand(small.size, dtype=ember.float64)._data
        k = np.zeros_like(ns)
        pmf = np.exp(ns * np.log1p(-qs))
        cdf = pmf.copy()
        ratio = qs / (1 - qs)
        live = np.flatnonzero((u > cdf) & (k < ns))
        while live.size:
            k[live] += 1
            pmf[live] *= (ns[live] - k[live] + 1) / k[live] * ratio[live]
            cdf[live] += pmf[live]
            # rounding can leave the cdf a hair below u at the end of the support
            live = live[(u[live] > cdf[live]) & (k[live] < ns[live]) & (pmf[live] > 0)]
        out[small] = k
    big = np.flatnonzero(n * q >= 10)
    if big.size:
        nb, qb = n[big], q[big]
        spq = np.sqrt(nb * qb * (1 - qb))
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * qb
        c = nb * qb + 0.5
        alpha = (2.83 + 5.1 / b) * spq
        lpq = np.log(qb / (1 - qb))
        m = np.floor((nb + 1) * qb)
        h = gammaln(m + 1) + gammaln(nb - m + 1)
        vr = 0.92 - 4.2 / b
        todo = np.arange(big.size)
        res = np.empty(big.size)
        while todo.size:
            uu = ember.rand(todo.size, dtype=ember.float64)._data - 0.5
            v = ember.rand(todo.size, dtype=ember.float64)._data
            us = 0.5 - np.abs(uu)
            A, B, C = a[todo], b[todo], c[todo]
            with np.errstate(divide="ignore", invalid="ignore"):
                k = np.floor((2 * A / us + B) * uu + C)
                inside = (k >= 0) & (k <= nb[todo])
                quick = inside & (us >= 0.07) & (v <= vr[todo])
                lhs = np.log(v * alpha[todo] / (A / (us * us) + B))
                kk = np.clip(k, 0, nb[todo])
                rhs = (h[todo] - gammaln(kk + 1) - gammaln(nb[todo] - kk + 1)
                       + (kk - m[todo]) * lpq[todo])
            ok = quick | (inside & (lhs <= rhs))
            res[todo[ok]] = k[ok]
            todo = todo[~ok]
        out[big] = res
    out = np.where(flip, n - out, out)
    out = np.where(np.isnan(p) | np.isnan(n), np.nan, out)
    return out.reshape(shape)


class Binomial(Distribution):
    """Number of successes in ``total_count`` trials with success ``probs``."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Binomial, batch_shape, _instance, ("total_count", "probs", "logits"))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    def sample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            n = self.total_count.expand(shape)._data
            p = self.probs.expand(shape)._data
            return ember.tensor(_binomial_np(n, p), dtype=self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = ember.lgamma(self.total_count + 1)
        log_factorial_k = ember.lgamma(value + 1)
        log_factorial_nmk = ember.lgamma(self.total_count - value + 1)
        # n * log(1 + exp(logits)) computed stably as n * (max(logits, 0) + log1p(e^-|l|));
        # max(x, 0) written so that its gradient at 0 is 1/2, as in torch
        x = self.logits
        clamped = (x.clamp(min=0) + x - x.clamp(max=0)) / 2
        normalize_term = (self.total_count * clamped
                          + self.total_count * ember.log1p(ember.exp(-ember.abs(self.logits)))
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`.")
        values = ember.arange(1 + total_count, dtype=self._param.dtype)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values


class Geometric(Distribution):
    """Number of failures before the first success, success probability ``probs``."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        given = probs if probs is not None else logits
        batch_shape = ember.Size() if isinstance(given, Number) else given.size()
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            value = self.probs
            valid = value > 0
            if not bool(valid.all()):
                raise ValueError(
                    f"Expected parameter probs ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to be positive but "
                    f"found invalid values:\n{value.detach()[~valid]}")

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Geometric, batch_shape, _instance, ("probs", "logits"))

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return ember.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    def sample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        tiny = ember.finfo(self.probs.dtype).tiny
        with ember.no_grad():
            u = self.probs.new(shape).uniform_(tiny, 1)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 puts all mass on 0: 0 * log(0) must count as 0 there
        probs = ember.where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return (binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
                / self.probs)


class OneHotCategorical(Distribution):
    """Categorical whose samples are one-hot vectors of length K."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(OneHotCategorical, _instance)
        batch_shape = ember.Size(batch_shape)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        probs = self._categorical.probs
        return one_hot(probs.argmax(dim=-1), num_classes=probs.shape[-1]).to(probs)

    @property
    def variance(self):
        return self._categorical.probs * (1 - self._categorical.probs)

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def sample(self, sample_shape=ember.Size()):
        probs = self._categorical.probs
        indices = self._categorical.sample(ember.Size(sample_shape))
        return one_hot(indices, self._categorical._num_events).to(probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        values = ember.eye(n, dtype=self._param.dtype)
        values = values.view((n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = values.expand((n,) + tuple(self.batch_shape) + (n,))
        return values
