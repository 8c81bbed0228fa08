"""Neural-network ops: activations, the softmax family, linear, dropout, normalisation,
embedding and distances.

Forwards run on arrays; backwards are written with ember ops, so create_graph works
through them.  The heavier families live beside this file: conv.py (convolution,
unfold/fold), pooling.py, loss.py and resample.py (pad, interpolate, pixel shuffle);
their names that PyTorch has at top level are re-exported from here.
"""
import math
import warnings

from .. import _errors
from ..autograd.grad_mode import no_grad
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install
from .inplace import apply_inplace

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _tname(dt):
    return _errors._TYPE_NAMES[dt.name][:-6]


def _need_float(input, kernel):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(input.dtype)}'")


def _half_safe(fn):
    """Run ``fn`` in float32 for 2-byte floats (as PyTorch's CPU kernels do)."""
    def run(ctx, a, **kw):
        if a.dtype.itemsize == 2 and a.dtype.kind in "fV":
            return fn(ctx, a.astype(np.float32), **kw).astype(a.dtype)
        return fn(ctx, a, **kw)
    return run


def _unary_op(name, fwd, bwd, saves_output=False, saves=None):
    op = Op(name, _half_safe(fwd), saves_output=saves_output, saves=saves)
    op.backward(bwd)
    return op


def _pick(cond, a, b, like):
    """where(cond, a, b) with Python-number branches taken in ``like``'s dtype."""
    from .elementwise import where
    dt = like.dtype.np
    a = a if isinstance(a, Tensor) else _wrap(np.asarray(a, dt))
    b = b if isinstance(b, Tensor) else _wrap(np.asarray(b, dt))
    return where(cond, a, b)


def _sigmoid_np(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


# --- activations ------------------------------------------------------------------------

_hardtanh = _unary_op(
    "HardtanhBackward0", lambda c, a, lo, hi: np.clip(a, lo, hi),
    lambda c, g: g * ((c.inputs[0] > c.kw["lo"]) & (c.inputs[0] < c.kw["hi"])))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype is D.bool:
        raise NotImplementedError("\"hardtanh_cpu\" not implemented for 'Bool'")
    lo, hi = min_val, max_val
    if not input.dtype.is_floating_point:
        lo, hi = int(lo), int(hi)  # PyTorch converts the bounds to the tensor's type
    if inplace:
        return apply_inplace(input, lambda s: _hardtanh(s, lo=lo, hi=hi))
    return _hardtanh(input, lo=lo, hi=hi)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def _leaky_fwd(c, a, slope):
    return np.where(a > 0, a, a * a.dtype.type(slope))


_leaky = _unary_op("LeakyReluBackward0", _leaky_fwd,
                   lambda c, g: g * _pick(c.inputs[0] > 0, 1.0, c.kw["slope"], g))
_leaky_ip = _unary_op("LeakyReluBackward1", _leaky_fwd,
                      lambda c, g: g * _pick(c.result > 0, 1.0, c.kw["slope"], g),
                      saves_output=True, saves=())


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _need_float(input, "leaky_relu_cpu")
    if inplace:
        return apply_inplace(input, lambda s: _leaky_ip(s, slope=negative_slope),
                             needs_self=False)
    return _leaky(input, slope=negative_slope)


def _elu_fwd(c, a, alpha, scale, input_scale):
    t = a.dtype.type
    neg = np.expm1(a * t(input_scale)) * t(alpha * scale)
    return np.where(a > 0, a * t(scale), neg)


def _elu_bwd(c, g):
    x = c.inputs[0]
    a, sc, isc = c.kw["alpha"], c.kw["scale"], c.kw["input_scale"]
    return g * _pick(x > 0, sc, (x * isc).exp() * (a * sc * isc), g)


def _elu_bwd_result(c, g):
    # from the output: d/dx = input_scale * (out + alpha*scale) where out <= 0
    r = c.result
    a, sc, isc = c.kw["alpha"], c.kw["scale"], c.kw["input_scale"]
    return g * _pick(r > 0, sc, (r + a * sc) * isc, g)


_elu = _unary_op("EluBackward0", _elu_fwd, _elu_bwd)
_elu_ip = _unary_op("EluBackward1", _elu_fwd, _elu_bwd_result, saves_output=True, saves=())
_celu = _unary_op("CeluBackward0", _elu_fwd, _elu_bwd)
_celu_ip = _unary_op("CeluBackward1", _elu_fwd, _elu_bwd_result, saves_output=True, saves=())


def _elu_call(input, inplace, op, op_ip, **kw):
    _need_float(input, "elu_cpu")
    if inplace:
        return apply_inplace(input, lambda s: op_ip(s, **kw), needs_self=False)
    return op(input, **kw)


def elu(input, alpha=1.0, inplace=False):
    return _elu_call(input, inplace, _elu, _elu_ip, alpha=alpha, scale=1.0, input_scale=1.0)


def selu(input, inplace=False):
    return _elu_call(input, inplace, _elu, _elu_ip, alpha=_SELU_ALPHA, scale=_SELU_SCALE,
                     input_scale=1.0)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu_call(input, inplace, _celu, _celu_ip, alpha=alpha, scale=1.0,
                     input_scale=1.0 / alpha)


def selu_(input):
    return selu(input, True)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def _gelu_fwd(c, a, approximate):
    t = a.dtype.type
    if approximate == "tanh":
        inner = t(_SQRT_2_PI) * (a + t(0.044715) * a * a * a)
        return t(0.5) * a * (t(1) + np.tanh(inner))
    from scipy.special import erf
    return (t(0.5) * a * (t(1) + erf(a * t(1 / _SQRT_2)))).astype(a.dtype, copy=False)


def _gelu_bwd(c, g):
    x = c.inputs[0]
    if c.kw["approximate"] == "tanh":
        x2 = x * x
        inner = (x + x2 * x * 0.044715) * _SQRT_2_PI
        t = inner.tanh()
        dinner = (x2 * (3 * 0.044715) + 1) * _SQRT_2_PI
        return g * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * dinner)
    cdf = ((x * (1 / _SQRT_2)).erf() + 1) * 0.5
    pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


_gelu = _unary_op("GeluBackward0", _gelu_fwd, _gelu_bwd)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    _need_float(input, "GeluKernelImpl")
    return _gelu(input, approximate=approximate)


def _silu_bwd(c, g):
    x = c.inputs[0]
    s = x.sigmoid()
    return g * s * (x * (1 - s) + 1)


_silu = _unary_op("SiluBackward0", lambda c, a: a * _sigmoid_np(a), _silu_bwd)


def silu(input, inplace=False):
    _need_float(input, "silu_cpu")
    if inplace:
        return apply_inplace(input, _silu)
    return _silu(input)


def _softplus_np(a, beta=1.0, threshold=20.0):
    t = a.dtype.type
    z = a * t(beta)
    soft = (np.logaddexp(t(0), z) / t(beta)).astype(a.dtype, copy=False)
    return np.where(z > threshold, a, soft)


def _mish_bwd(c, g):
    x = c.inputs[0]
    sp = x.exp().log1p()
    t = sp.tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


_mish = _unary_op("MishBackward0", lambda c, a: a * np.tanh(_softplus_np(a)), _mish_bwd)


def mish(input, inplace=False):
    _need_float(input, "mish_cpu")
    if inplace:
        return apply_inplace(input, _mish)
    return _mish(input)


def _softplus_bwd(c, g):
    x = c.inputs[0]
    beta, thr = c.kw["beta"], c.kw["threshold"]
    z = x * beta
    return g * _pick(z > thr, 1.0, z.sigmoid(), g)


_softplus = _unary_op("SoftplusBackward0", lambda c, a, beta, threshold: _softplus_np(
    a, beta, threshold), _softplus_bwd)


def softplus(input, beta=1.0, threshold=20.0):
    _need_float(input, "softplus_cpu")
    return _softplus(input, beta=beta, threshold=threshold)


def softsign(input):
    return input / (input.abs() + 1)


_hardsigmoid = _unary_op(
    "HardsigmoidBackward0", lambda c, a: np.clip(a + a.dtype.type(3), 0, 6) / a.dtype.type(6),
    lambda c, g: g * ((c.inputs[0] > -3) & (c.inputs[0] < 3)) * (1.0 / 6))


def hardsigmoid(input, inplace=False):
    _need_float(input, "hardsigmoid_cpu")
    if inplace:
        return apply_inplace(input, _hardsigmoid)
    return _hardsigmoid(input)


def _hardswish_bwd(c, g):
    x = c.inputs[0]
    mid = x / 3 + 0.5
    return g * _pick(x < -3, 0.0, _pick(x <= 3, mid, 1.0, g), g)


_hardswish = _unary_op(
    "HardswishBackward0",
    lambda c, a: a * np.clip(a + a.dtype.type(3), 0, 6) / a.dtype.type(6), _hardswish_bwd)


def hardswish(input, inplace=False):
    _need_float(input, "hardswish_cpu")
    if inplace:
        return apply_inplace(input, _hardswish)
    return _hardswish(input)


_logsigmoid = _unary_op("LogSigmoidBackward0",
                        lambda c, a: -_softplus_np(-a, 1.0, np.inf),
                        lambda c, g: g * (-c.inputs[0]).sigmoid())


def logsigmoid(input):
    _need_float(input, "log_sigmoid_cpu")
    return _logsigmoid(input)


def tanhshrink(input):
    return input - input.tanh()


def _softshrink_fwd(c, a, lambd):
    t = a.dtype.type
    return np.where(a > lambd, a - t(lambd), np.where(a < -lambd, a + t(lambd), t(0)))


_softshrink = _unary_op("SoftshrinkBackward0", _softshrink_fwd,
                        lambda c, g: g * (c.inputs[0].abs() > c.kw["lambd"]))
_hardshrink = _unary_op("HardshrinkBackward0",
                        lambda c, a, lambd: np.where(np.abs(a) > lambd, a, a.dtype.type(0)),
                        lambda c, g: g * (c.inputs[0].abs() > c.kw["lambd"]))


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    _need_float(input, "softshrink_check")
    return _softshrink(input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    _need_float(input, "hardshrink_cpu")
    return _hardshrink(input, lambd=lambd)


def _threshold_fwd(c, a, threshold, value):
    return np.where(a > threshold, a, np.asarray(value).astype(a.dtype))


_threshold = _unary_op("ThresholdBackward0", _threshold_fwd,
                       lambda c, g: g * (c.inputs[0] > c.kw["threshold"]))


_threshold_ip = _unary_op("ThresholdBackward1", _threshold_fwd,
                          lambda c, g: g * (c.result > c.kw["threshold"]), saves_output=True,
                          saves=())


def threshold(input, threshold, value, inplace=False):
    if inplace:
        return apply_inplace(input, lambda s: _threshold_ip(s, threshold=threshold,
                                                            value=value), needs_self=False)
    return _threshold(input, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, True)


def _prelu_fwd(ctx, a, w):
    return np.where(a > 0, a, a * w)


_prelu = Op("PreluKernelBackward0", _prelu_fwd)


@_prelu.backward
def _(ctx, g):
    x, w = ctx.inputs
    pos = x > 0
    n = ctx.needs_input_grad
    return (g * _pick(pos, 1.0, w, g) if n[0] else None,
            g * _pick(pos, 0.0, x, g) if n[1] else None)


def prelu(input, weight):
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_tname(input.dtype)} "
                           f"and {_tname(weight.dtype)}")
    _need_float(input, "prelu_cpu")
    nw = weight.numel()
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    if input.dim() == 0 and nw != 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if nw != 1 and nw != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {nw} and channel size = {channels}.")
    shape = [1] * input.dim()
    if input.dim() >= 2:
        shape[1] = nw
    w = weight.view(shape) if input.dim() else weight.view(())
    return _prelu(input, w)


def _rrelu_fwd(ctx, a, lower, upper, noise):
    if noise is None:
        return np.where(a > 0, a, a * a.dtype.type((lower + upper) / 2))
    return a * noise.astype(a.dtype, copy=False)


_rrelu = Op("RreluWithNoiseBackward0", _rrelu_fwd, saves=(0,))


@_rrelu.backward
def _(ctx, g):
    noise = ctx.kw["noise"]
    if noise is not None:
        return g * _wrap(noise.astype(g.dtype.np, copy=False))
    return g * _pick(ctx.inputs[0] > 0, 1.0, (ctx.kw["lower"] + ctx.kw["upper"]) / 2, g)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None,
          inplace=False):
    _need_float(input, "rrelu_with_noise_out_cpu")
    noise = None
    if training:
        # PyTorch draws one U(lower, upper) slope (in double) per non-positive element,
        # in order; positive elements keep slope 1 and draw nothing
        neg = input._data <= 0
        k = int(neg.sum())
        from .._creation import empty
        r = empty(k, dtype=D.float64)
        r = r.uniform_(lower, upper, generator=generator) if generator is not None \
            else r.uniform_(lower, upper)
        noise = np.ones(input.shape, np.float64)
        noise[neg] = r._data
    if inplace:
        return apply_inplace(input, lambda s: _rrelu(s, lower=lower, upper=upper,
                                                     noise=noise))
    return _rrelu(input, lower=lower, upper=upper, noise=noise)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return rrelu(input, lower, upper, training, generator, True)


def _glu_fwd(ctx, a, dim):
    h = a.shape[dim] // 2
    first = np.take(a, np.arange(h), axis=dim)
    second = np.take(a, np.arange(h, 2 * h), axis=dim)
    return first * _sigmoid_np(second)


_glu = Op("GluBackward0", _half_safe(_glu_fwd))


@_glu.backward
def _(ctx, g):
    x = ctx.inputs[0]
    dim = ctx.kw["dim"]
    a, b = x.chunk(2, dim)
    s = b.sigmoid()
    from .shape import cat
    return cat([g * s, g * a * s * (1 - s)], dim)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _errors.wrap_dim(dim, input.dim())
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    _need_float(input, "glu_cpu")
    return _glu(input, dim=d)


# --- softmax family ----------------------------------------------------------------------

def _softmax_np(a, dim, log):
    if a.ndim == 0:
        return np.zeros_like(a) if log else np.ones_like(a)
    m = np.max(a, axis=dim, keepdims=True)
    if not np.isfinite(m).all():
        m = np.where(np.isfinite(m), m, 0)
    z = a - m
    e = np.exp(z)
    s = np.sum(e, axis=dim, keepdims=True)
    if log:
        z -= np.log(s)
        return z
    e /= s
    return e


_softmax = Op("SoftmaxBackward0", _half_safe(lambda c, a, dim: _softmax_np(a, dim, False)),
              saves=(), saves_output=True)
_log_softmax = Op("LogSoftmaxBackward0",
                  _half_safe(lambda c, a, dim: _softmax_np(a, dim, True)),
                  saves=(), saves_output=True)


@_softmax.backward
def _(ctx, g):
    y = ctx.result
    dim = ctx.kw["dim"]
    gy = g * y
    return gy - y * gy.sum(dim, keepdim=True)


@_log_softmax.backward
def _(ctx, g):
    y = ctx.result
    return g - y.exp() * g.sum(ctx.kw["dim"], keepdim=True)


def _softmax_call(op, name, input, dim, dtype):
    if dtype is not None:
        input = input.to(D.to_dtype(dtype))
    if dim is None:
        raise TypeError(f"{name}() missing required argument 'dim'")
    d = _errors.wrap_dim(dim, input.dim())
    if not input.dtype.is_floating_point:
        last = input.dim() == 0 or d == input.dim() - 1
        kernel = f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(input.dtype)}'")
    return op(input, dim=d)


def softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    return _softmax_call(_softmax, "softmax", input, dim, dtype)


def log_softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    return _softmax_call(_log_softmax, "log_softmax", input, dim, dtype)


def _implicit_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


# --- linear --------------------------------------------------------------------------------

def linear(input, weight, bias=None):
    from .linalg import addmm, matmul
    if input.dim() == 2 and bias is not None:
        return addmm(bias, input, weight.t())
    if input.dim() == 2:
        return input.mm(weight.t())
    if bias is not None and input.dim() >= 1 and weight.dim() == 2:
        lead = input.shape[:-1]
        if input.shape[-1] != weight.shape[1]:
            raise _errors.mm_mismatch((int(np.prod(lead)), input.shape[-1]),
                                      (weight.shape[1], weight.shape[0]))
        out = addmm(bias, input.reshape(-1, input.shape[-1]), weight.t())
        return out.view(tuple(lead) + (weight.shape[0],))
    if input.dim() > 2 and weight.dim() == 2:
        lead = input.shape[:-1]
        if input.shape[-1] != weight.shape[1]:
            raise _errors.mm_mismatch((int(np.prod(lead)), input.shape[-1]),
                                      (weight.shape[1], weight.shape[0]))
        out = input.reshape(-1, input.shape[-1]).mm(weight.t())
        return _unsafe_view(out, shape=tuple(lead) + (weight.shape[0],))
    out = matmul(input, weight.t())
    return out + bias if bias is not None else out


_unsafe_view = Op("UnsafeViewBackward0", lambda c, a, shape: a.reshape(shape), saves=())
_unsafe_view.backward(lambda c, g: g.reshape(c.inputs[0].shape))


_trilinear = Op("TrilinearBackward0", lambda c, a, w, b: np.einsum(
    "ni,oij,nj->no", a, w, b, optimize=True))


@_trilinear.backward
def _(ctx, g):
    from .linalg import einsum
    a, w, b = ctx.inputs
    n = ctx.needs_input_grad
    return (einsum("no,oij,nj->ni", g, w, b) if n[0] else None,
            einsum("no,ni,nj->oij", g, a, b) if n[1] else None,
            einsum("no,ni,oij->nj", g, a, w) if n[2] else None)


def bilinear(input1, input2, weight, bias=None):
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} "
                           f"and {input2.dim()}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    lead = input1.shape[:-1]
    y = _trilinear(input1.reshape(-1, input1.shape[-1]), weight,
                   input2.reshape(-1, input2.shape[-1])).view(tuple(lead) + (weight.shape[0],))
    return y + bias if bias is not None else y


# --- dropout ----------------------------------------------------------------------------------

def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input, shape, p):
    """A Bernoulli(1 - p) mask drawn from ember's generator, as PyTorch draws it."""
    return input.detach().new_empty(shape).bernoulli_(1 - p)


def _feature_shape(input):
    return tuple(input.shape[:2]) + (1,) * (input.dim() - 2)


def _dropout_impl(input, p, train, inplace, feature=False, alpha=False):
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = input.new_zeros(())
        return input.mul_(zero) if inplace else input * zero
    shape = _feature_shape(input) if feature else input.shape
    noise = _noise(input, shape, p)
    if not alpha:
        noise.div_(1 - p)
        return input.mul_(noise) if inplace else input * noise
    # alpha dropout keeps mean and variance: dropped units go to the SELU saturation value
    sat = 1.7580993408473766
    a = 1.0 / math.sqrt((sat * sat * p + 1) * (1 - p))
    b = noise.add(-1).mul_(sat * a).add_(sat * a * p)
    noise.mul_(a)
    out = input.mul_(noise) if inplace else input * noise
    return out.add_(b)


def dropout(input, p=0.5, train=True, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, train, inplace)


def dropout_(input, p=0.5, train=True):
    return dropout(input, p, train, True)


def alpha_dropout(input, p=0.5, train=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, train, inplace, alpha=True)


def alpha_dropout_(input, p=0.5, train=False):
    return alpha_dropout(input, p, train, True)


def feature_dropout(input, p=0.5, train=True, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, train, inplace, feature=True)


def feature_dropout_(input, p=0.5, train=True):
    return feature_dropout(input, p, train, True)


def feature_alpha_dropout(input, p=0.5, train=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, train, inplace, feature=True, alpha=True)


def feature_alpha_dropout_(input, p=0.5, train=False):
    return feature_alpha_dropout(input, p, train, True)


# --- normalisation ------------------------------------------------------------------------

def _norm_stats(x, axes):
    """Mean and biased variance over ``axes`` (float64 accumulation for float32)."""
    acc = np.float64 if x.dtype == np.float32 else (np.float32 if x.dtype.itemsize == 2
                                                    else x.dtype)
    mean = np.mean(x, axis=axes, keepdims=True, dtype=acc)
    xc = x - mean.astype(x.dtype) if acc != x.dtype else x - mean
    var = np.mean(np.square(xc, dtype=acc), axis=axes, keepdims=True)
    return mean, var


def _affine_shape(ndim, axis_len, axis=1):
    shape = [1] * ndim
    shape[axis] = axis_len
    return shape


def _bn_fwd(ctx, x, w, b, training, momentum, eps, rmean, rvar):
    axes = (0,) + tuple(range(2, x.ndim))
    C = x.shape[1]
    shp = _affine_shape(x.ndim, C)
    if training:
        mean, var = _norm_stats(x, axes)
        if rmean is not None:
            n = x.size // C
            unbiased = var.reshape(-1) * (n / (n - 1)) if n > 1 else var.reshape(-1)
            rm, rv = rmean._data, rvar._data
            rm *= (1 - momentum)
            rm += momentum * mean.reshape(-1).astype(rm.dtype)
            rv *= (1 - momentum)
            rv += momentum * unbiased.astype(rv.dtype)
            rmean._bump()
            rvar._bump()
    else:
        mean = rmean._data.reshape(shp).astype(np.float64)
        var = rvar._data.reshape(shp).astype(np.float64)
    invstd = 1.0 / np.sqrt(var + eps)
    if ctx is not None:
        ctx.stats = (mean.astype(x.dtype), invstd.astype(x.dtype))
    scale = invstd if w is None else invstd * w.reshape(shp)
    shift = -mean * scale
    if b is not None:
        shift = shift + b.reshape(shp)
    out = x * scale.astype(x.dtype) + shift.astype(x.dtype)
    return out.astype(x.dtype, copy=False)


_batch_norm = Op("NativeBatchNormBackward0", _bn_fwd, saves=(0, 1))


def _normalized_grad(g, xhat, invstd, w, dims, recompute):
    """Backward of y = xhat * w + b with xhat = (x - mean) * invstd over ``dims``."""
    gxhat = g if w is None else g * w
    if not recompute:
        return gxhat * invstd
    n = 1
    for d in dims:
        n *= xhat.shape[d]
    m1 = gxhat.mean(dims, keepdim=True)
    m2 = (gxhat * xhat).mean(dims, keepdim=True)
    return (gxhat - m1 - xhat * m2) * invstd


@_batch_norm.backward
def _(ctx, g):
    x, w, b = ctx.inputs
    training = ctx.kw["training"]
    dims = (0,) + tuple(range(2, x.dim()))
    shp = _affine_shape(x.dim(), x.shape[1])
    mean, invstd = (_wrap(a) for a in ctx.stats)
    if training:
        # statistics rebuilt with ember ops so that create_graph differentiates them too
        m = x.mean(dims, keepdim=True)
        xc = x - m
        invstd = ((xc * xc).mean(dims, keepdim=True) + ctx.kw["eps"]).rsqrt()
        xhat = xc * invstd
    else:
        xhat = (x - mean) * invstd
    n = ctx.needs_input_grad
    wv = w.view(shp) if w is not None else None
    gx = _normalized_grad(g, xhat, invstd, wv, dims, training) if n[0] else None
    gw = (g * xhat).sum(dims) if n[1] else None
    gb = g.sum(dims) if n[2] else None
    return gx, gw, gb


def _check_mixed(input, *params):
    """PyTorch's CPU rule: parameters share the input's dtype, or are float32 for a half
    input."""
    first = next((p for p in params if p is not None), None)
    if first is None:
        return
    if first.dtype is input.dtype:
        for p in params:
            if p is not None and p.dtype is not input.dtype:
                raise RuntimeError(f"expected scalar type {_tname(input.dtype)} but found "
                                   f"{_tname(p.dtype)}")
        return
    for p in params:
        if p is not None and p.dtype is not D.float32:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of "
                               "Float")
    if input.dtype not in (D.float16, D.bfloat16):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _no_grad_arg(fn, name, t):
    from ..autograd.grad_mode import is_grad_enabled
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                           f"argument '{name}'. This input cannot have requires_grad True.")


def batch_norm(input, weight=None, bias=None, running_mean=None, running_var=None,
               training=False, momentum=0.1, eps=1e-5, cudnn_enabled=True):
    C = input.shape[1] if input.dim() > 1 else 1
    _no_grad_arg("native_batch_norm", "running_mean", running_mean)
    _no_grad_arg("native_batch_norm", "running_var", running_var)
    for nm, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                  ("running_var", running_var)):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{nm} should contain {C} elements not {t.numel()}")
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if not training and running_var is None:
        raise RuntimeError("running_var must be defined in evaluation mode")
    _check_mixed(input, weight, bias, running_mean, running_var)
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' (position 7) must be float, not "
                        "NoneType")
    return _batch_norm(input, weight, bias, training=bool(training), momentum=momentum,
                       eps=eps, rmean=running_mean, rvar=running_var)


def _ln_fwd(ctx, x, w, b, axes, eps):
    mean, var = _norm_stats(x, axes)
    invstd = 1.0 / np.sqrt(var + eps)
    out = ((x - mean) * invstd).astype(x.dtype, copy=False)
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out.astype(x.dtype, copy=False)


_layer_norm = Op("NativeLayerNormBackward0", _half_safe_norm := None or _ln_fwd, saves=(0, 1))


@_layer_norm.backward
def _(ctx, g):
    x, w, b = ctx.inputs
    dims = ctx.kw["axes"]
    m = x.mean(dims, keepdim=True)
    xc = x - m
    invstd = ((xc * xc).mean(dims, keepdim=True) + ctx.kw["eps"]).rsqrt()
    xhat = xc * invstd
    n = ctx.needs_input_grad
    lead = tuple(range(x.dim() - len(dims)))
    gx = _normalized_grad(g, xhat, invstd, w, dims, True) if n[0] else None
    gw = (g * xhat).sum(lead) if n[1] and lead else ((g * xhat) if n[1] else None)
    gb = (g.sum(lead) if lead else g) if n[2] else None
    return gx, gw, gb


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5,
               cudnn_enable=True):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(ns)}")
    if bias is not None and tuple(bias.shape) != ns:
        raise RuntimeError(f"Expected bias to be of same shape as normalized_shape, but got "
                           f"bias of shape {list(bias.shape)} and normalized_shape = "
                           f"{list(ns)}")
    if k == 0 or input.dim() < k or tuple(input.shape[-k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(input.shape)}")
    _check_mixed(input, weight, bias)
    axes = tuple(range(input.dim() - k, input.dim()))
    return _layer_norm(input, weight, bias, axes=axes, eps=eps)


def _gn_fwd(ctx, x, w, b, groups, eps):
    N, C = x.shape[:2]
    xg = x.reshape(N, groups, -1)
    mean, var = _norm_stats(xg, (2,))
    invstd = 1.0 / np.sqrt(var + eps)
    out = ((xg - mean) * invstd).astype(x.dtype, copy=False).reshape(x.shape)
    shp = _affine_shape(x.ndim, C)
    if w is not None:
        out = out * w.reshape(shp)
    if b is not None:
        out = out + b.reshape(shp)
    return out.astype(x.dtype, copy=False)


_group_norm = Op("NativeGroupNormBackward0", _gn_fwd, saves=(0, 1))


@_group_norm.backward
def _(ctx, g):
    x, w, b = ctx.inputs
    G = ctx.kw["groups"]
    N, C = x.shape[:2]
    xg = x.reshape(N, G, -1)
    m = xg.mean(2, keepdim=True)
    xc = xg - m
    invstd = ((xc * xc).mean(2, keepdim=True) + ctx.kw["eps"]).rsqrt()
    xhat = (xc * invstd).reshape(x.shape)
    shp = _affine_shape(x.dim(), C)
    n = ctx.needs_input_grad
    dims = (0,) + tuple(range(2, x.dim()))
    gx = None
    if n[0]:
        gxhat = g if w is None else g * w.view(shp)
        gxg, xhg = gxhat.reshape(N, G, -1), xhat.reshape(N, G, -1)
        gx = ((gxg - gxg.mean(2, keepdim=True) - xhg * (gxg * xhg).mean(2, keepdim=True))
              * invstd).reshape(x.shape)
    gw = (g * xhat).sum(dims) if n[1] else None
    gb = g.sum(dims) if n[2] else None
    return gx, gw, gb


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    N, C = input.shape[:2]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for nm, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            raise RuntimeError(f"Expected {nm} to be a vector of size equal to the number of "
                               f"channels in input, but got {nm} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    _check_mixed(input, weight, bias)
    return _group_norm(input, weight, bias, groups=num_groups, eps=eps)


def instance_norm(input, weight=None, bias=None, running_mean=None, running_var=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5, cudnn_enabled=True):
    N, C = input.shape[:2]
    shape = (1, N * C) + tuple(input.shape[2:])
    w = weight.repeat(N) if weight is not None else None
    b = bias.repeat(N) if bias is not None else None
    rm = running_mean.repeat(N) if running_mean is not None else None
    rv = running_var.repeat(N) if running_var is not None else None
    out = batch_norm(input.reshape(shape), w, b, rm, rv, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None:
        with no_grad():
            running_mean.copy_(rm.view(N, C).mean(0))
            running_var.copy_(rv.view(N, C).mean(0))
    return out.view(input.shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    from .pooling import avg_pool2d, avg_pool3d
    from .resample import pad
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        s = input.shape
        div = div.view(s[0], 1, s[1], s[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(s)
    return input / div.mul(alpha).add(k).pow(beta)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.dim() - len(ns), input.dim()))
    if eps is None:
        eps = float(np.finfo(input.dtype.np).eps) if input.dtype.is_floating_point else 1e-6
    r = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return r * weight if weight is not None else r


# --- embedding -------------------------------------------------------------------------------

def _embedding_fwd(ctx, w, idx, padding_idx, scale_grad_by_freq):
    return w[idx._data]


_embedding = Op("EmbeddingBackward0", _embedding_fwd, saves=())


@_embedding.backward
def _(ctx, g):
    w = ctx.inputs[0]
    idx = ctx.kw["idx"]._data.reshape(-1)
    pad = ctx.kw["padding_idx"]
    gflat = g.reshape(-1, w.shape[1])
    coef = None
    if pad is not None and pad >= 0:
        coef = (idx != pad).astype(g.dtype.np)
    if ctx.kw["scale_grad_by_freq"]:
        counts = np.bincount(idx, minlength=w.shape[0])
        c = (1.0 / counts[idx]).astype(g.dtype.np)
        coef = c if coef is None else coef * c
    if coef is not None:
        gflat = gflat * _wrap(coef).unsqueeze(1)
    from .._creation import zeros
    return zeros(w.shape, dtype=g.dtype).index_add(0, _wrap(idx), gflat)


def embedding_renorm_(weight, input, max_norm, norm_type):
    idx = np.unique(input._data.reshape(-1))
    with no_grad():
        rows = weight._data[idx]
        norms = np.linalg.norm(rows.astype(np.float64), ord=norm_type, axis=1) \
            if norm_type != 2 else np.sqrt(np.sum(rows.astype(np.float64) ** 2, axis=1))
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight._data[idx] = (rows * scale[:, None]).astype(weight._data.dtype)
        weight._bump()
    return weight


def embedding(weight, input, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got torch."
                           f"{_errors._TYPE_NAMES[input.dtype.name]} instead (while checking "
                           "arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    return _embedding(weight, idx=input, padding_idx=padding_idx,
                      scale_grad_by_freq=bool(scale_grad_by_freq))


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(a.shape + (num_classes,), np.int64)
    np.put_along_axis(out, a[..., None], 1, axis=-1)
    return _wrap(out)


# --- distances ---------------------------------------------------------------------------------

def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    from .shape import broadcast_tensors
    x1, x2 = broadcast_tensors(x1, x2)
    d = _errors.wrap_dim(dim, x1.dim())
    n1 = x1.norm(2, d, keepdim=True)
    n2 = x2.norm(2, d, keepdim=True)
    with no_grad():
        # clamped without a graph: the gradient goes through the unclamped norm
        n1.data = n1.data.clamp_min(eps)
        n2.data = n2.data.clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def _pnorm_np(a, p, axis, keepdim):
    x = np.abs(a)
    if p == 2:
        r = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdim))
    elif p == 1:
        r = np.sum(x, axis=axis, keepdims=keepdim)
    elif p == math.inf:
        r = np.max(x, axis=axis, keepdims=keepdim, initial=0)
    elif p == -math.inf:
        r = np.min(x, axis=axis, keepdims=keepdim)
    elif p == 0:
        r = np.sum(x != 0, axis=axis, keepdims=keepdim).astype(a.dtype)
    else:
        r = np.sum(x ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)
    return r.astype(a.dtype, copy=False)


def _pnorm_grad(g, x, r, p):
    """d||x||_p / dx times g, with ``r`` the norm broadcast against x."""
    if p == 0:
        return x * 0
    if p == 1:
        return g * x.sign()
    if p in (math.inf, -math.inf):
        hit = x.abs() == r
        return g * x.sign() * hit / hit.sum(-1, keepdim=True)
    if p == 2:
        return g * x / r.masked_fill(r == 0, math.inf)
    return g * x * x.abs().pow(p - 2) / r.pow(p - 1).masked_fill(r == 0, math.inf)


_norm_dim = Op("NormBackward1", lambda c, a, p, dim, keepdim: _pnorm_np(a, p, dim, keepdim),
               saves_output=True)


@_norm_dim.backward
def _(ctx, g):
    x = ctx.inputs[0]
    r = ctx.result
    if not ctx.kw["keepdim"]:
        g, r = g.unsqueeze(ctx.kw["dim"]), r.unsqueeze(ctx.kw["dim"])
    return _pnorm_grad(g, x, r, ctx.kw["p"])


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    from .loss import _add_scalar
    d = max(x1.dim(), x2.dim())
    diff = _add_scalar(x1 - x2, other=eps)
    if diff.dim() == 0:
        return _norm_dim(diff.reshape(1), p=p, dim=0, keepdim=False).reshape(()) \
            if not keepdim else diff.abs()
    return _norm_dim(diff, p=p, dim=d - 1, keepdim=bool(keepdim))


def _pdist_fwd(ctx, a, p):
    i, j = np.triu_indices(a.shape[0], 1)
    return _pnorm_np(a[i] - a[j], p, 1, False)


_pdist = Op("PdistBackward0", _pdist_fwd, saves_output=True)


@_pdist.backward
def _(ctx, g):
    x = ctx.inputs[0]
    i, j = np.triu_indices(x.shape[0], 1)
    ti, tj = _wrap(i), _wrap(j)
    d = x.index_select(0, ti) - x.index_select(0, tj)
    gp = _pnorm_grad(g.unsqueeze(1), d, ctx.result.unsqueeze(1), ctx.kw["p"])
    from .._creation import zeros
    z = zeros(x.shape, dtype=x.dtype)
    return z.index_add(0, ti, gp).index_add(0, tj, -gp)


def pdist(input, p=2):
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return _pdist(input, p=p)


install({
    "softmax": lambda self, dim=None, dtype=None: softmax(self, dim, dtype),
    "log_softmax": lambda self, dim=None, dtype=None: log_softmax(self, dim, dtype),
    "hardshrink": hardshrink, "prelu": prelu,
})

from .loss import *  # noqa: E402,F401,F403
from .loss import __all__ as _loss_all  # noqa: E402
from .pooling import *  # noqa: E402,F401,F403
from .pooling import __all__ as _pool_all  # noqa: E402
from .resample import *  # noqa: E402,F401,F403
from .resample import __all__ as _resample_all  # noqa: E402

__all__ = ["softmax", "log_softmax", "selu", "selu_", "celu", "celu_", "hardshrink",
           "threshold", "threshold_", "prelu", "rrelu", "rrelu_", "bilinear", "dropout",
           "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
           "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
           "batch_norm", "layer_norm", "group_norm", "instance_norm", "embedding",
           "embedding_renorm_", "cosine_similarity", "pairwise_distance", "pdist",
           "rms_norm"] + _loss_all + _pool_all + _resample_all


# --- attention -------------------------------------------------------------------------------

def _attn_bias(mask, L, S, causal, dtype):
    bias = None
    if causal:
        bias = np.where(np.tril(np.ones((L, S), bool)), 0, -np.inf).astype(dtype)
    if mask is not None:
        m = np.where(mask, 0, -np.inf).astype(dtype) if mask.dtype == bool else mask
        bias = m if bias is None else bias + m
    return bias


def _sdpa_fwd(ctx, q, k, v, mask, causal, scale):
    s = np.matmul(q, np.swapaxes(k, -1, -2)) * q.dtype.type(scale)
    bias = _attn_bias(mask, q.shape[-2], k.shape[-2], causal, q.dtype)
    if bias is not None:
        s = s + bias
    return np.matmul(_softmax_np(s, -1, False), v)


_sdpa = Op("ScaledDotProductFlashAttentionForCpuBackward0", _sdpa_fwd)


@_sdpa.backward
def _(ctx, g):
    q, k, v = ctx.inputs
    kw = ctx.kw
    s = (q @ k.transpose(-2, -1)) * kw["scale"]
    bias = _attn_bias(kw["mask"], q.shape[-2], k.shape[-2], kw["causal"], q.dtype.np)
    if bias is not None:
        s = s + _wrap(bias)
    p = softmax(s, -1)
    n = ctx.needs_input_grad
    gp = g @ v.transpose(-2, -1)
    gs = p * (gp - (gp * p).sum(-1, keepdim=True)) * kw["scale"]
    return (gs @ k if n[0] else None, gs.transpose(-2, -1) @ q if n[1] else None,
            p.transpose(-2, -1) @ g if n[2] else None)


def _batched_matmul(a, b):
    """matmul of >=3-d operands as PyTorch lowers it: expand, fold into bmm, unsafe view."""
    from .shape import broadcast_shapes
    batch = tuple(broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    n, k, p = a.shape[-2], a.shape[-1], b.shape[-1]
    bs = int(np.prod(batch)) if batch else 1
    a3 = a.expand(batch + (n, k)).reshape(bs, n, k)
    b3 = b.expand(batch + (k, p)).reshape(bs, k, p)
    return _unsafe_view(a3.bmm(b3), shape=batch + (n, p))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    sc = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    fused = (dropout_p == 0.0 and not enable_gqa and query.dim() in (3, 4)
             and query.shape[-1] == value.shape[-1])
    if not fused:
        # PyTorch's math path: both operands scaled by sqrt(scale), two batched matmuls
        root = math.sqrt(sc)
        s = _batched_matmul(query * root, (key * root).transpose(-2, -1))
        bias = _attn_bias(None if attn_mask is None else attn_mask._data, query.shape[-2],
                          key.shape[-2], is_causal, query.dtype.np)
        if bias is not None:
            s = s + _wrap(bias)
        p = softmax(s, -1)
        if dropout_p > 0.0:
            p = dropout(p, dropout_p, True)
        return _batched_matmul(p, value)
    mask = None if attn_mask is None else attn_mask._data
    if query.dim() == 3:
        # the fused kernel takes (N, heads, L, E): 3-d inputs gain a batch dim around it
        return _sdpa(query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0), mask=mask,
                     causal=bool(is_causal), scale=sc).squeeze(0)
    return _sdpa(query, key, value, mask=mask, causal=bool(is_causal), scale=sc)
