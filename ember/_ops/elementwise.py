"""Elementwise ops: arithmetic, unary math, comparisons, logical ops, where, clamp."""
import math

from .. import _errors
from ..autograd.op import Op
from ..autograd.grad_mode import state as _grad_state
from ._util import D, Tensor, _wrap, np, result_dtype, cast_arg, float_dtype_for, install

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _bcast_error(a, b):
    sa = getattr(a, "shape", ())
    sb = getattr(b, "shape", ())
    return _errors.broadcast_mismatch(sa, sb)


def _fast_arrays(a, b):
    """Arrays for a same-dtype tensor pair, or None to take the general path."""
    if type(b) is Tensor and type(a) is Tensor and a.dtype is b.dtype:
        return a.dtype
    return None


# --- add / sub / mul / div ---------------------------------------------------------

def _add_fwd(ctx, a, b, dt, alpha=1):
    try:
        if alpha == 1:
            return np.add(cast_arg(a, dt), cast_arg(b, dt))
        return np.add(cast_arg(a, dt), np.multiply(cast_arg(b, dt), cast_arg(alpha, dt)))
    except ValueError:
        raise _bcast_error(a, b) from None


_add = Op("AddBackward0", _add_fwd, saves=())


@_add.backward
def _(ctx, g):
    alpha = ctx.kw.get("alpha", 1)
    return g, (g if alpha == 1 else g * alpha)


def _sub_fwd(ctx, a, b, dt, alpha=1):
    try:
        if alpha == 1:
            return np.subtract(cast_arg(a, dt), cast_arg(b, dt))
        return np.subtract(cast_arg(a, dt), np.multiply(cast_arg(b, dt), cast_arg(alpha, dt)))
    except ValueError:
        raise _bcast_error(a, b) from None


_sub = Op("SubBackward0", _sub_fwd, saves=())


@_sub.backward
def _(ctx, g):
    alpha = ctx.kw.get("alpha", 1)
    return g, (-g if alpha == 1 else g * -alpha)


_rsub = Op("RsubBackward1", lambda ctx, a, scalar, dt, alpha=1: np.subtract(
    cast_arg(scalar, dt), np.multiply(cast_arg(a, dt), cast_arg(alpha, dt))), saves=())


@_rsub.backward
def _(ctx, g):
    return g * -ctx.kw.get("alpha", 1)


def _check_sub_bool(a, b):
    if (getattr(a, "dtype", None) is D.bool) or (getattr(b, "dtype", None) is D.bool):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead." if isinstance(b, Tensor) else
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def add(input, other, *, alpha=1, out=None):
    dt = _fast_arrays(input, other) or result_dtype(input, other)
    if not isinstance(input, Tensor):
        input, other = other, input
    r = _add(input, other, dt=dt, alpha=alpha) if alpha != 1 else _add(input, other, dt=dt)
    return _out(r, out)


def sub(input, other, *, alpha=1, out=None):
    _check_sub_bool(input, other)
    dt = _fast_arrays(input, other) or result_dtype(input, other)
    if not isinstance(input, Tensor):
        return _out(_rsub(other, scalar=input, dt=dt, alpha=alpha), out)
    r = _sub(input, other, dt=dt, alpha=alpha) if alpha != 1 else _sub(input, other, dt=dt)
    return _out(r, out)


def rsub(input, other, *, alpha=1):
    _check_sub_bool(input, other)
    dt = result_dtype(input, other)
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    return _rsub(input, scalar=other, dt=dt, alpha=alpha)


_mul = Op("MulBackward0", lambda ctx, a, b, dt: _mul_fwd(a, b, dt))


def _mul_fwd(a, b, dt):
    try:
        return np.multiply(cast_arg(a, dt), cast_arg(b, dt))
    except ValueError:
        raise _bcast_error(a, b) from None


@_mul.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (g * b if n[0] else None), (g * a if n[1] else None)


def mul(input, other, *, out=None):
    dt = _fast_arrays(input, other) or result_dtype(input, other)
    if dt is D.bool:
        return _out(logical_and(input, other), out)
    return _out(_mul(input, other, dt=dt), out)


def _div_fwd(ctx, a, b, dt):
    try:
        return np.true_divide(cast_arg(a, dt), cast_arg(b, dt))
    except ValueError:
        raise _bcast_error(a, b) from None


_div = Op("DivBackward0", _div_fwd)


@_div.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    ga = g / b if n[0] else None
    gb = -g * a / (b * b) if n[1] else None
    return ga, gb


def _div_round_fwd(ctx, a, b, dt, rounding_mode):
    x, y = cast_arg(a, dt), cast_arg(b, dt)
    try:
        if dt.is_floating_point:
            q = np.true_divide(x, y)
            return np.floor(q) if rounding_mode == "floor" else np.trunc(q)
        if np.any(np.asarray(y) == 0):
            raise RuntimeError("ZeroDivisionError")
        if rounding_mode == "floor":
            return np.floor_divide(x, y)
        q = np.floor_divide(x, y)
        fix = (np.remainder(x, y) != 0) & ((np.asarray(x) < 0) != (np.asarray(y) < 0))
        return q + fix.astype(q.dtype)
    except ValueError:
        raise _bcast_error(a, b) from None


_div_round = Op("DivBackward2", _div_round_fwd, saves=())


@_div_round.backward
def _(ctx, g):
    return g * 0, None


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        dt = result_dtype(input, other)
        if not (dt.is_floating_point or dt.is_complex):
            dt = D.get_default_dtype()
        if not isinstance(input, Tensor):
            return _out(reciprocal(other) * input, out)
        return _out(_div(input, other, dt=dt), out)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                           f"'floor' but found '{rounding_mode}'")
    dt = result_dtype(input, other)
    if not isinstance(input, Tensor):
        from .._creation import tensor
        input = tensor(input)
    return _out(_div_round(input, other, dt=dt, rounding_mode=rounding_mode), out)


def true_divide(input, other, *, out=None):
    return div(input, other, out=out)


def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


def _out(r, out):
    if out is None:
        return r
    if out.shape != r.shape:
        out.resize_(r.shape)
    out.copy_(r)
    return out


# --- pow ---------------------------------------------------------------------------

def _pow_fwd(ctx, a, exponent, dt):
    x = cast_arg(a, dt)
    if dt.category == D._CATEGORY_INT and np.any(np.asarray(exponent) < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return np.power(x, cast_arg(exponent, dt))


_pow_scalar = Op("PowBackward0", lambda ctx, a, exponent, dt: _pow_fwd(ctx, a, exponent, dt))


@_pow_scalar.backward
def _(ctx, g):
    (a,) = ctx.inputs
    e = ctx.kw["exponent"]
    if e == 0:
        return g * 0
    return g * e * a.pow(e - 1)


def _pow_tt_fwd(ctx, a, b, dt):
    try:
        return _pow_fwd(ctx, a, b, dt)
    except ValueError:
        raise _bcast_error(a, b) from None


_pow_tt = Op("PowBackward1", _pow_tt_fwd, saves_output=True)


@_pow_tt.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    ga = g * b * a.pow(b - 1) if n[0] else None
    gb = None
    if n[1]:
        r = ctx.result
        gb = where((a == 0) & (b >= 0), 0.0, g * r * a.log())
    return ga, gb


_pow_base = Op("PowBackward2", lambda ctx, exponent, base, dt: np.power(
    cast_arg(base, dt), cast_arg(exponent, dt)), saves_output=True)


@_pow_base.backward
def _(ctx, g):
    base = ctx.kw["base"]
    if base == 0:
        return g * 0
    return g * ctx.result * math.log(base)


def pow(input, exponent, *, out=None):
    if not isinstance(input, Tensor):
        dt = result_dtype(input, exponent)
        return _out(_pow_base(exponent, base=input, dt=dt), out)
    dt = result_dtype(input, exponent)
    if isinstance(exponent, Tensor):
        return _out(_pow_tt(input, exponent, dt=dt), out)
    if dt.category <= D._CATEGORY_INT and isinstance(exponent, float):
        dt = D.get_default_dtype()
    return _out(_pow_scalar(input, exponent=exponent, dt=dt), out)


def square(input, *, out=None):
    return pow(input, 2, out=out)


def float_power(input, exponent):
    x = input.to(D.float64) if isinstance(input, Tensor) else input
    e = exponent.to(D.float64) if isinstance(exponent, Tensor) else exponent
    return pow(x, e)


# --- unary math --------------------------------------------------------------------

def _unary(name, fn, backward, floating=True, saves_output=False, keep_int=False):
    """A unary op: ``fn`` on arrays; ``backward(ctx, g, x)`` on Tensors."""
    def fwd(ctx, a, dt):
        return fn(a if a.dtype == dt.np else a.astype(dt.np))

    op = Op(name, fwd, saves_output=saves_output)

    @op.backward
    def _(ctx, g):
        return backward(ctx, g, ctx.inputs[0])

    def public(input, *, out=None):
        if floating:
            dt = float_dtype_for(input)
        else:
            dt = input.dtype
        return _out(op(input, dt=dt), out)
    public.__name__ = name.replace("Backward0", "").lower()
    return public


def _zero_grad(ctx, g, x):
    return g * 0


def _erf(a):
    from scipy import special
    return special.erf(a).astype(a.dtype, copy=False)


def _erfc(a):
    from scipy import special
    return special.erfc(a).astype(a.dtype, copy=False)


def _erfinv(a):
    from scipy import special
    return special.erfinv(a).astype(a.dtype, copy=False)


_SQRT_PI_2 = 2.0 / math.sqrt(math.pi)

exp = _unary("ExpBackward0", np.exp, lambda c, g, x: g * c.result, saves_output=True)
exp2 = _unary("Exp2Backward0", np.exp2, lambda c, g, x: g * c.result * _LN2, saves_output=True)
expm1 = _unary("Expm1Backward0", np.expm1, lambda c, g, x: g * (c.result + 1),
               saves_output=True)
log = _unary("LogBackward0", np.log, lambda c, g, x: g / x)
log2 = _unary("Log2Backward0", np.log2, lambda c, g, x: g / (x * _LN2))
log10 = _unary("Log10Backward0", np.log10, lambda c, g, x: g / (x * _LN10))
log1p = _unary("Log1PBackward0", np.log1p, lambda c, g, x: g / (x + 1))
sqrt = _unary("SqrtBackward0", np.sqrt, lambda c, g, x: g / (2 * c.result), saves_output=True)
rsqrt = _unary("RsqrtBackward0", lambda a: 1 / np.sqrt(a),
               lambda c, g, x: -0.5 * g * c.result.pow(3), saves_output=True)
sin = _unary("SinBackward0", np.sin, lambda c, g, x: g * x.cos())
cos = _unary("CosBackward0", np.cos, lambda c, g, x: -g * x.sin())
tan = _unary("TanBackward0", np.tan, lambda c, g, x: g * (1 + c.result.pow(2)),
             saves_output=True)
asin = _unary("AsinBackward0", np.arcsin, lambda c, g, x: g * (1 - x * x).rsqrt())
acos = _unary("AcosBackward0", np.arccos, lambda c, g, x: -g * (1 - x * x).rsqrt())
atan = _unary("AtanBackward0", np.arctan, lambda c, g, x: g / (1 + x * x))
sinh = _unary("SinhBackward0", np.sinh, lambda c, g, x: g * x.cosh())
cosh = _unary("CoshBackward0", np.cosh, lambda c, g, x: g * x.sinh())
tanh = _unary("TanhBackward0", np.tanh, lambda c, g, x: g * (1 - c.result.pow(2)),
              saves_output=True)
asinh = _unary("AsinhBackward0", np.arcsinh, lambda c, g, x: g * (x * x + 1).rsqrt())
acosh = _unary("AcoshBackward0", np.arccosh, lambda c, g, x: g * (x * x - 1).rsqrt())
atanh = _unary("AtanhBackward0", np.arctanh, lambda c, g, x: g / (1 - x * x))
erf = _unary("ErfBackward0", _erf, lambda c, g, x: g * _SQRT_PI_2 * (-x * x).exp())
erfc = _unary("ErfcBackward0", _erfc, lambda c, g, x: -g * _SQRT_PI_2 * (-x * x).exp())
erfinv = _unary("ErfinvBackward0", _erfinv,
                lambda c, g, x: g * (math.sqrt(math.pi) / 2) * c.result.pow(2).exp(),
                saves_output=True)


def _sigmoid_np(a):
    # exp(-|x|) never overflows; both branches agree with 1/(1+exp(-x)).
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


sigmoid = _unary("SigmoidBackward0", _sigmoid_np,
                 lambda c, g, x: g * c.result * (1 - c.result), saves_output=True)
reciprocal = _unary("ReciprocalBackward0", lambda a: 1 / a,
                    lambda c, g, x: -g * c.result * c.result, saves_output=True)
neg = _unary("NegBackward0", np.negative, lambda c, g, x: -g, floating=False)
abs = _unary("AbsBackward0", np.abs, lambda c, g, x: g * x.sign(), floating=False)
sign = _unary("SignBackward0", np.sign, _zero_grad, floating=False)
sgn = sign
floor = _unary("FloorBackward0", np.floor, _zero_grad, floating=False)
ceil = _unary("CeilBackward0", np.ceil, _zero_grad, floating=False)
trunc = _unary("TruncBackward0", np.trunc, _zero_grad, floating=False)
fix = trunc
frac = _unary("FracBackward0", lambda a: a - np.trunc(a), lambda c, g, x: g, floating=False)
_round0 = _unary("RoundBackward0", np.round, _zero_grad, floating=False)
relu = _unary("ReluBackward0", lambda a: np.maximum(a, 0).astype(a.dtype, copy=False),
              lambda c, g, x: g * (c.result > 0), floating=False, saves_output=True)
negative = neg
absolute = abs
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def _bool_unsupported(name):
    def check(t):
        if t.dtype is D.bool:
            raise RuntimeError(f"{name} is not supported for bool tensors.")
    return check


def round(input, *, decimals=0, out=None):
    if decimals == 0:
        return _round0(input, out=out)
    scale = 10.0 ** decimals
    return _out((input * scale).round() / scale, out)


def positive(input):
    return input


# --- binary math with other grads ---------------------------------------------------

def _make_binary(name, ufunc, backward, saves=None, floating=False):
    def fwd(ctx, a, b, dt):
        try:
            return ufunc(cast_arg(a, dt), cast_arg(b, dt))
        except ValueError:
            raise _bcast_error(a, b) from None

    op = Op(name, fwd, saves=saves)
    if backward is not None:
        op.backward(lambda ctx, g: backward(ctx, g, *ctx.inputs))

    def public(input, other, *, out=None):
        dt = result_dtype(input, other)
        if floating and not (dt.is_floating_point or dt.is_complex):
            dt = D.get_default_dtype()
        if not isinstance(input, Tensor):
            from .._creation import tensor
            input = tensor(input, dtype=dt)
        return _out(op(input, other, dt=dt), out)
    return public


def _maxmin_grad(ctx, g, a, b, cmp):
    mask = cmp(a, b)
    eq = (a == b)
    ga = g * mask + g * eq * 0.5
    gb = g * (~mask & ~eq) + g * eq * 0.5
    return ga, gb


maximum = _make_binary("MaximumBackward0", np.maximum,
                       lambda c, g, a, b: _maxmin_grad(c, g, a, b, lambda x, y: x > y))
minimum = _make_binary("MinimumBackward0", np.minimum,
                       lambda c, g, a, b: _maxmin_grad(c, g, a, b, lambda x, y: x < y))
fmax = _make_binary("FmaxBackward0", np.fmax,
                    lambda c, g, a, b: _maxmin_grad(c, g, a, b, lambda x, y: x > y))
fmin = _make_binary("FminBackward0", np.fmin,
                    lambda c, g, a, b: _maxmin_grad(c, g, a, b, lambda x, y: x < y))
atan2 = _make_binary("Atan2Backward0", np.arctan2,
                     lambda c, g, a, b: (g * b / (a * a + b * b), -g * a / (a * a + b * b)),
                     floating=True)
arctan2 = atan2
hypot = _make_binary("HypotBackward0", np.hypot,
                     lambda c, g, a, b: (g * a / a.hypot(b), g * b / a.hypot(b)))
logaddexp = _make_binary("LogaddexpBackward0", np.logaddexp,
                         lambda c, g, a, b: (g / (1 + (b - a).exp()), g / (1 + (a - b).exp())))
copysign = _make_binary("CopysignBackward0", np.copysign, None, floating=True)


def _fmod_np(a, b):
    if np.asarray(a).dtype.kind in "iu" and np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")
    return np.fmod(a, b)


def _remainder_np(a, b):
    if np.asarray(a).dtype.kind in "iu" and np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")
    return np.remainder(a, b)


fmod = _make_binary("FmodBackward0", _fmod_np,
                    lambda c, g, a, b: (g, (-g * (a / b).trunc()) if isinstance(b, Tensor)
                                        else None))
remainder = _make_binary("RemainderBackward0", _remainder_np,
                         lambda c, g, a, b: (g, (-g * (a / b).floor())
                                             if isinstance(b, Tensor) else None))


def _rremainder(self, other):
    from .._creation import tensor
    return remainder(tensor(other, dtype=result_dtype(self, other)), self)


# --- comparisons and logic (never differentiable) -----------------------------------

def _compare(ufunc, name):
    def fn(input, other, *, out=None):
        dt = result_dtype(input, other)
        a = cast_arg(input, dt)
        b = cast_arg(other, dt)
        try:
            return _out(_wrap(ufunc(a, b)), out)
        except ValueError:
            raise _bcast_error(input, other) from None
    fn.__name__ = name
    return fn


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(ufunc, name):
    def fn(input, other, *, out=None):
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        try:
            return _out(_wrap(ufunc(a, b)), out)
        except ValueError:
            raise _bcast_error(input, other) from None
    fn.__name__ = name
    return fn


logical_and = _logical(lambda a, b: np.logical_and(a, b), "logical_and")
logical_or = _logical(lambda a, b: np.logical_or(a, b), "logical_or")
logical_xor = _logical(lambda a, b: np.logical_xor(a, b), "logical_xor")


def logical_not(input, *, out=None):
    return _out(_wrap(np.logical_not(input._data)), out)


def _bitwise(ufunc, name):
    def fn(input, other, *, out=None):
        dt = result_dtype(input, other)
        if dt.is_floating_point or dt.is_complex:
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{_TYPE[dt.name]}\'')
        try:
            return _out(_wrap(ufunc(cast_arg(input, dt), cast_arg(other, dt))), out)
        except ValueError:
            raise _bcast_error(input, other) from None
    return fn


_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
         "complex64": "ComplexFloat", "complex128": "ComplexDouble"}

bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input, *, out=None):
    if input.dtype.is_floating_point:
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{_TYPE[input.dtype.name]}'")
    return _out(_wrap(np.invert(input._data)), out)


def isnan(input):
    return _wrap(np.isnan(input._data))


def isinf(input):
    return _wrap(np.isinf(input._data))


def isposinf(input):
    return _wrap(np.isposinf(input._data))


def isneginf(input):
    return _wrap(np.isneginf(input._data))


def isfinite(input):
    return _wrap(np.isfinite(input._data))


def isreal(input):
    return _wrap(np.isreal(input._data))


def signbit(input):
    return _wrap(np.signbit(input._data))


def _close_arrays(a, b, rtol, atol, equal_nan):
    dt = result_dtype(a, b)
    return np.isclose(cast_arg(a, dt), cast_arg(b, dt), rtol=rtol, atol=atol,
                      equal_nan=equal_nan)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(_close_arrays(input, other, rtol, atol, equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.all(_close_arrays(input, other, rtol, atol, equal_nan)))


def equal(input, other):
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


# --- where, clamp, lerp, addcmul, nan_to_num ----------------------------------------

def _where_fwd(ctx, a, b, dt, cond):
    try:
        return np.where(cond, cast_arg(a, dt), cast_arg(b, dt))
    except ValueError:
        raise _errors.broadcast_mismatch(np.shape(cond), np.broadcast_shapes(
            np.shape(a), np.shape(b))) from None


_where = Op("WhereBackward0", _where_fwd, saves=())


@_where.backward
def _(ctx, g):
    cond = _wrap(ctx.kw["cond"])
    zero = g.new_zeros(())
    n = ctx.needs_input_grad
    return (where(cond, g, zero) if n[0] else None), (where(cond, zero, g) if n[1] else None)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    if condition.dtype is not D.bool:
        if condition.dtype is D.uint8:
            condition = condition.bool()
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {_TYPE.get(condition.dtype.name, condition.dtype.name)}")
    dt = result_dtype(input, other)
    return _out(_where(input, other, dt=dt, cond=condition._data), out)


def _clamp_fwd(ctx, a, dt, min=None, max=None):
    x = a if a.dtype == dt.np else a.astype(dt.np)
    if min is not None:
        x = np.maximum(x, cast_arg(min, dt))
    if max is not None:
        x = np.minimum(x, cast_arg(max, dt))
    return x if x is not a else x.copy()


_clamp = Op("ClampBackward1", _clamp_fwd)


@_clamp.backward
def _(ctx, g):
    (x,) = ctx.inputs
    lo, hi = ctx.kw.get("min"), ctx.kw.get("max")
    mask = None
    if lo is not None:
        mask = x >= lo
    if hi is not None:
        m2 = x <= hi
        mask = m2 if mask is None else mask & m2
    return g * mask


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        r = input
        if min is not None:
            r = maximum(r, min)
        if max is not None:
            r = minimum(r, max)
        return _out(r, out)
    dt = input.dtype
    if isinstance(min, float) or isinstance(max, float):
        dt = result_dtype(input, min if isinstance(min, float) else max)
    return _out(_clamp(input, dt=dt, min=min, max=max), out)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def lerp(input, end, weight, *, out=None):
    return _out(input + weight * (end - input), out) if isinstance(weight, Tensor) else \
        _out(_lerp(input, end, weight=weight, dt=result_dtype(input, end)), out)


_lerp = Op("LerpBackward0", lambda ctx, a, b, weight, dt: cast_arg(a, dt) + weight * (
    cast_arg(b, dt) - cast_arg(a, dt)), saves=())


@_lerp.backward
def _(ctx, g):
    w = ctx.kw["weight"]
    return g * (1 - w), g * w


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    return _out(input + value * tensor1 * tensor2, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    return _out(input + value * tensor1 / tensor2, out)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    return _out(_nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf), out)


_nan_to_num = Op("NanToNumBackward0", lambda ctx, a, nan, posinf, neginf: np.nan_to_num(
    a, nan=nan, posinf=posinf, neginf=neginf))


@_nan_to_num.backward
def _(ctx, g):
    return g * ctx.inputs[0].isfinite()


# --- dtype conversion and copies ------------------------------------------------------

def _to_fwd(ctx, a, dt):
    if dt.category == D._CATEGORY_INT and a.dtype.kind in "fc":
        # C casts of inf/nan to int are undefined; PyTorch's CPU gives INT_MIN
        with np.errstate(invalid="ignore"):
            return a.astype(dt.np)
    return a.astype(dt.np)


_to = Op("ToCopyBackward0", _to_fwd, saves=())


@_to.backward
def _(ctx, g):
    return g


def to_dtype(t, dt):
    if dt.category <= D._CATEGORY_INT:
        # integer results are never differentiable: no node, like PyTorch
        return _wrap(_to_fwd(None, t._data, dt))
    return _to(t, dt=dt)


_clone = Op("CloneBackward0", lambda ctx, a: a.copy(), saves=())
_clone.backward(lambda ctx, g: g)


def clone(input, *, memory_format=None):
    return _clone(input)


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous or input.is_contiguous():
        return input
    return _clone(input)


def _binary_method(fn):
    return lambda self, other: fn(self, other)


def _rbinary_method(fn):
    def m(self, other):
        from .._creation import tensor
        if not isinstance(other, Tensor):
            return fn(other, self)
        return fn(other, self)
    return m


def _rdiv(self, other):
    return div(other, self)


def _rpow(self, other):
    return pow(other, self)


def _rfloordiv(self, other):
    from .._creation import tensor
    return floor_divide(tensor(other, dtype=result_dtype(self, other)), self)


def _rsub_method(self, other):
    return rsub(self, other)


def _inv(self):
    if self.dtype is D.bool:
        return logical_not(self)
    return bitwise_not(self)


def _neg_method(self):
    if self.dtype is D.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    return neg(self)


def _eq_method(self, other):
    if other is None or not isinstance(other, (Tensor, int, float, bool, complex, np.number)):
        return False
    return eq(self, other)


def _ne_method(self, other):
    if other is None or not isinstance(other, (Tensor, int, float, bool, complex, np.number)):
        return True
    return ne(self, other)


install({
    "add": lambda self, other, *, alpha=1: add(self, other, alpha=alpha),
    "sub": lambda self, other, *, alpha=1: sub(self, other, alpha=alpha),
    "subtract": lambda self, other, *, alpha=1: sub(self, other, alpha=alpha),
    "mul": mul, "multiply": mul, "div": div, "divide": div, "true_divide": true_divide,
    "floor_divide": floor_divide, "pow": pow, "square": square, "float_power": float_power,
    "__add__": _binary_method(add), "__radd__": _binary_method(add),
    "__sub__": _binary_method(sub), "__rsub__": _rsub_method,
    "__mul__": _binary_method(mul), "__rmul__": _binary_method(mul),
    "__truediv__": _binary_method(div), "__rtruediv__": _rdiv,
    "__floordiv__": _binary_method(floor_divide), "__rfloordiv__": _rfloordiv,
    "__mod__": lambda self, other: remainder(self, other), "__rmod__": _rremainder,
    "__pow__": _binary_method(pow), "__rpow__": _rpow,
    "__neg__": _neg_method, "__pos__": positive, "__abs__": abs, "__invert__": _inv,
    "__and__": lambda s, o: bitwise_and(s, o), "__or__": lambda s, o: bitwise_or(s, o),
    "__xor__": lambda s, o: bitwise_xor(s, o),
    "__rand__": lambda s, o: bitwise_and(s, o), "__ror__": lambda s, o: bitwise_or(s, o),
    "__rxor__": lambda s, o: bitwise_xor(s, o),
    "__eq__": _eq_method, "__ne__": _ne_method, "__lt__": _binary_method(lt),
    "__le__": _binary_method(le), "__gt__": _binary_method(gt), "__ge__": _binary_method(ge),
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt,
    "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
    "exp": exp, "exp2": exp2, "expm1": expm1, "log": log, "log2": log2, "log10": log10,
    "log1p": log1p, "sqrt": sqrt, "rsqrt": rsqrt, "sin": sin, "cos": cos, "tan": tan,
    "asin": asin, "acos": acos, "atan": atan, "arcsin": asin, "arccos": acos,
    "arctan": atan, "sinh": sinh, "cosh": cosh, "tanh": tanh, "asinh": asinh,
    "acosh": acosh, "atanh": atanh, "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh,
    "erf": erf, "erfc": erfc, "erfinv": erfinv,
    "sigmoid": sigmoid, "reciprocal": reciprocal, "neg": _neg_method, "negative": _neg_method,
    "abs": abs, "absolute": abs, "sign": sign, "sgn": sign, "floor": floor, "ceil": ceil,
    "trunc": trunc, "fix": trunc, "frac": frac, "round": round, "relu": relu,
    "positive": positive,
    "maximum": maximum, "minimum": minimum, "fmax": fmax, "fmin": fmin, "atan2": atan2,
    "arctan2": atan2, "hypot": hypot, "logaddexp": logaddexp, "copysign": copysign,
    "fmod": fmod, "remainder": remainder,
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "isposinf": isposinf,
    "isneginf": isneginf, "isreal": isreal, "signbit": signbit,
    "isclose": isclose, "allclose": allclose, "equal": equal,
    "where": lambda self, condition, other: where(condition, self, other),
    "clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv, "nan_to_num": nan_to_num,
    "clone": clone, "contiguous": contiguous,
})
