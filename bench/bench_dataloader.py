"""DataLoader throughput: ember and torch side by side, ratios printed (ember / torch time).

    python bench/bench_dataloader.py [--quick]

Cases, batch 64, num_workers 0 and 2:
  * a TensorDataset of 50,000 CIFAR-sized samples (3x32x32 float32 + int64 label),
    shuffled: pure loader overhead (indexing, collation, transport from workers);
  * a map-style dataset whose __getitem__ does ~1 ms of NumPy work per item and
    returns a tensor: the case workers exist for.
Both libraries read the same NumPy memory.  Each figure is the best of a few epochs,
to damp the noise of a shared machine.  Runs in well under two minutes.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

N_TENSOR = 50_000
N_HEAVY = 1_024  # 16 batches: enough for steady state, short at 1 ms per item
BATCH = 64


class HeavyItem:
    """Sample i: a 3x32x32 float32 image after ``reps`` rounds of NumPy work, and a label."""

    def __init__(self, lib_name, n, reps):
        self.lib_name, self.n, self.reps = lib_name, n, reps

    def __len__(self):
        return self.n

    def work(self, i):
        x = np.random.default_rng(i).standard_normal((3, 32, 32), dtype=np.float32)
        w = np.full((32, 32), 1 / 32, dtype=np.float32)
        for _ in range(self.reps):
            x = np.tanh(x @ w + 0.1)
        return x

    def __getitem__(self, i):
        return sys.modules[self.lib_name].from_numpy(self.work(i)), i % 10


def calibrate(target_s=1e-3):
    """The number of rounds that makes one item take about ``target_s``."""
    ds = HeavyItem("numpy", 20, 50)
    t = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(20):
            ds.work(i)
        t = min(t, (time.perf_counter() - t0) / 20)
    return max(1, round(50 * target_s / t))


def epoch(dl):
    t0 = time.perf_counter()
    n = 0
    for x, y in dl:
        n += x.shape[0]
    return time.perf_counter() - t0, n


def best_times(libs, make, workers, epochs):
    """Best epoch time per library, epochs alternating between them so that a shared
    machine's load changes hit both alike.  With workers, one warm-up epoch first."""
    loaders = [m.utils.data.DataLoader(make(m), batch_size=BATCH, shuffle=True,
                                       num_workers=workers, persistent_workers=workers > 0)
               for m in libs]
    best = [float("inf")] * len(libs)
    for e in range(epochs + (1 if workers else 0)):
        for k, dl in enumerate(loaders):
            t, n = epoch(dl)
            assert n == len(dl.dataset)
            if e or not workers:
                best[k] = min(best[k], t)
    return best


def main():
    import torch
    import ember
    quick = "--quick" in sys.argv
    rng = np.random.default_rng(0)
    images = rng.standard_normal((N_TENSOR, 3, 32, 32), dtype=np.float32)
    labels = rng.integers(0, 10, N_TENSOR)
    reps = calibrate()
    cases = []
    for workers in (0, 2):
        cases.append((f"TensorDataset 50k CIFAR, workers={workers}",
                      lambda m: m.utils.data.TensorDataset(m.from_numpy(images),
                                                           m.from_numpy(labels)),
                      workers, 2 if quick else 3))
    for workers in (0, 2):
        cases.append((f"~1 ms/item transform, workers={workers}",
                      lambda m: HeavyItem(m.__name__, N_HEAVY // (4 if quick else 1), reps),
                      workers, 1 if quick else 3))
    print(f"batch {BATCH}; {reps} rounds of NumPy work per heavy item; "
          f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'} CPUs")
    print(f"{'case':40s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}  ember samples/s")
    for name, make, workers, epochs in cases:
        te, tt = best_times((ember, torch), make, workers, epochs)
        n = len(make(ember))
        print(f"{name:40s} {te:9.3f}s {tt:9.3f}s {te / tt:6.2f}x  {n / te:12,.0f}")


if __name__ == "__main__":
    main()
