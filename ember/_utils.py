"""Checkpoint helpers: ember's ``torch._utils._rebuild_*`` functions, and the names
ember objects carry in checkpoints.

A checkpoint's pickle calls the rebuild functions by PyTorch's names
(``torch._utils._rebuild_tensor_v2`` is ``ember._utils._rebuild_tensor_v2``).  Their
arguments come from the file, so they check sizes, strides and offsets against the
storage before making a view, with the messages PyTorch's ``Tensor.set_`` gives.

Names: ``ember.nn.X`` is written ``torch.nn.X`` (``ember.vision`` as ``torchvision``); an
object in a private module is written under the public package that exports it
(``ember._tensor.Size`` as ``torch.Size``), and the few classes ember keeps in another
file than PyTorch under PyTorch's module.  Loading maps back, looking in the public
packages when a PyTorch module has no ember twin (``torch._C._nn.gelu``).
"""
import contextlib
import importlib
import pickle
import sys

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


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
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
    from ._tensor import Tensor
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    for part in (dict_state, slots_state):
        for k, v in (part or {}).items():
            if isinstance(obj, Tensor) and is_tensor_internal(k):
                continue  # a file may not swap a tensor's data or autograd state
            setattr(obj, k, v)
    return obj


def is_tensor_internal(name):
    """Whether a Tensor ``__dict__`` entry is ember's own state (not a user attribute)."""
    from ._tensor import _INTERNAL_ATTRS
    return name in _INTERNAL_ATTRS or name in _MORE_INTERNAL


_MORE_INTERNAL = frozenset(("_views",))  # set by ember/_ops/shape.py, not in _INTERNAL_ATTRS


def _rebuild_from_type_v2(func, new_type, args, state):
    from ._tensor import Tensor
    ret = func(*args)
    if not isinstance(ret, Tensor):
        raise TypeError(f"as_subclass(): expected a Tensor to convert, got "
                        f"{type(ret).__name__}")
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


# --- names: ember <-> PyTorch ------------------------------------------------------------

def _torch_module_name(module):
    if module == "ember.vision" or module.startswith("ember.vision."):
        return "torchvision" + module[len("ember.vision"):]
    if module == "ember" or module.startswith("ember."):
        return "torch" + module[len("ember"):]
    return module


def _ember_module_name(module):
    if module == "torch.tensor":  # PyTorch < 1.6 kept Tensor there
        return "ember._tensor"
    if module == "torchvision" or module.startswith("torchvision."):
        return "ember.vision" + module[len("torchvision"):]
    if module == "torch" or module.startswith("torch."):
        return "ember" + module[len("torch"):]
    return module


def checkpoint_name(obj, name=None):
    """(module, name) a checkpoint gives an ember class or function (None if not ember's)."""
    module = getattr(obj, "__module__", None) or ""
    if module != "ember" and not module.startswith("ember."):
        return None
    qual = name or obj.__qualname__
    home = _TORCH_HOMES.get((module, qual))
    if home is not None:
        return home, qual
    if _is_private(module):  # ember.Size lives in ember._tensor: write torch.Size
        module = _public_home(obj, module, qual)
    return _torch_module_name(module), qual


# Classes ember keeps in another file than PyTorch does, written under PyTorch's module.
_TORCH_HOMES = {
    ("ember.nn.modules.attention", "MultiheadAttention"): "torch.nn.modules.activation",
    ("ember.nn.modules.pixelshuffle", "ChannelShuffle"): "torch.nn.modules.channelshuffle",
    ("ember.nn.modules.upsampling", "Fold"): "torch.nn.modules.fold",
    ("ember.nn.modules.upsampling", "Unfold"): "torch.nn.modules.fold"}


def _is_private(module):
    return any(part.startswith("_") for part in module.split(".")[1:])


def _homes(module):
    """Where else to look for a name of ``module``: its public packages, then F."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)
            if not _is_private(".".join(parts[:i]))] + ["ember.nn.functional"]


def _public_home(obj, module, qual):
    """The nearest public package exporting ``obj`` (ember._ops.conv.conv2d -> ember)."""
    for home in _homes(module):
        if getattr(sys.modules.get(home), qual, None) is obj:
            return home
    return module


def find_ember(module, name, find):
    """The ember object a checkpoint's ``module.name`` stands for (weights_only=False)."""
    special = SPECIAL.get(f"{module}.{name}")
    if special is not None:
        return special
    target = _ember_module_name(module)
    try:
        return find(target, name)
    except (AttributeError, ImportError):
        if target == module:
            raise
        for home in _homes(target):  # e.g. torch._C._nn.gelu is ember.nn.functional.gelu
            with contextlib.suppress(ImportError):
                found = getattr(importlib.import_module(home), name, None)
                if found is not None:
                    return found
        raise


def check_global(obj, name):
    """The checks (and wording) of the C pickler for a global it cannot name."""
    qual = name or getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qual is None:
        return
    if "<locals>" in qual:
        raise AttributeError(f"Can't pickle local object {qual!r}")
    module = pickle.whichmodule(obj, qual)
    try:
        __import__(module, level=0)
        found = sys.modules[module]
        for part in qual.split("."):
            found = getattr(found, part)
    except (ImportError, KeyError, AttributeError):
        raise pickle.PicklingError(f"Can't pickle {obj!r}: attribute lookup {qual} on "
                                   f"{module} failed") from None
    if found is not obj:
        raise pickle.PicklingError(f"Can't pickle {obj!r}: it's not the same object as "
                                   f"{module}.{qual}")


# PyTorch keeps this one in torch._tensor; every other name maps module for module.
SPECIAL = {"torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2}
