"""Creation ops: tensor, from_numpy, zeros/ones/full/empty, arange, linspace, eye..."""
import builtins
import numbers
import operator
import warnings

from . import _dtype as D
from ._backend import np
from ._device import as_device, device as _device_cls
from ._tensor import Tensor, Size, _wrap
from ._storage import UntypedStorage


def _resolve_device(device):
    d = as_device(device)
    if d is not None and d.type == "cuda":
        from . import cuda
        cuda._lazy_init()
    return d


_FACTORY_GRAD_MSG = "Only Tensors of floating point and complex dtype can require gradients"


def _finish(t, requires_grad=False, device=None):
    if device is not None:
        _resolve_device(device)
    if requires_grad:
        t._set_requires_grad(True, _FACTORY_GRAD_MSG)
    return t


# --- ember.tensor(data): PyTorch's reading of nested Python data ---------------------------
# Three passes as in PyTorch: the shape from the first element of every level, the dtype
# from every leaf (promote_types), then the leaves, checked against the shape.  Lists of
# plain Python numbers take vectorised paths; a Tensor inside a list is one scalar.

_MAX_DIMS = 128
_complex = builtins.complex  # this module defines ember.complex
_PY_SCALARS = {float, int, bool, _complex}
_warned_ndarray_list = [False]


def _is_sequence(x):
    t = type(x)
    if t is list or t is tuple:
        return True
    if isinstance(x, (Tensor, dict)) or t in _PY_SCALARS or isinstance(x, np.generic):
        return False
    return hasattr(t, "__getitem__") and hasattr(t, "__len__") and not isinstance(x, type)


def _compute_sizes(data):
    sizes = []
    seq = data
    while _is_sequence(seq):
        if isinstance(seq, str):
            raise ValueError("too many dimensions 'str'")
        n = len(seq)
        sizes.append(n)
        if len(sizes) > _MAX_DIMS:
            raise ValueError(f"too many dimensions '{type(seq).__name__}'")
        if n == 0:
            break
        seq = seq[0]
    return sizes


def _default_complex():
    return D.complex128 if D.get_default_dtype() is D.float64 else D.complex64


def _py_type_dtype(t):
    if t is float:
        return D.get_default_dtype()
    if t is int:
        return D.int64
    if t is bool:
        return D.bool
    return _default_complex()


def _infer_dtype(obj):
    """PyTorch's infer_scalar_type: promote_types over every leaf."""
    t = type(obj)
    if t in _PY_SCALARS:
        return _py_type_dtype(t)
    if isinstance(obj, np.ndarray):
        return D.from_numpy_dtype(obj.dtype)
    if isinstance(obj, np.generic):
        return D.from_numpy_dtype(np.dtype(t))
    if isinstance(obj, Tensor):
        return obj.dtype
    if isinstance(obj, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    if not _is_sequence(obj):
        raise RuntimeError(f"Could not infer dtype of {t.__name__}")
    if len(obj) == 0:
        return D.get_default_dtype()
    types = set(map(type, obj))
    if types <= _PY_SCALARS:
        found = [_py_type_dtype(k) for k in types]
    else:
        found = []
        for item in obj:
            if item is obj:
                raise TypeError("new(): self-referential lists are incompatible")
            found.append(_infer_dtype(item))
    r = found[0]
    for d in found[1:]:
        r = D.promote_types(r, d)
    return r


def _flatten(obj, sizes, dim, out):
    """Append the leaves of ``obj`` (level ``dim``) to ``out``, checking the shape."""
    n = sizes[dim]
    if type(obj) is not list and type(obj) is not tuple:
        if not _is_sequence(obj):
            raise TypeError("not a sequence")
        if isinstance(obj, np.ndarray):
            if not _warned_ndarray_list[0]:
                _warned_ndarray_list[0] = True
                warnings.warn("Creating a tensor from a list of numpy.ndarrays is extremely "
                              "slow. Please consider converting the list to a single "
                              "numpy.ndarray with numpy.array() before converting to a "
                              "tensor.", UserWarning, stacklevel=4)
            if obj.shape == tuple(sizes[dim:]):
                out.extend(obj.reshape(-1))
                return
        obj = list(obj)
    if len(obj) != n:
        raise ValueError(f"expected sequence of length {n} at dim {dim} (got {len(obj)})")
    if dim == len(sizes) - 1:
        out.extend(obj)
    else:
        for item in obj:
            _flatten(item, sizes, dim + 1, out)


def _overflow(dt):
    name = {"float64": "double", "float32": "float"}.get(dt.name, dt.name)
    return RuntimeError(f"value cannot be converted to type {name} without overflow")


def _leaf_value(v, dt):
    """One leaf as a Python number for dtype ``dt``, as PyTorch's store_scalar reads it."""
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if dt.is_complex:
            return _complex(v.item())
        if dt.is_floating_point:
            if v.dtype.is_complex:
                raise _overflow(D.float64)
            return float(v)
        return v.__index__()
    if dt.is_complex:
        return _complex(v)
    if dt.is_floating_point:
        if isinstance(v, (_complex, np.complexfloating)) or not hasattr(type(v), "__float__"):
            raise TypeError(f"must be real number, not {type(v).__name__}")
        return float(v)
    if isinstance(v, float) or (dt is D.bool and isinstance(v, (np.bool_, _complex))):
        return v
    return operator.index(v)


def _float_to_int_ok(arr, dt):
    info = np.iinfo(dt.np)
    return (arr >= info.min) & (arr < float(info.max) + 1.0)


def _int_range_ok(arr, dt):
    info = np.iinfo(dt.np)
    if dt.is_signed:
        return (arr >= info.min) & (arr <= info.max)
    return (arr >= -int(info.max)) & (arr <= info.max)


def _store(flat, shape, dt):
    """An array of dtype ``dt`` from a flat list of leaves (PyTorch's checked casts)."""
    types = set(map(type, flat))
    if not types <= _PY_SCALARS:
        flat = [_leaf_value(v, dt) for v in flat]
        types = set(map(type, flat))
    if dt is D.bool:
        return np.fromiter(map(bool, flat), np.bool_, len(flat)).reshape(shape)
    if dt.is_complex:
        return np.array(flat, np.complex128).astype(dt.np).reshape(shape)
    if dt.is_floating_point:
        if _complex in types:
            raise TypeError("must be real number, not complex")
        arr = np.array(flat, np.float64)
        if dt is not D.float64:
            # PyTorch narrows through float, like a C cast of the double.
            arr = arr.astype(np.float32)
        return arr.astype(dt.np).reshape(shape)
    if _complex in types:
        raise TypeError("'complex' object cannot be interpreted as an integer")
    if float in types:
        if types == {float}:
            arr = np.array(flat, np.float64)
            if not _float_to_int_ok(arr, dt).all():
                raise _overflow(dt)
            return arr.astype(dt.np).reshape(shape)
        info = np.iinfo(dt.np)
        for v in flat:
            if type(v) is float and not (info.min <= v < info.max + 1):
                raise _overflow(dt)
        flat = [int(v) if type(v) is float else v for v in flat]
    try:
        arr = np.array(flat, np.int64)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if dt is not D.int64 and not _int_range_ok(arr, dt).all():
        raise _overflow(dt)
    return arr.astype(dt.np).reshape(shape)


def _from_data(data, dt):
    """The array PyTorch builds from Python data (no Tensor / ndarray at the top)."""
    sizes = _compute_sizes(data)
    if dt is None:
        dt = _infer_dtype(data)
    shape = tuple(sizes)
    if 0 in shape:
        return np.zeros(shape, dt.np)
    if not sizes:
        return _store([data], (), dt)
    if len(sizes) == 1 and type(data) is list:
        return _store(data, shape, dt)  # a flat list is already the leaves
    flat = []
    _flatten(data, sizes, 0, flat)
    return _store(flat, shape, dt)


def _is_dense(arr):
    """Non-overlapping and dense: a permutation of a contiguous layout."""
    dims = sorted((s, n) for n, s in zip(arr.shape, arr.strides) if n != 1)
    expected = arr.itemsize
    for s, n in dims:
        if s != expected:
            return False
        expected *= n
    return True


def _copy_like(arr, dt):
    """A copy that keeps a dense array's memory layout (PyTorch's preserve_format)."""
    order = "K" if _is_dense(arr) else "C"
    if arr.dtype == dt.np:
        return arr.copy(order=order)
    return arr.astype(dt.np, order=order)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    dt = None if dtype is None else D.to_dtype(dtype)
    if device is not None:
        _resolve_device(device)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        arr = _copy_like(data._data, dt or data.dtype)
    elif isinstance(data, np.ndarray):
        _check_numpy(data)
        arr = _copy_like(data, dt or D.from_numpy_dtype(data.dtype))
    else:
        arr = _from_data(data, dt)
    return _finish(_wrap(arr), requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(D.to_dtype(dtype))
    if isinstance(data, np.ndarray):
        t = from_numpy(data)
        return t if dtype is None else t.to(D.to_dtype(dtype))
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def _check_numpy(ndarray):
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    D.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with "
            "negative strides are not currently supported. (You can probably work around "
            "this by making a copy of your array  with array.copy().) ")
    if any(s % ndarray.itemsize for s in ndarray.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _check_numpy(ndarray)
    if not ndarray.flags.writeable:
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support "
                      "non-writable tensors. This means writing to this tensor will result "
                      "in undefined behavior. You may want to copy the array to protect its "
                      "data or make it writable before converting it to a tensor. This type "
                      "of warning will be suppressed for the rest of this program.",
                      UserWarning, stacklevel=2)
    return _wrap(ndarray)


def _as_dim(s):
    if type(s) is int:
        return s
    if isinstance(s, (bool, float)) or not hasattr(type(s), "__index__"):
        return None
    try:
        return s.__index__()
    except (TypeError, ValueError):
        return None


def _size(size, fn="zeros", size_kw=None):
    """The shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(Size)`` or ``size=``."""
    if size_kw is not None:
        if size:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        if not isinstance(size_kw, (tuple, list)):
            raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, not "
                            f"{type(size_kw).__name__}")
        size = tuple(size_kw)
    elif not size:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
    elif isinstance(size[0], (tuple, list)):
        if len(size) > 1:
            raise TypeError(f"{fn}() takes 1 positional argument but {len(size)} were given")
        size = tuple(size[0])
    elif len(size) == 1 and _as_dim(size[0]) is None:
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size[0]).__name__}")
    out = []
    for i, s in enumerate(size):
        d = _as_dim(s) if not isinstance(s, bool) else int(s)
        if d is None and fn == "full":
            raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, but "
                            f"found element of type {type(s).__name__} at pos {i}")
        if d is None:
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(s).__name__}\"")
        out.append(d)
    if any(d < 0 for d in out):
        if fn == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        neg = next(d for d in out if d < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {out}")
    return tuple(out)


def _dt(dtype, default=None):
    if dtype is None:
        return default or D.get_default_dtype()
    return D.to_dtype(dtype)


def _write_out(out, t):
    """Factories' ``out=``: resize ``out`` if needed and fill it, as PyTorch does."""
    if out._data.shape == t._data.shape:
        np.copyto(out._data, t._data, casting="unsafe")
    else:
        out._data = t._data.astype(out.dtype.np)
        out._storage_obj = None
    out._bump()
    return out


def _filled(size, maker, dtype, device, requires_grad, out=None):
    dt = _dt(dtype)
    t = _finish(_wrap(maker(size, dt.np)), requires_grad, device)
    return t if out is None else _write_out(out, t)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw):
    return _filled(_size(size, "zeros", kw.pop("size", None)), np.zeros, dtype, device,
                   requires_grad, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw):
    return _filled(_size(size, "ones", kw.pop("size", None)), np.ones, dtype, device,
                   requires_grad, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None, **kw):
    # Uninitialised memory in PyTorch; zeros here, so nothing stale ever leaks out.
    return _filled(_size(size, "empty", kw.pop("size", None)), np.zeros, dtype, device,
                   requires_grad, out)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    size, stride = _size((size,), "empty_strided"), tuple(stride)
    dt = _dt(dtype)
    span = 1 + sum((n - 1) * st for n, st in zip(size, stride)) if all(size) else 0
    buf = np.zeros(max(span, 0), dt.np)
    arr = np.lib.stride_tricks.as_strided(buf, size, tuple(st * dt.itemsize for st in stride))
    t = _wrap(arr)
    t._storage_obj = UntypedStorage(buf)
    return _finish(t, requires_grad, device)


def _fill_dtype(fill_value):
    if isinstance(fill_value, (bool, np.bool_)):
        return D.bool
    if isinstance(fill_value, numbers.Integral):
        return D.int64
    if isinstance(fill_value, (_complex, np.complexfloating)):
        return _default_complex()
    return D.get_default_dtype()


def _fill_array(shape, value, dt, fn):
    """np.full with PyTorch's checked conversion of the fill value."""
    if isinstance(value, Tensor):
        value = value.item()
    elif not isinstance(value, (numbers.Number, np.generic)):
        raise TypeError(f"{fn}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(value).__name__}")
    if dt.category == D._CATEGORY_INT:
        info = np.iinfo(dt.np)
        v = value
        if isinstance(v, (float, np.floating)):
            ok = v == v and info.min - 1 < v < info.max + 1
        elif isinstance(v, (_complex, np.complexfloating)):
            ok = False
        else:
            ok = (-info.max <= v <= info.max) if not dt.is_signed else (
                info.min <= v <= info.max)
        if not ok:
            cname = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t",
                     "int32": "int", "int64": "int64_t"}.get(dt.name, dt.name)
            raise RuntimeError(f"value cannot be converted to type {cname} without overflow")
        return np.full(shape, int(v), np.int64).astype(dt.np)
    return np.full(shape, value, dt.np)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    fv = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    dt = _dt(dtype, _fill_dtype(fv))
    t = _finish(_wrap(_fill_array(_size((size,), "full"), fv, dt, "full")), requires_grad,
                device)
    return t if out is None else _write_out(out, t)


def _like(input, dtype, maker, *args):
    """``maker`` shaped like ``input``, keeping a dense input's memory layout (as
    PyTorch's preserve_format does); other inputs get a contiguous result."""
    dt = input.dtype if dtype is None else D.to_dtype(dtype)
    arr = input._data
    order = "K" if arr.ndim > 1 and not arr.flags.c_contiguous and _is_dense(arr) else "C"
    return maker(arr, *args, dtype=dt.np, order=order), dt


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _finish(_wrap(_like(input, dtype, np.zeros_like)[0]), requires_grad, device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _finish(_wrap(_like(input, dtype, np.ones_like)[0]), requires_grad, device)


empty_like = zeros_like


def full_like(input, fill_value, *, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    fv = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    arr, dt = _like(input, dtype, np.zeros_like)
    arr[...] = _fill_array((), fv, dt, "full_like")
    return _finish(_wrap(arr), requires_grad, device)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    for name, v in (("n", n), ("m", m)):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{name}' (position {1 if name == 'n' else 2}) "
                            f"must be int, not {type(v).__name__}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    t = _finish(_wrap(np.eye(n, n if m is None else m, dtype=_dt(dtype).np)), requires_grad,
                device)
    return t if out is None else _write_out(out, t)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    dt = _dt(dtype)
    return _finish(_wrap(_fill_array((), s, dt, "scalar_tensor")), requires_grad, device)


def _complex_fwd(ctx, re, im):
    out = np.empty(np.broadcast_shapes(re.shape, im.shape),
                   np.complex128 if re.dtype == np.float64 else np.complex64)
    out.real, out.imag = re, im
    return out


_complex_op = None


def check_complex_parts(a, b):
    """PyTorch's checks on the two real tensors that make a complex one."""
    for t in (a, b):
        if t.dtype not in (D.float16, D.float32, D.float64):
            raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but "
                               f"got {a.dtype._cname} and {b.dtype._cname}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"Expected object of scalar type {a.dtype._cname} but got "
                           f"scalar type {b.dtype._cname} for second argument")


def complex(real, imag, *, out=None):
    global _complex_op
    check_complex_parts(real, imag)
    if _complex_op is None:
        from .autograd.op import Op
        _complex_op = Op("ComplexBackward0", _complex_fwd, saves=())
        _complex_op.backward(lambda ctx, g: (_wrap(np.ascontiguousarray(g._data.real)),
                                              _wrap(np.ascontiguousarray(g._data.imag))))
    return _complex_op(real, imag)


_NEW_SIGNATURES = (
    " * (*, torch.device device = None)\n * (torch.Storage storage)\n * (Tensor other)\n"
    " * (tuple of ints size, *, torch.device device = None)\n"
    " * (object data, *, torch.device device = None)\n")


def _bad_new(args, kwargs):
    from ._creation import _arg_type_name
    got = ", ".join([_arg_type_name(a) for a in args] +
                    [f"{k}={_arg_type_name(v)}" for k, v in kwargs.items()])
    return TypeError(f"new() received an invalid combination of arguments - got ({got}), but "
                     f"expected one of:\n{_NEW_SIGNATURES}")


_alias_op = None


def _alias(t):
    """``Tensor(other)``: a view of ``other`` (AliasBackward0 when it needs grad)."""
    global _alias_op
    if _alias_op is None:
        from .autograd.op import Op
        _alias_op = Op("AliasBackward0", lambda ctx, a: a[...], saves=(), view=True)
        _alias_op.backward(lambda ctx, g: g)
    return _alias_op(t)


def _legacy_tensor_new(cls, *args, **kwargs):
    """``Tensor(2, 3)`` (uninitialised), ``Tensor([1, 2])`` (data), ``Tensor(other)``."""
    dt = _LEGACY_DTYPES.get(cls, D.get_default_dtype())
    device = kwargs.pop("device", None)
    if "size" in kwargs and not args:
        args = (Size(kwargs.pop("size")),)
    if kwargs:
        raise _bad_new(args, kwargs)
    if device is not None:
        _resolve_device(device)
    first = args[0] if args else None
    if not args:
        arr = np.zeros((0,), dt.np)
    elif len(args) == 1 and isinstance(first, Tensor):
        if cls in _LEGACY_DTYPES and first.dtype is not dt:
            raise TypeError(f"expected {_options(dt)} (got {_options(first.dtype)})")
        return _alias(first)
    elif isinstance(first, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(first).__name__}'")
    elif all(_as_dim(a) is not None and not isinstance(a, bool) for a in args) or (
            len(args) == 1 and isinstance(first, Size)):
        if len(args) > 1 and any(isinstance(a, (tuple, list)) for a in args):
            raise _bad_new(args, {})
        arr = np.zeros(_size(args, "new"), dt.np)
    elif len(args) == 1 and (_is_sequence(first) or isinstance(first, np.ndarray)):
        arr = _copy_like(first, dt) if isinstance(first, np.ndarray) else _from_data(first, dt)
    elif len(args) == 1 and isinstance(first, (float, _complex, bool, np.generic)):
        raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
    elif len(args) > 1 and all(isinstance(a, (int, float)) for a in args):
        _size(args, "new")
        raise _bad_new(args, {})
    else:
        raise _bad_new(args, {})
    if cls is not Tensor and cls not in _LEGACY_DTYPES:
        obj = object.__new__(cls)
        obj._data, obj.dtype = arr, D._BY_NP[arr.dtype]
        return obj
    return _wrap(arr)


def _options(dt):
    cname = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
             "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
             "bool": "bool", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}
    return (f"TensorOptions(dtype={cname.get(dt.name, dt.name)}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


class _LegacyMeta(type):
    """FloatTensor & co: constructors of one dtype; isinstance asks about t's dtype."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is _LEGACY_DTYPES[cls]

    def __call__(cls, *args, **kwargs):
        return _legacy_tensor_new(cls, *args, **kwargs)


def _make_legacy(name, dt):
    cls = _LegacyMeta(name, (), {"dtype": dt})
    _LEGACY_DTYPES[cls] = dt
    return cls


_LEGACY_DTYPES = {}
FloatTensor = _make_legacy("FloatTensor", D.float32)
DoubleTensor = _make_legacy("DoubleTensor", D.float64)
HalfTensor = _make_legacy("HalfTensor", D.float16)
BFloat16Tensor = _make_legacy("BFloat16Tensor", D.bfloat16)
LongTensor = _make_legacy("LongTensor", D.int64)
IntTensor = _make_legacy("IntTensor", D.int32)
ShortTensor = _make_legacy("ShortTensor", D.int16)
CharTensor = _make_legacy("CharTensor", D.int8)
ByteTensor = _make_legacy("ByteTensor", D.uint8)
BoolTensor = _make_legacy("BoolTensor", D.bool)


_TO_SIGNATURES = (
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, "
    "bool copy = False, *, torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n")


def _arg_type_name(a):
    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, D.dtype):
        return "torch.dtype"
    if isinstance(a, _device_cls):
        return "torch.device"
    return type(a).__name__


def _bad_to(args, kwargs):
    got = ", ".join([_arg_type_name(a) for a in args] +
                    [f"{k}={_arg_type_name(v)}" for k, v in kwargs.items()])
    if kwargs and not args:
        got += ", "
    return TypeError(f"to() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{_TO_SIGNATURES}")


_PY_TYPES = (int, float, bool, _complex)


def _parse_to(self, *args, **kwargs):
    """PyTorch's three ``to`` signatures -> (dtype or None, device or None, copy)."""
    allowed = ("dtype", "device", "non_blocking", "copy", "memory_format")
    if any(k not in allowed for k in kwargs):
        raise _bad_to(args, kwargs)
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    flags = []
    rest = list(args)
    if rest:
        a = rest.pop(0)
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a._device
        elif isinstance(a, D.dtype) or a in _PY_TYPES:
            dtype = a
        elif a is None or isinstance(a, (str, _device_cls)) or (
                isinstance(a, int) and not isinstance(a, bool)):
            device = a
            if rest and (isinstance(rest[0], D.dtype) or rest[0] is None):
                dtype = rest.pop(0)
        else:
            raise _bad_to(args, kwargs)
        if len(rest) > 2 or any(not isinstance(f, bool) for f in rest):
            raise _bad_to(args, kwargs)
        flags = rest
    copy = kwargs.get("copy", flags[1] if len(flags) > 1 else False)
    if dtype is not None:
        dtype = D.to_dtype(dtype)
    return dtype, as_device(device), copy


def _new_method(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return fn(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad,
                  **kw)
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device,
                requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    dt = self.dtype if dtype is None else D.to_dtype(dtype)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        arr = _copy_like(data._data, dt)
    elif isinstance(data, np.ndarray):
        _check_numpy(data)
        arr = _copy_like(data, dt)
    else:
        arr = _from_data(data, dt)
    return _finish(_wrap(arr), requires_grad, device)


for _name, _fn in (("new_zeros", zeros), ("new_ones", ones), ("new_empty", empty)):
    setattr(Tensor, _name, _new_method(_fn))
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor


def _new(self, *args, **kwargs):
    cls = next((c for c, d in _LEGACY_DTYPES.items() if d is self.dtype), Tensor)
    return _legacy_tensor_new(cls, *args, **kwargs)


Tensor.new = _new


def randn_like_for_check(t):
    """Fixed pseudo-random grad_outputs for gradgradcheck (leaves ember's RNG alone)."""
    rng = np.random.default_rng(0)
    return _wrap(rng.standard_normal(t._data.shape).astype(t.dtype.np)).requires_grad_()


from ._range_factories import arange, range_, linspace, logspace  # noqa: E402,F401
