"""Random sampling speed: ember and torch side by side, in one run, with ratios (ember / torch).

    python bench/bench_random.py            # sizes 1e4, 1e6, 1e7
    python bench/bench_random.py 1e5 2e7    # other sizes

Both libraries produce the same bits (tests/test_generator_engine.py), so this
compares equal work.  Each figure is the best of several repeats, to damp the
noise of a shared machine.
"""
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def best(fn, repeat):
    fn()  # warm up
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def cases(m, n):
    f32, f64 = m.float32, m.float64
    x32, x64 = m.empty(n), m.empty(n, dtype=f64)
    return [
        ("rand", lambda: m.rand(n)),
        ("rand float64", lambda: m.rand(n, dtype=f64)),
        ("randn", lambda: m.randn(n)),
        ("randn float64", lambda: m.randn(n, dtype=f64)),
        ("uniform_(-0.1, 0.1)", lambda: x32.uniform_(-0.1, 0.1)),
        ("uniform_ float64", lambda: x64.uniform_(-0.1, 0.1)),
        ("normal_(0, 0.01)", lambda: x32.normal_(0, 0.01)),
        ("normal_ float64", lambda: x64.normal_(0, 0.01)),
        ("exponential_ float64", lambda: x64.exponential_()),
        ("randint(0, 10)", lambda: m.randint(0, 10, (n,))),
        ("randperm", lambda: m.randperm(n)),
        ("bernoulli_(0.5)", lambda: x32.bernoulli_(0.5)),
    ], f32


def main(sizes):
    import torch

    import ember
    print(f"{'case':24s} {'n':>9s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}")
    for n in sizes:
        ours, _ = cases(ember, n)
        theirs, _ = cases(torch, n)
        repeat = 7 if n <= 10 ** 6 else 3
        for (name, fe), (_, ft) in zip(ours, theirs):
            ember.manual_seed(0)
            torch.manual_seed(0)
            te, tt = best(fe, repeat), best(ft, repeat)
            print(f"{name:24s} {n:9d} {te * 1e3:8.2f}ms {tt * 1e3:8.2f}ms {te / tt:6.2f}x",
                  flush=True)


if __name__ == "__main__":
    main([int(float(a)) for a in sys.argv[1:]] or [10 ** 4, 10 ** 6, 10 ** 7])
