"""Adadelta: steps sized by the ratio of running RMS of updates and of gradients."""
from .._backend import np
from . import _functional as F
from .optimizer import Optimizer, _check_hparams, _value

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``v = rho v + (1-rho) g^2``; ``delta = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho u + (1-rho) delta^2``; ``p -= lr * delta``."""

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}
    _tensor_state = ("step",)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_hparams(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_hparams(eps=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, rho, eps = _value(group["lr"]), group["rho"], group["eps"]
            for p, state, _ in self._params_with_state(group, "square_avg", "acc_delta"):
                d = F.real(p._data)
                g = F.real(self._grad(p, group, group["weight_decay"]))
                sq, acc = F.real(state["square_avg"]._data), F.real(state["acc_delta"]._data)
                sq *= rho
                F.addcmul_(self, sq, g, g, 1 - rho)
                std = np.add(sq, eps, out=self._buf(d, 2))
                np.sqrt(std, out=std)
                delta = np.add(acc, eps, out=self._buf(d, 3))
                np.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                acc *= rho
                F.addcmul_(self, acc, delta, delta, 1 - rho)
                F.axpy_(self, d, delta, -lr)
                p._bump()
        return loss
