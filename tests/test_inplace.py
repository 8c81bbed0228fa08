"""In-place ops against torch: values, version counters, writes through views, grad_fns
(CopySlices, AsStridedBackward0 re-derived views), gradients and torch's refusals."""
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


A = np.arange(1.0, 13.0).reshape(3, 4) / 7
Y = np.array([0.5, -1.5, 2.0, 0.25])

OPS = [
    "c.add_(y)", "c.add_(2)", "c.add_(y, alpha=2)", "c.sub_(y)", "c.sub_(2, alpha=3)",
    "c.mul_(y)", "c.mul_(2)", "c.div_(y)", "c.div_(2)", "c.zero_()", "c.fill_(2)",
    "c.fill_(torch.tensor(2.))", "c.fill_(y.sum())", "c.copy_(y)", "c.copy_(y.double())",
    "c.clamp_(0, 1)", "c.clamp_(min=y)", "c.exp_()", "c.pow_(2)", "c.pow_(y)", "c.neg_()",
    "c.sigmoid_()", "c.relu_()", "c.floor_()", "c.abs_()", "c.clamp_min_(0.5)",
    "c.nan_to_num_()", "c.fmod_(0.3)", "c.remainder_(0.3)", "c.copysign_(-1.0)",
    "c.square_()", "c.sign_()", "c.lerp_(y, 0.5)", "c.addcmul_(y, y)", "c.addcdiv_(y, y)",
    "c.t_()", "c.unsqueeze_(0)", "c.squeeze_()", "c.transpose_(0, 1)", "c.tanh_()",
    "c.round_()", "c.round_(decimals=1)", "c.sqrt_()", "c.reciprocal_()", "c.trunc_()",
    "c.clamp_(max=1)",
    "c[0].add_(1)", "c[0].mul_(y)", "c[:, 1].zero_()", "c[0].copy_(y)",
    "c.t()[1].add_(y[:3])", "c[1:, ::2].mul_(2)", "c.view(-1)[3:6].add_(1)",
    "c.diagonal().mul_(3)", "c[0][1:3].add_(y[:2])", "c.t().add_(1)", "c[None].mul_(y)",
    "c.__iadd__(y)", "c.__imul__(y)", "c.__isub__(2)", "c.__itruediv__(y)", "c.__ipow__(2)",
]


@pytest.mark.parametrize("expr", OPS)
def test_inplace_ops(expr):
    def f(m, a, y):
        c = a * 1
        d = c[1]  # another view, taken before the write: its grad_fn must be re-derived
        r = eval(expr.replace("torch", "m"))
        w = m.arange(1.0, 1 + c.numel()).reshape(c.shape)
        return (graph(c), graph(d), c, d, c._version, d._version, r is c or r is None,
                (c * w).sum(), (d * 3).sum())
    check(f, a=A, y=Y, grad=True)


def test_inplace_no_grad_and_leaves():
    def f(m, a, y):
        with m.no_grad():
            a.add_(y)
            a.mul_(2).sub_(1, alpha=0.5)
            a[0] = 3.0
        return a, a._version, a.requires_grad, a.grad_fn
    check(f, a=A, y=Y, grad=True)


@pytest.mark.parametrize("expr", [
    "a.add_(1)", "a[0].add_(1)", "a.view(12).mul_(2)", "a.zero_()", "a.fill_(1)",
    "a.copy_(y.expand(3, 4))", "a.t_()", "a.unsqueeze_(0)", "a[0] = 1.0", "a += 1",
    "b.unbind(0)[0].add_(1)", "b.split(2, 1)[1].mul_(2)", "b.chunk(2)[0].zero_()",
    "b.split([1, 3], 1)[0].zero_()",
    "torch.ones(3, dtype=torch.long).add_(1.5)", "torch.ones(3, dtype=torch.long).mul_(y[:3])",
    "torch.ones(3).add_(torch.ones(2, 3))", "torch.ones(3).expand(2, 3).add_(1)",
    "torch.ones(3, dtype=torch.bool).add_(1)", "torch.ones(3, dtype=torch.int32).div_(2)",
    "torch.ones(3, dtype=torch.int32).__itruediv__(2)", "c.float_power_(2.)",
    "torch.ones(3).expand(2, 3).zero_()", "torch.ones(3).expand(2, 3).copy_(torch.ones(2, 3))",
    "torch.ones(2, 3).copy_(torch.ones(4))", "c.t_() if False else torch.ones(2, 2, 2).t_()",
])
def test_inplace_errors(expr):
    def f(m, a, y):
        b = a * 1
        c = a.detach().float()
        exec(expr.replace("torch", "m"), {"m": m}, {"a": a, "b": b, "c": c, "y": y})
    check(f, a=A, y=Y, grad=True, match=True)


def test_inplace_dtype_rules():
    check(lambda m: (m.ones(3, dtype=m.int32).add_(m.ones(3, dtype=m.int64)),
                     m.ones(3).add_(m.ones(3, dtype=m.float64)),
                     m.ones(3, dtype=m.float16).mul_(0.1),
                     m.ones(3, dtype=m.uint8).sub_(2),
                     m.ones(3, dtype=m.int8).mul_(200),
                     m.ones(3).add_(True), m.ones(3, dtype=m.bool).mul_(True)))


def test_saved_tensor_modified_error():
    def f(m, a):
        b = a * 1
        c = b.exp()
        b.add_(1)
        c.exp().sum().backward()  # exp saved its result, not b: fine
        d = b.sin()
        b.mul_(2)
        d.sum().backward()
    check(f, a=A, grad=True, match=True)


def test_inplace_on_base_rederives_views():
    def f(m, a):
        b = a * 1
        v, w = b[0], b[:, 1]
        b.mul_(2)
        return graph(v), graph(w), graph(b), (v * 2 + w).sum()
    check(f, a=A, grad=True)


def test_chained_inplace_views_gradients():
    def f(m, a, y):
        b = a * 2
        b[0].mul_(y)
        b[:, 1].add_(y[:3])
        b.t()[2].copy_(y[:3] * 3)
        b.diagonal().zero_()
        return b, graph(b)
    check(f, a=A, y=Y, grad=True)


def test_setitem_with_autograd_matches_out_of_place():
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.normal(size=(3, 4)), dtype=ember.float64, requires_grad=True)
    y = ember.tensor(rng.normal(size=4), dtype=ember.float64, requires_grad=True)

    def fn(a, y):
        b = a * 1
        b[1] = y * y
        b[:, 0] = a[:, 1] * 2
        return b

    assert ember.autograd.gradcheck(fn, (a, y))


def test_inplace_fast_path_writes_into_storage():
    p = ember.ones(4)
    v = p[1:]
    with ember.no_grad():
        p.add_(ember.ones(4), alpha=-0.5)
        p.mul_(2)
        p -= 0.25
    assert p.tolist() == [0.75] * 4 and v.tolist() == [0.75] * 3 and p._version == 3


def test_mul_by_constant_keeps_no_version_of_its_input():
    # x * 2 needs x's value for no gradient, so writing x afterwards is allowed (PyTorch)
    def fn(m, x):
        y = x * 1
        a = y[:1] * 2
        y[1:].mul_(3)
        return a.sum() + y.sum()
    check(fn, x=np.array([1.0, 2.0, 3.0]), grad=True)


def test_mul_of_two_graph_inputs_still_guards_its_inputs():
    for m in (torch, ember):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = m.tensor([1.0, 1.0, 1.0], requires_grad=True)
        y = x * 1
        a = y * w
        y.mul_(3)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            a.sum().backward()
