"""Fetchers: one batch (or one sample) from a dataset, in the main process or a worker."""
from ...._backend import np
from ...._tensor import _wrap
from ..dataset import TensorDataset, Subset
from .collate import default_collate


class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self._fast = auto_collation and collate_fn is default_collate and \
            _tensor_arrays(dataset) is not None

    def fetch(self, index):
        if self.auto_collation:
            if self._fast:
                batch = _gather(self.dataset, index)
                if batch is not None:
                    return batch
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if getitems else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = _MapDatasetFetcher if kind == "map" else _IterableDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


# --- the TensorDataset shortcut ------------------------------------------------------
# default_collate over TensorDataset samples stacks t[i] for each index, which is
# exactly t[indices]: one NumPy gather per tensor instead of a tensor per sample.
# Taken only where the result is identical: plain TensorDataset / Subset classes,
# integer indices in range, and no tensor that autograd would have to track.

def _tensor_arrays(dataset):
    while type(dataset) is Subset:
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    if any(t._requires_grad for t in dataset.tensors):
        return None
    return [t._data for t in dataset.tensors]


def _gather(dataset, index):
    while type(dataset) is Subset:
        sub = dataset.indices
        index = [sub[i] for i in index]  # raises just as Subset.__getitems__ would
        dataset = dataset.dataset
    arrays = _tensor_arrays(dataset)
    if arrays is None:
        return None
    try:
        idx = np.asarray(index)
    except Exception:
        return None
    if idx.dtype.kind not in "iu" or idx.ndim != 1 or idx.size == 0:
        return None
    n = arrays[0].shape[0]
    if idx.max() >= n or idx.min() < -n:
        return None  # the per-sample path raises PyTorch's IndexError
    return [_wrap(np.ascontiguousarray(a[idx])) for a in arrays]
