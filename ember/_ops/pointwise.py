"""Binary math (maximum, atan2, hypot, copysign...), comparisons, logic and bit ops,
predicates, and the selecting/ternary ops: where, clamp, lerp, addcmul/addcdiv,
nan_to_num.  Re-exported by elementwise, whose helpers they share."""
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op import Op
from .complex import holomorphic
from ._util import (D, HALF, TYPE_NAMES, Tensor, _wrap, np, checked_scalar, finish, fix_layout,
                    install, like_input, not_implemented, operand, opmath, preserve_copy,
                    result_dtype, scalar_opmath)
from .elementwise import (_CPLX, _F32, _INT, _bcast_error, _fl, _not_tensor, _out, _reject,
                          _run2)



# --- binary math ------------------------------------------------------------------------

def _binary(name, ufunc, backward, floating=False, reject=(), kernel=None, saves=None,
            saves_output=False, complex_error=None):
    """A tensor-tensor op: ``ufunc`` on arrays, ``backward(ctx, g, a, b)`` on Tensors."""
    op = Op(name, lambda ctx, a, b, dt: _run2(ufunc, a, b, dt), saves=saves,
            saves_output=saves_output)
    if backward is not None:
        op.backward(lambda ctx, g: backward(ctx, g, *ctx.inputs))
    fname = name.replace("Backward0", "").lower()
    kname = kernel or fname + "_cpu"

    def public(input, other, *, out=None):
        if not isinstance(other, Tensor):
            raise _not_tensor(fname, other, "other", 2)
        dt = result_dtype(input, other)
        if complex_error and dt.is_complex:
            raise RuntimeError(complex_error)
        _reject(kname, dt, reject)
        if floating and dt.category <= _INT:
            dt = D.get_default_dtype()
        return _out(op(input, other, dt=dt), out)
    public.__name__ = fname
    return public


def _maxmin_grad(g, a, b, sign):
    """PyTorch's tie-splitting gradient of max/min-like ops."""
    n = where(a == b, g / 2, g)
    lose_a, lose_b = (a < b, a > b) if sign > 0 else (a > b, a < b)
    return n.masked_fill(lose_a, 0), n.masked_fill(lose_b, 0)


def _mm(name, ufunc, sign):
    return _binary(name, ufunc, lambda c, g, a, b: _maxmin_grad(g, a, b, sign),
                   complex_error=f"{name[:4].lower()}{name[4:-9]} not implemented for complex "
                                 f"tensors.")


# On ties (0.0 and -0.0) PyTorch returns the first operand, NumPy the second: swap them.
maximum = _mm("MaximumBackward0", lambda a, b: np.maximum(b, a), 1)
minimum = _mm("MinimumBackward0", lambda a, b: np.minimum(b, a), -1)
fmax = _mm("FmaxBackward0", lambda a, b: np.where((b > a) | (a != a), b, a), 1)
fmin = _mm("FminBackward0", lambda a, b: np.where((b < a) | (a != a), b, a), -1)


def _atan2_grad(c, g, a, b):
    a, b = _fl(a, g), _fl(b, g)
    recip = (a * a + b * b).reciprocal()
    return g * b * recip, g * -a * recip


atan2 = _binary("Atan2Backward0", np.arctan2, _atan2_grad, floating=True, reject=_CPLX)
arctan2 = atan2
hypot = _binary("HypotBackward0", np.hypot, lambda c, g, a, b: (g * a / c.result,
                                                               g * b / c.result),
                reject=("bool", "int", "complex"), saves_output=True)
logaddexp = _binary("LogaddexpBackward0", np.logaddexp,
                    lambda c, g, a, b: (g / (1 + (_fl(b, g) - _fl(a, g)).exp()),
                                        g / (1 + (_fl(a, g) - _fl(b, g)).exp())),
                    reject=("bool", "int"))


def _copysign_grad(c, g, a, b=None):
    ratio = (c.result / a).masked_fill(a == 0, 0)
    return (g * ratio, None) if b is not None else g * ratio


_copysign_s = Op("CopysignBackward1", lambda ctx, a, other, dt: _run2(np.copysign, a, other, dt),
                 saves_output=True)
_copysign_s.backward(lambda ctx, g: _copysign_grad(ctx, g, ctx.inputs[0]))
_copysign_t = Op("CopysignBackward0", lambda ctx, a, b, dt: _run2(np.copysign, a, b, dt),
                 saves_output=True)


@_copysign_t.backward
def _(ctx, g):
    ga, _ = _copysign_grad(ctx, g, *ctx.inputs)
    return ga, (ctx.inputs[1] * 0 if ctx.needs_input_grad[1] else None)


def copysign(input, other, *, out=None):
    dt = result_dtype(input, other)
    _reject("copysign_cpu", dt, _CPLX)
    if dt.category <= _INT:
        dt = D.get_default_dtype()
    if isinstance(other, Tensor):
        return _out(_copysign_t(input, other, dt=dt), out)
    return _out(_copysign_s(input, other=other, dt=dt), out)


# --- comparisons, logic, bits (never differentiable) --------------------------------------

def _compare(ufunc, name, ordered):
    def fn(input, other, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"({type(input).__name__}, {type(other).__name__})")
        dt = result_dtype(input, other)
        if ordered and dt.is_complex:
            raise not_implemented(f"{name}_cpu", dt)
        try:
            r = ufunc(operand(input._data, dt), operand(
                other._data if isinstance(other, Tensor) else other, dt))
        except ValueError:
            raise _bcast_error(input, other) from None
        return _out(_wrap(fix_layout(r, (input._data, getattr(other, "_data", None)))), out)
    fn.__name__ = name
    return fn


eq = _compare(np.equal, "eq", False)
ne = _compare(np.not_equal, "ne", False)
lt = _compare(np.less, "lt", True)
le = _compare(np.less_equal, "le", True)
gt = _compare(np.greater, "gt", True)
ge = _compare(np.greater_equal, "ge", True)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(ufunc, name):
    def fn(input, other, *, out=None):
        if not isinstance(other, Tensor):
            raise _not_tensor(name, other, "other", 2)
        a, b = input._data, other._data
        try:
            r = ufunc(a, b)
        except ValueError:
            raise _bcast_error(input, other) from None
        return _out(_wrap(fix_layout(r, (a, b))), out)
    fn.__name__ = name
    return fn


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input, *, out=None):
    a = input._data
    return _out(_wrap(like_input(np.logical_not(a), a)), out)


def _bitwise(ufunc, name, kernel, no_bool=False):
    def fn(input, other, *, out=None):
        dt = result_dtype(input, other)
        if dt.category > _INT or (no_bool and dt is D.bool):
            raise not_implemented(kernel, dt)
        try:
            r = ufunc(operand(input._data if isinstance(input, Tensor) else input, dt),
                      operand(other._data if isinstance(other, Tensor) else other, dt))
        except ValueError:
            raise _bcast_error(input, other) from None
        return _out(_wrap(fix_layout(finish(r, dt), (
            getattr(input, "_data", None), getattr(other, "_data", None)))), out)
    fn.__name__ = name
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and", "bitwise_and_cpu")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or", "bitwise_or_cpu")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor", "bitwise_xor_cpu")
bitwise_left_shift = _bitwise(np.left_shift, "bitwise_left_shift", "lshift_cpu", True)
bitwise_right_shift = _bitwise(np.right_shift, "bitwise_right_shift", "rshift_cpu", True)


def bitwise_not(input, *, out=None):
    if input.dtype.category > _INT:
        raise not_implemented("bitwise_not_cpu", input.dtype)
    a = input._data
    return _out(_wrap(like_input(np.invert(a), a)), out, same=True)


def _invert(self):
    if self.dtype.category > _INT:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


def _predicate(fn, name, cplx=None, like=False, real_like=False):
    def pred(input):
        if cplx and input.dtype.is_complex:
            raise cplx
        a = input._data
        r = fn(a.astype(_F32) if a.dtype in HALF else a)
        # ``like``: PyTorch answers integer inputs (``real_like``: all real inputs) with
        # zeros_like/ones_like, which keep the input's strides
        exact = (like and a.dtype.kind in "biu") or real_like
        return _wrap(like_input(r, a, exact=exact) if r.ndim > 1 else r)
    pred.__name__ = name
    return pred


isnan = _predicate(np.isnan, "isnan")
isinf = _predicate(np.isinf, "isinf", like=True)
isfinite = _predicate(np.isfinite, "isfinite", like=True)
isposinf = _predicate(np.isposinf, "isposinf",
                      RuntimeError("isposinf does not support complex inputs."))
isneginf = _predicate(np.isneginf, "isneginf",
                      RuntimeError("isneginf does not support complex inputs."))
isreal = _predicate(np.isreal, "isreal", real_like=True)
signbit = _predicate(np.signbit, "signbit", cplx=
                     NotImplementedError("signbit is not implemented for complex tensors."))


def _close_arrays(a, b, rtol, atol, equal_nan):
    if not isinstance(b, Tensor):
        raise _not_tensor("isclose", b, "other", 2)
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{TYPE_NAMES[a.dtype.name]} did not match "
                           f"{TYPE_NAMES[b.dtype.name]}")
    x, y = a._data, b._data
    if x.dtype in HALF:
        x, y = x.astype(_F32), y.astype(_F32)
    if x.dtype == np.bool_:
        try:
            return np.equal(x, y)
        except ValueError:
            raise _bcast_error(a, b) from None
    try:
        return np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except ValueError:
        raise _bcast_error(a, b) from None


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(_close_arrays(input, other, rtol, atol, equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.all(_close_arrays(input, other, rtol, atol, equal_nan)))


def equal(input, other):
    if input.shape != other.shape:
        return False
    return bool(np.array_equal(input._data, other._data))


# --- where, clamp, lerp, addcmul, nan_to_num ----------------------------------------

def _where_fwd(ctx, a, b, dt, cond):
    if dt.np in HALF:
        x, y = opmath(a, dt), opmath(b, dt)
    else:
        x, y = operand(a, dt), operand(b, dt)
    try:
        r = np.where(cond, x, y)
    except ValueError:
        raise _bcast_error(cond, a, b) from None
    return fix_layout(finish(r, dt), (cond, a, b))


_where = Op("WhereBackward0", _where_fwd, saves=())


@_where.backward
def _(ctx, g):
    cond = _wrap(ctx.kw["cond"])
    n = ctx.needs_input_grad
    return (where(cond, g, 0.0) if n[0] else None), (where(cond, 0.0, g) if n[1] else None)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    if condition.dtype is not D.bool:
        if condition.dtype is not D.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {TYPE_NAMES[condition.dtype.name]}")
        condition = _wrap(condition._data.astype(bool))
    dt = D.result_type(input, other)
    if out is not None and out.dtype is not dt:
        raise RuntimeError(f"Expected out type to be {TYPE_NAMES[dt.name]} but got "
                           f"{TYPE_NAMES[out.dtype.name]}")
    return _out(_where(input, other, dt=dt, cond=condition._data), out)


_MASK_INT = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _threshold_backward(grad, self, threshold):
    """``grad`` where ``self > threshold`` (nan counts as above), else 0: the
    backward of relu and threshold.  Without a graph to record, a float32/float64
    gradient is masked with integer bit operations, exact and several times faster
    than ``np.where`` on an unpredictable mask."""
    g, x = grad._data, self._data
    it = _MASK_INT.get(g.dtype)
    if it is None or _grad_state.enabled or g.shape != x.shape or not g.ndim:
        return where(self <= threshold, 0.0, grad)
    keep = np.less_equal(x, threshold).astype(it)  # 1 where zeroed
    keep -= 1                                      # 0 there, all ones elsewhere
    np.bitwise_and(g.view(it), keep, out=keep)
    return _wrap(keep.view(g.dtype))


def _clamp_fwd(ctx, a, lo, hi, dt):
    x = opmath(a, dt)
    if lo is not None:
        x = np.maximum(opmath(lo, dt), x)  # ties keep x (a signed zero), as PyTorch
    if hi is not None:
        x = np.minimum(opmath(hi, dt), x)
    if x is a:
        x = x.copy()
    return fix_layout(finish(x, dt), (a, lo, hi))


def _clamp_scalar_fwd(ctx, a, dt, min=None, max=None):
    try:
        return _clamp_fwd(ctx, a, min, max, dt)
    except ValueError:
        raise _bcast_error(a, min, max) from None


_clamp_s = Op("ClampBackward1", _clamp_scalar_fwd)


@_clamp_s.backward
def _(ctx, g):
    (x,) = ctx.inputs
    lo, hi = ctx.kw.get("min"), ctx.kw.get("max")
    if lo is not None and hi is not None:
        return where((x > lo) & (x < hi), g, 0.0)
    return where(x > lo, g, 0.0) if lo is not None else where(x < hi, g, 0.0)


def _clamp_tensor_fwd(ctx, a, lo, hi, dt):
    try:
        return _clamp_fwd(ctx, a, lo, hi, dt)
    except ValueError:
        raise _bcast_error(*[v for v in (a, lo, hi) if v is not None]) from None


_clamp_t = Op("ClampBackward0", _clamp_tensor_fwd)


@_clamp_t.backward
def _(ctx, g):
    x, lo, hi = ctx.inputs
    n = ctx.needs_input_grad
    if lo is None or hi is None:
        bound = lo if hi is None else hi
        gx, gb = _maxmin_grad(g, x, bound, 1 if hi is None else -1)
        return gx, (gb if lo is not None else None), (gb if hi is not None else None)
    # PyTorch's rule, NaNs included: x loses its gradient where a bound clamps it,
    # bounds touching x (with lo < hi) split it, and hi wins outright when lo > hi.
    inside, ordered = lo < hi, lo <= hi
    tie = ((x == lo) | (x == hi)) & inside
    gx = where((x < lo) | (x > hi), 0.0, where(tie, g / 2, g))
    glo = where((x < lo) & ordered, g, where((x == lo) & inside, g / 2, 0.0)) if n[1] else None
    ghi = where((lo > hi) | ((x > hi) & ordered), g,
                where((x == hi) & inside, g / 2, 0.0)) if n[2] else None
    return gx, glo, ghi


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if input.dtype.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")
    dt = D.result_type(*[v for v in (input, min, max) if v is not None])
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _out(_clamp_t(input, min, max, dt=dt), out, same=True)
    kw = {k: v for k, v in (("min", min), ("max", max)) if v is not None}
    if dt is D.bool:
        raise not_implemented("clamp_scalar_cpu" if len(kw) == 2 else
                              f"clamp_{next(iter(kw))}_scalar_cpu", dt)
    for v in kw.values():
        checked_scalar(v, dt)  # PyTorch range-checks the bounds in the result type
    return _out(_clamp_s(input, dt=dt, **kw), out, same=True)


clip = clamp


def _clamp_one(name, tensor_name, sign):
    scalar = Op(name, lambda ctx, a, dt, bound: _clamp_fwd(
        ctx, a, bound if sign > 0 else None, bound if sign < 0 else None, dt))
    scalar.backward(lambda ctx, g: where(ctx.inputs[0] > ctx.kw["bound"], g, 0.0) if sign > 0
                    else where(ctx.inputs[0] < ctx.kw["bound"], g, 0.0))
    tensor = Op(tensor_name, lambda ctx, a, b, dt: _clamp_tensor_fwd(
        ctx, a, b if sign > 0 else None, b if sign < 0 else None, dt))
    tensor.backward(lambda ctx, g: _maxmin_grad(g, ctx.inputs[0], ctx.inputs[1], sign))

    def public(input, bound, *, out=None):
        dt = result_dtype(input, bound)
        if isinstance(bound, Tensor):
            return _out(tensor(input, bound, dt=dt), out, same=True)
        return _out(scalar(input, dt=dt, bound=bound), out, same=True)
    return public


clamp_min = _clamp_one("ClampMinBackward0", "ClampMinBackward1", 1)
clamp_max = _clamp_one("ClampMaxBackward0", "ClampMaxBackward1", -1)


def _lerp_np(a, b, w):
    d = b - a
    return np.where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w))


def _lerp_fwd(ctx, a, b, dt, weight):
    w = scalar_opmath(weight, dt)
    try:
        return fix_layout(finish(_lerp_np(opmath(a, dt), opmath(b, dt), w), dt), (a, b))
    except ValueError:
        raise _bcast_error(a, b) from None


def _lerp_t_fwd(ctx, a, b, w, dt):
    try:
        r = _lerp_np(opmath(a, dt), opmath(b, dt), opmath(w, dt))
    except ValueError:
        raise _bcast_error(a, b, w) from None
    return fix_layout(finish(r, dt), (a, b, w))


_lerp_s = Op("LerpBackward0", _lerp_fwd, saves=())
_lerp_s.backward(lambda ctx, g: (g * (1 - ctx.kw["weight"]), g * ctx.kw["weight"]))
_lerp_t = Op("LerpBackward1", _lerp_t_fwd)


@_lerp_t.backward
def _(ctx, g):
    a, b, w = ctx.inputs
    return g * (1 - w), g * w, g * (b - a)


def lerp(input, end, weight, *, out=None):
    for nm, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype is not input.dtype and (nm == "end" or t.dim()):
            raise RuntimeError(f"expected dtype {input.dtype.name.replace('float32', 'float')}"
                               f" for `{nm}` but got dtype "
                               f"{t.dtype.name.replace('float64', 'double')}")
    dt = input.dtype
    if dt.category <= _INT:
        kind = "tensor" if isinstance(weight, Tensor) else "scalar"
        raise not_implemented(f"lerp_kernel_{kind}", dt)
    if isinstance(weight, Tensor):
        return _out(_lerp_t(input, end, weight, dt=dt), out)
    return _out(_lerp_s(input, end, dt=dt, weight=weight), out)


def _addc_fwd(kernel):
    def fwd(ctx, a, t1, t2, dt, value):
        v = opmath(value, dt)
        try:
            r = np.add(opmath(a, dt), kernel(v * opmath(t1, dt), opmath(t2, dt)))
        except ValueError:
            raise _bcast_error(a, t1, t2) from None
        return fix_layout(finish(r, dt), (a, t1, t2))
    return fwd


_addcmul = Op("AddcmulBackward0", _addc_fwd(np.multiply), saves=(1, 2))
_addcdiv = Op("AddcdivBackward0", _addc_fwd(np.true_divide), saves=(1, 2))


@_addcmul.backward
def _(ctx, g):
    _, t1, t2 = ctx.inputs
    v, n = ctx.kw["value"], ctx.needs_input_grad
    return g, (g * (t2 * v) if n[1] else None), (g * (t1 * v) if n[2] else None)


@_addcdiv.backward
def _(ctx, g):
    _, t1, t2 = ctx.inputs
    v, n = ctx.kw["value"], ctx.needs_input_grad
    return g, (g * (v / t2) if n[1] else None), \
        (-g * (v * t1 / (t2 * t2)) if n[2] else None)


holomorphic(_addcmul, _addcdiv, _lerp_s, _lerp_t)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    dt = D.result_type(input, tensor1, tensor2)
    return _out(_addcmul(input, tensor1, tensor2, dt=dt, value=value), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if tensor1.dtype.category <= _INT and tensor2.dtype.category <= _INT:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
            "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    dt = D.result_type(input, tensor1, tensor2)
    return _out(_addcdiv(input, tensor1, tensor2, dt=dt, value=value), out)


def _nan_to_num_fwd(ctx, a, nan, posinf, neginf):
    if a.dtype.kind not in "fcV":
        return preserve_copy(a)  # a clone
    info = np.finfo(a.dtype) if a.dtype.kind != "V" else __import__("ml_dtypes").finfo(a.dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    x = a.astype(_F32) if a.dtype in HALF else a
    r = np.where(np.isnan(x), nan, np.where(x == np.inf, hi, np.where(x == -np.inf, lo, x)))
    return like_input(r.astype(a.dtype), a, exact=True)


_nan_to_num = Op("NanToNumBackward0", _nan_to_num_fwd)
_nan_to_num.backward(lambda ctx, g: g * ctx.inputs[0].isfinite())


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError(f"nan_to_num: dtype of out: {TYPE_NAMES[out.dtype.name]} should be "
                           f"same as input: {TYPE_NAMES[input.dtype.name]}")
    return _out(_nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf), out)


def _eq_method(self, other):
    if isinstance(other, (Tensor, int, float, bool, complex, np.number, np.bool_)):
        return eq(self, other)
    return False


def _ne_method(self, other):
    if isinstance(other, (Tensor, int, float, bool, complex, np.number, np.bool_)):
        return ne(self, other)
    return True


def _swap(fn):
    return lambda self, other: fn(other, self)


install({
    "maximum": maximum, "minimum": minimum, "fmax": fmax, "fmin": fmin, "atan2": atan2,
    "arctan2": atan2, "hypot": hypot, "logaddexp": logaddexp, "copysign": copysign,
    "__invert__": _invert, "__and__": bitwise_and, "__or__": bitwise_or,
    "__xor__": bitwise_xor, "__rand__": bitwise_and, "__ror__": bitwise_or,
    "__rxor__": bitwise_xor, "__lshift__": bitwise_left_shift,
    "__rshift__": bitwise_right_shift, "__rlshift__": _swap(bitwise_left_shift),
    "__rrshift__": _swap(bitwise_right_shift),
    "__eq__": _eq_method, "__ne__": _ne_method, "__lt__": lt, "__le__": le, "__gt__": gt,
    "__ge__": ge, "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt,
    "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "isposinf": isposinf,
    "isneginf": isneginf, "isreal": isreal, "signbit": signbit,
    "isclose": isclose, "allclose": allclose, "equal": equal,
    "where": lambda self, condition, other: where(condition, self, other),
    "clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv, "nan_to_num": nan_to_num,
})

__all__ = [
    "maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "hypot", "logaddexp", "copysign",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    "isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal", "signbit", "isclose",
    "allclose", "equal", "where", "clamp", "clip", "clamp_min", "clamp_max", "lerp",
    "addcmul", "addcdiv", "nan_to_num",
]
