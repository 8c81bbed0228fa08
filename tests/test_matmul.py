"""Matrix products against torch: values, dtypes, strides, grads, grad_fn names, errors."""
import itertools
import warnings

import numpy as np
import pytest

from parity import check, torch, ember

rng = np.random.default_rng(0)


def R(*shape, dtype="float32"):
    return rng.standard_normal(shape).astype(dtype)


def I(*shape, dtype="int64", hi=5):
    return rng.integers(-hi, hi, shape).astype(dtype)


F32 = dict(rtol=1e-4, atol=1e-5)


def grad_fn_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


# --- matmul: every broadcasting case, with torch's grad_fn and strides ---------------------

SHAPES1 = [(4,), (3, 4), (2, 3, 4), (5, 2, 3, 4), (1, 3, 4), (2, 3, 0)]
SHAPES2 = [(4,), (4, 5), (2, 4, 5), (5, 2, 4, 5), (1, 4, 5), (5, 1, 4, 5), (0, 5)]


@pytest.mark.parametrize("s1,s2", list(itertools.product(SHAPES1, SHAPES2)))
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)])
def test_matmul_cases(s1, s2, needs):
    x, y = R(*s1), R(*s2)
    results = []
    for m in (torch, ember):
        a = m.tensor(x, requires_grad=needs[0])
        b = m.tensor(y, requires_grad=needs[1])
        try:
            r = a @ b
        except RuntimeError as e:
            results.append(str(e))
            continue
        r.sum().backward()
        results.append((tuple(r.shape), r.stride(), grad_fn_name(r), r.detach().numpy(),
                        a.grad, b.grad))
    t, e = results
    if isinstance(t, str):
        assert e == t
        return
    assert t[:3] == e[:3]
    np.testing.assert_allclose(e[3], t[3], **F32)
    for gt, ge in zip(t[4:], e[4:]):
        assert (gt is None) == (ge is None)
        if gt is not None:
            np.testing.assert_allclose(ge.numpy(), gt.numpy(), **F32)


@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16", "complex64"])
def test_matmul_dtypes(dtype):
    x = R(3, 4).astype("float32")
    y = R(4, 2).astype("float32")
    tol = dict(rtol=2e-2, atol=2e-2) if dtype in ("float16", "bfloat16") else F32
    check(lambda m, x, y: m.matmul(x, y), x=x, y=y, dtype=dtype, **tol)
    check(lambda m, x, y: x.unsqueeze(0).expand(2, 3, 4) @ y, x=x, y=y, dtype=dtype, **tol)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16"])
def test_matmul_integers(dtype):
    hi = 3 if dtype == "uint8" else 50
    x, y, z = I(3, 4, dtype=dtype, hi=hi), I(4, 2, dtype=dtype, hi=hi), I(4, dtype=dtype, hi=hi)
    if dtype == "uint8":
        x, y, z = np.abs(x), np.abs(y), np.abs(z)
    check(lambda m, x, y: x @ y, x=x, y=y)
    check(lambda m, x, z: x @ z, x=x, z=z)
    check(lambda m, z: z @ z, z=z)
    check(lambda m, x, y: x.expand(2, 3, 4) @ y.expand(2, 4, 2), x=x, y=y)


def test_matmul_int_overflow_wraps():
    x = np.full((2, 2), 2 ** 62, dtype="int64")
    check(lambda m, x: x @ x, x=x)


def test_matmul_noncontiguous_inputs():
    x, y = R(4, 3), R(5, 4, 6)
    check(lambda m, x, y: x.t() @ y[:, :, ::2], x=x, y=y, grad=True, **F32)
    check(lambda m, y: y.transpose(0, 1) @ y[0], y=y, grad=True, **F32)
    check(lambda m, y: y.permute(2, 0, 1)[:3] @ y[0], y=y, grad=True, **F32)


def test_matmul_operators_and_methods():
    x, y = R(3, 4), R(4)
    check(lambda m, x, y: (x.matmul(y), x.__matmul__(y), y.__rmatmul__(x)), x=x, y=y, **F32)
    check(lambda m, x: m.matmul(x, x.t(), out=m.empty(0)), x=x, **F32)


MATMUL_ERRORS = [
    ((4,), (5,)), ((3, 4), (5,)), ((4,), (5, 3)), ((3, 4), (5, 3)), ((2, 3, 4), (5,)),
    ((2, 3, 4), (5, 3)), ((2, 3, 4), (2, 5, 3)), ((3, 4), (2, 5, 3)), ((4,), (2, 5, 3)),
    ((2, 3, 4), (3, 4, 3)), ((2, 2, 3, 4), (3, 4, 3)), ((), (3,)), ((3,), ()),
    ((64, 3072), (1024, 64)),
]


@pytest.mark.parametrize("s1,s2", MATMUL_ERRORS)
def test_matmul_shape_errors(s1, s2):
    check(lambda m, x, y: x @ y, x=R(*s1), y=R(*s2), match=True)
    check(lambda m, x, y: x @ y, x=R(*s1), y=R(*s2), grad=True, match=True)


@pytest.mark.parametrize("s1,s2", [((3, 4), (4, 3)), ((3, 4), (4,)), ((4,), (4, 3)),
                                   ((4,), (4,)), ((2, 3, 4), (2, 4, 3)), ((2, 3, 4), (4, 3)),
                                   ((2, 3, 4), (4,)), ((3, 4), (2, 4, 3))])
@pytest.mark.parametrize("other", ["float64", "int64", "float16"])
def test_matmul_dtype_errors(s1, s2, other):
    check(lambda m, x, y: x @ y.to(getattr(m, other)), x=R(*s1), y=R(*s2), match=True)


def test_matmul_bool_not_implemented():
    b = np.ones((3, 3), dtype=bool)
    check(lambda m, b: b @ b, b=b, match=True)
    check(lambda m, b: b[0] @ b[0], b=b, match=True)
    check(lambda m, b: b @ b[0], b=b, match=True)
    check(lambda m, b: m.bmm(b[None], b[None]), b=b, match=True)


# --- mm, bmm, mv, dot, vdot, inner, outer ----------------------------------------------------

def test_mm_family_values_and_grads():
    a, b, v, w = R(3, 4, dtype="float64"), R(4, 5, dtype="float64"), R(4, dtype="float64"), \
        R(3, dtype="float64")
    check(lambda m, a, b: m.mm(a, b), a=a, b=b, grad=True)
    check(lambda m, a, v: m.mv(a, v), a=a, v=v, grad=True)
    check(lambda m, v: m.dot(v, v * 2), v=v, grad=True)
    check(lambda m, v: m.vdot(v, v + 1), v=v, grad=True)
    check(lambda m, a, b: m.bmm(a.expand(2, 3, 4), b.expand(2, 4, 5)), a=a, b=b, grad=True)
    check(lambda m, v, w: m.outer(w, v), v=v, w=w, grad=True)
    check(lambda m, v, w: m.ger(w, v), v=v, w=w, grad=True)
    check(lambda m, v, w: w.outer(v.float()), v=v, w=w, grad=True)


def test_mm_grad_fn_names():
    for m in (torch, ember):
        a = m.ones(3, 3, requires_grad=True)
        v = m.ones(3, requires_grad=True)
        assert grad_fn_name(m.mm(a, a)) == "MmBackward0"
        assert grad_fn_name(a @ v) == "MvBackward0"
        assert grad_fn_name(v @ v) == "DotBackward0"
        assert grad_fn_name(v @ a) == "SqueezeBackward4"
        assert grad_fn_name(m.bmm(a[None], a[None])) == "BmmBackward0"
        assert grad_fn_name(a[None] @ a[None]) == "UnsafeViewBackward0"
        assert grad_fn_name(m.vdot(v, v)) == "VdotBackward0"
        assert grad_fn_name(m.addmm(a, a, a)) == "AddmmBackward0"
        assert grad_fn_name(m.addmv(v, a, v)) == "AddmvBackward0"
        assert grad_fn_name(m.addr(a, v, v)) == "AddrBackward0"
        assert grad_fn_name(m.baddbmm(a[None], a[None], a[None])) == "BaddbmmBackward0"
        assert grad_fn_name(m.addbmm(a, a[None], a[None])) == "AddbmmBackward0"
        assert grad_fn_name(m.trace(a)) == "TraceBackward0"
        assert grad_fn_name(m.kron(a, a)) == "UnsafeViewBackward0"
        assert grad_fn_name(m.cross(a, a, dim=0)) == "LinalgCrossBackward0"
        assert grad_fn_name(m.einsum("ij,jk->ik", a, a)) == "ViewBackward0"
        mmnode = (a @ a).grad_fn
        assert [type(n).__name__.split("::")[-1] for n, _ in mmnode.next_functions] == \
            ["AccumulateGrad", "AccumulateGrad"]


def test_mm_int_and_half():
    check(lambda m, x: m.mm(x, x.t()), x=I(3, 4))
    check(lambda m, x: m.mm(x, x.t()), x=R(3, 4), dtype="float16", rtol=1e-2, atol=1e-2)
    check(lambda m, x: m.dot(x[0], x[1]), x=R(3, 4), dtype="float16", rtol=1e-2, atol=1e-2)
    check(lambda m, x: m.dot(x[0], x[1]), x=I(3, 4))


MM_ERRORS = [
    lambda m, x: m.mm(x[0], x), lambda m, x: m.mm(x, x[0]), lambda m, x: m.mm(x, x.double()),
    lambda m, x: m.mm(x, x), lambda m, x: m.bmm(x[None], x[None].expand(2, 3, 4)),
    lambda m, x: m.bmm(x[None], x.t()[None].double()), lambda m, x: m.bmm(x, x[None]),
    lambda m, x: m.bmm(x[None], x), lambda m, x: m.bmm(x[None], x[None]),
    lambda m, x: m.mv(x, x[0]), lambda m, x: m.mv(x, x[:, :1]),
    lambda m, x: m.mv(x, x[0, :4].double()), lambda m, x: m.mv(x.double(), x[0, :4]),
    lambda m, x: m.mv(x, x[0, :4].long()),
    lambda m, x: m.dot(x[0], x[1, :2]), lambda m, x: m.dot(x[0], x[1].double()),
    lambda m, x: m.dot(x, x[0]), lambda m, x: m.dot(x[0].int(), x[1].long()),
    lambda m, x: m.vdot(x[0], x[1].double()), lambda m, x: m.vdot(x[0], x[1, :3]),
    lambda m, x: m.outer(x, x[0]), lambda m, x: m.outer(x[0], x),
    lambda m, x: m.inner(x, x[0, :3]), lambda m, x: m.mv(x.bool(), x[0, :4].bool()),
    lambda m, x: m.dot(x[0].bool(), x[1].bool()),
]


@pytest.mark.parametrize("fn", MM_ERRORS)
def test_mm_family_errors(fn):
    check(fn, x=R(3, 4), match=True)


def test_inner():
    check(lambda m, a, b: m.inner(a, b), a=R(4), b=R(4), grad=True, **F32)
    check(lambda m, a, b: m.inner(a, b), a=R(2, 4), b=R(3, 4), grad=True, **F32)
    check(lambda m, a, b: m.inner(a, b), a=R(2, 3, 4), b=R(4), grad=True, **F32)
    check(lambda m, a, b: m.inner(a, b), a=R(2, 3), b=R(), grad=True, **F32)
    check(lambda m, a, b: a.inner(b), a=I(2, 3), b=I(5, 3))


def test_outer_promotes():
    check(lambda m, a, b: m.outer(a, b.double()), a=R(3), b=R(4))
    check(lambda m, a, b: m.outer(a, b), a=I(3), b=R(4))


# --- addmm, addmv, addr, baddbmm, addbmm -------------------------------------------------------

@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (2, 0)])
def test_addmm_family(beta, alpha):
    kw = dict(beta=beta, alpha=alpha)
    d = "float64"
    check(lambda m, c, a, b: m.addmm(c, a, b, **kw), c=R(3, 5, dtype=d), a=R(3, 4, dtype=d),
          b=R(4, 5, dtype=d), grad=True)
    check(lambda m, c, a, b: m.addmm(c, a, b, **kw), c=R(5, dtype=d), a=R(3, 4, dtype=d),
          b=R(4, 5, dtype=d), grad=True)
    check(lambda m, c, a, v: m.addmv(c, a, v, **kw), c=R(3, dtype=d), a=R(3, 4, dtype=d),
          v=R(4, dtype=d), grad=True)
    check(lambda m, c, a, v: m.addmv(c, a, v, **kw), c=R(1, dtype=d), a=R(3, 4, dtype=d),
          v=R(4, dtype=d), grad=True)
    check(lambda m, c, u, v: m.addr(c, u, v, **kw), c=R(3, 4, dtype=d), u=R(3, dtype=d),
          v=R(4, dtype=d), grad=True)
    check(lambda m, c, u, v: m.addr(c, u, v, **kw), c=R(4, dtype=d), u=R(3, dtype=d),
          v=R(4, dtype=d), grad=True)
    check(lambda m, c, a, b: m.baddbmm(c, a, b, **kw), c=R(2, 3, 5, dtype=d),
          a=R(2, 3, 4, dtype=d), b=R(2, 4, 5, dtype=d), grad=True)
    check(lambda m, c, a, b: m.baddbmm(c, a, b, **kw), c=R(5, dtype=d), a=R(2, 3, 4, dtype=d),
          b=R(2, 4, 5, dtype=d), grad=True)
    check(lambda m, c, a, b: m.addbmm(c, a, b, **kw), c=R(3, 5, dtype=d),
          a=R(2, 3, 4, dtype=d), b=R(2, 4, 5, dtype=d), grad=True)
    check(lambda m, c, a, b: c.addmm(a, b, **kw), c=R(3, 5, dtype=d), a=R(3, 4, dtype=d),
          b=R(4, 5, dtype=d), grad=True)


def test_addmm_beta_zero_ignores_nan():
    c = np.full((3, 5), np.nan, dtype="float32")
    check(lambda m, c, a, b: m.addmm(c, a, b, beta=0), c=c, a=R(3, 4), b=R(4, 5), **F32)
    check(lambda m, c, a, b: m.baddbmm(c, a, b, beta=0), c=c, a=R(2, 3, 4), b=R(2, 4, 5), **F32)


def test_addmm_inplace_and_int():
    check(lambda m, c, a, b: c.clone().addmm_(a, b, beta=2, alpha=3), c=I(3, 5), a=I(3, 4),
          b=I(4, 5))
    check(lambda m, c, u, v: c.clone().addr_(u, v), c=R(3, 4), u=R(3), v=R(4), **F32)
    check(lambda m, c, a, v: c.clone().addmv_(a, v, alpha=2), c=R(3), a=R(3, 4), v=R(4), **F32)
    check(lambda m, c, a, b: c.clone().baddbmm_(a, b), c=R(2, 3, 5), a=R(2, 3, 4),
          b=R(2, 4, 5), **F32)
    check(lambda m, c, a, b: c.clone().addbmm_(a, b), c=R(3, 5), a=R(2, 3, 4), b=R(2, 4, 5),
          **F32)
    b = np.array([True, False, True])
    check(lambda m, c, b: m.addr(c, b, b), c=np.zeros((3, 3), bool), b=b)
    check(lambda m, c, u: m.addr(c, u, u, beta=2), c=I(3, 3), u=I(3))
    check(lambda m, c, u: m.addr(c, u, u.double()), c=R(3, 3), u=R(3))


ADD_ERRORS = [
    lambda m, x: m.addmm(x[0], x, x), lambda m, x: m.addmm(x[0, :2], x, x.t()),
    lambda m, x: m.addmm(x.double(), x, x.t()), lambda m, x: m.addmm(x, x, x.t().double()),
    lambda m, x: m.addmm(x, x[0], x.t()), lambda m, x: m.addmm(x, x.t().double(), x.t()),
    lambda m, x: m.addmv(x[0], x, x[:, 0]), lambda m, x: m.addmv(x[0, :2], x, x[0]),
    lambda m, x: m.addmv(x[0, :3].double(), x, x[0]),
    lambda m, x: m.addr(x, x[:, 0], x[:, 1]), lambda m, x: m.addr(x, x, x[0]),
    lambda m, x: m.addr(x, x[:, 0], x[:2]),
    lambda m, x: m.addr(x.long(), x[:, 0].long(), x[0].long(), beta=2.5),
    lambda m, x: m.baddbmm(x[None], x[None], x[None]),
    lambda m, x: m.baddbmm(x.double(), x[None], x.t()[None]),
    lambda m, x: m.baddbmm(x, x[None], x.t()[None].double()),
    lambda m, x: m.addbmm(x, x[None], x[None]),
    lambda m, x: m.addbmm(x, x[None].expand(2, 3, 4), x.t()[None]),
    lambda m, x: m.addbmm(x[:, :3], x[None], x.t()[None].double()),
]


@pytest.mark.parametrize("fn", ADD_ERRORS)
def test_add_family_errors(fn):
    check(fn, x=R(3, 4), match=True)


# --- einsum ------------------------------------------------------------------------------------

EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk", [(2, 3, 4), (2, 4, 5)]), ("i,j->ij", [(3,), (4,)]), ("ij->", [(3, 4)]),
    ("ij->ji", [(3, 4)]), ("ij->ij", [(3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("i,i", [(4,), (4,)]), ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("iij->j", [(3, 3, 2)]), ("i i j -> j", [(3, 3, 2)]), ("...i->...", [(2, 3, 4)]),
    ("i...->...", [(2, 3, 4)]), ("a...b,b...->...a", [(2, 3, 4), (4, 3)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]), ("Ab,bC->AC", [(2, 3), (3, 4)]),
    ("i,jk,k->ij", [(2,), (3, 4), (4,)]), ("ij,kl->ijkl", [(2, 3), (2, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("iji->j", [(2, 3, 2)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM)
def test_einsum(eq, shapes):
    arrs = {f"x{i}": R(*s, dtype="float64") for i, s in enumerate(shapes)}
    check(lambda m, **t: m.einsum(eq, *[t[f"x{i}"] for i in range(len(shapes))]), grad=True,
          **arrs)
    out = check(lambda m, **t: m.einsum(eq, *[t[f"x{i}"] for i in range(len(shapes))]),
                grad=True, **arrs)
    t_out, e_out = out
    assert grad_fn_name(t_out) == grad_fn_name(e_out)


def test_einsum_forms():
    a, b = R(3, 4), R(4, 5)
    check(lambda m, a, b: m.einsum("ij,jk", [a, b]), a=a, b=b, **F32)
    check(lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), a=a, b=b, **F32)
    check(lambda m, a, b: m.einsum(a, [Ellipsis, 1], b, [1, 2]), a=a, b=b, **F32)
    check(lambda m, a, b: m.einsum("ij,jk->ik", a, b), a=I(3, 4), b=I(4, 5))


def test_einsum_gradcheck():
    a = ember.tensor(R(3, 3, dtype="float64"), requires_grad=True)
    b = ember.tensor(R(3, 4, dtype="float64"), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: ember.einsum("ii,ij->j", a, b), (a, b))
    assert ember.autograd.gradcheck(lambda a, b: ember.einsum("ij,ik->jk", a, b), (a, b))


EINSUM_ERRORS = [
    ("ij,jk->ik", [(2, 3), (4, 5)]), ("ijk,jk->ik", [(2, 3), (4, 5)]), ("ij->k", [(2, 3)]),
    ("ij->ii", [(2, 3)]), ("ij,jk", [(2, 3)]), ("ij", [(2, 3), (3,)]), ("i.j", [(2, 3)]),
    ("...i...", [(2, 3)]), ("i1", [(2, 3)]), ("ii->i", [(2, 3)]), ("ij...", [(2,)]),
    ("...i,...i->...i", [(2, 3), (4, 3)]), ("ij->i.", [(2, 3)]), ("ij->......", [(2, 3)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_ERRORS)
def test_einsum_errors(eq, shapes):
    arrs = {f"x{i}": R(*s) for i, s in enumerate(shapes)}
    check(lambda m, **t: m.einsum(eq, *[t[f"x{i}"] for i in range(len(shapes))]), match=True,
          **arrs)


def test_einsum_dtype_error():
    check(lambda m, a, b: m.einsum("ij,jk->ik", a, b.double()), a=R(2, 3), b=R(3, 4),
          match=True)


# --- tensordot, kron, trace, cross, chain_matmul ---------------------------------------------

@pytest.mark.parametrize("sa,sb,dims", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((2, 3), (4, 5), 0),
    ((2, 3), (3, 5), 1), ((2, 3), (2, 3), 2), ((3, 4), (4, 3), ([0, 1], [1, 0])),
    ((2, 1, 4), (3, 4), ([1], [0])), ((2, 3), (1, 4), ([1], [0])), ((3,), (3,), 1),
    ((2, 3, 4), (4, 3, 2), ([0, 1, 2], [2, 1, 0])),
])
def test_tensordot(sa, sb, dims):
    check(lambda m, a, b: m.tensordot(a, b, dims=dims), a=R(*sa, dtype="float64"),
          b=R(*sb, dtype="float64"), grad=True)


@pytest.mark.parametrize("dims", [-1, 3, ([0], [0, 1]), ([0], [0]), 5.0])
def test_tensordot_errors(dims):
    check(lambda m, a, b: m.tensordot(a, b, dims=dims), a=R(2, 3), b=R(3, 4), match=True)
    check(lambda m, a, b: m.tensordot(a, b.double()), a=R(2, 3), b=R(2, 3), match=True)


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 5)), ((2,), (4, 5)), ((2, 3, 1), (3,)),
                                   ((3,), (4,)), ((), (2, 2))])
def test_kron(sa, sb):
    check(lambda m, a, b: m.kron(a, b), a=R(*sa, dtype="float64"), b=R(*sb, dtype="float64"),
          grad=True)
    check(lambda m, a, b: a.kron(b), a=I(*sa), b=I(*sb))


def test_kron_promotes():
    check(lambda m, a, b: m.kron(a, b), a=I(2), b=R(2, 3))


def test_trace():
    check(lambda m, a: m.trace(a), a=R(3, 4, dtype="float64"), grad=True)
    check(lambda m, a: a.trace(), a=R(4, 2), grad=True)
    check(lambda m, a: m.trace(a), a=I(3, 3, dtype="int32"))
    check(lambda m, a: m.trace(a), a=I(3, 3, dtype="uint8", hi=3))
    check(lambda m, a: m.trace(a), a=R(3), match=True)


def test_cross():
    a, b = R(4, 3, dtype="float64"), R(4, 3, dtype="float64")
    check(lambda m, a, b: m.cross(a, b, dim=1), a=a, b=b, grad=True)
    check(lambda m, a, b: m.cross(a, b), a=a, b=b, grad=True)
    check(lambda m, a, b: m.linalg.cross(a, b), a=a, b=b, grad=True)
    check(lambda m, a, b: m.cross(a.t(), b.t(), dim=0), a=a, b=b, grad=True)
    check(lambda m, a, b: m.cross(a[:1], b), a=a, b=b, grad=True)
    check(lambda m, a, b: m.cross(a, b.float()), a=a, b=b, match=True)
    check(lambda m, a, b: a.cross(b, dim=-1), a=I(2, 3), b=I(2, 3))
    for fn in [lambda m, a, b: m.cross(a[:, :2], b[:, :2]),
               lambda m, a, b: m.linalg.cross(a[:, :2], b[:, :2]),
               lambda m, a, b: m.linalg.cross(a.t(), b.t()),
               lambda m, a, b: m.cross(a, b, dim=2)]:
        check(fn, a=a, b=b, match=True)


def test_chain_matmul_and_multi_dot():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda m, a, b, c: m.chain_matmul(a, b, c), a=R(2, 3), b=R(3, 4), c=R(4, 5),
              grad=True, **F32)
        check(lambda m, a: m.chain_matmul(a), a=R(2, 3), grad=True)
    shapes = [[(3,), (3, 4), (4, 5), (5,)], [(3,), (3, 4), (4,)], [(3,), (3, 4)],
              [(2, 3), (3,)], [(10, 2), (2, 10), (10, 3), (3, 8), (8, 1)],
              [(2, 30), (30, 1), (1, 40)], [(20, 2), (2, 30), (30, 1)]]
    for ss in shapes:
        arrs = {f"x{i}": R(*s, dtype="float64") for i, s in enumerate(ss)}
        check(lambda m, **t: m.linalg.multi_dot([t[f"x{i}"] for i in range(len(ss))]),
              grad=True, **arrs)
    for bad in [[(3,)], [(3,), (4, 4)], [(3,), (3, 3, 3)], [(2, 3), (3,), (3, 2)]]:
        arrs = {f"x{i}": R(*s) for i, s in enumerate(bad)}
        check(lambda m, **t: m.linalg.multi_dot([t[f"x{i}"] for i in range(len(bad))]),
              match=True, **arrs)


def test_matmul_gradcheck():
    mk = lambda *s: ember.tensor(R(*s, dtype="float64"), requires_grad=True)  # noqa: E731
    gc = ember.autograd.gradcheck
    assert gc(lambda a, b: a @ b, (mk(2, 3, 4), mk(4, 2)))
    assert gc(lambda a, b: a @ b, (mk(3), mk(2, 3, 2)))
    assert gc(lambda a, b: a @ b, (mk(1, 2, 3), mk(2, 3, 2)))
    assert gc(lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2), (mk(2), mk(2, 3),
                                                                       mk(3, 2)))
    assert gc(lambda c, a, b: ember.baddbmm(c, a, b, alpha=2), (mk(2, 1, 2), mk(2, 2, 3),
                                                                mk(2, 3, 2)))
    assert gc(lambda c, a, b: ember.addbmm(c, a, b, beta=3), (mk(2, 2), mk(2, 2, 3),
                                                              mk(2, 3, 2)))
    assert gc(lambda c, u, v: ember.addr(c, u, v, alpha=2), (mk(2, 3), mk(2), mk(3)))
    assert gc(lambda c, a, v: ember.addmv(c, a, v, beta=2), (mk(2), mk(2, 3), mk(3)))
    assert gc(lambda a, b: ember.kron(a, b), (mk(2, 2), mk(3)))
    assert gc(lambda a, b: ember.cross(a, b, dim=0), (mk(3, 2), mk(3, 2)))
    assert gc(lambda a, b: ember.tensordot(a, b, 1), (mk(2, 3), mk(3, 2)))
    assert gc(lambda a: ember.trace(a), (mk(3, 3),))


def test_matmul_double_backward():
    x = R(3, 3, dtype="float64")
    for m in (torch, ember):
        a = m.tensor(x, requires_grad=True)
        (g,) = m.autograd.grad((a @ a @ a).sum(), a, create_graph=True)
        (gg,) = m.autograd.grad(g.sum(), a)
        if m is torch:
            expected = gg.numpy()
        else:
            np.testing.assert_allclose(gg.numpy(), expected, rtol=1e-10)


# --- gradient layout: a leaf's .grad has the leaf's strides (PyTorch's layout contract) ----

@pytest.mark.parametrize("wshape,xshape", [((4, 3), (2, 3)), ((1, 3), (2, 3)), ((3, 1), (2, 1)),
                                           ((256, 20), (5, 20))])
def test_transposed_weight_grad_layout(wshape, xshape):
    def f(m, w, x):
        y = m.mm(x, w.t()), m.addmm(m.zeros(w.shape[0]), x, w.t()), x @ w.t()
        return sum(v.sum() for v in y)
    t_w = torch.randn(*wshape, requires_grad=True)
    t_x = torch.randn(*xshape)
    e_w = ember.tensor(t_w.detach().numpy(), requires_grad=True)
    e_x = ember.tensor(t_x.numpy())
    f(torch, t_w, t_x).backward()
    f(ember, e_w, e_x).backward()
    assert e_w.grad.stride() == t_w.grad.stride()
    np.testing.assert_allclose(e_w.grad.numpy(), t_w.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_column_major_leaf_grad_layout():
    # a leaf that is itself a transposed view keeps a column-major gradient
    check(lambda m, a, b: m.mm(a.t(), b), a=np.random.rand(5, 3), b=np.random.rand(5, 4),
          grad=True)
    check(lambda m, a, b: m.mm(b.t(), a.t()), a=np.random.rand(4, 3), b=np.random.rand(3, 5),
          grad=True)
