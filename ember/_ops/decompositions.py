"""Factorizations behind ember.linalg: inv, solve, det, cholesky, qr, svd, eigh, eig.

Forward passes run LAPACK through NumPy (SciPy where NumPy has no routine); results
keep PyTorch's layouts (LAPACK hands back column-major matrices, so ``inv``, ``solve``,
``qr``, ``svd``, ``eigh``, ``cholesky`` return batches of column-major matrices).
Backward passes are written with ember ops, so they differentiate again.
Gradients are for real inputs; complex inputs run forward only.
"""
from .. import _dtype as D
from .. import _errors
from .._backend import np
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op import Op
from . import linalg as _P
from . import shape as _S
from . import shape_extra as _X
from ._util import _wrap
from .linalg import _contig

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
    ("linalg_lstsq", ("solution", "residuals", "rank", "singular_values")),
    ("linalg_lu_factor", ("LU", "pivots")), ("linalg_lu_factor_ex", ("LU", "pivots", "info")),
    ("linalg_lu", ("P", "L", "U"))]}


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
        return _contig(a)
    return np.swapaxes(_contig(np.swapaxes(a, -1, -2)), -1, -2)


def _factors(ctx, cached, recompute):
    """The forward's factors for a backward: cached arrays, or (under create_graph)
    recomputed with a graph so the gradient can be differentiated again."""
    return recompute() if _grad_state.enabled else cached


def _mT(t):
    return _S.transpose(t, -2, -1)


def _eye(n, like):
    from .._creation import eye
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
        return _contig(np.swapaxes(x, -1, -2))
    if vector:
        x = x[..., 0]
        if x.ndim > 1:  # PyTorch solves a batch of vectors as one matrix right-hand side
            return np.swapaxes(_contig(np.swapaxes(x, -1, -2)), -1, -2)
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
    return _contig(np.linalg.det(a)).astype(a.dtype, copy=False)


_det = Op("LinalgDetBackward0", _det_fwd, saves_output=True)


@_det.backward
def _(ctx, g):
    (A,) = ctx.inputs
    d = ctx.result
    singular = d._data == 0
    if singular.any():  # PyTorch's gradient is zero at singular matrices
        from .elementwise import where
        A = where(_wrap(singular[..., None, None]), _eye(A._data.shape[-1], A), A)
    return (g * d).unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))


def det(A, *, out=None):
    _check_square(A, "linalg.det")
    _check_dtype(A, "linalg.det", low=False)
    if A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{_NAME[A.dtype.name]}\'')
    return _P._out(_det(A), out)


def _slogdet_fwd(ctx, a):
    sign, labs = np.linalg.slogdet(a)
    return (_contig(sign).astype(a.dtype, copy=False),
            _contig(labs).astype(a.real.dtype, copy=False))


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
    if ctx is not None:
        ctx.qr = (_wrap(q), _wrap(r))
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
    Q, R = _factors(ctx, ctx.qr, lambda: _qr(A, mode=mode))
    gQ = gQ if gQ is not None else Q * 0
    gR = gR if gR is not None else R * 0
    if m >= n:
        return _qr_square_backward(Q, R, gQ, gR)
    # wide: A = [X | Y], R = [U | V]; X = QU is square, Y = QV
    Y, U = A[..., :, m:], R[..., :, :m]
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
    if ctx is not None:
        ctx.usv = (_wrap(U), _wrap(S), _wrap(Vh))
    return _fortran(U), _contig(S), _fortran(Vh)


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
    U, S, Vh = _factors(ctx, ctx.usv, lambda: _svd(ctx.inputs[0], full=False))
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
        return _contig(np.linalg.svd(a, compute_uv=False))
    U, S, Vh = _svd_np(a, False)
    ctx.uv = (_wrap(U), _wrap(Vh))
    return _contig(S)


_svdvals = Op("LinalgSvdBackward0", _svdvals_fwd)


@_svdvals.backward
def _(ctx, g):
    U, _, Vh = _factors(ctx, (ctx.uv[0], None, ctx.uv[1]),
                        lambda: _svd(ctx.inputs[0], full=False))
    return (U * g.unsqueeze(-2)) @ Vh


def svdvals(A, *, driver=None, out=None):
    _check_matrix(A, "linalg.svd")
    _check_dtype(A, "linalg.svd", low=False)
    return _P._out(_svdvals(A), out)


def _eigh_fwd(ctx, a, uplo):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    if ctx is not None:
        ctx.wv = (_wrap(w), _wrap(v))
    return _contig(w), _fortran(v)


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
    w, V = _factors(ctx, ctx.wv, lambda: _eigh(ctx.inputs[0], uplo=ctx.kw["uplo"]))
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
        return _contig(np.linalg.eigvalsh(a, UPLO=uplo))
    w, v = np.linalg.eigh(a, UPLO=uplo)
    ctx.V = _wrap(v)
    return _contig(w)


_eigvalsh = Op("LinalgEighBackward0", _eigvalsh_fwd)
@_eigvalsh.backward
def _(ctx, g):
    V = _factors(ctx, ctx.V, lambda: _eigh(ctx.inputs[0], uplo=ctx.kw["uplo"])[1])
    return V @ _X.diag_embed(g) @ _mT(V)


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
    return _contig(w.astype(c, copy=False)), _fortran(v.astype(c, copy=False))


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
        return _wrap(_contig(w.astype(_complex_of(A._data.dtype), copy=False)))
    return _eig(A)[0]
