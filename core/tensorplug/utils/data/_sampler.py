"""Samplers: the indices a ``DataLoader`` visits, as ``torch.utils.data``'s.

``generator`` is an int seed or a ``numpy.random.Generator``; by default each epoch's order
is drawn from tensorplug's generator, so ``tensorplug.manual_seed`` makes it reproducible. A
seed given once yields a different order every epoch, the sequence fixed by the seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

from ._sampling import _Permutations, _rng

T = TypeVar("T")


class Sampler(Generic[T]):
    """Base class: subclasses define ``__iter__`` (and ``__len__`` where they can)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        del data_source  # accepted as PyTorch accepts it, and unused as there

    def __iter__(self) -> Iterator[T]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class _Seeded:
    """Holds the generator of a random sampler: the given one, kept across epochs, or one
    freshly seeded from tensorplug's generator each epoch."""

    def __init__(self, generator: Any) -> None:
        self.generator = generator
        self._gen: _Permutations | None = None

    def _draws(self) -> Any:
        if self._gen is None or self.generator is None:
            self._gen = _rng(self.generator)
        return self._gen


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(_Seeded, Sampler[int]):
    """A random order of the indices (``num_samples`` of them: whole permutations one after
    the other), or ``num_samples`` independent draws with ``replacement``."""

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        if num_samples is not None:
            _positive("num_samples", num_samples)
        super().__init__(generator)
        self.data_source, self.replacement, self._num_samples = (
            data_source,
            replacement,
            num_samples,
        )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, gen = len(self.data_source), self._draws()
        if self.replacement:
            return iter([int(i) for i in gen.integers(0, n, self.num_samples)])
        order: list[int] = []
        while len(order) < self.num_samples:
            order += [int(i) for i in gen.permutation(n)]
        return iter(order[: self.num_samples])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_Seeded, Sampler[int]):
    """The given indices, in a new random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        super().__init__(generator)
        self.indices = indices

    def __iter__(self) -> Iterator[int]:
        return iter([self.indices[int(i)] for i in self._draws().permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(_Seeded, Sampler[int]):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Any = None,
    ) -> None:
        _positive("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        w: list[Any] = weights.tolist() if hasattr(weights, "tolist") else list(weights)
        if any(isinstance(x, (list, tuple)) for x in w):
            shape = (len(w), len(w[0]))
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {shape}"
            )
        w = [float(x) for x in w]
        if not replacement and num_samples > len(w):
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
            )
        super().__init__(generator)
        self.weights, self.num_samples, self.replacement = w, num_samples, replacement

    def __iter__(self) -> Iterator[int]:
        total = sum(self.weights)
        p = [x / total for x in self.weights]
        picks = self._draws().choice(len(p), self.num_samples, self.replacement, p)
        return iter([int(i) for i in picks])

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """The indices of ``sampler`` in lists of ``batch_size`` (the last one shorter unless
    ``drop_last``)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        _positive("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
