"""Rprop: resilient backpropagation, steps from gradient signs alone."""
from .._backend import np
from . import _functional as F
from .optimizer import (Optimizer, _bump_step, _check_hparams, _full, _step_tensor, _value,
                        _zeros)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Each coordinate keeps its own step size: grown by ``etaplus`` while the
    gradient keeps its sign, shrunk by ``etaminus`` (and the step skipped) when
    the sign flips, clamped to ``step_sizes``; ``p -= sign(g) * step_size``."""

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}
    _tensor_state = ("step",)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_hparams(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            ss_min, ss_max = group["step_sizes"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["prev"] = _zeros(p)
                    lr = _value(group["lr"])
                    state["step_size"] = _full(p.grad, complex(lr, lr) if p.is_complex() else lr)
                _bump_step(state["step"])
                d = F.real(p._data)
                g = F.real(self._grad(p, group))
                prev, ss = F.real(state["prev"]._data), F.real(state["step_size"]._data)
                prod = np.multiply(g, prev, out=self._buf(d, 2))
                flipped = prod < 0
                factor = np.sign(prod, out=prod)
                # the sign becomes the step-size factor; NaN stays NaN
                factor[factor > 0] = etaplus
                factor[flipped] = etaminus
                factor[factor == 0] = 1
                ss *= factor
                np.clip(ss, ss_min, ss_max, out=ss)
                # where the sign flipped the step is skipped and prev forgets g
                np.copyto(prev, g)
                prev[flipped] = 0
                s = np.sign(prev, out=self._buf(d, 3))
                s *= ss
                d -= s
                p._bump()
        return loss
