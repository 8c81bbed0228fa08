"""Adam (and the AMSGrad variant), with L2 or decoupled weight decay."""
from .._backend import np
from .._tensor import Tensor
from . import _functional as F
from .optimizer import Optimizer, _bump_step, _step_tensor, _value, _zeros

__all__ = ["Adam"]


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_lr_eps(lr, eps):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")


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
        _check_lr_eps(lr, eps)
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
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
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = (_value(b) for b in group["betas"])
            wd, eps, amsgrad = group["weight_decay"], group["eps"], group["amsgrad"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros(p)
                    state["exp_avg_sq"] = _zeros(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros(p)
                step = _bump_step(state["step"])
                d = p._data
                if wd != 0 and decoupled:
                    d *= 1 - lr * wd
                g = F.real(self._grad(p, group, 0 if decoupled else wd))
                d = F.real(d)
                m, v = F.real(state["exp_avg"]._data), F.real(state["exp_avg_sq"]._data)
                F.lerp_(self, m, g, 1 - beta1)
                v *= beta2
                F.addcmul_(self, v, g, g, 1 - beta2)
                step_size = lr / (1 - beta1 ** step)
                bc2_sqrt = (1 - beta2 ** step) ** 0.5
                if amsgrad:
                    vmax = F.real(state["max_exp_avg_sq"]._data)
                    np.maximum(vmax, v, out=vmax)
                    v = vmax
                denom = np.sqrt(v, out=self._buf(d, 2))
                denom /= bc2_sqrt
                denom += eps
                F.addcdiv_(self, d, m, denom, -step_size)
                p._bump()
        return loss
