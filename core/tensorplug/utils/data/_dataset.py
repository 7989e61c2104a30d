"""Map-style data sets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset`` and
``random_split``, as ``torch.utils.data`` has them."""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from ..._tensor import Tensor
from ._sampling import _order, _rng

T = TypeVar("T")


class Dataset(Generic[T]):
    """A map-style data set: subclasses define ``__getitem__(index)`` and ``__len__``;
    ``a + b`` is their ``ConcatDataset``."""

    def __getitem__(self, index: int) -> T:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset[T]) -> ConcatDataset[T]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T]):
    """A data set read as a stream: subclasses define ``__iter__``. With worker processes
    each worker iterates its own copy; split the work with ``get_worker_info()``.

    Example:
        >>> from tensorplug.utils.data import DataLoader, IterableDataset
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(5))
        >>> [b.tolist() for b in DataLoader(Count(), batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __iter__(self) -> Iterator[T]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __getitem__(self, index: int) -> T:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it cannot be indexed")

    def __len__(self) -> int:
        raise TypeError(f"object of type {type(self).__name__!r} has no len()")


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are the ``i``-th rows of each tensor (all must share their first dim).

    Example:
        >>> import tensorplug as tp
        >>> from tensorplug.utils.data import TensorDataset
        >>> ds = TensorDataset(tp.arange(6).reshape(3, 2), tp.tensor([0, 1, 0]))
        >>> len(ds), ds[1]
        (3, (tensor([2, 3]), tensor(1)))
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"Size mismatch between tensors: first dims are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset[T]):
    """The samples of ``dataset`` at ``indices`` (a list index picks several, as PyTorch)."""

    def __init__(self, dataset: Dataset[T], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]  # type: ignore[index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T]):
    """The samples of several data sets one after the other.

    Example:
        >>> from tensorplug.utils.data import ConcatDataset
        >>> both = ConcatDataset([[1, 2], [3, 4, 5]])
        >>> len(both), both[2], both.cumulative_sizes
        (5, 3, [2, 5])
    """

    def __init__(self, datasets: Iterable[Dataset[T]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes: list[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        if which == len(self.datasets):
            raise IndexError(f"index {index} is out of range for a dataset of length {len(self)}")
        return self.datasets[which][index - start]


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """``lengths`` as sample counts: fractions summing to 1 become ``floor(n * f)`` each, the
    remainder handed out one at a time from the first (PyTorch's rule)."""
    if not (math.isclose(sum(lengths), 1) and sum(lengths) <= 1):
        return [int(k) for k in lengths]
    counts = []
    for i, frac in enumerate(lengths):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        counts.append(math.floor(n * frac))
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, k in enumerate(counts):
        if k == 0:
            warnings.warn(
                f"Length of split at index {i} is 0. This might result in an empty dataset.",
                stacklevel=3,
            )
    return counts


def random_split(
    dataset: Dataset[T], lengths: Sequence[float], generator: Any = None
) -> list[Subset[T]]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths, or of the
    given fractions of its length when they sum to 1.

    ``generator``: an int seed or a ``numpy.random.Generator``; by default the split follows
    ``tensorplug.manual_seed``.

    Example:
        >>> from tensorplug.utils.data import random_split
        >>> [len(s) for s in random_split(range(10), [0.5, 0.3, 0.2], generator=0)]
        [5, 3, 2]
    """
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    if sum(counts) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _order(_rng(generator), n)
    out, start = [], 0
    for k in counts:
        out.append(Subset(dataset, perm[start : start + k]))
        start += k
    return out
