"""The worker process: seeded as PyTorch seeds it, fetching batches, reporting errors."""
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

from ...._backend import np
from .fetch import create_fetcher
from .transport import Sender

# How often (seconds) a waiting worker checks that the main process still exists.
MP_STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker."""
    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


def get_worker_info():
    """In a worker: its id, the worker count, its seed and its dataset copy; else None."""
    return _worker_info


def numpy_seed(base_seed, worker_id):
    """NumPy's seed for a worker.  PyTorch hashes (worker_id, base_seed) into four
    32-bit words with the SeedSequence algorithm, so NumPy's SeedSequence gives them."""
    words = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32]
    return np.random.SeedSequence(words).generate_state(4)


class ExceptionWrapper:
    """An exception carried to the main process as its type and traceback text."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class KeyErrorMessage(str):
    """KeyError shows repr() of its argument; this keeps the traceback text readable."""

    def __repr__(self):
        return self


@dataclass(frozen=True)
class IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Persistent workers: start a new epoch (echoed back once the worker has)."""


def worker_loop(kind, dataset, index_queue, result_conn, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    global _worker_info
    sender = None
    try:
        from ...._ops.random_ops import manual_seed
        from ...._backend.parallel import set_num_threads
        set_num_threads(1)  # as PyTorch does: the workers together already fill the cores
        seed = base_seed + worker_id
        random.seed(seed)
        manual_seed(seed)
        np.random.seed(numpy_seed(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        sender = Sender(result_conn.fileno())
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        parent = os.getppid()
        while True:
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:  # the main process is gone: do not linger
                    break
                continue
            if isinstance(r, ResumeIteration):
                sender.send((r, None))
                iteration_end = False
                fetcher = create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and kind == "iterable":
                        data = IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
            try:
                sender.send((idx, data))
            except Exception:  # e.g. an unpicklable sample: report it, do not hang
                sender.send((idx, ExceptionWrapper(
                    where=f"in DataLoader worker process {worker_id}")))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches every process of the group; the main process cleans up
    finally:
        _worker_info = None
        if sender is not None:
            sender.close()
