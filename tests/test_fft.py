"""ember.fft against torch.fft: values, dtypes, strides, norms, n/s, dims, gradients, errors."""
import numpy as np
import pytest

from parity import check, torch

import ember
import ember.fft  # noqa: F401

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((2, 3, 4))
CPLX = REAL + 1j * RNG.standard_normal((2, 3, 4))
DTYPES = ["float32", "float64", "complex64", "complex128"]
NORMS = [None, "backward", "ortho", "forward"]


def _arr(dtype, shape=(2, 3, 4)):
    src = CPLX if dtype.startswith("complex") else REAL
    return np.ascontiguousarray(src[tuple(slice(0, s) for s in shape)]).astype(dtype)


def _rtol(dtype):
    return 1e-4 if dtype in ("float32", "complex64") else 1e-10


# --- values ----------------------------------------------------------------------------

C2C = {
    "fft": lambda m, x, nm: m.fft.fft(x, norm=nm),
    "fft_n_pad_d0": lambda m, x, nm: m.fft.fft(x, n=5, dim=0, norm=nm),
    "fft_n_trim": lambda m, x, nm: m.fft.fft(x, n=3, norm=nm),
    "ifft": lambda m, x, nm: m.fft.ifft(x, norm=nm),
    "ifft_n_d1": lambda m, x, nm: m.fft.ifft(x, n=2, dim=1, norm=nm),
    "fft2": lambda m, x, nm: m.fft.fft2(x, norm=nm),
    "fft2_dims": lambda m, x, nm: m.fft.fft2(x, dim=(2, 0), norm=nm),
    "ifft2_s": lambda m, x, nm: m.fft.ifft2(x, s=(5, 2), norm=nm),
    "fftn": lambda m, x, nm: m.fft.fftn(x, norm=nm),
    "fftn_s_minus1": lambda m, x, nm: m.fft.fftn(x, s=(-1, 6), dim=(0, 2), norm=nm),
    "ifftn_dim": lambda m, x, nm: m.fft.ifftn(x, dim=1, norm=nm),
    "fft_transposed": lambda m, x, nm: m.fft.fft(x.transpose(0, 2), norm=nm),
    "fftn_transposed": lambda m, x, nm: m.fft.fftn(x.transpose(0, 2), dim=(0, 1), norm=nm),
    "hfft": lambda m, x, nm: m.fft.hfft(x, norm=nm),
    "hfft_n_d0": lambda m, x, nm: m.fft.hfft(x, n=5, dim=0, norm=nm),
    "irfft": lambda m, x, nm: m.fft.irfft(x, norm=nm),
    "irfft_n_odd": lambda m, x, nm: m.fft.irfft(x, n=7, norm=nm),
    "irfft_n_trim_d1": lambda m, x, nm: m.fft.irfft(x, n=2, dim=1, norm=nm),
    "irfft2": lambda m, x, nm: m.fft.irfft2(x, norm=nm),
    "irfft2_dims": lambda m, x, nm: m.fft.irfft2(x, dim=(0, 1), norm=nm),
    "irfftn_s": lambda m, x, nm: m.fft.irfftn(x, s=(4, 3, 5), norm=nm),
    "hfft2": lambda m, x, nm: m.fft.hfft2(x, norm=nm),
    "hfftn_s": lambda m, x, nm: m.fft.hfftn(x, s=(3, 7), norm=nm),
}
R2C = {
    "rfft": lambda m, x, nm: m.fft.rfft(x, norm=nm),
    "rfft_n_d1": lambda m, x, nm: m.fft.rfft(x, n=5, dim=1, norm=nm),
    "rfft_trim_d0": lambda m, x, nm: m.fft.rfft(x, n=1, dim=0, norm=nm),
    "ihfft": lambda m, x, nm: m.fft.ihfft(x, norm=nm),
    "ihfft_n_d0": lambda m, x, nm: m.fft.ihfft(x, n=3, dim=0, norm=nm),
    "rfft2": lambda m, x, nm: m.fft.rfft2(x, norm=nm),
    "rfft2_dims": lambda m, x, nm: m.fft.rfft2(x, dim=(1, 0), norm=nm),
    "rfftn": lambda m, x, nm: m.fft.rfftn(x, norm=nm),
    "rfftn_s": lambda m, x, nm: m.fft.rfftn(x, s=(3, 5), norm=nm),
    "ihfft2": lambda m, x, nm: m.fft.ihfft2(x, norm=nm),
    "ihfftn": lambda m, x, nm: m.fft.ihfftn(x, norm=nm),
    "ihfftn_dims": lambda m, x, nm: m.fft.ihfftn(x, s=(2, 6), dim=(2, 0), norm=nm),
}


def _values(fn, x):
    # torch's lazy conjugate (ifft/ihfft of real input) is resolved for comparison
    def run(m, x):
        r = fn(m, x)
        return r.resolve_conj() if m is torch else r
    return run


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(C2C))
def test_complex_input(name, dtype):
    x = _arr(dtype)
    for nm in NORMS:
        check(_values(lambda m, x: C2C[name](m, x, nm), x), x=x, rtol=_rtol(dtype), atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(R2C) + ["fft", "ifft", "fft2", "ifftn_dim", "irfft",
                                              "hfft"])
def test_real_input(name, dtype):
    fn = R2C.get(name) or C2C[name]
    x = _arr(dtype)
    for nm in NORMS:
        check(_values(lambda m, x: fn(m, x, nm), x), x=x, rtol=_rtol(dtype), atol=1e-5)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_integer_and_bool_inputs_promote_to_default_float(dtype):
    x = (np.arange(8) % 3).astype(dtype)
    check(lambda m, x: m.fft.fft(x), x=x)
    check(lambda m, x: m.fft.rfft(x), x=x)
    check(lambda m, x: m.fft.fftn(x.reshape(2, 4)), x=x)
    check(lambda m, x: m.fft.irfft(x), x=x)


def test_default_float64_promotes_integers_to_complex128():
    x = np.arange(6)
    old = ember.get_default_dtype()
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        check(lambda m, x: m.fft.fft(x), x=x)
        check(lambda m, x: m.fft.rfft2(x.reshape(2, 3)), x=x)
    finally:
        ember.set_default_dtype(old)
        torch.set_default_dtype(torch.float32)


def test_exact_hermitian_fill_and_printing():
    # torch fills the upper half of fft(real) by symmetry: imaginary parts of DC are exactly 0
    x = np.array([1.0, 2.0, 0.5, -1.0, 3.0], dtype=np.float32)
    t, e = torch.fft.fft(torch.tensor(x)), ember.fft.fft(ember.tensor(x))
    np.testing.assert_allclose(e._data, t.numpy(), rtol=1e-6)
    assert e._data[0].imag == 0 and e._data[4] == np.conj(e._data[1])
    assert repr(t).replace("torch.", "") == repr(e).replace("ember.", "")


def test_zero_dim_and_empty_dims():
    check(lambda m, x: m.fft.fftn(x), x=np.array(2.5))
    check(lambda m, x: m.fft.fftn(x, dim=()), x=_arr("float32"))


def test_out():
    x = _arr("float32")
    check(lambda m, x: m.fft.fft(x, out=m.empty(0, dtype=m.complex64)), x=x)
    check(lambda m, x: m.fft.rfft2(x, out=m.empty(0, dtype=m.complex128)), x=x)
    check(lambda m, x: m.fft.irfft(x, out=m.empty(0, dtype=m.float64)), x=_arr("complex64"))
    check(lambda m, x: m.fft.fft(x, out=m.empty(3)), x=x, match=True)
    check(lambda m, x: m.fft.irfft(x, out=m.empty(3, dtype=m.complex64)), x=x, match=True)


# --- errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m, x: m.fft.fft(x, n=0),
    lambda m, x: m.fft.rfft(x, n=-1),
    lambda m, x: m.fft.irfft(x[..., :1]),
    lambda m, x: m.fft.fft(x, dim=3),
    lambda m, x: m.fft.fft2(x[0, 0]),
    lambda m, x: m.fft.fft(x[0, 0, 0]),
    lambda m, x: m.fft.fftn(x, s=(2,), dim=(0, 1)),
    lambda m, x: m.fft.fftn(x, s=(2, 2, 2, 2)),
    lambda m, x: m.fft.fftn(x, dim=(0, -3)),
    lambda m, x: m.fft.fftn(x, s=(0, 2)),
    lambda m, x: m.fft.irfftn(x, s=(2, 0)),
    lambda m, x: m.fft.fft(x, norm="bad"),
    lambda m, x: m.fft.rfft(x.to(m.complex64)),
    lambda m, x: m.fft.ihfft(x.to(m.complex64)),
    lambda m, x: m.fft.rfftn(x.to(m.complex64)),
    lambda m, x: m.fft.ihfft2(x.to(m.complex64)),
    lambda m, x: m.fft.rfftn(x, dim=()),
    lambda m, x: m.fft.irfftn(x, dim=()),
    lambda m, x: m.fft.hfftn(x, dim=()),
    lambda m, x: m.fft.fft(x.half()),
    lambda m, x: m.fft.rfft(x.bfloat16()),
    lambda m, x: m.fft.fftshift(x[0, 0, 0]),
    lambda m, x: m.fft.fftshift(x, dim=4),
    lambda m, x: m.fft.fft(x, dim=(0,)),
    lambda m, x: m.fft.fft(x, n=2.0),
    lambda m, x: m.fft.fft([1.0, 2.0]),
    lambda m, x: m.fft.fftfreq(3, dtype=m.int64),
])
def test_errors(call):
    check(call, x=_arr("float32"), match=True)


# --- fftfreq, fftshift -------------------------------------------------------------------

@pytest.mark.parametrize("n,d", [(1, 1.0), (5, 0.3), (8, 1.0), (9, 2.5), (0, 1.0), (10, 0.1)])
def test_fftfreq(n, d):
    for f in ("fftfreq", "rfftfreq"):
        check(lambda m: getattr(m.fft, f)(n, d))
        check(lambda m: getattr(m.fft, f)(n, d, dtype=m.float64))
        check(lambda m: getattr(m.fft, f)(n, d=d, dtype=m.complex64), match=True)
        check(lambda m: getattr(m.fft, f)(n, requires_grad=True))
        check(lambda m: getattr(m.fft, f)(n, out=m.empty(0, dtype=m.float64)))
    t, e = torch.fft.fftfreq(n, d), ember.fft.fftfreq(n, d)
    np.testing.assert_array_equal(e._data, t.numpy())  # bitwise, as torch rounds


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), [1]])
def test_fftshift(dim):
    x = np.arange(2 * 5 * 4, dtype=np.float32).reshape(2, 5, 4)
    check(lambda m, x: m.fft.fftshift(x, dim=dim), x=x, grad=True)
    check(lambda m, x: m.fft.ifftshift(x, dim=dim), x=x, grad=True)
    check(lambda m, x: m.fft.ifftshift(m.fft.fftshift(x, dim=dim), dim=dim), x=x)
    check(lambda m, x: m.fft.fftshift(m.fft.fftfreq(x.shape[1]).expand(2, -1), dim=dim),
          x=x[:, :2, 0].T.copy())


# --- gradients ---------------------------------------------------------------------------

def _node_names(t):
    names, f = [], t.grad_fn
    while f is not None:
        names.append(type(f).__name__ if not hasattr(f, "name") else f.name())
        nxt = [g for g, _ in f.next_functions if g is not None]
        f = nxt[0] if nxt else None
    return [n.replace("torch::autograd::", "") for n in names]


def _vjp(fn, x, tol=1e-9):
    """x.grad after backward from a random complex (or real) upstream gradient."""
    xt = torch.tensor(x, requires_grad=True)
    yt = fn(torch, xt)
    g = RNG.standard_normal(tuple(yt.shape))
    if yt.is_complex():
        g = g + 1j * RNG.standard_normal(tuple(yt.shape))
    g = g.astype(str(yt.dtype).replace("torch.", ""))
    yt.backward(torch.tensor(g))
    xe = ember.tensor(x, requires_grad=True)
    ye = fn(ember, xe)
    assert _node_names(ye) == _node_names(yt)
    ye.backward(ember.tensor(g))
    assert xe.grad.dtype.name == str(xt.grad.dtype).replace("torch.", "")
    np.testing.assert_allclose(xe.grad._data, xt.grad.resolve_conj().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", list(C2C))
def test_grad_complex_input(name):
    for nm in NORMS[1:]:
        _vjp(lambda m, x: C2C[name](m, x, nm), _arr("complex128"))


@pytest.mark.parametrize("name", list(R2C) + ["fft", "fft_n_pad_d0", "fft_n_trim", "ifft",
                                              "ifft_n_d1", "fft2_dims", "irfft", "hfft"])
def test_grad_real_input(name):
    fn = R2C.get(name) or C2C[name]
    for nm in NORMS[1:]:
        _vjp(lambda m, x: fn(m, x, nm), _arr("float64"))


@pytest.mark.parametrize("n", [4, 5, 7])
def test_grad_c2r_odd_even_lengths(n):
    # the doubled bins of irfft's backward depend on the parity of n
    _vjp(lambda m, x: m.fft.irfft(x, n=n), _arr("complex128"))
    _vjp(lambda m, x: m.fft.hfft(x, n=n, dim=1, norm="ortho"), _arr("complex128"))
    _vjp(lambda m, x: m.fft.irfftn(x, s=(3, n)), _arr("complex128"))


def test_grad_single_precision():
    _vjp(lambda m, x: m.fft.rfft2(x, norm="ortho"), _arr("float32"), tol=1e-5)
    _vjp(lambda m, x: m.fft.irfft(x, n=5), _arr("complex64"), tol=1e-5)
    _vjp(lambda m, x: m.fft.fft(x, dim=1), _arr("float32"), tol=1e-5)


def test_gradcheck_real_compositions():
    x = ember.tensor(REAL[0], requires_grad=True)
    F = ember.fft
    assert ember.autograd.gradcheck(lambda x: F.irfft(F.rfft(x, n=6), n=5), (x,))
    assert ember.autograd.gradcheck(lambda x: F.hfft(F.ihfft(x, norm="ortho"), n=3), (x,))
    assert ember.autograd.gradcheck(
        lambda x: F.irfftn(F.fftn(x, s=(4, 5))[:, :3], s=(2, 4), norm="forward"), (x,))
    assert ember.autograd.gradcheck(lambda x: F.hfft2(F.ihfft2(x), s=(3, 4)), (x,))


def test_double_backward():
    # linear maps: this checks the graph the backward builds (create_graph=True)
    x = ember.tensor(REAL[0], requires_grad=True)
    F = ember.fft
    assert ember.autograd.gradgradcheck(lambda x: F.irfft(F.rfft(x, n=6), n=5), (x,))
