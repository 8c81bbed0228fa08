"""Matrix products: matmul (all of its broadcasting cases), mm, bmm, mv, dot, addmm, einsum."""
from .. import _errors
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install

_TORCH_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half",
               "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
               "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
               "bool": "bool", "complex64": "c10::complex<float>",
               "complex128": "c10::complex<double>"}


def _same_dtype(a, b, names="mat1 and mat2"):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected {names} to have the same dtype, but got: "
                           f"{_TORCH_TYPE[a.dtype.name]} != {_TORCH_TYPE[b.dtype.name]}")


def _matmul_np(a, b):
    return np.matmul(a, b)


_mm = Op("MmBackward0", lambda ctx, a, b: np.matmul(a, b))


@_mm.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (g.mm(b.t()) if n[0] else None), (a.t().mm(g) if n[1] else None)


def mm(input, mat2, *, out=None):
    if input.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _errors.mm_mismatch(input._data.shape, mat2._data.shape)
    _same_dtype(input, mat2)
    return _mm(input, mat2)


def _addmm_fwd(ctx, bias, a, b, beta=1, alpha=1):
    r = np.matmul(a, b)
    if alpha != 1:
        r *= alpha
    if beta == 0:
        return r
    r += bias if beta == 1 else beta * bias
    return r


_addmm = Op("AddmmBackward0", _addmm_fwd)


@_addmm.backward
def _(ctx, g):
    bias, a, b = ctx.inputs
    beta, alpha = ctx.kw.get("beta", 1), ctx.kw.get("alpha", 1)
    n = ctx.needs_input_grad
    gbias = (g if beta == 1 else g * beta) if n[0] else None
    ga = gb = None
    if n[1]:
        ga = g.mm(b.t())
        ga = ga if alpha == 1 else ga * alpha
    if n[2]:
        gb = a.t().mm(g)
        gb = gb if alpha == 1 else gb * alpha
    return gbias, ga, gb


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if mat1.dim() != 2 or mat2.dim() != 2:
        raise RuntimeError("mat1 must be a matrix, got " + f"{mat1.dim()}-D tensor")
    if mat1._data.shape[1] != mat2._data.shape[0]:
        raise _errors.mm_mismatch(mat1._data.shape, mat2._data.shape)
    _same_dtype(mat1, mat2)
    try:
        np.broadcast_shapes(input._data.shape, (mat1._data.shape[0], mat2._data.shape[1]))
    except ValueError:
        raise _errors.expand_mismatch(input._data.shape,
                                      (mat1._data.shape[0], mat2._data.shape[1])) from None
    kw = {}
    if beta != 1:
        kw["beta"] = beta
    if alpha != 1:
        kw["alpha"] = alpha
    return _addmm(input, mat1, mat2, **kw)


_bmm = Op("BmmBackward0", lambda ctx, a, b: np.matmul(a, b))


@_bmm.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (g.bmm(b.transpose(1, 2)) if n[0] else None), \
        (a.transpose(1, 2).bmm(g) if n[1] else None)


def bmm(input, mat2, *, out=None):
    if input.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    s1, s2 = input._data.shape, mat2._data.shape
    if s1[0] != s2[0] or s1[2] != s2[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{s1[0]}, {s1[2]}] but got: [{s2[0]}, {s2[1]}].")
    _same_dtype(input, mat2)
    return _bmm(input, mat2)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    r = bmm(batch1, batch2)
    if alpha != 1:
        r = r * alpha
    return r + (input if beta == 1 else input * beta) if beta != 0 else r


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    r = bmm(batch1, batch2).sum(0)
    if alpha != 1:
        r = r * alpha
    return r + (input if beta == 1 else input * beta) if beta != 0 else r


_dot = Op("DotBackward0", lambda ctx, a, b: np.dot(a, b))


@_dot.backward
def _(ctx, g):
    a, b = ctx.inputs
    n = ctx.needs_input_grad
    return (g * b if n[0] else None), (g * a if n[1] else None)


def dot(input, other, *, out=None):
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D "
                           "tensors")
    if input._data.shape[0] != other._data.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
            f"[{other._data.shape[0]}] to have the same number of elements, but got "
            f"{input._data.shape[0]} and {other._data.shape[0]} elements respectively")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype.name.capitalize()} and "
                           f"{other.dtype.name.capitalize()}".replace("Float32", "Float")
                           .replace("Float64", "Double").replace("Int64", "Long"))
    return _dot(input, other)


vdot = dot
inner = dot

_mv = Op("MvBackward0", lambda ctx, a, v: np.matmul(a, v))


@_mv.backward
def _(ctx, g):
    a, v = ctx.inputs
    n = ctx.needs_input_grad
    return (g.unsqueeze(1) * v.unsqueeze(0) if n[0] else None), \
        (a.t().mv(g) if n[1] else None)


def mv(input, vec, *, out=None):
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, "
                           f"{vec.dim()}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat "
                           f"({input._data.shape[0]}x{input._data.shape[1]}), vec "
                           f"({vec._data.shape[0]})")
    _same_dtype(input, vec)
    return _mv(input, vec)


def outer(input, vec2):
    return input.reshape(-1, 1) * vec2


ger = outer


def matmul(input, other, *, out=None):
    da, db = input.dim(), other.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        if input._data.shape[0] != other._data.shape[0]:
            raise _errors.mm_mismatch((1, input._data.shape[0]), other._data.shape)
        return mm(input.unsqueeze(0), other).squeeze(0)
    if da == 2 and db == 2:
        return mm(input, other)
    if da >= 3 and db <= 2:
        # fold the batch into the rows: one big BLAS call
        a = input
        lead = a._data.shape[:-1]
        if db == 1:
            if a._data.shape[-1] != other._data.shape[0]:
                raise _errors.mm_mismatch((int(np.prod(lead)), a._data.shape[-1]),
                                          (other._data.shape[0], 1))
            return mv(a.reshape(-1, a._data.shape[-1]), other).view(lead)
        if a._data.shape[-1] != other._data.shape[0]:
            raise _errors.mm_mismatch((int(np.prod(lead)), a._data.shape[-1]),
                                      other._data.shape)
        return mm(a.reshape(-1, a._data.shape[-1]), other).view(lead + (other._data.shape[1],))
    # general batched case: broadcast batch dims then bmm
    a = input.unsqueeze(0) if da == 1 else input
    b = other.unsqueeze(-1) if db == 1 else other
    if a._data.shape[-1] != b._data.shape[-2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{int(np.prod(a._data.shape[:-2]) or 1)}, {a._data.shape[-1]}] but got: "
            f"[{int(np.prod(b._data.shape[:-2]) or 1)}, {b._data.shape[-2]}].")
    try:
        batch = np.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2])
    except ValueError:
        raise _errors.broadcast_mismatch(a._data.shape[:-2], b._data.shape[:-2]) from None
    n, m, p = a._data.shape[-2], a._data.shape[-1], b._data.shape[-1]
    bs = int(np.prod(batch)) if batch else 1
    a3 = a.expand(batch + (n, m)).reshape(bs, n, m)
    b3 = b.expand(batch + (m, p)).reshape(bs, m, p)
    r = bmm(a3, b3).view(batch + (n, p))
    if da == 1:
        r = r.squeeze(-2)
    if db == 1:
        r = r.squeeze(-1)
    return r


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _einsum(*operands, equation=equation.replace(" ", ""))


def _einsum_fwd(ctx, *arrays, equation):
    return np.einsum(equation, *arrays, optimize=len(arrays) > 2)


_einsum = Op("EinsumBackward0", _einsum_fwd)


@_einsum.backward
def _(ctx, g):
    eq = ctx.kw["equation"]
    lhs, _, out = eq.partition("->")
    ins = lhs.split(",")
    if not _:
        letters = sorted(c for c in set(lhs.replace(",", "")) if lhs.replace(",", "").count(c) == 1)
        out = "".join(letters)
    grads = []
    for i, spec in enumerate(ins):
        if not ctx.needs_input_grad[i]:
            grads.append(None)
            continue
        others = [s for j, s in enumerate(ins) if j != i]
        ops = [t for j, t in enumerate(ctx.inputs) if j != i]
        # letters of this input that appear nowhere else are summed: broadcast back
        present = set(out).union(*others) if others else set(out)
        target = "".join(c for c in spec if c in present)
        gi = einsum(",".join([out] + others) + "->" + target, g, *ops)
        if target != spec:
            shape = ctx.inputs[i].shape
            idx = [target.index(c) if c in target else None for c in spec]
            for k, pos in enumerate(idx):
                if pos is None:
                    gi = gi.unsqueeze(k)
            gi = gi.expand(shape)
        grads.append(gi)
    return tuple(grads)


def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        da = list(range(a.dim() - dims, a.dim()))
        db = list(range(dims))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    letters = "abcdefghijklmnopqrstuvwxyz"
    sa = list(letters[:a.dim()])
    sb = list(letters[a.dim():a.dim() + b.dim()])
    for x, y in zip(da, db):
        sb[y] = sa[x]
    out = [c for i, c in enumerate(sa) if i not in da] + [c for i, c in enumerate(sb)
                                                          if i not in db]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


install({
    "matmul": matmul, "__matmul__": matmul,
    "__rmatmul__": lambda self, other: matmul(other, self),
    "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "vdot": vdot, "inner": inner,
    "outer": outer, "ger": outer, "addmm": addmm, "baddbmm": baddbmm, "addbmm": addbmm,
})
