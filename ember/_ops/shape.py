"""View ops (sharing storage, with PyTorch's strides) and joining ops.

Every view is a NumPy view of the same memory, built with NumPy's own cheap
indexing/reshape/transpose where that gives PyTorch's strides, and with an
explicit strided view otherwise.  The backward of a slicing view scatters the
gradient into zeros of the input's shape ("embeds" it) and is itself
differentiable: its backward is the same view again.
"""
import math
import warnings
import weakref

from .. import _errors
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install, canonical_dims

_wrap_dim = _errors.wrap_dim
_ndarray = np.ndarray
_new_array = _ndarray.__new__
_as_strided = np.lib.stride_tricks.as_strided


class ViewOp(Op):
    """A view op.  Views on the graph are remembered by their base, so that when the
    base's memory is written in place every view's grad_fn can be re-derived from
    the base (PyTorch does this lazily, through the shared version counter)."""

    def __init__(self, name, forward, **kw):
        super().__init__(name, forward, saves=(), view=True, **kw)

    def __call__(self, a, **kw):
        # every view op takes one tensor: the graph-free path skips Op's generic loop
        if not (a._requires_grad and _grad_state.enabled):
            out = self.fwd(None, a._data, **kw)
            if self.n_outputs == 1:
                return a._as_view_of(out)
            return tuple(a._as_view_of(o) for o in out)
        out = Op.__call__(self, a, **kw)
        first = out[0] if type(out) is tuple else out
        if first._requires_grad:
            base = first._base
            views = base.__dict__.get("_views")
            if views is None:
                views = base._views = {}
            elif len(views) > 64:  # drop views that died
                for k in [k for k, r in views.items() if r() is None]:
                    del views[k]
            for o in (out if type(out) is tuple else (out,)):
                views[id(o)] = weakref.ref(o)
        return out


def live_views(base):
    """The registered views of ``base`` that are still alive."""
    views = base.__dict__.get("_views")
    if not views:
        return []
    out = [r() for r in views.values()]
    return [v for v in out if v is not None and v._base is base]


def _elem_strides(a):
    its = a.itemsize
    return tuple(s // its for s in a.strides)


def _c_strides(a):
    """C-contiguous byte strides of ``a``'s shape."""
    out, acc = [], a.itemsize
    for n in reversed(a.shape):
        out.append(acc)
        acc *= n if n else 1
    return tuple(reversed(out))


def _contig_strides(shape):
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(out))


def _strided(a, shape, strides, offset=0):
    """A view of ``a``'s memory with element ``strides``, starting ``offset`` elements in.

    ``a`` is read as flat memory from its first element (it must be contiguous
    for the cheap path; otherwise NumPy's slower ``as_strided`` is used).
    """
    its = a.itemsize
    bst = tuple(s * its for s in strides)
    if a.flags.c_contiguous:
        try:
            return _new_array(_ndarray, shape, a.dtype, a, offset * its, bst)
        except (TypeError, ValueError):
            pass
    flat = a if a.ndim == 1 else a.reshape(-1) if a.flags.c_contiguous else a
    if offset:
        flat = flat.reshape(-1)[offset:]
    return _as_strided(flat, shape=shape, strides=bst, writeable=a.flags.writeable)


def _restride(a, shape, strides, read_only=False):
    """A view starting where ``a`` starts, with explicit element strides."""
    r = _strided(a, tuple(shape), tuple(strides))
    if read_only and r.flags.writeable:
        r.flags.writeable = False  # broadcast elements: in-place writes must fail, as in PyTorch
    return r


def _broadcasts(shape, strides):
    """A stride-0 dim of size > 1: the overlap PyTorch refuses to write through."""
    return any(s == 0 and n > 1 for n, s in zip(shape, strides))


def _overlaps(shape, strides):
    """Whether a strided view addresses some memory twice (PyTorch's internal overlap)."""
    dims = sorted((abs(s), n) for n, s in zip(shape, strides) if n > 1)
    span = 1
    for s, n in dims:
        if s < span:
            return True
        span = s * (n - 1) + span
    return False


def _infer_shape(shape, numel):
    neg = -1
    n = 1
    for i, s in enumerate(shape):
        if s == -1:
            if neg >= 0:
                raise RuntimeError("only one dimension can be inferred")
            neg = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}")
        else:
            n *= s
    if neg >= 0:
        if n == 0 or numel % n:
            raise _errors.shape_invalid(shape, numel)
        shape = shape[:neg] + (numel // n,) + shape[neg + 1:]
    elif n != numel:
        raise _errors.shape_invalid(shape, numel)
    return shape


def _shape_args(shape):
    """Sizes given as ints, one sequence (or torch.Size), or a 1-d tensor."""
    if len(shape) == 1 and type(shape[0]) is not int:
        s = shape[0]
        if isinstance(s, Tensor):
            return tuple(int(v) for v in s.tolist()) if s.dim() else (int(s),)
        shape = s if isinstance(s, (tuple, list)) else (s,)
    for s in shape:
        if type(s) is not int:
            return tuple(int(v) for v in shape)
    return tuple(shape)


def _view_strides(old_shape, old_strides, new_shape):
    """PyTorch's rule for when a view of a strided tensor exists; None if it does not."""
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0 or not old_shape:
        return old_strides if tuple(old_shape) == tuple(new_shape) else _contig_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = old_strides[d - 1]
                tensor_numel = view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


# --- view / reshape -------------------------------------------------------------------

def _view_fwd(ctx, a, shape):
    if a.flags.c_contiguous and (1 not in a.shape or a.strides == _c_strides(a)):
        return a.reshape(shape)  # canonical strides: NumPy's reshape gives PyTorch's
    strides = _view_strides(a.shape, _elem_strides(a), shape)
    if strides is None:
        raise _errors.view_incompatible()
    return _restride(a, shape, strides)


_view = ViewOp("ViewBackward0", _view_fwd)
_view.backward(lambda ctx, g: g.reshape(ctx.inputs[0]._data.shape))
_reshape_alias = ViewOp("ReshapeAliasBackward0", _view_fwd)
_reshape_alias.backward(lambda ctx, g: g.reshape(ctx.inputs[0]._data.shape))
_unsafe_view = Op("UnsafeViewBackward0", lambda ctx, a, shape: a.reshape(shape), saves=())
_unsafe_view.backward(lambda ctx, g: g.reshape(ctx.inputs[0]._data.shape))


def view(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], (D.dtype, str)):
        return _view_dtype(self, D.to_dtype(shape[0]))
    return _view(self, shape=_infer_shape(_shape_args(shape), self._data.size))


def _view_dtype(self, dtype):
    a, old = self._data, self.dtype
    if dtype.itemsize != old.itemsize:
        names = (_errors._TYPE_NAMES[old.name][:-6], _errors._TYPE_NAMES[dtype.name][:-6])
        what = f"to view {names[0]} as {names[1]} (different element sizes)"
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if a.strides[-1] != a.itemsize and a.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got "
                               f"{a.strides[-1] // a.itemsize}")
        if dtype.itemsize > old.itemsize and a.shape[-1] % (dtype.itemsize // old.itemsize):
            raise RuntimeError(f"self.size(-1) must be divisible by "
                               f"{dtype.itemsize // old.itemsize} {what}, but got "
                               f"{a.shape[-1]}")
    t = self._as_view_of(a.view(dtype.np))
    t.dtype = dtype
    return t


def reshape(input, *shape):
    shape = _infer_shape(_shape_args(shape), input._data.size)
    a = input._data
    if a.flags.c_contiguous:
        return _view(input, shape=shape)
    if _view_strides(a.shape, _elem_strides(a), shape) is not None:
        return _reshape_alias(input, shape=shape)
    from .elementwise import _clone
    return _unsafe_view(_clone(input, order="C"), shape=shape)


def view_as(self, other):
    return view(self, other.shape)


def reshape_as(self, other):
    return reshape(self, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    nd = input.dim()
    if nd == 0:
        _wrap_dim(start_dim, 0), _wrap_dim(end_dim, 0)
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    return reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def ravel(input):
    from .elementwise import contiguous
    return view(contiguous(input), -1)


def unflatten(input, dim, sizes):
    d = _wrap_dim(dim, input.dim())
    shape = input._data.shape
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, shape[d]) if -1 in sizes else sizes
    except RuntimeError as e:
        raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
    if math.prod(sizes) != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[d]}) in the input tensor")
    return _view(input, shape=shape[:d] + sizes + shape[d + 1:])


# --- squeeze / unsqueeze / expand -----------------------------------------------------

def _unsqueeze_fwd(ctx, a, dim):
    shape, st = a.shape, a.strides
    new = st[dim] * shape[dim] if dim < a.ndim else a.itemsize
    want = st[:dim] + (new,) + st[dim:]
    r = a.reshape(shape[:dim] + (1,) + shape[dim:])
    if r.strides != want:
        its = a.itemsize
        r = _restride(a, r.shape, tuple(s // its for s in want))
    return r


_unsqueeze = ViewOp("UnsqueezeBackward0", _unsqueeze_fwd)
_unsqueeze.backward(lambda ctx, g: g.squeeze(ctx.kw["dim"]))


def unsqueeze(input, dim):
    return _unsqueeze(input, dim=_wrap_dim(dim, input._data.ndim + 1))


def _squeeze_fwd(ctx, a, dims):
    # indexing drops the dims and keeps every other stride exactly
    return a[tuple(0 if i in dims and n == 1 else slice(None) for i, n in enumerate(a.shape))
             + (Ellipsis,)]  # a trailing Ellipsis keeps 0-d results arrays (views)


def _squeeze_op(name):
    op = ViewOp(name, _squeeze_fwd)
    op.backward(lambda ctx, g: g.reshape(ctx.inputs[0]._data.shape))
    return op


_squeeze_all = _squeeze_op("SqueezeBackward0")
_squeeze_dim = _squeeze_op("SqueezeBackward1")
_squeeze_dims = _squeeze_op("SqueezeBackward2")


def squeeze(input, dim=None):
    nd = input._data.ndim
    if dim is None:
        return _squeeze_all(input, dims=tuple(range(nd)))
    if isinstance(dim, (tuple, list)):
        return _squeeze_dims(input, dims=canonical_dims(dim, nd))
    return _squeeze_dim(input, dims=(_wrap_dim(dim, nd),))


def _expand_geometry(a, sizes):
    """PyTorch's expanded shape and byte strides (stride 0 where a dim is broadcast)."""
    shape, st = a.shape, a.strides
    nd, lead = len(sizes), len(sizes) - a.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.{_errors._TYPE_NAMES[D._BY_NP[a.dtype].name]}{{{list(shape)}}}, "
            f"size={list(sizes)}): the number of sizes provided ({nd}) must be greater or "
            f"equal to the number of dimensions in the tensor ({a.ndim})")
    out_shape, out_st = [0] * nd, [0] * nd
    for i in range(nd - 1, -1, -1):
        target = sizes[i]
        if i < lead:
            if target < 0:
                raise RuntimeError(f"The expanded size of the tensor ({target}) isn't allowed "
                                   f"in a leading, non-existing dimension {i}")
            size, stride = 1, (a.itemsize if i == nd - 1 else out_shape[i + 1] * out_st[i + 1])
        else:
            size, stride = shape[i - lead], st[i - lead]
            if target == -1:
                target = size
        if size != target:
            if size != 1:
                raise _errors.expand_mismatch(shape, sizes)
            if target < 0:
                raise RuntimeError("numel: integer multiplication overflow")
            size, stride = target, 0
        out_shape[i], out_st[i] = size, stride
    return tuple(out_shape), tuple(out_st)


def _expand_fwd(ctx, a, shape, strides):
    if a.flags.c_contiguous:  # NumPy views the same buffer with the new byte strides
        try:
            r = _new_array(_ndarray, shape, a.dtype, a, 0, strides)
        except (TypeError, ValueError):
            r = _as_strided(a, shape=shape, strides=strides, writeable=a.flags.writeable)
    else:
        r = _as_strided(a, shape=shape, strides=strides, writeable=a.flags.writeable)
    if 0 in strides and r.flags.writeable and _broadcasts(shape, strides):
        r.flags.writeable = False  # broadcast elements: in-place writes must fail, as in PyTorch
    return r


_expand = ViewOp("ExpandBackward0", _expand_fwd)
_expand.backward(lambda ctx, g: g)  # summed back to the input's shape by the wrapper


def expand(self, *sizes):
    shape, strides = _expand_geometry(self._data, _shape_args(sizes))
    return _expand(self, shape=shape, strides=strides)


def expand_as(self, other):
    return expand(self, other.shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


def broadcast_shapes(*shapes):
    from .._tensor import Size
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    out = []
    for k, s in enumerate(shapes):
        for j in range(1, len(s) + 1):
            n = s[-j]
            if j > len(out):
                out.insert(0, n)
            elif out[-j] == 1:
                out[-j] = n
            elif n != 1 and n != out[-j]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {n} at {-j}! Mismatching "
                    f"argument at index {k} had {s}; but expected shape should be broadcastable "
                    f"to {out}")
    return Size(out)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = ()
    for t in tensors:
        try:
            shape = np.broadcast_shapes(shape, t._data.shape)
        except ValueError:
            raise _errors.broadcast_mismatch(shape, t._data.shape) from None
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


# --- permutations ------------------------------------------------------------------------

_permute = ViewOp("PermuteBackward0", lambda ctx, a, dims: a.transpose(dims))
_permute.backward(lambda ctx, g: g.permute(tuple(np.argsort(ctx.kw["dims"]).tolist())))


def permute(input, *dims):
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = _shape_args(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match "
            f"the length of the desired ordering of dimensions i.e. input.dim() = {nd} is "
            f"not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permute(input, dims=dims)


def _swap_fwd(ctx, a, d0, d1):
    if a.ndim == 0:
        return a.view()
    perm = list(range(a.ndim))
    perm[d0], perm[d1] = d1, d0
    return a.transpose(perm)


_transpose = ViewOp("TransposeBackward0", _swap_fwd)
_transpose.backward(lambda ctx, g: g.transpose(ctx.kw["d0"], ctx.kw["d1"]))
_t = ViewOp("TBackward0", lambda ctx, a: a.T)
_t.backward(lambda ctx, g: g.t())


def transpose(input, dim0, dim1):
    nd = input._data.ndim
    return _transpose(input, d0=_wrap_dim(dim0, nd), d1=_wrap_dim(dim1, nd))


def t(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    return _t(input)


def movedim(input, source, destination):
    nd = input.dim()
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [_wrap_dim(s, nd) for s in src]
    dst = [_wrap_dim(d, nd) for d in dst]
    for name, ds, orig in (("source", src, source), ("destination", dst, destination)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(orig)})")
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _permute(input, dims=tuple(order[:nd]))


def _mT(self):
    if self.dim() == 1:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.dim()}-D tensor.")
    if self.dim() == 0:
        _warn_0d("mT", "This function is the identity in these cases.")
        return self
    return transpose(self, -2, -1)


def _warn_0d(name, advice):
    warnings.warn(f"Tensor.{name} is deprecated on 0-D tensors. {advice}", UserWarning,
                  stacklevel=3)


def _mH(self):
    if self.dim() == 1:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self.dim()}-D tensor.")
    if self.dim() == 0:
        _warn_0d("mH", "Consider using x.conj().")
        return self
    return transpose(self, -2, -1)


def _H(self):
    if self.dim() != 2 and self.dim() != 0:
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.dim()}-D tensor.")
    if self.dim() == 0:
        _warn_0d("H", "Consider using x.conj().")
        return self
    return transpose(self, 0, 1)


def _T(self):
    nd = self.dim()
    if nd == 0:
        _warn_0d("T", "This function is the identity in these cases.")
    elif nd != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=2)
    return _permute(self, dims=tuple(range(nd - 1, -1, -1)))


# --- slicing views: backward embeds the gradient where the view looked --------------------

def _embed_fwd(ctx, g, shape, op, kw):
    out = np.zeros(shape, g.dtype)
    region = op.fwd(None, out, **kw)
    if not _overlaps(region.shape, _elem_strides(region)):
        region[...] = g
    else:  # overlapping windows (unfold): every element sums its gradients
        idx = op.fwd(None, np.arange(out.size).reshape(shape), **kw)
        np.add.at(out.reshape(-1), np.ascontiguousarray(idx).reshape(-1),
                  np.broadcast_to(g, idx.shape).reshape(-1))
    return out


_embed = Op("EmbedBackward0", _embed_fwd, saves=())
_embed.backward(lambda ctx, g: ctx.kw["op"](g, **ctx.kw["kw"]))


def _slicing_view(name, fwd):
    op = ViewOp(name, fwd)
    op.backward(lambda ctx, g: _embed(g, shape=ctx.inputs[0]._data.shape, op=op, kw=ctx.kw))
    return op


_select = _slicing_view("SelectBackward0",
                        lambda ctx, a, dim, index: a[(slice(None),) * dim + (index, Ellipsis)])
_slice = _slicing_view("SliceBackward0", lambda ctx, a, dim, start, stop, step: a[
    (slice(None),) * dim + (slice(start, stop, step),)])


def select(input, dim, index):
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, nd)
    n = input._data.shape[dim]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return _select(input, dim=dim, index=index + n if index < 0 else index)


def narrow(input, dim, start, length):
    nd = input.dim()
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, nd)
    n = input._data.shape[dim]
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but "
                         f"got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, dim=dim, start=start, stop=start + length, step=1)


def _diagonal_fwd(ctx, a, offset, dim1, dim2):
    r = np.diagonal(a, offset, dim1, dim2)
    if a.flags.writeable:
        r.flags.writeable = True  # NumPy hands out read-only diagonals; PyTorch's write through
    return r


_diagonal = _slicing_view("DiagonalBackward0", _diagonal_fwd)


def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input.dim()
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _diagonal(input, offset=offset, dim1=d1, dim2=d2)


def _unfold_fwd(ctx, a, dimension, size, step):
    if a.ndim == 0:
        return _restride(a, (size,), (1,))
    shape, st = list(a.shape), list(_elem_strides(a))
    shape[dimension] = (shape[dimension] - size) // step + 1
    shape.append(size)
    st.append(st[dimension])
    st[dimension] *= step
    return _restride(a, shape, st, read_only=_broadcasts(shape, st))


_unfold = _slicing_view("UnfoldBackward0", _unfold_fwd)


def unfold(self, dimension, size, step):
    nd = self.dim()
    d = _wrap_dim(dimension, nd)
    n = self._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _unfold(self, dimension=d, size=size, step=step)


def _as_strided_fwd(ctx, a, size, stride, storage_offset, buf):
    return _strided(buf, size, stride, storage_offset)


_as_strided_op = ViewOp("AsStridedBackward0", _as_strided_fwd)


@_as_strided_op.backward
def _(ctx, g):
    # The input's own elements in storage coordinates receive the view's gradient.
    a, kw = ctx.inputs[0], ctx.kw
    base = np.arange(kw["buf"].size)
    pos = _strided(base, a._data.shape, _elem_strides(a._data), a.storage_offset())
    order = np.full(base.size, -1)
    order[pos.reshape(-1)] = np.arange(pos.size)
    idx = order[_strided(base, kw["size"], kw["stride"], kw["storage_offset"])]
    return _gather_embed(g, shape=a._data.shape, idx=idx)


def _gather_embed_fwd(ctx, g, shape, idx):
    out = np.zeros(math.prod(shape), g.dtype)
    keep = idx >= 0
    np.add.at(out, idx[keep], np.broadcast_to(g, idx.shape)[keep])
    return out.reshape(shape)


_gather_embed = Op("AsStridedScatterBackward0", _gather_embed_fwd, saves=())
_gather_embed.backward(lambda ctx, g: _wrap(np.where(
    ctx.kw["idx"] >= 0, g._data.reshape(-1)[np.maximum(ctx.kw["idx"], 0)], 0)))


def as_strided(input, size, stride, storage_offset=None):
    buf = input._storage()._buf
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                           f"got strides: {list(stride)}")
    off = input.storage_offset() if storage_offset is None else int(storage_offset)
    if off < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {off}")
    need = off + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if need > buf.size:
        its = input.dtype.itemsize
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {off}, "
            f"and itemsize {its} requiring a storage size of {need * its} are out of bounds "
            f"for storage of size {buf.nbytes}")
    return _as_strided_op(input, size=size, stride=stride, storage_offset=off, buf=buf)


install({
    "view": view, "view_as": view_as, "reshape": reshape, "reshape_as": reshape_as,
    "flatten": flatten, "ravel": ravel, "unflatten": unflatten, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "expand": expand, "expand_as": expand_as,
    "broadcast_to": broadcast_to, "permute": permute, "transpose": transpose,
    "swapaxes": transpose, "swapdims": transpose, "t": t, "movedim": movedim,
    "moveaxis": movedim, "select": select, "narrow": narrow, "diagonal": diagonal,
    "as_strided": as_strided, "unfold": unfold,
    "T": property(_T), "mT": property(_mT), "H": property(_H), "mH": property(_mH),
})

swapaxes = swapdims = transpose
moveaxis = movedim

# Splitting (multi-output views) and joining live in joining; ember sees them through here.
from . import joining as _joining  # noqa: E402
from .joining import *  # noqa: E402,F401,F403

__all__ = [
    "reshape", "flatten", "ravel", "unflatten", "squeeze", "unsqueeze", "broadcast_to",
    "broadcast_shapes", "broadcast_tensors", "permute", "transpose", "swapaxes", "swapdims",
    "t", "movedim", "moveaxis", "select", "narrow", "diagonal", "as_strided",
] + _joining.__all__
