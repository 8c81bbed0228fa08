"""Indexing: __getitem__/__setitem__, index_put, gather/scatter, masked ops, nonzero.

``x[...]`` works like PyTorch: ints, slices, None and Ellipsis become view ops
first (select, slice, unsqueeze, with their own grad_fns), then the tensor
indices (ints, bools, lists) index what is left in one ``IndexBackward0`` op
with NumPy's advanced-indexing rules, which are PyTorch's too.
"""
import warnings

from .. import _errors
from ..autograd.op import Op
from ..autograd.grad_mode import state as _grad_state
from . import shape as S
from .inplace import apply_inplace, copy_, _check_writable
from ._util import (D, TYPE_NAMES, Tensor, _wrap, np, install, checked_scalar, cast_array,
                    in_layout, torch_perm)

_ndarray = np.ndarray
_INDEX_KINDS = "only integers, slices (`:`), ellipsis (`...`), None and long or byte " \
               "Variables are valid indices (got {})"
_BAD_TENSOR = "tensors used as indices must be long, int, byte or bool tensors"


def _as_index_array(x):
    """A tensor/list/array index as an int64 or bool NumPy array (PyTorch's rules)."""
    if isinstance(x, Tensor):
        dt = x.dtype
        if dt is D.uint8:
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a "
                          "dtype torch.bool instead.", UserWarning, stacklevel=4)
            return x._data.astype(bool)
        if dt.category > D._CATEGORY_INT:
            raise IndexError(_BAD_TENSOR)
        return x._data
    if isinstance(x, (list, tuple)):
        if any(isinstance(e, Tensor) for e in x):
            x = [e._data if isinstance(e, Tensor) else e for e in x]
    arr = np.asarray(x)
    if arr.dtype.kind == "f" or arr.size == 0:
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "biu":
        raise IndexError(_BAD_TENSOR)
    return arr


class _TensorInt(int):
    """A 0-d integer tensor used as an index: selects like an int, but is not one for errors."""


def _parse(self, index):
    """Split an index into basic entries and advanced arrays (kept in place)."""
    if type(index) is list and len(index) < 32 and any(
            isinstance(e, (list, tuple, slice, Tensor, _ndarray)) or e is None or e is Ellipsis
            for e in index):
        index = tuple(index)  # NumPy's old rule, kept by PyTorch: such a list is a tuple
    items = index if type(index) is tuple else (index,)
    if any(type(e) is range for e in items):  # PyTorch reads a range as a sequence of ints
        items = tuple(list(e) if type(e) is range else e for e in items)
    out = []
    for x in items:
        t = type(x)
        if t is int or t is slice or x is None or x is Ellipsis:
            out.append(x)
        elif t is bool or (isinstance(x, Tensor) and x.dtype is D.bool and x.dim() == 0):
            out.append(("bool", bool(x)))
        elif isinstance(x, Tensor):
            if x.dim() == 0 and x.dtype.category == D._CATEGORY_INT and x.dtype is not D.uint8:
                out.append(_TensorInt(x._data))  # a 0-d integer tensor indexes like an int
            else:
                out.append(_as_index_array(x))
        elif isinstance(x, (np.integer,)):
            out.append(int(x))
        elif isinstance(x, (list, tuple, _ndarray)):
            out.append(_as_index_array(x))
        elif isinstance(x, str):
            raise TypeError("new(): invalid data type 'str'")
        else:
            raise IndexError(_INDEX_KINDS.format(t.__name__))
    return out


def _dims_used(items):
    n = 0
    for x in items:
        if type(x) is _ndarray:
            n += x.ndim if x.dtype == np.bool_ else 1
        elif type(x) is int or type(x) is slice or type(x) is _TensorInt:
            n += 1
    return n


def _basic(self, items, single_slice, setting=False):
    """Apply the view-making entries; return the view and the advanced entries' places."""
    nd = self._data.ndim
    used = _dims_used(items)
    if used > nd:
        if nd == 0 and any(type(x) is int for x in items):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        if nd == 0 and any(type(x) is slice for x in items):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    t, dim, adv = self, 0, []
    odim = 0  # the dim of the original tensor the entry indexes, for error messages
    for x in items:
        tx = type(x)
        if dim >= t._data.ndim and (tx is int or tx is _TensorInt or tx is slice or
                                    tx is _ndarray):
            # (only reachable past a repeated Ellipsis; PyTorch's answers, quirks and all)
            if tx is slice and x.start is None and x.stop is None and x.step in (None, 1):
                continue
            if tx is _ndarray or tx is slice:
                raise IndexError(f"too many indices for tensor of dimension {nd} (got "
                                 f"{used + 1})")
            raise _errors.index_out_of_range(x, odim, 0)
        if tx is int or tx is _TensorInt:
            n = t._data.shape[dim]
            if not -n <= x < n:
                raise _errors.index_out_of_range(x, odim, n)
            t = S._select(t, dim=dim, index=x + n if x < 0 else x)
            odim += 1
        elif tx is slice:
            step = 1 if x.step is None else int(x.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            n = t._data.shape[dim]
            start, stop, step = slice(x.start, x.stop, step).indices(n)
            if single_slice or not (start == 0 and stop >= n and step == 1):
                t = S._slice(t, dim=dim, start=start, stop=max(stop, start), step=step)
            dim += 1
            odim += 1
        elif x is None:
            t = S.unsqueeze(t, dim)
            dim += 1
        elif x is Ellipsis:  # (each one skips the unindexed dims, as in PyTorch)
            dim += nd - used
            odim += nd - used
        elif tx is tuple:  # a bool scalar: a new dim of size 1, kept or dropped
            t = S.unsqueeze(t, dim)
            adv.append((dim, np.array([x[1]])))
            dim += 1
        else:
            adv.append((dim, x))
            k = x.ndim if x.dtype == np.bool_ else 1
            dim += k
            odim += k
    if t is self and not adv and not setting:
        t = _alias(self)
    return t, adv


_alias = S.ViewOp("AliasBackward0", lambda ctx, a: a.view())
_alias.backward(lambda ctx, g: g)


def _np_index(t, adv):
    """The NumPy index of the advanced entries, checked with PyTorch's errors."""
    shape = t._data.shape
    index = [slice(None)] * (adv[-1][0] + 1)
    k = 0
    covered = set()
    for dim, arr in adv:
        covered.update(range(dim, dim + (arr.ndim if arr.dtype == np.bool_ else 1)))
    # an empty result reads nothing, so PyTorch checks no bounds
    empty = any(n == 0 for d, n in enumerate(shape) if d not in covered)
    if len(adv) > 1:
        shapes = []
        for _, arr in adv:
            shapes += [(int(arr.sum()),)] * arr.ndim if arr.dtype == np.bool_ else [arr.shape]
        try:
            empty = empty or 0 in np.broadcast_shapes(*shapes)
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                             "with shapes " + ", ".join(str(list(s)) for s in shapes)) from None
    for dim, arr in adv:
        if arr.dtype == np.bool_:
            ms = arr.shape
            for j, n in enumerate(ms):
                if dim + j >= len(shape) or shape[dim + j] != n:
                    raise IndexError(f"The shape of the mask {list(ms)} at index {j} does not "
                                     f"match the shape of the indexed tensor {list(shape)} at "
                                     f"index {dim + j}")
            k += arr.ndim
        elif empty or arr.size == 0:
            if shape[dim]:
                arr = np.zeros(arr.shape, np.intp)
            k += 1
        else:
            n = shape[dim]
            if arr.size:
                lo, hi = arr.min(), arr.max()
                if hi >= n or lo < -n:
                    bad = hi if hi >= n else lo
                    raise IndexError(f"index {bad} is out of bounds for dimension {k} with "
                                     f"size {n}")
            k += 1
        index[dim] = arr
    return tuple(index)


def _index_fwd(ctx, a, index):
    r = a[index]
    return in_layout(r, _index_perm(a, index)) if r.ndim > 1 else r


def _index_perm(a, index):
    """The memory order PyTorch's index kernel gives its result.

    PyTorch restrides the source (the indexed dims become the index shape with
    stride 0; separated indexed dims are first moved to the front) and lets
    TensorIterator order the result by the strides of that source and of the
    index tensors (a mask indexes like its nonzero() coordinates).
    """
    arrays, idx_dims, d = [], [], 0
    for x in index:
        if type(x) is _ndarray:
            k = x.ndim if x.dtype == np.bool_ else 1
            arrays += list(np.nonzero(x)) if x.dtype == np.bool_ else [x]
            idx_dims += range(d, d + k)
            d += k
        else:
            d += 1
    shape, strides = a.shape, a.strides
    before, n = idx_dims[0], len(idx_dims)
    if idx_dims != list(range(before, before + n)):
        order = idx_dims + [i for i in range(a.ndim) if i not in idx_dims]
        shape, strides = tuple(shape[i] for i in order), tuple(strides[i] for i in order)
        before = 0
    bshape = np.broadcast_shapes(*[x.shape for x in arrays])
    out_shape = shape[:before] + bshape + shape[before + n:]
    view_shape = (1,) * before + bshape + (1,) * (a.ndim - before - n)
    ops = [strides[:before] + (0,) * len(bshape) + strides[before + n:]]
    for x in arrays:
        # the index, expanded then viewed with ones around it (as PyTorch does), gives
        # strides of its own to the size-1 dims; broadcast dims read stride 0
        bx = np.broadcast_to(x, bshape)
        st = S._view_strides(bshape, S._elem_strides(bx), view_shape)
        ops.append([0 if v == 1 and o != 1 else s * bx.itemsize
                    for v, o, s in zip(view_shape, out_shape, st)])
    return torch_perm(out_shape, ops)


_index = Op("IndexBackward0", _index_fwd, saves=())


@_index.backward
def _(ctx, g):
    return _index_grad(g, shape=ctx.inputs[0]._data.shape, index=ctx.kw["index"])


def _index_grad_fwd(ctx, g, shape, index):
    out = np.zeros(shape, g.dtype)
    np.add.at(out, index, g)  # repeated indices accumulate
    return out


_index_grad = Op("IndexPutBackward0", _index_grad_fwd, saves=())
_index_grad.backward(lambda ctx, g: _index(g, index=ctx.kw["index"]))


def getitem(self, index):
    if type(index) is int:  # the common x[i]
        a = self._data
        if a.ndim:
            n = a.shape[0]
            if not -n <= index < n:
                raise _errors.index_out_of_range(index, 0, n)
            return S._select(self, dim=0, index=index + n if index < 0 else index)
    items = _parse(self, index)
    t, adv = _basic(self, items, type(index) is slice)
    if not adv:
        return t
    return _index(t, index=_np_index(t, adv))


# --- index_put and __setitem__ ----------------------------------------------------------

def _check_put_shape(shape, index, vshape):
    # zeros stand in for the indices: only the result's shape matters here
    safe = tuple(np.zeros(x.shape, np.intp) if type(x) is _ndarray and x.dtype != np.bool_
                 else x for x in index)
    result_shape = np.empty(shape, dtype=np.bool_)[safe].shape
    try:
        ok = np.broadcast_shapes(vshape, result_shape) == result_shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                           f"broadcast to indexing result of shape {list(result_shape)}")


def _index_put_fwd(ctx, a, values, index, accumulate):
    _check_put_shape(a.shape, index, values.shape)
    out = a.copy(order="K")
    if accumulate:
        np.add.at(out, index, values)
    else:
        out[index] = values
    return out


_index_put = Op("IndexPutBackward0", _index_put_fwd, saves=())


@_index_put.backward
def _(ctx, g):
    index, n = ctx.kw["index"], ctx.needs_input_grad
    ga = gv = None
    if n[0]:
        ga = g if ctx.kw["accumulate"] else _index_put(g, _wrap(np.zeros((), g._data.dtype)),
                                                       index=index, accumulate=False)
    if n[1]:
        gv = _index(g, index=index)
    return ga, gv


def _index_tuple(self, indices, values=None):
    items = [slice(None) if x is None else _as_index_array(x) for x in indices]
    if values is not None:  # PyTorch checks the value before the indices' bounds
        _same_dtype(self, tuple(items), values)
    adv = [(i, x) for i, x in enumerate(items) if type(x) is _ndarray]
    return _np_index(self, adv) if adv else tuple(items)


def _values(self, values):
    if isinstance(values, Tensor):
        return values if values.dtype is self.dtype else values.to(self.dtype)
    from .._creation import tensor
    return tensor(values, dtype=self.dtype)


def _same_dtype(self, index, values, masked_ok=True):
    if isinstance(values, Tensor):
        _check_put_shape(self._data.shape, index, values._data.shape)
        masks = [x for x in index if type(x) is _ndarray]
        if masked_ok and values.numel() == 1 and len(masks) == 1 and \
                masks[0].dtype == np.bool_:
            return  # PyTorch hands this case to masked_fill_, which casts the value
    if isinstance(values, Tensor) and values.dtype is not self.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{TYPE_NAMES[self.dtype.name]} for the destination and "
                           f"{TYPE_NAMES[values.dtype.name]} for the source.")


def index_put(self, indices, values, accumulate=False):
    index = _index_tuple(self, indices, values)
    return _index_put(self, _values(self, values), index=index, accumulate=accumulate)


def index_put_(self, indices, values, accumulate=False):
    index = _index_tuple(self, indices, values)
    values = _values(self, values)
    return apply_inplace(self, lambda s, v: _index_put(s, v, index=index,
                                                       accumulate=accumulate),
                         values, needs_self=False)


def _tracking(t, value):
    return _grad_state.enabled and (t._requires_grad or (isinstance(value, Tensor)
                                                         and value._requires_grad))


def setitem(self, index, value):
    if isinstance(value, (list, tuple)):
        raise TypeError(f"can't assign a {type(value).__name__} to a "
                        f"torch.{_errors._TYPE_NAMES[self.dtype.name]}")
    if index is True or index is False:  # PyTorch copies into self[None] (or nothing)
        if index:
            setitem(S.unsqueeze(self, 0), Ellipsis, value)
        return
    items = _parse(self, index)
    t, adv = _basic(self, items, False, setting=True)
    scalar = not isinstance(value, Tensor)
    if scalar and isinstance(value, int) and not -2 ** 63 <= value < 2 ** 64:
        raise ValueError("Overflow when unpacking long long")
    if scalar:  # setitem does not range-check halves (it goes through a cast)
        v = checked_scalar(value, t.dtype, half_unchecked=True)
    if not adv:
        if scalar and not _tracking(t, value):
            _check_writable(t)
            t._data[...] = v
            t._bump()
        elif scalar:
            from .inplace import fill_
            fill_(t, _wrap(np.asarray(v)))
        else:
            _copy_to(t, value)
        return
    index = _np_index(t, adv)
    if not scalar:  # (a bool scalar's mask never takes the masked_fill_ shortcut)
        _same_dtype(t, index, value, masked_ok=not any(type(x) is tuple for x in items))
    if not _tracking(t, value):
        _check_writable(t)
        if not scalar:
            v = value._data if value.dtype is t.dtype else cast_array(value._data, t.dtype.np)
            result_shape = np.empty(t._data.shape, np.bool_)[index].shape
            try:
                ok = np.broadcast_shapes(v.shape, result_shape) == result_shape
            except ValueError:
                ok = False
            if not ok:
                raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} "
                                   f"cannot be broadcast to indexing result of shape "
                                   f"{list(result_shape)}")
        t._data[index] = v
        t._bump()
        return
    values = _values(t, _strip_ones(value) if not scalar else v.item())
    apply_inplace(t, lambda s, v: _index_put(s, v, index=index, accumulate=False), values,
                  needs_self=False)


def _strip_ones(src):
    """``src`` viewed without its leading size-1 dims, as PyTorch's setitem does."""
    shape = src._data.shape
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return S.view(src, shape[k:]) if k else src


def _copy_to(dst, src):
    """PyTorch's assignment of a tensor into a basic-indexed region."""
    if src._data.shape == dst._data.shape:
        copy_(dst, src)
        return
    if src._data.ndim == 0:
        from .inplace import fill_
        fill_(dst, src)
        return
    src = _strip_ones(src)
    if src._data.shape != dst._data.shape:
        src = S.expand(src, dst._data.shape)
    copy_(dst, src)


install({"__getitem__": getitem, "__setitem__": setitem, "index_put": index_put,
         "index_put_": index_put_})

# gather/scatter/index_select/masked_* live in scatter; ember sees them through here.
from . import scatter as _scatter_mod  # noqa: E402
from .scatter import *  # noqa: E402,F401,F403

__all__ = ["index_put", "index_put_"] + _scatter_mod.__all__
