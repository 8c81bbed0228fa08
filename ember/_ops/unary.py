"""Unary math: exp/log families, sqrt/rsqrt, trigonometric and hyperbolic functions, erf
family, sigmoid, reciprocal, neg/abs/sign/sgn, rounding (floor, ceil, trunc, frac, round), relu
and positive.  Built by ``_unary``; re-exported by elementwise, whose helpers they share.
"""
import builtins
import math

from .._backend.parallel import parallel_for
from ..autograd.op import Op
from ..autograd.grad_mode import state as _grad_state
from ._util import D, HALF, _wrap, np, cast_array, finish, install, like_input, not_implemented
from .elementwise import _CPLX, _F32, _FLOATS, _INT, _ndarray, _out
from .pointwise import _threshold_backward
from .complex import holomorphic, _conj

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _unary(name, fn, backward, kind="float", reject=(), kernel=None, saves_output=False,
           messages=None, holo=True):
    """A unary op: ``fn`` on arrays; ``backward(ctx, g, x)`` on Tensors.

    kind "float": integer inputs compute in the default float dtype; "same": the
    input dtype is kept.  ``reject`` lists dtype categories PyTorch has no kernel
    for (named ``kernel``), ``messages`` overrides the error text per category.
    ``holo``: ``backward`` is ``g * f'(x)`` of a holomorphic f (see ``complex.holomorphic``).
    """
    def fwd(ctx, a, dt):
        if dt.np in HALF:
            r = fn(cast_array(a, dt.np).astype(_F32)).astype(dt.np)
        else:
            r = fn(a if a.dtype == dt.np else cast_array(a, dt.np))
            if type(r) is not _ndarray:
                r = np.asarray(r)
            # complex inputs keep the kernel's dtype (abs of complex is real)
            if r.dtype != dt.np and not dt.is_complex:
                r = finish(r, dt)
        return r if r.ndim < 2 else like_input(r, a)

    # backward formulas written on the result never read the input
    op = Op(name, fwd, saves=() if saves_output else None, saves_output=saves_output)
    op.backward(lambda ctx, g: backward(ctx, g, ctx.inputs[0]))
    if holo:
        holomorphic(op)
    kname = kernel or name.replace("Backward0", "").lower() + "_cpu"

    def public(input, *, out=None):
        d = input.dtype
        if d in _FLOATS and out is None and not (_grad_state.enabled and input._requires_grad):
            a = input._data  # the hot path: no graph, no casts
            r = fn(a)
            return _wrap(r if type(r) is not _ndarray or (r.strides == a.strides and
                                                           1 not in a.shape)
                         else like_input(r, a))
        if reject:
            cat = "bool" if d is D.bool else "int" if d.category == _INT else \
                "complex" if d.is_complex else "float"
            if cat in reject:
                if messages and cat in messages:
                    raise messages[cat][0](messages[cat][1])
                raise not_implemented(kname, d)
        dt = d if kind == "same" or d.is_floating_point or d.is_complex else \
            D.get_default_dtype()
        return _out(op(input, dt=dt), out, same=kind == "same")
    public.__name__ = name.replace("Backward0", "").lower()
    return public


def _zero_grad(ctx, g, x):
    return g * 0


def _special(name):
    def fn(a):
        from scipy import special
        return getattr(special, name)(a).astype(a.dtype, copy=False)
    return fn


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
cos = _unary("CosBackward0", np.cos, lambda c, g, x: g * -x.sin())
tan = _unary("TanBackward0", np.tan, lambda c, g, x: g * (1 + c.result.pow(2)),
             saves_output=True)
asin = _unary("AsinBackward0", np.arcsin, lambda c, g, x: g * (-x * x + 1).rsqrt())
acos = _unary("AcosBackward0", np.arccos, lambda c, g, x: g * -((-x * x + 1).rsqrt()))
atan = _unary("AtanBackward0", np.arctan, lambda c, g, x: g / (x * x + 1))
sinh = _unary("SinhBackward0", np.sinh, lambda c, g, x: g * x.cosh())
cosh = _unary("CoshBackward0", np.cosh, lambda c, g, x: g * x.sinh())
tanh = _unary("TanhBackward0", np.tanh, lambda c, g, x: g * (1 - c.result.pow(2)),
              saves_output=True)
asinh = _unary("AsinhBackward0", np.arcsinh, lambda c, g, x: g * (x.pow(2) + 1).rsqrt())
acosh = _unary("AcoshBackward0", np.arccosh, lambda c, g, x: g * (
    (x - 1).rsqrt() * (x + 1).rsqrt() if x.dtype.is_complex else (x * x - 1).rsqrt()))
atanh = _unary("AtanhBackward0", np.arctanh, lambda c, g, x: g * 1 / (1 - x.pow(2)))
erf = _unary("ErfBackward0", _special("erf"), lambda c, g, x: _SQRT_PI_2 * (-x.pow(2)).exp() * g,
             reject=_CPLX, kernel="erf_vml_cpu")
erfc = _unary("ErfcBackward0", _special("erfc"),
              lambda c, g, x: -_SQRT_PI_2 * (-x.pow(2)).exp() * g,
              reject=_CPLX, kernel="erfc_vml_cpu")
erfinv = _unary("ErfinvBackward0", _special("erfinv"),
                lambda c, g, x: (math.sqrt(math.pi) / 2) * c.result.pow(2).exp() * g,
                saves_output=True, reject=_CPLX, kernel="erfinv_vml_cpu")


def _sigmoid_np(a):
    # PyTorch's formula, 1 / (1 + exp(-x)): where exp(-x) overflows to inf the result
    # is exactly 0.  A big contiguous input is done in pieces on the intra-op threads.
    if not a.flags.c_contiguous or a.ndim == 0:
        out = np.negative(a, out=np.empty_like(a))
        np.exp(out, out=out)
        out += 1
        return np.reciprocal(out, out=out)
    out = np.empty_like(a)
    src, flat = a.reshape(-1), out.reshape(-1)

    def piece(lo, hi):
        r = flat[lo:hi]
        np.negative(src[lo:hi], out=r)
        np.exp(r, out=r)
        r += 1
        np.reciprocal(r, out=r)
    parallel_for(piece, flat.size)
    return out


def _sigmoid_bwd(c, g, x):
    y = c.result
    gd, yd = g._data, y._data
    if _grad_state.enabled or gd.dtype != yd.dtype or gd.shape != yd.shape or \
            gd.dtype.kind != "f" or gd.dtype.itemsize < 4:
        return g * (1 - y) * y
    # the same roundings as g * (1 - y) * y, without the temporaries of three ops
    t = np.subtract(1, yd, dtype=yd.dtype)
    np.multiply(gd, t, out=t)
    t *= yd
    return _wrap(t)


def _sign_np(a):
    if a.dtype == np.bool_:
        return a.copy()
    s = np.sign(a)
    return np.where(np.isnan(s), 0, s).astype(a.dtype) if a.dtype.kind == "f" else s


sigmoid = _unary("SigmoidBackward0", _sigmoid_np, _sigmoid_bwd, saves_output=True)
reciprocal = _unary("ReciprocalBackward0", lambda a: 1 / a,
                    lambda c, g, x: -g * (c.result * c.result), saves_output=True)
_BOOL_NEG = (NotImplementedError, "Negation, the `-` operator, on a bool tensor is not "
             "supported. If you are trying to invert a mask, use the `~` or `logical_not()` "
             "operator instead.")
neg = _unary("NegBackward0", np.negative, lambda c, g, x: -g, kind="same", reject=("bool",),
             messages={"bool": _BOOL_NEG})
abs = _unary("AbsBackward0", np.abs, lambda c, g, x: g * x.sgn(), kind="same",
             reject=("bool",), holo=False)
sign = _unary("SignBackward0", _sign_np, _zero_grad, kind="same", reject=_CPLX, messages={
    "complex": (NotImplementedError, "Unlike NumPy, torch.sign is not intended to support "
                "complex numbers. Please use torch.sgn instead.")})


def _sgn_bwd(c, g, x):
    if not x.dtype.is_complex:
        return g * 0
    # sgn z = z / |z| is not holomorphic: (g - sgn(z)^2 conj(g)) / (2|z|), 0 at z = 0
    s, a = c.result, x.abs()
    return ((g - s * s * _conj(g)) / (2 * a)).masked_fill(a == 0, 0)


sgn = _unary("SgnBackward0", _sign_np, _sgn_bwd, kind="same", saves_output=True, holo=False)


def _rounding(name, fn):
    return _unary(f"{name.capitalize()}Backward0", lambda a: a.copy() if a.dtype.kind in "iu"
                  else fn(a), _zero_grad, kind="same", reject=("bool", "complex"),
                  kernel=f"{name}_vml_cpu", messages={"complex": (
                      NotImplementedError, f"{name} is not supported for complex inputs")})


floor = _rounding("floor", np.floor)
ceil = _rounding("ceil", np.ceil)
trunc = _rounding("trunc", np.trunc)
frac = _unary("FracBackward0", lambda a: a - np.trunc(a), lambda c, g, x: g, kind="same",
              reject=("bool", "int", "complex"))
_round0 = _unary("RoundBackward0", lambda a: a.copy() if a.dtype.kind in "iu" else np.rint(a),
                 _zero_grad, kind="same", reject=("bool", "complex"), kernel="round_vml_cpu")
relu = _unary("ReluBackward0", lambda a: np.maximum(0, a).astype(a.dtype, copy=False),
              lambda c, g, x: _threshold_backward(g, c.result, 0), kind="same",
              saves_output=True, reject=("bool", "complex"), messages={
                  "bool": (NotImplementedError, "Boolean inputs not supported for relu"),
                  "complex": (NotImplementedError, "clamp is not supported for complex types")})
negative = neg
absolute = abs
fix = trunc
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def _round_dec_fwd(ctx, a, dt, decimals):
    x = a.astype(_F32) if a.dtype in HALF else a
    p = x.dtype.type(10.0 ** builtins.abs(decimals))
    r = np.rint(x * p) / p if decimals > 0 else np.rint(x / p) * p
    return r.astype(a.dtype, copy=False)


_round_dec = Op("RoundBackward1", _round_dec_fwd, saves=())
_round_dec.backward(lambda ctx, g: g * 0)


def round(input, *, decimals=0, out=None):
    if decimals == 0:
        return _round0(input, out=out)
    if not input.dtype.is_floating_point:
        raise not_implemented("round_cpu", input.dtype)
    return _out(_round_dec(input, dt=input.dtype, decimals=decimals), out, same=True)


def positive(input):
    if input.dtype is D.bool:
        raise NotImplementedError("The `+` operator, on a bool tensor is not supported.")
    return input


install({
    "__neg__": neg, "__pos__": positive, "__abs__": abs,
    "exp": exp, "exp2": exp2, "expm1": expm1, "log": log, "log2": log2, "log10": log10,
    "log1p": log1p, "sqrt": sqrt, "rsqrt": rsqrt, "sin": sin, "cos": cos, "tan": tan,
    "asin": asin, "acos": acos, "atan": atan, "arcsin": asin, "arccos": acos,
    "arctan": atan, "sinh": sinh, "cosh": cosh, "tanh": tanh, "asinh": asinh,
    "acosh": acosh, "atanh": atanh, "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh,
    "erf": erf, "erfc": erfc, "erfinv": erfinv, "sigmoid": sigmoid, "reciprocal": reciprocal,
    "neg": neg, "negative": neg, "abs": abs, "absolute": abs, "sign": sign, "sgn": sgn,
    "floor": floor, "ceil": ceil, "trunc": trunc, "fix": trunc, "frac": frac, "round": round,
    "relu": relu, "positive": positive,
})

__all__ = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos",
    "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "erf", "erfc", "erfinv",
    "sigmoid", "reciprocal", "neg", "negative", "abs", "absolute", "sign", "sgn", "floor",
    "ceil", "trunc", "fix", "frac", "round", "relu", "positive",
]
