"""gather/scatter and the index_* / masked_* / take / nonzero family (re-exported by index).

Out-of-place results are copies of the input with the input's layout, as PyTorch's
clone-then-write-in-place implementations give.
"""
from .. import _errors
from ..autograd.op import Op
from .inplace import apply_inplace
from .index import _index_grad
from ._util import D, Tensor, _wrap, np, install, checked_scalar, qualified_node


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
    "gather": gather, "take_along_dim": take_along_dim, "scatter": scatter,
    "scatter_add": scatter_add, "scatter_reduce": scatter_reduce,
    "scatter_": _inplace(scatter), "scatter_add_": _inplace(scatter_add),
    "scatter_reduce_": _inplace(scatter_reduce, needs_self=True),
    "index_select": index_select, "masked_fill": masked_fill, "masked_fill_": masked_fill_,
    "masked_select": masked_select, "nonzero": nonzero, "argwhere": argwhere,
    "count_nonzero": count_nonzero, "take": take, "index_add": index_add,
    "index_add_": _inplace(index_add), "index_fill": index_fill,
    "index_fill_": _inplace(index_fill), "index_copy": index_copy,
    "index_copy_": _inplace(index_copy),
})

__all__ = ["gather", "take_along_dim", "scatter", "scatter_add", "scatter_reduce",
           "index_select", "masked_fill", "masked_select", "nonzero", "argwhere",
           "count_nonzero", "take", "index_add", "index_fill", "index_copy"]
