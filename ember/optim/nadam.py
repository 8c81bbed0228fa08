"""NAdam: Adam with Nesterov momentum (Dozat's schedule of momentum decay)."""
from .._backend import np
from . import _functional as F
from .adam import _check_betas, _check_lr_eps
from .optimizer import Optimizer, _bump_step, _step_tensor, _value, _zeros

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
        _check_lr_eps(lr, eps)
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
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
            wd, mdecay = group["weight_decay"], group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["mu_product"] = _step_tensor(1.0)
                    state["exp_avg"] = _zeros(p)
                    state["exp_avg_sq"] = _zeros(p)
                step = _bump_step(state["step"])
                bc2 = 1 - beta2 ** step
                d = p._data
                if wd != 0 and decoupled:
                    d *= 1 - lr * wd
                g = F.real(self._grad(p, group, 0 if decoupled else wd))
                d = F.real(d)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * mdecay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * mdecay)))
                mp = state["mu_product"]._data
                mp *= mu  # a 0-d tensor in PyTorch: the product rounds to its dtype
                mu_product = float(mp)
                m, v = F.real(state["exp_avg"]._data), F.real(state["exp_avg_sq"]._data)
                F.lerp_(self, m, g, 1 - beta1)
                v *= beta2
                F.addcmul_(self, v, g, g, 1 - beta2)
                denom = np.divide(v, bc2, out=self._buf(d, 2))
                np.sqrt(denom, out=denom)
                denom += eps
                F.addcdiv_(self, d, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
                F.addcdiv_(self, d, m, denom, (-lr * mu_next) / (1.0 - mu_product * mu_next))
                p._bump()
        return loss
