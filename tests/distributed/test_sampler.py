"""DistributedSampler against PyTorch's: the same index lists without shuffling, for many
(size, replicas, drop_last); with shuffling (NumPy's permutation, not PyTorch's randperm
stream) the properties PyTorch's has: the ranks' shares partition the padded data, each epoch
a new order, fixed by seed and epoch."""

from __future__ import annotations

import itertools

import pytest

from tensorplug.utils.data import DataLoader
from tensorplug.utils.data.distributed import DistributedSampler

CASES = list(itertools.product([0, 1, 3, 7, 10, 16, 33], [1, 2, 3, 4, 5], [False, True]))


@pytest.mark.parametrize(("n", "replicas", "drop_last"), CASES)
def test_unshuffled_shares_are_pytorchs(n: int, replicas: int, drop_last: bool) -> None:
    torch_data = pytest.importorskip("torch.utils.data.distributed")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(
            range(n), replicas, rank, shuffle=False, drop_last=drop_last
        )
        ours.set_epoch(3)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


@pytest.mark.parametrize(("n", "replicas", "drop_last"), CASES)
def test_shuffled_shares_partition_the_data(n: int, replicas: int, drop_last: bool) -> None:
    orders = []
    for epoch in (0, 1):
        shares = []
        for rank in range(replicas):
            s = DistributedSampler(range(n), replicas, rank, seed=7, drop_last=drop_last)
            s.set_epoch(epoch)
            shares.append(list(s))
            assert list(s) == shares[-1]  # fixed by seed and epoch
            assert len(shares[-1]) == len(s)
        flat = sorted(i for share in shares for i in share)
        if drop_last:
            assert len(set(flat)) == len(flat) == replicas * len(shares[0]) <= n
        else:
            assert set(flat) == set(range(n)) and len(flat) == replicas * len(shares[0])
        orders.append(shares)
    if n > 3:
        assert orders[0] != orders[1]


def test_errors_and_loader() -> None:
    with pytest.raises(
        ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    ):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="init_process_group"):
        DistributedSampler(range(4))
    loader = DataLoader(
        list(range(10)), batch_size=2, sampler=DistributedSampler(range(10), 2, 1, shuffle=False)
    )
    assert [b.tolist() for b in loader] == [[1, 3], [5, 7], [9]]
