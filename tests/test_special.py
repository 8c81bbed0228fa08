"""ember.special against torch.special: values (float32/float64), dtypes of integer and
half inputs, errors, grad_fn graphs, gradients (parity and gradcheck)."""
import numpy as np
import pytest

from parity import check, torch
import ember
import ember.special  # noqa: F401

R = np.random.RandomState(0)
WIDE = np.concatenate([R.randn(20) * 3, [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 7.0, -12.0, 30.0]])
UNIT = np.concatenate([R.rand(20) * 0.98 + 0.01, [0.5, 0.0, 1.0]])  # (0, 1)
POS = R.rand(20) * 6 + 0.05
NEG = -(np.floor(POS) + 0.5 + (R.rand(20) - 0.5) * 0.6)  # negative, away from the poles
SPECIAL_VALUES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])

# name -> (call, values, does torch give a gradient)
UNARY = {
    "expit": (lambda s, x: s.expit(x), WIDE, True),
    "logit": (lambda s, x: s.logit(x), UNIT, True),
    "logit_eps": (lambda s, x: s.logit(x, eps=0.2), UNIT, True),
    "erf": (lambda s, x: s.erf(x), WIDE, True),
    "erfc": (lambda s, x: s.erfc(x), WIDE, True),
    "erfcx": (lambda s, x: s.erfcx(x), WIDE, True),
    "erfinv": (lambda s, x: s.erfinv(x), UNIT * 1.8 - 0.9, True),
    "exp2": (lambda s, x: s.exp2(x), WIDE, True),
    "expm1": (lambda s, x: s.expm1(x), WIDE, True),
    "log1p": (lambda s, x: s.log1p(x), POS - 0.9, True),
    "gammaln": (lambda s, x: s.gammaln(x), POS, True),
    "gammaln_neg": (lambda s, x: s.gammaln(x), NEG, True),
    "digamma": (lambda s, x: s.digamma(x), POS, True),
    "psi": (lambda s, x: s.psi(x), NEG, True),
    "entr": (lambda s, x: s.entr(x), POS, True),
    "ndtr": (lambda s, x: s.ndtr(x), WIDE, True),
    "ndtri": (lambda s, x: s.ndtri(x), UNIT[:20], True),
    "log_ndtr": (lambda s, x: s.log_ndtr(x), WIDE, True),
    "round": (lambda s, x: s.round(x), WIDE, True),
    "round_dec": (lambda s, x: s.round(x, decimals=2), WIDE, True),
    "sinc": (lambda s, x: s.sinc(x), WIDE, True),
    "i0": (lambda s, x: s.i0(x), WIDE, True),
    "i0e": (lambda s, x: s.i0e(x), WIDE, True),
    "i1": (lambda s, x: s.i1(x), WIDE, True),
    "i1e": (lambda s, x: s.i1e(x), WIDE, True),
    "bessel_j0": (lambda s, x: s.bessel_j0(x), WIDE, False),
    "bessel_j1": (lambda s, x: s.bessel_j1(x), WIDE, False),
    "polygamma0": (lambda s, x: s.polygamma(0, x), POS, True),
    "polygamma1": (lambda s, x: s.polygamma(1, x), POS, True),
    "polygamma3": (lambda s, x: s.polygamma(3, x), POS, True),
    "multigammaln": (lambda s, x: s.multigammaln(x, 3), POS + 1.1, True),
    "logsumexp": (lambda s, x: s.logsumexp(x, 0), WIDE, True),
    "softmax": (lambda s, x: s.softmax(x.reshape(-1, 1), 0), WIDE, True),
    "log_softmax": (lambda s, x: s.log_softmax(x, 0), WIDE, True),
}


def sp(m):
    return m.special


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_values_and_grads(name, dt):
    fn, x, _ = UNARY[name]
    # float32: PyTorch computes in float32 arithmetic, SciPy more exactly
    tol = dict(rtol=2e-5, atol=2e-6) if dt == "float32" else dict(rtol=1e-9, atol=1e-12)
    if name.startswith("bessel") and dt == "float64":
        tol = dict(rtol=1e-5, atol=1e-6)  # PyTorch's float64 Bessel J loses ~7 digits
    if name == "round_dec":
        tol = {}
    check(lambda m, x: fn(sp(m), x), x=x.astype(dt), grad=True, **tol)


@pytest.mark.parametrize("name", [n for n in UNARY if not n.startswith(("log", "soft"))])
def test_unary_special_values(name):
    fn, _, _ = UNARY[name]
    check(lambda m, x: fn(sp(m), x), x=SPECIAL_VALUES, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dt", ["int64", "bool", "float16", "bfloat16", "complex64"])
@pytest.mark.parametrize("name", [n for n in UNARY if n not in ("logsumexp", "softmax",
                                                                 "log_softmax")])
def test_unary_dtypes_and_errors(name, dt):
    fn, _, _ = UNARY[name]
    x = np.array([0.0, 1.0, 3.0, 0.25]) if dt not in ("int64", "bool") else \
        np.array([0.0, 1.0, 3.0, 1.0])
    if dt == "complex64":
        x = x + 0.5j
    check(lambda m, x: fn(sp(m), x), x=x, dtype=dt, match=True, rtol=1e-2, atol=1e-3)


def graph(t):
    """grad_fn names down the first input edge, and the number of edges of the top node."""
    names, g = [], t.grad_fn
    top = len(g.next_functions) if g is not None else None
    while g is not None:
        names.append(type(g).__name__)
        g = g.next_functions[0][0] if g.next_functions else None
    return names, top


@pytest.mark.parametrize("name", UNARY)
def test_unary_grad_fn(name):
    fn, x, _ = UNARY[name]
    res = [graph(fn(sp(m), m.tensor(x[:4], requires_grad=True))) for m in (torch, ember)]
    assert res[0] == res[1]


def test_non_tensor_input():
    for name in ("expit", "entr", "gammaln", "i0", "ndtr", "sinc", "logit", "bessel_j0"):
        check(lambda m: getattr(sp(m), name)(1.0), match=True)
    check(lambda m: sp(m).gammaln([1.0]), match=True)


def test_out():
    x = UNIT.astype("float32")
    check(lambda m, x: sp(m).entr(x, out=m.empty(0)), x=x)
    check(lambda m, x: sp(m).logit(x, out=m.empty(0, dtype=m.float64)), x=x)
    check(lambda m, x: sp(m).entr(x, out=m.empty(0, dtype=m.int64)), x=x, match=True)
    check(lambda m, x: sp(m).xlogy(x, x, out=m.empty(0)), x=x)
    check(lambda m, x: sp(m).expit(x, out=m.empty(0)), x=x)
    check(lambda m, x: sp(m).polygamma(2, x, out=m.empty(0)), x=x)
    check(lambda m, x: sp(m).round(x, out=m.empty(0, dtype=m.float64)), x=x, match=True)


def test_layout():
    x = R.rand(4, 6)
    check(lambda m, x: sp(m).i0e(x.t()), x=x)
    check(lambda m, x: sp(m).gammaln(x[:, ::2]), x=x)
    check(lambda m, x: sp(m).multigammaln(x.t() + 2, 2), x=x)


def test_polygamma_and_multigammaln_errors():
    x = POS[:4]
    check(lambda m, x: sp(m).polygamma(-1, x), x=x, match=True)
    check(lambda m, x: sp(m).polygamma(1.0, x), x=x, match=True)
    check(lambda m, x: sp(m).multigammaln(x, 0), x=x, match=True)
    check(lambda m, x: sp(m).multigammaln(x, 1), x=x > 1, match=True)
    check(lambda m, x: sp(m).multigammaln(x, 2), x=np.array([3, 4]))


# --- two-input functions ------------------------------------------------------------------

XY = (R.rand(12) * 3 + 0.1, R.rand(12) * 3 + 0.1)
BINARY = {
    "xlogy": (lambda s, x, y: s.xlogy(x, y), XY[0] - 1, XY[1]),
    "xlog1py": (lambda s, x, y: s.xlog1py(x, y), XY[0] - 1, XY[1] - 0.5),
    "zeta": (lambda s, x, y: s.zeta(x, y), XY[0] + 1.05, XY[1]),
    "gammainc": (lambda s, x, y: s.gammainc(x, y), XY[0], XY[1]),
    "gammaincc": (lambda s, x, y: s.gammaincc(x, y), XY[0], XY[1]),
}


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_values(name, dt):
    fn, x, y = BINARY[name]
    tol = dict(rtol=2e-5, atol=2e-6) if dt == "float32" else dict(rtol=1e-9, atol=1e-12)
    check(lambda m, x, y: fn(sp(m), x, y), x=x.astype(dt), y=y.astype(dt), **tol)


@pytest.mark.parametrize("name", BINARY)
def test_binary_grads(name):
    # torch has no gradient for zeta's and igamma's first input: only the second varies
    fn, x, y = BINARY[name]
    both = name.startswith("xlog")
    check(lambda m, x, y: fn(sp(m), x if both else x.detach(), y), x=x, y=y, grad=True,
          rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["zeta", "gammainc", "gammaincc"])
def test_binary_first_input_grad_not_implemented(name):
    fn, x, y = BINARY[name]
    check(lambda m, x, y: fn(sp(m), x, y).sum().backward(), x=x, y=y, grad=True, match=True)


@pytest.mark.parametrize("name", ["xlogy", "xlog1py", "zeta"])
def test_binary_scalar_overloads(name):
    fn, x, y = BINARY[name]
    check(lambda m, y: fn(sp(m), 2.5, y), y=y, grad=True, rtol=1e-9, atol=1e-12)
    check(lambda m, y: fn(sp(m), 2, y), y=y.astype("float32"), grad=True)
    if name != "zeta":  # zeta's gradient for its first input is not implemented
        check(lambda m, x: fn(sp(m), x, 1.5), x=x, grad=True, rtol=1e-9, atol=1e-12)
    else:
        check(lambda m, x: fn(sp(m), x, 1.5), x=x, rtol=1e-9, atol=1e-12)
    check(lambda m: fn(sp(m), 2.0, 3.0), match=True)
    for case in ((True, True), (True, False), (False, True)):
        res = [graph(fn(sp(m), *[m.tensor(v[:3], requires_grad=True) if t else 2.0
                                 for v, t in zip((x, y), case)])) for m in (torch, ember)]
        assert res[0] == res[1]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dts", [("int64", "int64"), ("int64", "float32"),
                                 ("float32", "float64"), ("float16", "float16"),
                                 ("bfloat16", "bfloat16"), ("complex64", "complex64")])
def test_binary_dtypes_and_errors(name, dts):
    fn, x, y = BINARY[name]
    x, y = np.round(x * 2) + 1, np.round(y * 2) + 1
    check(lambda m, x, y: fn(sp(m), x.to(getattr(m, dts[0])), y.to(getattr(m, dts[1]))),
          x=x, y=y, match=True, rtol=1e-2, atol=1e-3)


def test_binary_edge_values_and_broadcast():
    x = np.array([0.0, 0.0, 0.0, 1.0, np.nan, 2.0])
    y = np.array([0.0, np.nan, -1.0, 0.0, 1.0, np.inf])
    check(lambda m, x, y: sp(m).xlogy(x, y), x=x, y=y)
    check(lambda m, x, y: sp(m).xlog1py(x, y), x=x, y=y - 1)
    check(lambda m, x, y: sp(m).xlogy(x, y), x=R.rand(3, 1), y=R.rand(4), grad=True)
    check(lambda m, x, y: sp(m).xlogy(x, y), x=R.rand(2), y=R.rand(3), match=True)
    check(lambda m, x: sp(m).gammainc(x, 2.0), x=R.rand(3), match=True)
    check(lambda m, x: sp(m).gammaincc(2.0, x), x=R.rand(3), match=True)


# --- gradcheck (float64, finite differences) for the ops defined in ember.special ---------

GRADCHECK = {
    "logit": (lambda s, x: s.logit(x), UNIT[:6]),
    "logit_eps": (lambda s, x: s.logit(x, eps=0.05), UNIT[:6]),
    "erfcx": (lambda s, x: s.erfcx(x), WIDE[:6]),
    "gammaln": (lambda s, x: s.gammaln(x), POS[:6]),
    "digamma": (lambda s, x: s.digamma(x), POS[:6]),
    "polygamma2": (lambda s, x: s.polygamma(2, x), POS[:6] + 0.5),
    "multigammaln": (lambda s, x: s.multigammaln(x, 3), POS[:6] + 1.5),
    "entr": (lambda s, x: s.entr(x), POS[:6]),
    "ndtr": (lambda s, x: s.ndtr(x), WIDE[:6]),
    "ndtri": (lambda s, x: s.ndtri(x), UNIT[:6]),
    "log_ndtr": (lambda s, x: s.log_ndtr(x), WIDE[:6]),
    "sinc": (lambda s, x: s.sinc(x), WIDE[:6]),
    "i0": (lambda s, x: s.i0(x), WIDE[:6]),
    "i0e": (lambda s, x: s.i0e(x), WIDE[:6]),
    "i1": (lambda s, x: s.i1(x), WIDE[:6]),
    "i1e": (lambda s, x: s.i1e(x), WIDE[:6]),
    "xlogy": (lambda s, x: s.xlogy(x, _c() + 1.5) + s.xlogy(_c() - 0.3, x + 1), POS[:6]),
    "xlog1py": (lambda s, x: s.xlog1py(x, _c()) + s.xlog1py(_c(), x) + s.xlog1py(x, 2.0),
                POS[:6]),
    "zeta": (lambda s, x: s.zeta(3.5, x) + s.zeta(_c() + 1.5, x), POS[:6]),
    "gammainc": (lambda s, x: s.gammainc(_c() + 0.5, x), POS[:6]),
    "gammaincc": (lambda s, x: s.gammaincc(_c() + 0.5, x), POS[:6]),
}


def _c():
    """A constant second operand (gradcheck perturbs the input's storage in place, so a
    detached view of it would move too)."""
    return ember.tensor(POS[6:12])


@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck(name):
    fn, x = GRADCHECK[name]
    t = ember.tensor(x, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: fn(ember.special, x), (t,))
    if name not in ("zeta", "gammainc", "gammaincc"):  # second derivatives: torch has none
        assert ember.autograd.gradgradcheck(lambda x: fn(ember.special, x), (t,))


def test_second_derivative_parity():
    def f(m, x):
        y = sp(m).gammaln(x) + sp(m).i1(x) + sp(m).logit(x / 8)
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        return g
    check(f, x=POS[:6], grad=True, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("expr", [
    "m.lgamma(x)", "x.lgamma()", "m.digamma(x)", "x.digamma()", "m.polygamma(2, x)",
    "x.polygamma(1)", "m.mvlgamma(x + 2, 3)", "(x + 2).mvlgamma(2)", "m.xlogy(x, x + 1)",
    "x.xlogy(x + 1)", "m.logit(x / 4)", "(x / 4).logit(0.1)", "m.i0(x)", "x.i0()",
    "m.sinc(x)", "x.sinc()"])
def test_top_level_names_and_methods(expr):
    # PyTorch's top-level functions and Tensor methods for the special functions
    x = np.random.default_rng(5).uniform(0.3, 3.5, (3, 4))
    check(lambda m, x: eval(expr, {}, dict(m=m, x=x)), x=x, grad=True, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fn", ["xlogy", "xlog1py"])
def test_xlogy_gradient_at_zero(fn):
    # x's gradient is log(y) even where x == 0, except where y is outside the domain
    x = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0])
    y = np.array([0.0, 2.0, -1.0, np.nan, 0.0, -0.5])
    check(lambda m, x, y: getattr(m.special, fn)(x, y), x=x, y=y, grad=True)
    check(lambda m, x: getattr(m.special, fn)(x, 2.0), x=x, grad=True)
    check(lambda m, x: getattr(m.special, fn)(x, -2.0), x=x, grad=True)
