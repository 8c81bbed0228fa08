"""Core speed: ember and torch side by side, in one run, with ratios (ember / torch).

    python bench/bench_core.py

Measures per-op overhead (add of two 1-element tensors), a 4-layer MLP
forward+backward at batch 1, and a 784-256-10 MLP SGD train step at batch 256.
Each figure is the best of several repeats, to damp the noise of a shared machine.
"""
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402


def best(fn, number, repeat=7):
    fn()  # warm up
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def add_overhead(m):
    a, b = m.ones(1), m.ones(1)
    return lambda: a + b


def mlp(m, sizes, batch, train):
    nn, F = m.nn, m.nn.functional
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    net = nn.Sequential(*layers)
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    y = m.tensor(rng.integers(0, sizes[-1], batch))
    opt = m.optim.SGD(net.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        if train:
            opt.step()
    return step


CASES = [
    ("add, two 1-element tensors", lambda m: add_overhead(m), 20000),
    ("4-layer MLP fwd+bwd, batch 1", lambda m: mlp(m, [64, 64, 64, 64, 10], 1, False), 300),
    ("784-256-10 MLP train step, batch 256",
     lambda m: mlp(m, [784, 256, 10], 256, True), 100),
]


def main():
    import torch
    import ember
    print(f"{'case':40s} {'ember':>11s} {'torch':>11s} {'ratio':>7s}")
    for name, make, number in CASES:
        te = best(make(ember), number)
        tt = best(make(torch), number)
        print(f"{name:40s} {te * 1e6:9.1f}us {tt * 1e6:9.1f}us {te / tt:6.2f}x")


if __name__ == "__main__":
    main()
