"""In-place ops: compute out of place, write through the storage, rebase the graph.

Writing goes through ``self._data`` (a view of the shared storage) so every view
sees it; the version counter shared with the views is bumped, which is what
saved-tensor checks in backward compare against.  With autograd the written
tensor takes the out-of-place op's node as its ``grad_fn``; when it is a view of
a tensor on the graph, the base gets PyTorch's ``CopySlices`` node, which routes
the base's gradient around the overwritten region, and the view is re-derived
from the base (``AsStridedBackward0``).
"""
import math

from .. import _errors
from ..autograd.graph import Node, gradient_edge
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op import Op
from . import elementwise as E
from . import shape as S
from ._util import (D, HALF, TYPE_NAMES, Tensor, _wrap, np, install, checked_scalar,
                    qualified_node)

_ndarray = np.ndarray
_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation.")


def _check_writable(self):
    if not self._data.flags.writeable:
        raise RuntimeError(_OVERLAP)


def _write(self, r):
    """Store result ``r`` (a Tensor) into ``self``'s memory with PyTorch's checks."""
    if r._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(r._data.shape)}")
    if r.dtype is not self.dtype and not D.can_cast(r.dtype, self.dtype):
        raise RuntimeError(f"result type {TYPE_NAMES[r.dtype.name]} can't be cast to the "
                           f"desired output type {TYPE_NAMES[self.dtype.name]}")
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
    snap._acc_ref = self._acc_ref
    return snap


def _check_graph(self):
    """PyTorch's refusals to modify a tensor in place while recording a graph."""
    if self._requires_grad:
        fn = self.grad_fn
        if fn is None:
            raise RuntimeError(_errors.LEAF_INPLACE)
        if getattr(fn, "_n_outputs", 1) > 1 and fn._op.view:
            raise RuntimeError(
                f"Output {self._output_nr} of {fn.name()[:-len('Backward0')]} is a view and is "
                f"being modified inplace. This view is the output of a function that returns "
                f"multiple views. Such functions do not allow the output views to be modified "
                f"inplace. You should replace the inplace operation by an out-of-place one.")
    base = self._base
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def apply_inplace(self, fn, *args, needs_self=True, **kw):
    """Run ``fn(self, *args)`` out of place and write the result into ``self``.

    ``needs_self``: the op's backward reads self's old value, so it gets a copy.
    """
    if not _grad_state.enabled:
        _write(self, fn(self, *args, **kw))
        return self
    _check_graph(self)
    if not (self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad
                                       for a in args)):
        _write(self, fn(self, *args, **kw))
        return self
    base = self._base
    if base is not None and self._data.dtype != base._data.dtype and \
            not base._data.flags.c_contiguous:
        raise NotImplementedError(
            "ember does not yet record in-place operations on the real or imaginary part of "
            "a non-contiguous complex tensor that requires grad; use an out-of-place form, "
            "e.g. torch.complex(x.real * 3, x.imag)")
    old = _snapshot(self) if needs_self or base is not None else self
    r = fn(old, *args, **kw)
    if base is not None:
        geometry = _geometry(self._data, base._data)
    _write(self, r)
    node = r.grad_fn
    if node is None:
        return self
    if base is None:
        self.grad_fn, self._output_nr, self._requires_grad = node, r._output_nr, True
        _refresh_views(self, None)
        return self
    part = self._data.dtype if self._data.dtype != base._data.dtype else None
    cs = CopySlices(gradient_edge(base), node, geometry, base._data, part)
    base.grad_fn, base._output_nr, base._requires_grad = cs, 0, True
    _rederive_view(self, base, geometry)
    _refresh_views(base, self)
    return self


def _refresh_views(base, skip):
    """Every other live view of ``base`` now reads the new values: re-derive its grad_fn."""
    for v in S.live_views(base):
        if v is not skip:
            _rederive_view(v, base, _geometry(v._data, base._data))


def _geometry(view, base):
    """(shape, element strides, element offset) of ``view`` inside ``base``'s memory, in
    the view's elements (a .real/.imag view counts a complex base as pairs of reals)."""
    its = view.itemsize
    off = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // its
    return view.shape, tuple(s // its for s in view.strides), off


def _rederive_view(view, base, geometry):
    """After writing through ``view``, its gradient flows through the base, as in PyTorch."""
    shape, strides, off = geometry
    src, buf = base, base._storage()._buf
    if view._data.dtype != base._data.dtype:  # .real/.imag: through view_as_real, as PyTorch
        from .complex import view_as_real
        src, buf = view_as_real(base), buf.view(view._data.dtype)
    r = S._as_strided_op(src, size=shape, stride=strides,
                         storage_offset=off + src.storage_offset(), buf=buf)
    view.grad_fn, view._output_nr, view._requires_grad = r.grad_fn, 0, True


def _region_index(base, geometry):
    """Logical (C-order) positions in ``base`` of the elements a view at ``geometry`` holds."""
    shape, strides, off = geometry
    lin = np.empty_like(base, dtype=np.intp)  # same memory layout as the base
    lin[...] = np.arange(base.size).reshape(base.shape)
    return S._strided(lin.reshape(-1) if lin.flags.c_contiguous else np.ascontiguousarray(
        _memory_order(lin)), shape, strides, off)


def _memory_order(a):
    """``a``'s elements in memory order (``a`` non-overlapping and dense)."""
    order = np.argsort(a.strides)[::-1]
    return a.transpose(order)


class CopySlices(Node):
    """Gradient of a base whose view was written in place (PyTorch's ``CopySlices``).

    The base's incoming gradient passes through unchanged outside the view; inside
    it goes through the in-place op's own node, whose gradient for the old view
    values lands back in the region and whose other gradients go to its other inputs.
    """

    _saves = False

    def __init__(self, base_edge, node, geometry, base, part=None):
        super().__init__()
        self.fn = node
        self.next_functions = (base_edge,) + tuple(node.next_functions[1:])
        self.part = part  # the real dtype when the view was .real/.imag of a complex base
        if base.flags.c_contiguous:
            self.region = geometry
        else:
            self.region = _region_index(base, geometry)

    def name(self):
        return "torch::autograd::CopySlices"

    def apply(self, grads):
        g = grads[0]
        if g is None:
            return (None,) * len(self.next_functions)
        result = np.array(g._data, order="C")
        if isinstance(self.region, tuple):
            shape, strides, off = self.region
            mem = result if self.part is None else result.view(self.part)
            view = S._strided(mem, shape, strides, off)
        else:
            flat = result.reshape(-1)
            view = None
        gv = _wrap(view.copy() if view is not None else flat[self.region])
        res = self.fn.apply((gv,))
        first = res[0]
        val = 0 if first is None else first._data
        if view is not None:
            view[...] = val
        else:
            flat[self.region] = val
        return (_wrap(result),) + tuple(res[1:])


# --- copy_, fill_, zero_ ---------------------------------------------------------------

def _copy_fwd(ctx, a, src):
    return np.broadcast_to(src, a.shape).astype(a.dtype)


_copy = qualified_node(Op("CopyBackwards", _copy_fwd, saves=()), "CopyBackwards")
_copy.backward(lambda ctx, g: (g * 0, g))


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        from .._creation import tensor
        src = tensor(src)
    sshape, shape = src._data.shape, self._data.shape
    if sshape != shape:
        try:
            ok = np.broadcast_shapes(sshape, shape) == shape
        except ValueError:
            raise _errors.broadcast_mismatch(shape, sshape) from None
        if not ok:
            raise _errors.expand_mismatch(sshape, shape)
    if not _grad_state.enabled or not (self._requires_grad or src._requires_grad):
        _check_writable(self)
        from ._util import cast_array
        data = src._data
        if data.dtype != self._data.dtype:
            data = cast_array(data, self._data.dtype)
        np.copyto(self._data, data, casting="unsafe")
        self._bump()
        return self
    return apply_inplace(self, lambda s, x: _copy(s, x), src, needs_self=False)


def _writable(a):
    """A fill writes one value everywhere, so PyTorch allows it through expanded views."""
    if a.flags.writeable:
        return a
    w = a.view()
    try:
        w.flags.writeable = True
    except ValueError:
        raise RuntimeError(_OVERLAP) from None
    return w


_fill_s = Op("FillBackward2", lambda ctx, a, value: np.full(a.shape, value, a.dtype), saves=())
_fill_s.backward(lambda ctx, g: g * 0)
_fill_t = Op("FillBackward3", lambda ctx, a, v: np.full(a.shape, v, a.dtype), saves=())
_fill_t.backward(lambda ctx, g: (g * 0, g.sum()))
_zero = Op("ZeroBackward0", lambda ctx, a: np.zeros(a.shape, a.dtype), saves=())
_zero.backward(lambda ctx, g: g * 0)


def fill_(self, value):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        if _grad_state.enabled and (self._requires_grad or value._requires_grad):
            return apply_inplace(self, lambda s, v: _fill_t(s, v), value, needs_self=False)
        value = value.item()
    value = checked_scalar(value, self.dtype)
    if not (_grad_state.enabled and self._requires_grad):
        _writable(self._data)[...] = value
        self._bump()
        return self
    return apply_inplace(self, lambda s: _fill_s(s, value=value), needs_self=False)


def zero_(self):
    if not (_grad_state.enabled and self._requires_grad):
        _writable(self._data)[...] = 0
        self._bump()
        return self
    return apply_inplace(self, lambda s: _zero(s), needs_self=False)


# --- in-place view ops: the tensor itself takes new metadata ------------------------------

def _meta_op(name, backward):
    op = Op(name, lambda ctx, a, new, **kw: new, saves=())
    op.backward(lambda ctx, g: backward(ctx, g))
    return op


_t1 = _meta_op("TBackward1", lambda ctx, g: g.t())
_transpose1 = _meta_op("TransposeBackward1", lambda ctx, g: g.transpose(*ctx.kw["dims"]))
_unsqueeze1 = _meta_op("UnsqueezeBackward1", lambda ctx, g: g.squeeze(ctx.kw["dims"][0]))
_squeezes = {k: _meta_op(f"SqueezeBackward{k}", lambda ctx, g: g.reshape(ctx.kw["shape"]))
             for k in (3, 4, 5)}


def _set_meta(self, new, op, **kw):
    """Give ``self`` the shape/strides of ``new`` (a view of the same memory)."""
    if _grad_state.enabled and self._requires_grad:
        _check_graph(self)
        r = op(self, new=new._data, **kw)
        self.grad_fn, self._output_nr = r.grad_fn, 0
    self._data = new._data
    self._bump()
    if self._requires_grad and _grad_state.enabled:
        _refresh_views(self._base if self._base is not None else self, self)
    return self


def unsqueeze_(self, dim):
    new = S.unsqueeze(self.detach(), dim)
    return _set_meta(self, new, _unsqueeze1, dims=(_errors.wrap_dim(dim, self.dim() + 1),))


def squeeze_(self, dim=None):
    shape = self._data.shape
    new = S.squeeze(self.detach(), dim)
    k = 3 if dim is None else 5 if isinstance(dim, (tuple, list)) else 4
    return _set_meta(self, new, _squeezes[k], shape=shape)


def t_(self):
    if self.dim() > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{self.dim()}D")
    return _set_meta(self, S.t(self.detach()), _t1)


def transpose_(self, d0, d1):
    new = S.transpose(self.detach(), d0, d1)
    return _set_meta(self, new, _transpose1, dims=(d0, d1))


def resize_(self, *size, memory_format=None):
    size = S._shape_args(size)
    n = math.prod(size)
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


# --- the in-place arithmetic -----------------------------------------------------------

_FAST = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}


def _fast_inplace(self, ufunc, other, alpha):
    """Graph-free ``self op= other`` straight into self's memory (optimizer updates)."""
    a = self._data
    if a.dtype in HALF or not a.flags.writeable or not (
            a.dtype.kind == "f" or (ufunc is not np.true_divide and a.dtype.kind in "iu")):
        return False
    if isinstance(other, Tensor):
        b = other._data
        if b.dtype != a.dtype or not _shape_fits(b.shape, a.shape):
            return False
    elif type(other) is float and a.dtype.kind == "f" or type(other) is int:
        b = other
    else:
        return False
    if alpha != 1:
        if type(alpha) not in (int, float) or (type(alpha) is float and a.dtype.kind != "f"):
            return False
        b = b * alpha if not isinstance(b, _ndarray) else np.multiply(b, alpha, dtype=a.dtype)
    try:
        ufunc(a, b, out=a)
    except (TypeError, OverflowError):  # e.g. a Python int beyond the integer type
        return False
    self._bump()
    return True


def _shape_fits(b, a):
    return b == a or (len(b) <= len(a) and all(x == 1 or x == y for x, y in zip(
        reversed(b), reversed(a))))


def _arith_(name, op, needs_self):
    ufunc = _FAST[name]

    def method(self, other, *, alpha=1):
        if not (_grad_state.enabled and (self._requires_grad or (
                isinstance(other, Tensor) and other._requires_grad))) and \
                (name != "div_" or alpha == 1) and _fast_inplace(self, ufunc, other, alpha):
            return self
        if alpha != 1:
            return apply_inplace(self, lambda s, o: op(s, o, alpha=alpha), other,
                                 needs_self=needs_self)
        return apply_inplace(self, op, other, needs_self=needs_self)
    return method


def _inplace(fn, needs_self=True):
    def method(self, *args, **kw):
        return apply_inplace(self, fn, *args, needs_self=needs_self, **kw)
    return method


def _float_power_(self, exponent):
    if self.dtype is not D.float64 and not self.dtype.is_complex:
        raise RuntimeError(f"the base given to float_power_ has dtype "
                           f"{TYPE_NAMES[self.dtype.name]} but the operation's result requires "
                           f"dtype Double")
    return apply_inplace(self, E.float_power, exponent)


install({
    "add_": _arith_("add_", E.add, False), "sub_": _arith_("sub_", E.sub, False),
    "mul_": _arith_("mul_", lambda s, o, alpha=1: E.mul(s, o), True),
    "div_": _arith_("div_", lambda s, o, alpha=1: E.div(s, o), True),
    "subtract_": _inplace(E.sub, False), "multiply_": _inplace(E.mul),
    "divide_": _inplace(E.div), "true_divide_": _inplace(E.div),
    "floor_divide_": _inplace(E.floor_divide), "pow_": _inplace(E.pow),
    "float_power_": _float_power_, "fmod_": _inplace(E.fmod),
    "remainder_": _inplace(E.remainder), "clamp_": _inplace(E.clamp), "clip_": _inplace(E.clamp),
    "clamp_min_": _inplace(E.clamp_min), "clamp_max_": _inplace(E.clamp_max),
    "lerp_": _inplace(E.lerp), "addcmul_": _inplace(E.addcmul, False),
    "addcdiv_": _inplace(E.addcdiv, False), "copysign_": _inplace(E.copysign),
    "atan2_": _inplace(E.atan2), "arctan2_": _inplace(E.atan2), "hypot_": _inplace(E.hypot),
    "nan_to_num_": _inplace(E.nan_to_num),
    "bitwise_and_": _inplace(E.bitwise_and), "bitwise_or_": _inplace(E.bitwise_or),
    "bitwise_xor_": _inplace(E.bitwise_xor), "bitwise_not_": _inplace(E.bitwise_not),
    "logical_and_": _inplace(E.logical_and), "logical_or_": _inplace(E.logical_or),
    "logical_xor_": _inplace(E.logical_xor), "logical_not_": _inplace(E.logical_not),
    "eq_": _inplace(E.eq), "ne_": _inplace(E.ne), "lt_": _inplace(E.lt), "le_": _inplace(E.le),
    "gt_": _inplace(E.gt), "ge_": _inplace(E.ge),
    "copy_": copy_, "fill_": fill_, "zero_": zero_,
    "unsqueeze_": unsqueeze_, "squeeze_": squeeze_, "t_": t_, "transpose_": transpose_,
    "swapaxes_": transpose_, "swapdims_": transpose_,
    "resize_": resize_, "resize_as_": resize_as_, "set_": set_,
    "__iadd__": lambda s, o: s.add_(o), "__isub__": lambda s, o: s.sub_(o),
    "__imul__": lambda s, o: s.mul_(o), "__itruediv__": lambda s, o: s.div_(o),
    "__ifloordiv__": _inplace(E.floor_divide), "__imod__": _inplace(E.remainder),
    "__ipow__": _inplace(E.pow), "__iand__": _inplace(E.bitwise_and),
    "__ior__": _inplace(E.bitwise_or), "__ixor__": _inplace(E.bitwise_xor),
    "__ilshift__": _inplace(E.bitwise_left_shift), "__irshift__": _inplace(E.bitwise_right_shift),
    "round_": lambda self, decimals=0: apply_inplace(self, E.round, decimals=decimals),
})

for _name in ("neg", "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
              "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
              "asinh", "acosh", "atanh", "erf", "erfc", "erfinv", "sigmoid", "reciprocal",
              "sign", "sgn", "floor", "ceil", "trunc", "frac", "relu", "square", "negative",
              "absolute", "fix", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"):
    setattr(Tensor, _name + "_", _inplace(getattr(E, _name)))

# PyTorch's torch-level spellings of the in-place ops (``torch.zero_(x)`` and friends).
_TORCH_LEVEL = ("abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
                "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_",
                "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "erf_", "erfc_", "exp2_",
                "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "log10_", "log1p_",
                "log2_", "log_", "nan_to_num_", "neg_", "negative_", "reciprocal_", "relu_",
                "round_", "rsqrt_", "sigmoid_", "sin_", "sinh_", "sqrt_", "square_", "tan_",
                "tanh_", "trunc_", "zero_")
globals().update({_n: getattr(Tensor, _n) for _n in _TORCH_LEVEL})
__all__ = list(_TORCH_LEVEL)
