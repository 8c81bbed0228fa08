"""The worker process loop: seeding as PyTorch does, fetching, reporting errors."""
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

from ...._backend import np

_worker_info = None


@dataclass
class WorkerInfo:
    id: int
    num_workers: int
    seed: int
    dataset: object

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


def get_worker_info():
    """In a worker: its id, the worker count, its seed and its dataset copy; else None."""
    return _worker_info


def numpy_seed_state(base_seed, worker_id):
    """NumPy's seed for a worker: PyTorch mixes (worker_id, base_seed) the way NumPy's
    SeedSequence does, so SeedSequence itself gives the identical four words."""
    words = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32]
    return np.random.SeedSequence(words).generate_state(4)


class ExceptionWrapper:
    """An exception from a worker, carried to the main process with its traceback."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self):  # KeyError would show its message quoted otherwise
        return self


class IterableStop:
    """Sent by a worker whose IterableDataset ran out."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


def fetch(dataset, kind, indices, collate_fn, auto_collation, state):
    if kind == "map":
        if auto_collation:
            getitems = getattr(dataset, "__getitems__", None)
            data = getitems(indices) if callable(getitems) else [dataset[i] for i in indices]
        else:
            data = dataset[indices]
        return collate_fn(data)
    it = state.setdefault("iter", None)
    if it is None:
        it = state["iter"] = iter(dataset)
    if auto_collation:
        data = []
        for _ in range(state["batch_size"]):
            try:
                data.append(next(it))
            except StopIteration:
                state["ended"] = True
                break
        if not data or (state.get("ended") and state["drop_last"]
                        and len(data) < state["batch_size"]):
            raise StopIteration
        return collate_fn(data)
    return collate_fn(next(it))


def worker_loop(kind, dataset, index_queue, data_queue, collate_fn, auto_collation,
                batch_size, drop_last, base_seed, init_fn, worker_id, num_workers):
    global _worker_info
    try:
        from .... import _ops  # noqa: F401
        from ...._ops.random_ops import manual_seed
        seed = base_seed + worker_id
        random.seed(seed)
        manual_seed(seed)
        np.random.seed(numpy_seed_state(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
        except Exception:
            init_error = ExceptionWrapper(sys.exc_info(),
                                          f"in DataLoader worker process {worker_id}")
        state = {"batch_size": batch_size, "drop_last": drop_last}
        parent = os.getppid()
        while True:
            try:
                task = index_queue.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent:  # the main process died: do not linger
                    return
                continue
            if task is None:
                return
            idx, indices = task
            if isinstance(indices, str) and indices == "reset":  # persistent workers: new epoch
                state = {"batch_size": batch_size, "drop_last": drop_last}
                continue
            if init_error is not None:
                data_queue.put((idx, init_error))
                init_error = None
                continue
            try:
                data = fetch(dataset, kind, indices, collate_fn, auto_collation, state)
            except StopIteration:
                data = IterableStop(worker_id)
            except Exception:
                data = ExceptionWrapper(sys.exc_info(),
                                        f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data
    except KeyboardInterrupt:
        pass
