"""``DataLoader``: batches from a data set, in the main process or in worker processes.

A ``DataLoader`` over a ``TensorDataset`` gathers each batch with one indexing op per tensor
(not one per sample), so small-data training loops stay fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from ..._creation import tensor
from ._collate import default_collate, default_convert
from ._dataset import Dataset, IterableDataset, TensorDataset
from ._sampler import BatchSampler, RandomSampler, SequentialSampler
from ._sampling import _seed_from
from ._worker import WorkerDone

T = TypeVar("T")


def _check_workers(
    num_workers: int, prefetch_factor: int | None, persistent: bool, timeout: float
) -> None:
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            "multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing.let num_workers "
            "> 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 1:
        raise ValueError(f"prefetch_factor should be a positive integer, got {prefetch_factor}")
    if persistent and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_iterable(shuffle: Any, sampler: Any, batch_sampler: Any) -> None:
    """An ``IterableDataset`` yields its own order: no option may choose one."""
    for name, value in (("shuffle", shuffle), ("sampler", sampler)):
        if value not in (None, False):
            raise ValueError(
                f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                f"{name}={value}"
            )
    if batch_sampler is not None:
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
            f"got batch_sampler={batch_sampler}"
        )


class _Fetch:
    """Makes a batch: from the samples at some indices, or (``indices`` None) from the next
    samples of an ``IterableDataset``, ``WorkerDone`` when it has none. What the main process
    or a worker runs per batch (a class, not a closure, so that workers can be spawned)."""

    def __init__(self, loader: DataLoader[Any]) -> None:
        self.collate_fn, self.batch_size = loader.collate_fn, loader.batch_size
        self.batched = loader.batch_size is not None or loader.batch_sampler is not None
        self.drop_last = loader.drop_last
        self._epoch, self._samples = -1, iter(())

    def __call__(self, dataset: Any, indices: Any, epoch: int = 0) -> Any:
        if indices is None:
            return self._next(dataset, epoch)
        if not self.batched:
            return (self.collate_fn or default_convert)(dataset[indices])
        if isinstance(dataset, TensorDataset) and self.collate_fn is None:
            tensors = dataset.tensors
            rows = tensor(list(indices), dtype="int64", backend=tensors[0]._backend)
            return tuple(t[rows] for t in tensors)
        return (self.collate_fn or default_collate)([dataset[i] for i in indices])

    def _next(self, dataset: Any, epoch: int) -> Any:
        if epoch != self._epoch:
            self._epoch, self._samples = epoch, iter(dataset)
        items = list(itertools.islice(self._samples, self.batch_size or 1))
        if not items or (self.batch_size and len(items) < self.batch_size and self.drop_last):
            self._samples = iter(())
            return WorkerDone()
        if not self.batched:
            return (self.collate_fn or default_convert)(items[0])
        return (self.collate_fn or default_collate)(items)


class DataLoader(Generic[T]):
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style ``Dataset`` (``__getitem__`` and ``__len__``) or an
            ``IterableDataset`` (``__iter__``; each worker iterates its own copy).
        batch_size: samples per batch (``None``: yield single samples, not collated).
        shuffle: draw a new permutation every epoch (a ``RandomSampler``).
        sampler: the indices to visit, in order (excludes ``shuffle``).
        batch_sampler: lists of indices, one per batch (excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: worker processes that load batches (0: the main process).
        collate_fn: merges a list of samples into a batch (``default_collate``).
        pin_memory: accepted for PyTorch code; host memory is not pinned.
        drop_last: drop the final batch if it is smaller than ``batch_size``.
        timeout: seconds to wait for a worker's batch (0: forever, but a dead worker is
            always an error).
        worker_init_fn: called with the worker id in each worker, after seeding.
        multiprocessing_context: a ``multiprocessing`` start method or context.
        generator: a ``tp.Generator``, an int seed or ``numpy.random.Generator`` for
            shuffling and the workers' seeds; by default they follow
            ``tensorplug.manual_seed``.
        prefetch_factor: batches loaded ahead per worker (2 with workers).
        persistent_workers: keep the workers between epochs.
        pin_memory_device: accepted for PyTorch code, as ``pin_memory``.
        in_order: with workers, ``False`` yields each batch as soon as it is ready.

    In worker ``i`` Python's ``random``, NumPy's global generator and tensorplug's generators
    are seeded with ``base_seed + i``, ``base_seed`` new per epoch (``get_worker_info().seed``).

    Example:
        >>> import tensorplug as tp
        >>> from tensorplug.utils.data import DataLoader, TensorDataset
        >>> loader = DataLoader(TensorDataset(tp.arange(5)), batch_size=2)
        >>> [b[0].tolist() for b in loader]
        [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset: Dataset[T],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[Any] | None = None,
        batch_sampler: Iterable[Any] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0
        ):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        _check_workers(num_workers, prefetch_factor, persistent_workers, timeout)
        if isinstance(dataset, IterableDataset):
            _check_iterable(shuffle, sampler, batch_sampler)
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
        elif not isinstance(dataset, IterableDataset):
            if sampler is None:
                sampler = (
                    RandomSampler(dataset, generator=generator)
                    if shuffle
                    else SequentialSampler(dataset)
                )
            if batch_size is not None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.collate_fn, self.generator = collate_fn, generator
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.num_workers, self.timeout, self.in_order = num_workers, timeout, in_order
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None else 2
        self.persistent_workers = persistent_workers
        self._pool: Any = None

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        if self.sampler is not None:
            return len(self.sampler)  # type: ignore[arg-type]
        n = len(self.dataset)  # an IterableDataset: its length if it has one
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _tasks(self) -> Iterator[Any]:
        """Per batch: its indices (one index without batching; None from an iterable)."""
        if isinstance(self.dataset, IterableDataset):
            return itertools.repeat(None)
        return iter(self.batch_sampler if self.batch_sampler is not None else self.sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        fetch = _Fetch(self)
        if not self.num_workers:
            batches = (fetch(self.dataset, indices) for indices in self._tasks())
            return itertools.takewhile(lambda b: not isinstance(b, WorkerDone), batches)
        from ._multiprocess import WorkerPool, iterate

        if self._pool is None or not self.persistent_workers or self._pool.closed:
            self._pool = WorkerPool(self, fetch, _seed_from(self.generator))
        return iterate(self._pool, self._tasks(), self)
