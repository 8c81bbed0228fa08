"""Optimizer step speed: ember and torch side by side, with ratios (ember / torch).

    python bench/bench_optim.py

The parameters (with fixed random gradients) are those of a 784-256-10 MLP
(0.2M numbers) and of a 784-1024-256-10 MLP (1.07M); one ``step()`` is timed.
The "fma" rows run ember with ``ember.optim._functional.FMA = True`` (PyTorch's
fused multiply-add rounding emulated; see that module).  Best of several repeats.
"""
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402


def best(fn, number, repeat=7):
    fn()  # warm up: the first step allocates the optimizer state
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def params(m, sizes):
    rng = np.random.default_rng(0)
    ps = []
    for i in range(len(sizes) - 1):
        for shape in ((sizes[i + 1], sizes[i]), (sizes[i + 1],)):
            p = m.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
            p.grad = m.tensor(rng.standard_normal(shape).astype(np.float32))
            ps.append(p)
    return ps


def stepper(m, sizes, cls, kwargs):
    opt = getattr(m.optim, cls)(params(m, sizes), **kwargs)
    return opt.step


NETS = [("784-256-10", [784, 256, 10], 50), ("784-1024-256-10", [784, 1024, 256, 10], 20)]
OPTS = [("SGD(momentum=0.9)", "SGD", dict(lr=0.01, momentum=0.9)),
        ("Adam", "Adam", dict(lr=1e-3)),
        ("AdamW", "AdamW", dict(lr=1e-3)),
        ("RMSprop", "RMSprop", dict(lr=1e-3))]


def main():
    import torch
    import ember
    from ember.optim import _functional
    print(f"{'case':42s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}")
    for net, sizes, number in NETS:
        for label, cls, kw in OPTS:
            tt = best(stepper(torch, sizes, cls, kw), number)
            for fma in (False, True) if cls in ("SGD", "Adam") else (False,):
                _functional.FMA = fma
                te = best(stepper(ember, sizes, cls, kw), number)
                name = f"{label}{' fma' if fma else ''}, {net}"
                print(f"{name:42s} {te * 1e3:8.2f}ms {tt * 1e3:8.2f}ms {te / tt:6.2f}x")
            _functional.FMA = False


if __name__ == "__main__":
    main()
