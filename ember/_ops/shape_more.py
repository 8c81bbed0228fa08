"""More shape and indexing ops: h/v/dsplit, split_with_sizes, the unsafe splits, the
*_scatter family (masked, diagonal, select, slice), put, fill_diagonal_, index_reduce,
cov/corrcoef, histogram, sum_to_size, new_empty_strided and the *_copy variants of views."""
import warnings

from .. import _errors
from ..autograd.op import Op
from ..autograd.grad_mode import no_grad
from ._util import D, Tensor, _wrap, np, install, TYPE_NAMES, qualified_node
from .inplace import apply_inplace
from .joining import split, tensor_split, cat, _split_bwd
from . import sort as _sort

_wrap_dim = _errors.wrap_dim


def _E():
    import ember  # the namespace, resolved late: this module is imported while it is built
    return ember


# --- h/v/dsplit, split_with_sizes, unsafe splits ---------------------------------------------

def _dir_split(name, input, ios, dim, min_dim):
    nd = input.dim()
    if nd < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, "
                           f"but got a tensor with {nd} dimensions!")
    if nd == 1 and name == "hsplit":
        dim = 0
    if isinstance(ios, (int, np.integer)):
        n = input._data.shape[dim]
        if ios == 0 or n % ios:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    return _dir_split("hsplit", input, indices_or_sections, 1, 1)


def vsplit(input, indices_or_sections):
    return _dir_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _dir_split("dsplit", input, indices_or_sections, 2, 3)


def split_with_sizes(input, split_sizes, dim=0):
    return split(input, list(split_sizes), dim)


_UNSAFE = {}


def _unsafe_op(name, n):
    # like split's op, but the pieces are not registered as views (the caller promises
    # not to write through them), so each piece is an ordinary result
    op = _UNSAFE.get((name, n))
    if op is None:
        from .joining import _split_fwd
        fwd = _split_fwd if n > 1 else (lambda ctx, a, **kw: _split_fwd(ctx, a, **kw)[0])
        op = Op(name, fwd, saves=(), n_outputs=n)
        op.backward(_split_bwd)
        _UNSAFE[name, n] = op
    return op


def _unsafe(name, input, dim, sizes):
    outs = _unsafe_op(name, len(sizes))(input, dim=dim, sizes=tuple(sizes))
    return outs if isinstance(outs, tuple) else (outs,)


def unsafe_split(tensor, split_size, dim=0):
    d = _wrap_dim(dim, max(tensor.dim(), 1))
    sizes = [p._data.shape[d] for p in split(tensor.detach(), split_size, d)]
    name = "UnsafeSplitBackward0" if isinstance(split_size, (int, np.integer)) else \
        "UnsafeSplitWithSizesBackward0"
    return _unsafe(name, tensor, d, sizes)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    d = _wrap_dim(dim, max(input.dim(), 1))
    sizes = [p._data.shape[d] for p in split(input.detach(), list(split_sizes), d)]
    return _unsafe("UnsafeSplitWithSizesBackward0", input, d, sizes)


def unsafe_chunk(input, chunks, dim=0):
    d = _wrap_dim(dim, max(input.dim(), 1))
    sizes = [p._data.shape[d] for p in input.detach().chunk(chunks, d)]
    return _unsafe("UnsafeSplitBackward0", input, d, sizes)


# --- masked_scatter -------------------------------------------------------------------------

def _masked_scatter_fwd(ctx, a, src, mask):
    out = np.array(np.broadcast_to(a, mask.shape), order="C")
    k = int(np.count_nonzero(mask))
    out[mask] = src.reshape(-1)[:k]
    return out


_masked_scatter = Op("MaskedScatterBackward0", _masked_scatter_fwd, saves=())


@_masked_scatter.backward
def _(ctx, g):
    mask = _wrap(ctx.kw["mask"])
    src = ctx.inputs[1]
    gs = None
    if ctx.needs_input_grad[1]:
        sel = g.masked_select(mask)
        pad = src.numel() - sel.numel()
        gs = cat([sel, g.new_zeros(pad)]).reshape(src.shape)
    return g.masked_fill(mask, 0), gs


def masked_scatter(input, mask, source):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {TYPE_NAMES[mask.dtype.name]}")
    if input.dtype is not source.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{TYPE_NAMES[input.dtype.name]} and "
                           f"{TYPE_NAMES[source.dtype.name]}")
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise _errors.broadcast_mismatch(mask._data.shape, input._data.shape) from None
    m = np.broadcast_to(mask._data, shape)
    if np.count_nonzero(m) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return _masked_scatter(input, source, mask=m)


def masked_scatter_(self, mask, source):
    if mask.dtype is D.bool:
        shape = np.broadcast_shapes(self._data.shape, mask._data.shape)
        if shape != self._data.shape:
            d = next(i for i, (p, q) in enumerate(zip(self._data.shape[::-1],
                                                      shape[::-1])) if p != q)
            d = len(shape) - 1 - d
            n = self._data.shape[d - len(shape) + self.dim()] if \
                d - len(shape) + self.dim() >= 0 else 1
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the "
                               f"existing size ({shape[d]}) at non-singleton dimension {d}.  "
                               f"Target sizes: {list(self.shape)}.  Tensor sizes: "
                               f"{list(shape)}")
    return apply_inplace(self, masked_scatter, mask, source, needs_self=False)


# --- diagonal/select/slice_scatter ----------------------------------------------------------

def _scatter_family(name, view):
    """An op writing ``src`` into a copy of ``input`` where ``view(input)`` looks."""
    def fwd(ctx, a, src, **kw):
        out = a.copy()
        view(out, **kw)[...] = src
        return out

    op = Op(name, fwd, saves=())

    @op.backward
    def _(ctx, g):
        gi = op(g, g.new_zeros(ctx.inputs[1].shape), **ctx.kw) if ctx.needs_input_grad[0] \
            else None
        gs = None
        if ctx.needs_input_grad[1]:
            gs = _view_tensor(g, view, ctx.kw)
        return gi, gs

    def run(input, src, **kw):
        want = view(input._data, **kw).shape
        if tuple(src._data.shape) != want:
            raise RuntimeError(f"expected src to have a size equal to the slice of self. src "
                               f"size = {list(src.shape)}, slice size = {list(want)}")
        return op(input, src.to(input.dtype) if src.dtype is not input.dtype else src, **kw)
    return run


def _view_tensor(g, view, kw):
    # the gradient seen through the same view, differentiably (create_graph)
    if "offset" in kw:
        return g.diagonal(kw["offset"], kw["dim1"], kw["dim2"])
    if "index" in kw:
        return g.select(kw["dim"], kw["index"])
    return g[(slice(None),) * kw["dim"] + (slice(kw["start"], kw["stop"], kw["step"]),)]


def _diag_view(a, offset, dim1, dim2):
    d = np.diagonal(a, offset, dim1, dim2)  # read-only: rebuild it writable on a's memory
    if not a.flags.writeable:
        return d
    off = d.__array_interface__["data"][0] - a.__array_interface__["data"][0]
    return np.ndarray(d.shape, d.dtype, a, off, d.strides)


def _select_view(a, dim, index):
    return a[(slice(None),) * dim + (index,)]


def _slice_view(a, dim, start, stop, step):
    return a[(slice(None),) * dim + (slice(start, stop, step),)]


_diagonal_scatter = _scatter_family("DiagonalScatterBackward0", _diag_view)
_select_scatter = _scatter_family("SelectScatterBackward0", _select_view)
_slice_scatter = _scatter_family("SliceScatterBackward0", _slice_view)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    nd = input.dim()
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _diagonal_scatter(input, src, offset=int(offset), dim1=d1, dim2=d2)


def select_scatter(input, src, dim, index):
    nd = input.dim()
    d = _wrap_dim(dim, nd)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return _select_scatter(input, src, dim=d, index=int(index) % n)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    d = _wrap_dim(dim, input.dim())
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    n = input._data.shape[d]
    s, e, _ = slice(start, end, step).indices(n)
    return _slice_scatter(input, src, dim=d, start=s, stop=max(s, e), step=int(step))


# --- put ------------------------------------------------------------------------------------

def _put_fwd(ctx, a, src, index, accumulate):
    out = a.copy()
    flat = out.reshape(-1)
    if accumulate:
        np.add.at(flat, index, src.reshape(-1))
    else:
        flat[index] = src.reshape(-1)
    return flat.reshape(a.shape)


_put = Op("PutBackward0", _put_fwd, saves=())


@_put.backward
def _(ctx, g):
    idx, src = ctx.kw["index"], ctx.inputs[1]
    gi = g
    if ctx.needs_input_grad[0] and not ctx.kw["accumulate"]:
        gi = _put(g, g.new_zeros(src.shape), index=idx, accumulate=False)
    gs = g.take(_wrap(idx)).reshape(src.shape) if ctx.needs_input_grad[1] else None
    return gi, gs


def put(input, index, source, accumulate=False):
    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{TYPE_NAMES[index.dtype.name]}")
    if input.dtype is not source.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {TYPE_NAMES[input.dtype.name]} and source.dtype = "
                           f"{TYPE_NAMES[source.dtype.name]}")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, index.numel() "
                         f"= {index.numel()}")
    idx = index._data.reshape(-1)
    n = input.numel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         f"elements.")
    return _put(input, source, index=idx, accumulate=bool(accumulate))


def put_(self, index, source, accumulate=False):
    return apply_inplace(self, put, index, source, accumulate, needs_self=False)


# --- fill_diagonal_, sum_to_size, new_empty_strided ------------------------------------------

def fill_diagonal_(self, fill_value, wrap=False):
    nd = self.dim()
    if nd < 2:
        raise RuntimeError("dimensions must larger than 1")
    shape = self._data.shape
    if nd > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    st = self.stride()
    n = min(shape)
    step = sum(st)
    if wrap and nd == 2 and shape[0] > shape[1] + 1 and self.is_contiguous():
        n = (self.numel() + shape[1]) // (shape[1] + 1)
    diag = self.as_strided((n,), (step,), self.storage_offset())
    diag.fill_(fill_value)
    return self


def sum_to_size(self, *size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    size = tuple(int(s) for s in size)
    shape = self._data.shape
    lead = len(shape) - len(size)
    ok = lead >= 0 and all(s == 1 or s == n for s, n in zip(size, shape[lead:]))
    if not ok:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if size == shape:
        return self
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(size)
                                      if s == 1 and shape[i + lead] != 1)
    r = self.sum(dims, keepdim=True) if dims else self
    return r.view(size) if lead else r


def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None,
                      requires_grad=False, pin_memory=False):
    return _E().empty_strided(size, stride, dtype=dtype or self.dtype,
                              requires_grad=requires_grad)


# --- index_reduce ---------------------------------------------------------------------------

_IDENT = {"prod": 1, "mean": 0}


def _index_reduce_fwd(ctx, a, src, dim, index, reduce, include_self):
    out = a.copy()
    src = np.moveaxis(src, dim, 0) if dim else src
    view = np.moveaxis(out, dim, 0) if dim else out
    if not include_self:
        if reduce in _IDENT:
            view[index] = _IDENT[reduce]
        else:
            kind = a.dtype.kind
            big = np.inf if kind == "f" else np.iinfo(a.dtype).max
            view[index] = -big if reduce == "amax" else big
    if reduce == "prod":
        np.multiply.at(view, index, src)
    elif reduce == "amax":
        np.maximum.at(view, index, src)
    elif reduce == "amin":
        np.minimum.at(view, index, src)
    else:
        np.add.at(view, index, src)
        counts = np.full(a.shape[dim], 1 if include_self else 0, np.int64)
        np.add.at(counts, index, 1)
        c = np.maximum(counts, 1).reshape((-1,) + (1,) * (a.ndim - 1)).astype(a.dtype)
        if a.dtype.kind in "iu":
            view[...] = view // c
        else:
            view[...] = view / c
    return out


_index_reduce = Op("IndexReduceBackward0", _index_reduce_fwd, saves_output=True)


@_index_reduce.backward
def _(ctx, g):
    a, src = ctx.inputs
    kw = ctx.kw
    dim, index, reduce, inc = kw["dim"], _wrap(kw["index"]), kw["reduce"], kw["include_self"]
    res = ctx.result
    res_s = res.index_select(dim, index)
    g_s = g.index_select(dim, index)
    touched = _wrap(np.isin(np.arange(a.shape[dim]), kw["index"]))
    tshape = [1] * a.dim()
    tshape[dim] = a.shape[dim]
    touched = touched.reshape(tshape)
    if reduce == "mean":
        counts = g.new_full((a.shape[dim],), 1.0 if inc else 0.0).index_add(
            0, index, g.new_ones(index.shape))
        counts = counts.clamp(min=1).reshape(tshape)
        gi = g / counts if inc else g.masked_fill(touched, 0)
        gs = (g / counts).index_select(dim, index)
        if inc:
            gi = gi.where(touched, g)
        return gi, gs
    if reduce == "prod":
        # products of everything else at each slot, safe when some factors are zero
        def others(x, r):
            return (r / x).where(x != 0, r.new_zeros(()))
        gi = g * others(a, res) if inc else g.masked_fill(touched, 0)
        gs = g_s * others(src, res_s)
        if inc:
            gi = gi.where(touched, g)
        return gi, gs
    # amax / amin: the gradient is shared equally among the values that attained it
    hit_s = (src == res_s)
    hit_a = (a == res) & touched if inc else a.new_zeros(a.shape).bool()
    n = hit_a.to(g.dtype).index_add(dim, index, hit_s.to(g.dtype))
    gi = (g / n).where(hit_a, g.new_zeros(())).where(touched, g)
    gs = (g / n).index_select(dim, index).where(hit_s, g.new_zeros(()))
    return gi, gs


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    warnings.warn("index_reduce() is in beta and the API may change at any time.")
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = _wrap_dim(dim, max(input.dim(), 1))
    idx = index._data.reshape(-1)
    if idx.size != (source._data.shape[d] if source.dim() else 1):
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal "
                           f"to source.size(dim): ({source._data.shape[d]}), for dim: {d}")
    n = input._data.shape[d] if input.dim() else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError("index out of range in self")
    return _index_reduce(input, source, dim=d, index=idx % n if idx.size else idx,
                         reduce=reduce, include_self=bool(include_self))


def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    return apply_inplace(self, lambda s, *a: index_reduce(s, *a, include_self=include_self),
                         dim, index, source, reduce)


# --- cov / corrcoef -------------------------------------------------------------------------

def cov(input, *, correction=1, fweights=None, aweights=None):
    E = _E()
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    if input.dtype is D.bool:
        raise NotImplementedError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if input.dim() < 2 else input
    nobs = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if wt.dim() > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but "
                               f"got {name} with {wt.dim()} dimensions")
        if name == "fweights" and wt.dtype.is_floating_point or wt.dtype.is_complex:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                               f"fweights with {TYPE_NAMES[wt.dtype.name]} dtype")
        if name == "aweights" and not wt.dtype.is_floating_point:
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {TYPE_NAMES[wt.dtype.name]} dtype")
        if wt.numel() != nobs:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                               f"observations in the input but got {wt.numel()} != {nobs}")
        if bool((wt < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = wt if w is None else w * wt
    w_sum = w.sum() if w is not None else E.tensor(nobs)
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and correction != 0:
        if aweights is not None:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
        else:
            norm = w_sum - correction
    elif correction != 0:
        norm = w_sum - correction
    else:
        norm = w_sum
    if bool(norm <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.")
        norm = norm.clamp(min=0)
    x = x - avg.unsqueeze(1)
    c = E.mm(x, (x * w if w is not None else x).t().conj())
    return E.true_divide(c, norm).squeeze()


def corrcoef(input):
    E = _E()
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = c.diagonal()
    sd = E.sqrt(d.real if d.is_complex() else d)
    c = c / sd.view(-1, 1)
    c = c / sd.view(1, -1)
    if c.is_complex():
        return E.complex(E.clip(c.real, -1, 1), E.clip(c.imag, -1, 1))
    return E.clip(c, -1, 1)


# --- histogram ------------------------------------------------------------------------------

for _n, _f in {"histogram": ("hist", "bin_edges"), "triangular_solve": ("solution",
               "cloned_coefficient"), "lu_unpack": ("P", "L", "U"),
               "_lu_with_info": ("LU", "pivots", "info")}.items():
    if not hasattr(_sort.RT, _n):
        _ns = {"__slots__": (), "_names": _f, "n_fields": len(_f),
               "n_sequence_fields": len(_f), "n_unnamed_fields": 0,
               "__module__": "ember.return_types"}
        _ns.update({k: property(lambda self, i=i: tuple.__getitem__(self, i))
                    for i, k in enumerate(_f)})
        setattr(_sort.RT, _n, type(_n, (_sort._StructSeq,), _ns))


def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    E = _E()
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogramdd\" not implemented for "
                                  f"'{TYPE_NAMES[input.dtype.name]}'")
    a = input._data.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins.detach().clone()
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               f"dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif a.size:
            lo, hi = float(a.min()), float(a.max())
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{lo:g} max {hi:g} for dimension 0")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = E.linspace(lo, hi, int(bins) + 1, dtype=input.dtype)
    e = edges._data
    wt = None if weight is None else weight._data.reshape(-1)
    h, _ = np.histogram(a, bins=e.astype(np.float64), weights=wt)
    h = h.astype(input.dtype.np)
    if density:
        h = h / (h.sum() * np.diff(e))
    return _sort.RT.histogram((_wrap(h.astype(input.dtype.np, copy=False)), edges))


# --- the *_copy variants of views ------------------------------------------------------------

_COPY_OPS = {}


def _copy_op(name, n):
    """``view(x)`` copied out contiguously; backward is the view's backward, obtained by
    differentiating the view itself (linear, so this is exact and keeps create_graph)."""
    op = _COPY_OPS.get((name, n))
    if op is not None:
        return op

    def fwd(ctx, a, view):
        with no_grad():
            r = view(_wrap(a))
        if isinstance(r, (tuple, list)):
            r = tuple(np.ascontiguousarray(t._data) for t in r)
            return r if n > 1 else r[0]
        return np.ascontiguousarray(r._data)

    op = Op(name, fwd, saves=(), n_outputs=n)

    @op.backward
    def _(ctx, *grads):
        E = _E()
        a = ctx.inputs[0]
        x = E.zeros(a.shape, dtype=a.dtype, requires_grad=True)
        with E.enable_grad():
            r = ctx.kw["view"](x)
        outs = list(r) if isinstance(r, (tuple, list)) else [r]
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
        create = any(g._requires_grad for _, g in pairs)
        # one scalar root: the engine mishandles several roots that share one node
        with E.enable_grad():
            total = sum((o * g).sum() for o, g in pairs)
        gx, = E.autograd.grad([total], [x], create_graph=create, allow_unused=True)
        return gx if gx is not None else E.zeros_like(a)

    _COPY_OPS[name, n] = op
    return op


def _make_copy(view_name, node, multi=False):
    def fn(input, *args, **kw):
        E = _E()
        view = getattr(E, view_name) if hasattr(E, view_name) else getattr(Tensor, view_name)
        v = (lambda t: view(t, *args, **kw))
        if multi:
            with no_grad():
                n = len(v(input.detach()))
            r = _copy_op(node, n)(input, view=v)
            return r if isinstance(r, tuple) else (r,)
        return _copy_op(node, 1)(input, view=v)
    fn.__name__ = view_name + "_copy"
    return fn


view_copy = _make_copy("view", "ViewBackward0_copy")
permute_copy = _make_copy("permute", "PermuteBackward0_copy")
expand_copy = _make_copy("expand", "ExpandBackward0_copy")
unsqueeze_copy = _make_copy("unsqueeze", "UnsqueezeBackward0_copy")
transpose_copy = _make_copy("transpose", "TransposeBackward0_copy")
t_copy = _make_copy("t", "TBackward0_copy")
diagonal_copy = _make_copy("diagonal", "DiagonalBackward0_copy")
select_copy = _make_copy("select", "SelectBackward0_copy")
unfold_copy = _make_copy("unfold", "UnfoldBackward0_copy")
split_copy = _make_copy("split", "SplitBackward0_copy", multi=True)
split_with_sizes_copy = _make_copy("split", "SplitWithSizesBackward0_copy", multi=True)
unbind_copy = _make_copy("unbind", "UnbindBackward0_copy", multi=True)
_squeeze0 = _make_copy("squeeze", "SqueezeBackward0_copy")
_squeeze1 = _make_copy("squeeze", "SqueezeBackward1_copy")
_squeeze2 = _make_copy("squeeze", "SqueezeBackward2_copy")


def squeeze_copy(input, dim=None):
    if dim is None:
        return _squeeze0(input)
    return (_squeeze2 if isinstance(dim, (tuple, list)) else _squeeze1)(input, dim)


def alias_copy(input):
    return _copy_op("AliasBackward0_copy", 1)(input, view=lambda t: t.view_as(t))


def slice_copy(input, dim=0, start=None, end=None, step=1):
    def v(t):
        return t[(slice(None),) * _wrap_dim(dim, t.dim()) + (slice(start, end, step),)]
    return _copy_op("SliceBackward0_copy", 1)(input, view=v)


def _no_derivative_fwd(ctx, a):
    return np.array(a, order="C")


_detach_copy = qualified_node(Op("NotImplemented", _no_derivative_fwd, saves=()),
                              "NotImplemented")


@_detach_copy.backward
def _(ctx, g):
    raise RuntimeError("derivative for aten::detach_copy is not implemented")


def detach_copy(input):
    return _detach_copy(input)


install({"hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
         "split_with_sizes": split_with_sizes, "unsafe_split": unsafe_split,
         "unsafe_split_with_sizes": unsafe_split_with_sizes, "unsafe_chunk": unsafe_chunk,
         "masked_scatter": masked_scatter, "masked_scatter_": masked_scatter_,
         "diagonal_scatter": diagonal_scatter, "select_scatter": select_scatter,
         "slice_scatter": slice_scatter, "put": put, "put_": put_,
         "index_reduce": index_reduce, "index_reduce_": index_reduce_,
         "fill_diagonal_": fill_diagonal_, "cov": cov, "corrcoef": corrcoef,
         "histogram": histogram, "sum_to_size": sum_to_size,
         "new_empty_strided": new_empty_strided})

__all__ = ["hsplit", "vsplit", "dsplit", "split_with_sizes", "unsafe_split",
           "unsafe_split_with_sizes", "unsafe_chunk", "masked_scatter", "diagonal_scatter",
           "select_scatter", "slice_scatter", "put", "index_reduce", "cov", "corrcoef",
           "histogram", "view_copy", "permute_copy", "expand_copy", "squeeze_copy",
           "unsqueeze_copy", "transpose_copy", "t_copy", "diagonal_copy", "select_copy",
           "slice_copy", "split_copy", "split_with_sizes_copy", "unbind_copy", "unfold_copy",
           "alias_copy", "detach_copy"]
