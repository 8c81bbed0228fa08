"""torch.amp on a machine without CUDA: the same warnings, the same pass-through, and
GradScaler('cpu')'s loss-scaling trajectory equal to PyTorch's."""
import warnings

import numpy as np
import pytest
import torch

import ember


def _warnings(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [(x.category.__name__, str(x.message)) for x in w]


@pytest.mark.parametrize("make", [
    lambda m: m.cuda.amp.GradScaler(), lambda m: m.amp.GradScaler("cuda"),
    lambda m: m.amp.GradScaler(), lambda m: m.amp.GradScaler("cpu", enabled=False)])
def test_disabled_scalers_pass_through(make):
    (ts, tw), (es, ew) = _warnings(lambda: make(torch)), _warnings(lambda: make(ember))
    assert ew == tw
    assert es.is_enabled() == ts.is_enabled() is False
    assert es.get_scale() == ts.get_scale() and es.state_dict() == ts.state_dict() == {}
    loss = ember.tensor(2.0, requires_grad=True)
    assert es.scale(loss) is loss


@pytest.mark.parametrize("make", [lambda m: m.autocast(device_type="cuda"),
                                  lambda m: m.amp.autocast("cuda"),
                                  lambda m: m.cuda.amp.autocast()])
def test_cuda_autocast_disables_itself(make):
    def run(m):
        with make(m):
            return m.is_autocast_enabled()
    (te, tw), (ee, ew) = _warnings(lambda: run(torch)), _warnings(lambda: run(ember))
    assert ew == tw and ee == te is False


def test_cpu_autocast_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="autocast"):
        with ember.autocast("cpu"):
            pass
    with ember.autocast("cpu", enabled=False):  # a disabled region is fine
        assert not ember.is_autocast_enabled("cpu")


def _train(m, steps=8):
    m.manual_seed(0)
    net = m.nn.Linear(4, 2)
    opt = m.optim.SGD(net.parameters(), lr=0.1)
    scaler = m.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=2)
    rng = np.random.default_rng(0)
    seen = []
    for i in range(steps):
        x = m.tensor(rng.standard_normal((3, 4)).astype(np.float32))
        opt.zero_grad()
        loss = net(x).pow(2).sum()
        if i == 3:
            loss = loss * float("inf")  # an overflowing step is skipped, the scale halves
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        seen.append((scaler.get_scale(), scaler.state_dict()["_growth_tracker"],
                     net.weight.detach().numpy().copy()))
    return seen, scaler.state_dict()


def test_cpu_grad_scaler_trajectory_matches_torch():
    (ts, tsd), (es, esd) = _train(torch), _train(ember)
    assert esd == tsd
    for (a, b, w), (c, d, v) in zip(ts, es):
        assert (a, b) == (c, d)
        np.testing.assert_allclose(v, w, rtol=1e-6, atol=1e-7)


def test_grad_scaler_errors_match_torch():
    for m in (torch, ember):
        net = m.nn.Linear(2, 1)
        opt = m.optim.SGD(net.parameters(), lr=0.1)
        s = m.amp.GradScaler("cpu")
        with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
            s.step(opt)
        s.scale(net(m.ones(1, 2)).sum()).backward()
        s.unscale_(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            s.unscale_(opt)
        s.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            s.step(opt)
        with pytest.raises(AssertionError, match="growth factor must be > 1.0"):
            m.amp.GradScaler("cpu", growth_factor=0.5)
