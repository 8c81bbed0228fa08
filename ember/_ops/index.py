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
                    in_layout, torch_perm, qualified_node)

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
    lead, tail = [0] * before, [0] * (a.ndim - before - n)
    ops = [strides[:before] + (0,) * len(bshape) + strides[before + n:]]
    for x in arrays:
        bx = np.broadcast_to(x, bshape)
        ops.append(lead + list(bx.strides) + tail)
    return torch_perm(out_shape, [list(o) for o in ops])


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


def _same_dtype(self, index, values):
    if isinstance(values, Tensor):
        _check_put_shape(self._data.shape, index, values._data.shape)
        if len(index) == 1 and type(index[0]) is _ndarray and index[0].dtype == np.bool_ \
                and values.dim() == 0:
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
    if not scalar:
        _same_dtype(t, index, value)
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


# --- gather / scatter ------------------------------------------------------------------

def _check_index(index, name):
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _bounds(idx, n, dim, exc=RuntimeError):
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if hi >= n or lo < 0:
            raise exc(f"index {hi if hi >= n else lo} is out of bounds for dimension {dim} "
                      f"with size {n}")


def _coords(index, dim):
    """Full coordinate arrays addressing ``index``'s positions with dim replaced."""
    coords = list(np.indices(index.shape, sparse=True))
    coords[dim] = index
    return tuple(coords)


def _gather_fwd(ctx, a, dim, index):
    if a.ndim == 0:
        return a[index] if index.ndim else a.copy()
    return a[_coords(index, dim)]


_gather = Op("GatherBackward0", _gather_fwd, saves=())
_gather.backward(lambda ctx, g: _scatter_add(
    _wrap(np.zeros(ctx.inputs[0]._data.shape, g._data.dtype)), g, dim=ctx.kw["dim"],
    index=ctx.kw["index"], reduce="add"))


def gather(input, dim, index, *, sparse_grad=False, out=None):
    _check_index(index, "gather")
    nd = input.dim()
    d = _errors.wrap_dim(dim, nd)
    idx = index._data
    if idx.ndim != nd and nd and idx.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    for k in range(idx.ndim):
        if k != d and nd and idx.shape[k] > input._data.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(idx.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}")
    _bounds(idx, input._data.shape[d] if nd else 1, d)
    return _gather(input, dim=d, index=idx)


def _scatter_fwd(ctx, a, src, dim, index, reduce=None):
    out = a.copy()
    idx = _coords(index, dim)
    vals = src[tuple(slice(0, n) for n in index.shape)] if np.ndim(src) else src
    if reduce is None:
        out[idx] = vals
    elif reduce in ("add", "sum"):
        np.add.at(out, idx, vals)
    elif reduce in ("multiply", "prod"):
        np.multiply.at(out, idx, vals)
    elif reduce == "amax":
        np.maximum.at(out, idx, vals)
    elif reduce == "amin":
        np.minimum.at(out, idx, vals)
    return out


def _scatter_value_fwd(ctx, a, dim, index, value, reduce=None):
    return _scatter_fwd(ctx, a, value, dim, index, reduce)


_scatter = Op("ScatterBackward0", _scatter_fwd, saves=())
_scatter_v = Op("ScatterBackward1", _scatter_value_fwd, saves=())
_scatter_add = Op("ScatterAddBackward0", _scatter_fwd, saves=())
_scatter_reduce_ni = qualified_node(Op("NotImplemented", _scatter_fwd, saves=()),
                                    "NotImplemented")
_scatter_reduce_v_ni = qualified_node(Op("NotImplemented", _scatter_value_fwd, saves=()),
                                      "NotImplemented")


def _gather_grad(ctx, g):
    return _gather(g, dim=ctx.kw["dim"], index=ctx.kw["index"]) \
        if ctx.needs_input_grad[1] else None


@_scatter.backward
def _(ctx, g):
    return _scatter_v(g, dim=ctx.kw["dim"], index=ctx.kw["index"], value=0), _gather_grad(ctx, g)


_scatter_v.backward(lambda ctx, g: _scatter_v(g, dim=ctx.kw["dim"], index=ctx.kw["index"],
                                              value=0))
_scatter_add.backward(lambda ctx, g: (g, _gather_grad(ctx, g)))


def _no_derivative(ctx, *g):
    raise RuntimeError("derivative for aten::scatter is not implemented")


_scatter_reduce_ni.backward(_no_derivative)
_scatter_reduce_v_ni.backward(_no_derivative)


def _check_scatter(name, input, dim, index, src):
    _check_index(index, name)
    nd = input.dim()
    d = _errors.wrap_dim(dim, nd)
    idx = index._data
    if idx.ndim != nd and nd and idx.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor) and src.dtype is not input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    src_shape = src._data.shape if isinstance(src, Tensor) else None
    for k in range(idx.ndim):
        if (k != d and nd and idx.shape[k] > input._data.shape[k]) or (
                src_shape is not None and idx.shape[k] > src_shape[k]):
            tail = f" and to be no larger size than src {list(src_shape)}" \
                if src_shape is not None else ""
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}{tail}")
    _bounds(idx, input._data.shape[d] if nd else 1, d)
    return d, idx


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply.")
    d, idx = _check_scatter("scatter", input, dim, index, src)
    if isinstance(src, Tensor):
        op = _scatter if reduce is None else _scatter_reduce_ni
        return op(input, src, dim=d, index=idx, reduce=reduce)
    v = checked_scalar(src, input.dtype)
    op = _scatter_v if reduce is None else _scatter_reduce_v_ni
    return op(input, dim=d, index=idx, value=v, reduce=reduce)


def scatter_add(input, dim, index, src):
    d, idx = _check_scatter("scatter_add", input, dim, index, src)
    return _scatter_add(input, src, dim=d, index=idx, reduce="add")


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _scatter_reduce_fwd(ctx, a, src, dim, index, reduce, include_self):
    idx = _coords(index, dim)
    vals = src[tuple(slice(0, n) for n in index.shape)]
    base = a.copy()
    if not include_self:
        fill = {"sum": 0, "mean": 0, "prod": 1}.get(reduce)
        if fill is None:
            info = np.finfo(a.dtype) if a.dtype.kind == "f" else np.iinfo(a.dtype)
            fill = info.min if reduce == "amax" else info.max
        touched = np.zeros(a.shape, bool)
        touched[idx] = True
        base[touched] = fill
    if reduce != "mean":
        out = _scatter_fwd(None, base, vals, dim, index, reduce)
        if not include_self and reduce in ("amax", "amin"):
            out = np.where(touched, out, a)
        return out
    total = _scatter_fwd(None, base, vals, dim, index, "sum")
    counts = _scatter_fwd(None, np.full(a.shape, 1 if include_self else 0, np.int64),
                          np.ones(vals.shape, np.int64), dim, index, "sum")
    counts = np.maximum(counts, 1)
    if a.dtype.kind == "f" or a.dtype.kind == "V":
        return (total / counts).astype(a.dtype)
    return np.floor_divide(total, counts).astype(a.dtype)


_scatter_reduce = Op("ScatterReduceBackward0", _scatter_reduce_fwd, saves_output=True)


@_scatter_reduce.backward
def _(ctx, g):
    a, src = ctx.inputs
    kw = ctx.kw
    dim, index, reduce, inc = kw["dim"], kw["index"], kw["reduce"], kw["include_self"]
    touched = _wrap(_scatter_fwd(None, np.zeros(a._data.shape, bool), True, dim, index))
    idx_t = _wrap(index)
    ga = gs = None
    if reduce == "sum":
        ga = g if inc else g.masked_fill(touched, 0)
        gs = g.gather(dim, idx_t)
    elif reduce == "mean":
        cnt = _scatter_fwd(None, np.full(a._data.shape, 1 if inc else 0, np.int64),
                           np.ones(index.shape, np.int64), dim, index, "sum")
        gn = g / _wrap(np.maximum(cnt, 1).astype(g._data.dtype))
        ga = gn if inc else gn.masked_fill(touched, 0)
        gs = gn.gather(dim, idx_t)
    elif reduce in ("amax", "amin"):
        r = ctx.result
        sl = src[tuple(slice(0, n) for n in index.shape)]
        hit_a = (a == r) if inc else (a == r) & ~touched
        hit_s = sl == r.gather(dim, idx_t)
        n = hit_a.to(g.dtype).scatter_add(dim, idx_t, hit_s.to(g.dtype))
        gn = g / n.clamp(min=1)
        ga = gn * hit_a
        gs = gn.gather(dim, idx_t) * hit_s
    else:  # prod: zeros get the product of the others, as in PyTorch
        ga, gs = _prod_grads(g, a, src, dim, index, inc, ctx.result)
    if gs is not None and gs.shape != src.shape:
        gs = _pad_to(gs, src)
    return ga, gs


def _prod_grads(g, a, src, dim, index, inc, result):
    gd, ad, r = g._data, a._data, result._data
    sl = src._data[tuple(slice(0, n) for n in index.shape)]
    masked_a = np.where(ad == 0, 1, ad)
    masked_r = _scatter_reduce_fwd(None, masked_a, sl, dim, index, "prod", inc)
    ga = gd * masked_r / masked_a
    if not inc:
        ga = np.where(_scatter_fwd(None, np.zeros(ad.shape, bool), True, dim, index), 0, gd)
    zero = sl == 0
    nzero = _scatter_fwd(None, np.zeros(ad.shape), zero.astype(float), dim, index, "add")
    single = zero & (nzero[_coords(index, dim)] == 1)
    masked_src_r = _scatter_reduce_fwd(None, ad, np.where(single, 1, sl), dim, index, "prod",
                                       inc)
    c = _coords(index, dim)
    gs = np.where(single, (gd * masked_src_r)[c], (gd * r)[c] / np.where(zero, 1, sl))
    return _wrap(ga.astype(gd.dtype)), _wrap(gs.astype(gd.dtype))


def _pad_to(g, like):
    out = np.zeros(like._data.shape, g._data.dtype)
    out[tuple(slice(0, n) for n in g.shape)] = g._data
    return _wrap(out)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d, idx = _check_scatter("scatter_reduce", input, dim, index, src)
    return _scatter_reduce(input, src, dim=d, index=idx, reduce=reduce, include_self=include_self)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = _errors.wrap_dim(dim, input.dim())
    shape = list(np.broadcast_shapes(
        tuple(s for i, s in enumerate(input.shape) if i != d),
        tuple(s for i, s in enumerate(indices.shape) if i != d)))
    ishape, xshape = shape.copy(), shape.copy()
    ishape.insert(d, indices.shape[d])
    xshape.insert(d, input.shape[d])
    return gather(input.expand(xshape), d, indices.expand(ishape))


# --- index_select / masked / take / index_add ... -------------------------------------------

def _index_select_fwd(ctx, a, dim, index):
    return np.take(a, index, axis=dim) if a.ndim else np.take(a, index)


_index_select = Op("IndexSelectBackward0", _index_select_fwd, saves=())
_index_select.backward(lambda ctx, g: _index_add(
    _wrap(np.zeros(ctx.inputs[0]._data.shape, g._data.dtype)), g, dim=ctx.kw["dim"],
    index=ctx.kw["index"], alpha=1))


def index_select(input, dim, index, *, out=None):
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    d = _errors.wrap_dim(dim, input.dim())
    idx = index._data.reshape(-1)
    n = input._data.shape[d] if input.dim() else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)][0]
        if bad < 0:
            raise IndexError("index out of range in self")
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
    return _index_select(input, dim=d, index=idx)


def _masked_fill_fwd(ctx, a, mask, value):
    return np.where(mask, value, a).astype(a.dtype, copy=False)


def _masked_fill_t_fwd(ctx, a, v, mask):
    return np.where(mask, v.astype(a.dtype), a)


_masked_fill = Op("MaskedFillBackward0", _masked_fill_fwd, saves=())
_masked_fill.backward(lambda ctx, g: g.masked_fill(_wrap(ctx.kw["mask"]), 0))
_masked_fill_t = Op("MaskedFillBackward1", _masked_fill_t_fwd, saves=())


@_masked_fill_t.backward
def _(ctx, g):
    m = _wrap(ctx.kw["mask"])
    return g.masked_fill(m, 0), (g.masked_fill(~m, 0).sum() if ctx.needs_input_grad[1] else None)


_MASK_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
               "uint8": "unsigned char", "float32": "float", "float64": "double",
               "float16": "c10::Half", "bfloat16": "c10::BFloat16"}


def masked_fill(input, mask, value):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_MASK_NAMES.get(mask.dtype.name, mask.dtype.name)}")
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise _errors.broadcast_mismatch(mask._data.shape, input._data.shape) from None
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.dim()} dimension(s).")
        return _masked_fill_t(input, value, mask=mask._data)
    r = _masked_fill(input, mask=mask._data, value=checked_scalar(value, input.dtype))
    return r if r._data.shape == shape else r


def masked_fill_(self, mask, value):
    r_shape = np.broadcast_shapes(self._data.shape, mask._data.shape) \
        if mask.dtype is D.bool else self._data.shape
    if r_shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(r_shape)}")
    return apply_inplace(self, masked_fill, mask, value, needs_self=False)


_masked_select = Op("MaskedSelectBackward0", lambda ctx, a, mask: np.broadcast_to(
    a, mask.shape)[mask] if a.shape != mask.shape else a[mask], saves=())
_masked_select.backward(lambda ctx, g: _index_grad(g, shape=ctx.kw["mask"].shape,
                                                   index=ctx.kw["mask"]))


def masked_select(input, mask):
    if mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise _errors.broadcast_mismatch(input._data.shape, mask._data.shape) from None
    return _masked_select(input, mask=np.broadcast_to(mask._data, shape))


def nonzero(input, *, as_tuple=False):
    a = input._data
    if a.ndim == 0:
        hit = int(bool(a))
        return (_wrap(np.zeros(hit, np.int64)),) if as_tuple else _wrap(np.zeros((hit, 0),
                                                                                  np.int64))
    nz = np.nonzero(a)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in nz)
    # PyTorch fills a (ndim, n) buffer and hands out its transpose
    return _wrap(np.stack(nz, 0).astype(np.int64, copy=False).T)


def argwhere(input):
    return nonzero(input)


def count_nonzero(input, dim=None):
    axis = tuple(dim) if isinstance(dim, (list, tuple)) else dim
    return _wrap(np.asarray(np.count_nonzero(input._data, axis=axis), dtype=np.int64))


_take = Op("TakeBackward0", lambda ctx, a, index: a.reshape(-1)[index], saves=())
_take.backward(lambda ctx, g: _index_grad(g, shape=(ctx.inputs[0].numel(),),
                                          index=ctx.kw["index"]).reshape(
    ctx.inputs[0]._data.shape))


def take(input, index):
    idx = index._data
    n = input.numel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         f"elements.")
    return _take(input, index=idx)


def _dim_index(shape, dim, index):
    sl = [slice(None)] * len(shape)
    sl[dim] = index
    return tuple(sl)


def _index_add_fwd(ctx, a, src, dim, index, alpha):
    out = a.copy()
    v = src if alpha == 1 else src * alpha
    np.add.at(out, _dim_index(a.shape, dim, index), v.astype(a.dtype, copy=False))
    return out


_index_add = Op("IndexAddBackward0", _index_add_fwd, saves=())
_index_add.backward(lambda ctx, g: (g, _index_select(g, dim=ctx.kw["dim"], index=ctx.kw[
    "index"]) * ctx.kw["alpha"] if ctx.needs_input_grad[1] else None))


def _index_src_checks(name, input, dim, index, source):
    d = _errors.wrap_dim(dim, input.dim())
    idx = index._data.reshape(-1)
    if idx.size != (source._data.shape[d] if source.dim() else 1):
        raise RuntimeError(f"{name}(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({source._data.shape[d]}), for dim: {d}")
    return d, idx


def index_add(input, dim, index, source, *, alpha=1):
    d, idx = _index_src_checks("index_add_", input, dim, index, source)
    _bounds(idx, input._data.shape[d], d)
    return _index_add(input, source, dim=d, index=idx, alpha=alpha)


_index_fill = Op("IndexFillBackward0", lambda ctx, a, dim, index, value: _fill_at(
    a, dim, index, value), saves=())
_index_fill.backward(lambda ctx, g: _index_fill(g, dim=ctx.kw["dim"], index=ctx.kw["index"],
                                                value=0))


def _fill_at(a, dim, index, value):
    out = a.copy()
    out[_dim_index(a.shape, dim, index)] = value
    return out


def index_fill(input, dim, index, value):
    d = _errors.wrap_dim(dim, input.dim())
    idx = index._data.reshape(-1)
    n = input._data.shape[d] if input.dim() else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"index {idx.max() if idx.max() >= n else idx.min()} is out of bounds "
                         f"for dimension {d} with size {n}")
    return _index_fill(input, dim=d, index=idx, value=checked_scalar(value, input.dtype))


def _index_copy_fwd(ctx, a, src, dim, index):
    out = a.copy()
    out[_dim_index(a.shape, dim, index)] = src
    return out


_index_copy = Op("IndexCopyBackward0", _index_copy_fwd, saves=())
_index_copy.backward(lambda ctx, g: (
    _index_fill(g, dim=ctx.kw["dim"], index=ctx.kw["index"], value=0),
    _index_select(g, dim=ctx.kw["dim"], index=ctx.kw["index"])
    if ctx.needs_input_grad[1] else None))


def index_copy(input, dim, index, source):
    d, idx = _index_src_checks("index_copy_", input, dim, index, source)
    try:
        _bounds(idx, input._data.shape[d], d, IndexError)
    except IndexError as e:
        raise IndexError(f"index_copy_(): {e}") from None
    return _index_copy(input, source, dim=d, index=idx)


def _inplace(fn, needs_self=False):
    return lambda self, *args, **kw: apply_inplace(
        self, lambda s, *a: fn(s, *a, **kw), *args, needs_self=needs_self)


install({
    "__getitem__": getitem, "__setitem__": setitem, "index_put": index_put,
    "index_put_": index_put_, "gather": gather, "take_along_dim": take_along_dim,
    "scatter": scatter, "scatter_add": scatter_add, "scatter_reduce": scatter_reduce,
    "scatter_": _inplace(scatter), "scatter_add_": _inplace(scatter_add),
    "scatter_reduce_": _inplace(scatter_reduce, needs_self=True),
    "index_select": index_select, "masked_fill": masked_fill, "masked_fill_": masked_fill_,
    "masked_select": masked_select, "nonzero": nonzero, "argwhere": argwhere,
    "count_nonzero": count_nonzero, "take": take, "index_add": index_add,
    "index_add_": _inplace(index_add), "index_fill": index_fill,
    "index_fill_": _inplace(index_fill), "index_copy": index_copy,
    "index_copy_": _inplace(index_copy),
})

__all__ = ["index_put", "index_put_", "gather", "take_along_dim", "scatter", "scatter_add",
           "scatter_reduce", "index_select", "masked_fill", "masked_select", "nonzero",
           "argwhere", "count_nonzero", "take", "index_add", "index_fill", "index_copy"]
