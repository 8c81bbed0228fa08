"""Intra-op threads: big optimizer updates split into pieces updated side by side.

A piece sees only its slice, so the result must not depend on the split at all:
the same trajectory as PyTorch's, bit for bit the same as one thread, and a
forked child (a DataLoader worker) must still be able to run them.
"""
import os
import signal

import numpy as np
import pytest
import torch

import ember
from ember._backend import parallel

N = 1_100_000  # above every optimizer's grain, so each step is split in two or more
CASES = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
         ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2, maximize=True)),
         ("Adam", dict(lr=0.01, weight_decay=0.1)),
         ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
         ("AdamW", dict(lr=0.01)),
         # centered: eps keeps sqrt(v - mean^2) away from 0, where float32 rounding blows up
         ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, eps=0.01))]


def _trajectory(m, cls, kw, steps=3):
    rng = np.random.default_rng(0)
    p = m.tensor(rng.standard_normal(N).astype(np.float32), requires_grad=True)
    opt = getattr(m.optim, cls)([p], **kw)
    out = []
    for _ in range(steps):
        p.grad = m.tensor(rng.standard_normal(N).astype(np.float32))
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


@pytest.fixture
def threads():
    before = ember.get_num_threads()
    yield ember.set_num_threads
    ember.set_num_threads(before)


@pytest.mark.parametrize("cls,kw", CASES)
def test_split_update_matches_torch_and_one_thread(cls, kw, threads):
    threads(3)  # three pieces: the middle one starts and ends inside the array
    split = _trajectory(ember, cls, kw)
    threads(1)
    whole = _trajectory(ember, cls, kw)
    ref = _trajectory(torch, cls, kw)
    for s, w, r in zip(split, whole, ref):
        np.testing.assert_array_equal(s, w)
        np.testing.assert_allclose(s, r, rtol=1e-5, atol=1e-6)


def test_parallel_for_covers_the_range_once_and_raises(threads):
    threads(4)
    n = parallel.GRAIN * 4 + 3
    hits = np.zeros(n, np.int64)

    def fn(lo, hi):
        hits[lo:hi] += 1
    parallel.parallel_for(fn, n)
    assert (hits == 1).all()

    def bad(lo, hi):
        if lo > 0:
            raise ValueError("piece failed")
    with pytest.raises(ValueError, match="piece failed"):
        parallel.parallel_for(bad, n)


def test_set_num_threads_validates():
    with pytest.raises(RuntimeError):
        ember.set_num_threads(0)
    assert ember.get_num_threads() >= 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_runs_split_updates(threads):
    threads(2)
    _trajectory(ember, "Adam", {}, steps=1)  # the parent's pool now has a thread
    pid = os.fork()
    if pid == 0:  # the child: a pool thread would not have survived the fork
        try:
            signal.alarm(60)
            _trajectory(ember, "Adam", {}, steps=1)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# --- ops split over the batch: big enough that each thread gets a slice ----------------------

from parity import check  # noqa: E402


def _big_pool_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 16, 24, 24)).astype(np.float32)
    x = np.maximum(x, 0)  # relu zeros: many tied windows, the first one must win
    x[3, 2, 5, 7] = np.nan  # nan wins its window, in one slice only
    x[37, 1, 0, 0] = np.nan
    return x


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=1), dict(kernel_size=2, ceil_mode=True)])
def test_split_max_pool_matches_torch(kw, threads):
    threads(2)
    check(lambda m, x: m.nn.functional.max_pool2d(x * 1, **kw), x=_big_pool_input(), grad=True)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=1, count_include_pad=False)])
def test_split_avg_pool_matches_torch(kw, threads):
    threads(2)
    x = np.nan_to_num(_big_pool_input())
    check(lambda m, x: m.nn.functional.avg_pool2d(x * 1, **kw), x=x, grad=True)


@pytest.mark.parametrize("cfg", [dict(padding=2), dict(padding=1, stride=2), dict(groups=4)])
def test_split_conv_matches_torch(cfg, threads):
    threads(2)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((24, 8, 20, 20)).astype(np.float32)
    w = rng.standard_normal((16, 8 // cfg.get("groups", 1), 5, 5)).astype(np.float32)
    check(lambda m, x, w: m.nn.functional.conv2d(x, w, **cfg), x=x, w=w, grad=True,
          rtol=1e-4, atol=1e-4)


class _ThreadsSeen:
    def __init__(self, name):
        self.name = name  # a module name: spawn pickles the dataset

    def __len__(self):
        return 4

    def __getitem__(self, i):
        import importlib
        return importlib.import_module(self.name).get_num_threads()


@pytest.mark.parametrize("ctx", ["fork", "spawn"])
def test_dataloader_workers_use_one_thread(ctx):
    seen = {}
    for m in (torch, ember):
        loader = m.utils.data.DataLoader(_ThreadsSeen(m.__name__), batch_size=None, num_workers=2,
                                         multiprocessing_context=ctx)
        seen[m.__name__] = [int(v) for v in loader]
    assert seen["ember"] == seen["torch"] == [1, 1, 1, 1]


def test_convolutions_from_several_python_threads():
    # the recycled im2col buffers must never be handed to two calls at once
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((4, 3, 12, 12)).astype(np.float32) for _ in range(8)]
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    ew = ember.tensor(w)

    def run(x):
        return [ember.nn.functional.conv2d(ember.tensor(x), ew, padding=1).numpy()
                for _ in range(20)]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(run, xs))
    for x, got in zip(xs, outs):
        ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
        for g in got:
            np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-4)
