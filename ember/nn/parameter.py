"""nn.Parameter and nn.Buffer: tensors that a Module registers by assignment.

A Parameter is a Tensor subclass aliasing the data it was built from (same
storage, same version counter), a leaf that requires grad by default.  Ops on a
Parameter return plain Tensors, as in PyTorch.
"""
from .._tensor import Tensor


def _alias(cls, data):
    """A leaf of class ``cls`` sharing ``data``'s storage and version counter."""
    t = object.__new__(cls)
    t._data = data._data
    t.dtype = data.dtype
    t._storage_obj = data._storage()
    t._vc_list = data._vc
    t._device = data._device
    return t


def _check_grad_dtype(data, requires_grad):
    if requires_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")


class Parameter(Tensor):
    """A Tensor that is a module parameter: ``Parameter(data=None, requires_grad=True)``."""

    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter.__new__() expected a Tensor, got {type(data).__name__}")
        _check_grad_dtype(data, requires_grad)
        p = _alias(cls, data)
        p._requires_grad = bool(requires_grad)
        return p

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__
    # Pickling goes through Tensor.__reduce_ex__ (ember.serialization), which
    # rebuilds Parameters as torch._utils._rebuild_parameter does.


class _BufferMeta(type):
    # nn.Buffer(t) is a plain Tensor marked ``_is_buffer``; isinstance sees the mark.
    def __instancecheck__(cls, obj):
        if cls is Buffer:
            return isinstance(obj, Tensor) and getattr(obj, "_is_buffer", False)
        return super().__instancecheck__(obj)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        t = data.detach()
        t._requires_grad = data._requires_grad
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedTensorMixin:
    """Placeholder for lazy modules: shape unknown until ``materialize``."""

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder real (uninitialised) storage and its final class."""
        from .._creation import empty
        if isinstance(shape, int):
            shape = (shape,)
        new = empty(tuple(shape), dtype=dtype or self.dtype, device=device)
        self._data = new._data
        self._storage_obj = new._storage()
        self._vc_list = None
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self._requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._creation import empty
        p = _alias(cls, empty(0, dtype=dtype))
        p._requires_grad = bool(requires_grad)
        return p


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .._creation import empty
        b = _alias(cls, empty(0, dtype=dtype))
        b._requires_grad = bool(requires_grad)
        b.persistent = persistent
        return b


def is_lazy(param):
    return isinstance(param, UninitializedTensorMixin)
