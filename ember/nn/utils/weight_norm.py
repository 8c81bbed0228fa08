"""Weight normalisation, w = g * v / ||v||, with the older forward-pre-hook interface.

``weight_norm(m)`` replaces ``m.weight`` by the parameters ``weight_g`` (the
norm of every slice along ``dim``) and ``weight_v`` (the direction), and
recomputes ``m.weight`` before every forward.  ``_weight_norm`` and
``norm_except_dim`` are the two primitives the parametrization version shares.
"""
import warnings

from ... import _errors
from ..._backend import np
from ...autograd.grad_mode import state as _grad_state
from ...autograd.op import Op
from ..parameter import Parameter, UninitializedParameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _other_dims(ndim, dim):
    return tuple(d for d in range(ndim) if d != dim)


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm over every dim but ``dim``, kept as size-1 dims (a scalar for -1)."""
    if dim == -1:
        return v.norm(pow)
    dim = _errors.wrap_dim(dim, v.dim())
    return v.norm(pow, dim=_other_dims(v.dim(), dim), keepdim=True)


def _wn_forward(ctx, v, g, dim):
    axes = _other_dims(v.ndim, dim)
    # Accumulate in at least float32, as the CPU kernel does for half types.
    acc = np.promote_types(v.dtype, np.float32)
    norm = np.sqrt(np.sum(np.square(v, dtype=acc), axis=axes, keepdims=True))
    w = (v * (g.astype(acc) / norm)).astype(v.dtype, copy=False)
    if ctx is not None:
        ctx.norm = norm
    return w


# PyTorch's fused kernel, used when the kept dim is the first or the last one.
_weight_norm_interface = Op("WeightNormInterfaceBackward0", _wn_forward)


@_weight_norm_interface.backward
def _(ctx, grad):
    from ..._tensor import _wrap
    v, g = ctx.inputs
    dim = ctx.kw["dim"]
    axes = _other_dims(v.dim(), dim)
    if _grad_state.enabled:  # create_graph: the norm must be differentiable too
        norm = v.norm(2, dim=axes, keepdim=True)
    else:
        norm = _wrap(ctx.norm.astype(v.dtype.np, copy=False))
    proj = (grad * v).sum(axes, keepdim=True)
    grad_v = grad_g = None
    if ctx.needs_input_grad[0]:
        grad_v = (g / norm) * (grad - v * (proj / (norm * norm)))
    if ctx.needs_input_grad[1]:
        grad_g = proj / norm
    return grad_v, grad_g


def _weight_norm(v, g, dim=0):
    """``v * (g / norm_except_dim(v, 2, dim))``."""
    ndim = v.dim()
    if dim != -1:
        _errors.wrap_dim(dim, ndim)
    if dim == 0 or dim == ndim - 1:
        return _weight_norm_interface(v, g, dim=dim)
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g, <name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError("Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError(
                "The module passed to `WeightNorm` can't have uninitialized parameters. "
                "Make sure to run the dummy forward before applying weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (deprecated hook version)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold ``<name>_g`` and ``<name>_v`` back into one parameter."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
