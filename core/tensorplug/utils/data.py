"""``tensorplug.utils.data``: ``Dataset``, ``TensorDataset`` and ``DataLoader``.

A ``DataLoader`` over a ``TensorDataset`` gathers each batch with one indexing op per tensor
(not one per sample), so small-data training loops stay fast.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar

from .._creation import randint, tensor
from .._generator import Generator
from .._ops_shape import stack
from .._tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "default_collate", "random_split"]

T = TypeVar("T")


class Dataset(Generic[T]):
    """A map-style data set: subclasses define ``__getitem__(index)`` and ``__len__``."""

    def __getitem__(self, index: int) -> T:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


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
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset[T], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index: int) -> T:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class _Permutations(Protocol):
    """What shuffling needs of a generator: ``numpy.random.Generator`` has it."""

    def permutation(self, n: int) -> Any: ...


class _SeededPermutations:
    """Random orders of ``range(n)`` from Python's generator, seeded once: each call a new
    order, the sequence of orders fixed by the seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def permutation(self, n: int) -> list[int]:
        order = list(range(n))
        self._random.shuffle(order)
        return order


def _rng(generator: Any) -> _Permutations:
    """A source of permutations from an int seed or a generator with ``permutation(n)``
    (``numpy.random.Generator``); by default seeded from tensorplug's generator, so
    ``tensorplug.manual_seed`` makes shuffling reproducible."""
    if callable(getattr(generator, "permutation", None)):
        return generator  # type: ignore[no-any-return]
    if isinstance(generator, Generator):  # a seed for the orders, drawn from its stream
        generator = int(randint(0, 2**62, (), generator=generator).item())
    if generator is None:
        generator = int(randint(0, 2**62, ()).item())
    if isinstance(generator, bool) or not isinstance(generator, int):
        raise TypeError(
            f"generator must be an int seed or a numpy.random.Generator, got "
            f"{type(generator).__name__}"
        )
    return _SeededPermutations(generator)


def _order(gen: _Permutations, n: int) -> list[int]:
    return [int(i) for i in gen.permutation(n)]


def random_split(
    dataset: Dataset[T], lengths: Sequence[int], generator: Any = None
) -> list[Subset[T]]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths."""
    n = len(dataset)
    if sum(lengths) != n:
        raise ValueError(
            f"Sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({n})"
        )
    perm = _order(_rng(generator), n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start : start + length]))
        start += length
    return out


def default_collate(batch: list[Any]) -> Any:
    """Stack tensors, turn numbers into a tensor, and recurse into tuples, lists and dicts."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, (bool, int, float)):
        return tensor(batch)
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        return (
            type(first)(default_collate(list(items)) for items in zip(*batch))
            if (isinstance(first, list) or type(first) is tuple)
            else type(first)(*(default_collate(list(items)) for items in zip(*batch)))
        )
    if hasattr(first, "__array__"):  # NumPy arrays, or any other library's
        return stack([tensor(b) for b in batch])
    return batch


class DataLoader(Generic[T]):
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style ``Dataset`` (anything with ``__getitem__`` and ``__len__``).
        batch_size: samples per batch (``None``: yield single samples, not collated).
        shuffle: draw a new permutation every epoch.
        generator: a ``tp.Generator``, an int seed or ``numpy.random.Generator`` for
            shuffling; by default the
            order follows ``tensorplug.manual_seed``.
        drop_last: drop the final batch if it is smaller than ``batch_size``.
        collate_fn: merges a list of samples into a batch (``default_collate``).

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
        shuffle: bool = False,
        sampler: Any = None,
        *,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        drop_last: bool = False,
        generator: Any = None,
        num_workers: int = 0,
    ) -> None:
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0
        ):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if num_workers:
            raise ValueError("num_workers > 0 is not supported: batches are gathered in-process")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = generator
        self._gen: _Permutations | None = None

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> list[int]:
        if self.sampler is not None:
            return list(self.sampler)
        n = len(self.dataset)
        if not self.shuffle:
            return list(range(n))
        if self._gen is None or self.generator is None:
            # A seed given once yields a different permutation each epoch, reproducibly.
            self._gen = _rng(self.generator)
        return _order(self._gen, n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield self.dataset[i]
            return
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        bs = self.batch_size
        stop = len(order) - len(order) % bs if self.drop_last else len(order)
        for start in range(0, stop, bs):
            idx = order[start : start + bs]
            if fast:
                tensors = self.dataset.tensors  # type: ignore[attr-defined]
                rows = tensor(idx, dtype="int64", backend=tensors[0]._backend)
                yield tuple(t[rows] for t in tensors)
            else:
                collate = self.collate_fn or default_collate
                yield collate([self.dataset[i] for i in idx])
