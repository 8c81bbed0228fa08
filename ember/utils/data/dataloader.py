"""DataLoader: batches from a dataset, in PyTorch's order, optionally in worker processes.

Order and seeds follow PyTorch exactly: creating an iterator draws the workers'
base seed from the loader's generator (or the global one); a RandomSampler
without a generator then draws its own seed from the global stream on the first
batch.  Worker ``i`` seeds ``random``, NumPy and ember from ``base_seed + i``.
"""
import itertools
import multiprocessing
import os
import queue
import signal
import time
import warnings
import weakref

from ... import _dtype as D
from .dataset import IterableDataset
from .sampler import SequentialSampler, RandomSampler, BatchSampler, Sampler
from ._utils.collate import default_collate, default_convert
from ._utils.worker import (get_worker_info, worker_loop, fetch, ExceptionWrapper,
                            IterableStop)

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

_STATUS_CHECK_INTERVAL = 1.0  # seconds between checks that workers are still alive


class _InfiniteConstantSampler(Sampler):
    def __iter__(self):
        while True:
            yield None


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 timeout=0, worker_init_fn=None, multiprocessing_context=None, generator=None,
                 *, prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler="
                                 f"{batch_sampler}")
        else:
            self._dataset_kind = "map"
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None
        self._warn_workers()

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _warn_workers(self):
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
            os.cpu_count()
        if cpus and self.num_workers > cpus:
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker processes in total. "
                f"Our suggested max number of worker in current system is {cpus}, which is "
                f"smaller than what this DataLoader is going to create. Please be aware that "
                f"excessive worker creation might get DataLoader running slow or even freeze, "
                f"lower the worker number to avoid potential slowness/freeze if necessary.",
                UserWarning, stacklevel=3)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __len__(self):
        if self._dataset_kind == "iterable":
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def check_worker_number_rationality(self):
        self._warn_workers()


class _BaseIter:
    def __init__(self, loader):
        from ..._creation import empty
        self._loader = loader
        self._dataset = loader.dataset
        self._kind = loader._dataset_kind
        self._auto = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(loader._index_sampler)
        self._base_seed = int(empty((), dtype=D.int64).random_(
            generator=loader.generator).item())
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _next_index(self):
        return next(self._sampler_iter)

    def __len__(self):
        return len(self._loader)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._state = {"batch_size": loader.batch_size, "drop_last": loader.drop_last}

    def _next_data(self):
        index = self._next_index()
        return fetch(self._dataset, self._kind, index, self._collate_fn, self._auto,
                     self._state)


class _Workers:
    """The processes and queues of one iterator; closing it leaves no child behind."""

    def __init__(self):
        self.processes, self.index_queues = [], []
        self.data_queue = None
        self.closed = False

    def close(self):
        if self.closed:
            return
        self.closed = True
        for q in self.index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 2.0
        for p in self.processes:
            p.join(timeout=max(0.0, deadline - time.monotonic()))
        for p in self.processes:
            if p.is_alive():
                p.terminate()
                p.join(timeout=2.0)
            if p.is_alive():  # pragma: no cover - terminate is enough on Linux
                p.kill()
                p.join()
        for q in self.index_queues + [self.data_queue]:
            if q is not None:
                q.cancel_join_thread()
                q.close()


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        n = loader.num_workers
        self._n = n
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor * n
        self._workers = _Workers()
        self._workers.data_queue = ctx.Queue()
        for wid in range(n):
            iq = ctx.Queue()
            iq.cancel_join_thread()
            p = ctx.Process(target=worker_loop, daemon=True, args=(
                self._kind, self._dataset, iq, self._workers.data_queue, self._collate_fn,
                self._auto, loader.batch_size, loader.drop_last, self._base_seed,
                loader.worker_init_fn, wid, n))
            p.start()
            self._workers.index_queues.append(iq)
            self._workers.processes.append(p)
        self._finalizer = weakref.finalize(self, self._workers.close)
        self._start_epoch()

    def _start_epoch(self):
        self._send_idx = self._rcvd_idx = 0
        self._task_info = {}
        self._active = [True] * self._n
        self._cycle = itertools.cycle(range(self._n))
        for _ in range(self._prefetch):
            self._try_put_index()

    def _reset(self, loader):
        self._sampler_iter = iter(loader._index_sampler)
        self._num_yielded = 0
        # drain what the last epoch left in flight, then tell workers to start over
        while self._rcvd_idx < self._send_idx:
            info = self._task_info.get(self._rcvd_idx)
            if info is not None and len(info) == 1 and self._active[info[0]]:
                idx, _ = self._get()
                if idx in self._task_info:
                    self._task_info[idx] += (None,)
            self._task_info.pop(self._rcvd_idx, None)
            self._rcvd_idx += 1
        for q in self._workers.index_queues:
            q.put((-1, "reset"))
        self._start_epoch()

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._n):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        self._workers.index_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._send_idx += 1

    def _get(self):
        start = time.monotonic()
        while True:
            wait = _STATUS_CHECK_INTERVAL
            if self._timeout > 0:
                wait = min(wait, max(0.0, self._timeout - (time.monotonic() - start)))
            try:
                return self._workers.data_queue.get(timeout=wait)
            except queue.Empty:
                pass
            if self._timeout > 0 and time.monotonic() - start >= self._timeout:
                self._shutdown()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            for p in self._workers.processes:
                if not p.is_alive():
                    code = p.exitcode
                    self._shutdown()
                    if code is not None and code < 0:
                        raise RuntimeError(
                            f"DataLoader worker (pid {p.pid}) is killed by signal: "
                            f"{signal.strsignal(-code)}. ")
                    raise RuntimeError(f"DataLoader worker (pid(s) {p.pid}) exited "
                                       "unexpectedly")

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._loader.persistent_workers:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            idx, data = self._get()
            if isinstance(data, IterableStop):
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if idx == "reset" or idx < 0 or idx not in self._task_info:
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
                continue
            del self._task_info[idx]
            self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            self._shutdown()
            data.reraise()
        return data

    def _shutdown(self):
        self._finalizer()

    def __del__(self):
        self._finalizer()
