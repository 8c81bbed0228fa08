"""Creation ops: tensor, from_numpy, zeros/ones/full/empty, arange, linspace, eye..."""
import math
import numbers
import warnings

from . import _dtype as D
from ._backend import np
from ._device import as_device, device as _device_cls
from ._tensor import Tensor, Size, _wrap


def _resolve_device(device):
    d = as_device(device)
    if d is not None and d.type == "cuda":
        from . import cuda
        cuda._lazy_init()
    return d


def _finish(t, requires_grad=False, device=None):
    if device is not None:
        _resolve_device(device)
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_np(data):
    """A NumPy array from nested Python data, with PyTorch's dtype inference."""
    try:
        arr = np.array(data)
    except ValueError as e:
        raise ValueError(_ragged_message(data)) from None
    if arr.dtype == object:
        raise ValueError(_ragged_message(data)) if isinstance(data, (list, tuple)) else \
            TypeError(f"Could not infer dtype of {type(data).__name__}")
    kind = arr.dtype.kind
    if kind == "f" and not _has_numpy_scalars(data, arr.dtype):
        arr = arr.astype(D.get_default_dtype().np)
    elif kind == "c" and not _has_numpy_scalars(data, arr.dtype):
        arr = arr.astype(np.complex128 if D.get_default_dtype() is D.float64 else np.complex64)
    elif kind in "iu" and arr.dtype != np.uint8:
        arr = arr.astype(np.int64)
    elif kind in "US":
        raise TypeError("new(): invalid data type 'str'")
    return arr


def _has_numpy_scalars(data, dt):
    """np.float64 scalars (not Python floats) keep their own precision."""
    x = data
    while isinstance(x, (list, tuple)) and x:
        x = x[0]
    return isinstance(x, (np.generic, np.ndarray)) or (isinstance(x, Tensor))


def _ragged_message(data):
    def walk(x, dim):
        if not isinstance(x, (list, tuple)):
            return None
        lens = [len(e) if isinstance(e, (list, tuple)) else None for e in x]
        first = lens[0] if lens else None
        for e, n in zip(x, lens):
            if n != first:
                return f"expected sequence of length {first} at dim {dim} (got {n})"
        for e in x:
            r = walk(e, dim + 1)
            if r:
                return r
        return None
    return walk(data, 1) or "could not convert data to a tensor"


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        arr = data._data.copy()
    elif isinstance(data, np.ndarray):
        D.from_numpy_dtype(data.dtype)
        arr = np.array(data)
    elif isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        arr = _infer_np([x._data if isinstance(x, Tensor) else x for x in data])
    else:
        arr = _infer_np(data)
    if dtype is not None:
        dt = D.to_dtype(dtype)
        if arr.dtype != dt.np:
            arr = arr.astype(dt.np)
    return _finish(_wrap(arr), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(D.to_dtype(dtype))
    if isinstance(data, np.ndarray):
        t = from_numpy(data)
        return t if dtype is None else t.to(D.to_dtype(dtype))
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
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
    if not ndarray.flags.writeable:
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support "
                      "non-writable tensors. This means writing to this tensor will result "
                      "in undefined behavior. You may want to copy the array to protect its "
                      "data or make it writable before converting it to a tensor. This type "
                      "of warning will be suppressed for the rest of this program.",
                      UserWarning, stacklevel=2)
    return _wrap(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found "
                            f"element of type {type(s).__name__} at pos {len(out)}")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def _dt(dtype, default=None):
    if dtype is None:
        return default or D.get_default_dtype()
    return D.to_dtype(dtype)


def _filled(size, value, dtype, device, requires_grad):
    dt = _dt(dtype)
    if value == 0:
        arr = np.zeros(size, dt.np)
    elif value == 1:
        arr = np.ones(size, dt.np)
    else:
        arr = np.full(size, value, dt.np)
    return _finish(_wrap(arr), requires_grad, device)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    return _filled(_size(size), 0, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    return _filled(_size(size), 1, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    # Uninitialised memory in PyTorch; zeros here, so nothing stale ever leaks out.
    return _filled(_size(size), 0, dtype, device, requires_grad)


def _fill_dtype(fill_value):
    if isinstance(fill_value, bool):
        return D.bool
    if isinstance(fill_value, numbers.Integral):
        return D.int64
    if isinstance(fill_value, complex):
        return D.complex64
    return D.get_default_dtype()


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = _dt(dtype, _fill_dtype(fill_value))
    return _finish(_wrap(np.full(_size((size,)), fill_value, dt.np)), requires_grad, device)


def _like(input, dtype):
    return input.dtype if dtype is None else D.to_dtype(dtype)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _finish(_wrap(np.zeros(input._data.shape, _like(input, dtype).np)), requires_grad,
                   device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _finish(_wrap(np.ones(input._data.shape, _like(input, dtype).np)), requires_grad,
                   device)


empty_like = zeros_like


def full_like(input, fill_value, *, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    return _finish(_wrap(np.full(input._data.shape, fill_value, _like(input, dtype).np)),
                   requires_grad, device)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dt = D.int64 if all(isinstance(v, numbers.Integral) for v in (start, end, step)) \
            else D.get_default_dtype()
    else:
        dt = D.to_dtype(dtype)
    n = int(math.ceil((end - start) / step)) if dt.is_floating_point or not all(
        isinstance(v, numbers.Integral) for v in (start, end, step)) else \
        max(0, -((start - end) // step) if step > 0 else -((end - start) // -step))
    n = max(n, 0)
    if dt.category == D._CATEGORY_INT and all(isinstance(v, numbers.Integral)
                                              for v in (start, end, step)):
        arr = (start + np.arange(n, dtype=np.int64) * step).astype(dt.np)
    else:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    return _finish(_wrap(arr), requires_grad, device)


def range_(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    dt = _dt(dtype)
    n = int(math.floor((end - start) / step)) + 1
    return _finish(_wrap((start + np.arange(n, dtype=np.float64) * step).astype(dt.np)),
                   requires_grad, device)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dt(dtype)
    work = dt.np if dt.is_floating_point else np.float64
    if steps == 0:
        arr = np.zeros(0, work)
    elif steps == 1:
        arr = np.full(1, start, work)
    else:
        # Two halves meeting in the middle, so both ends are exact (as PyTorch does).
        step = (work.type(end) - work.type(start)) / work.type(steps - 1) if \
            hasattr(work, "type") else (end - start) / (steps - 1)
        i = np.arange(steps, dtype=work)
        half = steps // 2
        arr = np.where(i < half, work.type(start) + step * i,
                       work.type(end) - step * (steps - 1 - i)).astype(work)
    return _finish(_wrap(arr.astype(dt.np)), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    dt = _dt(dtype)
    lin = linspace(start, end, steps, dtype=D.float64)._data
    return _finish(_wrap(np.power(base, lin).astype(dt.np)), requires_grad, device)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    return _finish(_wrap(np.eye(n, n if m is None else m, dtype=_dt(dtype).np)),
                   requires_grad, device)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return _finish(_wrap(np.array(s, _dt(dtype).np)), requires_grad, device)


def complex(real, imag):
    return _wrap(real._data + 1j * imag._data).to(
        D.complex128 if real.dtype is D.float64 else D.complex64)


def _legacy_tensor_new(cls, *args, **kwargs):
    """``Tensor(2, 3)`` (uninitialised floats) and ``Tensor([1, 2])`` (data)."""
    dt = kwargs.pop("dtype", None) or _LEGACY_DTYPES.get(cls, D.get_default_dtype())
    kwargs.pop("device", None)
    if not args:
        t = _wrap(np.zeros((0,), dt.np))
    elif len(args) == 1 and isinstance(args[0], Tensor):
        t = args[0]
        return t if t.dtype is dt else t.to(dt)
    elif all(isinstance(a, (int, np.integer)) for a in args) or (
            len(args) == 1 and isinstance(args[0], Size)):
        t = _wrap(np.zeros(_size(args), dt.np))
    else:
        data = args[0]
        arr = data._data if isinstance(data, Tensor) else np.asarray(data)
        t = _wrap(np.array(arr, dtype=dt.np))
    if cls is not Tensor and cls not in _LEGACY_DTYPES:
        obj = object.__new__(cls)
        obj._data, obj.dtype = t._data, t.dtype
        return obj
    return t


class _LegacyMeta(type):
    """isinstance(t, FloatTensor) asks about t's dtype, as in PyTorch."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is _LEGACY_DTYPES[cls]


def _make_legacy(name, dt):
    cls = _LegacyMeta(name, (Tensor,), {})
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


_PY_TYPES = (int, float, bool, complex)


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
    if isinstance(data, Tensor):
        arr = data._data.copy()
    else:
        arr = np.array(data)
    return tensor(arr, dtype=dtype or (self.dtype if not isinstance(data, Tensor)
                                       else data.dtype), requires_grad=requires_grad)


for _name, _fn in (("new_zeros", zeros), ("new_ones", ones), ("new_empty", empty)):
    setattr(Tensor, _name, _new_method(_fn))
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor


def _new(self, *args, **kwargs):
    return _legacy_tensor_new(Tensor, *args, dtype=self.dtype) if args else \
        _wrap(np.zeros((0,), self.dtype.np))


Tensor.new = _new


def randn_like_for_check(t):
    """Fixed pseudo-random grad_outputs for gradgradcheck (leaves ember's RNG alone)."""
    rng = np.random.default_rng(0)
    return _wrap(rng.standard_normal(t._data.shape).astype(t.dtype.np)).requires_grad_()
