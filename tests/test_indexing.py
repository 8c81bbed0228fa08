"""Indexing against torch: basic/advanced getitem, setitem, errors, gradients, and the
gather/scatter/index_* family."""
import warnings

import numpy as np
import pytest

from parity import check, torch
import ember


def graph(t):
    g = t.grad_fn
    if g is None:
        return None
    return (g.name(),) + tuple((type(n).__name__ if n is not None else None, i)
                               for n, i in g.next_functions)


X = np.arange(24.0).reshape(2, 3, 4)

GETITEM = [
    "x[0]", "x[-1]", "x[1, 2]", "x[0, 0, 0]", "x[-1, -2, -3]", "x[:]", "x[...]", "x[()]",
    "x[:, :]", "x[None]", "x[:, None]", "x[None, ..., None]", "x[..., 1]", "x[1, ..., 1:]",
    "x[..., 0, :]", "x[0:2]", "x[::1]", "x[:, 1:3]", "x[..., ::2]", "x[:, ::2, 1::2]",
    "x[0:0]", "x[5:]", "x[-10:10]", "x[:, ::3]", "x[0][:]", "x[1:, 1]", "x[..., ...]",
    "x[True]", "x[False]", "x[None, True]", "x[0, True]", "x[i]", "x[:, i]", "x[i, :, i]",
    "x[:, [0, 2], :2]", "x[i, 1:3, [0, 1, 2]]", "x[..., i]", "x[i, None]", "x[None, i]",
    "x[[0, 1], [1, 2]]", "x[x > 5]", "x[x[:, :, 0] > 5]", "x[[True, False]]",
    "x[torch.tensor(1)]", "x[torch.tensor([[0, 1], [1, 0]])]", "x[[[0, 1], [1, 0]]]",
    "x[[0, 1]]", "x[(0, 1)]", "x[[0]]", "x[i.int()]", "x[[]]",
    "x[:, torch.tensor([], dtype=torch.long)]", "x[1:, i[:1]]", "x[0, i]", "x[i, 0]",
    "x[:, 1, i]", "x[i][0]", "x[torch.tensor(True)]", "x[torch.tensor(1), 2]",
    "x[torch.tensor([[True, False, True], [False, False, True]])]", "x[i, i[:1]]",
    "x[:, [[0], [2]], [1, 3]]", "x[[0, 1], :, [[1], [2]]]", "x[np.array([1, 0])]",
    "x[i, None, i]", "x[-1, [-1, -3]]", "x[[0.5]]", "x[x > 100]", "x[..., [True, False, True, True]]",
    "x.t()[i] if x.dim() == 2 else x.transpose(0, 2)[i]", "x.transpose(0, 2)[:, i, 0]",
    "x[1:][i[:1]]", "x[np.int64(1)]", "x[:, np.int32(-1)]",
]


@pytest.mark.parametrize("expr", GETITEM)
def test_getitem(expr):
    def f(m, x):
        i = m.tensor([1, 0, 1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(expr.replace("torch", "m"))
        return r, graph(r), r.is_contiguous()
    check(f, x=X, grad=True)


@pytest.mark.parametrize("expr", [
    "x[5]", "x[0, 5]", "x[-3]", "x[0, 0, -5]", "x[torch.tensor([5])]",
    "x[:, torch.tensor([3])]", "x[torch.tensor([-3])]", "x[torch.tensor([0.])]",
    "x[0, 0, 0, 0]", "x[torch.tensor([True, False, True])]", "x['a']", "x[::-1]", "x[::0]",
    "x[1.5]", "x[torch.tensor([[True]])]", "x[x[0] > 2]", "x[:, :, torch.tensor([5])]",
    "x[torch.tensor([0]), torch.tensor([5])]", "x[torch.tensor([0]), :, torch.tensor([5])]",
    "x[0, :, torch.tensor([7])]", "x[torch.tensor([[5]])]", "x[None, :, torch.tensor([3])]",
    "x[torch.tensor([1, 0]), torch.tensor([1, 9])]", "x[i, [0, 1]]", "x[torch.tensor([])]",
    "s[0]", "s[None]", "s[...]", "s[True]", "s[torch.tensor(0)]", "s[[0]]", "s[:]",
    "x[{1: 2}]",
])
def test_getitem_errors(expr):
    def f(m, x):
        i = m.tensor([1, 0, 1])
        s = m.tensor(5.0)
        return eval(expr.replace("torch", "m"))
    check(f, x=X, match=True)


def test_index_gradients_accumulate():
    check(lambda m, x: x[m.tensor([0, 0, 1, 0])] * m.arange(4.0).reshape(4, 1, 1), x=X,
          grad=True)
    check(lambda m, x: (x[[0, 0], :, [1, 1]], x[x > 3], x[:, [2, 2, 2]][..., 1]), x=X,
          grad=True)
    check(lambda m, x: x[m.tensor([1, 1])][:, m.tensor([0, 0])].sum(), x=X, grad=True)


def test_index_second_order():
    x = ember.tensor(np.random.default_rng(0).normal(size=(4, 3)), dtype=ember.float64,
                     requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: (x[ember.tensor([0, 0, 3])] ** 2).sum(0), (x,))
    g, = ember.autograd.grad((x[[1, 1, 2]] ** 3).sum(), x, create_graph=True)
    h, = ember.autograd.grad(g.sum(), x)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    gt, = torch.autograd.grad((xt[[1, 1, 2]] ** 3).sum(), xt, create_graph=True)
    ht, = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(h.numpy(), ht.numpy())


SETITEM = [
    ("x[0] = 5.0", None), ("x[0, 1] = v[:4]", None), ("x[:, 1:3] = 7", None),
    ("x[..., 0] = v[:3]", None), ("x[0] = v[:4].reshape(1, 4)", None), ("x[...] = 1.5", None),
    ("x[:] = v[:4]", None), ("x[i] = 0.0", None), ("x[i] = v[:4]", None),
    ("x[x > 5] = -1", None), ("x[x > 5] = v[:1]", None), ("x[:, [0, 2]] = v[:2].reshape(2, 1)", None),
    ("x[0, i] = v[:4]", None), ("x[i, :, i] = v[:3].reshape(3, 1)", None),
    ("x[True] = 3.0", None), ("x[None, 0] = 2.0", None), ("x[[0, 0]] = v[:4]", None),
    ("x[0] = v[:2]", "err"), ("x[i] = v[:3]", "err"), ("x[x > 5] = v[:2]", "err"),
    ("x[5] = 1.0", "err"), ("x[0] = [1, 2, 3, 4]", "err"), ("x[0, 0, 0, 0] = 1", "err"),
    ("x[0] = v.double()[:4]", None), ("x[1] = v.long()[:4]", None),
    ("x.t_() if False else x.transpose(0, 2)[1] = v[:3]", None),
]


@pytest.mark.parametrize("stmt,kind", SETITEM, ids=[s for s, _ in SETITEM])
def test_setitem(stmt, kind):
    def f(m, x, v):
        x = x * 1  # a non-leaf that requires grad
        i = m.tensor([1, 0, 1])
        base_view = x[1]  # an older view of the same storage
        exec(stmt.replace("torch", "m"), {"m": m}, {"x": x, "v": v, "i": i})
        return x, graph(x), x._version > 0, base_view
    check(f, x=X, v=np.array([10.0, 20.0, 30.0, 40.0]), grad=kind is None,
          match=kind == "err")


@pytest.mark.parametrize("dt", ["int32", "int64", "int8", "uint8", "bool", "float16", "float32"])
@pytest.mark.parametrize("value", [3, -1, 2.9, -2.5, True, 300, 2 ** 31, float("nan"),
                                   float("inf"), 1e6, 2 ** 70])
def test_setitem_scalar_conversions(dt, value):
    def f(m, x):
        y = x.to(getattr(m, dt))
        y[0] = value
        y[[1]] = value
        y.fill_(value)
        return y, y.masked_fill(y == y, value), y.index_fill(0, m.tensor([0]), value)
    check(f, x=np.zeros(3), match=True)


def test_setitem_no_grad_and_views():
    def f(m, x):
        y = x.clone()
        v = y[1:]
        v[0, 0] = 100.0
        y[:, 0, ::2] = m.tensor([-1.0, -2.0])
        w = y.t() if y.dim() == 2 else y.transpose(0, 2)
        w[1, 1] = 9.0
        y[y < 3] = 0.0
        return y, v, w, y._version, v._version
    check(f, x=X)


def test_setitem_autograd_leaf_errors():
    check(lambda m, x: x.__setitem__(0, 1.0), x=X, grad=True, match=True)
    check(lambda m, x: x[0].__setitem__(0, 1.0), x=X, grad=True, match=True)

    def ok(m, x):
        with m.no_grad():
            x[0] = 1.0
        return x
    check(ok, x=X, grad=True)


def test_setitem_tensor_requires_grad_into_plain():
    def f(m, y):
        z = m.zeros(3, 4)
        z[1] = y
        z[0, :2] = y[:2] * 2
        return z, graph(z)
    check(f, y=np.array([1.0, 2.0, 3.0, 4.0]), grad=True)


# --- gather / scatter / index_* ---------------------------------------------------------------

A = np.arange(12.0).reshape(3, 4)
IDX = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])

FAMILY = [
    "x.gather(0, idx)", "x.gather(1, torch.tensor([[0], [3], [1]]))", "x.gather(0, idx.int())",
    "x.gather(1, torch.tensor([[0, 1, 2, 0, 1]]))", "torch.gather(x, -1, idx[:, :2])",
    "x.scatter(0, idx, 5.)", "x.scatter(0, idx, y)", "x.scatter(0, idx, 5)",
    "x.scatter(0, idx, 5., reduce='add')", "x.scatter(0, idx, y, reduce='multiply')",
    "x.scatter(1, idx[:, :2], y)", "x.scatter_add(0, idx, y)",
    "x.scatter_add(0, idx, torch.ones(3, 5))", "torch.scatter_add(x, 1, idx, y)",
    "x.scatter_reduce(0, idx, y, 'sum')", "x.scatter_reduce(0, idx, y, 'sum', include_self=False)",
    "x.scatter_reduce(0, idx, y * 7, 'amax')", "x.scatter_reduce(0, idx, y * 7, 'amax', include_self=False)",
    "x.scatter_reduce(0, idx, y - 9, 'amin')", "x.scatter_reduce(0, idx, y * 7, 'mean')",
    "x.scatter_reduce(0, idx, y * 7, 'mean', include_self=False)",
    "x.scatter_reduce(0, idx, y + 1, 'prod')",
    "x.long().scatter_reduce(0, idx, y.long() * 7, 'mean')",
    "x.index_select(0, torch.tensor([2, 0, 2]))", "x.index_select(1, torch.tensor(1))",
    "torch.index_select(x, -1, torch.tensor([3, 3]).int())",
    "x.masked_fill(x > 5, 0.)", "x.masked_fill(torch.tensor([True, False, True, False]), 1.)",
    "x.masked_fill(x > 5, torch.tensor(2.))", "x.masked_fill(x > 5, y.sum())",
    "x.masked_fill(torch.ones(2, 3, 4, dtype=torch.bool), 1.)",
    "x.masked_select(x > 5)", "x.masked_select(torch.tensor([True, False, True, False]))",
    "torch.take_along_dim(x, idx, 0)", "torch.take_along_dim(x, torch.tensor([[0], [1], [2]]), 1)",
    "torch.take_along_dim(x, torch.tensor([3, 1]))",
    "x.index_put((torch.tensor([0, 2]),), y[0])",
    "x.index_put((torch.tensor([0, 0]),), y[0], accumulate=True)",
    "x.index_put((torch.tensor([0, 2]), torch.tensor([1, 3])), torch.tensor(5.))",
    "x.index_put((x > 5,), torch.tensor(-1.))",
    "torch.index_put(x, (torch.tensor([1]), torch.tensor([2])), y[0, :1], True)",
    "x.nonzero()", "torch.nonzero(x, as_tuple=True)", "torch.argwhere(x)",
    "torch.count_nonzero(x)", "torch.count_nonzero(x, 1)", "torch.count_nonzero(x, (0, 1))",
    "torch.nonzero(torch.tensor(5.))", "torch.nonzero(torch.tensor(0.), as_tuple=True)",
    "x.take(torch.tensor([0, 11, -1]))", "torch.take(x, torch.tensor([[1, 1], [2, 5]]))",
    "x.index_add(0, torch.tensor([0, 0]), y)", "x.index_add(0, torch.tensor([0, 0]), y, alpha=2)",
    "x.index_fill(1, torch.tensor([0, 2]), -1.)", "x.index_fill(0, torch.tensor([-1]), 1.)",
    "x.index_copy(0, torch.tensor([2, 0]), y)",
]


@pytest.mark.parametrize("expr", FAMILY)
def test_gather_scatter_family(expr):
    def f(m, x, y, idx):
        r = eval(expr.replace("torch", "m"))
        rs = r if isinstance(r, tuple) else (r,)
        return rs, [graph(o) for o in rs]
    # torch has no derivative for reduce=, nor for a src larger than the index
    grad = "reduce=" not in expr and "idx[:, :2], y" not in expr
    check(f, x=A, y=np.arange(1.0, 9.0).reshape(2, 4) / 4, idx=IDX, grad=grad)


@pytest.mark.parametrize("expr", [
    "x.gather(0, torch.tensor([[5, 0, 0, 0]]))", "x.gather(0, torch.tensor([0, 1]))",
    "x.gather(2, idx)", "x.gather(0, torch.tensor([[0, 1, 2, 0, 1]]))",
    "x.gather(0, torch.tensor([[0.]]))", "x.gather(0, torch.tensor([[-1]]))",
    "x.scatter(0, idx, y.double())", "x.scatter(0, idx, torch.ones(1, 4))",
    "x.scatter(0, torch.tensor([[0.]]), 1.)", "x.scatter(0, torch.tensor([[-1]]), 1.)",
    "x.scatter_add(0, torch.tensor([[3, 0, 0, 0]]), y)",
    "x.scatter_reduce(0, idx, y, 'bad')", "x.index_select(1, torch.tensor([5]))",
    "x.index_select(0, torch.tensor([[0]]))", "x.index_select(0, torch.tensor([0.]))",
    "x.index_select(0, torch.tensor([-1]))",
    "x.masked_fill(x > 5, torch.tensor([2.]))", "x.masked_fill((x > 5).int(), 2.)",
    "x.masked_fill(torch.tensor(1), 1.)", "x.masked_fill(torch.ones(3, 4), 1.)",
    "x.masked_fill(torch.tensor([True, False]), 1.)", "x.masked_select((x > 5).int())",
    "x.take(torch.tensor([12]))", "x.take(torch.tensor([-13]))",
    "x.index_add(0, torch.tensor([0]), y)", "x.index_add(0, torch.tensor([5, 0]), y)",
    "x.index_fill(0, torch.tensor([5]), 1.)", "x.index_copy(0, torch.tensor([5, 0]), y)",
    "x.index_put((torch.tensor([5]),), torch.tensor(1.))",
    "x.index_put((torch.tensor([0]),), torch.ones(3))",
    "x.index_put((torch.tensor([0, 1]),), torch.ones(3, 4))",
    "x.masked_fill_(torch.ones(2, 3, 4, dtype=torch.bool), 1.)",
])
def test_family_errors(expr):
    check(lambda m, x, y, idx: eval(expr.replace("torch", "m")), x=A,
          y=np.arange(1.0, 9.0).reshape(2, 4), idx=IDX, match=True)


@pytest.mark.parametrize("expr", [
    "x.scatter_(0, idx, y)", "x.scatter_(1, idx, 2.)", "x.scatter_add_(0, idx, y)",
    "x.scatter_reduce_(0, idx, y, 'amax')", "x.index_add_(0, torch.tensor([1, 1]), y)",
    "x.index_fill_(1, torch.tensor([0]), 3.)", "x.index_copy_(0, torch.tensor([0, 2]), y)",
    "x.masked_fill_(x > 4, -1.)", "x.masked_fill_(x > 4, y.sum())",
    "x.index_put_((torch.tensor([0, 2]),), y[0])",
    "x.index_put_((torch.tensor([1, 1]),), y[1], accumulate=True)",
])
def test_family_inplace(expr):
    def f(m, x, y, idx):
        z = x * 1
        r = eval(expr.replace("torch", "m").replace("x.", "z.", 1))
        return z, r is z, graph(z), z._version
    check(f, x=A, y=np.arange(1.0, 9.0).reshape(2, 4) / 4, idx=IDX, grad=True)


GC = [
    lambda x, y: x.gather(1, ember.tensor([[0, 0], [3, 1], [2, 2]])),
    lambda x, y: x.scatter(0, ember.tensor([[0, 1, 2, 0], [2, 2, 1, 1]]), y),
    lambda x, y: x.scatter_add(0, ember.tensor([[0, 1, 2, 0], [2, 2, 1, 0]]), y),
    lambda x, y: x.scatter_reduce(0, ember.tensor([[0, 1, 2, 0], [2, 2, 1, 0]]), y, "mean"),
    lambda x, y: x.scatter_reduce(0, ember.tensor([[0, 1, 2, 0], [2, 2, 1, 0]]), y, "sum",
                                  include_self=False),
    lambda x, y: x.index_select(1, ember.tensor([3, 0, 3])),
    lambda x, y: x.masked_fill(x > 0.5, 0.0), lambda x, y: x.masked_select(x > 0.5),
    lambda x, y: x.index_add(0, ember.tensor([2, 2]), y, alpha=1.5),
    lambda x, y: x.index_copy(0, ember.tensor([2, 0]), y),
    lambda x, y: x.index_put((ember.tensor([1, 1]),), y[0], accumulate=True),
    lambda x, y: x.take(ember.tensor([[0, 5], [5, 11]])),
    lambda x, y: ember.take_along_dim(x, ember.tensor([[1], [0], [3]]), 1),
    lambda x, y: x[ember.tensor([2, 0, 2])][:, [1, 1]],
]


@pytest.mark.parametrize("k", range(len(GC)))
def test_gradcheck(k):
    rng = np.random.default_rng(k)
    x = ember.tensor(rng.uniform(-1, 1, (3, 4)), dtype=ember.float64, requires_grad=True)
    y = ember.tensor(rng.uniform(-1, 1, (2, 4)), dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(GC[k], (x, y))


def test_no_grad_fast_paths_share_memory():
    x = ember.zeros(3, 4)
    v = x[1]
    v[2] = -1.0
    assert x[1, 2].item() == -1.0 and v._base is x and v.data_ptr() == x.data_ptr() + 16
    assert x[1:].storage_offset() == 4 and x[:, 1].stride() == (4,)
