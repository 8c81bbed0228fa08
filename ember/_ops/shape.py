"""View ops (sharing storage, with PyTorch's strides) and joining ops."""
from .. import _errors
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install, canonical_dims

_wrap_dim = _errors.wrap_dim


def _strided(a, shape, strides, offset=0):
    """A view of contiguous ``a`` with element strides, starting ``offset`` elements in."""
    flat = a.reshape(-1)
    its = a.itemsize
    return np.lib.stride_tricks.as_strided(flat[offset:], shape=shape,
                                           strides=tuple(s * its for s in strides),
                                           writeable=a.flags.writeable)


def _restride(a, shape, strides):
    """``a`` (a contiguous-compatible view) with explicit element strides, same start."""
    its = a.itemsize
    return np.lib.stride_tricks.as_strided(a, shape=shape, strides=tuple(s * its for s in strides),
                                           writeable=a.flags.writeable)


def _elem_strides(a):
    its = a.itemsize
    return tuple(s // its for s in a.strides)


def _infer_shape(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    if neg:
        rest = 1
        for i, s in enumerate(shape):
            if i != neg[0]:
                rest *= s
        if rest == 0 or numel % rest:
            raise _errors.shape_invalid(shape, numel)
        shape[neg[0]] = numel // rest
    n = 1
    for s in shape:
        n *= s
    if n != numel:
        raise _errors.shape_invalid(shape, numel)
    return tuple(shape)


def _contig_strides(shape):
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(out))


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


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    elif len(shape) == 1 and isinstance(shape[0], Tensor) and shape[0].dim() == 1:
        shape = shape[0].tolist()
    return tuple(int(s) for s in shape)


# --- view / reshape -----------------------------------------------------------------

def _view_fwd(ctx, a, shape):
    if a.flags.c_contiguous:
        strides = _contig_strides(shape)
    else:
        strides = _view_strides(a.shape, _elem_strides(a), shape)
        if strides is None:
            raise _errors.view_incompatible()
    return _restride(a, shape, strides)


_view = Op("ViewBackward0", _view_fwd, saves=(), view=True)
_view.backward(lambda ctx, g: g.reshape(ctx.inputs[0]._data.shape))


def view(self, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, Tensor)) \
            or (len(shape) == 1 and isinstance(shape[0], D.dtype)):
        return _view_dtype(self, D.to_dtype(shape[0]))
    shape = _infer_shape(_shape_args(shape), self._data.size)
    return _view(self, shape=shape)


def _view_dtype(self, dtype):
    if dtype.itemsize != self.dtype.itemsize:
        raise RuntimeError("self.dim() cannot be 0 to view with a different element size")
    return self._as_view_of(self._data.view(dtype.np))


def reshape(input, *shape):
    shape = _infer_shape(_shape_args(shape), input._data.size)
    a = input._data
    if a.flags.c_contiguous or _view_strides(a.shape, _elem_strides(a), shape) is not None:
        return _view(input, shape=shape)
    return _view(input.clone(), shape=shape)


def view_as(self, other):
    return view(self, other.shape)


def reshape_as(self, other):
    return reshape(self, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    nd = input.dim()
    if nd == 0:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    n = 1
    for x in shape[s:e + 1]:
        n *= x
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


def ravel(input):
    return reshape(input, (-1,))


def unflatten(input, dim, sizes):
    d = _wrap_dim(dim, input.dim())
    shape = input._data.shape
    sizes = list(sizes)
    if -1 in sizes:
        sizes = list(_infer_shape(sizes, shape[d]))
    n = 1
    for x in sizes:
        n *= x
    if n != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size "
                           f"of dim {dim} ({shape[d]}) in the input tensor")
    return view(input, shape[:d] + tuple(sizes) + shape[d + 1:])


# --- squeeze / unsqueeze / expand -----------------------------------------------------

def _unsqueeze_fwd(ctx, a, dim):
    shape, st = list(a.shape), list(_elem_strides(a))
    new_st = 1 if dim >= a.ndim else shape[dim] * st[dim]
    shape.insert(dim, 1)
    st.insert(dim, new_st)
    return _restride(a, tuple(shape), tuple(st))


_unsqueeze = Op("UnsqueezeBackward0", _unsqueeze_fwd, saves=(), view=True)
_unsqueeze.backward(lambda ctx, g: g.squeeze(ctx.kw["dim"]))


def unsqueeze(input, dim):
    return _unsqueeze(input, dim=_wrap_dim(dim, input.dim() + 1))


def _squeeze_fwd(ctx, a, dims):
    keep = [i for i in range(a.ndim) if not (i in dims and a.shape[i] == 1)]
    st = _elem_strides(a)
    return _restride(a, tuple(a.shape[i] for i in keep), tuple(st[i] for i in keep))


def _squeeze_bwd(ctx, g):
    return g.reshape(ctx.inputs[0]._data.shape)


_squeeze_all = Op("SqueezeBackward0", _squeeze_fwd, saves=(), view=True)
_squeeze_all.backward(_squeeze_bwd)
_squeeze_dim = Op("SqueezeBackward1", _squeeze_fwd, saves=(), view=True)
_squeeze_dim.backward(_squeeze_bwd)
_squeeze_dims = Op("SqueezeBackward2", _squeeze_fwd, saves=(), view=True)
_squeeze_dims.backward(_squeeze_bwd)


def squeeze(input, dim=None):
    nd = input.dim()
    if dim is None:
        return _squeeze_all(input, dims=tuple(range(nd)))
    if isinstance(dim, (tuple, list)):
        return _squeeze_dims(input, dims=canonical_dims(dim, nd))
    return _squeeze_dim(input, dims=(_wrap_dim(dim, nd),))


def _expand_shape(shape, sizes):
    sizes = tuple(sizes)
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of "
            f"sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
            out.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            s = cur
        elif cur != s and cur != 1:
            raise _errors.expand_mismatch(shape, sizes)
        out.append(s)
    return tuple(out)


def _expand_fwd(ctx, a, shape):
    return np.broadcast_to(a, shape)


_expand = Op("ExpandBackward0", _expand_fwd, saves=(), view=True)
_expand.backward(lambda ctx, g: g)  # summed back to the input's shape by the wrapper


def expand(self, *sizes):
    shape = _expand_shape(self._data.shape, _shape_args(sizes))
    if shape == self._data.shape:
        return _expand(self, shape=shape)
    return _expand(self, shape=shape)


def expand_as(self, other):
    return expand(self, other.shape)


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


def broadcast_shapes(*shapes):
    from .._tensor import Size
    try:
        return Size(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,)
                                          for s in shapes]))
    except ValueError:
        raise _errors.broadcast_mismatch(shapes[0], shapes[1]) from None


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


# --- permutations -----------------------------------------------------------------------

_permute = Op("PermuteBackward0", lambda ctx, a, dims: a.transpose(dims), saves=(), view=True)
_permute.backward(lambda ctx, g: g.permute(tuple(np.argsort(ctx.kw["dims"]).tolist())))


def permute(input, *dims):
    dims = _shape_args(dims)
    nd = input.dim()
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match "
            f"the length of the desired ordering of dimensions i.e. input.dim() = {nd} is "
            f"not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permute(input, dims=dims)


def _swap(a, d0, d1):
    return np.swapaxes(a, d0, d1)


_transpose = Op("TransposeBackward0", lambda ctx, a, d0, d1: _swap(a, d0, d1), saves=(),
                view=True)
_transpose.backward(lambda ctx, g: g.transpose(ctx.kw["d0"], ctx.kw["d1"]))
_t = Op("TBackward0", lambda ctx, a: a.T, saves=(), view=True)
_t.backward(lambda ctx, g: g.t())


def transpose(input, dim0, dim1):
    nd = input.dim()
    return _transpose(input, d0=_wrap_dim(dim0, nd), d1=_wrap_dim(dim1, nd))


def t(input):
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    return _t(input)


def movedim(input, source, destination):
    nd = input.dim()
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [_wrap_dim(s, nd) for s in src]
    dst = [_wrap_dim(d, nd) for d in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _permute(input, dims=tuple(order))


def _mT(self):
    if self.dim() < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.dim()}-D tensor.")
    return transpose(self, -2, -1)


def _T(self):
    nd = self.dim()
    if nd == 2:
        return t(self)
    return _permute(self, dims=tuple(range(nd - 1, -1, -1)))


# --- slicing views (backward scatters the gradient into zeros) ---------------------------

def _geometry(view_arr, base_arr):
    """(shape, element strides, element offset) of ``view_arr`` inside ``base_arr``."""
    its = base_arr.itemsize
    off = (view_arr.__array_interface__["data"][0] -
           base_arr.__array_interface__["data"][0]) // its
    return view_arr.shape, _elem_strides(view_arr), off


def _scatter_view_grad(g, in_shape, geometry, in_strides):
    """Zeros of ``in_shape`` with ``g`` placed where the view looked (differentiable)."""
    return _view_scatter(g, in_shape=in_shape, geometry=geometry, in_strides=in_strides)


def _view_scatter_fwd(ctx, g, in_shape, geometry, in_strides):
    shape, strides, off = geometry
    out = np.zeros(in_shape, g.dtype)
    if in_strides != _contig_strides(in_shape):
        # map the view's strides (relative to the input's layout) onto a contiguous grad
        lin = _linear_index(shape, strides, off)
        pos = _position_of(lin, in_shape, in_strides)
        np.add.at(out.reshape(-1), pos.reshape(-1), np.broadcast_to(g, shape).reshape(-1))
        return out
    if _overlaps(shape, strides):
        lin = _linear_index(shape, strides, off)
        np.add.at(out.reshape(-1), lin.reshape(-1), np.broadcast_to(g, shape).reshape(-1))
        return out
    region = _strided(out, shape, strides, off)
    region[...] = g
    return out


def _linear_index(shape, strides, off):
    idx = np.full(shape, off, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        ar = np.arange(n, dtype=np.int64) * s
        idx += ar.reshape((n,) + (1,) * (len(shape) - d - 1))
    return idx


def _position_of(lin, in_shape, in_strides):
    """Where storage offsets ``lin`` sit in a contiguous array of the input's shape."""
    base = _linear_index(in_shape, in_strides, 0).reshape(-1)
    order = np.argsort(base, kind="stable")
    return order[np.searchsorted(base[order], lin)]


def _overlaps(shape, strides):
    dims = sorted((abs(s), n) for n, s in zip(shape, strides) if n > 1)
    span = 1
    for s, n in dims:
        if s < span:
            return True
        span = s * (n - 1) + span if s else span
    return False


_view_scatter = Op("ViewScatterBackward0", _view_scatter_fwd, saves=())


@_view_scatter.backward
def _(ctx, g):
    shape, strides, off = ctx.kw["geometry"]
    return g.contiguous().as_strided(shape, strides, off)


def _make_slicing_view(name, fwd):
    op = Op(name, fwd, saves=(), view=True)

    @op.backward
    def _(ctx, g):
        a = ctx.inputs[0]._data
        geom = ctx.geometry
        return _scatter_view_grad(g, a.shape, geom, _elem_strides(a))

    def call(input, **kw):
        out = op(input, **kw)
        if out.grad_fn is not None and out.grad_fn.name() == name:
            out.grad_fn.geometry = _geometry(out._data, input._data)
        return out
    return call


def _select_fwd(ctx, a, dim, index):
    return a[(slice(None),) * dim + (index, Ellipsis)]  # Ellipsis: a 0-d view, not a scalar


_select = _make_slicing_view("SelectBackward0", _select_fwd)


def select(input, dim, index):
    nd = input.dim()
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, nd)
    n = input._data.shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return _select(input, dim=dim, index=index + n if index < 0 else index)


def _slice_fwd(ctx, a, dim, start, stop, step):
    return a[(slice(None),) * dim + (slice(start, stop, step),)]


_slice = _make_slicing_view("SliceBackward0", _slice_fwd)


def slice_dim(input, dim, start, stop, step=1):
    return _slice(input, dim=dim, start=start, stop=stop, step=step)


def narrow(input, dim, start, length):
    nd = input.dim()
    dim = _wrap_dim(dim, nd)
    n = input._data.shape[dim]
    if isinstance(start, Tensor):
        start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, dim=dim, start=start, stop=start + length, step=1)


_diagonal = _make_slicing_view(
    "DiagonalBackward0",
    lambda ctx, a, offset, dim1, dim2: np.diagonal(a, offset, dim1, dim2))


def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input.dim()
    return _diagonal(input, offset=offset, dim1=_wrap_dim(dim1, nd), dim2=_wrap_dim(dim2, nd))


def _as_strided_fwd(ctx, a, size, stride, storage_offset, buf):
    return _strided(buf, size, stride, storage_offset)


_as_strided = _make_slicing_view("AsStridedBackward0", _as_strided_fwd)


def as_strided(input, size, stride, storage_offset=None):
    buf = input._storage()._buf
    off = input.storage_offset() if storage_offset is None else storage_offset
    size, stride = tuple(size), tuple(stride)
    need = off + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if need > buf.size:
        its = input.dtype.itemsize
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {off}, "
            f"and itemsize {its} requiring a storage size of {need * its} are out of bounds "
            f"for storage of size {buf.nbytes}")
    return _as_strided(input, size=size, stride=stride, storage_offset=off, buf=buf)


def _unfold_fwd(ctx, a, dimension, size, step):
    shape, st = list(a.shape), list(_elem_strides(a))
    if a.ndim == 0:
        return _restride(a, (size,), (1,))
    n = shape[dimension]
    shape[dimension] = (n - size) // step + 1
    new_shape = tuple(shape) + (size,)
    new_st = st.copy()
    new_st[dimension] = st[dimension] * step
    return _restride(a, new_shape, tuple(new_st) + (st[dimension],))


_unfold = _make_slicing_view("UnfoldBackward0", _unfold_fwd)


def unfold(self, dimension, size, step):
    nd = self.dim()
    d = _wrap_dim(dimension, nd)
    n = self._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _unfold(self, dimension=d, size=size, step=step)


# --- multi-output views -----------------------------------------------------------------

def _split_fwd(ctx, a, dim, sizes):
    outs, start = [], 0
    for s in sizes:
        outs.append(a[(slice(None),) * dim + (slice(start, start + s),)])
        start += s
    return tuple(outs)


def _split_bwd(ctx, *grads):
    a = ctx.inputs[0]
    dim, sizes = ctx.kw["dim"], ctx.kw["sizes"]
    from .._creation import zeros
    parts = []
    for g, s in zip(grads, sizes):
        if g is None:
            shape = list(a._data.shape)
            shape[dim] = s
            g = zeros(shape, dtype=a.dtype)
        parts.append(g)
    return cat(parts, dim)


def _split_op(name, n):
    op = Op(name, _split_fwd, saves=(), view=True, n_outputs=n)
    op.backward(_split_bwd)
    return op


_SPLIT_OPS = {}


def _multi(name, n):
    key = (name, n)
    if key not in _SPLIT_OPS:
        _SPLIT_OPS[key] = _split_op(name, n)
    return _SPLIT_OPS[key]


def split(tensor, split_size_or_sections, dim=0):
    nd = tensor.dim()
    dim = _wrap_dim(dim, nd)
    n = tensor._data.shape[dim]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and not (s == 0 and n == 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
        name = "SplitBackward0"
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {dim}), but got split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    return _multi(name, len(sizes))(tensor, dim=dim, sizes=tuple(sizes))


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = _wrap_dim(dim, input.dim())
    n = input._data.shape[d]
    size = -(-n // chunks) if n else 0
    if size == 0:
        return split(input, [0] * min(chunks, 1) if n == 0 else [n], d) if n == 0 else \
            split(input, [1] * n, d)
    return split(input, size, d)


def tensor_split(input, indices_or_sections, dim=0):
    d = _wrap_dim(dim, input.dim())
    n = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    else:
        idx = [min(max(int(i), 0), n) for i in indices_or_sections]
        bounds = [0] + idx + [n]
        sizes = [max(bounds[i + 1] - bounds[i], 0) for i in range(len(bounds) - 1)]
    return _multi("SplitWithSizesBackward0", len(sizes))(input, dim=d, sizes=tuple(sizes))


def _unbind_fwd(ctx, a, dim):
    return tuple(a[(slice(None),) * dim + (i, Ellipsis)] for i in range(a.shape[dim]))


def _unbind_bwd(ctx, *grads):
    a = ctx.inputs[0]
    dim = ctx.kw["dim"]
    from .._creation import zeros
    shape = list(a._data.shape)
    del shape[dim]
    return stack([g if g is not None else zeros(shape, dtype=a.dtype) for g in grads], dim)


_UNBIND_OPS = {}


def unbind(input, dim=0):
    nd = input.dim()
    if nd == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = _wrap_dim(dim, nd)
    n = input._data.shape[dim]
    op = _UNBIND_OPS.get(n)
    if op is None:
        op = _UNBIND_OPS[n] = Op("UnbindBackward0", _unbind_fwd, saves=(), view=True,
                                 n_outputs=n)
        op.backward(_unbind_bwd)
    return op(input, dim=dim)


# --- joining -----------------------------------------------------------------------------

def _cat_fwd(ctx, *arrays, dim, dt):
    return np.concatenate([a if a.dtype == dt.np else a.astype(dt.np) for a in arrays], dim)


_cat = Op("CatBackward0", _cat_fwd, saves=())


@_cat.backward
def _(ctx, g):
    dim = ctx.kw["dim"]
    sizes = [t._data.shape[dim] if t._data.ndim else 0 for t in ctx.inputs]
    return tuple(split(g, sizes, dim)) if g.dim() else tuple(None for _ in sizes)


def cat(tensors, dim=0, *, out=None):
    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch skips 1-D empty tensors, a legacy behaviour users rely on.
    parts = [t for t in tensors if not (t.dim() == 1 and t._data.shape[0] == 0)] or tensors[:1]
    ref = parts[0]
    nd = ref.dim()
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, nd)
    dt = ref.dtype
    for i, t in enumerate(parts):
        if t.dim() != nd:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {t.dim()}")
        for k in range(nd):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._data.shape[k]} but got size {t._data.shape[k]} for tensor number "
                    f"{tensors.index(t)} in the list.")
        dt = D._PROMOTE[dt, t.dtype]
    r = _cat(*parts, dim=d, dt=dt)
    if out is not None:
        out.copy_(r) if out.shape == r.shape else out.set_(r)
        return out
    return r


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry "
                f"0 and {list(t._data.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shape) + 1)
    r = _stack([unsqueeze(t, d) for t in tensors], d)
    if out is not None:
        out.copy_(r)
        return out
    return r


def _stack(parts, d):
    dt = parts[0].dtype
    for p in parts[1:]:
        dt = D._PROMOTE[dt, p.dtype]
    r = _stack_op(*parts, dim=d, dt=dt)
    return r


_stack_op = Op("StackBackward0", _cat_fwd, saves=())


@_stack_op.backward
def _(ctx, g):
    dim = ctx.kw["dim"]
    return tuple(unbind(g, dim))


def hstack(tensors):
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    return hstack([t.reshape(-1, 1) if t.dim() <= 1 else t for t in tensors])


def atleast_1d(t):
    return t.reshape(1) if t.dim() == 0 else t


def atleast_2d(t):
    return t.reshape(1, -1) if t.dim() < 2 and t.dim() else (t.reshape(1, 1) if t.dim() == 0
                                                             else t)


def atleast_3d(t):
    if t.dim() == 0:
        return t.reshape(1, 1, 1)
    if t.dim() == 1:
        return t.reshape(1, -1, 1)
    if t.dim() == 2:
        return t.unsqueeze(-1)
    return t


install({
    "view": view, "view_as": view_as, "reshape": reshape, "reshape_as": reshape_as,
    "flatten": flatten, "ravel": ravel, "unflatten": unflatten, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "expand": expand, "expand_as": expand_as,
    "broadcast_to": broadcast_to, "permute": permute, "transpose": transpose,
    "swapaxes": transpose, "swapdims": transpose, "t": t, "movedim": movedim,
    "moveaxis": movedim, "select": select, "narrow": narrow, "diagonal": diagonal,
    "as_strided": as_strided, "unfold": unfold, "split": split, "chunk": chunk,
    "tensor_split": tensor_split, "unbind": unbind,
    "T": property(_T), "mT": property(_mT), "H": property(_T), "mH": property(_mT),
})
