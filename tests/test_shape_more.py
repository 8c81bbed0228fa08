"""hsplit/vsplit/dsplit, unsafe splits, *_scatter, put, index_reduce, fill_diagonal_, cov,
corrcoef, histogram, sum_to_size, the *_copy views and the legacy linalg solvers vs torch."""
import numpy as np
import pytest

from parity import check, torch, ember

rng = np.random.default_rng(7)
pytestmark = pytest.mark.filterwarnings("ignore:.*(deprecated|beta|degrees of freedom)")


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def gc(fn, *arrays):
    ins = [ember.tensor(a, requires_grad=True) for a in arrays]

    def f(*a):
        out = fn(*a)
        if isinstance(out, (tuple, list)):
            return tuple(o.contiguous() for o in out)
        return out.contiguous()
    assert ember.autograd.gradcheck(f, ins)


def node(t):
    return type(t.grad_fn).__name__


# --- splits ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda m, x: m.hsplit(x, 3), lambda m, x: x.hsplit([1, 4]), lambda m, x: m.vsplit(x, 2),
    lambda m, x: m.vsplit(x, [1]), lambda m, x: m.split_with_sizes(x, [1, 3]),
    lambda m, x: x.split_with_sizes([2, 4], 1), lambda m, x: m.unsafe_split(x, 4, 1),
    lambda m, x: x.unsafe_chunk(3, 1), lambda m, x: m.unsafe_split_with_sizes(x, [3, 1]),
    lambda m, x: m.unsafe_chunk(x, 1)])
def test_splits(fn):
    check(fn, x=R(4, 6), grad=True)


def test_split_nodes_and_views():
    for m in (torch, ember):
        x = m.tensor(R(4, 6), requires_grad=True)
        assert node(m.hsplit(x, 3)[0]) == "SliceBackward0"
        assert node(m.split_with_sizes(x, [1, 3])[1]) == "SplitWithSizesBackward0"
        u = m.unsafe_split(x, 2)
        assert node(u[0]) == "UnsafeSplitBackward0" and u[0]._base is None
        assert node(m.unsafe_split_with_sizes(x, [1, 3])[0]) == "UnsafeSplitWithSizesBackward0"
        assert m.dsplit(m.tensor(R(2, 2, 4)), 2)[1]._base is not None


def test_hsplit_1d_and_dsplit():
    check(lambda m, x: m.hsplit(x, 3), x=R(6))
    check(lambda m, x: m.dsplit(x, [1, 3]), x=R(2, 3, 4), grad=True)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.hsplit(x, 4), lambda m, x: m.hsplit(x[0, 0], 2), lambda m, x: m.vsplit(x[0], 2),
    lambda m, x: m.dsplit(x, 2), lambda m, x: m.vsplit(x, 3), lambda m, x: m.hsplit(x[0, :5], 2),
    lambda m, x: m.split_with_sizes(x, [1, 1])])
def test_split_errors(fn):
    check(fn, x=R(4, 6), match=True)


# --- masked_scatter and the *_scatter family ---------------------------------------------------

def test_masked_scatter():
    mask = rng.random((3, 4)) > 0.5
    check(lambda m, x, s, k: m.masked_scatter(x, k, s), x=R(3, 4), s=R(14), k=mask, grad=True)
    check(lambda m, x, s, k: x.masked_scatter(k, s), x=R(1, 4), s=R(3, 5), k=mask, grad=True)
    check(lambda m, x, s, k: x.clone().masked_scatter_(k, s), x=R(3, 4), s=R(12), k=mask,
          grad=True)
    check(lambda m, x, s, k: x.masked_scatter(k, s), x=R(3, 4, dtype="int64"),
          s=R(12).astype("int64"), k=mask)
    gc(lambda x, s: x.masked_scatter(ember.tensor(mask), s), R(3, 4), R(13))


@pytest.mark.parametrize("fn", [
    lambda m, x, s: x.masked_scatter(m.ones(3, 4).int(), s),
    lambda m, x, s: x.masked_scatter(m.ones(3, 4).bool(), s[:5]),
    lambda m, x, s: x.masked_scatter(m.ones(3, 4).bool(), s.float()),
    lambda m, x, s: x[:1].masked_scatter_(m.ones(3, 4).bool(), s)])
def test_masked_scatter_errors(fn):
    check(fn, x=R(3, 4), s=R(12), match=True)


@pytest.mark.parametrize("fn, sshape", [
    (lambda m, x, s: m.diagonal_scatter(x, s), (3,)),
    (lambda m, x, s: x.diagonal_scatter(s, 1), (3,)),
    (lambda m, x, s: m.diagonal_scatter(x, s, -1, 1, 0), (3,)),
    (lambda m, x, s: m.select_scatter(x, s, 0, -1), (4,)),
    (lambda m, x, s: x.select_scatter(s, 1, 2), (3,)),
    (lambda m, x, s: m.slice_scatter(x, s, 1, 1, None, 2), (3, 2)),
    (lambda m, x, s: x.slice_scatter(s), (3, 4)),
    (lambda m, x, s: m.slice_scatter(x, s, 0, -2), (2, 4)),
])
def test_scatter_family(fn, sshape):
    check(fn, x=R(3, 4), s=R(*sshape), grad=True)
    gc(lambda x, s: fn(ember, x, s), R(3, 4), R(*sshape))


def test_scatter_family_errors_and_nodes():
    kw = dict(x=R(3, 4), s=R(2), match=True)
    check(lambda m, x, s: m.diagonal_scatter(x, s), **kw)
    check(lambda m, x, s: m.select_scatter(x, s, 0, 0), **kw)
    check(lambda m, x, s: m.slice_scatter(x, s, 1, 0, 1), **kw)
    for m in (torch, ember):
        x = m.ones(3, 4, requires_grad=True)
        assert node(m.diagonal_scatter(x, m.ones(3))) == "DiagonalScatterBackward0"
        assert node(m.select_scatter(x, m.ones(4), 0, 0)) == "SelectScatterBackward0"
        assert node(m.slice_scatter(x, m.ones(1, 4), 0, 0, 1)) == "SliceScatterBackward0"


# --- put, index_reduce, fill_diagonal_ --------------------------------------------------------

def test_put():
    idx = np.array([[1, -2], [5, 1]])
    check(lambda m, x, s, i: x.put(i, s), x=R(3, 4), s=R(2, 2), i=idx, grad=True)
    check(lambda m, x, s, i: m.put(x, i, s, accumulate=True), x=R(3, 4), s=R(4), i=idx,
          grad=True)
    check(lambda m, x, s, i: x.clone().put_(i, s, True), x=R(3, 4), s=R(4), i=idx, grad=True)
    gc(lambda x, s: x.put(ember.tensor([0, 3]), s), R(2, 3), R(2))
    gc(lambda x, s: x.put(ember.tensor([0, 3, 0]), s, accumulate=True), R(2, 3), R(3))


@pytest.mark.parametrize("i, s", [([1, 2], R(3)), ([1, 20], R(2)), ([1., 2.], R(2)),
                                  ([1, 2], R(2, dtype="float32"))])
def test_put_errors(i, s):
    check(lambda m, x, i, s: x.put(i, s), x=R(3, 4), i=np.array(i), s=s, match=True)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    idx = np.array([0, 2, 0, 3])
    src = R(3, 4)
    src[0, 2] = src[0, 0]  # a tie for amax/amin
    check(lambda m, x, s, i: x.index_reduce(1, i, s, reduce, include_self=include_self),
          x=R(3, 5), s=src, i=idx, grad=True)
    check(lambda m, x, s, i: x.clone().index_reduce_(0, i[:2], s[:2], reduce,
                                                     include_self=include_self),
          x=R(3, 4), s=src, i=idx, grad=True)
    check(lambda m, x, s, i: x.index_reduce(1, i, s, reduce, include_self=include_self),
          x=R(3, 5).round().astype("int64") * 3, s=(src * 4).round().astype("int64"), i=idx)


def test_index_reduce_gradcheck():
    idx = ember.tensor([1, 0, 1])
    for reduce in ("prod", "mean"):
        gc(lambda x, s: x.index_reduce(0, idx, s, reduce), R(2, 3), R(3, 3))
        gc(lambda x, s: x.index_reduce(0, idx, s, reduce, include_self=False), R(2, 3),
           R(3, 3))


def test_fill_diagonal():
    for shape, wrap in [((3, 4), False), ((7, 3), False), ((7, 3), True), ((3, 3, 3), False),
                        ((4, 2), True)]:
        check(lambda m, x: (x * 1).fill_diagonal_(2.5, wrap=wrap), x=R(*shape), grad=True)
    check(lambda m, x: x.fill_diagonal_(1), x=R(3), match=True)
    check(lambda m, x: x.fill_diagonal_(1), x=R(3, 4, 5), match=True)


# --- sum_to_size, new_empty_strided ---------------------------------------------------------

@pytest.mark.parametrize("size", [(1, 4), (3, 1), (4,), (1, 1), (3, 4), (2, 3, 4), (3, 3)])
def test_sum_to_size(size):
    check(lambda m, x: x.sum_to_size(*size), x=R(3, 4), grad=True, match=True)
    check(lambda m, x: x.sum_to_size(size), x=R(3, 4), grad=True)


def test_new_empty_strided():
    for m in (torch, ember):
        x = m.ones(2, dtype=m.float64)
        y = x.new_empty_strided((2, 3), (1, 2))
        assert y.stride() == (1, 2) and y.dtype == m.float64 and y.shape == (2, 3)


# --- cov, corrcoef, histogram ---------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"correction": 0}, {"correction": 2}])
def test_cov(kw):
    check(lambda m, x: m.cov(x, **kw), x=R(3, 5), grad=True)
    check(lambda m, x: x.cov(**kw), x=R(5), grad=True)
    check(lambda m, x, f, a: m.cov(x, fweights=f, aweights=a, **kw), x=R(2, 4),
          f=np.array([1, 2, 0, 3]), a=rng.random(4), grad=True)
    check(lambda m, x, f: m.cov(x, fweights=f, **kw), x=R(2, 4),
          f=np.array([1, 2, 1, 3]), grad=True)
    check(lambda m, x: m.cov(x, **kw), x=np.arange(8).reshape(2, 4))


def test_cov_nodes_and_gradcheck():
    for m in (torch, ember):
        c = m.cov(m.tensor(R(3, 4), requires_grad=True))
        assert node(c) == "SqueezeBackward0" and c._base is not None
        assert node(m.corrcoef(m.tensor(R(3, 4), requires_grad=True))) == "ClampBackward1"
    gc(lambda x: ember.cov(x, aweights=ember.tensor([.5, 1., 2., .1], dtype=ember.float64)),
       R(2, 4))
    gc(ember.corrcoef, R(3, 5))


@pytest.mark.parametrize("fn", [
    lambda m, x: m.cov(x.reshape(1, 2, 6)), lambda m, x: m.cov(x, fweights=m.ones(4)),
    lambda m, x: m.cov(x, fweights=m.ones(3).long()), lambda m, x: m.cov(x, aweights=-m.ones(4)),
    lambda m, x: m.cov(x, aweights=m.ones(4).long()),
    lambda m, x: m.cov(x, fweights=-m.ones(4).long()),
    lambda m, x: m.cov(x, fweights=m.ones(2, 4).long()), lambda m, x: m.cov(x > 0)])
def test_cov_errors(fn):
    check(fn, x=R(3, 4), match=True)


def test_corrcoef():
    check(lambda m, x: m.corrcoef(x), x=R(3, 6), grad=True)
    check(lambda m, x: x.corrcoef(), x=R(6), grad=True)
    check(lambda m, x: x.corrcoef(), x=np.arange(12).reshape(3, 4))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram(dtype):
    x = R(50, dtype=dtype)
    check(lambda m, x: m.histogram(x, 7), x=x)
    check(lambda m, x: x.histogram(5, range=(-1.0, 1.0), density=True), x=x)
    check(lambda m, x, w: m.histogram(x, 4, weight=w), x=x, w=rng.random(50).astype(dtype))
    check(lambda m, x, b: m.histogram(x, b, density=True), x=x,
          b=np.array([-2, -0.5, 0, 0.3, 3], dtype))
    check(lambda m, x: m.histogram(x[:1], 3), x=x)
    r = ember.histogram(ember.tensor(x), 3)
    assert repr(r).startswith("ember.return_types.histogram(") and r.hist is r[0]


@pytest.mark.parametrize("fn", [
    lambda m, x: m.histogram(x.long(), 3), lambda m, x: m.histogram(x, -1),
    lambda m, x: m.histogram(x, 3, range=(2., 1.))])
def test_histogram_errors(fn):
    check(fn, x=R(8), match=True)


# --- *_copy variants ------------------------------------------------------------------------

COPIES = [
    lambda m, x: m.view_copy(x, [6, 4]), lambda m, x: m.permute_copy(x, [1, 0]),
    lambda m, x: m.expand_copy(x[:1], [3, 6]), lambda m, x: m.squeeze_copy(x[:1]),
    lambda m, x: m.squeeze_copy(x[:1], 0), lambda m, x: m.squeeze_copy(x[:1], (0, 1)),
    lambda m, x: m.unsqueeze_copy(x, 1), lambda m, x: m.transpose_copy(x, 0, 1),
    lambda m, x: m.t_copy(x), lambda m, x: m.diagonal_copy(x, 1),
    lambda m, x: m.select_copy(x, 1, 2), lambda m, x: m.slice_copy(x, 1, 1, 5, 2),
    lambda m, x: m.split_copy(x, 4, 1), lambda m, x: m.unbind_copy(x, 1),
    lambda m, x: m.unfold_copy(x, 1, 2, 2), lambda m, x: m.alias_copy(x),
    lambda m, x: m.split_with_sizes_copy(x, [2, 4], 1),
]


@pytest.mark.parametrize("fn", COPIES)
def test_copy_variants(fn):
    check(fn, x=R(4, 6), grad=True)
    t = fn(torch, torch.tensor(R(4, 6), requires_grad=True))
    e = fn(ember, ember.tensor(R(4, 6), requires_grad=True))
    t, e = (t[0], e[0]) if isinstance(t, tuple) else (t, e)
    assert e._base is None and e.is_contiguous()
    assert (t.grad_fn is None) == (e.grad_fn is None)
    if t.grad_fn is not None and type(t.grad_fn).__name__ != "NotImplemented":
        assert node(t) == node(e)


def test_copy_variants_double_backward():
    x = ember.tensor(R(3, 4), requires_grad=True)
    gc(lambda x: ember.permute_copy(x, [1, 0]) * x.t(), R(3, 4))
    y = (ember.transpose_copy(x, 0, 1) ** 2).sum()
    g, = ember.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    assert np.allclose(x.grad._data, 2)


def test_detach_copy():
    check(lambda m, x: m.detach_copy(x), x=R(4, 6).T)
    check(lambda m, x: m.detach_copy(x).sum().backward(), x=R(3), grad=True, match=True)
    assert ember.detach_copy(ember.ones(2, requires_grad=True)).grad_fn.name() == \
        "torch::autograd::NotImplemented"


# --- legacy linear algebra ------------------------------------------------------------------

def _spd_factor(*batch, n=4, upper=False):
    a = R(*batch, n, n)
    L = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + n * np.eye(n))
    return np.swapaxes(L, -1, -2).copy() if upper else L


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_inverse(upper):
    L = _spd_factor(2, upper=upper)
    check(lambda m, b, l: m.cholesky_solve(b, l, upper), b=R(2, 4, 3), l=L, grad=True)
    check(lambda m, b, l: b.cholesky_solve(l, upper=upper), b=R(3, 4, 2), l=L[0], grad=True)
    check(lambda m, l: m.cholesky_inverse(l, upper), l=L, grad=True)
    check(lambda m, l: l.cholesky_inverse(upper=upper), l=L[1], grad=True)
    # the factor's other triangle is never read: differentiate through tril/triu
    tri = (lambda t: t.triu()) if upper else (lambda t: t.tril())
    gc(lambda b, l: ember.cholesky_solve(b, tri(l), upper), R(4, 2), L[0])
    gc(lambda l: ember.cholesky_inverse(tri(l), upper), L[0])


@pytest.mark.parametrize("upper, transpose, unit", [(True, False, False), (False, False, False),
                                                    (True, True, False), (False, True, True)])
def test_triangular_solve(upper, transpose, unit):
    A = R(2, 4, 4) + 4 * np.eye(4)
    check(lambda m, b, a: m.triangular_solve(b, a, upper, transpose, unit), b=R(2, 4, 3), a=A,
          grad=True)
    check(lambda m, b, a: b.triangular_solve(a, upper=upper)[0] * 2, b=R(4, 2), a=A[0],
          grad=True)
    tri = np.triu if upper else np.tril
    gc(lambda b, a: ember.triangular_solve(b, a, upper, transpose, unit), R(4, 2), tri(A[0]))
    r = ember.triangular_solve(ember.tensor(R(4, 2)), ember.tensor(A[0]))
    assert repr(r).startswith("ember.return_types.triangular_solve(")
    assert r.cloned_coefficient is r[1]


def test_lu_family():
    A = R(2, 4, 4)
    check(lambda m, a: m.lu(a), a=A, grad=True)
    check(lambda m, a: a.lu(get_infos=True), a=A, grad=True)
    lu, piv = (t.numpy() for t in torch.linalg.lu_factor(torch.tensor(A)))
    check(lambda m, lu, piv, b: m.lu_solve(b, lu.detach(), piv), lu=lu, piv=piv,
          b=R(2, 4, 3), grad=True)
    check(lambda m, a, b: b.lu_solve(*m.linalg.lu_factor(a.detach())), a=A, b=R(4, 2),
          grad=True)
    for kw in ({}, {"unpack_data": False}, {"unpack_pivots": False}):
        check(lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a), **kw), a=A, grad=not kw)
    for shape in ((4, 3), (3, 5), (2, 4, 4)):
        lu, piv = (t.numpy() for t in torch.linalg.lu_factor(torch.tensor(R(*shape))))
        check(lambda m, lu, piv: m.lu_unpack(lu, piv), lu=lu, piv=piv, grad=True)
        gc(lambda lu: ember.lu_unpack(lu, ember.tensor(piv))[1:], lu)
    assert type(ember.lu_unpack(*ember.linalg.lu_factor(ember.tensor(A)))).__name__ == \
        "lu_unpack"
    check(lambda m, a: m.lu_unpack(a[0, 0], a[0, 0].int()), a=A, match=True)
    check(lambda m, a: m.lu_unpack(a, a[:, 0].float()), a=A, match=True)
    check(lambda m, a: m.lu_unpack(a, a[:, :3, 0].int()), a=A, match=True)
