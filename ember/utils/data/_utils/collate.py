"""default_collate / default_convert: samples in, a batch of tensors out.

``collate`` walks the sample structure (mappings, namedtuples, sequences) and
hands the leaves to the function registered for their type in
``default_collate_fn_map``; users extend that map for their own types, as
with PyTorch.
"""
import collections.abc
import copy
import re

from .... import _dtype as D
from ...._backend import np
from ...._tensor import Tensor, _wrap
from ...._creation import as_tensor, tensor
from ....autograd.grad_mode import is_grad_enabled

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}")


def _is_numpy(t):
    return t.__module__ == "numpy" and t.__name__ not in ("str_", "string_")


def default_convert(data):
    """NumPy arrays (and NumPy scalars) to tensors, recursively; everything else unchanged."""
    t = type(data)
    if isinstance(data, Tensor):
        return data
    if _is_numpy(t):
        if t.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)  # keeps the mapping's class and its extra state
                clone.update({k: default_convert(data[k]) for k in data})
                return clone
            return t({k: default_convert(data[k]) for k in data})
        except TypeError:
            return {k: default_convert(data[k]) for k in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return t(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return t([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` by structure, dispatching leaves through ``collate_fn_map``."""
    elem = batch[0]
    t = type(elem)
    if collate_fn_map is not None:
        if t in collate_fn_map:
            return collate_fn_map[t](batch, collate_fn_map=collate_fn_map)
        for key in collate_fn_map:
            if isinstance(elem, key):
                return collate_fn_map[key](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        def sub(k):
            return collate([d[k] for d in batch], collate_fn_map=collate_fn_map)
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({k: sub(k) for k in elem})
                return clone
            return t({k: sub(k) for k in elem})
        except TypeError:
            return {k: sub(k) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return t(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, s in enumerate(transposed):
                    clone[i] = collate(s, collate_fn_map=collate_fn_map)
                return clone
            return t([collate(s, collate_fn_map=collate_fn_map) for s in transposed])
        except TypeError:
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
    raise TypeError(default_collate_err_msg_format.format(t))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    from ...._ops.shape import stack
    first = batch[0]
    shape, dt = first._data.shape, first.dtype
    grad = is_grad_enabled()
    # One np.stack when autograd has nothing to record and no promotion is needed;
    # otherwise ember.stack, which also raises PyTorch's ragged-batch error.
    for i, t in enumerate(batch):
        if not isinstance(t, Tensor):  # ember.stack would not word this as PyTorch does
            mod = type(t).__module__
            name = type(t).__qualname__ if mod == "builtins" else f"{mod}.{type(t).__qualname__}"
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {name}")
        if t.dtype != dt or t._data.shape != shape or \
                (grad and t._requires_grad):
            return stack(batch, 0)
    return _wrap(np.stack([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    return tensor(batch, dtype=D.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch, following each sample's structure.

    Tensors are stacked along a new first dimension; NumPy arrays and scalars become
    tensors first; Python floats give float64, ints int64; strings stay a list;
    mappings, namedtuples and sequences are collated field by field.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
