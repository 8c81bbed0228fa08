"""SGD with optional momentum, dampening, Nesterov momentum and weight decay."""
from .._backend import np
from .._tensor import Tensor, _wrap
from . import _functional as F
from .optimizer import Optimizer, _check_fused, _value

__all__ = ["SGD"]


def _sgd_kernel(s, d, g, buf, lr, wd, momentum, dampening, nesterov, maximize, first):
    g = F.adjusted_grad(s, g, d, maximize, wd)
    if buf is not None:
        if first:
            np.copyto(buf, g)
        else:
            buf *= momentum
            F.axpy_(s, buf, g, 1 - dampening)
        g = F.fma(s, s._buf(g, 2), buf, momentum, g) if nesterov else buf
    F.axpy_(s, d, g, -lr)


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
                buf, first = None, False
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        # the first buffer is a copy of the gradient, laid out like it
                        first = True
                        state["momentum_buffer"] = buf = _wrap(np.empty_like(p.grad._data))
                self._update(_sgd_kernel, (p._data, p.grad._data,
                                           None if buf is None else buf._data),
                             lr, wd, momentum, dampening, nesterov, group["maximize"], first,
                             grain=1 << 19)
                if buf is not None and not first:
                    buf._bump()
                p._bump()
        return loss
