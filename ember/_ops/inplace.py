"""In-place ops: compute out of place, write through the storage, rebase the graph.

Writing goes through ``self._data`` (a view of the shared storage) so every view
sees it; the version counter shared with the views is bumped, which is what
saved-tensor checks in backward compare against.  When the written tensor is a
view of a tensor on the graph, the base gets a ``CopySlices`` node that routes
the base's gradient around the overwritten region.
"""
from .. import _errors
from ..autograd.graph import Node, gradient_edge
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op import Op
from . import elementwise as E
from . import shape as S
from ._util import D, Tensor, _wrap, np, install

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
          "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _check_writable(self):
    if not self._data.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation.")


def _write(self, r):
    if r._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(r._data.shape)}")
    if r.dtype is not self.dtype and not D.can_cast(r.dtype, self.dtype):
        raise RuntimeError(f"result type {_NAMES[r.dtype.name]} can't be cast to the desired "
                           f"output type {_NAMES[self.dtype.name]}")
    _check_writable(self)
    np.copyto(self._data, r._data, casting="unsafe")
    self._bump()


def _snapshot(self):
    """The pre-write value of ``self``, still attached to self's graph position."""
    snap = object.__new__(Tensor)
    snap._data = self._data.copy()
    snap.dtype = self.dtype
    snap.grad_fn = self.grad_fn
    snap._output_nr = self._output_nr
    snap._requires_grad = self._requires_grad
    return snap


def apply_inplace(self, fn, *args, needs_self=True, **kw):
    """Run ``fn(self, *args)`` out of place and write the result into ``self``."""
    if not _grad_state.enabled:
        _write(self, fn(self, *args, **kw))
        return self
    base = self._base
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError(_errors.LEAF_INPLACE)
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    track = self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)
    if not track:
        _write(self, fn(self, *args, **kw))
        return self
    old = _snapshot(self) if needs_self else self
    r = fn(old, *args, **kw)
    view_geometry = S._geometry(self._data, base._data) if base is not None else None
    _write(self, r)
    if r.grad_fn is None:
        return self
    if base is not None:
        cs = CopySlices()
        cs.next_functions = (gradient_edge(base), (r.grad_fn, r._output_nr))
        cs.geometry = view_geometry
        cs.base_shape = base._data.shape
        cs.base_strides = S._elem_strides(base._data)
        base.grad_fn = cs
        base._output_nr = 0
        base._requires_grad = True
    self.grad_fn = r.grad_fn
    self._output_nr = r._output_nr
    self._requires_grad = True
    return self


class CopySlices(Node):
    """Gradient of a base whose view was written in place."""

    _saves = False

    def apply(self, grads):
        g = grads[0]
        if g is None:
            return None, None
        shape, strides, off = self.geometry
        arr = np.ascontiguousarray(g._data)
        if self.base_strides != S._contig_strides(self.base_shape):
            lin = S._linear_index(shape, strides, off)
            pos = S._position_of(lin, self.base_shape, self.base_strides).reshape(shape)
            flat = arr.reshape(-1)
            g_view = flat[pos].copy()
            g_base = arr.copy()
            g_base.reshape(-1)[pos.reshape(-1)] = 0
        else:
            region = S._strided(arr, shape, strides, off)
            g_view = region.copy()
            g_base = arr.copy()
            S._strided(g_base, shape, strides, off)[...] = 0
        return _wrap(g_base), _wrap(g_view)


# --- the in-place ops --------------------------------------------------------------------

def _copy_fwd(ctx, a, src):
    try:
        return np.broadcast_to(src, a.shape).astype(a.dtype)
    except ValueError:
        raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast "
                           f"shape {list(np.shape(src))}") from None


_copy = Op("CopyBackwards", _copy_fwd, saves=())
_copy.backward(lambda ctx, g: (g * 0, g))


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        from .._creation import tensor
        src = tensor(src)
    if src._data.shape != self._data.shape:
        try:
            np.broadcast_shapes(src._data.shape, self._data.shape)
        except ValueError:
            raise _errors.expand_mismatch(src._data.shape, self._data.shape) from None
        if np.broadcast_shapes(src._data.shape, self._data.shape) != self._data.shape:
            raise _errors.expand_mismatch(src._data.shape, self._data.shape)
    if not _grad_state.enabled or not (self._requires_grad or src._requires_grad):
        _check_writable(self)
        if self._requires_grad and self.grad_fn is None and _grad_state.enabled:
            raise RuntimeError(_errors.LEAF_INPLACE)
        np.copyto(self._data, src._data, casting="unsafe")
        self._bump()
        return self
    return apply_inplace(self, lambda s, x: _copy(s, x), src, needs_self=False)


_fill = Op("FillBackward0", lambda ctx, a, value: np.full(a.shape, value, a.dtype), saves=())
_fill.backward(lambda ctx, g: g * 0)
_zero = Op("ZeroBackward0", lambda ctx, a: np.zeros(a.shape, a.dtype), saves=())
_zero.backward(lambda ctx, g: g * 0)


def fill_(self, value):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        if value._requires_grad:
            return copy_(self, value.expand(self.shape))
        value = value.item()
    if not (_grad_state.enabled and self._requires_grad):
        _check_writable(self)
        self._data[...] = value
        self._bump()
        return self
    return apply_inplace(self, lambda s: _fill(s, value=value), needs_self=False)


def zero_(self):
    if not (_grad_state.enabled and self._requires_grad):
        _check_writable(self)
        self._data[...] = 0
        self._bump()
        return self
    return apply_inplace(self, lambda s: _zero(s), needs_self=False)


def _inplace_method(fn, needs_self=True):
    def method(self, *args, **kw):
        return apply_inplace(self, fn, *args, needs_self=needs_self, **kw)
    return method


def _inplace_unary(fn):
    def method(self):
        return apply_inplace(self, lambda s: fn(s))
    return method


def _set_meta(self, new):
    self._data = new._data
    return self


def unsqueeze_(self, dim):
    return _set_meta(self, S.unsqueeze(self.detach(), dim))


def squeeze_(self, dim=None):
    return _set_meta(self, S.squeeze(self.detach(), dim))


def t_(self):
    return _set_meta(self, S.t(self.detach()))


def transpose_(self, d0, d1):
    return _set_meta(self, S.transpose(self.detach(), d0, d1))


def resize_(self, *size, memory_format=None):
    size = S._shape_args(size)
    n = 1
    for s in size:
        n *= s
    flat = self._data.reshape(-1) if self._data.flags.c_contiguous else self._data.ravel()
    if n <= flat.size:
        self._data = flat[:n].reshape(size)
    else:
        buf = np.zeros(n, self._data.dtype)
        buf[:flat.size] = flat
        self._data = buf.reshape(size)
        self._storage_obj = None
    return self


def resize_as_(self, other):
    return resize_(self, other.shape)


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    if source is None:
        self._data = np.zeros((0,), self.dtype.np)
        self._storage_obj = None
    elif isinstance(source, Tensor):
        self._data = source._data
        self._storage_obj = source._storage()
        self.dtype = source.dtype
    else:
        buf = source._buf
        size = tuple(size) if size is not None else (buf.size - storage_offset,)
        stride = tuple(stride) if stride is not None else S._contig_strides(size)
        self._data = S._strided(buf, size, stride, storage_offset)
        self._storage_obj = getattr(source, "_untyped", source)
    self._bump()
    return self


def _ipow(self, other):
    return apply_inplace(self, E.pow, other)


install({
    "add_": _inplace_method(lambda s, o, alpha=1: E.add(s, o, alpha=alpha), needs_self=False),
    "sub_": _inplace_method(lambda s, o, alpha=1: E.sub(s, o, alpha=alpha), needs_self=False),
    "subtract_": _inplace_method(lambda s, o, alpha=1: E.sub(s, o, alpha=alpha),
                                 needs_self=False),
    "mul_": _inplace_method(E.mul), "multiply_": _inplace_method(E.mul),
    "div_": _inplace_method(E.div), "divide_": _inplace_method(E.div),
    "true_divide_": _inplace_method(E.div), "floor_divide_": _inplace_method(E.floor_divide),
    "pow_": _inplace_method(E.pow), "fmod_": _inplace_method(E.fmod),
    "remainder_": _inplace_method(E.remainder),
    "clamp_": _inplace_method(E.clamp), "clip_": _inplace_method(E.clamp),
    "clamp_min_": _inplace_method(E.clamp_min), "clamp_max_": _inplace_method(E.clamp_max),
    "lerp_": _inplace_method(E.lerp), "addcmul_": _inplace_method(E.addcmul),
    "addcdiv_": _inplace_method(E.addcdiv), "maximum_": _inplace_method(E.maximum),
    "nan_to_num_": _inplace_method(E.nan_to_num),
    "copy_": copy_, "fill_": fill_, "zero_": zero_,
    "unsqueeze_": unsqueeze_, "squeeze_": squeeze_, "t_": t_, "transpose_": transpose_,
    "resize_": resize_, "resize_as_": resize_as_, "set_": set_,
    "__iadd__": lambda s, o: apply_inplace(s, E.add, o, needs_self=False),
    "__isub__": lambda s, o: apply_inplace(s, E.sub, o, needs_self=False),
    "__imul__": lambda s, o: apply_inplace(s, E.mul, o),
    "__itruediv__": lambda s, o: apply_inplace(s, E.div, o),
    "__ifloordiv__": lambda s, o: apply_inplace(s, E.floor_divide, o),
    "__imod__": lambda s, o: apply_inplace(s, E.remainder, o),
    "__ipow__": _ipow,
    "__iand__": lambda s, o: apply_inplace(s, E.bitwise_and, o),
    "__ior__": lambda s, o: apply_inplace(s, E.bitwise_or, o),
    "__ixor__": lambda s, o: apply_inplace(s, E.bitwise_xor, o),
    "logical_not_": _inplace_unary(E.logical_not),
})

for _name in ("neg", "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
              "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
              "asinh", "acosh", "atanh", "erf", "erfc", "erfinv", "sigmoid", "reciprocal",
              "sign", "floor", "ceil", "trunc", "frac", "relu", "square", "negative",
              "absolute", "fix", "sgn"):
    setattr(Tensor, _name + "_", _inplace_unary(getattr(Tensor, _name)))
Tensor.round_ = lambda self, decimals=0: apply_inplace(self, E.round, decimals=decimals)
