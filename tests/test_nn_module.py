"""nn.Module, Parameter and the containers, against torch.nn.

Most tests build the same thing with ``m = torch`` and ``m = ember`` and compare
what users see: reprs, names, shapes, error types and messages.
"""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from parity import same_repr  # noqa: E402

LIBS = [torch, ember]


def both(fn):
    """fn(m) for m = torch, ember."""
    return fn(torch), fn(ember)


def same_error(fn, exc=None):
    """fn raises the same exception type and message with torch and with ember."""
    errs = []
    for m in LIBS:
        with pytest.raises(Exception) as info:
            fn(m)
        errs.append(info.value)
    t, e = errs
    assert type(t).__name__ == type(e).__name__, (t, e)
    assert str(t) == str(e).replace("ember.", "torch.")
    if exc is not None:
        assert isinstance(e, exc)


def need_F(*names):
    """Skip until ember.nn.functional provides these (written in parallel)."""
    missing = [n for n in names if not hasattr(ember.nn.functional, n)]
    if missing:
        pytest.skip(f"ember.nn.functional lacks {missing}")


def to_np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def copy_weights(t_mod, e_mod):
    """Load torch's weights into ember through NumPy (no shared memory)."""
    sd = {k: ember.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()}
    return e_mod.load_state_dict(sd)


# --- models from the notes -------------------------------------------------------------
def lenet(m):
    nn = m.nn

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            F = m.nn.functional
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = m.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    return Net()


def cifar(m):
    nn = m.nn

    class MyModel(nn.Module):
        def __init__(self):
            super(MyModel, self).__init__()
            self.model = nn.Sequential(
                nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
                nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))

        def forward(self, x):
            return self.model(x)
    return MyModel()


def nested(m):
    nn = m.nn

    def block1():
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())

    def block2():
        net = nn.Sequential()
        for i in range(4):
            net.add_module(f"block{i}", block1())
        return net
    return nn.Sequential(block2(), nn.Linear(4, 1))


def mixed(m):
    nn = m.nn
    return nn.Sequential(OrderedDict([
        ("features", nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8),
                                   nn.ReLU(inplace=True), nn.MaxPool2d(2))),
        ("flat", nn.Flatten()),
        ("head", nn.ModuleDict({"fc": nn.Linear(8 * 4 * 4, 10), "drop": nn.Dropout(0.2)})),
        ("blocks", nn.ModuleList([nn.Linear(3, 3) for _ in range(3)] + [nn.Tanh()])),
    ]))


MODELS = [lenet, cifar, nested, mixed]


@pytest.mark.parametrize("build", MODELS)
def test_model_repr_and_state_dict_match_torch(build):
    t, e = both(build)
    same_repr(t, e)
    ts, es = t.state_dict(), e.state_dict()
    assert isinstance(es, OrderedDict)
    assert list(ts) == list(es)
    assert [tuple(v.shape) for v in ts.values()] == [tuple(v.shape) for v in es.values()]
    assert [str(v.dtype)[6:] for v in ts.values()] == [v.dtype.name for v in es.values()]
    assert ts._metadata == es._metadata
    assert [n for n, _ in t.named_parameters()] == [n for n, _ in e.named_parameters()]
    assert [n for n, _ in t.named_buffers()] == [n for n, _ in e.named_buffers()]
    assert [n for n, _ in t.named_modules()] == [n for n, _ in e.named_modules()]
    assert [n for n, _ in t.named_children()] == [n for n, _ in e.named_children()]
    assert sum(p.numel() for p in t.parameters()) == sum(p.numel() for p in e.parameters())


@pytest.mark.parametrize("build", MODELS)
def test_same_seed_same_weights(build):
    torch.manual_seed(7)
    t = build(torch)
    ember.manual_seed(7)
    e = build(ember)
    for (k, a), b in zip(t.state_dict().items(), e.state_dict().values()):
        np.testing.assert_array_equal(to_np(b), to_np(a), err_msg=k)


# --- Parameter ---------------------------------------------------------------------------
def test_parameter_basics():
    for m in LIBS:
        data = m.zeros(3)
        p = m.nn.Parameter(data)
        assert isinstance(p, m.nn.Parameter) and isinstance(p, m.Tensor)
        assert p.requires_grad and p.is_leaf and p.grad_fn is None
        data.add_(1)  # shares memory with the tensor it wraps
        assert p.tolist() == [1.0, 1.0, 1.0] and p._version == data._version
        assert type(p * 2) is m.Tensor and type(p.data) is m.Tensor
        assert type(p.detach()) is m.Tensor
    same_repr(torch.nn.Parameter(torch.arange(3.0)), ember.nn.Parameter(ember.arange(3.0)))
    same_repr(torch.nn.Parameter(torch.ones(2), requires_grad=False),
              ember.nn.Parameter(ember.ones(2), requires_grad=False))
    same_repr(torch.nn.Parameter(), ember.nn.Parameter())
    same_repr(torch.nn.Parameter(torch.tensor([1, 2]), requires_grad=False),
              ember.nn.Parameter(ember.tensor([1, 2]), requires_grad=False))
    same_error(lambda m: m.nn.Parameter(m.tensor([1, 2])))


def test_parameter_copy_and_pickle():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is ember.nn.Parameter and q.requires_grad
        assert q.tolist() == [1.0, 2.0]
        q.data.add_(1)
        assert p.tolist() == [1.0, 2.0]


def test_buffer_marker():
    for m in LIBS:
        class B(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = m.nn.Buffer(m.ones(2))
                self.b = m.nn.Buffer(m.zeros(1), persistent=False)
                self.c = m.ones(1)  # plain tensors are plain attributes
        b = B()
        assert list(dict(b.named_buffers())) == ["a", "b"]
        assert list(b.state_dict()) == ["a"]
        assert isinstance(b.a, m.nn.Buffer) and not isinstance(m.ones(1), m.nn.Buffer)


# --- registration ----------------------------------------------------------------------
def test_setattr_routes_to_dicts():
    for m in LIBS:
        nn = m.nn
        mod = nn.Module()
        mod.w = nn.Parameter(m.ones(2))
        mod.register_buffer("rm", m.zeros(2))
        mod.register_buffer("tmp", m.zeros(1), persistent=False)
        mod.sub = nn.Linear(2, 2)
        mod.plain = 3
        assert list(mod._parameters) == ["w"] and list(mod._buffers) == ["rm", "tmp"]
        assert list(mod._modules) == ["sub"] and mod.__dict__["plain"] == 3
        assert list(mod.state_dict()) == ["w", "rm", "sub.weight", "sub.bias"]
        mod.rm = m.ones(2)  # re-assigning a buffer name keeps it a buffer
        assert mod._buffers["rm"].tolist() == [1.0, 1.0]
        mod.w = None
        assert mod._parameters["w"] is None and "w" not in mod.state_dict()
        mod.sub = None
        assert mod.sub is None and list(mod.children()) == []
        del mod.rm
        assert "rm" not in mod._buffers
        mod.sub = nn.Parameter(m.ones(1))  # a Parameter replaces the submodule entry
        assert "sub" not in mod._modules and "sub" in mod._parameters


@pytest.mark.parametrize("bad", [
    lambda m: setattr(m.nn.Linear(2, 2), "weight", m.ones(2, 2)),
    lambda m: setattr(m.nn.Sequential(m.nn.ReLU()), "0", 3),
    lambda m: m.nn.Module().register_buffer("a.b", m.ones(1)),
    lambda m: m.nn.Module().register_buffer("", m.ones(1)),
    lambda m: m.nn.Module().register_buffer("x", 3),
    lambda m: m.nn.Module().register_buffer(1, m.ones(1)),
    lambda m: m.nn.Linear(2, 2).register_buffer("weight", m.ones(1)),
    lambda m: m.nn.Module().register_parameter("p", m.ones(1)),
    lambda m: m.nn.Module().register_parameter("a.b", None),
    lambda m: m.nn.Module().register_parameter("p", m.nn.Parameter(m.ones(1)) * 2),
    lambda m: m.nn.Module().add_module("a.b", m.nn.ReLU()),
    lambda m: m.nn.Module().add_module("", m.nn.ReLU()),
    lambda m: m.nn.Module().add_module("x", 3),
    lambda m: m.nn.Module().add_module("training", m.nn.ReLU()),
    lambda m: m.nn.Linear(2, 2).nope,
    lambda m: m.nn.Linear(2, 2).train("yes"),
    lambda m: m.nn.Module()(m.ones(1)),
    lambda m: m.nn.Module(3),
    lambda m: m.nn.Sequential(m.nn.ReLU())[1],
    lambda m: m.nn.ModuleList([m.nn.ReLU()])[-2],
    lambda m: m.nn.Sequential() + 3,
    lambda m: m.nn.Sequential(m.nn.ReLU()) * 0,
    lambda m: m.nn.ParameterList([m.ones(1)])(1),
    lambda m: m.nn.ParameterDict({"a": m.ones(1)})[3],
    lambda m: m.nn.ModuleDict().update(3),
    lambda m: m.nn.ModuleDict([("a", m.nn.ReLU(), 1)]),
    lambda m: m.nn.ModuleList().extend(3),
    lambda m: m.nn.Linear(2, 2).get_submodule("x.y"),
    lambda m: m.nn.Sequential(m.nn.Linear(2, 2)).get_submodule("0.weight"),
    lambda m: m.nn.Sequential(m.nn.Linear(2, 2)).get_parameter("0.nope"),
    lambda m: m.nn.Sequential(m.nn.BatchNorm1d(2)).get_parameter("0.running_mean"),
    lambda m: m.nn.Sequential(m.nn.BatchNorm1d(2)).get_buffer("0.weight"),
    lambda m: m.nn.Linear(2, 2).to(m.int64),
])
def test_errors_match_torch(bad):
    same_error(bad)


def test_cuda_raises_like_tensors():
    # ember has no GPU backend: moving a module raises what Tensor.cuda() raises.
    for fn in (lambda: ember.nn.Linear(2, 2).cuda(), lambda: ember.nn.Linear(2, 2).to("cuda")):
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            fn()


def test_get_submodule_parameter_buffer():
    for m in LIBS:
        net = m.nn.Sequential(OrderedDict(a=m.nn.Sequential(m.nn.BatchNorm1d(3))))
        assert net.get_submodule("a.0") is net.a[0] and net.get_submodule("") is net
        assert net.get_parameter("a.0.weight") is net.a[0].weight
        assert net.get_buffer("a.0.running_var") is net.a[0].running_var
        net.set_submodule("a.0", m.nn.ReLU())
        assert isinstance(net.a[0], m.nn.ReLU)


# --- traversal -----------------------------------------------------------------------------
def shared_net(m):
    shared = m.nn.Linear(8, 8)
    return m.nn.Sequential(m.nn.Linear(4, 8), m.nn.ReLU(), shared, m.nn.ReLU(), shared,
                           m.nn.ReLU(), m.nn.Linear(8, 1))


def test_shared_modules_and_duplicates():
    t, e = both(shared_net)
    for kw in ({}, {"remove_duplicate": False}, {"prefix": "net"}, {"recurse": False}):
        assert [n for n, _ in t.named_parameters(**kw)] == [n for n, _ in e.named_parameters(**kw)]
    for kw in ({}, {"remove_duplicate": False}, {"prefix": "p"}):
        assert [n for n, _ in t.named_modules(**kw)] == [n for n, _ in e.named_modules(**kw)]
    assert len(list(e.parameters())) == 6 and len(list(e.modules())) == 7
    assert len(list(e.modules(remove_duplicate=False))) == 8
    assert list(t.state_dict()) == list(e.state_dict())
    e[2].weight.data[0, 0] = 100
    assert e[4].weight[0, 0].item() == 100


def test_state_dict_detached_keep_vars_prefix():
    e = ember.nn.Linear(2, 3)
    sd = e.state_dict()
    assert not sd["weight"].requires_grad and type(sd["weight"]) is ember.Tensor
    assert sd["weight"].data_ptr() == e.weight.data_ptr()  # a view, not a copy
    kv = e.state_dict(keep_vars=True)
    assert kv["weight"] is e.weight
    t = torch.nn.Linear(2, 3)
    assert list(t.state_dict(prefix="x.")) == list(e.state_dict(prefix="x."))
    assert t.state_dict(prefix="x.")._metadata == e.state_dict(prefix="x.")._metadata


def test_load_state_dict_from_torch_and_forward():
    need_F("linear")
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 2))
    e = ember.nn.Sequential(ember.nn.Linear(5, 7), ember.nn.Tanh(), ember.nn.Linear(7, 2))
    w = e[0].weight
    assert repr(copy_weights(t, e)) == "<All keys matched successfully>"
    assert e[0].weight is w  # copied into the existing Parameter
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(to_np(e(ember.tensor(x))), to_np(t(torch.tensor(x))),
                               rtol=1e-5, atol=1e-6)


def test_load_state_dict_copies_in_place_without_grad():
    e = ember.nn.Linear(2, 2)
    v = e.weight._version
    e.load_state_dict({"weight": ember.ones(2, 2), "bias": ember.zeros(2)})
    assert e.weight.grad_fn is None and e.weight.requires_grad
    assert e.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]] and e.weight._version > v


@pytest.mark.parametrize("edit", [
    lambda sd: sd.pop("fc.bias"),
    lambda sd: sd.update({"fc.extra": sd["fc.bias"], "other.w": sd["fc.bias"]}),
    lambda sd: (sd.pop("fc.bias"), sd.update({"zzz": sd["fc.weight"]})),
    lambda sd: sd.update({"fc.weight": sd["fc.weight"][:, :2]}),
    lambda sd: sd.update({"fc.bias": 3}),
    lambda sd: sd.update({"bn.num_batches_tracked": sd["bn.running_mean"][:1]}),
])
def test_load_state_dict_errors_match_torch(edit):
    def run(m, strict):
        class Net(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = m.nn.Linear(3, 2)
                self.bn = m.nn.BatchNorm1d(2)
        net = Net()
        sd = dict(net.state_dict())
        edit(sd)
        try:
            r = net.load_state_dict(sd, strict=strict)
        except Exception as err:  # noqa: BLE001 - compared below
            return type(err).__name__, str(err).replace("ember.", "torch.")
        return repr(r), r.missing_keys, r.unexpected_keys

    for strict in (True, False):
        assert run(torch, strict) == run(ember, strict)


def test_load_state_dict_misc():
    same_error(lambda m: m.nn.Linear(2, 2).load_state_dict([1, 2]))
    # num_batches_tracked may be missing from old checkpoints without version info
    for m in LIBS:
        bn = m.nn.BatchNorm1d(3)
        sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
        assert repr(bn.load_state_dict(sd)) == "<All keys matched successfully>"
    # ... but with version info (state_dict()._metadata) it is a missing key
    same_error(lambda m: m.nn.Sequential(m.nn.BatchNorm1d(3)).load_state_dict(
        _drop_nbt(m.nn.Sequential(m.nn.BatchNorm1d(3)).state_dict())))


def _drop_nbt(sd):
    keep = OrderedDict((k, v) for k, v in sd.items() if "num_batches" not in k)
    keep._metadata = sd._metadata
    return keep


def test_load_state_dict_assign():
    e = ember.nn.Linear(2, 2)
    new = ember.ones(2, 2)
    e.load_state_dict({"weight": new, "bias": ember.zeros(2)}, assign=True)
    assert type(e.weight) is ember.nn.Parameter and e.weight.requires_grad
    assert e.weight.data_ptr() == new.data_ptr()


# --- modes, conversion ---------------------------------------------------------------------
def test_train_eval_requires_grad_zero_grad_apply():
    e = mixed(ember)
    assert e.training and all(mod.training for mod in e.modules())
    assert e.eval() is e and not any(mod.training for mod in e.modules())
    e.train()
    e.features.train(False)
    assert e.training and not e.features[1].training
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())
    e.requires_grad_()
    for p in e.parameters():
        p.grad = ember.ones_like(p)
    e.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.abs().sum().item() == 0 for p in e.parameters())
    e.zero_grad()
    assert all(p.grad is None for p in e.parameters())
    seen = []
    assert e.apply(lambda mod: seen.append(type(mod).__name__)) is e
    t_seen = []
    mixed(torch).apply(lambda mod: t_seen.append(type(mod).__name__))
    assert seen == t_seen


def test_dtype_conversion_keeps_parameter_identity():
    e = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.BatchNorm1d(3))
    w = e[0].weight
    w.grad = ember.ones(3, 2)
    assert e.double() is e
    assert e[0].weight is w and w.dtype is ember.float64 and w.grad.dtype is ember.float64
    assert type(w) is ember.nn.Parameter and w.requires_grad
    assert e[1].running_mean.dtype is ember.float64
    assert e[1].num_batches_tracked.dtype is ember.int64  # integer buffers stay
    e.float()
    assert w.dtype is ember.float32
    e.half()
    assert w.dtype is ember.float16
    e.to(ember.float64)
    assert w.dtype is ember.float64 and e[1].running_var.dtype is ember.float64
    e.to("cpu", ember.float32)
    assert w.dtype is ember.float32
    e.to(ember.zeros(1, dtype=ember.float64))
    assert w.dtype is ember.float64
    assert e.cpu() is e
    e.type(ember.float32)
    assert w.dtype is ember.float32 and e[1].num_batches_tracked.dtype is ember.float32
    assert ember.nn.ReLU().cuda() is not None  # nothing to move: no error, as in torch


def test_dir_and_pickle_roundtrip():
    e = mixed(ember)
    d = dir(e)
    assert "features" in d and "forward" in d and "0" not in dir(e.features)
    e2 = pickle.loads(pickle.dumps(e))
    same_repr(mixed(torch), e2)
    for (k, a), b in zip(e.state_dict().items(), e2.state_dict().values()):
        np.testing.assert_array_equal(to_np(a), to_np(b), err_msg=k)
    assert type(e2.features[0].weight) is ember.nn.Parameter
    e3 = copy.deepcopy(e)
    assert e3.features[0].weight is not e.features[0].weight
    assert type(e3.features[0].weight) is ember.nn.Parameter


# --- hooks -----------------------------------------------------------------------------------
class Scale:
    """A module computing w * x + x.sum() without any F.* (so hooks can be tested alone)."""

    @staticmethod
    def build(m):
        class S(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = m.nn.Parameter(m.tensor([1.0, 2.0, 3.0]))

            def forward(self, x, y=None):
                out = self.w * x + x.sum()
                return out if y is None else out * y
        return S()


def test_forward_hooks():
    for m in LIBS:
        s = Scale.build(m)
        log = []
        h1 = s.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = s.register_forward_hook(lambda mod, args, out: out + 1)
        h3 = s.register_forward_hook(lambda mod, args, out: log.append(("late", out.tolist())),
                                     prepend=False)
        h4 = s.register_forward_pre_hook(lambda mod, args, kw: (args, {"y": m.tensor(10.0)}),
                                         with_kwargs=True)
        out = s(m.ones(3))
        assert out.tolist() == [81.0, 101.0, 121.0]
        assert log == [("late", [81.0, 101.0, 121.0])]
        for h in (h1, h2, h3, h4):
            h.remove()
        assert s(m.ones(3)).tolist() == [4.0, 5.0, 6.0]
        with s.register_forward_hook(lambda mod, a, kw, out: out * 0, with_kwargs=True):
            assert s(m.ones(3)).tolist() == [0.0, 0.0, 0.0]
        assert s(m.ones(3)).tolist() == [4.0, 5.0, 6.0]


def test_forward_hook_always_call():
    for m in LIBS:
        log = []

        class Bad(m.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        b = Bad()
        b.register_forward_hook(lambda mod, args, out: log.append(out), always_call=True)
        with pytest.raises(ValueError):
            b(1)
        assert log == [None]


def test_global_forward_hook():
    for m in LIBS:
        seen = []
        h = m.nn.modules.module.register_module_forward_hook(
            lambda mod, args, out: seen.append(type(mod).__name__))
        m.nn.Sequential(m.nn.Identity(), m.nn.Identity())(m.ones(1))
        h.remove()
        m.nn.Identity()(m.ones(1))
        assert seen == ["Identity", "Identity", "Sequential"]


def test_full_backward_hooks_match_torch():
    res = []
    for m in LIBS:
        s = Scale.build(m)
        log = []

        def hook(mod, gin, gout):
            log.append(("hook", [g.tolist() if g is not None else None for g in gin],
                        [g.tolist() for g in gout]))
            return None if gin[0] is None else (gin[0] * 2,)

        def pre(mod, gout):
            log.append(("pre", [g.tolist() for g in gout]))
            return (gout[0] * 3,)
        s.register_full_backward_hook(hook)
        s.register_full_backward_pre_hook(pre)
        x = m.tensor([1.0, -1.0, 2.0], requires_grad=True)
        (s(x) * m.tensor([1.0, 2.0, 3.0])).sum().backward()
        log.append(("x.grad", x.grad.tolist()))
        log.append(("w.grad", s.w.grad.tolist()))
        # an input that does not require grad: the hook runs with grad_input (None,)
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            s(m.ones(3)).sum().backward()
        res.append(log)
    assert res[0] == res[1]


def test_full_backward_hooks_several_inputs_and_outputs():
    res = []
    for m in LIBS:
        class Two(m.nn.Module):
            def forward(self, a, k, b, c=None):
                return a * b * k, "tag", (a + c).sum()
        mod = Two()
        log = []
        mod.register_full_backward_hook(lambda md, gi, go: log.append(
            ([None if g is None else g.tolist() for g in gi],
             [None if g is None else g.tolist() for g in go])))
        a = m.tensor([1.0, 2.0], requires_grad=True)
        b = m.tensor([3.0, 4.0])
        c = m.tensor([5.0, 6.0], requires_grad=True)
        x, tag, y = mod(a, 2, b, c=c)
        (x.sum() + 2 * y).backward()
        res.append((log, a.grad.tolist(), c.grad.tolist(), tag))
    assert res[0] == res[1]


def test_old_backward_hook_conflict():
    same_error(lambda m: _both_backward_hooks(m))


def _both_backward_hooks(m):
    s = Scale.build(m)
    s.register_backward_hook(lambda *a: None)
    s.register_full_backward_hook(lambda *a: None)


# --- repr ------------------------------------------------------------------------------------
def test_repr_custom_extra_repr_and_empty():
    for m in LIBS:
        class Custom(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = m.nn.Sequential()
                self.lin = m.nn.Linear(1, 1, bias=False)

            def extra_repr(self):
                return "first line\nsecond line"

        class Empty(m.nn.Module):
            def forward(self, x):
                return x
        Custom.__module__ = Empty.__module__ = "x"
        m.out = (repr(Custom()), repr(Empty()), repr(m.nn.Sequential()), repr(m.nn.ModuleList()),
                 repr(m.nn.ModuleDict()), repr(m.nn.ParameterList()), repr(m.nn.ParameterDict()))
    assert torch.out == ember.out
    del torch.out, ember.out


def test_module_list_compresses_repeats():
    def build(m):
        nn = m.nn
        return nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2),
                              nn.Sequential(nn.ReLU()), nn.Sequential(nn.ReLU())])
    same_repr(*both(build))


def test_my_sequential_with_modules_dict():
    """d2l's MySequential stores blocks in self._modules directly."""
    for m in LIBS:
        class MySequential(m.nn.Module):
            def __init__(self, *args):
                super().__init__()
                for idx, module in enumerate(args):
                    self._modules[str(idx)] = module

            def forward(self, x):
                for block in self._modules.values():
                    x = block(x)
                return x
        net = MySequential(m.nn.Identity(), m.nn.Linear(20, 256), m.nn.ReLU())
        m.out = (repr(net), [n for n, _ in net.named_parameters()])
    assert torch.out == ember.out
    del torch.out, ember.out


# --- containers ------------------------------------------------------------------------------
def test_sequential_operations():
    def ops(m):
        nn = m.nn
        out = []
        s = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3))
        out.append(repr(s[1:]))
        out.append(repr(s[::-1]))
        out.append(type(s[-1]).__name__)
        s[0] = nn.Tanh()
        s.append(nn.Sigmoid())
        s.insert(1, nn.Identity())
        s.insert(-1, nn.ReLU6())
        s.extend([nn.ELU()])
        out.append(repr(s))
        out.append(repr(s.pop(2)))
        del s[0]
        del s[1:3]
        out.append(repr(s))
        out.append(len(s))
        s2 = nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh())]))
        out.append(repr(s2 + s))
        s2 += nn.Sequential(nn.Sigmoid())
        out.append(repr(s2))
        out.append(repr(s2 * 2))
        s3 = nn.Sequential(nn.ReLU(), nn.Tanh())
        s3 *= 3
        out.append(repr(s3))
        out.append([type(x).__name__ for x in s2])
        del s2[0]
        out.append(list(s2._modules))  # keys renumbered after a deletion
        return out
    t, e = both(ops)
    assert t == e


def test_sequential_forward_and_vgg_edit():
    for m in LIBS:
        nn = m.nn
        clf = nn.Sequential(nn.Identity(), nn.Identity())
        clf.add_module("add_linear", nn.Linear(1000, 10))
        clf[1] = nn.Linear(1000, 10)
        m.out = repr(clf)
        assert clf[0](m.ones(1)).tolist() == [1.0]
    assert torch.out == ember.out
    del torch.out, ember.out


def test_module_list_and_dict_operations():
    def ops(m):
        nn = m.nn
        out = []
        ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        ml.append(nn.Sigmoid())
        ml.extend([nn.ELU()])
        ml.insert(1, nn.Identity())
        ml += [nn.ReLU6()]
        ml[0] = nn.GELU()
        out.append(repr(ml))
        out.append(repr(ml[1:3]))
        out.append(repr(ml.pop(1)))
        del ml[-1]
        out.append(repr(ml + nn.ModuleList([nn.ReLU()])))
        out.append(list(ml._modules))
        md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
        md["c"] = nn.Sigmoid()
        md.update([("d", nn.ELU())])
        out.append(repr(md))
        out.append((list(md.keys()), "a" in md, len(md), list(md)))
        out.append(repr(md.pop("a")))
        del md["b"]
        out.append([type(v).__name__ for v in md.values()])
        md.clear()
        out.append(len(md))
        return out
    t, e = both(ops)
    assert t == e


def test_parameter_list_and_dict():
    def ops(m):
        nn = m.nn
        out = []
        pl = nn.ParameterList([m.ones(2), nn.Parameter(m.zeros(3, 2))])
        pl.append(m.ones(1, dtype=m.float64))
        pl.extend([nn.Parameter(m.ones(1))])
        out.append(repr(pl).replace("ember.", "torch."))
        out.append([type(p).__name__ for p in pl])
        out.append([n for n, _ in pl.named_parameters()])
        out.append(repr(pl[1:]).replace("ember.", "torch."))
        pd = nn.ParameterDict({"b": m.ones(2), "a": nn.Parameter(m.ones(1))})
        pd["c"] = m.zeros(3)
        pd.update([("d", m.ones(1))])
        out.append(repr(pd))
        out.append(list(pd.keys()))
        out.append([n for n, _ in pd.named_parameters()])
        out.append(pd.get("zz") is None)
        out.append(type(pd.pop("b")).__name__)
        out.append(list(pd))
        out.append(list((pd | nn.ParameterDict({"e": m.ones(1)})).keys()))
        out.append(list(pd.setdefault("f", m.ones(2)).shape))
        return out
    t, e = both(ops)
    assert t == e


# --- nn.utils ----------------------------------------------------------------------------------
def _params_with_grads(m, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    ps = []
    for shape in [(3, 4), (5,), (2, 2, 3)]:
        p = m.nn.Parameter(m.tensor(rng.standard_normal(shape).astype(np.float32)))
        p.grad = m.tensor((rng.standard_normal(shape) * scale).astype(np.float32))
        ps.append(p)
    ps.append(m.nn.Parameter(m.ones(2)))  # no grad: skipped
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), 0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    res = []
    for m in LIBS:
        ps = _params_with_grads(m)
        total = m.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        assert total.dim() == 0 and not total.requires_grad
        res.append((to_np(total), [to_np(p.grad) for p in ps[:3]], str(total.dtype)[-7:]))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-6)
    for a, b in zip(res[0][1], res[1][1]):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    assert res[0][2] == res[1][2]


def test_clip_grad_norm_single_tensor_empty_and_nonfinite():
    for m in LIBS:
        p = m.nn.Parameter(m.ones(4))
        p.grad = m.full((4,), 3.0)
        assert m.nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(6.0)
        assert p.grad.tolist() == pytest.approx([0.5] * 4, rel=1e-5)
        assert m.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
        with pytest.warns(UserWarning, match="empty generator"):
            m.nn.utils.clip_grad_norm_((q for q in []), 1.0)
    same_error(lambda m: _nonfinite(m))


def _nonfinite(m):
    p = m.nn.Parameter(m.ones(2))
    p.grad = m.tensor([1.0, float("inf")])
    m.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vectors():
    res = []
    for m in LIBS:
        ps = _params_with_grads(m, scale=2.0)
        assert m.nn.utils.clip_grad_value_(ps, 0.7) is None
        vec = m.nn.utils.parameters_to_vector(ps[:3])
        m.nn.utils.vector_to_parameters(vec * 2, ps[:3])
        res.append(([to_np(p.grad) for p in ps[:3]], to_np(vec), [to_np(p) for p in ps[:3]],
                    type(ps[0]).__name__))
    for a, b in zip(res[0][0], res[1][0]):
        np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(res[1][1], res[0][1])
    for a, b in zip(res[0][2], res[1][2]):
        np.testing.assert_array_equal(b, a)
    assert res[0][3] == res[1][3]
    same_error(lambda m: m.nn.utils.vector_to_parameters([1.0], []))


def test_pad_sequence():
    seqs = [np.arange(n * 2, dtype=np.float32).reshape(n, 2) for n in (3, 1, 2)]
    for kw in ({}, {"batch_first": True}, {"padding_value": -1.0, "padding_side": "left"}):
        t = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], **kw)
        e = ember.nn.utils.rnn.pad_sequence([ember.tensor(s) for s in seqs], **kw)
        assert tuple(t.shape) == tuple(e.shape)
        np.testing.assert_array_equal(to_np(e), to_np(t))
