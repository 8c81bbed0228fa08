"""NAdam: Adam with Nesterov momentum (Dozat's schedule of momentum decay)."""
from .._backend import np
from . import _functional as F
from .adam import _adam_moments, _check_betas
from .optimizer import Optimizer, _check_hparams, _value

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam whose momentum ``mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay))``
    looks one step ahead: the update mixes the current gradient and the
    moving average, each with its own bias correction."""

    _group_fill = {"maximize": False, "foreach": None, "capturable": False,
                   "differentiable": False, "decoupled_weight_decay": False}
    _tensor_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_hparams(lr, eps=eps)
        _check_betas(betas)
        _check_hparams(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _value(group["lr"]), group["betas"], group["eps"]
            mdecay = group["momentum_decay"]
            for p, state, step in self._params_with_state(group, "exp_avg", "exp_avg_sq",
                                                          mu_product=1.0):
                bc2 = 1 - beta2 ** step
                d, g, m, v = _adam_moments(self, p, state, group, lr, beta1, beta2)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * mdecay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * mdecay)))
                mp = state["mu_product"]._data
                mp *= mu  # a 0-d tensor in PyTorch: the product rounds to its dtype
                mu_product = float(mp)
                denom = np.divide(v, bc2, out=self._buf(d, 2))
                np.sqrt(denom, out=denom)
                denom += eps
                F.addcdiv_(self, d, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
                F.addcdiv_(self, d, m, denom, (-lr * mu_next) / (1.0 - mu_product * mu_next))
                p._bump()
        return loss
