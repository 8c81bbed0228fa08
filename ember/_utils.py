"""Rebuilding tensors from a checkpoint: ember's ``torch._utils._rebuild_*`` functions.

A checkpoint's pickle calls these by PyTorch's names (``torch._utils._rebuild_tensor_v2``
becomes ``ember._utils._rebuild_tensor_v2``).  Their arguments come from the file, so
they check sizes, strides and offsets against the storage before making a view, with the
messages PyTorch's ``Tensor.set_`` gives.
"""
from . import _dtype as D
from ._backend import np
from ._storage import TypedStorage

REBUILD_FUNCTIONS = (
    "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
    "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor",
    "_rebuild_meta_tensor_no_storage", "_rebuild_nested_tensor", "_rebuild_wrapper_subclass",
    "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor")


def _strided_view(buf, offset, size, stride):
    """A NumPy view of ``buf`` (1-D, typed) with PyTorch's checks for ``Tensor.set_``."""
    size, stride = tuple(size), tuple(stride)
    if not all(type(v) is int for v in size + stride + (offset,)):
        raise TypeError(f"set_(): sizes, strides and storage offset must be ints, got size="
                        f"{size!r}, stride={stride!r}, storage_offset={offset!r}")
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length "
                           f"({len(stride)})")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(n < 0 for n in size):
        raise RuntimeError("numel: integer multiplication overflow")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    its = buf.itemsize
    empty = 0 in size
    need = 0 if empty else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > buf.size:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {its} requiring a storage size of {need * its} are out of bounds "
            f"for storage of size {buf.nbytes}")
    return np.ndarray(size, buf.dtype, buffer=buf, offset=0 if empty else offset * its,
                      strides=tuple(s * its for s in stride))


def _rebuild_tensor(storage, storage_offset, size, stride, dtype=None):
    from ._tensor import _wrap
    if not isinstance(storage, TypedStorage):
        raise TypeError(f"expected a storage, got {type(storage).__name__}")
    dtype = storage.dtype if dtype is None else dtype
    untyped = storage._untyped_storage
    buf = untyped._buf
    if buf.dtype != dtype.np:
        if buf.nbytes % dtype.itemsize:
            raise RuntimeError(f"storage of {buf.nbytes} bytes cannot hold {dtype}")
        buf = buf.view(np.uint8).view(dtype.np)
        if untyped._buf.dtype == np.uint8:  # raw bytes (uint16 & co): keep the typed view
            untyped._buf = buf
    t = _wrap(_strided_view(buf, storage_offset, size, stride))
    t._storage_obj = untyped
    return t


def _finish_tensor(t, requires_grad, metadata):
    if metadata and (metadata.get("conj") or metadata.get("neg")):
        from ._tensor import _wrap
        arr = np.conj(t._data) if metadata.get("conj") else t._data
        t = _wrap(-arr if metadata.get("neg") else arr)  # the bits are lazy in PyTorch
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _finish_tensor(_rebuild_tensor(storage, storage_offset, size, stride),
                          requires_grad, metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    if type(dtype) is not D.dtype:
        raise TypeError(f"expected a dtype, got {type(dtype).__name__}")
    return _finish_tensor(_rebuild_tensor(storage, storage_offset, size, stride, dtype),
                          requires_grad, metadata)


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_obj_state(_rebuild_parameter(data, requires_grad), state)


def _set_obj_state(obj, state):
    from ._tensor import _INTERNAL_ATTRS, Tensor
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    for part in (dict_state, slots_state):
        for k, v in (part or {}).items():
            if isinstance(obj, Tensor) and k in _INTERNAL_ATTRS:
                continue  # a file may not swap a tensor's data or autograd state
            setattr(obj, k, v)
    return obj


def _rebuild_from_type_v2(func, new_type, args, state):
    from ._tensor import Tensor
    ret = func(*args)
    if type(ret) is not new_type:
        if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
            raise TypeError(f"as_subclass(): expected a Tensor subclass, got {new_type!r}")
        sub = object.__new__(new_type)
        sub.__dict__.update(ret.__dict__)
        ret = sub
    if getattr(type(ret), "__setstate__", Tensor.__setstate__) is not Tensor.__setstate__:
        ret.__setstate__(state)
        return ret
    return _set_obj_state(ret, state)


def _unsupported(kind):
    def rebuild(*args, **kwargs):
        raise RuntimeError(f"ember cannot load {kind} tensors")
    return rebuild


_rebuild_qtensor = _unsupported("quantized")
_rebuild_sparse_tensor = _unsupported("sparse")
_rebuild_meta_tensor_no_storage = _unsupported("meta")
_rebuild_nested_tensor = _unsupported("nested")
_rebuild_wrapper_subclass = _unsupported("wrapper-subclass")
_rebuild_device_tensor_from_numpy = _unsupported("XLA/device")
_rebuild_device_tensor_from_cpu_tensor = _unsupported("XLA/device")
