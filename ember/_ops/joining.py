"""Splitting and joining: split/chunk/tensor_split/unbind (views with several outputs)
and cat/stack and their relatives (re-exported by shape)."""
from .. import _errors
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install
from .shape import ViewOp, _slice, reshape, unsqueeze

_wrap_dim = _errors.wrap_dim


# --- multi-output views ------------------------------------------------------------------

def _split_fwd(ctx, a, dim, sizes):
    outs, start = [], 0
    for s in sizes:
        outs.append(a[(slice(None),) * dim + (slice(start, start + s),)])
        start += s
    return tuple(outs)


def _split_bwd(ctx, *grads):
    a = ctx.inputs[0]
    dim, sizes = ctx.kw["dim"], ctx.kw["sizes"]
    shape = list(a._data.shape)
    parts = []
    for g, s in zip(grads, sizes):
        if g is None:
            shape[dim] = s
            g = _wrap(np.zeros(shape, a.dtype.np))
        parts.append(g)
    return cat(parts, dim)


_MULTI = {}


def _multi(name, n, fwd=_split_fwd, bwd=_split_bwd):
    """The op returning ``n`` views (one op per count: the node has n outputs)."""
    op = _MULTI.get((name, n))
    if op is None:
        if n == 1:  # a one-output op returns a single tensor: unpack and repack
            op = ViewOp(name, lambda ctx, a, **kw: fwd(ctx, a, **kw)[0])
            op.backward(bwd)
            one = op
            op = _MULTI[name, n] = lambda *a, **kw: (one(*a, **kw),)
        else:
            op = _MULTI[name, n] = ViewOp(name, fwd, n_outputs=n)
            op.backward(bwd)
    return op


def split(tensor, split_size_or_sections, dim=0):
    nd = tensor.dim()
    if nd == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = _wrap_dim(dim, nd)
    n = tensor._data.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={s}")
        if s == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s and n else [0]
        name = "SplitBackward0"
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if sum(sizes) != n or any(v < 0 for v in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {dim}), but got split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    return _multi(name, len(sizes))(tensor, dim=dim, sizes=tuple(sizes))


def chunk(input, chunks, dim=0):
    if input.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input.dim())
    n = input._data.shape[d]
    if n == 0:
        return _multi("SplitBackward0", chunks)(input, dim=d, sizes=(0,) * chunks)
    return split(input, -(-n // chunks), d)


def tensor_split(input, indices_or_sections, dim=0):
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = _wrap_dim(dim, input.dim())
    n = input._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.tolist()
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        pairs = list(zip(bounds[:-1], bounds[1:]))
    else:
        idx = [int(i) for i in ios]
        starts = [0] + idx
        stops = idx + [n]
        pairs = []
        for a, b in zip(starts, stops):
            a = min(max(a + n if a < 0 else a, 0), n)
            b = min(max(b + n if b < 0 else b, 0), n)
            pairs.append((a, max(a, b)))
    return tuple(_slice(input, dim=d, start=a, stop=b, step=1) for a, b in pairs)


def _unbind_fwd(ctx, a, dim):
    return tuple(a[(slice(None),) * dim + (i, Ellipsis)] for i in range(a.shape[dim]))


def _unbind_bwd(ctx, *grads):
    a = ctx.inputs[0]
    shape = list(a._data.shape)
    del shape[ctx.kw["dim"]]
    return stack([g if g is not None else _wrap(np.zeros(shape, a.dtype.np)) for g in grads],
                 ctx.kw["dim"])


def unbind(input, dim=0):
    nd = input.dim()
    if nd == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = _wrap_dim(dim, nd)
    return _multi("UnbindBackward0", input._data.shape[dim], _unbind_fwd, _unbind_bwd)(
        input, dim=dim)


# --- joining -----------------------------------------------------------------------------

def _cat_fwd(ctx, *arrays, dim, dt, skip):
    parts = [a if a.dtype == dt.np else a.astype(dt.np) for i, a in enumerate(arrays)
             if i not in skip]
    if len(parts) == 1:
        return np.array(parts[0], order="C")
    # PyTorch's cat result is contiguous whatever its inputs' layouts
    shape = list(parts[0].shape)
    shape[dim] = sum(p.shape[dim] for p in parts)
    out = np.empty(shape, dt.np)
    return np.concatenate(parts, dim, out=out)


_cat = Op("CatBackward0", _cat_fwd, saves=())


@_cat.backward
def _(ctx, g):
    dim, skip = ctx.kw["dim"], ctx.kw["skip"]
    keep = [i for i in range(len(ctx.inputs)) if i not in skip]
    parts = split(g, [ctx.inputs[i]._data.shape[dim] for i in keep], dim)
    out = [None] * len(ctx.inputs)
    for i, p in zip(keep, parts):
        out[i] = p
    return tuple(out)


def cat(tensors, dim=0, *, out=None):
    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch skips 1-D empty tensors, a legacy behaviour users rely on.
    skip = tuple(i for i, t in enumerate(tensors) if t._data.ndim == 1 and t._data.size == 0)
    if len(skip) == len(tensors):
        skip = skip[1:]
    ref = tensors[next(i for i in range(len(tensors)) if i not in skip)]
    nd = ref.dim()
    for i, t in enumerate(tensors):
        if t.dim() == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               f"concatenated")
    d = _wrap_dim(dim, nd)
    dt = ref.dtype
    for i, t in enumerate(tensors):
        if i in skip:
            continue
        if t.dim() != nd:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {t.dim()}")
        for k in range(nd):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._data.shape[k]} but got size {t._data.shape[k]} for tensor number "
                    f"{i} in the list.")
        dt = D._PROMOTE[dt, t.dtype]
    r = _cat(*tensors, dim=d, dt=dt, skip=skip)
    if out is not None:
        out.resize_(r.shape).copy_(r)
        return out
    return r


concat = concatenate = cat


def _stack_fwd(ctx, *arrays, dim, dt):
    return np.ascontiguousarray(np.stack([a if a.dtype == dt.np else a.astype(dt.np)
                                          for a in arrays], dim))


_stack = Op("StackBackward0", _stack_fwd, saves=())
_stack.backward(lambda ctx, g: tuple(unbind(g, ctx.kw["dim"])))


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    dt = tensors[0].dtype
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry "
                f"0 and {list(t._data.shape)} at entry {i}")
        dt = D._PROMOTE[dt, t.dtype]
    r = _stack(*tensors, dim=_wrap_dim(dim, len(shape) + 1), dt=dt)
    if out is not None:
        out.resize_(r.shape).copy_(r)
        return out
    return r


def hstack(tensors):
    tensors = atleast_1d(*tensors)
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat(atleast_2d(*tensors), 0)


row_stack = vstack


def dstack(tensors):
    return cat(atleast_3d(*tensors), 2)


def column_stack(tensors):
    return hstack([t.reshape(-1, 1) if t.dim() <= 1 else t for t in tensors])


def _atleast(fn):
    def many(*tensors):
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            return tuple(fn(t) for t in tensors[0])
        if len(tensors) == 1:
            return fn(tensors[0])
        return tuple(fn(t) for t in tensors)
    many.__name__ = many.__qualname__ = fn.__name__[1:]
    return many


def _atleast_1d(t):
    return reshape(t, (1,)) if t.dim() == 0 else t


def _atleast_2d(t):
    nd = t.dim()
    return reshape(t, (1, 1)) if nd == 0 else unsqueeze(t, 0) if nd == 1 else t


def _atleast_3d(t):
    nd = t.dim()
    if nd == 0:
        return reshape(t, (1, 1, 1))
    if nd == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if nd == 2 else t


atleast_1d, atleast_2d, atleast_3d = (_atleast(f) for f in (_atleast_1d, _atleast_2d,
                                                             _atleast_3d))


install({"split": split, "chunk": chunk, "tensor_split": tensor_split, "unbind": unbind})

__all__ = ["split", "chunk", "tensor_split", "unbind", "cat", "concat", "concatenate", "stack",
           "hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d",
           "atleast_2d", "atleast_3d"]
