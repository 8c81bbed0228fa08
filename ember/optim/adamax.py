"""Adamax: Adam with the infinity norm in place of the second moment."""
from .._backend import np
from . import _functional as F
from .adam import _check_betas
from .optimizer import Optimizer, _check_hparams, _value

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``u = max(b2 * u, |g| + eps)``; ``p -= lr / (1 - b1^t) * m / u``."""

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}
    _tensor_state = ("step",)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_hparams(lr, eps=eps)
        _check_betas(betas)
        _check_hparams(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _value(group["lr"]), group["betas"], group["eps"]
            for p, state, step in self._params_with_state(group, "exp_avg", "exp_inf"):
                d = F.real(p._data)
                g = F.real(self._grad(p, group, group["weight_decay"]))
                m, u = F.real(state["exp_avg"]._data), F.real(state["exp_inf"]._data)
                F.lerp_(self, m, g, 1 - beta1)
                u *= beta2
                a = np.abs(g, out=self._buf(d, 2))
                a += eps
                np.maximum(u, a, out=u)
                clr = lr / (1 - beta1 ** step)
                F.addcdiv_(self, d, m, u, -clr)
                p._bump()
        return loss
