"""Elementwise arithmetic: add/sub/rsub, mul/div/floor_divide, remainder/fmod, pow, and
the dtype-conversion and copy ops (to, clone, contiguous).  Unary math lives in
unary, comparisons/logic/where/clamp in pointwise; both are re-exported here.

Operands are brought to PyTorch's result dtype first (``result_dtype``).  float16
and bfloat16 are computed in float32 and rounded once, as PyTorch's CPU kernels
do; where PyTorch's kernel reads a scalar second operand unrounded (mul, div)
so do we.  Results are laid out in memory as PyTorch lays them out
(``fix_layout``), which only costs anything for non-contiguous inputs.
"""
import cmath
import math

from .. import _errors
from ..autograd.op import Op
from ..autograd.grad_mode import state as _grad_state
from .complex import holomorphic
from ._util import (D, HALF, TYPE_NAMES, Tensor, _wrap, np, finish, fix_layout, install,
                    not_implemented, operand, opmath, preserve_copy, checked_scalar,
                    qualified_node, result_dtype, scalar_opmath)

_ndarray = np.ndarray
_F32 = np.dtype(np.float32)
_INT, _FLOAT = D._CATEGORY_INT, D._CATEGORY_FLOAT
_CPLX = ("complex",)


def _shape(x):
    return x.shape if isinstance(x, (Tensor, _ndarray)) else ()


def _bcast_error(*xs):
    """PyTorch's error for operands that do not broadcast, naming the first clash."""
    shape = _shape(xs[0])
    for x in xs[1:]:
        try:
            shape = np.broadcast_shapes(shape, _shape(x))
        except ValueError:
            return _errors.broadcast_mismatch(shape, _shape(x))
    return RuntimeError(f"shapes {[list(_shape(x)) for x in xs]} cannot be broadcast")


def _run2(kernel, a, b, dt, scalar_b=False):
    """``kernel(a, b)`` with operands in ``dt`` (halves in float32); result in ``dt``."""
    try:
        if dt.np in HALF:
            y = scalar_opmath(b, dt) if scalar_b else opmath(b, dt)
            r = kernel(opmath(a, dt), y)
        else:
            r = kernel(operand(a, dt), operand(b, dt))
    except ValueError as e:
        if "broadcast" in str(e):
            raise _bcast_error(a, b) from None
        raise
    if type(r) is not _ndarray or r.dtype != dt.np:
        r = finish(r, dt)
    return fix_layout(r, (a, b))


def _is_scalar_like(x):
    return not isinstance(x, (Tensor, _ndarray)) or x.ndim == 0


def _fl(x, g):
    """A non-float input as ``g``'s dtype, so backward formulas never do bool arithmetic."""
    return x.to(g.dtype) if isinstance(x, Tensor) and x.dtype.category <= _INT else x


def _not_tensor(name, x, pos="input", n=1):
    return TypeError(f"{name}(): argument '{pos}' (position {n}) must be Tensor, not "
                     f"{type(x).__name__}")


def _reject(kernel, dt, bad):
    """Raise PyTorch's "not implemented" for a result dtype in ``bad`` (a category set)."""
    if (dt is D.bool and "bool" in bad) or (dt.category == _INT and "int" in bad) or (
            dt.is_complex and "complex" in bad) or (dt.is_floating_point and "float" in bad):
        raise not_implemented(kernel, dt)


def _check_alpha(alpha, dt):
    if isinstance(alpha, bool):
        if dt is not D.bool:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, float) and dt.category <= _INT:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    elif isinstance(alpha, complex) and not dt.is_complex:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")


def _out(r, out, same=False):
    """Write a result into ``out=`` with PyTorch's dtype check and resize.

    ``same``: the op demands ``out`` of exactly the result dtype (ops whose
    result keeps the input dtype); others accept any dtype it can be cast to.
    """
    if out is None:
        return r
    if same and out.dtype is not r.dtype:
        raise RuntimeError(f"Found dtype {TYPE_NAMES[out.dtype.name]} but expected "
                           f"{TYPE_NAMES[r.dtype.name]}")
    if not D.can_cast(r.dtype, out.dtype):
        raise RuntimeError(f"result type {TYPE_NAMES[r.dtype.name]} can't be cast to the "
                           f"desired output type {TYPE_NAMES[out.dtype.name]}")
    if out.shape != r.shape:
        out.resize_(r.shape)
    out.copy_(r)
    return out


# --- add / sub / rsub -----------------------------------------------------------------

def _axpy(sign):
    """``a + sign*alpha*b``: alpha is cast to the result type, as PyTorch casts it."""
    def kernel(ctx, a, b, dt, alpha=1):
        if alpha == 1:
            return _run2(np.add if sign > 0 else np.subtract, a, b, dt)
        al = operand(alpha, dt) if dt.np not in HALF else opmath(alpha, dt)
        return _run2(lambda x, y: (np.add if sign > 0 else np.subtract)(x, y * al), a, b, dt)
    return kernel


_add = Op("AddBackward0", _axpy(1), saves=())
_sub = Op("SubBackward0", _axpy(-1), saves=())


def _cj(alpha):
    """A complex alpha enters the gradient conjugated (PyTorch's convention)."""
    return alpha.conjugate() if type(alpha) is complex else alpha


@_add.backward
def _(ctx, g):
    alpha = ctx.kw.get("alpha", 1)
    return g, (g if alpha == 1 else g * _cj(alpha))


@_sub.backward
def _(ctx, g):
    alpha = ctx.kw.get("alpha", 1)
    return g, (-g if alpha == 1 else -g * _cj(alpha))


_rsub_t = Op("RsubBackward0", lambda ctx, a, b, dt, alpha=1: _axpy(-1)(ctx, b, a, dt, alpha),
             saves=())
_rsub_s = Op("RsubBackward1", lambda ctx, a, other, dt, alpha=1: _axpy(-1)(
    ctx, other, a, dt, alpha), saves=())


@_rsub_t.backward
def _(ctx, g):
    alpha = ctx.kw.get("alpha", 1)
    return (-g if alpha == 1 else -g * _cj(alpha)), g


@_rsub_s.backward
def _(ctx, g):
    alpha = ctx.kw.get("alpha", 1)
    return -g if alpha == 1 else -g * _cj(alpha)


_ONE = 1  # the default alpha; ``alpha is _ONE`` also rules out ``alpha=True``
_NOT_HALF = frozenset(d for d in D.ALL if d.np not in HALF)
_NO_BOOL = _NOT_HALF - {D.bool}
_FLOATS = frozenset((D.float32, D.float64))


def _fast(ufunc, input, other, dts):
    """The graph-free result of ``ufunc`` for the common cases, else None.

    Common: two tensors of one dtype in ``dts``, or a float32/float64 tensor and a
    Python number (NumPy keeps the array's dtype for it, as PyTorch does).
    """
    if type(input) is not Tensor:
        return None
    t = type(other)
    dt = input.dtype
    if t is Tensor:
        if other.dtype is not dt or dt not in dts or (
                _grad_state.enabled and (input._requires_grad or other._requires_grad)):
            return None
        b = other._data
    elif (t is float or t is int) and dt in _FLOATS:
        if _grad_state.enabled and input._requires_grad:
            return None
        b = other
    else:
        return None
    a = input._data
    try:
        r = ufunc(a, b)
    except ValueError:
        raise _bcast_error(a, b) from None
    if type(r) is _ndarray and not (a.flags.c_contiguous and (
            t is not Tensor or b.flags.c_contiguous)):
        r = fix_layout(r, (a, b))
    return _wrap(r)


def _need_tensor(input, other):
    """``input``, made a tensor when both operands are numbers (``torch.add(1, 2)``)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from .._creation import tensor
        return tensor(input)
    return input


def add(input, other, *, alpha=1, out=None):
    if alpha is _ONE and out is None:
        r = _fast(np.add, input, other, _NOT_HALF)
        if r is not None:
            return r
    if type(input) is Tensor and type(other) is Tensor and input.dtype is other.dtype:
        dt = input.dtype
    else:
        input = _need_tensor(input, other)
        dt = result_dtype(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(alpha, dt)
        return _out(_add(input, other, dt=dt, alpha=alpha), out)
    return _out(_add(input, other, dt=dt), out)


def _check_sub_bool(a, b):
    ab = getattr(a, "dtype", None) is D.bool or type(a) is bool
    bb = getattr(b, "dtype", None) is D.bool or type(b) is bool
    if ab and bb:
        raise NotImplementedError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead.")
    if ab or bb:
        raise NotImplementedError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1, out=None):
    if alpha is _ONE and out is None:
        r = _fast(np.subtract, input, other, _NO_BOOL)
        if r is not None:
            return r
    if type(input) is Tensor and type(other) is Tensor and input.dtype is other.dtype \
            and input.dtype is not D.bool:
        dt = input.dtype
    else:
        _check_sub_bool(input, other)
        input = _need_tensor(input, other)
        dt = result_dtype(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(alpha, dt)
        return _out(_sub(input, other, dt=dt, alpha=alpha), out)
    return _out(_sub(input, other, dt=dt), out)


def rsub(input, other, *, alpha=1, out=None):
    """``other - alpha * input``."""
    _check_sub_bool(input, other)
    dt = result_dtype(input, other)
    kw = {"alpha": alpha} if alpha != 1 else {}
    if kw:
        _check_alpha(alpha, dt)
    if isinstance(other, Tensor):
        return _out(_rsub_t(input, other, dt=dt, **kw), out)
    return _out(_rsub_s(input, other=other, dt=dt, **kw), out)


# --- mul / div --------------------------------------------------------------------------

def _mul_fwd(ctx, a, b, dt):
    if type(a) is _ndarray and type(b) is _ndarray and a.dtype == b.dtype == dt.np \
            and dt.np not in HALF:
        try:
            return fix_layout(np.multiply(a, b), (a, b))
        except ValueError:
            raise _bcast_error(a, b) from None
    return _run2(np.multiply, a, b, dt, scalar_b=_is_scalar_like(b))


_mul = Op("MulBackward0", _mul_fwd, saves="cross")


@_mul.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (g * b if n[0] else None), (g * a if n[1] else None)


holomorphic(_mul)


def mul(input, other, *, out=None):
    if out is None:
        r = _fast(np.multiply, input, other, _NOT_HALF)
        if r is not None:
            return r
    if type(input) is Tensor and type(other) is Tensor and input.dtype is other.dtype:
        return _out(_mul(input, other, dt=input.dtype), out)
    input = _need_tensor(input, other)
    return _out(_mul(input, other, dt=result_dtype(input, other)), out)


def _div_fwd(ctx, a, b, dt):
    return _run2(np.true_divide, a, b, dt, scalar_b=_is_scalar_like(b))


_div = Op("DivBackward0", _div_fwd)


@_div.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (g / b if n[0] else None), (-g * ((a / b) / b) if n[1] else None)


holomorphic(_div)


def _int_zero_check(b):
    if np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")


def _ints(x, y):
    """Whether a kernel's operands compute in an integer type (Python scalars are weak)."""
    return np.result_type(x, y).kind in "iub"


def _floor_div(x, y):
    if _ints(x, y):
        _int_zero_check(y)
    return np.floor_divide(x, y)


def _trunc_div(x, y):
    if _ints(x, y):
        _int_zero_check(y)
        q = np.floor_divide(x, y)
        fix = (np.remainder(x, y) != 0) & ((np.asarray(x) < 0) != (np.asarray(y) < 0))
        return q + fix.astype(q.dtype)
    return np.trunc(np.true_divide(x, y))


def _half_div_mode(a, b, npdt, floor):
    """Halves with a tensor divisor: PyTorch rounds every step of its formula to the half."""
    def h(x):
        return x.astype(npdt).astype(_F32)
    if not floor:
        return np.trunc(h(a / b))
    mod = np.fmod(a, b)
    div = h(h(a - mod) / b)
    div = np.where((mod != 0) & ((b < 0) != (mod < 0)), h(div - 1), div)
    fl = np.floor(div)
    fl = np.where(div - fl > 0.5, fl + 1, fl)
    fl = np.where(div == 0, np.copysign(0, a / b), fl)
    return np.where(b == 0, a / b, fl)


def _div_mode_fwd(ctx, a, b, dt, rounding_mode):
    floor = rounding_mode == "floor"
    if dt.np in HALF and not _is_scalar_like(b):
        try:
            r = _half_div_mode(opmath(a, dt), opmath(b, dt), dt.np, floor)
        except ValueError:
            raise _bcast_error(a, b) from None
        return fix_layout(finish(r, dt), (a, b))
    return _run2(_floor_div if floor else _trunc_div, a, b, dt,
                 scalar_b=_is_scalar_like(b) and dt.is_floating_point)


def _floordiv_scalar_fwd(ctx, a, dt, other):
    return _div_mode_fwd(ctx, a, other, dt, "floor")


_div_mode = Op("DivBackward2", _div_mode_fwd, saves=())
_div_mode.backward(lambda ctx, g: (g * 0, g * 0 if isinstance(ctx.inputs[1], Tensor) else None))


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None and out is None:
        r = _fast(np.true_divide, input, other, _FLOATS)
        if r is not None:
            return r
    input = _need_tensor(input, other)
    dt = result_dtype(input, other)
    if rounding_mode is None:
        if dt.category <= _INT:
            dt = D.get_default_dtype()
        return _out(_div(input, other, dt=dt), out)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                         f"but found '{rounding_mode}'")
    _reject(f"div_{rounding_mode}_cpu", dt, ("bool", "complex"))
    return _out(_div_mode(input, other, dt=dt, rounding_mode=rounding_mode), out)


def true_divide(input, other, *, out=None):
    return div(input, other, out=out)


def _no_derivative(aten, fwd):
    """PyTorch's ``NotImplemented`` node: recorded, raising only if backward reaches it."""
    op = qualified_node(Op("NotImplemented", fwd, saves=()), "NotImplemented")

    @op.backward
    def _(ctx, *g):
        raise RuntimeError(f"derivative for aten::{aten} is not implemented")
    return op


_floordiv_t = _no_derivative("floor_divide", _div_mode_fwd)
_floordiv_s = _no_derivative("floor_divide", _floordiv_scalar_fwd)


def floor_divide(input, other, *, out=None):
    input = _need_tensor(input, other)
    dt = result_dtype(input, other)
    _reject("div_floor_cpu", dt, ("bool", "complex"))
    if isinstance(other, Tensor):
        return _out(_floordiv_t(input, other, dt=dt, rounding_mode="floor"), out)
    return _out(_floordiv_s(input, dt=dt, other=other), out)


# --- remainder / fmod ----------------------------------------------------------------

def _remainder_np(x, y):
    if _ints(x, y):
        _int_zero_check(y)
        return np.remainder(x, y)
    m = np.fmod(x, y)
    # PyTorch keeps fmod's signed zero; NumPy's remainder would take the divisor's sign.
    return np.where((m != 0) & ((np.asarray(y) < 0) != (m < 0)), m + y, m)


def _fmod_np(x, y):
    if _ints(x, y):
        _int_zero_check(y)
    return np.fmod(x, y)


def _mod_ops(name, kernel, mode):
    scalar = Op(f"{name}Backward0", lambda ctx, a, other, dt: _run2(kernel, a, other, dt),
                saves=())
    scalar.backward(lambda ctx, g: g)
    tensor = Op(f"{name}Backward1", lambda ctx, a, b, dt: _run2(kernel, a, b, dt))

    @tensor.backward
    def _(ctx, g):
        a, b = ctx.inputs
        return g, (-g * a.div(b, rounding_mode=mode) if ctx.needs_input_grad[1] else None)
    return scalar, tensor


_rem_s, _rem_t = _mod_ops("Remainder", _remainder_np, "floor")
_fmod_s, _fmod_t = _mod_ops("Fmod", _fmod_np, "trunc")
_rem_ni = _no_derivative("remainder", lambda ctx, b, dt, base: _run2(_remainder_np, base, b, dt))


def remainder(input, other, *, out=None):
    dt = result_dtype(input, other)
    _reject("remainder_cpu", dt, ("bool", "complex"))
    if not isinstance(input, Tensor):
        return _out(_rem_ni(other, dt=dt, base=input), out)
    if isinstance(other, Tensor):
        return _out(_rem_t(input, other, dt=dt), out)
    return _out(_rem_s(input, other=other, dt=dt), out)


def fmod(input, other, *, out=None):
    if not isinstance(input, Tensor):
        raise _not_tensor("fmod", input)
    dt = result_dtype(input, other)
    _reject("fmod_cpu", dt, ("bool", "complex"))
    if isinstance(other, Tensor):
        return _out(_fmod_t(input, other, dt=dt), out)
    return _out(_fmod_s(input, other=other, dt=dt), out)


# --- pow ----------------------------------------------------------------------------------

def _int_pow(x, e):
    """Integer power where negative exponents give 0 (or +-1 for bases +-1), like PyTorch."""
    e = np.asarray(e)
    if not (e < 0).any():
        return np.power(x, e)
    r = np.power(x, np.maximum(e, 0).astype(e.dtype))
    one = np.ones((), r.dtype)
    neg_one = np.where(np.remainder(e, 2) == 0, one, -one if r.dtype.kind == "i" else one)
    small = np.where(x == 1, one, np.where(x == -1, neg_one, np.zeros((), r.dtype)))
    return np.where(e < 0, small, r).astype(r.dtype, copy=False)


def _pow_np(x, e):
    if _ints(x, e):
        return _int_pow(x, e)
    return np.power(x, e)


_pow_s = Op("PowBackward0", lambda ctx, a, exponent, dt: _run2(_pow_np, a, exponent, dt))


@_pow_s.backward
def _(ctx, g):
    (a,) = ctx.inputs
    e = ctx.kw["exponent"]
    if e == 0 and type(e) is not bool:
        return g * 0
    return g * (int(e) * a.pow(int(e) - 1)) if type(e) is bool else g * (e * a.pow(e - 1))


def _nonneg(e):
    """``e >= 0``; for a complex exponent: real and >= 0."""
    return (e.real >= 0) & (e.imag == 0) if e.dtype.is_complex else e >= 0


_pow_t = Op("PowBackward1", lambda ctx, a, b, dt: _run2(_pow_np, a, b, dt), saves_output=True)


@_pow_t.backward
def _(ctx, g):
    a, b = (_fl(x, g) for x in ctx.inputs)
    n = ctx.needs_input_grad
    ga = gb = None
    if n[0]:
        ga = where(b == 0, 0.0, g * (b * a.pow(b - 1)))
    if n[1]:
        gb = g * where((a == 0) & _nonneg(b), 0.0, ctx.result * a.log())
    return ga, gb


_pow_b = Op("PowBackward2", lambda ctx, e, dt, base: _run2(_pow_np, base, e, dt),
            saves_output=True)


@_pow_b.backward
def _(ctx, g):
    base, e = ctx.kw["base"], _fl(ctx.inputs[0], g)
    if base == 0:
        return where(_nonneg(e), 0.0, g * (ctx.result * -math.inf))
    if g.dtype.is_complex:
        return g * (ctx.result * cmath.log(base))
    return g * (ctx.result * (math.log(base) if base > 0 else math.nan))


holomorphic(_pow_s, _pow_t, _pow_b)


def pow(input, exponent, *, out=None):
    dt = result_dtype(input, exponent)
    if not isinstance(input, Tensor):
        if dt is D.bool:
            raise not_implemented("pow", dt)
        return _out(_pow_b(exponent, dt=dt, base=input), out)
    if isinstance(exponent, Tensor):
        if dt is D.bool:
            raise not_implemented("pow", dt)
        return _out(_pow_t(input, exponent, dt=dt), out)
    if dt.category == _INT and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if dt.category == _INT or dt.np in HALF:
        checked_scalar(exponent, dt)  # PyTorch range-checks the exponent in these types
    return _out(_pow_s(input, exponent=exponent, dt=dt), out)


def square(input, *, out=None):
    return pow(input, 2, out=out)


def float_power(input, exponent, *, out=None):
    cplx = any(isinstance(x, complex) or (isinstance(x, Tensor) and x.dtype.is_complex)
               for x in (input, exponent))
    dt = D.complex128 if cplx else D.float64
    x = input.to(dt) if isinstance(input, Tensor) else input
    e = exponent.to(dt) if isinstance(exponent, Tensor) else exponent
    if out is not None and out.dtype is not dt:
        raise RuntimeError(f"the output given to float_power has dtype "
                           f"{TYPE_NAMES[out.dtype.name]} but the operation's result requires "
                           f"dtype {TYPE_NAMES[dt.name]}")
    return _out(pow(x, e), out)


# --- dtype conversion and copies ------------------------------------------------------

_to = Op("ToCopyBackward0", lambda ctx, a, dt: preserve_copy(a, dt.np), saves=())
_to.backward(lambda ctx, g: g)


def to_dtype(t, dt):
    if dt.category <= _INT:
        # integer results are never differentiable: no node, like PyTorch
        return _wrap(preserve_copy(t._data, dt.np))
    return _to(t, dt=dt)


_clone = Op("CloneBackward0", lambda ctx, a, order="K": preserve_copy(a) if order == "K"
            else np.array(a, order="C"), saves=())
_clone.backward(lambda ctx, g: g)


def clone(input, *, memory_format=None):
    if memory_format == "memory_format" or memory_format is None:
        return _clone(input)
    return _clone(input, order="C")


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous or input.is_contiguous():
        return input
    return _clone(input, order="C")


subtract, multiply, divide = sub, mul, div


# --- Tensor methods ------------------------------------------------------------------

def _swap(fn):
    return lambda self, other: fn(other, self)


install({
    "__array_priority__": 1000,  # NumPy defers ``ndarray op tensor`` to the tensor
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div,
    "divide": div, "true_divide": true_divide, "floor_divide": floor_divide, "pow": pow,
    "square": square, "float_power": float_power,
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": lambda s, o: rsub(s, o),
    "__mul__": mul, "__rmul__": mul, "__truediv__": div,
    "__rtruediv__": lambda s, o: mul(reciprocal(s), o),
    "__floordiv__": floor_divide, "__rfloordiv__": _swap(floor_divide),
    "__mod__": remainder, "__rmod__": _swap(remainder), "__pow__": pow, "__rpow__": _swap(pow),
    "fmod": fmod, "remainder": remainder,
    "clone": clone, "contiguous": contiguous,
})

# Comparisons, logic, where, clamp... live in pointwise, unary math in unary; ``ember.`` sees
# them through here.  pointwise first: unary imports from it.
from . import pointwise as _pointwise  # noqa: E402
from .pointwise import *  # noqa: E402,F401,F403
from .pointwise import _threshold_backward  # noqa: E402,F401  (still importable from here)
from . import unary as _unary_ops  # noqa: E402
from .unary import *  # noqa: E402,F401,F403

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "pow", "square", "float_power", "rsub",
] + _unary_ops.__all__ + ["fmod", "remainder", "clone"] + _pointwise.__all__
