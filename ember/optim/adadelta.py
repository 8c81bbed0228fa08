"""Adadelta: steps sized by the ratio of running RMS of updates and of gradients."""
from .._backend import np
from .._tensor import Tensor
from . import _functional as F
from .optimizer import Optimizer, _bump_step, _step_tensor, _value, _zeros

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``v = rho v + (1-rho) g^2``; ``delta = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho u + (1-rho) delta^2``; ``p -= lr * delta``."""

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}
    _tensor_state = ("step",)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, rho, eps = _value(group["lr"]), group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros(p)
                    state["acc_delta"] = _zeros(p)
                _bump_step(state["step"])
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
