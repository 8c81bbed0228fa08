"""ember.utils.data: datasets, samplers and the DataLoader (torch.utils.data's role)."""
from .dataset import (Dataset, IterableDataset, TensorDataset, ConcatDataset, ChainDataset,
                      Subset, StackDataset, random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,
                      WeightedRandomSampler, BatchSampler)
from .distributed import DistributedSampler
from .dataloader import DataLoader, get_worker_info, default_collate, default_convert
from ._utils.worker import WorkerInfo

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
           "Subset", "StackDataset", "random_split", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DistributedSampler", "DataLoader", "get_worker_info", "default_collate",
           "default_convert", "WorkerInfo"]
