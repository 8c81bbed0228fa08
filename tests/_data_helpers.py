"""Datasets for the DataLoader tests, in an importable module so 'spawn' workers find them.

Map-style ones take the library's name ("torch" or "ember"), so one definition
serves both sides of a parity test; a DataLoader needs no Dataset base class
for those.  The iterable ones need the library's IterableDataset as a base, so
the test module builds them from ``RangeMixin``.
"""
import importlib
import math
import os
import random
import time

import numpy as np


def lib(name):
    return importlib.import_module(name)


class Squares:
    """Sample i: (tensor [i, i*i] float32, i)."""

    def __init__(self, name, n=20):
        self.name, self.n = name, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        m = lib(self.name)
        return m.tensor([float(i), float(i * i)]), i


class RandomDraws:
    """Sample i: i and what the worker's Python, NumPy and library generators give."""

    def __init__(self, name, n=8):
        self.name, self.n = name, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        m = lib(self.name)
        return [float(i), random.random(), float(np.random.rand()), float(m.rand(1).item()),
                float(m.randn(3).sum().item())]


class WorkerInfoDataset:
    """Sample i: i, the worker id, worker count and seed (from get_worker_info)."""

    def __init__(self, name, n=8):
        self.name, self.n = name, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = importlib.import_module(self.name + ".utils.data").get_worker_info()
        return [i, info.id, info.num_workers, info.seed, os.getpid()]


class Failing:
    """Raises ``exc(msg)`` at index ``bad``."""

    def __init__(self, n=8, bad=3, exc=ValueError):
        self.n, self.bad, self.exc = n, bad, exc

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc(f"bad sample {i}")
        return i


class Slow:
    """Sleeps ``delay`` seconds per item of index in [start, stop)."""

    def __init__(self, n=100, delay=0.05, start=0, stop=None):
        self.n, self.delay, self.start, self.stop = n, delay, start, stop

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.start <= i < (self.n if self.stop is None else self.stop):
            time.sleep(self.delay)
        return i


class Unpicklable:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return lambda: i


class RangeMixin:
    """Iterable over range(start, end), split across workers as PyTorch's docs show."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = self._info()
        lo, hi = self.start, self.end
        if info is not None:
            per = int(math.ceil((hi - lo) / float(info.num_workers)))
            lo = lo + info.id * per
            hi = min(lo + per, self.end)
        return iter(range(lo, hi))

    def __len__(self):
        return self.end - self.start


def _ember_range():
    import ember.utils.data as d

    class EmberRange(RangeMixin, d.IterableDataset):
        def _info(self):
            return d.get_worker_info()
    EmberRange.__module__ = __name__
    EmberRange.__qualname__ = "EmberRange"
    return EmberRange


EmberRange = _ember_range()


def ember_worker_init(worker_id):
    """worker_init_fn: record the id and re-seed NumPy from the worker's seed."""
    import ember.utils.data as d
    info = d.get_worker_info()
    np.random.seed(info.seed % 2**32)
    os.environ["EMBER_TEST_WORKER_ID"] = str(worker_id)


def torch_worker_init(worker_id):
    import torch.utils.data as d
    info = d.get_worker_info()
    np.random.seed(info.seed % 2**32)
    os.environ["EMBER_TEST_WORKER_ID"] = str(worker_id)


class InitEcho:
    """Sample i: i, the id the worker_init_fn recorded and a NumPy draw."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return [i, int(os.environ.get("EMBER_TEST_WORKER_ID", -1)), float(np.random.rand())]


def bad_init(worker_id):
    raise ValueError(f"init failed in {worker_id}")
