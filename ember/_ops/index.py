"""Indexing: __getitem__/__setitem__, index_put, gather/scatter, masked ops, nonzero."""
from .. import _errors
from ..autograd.op import Op
from ..autograd.grad_mode import state as _grad_state
from . import shape as S
from .inplace import apply_inplace, copy_, _check_writable
from ._util import D, Tensor, _wrap, np, install, result_dtype, cast_arg


def _is_advanced(x):
    return isinstance(x, (Tensor, list, np.ndarray)) or (
        isinstance(x, bool)) or (isinstance(x, tuple))


def _to_np_index(x):
    if isinstance(x, Tensor):
        if x.dtype.is_floating_point or x.dtype.is_complex:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return x._data
    if isinstance(x, list):
        flat = x
        while isinstance(flat, list) and flat:
            flat = flat[0]
        if isinstance(flat, Tensor):
            return np.array([_to_np_index(e) for e in x])
        arr = np.array(x)
        if arr.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr if arr.size else arr.astype(np.int64)
    return x


def _normalize(index):
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for x in index:
        if isinstance(x, Tensor) and x.dim() == 0 and not x.dtype.is_floating_point \
                and x.dtype is not D.bool:
            out.append(int(x._data))   # a 0-d integer tensor indexes like an int
        elif isinstance(x, np.integer):
            out.append(int(x))
        else:
            out.append(x)
    return tuple(out)


def _fix_error(e, shape):
    msg = str(e)
    if "out of bounds" in msg and "axis" in msg:
        return IndexError(msg.replace("axis", "dimension"))
    if "too many indices" in msg:
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if "boolean index did not match" in msg:
        return IndexError(msg)
    return IndexError(msg)


def _count_dims(index):
    n = 0
    for x in index:
        if x is None or x is Ellipsis:
            continue
        if isinstance(x, Tensor) and x.dtype is D.bool:
            n += x.dim()
        elif isinstance(x, bool):
            continue
        else:
            n += 1
    return n


def _basic_getitem(self, index):
    """Apply ints, slices, None and Ellipsis as a chain of view ops (PyTorch's grad_fns)."""
    nd = self.dim()
    used = _count_dims(index)
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    t, dim = self, 0
    for x in index:
        if x is Ellipsis:
            dim += nd - used
        elif x is None:
            t = S.unsqueeze(t, dim)
            dim += 1
        elif isinstance(x, int):
            n = t._data.shape[dim]
            if not -n <= x < n:
                raise _errors.index_out_of_range(x, dim, n)
            t = S.select(t, dim, x)
        elif isinstance(x, slice):
            n = t._data.shape[dim]
            start, stop, step = x.start, x.stop, x.step
            step = 1 if step is None else int(step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            if not (start in (None, 0) and stop is None and step == 1):
                start, stop, step = slice(start, stop, step).indices(n)
                stop = max(stop, start)
                t = S._slice(t, dim=dim, start=start, stop=stop, step=step)
            elif t is self:
                t = S._slice(t, dim=dim, start=0, stop=n, step=1)
            dim += 1
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                "Variables are valid indices (got " + type(x).__name__ + ")")
    return t


def _index_fwd(ctx, a, index):
    try:
        r = a[index]
    except IndexError as e:
        raise _fix_error(e, a.shape) from None
    return r if r.base is None else r.copy()


_index = Op("IndexBackward0", _index_fwd, saves=())


@_index.backward
def _(ctx, g):
    a = ctx.inputs[0]
    return _index_backward(g, a._data.shape, a.dtype, index=ctx.kw["index"])


def _index_backward_fwd(ctx, g, shape, dtype, index):
    out = np.zeros(shape, g.dtype)
    np.add.at(out, index, g)
    return out


_index_backward_op = Op("IndexPutBackward0", _index_backward_fwd, saves=())
_index_backward_op.backward(lambda ctx, g: _index(g, index=ctx.kw["index"]))


def _index_backward(g, shape, dtype, index):
    return _index_backward_op(g, shape=shape, dtype=dtype, index=index)


def getitem(self, index):
    if self._data.ndim == 0 and index is not None and index is not Ellipsis and not (
            isinstance(index, tuple) and all(i is None or i is Ellipsis for i in index)) \
            and not isinstance(index, (Tensor, list)):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    index = _normalize(index)
    if not any(_is_advanced(x) for x in index):
        return _basic_getitem(self, index)
    np_index = tuple(_to_np_index(x) for x in index)
    if len(np_index) == 1:
        np_index = np_index[0]
    return _index(self, index=np_index)


def _index_put_fwd(ctx, a, values, index, accumulate):
    out = a.copy()
    v = values
    try:
        if accumulate:
            np.add.at(out, index, v)
        else:
            out[index] = v
    except IndexError as e:
        raise _fix_error(e, a.shape) from None
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} "
                           f"cannot be broadcast to indexing result of shape "
                           f"{list(np.shape(a[index]))}") from None
    return out


_index_put = Op("IndexPutBackward0", _index_put_fwd, saves=())


@_index_put.backward
def _(ctx, g):
    index, acc = ctx.kw["index"], ctx.kw["accumulate"]
    ga = g
    if not acc:
        ga = g.clone()
        ga._data[index] = 0
    gv = _wrap(np.ascontiguousarray(g._data[index]))
    return ga, gv


def index_put(self, indices, values, accumulate=False):
    idx = tuple(_to_np_index(x) for x in indices)
    if not isinstance(values, Tensor):
        from .._creation import tensor
        values = tensor(values, dtype=self.dtype)
    elif values.dtype is not self.dtype:
        values = values.to(self.dtype)
    return _index_put(self, values, index=idx if len(idx) > 1 else idx[0],
                      accumulate=accumulate)


def index_put_(self, indices, values, accumulate=False):
    return apply_inplace(self, index_put, indices, values, accumulate=accumulate,
                         needs_self=False)


def setitem(self, index, value):
    index = _normalize(index)
    if not any(_is_advanced(x) for x in index):
        view = _basic_getitem(self, index) if index != (Ellipsis,) else self
        if isinstance(value, Tensor):
            copy_(view, value)
        else:
            if _grad_state.enabled and (self._requires_grad or view._requires_grad):
                from .._creation import tensor
                copy_(view, tensor(value, dtype=self.dtype))
            else:
                _check_writable(view)
                try:
                    view._data[...] = value
                except (TypeError, ValueError):
                    from .._creation import tensor
                    copy_(view, tensor(value, dtype=self.dtype))
                    return
                self._bump()
        return
    if not isinstance(value, Tensor):
        if not _grad_state.enabled or not self._requires_grad:
            _check_writable(self)
            np_index = tuple(_to_np_index(x) for x in index)
            try:
                self._data[np_index if len(np_index) > 1 else np_index[0]] = value
            except IndexError as e:
                raise _fix_error(e, self._data.shape) from None
            self._bump()
            return
    index_put_(self, index, value)


# --- gather / scatter / index_select / masked ---------------------------------------------

def _check_index_dtype(index, name):
    if index.dtype is not D.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


def _gather_fwd(ctx, a, dim, index):
    n = a.shape[dim] if a.ndim else 1
    if index.size and (index.min() < -n or index.max() >= n):
        bad = index.max() if index.max() >= n else index.min()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
    return np.take_along_axis(a, index, dim) if a.ndim else a[index]


_gather = Op("GatherBackward0", _gather_fwd, saves=())


@_gather.backward
def _(ctx, g):
    a = ctx.inputs[0]
    from .._creation import zeros
    return zeros(a._data.shape, dtype=g.dtype).scatter_add(ctx.kw["dim"],
                                                           _wrap(ctx.kw["index"]), g)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    _check_index_dtype(index, "gather")
    d = _errors.wrap_dim(dim, input.dim())
    if index.dim() != input.dim() and input.dim() > 0:
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    return _gather(input, dim=d, index=index._data)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = _errors.wrap_dim(dim, input.dim())
    shape = list(np.broadcast_shapes(
        tuple(s for i, s in enumerate(input.shape) if i != d),
        tuple(s for i, s in enumerate(indices.shape) if i != d)))
    ishape = shape.copy()
    ishape.insert(d, indices.shape[d])
    xshape = shape.copy()
    xshape.insert(d, input.shape[d])
    return gather(input.expand(xshape), d, indices.expand(ishape))


def _scatter_fwd(ctx, a, src, dim, index, reduce=None):
    out = a.copy()
    idx = _scatter_coords(index, dim)
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


def _scatter_coords(index, dim):
    coords = list(np.indices(index.shape, sparse=True))
    coords[dim] = index
    return tuple(coords)


_scatter = Op("ScatterBackward0", _scatter_fwd, saves=())


@_scatter.backward
def _(ctx, g):
    dim, index = ctx.kw["dim"], ctx.kw["index"]
    ga = g.clone()
    ga._data[_scatter_coords(index, dim)] = 0
    gs = None
    if ctx.needs_input_grad[1]:
        gs = _wrap(np.zeros(ctx.inputs[1]._data.shape, g._data.dtype))
        gs._data[tuple(slice(0, n) for n in index.shape)] = g._data[
            _scatter_coords(index, dim)]
    return ga, gs


_scatter_add = Op("ScatterAddBackward0", _scatter_fwd, saves=())


@_scatter_add.backward
def _(ctx, g):
    dim, index = ctx.kw["dim"], ctx.kw["index"]
    gs = None
    if ctx.needs_input_grad[1]:
        gs = _wrap(np.zeros(ctx.inputs[1]._data.shape, g._data.dtype))
        gs._data[tuple(slice(0, n) for n in index.shape)] = g._data[
            _scatter_coords(index, dim)]
    return g, gs


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None:
        src = value
    _check_index_dtype(index, "scatter")
    d = _errors.wrap_dim(dim, input.dim())
    if not isinstance(src, Tensor):
        from .._creation import full
        return _scatter(input, full(index.shape, src, dtype=input.dtype), dim=d,
                        index=index._data, reduce=reduce)
    return _scatter(input, src.to(input.dtype), dim=d, index=index._data, reduce=reduce)


def scatter_add(input, dim, index, src):
    _check_index_dtype(index, "scatter_add")
    d = _errors.wrap_dim(dim, input.dim())
    return _scatter_add(input, src.to(input.dtype), dim=d, index=index._data, reduce="add")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    d = _errors.wrap_dim(dim, input.dim())
    base = input
    if not include_self:
        fill = {"sum": 0, "prod": 1, "amax": -np.inf, "amin": np.inf, "mean": 0}[reduce]
        base = input.clone()
        base._data[_scatter_coords(index._data, d)] = fill
    if reduce == "mean":
        total = _scatter_fwd(None, base._data, src._data, d, index._data, "sum")
        counts = _scatter_fwd(None, np.ones_like(base._data) if include_self else
                              np.zeros_like(base._data), np.ones_like(src._data), d,
                              index._data, "sum")
        counts = np.maximum(counts, 1)
        r = total / counts
        return _wrap(r.astype(input.dtype.np) if input.dtype.is_floating_point
                     else np.floor_divide(total, counts).astype(input.dtype.np))
    return _wrap(_scatter_fwd(None, base._data, src._data, d, index._data, reduce))


def _index_select_fwd(ctx, a, dim, index):
    n = a.shape[dim] if a.ndim else 1
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"index out of range in self")
    return np.take(a, index, axis=dim) if a.ndim else np.take(a, index)


_index_select = Op("IndexSelectBackward0", _index_select_fwd, saves=())


@_index_select.backward
def _(ctx, g):
    a = ctx.inputs[0]
    dim, index = ctx.kw["dim"], ctx.kw["index"]
    out = np.zeros(a._data.shape, g._data.dtype)
    sl = [slice(None)] * out.ndim
    sl[dim] = index
    np.add.at(out, tuple(sl), g._data)
    return _wrap(out)


def index_select(input, dim, index, *, out=None):
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    d = _errors.wrap_dim(dim, input.dim())
    return _index_select(input, dim=d, index=index._data.reshape(-1))


def _masked_fill_fwd(ctx, a, mask, value):
    try:
        return np.where(mask, np.asarray(value).astype(a.dtype), a)
    except ValueError:
        raise _errors.broadcast_mismatch(a.shape, mask.shape) from None


_masked_fill = Op("MaskedFillBackward0", _masked_fill_fwd, saves=())


@_masked_fill.backward
def _(ctx, g):
    return g.masked_fill(_wrap(ctx.kw["mask"]), 0)


def masked_fill(input, mask, value):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype.name.replace('int64', 'long')}")
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.dim()} dimension(s).")
        value = value.item()
    r = _masked_fill(input, mask=mask._data, value=value)
    if r._data.shape != input._data.shape:
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the "
                           f"broadcast shape {list(r.shape)}")
    return r


def masked_fill_(self, mask, value):
    return apply_inplace(self, masked_fill, mask, value, needs_self=False)


def masked_select(input, mask):
    if mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    x = input.expand(shape) if input._data.shape != shape else input
    m = np.broadcast_to(mask._data, shape)
    return _index(x, index=m)


def nonzero(input, *, as_tuple=False):
    nz = np.nonzero(input._data) if input.dim() else np.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in nz)
    return _wrap(np.stack(nz, 1).astype(np.int64) if nz else np.zeros((0, 0), np.int64))


def argwhere(input):
    return nonzero(input)


def count_nonzero(input, dim=None):
    return _wrap(np.asarray(np.count_nonzero(input._data, axis=dim), dtype=np.int64))


def take(input, index):
    return _index(input.reshape(-1), index=index._data)


def index_add(input, dim, index, source, *, alpha=1):
    d = _errors.wrap_dim(dim, input.dim())
    if index.numel() != (source.shape[d] if source.dim() else 1):
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal "
                           f"to source.size(dim): ({source.shape[d]}), for dim: {d}")
    sl = [slice(None)] * input.dim()
    sl[d] = index
    return index_put(input, tuple(_wrap(np.broadcast_to(np.arange(n).reshape(
        [-1 if i == k else 1 for i in range(input.dim())]), source.shape)) if k != d else
        _wrap(np.broadcast_to(index._data.reshape([-1 if i == d else 1 for i in range(
            input.dim())]), source.shape)) for k, n in enumerate(source.shape)),
        source * alpha if alpha != 1 else source, accumulate=True)


def index_fill(input, dim, index, value):
    d = _errors.wrap_dim(dim, input.dim())
    mask = np.zeros(input._data.shape, bool)
    sl = [slice(None)] * input.dim()
    sl[d] = index._data
    mask[tuple(sl)] = True
    return masked_fill(input, _wrap(mask), value)


def index_copy(input, dim, index, source):
    d = _errors.wrap_dim(dim, input.dim())
    sl = [slice(None)] * input.dim()
    sl[d] = index
    return index_put(input, tuple(sl[i] if i == d else _wrap(np.arange(
        input.shape[i]).reshape([-1 if j == i else 1 for j in range(input.dim())]))
        for i in range(input.dim())), source)


install({
    "__getitem__": getitem, "__setitem__": setitem, "index_put": index_put,
    "index_put_": index_put_, "gather": gather, "take_along_dim": take_along_dim,
    "scatter": scatter, "scatter_add": scatter_add, "scatter_reduce": scatter_reduce,
    "scatter_": lambda s, dim, index, src=None, value=None, reduce=None: apply_inplace(
        s, lambda x: scatter(x, dim, index, src, value, reduce=reduce), needs_self=False),
    "scatter_add_": lambda s, dim, index, src: apply_inplace(
        s, lambda x: scatter_add(x, dim, index, src), needs_self=False),
    "scatter_reduce_": lambda s, dim, index, src, reduce, include_self=True: apply_inplace(
        s, lambda x: scatter_reduce(x, dim, index, src, reduce, include_self=include_self),
        needs_self=False),
    "index_select": index_select, "masked_fill": masked_fill, "masked_fill_": masked_fill_,
    "masked_select": masked_select, "nonzero": nonzero, "argwhere": argwhere,
    "count_nonzero": count_nonzero, "take": take, "index_add": index_add,
    "index_add_": lambda s, dim, index, source, alpha=1: apply_inplace(
        s, lambda x: index_add(x, dim, index, source, alpha=alpha), needs_self=False),
    "index_fill": index_fill,
    "index_fill_": lambda s, dim, index, value: apply_inplace(
        s, lambda x: index_fill(x, dim, index, value), needs_self=False),
    "index_copy": index_copy,
    "index_copy_": lambda s, dim, index, source: apply_inplace(
        s, lambda x: index_copy(x, dim, index, source), needs_self=False),
})
