"""Checkpoint save/load speed: ember and torch side by side, with ratios (ember / torch).

    python bench/bench_serialization.py [MB]

A state_dict of float32 tensors totalling ~100 MB (a resnet-like mix: a few large
matrices, many conv kernels, many small vectors) is saved to a file and loaded back, by
each library from its own tensors; "load mmap" is ``load(..., mmap=True)``.  Files live
in one temporary directory; best of several repeats, interleaved so both libraries see
the same page-cache state (synced before each run).  Each library also loads the other's file once, as a check.
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402


def shapes(total_mb):
    """(name, shape) pairs summing to about ``total_mb`` MB of float32."""
    out, n = [], 0
    budget = total_mb * 2 ** 20 // 4
    shapes = ((512, 512, 3, 3), (1024, 1024), (256, 256, 3, 3), (1024,), (64,), (4096, 512),
              (128, 64, 1, 1), (512,))
    while n < budget:
        shape = shapes[len(out) % len(shapes)]
        out.append((f"layer{len(out) // len(shapes)}.w{len(out)}", shape))
        n += int(np.prod(shape))
    return out


def state_dict(m, spec):
    rng = np.random.default_rng(0)
    return {k: m.from_numpy(rng.standard_normal(s, dtype=np.float32)) for k, s in spec}


def timed(fn):
    # Start from a clean page cache: without the sync, one library's save pays for the
    # writeback (and dirty-page throttling) of the file the other one just wrote.
    os.sync()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    import torch
    import ember
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    spec = shapes(total)
    sd = {"ember": state_dict(ember, spec), "torch": state_dict(torch, spec)}
    libs = {"ember": ember, "torch": torch}
    mb = sum(int(np.prod(s)) for _, s in spec) * 4 / 2 ** 20
    with tempfile.TemporaryDirectory() as d:
        path = {k: os.path.join(d, f"{k}.pth") for k in libs}
        cases = {
            "save": lambda k: libs[k].save(sd[k], path[k]),
            "load": lambda k: libs[k].load(path[k]),
            "load mmap": lambda k: libs[k].load(path[k], mmap=True),
        }
        for k in libs:
            cases["save"](k)
        # cross-check: each library reads the other's file
        a, b = ember.load(path["torch"]), torch.load(path["ember"])
        name = spec[0][0]
        assert np.array_equal(a[name]._data, sd["torch"][name].numpy())
        assert np.array_equal(b[name].numpy(), sd["ember"][name]._data)
        print(f"state_dict: {len(spec)} tensors, {mb:.1f} MB float32")
        print(f"{'case':12s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}")
        for case, fn in cases.items():
            res = {k: [] for k in libs}
            for _ in range(7):
                for k in libs:
                    res[k].append(timed(lambda: fn(k)))
            te, tt = min(res["ember"]), min(res["torch"])
            print(f"{case:12s} {te * 1e3:8.1f}ms {tt * 1e3:8.1f}ms {te / tt:6.2f}x")


if __name__ == "__main__":
    main()
