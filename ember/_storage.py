"""Storage: the one flat buffer that tensors are views into.

``UntypedStorage`` holds a 1-D NumPy array over the whole buffer (of the
element type of the tensor that created it); it is bytes to the user.
``TypedStorage`` (what ``Tensor.storage()`` returns) reads it as elements.
Both are windows on the same memory, so writes show through every view.
"""
from ._backend import np
from ._errors import _TYPE_NAMES



def _type_name(dtype):
    return _TYPE_NAMES[dtype.name][:-6]  # "FloatTensor" -> "Float"


def flat_buffer(arr):
    """A 1-D array over all the memory ``arr`` spans (arr's strides are >= 0).

    For a fresh contiguous array that is simply its flat view; for a strided
    view it starts at the array's first element and ends after its last.
    """
    if arr.flags.c_contiguous:
        return arr.reshape(-1)
    itemsize = arr.itemsize
    if arr.size == 0:
        return np.empty(0, arr.dtype)
    span = 1 + sum((n - 1) * (s // itemsize) for n, s in zip(arr.shape, arr.strides))
    return np.lib.stride_tricks.as_strided(arr, shape=(span,), strides=(itemsize,))


_CPU = None


def _cpu():
    global _CPU
    if _CPU is None:  # ember._device imports this module
        from ._device import CPU
        _CPU = CPU
    return _CPU


def _body(values):
    # PyTorch prints one element per line, each after a space, then the footer.
    return " " + "\n ".join(str(v) for v in values) + "\n"


class UntypedStorage:
    """Bytes shared by a tensor and its views (``untyped_storage()``)."""

    is_sparse = False
    is_cuda = False
    filename = None

    def __init__(self, buf=0, device=None):
        if isinstance(buf, int):  # UntypedStorage(nbytes)
            buf = np.zeros(buf, np.uint8)
        self._buf = buf  # 1-D array of the tensor's element type
        self.device = _cpu() if device is None else device

    def _bytes(self):
        return self._buf.view(np.uint8)

    def data_ptr(self):
        return self._buf.__array_interface__["data"][0] if self._buf.size else 0

    def nbytes(self):
        return self._buf.nbytes

    size = nbytes
    __len__ = nbytes

    def element_size(self):
        return 1

    def _index(self, i):
        n = self._buf.nbytes
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        return i

    def __getitem__(self, i):
        if isinstance(i, slice):
            return UntypedStorage(self._bytes()[i], self.device)
        return int(self._bytes()[self._index(i)])

    def __setitem__(self, i, value):
        if not isinstance(i, slice):
            i = self._index(i)
        self._bytes()[i] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._bytes().tolist()

    def fill_(self, value):
        self._bytes()[...] = value
        return self

    def clone(self):
        return UntypedStorage(self._buf.copy(), self.device)

    def cpu(self):
        return self

    def is_shared(self):
        return False

    def is_pinned(self, device="cuda"):
        return False

    def type(self, dtype=None, non_blocking=False):
        return "torch.storage.UntypedStorage"

    def untyped(self):
        return self

    def __repr__(self):
        return (f"{_body(self.tolist())}[ember.storage.UntypedStorage(device={self.device}) "
                f"of size {self.nbytes()}]")

    __str__ = __repr__


class TypedStorage:
    """The element view of a storage (``Tensor.storage()``), indexable and writable."""

    is_sparse = False
    is_cuda = False
    filename = None

    def __init__(self, untyped, dtype):
        self._untyped_storage = untyped
        self.dtype = dtype
        self.device = untyped.device

    @property
    def _buf(self):
        buf = self._untyped_storage._buf
        return buf if buf.dtype == self.dtype.np else buf.view(self.dtype.np)

    def untyped(self):
        return self._untyped_storage

    def size(self):
        return self._buf.size

    _size = size
    __len__ = size

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def element_size(self):
        return self.dtype.itemsize

    def nbytes(self):
        return self._buf.nbytes

    def type(self, dtype=None, non_blocking=False):
        return f"torch.{self.pickle_storage_type()}"

    def pickle_storage_type(self):
        return _type_name(self.dtype) + "Storage"

    def is_shared(self):
        return False

    def is_pinned(self, device="cuda"):
        return False

    def cpu(self):
        return self

    def _python(self, v):
        if self.dtype.name == "bfloat16":
            return float(v)
        return v.item()

    def __getitem__(self, i):
        if isinstance(i, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        if type(i) is not int and not isinstance(i, int):
            raise RuntimeError(f"can't index a {_cls_name(self)} with {type(i)}")
        n = self._buf.size
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        return self._python(self._buf[i])

    def __setitem__(self, i, value):
        if not isinstance(i, (int, slice)):
            raise RuntimeError(f"can't index a {_cls_name(self)} with {type(i)}")
        if isinstance(value, (TypedStorage, UntypedStorage)):
            raise RuntimeError(f"cannot set item with value type {type(value)}")
        if hasattr(value, "_data"):
            value = value._data
        elif not isinstance(value, (int, float, complex, np.generic, np.ndarray)):
            raise TypeError(f"can't assign a {type(value).__name__} to a "
                            f"torch.{_TYPE_NAMES[self.dtype.name]}")
        try:
            self._buf[i] = value
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None

    def tolist(self):
        return [self._python(v) for v in self._buf] if self.dtype.name == "bfloat16" \
            else self._buf.tolist()

    def fill_(self, value):
        self._buf[...] = value
        return self

    def clone(self):
        return TypedStorage(UntypedStorage(self._buf.copy(), self.device), self.dtype)

    def _to(self, dtype):
        return TypedStorage(UntypedStorage(self._buf.astype(dtype.np), self.device), dtype)

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self):
        return (f"{_body(self.tolist())}[ember.storage.TypedStorage(dtype={self.dtype!r}, "
                f"device={self.device}) of size {self._buf.size}]")

    __str__ = __repr__


def _cls_name(obj):
    return f"<class 'ember.storage.{type(obj).__name__}'>"


def _install_conversions():
    from . import _dtype as D
    for name, dt in (("float", D.float32), ("double", D.float64), ("half", D.float16),
                     ("bfloat16", D.bfloat16), ("long", D.int64), ("int", D.int32),
                     ("short", D.int16), ("char", D.int8), ("byte", D.uint8),
                     ("bool", D.bool), ("complex_float", D.complex64),
                     ("complex_double", D.complex128)):
        setattr(TypedStorage, name, (lambda d: lambda self: self._to(d))(dt))


_install_conversions()
