"""Adam (and the AMSGrad variant), with L2 or decoupled weight decay."""
from .._backend import np
from .._tensor import Tensor
from . import _functional as F
from .optimizer import Optimizer, _check_fused, _check_hparams, _value

__all__ = ["Adam"]


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _moments(s, d, g, m, v, lr, beta1, beta2, wd, decoupled, maximize):
    """The start Adam, RAdam and NAdam share, on arrays: weight decay (decoupled: on the
    parameter ``d``, else L2 on the gradient), then ``m = lerp(m, g, 1 - b1)`` and
    ``v = b2 v + (1 - b2) g^2``.  Returns the adjusted gradient."""
    if wd != 0 and decoupled:
        d *= 1 - lr * wd
    g = F.adjusted_grad(s, g, d, maximize, 0 if decoupled else wd)
    F.lerp_(s, m, g, 1 - beta1)
    v *= beta2
    F.addcmul_(s, v, g, g, 1 - beta2)
    return g


def _adam_moments(opt, p, state, group, lr, beta1, beta2):
    """``_moments`` on a parameter; returns the real views ``(param, grad, m, v)``
    (the two parts of a complex parameter are independent coordinates)."""
    d, m, v = (F.real(t._data) for t in (p, state["exp_avg"], state["exp_avg_sq"]))
    g = _moments(opt, d, F.real(p.grad._data), m, v, lr, beta1, beta2,
                 group["weight_decay"], group["decoupled_weight_decay"], group["maximize"])
    return d, g, m, v


def _adam_kernel(s, d, g, m, v, vmax, lr, beta1, beta2, wd, decoupled, maximize, step_size,
                 bc2_sqrt, eps):
    g = _moments(s, d, g, m, v, lr, beta1, beta2, wd, decoupled, maximize)
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
        v = vmax
    denom = np.sqrt(v, out=s._buf(d, 2))
    denom /= bc2_sqrt
    denom += eps
    F.addcdiv_(s, d, m, denom, -step_size)


class Adam(Optimizer):
    """Adam: moving averages of the gradient and its square, bias-corrected.

    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``
    """

    _group_fill = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                   "differentiable": False, "decoupled_weight_decay": False, "fused": None}
    _tensor_state = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and "
                                 "foreach=True")
        _check_hparams(lr, eps=eps)
        _check_betas(betas)
        _check_hparams(weight_decay=weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                     "capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = (_value(b) for b in group["betas"])
            eps, amsgrad = group["eps"], group["amsgrad"]
            wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
            for p, state, step in self._params_with_state(
                    group, "exp_avg", "exp_avg_sq", amsgrad and "max_exp_avg_sq"):
                arrays = [F.real(t._data) for t in (p, p.grad, state["exp_avg"],
                                                    state["exp_avg_sq"])]
                arrays.append(F.real(state["max_exp_avg_sq"]._data) if amsgrad else None)
                self._update(_adam_kernel, arrays, lr, beta1, beta2, wd, decoupled,
                             group["maximize"], lr / (1 - beta1 ** step),
                             (1 - beta2 ** step) ** 0.5, eps)
                p._bump()
        return loss
