"""Matrix products: matmul (all of its broadcasting cases), mm, bmm, mv, dot, addmm, kron...

``matmul`` follows PyTorch's dispatch exactly (dot / mv / mm / folded mm / broadcast bmm), so
results carry the same ``grad_fn`` (``MmBackward0``, ``UnsafeViewBackward0`` ...) and the same
errors.  Half-precision products accumulate in float32, like PyTorch's CPU kernels.
einsum and tensordot live in ``einsum.py``; the factorizations in ``decompositions.py``.
"""
import warnings

from .. import _errors
from ..autograd.op import Op
from . import shape as S
from ._util import D, Tensor, np, install, result_dtype

# PyTorch names dtypes two ways in these messages: ScalarType names and C++ type names.
_NAME = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
         "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
         "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half",
        "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
        "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_TORCH_TYPE = _CPP  # the name other op modules import


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _contig(a):
    """A C-contiguous array; unlike np.ascontiguousarray, 0-d stays 0-d."""
    a = np.asarray(a)
    return a if a.flags.c_contiguous else a.copy(order="C")


def _np_matmul(a, b):
    dt = a.dtype
    if dt.itemsize == 2 and dt.kind in "fV":  # half / bfloat16: accumulate in float32
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(dt)
    return np.matmul(a, b)


def _no_bool(t, kernel):
    if t.dtype is D.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _scalar_for(dt, v, name):
    if dt.category <= D._CATEGORY_INT and dt is not D.bool and isinstance(v, float):
        raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                           "floating point number.")
    return v


def _conj(t):
    return t.conj() if t.dtype.is_complex else t


def _mT(t):
    return S.transpose(t, -2, -1)


def _reshape(t, *shape):
    """A view when one exists, else a C-ordered copy (``clone`` keeps strides, so
    ``Tensor.reshape`` of a transposed tensor would not give a viewable copy)."""
    try:
        return S.view(t, *shape)
    except RuntimeError:
        return S.view(t.contiguous(), *shape)


# --- mm / bmm / mv / dot --------------------------------------------------------------

_mm = Op("MmBackward0", lambda ctx, a, b: _np_matmul(a, b))


def _column_major(t):
    st = t.stride()
    return st[0] == 1 and st[1] == t._data.shape[0]


def _mat1_grad(g, a, b):
    """d(a @ b)/da, laid out like ``a``: a column-major ``a`` (a transposed
    weight) gets a column-major gradient, as PyTorch's kernels produce it, so
    the leaf's ``.grad`` comes out with the parameter's own strides."""
    if _column_major(a):
        return _mT(mm(_conj(b), _mT(g)))
    return mm(g, _conj(_mT(b)))


def _mat2_grad(g, a, b):
    if _column_major(b):
        return _mT(mm(_mT(g), _conj(a)))
    return mm(_conj(_mT(a)), g)


@_mm.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (_mat1_grad(g, a, b) if n[0] else None), (_mat2_grad(g, a, b) if n[1] else None)


def _check_same(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP[a.dtype.name]} != {_CPP[b.dtype.name]}")


def mm(input, mat2, *, out=None):
    if input.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _errors.mm_mismatch(input._data.shape, mat2._data.shape)
    _check_same(input, mat2)
    _no_bool(input, "addmm_impl_cpu_")
    return _out(_mm(input, mat2), out)


_bmm = Op("BmmBackward0", lambda ctx, a, b: _np_matmul(a, b))


@_bmm.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (bmm(g, _conj(_mT(b))) if n[0] else None), (bmm(_conj(_mT(a)), g) if n[1] else None)


def _check_bmm(b1, b2):
    if b1.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    s1, s2 = b1._data.shape, b2._data.shape
    if s2[0] != s1[0] or s2[1] != s1[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{s1[0]}, {s1[2]}] but got: [{s2[0]}, {s2[1]}].")


def _scalar_type_check(expected, found):
    if expected.dtype is not found.dtype:
        raise RuntimeError(f"expected scalar type {_NAME[expected.dtype.name]} but found "
                           f"{_NAME[found.dtype.name]}")


def bmm(input, mat2, *, out=None):
    _check_bmm(input, mat2)
    _scalar_type_check(input, mat2)
    _no_bool(input, "bmm")
    return _out(_bmm(input, mat2), out)


_mv = Op("MvBackward0", lambda ctx, a, v: _np_matmul(a, v))


@_mv.backward
def _(ctx, g):
    a, v = ctx.inputs
    n = ctx.needs_input_grad
    return (outer(g, _conj(v)) if n[0] else None), (mv(_conj(_mT(a)), g) if n[1] else None)


def _check_addmv(self_dt, mat, vec, in_size):
    if mat.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {mat.dim()}, "
                           f"{vec.dim()}")
    r, c = mat._data.shape
    if c != vec._data.shape[0] or in_size != r:
        raise RuntimeError(f"size mismatch, got input ({in_size}), mat ({r}x{c}), vec "
                           f"({vec._data.shape[0]})")
    if not (self_dt is mat.dtype is vec.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_NAME[self_dt.name]}, {_NAME[mat.dtype.name]}, and "
                           f"{_NAME[vec.dtype.name]}")
    _no_bool(mat, "addmv_impl_cpu")


def mv(input, vec, *, out=None):
    rows = input._data.shape[0] if input.dim() == 2 else 0
    _check_addmv(vec.dtype, input, vec, rows)
    return _out(_mv(input, vec), out)


def _dot_checks(a, b, name="dot"):
    if a.dim() != 1 or b.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_NAME[a.dtype.name]} and {_NAME[b.dtype.name]}")
    n, m = a._data.shape[0], b._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    _no_bool(a, name)


def _dot_np(a, b):
    if a.dtype.itemsize == 2 and a.dtype.kind in "fV":
        return np.asarray(np.dot(a.astype(np.float32), b.astype(np.float32))).astype(a.dtype)
    return np.asarray(np.dot(a, b))


_dot = Op("DotBackward0", lambda ctx, a, b: _dot_np(a, b))


@_dot.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (g * _conj(b) if n[0] else None), (g * _conj(a) if n[1] else None)


def dot(input, other, *, out=None):
    _dot_checks(input, other)
    return _out(_dot(input, other), out)


_vdot = Op("VdotBackward0", lambda ctx, a, b: _dot_np(np.conj(a) if a.dtype.kind == "c" else a, b))


@_vdot.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (_conj(g) * b if n[0] else None), (g * a if n[1] else None)


def vdot(input, other, *, out=None):
    _dot_checks(input, other, "vdot")
    return _out(_vdot(input, other), out)


def inner(input, other, *, out=None):
    if input.dim() == 0 or other.dim() == 0:
        return _out(input * other, out)
    n, m = input._data.shape[-1], other._data.shape[-1]
    if n != m:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return _out(tensordot(input, other, ([-1], [-1])), out)


def outer(input, vec2, *, out=None):
    for name, t in (("self", input), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return _out(_reshape(input, -1, 1) * vec2, out)


ger = outer


# --- fused multiply-adds ------------------------------------------------------------------

def _axpby(r, bias, beta, alpha):
    """alpha * r + beta * bias, where beta == 0 ignores bias (even nan), like BLAS."""
    if r.dtype == np.bool_:
        r = r & bool(alpha) if alpha != 1 else r
        return r | (bias & bool(beta)) if beta else r
    if alpha != 1:
        r = r * np.asarray(alpha).astype(r.dtype)
    if beta == 0:
        return _contig(np.broadcast_to(r, r.shape))
    b = bias if beta == 1 else bias * np.asarray(beta).astype(r.dtype)
    return np.add(r, b, dtype=r.dtype)


def _addmm_fwd(ctx, bias, a, b, beta=1, alpha=1):
    return _axpby(_np_matmul(a, b), bias, beta, alpha)


def _scaled(g, s):
    return g if s == 1 else g * s


_addmm = Op("AddmmBackward0", _addmm_fwd)


@_addmm.backward
def _(ctx, g):
    bias, a, b = ctx.inputs
    beta, alpha = ctx.kw.get("beta", 1), ctx.kw.get("alpha", 1)
    n = ctx.needs_input_grad
    return (_scaled(g, beta) if n[0] else None,
            _scaled(_mat1_grad(g, a, b), alpha) if n[1] else None,
            _scaled(_mat2_grad(g, a, b), alpha) if n[2] else None)


def _expand_check(shape, target):
    try:
        if np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target):
            return
    except ValueError:
        pass
    raise _errors.expand_mismatch(shape, target)


def _kw(beta, alpha):
    kw = {}
    if beta != 1:
        kw["beta"] = beta
    if alpha != 1:
        kw["alpha"] = alpha
    return kw


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_NAME[input.dtype.name]} and {_NAME[mat2.dtype.name]}")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_NAME[mat1.dtype.name]} and {_NAME[mat2.dtype.name]}")
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m.dim() != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.dim()}-D tensor")
    if mat1._data.shape[1] != mat2._data.shape[0]:
        raise _errors.mm_mismatch(mat1._data.shape, mat2._data.shape)
    _expand_check(input._data.shape, (mat1._data.shape[0], mat2._data.shape[1]))
    _no_bool(mat1, "addmm_impl_cpu_")
    return _out(_addmm(input, mat1, mat2, **_kw(beta, alpha)), out)


def _addmv_fwd(ctx, bias, a, v, beta=1, alpha=1):
    return _axpby(_np_matmul(a, v), bias, beta, alpha)


_addmv = Op("AddmvBackward0", _addmv_fwd)


@_addmv.backward
def _(ctx, g):
    bias, a, v = ctx.inputs
    beta, alpha = ctx.kw.get("beta", 1), ctx.kw.get("alpha", 1)
    n = ctx.needs_input_grad
    return (_scaled(g, beta) if n[0] else None,
            _scaled(outer(g, _conj(v)), alpha) if n[1] else None,
            _scaled(mv(_conj(_mT(a)), g), alpha) if n[2] else None)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    if mat.dim() == 2 and vec.dim() == 1 and mat._data.shape[1] == vec._data.shape[0]:
        rows = mat._data.shape[0]
        if input.dim() == 1 and input._data.shape[0] not in (1, rows):
            _check_addmv(input.dtype, mat, vec, input._data.shape[0])
        _expand_check(input._data.shape, (rows,))
        size = rows
    else:
        size = input._data.shape[0] if input.dim() else 1
    _check_addmv(input.dtype, mat, vec, size)
    return _out(_addmv(input, mat, vec, **_kw(beta, alpha)), out)


def _addr_fwd(ctx, bias, u, v, dt, beta=1, alpha=1):
    u, v = u.astype(dt.np, copy=False), v.astype(dt.np, copy=False)
    if dt is D.bool:
        return _axpby(np.logical_and.outer(u, v), bias.astype(bool), beta, alpha)
    return _axpby(np.multiply.outer(u, v), bias.astype(dt.np, copy=False), beta, alpha)


_addr = Op("AddrBackward0", _addr_fwd)


@_addr.backward
def _(ctx, g):
    bias, u, v = ctx.inputs
    beta, alpha = ctx.kw.get("beta", 1), ctx.kw.get("alpha", 1)
    n = ctx.needs_input_grad
    return (_scaled(g, beta) if n[0] else None,
            _scaled(mv(g, _conj(v).to(g.dtype)), alpha) if n[1] else None,
            _scaled(mv(_mT(g), _conj(u).to(g.dtype)), alpha) if n[2] else None)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.dim()}-D")
    dt = D.result_type(D.result_type(input, vec1), vec2) if isinstance(input, Tensor) else \
        result_dtype(vec1, vec2)
    _scalar_for(dt, beta, "beta")
    _scalar_for(dt, alpha, "alpha")
    if dt is D.bool:
        for name, v in (("beta", beta), ("alpha", alpha)):
            if not isinstance(v, (bool, int)):
                raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    _expand_check(input._data.shape, (vec1._data.shape[0], vec2._data.shape[0]))
    return _out(_addr(input, vec1, vec2, dt=dt, **_kw(beta, alpha)), out)


def _baddbmm_fwd(ctx, bias, b1, b2, beta=1, alpha=1):
    return _axpby(_np_matmul(b1, b2), bias, beta, alpha)


_baddbmm = Op("BaddbmmBackward0", _baddbmm_fwd)


@_baddbmm.backward
def _(ctx, g):
    bias, b1, b2 = ctx.inputs
    beta, alpha = ctx.kw.get("beta", 1), ctx.kw.get("alpha", 1)
    n = ctx.needs_input_grad
    return (_scaled(g, beta) if n[0] else None,
            _scaled(bmm(g, _conj(_mT(b2))), alpha) if n[1] else None,
            _scaled(bmm(_conj(_mT(b1)), g), alpha) if n[2] else None)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if batch1.dim() == 3 and batch2.dim() == 3:
        _expand_check(input._data.shape, (batch1._data.shape[0], batch1._data.shape[1],
                                          batch2._data.shape[2]))
    if not (input.dtype is batch1.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input "
                           f"{_CPP[input.dtype.name]}, batch1: {_CPP[batch1.dtype.name]}, "
                           f"batch2: {_CPP[batch2.dtype.name]}")
    _check_bmm(batch1, batch2)
    _scalar_type_check(batch1, batch2)
    _no_bool(batch1, "baddbmm")
    return _out(_baddbmm(input, batch1, batch2, **_kw(beta, alpha)), out)


def _addbmm_fwd(ctx, bias, b1, b2, beta=1, alpha=1):
    s1, s2 = b1.shape, b2.shape
    # (n, b*m) @ (b*m, p): one BLAS call sums over the batch as well
    r = _np_matmul(b1.transpose(1, 0, 2).reshape(s1[1], -1), b2.reshape(-1, s2[2]))
    return _axpby(r, bias, beta, alpha)


_addbmm = Op("AddbmmBackward0", _addbmm_fwd)


@_addbmm.backward
def _(ctx, g):
    bias, b1, b2 = ctx.inputs
    beta, alpha = ctx.kw.get("beta", 1), ctx.kw.get("alpha", 1)
    n = ctx.needs_input_grad
    ge = g.unsqueeze(0).expand(b1._data.shape[0], *g.shape)
    return (_scaled(g, beta) if n[0] else None,
            _scaled(bmm(ge, _conj(_mT(b2))), alpha) if n[1] else None,
            _scaled(bmm(_conj(_mT(b1)), ge), alpha) if n[2] else None)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if batch1.dim() == 3 and batch2.dim() == 3:
        _expand_check(input._data.shape, (batch1._data.shape[1], batch2._data.shape[2]))
    if batch1.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    s1, s2 = batch1._data.shape, batch2._data.shape
    if s1[0] != s2[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {s1[0]} "
                           f"and {s2[0]}")
    if s1[2] != s2[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({s1[1]}x{s1[2]} and "
                           f"{s2[1]}x{s2[2]})")
    if input.dtype is not batch2.dtype or batch1.dtype is not batch2.dtype:
        a = input if input.dtype is not batch2.dtype else batch1
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_NAME[a.dtype.name]} and {_NAME[batch2.dtype.name]}")
    _no_bool(batch1, "addmm_impl_cpu_")
    return _out(_addbmm(input, batch1, batch2, **_kw(beta, alpha)), out)


def _inplace(fn):
    def method(self, *args, **kw):
        from .inplace import apply_inplace
        return apply_inplace(self, fn, *args, **kw)
    return method


# --- matmul ---------------------------------------------------------------------------------

# PyTorch reshapes a fresh product with _unsafe_view: a new tensor, not a view of it.
_unsafe_view = Op("UnsafeViewBackward0", lambda ctx, a, shape: a.reshape(shape), saves=())
_unsafe_view.backward(lambda ctx, g: _reshape(g, ctx.inputs[0]._data.shape))

# ``squeeze_(0)`` on the product of a vector-matrix matmul
_squeeze0_ = Op("SqueezeBackward4", lambda ctx, a: a.reshape(a.shape[1:]), saves=())
_squeeze0_.backward(lambda ctx, g: g.unsqueeze(0))


def _should_fold(t1, t2):
    """PyTorch's test: fold the larger operand's batch into mm/mv rows (no copy needed)."""
    larger = t1.dim() >= t2.dim()
    big = t1 if larger else _mT(t2)
    if not (big.dim() >= 3 and (t2.dim() if larger else t1.dim()) <= 2):
        return False
    if (t2 if larger else t1)._requires_grad:
        return True
    if t1.dim() == 2:
        return False
    if big._data.size == 0:
        return True
    shape, st = big._data.shape, big.stride()
    return all(st[i] == st[i + 1] * shape[i + 1] for i in range(big.dim() - 2))


def matmul(input, other, *, out=None):
    return _out(_matmul(input, other), out)


def _matmul(t1, t2):
    d1, d2 = t1.dim(), t2.dim()
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        return dot(t1, t2)
    if d1 == 2 and d2 == 1:
        return mv(t1, t2)
    if d1 == 1 and d2 == 2:
        return _squeeze0_(mm(t1.unsqueeze(0), t2))
    if d1 == 2 and d2 == 2:
        return mm(t1, t2)
    if _should_fold(t1, t2):
        transpose = d2 > d1
        a = _mT(t2) if transpose else t1
        b = (t1.t() if d1 == 2 else t1) if transpose else t2
        out_shape = a._data.shape[:-1]
        rows = _reshape(a, _prod(out_shape), a._data.shape[-1])
        if b.dim() == 2:
            if rows._data.shape[1] != b._data.shape[0]:
                raise _errors.mm_mismatch(rows._data.shape, b._data.shape)
            _check_same(rows, b)
            r = _unsafe_view(mm(rows, b), shape=out_shape + (b._data.shape[1],))
            return _mT(r).contiguous() if transpose else r
        return _unsafe_view(mv(rows, b), shape=out_shape)
    s1, s2 = t1._data.shape, t2._data.shape
    n, m1 = (s1[-2] if d1 > 1 else 1), s1[-1]
    m2, p = (s2[-2] if d2 > 1 else s2[0]), (s2[-1] if d2 > 1 else 1)
    b1, b2 = s1[:max(d1 - 2, 0)], s2[:max(d2 - 2, 0)]
    # a batch of one that requires grad is squeezed so its gradient is not a big expand
    if d1 == 3 and d2 == 3 and b1[0] != b2[0]:
        if b1[0] == 1 and t1._requires_grad:
            return _matmul(t1.squeeze(0), t2)
        if b2[0] == 1 and t2._requires_grad:
            return _matmul(t1, t2.squeeze(0))
    try:
        batch = tuple(np.broadcast_shapes(b1, b2))
    except ValueError:
        raise _errors.broadcast_mismatch(b1, b2) from None
    nb = _prod(batch)
    a3 = _reshape(t1.expand(batch + (n, m1)), nb, n, m1)
    if d2 == 1:
        b3 = _reshape(t2.expand(batch + (m2,)), nb, m2).unsqueeze(2)
    else:
        b3 = _reshape(t2.expand(batch + (m2, p)), nb, m2, p)
    out_shape = batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())
    r = bmm(a3, b3)
    if d2 == 1:
        r = r.squeeze(-1)
    return _unsafe_view(r, shape=out_shape)


def _rmatmul(self, other):
    return matmul(other, self)


# --- chains, kron, trace, cross ------------------------------------------------------------

def _chain_order(shapes):
    """Matrix-chain order (dynamic programming): split[i][j] for the cheapest bracketing."""
    n = len(shapes)
    p = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _multi_dot(mats):
    n = len(mats)
    if n == 2:
        return mm(mats[0], mats[1])
    if n == 3:
        a, b, c = (m._data.shape for m in mats)
        cost_ab_c = a[0] * a[1] * b[1] + a[0] * b[1] * c[1]
        cost_a_bc = b[0] * b[1] * c[1] + a[0] * a[1] * c[1]
        if cost_ab_c <= cost_a_bc:
            return mm(mm(mats[0], mats[1]), mats[2])
        return mm(mats[0], mm(mats[1], mats[2]))
    split = _chain_order([m._data.shape for m in mats])

    def go(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return mm(go(i, k), go(k + 1, j))
    return go(0, n - 1)


def multi_dot(tensors, *, out=None):
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    for i, t in enumerate(tensors):
        lo = 1 if i in (0, n - 1) else 2
        if not (t.dim() == 2 or (lo == 1 and t.dim() == 1)):
            which = ("the first tensor" if i == 0 else "the last tensor" if i == n - 1
                     else f"tensor {i}")
            want = "1D or 2D" if lo == 1 else "2D"
            raise RuntimeError(f"multi_dot(): {which} must be {want} but got {t.dim()}D")
        if t.dtype is not first.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {_NAME[first.dtype.name]} and tensor {i} "
                               f"{_NAME[t.dtype.name]}")
    mats = list(tensors)
    if first.dim() == 1:
        mats[0] = first.unsqueeze(0)
    if last.dim() == 1:
        mats[-1] = last.unsqueeze(1)
    for i in range(n - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               "cannot be multiplied")
    shape = (() if first.dim() == 1 else (first._data.shape[0],)) + \
        (() if last.dim() == 1 else (last._data.shape[1],))
    return _out(_multi_dot(mats).view(shape), out)


def chain_matmul(*matrices, out=None):
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return _out(matrices[0].clone(), out)
    return _out(multi_dot(matrices), out)


def kron(input, other, *, out=None):
    nd = max(input.dim(), other.dim())
    a = _reshape(input, (1,) * (nd - input.dim()) + tuple(input.shape))
    b = _reshape(other, (1,) * (nd - other.dim()) + tuple(other.shape))
    sa, sb = a._data.shape, b._data.shape
    # interleave: a -> (a0, 1, a1, 1, ...), b -> (1, b0, 1, b1, ...)
    ai = _reshape(a, tuple(x for s in sa for x in (s, 1)))
    bi = _reshape(b, tuple(x for s in sb for x in (1, s)))
    r = ai * bi
    return _out(_unsafe_view(r, shape=tuple(x * y for x, y in zip(sa, sb))), out)


def _trace_fwd(ctx, a):
    dt = D.int64 if D._BY_NP[a.dtype].category <= D._CATEGORY_INT else None
    return np.asarray(np.trace(a, dtype=None if dt is None else np.int64))


_trace = Op("TraceBackward0", _trace_fwd, saves=())


@_trace.backward
def _(ctx, g):
    from .._creation import eye
    shape = ctx.inputs[0]._data.shape
    return eye(shape[0], shape[1], dtype=g.dtype) * g


def trace(input):
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return _trace(input)


def _cross_fwd(ctx, a, b, dim):
    a, b = np.broadcast_arrays(a, b)
    return _contig(np.cross(a, b, axis=dim))


_cross = Op("LinalgCrossBackward0", _cross_fwd)


@_cross.backward
def _(ctx, g):
    a, b = ctx.inputs
    d = ctx.kw["dim"]
    n = ctx.needs_input_grad
    return (linalg_cross(b, g, dim=d) if n[0] else None), \
        (linalg_cross(g, a, dim=d) if n[1] else None)


def linalg_cross(input, other, *, dim=-1, out=None):
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _errors.wrap_dim(dim, input.dim())
    na, nb = input._data.shape[d], other._data.shape[d]
    if na != 3 or nb != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {na} "
                           f"and {nb}")
    try:
        np.broadcast_shapes(input._data.shape, other._data.shape)
    except ValueError:
        raise _errors.broadcast_mismatch(input._data.shape, other._data.shape) from None
    _scalar_type_check(input, other)
    return _out(_cross(input, other, dim=d), out)


def cross(input, other, dim=None, *, out=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(input._data.shape, other._data.shape) \
            if input.dim() == other.dim() else input._data.shape
        dims = [i for i, s in enumerate(shape) if s == 3]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        dim = dims[0]
    return linalg_cross(input, other, dim=dim, out=out)


def _out(r, out):
    if out is None:
        return r
    if tuple(out.shape) != tuple(r.shape):
        out.resize_(r.shape)
    out.copy_(r)
    return out


install({
    "matmul": matmul, "__matmul__": matmul, "__rmatmul__": _rmatmul,
    "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "vdot": vdot, "inner": inner,
    "outer": outer, "ger": outer, "addmm": addmm, "addmv": addmv, "addr": addr,
    "baddbmm": baddbmm, "addbmm": addbmm, "addmm_": _inplace(addmm), "addmv_": _inplace(addmv),
    "addr_": _inplace(addr), "baddbmm_": _inplace(baddbmm), "addbmm_": _inplace(addbmm),
    "kron": kron, "trace": trace, "cross": cross,
})

addmv_ = _inplace(addmv)

from .einsum import einsum, tensordot  # noqa: E402  (built on the products above)

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
           "addmv", "addmv_", "addr", "baddbmm", "addbmm", "einsum", "tensordot", "kron",
           "trace", "cross", "chain_matmul"]
