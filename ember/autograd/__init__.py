"""ember.autograd: the engine's public face (backward, grad), Function, grad modes."""
from .. import _errors
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                        is_grad_enabled, is_inference_mode_enabled, detect_anomaly,
                        set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled)
from .graph import Node, AccumulateGrad, run_backward
from .function import Function, FunctionCtx, once_differentiable, InplaceFunction
from . import graph, function, grad_mode


def _as_tuple(x):
    if x is None:
        return None
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grads):
    from .._creation import ones_like
    out = []
    for i, t in enumerate(outputs):
        g = grads[i] if grads is not None and i < len(grads) else None
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(_errors.GRAD_SCALAR_ONLY)
            if not t.requires_grad:
                raise RuntimeError(_errors.NO_GRAD_FN.replace("element 0", f"element {i}"))
            g = ones_like(t)
        elif not hasattr(g, "_data"):
            from .._creation import full_like
            g = full_like(t, g)
        elif tuple(g.shape) != tuple(t.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {t.shape}.".replace("ember.Size", "torch.Size"))
        out.append(g)
    return out


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(tensors):
        if t.grad_fn is None and not t.requires_grad:
            raise RuntimeError(_errors.NO_GRAD_FN.replace("element 0", f"element {i}"))
    grads = _make_grads(tensors, grad_tensors)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(outputs):
        if t.grad_fn is None and not t.requires_grad:
            raise RuntimeError(_errors.NO_GRAD_FN.replace("element 0", f"element {i}"))
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outputs, _as_tuple(grad_outputs))
    res = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                       accumulate=False, allow_unused=allow_unused)
    if materialize_grads:
        from .._creation import zeros_like
        res = [zeros_like(t) if r is None else r for t, r in zip(inputs, res)]
    return tuple(res)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .._tensor import Tensor
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper: ``Variable(t, requires_grad)`` is a new leaf on t's data."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        from .._tensor import Tensor
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}")
        t = data.data
        t.requires_grad = bool(requires_grad)
        return t


from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
from . import functional  # noqa: E402

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "detect_anomaly", "set_detect_anomaly", "gradcheck", "gradgradcheck", "Node",
           "Variable"]
