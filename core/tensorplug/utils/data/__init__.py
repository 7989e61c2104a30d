"""``tensorplug.utils.data``: data sets, collation and ``DataLoader``, as
``torch.utils.data``: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``,
``random_split``, ``default_collate``, ``DataLoader`` (with worker processes) and
``get_worker_info``."""

from ._collate import default_collate
from ._dataloader import DataLoader
from ._dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from ._worker import WorkerInfo, get_worker_info

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "WorkerInfo",
    "default_collate",
    "get_worker_info",
    "random_split",
]
