"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: lr sequences step by step."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
import ember.optim  # noqa: E402,F401

STEPS = 100


def _opt(m, cls="SGD"):
    ps = [m.zeros(2, requires_grad=True), m.zeros(3, requires_grad=True)]
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}]
    if cls == "SGD":
        return m.optim.SGD(groups, lr=0.1, momentum=0.9)
    return m.optim.Adam(groups, lr=0.1)


def _sched(m, make, opt):
    S = m.optim.lr_scheduler
    return make(S, opt, m)


def _trace(m, make, steps=STEPS, cls="SGD", metric=None):
    opt = _opt(m, cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = _sched(m, make, opt)
    out = [(list(s.get_last_lr()), _momenta(opt))]
    for i in range(steps):
        opt.step()
        if metric is None:
            s.step()
        else:
            s.step(metric(i))
        out.append((list(s.get_last_lr()), _momenta(opt)))
    return out, s, opt


def _momenta(opt):
    return [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]


SCHEDULERS = {
    "LambdaLR": lambda S, o, m: S.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-list": lambda S, o, m: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]),
    "MultiplicativeLR": lambda S, o, m: S.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda S, o, m: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o, m: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3),
    "ConstantLR": lambda S, o, m: S.ConstantLR(o, factor=0.25, total_iters=12),
    "LinearLR": lambda S, o, m: S.LinearLR(o, start_factor=0.1, end_factor=0.9,
                                           total_iters=40),
    "ExponentialLR": lambda S, o, m: S.ExponentialLR(o, gamma=0.97),
    "PolynomialLR": lambda S, o, m: S.PolynomialLR(o, total_iters=60, power=2.0),
    "CosineAnnealingLR": lambda S, o, m: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda S, o, m: S.CosineAnnealingWarmRestarts(
        o, T_0=7, T_mult=2, eta_min=0.002),
    "CosineAnnealingWarmRestarts-1": lambda S, o, m: S.CosineAnnealingWarmRestarts(o, T_0=9),
    "CyclicLR": lambda S, o, m: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=8),
    "CyclicLR-tri2": lambda S, o, m: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.2,
                                                step_size_up=5, step_size_down=9,
                                                mode="triangular2"),
    "CyclicLR-exp": lambda S, o, m: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6,
                                               mode="exp_range", gamma=0.98,
                                               base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-fn": lambda S, o, m: S.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                              scale_fn=lambda x: 1 / (1 + x),
                                              scale_mode="iterations", cycle_momentum=False),
    "OneCycleLR": lambda S, o, m: S.OneCycleLR(o, max_lr=0.5, total_steps=STEPS),
    "OneCycleLR-linear-3": lambda S, o, m: S.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=10, steps_per_epoch=10, pct_start=0.25,
        anneal_strategy="linear", three_phase=True, div_factor=10.0, final_div_factor=100.0),
    "SequentialLR": lambda S, o, m: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=10),
            S.CosineAnnealingLR(o, T_max=40), S.ExponentialLR(o, gamma=0.9)],
        milestones=[10, 50]),
    "ChainedScheduler": lambda S, o, m: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=5), S.ExponentialLR(o, gamma=0.95),
         S.StepLR(o, step_size=20, gamma=0.5)]),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_matches_torch(name):
    t, ts, _ = _trace(torch, SCHEDULERS[name])
    e, es, _ = _trace(ember, SCHEDULERS[name])
    # the same float operations in the same order: equal to the last bit
    for i, ((tl, tm), (el, em)) in enumerate(zip(t, e)):
        assert el == tl, f"lr at step {i}"
        assert em == tm, f"momentum at step {i}"
    assert set(es.state_dict()) == set(ts.state_dict())


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR"])
def test_beta1_cycling_with_adam(name):
    t, _, topt = _trace(torch, SCHEDULERS[name], cls="Adam")
    e, _, eopt = _trace(ember, SCHEDULERS[name], cls="Adam")
    assert e == t
    assert [g["betas"] for g in eopt.param_groups] == [g["betas"] for g in topt.param_groups]


def test_cycle_momentum_needs_momentum():
    for m in (torch, ember):
        o = m.optim.Adagrad([m.zeros(2, requires_grad=True)])
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with "
                                             "`cycle_momentum` option enabled"):
            m.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1)


PLATEAU = {
    "min-rel": dict(),
    "max-abs": dict(mode="max", threshold_mode="abs", threshold=0.05, patience=2, factor=0.5),
    "cooldown": dict(patience=1, cooldown=3, factor=0.3, min_lr=[0.01, 0.004]),
    "eps": dict(patience=0, factor=0.5, min_lr=0.02, eps=1e-3),
}


@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_lr_on_plateau(name):
    kw = PLATEAU[name]
    metric = lambda i: 1.0 / (1 + i % 13) + 0.001 * math.sin(i)  # noqa: E731
    make = lambda S, o, m: S.ReduceLROnPlateau(o, **kw)  # noqa: E731
    t, ts, _ = _trace(torch, make, metric=metric)
    e, es, _ = _trace(ember, make, metric=metric)
    assert e == t
    assert es.state_dict() == ts.state_dict()


def test_reduce_lr_on_plateau_tensor_metric_and_errors():
    for m in (torch, ember):
        o = _opt(m)
        s = m.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0)
        s.step(m.tensor(1.0))
        s.step(m.tensor(2.0))
        assert s.get_last_lr() == pytest.approx([0.01, 0.005])
        with pytest.raises(ValueError, match="^Factor should be < 1.0.$"):
            m.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0)
        with pytest.raises(ValueError, match="^mode avg is unknown!$"):
            m.optim.lr_scheduler.ReduceLROnPlateau(o, mode="avg")
        with pytest.raises(ValueError, match="^expected 2 min_lrs, got 1$"):
            m.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1])


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR", "ConstantLR", "PolynomialLR",
                                  "CosineAnnealingWarmRestarts"])
def test_step_with_epoch_uses_closed_form(name):
    epochs = [3, 4, 10, 2, 25, 26, 70, 31]
    res = {}
    for m in (torch, ember):
        o = _opt(m)
        s = SCHEDULERS[name](m.optim.lr_scheduler, o, m)
        seq = []
        for ep in epochs:
            o.step()
            # CosineAnnealingWarmRestarts takes an epoch by design, without the warning
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                s.step(ep)
            deprecated = any("The epoch parameter in `scheduler.step()` was not necessary"
                             in str(x.message) for x in w)
            assert deprecated == (name != "CosineAnnealingWarmRestarts")
            seq.append(s.get_last_lr())
        res[m.__name__] = seq
    np.testing.assert_allclose(res["ember"], res["torch"], rtol=1e-12)


def test_warning_when_scheduler_steps_first():
    o = _opt(ember)
    s = ember.optim.lr_scheduler.StepLR(o, 3)
    with pytest.warns(UserWarning, match="^Detected call of `lr_scheduler.step\\(\\)` before "
                                         "`optimizer.step\\(\\)`. In PyTorch 1.1.0"):
        s.step()
    o = _opt(ember)
    s = ember.optim.lr_scheduler.StepLR(o, 3)
    o.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
        s.step()


def test_warning_when_optimizer_step_replaced():
    o = _opt(ember)
    s = ember.optim.lr_scheduler.ExponentialLR(o, 0.5)
    o.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="^Seems like `optimizer.step\\(\\)` has been "
                                         "overridden after learning rate scheduler"):
        s.step()


def test_get_lr_outside_step_warns():
    o = _opt(ember)
    s = ember.optim.lr_scheduler.ExponentialLR(o, 0.5)
    with pytest.warns(UserWarning, match="^To get the last learning rate computed by the "
                                         "scheduler, please use `get_last_lr\\(\\)`.$"):
        s.get_lr()


def test_initial_lr_and_resume_errors():
    for m in (torch, ember):
        o = _opt(m)
        with pytest.raises(KeyError, match="param 'initial_lr' is not specified in "
                                           "param_groups\\[0\\] when resuming"):
            m.optim.lr_scheduler.StepLR(o, 3, last_epoch=4)
        with pytest.raises(TypeError, match="^list is not an Optimizer$"):
            m.optim.lr_scheduler.StepLR([], 3)
    te, ee = _opt(torch), _opt(ember)
    torch.optim.lr_scheduler.StepLR(te, 3)
    ember.optim.lr_scheduler.StepLR(ee, 3)
    assert [g["initial_lr"] for g in ee.param_groups] == [g["initial_lr"]
                                                          for g in te.param_groups]


BAD = [
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, eta_min="a"),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=0),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1, epochs=0, steps_per_epoch=3),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=2.0),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="x"),
    lambda S, o: S.OneCycleLR(o, max_lr=[0.1], total_steps=10),
    lambda S, o: S.ConstantLR(o, factor=2.0),
    lambda S, o: S.LinearLR(o, start_factor=0),
    lambda S, o: S.LinearLR(o, end_factor=1.5),
    lambda S, o: S.LambdaLR(o, [lambda e: 1.0]),
    lambda S, o: S.MultiplicativeLR(o, [1.0, 2.0]),
    lambda S, o: S.CyclicLR(o, 0.01, 0.1, mode="zigzag"),
    lambda S, o: S.SequentialLR(o, [], milestones=[]),
    lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2)], milestones=[3]),
    lambda S, o: S.SequentialLR(o, [S.ReduceLROnPlateau(o)], milestones=[]),
    lambda S, o: S.ChainedScheduler([]),
    lambda S, o: S.ChainedScheduler([S.StepLR(o, 2), 5]),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_errors_match_torch(i):
    res = []
    for m in (torch, ember):
        o = _opt(m)
        try:
            BAD[i](m.optim.lr_scheduler, o)
            res.append(None)
        except Exception as ex:  # noqa: BLE001 - compared across libraries
            res.append((type(ex), str(ex)))
    assert res[0] is not None and res[1] == res[0]


def test_onecycle_too_many_steps():
    for m in (torch, ember):
        o = _opt(m)
        s = m.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=3)
        for _ in range(3):
            o.step()
            s.step()
        with pytest.raises(ValueError, match="^Tried to step 4 times. The specified number of "
                                             "total steps is 3$"):
            s.step()


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR",
                                  "SequentialLR", "ChainedScheduler", "LambdaLR",
                                  "CosineAnnealingWarmRestarts"])
def test_resume_from_state_dicts(name):
    """Stop after 40 steps, save optimizer+scheduler state, rebuild, continue: the
    sequence equals the uninterrupted one (and the state dict has torch's keys)."""
    full, _, _ = _trace(ember, SCHEDULERS[name])
    part, s, o = _trace(ember, SCHEDULERS[name], steps=40)
    osd, ssd = o.state_dict(), s.state_dict()
    o2 = _opt(ember)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s2 = SCHEDULERS[name](ember.optim.lr_scheduler, o2, ember)
    s2.load_state_dict(ssd)
    o2.load_state_dict(osd)
    for i in range(40, STEPS):
        o2.step()
        s2.step()
        assert s2.get_last_lr() == full[i + 1][0]
        assert _momenta(o2) == full[i + 1][1]


def test_scheduler_state_dict_values_match_torch():
    for name in ["StepLR", "MultiStepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR",
                 "LinearLR"]:
        _, ts, _ = _trace(torch, SCHEDULERS[name], steps=13)
        _, es, _ = _trace(ember, SCHEDULERS[name], steps=13)
        tsd, esd = ts.state_dict(), es.state_dict()
        assert list(esd) == list(tsd), name
        for k in tsd:
            if k in ("_scale_fn_ref",):
                continue
            assert esd[k] == tsd[k], (name, k)


def test_swalr_matches_torch():
    seqs = []
    for m in (torch, ember):
        o = _opt(m)
        s = m.optim.swa_utils.SWALR(o, swa_lr=[0.02, 0.01], anneal_epochs=5)
        seq = []
        for _ in range(12):
            o.step()
            s.step()
            seq.append(s.get_last_lr())
        seqs.append(seq)
    np.testing.assert_allclose(seqs[1], seqs[0], rtol=1e-12)


def test_swa_avg_fns():
    a, b = ember.tensor([1.0, 3.0]), ember.tensor([3.0, 7.0])
    swa = ember.optim.swa_utils.get_swa_avg_fn()(a, b, ember.tensor(1))
    np.testing.assert_allclose(swa._data, [2.0, 5.0])
    ema = ember.optim.swa_utils.get_ema_avg_fn(0.9)(a, b, 0)
    np.testing.assert_allclose(ema._data, [1.2, 3.4], rtol=1e-6)
    with pytest.raises(ValueError, match="Invalid decay value 1.5 provided"):
        ember.optim.swa_utils.get_ema_avg_fn(1.5)
