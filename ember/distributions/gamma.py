"""Gamma, Chi2, Dirichlet and Beta, with reparameterised (implicit-gradient) samples.

PyTorch draws gamma variates with its own rejection sampler, whose stream ember does not
replay; ember draws from the same law (Marsaglia-Tsang) with ember's generator, so a seed
still fixes ember's results.  Gradients of a sample x w.r.t. the concentration follow
from differentiating F(x; alpha) = u at fixed u:  dx/dalpha = -dF/dalpha / pdf(x).
"""
from numbers import Number

import numpy as np

import ember
from ember.autograd.op import Op

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Beta", "Chi2", "Dirichlet", "Gamma"]


def _standard_gamma_np(alpha):
    """Gamma(alpha, 1) variates in float64, drawn with ember's generator."""
    alpha = np.asarray(alpha, np.float64)
    flat = alpha.ravel()
    # alpha < 1: Gamma(alpha) = Gamma(alpha + 1) * U ** (1 / alpha)
    boost = flat < 1
    a = np.where(boost, flat + 1, flat)
    d = a - 1 / 3
    c = 1 / np.sqrt(9 * d)
    out = np.empty_like(a)
    todo = np.flatnonzero(np.isfinite(a) & (a > 0))
    out[~(np.isfinite(a) & (a > 0))] = np.nan
    while todo.size:
        x = ember.randn(todo.size, dtype=ember.float64)._data
        u = ember.rand(todo.size, dtype=ember.float64)._data
        dd, cc = d[todo], c[todo]
        v = (1 + cc * x) ** 3
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = (v > 0) & (np.log(u) < 0.5 * x * x + dd - dd * v + dd * np.log(v))
        out[todo[ok]] = dd[ok] * v[ok]
        todo = todo[~ok]
    if boost.any():
        idx = np.flatnonzero(boost)
        u = ember.rand(idx.size, dtype=ember.float64)._data
        with np.errstate(divide="ignore"):
            out[idx] = np.exp(np.log(out[idx]) + np.log(u) / flat[idx])
    return out.reshape(alpha.shape)


def _d_alpha(fn, a, *rest):
    """d fn(a, *rest) / da by a fourth-order central difference (fn smooth in a)."""
    h = a * 1e-3
    return (fn(a - 2 * h, *rest) - 8 * fn(a - h, *rest) + 8 * fn(a + h, *rest)
            - fn(a + 2 * h, *rest)) / (12 * h)


def _gamma_dx_dalpha(x, alpha):
    from scipy import special
    x64, a64 = x.astype(np.float64), alpha.astype(np.float64)
    with np.errstate(all="ignore"):
        log_pdf = (a64 - 1) * np.log(x64) - x64 - special.gammaln(a64)
        return (-_d_alpha(special.gammainc, a64, x64) / np.exp(log_pdf)).astype(x.dtype)


def _beta_dx_da(x, a, b):
    """dx/da for x ~ Beta(a, b) at fixed b."""
    from scipy import special
    x64, a64, b64 = (v.astype(np.float64) for v in (x, a, b))
    with np.errstate(all="ignore"):
        log_pdf = ((a64 - 1) * np.log(x64) + (b64 - 1) * np.log1p(-x64)
                   - special.betaln(a64, b64))
        grad = -_d_alpha(lambda aa, xx, bb: special.betainc(aa, bb, xx), a64, x64, b64)
        return (grad / np.exp(log_pdf)).astype(x.dtype)


def _tiny(dt):
    return np.finfo(dt).tiny


def _standard_gamma_fwd(ctx, alpha):
    x = np.maximum(_standard_gamma_np(alpha).astype(alpha.dtype), _tiny(alpha.dtype))
    if ctx is not None:
        ctx.sample = x
    return x


_standard_gamma = Op("StandardGammaBackward0", _standard_gamma_fwd, raw_backward=True)


@_standard_gamma.backward
def _(ctx, g):
    return g * _gamma_dx_dalpha(ctx.sample, ctx.inputs[0]._data)


def _dirichlet_fwd(ctx, alpha):
    g = _standard_gamma_np(alpha)
    x = np.maximum(g / g.sum(-1, keepdims=True), _tiny(np.float64)).astype(alpha.dtype)
    if ctx is not None:
        ctx.sample = x
    return x


_sample_dirichlet = Op("_DirichletBackward", _dirichlet_fwd, raw_backward=True)


@_sample_dirichlet.backward
def _(ctx, g):
    # x_i's marginal is Beta(alpha_i, total - alpha_i); raising alpha_i shrinks every
    # other x_j by the same factor (dx_j = -x_j dx_i / (1 - x_i)), hence the projection
    x, alpha = ctx.sample, ctx.inputs[0]._data
    total = np.broadcast_to(alpha.sum(-1, keepdims=True), alpha.shape)
    with np.errstate(all="ignore"):
        dx = _beta_dx_da(x, alpha, total - alpha) / (1 - x)
    return dx * (g - (x * g).sum(-1, keepdims=True))


class Gamma(Distribution):
    """Gamma distribution with shape ``concentration`` and ``rate`` (= 1 / scale)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        numbers = isinstance(concentration, Number) and isinstance(rate, Number)
        super().__init__(ember.Size() if numbers else self.concentration.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Gamma, batch_shape, _instance, ("concentration", "rate"))

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=ember.finfo(value.dtype).tiny)
        return value

    def log_prob(self, value):
        value = ember.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration, self.rate)
                + ember.xlogy(self.concentration - 1, value)
                - self.rate * value - ember.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - ember.log(self.rate) + ember.lgamma(self.concentration)
                + (1.0 - self.concentration) * ember.digamma(self.concentration))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ember.special.gammainc(self.concentration, self.rate * value)


class Chi2(Gamma):
    """Chi-squared with ``df`` degrees of freedom: Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class Dirichlet(Distribution):
    """Distribution on the simplex with ``concentration`` alpha (last dim = categories)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = ember.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return _sample_dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration - 1.0, value).sum(-1)
                + ember.lgamma(self.concentration.sum(-1))
                - ember.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, True)
        # all concentrations below 1: the density peaks at the corner of the largest
        corner = ember.nn.functional.one_hot(mode.argmax(dim=-1), cm1.shape[-1]).to(mode)
        mask = (self.concentration < 1).all(dim=-1, keepdim=True)
        return ember.where(mask, corner, mode)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return (self.concentration * (con0 - self.concentration)
                / (con0.pow(2) * (con0 + 1)))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (ember.lgamma(self.concentration).sum(-1) - ember.lgamma(a0)
                - (k - a0) * ember.digamma(a0)
                - ((self.concentration - 1.0) * ember.digamma(self.concentration)).sum(-1))


class Beta(Distribution):
    """Beta(concentration1, concentration0) on [0, 1], as a two-category Dirichlet."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, Number) and isinstance(concentration0, Number):
            both = ember.tensor([float(concentration1), float(concentration0)])
        else:
            c1, c0 = broadcast_all(concentration1, concentration0)
            both = ember.stack([c1, c0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = ember.Size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(ember.stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]
