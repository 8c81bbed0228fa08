"""ember.fft: discrete Fourier transforms, as ``torch.fft``, computed by ``numpy.fft``.

Every public function is built, as PyTorch builds it, from three primitive ops:
``_c2c`` (complex to complex), ``_r2c`` (real to complex, optionally one-sided) and
``_c2r`` (one-sided complex to real), plus conjugation, padding and slicing.  So the
autograd graph carries PyTorch's node names (FftC2CBackward0, FftR2CBackward0,
FftC2RBackward0, ConjBackward0 ...), and each backward is itself made of these ops,
which makes higher-order gradients work.

Normalisation is passed around as PyTorch's mode number: 0 no scaling, 1 by 1/sqrt(n),
2 by 1/n, where n is the product of the transformed signal sizes.

Output layout: PyTorch's CPU (MKL) plan moves batch dimensions first (largest input
stride first), the transformed dimensions last, writes a contiguous result in that order
and permutes it back.  ``_exec`` does the same, so strides agree with torch.
"""
from . import _dtype as D
from . import _errors
from ._backend import np
from .autograd.op import Op
from ._ops._util import Tensor, _wrap, TYPE_NAMES
from ._ops.linalg import _out
from ._ops.resample import constant_pad_nd as _pad
from ._ops.shape_extra import roll as _roll

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]

# numpy's ``norm`` string giving PyTorch's mode, for a forward / an inverse numpy call
_NP_NORM = {True: ("backward", "ortho", "forward"), False: ("forward", "ortho", "backward")}
_COMPLEX = {D.float32: D.complex64, D.float64: D.complex128}


# --- the primitive ops -------------------------------------------------------------------

def _exec(a, dims, fn):
    """Run ``fn(array, axes)`` over ``dims`` laid out as torch's CPU plan lays them out."""
    sig = set(dims)
    st = a.strides
    batch = sorted((d for d in range(a.ndim) if d not in sig), key=lambda d: -st[d])
    perm = batch + list(dims)
    nb = len(batch)
    r = np.ascontiguousarray(fn(a.transpose(perm), tuple(range(nb, a.ndim))))
    return r.transpose(np.argsort(perm))


def _sort_dims(a, dims):
    """torch orders the transformed dims by input stride, largest first."""
    return sorted(dims, key=lambda d: -a.strides[d])


def _c2c_fwd(ctx, a, dims, mode, forward):
    if not dims:
        return a.copy()
    f = np.fft.fftn if forward else np.fft.ifftn
    norm = _NP_NORM[forward][mode]
    return _exec(a, _sort_dims(a, dims), lambda t, ax: f(t, axes=ax, norm=norm))


def _r2c_fwd(ctx, a, dims, mode, onesided):
    norm = _NP_NORM[True][mode]
    n = a.shape[dims[-1]]

    def run(t, ax):
        r = np.fft.rfftn(t, axes=ax, norm=norm)
        if onesided:
            return r
        # the full spectrum by Hermitian symmetry, exactly as torch fills it
        full = np.empty(t.shape[:-1] + (n,), r.dtype)
        h = r.shape[-1]
        full[..., :h] = r
        if n > h:  # only 1-D transforms (torch.fft.fft of a real signal) get here
            full[..., h:] = np.conj(r[..., n - h:0:-1])
        return full
    return _exec(a, _sort_dims(a, dims[:-1]) + [dims[-1]], run)


def _c2r_fwd(ctx, a, dims, mode, last):
    if len(dims) > 1:  # as torch: inverse c2c over the leading dims, then a 1-D c2r
        a = _c2c_fwd(None, a, dims[:-1], mode, False)
        dims = dims[-1:]
    norm = _NP_NORM[False][mode]
    return _exec(a, dims, lambda t, ax: np.fft.irfft(t, n=last, axis=-1, norm=norm))


_c2c = Op("FftC2CBackward0", _c2c_fwd, saves=())
_r2c = Op("FftR2CBackward0", _r2c_fwd, saves=())
_c2r = Op("FftC2RBackward0", _c2r_fwd, saves=())
_conj = Op("ConjBackward0", lambda ctx, a: np.conj(a), saves=())
_conj_physical = Op("ConjPhysicalBackward0", lambda ctx, a: np.conj(a), saves=())
_real = Op("RealBackward0", lambda ctx, a: np.ascontiguousarray(a.real), saves=())


@_c2c.backward
def _(ctx, g):
    kw = ctx.kw
    return _c2c(g, dims=kw["dims"], mode=kw["mode"], forward=not kw["forward"])


@_r2c.backward
def _(ctx, g):
    # onesided r2c = full c2c then dropping the upper half: put zeros there, invert
    dims, mode = ctx.kw["dims"], ctx.kw["mode"]
    d = dims[-1]
    missing = ctx.inputs[0].shape[d] - g.shape[d]
    if ctx.kw["onesided"] and missing > 0:
        g = _pad(g, [0, 0] * (g.dim() - 1 - d) + [0, missing])
    return _real(_c2c(g, dims=dims, mode=mode, forward=False))


@_c2r.backward
def _(ctx, g):
    # c2r reads the one-sided half twice for every bin whose mirror lies outside it
    dims, mode = ctx.kw["dims"], ctx.kw["mode"]
    gi = _r2c(g, dims=dims, mode=mode, onesided=True)
    d = dims[-1]
    h = gi.shape[d]
    double = ctx.kw["last"] - h
    if double > 0:
        scale = np.ones(h, gi.dtype.np.type(0).real.dtype)
        scale[1:1 + double] = 2
        gi = gi * _wrap(scale.reshape((h,) + (1,) * (gi.dim() - 1 - d)))
    return gi


_conj.backward(lambda ctx, g: _conj(g))
_conj_physical.backward(lambda ctx, g: _conj_physical(g))
_real.backward(lambda ctx, g: g.to(_COMPLEX[g.dtype]))


# --- argument handling -------------------------------------------------------------------

def _check_input(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(x).__name__}")


def _check_int(name, arg, v):
    if v is not None and (isinstance(v, (bool, float)) or not hasattr(v, "__index__")):
        raise TypeError(f"fft_{name}(): argument '{arg}' must be int, not {type(v).__name__}")


def _promote(x, require_complex=False):
    """torch's promote_tensor_fft: integers to the default float, complex if asked."""
    dt = x.dtype
    if dt.is_complex:
        return x
    new = dt if dt.is_floating_point else D.get_default_dtype()
    if new not in _COMPLEX:
        raise NotImplementedError(f"Unsupported dtype {TYPE_NAMES[new.name]}")
    if require_complex:
        new = _COMPLEX[new]
    return x if new is dt else x.to(new)


def _mode(norm, forward):
    if norm is None or norm == "backward":
        return 0 if forward else 2
    if norm == "forward":
        return 2 if forward else 0
    if norm == "ortho":
        return 1
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _wrap_dim(d, ndim):
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return _errors.wrap_dim(d, ndim)


def _check_n(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _resize(x, dims, sizes):
    """Slice dims that are too long, then zero-pad (one pad) those too short."""
    pad = [0] * (2 * x.dim())
    padded = False
    for d, n in zip(dims, sizes):
        have = x.shape[d]
        if have < n:
            pad[len(pad) - 2 * d - 1] = n - have
            padded = True
        elif have > n:
            x = x.narrow(d, 0, n)
    return _pad(x, pad) if padded else x


def _complex_out(name, out):
    if out is not None and not out.dtype.is_complex:
        raise RuntimeError(f"{name} expects a complex output tensor, but got "
                           f"{TYPE_NAMES[out.dtype.name]}")


def _real_out(name, out):
    if out is not None and out.dtype.is_complex:
        raise RuntimeError(f"{name} expects a floating point output tensor, but got "
                           f"{TYPE_NAMES[out.dtype.name]}")


# --- one-dimensional transforms ----------------------------------------------------------

def _one_c2c(name, x, n, dim, norm, forward, out):
    _check_input(name, x)
    if not x.dtype.is_complex:
        return _one_r2c(name, x, n, dim, norm, forward, False, out)
    _check_int(name, "n", n)
    _check_int(name, "dim", dim)
    _complex_out(name, out)
    d = _wrap_dim(dim, x.dim())
    if n is not None:
        _check_n(n)
        x = _resize(x, [d], [n])
    else:
        _check_n(x.shape[d])
    return _out(_c2c(x, dims=[d], mode=_mode(norm, forward), forward=forward), out)


def _one_r2c(name, x, n, dim, norm, forward, onesided, out):
    _check_input(name, x)
    _check_int(name, "n", n)
    _check_int(name, "dim", dim)
    if x.dtype.is_complex:
        raise TypeError(f"{name} expects a real input tensor, but got "
                        f"{TYPE_NAMES[x.dtype.name]}")
    _complex_out(name, out)
    x = _promote(x)
    d = _wrap_dim(dim, x.dim())
    if n is not None:
        _check_n(n)
        x = _resize(x, [d], [n])
    else:
        _check_n(x.shape[d])
    r = _r2c(x, dims=[d], mode=_mode(norm, forward), onesided=onesided)
    return _out(r if forward else _conj(r), out)


def _one_c2r(name, x, n, dim, norm, forward, out):
    _check_input(name, x)
    _check_int(name, "n", n)
    _check_int(name, "dim", dim)
    _real_out(name, out)
    x = _promote(x, True)
    d = _wrap_dim(dim, x.dim())
    last = n if n is not None else 2 * (x.shape[d] - 1)
    _check_n(last)
    if n is not None:
        x = _resize(x, [d], [last // 2 + 1])
    mode = _mode(norm, forward)
    if forward:
        x = _conj(x)
    return _out(_c2r(x, dims=[d], mode=mode, last=last), out)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """1-D discrete Fourier transform (complex output)."""
    return _one_c2c("fft", input, n, dim, norm, True, out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """1-D inverse discrete Fourier transform."""
    return _one_c2c("ifft", input, n, dim, norm, False, out)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """1-D transform of a real signal: the n // 2 + 1 non-negative frequencies."""
    return _one_r2c("rfft", input, n, dim, norm, True, True, out)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of rfft: a real signal of length n (default 2 * (size - 1))."""
    return _one_c2r("irfft", input, n, dim, norm, False, out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """1-D transform of a Hermitian-symmetric signal given by its one-sided half."""
    return _one_c2r("hfft", input, n, dim, norm, True, out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of hfft: the one-sided half of the inverse transform of a real signal."""
    return _one_r2c("ihfft", input, n, dim, norm, False, True, out)


# --- n-dimensional transforms ------------------------------------------------------------

def _as_list(v):
    if v is None:
        return None
    return [v] if isinstance(v, int) else list(v)


def _shape_and_dims(x, s, dim):
    """torch's canonicalize_fft_shape_and_dim_args."""
    nd = x.dim()
    s, dim = _as_list(s), _as_list(dim)
    if dim is not None:
        if nd == 0 and dim:
            raise IndexError(f"Dimension specified as {dim[0]} but tensor has no dimensions")
        dim = [_errors.wrap_dim(d, nd) for d in dim]
        if len(set(dim)) != len(dim):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        if dim is not None and len(dim) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > nd:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{nd} dimensions.")
        if dim is None:
            dim = list(range(nd - len(s), nd))
        s = [x.shape[d] if n == -1 else n for d, n in zip(dim, s)]
    elif dim is None:
        dim, s = list(range(nd)), list(x.shape)
    else:
        s = [x.shape[d] for d in dim]
    for n in s:
        _check_n(n)
    return s, dim


def _c2r_shape(name, x, s, dim):
    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError(f"{name} must transform at least one axis")
    s = _as_list(s)
    last = 2 * (x.shape[dims[-1]] - 1) if s is None or s[-1] == -1 else shape[-1]
    _check_n(last)
    shape[-1] = last // 2 + 1
    return shape, dims, last


def _n_c2c(name, x, s, dim, norm, forward, out):
    _check_input(name, x)
    _complex_out(name, out)
    shape, dims = _shape_and_dims(x, s, dim)
    x = _resize(_promote(x, True), dims, shape)
    return _out(_c2c(x, dims=dims, mode=_mode(norm, forward), forward=forward), out)


def _n_r2c(name, x, s, dim, norm, out):
    _check_input(name, x)
    if x.dtype.is_complex:
        raise TypeError(f"rfftn expects a real-valued input tensor, but got "
                        f"{TYPE_NAMES[x.dtype.name]}")
    _complex_out(name, out)
    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _resize(_promote(x), dims, shape)
    return _out(_r2c(x, dims=dims, mode=_mode(norm, True), onesided=True), out)


def _n_c2r(name, x, s, dim, norm, out):
    _check_input(name, x)
    _real_out(name, out)
    shape, dims, last = _c2r_shape("irfftn", x, s, dim)
    x = _resize(_promote(x, True), dims, shape)
    return _out(_c2r(x, dims=dims, mode=_mode(norm, False), last=last), out)


def _n_hfft(name, x, s, dim, norm, out):
    _check_input(name, x)
    _real_out(name, out)
    shape, dims, last = _c2r_shape("hfftn", x, s, dim)
    x = _resize(_promote(x, True), dims, shape)
    mode = _mode(norm, True)
    if len(dims) > 1:
        x = _c2c(x, dims=dims[:-1], mode=mode, forward=True)
    return _out(_c2r(_conj(x), dims=dims[-1:], mode=mode, last=last), out)


def _n_ihfft(name, x, s, dim, norm, out):
    _check_input(name, x)
    _complex_out(name, out)
    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError("ihfftn must transform at least one axis")
    if x.dtype.is_complex:
        raise TypeError("Only supports floating-point dtypes, but found: "
                        f"{TYPE_NAMES[x.dtype.name]}")
    x = _resize(_promote(x), dims, shape)
    mode = _mode(norm, False)
    r = _r2c(x, dims=dims[-1:], mode=mode, onesided=True)
    if len(dims) == 1:
        return _out(_conj(r), out)
    r = _conj_physical(r)
    return _out(_c2c(r, dims=dims[:-1], mode=mode, forward=False), out)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """N-D discrete Fourier transform over ``dim`` (all dims by default)."""
    return _n_c2c("fftn", input, s, dim, norm, True, out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_c2c("ifftn", input, s, dim, norm, False, out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_r2c("rfftn", input, s, dim, norm, out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_c2r("irfftn", input, s, dim, norm, out)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_hfft("hfftn", input, s, dim, norm, out)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_ihfft("ihfftn", input, s, dim, norm, out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """2-D discrete Fourier transform (the last two dims by default)."""
    return _n_c2c("fft2", input, s, dim, norm, True, out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_c2c("ifft2", input, s, dim, norm, False, out)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_r2c("rfft2", input, s, dim, norm, out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_c2r("irfft2", input, s, dim, norm, out)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_hfft("hfft2", input, s, dim, norm, out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_ihfft("ihfft2", input, s, dim, norm, out)


# --- frequencies and shifts --------------------------------------------------------------

def _freq(name, k, n, d, out, dtype, device, requires_grad):
    from ._creation import tensor as _tensor
    dt = dtype if dtype is not None else D.get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if dt.is_complex:  # torch's check passes, then its arange has no complex kernel
        raise NotImplementedError(f'"arange_cpu" not implemented for \'{TYPE_NAMES[dt.name]}\'')
    # torch multiplies by 1 / (n * d), rounded to the tensor's precision
    step = np.asarray(1.0 / (n * d) if n * d else float("inf")).astype(dt.np)
    with np.errstate(invalid="ignore"):
        r = k.astype(dt.np) * step
    t = _tensor(r, dtype=dt, device=device, requires_grad=requires_grad)
    return _out(t, out)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, pin_memory=False,
            requires_grad=False):
    """Sample frequencies of an n-point fft: [0, 1, ..., -(n // 2), ..., -1] / (d * n)."""
    k = np.arange(n)
    k[(n + 1) // 2:] -= n
    return _freq("fftfreq", k, n, d, out, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, pin_memory=False,
             requires_grad=False):
    """Sample frequencies of an n-point rfft: [0, 1, ..., n // 2] / (d * n)."""
    return _freq("rfftfreq", np.arange(n // 2 + 1), n, d, out, dtype, device, requires_grad)


def _shift(x, dim, up):
    if dim is None:
        dims = list(range(x.dim()))
    else:
        dims = [_errors.wrap_dim(d, x.dim()) for d in _as_list(dim)]
    if not dims:
        raise RuntimeError("`shifts` required")
    shifts = [(x.shape[d] + up) // 2 for d in dims]
    return _roll(x, shifts, dims)


def fftshift(input, dim=None):
    """Move the zero frequency to the centre (roll by size // 2)."""
    return _shift(input, dim, 0)


def ifftshift(input, dim=None):
    """Inverse of fftshift (roll by (size + 1) // 2)."""
    return _shift(input, dim, 1)

