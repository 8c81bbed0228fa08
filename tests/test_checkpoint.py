"""ember.utils.checkpoint and ember.utils.model_zoo against torch.utils."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.utils.checkpoint as tchk  # noqa: E402

import ember  # noqa: E402
import ember.utils.checkpoint as echk  # noqa: E402
import ember.utils.model_zoo as ezoo  # noqa: E402

CK = {torch: tchk, ember: echk}
VARIANTS = [True, False]


def np_(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach()._data


def mlp(m, p=0.5):
    nn = m.nn
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Dropout(p), nn.Linear(8, 8),
                         nn.ReLU(), nn.Dropout(p), nn.Linear(8, 3))


def train_step(m, use_reentrant, segments=None, p=0.5):
    """Seeded model and input; returns (output, input grad, parameter grads)."""
    m.manual_seed(0)
    model = mlp(m, p)
    x = m.randn(5, 6, requires_grad=True)
    if use_reentrant is None:
        y = model(x)
    elif segments is None:
        y = CK[m].checkpoint(model, x, use_reentrant=use_reentrant)
    else:
        y = CK[m].checkpoint_sequential(model, segments, x, use_reentrant=use_reentrant)
    (y * y).sum().backward()
    return np_(y), np_(x.grad), [np_(p.grad) for p in model.parameters()]


def assert_same(a, b):
    ya, ga, pa = a
    yb, gb, pb = b
    np.testing.assert_allclose(ya, yb, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ga, gb, rtol=1e-5, atol=1e-6)
    assert len(pa) == len(pb)
    for u, v in zip(pa, pb):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_grads_with_dropout_match_torch_and_plain(use_reentrant):
    plain = train_step(torch, None)
    assert_same(train_step(torch, use_reentrant), plain)  # torch itself: the reference
    assert_same(train_step(ember, None), plain)
    assert_same(train_step(ember, use_reentrant), plain)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential(use_reentrant, segments):
    assert_same(train_step(ember, use_reentrant, segments), train_step(torch, None))


def test_without_rng_preservation_masks_differ():
    def run(m):
        m.manual_seed(0)
        x = m.ones(200, requires_grad=True)
        y = CK[m].checkpoint(lambda a: m.nn.functional.dropout(a, 0.5), x,
                             use_reentrant=True, preserve_rng_state=False)
        y.sum().backward()
        return np_(y), np_(x.grad)
    (ty, tg), (ey, eg) = run(torch), run(ember)
    np.testing.assert_array_equal(ty, ey)
    np.testing.assert_array_equal(tg, eg)
    assert not np.array_equal(ey, eg)  # the replay drew a different mask


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_non_tensor_args_and_tuple_outputs(use_reentrant):
    def run(m):
        m.manual_seed(1)
        x = m.randn(3, 4, requires_grad=True)
        w = m.randn(4, 2, requires_grad=True)

        def fn(a, scale, b, tag):
            assert tag == "t"
            h = (a @ b).tanh() * scale
            return h, h.exp().sum(0), 7
        h, s, seven = CK[m].checkpoint(fn, x, 2.5, w, "t", use_reentrant=use_reentrant)
        assert seven == 7
        (h.sin().sum() + (s * s).sum()).backward()
        return np_(h), np_(s), np_(x.grad), np_(w.grad)
    for a, b in zip(run(torch), run(ember)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_non_reentrant_kwargs_grad_and_grad_fn():
    def run(m):
        m.manual_seed(2)
        lin = m.nn.Linear(4, 3)
        x = m.randn(2, 4)  # no input requires grad: the parameters still get grads

        def fn(a, *, shift):
            return lin(a).relu() + shift
        y = CK[m].checkpoint(fn, x, shift=1.0, use_reentrant=False)
        name = type(y.grad_fn).__name__
        gw, gb = m.autograd.grad((y ** 2).sum(), [lin.weight, lin.bias])
        return name, np_(gw), np_(gb)
    (tn, *tg), (en, *eg) = run(torch), run(ember)
    assert tn == en == "AddBackward0"
    for a, b in zip(tg, eg):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_reentrant_forward_runs_without_grad_and_replays_with_it():
    modes = []

    def fn(a):
        modes.append(ember.is_grad_enabled())
        return a * 2
    x = ember.randn(3, requires_grad=True)
    y = echk.checkpoint(fn, x, use_reentrant=True)
    assert type(y.grad_fn).__name__ == "CheckpointFunctionBackward"
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    assert modes == [False, True]
    np.testing.assert_array_equal(x.grad._data, np.full(3, 2, np.float32))


def test_non_reentrant_drops_activations_until_backward():
    calls = []

    def fn(a):
        calls.append(1)
        return (a.exp() * a).sin()
    x = ember.randn(4, dtype=ember.float64, requires_grad=True)
    y = echk.checkpoint(fn, x, use_reentrant=False)
    assert type(y.grad_fn).__name__ == "SinBackward0"
    inner = y.grad_fn.next_functions[0][0]
    assert not hasattr(inner, "inputs")  # what MulBackward0 saved is gone
    y.sum().backward()
    assert len(calls) == 2
    xd = x.detach()._data
    np.testing.assert_allclose(x.grad._data,
                               np.cos(np.exp(xd) * xd) * (np.exp(xd) * xd + np.exp(xd)))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_gradcheck():
    # (gradcheck uses autograd.grad, which the reentrant variant refuses, as in torch)
    def f(a, b):
        return echk.checkpoint(lambda u, v: (u @ v.T).tanh() @ v, a, b,
                               use_reentrant=False)
    a = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(2, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(f, (a, b))


def test_non_reentrant_double_backward():
    def f(a):
        return echk.checkpoint(lambda u: (u.sin() * u).sum(), a, use_reentrant=False)
    a = ember.randn(5, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(f, (a,))


def test_retain_graph_and_nested():
    x = ember.randn(3, requires_grad=True)

    def inner(a):
        return a.sin() * 3

    def outer(a):
        return echk.checkpoint(inner, a * a, use_reentrant=False).exp()
    y = echk.checkpoint(outer, x, use_reentrant=False)
    y.sum().backward(retain_graph=True)
    g1 = x.grad.clone()
    y.sum().backward()
    xd = x.detach()._data
    want = np.exp(3 * np.sin(xd * xd)) * 3 * np.cos(xd * xd) * 2 * xd
    np.testing.assert_allclose(g1._data, want, rtol=1e-5)
    np.testing.assert_allclose(x.grad._data, 2 * want, rtol=1e-5)


def test_decorator_form():
    calls = []

    @echk.checkpoint(use_reentrant=False)
    def f(a, k=1.0):
        calls.append(1)
        return a.exp() * k
    x = ember.randn(3, requires_grad=True)
    f(x, k=2.0).sum().backward()
    assert len(calls) == 2
    np.testing.assert_allclose(x.grad._data, 2 * np.exp(x.detach()._data), rtol=1e-6)


def test_no_grad_mode_runs_plainly():
    x = ember.randn(3, requires_grad=True)
    with ember.no_grad():
        y = echk.checkpoint(lambda a: a * 2, x, use_reentrant=False)
    assert y.grad_fn is None and not y.requires_grad


def test_determinism_mismatch_raises():
    state = {"n": 0}

    def fn(a):
        state["n"] += 1
        return a.exp() if state["n"] == 1 else a.reshape(1, 3).exp()
    for m, c in CK.items():
        state["n"] = 0
        x = m.randn(3, requires_grad=True)
        y = c.checkpoint(fn, x, use_reentrant=False)
        with pytest.raises(c.CheckpointError):
            y.sum().backward()


# --- warnings and errors, worded as torch words them ---------------------------------

def _warns(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(x.category, str(x.message).replace("torch.", "ember.")) for x in w]


def test_use_reentrant_not_passed_warns():
    tx, ex = torch.randn(3, requires_grad=True), ember.randn(3, requires_grad=True)
    tw = _warns(lambda: tchk.checkpoint(lambda a: a * 2, tx))
    ew = _warns(lambda: echk.checkpoint(lambda a: a * 2, ex))
    assert tw == ew and len(ew) == 1
    tw = _warns(lambda: tchk.checkpoint_sequential(torch.nn.Sequential(torch.nn.Tanh()), 1,
                                                   tx))
    ew = _warns(lambda: echk.checkpoint_sequential(ember.nn.Sequential(ember.nn.Tanh()), 1,
                                                   ex))
    assert tw == ew and len(ew) == 1


def test_no_input_requires_grad_warns():
    tw = _warns(lambda: tchk.checkpoint(lambda a: a * 2, torch.randn(3), use_reentrant=True))
    ew = _warns(lambda: echk.checkpoint(lambda a: a * 2, ember.randn(3), use_reentrant=True))
    assert tw == ew and len(ew) == 1
    assert ew[0][1] == "None of the inputs have requires_grad=True. Gradients will be None"


def _errors(fn):
    out = []
    for m, c in CK.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as e:
                fn(m, c)
        out.append((e.type.__name__, str(e.value).replace("torch.", "ember.")))
    assert out[0] == out[1], out
    return out[0]


def test_errors_match_torch():
    def x(m):
        return m.randn(3, requires_grad=True)
    assert _errors(lambda m, c: c.checkpoint(lambda a, b: a, x(m), b=1,
                                             use_reentrant=True))[0] == "ValueError"
    _errors(lambda m, c: c.checkpoint(lambda a: a, x(m), use_reentrant=True, debug=True))
    _errors(lambda m, c: c.checkpoint(lambda a: a, x(m), use_reentrant=False,
                                      determinism_check="bogus"))
    _errors(lambda m, c: c.checkpoint(lambda a: a, x(m), use_reentrant=False, debug=True,
                                      context_fn=lambda: c.noop_context_fn()))
    _errors(lambda m, c: c.checkpoint_sequential([m.tanh], 1, x(m), use_reentrant=True,
                                                 bogus=1))
    _errors(lambda m, c: c.checkpoint(use_reentrant=True, bogus=1))
    # the replay's outputs need no grad (detached inside the function)
    _errors(lambda m, c: c.checkpoint(lambda a: (a * 2).detach(), x(m),
                                      use_reentrant=True).sum().backward())
    _errors(lambda m, c: m.autograd.grad(
        c.checkpoint(lambda a: a * 2, (v := x(m)), use_reentrant=True).sum(), v))
    _errors(lambda m, c: c.detach_variable([x(m)]))


def test_reentrant_backward_with_inputs_raises():
    def run(m, c):
        v = m.randn(3, requires_grad=True)
        c.checkpoint(lambda a: a * 2, v, use_reentrant=True).sum().backward(inputs=[v])
    assert _errors(run)[0] == "RuntimeError"


def test_context_fn():
    log = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            log.append(self.name)

        def __exit__(self, *exc):
            return False
    x = ember.randn(3, requires_grad=True)
    y = echk.checkpoint(lambda a: a.exp(), x, use_reentrant=False,
                        context_fn=lambda: (Ctx("fwd"), Ctx("recompute")))
    y.sum().backward()
    assert log == ["fwd", "recompute"]


def test_model_zoo_load_url_is_hub():
    assert ezoo.load_url is ember.hub.load_state_dict_from_url


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_conv_batchnorm_sequential_matches_torch(use_reentrant):
    # Input needs no grad: reentrant segments then leave early parameters without
    # grads, and both variants replay BatchNorm (running stats updated twice), as torch.
    def run(m):
        m.manual_seed(0)
        nn = m.nn
        net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 5), nn.LogSoftmax(1))
        x = m.randn(2, 3, 8, 8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = CK[m].checkpoint_sequential(net, 3, x, use_reentrant=use_reentrant)
        y.sum().backward()
        return [None if p.grad is None else np_(p.grad) for p in net.parameters()] + \
            [np_(net[1].running_mean)]
    for a, b in zip(run(torch), run(ember)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
