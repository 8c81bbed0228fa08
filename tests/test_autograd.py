"""The autograd engine against PyTorch: accumulation, retain_graph, higher order, grad(),
backward(gradient/inputs), grad modes, hooks, graph structure, version counters, anomaly
detection, custom Functions and gradcheck."""
import math
import re

import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from _helpers import make_same  # noqa: E402
from parity import check  # noqa: E402


def _norm(x, m):
    if isinstance(x, m.Tensor):
        d = x.detach()
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.requires_grad,
                x.grad_fn is not None,
                ["nan" if v != v else round(v, 5) for v in d.reshape(-1).tolist()])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_norm(v, m) for v in x])
    if isinstance(x, dict):
        return {k: _norm(v, m) for k, v in x.items()}
    if isinstance(x, float):
        return "nan" if math.isnan(x) else round(x, 5)
    if isinstance(x, str):
        return re.sub(r"0x[0-9a-f]+", "0xADDR", x.replace("ember", "torch"))
    if isinstance(x, m.dtype):
        return str(x).split(".")[-1]
    return x


same = make_same(_norm)


def leaf(m, values=(1.0, 2.0), **kw):
    return m.tensor(list(values), requires_grad=True, **kw)


def nm(f):
    return None if f is None else type(f).__name__


# --- accumulation, retain_graph, higher order ----------------------------------------------

def test_accumulation_and_zeroing():
    def run(m):
        x = leaf(m)
        (x * 2).sum().backward()
        g1 = x.grad.clone()
        (x * 3).sum().backward()
        g2 = x.grad.clone()
        gid = id(x.grad)
        (x * 1).sum().backward()
        same_obj = id(x.grad) == gid   # accumulated in place
        x.grad.zero_()
        g3 = x.grad.clone()
        x.grad = None
        (x * x).sum().backward()
        return g1, g2, same_obj, g3, x.grad
    same(run)


def test_second_backward():
    def twice(op):
        def run(m):
            x = leaf(m)
            y = op(x).sum()
            y.backward()
            y.backward()
            return x.grad
        return run
    same(twice(lambda x: x.exp()))
    same(twice(lambda x: x * x))
    same(twice(lambda x: x + 1))

    def retained(m):
        x = leaf(m)
        y = x.exp().sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    same(retained)


def test_higher_order():
    def cube(m):
        x = m.tensor([2.0], requires_grad=True)
        y = x ** 3
        g, = m.autograd.grad(y, x, create_graph=True)
        g2, = m.autograd.grad(g, x, create_graph=True)
        g3, = m.autograd.grad(g2, x)
        return g, g2, g3, nm(g.grad_fn)
    same(cube)

    def via_backward(m):
        x = leaf(m, (2.0, 3.0))
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.sum().backward()
        return g, x.grad
    same(via_backward)

    def mixed(m):
        x, w = leaf(m, (1.0, 2.0)), leaf(m, (3.0, -1.0))
        y = (x * x * w).sum()
        gx, = m.autograd.grad(y, x, create_graph=True)
        return m.autograd.grad(gx.sum(), [x, w])
    same(mixed)


# --- backward(gradient), grad() -------------------------------------------------------------

def test_backward_gradient_argument():
    same(lambda m: (leaf(m) * 2).backward())
    same(lambda m: (lambda x: ((x * 2).backward(m.tensor([1.0, 10.0])), x.grad)[1])(leaf(m)))
    same(lambda m: (lambda x: ((x * 2).backward(m.tensor([1.0, 10.0, 3.0])), x.grad)[1])(leaf(m)))
    same(lambda m: (lambda x: ((x * 2).backward(m.tensor([1.0, 10.0], dtype=m.float64)),
                               x.grad)[1])(leaf(m)))
    same(lambda m: (lambda x: ((x * 2).backward(m.tensor([1, 10])), x.grad)[1])(leaf(m)))
    same(lambda m: (lambda x: (m.autograd.backward([(x * 2).sum(), (x * 3).sum()]), x.grad)[1])(
        leaf(m)))


def test_no_grad_errors():
    same(lambda m: (m.tensor([1.0, 2.0]) * 2).sum().backward())
    same(lambda m: m.autograd.grad((m.tensor([1.0, 2.0]) * 2).sum(), m.tensor([1.0])))
    same(lambda m: (lambda x: m.autograd.grad((x.detach() * 2).sum(), x))(leaf(m)))
    same(lambda m: (lambda x: m.autograd.grad((x * 2).sum(), m.tensor([1.0])))(leaf(m)))
    same(lambda m: m.autograd.backward([(leaf(m) * 2).sum(), m.tensor(1.0)]))


def test_autograd_grad():
    same(lambda m: (lambda x, y: m.autograd.grad((x * 2).sum(), [x, y]))(leaf(m, [1.0]),
                                                                        leaf(m, [2.0])))
    same(lambda m: (lambda x, y: m.autograd.grad((x * 2).sum(), [x, y], allow_unused=True))(
        leaf(m, [1.0]), leaf(m, [2.0])))
    same(lambda m: (lambda x, y: m.autograd.grad((x * 2).sum(), [x, y],
                                                 materialize_grads=True))(leaf(m, [1.0]),
                                                                          leaf(m, [2.0])))

    def multi(m):
        x, y = leaf(m), leaf(m, [3.0])
        a, b = x * y, x.sum() * 2
        return m.autograd.grad([a, b], [x, y], grad_outputs=[m.tensor([1.0, 1.0]),
                                                             m.tensor(1.0)])
    same(multi)
    same(lambda m: (lambda x: m.autograd.grad([(x * 2).sum(), (x * 3).sum()], x,
                                              grad_outputs=[None, m.tensor(2.0)]))(leaf(m)))
    same(lambda m: (lambda x: (m.autograd.grad((x * 2).sum(), x), x.grad))(leaf(m)))

    def nonleaf_input(m):
        x = leaf(m)
        h = x * 3
        return m.autograd.grad((h * h).sum(), h)
    same(nonleaf_input)

    def twice_without_retain(m):
        x = leaf(m)
        y = x.exp().sum()
        m.autograd.grad(y, x)
        return m.autograd.grad(y, x)
    same(twice_without_retain)


def test_backward_inputs():
    same(lambda m: (lambda x, y: ((x * y).sum().backward(inputs=[x]), x.grad, y.grad)[1:])(
        leaf(m, [1.0]), leaf(m, [2.0])))
    same(lambda m: (leaf(m) * 2).sum().backward(inputs=[]))
    same(lambda m: (lambda x: ((x * 2).sum().backward(inputs=x), x.grad)[1])(leaf(m)))
    same(lambda m: (lambda x, y: ((x * 2).sum().backward(inputs=[y]), x.grad, y.grad)[1:])(
        leaf(m, [1.0]), leaf(m, [1.0])))

    def nonleaf(m):
        x = leaf(m, [1.0])
        h = x * 3
        (h * 2).sum().backward(inputs=[h])
        return h.grad, x.grad
    same(nonleaf)


# --- grad modes -----------------------------------------------------------------------------

def test_grad_modes():
    def run(m):
        x = leaf(m)
        out = []
        with m.no_grad():
            out.append(((x * 2).requires_grad, m.is_grad_enabled()))
            with m.enable_grad():
                out.append(((x * 2).requires_grad, m.is_grad_enabled()))
        out.append(m.is_grad_enabled())
        with m.set_grad_enabled(False):
            out.append((x * 2).requires_grad)
        m.set_grad_enabled(False)
        out.append(m.is_grad_enabled())
        m.set_grad_enabled(True)

        @m.no_grad()
        def f(a):
            return a * 2

        @m.no_grad
        def f2(a):
            return a * 2

        @m.enable_grad()
        def g(a):
            return a * 2

        @m.inference_mode()
        def h(a):
            return a * 2

        @m.set_grad_enabled(False)
        def k(a):
            return a * 2
        out.append((f(x).requires_grad, f2(x).requires_grad, k(x).requires_grad,
                    m.is_grad_enabled()))
        with m.no_grad():
            out.append(g(x).requires_grad)
        r = h(x)
        out.append((r.requires_grad, r.is_inference(), x.is_inference()))
        with m.inference_mode():
            out.append((m.is_inference_mode_enabled(), m.is_grad_enabled(),
                        (x * 2).requires_grad))
            with m.inference_mode(False):
                out.append((m.is_inference_mode_enabled(), m.is_grad_enabled()))
        out.append(m.is_inference_mode_enabled())

        def gen():
            yield m.is_grad_enabled()
            yield m.is_grad_enabled()
        out.append(list(m.no_grad()(gen)()))
        try:
            with m.no_grad():
                raise ValueError
        except ValueError:
            pass
        out.append(m.is_grad_enabled())
        return out
    same(run)


def test_requires_grad_rules():
    same(lambda m: m.tensor([1, 2]).requires_grad_())
    same(lambda m: setattr(m.tensor([1]), "requires_grad", True))
    same(lambda m: m.zeros(1, dtype=m.long, requires_grad=True))
    same(lambda m: (leaf(m) * 2).requires_grad_(False))
    same(lambda m: (leaf(m) * 2).requires_grad_(True).requires_grad)
    same(lambda m: setattr(m.tensor([1.0]), "requires_grad", 1))
    same(lambda m: (lambda a: a.requires_grad_() is a)(m.zeros(1)))
    same(lambda m: (lambda x: [x.is_leaf, (x * 2).is_leaf, m.zeros(1).is_leaf,
                               (m.zeros(1) * 2).is_leaf, x.detach().is_leaf,
                               (x * 2).detach().is_leaf])(leaf(m)))
    same(lambda m: (lambda y: [y.detach_() is y, y.requires_grad, y.grad_fn, y.is_leaf])(
        leaf(m) * 2))


def test_grad_attribute():
    same(lambda m: setattr(leaf(m, [1.0]), "grad", m.zeros(2)))
    same(lambda m: setattr(leaf(m, [1.0]), "grad", m.zeros(1, dtype=m.int64)))
    same(lambda m: setattr(leaf(m, [1.0]), "grad", m.zeros(1, dtype=m.float64)))
    same(lambda m: setattr(leaf(m, [1.0]), "grad", 3))
    same(lambda m: (lambda a: (setattr(a, "grad", m.ones(1)), a.grad)[1])(m.tensor([1.0])))
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert (leaf(ember) * 2).grad is None


# --- retain_grad and hooks ------------------------------------------------------------------

def test_retain_grad():
    def run(m):
        x = leaf(m)
        h = x * 2
        h.retain_grad()
        (h * h).sum().backward(retain_graph=True)
        first = h.grad.clone()
        (h * h).sum().backward()
        return first, h.grad, h.retains_grad, x.retains_grad
    same(run)
    same(lambda m: m.tensor([1.0]).retain_grad())

    def after_hook(m):
        x = leaf(m)
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 100)  # retain_grad sees the hooked gradient
        (h * 1).sum().backward()
        return h.grad, x.grad
    same(after_hook)


def test_tensor_hooks():
    def nonleaf(m):
        x = leaf(m)
        h = x * 2
        seen = []
        h.register_hook(lambda g: seen.append(g.clone()))
        h.register_hook(lambda g: g * 10)
        (h * h).sum().backward()
        return seen, x.grad
    same(nonleaf)

    def on_leaf(m):
        x = leaf(m)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        handle = x.register_hook(lambda g: g * 2)
        (x * 3).sum().backward()
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (x * 3).sum().backward()
        return seen, first, x.grad
    same(on_leaf)

    def leaf_before_graph(m):
        import gc
        x = leaf(m, [1.0])
        x.register_hook(lambda g: g + 100)
        gc.collect()
        (x * 1).sum().backward()
        return x.grad, m.autograd.grad((x * 3).sum(), x)
    same(leaf_before_graph)
    same(lambda m: m.tensor([1.0]).register_hook(lambda g: g))


def test_node_hooks():
    def run(m):
        x = leaf(m)
        y = x.exp()
        seen = []
        y.grad_fn.register_hook(lambda gi, go: seen.append(("post", [nm(g) for g in gi],
                                                            go[0].clone())))
        y.grad_fn.register_prehook(lambda go: seen.append(("pre", go[0].clone())))
        y.sum().backward()
        return seen
    same(run)

    def modify(m):
        x = leaf(m)
        y = x * 2
        y.grad_fn.register_prehook(lambda go: (go[0] * 10,))
        y.sum().backward()
        return x.grad
    same(modify)

    def post_modify(m):
        x = leaf(m)
        y = x.exp()
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 5,))
        y.sum().backward()
        return x.grad
    same(post_modify)

    def wrong_count(m):
        x = leaf(m)
        y = x * 2

        def hook(gi, go):
            return (gi[0] * 10,)
        y.grad_fn.register_hook(hook)
        y.sum().backward()
    same(wrong_count)


# --- graph structure ------------------------------------------------------------------------

def _walk(f):
    if f is None:
        return None
    return (nm(f), f.name(), [(_walk(n), i) for n, i in f.next_functions])


def test_node_names_and_reprs():
    def run(m):
        x = leaf(m)
        y = (x * 2 + 1).exp().sum()
        g = y.grad_fn
        a = (x * 2).grad_fn.next_functions[0][0]
        return [g.name(), nm(g), repr(g), g.metadata, repr(g.next_functions),
                repr(g.next_functions[0][0].next_functions), nm(a), a.variable is x,
                a.next_functions, a.name(), repr(a)]
    same(run)


@pytest.mark.parametrize("build", [
    lambda m, x, w: ((x * w + m.tensor([1.0, 1.0])) ** 2).mean(),
    lambda m, x, w: (x.exp() * w.sin()).sum(),
    lambda m, x, w: (x @ w).relu(),
    lambda m, x, w: (x / w - x.sqrt()).mean(),
    lambda m, x, w: m.cat([x, w]).reshape(2, 2).t().sum(0).max(),
    lambda m, x, w: ((x - w) ** 2).sum() / 2,
    lambda m, x, w: x.unsqueeze(0).expand(3, 2).sum(),
])
def test_next_functions_structure(build):
    def run(m):
        x, w = leaf(m, (1.0, 2.0)), leaf(m, (3.0, 4.0))
        y = build(m, x, w)
        y.backward()
        return _walk(y.grad_fn), x.grad, w.grad
    same(run)


# --- version counters and in-place checks ---------------------------------------------------

@pytest.mark.parametrize("case", [
    lambda m, x: (lambda y: (y.add_(1), y.sum().backward()))(x.exp()),
    lambda m, x: (lambda h: (lambda y: (h.add_(1), y.sum().backward()))(h * h))(x * 1),
    lambda m, x: (lambda h: (lambda y: (h.mul_(2), y.sum().backward()))(h.sin()))(x * 1),
    lambda m, x: (lambda h: (h.mul_(2), h.sum().backward()))(x.sigmoid()),
    lambda m, x: (lambda h: (lambda y: (y.mul_(2), y.sum().backward()))(h[1:].exp()))(x * 1),
    lambda m, x: (lambda h: (lambda y: (h.zero_(), y.sum().backward()))(h.pow(2)))(x * 1),
    lambda m, x: (lambda y: (m.no_grad().__enter__(), x.add_(1), m.set_grad_enabled(True),
                             y.sum().backward()))(x.sin()),
    lambda m, x: (lambda c: (lambda y: (c.add_(1), y.sum().backward()))(x * c))(
        m.tensor([1.0, 2.0, 3.0])),
])
def test_modified_by_inplace(case):
    same(lambda m: case(m, m.tensor([1.0, 2.0, 3.0], requires_grad=True)))


def test_versions_and_leaf_inplace():
    same(lambda m: (lambda x: x.add_(1))(leaf(m, [1.0])))
    same(lambda m: (lambda x: x[0].add_(1))(leaf(m)))
    same(lambda m: (lambda x: x.__setitem__(0, 5))(leaf(m)))

    def no_grad_inplace(m):
        x = leaf(m, [1.0])
        with m.no_grad():
            x.add_(1)
        return x, x.requires_grad, x.is_leaf, x._version
    same(no_grad_inplace)


# --- anomaly detection ----------------------------------------------------------------------

def test_detect_anomaly():
    def zero_sqrt(m):
        x = m.tensor([0.0, 1.0], requires_grad=True)
        with m.autograd.detect_anomaly():
            (x.sqrt() * 0).sum().backward()
    same(zero_sqrt)

    def neg_sqrt(m):
        x = m.tensor([-1.0, 1.0], requires_grad=True)
        with m.autograd.set_detect_anomaly(True):
            x.sqrt().sum().backward()
    same(neg_sqrt)

    def div(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        with m.autograd.detect_anomaly():
            (x * 0).div(0 * x).sum().backward()
    same(div)

    def no_check(m):
        x = m.tensor([-1.0, 1.0], requires_grad=True)
        with m.autograd.detect_anomaly(check_nan=False):
            x.sqrt().sum().backward()
        return x.grad, m.is_anomaly_enabled()
    same(no_check)
    same(lambda m: [m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()])
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with ember.autograd.detect_anomaly():
            assert ember.is_anomaly_enabled()
    assert not ember.is_anomaly_enabled()


# --- custom Functions -----------------------------------------------------------------------

def _functions(m):
    F = m.autograd.Function

    class Exp(F):
        @staticmethod
        def forward(ctx, i):
            r = i.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, g):
            r, = ctx.saved_tensors
            return g * r

    class Mul(F):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.k = k
            ctx.save_for_backward(a, b)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return (g * b * ctx.k if ctx.needs_input_grad[0] else None,
                    g * a * ctx.k if ctx.needs_input_grad[1] else None, None)

    class WrongCount(F):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class WrongShape(F):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return m.ones(3)

    class Broadcast(F):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return m.ones(3, 2)

    class Dirty(F):
        @staticmethod
        def forward(ctx, a):
            a.mul_(2)
            ctx.mark_dirty(a)
            return a

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Identity(F):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, g):
            return g

    class TwoOut(F):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            return a * 1, a * 2

        @staticmethod
        def backward(ctx, g1, g2):
            assert g2 is None
            return g1

    class TwoOutMaterialized(F):
        @staticmethod
        def forward(ctx, a):
            return a * 1, a * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 + g2 * 2

    class ArgMax(F):
        @staticmethod
        def forward(ctx, a):
            idx = a.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(a, idx)
            return a.max(), idx

        @staticmethod
        def backward(ctx, gv, gi):
            a, idx = ctx.saved_tensors
            return m.zeros_like(a).index_fill(0, idx.reshape(1), 1.0) * gv

    class Once(F):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 2

        @staticmethod
        @m.autograd.function.once_differentiable
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return g * 2 * a

    class Cube(F):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 3

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return g * 3 * a ** 2

    class NewStyle(F):
        @staticmethod
        def forward(a, k):
            return a * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            a, k = inputs
            ctx.k = k
            ctx.save_for_backward(a)

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    class Modes(F):
        @staticmethod
        def forward(ctx, a):
            ctx.mode = m.is_grad_enabled()
            return a * 2

        @staticmethod
        def backward(ctx, g):
            ctx.bmode = m.is_grad_enabled()
            return g * 2

    class NoBackward(F):
        @staticmethod
        def forward(ctx, a):
            return a * 2

    class SaveBad(F):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, 3)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g

    class Wrong(F):
        @staticmethod
        def forward(ctx, a):
            return a ** 2

        @staticmethod
        def backward(ctx, g):
            return g * 3
    return locals()


def test_function_basics():
    def run(m):
        fs = _functions(m)
        x = leaf(m)
        y = fs["Exp"].apply(x)
        n = y.grad_fn
        y.sum().backward()
        return [nm(n), n.name(), repr(n), repr(n.next_functions), x.grad, y.requires_grad,
                y.is_leaf]
    same(run)
    same(lambda m: (lambda y: (y.sum().backward(), y.sum().backward()))(
        _functions(m)["Exp"].apply(leaf(m))))
    same(lambda m: (lambda y: (y.sum().backward(), y.grad_fn.saved_tensors))(
        _functions(m)["Exp"].apply(leaf(m))))
    same(lambda m: (lambda y: (y.add_(1), y.sum().backward()))(
        _functions(m)["Exp"].apply(leaf(m))))

    def needs(m):
        a, b = leaf(m), m.tensor([3.0, 4.0])
        y = _functions(m)["Mul"].apply(a, b, 2.0)
        y.sum().backward()
        return a.grad, b.grad, y.grad_fn.needs_input_grad, repr(y.grad_fn.next_functions)
    same(needs)


@pytest.mark.parametrize("name", ["WrongCount", "WrongShape", "Broadcast", "NoBackward",
                                  "SaveBad"])
def test_function_gradient_checks(name):
    same(lambda m: (lambda x: (_functions(m)[name].apply(x).sum().backward(), x.grad)[1])(
        leaf(m)))


def test_function_dirty_identity_nondiff():
    def dirty(m):
        x = leaf(m)
        h = x * 1
        y = _functions(m)["Dirty"].apply(h)
        y.sum().backward()
        return y is h, nm(h.grad_fn), x.grad, h._version
    same(dirty)

    def identity(m):
        x = leaf(m)
        y = _functions(m)["Identity"].apply(x)
        return y is x, nm(y.grad_fn), y._base is x, y.is_leaf
    same(identity)

    def nondiff(m):
        x = leaf(m, (1.0, 3.0, 2.0))
        v, i = _functions(m)["ArgMax"].apply(x)
        v.backward()
        return v.requires_grad, i.requires_grad, nm(v.grad_fn), i.grad_fn, x.grad
    same(nondiff)


def test_function_materialize_once_newstyle_modes():
    for name in ("TwoOut", "TwoOutMaterialized"):
        same(lambda m: (lambda x: (_functions(m)[name].apply(x)[0].sum().backward(),
                                   x.grad)[1])(leaf(m)))

    def once(m):
        x = leaf(m)
        y = _functions(m)["Once"].apply(x).sum()
        g, = m.autograd.grad(y, x, create_graph=True)
        return g, nm(g.grad_fn)
    same(once)

    def cube(m):
        x = leaf(m)
        g, = m.autograd.grad(_functions(m)["Cube"].apply(x).sum(), x, create_graph=True)
        return g, m.autograd.grad(g.sum(), x)
    same(cube)
    same(lambda m: (lambda x: (lambda y: (y.sum().backward(), x.grad, nm(y.grad_fn)))(
        _functions(m)["NewStyle"].apply(x, 3.0))[1:])(leaf(m)))
    same(lambda m: (lambda y: (y.backward(), y.grad_fn.mode, y.grad_fn.bmode)[1:])(
        _functions(m)["Modes"].apply(leaf(m, [1.0]))))
    same(lambda m: (lambda y: (y.requires_grad, y.grad_fn))(
        _functions(m)["Exp"].apply(m.tensor([1.0]))))

    def under_no_grad(m):
        with m.no_grad():
            y = _functions(m)["Exp"].apply(leaf(m))
        return y.requires_grad, y.grad_fn
    same(under_no_grad)


# --- gradcheck ------------------------------------------------------------------------------

def test_gradcheck():
    def x64():
        return ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    fs = _functions(ember)
    assert ember.autograd.gradcheck(fs["Exp"].apply, (x64(),))
    assert ember.autograd.gradcheck(fs["Cube"].apply, (x64(),))
    assert ember.autograd.gradgradcheck(fs["Cube"].apply, (x64(),))
    assert ember.autograd.gradgradcheck(lambda t: t ** 3, (x64(),))
    w = ember.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: (a @ b).exp().sum(0), (x64(), w))
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to "
                                           "input 0"):
        ember.autograd.gradcheck(fs["Wrong"].apply, (x64(),))
    assert ember.autograd.gradcheck(fs["Wrong"].apply, (x64(),), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradgradcheck(fs["Once"].apply, (x64(),))
    # The failure message prints both Jacobians as PyTorch does.
    try:
        ember.autograd.gradcheck(fs["Wrong"].apply, (x64(),))
    except RuntimeError as e:
        t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        with pytest.raises(RuntimeError) as te:
            torch.autograd.gradcheck(_functions(torch)["Wrong"].apply, (t,))
        assert str(e).replace("ember", "torch") == str(te.value)


def test_loss_graph_walk_like_the_notes():
    """loss.grad_fn.next_functions[0][0]... as the tutorial walks an MSE loss of a net."""
    def run(m):
        F = m.nn.functional
        x = m.tensor([[0.5, -1.0, 2.0]])
        w1 = m.tensor([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]], requires_grad=True)
        b1 = m.tensor([0.01, -0.02], requires_grad=True)
        w2 = m.tensor([[0.7, -0.8]], requires_grad=True)
        out = F.linear(F.relu(F.linear(x, w1, b1)), w2)
        loss = F.mse_loss(out, m.tensor([[0.3]]))
        f = loss.grad_fn
        walk = [repr(f), repr(f.next_functions[0][0]),
                repr(f.next_functions[0][0].next_functions[0][0])]
        loss.backward()
        return walk, _walk(loss.grad_fn), w1.grad, b1.grad, w2.grad, loss
    same(run)


def test_variable_wrapper():
    def run(m):
        x = m.ones(2)
        v = m.autograd.Variable(x)
        w = m.autograd.Variable(x, requires_grad=True)
        y = m.autograd.Variable(m.ones(2, requires_grad=True) * 2)
        return [v is x, v.requires_grad, v.data_ptr() == x.data_ptr(), w.requires_grad,
                x.requires_grad, w.is_leaf, isinstance(x, m.autograd.Variable),
                y.requires_grad, y.grad_fn, type(v).__name__]
    same(run)
    same(lambda m: m.autograd.Variable([1]))


def test_roots_sharing_one_node():
    # several outputs of one node as roots: that node runs once, with all their grads
    def fn(m, x):
        parts = list(m.split(x, 4, 1))
        g = m.autograd.grad(parts, [x], [m.ones(2, 4), 2 * m.ones(2, 4)], create_graph=True)
        return g[0] * x
    import numpy as np
    check(fn, x=np.arange(16.0).reshape(2, 8), grad=True)
    for m in (torch, ember):
        x = m.ones(2, 8, requires_grad=True)
        m.autograd.backward(list(x.chunk(2, 1)), [m.ones(2, 4), 3 * m.ones(2, 4)])
        assert x.grad.tolist() == [[1.0] * 4 + [3.0] * 4] * 2
