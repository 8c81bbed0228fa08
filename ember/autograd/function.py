"""ember.autograd.Function: user-defined ops with their own forward and backward.

``MyFn.apply(*args)`` runs ``forward`` under no_grad, then (when an input needs grad)
makes the instance of ``MyFnBackward`` -- at once the graph node and the ``ctx`` the
user saved things on -- the outputs' ``grad_fn``.
"""
import functools

from .. import _errors
from .grad_mode import state as _grad_state, no_grad
from .graph import Node, gradient_edge


class FunctionCtx:
    _saved = ()
    _saved_meta = ()
    _dirty = ()
    _non_diff = frozenset()
    _materialize = True

    def save_for_backward(self, *tensors):
        from .._tensor import Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self._saved = tensors
        # (version counter, version at save, whether it turns out to be an output)
        self._saved_meta = [None if t is None else [t._vc, t._vc[0], False] for t in tensors]

    def save_for_forward(self, *tensors):
        self._saved_forward = tensors

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_errors.BACKWARD_TWICE)
        for t, meta in zip(self._saved, self._saved_meta):
            if meta is not None and meta[0][0] != meta[1]:
                if meta[2]:
                    producer, nr = self.name(), t._output_nr
                else:
                    producer = t.grad_fn.name() if t.grad_fn is not None else None
                    nr = t._output_nr
                raise _errors.version_mismatch(t._data.shape, t.dtype.name, meta[0][0],
                                               meta[1], producer, nr)
        return self._saved

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = frozenset(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self._materialize = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of a custom Function; it is also the ``ctx`` its methods get."""

    _fn_cls = None
    _saves = True

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__qualname__} object at {hex(id(self))}>"

    def _release(self):
        self._freed = True
        self._saved = ()

    def apply(self, grads):
        if self._materialize:
            from .._creation import zeros
            grads = tuple(g if g is not None or m is None else zeros(m[0], dtype=m[1])
                          for g, m in zip(grads, self._output_meta))
        res = self._fn_cls.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n_in = len(self._arg_is_tensor)
        if len(res) != n_in:
            if len(res) < n_in or any(r is not None for r in res[n_in:]):
                raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                                   f"gradients (expected {n_in}, got {len(res)})")
        picked = []
        for g, is_t, meta in zip(res, self._arg_is_tensor, self._in_meta):
            if not is_t:
                continue
            if g is not None and meta is not None and tuple(g.shape) != meta:
                from .op import sum_to
                try:
                    g = sum_to(g, meta)
                except Exception:
                    raise RuntimeError(f"Function {self.name()} returned an invalid gradient "
                                       f"at index {len(picked)} - got {list(g.shape)} but "
                                       f"expected shape compatible with {list(meta)}") from None
            picked.append(g)
        return tuple(picked)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_fn_cls": cls})
        backward_cls.__module__ = __name__
        cls._backward_cls = backward_cls


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, ...)`` and ``backward(ctx, *grads)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        return None

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        ctx = cls._backward_cls()
        is_t = [isinstance(a, Tensor) for a in args]
        needs = tuple(t and a._requires_grad for t, a in zip(is_t, args))
        ctx.needs_input_grad = needs
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        for t in ctx._dirty:
            t._bump()
        if not (_grad_state.enabled and any(needs)):
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        ctx.next_functions = tuple(gradient_edge(a) for a, t in zip(args, is_t) if t)
        ctx._arg_is_tensor = is_t
        ctx._in_meta = [tuple(a._data.shape) if t else None for a, t in zip(args, is_t)]
        ctx._n_outputs = len(outs)
        metas, wrapped = [], []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                metas.append(None)
                wrapped.append(o)
                continue
            metas.append((tuple(o._data.shape), o.dtype))
            if id(o) in ctx._non_diff:
                wrapped.append(o)
                continue
            if any(o is a for a in args) and not any(o is d for d in ctx._dirty):
                # An input handed back unchanged: the output is a view of it.
                o = o._as_view_of(o._data)
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
            wrapped.append(o)
        for t, meta in zip(ctx._saved, ctx._saved_meta):
            if meta is not None and any(t is w for w in wrapped):
                meta[2] = True
        ctx._output_meta = metas
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(fn):
    """A backward that is not itself differentiable: it runs under no_grad."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        self.inplace = inplace


NestedIOFunction = Function
