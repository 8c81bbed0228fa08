"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients."""
from .._backend import np
from . import _functional as F
from .optimizer import (Optimizer, _bump_step, _check_fused, _check_hparams, _full,
                        _step_tensor, _value)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``sum += g^2``; ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)``.

    Unlike the other optimizers its state exists from construction on.
    """

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "fused": None}
    _tensor_state = ("step",)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check_hparams(lr, lr_decay=lr_decay, weight_decay=weight_decay,
                       initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)
        # the constructor's value, not a group's own: PyTorch initialises this way
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, init):
        state = self.state[p]
        state["step"] = _step_tensor()
        state["sum"] = _full(p, complex(init, init) if p.is_complex() else init)

    def share_memory(self):
        """Accepted for compatibility: the state lives in this process."""

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = _value(group["lr"]), group["lr_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    # a group added later starts from the constructor's default
                    self._init_state(p, self.defaults["initial_accumulator_value"])
                step = _bump_step(state["step"])
                d = F.real(p._data)
                g = F.real(self._grad(p, group, group["weight_decay"]))
                clr = lr / (1 + (step - 1) * lr_decay)
                s = F.real(state["sum"]._data)
                F.addcmul_(self, s, g, g)
                std = np.sqrt(s, out=self._buf(d, 2))
                std += eps
                F.addcdiv_(self, d, g, std, -clr)
                p._bump()
        return loss
