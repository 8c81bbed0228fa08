"""Small helpers shared by the op modules: promotion, operands, casts, layouts, errors."""
from .. import _dtype as D
from .._errors import wrap_dim
from .._backend import np
from .._tensor import Tensor, _wrap

_PROMOTE = D._PROMOTE
_ndarray = np.ndarray
_F32 = np.dtype(np.float32)
# Reduced-precision floats: PyTorch computes them in float32 and rounds once.
HALF = frozenset((D.float16.np, D.bfloat16.np))

TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
              "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
              "float64": "Double", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def not_implemented(kernel, dt):
    """PyTorch's error for a kernel that has no loop for ``dt``."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{TYPE_NAMES[dt.name]}\'')


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


def cast_array(a, npdt):
    """``a.astype(npdt)`` with PyTorch's CPU conversion rules.

    Floats go to integers through int32 (int64 for int64, and for float64 to
    uint8) with out-of-range and NaN values becoming the minimum integer, then
    wrap to narrower types: what PyTorch's CPU cast gives on x86, where NumPy's
    result is platform dependent.
    """
    if a.dtype == npdt:
        return a
    kind = a.dtype.kind
    if npdt.kind in "iu" and kind not in "biu":
        if kind == "c":
            a = a.real
        if a.dtype in HALF:
            a = a.astype(_F32)
        # the intermediate PyTorch's CPU loops convert through
        wide = np.int64 if npdt == np.int64 or (npdt == np.uint8 and a.dtype == np.float64) \
            else np.int32
        lim = 2.0 ** (63 if wide is np.int64 else 31)
        with np.errstate(invalid="ignore"):
            r = a.astype(wide)
        bad = ~(np.abs(a) < lim)
        if bad.any():
            r[bad] = np.iinfo(wide).min
        return r if r.dtype == npdt else r.astype(npdt)
    if kind == "c" and npdt.kind not in "cb":
        a = a.real
    return a.astype(npdt)


def wrap_int(x, npdt):
    """A Python int as a scalar of integer type ``npdt``, wrapping like PyTorch."""
    try:
        return npdt.type(x)
    except OverflowError:
        if not -2 ** 63 <= x < 2 ** 64:
            raise OverflowError("int too big to convert") from None
        return np.array(x % 2 ** 64, np.uint64).astype(npdt)[()]


def operand(x, dt):
    """An operand (array, Tensor or Python scalar) as an array/scalar of dtype ``dt``."""
    if type(x) is _ndarray:
        return x if x.dtype == dt.np else cast_array(x, dt.np)
    if isinstance(x, Tensor):
        a = x._data
        return a if a.dtype == dt.np else cast_array(a, dt.np)
    t = type(x)
    if t is not int and t is not float and t is not bool and t is not complex:
        if isinstance(x, np.generic) or isinstance(x, Tensor):
            x = x.item()
        elif isinstance(x, bool):
            x = bool(x)
        elif isinstance(x, int):
            x = int(x)
        elif isinstance(x, float):
            x = float(x)
        elif isinstance(x, complex):
            x = complex(x)
        else:
            raise TypeError(f"unsupported operand type {t.__name__}")
    npdt = dt.np
    kind = npdt.kind
    if kind == "f" or kind == "c":
        return x  # a weak Python scalar: NumPy keeps the array's float type
    if kind in "iu":
        if type(x) is int or type(x) is bool:
            return wrap_int(x, npdt)
        return cast_array(np.array(x), npdt)[()]
    if kind == "b":
        return bool(x)
    return npdt.type(x)


cast_arg = operand  # older name, still used by other op modules


def opmath(x, dt):
    """An operand brought to ``dt`` and then to its compute type (float32 for halves)."""
    if dt.np in HALF:
        if type(x) is _ndarray:
            return cast_array(x, dt.np).astype(_F32)
        if isinstance(x, Tensor):
            return cast_array(x._data, dt.np).astype(_F32)
        return np.array(x, dtype=dt.np).astype(_F32)
    return operand(x, dt)


def scalar_opmath(x, dt):
    """A scalar operand as PyTorch's kernels read it: halves see it in float32 unrounded."""
    if dt.np in HALF:
        if type(x) is _ndarray:
            return x.astype(_F32)
        if isinstance(x, Tensor):
            return x._data.astype(_F32)
        return np.float32(x)
    return operand(x, dt)


def finish(r, dt):
    """A computed array in the result dtype ``dt`` (halves were computed in float32)."""
    if type(r) is not _ndarray:
        r = np.asarray(r)
    return r if r.dtype == dt.np else cast_array(r, dt.np)


def torch_layout(shape, arrays):
    """The permutation PyTorch's TensorIterator gives an output (fastest dim first)."""
    nd = len(shape)
    strides = []
    for a in arrays:
        if type(a) is not _ndarray or a.ndim == 0:
            continue
        lead = nd - a.ndim
        strides.append([0] * lead + [0 if n == 1 and shape[lead + i] != 1 else s
                                     for i, (n, s) in enumerate(zip(a.shape, a.strides))])
    return torch_perm(shape, strides)


def torch_perm(shape, strides):
    """TensorIterator's ordering of dims from its operands' strides (0 = broadcast)."""
    nd = len(shape)
    perm = list(range(nd - 1, -1, -1))

    def should_swap(d0, d1):
        for st in strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def layout_strides(shape, perm, itemsize):
    """Byte strides of a dense array of ``shape`` whose memory order follows ``perm``."""
    want, acc = [0] * len(shape), itemsize
    for d in perm:
        want[d] = acc
        acc *= max(shape[d], 1)
    return tuple(want)


def in_layout(r, perm):
    """``r`` itself if it is laid out as ``perm`` says, else a copy that is."""
    if r.ndim < 2 or r.size <= 1 or r.strides == layout_strides(r.shape, perm, r.itemsize):
        return r
    out = empty_in_layout(r.shape, r.dtype, perm)
    out[...] = r
    return out


def empty_in_layout(shape, dtype, perm):
    """An uninitialised array of ``shape`` whose memory order follows ``perm``."""
    order = perm[::-1]
    arr = np.empty([shape[d] for d in order], dtype)
    inv = [0] * len(order)
    for i, d in enumerate(order):
        inv[d] = i
    return arr.transpose(inv)


def fix_layout(r, arrays):
    """``r`` laid out in memory as PyTorch lays out an elementwise result of ``arrays``.

    NumPy and PyTorch agree whenever every input is C-contiguous, which is the
    hot path; otherwise the result is copied into PyTorch's layout if needed.
    """
    for a in arrays:
        if type(a) is _ndarray and not a.flags.c_contiguous:
            break
    else:
        return r
    if type(r) is not _ndarray or r.ndim < 2:
        return r
    same = same_dense_strides(r, arrays)
    if same is not None:  # TensorIterator's fast path: the inputs' own strides
        return r if r.strides == same else _with_strides(r, same)
    return in_layout(r, torch_layout(r.shape, arrays))


def like_input(r, a, exact=False):
    """A one-input result laid out as PyTorch lays it out: C-contiguous for a contiguous
    input, a dense input's own strides, else dense strides in the input's order
    (``exact``: always the input's strides when dense, as ``empty_like`` gives)."""
    if r.ndim < 2 or r.size <= 1:
        return r
    if a.flags.c_contiguous and not exact:
        want = layout_strides(r.shape, range(r.ndim - 1, -1, -1), r.itemsize)
    elif is_dense(a):
        want = tuple(s // a.itemsize * r.itemsize for s in a.strides)
    else:
        return in_layout(r, torch_layout(r.shape, [a]))
    return r if r.strides == want else _with_strides(r, want)


def same_dense_strides(r, arrays):
    """The byte strides for ``r`` when every array input has r's shape and one dense
    layout (scalars aside), else None."""
    st = None
    for a in arrays:
        if type(a) is not _ndarray or a.ndim == 0:
            continue
        s = tuple(x // a.itemsize for x in a.strides)
        if a.shape != r.shape or (st is None and not is_dense(a)) or (st is not None and
                                                                      s != st):
            return None
        st = s
    return None if st is None else tuple(x * r.itemsize for x in st)


def _with_strides(r, strides):
    out = _ndarray.__new__(_ndarray, r.shape, r.dtype, np.empty(r.size, r.dtype), 0, strides)
    out[...] = r
    return out


def is_dense(a):
    """Non-overlapping and dense: some permutation of ``a`` is C-contiguous."""
    if a.flags.c_contiguous:
        return True
    expect = a.itemsize
    for s, n in sorted((s, n) for s, n in zip(a.strides, a.shape) if n != 1):
        if s != expect:
            return False
        expect *= n
    return True


def preserve_copy(a, npdt=None):
    """A copy as PyTorch's preserve_format makes it: the very same strides if ``a`` is
    dense, else dense strides in the order of ``a``'s (optionally cast to ``npdt``)."""
    cast = npdt is not None and npdt != a.dtype
    if a.flags.c_contiguous and (a.ndim < 2 or 1 not in a.shape):  # canonical C strides
        return cast_array(a, npdt) if cast else a.copy()
    npdt = np.dtype(npdt) if cast else a.dtype
    if is_dense(a):
        its = npdt.itemsize
        out = _ndarray.__new__(_ndarray, a.shape, npdt, np.empty(a.size, npdt), 0,
                               tuple(s // a.itemsize * its for s in a.strides))
    else:
        out = empty_in_layout(a.shape, npdt, torch_layout(a.shape, [a]))
    out[...] = cast_array(a, npdt) if cast else a
    return out


def float_dtype_for(t):
    """The dtype a floating op returns for input dtype (ints/bools -> default float)."""
    d = t.dtype
    return d if (d.is_floating_point or d.is_complex) else D.get_default_dtype()


def as_tensor_arg(x, like=None):
    if isinstance(x, Tensor):
        return x
    from .._creation import tensor
    return tensor(x, dtype=like.dtype if like is not None else None)


def qualified_node(op, short):
    """Name an op's node as PyTorch's engine nodes: class ``short``, name() with its
    ``torch::autograd::`` namespace (CopySlices, CopyBackwards, NotImplemented)."""
    cls = op.node_cls
    cls.__name__ = cls.__qualname__ = short
    full = "torch::autograd::" + short
    cls.name = lambda self: full
    return op


def install(names_to_fns):
    for name, fn in names_to_fns.items():
        setattr(Tensor, name, fn)


def canonical_dims(dim, ndim):
    """A sorted tuple of non-negative dims from an int, a sequence or None (= all)."""
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


__all__ = ["result_dtype", "cast_arg", "operand", "opmath", "scalar_opmath", "finish",
           "cast_array", "wrap_int", "fix_layout", "torch_layout", "torch_perm", "in_layout",
           "layout_strides", "empty_in_layout", "is_dense", "preserve_copy", "like_input",
           "as_tensor_arg", "float_dtype_for", "install", "canonical_dims", "not_implemented",
           "TYPE_NAMES", "HALF", "Tensor", "_wrap", "np", "D", "qualified_node"]


_C_NAMES = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
            "uint8": "uint8_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "float32": "float", "float64": "double"}


_FMAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
         "float32": 3.4028234663852886e38, "float64": float("inf")}


def checked_scalar(value, dt, half_unchecked=False):
    """A Python number as a scalar of ``dt`` for fills and item assignment.

    PyTorch checks these conversions (unlike arithmetic, which wraps): an integer
    type refuses NaN, infinities and out-of-range values, except that negative
    integers wrap into unsigned types.
    """
    if isinstance(value, Tensor):
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    npdt = dt.np
    if npdt.kind == "b":
        return np.bool_(bool(value))
    if npdt.kind in "iu":
        if isinstance(value, complex):
            value = value.real
        if isinstance(value, int):
            if not -2 ** 63 <= value < 2 ** 64:
                raise OverflowError("int too big to convert")
            v = value
        elif value != value or value in (float("inf"), float("-inf")):
            v = None
        else:
            v = int(value)
        info = np.iinfo(npdt)
        if npdt.kind == "u" and isinstance(value, int) and v is not None and v < 0:
            ok = -v <= info.max
        else:
            ok = v is not None and info.min <= v <= info.max and not (
                npdt.kind == "u" and not isinstance(value, int) and value < 0)
        if not ok:
            raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.name]} without "
                               f"overflow")
        return wrap_int(v, npdt)
    if isinstance(value, int) and not -2 ** 63 <= value < 2 ** 64:
        raise OverflowError("int too big to convert")
    if dt.is_floating_point and not (half_unchecked and npdt in HALF) and \
            not isinstance(value, complex):
        v = float(value)
        if v == v and abs(v) != float("inf") and abs(v) > _FMAX[dt.name]:
            raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.name]} without "
                               f"overflow")
    return npdt.type(value)


__all__ += ["checked_scalar"]
