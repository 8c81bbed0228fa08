"""SGD with optional momentum, dampening, Nesterov momentum and weight decay."""
from .._tensor import Tensor, _wrap
from . import _functional as F
from .optimizer import Optimizer, _check_fused, _value

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent.

    With momentum ``mu`` the buffer starts as the first gradient and then
    follows ``b = mu * b + (1 - dampening) * g``; the step is ``-lr * b`` (or
    ``-lr * (g + mu * b)`` with ``nesterov``).
    """

    _group_fill = {"nesterov": False, "maximize": False, "foreach": None,
                   "differentiable": False, "fused": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            wd, momentum = group["weight_decay"], group["momentum"]
            dampening, nesterov = group["dampening"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = self._grad(p, group, wd)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        # the first buffer is a copy of the gradient, laid out like it
                        state["momentum_buffer"] = buf = _wrap(g.copy(order="K"))
                    else:
                        b = buf._data
                        b *= momentum
                        F.axpy_(self, b, g, 1 - dampening)
                        buf._bump()
                    if nesterov:
                        g = F.fma(self, self._buf(g, 2), buf._data, momentum, g)
                    else:
                        g = buf._data
                F.axpy_(self, p._data, g, -lr)
                p._bump()
        return loss
