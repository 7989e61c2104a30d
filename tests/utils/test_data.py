"""utils.data: datasets, batching, seeded shuffling, drop_last, collation."""

from __future__ import annotations

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split


def _flat(loader: DataLoader) -> list[int]:
    return [int(v) for batch in loader for v in batch[0].tolist()]


def test_tensor_dataset() -> None:
    x, y = tp.arange(12).reshape(6, 2), tp.arange(6) * 10
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[2]
    assert xi.tolist() == [4, 5] and yi.item() == 20
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(tp.ones(3), tp.ones(4))


def test_batches_in_order_and_drop_last() -> None:
    ds = TensorDataset(tp.arange(7), tp.arange(7) * 2)
    loader = DataLoader(ds, batch_size=3)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [b[0].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[0][1].tolist() == [0, 2, 4]
    dropped = DataLoader(ds, batch_size=3, drop_last=True)
    assert len(dropped) == 2 and [b[0].tolist() for b in dropped] == [[0, 1, 2], [3, 4, 5]]


def test_shuffle_is_a_permutation_and_seeded() -> None:
    ds = TensorDataset(tp.arange(20))
    a = DataLoader(ds, batch_size=4, shuffle=True, generator=7)
    b = DataLoader(ds, batch_size=4, shuffle=True, generator=7)
    e1, e2 = _flat(a), _flat(a)
    assert sorted(e1) == list(range(20)) and e1 != list(range(20))
    assert e1 != e2  # a new order every epoch...
    assert [e1, e2] == [_flat(b), _flat(b)]  # ...reproducibly
    tp.manual_seed(3)
    c = _flat(DataLoader(ds, batch_size=5, shuffle=True))
    tp.manual_seed(3)
    assert c == _flat(DataLoader(ds, batch_size=5, shuffle=True))
    gen = np.random.default_rng(0)
    assert sorted(_flat(DataLoader(ds, batch_size=6, shuffle=True, generator=gen))) == list(
        range(20)
    )


class Squares(Dataset):
    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int) -> tuple[tp.Tensor, int, dict[str, float]]:
        return tp.full((2,), float(i)), i * i, {"w": 0.5 * i}


def test_custom_dataset_default_collate() -> None:
    batches = list(DataLoader(Squares(), batch_size=2))
    x, y, d = batches[0]
    assert x.shape == (2, 2) and y.tolist() == [0, 1] and d["w"].tolist() == [0.0, 0.5]
    assert batches[-1][1].tolist() == [16]
    unbatched = list(DataLoader(Squares(), batch_size=None))
    assert unbatched[3][1] == 9
    custom = DataLoader(Squares(), batch_size=5, collate_fn=lambda items: len(items))
    assert list(custom) == [5]


def test_subset_and_random_split() -> None:
    ds = TensorDataset(tp.arange(10))
    a, b = random_split(ds, [7, 3], generator=0)
    assert len(a) == 7 and len(b) == 3
    seen = sorted(int(a[i][0].item()) for i in range(7)) + sorted(
        int(b[i][0].item()) for i in range(3)
    )
    assert sorted(seen) == list(range(10))
    assert Subset(ds, [4, 1])[1][0].item() == 1
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [5, 6])


def test_loader_errors() -> None:
    ds = TensorDataset(tp.arange(3))
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, shuffle=True, sampler=[0, 1])
    with pytest.raises(TypeError, match="generator must be"):
        list(DataLoader(ds, shuffle=True, generator="seed"))
    with pytest.raises(NotImplementedError, match="must define __len__"):
        len(Dataset())


def test_array_samples_are_stacked_with_their_dtype() -> None:
    class Arrays(Dataset):
        def __len__(self) -> int:
            return 3

        def __getitem__(self, i: int) -> np.ndarray:
            return np.full((2,), i, dtype=np.float64)

    (batch,) = list(DataLoader(Arrays(), batch_size=3))
    assert batch.dtype is tp.float64 and batch.tolist() == [[0, 0], [1, 1], [2, 2]]
