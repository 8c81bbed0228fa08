"""nn.utils: parametrize, parametrizations, weight_norm/spectral_norm hooks, prune, stateless.

Every expectation comes from torch run side by side (same seeds, same inputs), or from
gradcheck.
"""
import copy
import warnings

import numpy as np
import pytest

from parity import assert_same, same_repr, torch

import ember

tnn, enn = torch.nn, ember.nn
TP, EP = torch.nn.utils.parametrizations, ember.nn.utils.parametrizations
TZ, EZ = torch.nn.utils.parametrize, ember.nn.utils.parametrize
import torch.nn.utils.prune as TPR  # noqa: E402
import ember.nn.utils.prune as EPR  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

LAYERS = {
    "linear": (lambda m: m.nn.Linear(5, 3), (2, 5)),
    "conv2d": (lambda m: m.nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    "convT2d": (lambda m: m.nn.ConvTranspose2d(2, 3, 3), (1, 2, 4, 4)),
}


def pair(make, seed=0):
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    return make(torch), make(ember)


def same_state(t, e, values=True):
    ts, es = t.state_dict(), e.state_dict()
    assert list(ts) == list(es)
    for k in ts:
        assert tuple(ts[k].shape) == tuple(es[k].shape), k
        if values:
            np.testing.assert_allclose(es[k].numpy(), ts[k].numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=k)


def same_grads(t, e, rtol=1e-4, atol=1e-5):
    tn, en = dict(t.named_parameters()), dict(e.named_parameters())
    assert list(tn) == list(en)
    for k in tn:
        np.testing.assert_allclose(en[k].grad.numpy(), tn[k].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=k)


def run_steps(t, e, in_shape, steps=3, lr=0.1):
    """A few SGD steps on the same data: the losses and the parameters must agree."""
    rng = np.random.RandomState(1)
    topt = torch.optim.SGD(t.parameters(), lr=lr)
    eopt = ember.optim.SGD(e.parameters(), lr=lr)
    for _ in range(steps):
        x = rng.rand(*in_shape).astype(np.float32)
        tl = t(torch.tensor(x)).pow(2).mean()
        el = e(ember.tensor(x)).pow(2).mean()
        assert el.item() == pytest.approx(tl.item(), rel=1e-5, abs=1e-6)
        topt.zero_grad()
        eopt.zero_grad()
        tl.backward()
        el.backward()
        same_grads(t, e)
        topt.step()
        eopt.step()
    same_state(t, e)


# --- parametrizations.weight_norm ------------------------------------------------------------
@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_weight_norm_parametrization(layer, dim):
    make, shape = LAYERS[layer]
    if layer == "linear" and dim == -1:
        dim = -2
    t, e = pair(lambda m: (TP if m is torch else EP).weight_norm(make(m), dim=dim))
    same_repr(t, e)
    assert type(e).__name__ == type(t).__name__
    same_state(t, e)
    assert_same(t.weight, e.weight)
    assert e.weight.grad_fn.name() == type(t.weight.grad_fn).__name__
    assert [f.name() for f, _ in t.weight.grad_fn.next_functions] == \
        [f.name() for f, _ in e.weight.grad_fn.next_functions]
    run_steps(t, e, shape)


def test_weight_norm_interface_gradcheck():
    from ember.nn.utils.weight_norm import _weight_norm
    v = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    g = ember.randn(3, 1, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda v, g: _weight_norm(v, g, 0), (v, g))
    g2 = ember.randn(1, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda v, g: _weight_norm(v, g, 1), (v, g2))
    assert ember.autograd.gradgradcheck(lambda v, g: _weight_norm(v, g, 0), (v, g))


def test_weight_norm_remove_and_compat_load():
    t, e = pair(lambda m: (TP if m is torch else EP).weight_norm(m.nn.Linear(4, 3)))
    TZ.remove_parametrizations(t, "weight")
    EZ.remove_parametrizations(e, "weight")
    same_repr(t, e)
    assert type(e) is enn.Linear and isinstance(e.weight, enn.Parameter)
    same_state(t, e)
    # A state dict from the hook-based weight_norm loads into the parametrized module.
    t, e = pair(lambda m: m.nn.utils.weight_norm(m.nn.Linear(4, 3)))
    t2, e2 = pair(lambda m: (TP if m is torch else EP).weight_norm(m.nn.Linear(4, 3)), seed=5)
    t2.load_state_dict(t.state_dict())
    e2.load_state_dict(e.state_dict())
    same_state(t2, e2)


# --- the hook-based weight_norm and spectral_norm ----------------------------------------------
@pytest.mark.parametrize("layer", list(LAYERS))
def test_weight_norm_hook(layer):
    make, shape = LAYERS[layer]
    with pytest.warns(FutureWarning, match="deprecated"):
        e = enn.utils.weight_norm(make(ember))
    t, e = pair(lambda m: m.nn.utils.weight_norm(make(m)))
    same_repr(t, e)
    same_state(t, e)
    assert e.weight.grad_fn.name() == type(t.weight.grad_fn).__name__
    run_steps(t, e, shape)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same"
                                           " parameter weight"):
        enn.utils.weight_norm(e)
    enn.utils.remove_weight_norm(e)
    tnn.utils.remove_weight_norm(t)
    same_state(t, e)
    with pytest.raises(ValueError) as ei:
        enn.utils.remove_weight_norm(e)
    with pytest.raises(ValueError) as ti:
        tnn.utils.remove_weight_norm(t)
    assert str(ei.value) == str(ti.value)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_spectral_norm_hook(layer):
    make, shape = LAYERS[layer]
    t, e = pair(lambda m: m.nn.utils.spectral_norm(make(m)))
    same_state(t, e)  # u, v drawn from the generator exactly as torch draws them
    np.testing.assert_array_equal(e.weight_u.numpy(), t.weight_u.numpy())
    run_steps(t, e, shape)
    assert e.state_dict()._metadata[""] == t.state_dict()._metadata[""]
    t.eval()
    e.eval()
    x = np.random.RandomState(3).rand(*shape).astype(np.float32)
    assert_same(t(torch.tensor(x)), e(ember.tensor(x)), rtol=1e-5, atol=1e-6)
    # Loading its own state dict round-trips; remove leaves the normalised weight.
    e.load_state_dict(e.state_dict())
    enn.utils.remove_spectral_norm(e)
    tnn.utils.remove_spectral_norm(t)
    same_state(t, e)
    assert not e._state_dict_hooks and not e._load_state_dict_pre_hooks


def test_spectral_norm_hook_errors():
    e = enn.utils.spectral_norm(enn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        enn.utils.spectral_norm(e)
    with pytest.raises(ValueError, match="n_power_iterations=0"):
        enn.utils.spectral_norm(enn.Linear(3, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
        enn.utils.remove_spectral_norm(e, "bias")


# --- parametrizations.spectral_norm -------------------------------------------------------------
@pytest.mark.parametrize("layer", list(LAYERS))
def test_spectral_norm_parametrization(layer):
    make, shape = LAYERS[layer]
    t, e = pair(lambda m: (TP if m is torch else EP).spectral_norm(make(m)))
    same_repr(t, e)
    same_state(t, e)
    np.testing.assert_allclose(e.parametrizations.weight[0]._u.numpy(),
                               t.parametrizations.weight[0]._u.numpy(), rtol=1e-5, atol=1e-6)
    run_steps(t, e, shape)
    t.eval()
    e.eval()
    assert_same(t.weight, e.weight)


def test_spectral_norm_parametrization_1d_and_errors():
    t, e = pair(lambda m: (TP if m is torch else EP).spectral_norm(m.nn.Linear(4, 3), "bias"))
    assert_same(t.bias, e.bias)
    for kw in ({"dim": 2}, {"dim": -3}, {"n_power_iterations": 0}):
        with pytest.raises((IndexError, ValueError)) as ei:
            EP.spectral_norm(enn.Linear(4, 3), **kw)
        with pytest.raises(type(ei.value)) as ti:
            TP.spectral_norm(tnn.Linear(4, 3), **kw)
        assert str(ei.value) == str(ti.value)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        EP.spectral_norm(enn.Linear(4, 3), "w")


# --- parametrizations.orthogonal ------------------------------------------------------------------
@pytest.mark.parametrize("shape,omap,triv", [
    ((4, 4), None, True), ((5, 3), None, True), ((3, 5), None, True), ((4, 4), "cayley", True),
    ((5, 3), "matrix_exp", True), ((5, 3), "householder", False),
    ((3, 5), "householder", False), ((4, 4), "householder", True)])
def test_orthogonal(shape, omap, triv):
    t, e = pair(lambda m: (TP if m is torch else EP).orthogonal(
        m.nn.Linear(shape[1], shape[0]), orthogonal_map=omap, use_trivialization=triv))
    same_repr(t, e)
    same_state(t, e)
    assert_same(t.weight, e.weight, rtol=1e-4, atol=1e-5)
    w = e.weight.detach().numpy()
    small = w @ w.T if shape[0] < shape[1] else w.T @ w
    np.testing.assert_allclose(small, np.eye(min(shape)), atol=1e-5)
    run_steps(t, e, (2, shape[1]), steps=2)


def test_orthogonal_errors():
    for args in ((enn.Linear(3, 3), "bias"), (enn.Linear(3, 3), "weight", "nope")):
        targs = (tnn.Linear(3, 3),) + args[1:]
        with pytest.raises(ValueError) as ei:
            EP.orthogonal(*args)
        with pytest.raises(ValueError) as ti:
            TP.orthogonal(*targs)
        assert str(ei.value) == str(ti.value)


# --- parametrize ---------------------------------------------------------------------------
class _Sym:
    """A custom parametrization (defined once per library)."""
    def __init__(self, m):
        class Symmetric(m.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()

        class Double(m.nn.Module):
            def forward(self, X):
                return 2 * X

        class Split(m.nn.Module):
            def forward(self, a, b):
                return a + b

            def right_inverse(self, X):
                return X * 0.25, X * 0.75

        self.Symmetric, self.Double, self.Split = Symmetric, Double, Split


def test_register_parametrization_chain_and_cache():
    t, e = pair(lambda m: m.nn.Linear(4, 4))
    for m, mod in ((torch, t), (ember, e)):
        P = _Sym(m)
        Z = TZ if m is torch else EZ
        Z.register_parametrization(mod, "weight", P.Symmetric())
        Z.register_parametrization(mod, "weight", P.Double())
        assert Z.is_parametrized(mod) and Z.is_parametrized(mod, "weight")
        assert not Z.is_parametrized(mod, "bias")
    same_repr(t, e)
    same_state(t, e)
    assert_same(t.weight, e.weight)
    assert EZ.type_before_parametrizations(e) is enn.Linear
    with EZ.cached():
        assert e.weight is e.weight
    assert e.weight is not e.weight
    # Assigning runs right_inverse through the chain (Double has none).
    with pytest.raises(RuntimeError, match="parametrization Double does not implement"):
        e.weight = ember.eye(4)
    x = np.random.RandomState(0).rand(3, 4).astype(np.float32)
    tl, el = t(torch.tensor(x)).sum(), e(ember.tensor(x)).sum()
    tl.backward()
    el.backward()
    same_grads(t, e)
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        e.__getstate__()
    c = copy.deepcopy(e)
    assert_same(t.weight, c.weight)
    TZ.remove_parametrizations(t, "weight", leave_parametrized=False)
    EZ.remove_parametrizations(e, "weight", leave_parametrized=False)
    same_repr(t, e)
    same_state(t, e)


def test_parametrization_sequence_originals_and_assignment():
    t, e = pair(lambda m: m.nn.Linear(3, 2))
    for m, mod in ((torch, t), (ember, e)):
        (TZ if m is torch else EZ).register_parametrization(mod, "weight", _Sym(m).Split())
    same_state(t, e)
    t.weight = torch.ones(2, 3)
    e.weight = ember.ones(2, 3)
    same_state(t, e)
    assert_same(t.weight, e.weight)
    with pytest.raises(ValueError) as ti:
        TZ.remove_parametrizations(t, "weight", leave_parametrized=False)
    with pytest.raises(ValueError) as ei:
        EZ.remove_parametrizations(e, "weight", leave_parametrized=False)
    assert str(ei.value) == str(ti.value)
    TZ.remove_parametrizations(t, "weight")
    EZ.remove_parametrizations(e, "weight")
    same_state(t, e)


def test_register_parametrization_errors():
    class Bad(enn.Module):
        def forward(self, X):
            return X[:1]

    class TBad(tnn.Module):
        def forward(self, X):
            return X[:1]

    for (eargs, targs) in (((enn.Linear(3, 2), "weight", Bad()), (tnn.Linear(3, 2), "weight",
                                                                   TBad())),
                           ((enn.Linear(3, 2), "nope", Bad()), (tnn.Linear(3, 2), "nope",
                                                                  TBad()))):
        with pytest.raises(ValueError) as ei:
            EZ.register_parametrization(*eargs)
        with pytest.raises(ValueError) as ti:
            TZ.register_parametrization(*targs)
        assert str(ei.value).replace("ember.", "torch.") == str(ti.value)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        EZ.remove_parametrizations(enn.Linear(2, 2), "weight")


# --- prune -----------------------------------------------------------------------------------
PRUNINGS = {
    "identity": lambda P, m, M: P.identity(m, "weight"),
    "random_unstructured": lambda P, m, M: P.random_unstructured(m, "weight", 0.3),
    "random_unstructured_int": lambda P, m, M: P.random_unstructured(m, "weight", 7),
    "l1_unstructured": lambda P, m, M: P.l1_unstructured(m, "weight", 0.5),
    "l1_scores": lambda P, m, M: P.l1_unstructured(
        m, "weight", 10, importance_scores=M.arange(108.).view(4, 3, 3, 3).flip(0)),
    "random_structured": lambda P, m, M: P.random_structured(m, "weight", 0.5, dim=0),
    "ln_structured": lambda P, m, M: P.ln_structured(m, "weight", 2, n=2, dim=1),
    "ln_fro": lambda P, m, M: P.ln_structured(m, "weight", 0.5, n="fro", dim=0),
    "ln_1_last": lambda P, m, M: P.ln_structured(m, "weight", 1, n=1, dim=-1),
    "ln_nuc": lambda P, m, M: P.ln_structured(m, "weight", 0.5, n="nuc", dim=0),
    "ln_inf": lambda P, m, M: P.ln_structured(m, "weight", 2, n=float("inf"), dim=0),
    "custom": lambda P, m, M: P.custom_from_mask(
        m, "weight", M.tensor(np.random.RandomState(0).rand(4, 3, 3, 3) > 0.5)),
    "bias": lambda P, m, M: P.random_unstructured(m, "bias", 2),
    "chain": lambda P, m, M: (
        P.l1_unstructured(m, "weight", 0.3), P.random_structured(m, "weight", 2, dim=0),
        P.ln_structured(m, "weight", 1, n=2, dim=1), P.random_unstructured(m, "weight", 0.2)),
}


@pytest.mark.parametrize("name", list(PRUNINGS))
def test_prune_masks(name):
    t, e = pair(lambda m: m.nn.Conv2d(3, 4, 3))
    PRUNINGS[name](TPR, t, torch)
    PRUNINGS[name](EPR, e, ember)
    same_state(t, e)
    assert [n for n, _ in t.named_parameters()] == [n for n, _ in e.named_parameters()]
    assert [n for n, _ in t.named_buffers()] == [n for n, _ in e.named_buffers()]
    pname = "bias" if name == "bias" else "weight"
    assert_same(getattr(t, pname), getattr(e, pname))
    assert EPR.is_pruned(e)
    hook = next(iter(e._forward_pre_hooks.values()))
    assert type(hook).__name__ == type(next(iter(t._forward_pre_hooks.values()))).__name__
    run_steps(t, e, (2, 3, 6, 6), steps=2)
    EPR.remove(e, pname)
    TPR.remove(t, pname)
    same_state(t, e)
    assert not EPR.is_pruned(e) and not e._forward_pre_hooks


def test_prune_l1_ties_follow_torch_topk():
    rng = np.random.RandomState(0)
    for _ in range(30):
        n = rng.randint(2, 40)
        k = rng.randint(1, n + 1)
        w = rng.randint(-2, 3, size=n).astype(np.float32)
        tm = TPR.L1Unstructured(k).compute_mask(torch.tensor(w), torch.ones(n))
        em = EPR.L1Unstructured(k).compute_mask(ember.tensor(w), ember.ones(n))
        np.testing.assert_array_equal(em.numpy(), tm.numpy())
        w2 = rng.randint(-1, 2, size=(n, 3)).astype(np.float32)
        kk = rng.randint(0, n)
        tm = TPR.LnStructured(kk, 1, dim=0).compute_mask(torch.tensor(w2), torch.ones(n, 3))
        em = EPR.LnStructured(kk, 1, dim=0).compute_mask(ember.tensor(w2), ember.ones(n, 3))
        np.testing.assert_array_equal(em.numpy(), tm.numpy())


def test_global_unstructured():
    def make(m):
        return m.nn.Sequential(m.nn.Linear(4, 5), m.nn.ReLU(), m.nn.Linear(5, 3))
    t, e = pair(make)
    for P, mod in ((TPR, t), (EPR, e)):
        P.global_unstructured([(mod[0], "weight"), (mod[2], "weight"), (mod[2], "bias")],
                              P.L1Unstructured, amount=0.4)
        P.global_unstructured([(mod[0], "weight"), (mod[2], "weight")],
                              P.RandomUnstructured, amount=0.3)
    same_state(t, e)
    assert len(next(iter(e[0]._forward_pre_hooks.values()))) == 2
    run_steps(t, e, (3, 4))
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE'):
        EPR.global_unstructured([(e[0], "weight")], EPR.RandomStructured, amount=1)
    with pytest.raises(TypeError, match="parameters is not an Iterable"):
        EPR.global_unstructured(3, EPR.L1Unstructured, amount=1)


@pytest.mark.parametrize("fn", [
    lambda P, m, M: P.l1_unstructured(m, "weight", 1.5),
    lambda P, m, M: P.l1_unstructured(m, "weight", -1),
    lambda P, m, M: P.l1_unstructured(m, "weight", 200),
    lambda P, m, M: P.random_unstructured(m, "weight", "a"),
    lambda P, m, M: P.random_structured(m, "bias", 1, dim=0),
    lambda P, m, M: P.ln_structured(m, "weight", 1, n=2, dim=4),
    lambda P, m, M: P.remove(m, "weight"),
])
def test_prune_errors(fn):
    t, e = pair(lambda m: m.nn.Conv2d(3, 4, 3))
    with pytest.raises(Exception) as ti:
        fn(TPR, t, torch)
    with pytest.raises(type(ti.value)) as ei:
        fn(EPR, e, ember)
    assert str(ei.value).replace("ember.", "torch.") == str(ti.value)
    # A failed prune puts the parameter back (at the end, as torch does).
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert not e._forward_pre_hooks


def test_prune_method_prune_and_container():
    w = np.random.RandomState(0).randn(3, 4).astype(np.float32)
    assert_same(TPR.L1Unstructured(0.5).prune(torch.tensor(w)),
                EPR.L1Unstructured(0.5).prune(ember.tensor(w)))
    a = EPR.L1Unstructured(1)
    a._tensor_name = "weight"
    b = EPR.L1Unstructured(1)
    b._tensor_name = "bias"
    c = EPR.PruningContainer(a)
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter "
                                         "named 'weight'"):
        c.add_pruning_method(b)
    with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
        c.add_pruning_method(3)
    with pytest.raises(TypeError):
        EPR.BasePruningMethod()


# --- stateless / func.functional_call -------------------------------------------------------------
def test_functional_call():
    t, e = pair(lambda m: m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4)))
    x = np.random.RandomState(0).rand(5, 3).astype(np.float32)
    w = np.random.RandomState(1).rand(4, 3).astype(np.float32)
    tw = torch.tensor(w, requires_grad=True)
    ew = ember.tensor(w, requires_grad=True)
    tout = tnn.utils.stateless.functional_call(t, {"0.weight": tw}, torch.tensor(x))
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):
        eout = enn.utils.stateless.functional_call(e, {"0.weight": ew}, ember.tensor(x))
    assert_same(tout, eout)
    tout.sum().backward()
    eout.sum().backward()
    assert_same(tw.grad, ew.grad, rtol=1e-4, atol=1e-5)
    assert e[0].weight.grad is None and isinstance(e[0].weight, enn.Parameter)
    same_state(t, e)  # originals back, running stats updated as torch's
    for d in ([{"0.weight": ember.zeros(4, 3)}, {"0.weight": ember.ones(4, 3)}], 3):
        with pytest.raises(ValueError):
            enn.utils.stateless.func_functional_call(e, d, ember.tensor(x))
    with pytest.raises(RuntimeError) as ei:
        enn.utils.stateless.func_functional_call(e, {"zz": ember.ones(1)}, ember.tensor(x),
                                                 strict=True)
    with pytest.raises(RuntimeError) as ti:
        torch.func.functional_call(t, {"zz": torch.ones(1)}, torch.tensor(x), strict=True)
    assert str(ei.value) == str(ti.value)


def test_functional_call_tied_weights():
    def make(m):
        s = m.nn.Sequential(m.nn.Linear(3, 3, bias=False), m.nn.Linear(3, 3, bias=False))
        s[1].weight = s[0].weight
        return s
    t, e = pair(make)
    x = np.ones((2, 3), np.float32)
    w = np.eye(3, dtype=np.float32) * 2
    for tie in (True, False):
        assert_same(torch.func.functional_call(t, {"0.weight": torch.tensor(w)},
                                               (torch.tensor(x),), tie_weights=tie),
                    enn.utils.stateless.func_functional_call(e, {"0.weight": ember.tensor(w)},
                                                             (ember.tensor(x),),
                                                             tie_weights=tie))
    with pytest.raises(ValueError, match="which are tied"):
        enn.utils.stateless.func_functional_call(
            e, {"0.weight": ember.ones(3, 3), "1.weight": ember.zeros(3, 3)}, ember.tensor(x))


def test_torch_func_functional_call_name():
    # torch.func.functional_call under its own name, without a deprecation warning
    t, e = pair(lambda m: m.nn.Linear(3, 2))
    x = np.random.RandomState(2).rand(4, 3).astype(np.float32)
    b = np.array([0.5, -1.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eout = ember.func.functional_call(e, {"bias": ember.tensor(b)}, (ember.tensor(x),))
    tout = torch.func.functional_call(t, {"bias": torch.tensor(b)}, (torch.tensor(x),))
    assert_same(tout, eout)
