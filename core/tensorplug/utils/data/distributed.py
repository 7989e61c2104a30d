"""``DistributedSampler``: each rank's share of a data set, as
``torch.utils.data.distributed.DistributedSampler``.

The same arithmetic as PyTorch's: ``num_samples = ceil(len / replicas)`` indices per rank
(``ceil((len - replicas) / replicas)`` with ``drop_last`` when it does not divide), the list
padded by repeating its start (or cut with ``drop_last``), and rank ``r`` taking every
``replicas``-th index from ``r``. Without ``shuffle`` the index lists are PyTorch's exactly;
with it, each epoch's permutation is drawn from Python's generator seeded with ``seed + epoch``
(as tensorplug's other seeded samplers; the same on every rank, so the shares partition the
data), not PyTorch's ``randperm`` stream, which another library cannot reproduce.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized
from typing import Any

from ._sampler import Sampler
from ._sampling import _SeededPermutations


class DistributedSampler(Sampler[int]):
    """Rank ``rank``'s indices of ``dataset`` among ``num_replicas`` (by default the
    default process group's rank and size); call ``set_epoch(e)`` before each epoch so that
    shuffled epochs differ.

    Example::

        >>> from tensorplug.utils.data.distributed import DistributedSampler
        >>> list(DistributedSampler(range(10), num_replicas=4, rank=1, shuffle=False))
        [1, 5, 9]
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_initialized():
                raise ValueError(
                    "Default process group has not been initialized, please make sure to call "
                    "init_process_group (or pass num_replicas and rank)."
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        indices: list[Any]
        if self.shuffle:
            indices = _SeededPermutations(self.seed + self.epoch).permutation(n)
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch, which seeds the shuffle with ``seed + epoch``."""
        self.epoch = epoch
