"""Small helpers shared by the op modules: promotion, scalars, installing methods."""
from .. import _dtype as D
from .._backend import np
from .._tensor import Tensor, _wrap

_PROMOTE = D._PROMOTE


def result_dtype(a, b):
    """PyTorch's result dtype of a binary op (fast path for same-dtype tensors)."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        if a.dtype is b.dtype:
            return a.dtype
        ad, bd = a._data.ndim, b._data.ndim
        if (ad == 0) == (bd == 0):
            return _PROMOTE[a.dtype, b.dtype]
    return D.result_type(a, b)


def cast_arg(x, dt):
    """An operand as an array/scalar of dtype ``dt`` (Tensors unwrapped)."""
    if isinstance(x, Tensor):
        arr = x._data
        return arr if arr.dtype == dt.np else arr.astype(dt.np)
    if type(x) is int and dt.category == D._CATEGORY_INT and dt is not D.int64:
        return np.asarray(x).astype(dt.np)  # wraps around like PyTorch, no OverflowError
    if dt.is_floating_point or dt.is_complex:
        return dt.np.type(x)
    return np.asarray(x, dtype=dt.np)


def as_tensor_arg(x, like=None):
    if isinstance(x, Tensor):
        return x
    from .._creation import tensor
    return tensor(x, dtype=like.dtype if like is not None else None)


def float_dtype_for(t):
    """The dtype a floating op returns for input dtype (ints/bools -> default float)."""
    d = t.dtype
    return d if (d.is_floating_point or d.is_complex) else D.get_default_dtype()


def install(names_to_fns):
    for name, fn in names_to_fns.items():
        setattr(Tensor, name, fn)


def canonical_dims(dim, ndim):
    """A sorted tuple of non-negative dims from an int, a sequence or None (= all)."""
    from .._errors import wrap_dim
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(int(dim), ndim),)
    dims = tuple(wrap_dim(int(d), ndim) for d in dim)
    if len(set(dims)) != len(dims):
        for d in dims:
            if dims.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(dims))


__all__ = ["result_dtype", "cast_arg", "as_tensor_arg", "float_dtype_for", "install",
           "canonical_dims", "Tensor", "_wrap", "np", "D"]
