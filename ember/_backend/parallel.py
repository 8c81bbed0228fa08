"""Intra-op parallelism: split big elementwise work across threads.

NumPy runs one ufunc on one core; PyTorch spreads a large elementwise kernel
over all of its intra-op threads (``torch.get_num_threads()``, by default the
machine's cores or ``OMP_NUM_THREADS``).  NumPy ufuncs release the GIL while
they loop, so a few Python threads, each running the same sequence of ufuncs on
its own slice of the arrays, do the same here.  Only work of at least
``GRAIN`` elements is split: below that the hand-off costs more than it saves.

A process forked while the pool exists (DataLoader workers) gets a fresh,
empty pool: threads do not survive ``fork``.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

# Elements per thread, at least: waking a pool thread costs tens of microseconds,
# which a piece must outweigh (an Adam step does about 13 passes per element).
GRAIN = 1 << 17


def _default_threads():
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) > 0:
            return int(v)
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


_threads = _default_threads()
_pool = None
_lock = threading.Lock()


def get_num_threads():
    return _threads


def set_num_threads(n):
    global _threads, _pool
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    with _lock:
        _threads = n
        if _pool is not None:
            _pool.shutdown(wait=False)
            _pool = None


def _reset_after_fork():
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _get_pool():
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(_threads - 1, thread_name_prefix="ember-intraop")
    return _pool


def chunks(n, grain=GRAIN):
    """How many pieces ``n`` elements of work split into (1: run it inline), each at
    least ``grain`` elements: light per-element work needs a larger grain."""
    return max(1, min(_threads, n // grain))


def parallel_for(fn, n, grain=GRAIN):
    """Call ``fn(lo, hi)`` over a partition of ``range(n)``, in parallel when ``n`` is
    large; the caller's thread does the first piece.  Exceptions propagate."""
    k = chunks(n, grain)
    if k == 1 or threading.current_thread().name.startswith("ember-intraop"):
        fn(0, n)
        return
    bounds = [n * i // k for i in range(k + 1)]
    futures = [_get_pool().submit(fn, bounds[i], bounds[i + 1]) for i in range(1, k)]
    try:
        fn(bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()


def parallel_items(fn, n, item_size):
    """``parallel_for`` over ``n`` items (say, the images of a batch) of
    ``item_size`` elements each: a piece takes at least ``GRAIN`` elements."""
    parallel_for(fn, n, grain=max(1, GRAIN // max(item_size, 1)))
