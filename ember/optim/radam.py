"""RAdam: Adam whose adaptive step is switched in once its variance is tractable."""
from .._backend import np
from .adam import _adam_moments, _check_betas
from .optimizer import Optimizer, _check_hparams, _value

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Rectified Adam: while the length of the approximated SMA ``rho_t`` is at
    most 5 the step is plain momentum SGD; afterwards the Adam step times the
    rectification term ``r_t``."""

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "decoupled_weight_decay": False, "capturable": False}
    _tensor_state = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_hparams(lr, eps=eps)
        _check_betas(betas)
        _check_hparams(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _value(group["lr"]), group["betas"], group["eps"]
            rho_inf = 2 / (1 - beta2) - 1
            for p, state, step in self._params_with_state(group, "exp_avg", "exp_avg_sq"):
                d, g, m, v = _adam_moments(self, p, state, group, lr, beta1, beta2)
                bc1 = 1 - beta1 ** step
                bc2 = 1 - beta2 ** step
                upd = np.divide(m, bc1, out=self._buf(d, 2))
                upd *= lr
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bc2
                if rho_t > 5.0:
                    # (bc2 ** 0.5) / (sqrt(v) + eps): PyTorch's scalar / tensor is
                    # reciprocal(tensor) * scalar
                    ada = np.sqrt(v, out=self._buf(d, 3))
                    ada += eps
                    np.reciprocal(ada, out=ada)
                    ada *= bc2 ** 0.5
                    upd *= ada
                    upd *= ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                d -= upd
                p._bump()
        return loss
