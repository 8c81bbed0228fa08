"""Neural-network ops: activations, the softmax family, linear, dropout, embedding.

Forwards run on arrays; backwards are written with ember ops, so create_graph works
through them.  The other families live beside this file -- conv.py (convolution,
unfold/fold), pooling.py, normalization.py, distance.py, attention.py, loss.py and
resample.py (pad, interpolate, pixel shuffle, grid sampling) -- and the names among them
that PyTorch has at top level are re-exported from here (``ember.<name>``).
"""
import math
import warnings

from .. import _errors
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install
from .inplace import apply_inplace
from .linalg import addmm, matmul
from .pointwise import _threshold_backward

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
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
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
        raise RuntimeError("approximate argument must be either none or tanh.")
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
    _need_float(input, "softshrink_check")
    if lambd < 0:
        top = "3.40282e+38" if input.dtype is not D.float64 else "1.79769e+308"
        raise RuntimeError(f"lambda must be in range [0, {top}] for input dtype "
                           f"{_tname(input.dtype)}, but found {lambd:g}")
    return _softshrink(input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    _need_float(input, "hardshrink_cpu")
    return _hardshrink(input, lambd=lambd)


def _threshold_fwd(c, a, threshold, value):
    # nan is not <= threshold, so it stays nan
    return np.where(a <= threshold, np.asarray(value).astype(a.dtype), a)


_threshold = _unary_op("ThresholdBackward0", _threshold_fwd,
                       lambda c, g: _threshold_backward(g, c.inputs[0], c.kw["threshold"]))


def _threshold_ip_fwd(c, a, threshold, value):
    # the input is overwritten: keep which entries were replaced
    c.replaced = _wrap(np.less_equal(a, threshold))
    return _threshold_fwd(c, a, threshold, value)


_threshold_ip = _unary_op(
    "ThresholdBackward1", _threshold_ip_fwd,
    lambda c, g: _pick(c.replaced, 0.0, g, g), saves_output=True, saves=())


def threshold(input, threshold, value, inplace=False):
    if inplace:
        return apply_inplace(input, lambda s: _threshold_ip(s, threshold=threshold,
                                                            value=value), needs_self=False)
    return _threshold(input, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    # the parameter shadows the function of the same name (PyTorch's signature)
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
    _need_float(input, "leaky_relu_cpu")
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
    """A Bernoulli(1 - p) mask drawn from ember's generator, as PyTorch draws it.

    PyTorch fills an ``empty_like`` of the input, which keeps the input's memory
    layout, and draws in memory order: so draw over the dims sorted by stride and
    permute back, and ``dropout(x.t())`` equals ``dropout(x).t()`` under one seed."""
    if tuple(shape) != tuple(input.shape) or input.is_contiguous():
        return input.detach().new_empty(shape).bernoulli_(1 - p)
    strides = input.stride()
    order = sorted(range(input.dim()), key=lambda d: (-strides[d], d))
    inverse = [order.index(d) for d in range(input.dim())]
    mem = input.detach().new_empty([shape[d] for d in order]).bernoulli_(1 - p)
    return mem.permute(inverse)


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


install({
    "softmax": lambda self, dim=None, dtype=None: softmax(self, dim, dtype),
    "log_softmax": lambda self, dim=None, dtype=None: log_softmax(self, dim, dtype),
    "hardshrink": hardshrink, "prelu": prelu,
})

from .embedding import *  # noqa: E402,F401,F403
from .embedding import __all__ as _emb_all  # noqa: E402
from .normalization import *  # noqa: E402,F401,F403
from .normalization import __all__ as _norm_all  # noqa: E402
from .distance import *  # noqa: E402,F401,F403
from .distance import __all__ as _dist_all  # noqa: E402
from .loss import *  # noqa: E402,F401,F403
from .loss import __all__ as _loss_all  # noqa: E402
from .pooling import *  # noqa: E402,F401,F403
from .pooling import __all__ as _pool_all  # noqa: E402
from .resample import *  # noqa: E402,F401,F403
from .resample import __all__ as _resample_all  # noqa: E402

__all__ = ["softmax", "log_softmax", "selu", "selu_", "celu", "celu_", "hardshrink",
           "threshold", "threshold_", "prelu", "rrelu", "rrelu_", "bilinear", "dropout",
           "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
           "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_"] \
    + _emb_all + _norm_all + _dist_all + _loss_all + _pool_all \
    + _resample_all


def adaptive_max_pool1d(input, output_size):
    """torch.adaptive_max_pool1d: (values, indices), unlike the functional form."""
    from .pooling import adaptive_max_pool1d as f
    return f(input, output_size, True)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    from .pooling import max_pool1d
    return max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode, True)


__all__ += ["max_pool1d_with_indices"]
