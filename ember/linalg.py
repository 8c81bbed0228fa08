"""ember.linalg: norms, inverses, solves and decompositions, as ``torch.linalg``.

The factorizations (inv, solve, det, cholesky, qr, svd, eigh, eig) live in
``ember/_ops/decompositions.py``; this module adds the functions built on them (pinv,
lstsq, matrix_power, matrix_exp, norms ...) and the torch-level aliases (``torch.det``,
the old ``torch.svd``) that ``ember/_ops/shape_extra.py`` exports as ``ember.<name>``.
"""
from . import _dtype as D
from . import _errors
from ._backend import np
from .autograd.op import Op
from ._ops import linalg as _P
from ._ops import shape as _S
from ._ops import shape_extra as _X
from ._ops._util import Tensor, _wrap, install
from ._ops.linalg import matmul, multi_dot, linalg_cross as cross, _reshape, _contig
from ._ops.decompositions import (  # noqa: F401  (the public names of torch.linalg)
    LinAlgError, _LinAlgError, inv, inv_ex, solve, solve_ex, det, slogdet, cholesky,
    cholesky_ex, qr, svd, svdvals, eigh, eigvalsh, eig, eigvals)
from ._ops.decompositions import (_NAME, _r, _check_dtype, _check_matrix, _check_square,
                                  _fortran, _mT, _eye, _batch_prefix)
from .autograd.grad_mode import state as _grad_state

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
    return _contig(r)


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
    return _wrap(_contig((s > t).sum(-1).astype(np.int64)))


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
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    rank = keep.sum(-1).astype(np.int64)
    if driver != "gelsy" and m > n:  # LAPACK leaves the residuals below the solution
        res = np.sum(np.abs(np.matmul(a, x) - b) ** 2, axis=-2).astype(a.dtype)
    else:
        res = np.empty((0,), a.dtype)
    sv = _contig(S) if driver in ("gelsd", "gelss") else np.empty((0,), a.dtype)
    rank = np.empty((0,), np.int64) if driver == "gels" else _contig(np.broadcast_to(rank, batch))
    k = x.shape[-1]
    if vector:
        x = _contig(x[..., 0])
    else:  # the solution is the top of LAPACK's column-major (max(m, n), k) buffer
        buf = np.zeros(batch + (k, max(m, n)), a.dtype)
        buf[..., :n] = np.swapaxes(x, -1, -2)
        x = np.swapaxes(buf, -1, -2)[..., :n, :]
    return x, _contig(res), rank, sv


_lstsq = Op("LinalgLstsqBackward0", _lstsq_fwd, n_outputs=4, nondiff_outputs=(2, 3))


@_lstsq.backward
def _(ctx, gX, gres, grank, gsv):
    A, B = ctx.inputs
    vector = ctx.kw["vector"]
    X = _lstsq(A, B, **ctx.kw)[0]
    Bm, Xm = (B.unsqueeze(-1), X.unsqueeze(-1)) if vector else (B, X)
    gA = gB = 0
    if gX is not None:
        gXm = gX.unsqueeze(-1) if vector else gX
        P = pinv(A)
        gB = _mT(P) @ gXm
        gP = gXm @ _mT(Bm)
        gA = _pinv_adjoint(A, P, gP)
    if gres is not None and gres.numel():
        r = A @ Xm - Bm
        gr = gres.unsqueeze(-2)
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
               lambda ctx, a: _contig(np.broadcast_to(
                   np.eye(a.shape[-1], dtype=a.dtype), a.shape)), saves=())
_eye_copy.backward(lambda ctx, g: g * 0)


def _eye_power(A):
    return _eye_copy(A)


def _expm_fwd(ctx, a):
    from scipy.linalg import expm
    if a.shape[-1] == 0:
        return a.copy()
    return _contig(expm(a).astype(a.dtype, copy=False))


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
    return _contig(np.asarray(r).astype(dt.np, copy=False))


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
        return None
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
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
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
    op = Op(name, lambda ctx, a, dim, keepdim: _contig(
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
    if isinstance(dim, int):
        raise TypeError("linalg_matrix_norm() received an invalid combination of arguments - got "
                        "(Tensor, dim=int)")
    _check_matrix(A, "linalg.matrix_norm")
    dim = tuple(dim)
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
            return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype, out=out)
    elif ord not in (1, -1, 2, -2, np.inf, -np.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {_fmt_ord(ord)} not supported.")
    ext = _amax if ord == "nuc" or ord > 0 else _amin
    if ord == "nuc" or abs(ord) == 2:
        # singular values of the matrices moved to the end, reduced, moved back for keepdim
        _check_dtype(A, "linalg.matrix_norm", low=False)
        A = A.to(D.to_dtype(dtype)) if dtype is not None else A
        perm = [i for i in range(nd) if i not in (d0, d1)] + [d0, d1]
        s = svdvals(A.permute(perm))
        r = s.sum(-1, keepdim=keepdim) if ord == "nuc" else ext(s, dim=s.dim() - 1,
                                                                 keepdim=keepdim)
        if keepdim:
            r = r.unsqueeze(-1).permute([perm.index(i) for i in range(nd)])
        return _P._out(r, out)
    # 1: the largest column sum; inf: the 1 norm of the transpose
    if abs(ord) == np.inf:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    r = ext(vector_norm(A, 1, d0, keepdim, dtype=dtype), dim=d1, keepdim=keepdim)
    return _P._out(r, out)


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


def _tri_fwd(ctx, a, b, upper, left, unit):
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        i = np.arange(a.shape[-1])
        t[..., i, i] = 1
    if not left:  # X T = B  <=>  T^T X^T = B^T
        return _fortran(np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2),
                                                    np.swapaxes(b, -1, -2)), -1, -2))
    return _fortran(np.linalg.solve(t, b))


_solve_tri = Op("LinalgSolveTriangularBackward0", _tri_fwd, saves_output=True)


@_solve_tri.backward
def _(ctx, g):
    A, B = ctx.inputs
    kw = ctx.kw
    X = ctx.result
    gB = _solve_tri(_mT(A), g, upper=not kw["upper"], left=kw["left"], unit=kw["unit"])
    gA = None
    if ctx.needs_input_grad[0]:
        gA = -(gB @ _mT(X)) if kw["left"] else -(_mT(X) @ gB)
        gA = _X.triu(gA, 1 if kw["unit"] else 0) if kw["upper"] else \
            _X.tril(gA, -1 if kw["unit"] else 0)
    return gA, gB


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    _check_matrix(A, "linalg.solve_triangular")
    return _P._out(_solve_tri(A, B, upper=upper, left=left, unit=unitriangular), out)


# --- LU ------------------------------------------------------------------------------------

def _lu_np(a):
    import warnings
    from scipy.linalg import lu_factor as _scipy_lu_factor
    with warnings.catch_warnings():  # singular inputs still factor; callers decide
        warnings.simplefilter("ignore")
        return _scipy_lu_factor(a, check_finite=False)


def _lu_factor_fwd(ctx, a):
    lu, piv = _lu_np(a)
    piv = (piv + 1).astype(np.int32)  # LAPACK's 1-based pivots
    if ctx is not None:
        ctx.lu, ctx.piv = lu, piv
    return _fortran(lu), piv


_lu_factor = Op("LinalgLuFactorExBackward0", _lu_factor_fwd, n_outputs=2, nondiff_outputs=(1,),
                saves=())


def _lu_backward(A, L, U, gL, gU, P):
    """Square A = P L U: gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T."""
    m, n = A._data.shape[-2:]
    if m != n:
        raise NotImplementedError("ember: the derivative of the LU decomposition is implemented "
                                  "for square matrices only")
    phi = 0
    if gL is not None:
        phi = _X.tril(_mT(L) @ gL, -1)
    if gU is not None:
        phi = phi + _X.triu(gU @ _mT(U))
    return P @ _mT(solve(U, _mT(solve(_mT(L), phi))))


def _unpack(LU, pivots):
    """P, L, U (ember tensors, P as a constant) from a packed LU and 1-based pivots."""
    lu, piv = LU._data, pivots._data - 1
    n = lu.shape[-2]
    perm = np.broadcast_to(np.arange(n), piv.shape[:-1] + (n,)).copy()
    rows = np.arange(perm.reshape(-1, n).shape[0])
    flat, fpiv = perm.reshape(-1, n), piv.reshape(-1, piv.shape[-1])
    for i in range(fpiv.shape[-1]):  # LAPACK's row swaps, in order (a loop over the size)
        j = fpiv[:, i]
        flat[rows, i], flat[rows, j] = flat[rows, j], flat[rows, i].copy()
    P = np.zeros(perm.shape + (n,), lu.dtype)
    np.put_along_axis(P, perm[..., :, None], 1, axis=-1)  # row r of P^T picks row perm[r]
    k = min(lu.shape[-2:])
    L = _X.tril(LU[..., :, :k], -1) + _eye_rect(n, k, LU)
    U = _X.triu(LU[..., :k, :])
    return _wrap(_contig(np.swapaxes(P, -1, -2))), L, U


def _eye_rect(m, k, like):
    from ._creation import eye
    return eye(m, k, dtype=like.dtype)


@_lu_factor.backward
def _(ctx, gLU, gpiv):
    (A,) = ctx.inputs
    LU, piv = _lu_factor(A) if _grad_state.enabled else (_wrap(ctx.lu), _wrap(ctx.piv))
    P, L, U = _unpack(LU, piv)
    return _lu_backward(A, L, U, _X.tril(gLU, -1), _X.triu(gLU), P)


def _check_lu(A, fname):
    if A.dim() < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(A.shape)} instead")
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or A.dtype in (D.float16,
                                                                           D.bfloat16):
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{_NAME[A.dtype.name]}\'')


def lu_factor(A, *, pivot=True, out=None):
    _check_lu(A, "linalg.lu_factor")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, piv = _lu_factor(A)
    if A._data.shape[-2] == A._data.shape[-1]:
        d = np.diagonal(LU._data, 0, -2, -1).reshape(-1, A._data.shape[-1])
        bad = np.argwhere(d == 0)
        if bad.size:
            b, i = bad[0]
            raise RuntimeError(f"torch.linalg.lu_factor: {_batch_prefix(A._data.shape, b)}"
                               f"U[{i + 1},{i + 1}] is zero and using it on lu_solve would result "
                               "in a division by zero. If you still want to perform the "
                               "factorization, consider calling linalg.lu(A, pivot) or "
                               "linalg.lu_factor_ex(A, pivot)")
    return _r["linalg_lu_factor"](LU, piv)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    _check_lu(A, "linalg.lu_factor_ex")
    LU, piv = _lu_factor(A)
    return _r["linalg_lu_factor_ex"](LU, piv, _wrap(np.zeros(A._data.shape[:-2], np.int32)))


def _lu_fwd(ctx, a):
    from scipy.linalg import lu as _scipy_lu
    p, l, u = _scipy_lu(a, check_finite=False)
    return _contig(p.astype(a.dtype, copy=False)), _contig(l), _contig(u)


_lu = Op("LinalgLuBackward0", _lu_fwd, n_outputs=3, nondiff_outputs=(0,), saves=())


@_lu.backward
def _(ctx, gP, gL, gU):
    (A,) = ctx.inputs
    P, L, U = _lu(A)
    return _lu_backward(A, L, U, gL, gU, P.detach())


def lu(A, *, pivot=True, out=None):
    _check_lu(A, "linalg.lu")
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    return _r["linalg_lu"](*_lu(A))


def _lu_solve_fwd(ctx, lu, piv, b, left, adjoint):
    from scipy.linalg import lu_solve as _scipy_lu_solve
    trans = 1 if adjoint else 0
    if not left:  # X A = B  <=>  A^T X^T = B^T
        x = _scipy_lu_solve((lu, piv - 1), np.swapaxes(b, -1, -2), trans=1 - trans,
                            check_finite=False)
        return _contig(np.swapaxes(x, -1, -2))
    return _fortran(_scipy_lu_solve((lu, piv - 1), b, trans=trans, check_finite=False))


_lu_solve = Op("LinalgLuSolveBackward0", _lu_solve_fwd, saves=(0, 1))


@_lu_solve.backward
def _(ctx, g):
    LU, piv, B = ctx.inputs
    if ctx.needs_input_grad[0]:
        raise NotImplementedError("ember: the derivative of linalg.lu_solve with respect to LU "
                                  "is not implemented")
    kw = dict(ctx.kw)
    kw["adjoint"] = not kw["adjoint"]
    return None, None, _lu_solve(LU, piv, g, **kw)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    return _P._out(_lu_solve(LU, pivots, B, left=left, adjoint=adjoint), out)


# --- tensorinv, tensorsolve ------------------------------------------------------------

def tensorinv(A, ind=2, *, out=None):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A.shape)
    rows, cols = _P._prod(shape[:ind]), _P._prod(shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    r = _reshape(inv(_reshape(A, rows, cols)), shape[ind:] + shape[:ind])
    return _P._out(r, out)


def tensorsolve(A, B, dims=None, *, out=None):
    if dims is not None:
        nd = A.dim()
        dims = [_errors.wrap_dim(d, nd) for d in dims]
        A = A.permute([i for i in range(nd) if i not in dims] + dims)
    res_shape = tuple(A.shape)[B.dim():]
    n = _P._prod(res_shape)
    if n != B.numel():
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) "
                           f"== prod(self.shape[:other.ndim]), but got {n} != {B.numel()}")
    x = solve(_reshape(A, B.numel(), n), _reshape(B, -1))
    return _P._out(_reshape(x, res_shape), out)


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
    "matrix_exp": matrix_exp, "qr": qr_removed, "cholesky": cholesky_removed,
})

TORCH_ALIASES = {"inverse": inverse, "det": det, "logdet": logdet, "slogdet": slogdet_legacy,
                 "svd": svd_legacy, "pinverse": pinverse, "matrix_power": matrix_power,
                 "matrix_exp": matrix_exp, "qr": qr_removed, "cholesky": cholesky_removed}
