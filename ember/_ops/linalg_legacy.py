"""PyTorch's older linear-algebra functions: cholesky_solve, cholesky_inverse,
triangular_solve, lu, lu_solve and lu_unpack (torch.linalg has the newer forms)."""
import warnings

from ..autograd.op import Op
from ..autograd.grad_mode import no_grad
from ._util import D, _wrap, np, install
from .joining import cat
from . import sort as _sort
from .shape_more import _E


def _tri(a, b, upper, unit=False):
    """Solve a b-batch of triangular systems on arrays (column-major, as LAPACK leaves it)."""
    E = _E()
    with no_grad():
        return E.linalg.solve_triangular(_wrap(a), _wrap(b), upper=upper,
                                         unitriangular=unit)._data


def _cholesky_solve_fwd(ctx, b, l, upper):
    lh = np.swapaxes(l, -1, -2).conj()
    if upper:
        return _tri(l, _tri(lh, b, False), True)
    return _tri(lh, _tri(l, b, False), True)


_cholesky_solve = Op("CholeskySolveBackward0", _cholesky_solve_fwd, saves_output=True)


@_cholesky_solve.backward
def _(ctx, g):
    b, l = ctx.inputs
    upper = ctx.kw["upper"]
    gb = _cholesky_solve(g, l, upper=upper)
    gl = None
    if ctx.needs_input_grad[1]:
        c = gb @ ctx.result.mH
        c = c + c.mH
        gl = -(l @ c) if upper else -(c @ l)
    return gb, gl


def _need_matrices(name, *ts):
    for t, what in zip(ts, ("b", "A")):
        if t.dim() < 2:
            raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 "
                               f"dimensions.")


def cholesky_solve(input, input2, upper=False, *, out=None):
    _need_matrices("torch.cholesky_solve", input, input2)
    return _cholesky_solve(input, input2, upper=bool(upper))


def _cholesky_inverse_fwd(ctx, l, upper):
    eye = np.broadcast_to(np.eye(l.shape[-1], dtype=l.dtype), l.shape)
    return _cholesky_solve_fwd(ctx, eye, np.triu(l) if upper else np.tril(l), upper)


_cholesky_inverse = Op("CholeskyInverseBackward0", _cholesky_inverse_fwd, saves_output=True)


@_cholesky_inverse.backward
def _(ctx, g):
    (l,) = ctx.inputs
    inv = ctx.result
    c = -(inv @ (g + g.mH) @ inv)
    return l @ c if ctx.kw["upper"] else c @ l


def cholesky_inverse(input, upper=False, *, out=None):
    if input.dim() < 2:
        raise RuntimeError("cholesky_inverse: The input tensor input must have at least 2 "
                           "dimensions.")
    return _cholesky_inverse(input, upper=bool(upper))


def _triangular_solve_fwd(ctx, b, a, upper, transpose, unitriangular):
    at = np.swapaxes(a, -1, -2) if transpose else a
    x = _tri(at, b, upper != transpose, unitriangular)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    from .decompositions import _fortran
    return x, _fortran(np.broadcast_to(a, batch + a.shape[-2:]))


_triangular_solve = Op("TriangularSolveBackward0", _triangular_solve_fwd, n_outputs=2)


@_triangular_solve.backward
def _(ctx, gx, gm):
    b, a = ctx.inputs
    kw = ctx.kw
    upper, tr, unit = kw["upper"], kw["transpose"], kw["unitriangular"]
    gb = ga = None
    if gx is not None:
        gb = _triangular_solve(gx, a.conj(), upper=upper, transpose=not tr,
                               unitriangular=unit)[0]
        if ctx.needs_input_grad[1]:
            x = _triangular_solve(b, a, **kw)[0]  # the solution, recomputed
            ga = -(x.conj() @ gb.mT) if tr else -(gb @ x.mH)
            ga = ga.triu(int(unit)) if upper else ga.tril(-int(unit))
    if gm is not None and ctx.needs_input_grad[1]:
        ga = gm if ga is None else ga + gm
    return gb, ga


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *,
                     out=None):
    warnings.warn("torch.triangular_solve is deprecated in favor of "
                  "torch.linalg.solve_triangularand will be removed in a future PyTorch "
                  "release.")
    _need_matrices("torch.triangular_solve", input, A)
    x, m = _triangular_solve(input, A, upper=bool(upper), transpose=bool(transpose),
                             unitriangular=bool(unitriangular))
    return _sort.RT.triangular_solve((x, m))


def lu(A, pivot=True, get_infos=False, out=None):
    E = _E()
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.")
    if get_infos:
        return _sort.RT._lu_with_info(tuple(E.linalg.lu_factor_ex(A, pivot=pivot)))
    return tuple(E.linalg.lu_factor(A, pivot=pivot))


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                  "removed in a future PyTorch release.")
    return _E().linalg.lu_solve(LU_data, LU_pivots, b)


def _lu_unpack_fwd(ctx, lu, piv, unpack_data, unpack_pivots):
    from ..linalg import _unpack
    with no_grad():
        P, L, U = _unpack(_wrap(lu), _wrap(piv))
    e = np.empty(0, lu.dtype)
    return (np.ascontiguousarray(P._data) if unpack_pivots else e,
            np.ascontiguousarray(L._data) if unpack_data else e,
            np.ascontiguousarray(U._data) if unpack_data else e)


_lu_unpack = Op("LuUnpackBackward0", _lu_unpack_fwd, saves=(), n_outputs=3,
                nondiff_outputs=(0,))


@_lu_unpack.backward
def _(ctx, gP, gL, gU):
    lu = ctx.inputs[0]
    m, n = lu.shape[-2:]
    k = min(m, n)
    gl = gL.tril(-1) if gL is not None else None
    gu = gU.triu() if gU is not None else None
    if m < n and gl is not None:  # L is m x m, U is m x n
        gl = cat([gl, gl.new_zeros(gl.shape[:-1] + (n - k,))], -1)
    if m > n and gu is not None:  # L is m x n, U is n x n
        gu = cat([gu, gu.new_zeros(gu.shape[:-2] + (m - k, n))], -2)
    if gl is None:
        return gu, None
    return (gl if gu is None else gl + gu), None


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    if LU_data.dim() < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(LU_data.shape)} instead")
    if LU_pivots.dtype is not D.int32 or not LU_pivots.is_contiguous():
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                           "torch.int32 dtype.\nNote: this function is intended to be used with "
                           "the output produced by torch.linalg.lu_factor")
    want = list(LU_data.shape[:-2]) + [min(LU_data.shape[-2:])]
    if list(LU_pivots.shape) != want:
        raise ValueError(f"Expected LU_pivots to have shape {want} but got "
                         f"{list(LU_pivots.shape)} instead.")
    r = _lu_unpack(LU_data, LU_pivots, unpack_data=bool(unpack_data),
                   unpack_pivots=bool(unpack_pivots))
    return _sort.RT.lu_unpack(r)


install({"cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse,
         "triangular_solve": triangular_solve, "lu": lu, "lu_solve": lu_solve})

__all__ = ["cholesky_solve", "cholesky_inverse", "triangular_solve", "lu", "lu_solve",
           "lu_unpack"]
