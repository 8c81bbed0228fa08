"""CNN workloads of the notes, ember and torch side by side, ratios (ember / torch).

    python bench/bench_nn.py

- the notes' CIFAR10 model (Conv 5x5 32/32/64 + MaxPool + Linear 1024->64->10),
  SGD train step at batch 64;
- d2l's LeNet (sigmoid, avg-pool), SGD train step at batch 256;
- both models' inference at batch 256.
Each figure is the best of several repeats.
"""
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402


def cifar_model(nn):
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))


def lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))


def train_step(m, build, shape):
    net = build(m.nn)
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal(shape).astype(np.float32))
    y = m.tensor(rng.integers(0, 10, shape[0]))
    opt = m.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = m.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()
    return step


def inference(m, build, shape):
    net = build(m.nn).eval()
    x = m.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))

    def step():
        with m.no_grad():
            net(x)
    return step


CASES = [
    ("CIFAR10 model train step, batch 64", lambda m: train_step(m, cifar_model, (64, 3, 32, 32)),
     5),
    ("LeNet train step, batch 256", lambda m: train_step(m, lenet, (256, 1, 28, 28)), 5),
    ("CIFAR10 model inference, batch 256",
     lambda m: inference(m, cifar_model, (256, 3, 32, 32)), 3),
    ("LeNet inference, batch 256", lambda m: inference(m, lenet, (256, 1, 28, 28)), 5),
]


def best(fn, number, repeat=5):
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main():
    import torch
    import ember
    print(f"{'case':38s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}")
    for name, make, number in CASES:
        te = best(make(ember), number)
        tt = best(make(torch), number)
        print(f"{name:38s} {te * 1e3:8.1f}ms {tt * 1e3:8.1f}ms {te / tt:6.2f}x")


if __name__ == "__main__":
    main()
