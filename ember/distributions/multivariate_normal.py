"""Multivariate normal, parameterised by a covariance, a precision or a Cholesky factor."""
import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat, bvec):
    return ember.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(L, x):
    """|L^-1 x|^2 over x's batch, L's batch dims broadcasting against x's.

    x's batch dims are split so that those L broadcasts over move to the back: one
    triangular solve against a (n, many) right-hand side per distinct L, as torch does
    (which also fixes the layout of the result)."""
    n = x.size(-1)
    x_batch = tuple(x.shape[:-1])
    L_dims = L.dim() - 2
    outer = len(x_batch) - L_dims
    new_shape = x_batch[:outer]
    for sL, sx in zip(L.shape[:-2], x_batch[outer:]):
        new_shape += (sx // sL, sL)
    x = x.reshape(new_shape + (n,))
    new_dims = outer + 2 * L_dims
    perm = (list(range(outer)) + list(range(outer, new_dims, 2))
            + list(range(outer + 1, new_dims, 2)) + [new_dims])
    x = x.permute(perm)
    flat_L = L.reshape(-1, n, n)
    flat_x = x.reshape(-1, flat_L.size(0), n)
    M = ember.linalg.solve_triangular(flat_L, flat_x.permute(1, 2, 0), upper=False)
    M = M.pow(2).sum(-2).t()
    M = M.reshape(tuple(x.shape[:-1]))
    inv = list(range(outer))
    for i in range(L_dims):
        inv += [outer + i, outer + L_dims + i]
    return M.permute(inv).reshape(x_batch)


def _precision_to_scale_tril(P):
    # cholesky of the flipped precision gives the inverse factor without inverting P
    Lf = ember.linalg.cholesky(ember.flip(P, (-2, -1)))
    L_inv = ember.transpose(ember.flip(Lf, (-2, -1)), -2, -1)
    eye = ember.eye(P.shape[-1], dtype=P.dtype)
    return ember.linalg.solve_triangular(L_inv, eye, upper=False)


class MultivariateNormal(Distribution):
    """Gaussian over vectors of length ``loc.shape[-1]``; give exactly one of
    ``covariance_matrix``, ``precision_matrix`` or ``scale_tril``."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, scale_tril, precision_matrix) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        names = {id(scale_tril): "scale_tril", id(covariance_matrix): "covariance_matrix",
                 id(precision_matrix): "precision_matrix"}
        name, mat = names[id(given[0])], given[0]
        if mat.dim() < 2:
            what = {"scale_tril": "scale_tril matrix"}.get(name, name)
            raise ValueError(f"{what} must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        batch_shape = ember.broadcast_shapes(tuple(mat.shape[:-2]), tuple(loc.shape[:-1]))
        setattr(self, name, mat.expand(tuple(batch_shape) + (-1, -1)))
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        super().__init__(ember.Size(batch_shape), self.loc.shape[-1:],
                         validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = mat
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(mat)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(mat)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = ember.Size(batch_shape)
        loc_shape = batch_shape + self.event_shape
        cov_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(cov_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _mat_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._mat_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return ember.matmul(L, L.mT).expand(self._mat_shape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        eye = ember.eye(L.shape[-1], dtype=L.dtype)
        L_inv = ember.linalg.solve_triangular(L, eye, upper=False)
        return ember.matmul(L_inv.mT, L_inv).expand(self._mat_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return (self._unbroadcasted_scale_tril.pow(2).sum(-1)
                .expand(tuple(self._batch_shape) + tuple(self._event_shape)))

    def rsample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        eps = ember.empty(shape, dtype=self.loc.dtype).normal_()
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H if len(self._batch_shape) == 0 else H.expand(self._batch_shape)
