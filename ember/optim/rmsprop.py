"""RMSprop, optionally centered and with momentum."""
from .._backend import np
from . import _functional as F
from .optimizer import Optimizer, _check_hparams, _value

__all__ = ["RMSprop"]


def _rmsprop_kernel(s, d, g, sq, buf, ga, lr, alpha, eps, momentum, wd, maximize):
    g = F.adjusted_grad(s, g, d, maximize, wd)
    sq *= alpha
    F.addcmul_(s, sq, g, g, 1 - alpha)
    avg = s._buf(d, 2)
    if ga is not None:  # centered
        F.lerp_(s, ga, g, 1 - alpha)
        F.addcmul_(s, sq, ga, ga, -1, out=avg)
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(sq, out=avg)
    avg += eps
    if buf is not None:
        buf *= momentum
        F.addcdiv_(s, buf, g, avg)
        F.axpy_(s, d, buf, -lr)
    else:
        F.addcdiv_(s, d, g, avg, -lr)


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
        _check_hparams(lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
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
            for p, state, _ in self._params_with_state(
                    group, "square_avg", momentum > 0 and "momentum_buffer",
                    centered and "grad_avg"):
                arrays = [F.real(t._data) if t is not None else None for t in (
                    p, p.grad, state["square_avg"], state.get("momentum_buffer"),
                    state.get("grad_avg"))]
                self._update(_rmsprop_kernel, arrays, lr, alpha, eps, momentum,
                             group["weight_decay"], group["maximize"])
                p._bump()
        return loss
