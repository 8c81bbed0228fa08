"""ASGD: SGD with a decaying step and a running average of the iterates."""
from .._backend import np
from . import _functional as F
from .optimizer import Optimizer, _check_hparams, _value

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD: ``p *= 1 - lambd * eta``; ``p -= eta * g``; from step
    ``t0`` on, ``ax`` averages the iterates.  ``eta`` and ``mu`` are 0-d state
    tensors updated after each step."""

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}
    _tensor_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_hparams(lr, weight_decay=weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = (_value(group["lr"]), group["lambd"], group["alpha"],
                                    group["t0"])
            for p, state, step in self._params_with_state(group, "ax", eta=lr, mu=1.0):
                d = F.real(p._data)
                g = F.real(self._grad(p, group, group["weight_decay"]))
                eta, mu = state["eta"]._data, state["mu"]._data
                eta_value = float(eta)
                d *= 1 - lambd * eta_value
                F.axpy_(self, d, g, -eta_value)
                p._bump()
                ax = F.real(state["ax"]._data)
                if float(mu) != 1:
                    t = np.subtract(d, ax, out=self._buf(d, 2))
                    t *= t.dtype.type(mu)
                    ax += t
                else:
                    np.copyto(ax, d)
                # torch.as_tensor(python float) is a default-dtype tensor, copied in
                eta[...] = np.array(lr / ((1 + lambd * lr * step) ** alpha), _default_np())
                mu[...] = np.array(1 / max(1, step - t0), _default_np())
        return loss


def _default_np():
    from .. import _dtype as D
    return D.get_default_dtype().np
