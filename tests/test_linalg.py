"""ember.linalg against torch.linalg: values, layouts, grads, errors.

Singular and eigen vectors are unique only up to sign, and MKL (torch) and OpenBLAS
(NumPy) choose signs differently, so those are compared through sign-free quantities.
"""
import numpy as np
import pytest

from parity import check, torch, ember

rng = np.random.default_rng(2)
INF = float("inf")


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def SPD(*shape, dtype="float64"):
    a = rng.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def WELL(*shape, dtype="float64"):
    """A well-conditioned square matrix (batch)."""
    return (rng.standard_normal(shape) + 3 * np.eye(shape[-1])).astype(dtype)


def gc(fn, *arrays):
    ins = [ember.tensor(a, requires_grad=True) for a in arrays]
    # C-ordered outputs: many linalg results are column-major, which gradcheck's one-hot
    # grad_output writing does not have to handle
    assert ember.autograd.gradcheck(lambda *a: _contiguous(fn(*a)), ins)


def _contiguous(out):
    if isinstance(out, (tuple, list)):
        return tuple(o.contiguous() for o in out)
    return out.contiguous()


def name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


F32 = dict(rtol=1e-4, atol=1e-5)


# --- inv --------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1), (2, 1, 4, 4), (0, 0)])
def test_inv(shape):
    a = WELL(*shape)
    check(lambda m, a: m.linalg.inv(a), a=a, grad=True)
    check(lambda m, a: m.linalg.inv(a), a=a, dtype="float32", **F32)
    check(lambda m, a: m.linalg.inv(a.mT), a=a, grad=True)
    check(lambda m, a: m.linalg.inv_ex(a), a=a, grad=True)


def test_inv_errors():
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    check(lambda m, a: m.linalg.inv(a), a=sing, match=True)
    check(lambda m, a: m.linalg.inv(a), a=np.zeros((3, 3)), match=True)
    check(lambda m, a: m.inverse(a), a=np.ones((3, 3)), match=True)
    check(lambda m, a: m.linalg.inv(a), a=np.stack([np.eye(2), sing]), match=True)
    check(lambda m, a: m.linalg.inv(a), a=R(3, 4), match=True)
    check(lambda m, a: m.linalg.inv(a), a=R(3), match=True)
    check(lambda m, a: m.linalg.inv(a.long()), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.inv(a.half()), a=R(3, 3), match=True)
    try:
        ember.linalg.inv(ember.zeros(2, 2))
    except ember.linalg.LinAlgError as e:
        assert isinstance(e, RuntimeError)
        assert type(e).__name__ == type(torch.linalg.LinAlgError()).__name__
    else:
        raise AssertionError("no LinAlgError")


def test_inv_grad_fn_and_gradcheck():
    for m in (torch, ember):
        assert name(m.linalg.inv(m.eye(2, requires_grad=True))) == "LinalgInvExBackward0"
    gc(ember.linalg.inv, WELL(3, 3))
    gc(ember.linalg.inv, WELL(2, 2, 2))


# --- solve --------------------------------------------------------------------------------------

@pytest.mark.parametrize("sa,sb,left", [
    ((3, 3), (3,), True), ((3, 3), (3, 2), True), ((2, 3, 3), (3,), True),
    ((2, 3, 3), (2, 3), True), ((4, 2, 3, 3), (3,), True), ((4, 2, 3, 3), (4, 2, 3), True),
    ((2, 3, 3), (3, 5), True), ((3, 3), (2, 3, 5), True), ((1, 3, 3), (2, 3, 5), True),
    ((3, 3), (2, 3), False), ((2, 3, 3), (2, 4, 3), False), ((4, 1, 3, 3), (4, 2, 3, 2), True),
])
def test_solve(sa, sb, left):
    a, b = WELL(*sa), R(*sb)
    check(lambda m, a, b: m.linalg.solve(a, b, left=left), a=a, b=b, grad=True)
    check(lambda m, a, b: m.linalg.solve_ex(a, b, left=left), a=a, b=b, grad=True)


def test_solve_errors():
    for fn in [lambda m, a, b: m.linalg.solve(a, b[:2]),
               lambda m, a, b: m.linalg.solve(a, b.reshape(2, 3)[:, :2]),
               lambda m, a, b: m.linalg.solve(a, b.reshape(3, 2), left=False),
               lambda m, a, b: m.linalg.solve(a, b.float()),
               lambda m, a, b: m.linalg.solve(a[:, :2], b[:3]),
               lambda m, a, b: m.linalg.solve(a.long(), b.long()),
               lambda m, a, b: m.linalg.solve(a * 0, b[:3]),
               lambda m, a, b: m.linalg.solve(m.stack([a * 0, a]), b[:3])]:
        check(fn, a=WELL(3, 3), b=R(6), match=True)
    gc(lambda a, b: ember.linalg.solve(a, b), WELL(3, 3), R(3, 2))
    gc(lambda a, b: ember.linalg.solve(a, b, left=False), WELL(3, 3), R(2, 3))
    gc(lambda a, b: ember.linalg.solve(a, b), WELL(2, 3, 3), R(3))


# --- det, slogdet, logdet --------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1), (0, 0), (2, 0, 0)])
def test_det_slogdet(shape):
    a = R(*shape)
    check(lambda m, a: m.linalg.det(a), a=a, grad=True)
    check(lambda m, a: m.linalg.det(a), a=a, dtype="float32", **F32)
    check(lambda m, a: m.linalg.slogdet(a), a=a, grad=True)
    check(lambda m, a: m.det(a.mT), a=a, grad=True)
    check(lambda m, a: m.logdet(a), a=a)
    check(lambda m, a: m.logdet(a @ a.mT), a=a, grad=True)


def test_det_singular_grad():
    check(lambda m, a: m.linalg.det(a), a=np.array([[1.0, 2.0], [2.0, 4.0]]), grad=True)
    check(lambda m, a: m.linalg.det(a), a=np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]),
          grad=True)
    check(lambda m, a: m.linalg.det(a), a=np.zeros((2, 3, 3)), grad=True)


def test_det_errors_and_names():
    check(lambda m, a: m.linalg.det(a.long()), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.det(a), a=R(3, 4), match=True)
    check(lambda m, a: m.linalg.det(a.half()), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.slogdet(a.half()), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.slogdet(a.long()), a=R(3, 3), match=True)
    for m in (torch, ember):
        x = m.eye(3, requires_grad=True)
        assert name(m.linalg.det(x)) == "LinalgDetBackward0"
        assert name(m.linalg.slogdet(x)[1]) == "LinalgSlogdetBackward0"
        assert name(m.logdet(x)) == "WhereBackward0"
    t = repr(torch.linalg.slogdet(torch.eye(2)))
    e = repr(ember.linalg.slogdet(ember.eye(2)))
    assert e.replace("ember.", "torch.") == t
    gc(ember.linalg.det, R(3, 3))
    gc(lambda a: ember.linalg.slogdet(a)[1], R(2, 3, 3))


# --- cholesky -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper):
    a = SPD(*shape)
    check(lambda m, a: m.linalg.cholesky(a, upper=upper), a=a, grad=True)
    check(lambda m, a: m.linalg.cholesky(a, upper=upper), a=a, dtype="float32", **F32)
    check(lambda m, a: m.linalg.cholesky_ex(a, upper=upper), a=a, grad=True)


def test_cholesky_errors():
    check(lambda m, a: m.linalg.cholesky(a), a=-np.eye(3), match=True)
    check(lambda m, a: m.linalg.cholesky(a), a=np.ones((3, 3)), match=True)
    bad = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0])])
    check(lambda m, a: m.linalg.cholesky(a), a=bad, match=True)
    check(lambda m, a: m.linalg.cholesky(a), a=R(3, 4), match=True)
    check(lambda m, a: m.linalg.cholesky(a.half()), a=SPD(3, 3), match=True)
    gc(lambda a: ember.linalg.cholesky(a @ a.mT + 3 * ember.eye(3, dtype=a.dtype)), R(3, 3))
    gc(lambda a: ember.linalg.cholesky(a @ a.mT + 3 * ember.eye(3, dtype=a.dtype), upper=True),
       R(3, 3))


# --- qr -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(shape, mode):
    a = R(*shape)
    grad = mode == "reduced" or (mode == "complete" and shape[-2] <= shape[-1])
    check(lambda m, a: m.linalg.qr(a, mode=mode), a=a, grad=grad)
    check(lambda m, a: m.linalg.qr(a, mode=mode), a=a, dtype="float32", **F32)


def test_qr_errors():
    check(lambda m, a: m.linalg.qr(a, mode="x"), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.qr(a), a=R(3), match=True)
    for mode in ("r", "complete"):
        for m in (torch, ember):
            x = m.tensor(R(4, 3), requires_grad=True)
            with pytest.raises(RuntimeError) as info:
                m.linalg.qr(x, mode=mode)[1].sum().backward()
            if m is torch:
                expected = str(info.value)
            else:
                assert str(info.value) == expected
    gc(lambda a: ember.linalg.qr(a)[0], R(4, 3))
    gc(lambda a: ember.linalg.qr(a)[1], R(4, 3))
    gc(lambda a: ember.linalg.qr(a)[0] * 2 + ember.linalg.qr(a)[1].sum(), R(3, 5))


# --- svd -----------------------------------------------------------------------------------------

def _svd_invariants(m, A, full):
    U, S, Vh = m.linalg.svd(A, full_matrices=full)
    k = S.shape[-1]
    rec = (U[..., :, :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]
    # with full_matrices, the columns past k are any basis of a null space: not compared
    return (S, U[..., :, :k].abs(), Vh[..., :k, :].abs(), rec, (U[..., :, :k] ** 4).sum(-2),
            (Vh[..., :k, :] ** 4))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 3), (1, 2, 3, 2)])
@pytest.mark.parametrize("full", [False, True])
def test_svd(shape, full):
    a = R(*shape)
    check(lambda m, a: _svd_invariants(m, a, full), a=a, grad=True)
    check(lambda m, a: m.linalg.svd(a, full_matrices=full).S, a=a, dtype="float32", **F32)
    t, e = check(lambda m, a: m.linalg.svdvals(a), a=a, grad=True)
    for m in (torch, ember):
        out = m.linalg.svd(m.tensor(a), full_matrices=full)
        strides = [o.stride() for o in out]
        if m is torch:
            expected = strides
        else:
            assert strides == expected


def test_svd_misc():
    check(lambda m, a: m.linalg.svd(a.long()), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.svd(a), a=R(3), match=True)
    check(lambda m, a: m.linalg.svd(a.half()), a=R(3, 3), match=True)
    t = repr(type(torch.linalg.svd(torch.eye(2))).__name__)
    assert t == repr(type(ember.linalg.svd(ember.eye(2))).__name__)
    gc(lambda a: ember.linalg.svdvals(a), R(3, 2))
    gc(lambda a: (ember.linalg.svd(a, full_matrices=False)[0] ** 4).sum(), R(4, 3))
    gc(lambda a: (ember.linalg.svd(a, full_matrices=False)[2] ** 4).sum(), R(3, 4))


# --- eigh / eig ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(shape, uplo):
    a = R(*shape)

    def inv(m, a):
        w, V = m.linalg.eigh(a, UPLO=uplo)
        return w, V.abs(), (V ** 4).sum(-2), m.linalg.eigvalsh(a, UPLO=uplo)
    check(inv, a=a, grad=True)
    check(inv, a=a, dtype="float32", **F32)
    check(lambda m, a: m.linalg.eigh(a + a.mT, UPLO=uplo).eigenvalues, a=a, grad=True)


def test_eigh_errors_and_gradcheck():
    check(lambda m, a: m.linalg.eigh(a), a=R(3, 4), match=True)
    check(lambda m, a: m.linalg.eigh(a, UPLO="X"), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.eigh(a.long()), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.eigvalsh(a), a=R(3, 4), match=True)
    gc(lambda a: ember.linalg.eigvalsh(a + a.mT), R(3, 3))
    gc(lambda a: (ember.linalg.eigh(a + a.mT)[1] ** 4).sum(), R(3, 3))


def test_eig():
    a = R(2, 4, 4)
    for m in (torch, ember):
        w, V = m.linalg.eig(m.tensor(a))
        assert str(w.dtype).endswith("complex128") and str(V.dtype).endswith("complex128")
        wv = m.linalg.eigvals(m.tensor(a))
        res = np.sort_complex(wv.numpy()), np.sort_complex(w.numpy())
        if m is torch:
            expected = res
            strides = (w.stride(), V.stride())
        else:
            for x, y in zip(res, expected):
                np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)
            assert (w.stride(), V.stride()) == strides
            av = a.astype(complex) @ V.numpy()
            np.testing.assert_allclose(av, V.numpy() * w.numpy()[..., None, :], atol=1e-10)
    w = ember.linalg.eigvals(ember.tensor(R(3, 3, dtype="float32")))
    assert w.dtype is ember.complex64
    check(lambda m, a: m.linalg.eig(a), a=R(3, 4), match=True)
    check(lambda m, a: m.linalg.eigvals(a.int()), a=R(3, 3), match=True)


# --- pinv, matrix_rank, lstsq ------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 3)])
def test_pinv(shape):
    a = R(*shape)
    check(lambda m, a: m.linalg.pinv(a), a=a, grad=True)
    check(lambda m, a: m.pinverse(a), a=a, grad=True)
    check(lambda m, a: m.linalg.pinv(a), a=a, dtype="float32", **F32)
    gc(ember.linalg.pinv, a)


def test_pinv_options():
    a = SPD(3, 3)
    check(lambda m, a: m.linalg.pinv(a, hermitian=True), a=a, grad=True)
    low = R(4, 2) @ R(2, 3)
    check(lambda m, a: m.linalg.pinv(a), a=low, rtol=1e-6, atol=1e-8)
    check(lambda m, a: m.linalg.pinv(a, atol=1.0), a=R(3, 3))
    check(lambda m, a: m.linalg.pinv(a, rtol=0.5), a=R(3, 3))
    check(lambda m, a: m.linalg.pinv(a), a=R(3), match=True)
    check(lambda m, a: m.linalg.pinv(a.long()), a=R(3, 3), match=True)


def test_matrix_rank():
    low = R(2, 5, 2) @ R(2, 2, 4)
    check(lambda m, a: m.linalg.matrix_rank(a), a=low)
    check(lambda m, a: m.linalg.matrix_rank(a), a=R(4, 3))
    check(lambda m, a: m.linalg.matrix_rank(a, hermitian=True), a=SPD(3, 3))
    check(lambda m, a: m.linalg.matrix_rank(a, atol=1.0, rtol=0.0), a=R(4, 3))
    check(lambda m, a: m.linalg.matrix_rank(a, tol=1.0), a=R(4, 3))
    check(lambda m, a: m.linalg.matrix_rank(a), a=np.zeros((3, 3)))
    check(lambda m, a: m.linalg.matrix_rank(a.long()), a=R(3, 3), match=True)


@pytest.mark.parametrize("driver", [None, "gelsd", "gelss", "gelsy", "gels"])
@pytest.mark.parametrize("sa,sb", [((4, 3), (4, 2)), ((4, 3), (4,)), ((2, 4, 3), (2, 4, 2)),
                                   ((3, 3), (3, 2))])
def test_lstsq(driver, sa, sb):
    a, b = R(*sa), R(*sb)
    check(lambda m, a, b: m.linalg.lstsq(a, b, driver=driver), a=a, b=b, grad=True)


def test_lstsq_errors():
    for fn in [lambda m, a, b: m.linalg.lstsq(a, b[:3]),
               lambda m, a, b: m.linalg.lstsq(a, b.float()),
               lambda m, a, b: m.linalg.lstsq(a, b, driver="foo"),
               lambda m, a, b: m.linalg.lstsq(a, b.expand(2, 2, 4, 2))]:
        check(fn, a=R(4, 3), b=R(4, 2), match=True)
    gc(lambda a, b: ember.linalg.lstsq(a, b).solution, R(4, 3), R(4, 2))


# --- matrix_power, matrix_exp ---------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, -1, -3])
def test_matrix_power(n):
    a = WELL(3, 3) / 3
    check(lambda m, a: m.linalg.matrix_power(a, n), a=a, grad=True)
    check(lambda m, a: m.matrix_power(a, n), a=WELL(2, 3, 3) / 3, grad=True)
    if n >= 0:
        check(lambda m, a: m.linalg.matrix_power(a, n), a=rng.integers(-3, 3, (3, 3)))


def test_matrix_power_errors():
    check(lambda m, a: m.linalg.matrix_power(a, 2), a=R(3, 4), match=True)
    check(lambda m, a: m.linalg.matrix_power(a, 2), a=R(3), match=True)
    check(lambda m, a: m.linalg.matrix_power(a, 1.5), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.matrix_power(a.long(), -1), a=R(3, 3), match=True)
    for m in (torch, ember):
        x = m.eye(3, requires_grad=True)
        assert name(m.linalg.matrix_power(x, 5)) == "MmBackward0"
        assert name(m.linalg.matrix_power(x, 1)) == "CloneBackward0"
    gc(lambda a: ember.linalg.matrix_power(a, 5), WELL(3, 3) / 3)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_matrix_exp(shape):
    a = R(*shape) / 2
    check(lambda m, a: m.linalg.matrix_exp(a), a=a, grad=True)
    check(lambda m, a: m.matrix_exp(a), a=a, dtype="float32", **F32)
    gc(ember.linalg.matrix_exp, R(*shape) / 2)


# --- norms -----------------------------------------------------------------------------------

@pytest.mark.parametrize("ord", [2, 1, 0, 3, 0.5, -1, INF, -INF])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 2), True), (-1, True),
                                         ((), False)])
def test_vector_norm(ord, dim, keepdim):
    x = R(2, 3, 4)
    check(lambda m, x: m.linalg.vector_norm(x, ord, dim, keepdim), x=x, grad=True)
    check(lambda m, x: m.linalg.vector_norm(x, ord, dim, keepdim), x=x, dtype="float32", **F32)


def test_vector_norm_misc():
    x = R(3, 4)
    check(lambda m, x: m.linalg.vector_norm(x, dtype=m.float64), x=x, dtype="float32",
          grad=True)
    check(lambda m, x: m.linalg.vector_norm(x), x=x, dtype="float16", rtol=1e-3, atol=1e-3)
    check(lambda m, x: m.linalg.vector_norm(x), x=R())
    check(lambda m, x: m.linalg.vector_norm(x), x=R(0, 3))
    check(lambda m, x: m.linalg.vector_norm(x, INF, dim=1), x=R(0, 3))
    check(lambda m, x: m.linalg.vector_norm(x, INF), x=np.zeros((2, 2)), grad=True)
    check(lambda m, x: m.linalg.vector_norm(x), x=np.zeros((2, 2)), grad=True)
    check(lambda m, x: m.linalg.vector_norm(x, INF), x=np.array([1.0, -3.0, 3.0]), grad=True)
    for fn in [lambda m, x: m.linalg.vector_norm(x.long()),
               lambda m, x: m.linalg.vector_norm(x[:0], INF),
               lambda m, x: m.linalg.vector_norm(x[:0], -1, dim=0),
               lambda m, x: m.linalg.vector_norm(x, dtype=m.int64),
               lambda m, x: m.linalg.vector_norm(x, dtype=m.float32),
               lambda m, x: m.linalg.vector_norm(x, "fro")]:
        check(fn, x=x, match=True)
    for ord in (2, 1, 3, INF):
        gc(lambda x: ember.linalg.vector_norm(x, ord, dim=1), R(2, 3))
    for m in (torch, ember):
        assert name(m.linalg.vector_norm(m.ones(2, requires_grad=True))) == \
            "LinalgVectorNormBackward0"


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, INF, -INF])
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm(ord, dim, keepdim):
    x = R(3, 4, 5)
    check(lambda m, x: m.linalg.matrix_norm(x, ord, dim, keepdim), x=x, grad=True)
    t, e = check(lambda m, x: m.linalg.matrix_norm(x, ord, dim, keepdim), x=x, grad=True)
    assert name(t) == name(e)
    check(lambda m, x: m.linalg.norm(x, ord, dim, keepdim), x=x, grad=True)


def test_matrix_norm_errors_and_gradcheck():
    for fn in [lambda m, x: m.linalg.matrix_norm(x[0, 0]),
               lambda m, x: m.linalg.matrix_norm(x, 3),
               lambda m, x: m.linalg.matrix_norm(x, "foo"),
               lambda m, x: m.linalg.matrix_norm(x, dim=(1,)),
               lambda m, x: m.linalg.norm(x, 2),
               lambda m, x: m.linalg.norm(x[0, 0], "fro"),
               lambda m, x: m.linalg.norm(x, "nuc", dim=1)]:
        check(fn, x=R(2, 3, 4), match=True)
    check(lambda m, x: m.linalg.matrix_norm(x, dim=1), x=R(2, 3))  # a TypeError
    for ord in ("fro", "nuc", 2, 1, INF):
        gc(lambda x: ember.linalg.matrix_norm(x, ord), R(3, 4))


@pytest.mark.parametrize("args", [(), (None, None), (3,), (2, 1), ("fro",), ("nuc",), (INF,),
                                  (1, (0, 1)), (None, (0, 1), True), (-1, 0, True)])
def test_linalg_norm_dispatch(args):
    x = R(3, 4)
    check(lambda m, x: m.linalg.norm(x, *args), x=x, grad=True)
    check(lambda m, x: m.linalg.norm(x[0], *args[:1]), x=x, grad=True) \
        if not args or not isinstance(args[0], str) else None


@pytest.mark.parametrize("kw", [{}, dict(p=1), dict(p="fro", dim=1), dict(p="nuc"),
                                dict(p=3, dim=(0, 1), keepdim=True), dict(p=INF),
                                dict(dim=0), dict(p=2, dim=(0, 1))])
def test_torch_norm(kw):
    check(lambda m, x: m.norm(x, **kw), x=R(3, 4), grad=True)
    check(lambda m, x: x.norm(**kw), x=R(3, 4), dtype="float32", **F32)


def test_dist():
    check(lambda m, a, b: m.dist(a, b), a=R(3, 4), b=R(4), grad=True)
    check(lambda m, a, b: m.dist(a, b, 1), a=R(3, 4), b=R(3, 4), grad=True)
    check(lambda m, a, b: a.dist(b, INF), a=R(3, 4), b=R(3, 1), grad=True)
    check(lambda m, a, b: m.dist(a, b, 0), a=R(3, 4), b=R(3, 4))  # torch's backward fails
    check(lambda m, a, b: m.dist(a, b), a=R(3), b=R(4), match=True)
    check(lambda m, a, b: m.dist(a.long(), b.long()), a=R(3), b=R(3), match=True)
    for m in (torch, ember):
        assert name(m.dist(m.ones(2, requires_grad=True), m.zeros(2))) == "DistBackward0"


# --- the rest of torch.linalg --------------------------------------------------------------

def test_small_functions():
    x = R(2, 3, 3)
    check(lambda m, x: m.linalg.diagonal(x), x=x, grad=True)
    check(lambda m, x: m.linalg.diagonal(x, offset=1, dim1=0, dim2=2), x=x, grad=True)
    check(lambda m, x: m.linalg.vecdot(x, x[0]), x=x, grad=True)
    check(lambda m, x: m.linalg.vecdot(x, x, dim=1), x=x, grad=True)
    check(lambda m, x: m.linalg.vecdot(x, x.float()), x=x, match=True)
    check(lambda m, x: m.linalg.cross(x, x.flip(0)), x=x, grad=True)
    check(lambda m, x: m.linalg.multi_dot([x[0], x[1], x[0]]), x=x, grad=True)
    check(lambda m, x: m.linalg.matmul(x, x), x=x, grad=True)
    check(lambda m, x: m.linalg.cond(x), x=x, grad=True)
    check(lambda m, x: m.linalg.cond(x[0, :2]), x=x)
    check(lambda m, x: m.linalg.cond(x, "fro"), x=WELL(2, 3, 3))  # torch's backward fails
    check(lambda m, x: m.linalg.vander(x[0, 0]), x=x, grad=True)
    check(lambda m, x: m.linalg.vander(x[0], N=4), x=x, grad=True)
    check(lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True), a=WELL(3, 3),
          b=R(3, 2), grad=True)
    check(lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False,
                                                    unitriangular=True),
          a=WELL(3, 3), b=R(2, 3), grad=True)
    gc(lambda a, b: ember.linalg.solve_triangular(a, b, upper=True), WELL(3, 3), R(3, 2))
    gc(lambda a, b: ember.linalg.solve_triangular(a, b, upper=False, left=False), WELL(3, 3),
       R(2, 3))


# --- LU, tensorinv, tensorsolve ------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 4), (4, 3)])
def test_lu(shape):
    a = R(*shape)
    square = shape[-1] == shape[-2]
    check(lambda m, a: m.linalg.lu_factor(a), a=a, grad=square)
    check(lambda m, a: m.linalg.lu_factor_ex(a), a=a)
    check(lambda m, a: m.linalg.lu(a), a=a, grad=square)
    check(lambda m, a: m.linalg.lu(a), a=a, dtype="float32", **F32)
    if square:
        gc(lambda a: ember.linalg.lu_factor(a).LU, a)
        gc(lambda a: ember.linalg.lu(a).L * 2 + ember.linalg.lu(a).U, a)


@pytest.mark.parametrize("left,adjoint", [(True, False), (False, False), (True, True),
                                          (False, True)])
def test_lu_solve(left, adjoint):
    a, b = WELL(2, 3, 3), R(2, 3, 3)

    def fn(m, a, b):
        LU, piv = m.linalg.lu_factor(a.detach())
        return m.linalg.lu_solve(LU, piv, b, left=left, adjoint=adjoint)
    check(fn, a=a, b=b, grad=True)
    gc(lambda b: ember.linalg.lu_solve(*ember.linalg.lu_factor(ember.tensor(a)), b, left=left,
                                       adjoint=adjoint), b)


def test_lu_errors():
    check(lambda m, a: m.linalg.lu_factor(a), a=np.array([[1.0, 2.0], [2.0, 4.0]]), match=True)
    check(lambda m, a: m.linalg.lu_factor(a), a=R(3), match=True)
    check(lambda m, a: m.linalg.lu_factor(a.long()), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.lu_factor(a, pivot=False), a=R(3, 3), match=True)
    check(lambda m, a: m.linalg.lu(a), a=np.array([[1.0, 2.0], [2.0, 4.0]]))


def test_tensorinv_tensorsolve():
    check(lambda m, a: m.linalg.tensorinv(a, ind=1), a=WELL(4, 4).reshape(4, 2, 2), grad=True)
    check(lambda m, a: m.linalg.tensorinv(a), a=WELL(6, 6).reshape(2, 3, 6), grad=True)
    check(lambda m, a: m.linalg.tensorinv(a, ind=1), a=R(4, 2, 3), match=True)
    check(lambda m, a: m.linalg.tensorinv(a, ind=0), a=R(4, 2, 2), match=True)
    a = WELL(6, 6).reshape(2, 3, 6)
    check(lambda m, a, b: m.linalg.tensorsolve(a, b), a=a, b=R(2, 3), grad=True)
    check(lambda m, a, b: m.linalg.tensorsolve(a, b, dims=(0,)), a=a.transpose(2, 0, 1),
          b=R(2, 3), grad=True)
    check(lambda m, a, b: m.linalg.tensorsolve(a, b), a=a, b=R(2, 2), match=True)
