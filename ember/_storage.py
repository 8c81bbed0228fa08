"""Storage: the one flat buffer that tensors are views into."""
from ._backend import np


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


class UntypedStorage:
    """Bytes shared by a tensor and its views (``untyped_storage()``)."""

    def __init__(self, buf, device="cpu"):
        self._buf = buf  # 1-D array of the tensor's element type
        self.device = device

    def data_ptr(self):
        return self._buf.__array_interface__["data"][0] if self._buf.size else 0

    def nbytes(self):
        return self._buf.nbytes

    def size(self):
        return self._buf.nbytes

    def __len__(self):
        return self._buf.nbytes

    def __getitem__(self, i):
        return int(self._buf.view(np.uint8)[i])

    def tolist(self):
        return self._buf.view(np.uint8).tolist()

    def __repr__(self):
        body = "\n".join(f" {v}" for v in self.tolist())
        head = body + "\n" if body else ""
        return (f"{head}[ember.storage.UntypedStorage(device={self.device}) of size "
                f"{self.nbytes()}]")


class TypedStorage:
    """The element view of a storage (``Tensor.storage()``), indexable and writable."""

    def __init__(self, untyped, dtype):
        self._untyped = untyped
        self.dtype = dtype
        self.device = untyped.device

    @property
    def _buf(self):
        return self._untyped._buf

    def _untyped_storage(self):
        return self._untyped

    def untyped(self):
        return self._untyped

    def size(self):
        return self._buf.size

    def __len__(self):
        return self._buf.size

    def data_ptr(self):
        return self._untyped.data_ptr()

    def element_size(self):
        return self.dtype.itemsize

    def nbytes(self):
        return self._buf.nbytes

    def _python(self, v):
        return bool(v) if self.dtype.name == "bool" else v.item()

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._python(v) for v in self._buf[i]]
        n = self._buf.size
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        return self._python(self._buf[i])

    def __setitem__(self, i, value):
        self._buf[i] = value

    def tolist(self):
        return self._buf.tolist()

    def fill_(self, value):
        self._buf[...] = value
        return self

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self):
        if self.dtype.is_floating_point:
            lines = [f" {float(v)!r}" for v in self._buf.tolist()]
        else:
            lines = [f" {v}" for v in self._buf.tolist()]
        body = "\n".join(lines)
        head = body + "\n" if body else ""
        return (f"{head}[ember.storage.TypedStorage(dtype={self.dtype!r}, device="
                f"{self.device}) of size {self._buf.size}]")

    __str__ = __repr__
