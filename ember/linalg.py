"""ember.linalg: norms, inverses, solves and decompositions, as ``torch.linalg``.

Forward passes run LAPACK through NumPy (SciPy where NumPy has no routine); results
keep PyTorch's layouts (LAPACK hands back column-major matrices, so ``inv``, ``solve``,
``qr``, ``svd``, ``eigh``, ``cholesky`` return batches of column-major matrices).
Backward passes are written with ember ops, so they differentiate again.
Gradients are for real inputs; complex inputs run forward only.
"""
from . import _dtype as D
from . import _errors
from ._backend import np
from .autograd.op import Op
from ._ops import linalg as _P
from ._ops import shape as _S
from ._ops import shape_extra as _X
from ._ops._util import Tensor, _wrap, install
from ._ops.linalg import matmul, multi_dot, linalg_cross as cross, _reshape

_NAME = _P._NAME


class _LinAlgError(RuntimeError):
    """Raised when a matrix is singular or not positive-definite (torch's _LinAlgError)."""


LinAlgError = _LinAlgError
_LinAlgError.__module__ = "ember.linalg"


def _structseq(name, fields):
    """A tuple with named fields that prints like ``torch.return_types.<name>``."""
    def make_prop(i):
        return property(lambda self: tuple.__getitem__(self, i))

    def __new__(cls, *values):
        return tuple.__new__(cls, values)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"ember.return_types.{name}(\n{body})"
    ns = {f: make_prop(i) for i, f in enumerate(fields)}
    ns.update(__new__=__new__, __repr__=__repr__, __str__=__repr__, _fields=fields,
              n_fields=len(fields), __module__="ember.return_types",
              __reduce__=lambda self: (type(self), tuple(self)))
    return type(name, (tuple,), ns)


_r = {n: _structseq(n, f) for n, f in [
    ("linalg_inv_ex", ("inverse", "info")), ("linalg_solve_ex", ("result", "info")),
    ("linalg_cholesky_ex", ("L", "info")), ("linalg_slogdet", ("sign", "logabsdet")),
    ("slogdet", ("sign", "logabsdet")), ("linalg_qr", ("Q", "R")),
    ("linalg_svd", ("U", "S", "Vh")), ("svd", ("U", "S", "V")),
    ("linalg_eigh", ("eigenvalues", "eigenvectors")),
    ("linalg_eig", ("eigenvalues", "eigenvectors")),
    ("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))]}


# --- checks and layouts -------------------------------------------------------------------

def _check_dtype(A, fname, low=True):
    dt = A.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. "
                           f"Got {_NAME[dt.name]}")
    if low and dt in (D.float16, D.bfloat16):
        raise RuntimeError(f"{fname}: Low precision dtypes not supported. Got {_NAME[dt.name]}")


def _check_matrix(A, fname):
    if A.dim() < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")


def _check_square(A, fname):
    _check_matrix(A, fname)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{fname}: A must be batches of square matrices, but they are {m} by "
                           f"{n} matrices")


def _fortran(a):
    """A batch of column-major matrices (LAPACK's layout, which PyTorch keeps)."""
    if a.ndim < 2:
        return np.ascontiguousarray(a)
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(a, -1, -2)), -1, -2)


def _mT(t):
    return _S.transpose(t, -2, -1)


def _eye(n, like):
    from ._creation import eye
    return eye(n, dtype=like.dtype)


def _batch_prefix(shape, index):
    """PyTorch's "(Batch element k): " for the flat batch index of a failing matrix."""
    return f"(Batch element {index}): " if len(shape) > 2 else ""


def _lapack(name, a):
    from scipy.linalg import lapack
    return lapack.get_lapack_funcs((name,), (a,))[0]


def _singular_error(a, fname):
    """The first singular matrix of the batch: PyTorch's message names its zero pivot."""
    flat = a.reshape((-1,) + a.shape[-2:])
    bad = np.nonzero(~np.isfinite(np.linalg.cond(flat)) | (np.linalg.det(flat) == 0))[0]
    k = int(bad[0]) if bad.size else 0
    _, _, info = _lapack("getrf", flat[k])(flat[k])
    return _LinAlgError(f"{fname}: {_batch_prefix(a.shape, k)}The diagonal element {max(info, 1)} "
                        "is zero, the inversion could not be completed because the input matrix "
                        "is singular.")


# --- inv / solve / det / slogdet ------------------------------------------------------------

def _inv_np(a):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise _singular_error(a, "linalg.inv") from None


_inv = Op("LinalgInvExBackward0", lambda ctx, a: _fortran(_inv_np(a)), saves=(),
          saves_output=True)


@_inv.backward
def _(ctx, g):
    ainv_t = _mT(ctx.result)
    return -(ainv_t @ g @ ainv_t)


def inv(A, *, out=None):
    _check_square(A, "linalg.inv")
    _check_dtype(A, "linalg.inv")
    return _P._out(_inv(A), out)


def inv_ex(A, *, check_errors=False, out=None):
    _check_square(A, "linalg.inv_ex")
    _check_dtype(A, "linalg.inv_ex")
    info = _wrap(np.zeros(A._data.shape[:-2], dtype=np.int32))
    return _r["linalg_inv_ex"](_inv(A), info)


def _is_vector_rhs(A, B):
    return B.dim() == 1 or (B.dim() == A.dim() - 1 and B._data.shape == A._data.shape[:-1])


def _solve_fwd(ctx, a, b, left, vector):
    if vector:
        b = b[..., None]
    if not left:  # X A = B  <=>  A^T X^T = B^T
        a, b = np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)
    try:
        x = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        flat = a.reshape((-1,) + a.shape[-2:])
        k = int(np.nonzero(np.linalg.det(flat) == 0)[0][:1].sum())
        raise _LinAlgError(f"torch.linalg.solve: {_batch_prefix(a.shape, k)}The solver failed "
                           "because the input matrix is singular.") from None
    if not left:
        return np.ascontiguousarray(np.swapaxes(x, -1, -2))
    if vector:
        x = x[..., 0]
        if x.ndim > 1:  # PyTorch solves a batch of vectors as one matrix right-hand side
            return np.swapaxes(np.ascontiguousarray(np.swapaxes(x, -1, -2)), -1, -2)
        return x
    return _fortran(x)


_solve = Op("LinalgSolveExBackward0", _solve_fwd, saves_output=True)


@_solve.backward
def _(ctx, g):
    A, B = ctx.inputs
    left, vector = ctx.kw["left"], ctx.kw["vector"]
    X = ctx.result
    gB = _solve(_mT(A), g, left=left, vector=vector)
    gA = None
    if ctx.needs_input_grad[0]:
        if vector:
            gA = -(gB.unsqueeze(-1) @ X.unsqueeze(-2))
        elif left:
            gA = -(gB @ _mT(X))
        else:
            gA = -(_mT(X) @ gB)
    return gA, (gB if ctx.needs_input_grad[1] else None)


def solve(A, B, *, left=True, out=None):
    _check_square(A, "linalg.solve")
    _check_dtype(A, "linalg.solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {_NAME[A.dtype.name]} and B of type {_NAME[B.dtype.name]} "
                           "instead")
    vector = _is_vector_rhs(A, B)
    n = A._data.shape[-1]
    bs = (B._data.shape[-1], 1) if vector else B._data.shape[-2:]
    if (bs[0] if left else bs[-1]) != n or (not left and vector):
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {bs[0]}x{bs[1]})")
    b_batch = B._data.shape[:-1] if vector else B._data.shape[:-2]
    try:
        np.broadcast_shapes(A._data.shape[:-2], b_batch)
    except ValueError:
        raise _errors.broadcast_mismatch(A._data.shape[:-2], b_batch) from None
    return _P._out(_solve(A, B, left=left, vector=vector), out)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    X = solve(A, B, left=left)
    return _r["linalg_solve_ex"](X, _wrap(np.zeros(A._data.shape[:-2], dtype=np.int32)))


def _det_fwd(ctx, a):
    return np.ascontiguousarray(np.linalg.det(a)).astype(a.dtype, copy=False)


_det = Op("LinalgDetBackward0", _det_fwd, saves_output=True)


@_det.backward
def _(ctx, g):
    (A,) = ctx.inputs
    d = ctx.result
    if (d._data != 0).all():
        return (g * d).unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))
    # singular matrices: d det = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh
    U, S, Vh = svd(A)
    sign = det(U) * det(Vh)
    return (g * sign).unsqueeze(-1).unsqueeze(-1) * ((U * _prod_others(S).unsqueeze(-2)) @ Vh)


def _prod_others(S):
    """prod_{j != i} s_j for each i, without dividing (s_i may be zero)."""
    n = S._data.shape[-1]
    cols = []
    for i in range(n):  # over the matrix size: this runs only for singular inputs
        p = S[..., 0] * 0 + 1
        for j in range(n):
            if j != i:
                p = p * S[..., j]
        cols.append(p)
    return _S.stack(cols, -1)


def det(A, *, out=None):
    _check_square(A, "linalg.det")
    _check_dtype(A, "linalg.det", low=False)
    if A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{_NAME[A.dtype.name]}\'')
    return _P._out(_det(A), out)


def _slogdet_fwd(ctx, a):
    sign, labs = np.linalg.slogdet(a)
    return (np.ascontiguousarray(sign).astype(a.dtype, copy=False),
            np.ascontiguousarray(labs).astype(a.real.dtype, copy=False))


_slogdet = Op("LinalgSlogdetBackward0", _slogdet_fwd, n_outputs=2)


@_slogdet.backward
def _(ctx, gsign, glabs):
    (A,) = ctx.inputs
    if glabs is None:
        return None
    return glabs.unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))


def slogdet(A, *, out=None):
    _check_square(A, "linalg.slogdet")
    _check_dtype(A, "linalg.slogdet")
    return _r["linalg_slogdet"](*_slogdet(A))


# --- cholesky --------------------------------------------------------------------------------

def _cholesky_fwd(ctx, a, upper):
    try:
        L = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        k, order = _first_not_pd(a.reshape((-1,) + a.shape[-2:]))
        raise _LinAlgError(
            f"linalg.cholesky: {_batch_prefix(a.shape, k)}The factorization could not be "
            "completed because the input is not positive-definite (the leading minor of "
            f"order {order} is not positive-definite).") from None
    if upper:
        L = np.swapaxes(L, -1, -2).conj()
    return _fortran(L)


def _first_not_pd(flat):
    """Index of the first matrix whose Cholesky fails, and LAPACK's failing minor."""
    potrf = _lapack("potrf", flat[0])
    for k in range(flat.shape[0]):  # only on the error path
        _, info = potrf(flat[k], lower=1)
        if info > 0:
            return k, info
    return 0, 1


_cholesky = Op("LinalgCholeskyExBackward0", _cholesky_fwd, saves=(), saves_output=True)


@_cholesky.backward
def _(ctx, g):
    L = ctx.result
    if ctx.kw["upper"]:
        L, g = _mT(L), _mT(g)
    P = _X.tril(_mT(L) @ g)
    phi = 0.5 * (P + _mT(_X.tril(P, -1)))
    Linv = inv(L)
    return _mT(Linv) @ phi @ Linv


def cholesky(A, *, upper=False, out=None):
    _check_square(A, "linalg.cholesky")
    _check_dtype(A, "linalg.cholesky", low=False)
    if A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f'"cholesky_cpu" not implemented for \'{_NAME[A.dtype.name]}\'')
    return _P._out(_cholesky(A, upper=upper), out)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    L = cholesky(A, upper=upper)
    return _r["linalg_cholesky_ex"](L, _wrap(np.zeros(A._data.shape[:-2], dtype=np.int32)))


# --- qr / svd / eigh / eig ---------------------------------------------------------------------

def _qr_fwd(ctx, a, mode):
    if mode == "r":
        return np.empty((0,), a.dtype), _fortran(np.linalg.qr(a, mode="r"))
    q, r = np.linalg.qr(a, mode=mode)
    return _fortran(q), _fortran(r)


_qr = Op("LinalgQrBackward0", _qr_fwd, n_outputs=2, saves_output=False)


def _copyltu(M):
    return _X.tril(M, -1) + _mT(_X.tril(M, -1)) + _X.diag_embed(_S.diagonal(M, 0, -2, -1))


def _qr_square_backward(Q, R, gQ, gR):
    # A = QR with R square: gA = (gQ + Q copyltu(M)) R^{-T}, M = R gR^T - gQ^T Q
    M = R @ _mT(gR) - _mT(gQ) @ Q
    b = gQ + Q @ _copyltu(M)
    return _mT(solve(R, _mT(b)))


@_qr.backward
def _(ctx, gQ, gR):
    (A,) = ctx.inputs
    mode = ctx.kw["mode"]
    m, n = A._data.shape[-2:]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    Q, R = _qr(A, mode=mode)
    Q, R = Q.detach(), R.detach()
    gQ = gQ if gQ is not None else Q * 0
    gR = gR if gR is not None else R * 0
    if m >= n:
        return _qr_square_backward(Q, R, gQ, gR)
    # wide: A = [X | Y], R = [U | V]; X = QU is square, Y = QV
    Y, U, V = A[..., :, m:], R[..., :, :m], R[..., :, m:]
    gV = gR[..., :, m:]
    gX = _qr_square_backward(Q, U, gQ + Y @ _mT(gV), gR[..., :, :m])
    return _S.cat([gX, Q @ gV], -1)


def qr(A, mode="reduced", *, out=None):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_matrix(A, "linalg.qr")
    _check_dtype(A, "linalg.qr", low=False)
    return _r["linalg_qr"](*_qr(A, mode=mode))


def _svd_np(a, full):
    try:
        return np.linalg.svd(a, full_matrices=full)
    except np.linalg.LinAlgError:
        raise _LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                           "matrix is ill-conditioned or has too many repeated singular values "
                           "(error code: 1).") from None


def _svd_fwd(ctx, a, full):
    U, S, Vh = _svd_np(a, full)
    return _fortran(U), np.ascontiguousarray(S), _fortran(Vh)


_svd = Op("LinalgSvdBackward0", _svd_fwd, n_outputs=3)


def _svd_backward(U, S, Vh, gU, gS, gVh):
    """Real SVD: Townsend's formula on the reduced factors (extra columns are ignored)."""
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    k = S._data.shape[-1]
    U, Vh = U[..., :, :k], Vh[..., :k, :]
    V = _mT(Vh)
    gA = 0
    if gS is not None:
        gA = (U * gS.unsqueeze(-2)) @ Vh
    if gU is None and gVh is None:
        return gA
    gU = gU[..., :, :k] if gU is not None else U * 0
    gV = _mT(gVh[..., :k, :]) if gVh is not None else V * 0
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)           # E_ij = s_j^2 - s_i^2
    eye = _eye(k, S)
    F = (1 - eye) / (E + eye)
    UtgU, VtgV = _mT(U) @ gU, _mT(V) @ gV
    J = F * (UtgU - _mT(UtgU))
    K = F * (VtgV - _mT(VtgV))
    inner = J * S.unsqueeze(-2) + S.unsqueeze(-1) * K
    gA = gA + U @ inner @ Vh
    Sinv = 1 / S
    if m > k:
        gA = gA + (gU - U @ UtgU) @ (Vh * Sinv.unsqueeze(-1))
    if n > k:
        gA = gA + (U * Sinv.unsqueeze(-2)) @ _mT(gV - V @ VtgV)
    return gA


@_svd.backward
def _(ctx, gU, gS, gVh):
    (A,) = ctx.inputs
    U, S, Vh = (t.detach() for t in _svd(A, full=False))
    return _svd_backward(U, S, Vh, gU, gS, gVh)


def svd(A, full_matrices=True, *, driver=None, out=None):
    _check_matrix(A, "linalg.svd")
    _check_dtype(A, "linalg.svd", low=False)
    if A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f'"linalg_svd_cpu" not implemented for '
                                  f"'{_NAME[A.dtype.name]}'")
    return _r["linalg_svd"](*_svd(A, full=full_matrices))


def _svdvals_fwd(ctx, a):
    if ctx is None:
        return np.ascontiguousarray(np.linalg.svd(a, compute_uv=False))
    U, S, Vh = _svd_np(a, False)
    ctx.uv = (_wrap(U), _wrap(Vh))
    return np.ascontiguousarray(S)


_svdvals = Op("LinalgSvdBackward0", _svdvals_fwd)


@_svdvals.backward
def _(ctx, g):
    U, Vh = ctx.uv
    return (U * g.unsqueeze(-2)) @ Vh


def svdvals(A, *, driver=None, out=None):
    _check_matrix(A, "linalg.svd")
    _check_dtype(A, "linalg.svd", low=False)
    return _P._out(_svdvals(A), out)


def _eigh_fwd(ctx, a, uplo):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return np.ascontiguousarray(w), _fortran(v)


_eigh = Op("LinalgEighBackward0", _eigh_fwd, n_outputs=2, saves_output=False)


def _eigh_backward(w, V, gw, gV):
    n = w._data.shape[-1]
    eye = _eye(n, w)
    inner = 0
    if gV is not None:
        VtgV = _mT(V) @ gV
        E = w.unsqueeze(-2) - w.unsqueeze(-1) + eye      # E_ij = w_j - w_i, 1 on the diagonal
        inner = (0.5 * (VtgV - _mT(VtgV)) / E) * (1 - eye)
    if gw is not None:
        inner = inner + _X.diag_embed(gw)
    return V @ inner @ _mT(V)


@_eigh.backward
def _(ctx, gw, gV):
    (A,) = ctx.inputs
    w, V = (t.detach() for t in _eigh(A, uplo=ctx.kw["uplo"]))
    return _eigh_backward(w, V, gw, gV)


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    _check_square(A, "linalg.eigh")
    _check_uplo(UPLO)
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or A.dtype in (D.float16,
                                                                           D.bfloat16):
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for '
                                  f"'{_NAME[A.dtype.name]}'")
    return _r["linalg_eigh"](*_eigh(A, uplo=UPLO))


def _eigvalsh_fwd(ctx, a, uplo):
    if ctx is None:
        return np.ascontiguousarray(np.linalg.eigvalsh(a, UPLO=uplo))
    w, v = np.linalg.eigh(a, UPLO=uplo)
    ctx.V = _wrap(v)
    return np.ascontiguousarray(w)


_eigvalsh = Op("LinalgEighBackward0", _eigvalsh_fwd)
_eigvalsh.backward(lambda ctx, g: ctx.V @ _X.diag_embed(g) @ _mT(ctx.V))


def eigvalsh(A, UPLO="L", *, out=None):
    _check_square(A, "linalg.eigh")
    _check_uplo(UPLO)
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for '
                                  f"'{_NAME[A.dtype.name]}'")
    return _P._out(_eigvalsh(A, uplo=UPLO), out)


def _complex_of(dt):
    return np.complex128 if dt in (np.float64, np.complex128) else np.complex64


def _eig_fwd(ctx, a):
    w, v = np.linalg.eig(a)
    c = _complex_of(a.dtype)
    return np.ascontiguousarray(w.astype(c, copy=False)), _fortran(v.astype(c, copy=False))


_eig = Op("LinalgEigBackward0", _eig_fwd, n_outputs=2)


@_eig.backward
def _(ctx, gw, gV):
    raise NotImplementedError("ember: the derivative of linalg.eig is not implemented")


def _check_eig_dtype(A, fname):
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"Unknown Complex ScalarType for {_NAME[A.dtype.name]}")


def eig(A, *, out=None):
    _check_square(A, "linalg.eig")
    _check_eig_dtype(A, "linalg.eig")
    return _r["linalg_eig"](*_eig(A))


def eigvals(A, *, out=None):
    _check_square(A, "linalg.eigvals")
    _check_eig_dtype(A, "linalg.eigvals")
    if not A._requires_grad:
        w = np.linalg.eigvals(A._data)
        return _wrap(np.ascontiguousarray(w.astype(_complex_of(A._data.dtype), copy=False)))
    return _eig(A)[0]


# --- pinv, matrix_rank, lstsq ------------------------------------------------------------

def _tolerances(A, s_max, atol, rtol):
    """PyTorch's rule: rtol defaults to eps * max(m, n) unless atol is given (then 0)."""
    m, n = A.shape[-2:]
    eps = np.finfo(A.dtype if A.dtype.kind != "c" else A.real.dtype).eps
    if rtol is None:
        rtol = 0.0 if (atol is not None and np.any(np.asarray(atol) > 0)) else eps * max(m, n)
    atol = 0.0 if atol is None else atol
    return np.maximum(np.asarray(atol), np.asarray(rtol) * s_max)


def _tol_arg(t):
    return t._data if isinstance(t, Tensor) else t


def _pinv_fwd(ctx, a, atol, rtol, hermitian):
    if hermitian:
        w, v = np.linalg.eigh(a)
        s_max = np.abs(w).max(-1, keepdims=True) if w.shape[-1] else np.zeros(w.shape[:-1] + (1,))
        tol = _tolerances(a, s_max, _tol_arg(atol), _tol_arg(rtol))
        winv = np.where(np.abs(w) > tol, 1 / np.where(w == 0, 1, w), 0).astype(a.dtype)
        return np.matmul(v * winv[..., None, :], np.swapaxes(v, -1, -2).conj())
    U, S, Vh = np.linalg.svd(a, full_matrices=False)
    s_max = S[..., :1] if S.shape[-1] else np.zeros(S.shape[:-1] + (1,), S.dtype)
    tol = _tolerances(a, s_max, _tol_arg(atol), _tol_arg(rtol))
    sinv = np.where(S > tol, 1 / np.where(S == 0, 1, S), 0).astype(S.dtype)
    r = np.matmul(np.swapaxes(Vh, -1, -2).conj() * sinv[..., None, :],
                  np.swapaxes(U, -1, -2).conj())
    return np.ascontiguousarray(r)


_pinv = Op("LinalgPinvBackward0", _pinv_fwd, saves_output=True)


@_pinv.backward
def _(ctx, gP):
    (A,) = ctx.inputs
    P = ctx.result
    m, n = A._data.shape[-2:]
    Pt, gPt = _mT(P), _mT(gP)
    Im, In = _eye(m, A), _eye(n, A)
    return -(Pt @ gP @ Pt) + (Im - A @ P) @ gPt @ (P @ Pt) + (Pt @ P) @ gPt @ (In - P @ A)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
    if A.dim() < 2 or not (A.dtype in (D.float32, D.float64) or A.dtype.is_complex):
        tname = _NAME[A.dtype.name]
        raise RuntimeError(f"linalg.pinv({tname}{{{list(A.shape)}}}): expected a tensor with 2 "
                           "or more dimensions of float, double, cfloat or cdouble types")
    if rcond is not None:
        rtol = rcond
    return _P._out(_pinv(A, atol=atol, rtol=rtol, hermitian=hermitian), out)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    if A.dtype not in (D.float32, D.float64) and not A.dtype.is_complex:
        raise RuntimeError("This function doesn't handle types other than float and double")
    _check_matrix(A, "torch.linalg.matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    a = A._data
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    s_max = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    t = _tolerances(a, s_max, _tol_arg(atol), _tol_arg(rtol))
    return _wrap(np.ascontiguousarray((s > t).sum(-1).astype(np.int64)))


def _lstsq_fwd(ctx, a, b, rcond, driver, vector):
    if vector:
        b = b[..., None]
    U, S, Vh = np.linalg.svd(a, full_matrices=False)
    m, n = a.shape[-2:]
    eps = np.finfo(a.dtype).eps
    cut = (eps * max(m, n) if rcond is None else rcond) * (S[..., :1] if S.shape[-1] else 0)
    keep = S > cut
    sinv = np.where(keep, 1 / np.where(S == 0, 1, S), 0).astype(a.dtype)
    x = np.matmul(np.swapaxes(Vh, -1, -2) * sinv[..., None, :],
                  np.matmul(np.swapaxes(U, -1, -2), b))
    rank = keep.sum(-1).astype(np.int64)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if driver != "gelsy" and driver != "gels" and m > n and (rank == n).all():
        res = np.sum(np.abs(np.matmul(a, x) - b) ** 2, axis=-2).astype(a.dtype)
        if vector:
            res = res[..., 0]
    else:
        res = np.empty((0,), a.dtype)
    sv = np.ascontiguousarray(S) if driver in ("gelsd", "gelss") else np.empty((0,), a.dtype)
    if driver == "gels":
        rank = np.empty((0,), np.int64)
    else:
        rank = np.ascontiguousarray(np.broadcast_to(rank, batch))
    x = x[..., 0] if vector else _fortran(np.broadcast_to(x, batch + x.shape[-2:]))
    return x, np.ascontiguousarray(res), rank, sv


_lstsq = Op("LinalgLstsqBackward0", _lstsq_fwd, n_outputs=4, nondiff_outputs=(2, 3))


@_lstsq.backward
def _(ctx, gX, gres, grank, gsv):
    A, B = ctx.inputs
    vector = ctx.kw["vector"]
    X = _lstsq(A.detach(), B.detach(), **ctx.kw)[0]
    Bm, Xm = (B.unsqueeze(-1), X.unsqueeze(-1)) if vector else (B, X)
    gA = gB = 0
    if gX is not None:
        gXm = gX.unsqueeze(-1) if vector else gX
        P = pinv(A.detach())
        gB = _mT(P) @ gXm
        gP = gXm @ _mT(Bm)
        gA = _pinv_adjoint(A, P, gP)
    if gres is not None and gres.numel():
        r = A @ Xm - Bm
        gr = gres.unsqueeze(-2) if not vector else gres.unsqueeze(-1).unsqueeze(-1)
        gA = gA + 2 * (r * gr) @ _mT(Xm)
        gB = gB - 2 * r * gr
    if vector and not isinstance(gB, int):
        gB = gB.squeeze(-1)
    return gA, gB


def _pinv_adjoint(A, P, gP):
    m, n = A._data.shape[-2:]
    Pt, gPt = _mT(P), _mT(gP)
    return -(Pt @ gP @ Pt) + (_eye(m, A) - A @ P) @ gPt @ (P @ Pt) + \
        (Pt @ P) @ gPt @ (_eye(n, A) - P @ A)


def lstsq(A, B, rcond=None, *, driver=None):
    if driver is not None and driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    _check_dtype(A, "torch.linalg.lstsq")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, "
                           f"but got input's dtype {_NAME[A.dtype.name]} and other's dtype "
                           f"{_NAME[B.dtype.name]}")
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    vector = B.dim() == A.dim() - 1
    if not (A.dim() >= B.dim() and A.dim() - B.dim() <= 1):
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    if A._data.shape[-2] != B._data.shape[-1 if vector else -2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)"
                           if not vector else "torch.linalg.lstsq: input.size(-2) should match "
                           "other.size(-1) when other is a vector")
    return _r["linalg_lstsq"](*_lstsq(A, B, rcond=rcond, driver=driver or "gelsy",
                                      vector=vector))


# --- matrix functions ------------------------------------------------------------------------

def matrix_power(A, n, *, out=None):
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    _check_square(A, "linalg.matrix_power")
    if n == 0:
        r = _eye_power(A)
    elif n < 0:
        return matrix_power(inv(A), -n, out=out)
    elif n == 1:
        r = A.clone()
    elif n == 2:
        r = matmul(A, A)
    elif n == 3:
        r = matmul(matmul(A, A), A)
    else:
        z = r = None
        while n > 0:  # binary powering, least significant bit first (PyTorch's order)
            bit, n = n % 2, n // 2
            z = A if z is None else matmul(z, z)
            if bit:
                r = z if r is None else matmul(r, z)
    return _P._out(r, out)


_eye_copy = Op("torch::autograd::CopyBackwards",
               lambda ctx, a: np.ascontiguousarray(np.broadcast_to(
                   np.eye(a.shape[-1], dtype=a.dtype), a.shape)), saves=())
_eye_copy.backward(lambda ctx, g: g * 0)


def _eye_power(A):
    return _eye_copy(A)


def _expm_fwd(ctx, a):
    from scipy.linalg import expm
    if a.shape[-1] == 0:
        return a.copy()
    return np.ascontiguousarray(expm(a).astype(a.dtype, copy=False))


_matrix_exp = Op("LinalgMatrixExpBackward0", _expm_fwd)


@_matrix_exp.backward
def _(ctx, g):
    # d/dA <G, exp(A)> is the top-right block of exp([[A^T, G], [0, A^T]])
    (A,) = ctx.inputs
    At = _mT(A)
    n = A._data.shape[-1]
    top = _S.cat([At, g], -1)
    bottom = _S.cat([At * 0, At], -1)
    return matrix_exp(_S.cat([top, bottom], -2))[..., :n, n:]


def matrix_exp(A):
    _check_square(A, "linalg.matrix_exp")
    _check_dtype(A, "linalg.matrix_exp", low=False)
    return _matrix_exp(A)


# --- norms ------------------------------------------------------------------------------------

def _vnorm_fwd(ctx, x, ord, dims, keepdim, dt):
    a = np.abs(x)
    if a.dtype.itemsize == 2 and a.dtype.kind in "fV":
        a = a.astype(np.float32)
    if ord == 2:
        r = np.sqrt(np.sum(a * a, axis=dims, keepdims=keepdim))
    elif ord == 1:
        r = np.sum(a, axis=dims, keepdims=keepdim)
    elif ord == 0:
        r = np.count_nonzero(a, axis=dims, keepdims=keepdim).astype(a.dtype)
    elif ord == np.inf:
        r = np.amax(a, axis=dims, keepdims=keepdim, initial=0)
    elif ord == -np.inf:
        r = np.amin(a, axis=dims, keepdims=keepdim)
    else:
        r = np.sum(a ** ord, axis=dims, keepdims=keepdim) ** (1.0 / ord)
    return np.ascontiguousarray(np.asarray(r).astype(dt.np, copy=False))


_vnorm = Op("LinalgVectorNormBackward0", _vnorm_fwd, saves_output=True)


@_vnorm.backward
def _(ctx, g):
    return _vnorm_grad(ctx.inputs[0], ctx.result, g, ctx.kw["ord"], ctx.kw["dims"],
                       ctx.kw["keepdim"])


def _vnorm_grad(x, norm, g, ord, dims, keepdim):
    if not keepdim and x.dim():
        if dims is None:
            g, norm = _reshape(g, (1,) * x.dim()), _reshape(norm, (1,) * x.dim())
        else:
            for d in sorted(dims):
                g, norm = g.unsqueeze(d), norm.unsqueeze(d)
    if ord == 0:
        return x * 0
    if ord == 1:
        return x.sign() * g
    if ord == 2:
        return x * (g / norm).masked_fill(norm == 0, 0.0)
    if np.isinf(ord):  # ties share the gradient evenly, as in PyTorch
        mask = (x.abs() == norm).to(x.dtype)
        count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
        return x.sign() * mask * (g / count)
    scale = (g / norm.pow(ord - 1)).masked_fill(norm == 0, 0.0)
    return x.sign() * x.abs().pow(ord - 1) * scale


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        "str")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_NAME[x.dtype.name]}")
    ord = float(ord)
    nd = x.dim()
    dims = None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if dims is not None and len(dims) == 0:
        dims = None
    if dims is not None:
        dims = tuple(_errors.wrap_dim(d, nd) for d in dims)
    if x.numel() == 0 and (ord < 0 or ord == np.inf):
        ord_s = _fmt_ord(ord)
        if dims is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord_s} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if x._data.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord_s} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
    if dtype is not None:
        dt = D.to_dtype(dtype)
        if not (dt.is_floating_point or dt.is_complex):
            raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, "
                               f"but got {_NAME[dt.name]}")
        if D.promote_types(x.dtype, dt) is not dt:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input "
                               f"({_NAME[x.dtype.name]}) should be convertible without narrowing "
                               f"to the specified dtype ({_NAME[dt.name]})")
        x = x.to(dt)
    out_dt = {D.complex64: D.float32, D.complex128: D.float64}.get(x.dtype, x.dtype)
    if nd == 0:
        dims = None
    return _P._out(_vnorm(x, ord=ord, dims=dims, keepdim=keepdim, dt=out_dt), out)


def _fmt_ord(ord):
    if np.isinf(ord):
        return "inf" if ord > 0 else "-inf"
    return str(int(ord)) if float(ord).is_integer() else str(ord)


def _make_extremum(name, npfn, cmp_max):
    op = Op(name, lambda ctx, a, dim, keepdim: np.ascontiguousarray(
        npfn(a, axis=dim, keepdims=keepdim)), saves_output=True)

    @op.backward
    def _(ctx, g):
        (x,) = ctx.inputs
        r = ctx.result
        if not ctx.kw["keepdim"]:
            g, r = g.unsqueeze(ctx.kw["dim"]), r.unsqueeze(ctx.kw["dim"])
        mask = (x == r).to(x.dtype)
        return mask * (g / mask.sum(ctx.kw["dim"], keepdim=True))
    return op


_amax = _make_extremum("AmaxBackward0", np.amax, True)
_amin = _make_extremum("AminBackward0", np.amin, False)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    _check_matrix(A, "linalg.matrix_norm")
    dim = tuple(dim) if not isinstance(dim, int) else (dim,)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {len(dim)}")
    nd = A.dim()
    d0, d1 = (_errors.wrap_dim(d, nd) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        if ord == "fro":
            return _P._out(vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype), out)
        return _P._out(_spectral(A, d0, d1, keepdim, dtype, "nuc"), out)
    if ord not in (1, -1, 2, -2, np.inf, -np.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {_fmt_ord(ord)} not supported.")
    if abs(ord) == 2:
        return _P._out(_spectral(A, d0, d1, keepdim, dtype, ord), out)
    # 1: max column sum (sum over rows d0); inf: max row sum (sum over columns d1)
    s_dim, m_dim = (d0, d1) if abs(ord) == 1 else (d1, d0)
    v = vector_norm(A, 1, s_dim, keepdim=True, dtype=dtype)
    ext = _amax if ord > 0 else _amin
    r = ext(v, dim=m_dim, keepdim=True)
    if not keepdim:
        r = _reshape(r, tuple(s for i, s in enumerate(r.shape) if i not in (d0, d1)))
    return _P._out(r, out)


def _spectral(A, d0, d1, keepdim, dtype, ord):
    _check_dtype(A, "linalg.matrix_norm", low=False)
    if dtype is not None:
        A = A.to(D.to_dtype(dtype))
    nd = A.dim()
    rest = [i for i in range(nd) if i not in (d0, d1)]
    s = svdvals(A.permute(rest + [d0, d1]))
    if ord == "nuc":
        r = s.sum(-1)
    else:
        r = (_amax if ord > 0 else _amin)(s, dim=s.dim() - 1, keepdim=False)
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return r


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    if dim is not None:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype, out=out)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype, out=out)
    if dim is None:
        if A.dim() not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.dim()}D.")
        dim = tuple(range(A.dim()))
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype, out=out)
    if isinstance(ord, str):
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype, out=out)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype, out=out)


def cond(A, p=None):
    if p in (None, 2, -2):
        s = svdvals(A)
        r = s[..., 0] / s[..., -1]
        return r if p != -2 else 1 / r
    _check_square(A, "linalg.cond")
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _S.diagonal(A, offset, dim1, dim2)


def vecdot(x, y, *, dim=-1, out=None):
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {_NAME[x.dtype.name]} and y of type {_NAME[y.dtype.name]} "
                           "instead")
    prod = (x.conj() if x.dtype.is_complex else x) * y
    return _P._out(prod.sum(dim), out)


def vander(x, *, N=None):
    if x.dim() < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    n = x._data.shape[-1] if N is None else N
    if n < 1:
        raise RuntimeError("N must be greater than 1.")
    cols = [x.unsqueeze(-1) ** 0] + [x.unsqueeze(-1) ** k for k in range(1, n)]
    return _S.cat(cols, -1)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    T = _X.triu(A) if upper else _X.tril(A)
    if unitriangular:
        T = T - _X.diag_embed(_S.diagonal(T, 0, -2, -1)) + _eye(A._data.shape[-1], A)
    return _P._out(solve(T, B, left=left), out)


# --- torch-level aliases (exported as ember.<name> by ember._ops.shape_extra) -------------

def inverse(input, *, out=None):
    return inv(input, out=out)


def logdet(input):
    from ._ops.elementwise import where
    sign, labs = slogdet(input)
    return where(sign == -1, float("nan"), labs)


def slogdet_legacy(input):
    return _r["slogdet"](*slogdet(input))


def svd_legacy(input, some=True, compute_uv=True, *, out=None):
    _check_matrix(input, "linalg.svd")
    if not compute_uv:
        S = svdvals(input)
        m, n = input._data.shape[-2:]
        U = _wrap(np.zeros(input._data.shape[:-2] + (m, m), input.dtype.np))
        V = _wrap(_fortran(np.zeros(input._data.shape[:-2] + (n, n), input.dtype.np)))
        return _r["svd"](U, S, V)
    U, S, Vh = svd(input, full_matrices=not some)
    return _r["svd"](U, S, _mT(Vh))


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


def dist(input, other, p=2):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{_NAME[input.dtype.name]} instead.")
    try:
        np.broadcast_shapes(input._data.shape, other._data.shape)
    except ValueError:
        raise _errors.broadcast_mismatch(input._data.shape, other._data.shape) from None
    return _dist(input, other, p=float(p))


_dist = Op("DistBackward0", lambda ctx, a, b, p: _vnorm_fwd(
    None, np.subtract(a, b), p, None, False, D._BY_NP[np.result_type(a, b)]),
    saves_output=True)


@_dist.backward
def _(ctx, g):
    a, b = ctx.inputs
    gx = _vnorm_grad(a - b, ctx.result, g, ctx.kw["p"], None, False)
    n = ctx.needs_input_grad
    return (gx if n[0] else None), (-gx if n[1] else None)


def torch_norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm``: PyTorch routes it to vector_norm / matrix_norm."""
    _dim = None if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, _dim, keepdim, dtype=dtype, out=out)
        if _dim is None:
            _dim = list(range(input.dim()))
        return matrix_norm(input, p, _dim, keepdim, dtype=dtype, out=out)
    return vector_norm(input, 2.0 if p is None else p, _dim, keepdim, dtype=dtype, out=out)


_QR_REMOVED = (
    "This function was deprecated since version 1.9 and is now removed. `torch.qr` is "
    "deprecated in favor of `torch.linalg.qr` and the boolean parameter `some` has been replaced "
    "with a string parameter `mode`.\n\nQ, R = torch.qr(A) should be replaced with:\nQ, R = "
    "torch.linalg.qr(A, mode='reduced')\n\nand\n\nQ, R = torch.qr(A, some=False) should be "
    "replaced with:\nQ, R = torch.linalg.qr(A, mode='complete')\n\nSince `some` was set to {}, "
    "use mode='{}'.")
_CHOLESKY_REMOVED = (
    "This function was deprecated since version 1.9 and is now removed. `torch.cholesky` is "
    "deprecated in favor of `torch.linalg.cholesky`.\nL = torch.cholesky(A) should be replaced "
    "with:\nL = torch.linalg.cholesky(A)\nU = torch.cholesky(A, upper=True) should be replaced "
    "with:\nU = torch.linalg.cholesky(A).mH")


def qr_removed(input, some=True, *, out=None):
    raise RuntimeError(_QR_REMOVED.format(some, "reduced" if some else "complete"))


def cholesky_removed(input, upper=False, *, out=None):
    raise RuntimeError(_CHOLESKY_REMOVED)


install({
    "det": det, "logdet": logdet, "slogdet": slogdet_legacy, "inverse": inverse,
    "pinverse": pinverse, "svd": svd_legacy, "matrix_power": matrix_power,
    "matrix_exp": matrix_exp, "norm": torch_norm, "dist": dist, "qr": qr_removed,
    "cholesky": cholesky_removed,
})

TORCH_ALIASES = {"inverse": inverse, "det": det, "logdet": logdet, "slogdet": slogdet_legacy,
                 "svd": svd_legacy, "pinverse": pinverse, "matrix_power": matrix_power,
                 "matrix_exp": matrix_exp, "norm": torch_norm, "dist": dist, "qr": qr_removed,
                 "cholesky": cholesky_removed}
