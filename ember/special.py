"""ember.special: PyTorch's ``torch.special``, the special functions of mathematics.

Functions ember already has (sigmoid, erf, logsumexp, softmax...) are re-used
under their SciPy-style names; the rest are ops defined here, computed with
``scipy.special`` (a runtime dependency) and differentiated with the formulas of
PyTorch's ``derivatives.yaml``.  Every backward is written with ember ops (many
of them the ops of this module), so ``create_graph=True`` works.  Integer and
bool inputs compute in the default float dtype; float16/bfloat16 compute in
float32 and round once, as PyTorch's CPU kernels do.
"""
import math

from . import _dtype as D
from ._backend import np
from ._tensor import Tensor, _wrap
from .autograd.op import Op
from ._ops._util import HALF, cast_array, install, like_input, not_implemented, result_dtype
from ._ops.elementwise import _out, _run2
from ._ops.pointwise import where
from ._ops.reduce import logsumexp as _logsumexp
from ._ops.nn_ops import softmax as _softmax, log_softmax as _log_softmax
from ._ops import unary as _u

_F32 = np.dtype(np.float32)
_SQRT_2PI = math.sqrt(2 * math.pi)
_SQRT1_2 = math.sqrt(0.5)


def _ss():
    # imported on first use: scipy.special costs import time nobody needs until then
    from scipy import special
    return special


def _need_tensor(name, x, pos="input", n=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"special_{name}(): argument '{pos}' (position {n}) must be Tensor, "
                        f"not {type(x).__name__}")


def _float_dtype(d, kernel, half=True):
    """The compute dtype of a one-input function, or PyTorch's error for ``d``."""
    if d.is_complex or (not half and d.np in HALF):
        raise not_implemented(kernel, d)
    return d if d.is_floating_point else D.get_default_dtype()


def _compute(fn, a, dt):
    """``fn`` on ``a`` in ``dt`` (halves in float32, rounded once), result in ``dt``."""
    x = cast_array(a, dt.np)
    with np.errstate(all="ignore"):
        r = np.asarray(fn(x.astype(_F32) if dt.np in HALF else x))
    return r if r.dtype == dt.np else r.astype(dt.np)


# --- one-input functions -----------------------------------------------------------------

def _unary(name, grad_fn, kernel, fn, backward=None, saves_output=False, saves=None,
           half=True):
    """A one-input function: ``fn`` on arrays, ``backward(ctx, g, x)`` on Tensors.

    ``backward=None``: PyTorch has no gradient, so the result never has a graph.
    """
    def fwd(ctx, a, dt):
        r = _compute(fn, a, dt)
        return r if r.ndim < 2 else like_input(r, a)

    op = Op(grad_fn, fwd, saves=saves, saves_output=saves_output)
    if backward is not None:
        op.backward(lambda ctx, g: backward(ctx, g, ctx.inputs[0]))

    def public(input, *, out=None):
        _need_tensor(name, input)
        return _out(op(input, dt=_float_dtype(input.dtype, kernel, half)), out)
    public.__name__ = public.__qualname__ = name
    return public


def _gammaln_np(a):
    r = _ss().gammaln(a)
    # log|Gamma(-inf)|: PyTorch gives +inf where SciPy gives -inf
    return np.where(np.isneginf(a), np.inf, r) if r.ndim else (np.inf if a == -np.inf else r)


def _log_ndtr_np(a):
    # PyTorch's formula: erfcx on the far left tail, log1p(-erfc/2) elsewhere (which
    # rounds to -0 on the far right, where SciPy keeps the tiny negative value)
    ss = _ss()
    t = a * a.dtype.type(_SQRT1_2)
    left = np.log(ss.erfcx(-t) / 2) - t * t
    right = np.log1p(-ss.erfc(t) / 2)
    return np.where(a < -1, left, right)


def _sinc_np(a):
    p = a * a.dtype.type(math.pi)
    with np.errstate(all="ignore"):
        r = np.sin(p) / p
    return np.where(a == 0, a.dtype.type(1), r)


def _sinc_bwd(ctx, g, x):
    px = x * math.pi
    d = (px * px.cos() - px.sin()) / (px * x)
    return where(x == 0, 0.0, g * d)


def _i1_bwd(ctx, g, x):
    return g * where(x == 0, 0.5, i0(x) - ctx.result / x)


def _i1e_bwd(ctx, g, x):
    return g * where(x == 0, 0.5, i0e(x) - ctx.result * (x.sgn() + x.reciprocal()))


def _erfcx(a):
    return _ss().erfcx(a)


gammaln = _unary("gammaln", "LgammaBackward0", "lgamma_vml_cpu", _gammaln_np,
                 lambda c, g, x: g * digamma(x))
digamma = _unary("digamma", "DigammaBackward0", "digamma", lambda a: _ss().psi(a),
                 lambda c, g, x: g * polygamma(1, x))
psi = digamma
entr = _unary("entr", "SpecialEntrBackward0", "entr_cpu", lambda a: _ss().entr(a),
              lambda c, g, x: g * -(x.log() + 1))
erfcx = _unary("erfcx", "SpecialErfcxBackward0", "erfcx_cpu", _erfcx,
               lambda c, g, x: (2.0 * x * c.result - 2.0 / math.sqrt(math.pi)) * g,
               saves_output=True, half=False)
ndtri = _unary("ndtri", "SpecialNdtriBackward0", "ndtri_cpu", lambda a: _ss().ndtri(a),
               lambda c, g, x: g * _SQRT_2PI * (c.result.square() / 2).exp(),
               saves_output=True, saves=(), half=False)
log_ndtr = _unary("log_ndtr", "SpecialLogNdtrBackward0", "log_ndtr_cpu", _log_ndtr_np,
                  lambda c, g, x: g / _SQRT_2PI * (-(c.result + x.pow(2) / 2)).exp(),
                  saves_output=True, half=False)
i0 = _unary("i0", "I0Backward0", "i0_vml_cpu", lambda a: _ss().i0(a),
            lambda c, g, x: g * i1(x))
i0e = _unary("i0e", "SpecialI0EBackward0", "i0e_cpu", lambda a: _ss().i0e(a),
             lambda c, g, x: g * (i1e(x) - x.sgn() * c.result), saves_output=True)
i1 = _unary("i1", "SpecialI1Backward0", "i1_cpu", lambda a: _ss().i1(a), _i1_bwd,
            saves_output=True)
i1e = _unary("i1e", "SpecialI1EBackward0", "i1e_cpu", lambda a: _ss().i1e(a), _i1e_bwd,
             saves_output=True)
bessel_j0 = _unary("bessel_j0", "BesselJ0Backward0", "bessel_j0_cpu", lambda a: _ss().j0(a),
                   half=False)
bessel_j1 = _unary("bessel_j1", "BesselJ1Backward0", "bessel_j1_cpu", lambda a: _ss().j1(a),
                   half=False)

_sinc = Op("SincBackward0", lambda ctx, a, dt: like_input(_compute(_sinc_np, a, dt), a))
_sinc.backward(lambda ctx, g: _sinc_bwd(ctx, g, ctx.inputs[0]))


def sinc(input, *, out=None):
    _need_tensor("sinc", input)
    d = input.dtype
    dt = d if d.is_floating_point or d.is_complex else D.get_default_dtype()
    return _out(_sinc(input, dt=dt), out)


# --- logit and round: one input plus a parameter -----------------------------------------

def _logit_fwd(ctx, a, dt, eps):
    def f(x):
        if eps is not None:
            x = np.clip(x, x.dtype.type(eps), x.dtype.type(1 - eps))
        return np.log(x / (1 - x))
    r = _compute(f, a, dt)
    return r if r.ndim < 2 else like_input(r, a)


_logit = Op("LogitBackward0", _logit_fwd)


@_logit.backward
def _(ctx, g):
    x, eps = ctx.inputs[0], ctx.kw["eps"]
    d = g / (x * (1 - x))
    if eps is None:  # outside [0, 1] the function is not defined
        return where((x < 0) | (x > 1), math.nan, d)
    return where((x < eps) | (x > 1 - eps), 0.0, d)  # the clamped part is flat


def logit(input, eps=None, *, out=None):
    _need_tensor("logit", input)
    return _out(_logit(input, dt=_float_dtype(input.dtype, "logit_cpu"), eps=eps), out)


def round(input, *, decimals=0, out=None):  # noqa: A001 - torch's name
    # torch.special.round always takes the ``decimals`` kernel (RoundBackward1), which
    # has no integer loop, unlike torch.round
    _need_tensor("round", input)
    if not input.dtype.is_floating_point:
        raise not_implemented("round_cpu" if decimals else "round_vml_cpu", input.dtype)
    return _out(_u._round_dec(input, dt=input.dtype, decimals=decimals), out, same=True)


# --- ndtr: PyTorch builds it from erf, so its graph is (x * c).erf() + 1, times 0.5 -----

_mul_s = Op("MulBackward1", lambda ctx, a, dt, other: _compute(lambda x: x * x.dtype.type(
    other), a, dt), saves=())
_mul_s.backward(lambda ctx, g: g * ctx.kw["other"])
_add_s = Op("AddBackward1", lambda ctx, a, dt, other: _compute(lambda x: x + x.dtype.type(
    other), a, dt), saves=())
_add_s.backward(lambda ctx, g: g)


def ndtr(input, *, out=None):
    _need_tensor("ndtr", input)
    dt = _float_dtype(input.dtype, "erf_vml_cpu")
    t = _u.erf(_mul_s(input, dt=dt, other=_SQRT1_2))
    return _out(_mul_s(_add_s(t, dt=dt, other=1.0), dt=dt, other=0.5), out)


# --- aliases of ember's own functions ----------------------------------------------------

def _alias(name, fn):
    def public(input, *, out=None):
        _need_tensor(name, input)
        return fn(input, out=out)
    public.__name__ = public.__qualname__ = name
    public.__doc__ = f"Alias of ``ember.{fn.__name__}``."
    return public


expit = _alias("expit", _u.sigmoid)
erf = _alias("erf", _u.erf)
erfc = _alias("erfc", _u.erfc)
erfinv = _alias("erfinv", _u.erfinv)
exp2 = _alias("exp2", _u.exp2)
expm1 = _alias("expm1", _u.expm1)
log1p = _alias("log1p", _u.log1p)


def logsumexp(input, dim, keepdim=False, *, out=None):
    return _logsumexp(input, dim, keepdim, out=out)


def softmax(input, dim, *, dtype=None):
    return _softmax(input, dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    return _log_softmax(input, dim, dtype)


# --- polygamma and multigammaln ----------------------------------------------------------

def _zeta_np(a, q):
    # PyTorch's Hurwitz zeta is NaN at q = +inf, where SciPy gives the limit 0
    r = _ss().zeta(a, q)
    return np.where(np.isposinf(q), np.nan, r)


def _trigamma_np(a):
    # the reflection formula below 1/2, as PyTorch evaluates it: at a negative integer
    # sin(pi a) is a rounding error, not 0, so the result is huge but finite
    ss = _ss()
    refl = np.pi ** 2 / np.sin(np.pi * a) ** 2 - ss.polygamma(1, 1 - a)
    return np.where(a < 0.5, refl, ss.polygamma(1, a)).astype(a.dtype, copy=False)


def _polygamma_np(n):
    if n == 0:
        return lambda a: _ss().psi(a)
    if n == 1:
        return _trigamma_np
    sign = 1.0 if n % 2 else -1.0
    return lambda a: sign * math.factorial(n) * _zeta_np(n + 1.0, a)


_polygamma = Op("PolygammaBackward0", lambda ctx, a, dt, n: like_input(
    _compute(_polygamma_np(n), a, dt), a))
_polygamma.backward(lambda ctx, g: g * polygamma(ctx.kw["n"] + 1, ctx.inputs[0]))


def polygamma(n, input, *, out=None):
    if type(n) is not int:
        raise TypeError(f"special_polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    _need_tensor("polygamma", input, "input", 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    kernel = "digamma" if n == 0 else "trigamma" if n == 1 else "polygamma"
    return _out(_polygamma(input, dt=_float_dtype(input.dtype, kernel), n=n), out)


def _mvl_args(p, npdt):
    """The offsets -(p-1)/2, ..., -1/2, 0 whose lgammas multigammaln sums."""
    return (np.arange(p, dtype=np.float64)[::-1] * -0.5).astype(npdt)


def _mvlgamma_fwd(ctx, a, dt, p):
    const = p * (p - 1) * math.log(math.pi) / 4

    def f(x):
        terms = _gammaln_np(x[..., None] + _mvl_args(p, x.dtype))
        return terms.sum(-1) + x.dtype.type(const)
    # PyTorch sums over a new last axis, which leaves the result C-contiguous
    return np.ascontiguousarray(_compute(f, a, dt))


_mvlgamma = Op("MvlgammaBackward0", _mvlgamma_fwd)


@_mvlgamma.backward
def _(ctx, g):
    x, p = ctx.inputs[0], ctx.kw["p"]
    args = _wrap(_mvl_args(p, x._data.dtype))
    return g * digamma(x.unsqueeze(-1) + args).sum(-1)


def multigammaln(input, p, *, out=None):
    _need_tensor("multigammaln", input)
    if input.dtype is D.bool:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return _out(_mvlgamma(input, dt=_float_dtype(input.dtype, "arange_cpu"), p=p), out)


# --- two-input functions -----------------------------------------------------------------

_NUM = (int, float, bool)


def _binary(name, grad_fns, kernel, fn, grad_self, grad_other, half=True, promote=True,
            scalars=True):
    """A two-input function with PyTorch's three overloads (tensor-tensor, number-tensor,
    tensor-number), each its own grad_fn: ``grad_fns`` names them in that order.

    ``grad_self(g, x, y)`` / ``grad_other(g, x, y)`` give the gradients (x or y may be
    a Python number).  ``promote``: integer results compute in the default float dtype
    (else PyTorch has no integer kernel).
    """
    tt = Op(grad_fns[0], lambda ctx, a, b, dt: _run2(fn, a, b, dt))

    @tt.backward
    def _(ctx, g):
        x, y = ctx.inputs
        need = ctx.needs_input_grad
        return (grad_self(g, x, y) if need[0] else None,
                grad_other(g, x, y) if need[1] else None)

    if scalars:
        st = Op(grad_fns[1], lambda ctx, b, dt, x: _run2(fn, x, b, dt))
        ts = Op(grad_fns[2], lambda ctx, a, dt, y: _run2(fn, a, y, dt, scalar_b=True))
        st.backward(lambda ctx, g: grad_other(g, ctx.kw["x"], ctx.inputs[0]))
        ts.backward(lambda ctx, g: grad_self(g, ctx.inputs[0], ctx.kw["y"]))
    usage = (f"special_{name}() received an invalid combination of arguments - got "
             "({}, {}), but expected one of:\n"
             " * (Tensor input, Tensor other, *, Tensor out = None)\n"
             " * (Number self, Tensor other, *, Tensor out = None)\n"
             " * (Tensor input, Number other, *, Tensor out = None)\n")

    def public(input, other, *, out=None):
        a_t, b_t = isinstance(input, Tensor), isinstance(other, Tensor)
        if not scalars:
            _need_tensor(name, input)
            _need_tensor(name, other, "other", 2)
        elif not (a_t and (b_t or isinstance(other, _NUM))) and not (
                b_t and isinstance(input, _NUM)):
            raise TypeError(usage.format(type(input).__name__, type(other).__name__))
        dt = result_dtype(input, other)
        if dt.is_complex or (not half and dt.np in HALF) or (
                not promote and not dt.is_floating_point):
            raise not_implemented(kernel, dt)
        if not dt.is_floating_point:
            dt = D.get_default_dtype()
        if a_t and b_t:
            r = tt(input, other, dt=dt)
        elif a_t:
            r = ts(input, dt=dt, y=other)
        else:
            r = st(other, dt=dt, x=input)
        return _out(r, out)
    public.__name__ = public.__qualname__ = name
    return public


def _not_implemented_grad(what):
    def grad(g, x, y):
        raise NotImplementedError(f"the derivative for '{what}' is not implemented.")
    return grad


def _x_mask(x, y, g, lo):
    """Where x's gradient is log(y) (or log1p): x != 0, or y > ``lo``; elsewhere it is 0
    (PyTorch's rule).  As 0/1 in the gradient's dtype (a bool would compute in float32)."""
    return ((x != 0) | (y > lo)).to(g.dtype)


xlogy = _binary(
    "xlogy", ("XlogyBackward0", "XlogyBackward1", "XlogyBackward2"), "xlogy_cpu",
    lambda a, b: _ss().xlogy(a, b),
    lambda g, x, y: g * xlogy(_x_mask(x, y, g, 0), y),
    lambda g, x, y: g * x / y)
xlog1py = _binary(
    "xlog1py", ("SpecialXlog1PyBackward0", "SpecialXlog1PyBackward1", "SpecialXlog1PyBackward2"),
    "xlog1py_cpu", lambda a, b: _ss().xlog1py(a, b),
    lambda g, x, y: g * xlog1py(_x_mask(x, y, g, -1), y),
    lambda g, x, y: g * x / (y + 1))
zeta = _binary(
    "zeta", ("SpecialZetaBackward0", "SpecialZetaBackward1", "SpecialZetaBackward2"),
    "zeta_cpu", _zeta_np,
    _not_implemented_grad("zeta"),
    lambda g, x, y: g * -x * zeta(x + 1.0, y), half=False)


def _igamma_grad(g, a, x):
    return g * ((a - 1) * x.log() - x - gammaln(a)).exp()


gammainc = _binary(
    "gammainc", ("IgammaBackward0",), "igamma_cpu",
    lambda a, b: _ss().gammainc(a, b),
    _not_implemented_grad("igamma: input"), _igamma_grad, promote=False, scalars=False)
gammaincc = _binary(
    "gammaincc", ("IgammacBackward0",), "igammac_cpu",
    lambda a, b: _ss().gammaincc(a, b),
    _not_implemented_grad("igammac: input"), lambda g, a, x: -_igamma_grad(g, a, x),
    promote=False, scalars=False)

__all__ = [
    "bessel_j0", "bessel_j1", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2",
    "expit", "expm1", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p",
    "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
    "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta",
]


# PyTorch's top-level names and Tensor methods for the same functions
def _polygamma_method(self, n):
    return polygamma(n, self)


def _mvlgamma_method(self, p):
    return multigammaln(self, p)


_TOP_LEVEL = {"lgamma": gammaln, "digamma": digamma, "polygamma": polygamma,
              "mvlgamma": multigammaln, "xlogy": xlogy, "logit": logit, "i0": i0,
              "sinc": sinc}
install({"lgamma": gammaln, "digamma": digamma, "polygamma": _polygamma_method,
         "mvlgamma": _mvlgamma_method, "xlogy": xlogy, "logit": logit, "i0": i0,
         "sinc": sinc})
