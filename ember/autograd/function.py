"""ember.autograd.Function: user-defined ops with their own forward and backward."""
import functools

from .grad_mode import state as _grad_state, no_grad
from .graph import Node, gradient_edge


class FunctionCtx:
    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_versions = [(t._vc, t._vc[0]) if t is not None else None for t in tensors]

    @property
    def saved_tensors(self):
        if self._freed:
            from .. import _errors
            raise RuntimeError(_errors.BACKWARD_TWICE)
        for t, v in zip(self._saved, self._saved_versions):
            if v is not None and v[0][0] != v[1]:
                from .. import _errors
                raise _errors.modified_inplace(self.name(), 0, t._data.shape, t.dtype.name,
                                               v[0][0], v[1])
        return self._saved

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = set(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self._materialize = value


class BackwardCFunction(Node, FunctionCtx):
    _fn_cls = None
    _saves = True

    def __init__(self):
        Node.__init__(self)
        self._saved = ()
        self._saved_versions = []
        self._dirty = ()
        self._non_diff = set()
        self._materialize = True

    def _release(self):
        self._freed = True
        self._saved = ()

    def apply(self, grads):
        outs = self._output_meta
        if self._materialize:
            from .._creation import zeros
            grads = tuple(g if g is not None or m is None else zeros(m[0], dtype=m[1])
                          for g, m in zip(grads, outs))
        res = self._fn_cls.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n_in = len(self._arg_is_tensor)
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
                                       f"expected shape compatible with {list(meta)}")
            picked.append(g)
        return tuple(picked)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_fn_cls": cls})


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
        needs = any(t and a._requires_grad for t, a in zip(is_t, args)) and _grad_state.enabled
        ctx.needs_input_grad = tuple(t and a._requires_grad for t, a in zip(is_t, args))
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if not needs:
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        ctx.next_functions = tuple(gradient_edge(a) for a, t in zip(args, is_t) if t)
        ctx._arg_is_tensor = is_t
        ctx._in_meta = [tuple(a.shape) if t else None for a, t in zip(args, is_t)]
        ctx._n_outputs = len(outs)
        metas, wrapped = [], []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                metas.append(None)
                wrapped.append(o)
                continue
            metas.append((tuple(o.shape), o.dtype))
            if id(o) in ctx._non_diff:
                wrapped.append(o)
                continue
            if any(o is a for a in args) and o not in ctx._dirty:
                o = o._as_view_of(o._data) if o._base is None else o.detach()
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
            wrapped.append(o)
        ctx._output_meta = metas
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        self.inplace = inplace


NestedIOFunction = Function
