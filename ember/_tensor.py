"""class Tensor: a view (storage, shape, stride, offset) plus autograd metadata.

``_data`` is a NumPy array over the storage buffer, so the strides and offset
NumPy keeps are the tensor's own; view ops build it with explicit strides to
report exactly what PyTorch reports.  Math methods are installed by the op
modules in ``ember/_ops``.
"""
from . import _dtype as D
from . import _errors
from ._backend import np
from ._device import CPU as _CPU
from ._storage import TypedStorage, UntypedStorage, flat_buffer
from .autograd import graph as _graph
from .autograd import op as _opmod
from .autograd.grad_mode import state as _grad_state

_ndarray = np.ndarray
_BY_NP = D._BY_NP
_warned_typed_storage = [False]  # PyTorch warns once per process


class Size(tuple):
    """A shape: a tuple that prints as ``ember.Size([2, 3])``.

    Internal code builds it with ``_size(shape)`` (no checks); ``Size(...)``
    from user code checks its items as PyTorch does.
    """

    def __new__(cls, sizes=()):
        items = []
        for i, s in enumerate(sizes):
            if type(s) is not int:
                try:
                    s = s.__index__()
                except (AttributeError, TypeError):
                    raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                    f"'{type(s).__name__}')") from None
            items.append(s)
        return tuple.__new__(cls, items)

    def __repr__(self):
        return f"ember.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return _size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to "
                            "torch.Size")
        return _size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return _size(tuple.__add__(other, self))

    def __mul__(self, n):
        return _size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


def _size(shape):
    return tuple.__new__(Size, shape)


def _wrap(arr):
    """A new tensor owning ``arr`` (the result of an op)."""
    if type(arr) is not _ndarray:
        arr = np.asarray(arr)
    t = object.__new__(Tensor)
    t._data = arr
    t.dtype = _BY_NP[arr.dtype]
    if _grad_state.inference:
        t._is_inference = True
    return t


def _contiguous_strides(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


class Tensor:
    # Class-level defaults keep tensor creation down to three attribute writes.
    _grad = None
    grad_fn = None
    _requires_grad = False
    _output_nr = 0
    _acc_ref = None
    _storage_obj = None
    _base = None
    _vc_list = None
    _retains_grad = False
    _leaf_hooks = None
    _is_inference = False
    _device = _CPU
    _is_param = False

    def __new__(cls, *args, **kwargs):
        from ._creation import _legacy_tensor_new
        return _legacy_tensor_new(cls, *args, **kwargs)

    # --- identity, metadata -------------------------------------------------
    @property
    def _vc(self):
        vc = self._vc_list
        if vc is None:
            vc = self._vc_list = [0]
        return vc

    @property
    def _version(self):
        return self._vc[0]

    def _bump(self):
        self._vc[0] += 1

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if not isinstance(value, bool):
            raise RuntimeError("requires_grad must be a bool")
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype "
                                       "can require gradients")

    def _set_requires_grad(self, value, message):
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation "
                "use var_no_grad = var.detach().")
        if value and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError(message)
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self._set_requires_grad(bool(requires_grad), "only Tensors of floating point dtype "
                                                     "can require gradients")
        return self

    @property
    def grad(self):
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            import warnings
            warnings.warn(_errors.NONLEAF_GRAD_ACCESS, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to "
                    f"a tensor of size '{list(self._data.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(_errors.grad_dtype_mismatch(value.dtype, self.dtype))
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def is_inference(self):
        """Made under ``inference_mode`` (ember does not restrict such tensors further)."""
        return self._is_inference

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def shape(self):
        return tuple.__new__(Size, self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return tuple.__new__(Size, self._data.shape)
        return self._data.shape[_errors.wrap_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self.dtype.itemsize

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    is_sparse = False
    is_quantized = False
    is_meta = False
    is_mkldnn = False
    is_nested = False
    layout = "strided"

    def get_device(self):
        return -1 if self._device.type == "cpu" else self._device.index

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_signed(self):
        return self.dtype.is_signed

    def stride(self, dim=None):
        arr = self._data
        if arr.size == 0 and self._base is None:
            # NumPy lays out a fresh empty array its own way; PyTorch's are contiguous.
            # (Views keep the strides of what they view, as in PyTorch.)
            st = _contiguous_strides(arr.shape)
        else:
            its = arr.itemsize
            st = tuple(s // its for s in arr.strides)
        if dim is None:
            return st
        return st[_errors.wrap_dim(dim, self._data.ndim)]

    def _storage(self):
        s = self._storage_obj
        if s is None:
            s = self._storage_obj = UntypedStorage(flat_buffer(self._data))
        return s

    def storage_offset(self):
        st = self._storage()
        if not st._buf.size:
            return 0
        off = self._data.__array_interface__["data"][0] - st.data_ptr()
        return off // self._data.itemsize if off > 0 else 0

    def untyped_storage(self):
        return self._storage()

    def storage(self):
        if not _warned_typed_storage[0]:
            _warned_typed_storage[0] = True
            import warnings
            warnings.warn(_errors.TYPED_STORAGE_DEPRECATED, UserWarning, stacklevel=2)
        return TypedStorage(self._storage(), self.dtype)

    def data_ptr(self):
        return self._data.__array_interface__["data"][0] if self._data.size else 0

    def is_contiguous(self, memory_format=None):
        if self._data.flags.c_contiguous:
            return True
        # PyTorch ignores strides of size-1 dims; NumPy mostly does too.
        expected = 1
        for n, s in zip(reversed(self._data.shape), reversed(self.stride())):
            if n == 1:
                continue
            if s != expected:
                return False
            expected *= n
        return True

    def is_set_to(self, other):
        return (self._storage() is other._storage() and self.shape == other.shape
                and self.stride() == other.stride())

    # --- views of storage -------------------------------------------------
    def _view(self, shape, strides, offset=None):
        """A view sharing this tensor's storage, with explicit element strides."""
        arr = self._data
        its = arr.itemsize
        if offset is None:
            byte_off = 0
            buf = arr
        else:
            st = self._storage()
            buf = st._buf
            byte_off = offset * its
        try:
            new = np.ndarray(shape, arr.dtype, buffer=buf, offset=byte_off,
                             strides=tuple(s * its for s in strides))
        except (TypeError, ValueError):
            new = np.lib.stride_tricks.as_strided(
                buf[byte_off // its:] if buf.ndim == 1 else buf, shape,
                tuple(s * its for s in strides))
        return self._as_view_of(new)

    def _as_view_of(self, arr):
        """Wrap ``arr`` (which aliases our memory) as a view tensor of self."""
        t = object.__new__(Tensor)
        t._data = arr
        t.dtype = self.dtype
        t._storage_obj = self._storage()
        t._vc_list = self._vc
        t._base = self._base if self._base is not None else self
        t._device = self._device
        return t

    @property
    def data(self):
        t = object.__new__(Tensor)
        t._data = self._data
        t.dtype = self.dtype
        t._storage_obj = self._storage()
        t._device = self._device
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(value).__name__}")
        self._data = value._data
        self.dtype = value.dtype
        self._storage_obj = value._storage()
        self._device = value._device

    def detach(self):
        t = self.data
        t._vc_list = self._vc
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    # --- conversion -------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        v = self._data.reshape(-1)[0]
        return bool(v) if self.dtype is D.bool else v.item()

    def tolist(self):
        if self.dtype is D.bfloat16:
            return self._data.astype(np.float32).tolist()
        return self._data.tolist()

    def numpy(self, *, force=False):
        if self.dtype is D.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self._data
        return a if dtype is None else a.astype(dtype, copy=False)

    def __int__(self):
        return int(self._scalar("int"))

    def __float__(self):
        return float(self._scalar("float"))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def __bool__(self):
        if self._data.size != 1:
            if self._data.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError(_errors.BOOL_AMBIGUOUS)
        return bool(self._data.reshape(-1)[0])

    def _scalar(self, kind):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(-1)[0]

    def __index__(self):
        if self.dtype.is_floating_point or self.dtype.is_complex or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.reshape(-1)[0])

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        if isinstance(element, (Tensor, int, float, bool)):
            return bool((element == self)._data.any())
        raise RuntimeError(
            f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
            f"{type(element)}.")

    def __reversed__(self):
        return self.flip(0) if self.dim() else self

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None):
        from ._printing import format_tensor
        data = self._data
        if self.dtype is D.bfloat16:
            data = data.astype(np.float32)
        gname = None
        if self.grad_fn is not None:
            gname = type(self.grad_fn).__name__
        dev = None if self._device.type == "cpu" else str(self._device)
        cls = type(self)
        prefix = "tensor(" if cls is Tensor or self._is_param else f"{cls.__name__}("
        return format_tensor(data, self.dtype.name,
                             default_dtype_name=D.get_default_dtype().name, device=dev,
                             requires_grad=self._requires_grad and self.grad_fn is None,
                             grad_fn_name=gname, prefix=prefix)

    __str__ = __repr__

    # --- devices and dtypes -------------------------------------------------
    def to(self, *args, **kwargs):
        if not kwargs and len(args) == 1 and args[0] is self.dtype:
            return self  # the common no-op cast, without parsing
        from ._creation import _parse_to
        dtype, device, copy = _parse_to(self, *args, **kwargs)
        if device is not None and device.type == "cuda":
            from . import cuda
            cuda._lazy_init()
        if dtype is None or dtype is self.dtype:
            return _convert(self, self.dtype) if copy else self
        return _convert(self, dtype)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            return "torch." + _errors._TYPE_NAMES[self.dtype.name]
        if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), D.dtype):
            dtype = dtype.dtype  # FloatTensor & co
        if isinstance(dtype, str):
            name = dtype
            if name.startswith("torch.cuda."):
                from . import cuda
                cuda._lazy_init()
            short = name.rsplit(".", 1)[-1]
            found = [k for k, v in _errors._TYPE_NAMES.items() if v == short]
            if not found or not name.startswith(("torch.", "ember.")):
                raise ValueError(f"invalid type: '{name}'")
            dtype = D._BY_NAME[found[0]]
        elif not isinstance(dtype, D.dtype):
            raise ValueError(f"invalid type: '{getattr(dtype, '__name__', dtype)}'")
        return self if dtype is self.dtype else _convert(self, dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        from . import cuda
        cuda._lazy_init()

    def float(self, memory_format=None):
        return self.to(D.float32)

    def double(self, memory_format=None):
        return self.to(D.float64)

    def half(self, memory_format=None):
        return self.to(D.float16)

    def bfloat16(self, memory_format=None):
        return self.to(D.bfloat16)

    def long(self, memory_format=None):
        return self.to(D.int64)

    def int(self, memory_format=None):
        return self.to(D.int32)

    def short(self, memory_format=None):
        return self.to(D.int16)

    def char(self, memory_format=None):
        return self.to(D.int8)

    def byte(self, memory_format=None):
        return self.to(D.uint8)

    def bool(self, memory_format=None):
        return self.to(D.bool)

    def cfloat(self):
        return self.to(D.complex64)

    def cdouble(self):
        return self.to(D.complex128)

    def pin_memory(self, device=None):
        return self

    def is_pinned(self, device=None):
        return False

    def share_memory_(self):
        return self

    def is_shared(self):
        return False

    # --- autograd -------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(self._output_nr, hook)
        return _graph.accumulate_grad_node_hook(self, hook)

    def retain_grad(self):
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        import weakref
        ref = weakref.ref(self)

        def keep(grad):
            # Runs after the tensor's other hooks, so .grad sees what flows on.
            t = ref()
            if t is not None:
                g = grad if _grad_state.enabled else grad.detach()
                t._grad = g.clone() if t._grad is None else t._grad + g
        node = self.grad_fn
        if node._retain_hooks is None:
            node._retain_hooks = {}
        node._retain_hooks[self._output_nr] = keep
        self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    # --- copying --------------------------------------------------------------
    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        # Copy the storage once per deepcopy call (memo), so views copied together
        # still share memory afterwards, as in PyTorch.
        arr = self._data
        new = object.__new__(type(self))
        if arr.size:
            st = self._storage()
            new_st = memo.get(id(st))
            if new_st is None:
                new_st = memo[id(st)] = UntypedStorage(st._buf.copy(), st.device)
            new._data = np.ndarray(arr.shape, arr.dtype, buffer=new_st._buf,
                                   offset=self.storage_offset() * arr.itemsize,
                                   strides=arr.strides)
            new._storage_obj = new_st
        else:
            new._data = arr.copy()
        new.dtype = self.dtype
        new._requires_grad = self._requires_grad
        if self._device is not _CPU:
            new._device = self._device
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        import copy
        for k, v in self.__dict__.items():
            if k not in _INTERNAL_ATTRS:
                setattr(new, k, copy.deepcopy(v, memo))
        return new

    def __copy__(self):
        # PyTorch's copy.copy goes through pickling's reduce without serialising the
        # storage: a new leaf on the same memory.
        new = object.__new__(type(self))
        new.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k not in _INTERNAL_ATTRS})
        new._data = self._data
        new.dtype = self.dtype
        new._storage_obj = self._storage()
        new._requires_grad = self._requires_grad
        if self._device is not _CPU:
            new._device = self._device
        return new

    def __reduce_ex__(self, proto):
        from .serialization import _reduce_tensor
        return _reduce_tensor(self)

    def __setstate__(self, state):
        self.__dict__.update(state)


# Per-tensor state that copies rebuild themselves; other __dict__ entries are user data.
_INTERNAL_ATTRS = frozenset((
    "_data", "dtype", "_storage_obj", "_vc_list", "_acc_ref", "_grad", "_base", "grad_fn",
    "_requires_grad", "_output_nr", "_retains_grad", "_device", "_leaf_hooks",
    "_is_inference", "_views"))


def _convert(t, dtype):
    from ._ops.elementwise import to_dtype
    return to_dtype(t, dtype)


_opmod._Tensor = Tensor
_opmod._wrap = _wrap

# Users see the class where they import it from (as torch.Tensor shows "torch").
Tensor.__module__ = "ember"
