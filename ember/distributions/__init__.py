"""Probability distributions (PyTorch's ``torch.distributions``): sampling with the
same random draws as torch after the same seed where torch's draws are plain
uniform/normal/exponential/poisson ones, differentiable log_prob/entropy/rsample."""
from . import constraints, transforms
from .bernoulli import Bernoulli
from .categorical import Categorical
from .continuous import Cauchy, Exponential, Gumbel, Laplace, LogNormal, StudentT
from .discrete import Binomial, Geometric, OneHotCategorical, Poisson
from .distribution import Distribution
from .gamma import Beta, Chi2, Dirichlet, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .transforms import TransformedDistribution
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet",
           "Distribution", "Exponential", "Gamma", "Geometric", "Gumbel", "Independent",
           "Laplace", "LogNormal", "MultivariateNormal", "Normal", "OneHotCategorical",
           "Poisson", "StudentT", "TransformedDistribution", "Uniform", "constraints",
           "kl_divergence", "register_kl", "transforms"]
