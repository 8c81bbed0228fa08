"""RMSprop, optionally centered and with momentum."""
from .._backend import np
from .._tensor import Tensor
from . import _functional as F
from .optimizer import Optimizer, _bump_step, _step_tensor, _value, _zeros

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divides the gradient by a running root-mean-square of recent gradients.

    ``v = alpha * v + (1 - alpha) * g^2``; with ``centered`` the running mean
    of g is subtracted (``v - mean^2``) before the square root.
    """

    _group_fill = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                   "differentiable": False, "capturable": False}
    _tensor_state = ("step",)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = _value(group["lr"]), group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros(p)
                    if centered:
                        state["grad_avg"] = _zeros(p)
                _bump_step(state["step"])
                d = F.real(p._data)
                g = F.real(self._grad(p, group, group["weight_decay"]))
                sq = F.real(state["square_avg"]._data)
                sq *= alpha
                F.addcmul_(self, sq, g, g, 1 - alpha)
                avg = self._buf(d, 2)
                if centered:
                    ga = F.real(state["grad_avg"]._data)
                    F.lerp_(self, ga, g, 1 - alpha)
                    F.addcmul_(self, sq, ga, ga, -1, out=avg)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(sq, out=avg)
                avg += eps
                if momentum > 0:
                    buf = F.real(state["momentum_buffer"]._data)
                    buf *= momentum
                    F.addcdiv_(self, buf, g, avg)
                    F.axpy_(self, d, buf, -lr)
                else:
                    F.addcdiv_(self, d, g, avg, -lr)
                p._bump()
        return loss
