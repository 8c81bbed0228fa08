"""Convolution and pooling, ember against torch side by side (same data, same threads).

    .venv/bin/python bench/bench_conv.py [--repeat N] [--single-thread]

Each case is timed as forward + backward (and forward alone); the best of N runs
is reported, and the ratio ember/torch printed (lower is better).  By default both
libraries use their default threads and wall-clock time.  ``--single-thread`` pins
both to one thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1) and measures
process CPU time, which stays meaningful on a machine shared with other work.
"""
import argparse
import os
import sys
import time

SINGLE = "--single-thread" in sys.argv
if SINGLE:  # must be set before NumPy loads OpenBLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
import ember  # noqa: E402
import ember.nn.functional as EF  # noqa: E402
import torch.nn.functional as TF  # noqa: E402


def best_of(fn, repeat):
    clock = time.process_time if SINGLE else time.perf_counter
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def conv_case(m, F, x, w, b, padding, backward):
    xt = m.tensor(x, requires_grad=backward)
    wt = m.tensor(w, requires_grad=backward)
    bt = m.tensor(b, requires_grad=backward)

    def run():
        y = F.conv2d(xt, wt, bt, padding=padding)
        if backward:
            y.sum().backward()
    return run


def pool_case(m, F, x, backward):
    xt = m.tensor(x, requires_grad=backward)

    def run():
        y = F.max_pool2d(xt, 2)
        if backward:
            y.sum().backward()
    return run


def cifar_step(m, F, params, x, y):
    """The notes' CIFAR10 net (conv 5x5 32/32/64, max-pool, linear 1024-64-10), written
    functionally: one forward + backward of the cross-entropy loss."""
    ps = [m.tensor(p, requires_grad=True) for p in params]
    xt, yt = m.tensor(x), m.tensor(y)

    def run():
        w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = ps
        h = F.max_pool2d(F.conv2d(xt, w1, b1, padding=2), 2)
        h = F.max_pool2d(F.conv2d(h, w2, b2, padding=2), 2)
        h = F.max_pool2d(F.conv2d(h, w3, b3, padding=2), 2)
        h = F.linear(F.linear(h.flatten(1), w4, b4), w5, b5)
        F.cross_entropy(h, yt).backward()
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--single-thread", action="store_true")
    args = ap.parse_args()
    if SINGLE:
        torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    f32 = np.float32
    cases = []
    for label, (n, c, h, o, k, p) in {
        "LeNet conv1  256x1x28x28 -> 6, 5x5 pad 2": (256, 1, 28, 6, 5, 2),
        "LeNet conv2  256x6x14x14 -> 16, 5x5": (256, 6, 14, 16, 5, 0),
        "CIFAR conv1  64x3x32x32 -> 32, 5x5 pad 2": (64, 3, 32, 32, 5, 2),
        "CIFAR conv2  64x32x16x16 -> 32, 5x5 pad 2": (64, 32, 16, 32, 5, 2),
        "CIFAR conv3  64x32x8x8 -> 64, 5x5 pad 2": (64, 32, 8, 64, 5, 2),
    }.items():
        x = rng.standard_normal((n, c, h, h)).astype(f32)
        w = (rng.standard_normal((o, c, k, k)) * 0.1).astype(f32)
        b = rng.standard_normal(o).astype(f32)
        for bwd in (False, True):
            cases.append((f"{label} {'fwd+bwd' if bwd else 'fwd'}",
                          conv_case(torch, TF, x, w, b, p, bwd),
                          conv_case(ember, EF, x, w, b, p, bwd)))
    for label, shape in {"max_pool2d 2x2  64x32x32x32": (64, 32, 32, 32),
                         "max_pool2d 2x2  256x6x28x28": (256, 6, 28, 28)}.items():
        x = rng.standard_normal(shape).astype(f32)
        for bwd in (False, True):
            cases.append((f"{label} {'fwd+bwd' if bwd else 'fwd'}",
                          pool_case(torch, TF, x, bwd), pool_case(ember, EF, x, bwd)))
    shapes = [(32, 3, 5, 5), (32,), (32, 32, 5, 5), (32,), (64, 32, 5, 5), (64,), (64, 1024),
              (64,), (10, 64), (10,)]
    params = [(rng.standard_normal(s) * 0.05).astype(f32) for s in shapes]
    x = rng.standard_normal((64, 3, 32, 32)).astype(f32)
    y = rng.integers(0, 10, 64)
    cases.append(("CIFAR10 net train step (functional), batch 64",
                  cifar_step(torch, TF, params, x, y), cifar_step(ember, EF, params, x, y)))
    print(f"torch threads: {torch.get_num_threads()}, numpy BLAS threads: "
          f"{'1' if SINGLE else 'default'}, clock: {'CPU' if SINGLE else 'wall'}")
    print(f"{'case':58s} {'torch ms':>9s} {'ember ms':>9s} {'ratio':>6s}")
    ratios = []
    for label, t_fn, e_fn in cases:
        tt = best_of(t_fn, args.repeat)
        te = best_of(e_fn, args.repeat)
        ratios.append(te / tt)
        print(f"{label:58s} {tt * 1e3:9.2f} {te * 1e3:9.2f} {te / tt:6.2f}")
    print(f"geometric mean ratio: {float(np.exp(np.mean(np.log(ratios)))):.2f}")


if __name__ == "__main__":
    main()
