"""utils.data: datasets, batching, seeded shuffling, drop_last, collation."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)


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


# -- PyTorch's data utilities, compared with torch.utils.data ---------------------------------
_Point = namedtuple("_Point", "x y")


def _plain(obj: Any) -> Any:
    """A collated batch of either library as plain data: tensors as (dtype name, values)."""
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):
        return (str(obj.dtype).rsplit(".", 1)[-1], obj.tolist())
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        kind = type(obj).__name__ if not hasattr(obj, "_fields") else "namedtuple"
        return (kind, [_plain(v) for v in obj])
    return obj


_BATCHES: dict[str, Any] = {
    "ints": lambda lib: [1, 2, 3],
    "floats": lambda lib: [0.5, 1.5],
    "bools": lambda lib: [True, False],
    "tensors": lambda lib: [lib.ones(2), lib.zeros(2)],
    "int_tensors": lambda lib: [lib.tensor(3), lib.tensor(4)],
    "arrays": lambda lib: [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
    "numpy_scalars": lambda lib: [np.float64(1.0), np.float64(2.0)],
    "numpy_ints": lambda lib: [np.int32(1), np.int32(2)],
    "strings": lambda lib: ["a", "b"],
    "tuples": lambda lib: [(1, 2.0, "s"), (3, 4.0, "t")],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "dicts": lambda lib: [{"a": lib.ones(1), "b": [1, 2]}, {"a": lib.zeros(1), "b": [3, 4]}],
    "namedtuples": lambda lib: [_Point(1, [lib.ones(1)]), _Point(2, [lib.zeros(1)])],
    "nested": lambda lib: [{"p": (_Point(1.0, 2), {"q": [True]})}] * 2,
    "ragged": lambda lib: [[1], [1, 2]],
    "objects": lambda lib: [object(), object()],
    "string_arrays": lambda lib: [np.array(["a"]), np.array(["b"])],
}


def _collated(lib: Any, collate: Any, case: str) -> Any:
    try:
        return _plain(collate(_BATCHES[case](lib)))
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return type(e).__name__, str(e).replace("torch", "tensorplug")


@pytest.mark.parametrize("case", list(_BATCHES))
def test_default_collate_is_pytorchs(case: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    from torch.utils.data import default_collate as torch_collate

    expected = _collated(torch, torch_collate, case)
    assert _collated(tp, default_collate, case) == expected


_SAMPLES: dict[str, Any] = {
    "int": lambda lib: 3,
    "array": lambda lib: np.arange(3),
    "numpy_scalar": lambda lib: np.float32(2.5),
    "string_array": lambda lib: np.array(["a"]),
    "tensor": lambda lib: lib.ones(2),
    "tuple": lambda lib: (np.ones(2), 1, "s"),
    "dict": lambda lib: {"a": np.zeros(1), "b": [np.int64(4), 2.0]},
    "namedtuple": lambda lib: _Point(np.ones(1), (np.ones(1),)),
}


@pytest.mark.parametrize("case", list(_SAMPLES))
def test_default_convert_is_pytorchs(case: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    from torch.utils.data import default_convert as torch_convert

    def convert(lib: Any, fn: Any) -> Any:
        out = fn(_SAMPLES[case](lib))
        return _plain(out) if not isinstance(out, np.ndarray) else ("ndarray", out.tolist())

    assert convert(tp, default_convert) == convert(torch, torch_convert)
    unbatched = list(DataLoader(TensorDataset(tp.arange(2)), batch_size=None))
    assert isinstance(unbatched[0], list)  # a sample's tuple becomes a list, as in PyTorch


def test_concat_dataset() -> None:
    a, b = TensorDataset(tp.arange(3)), TensorDataset(tp.arange(10, 14))
    both = ConcatDataset([a, b])
    assert len(both) == 7 and both.cumulative_sizes == [3, 7]
    assert [int(both[i][0]) for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert int(both[-1][0]) == 13 and int(both[-7][0]) == 0
    assert len(a + b) == 7 and isinstance(a + b, ConcatDataset)
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        both[-8]
    with pytest.raises(IndexError):
        both[7]
    with pytest.raises(ValueError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    loader = DataLoader(both, batch_size=4)
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 10], [11, 12, 13]]


@pytest.mark.parametrize(
    ("n", "fractions"),
    [(10, [0.5, 0.3, 0.2]), (11, [0.34, 0.33, 0.33]), (7, [0.25, 0.75]), (3, [1.0])],
)
def test_random_split_by_fractions_as_pytorch(n: int, fractions: list[float]) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    ours = random_split(range(n), fractions, generator=1)
    theirs = torch.utils.data.random_split(range(n), fractions)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(x for s in ours for x in (s[i] for i in range(len(s)))) == list(range(n))


def test_random_split_errors_and_warnings() -> None:
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(1), [0.1, 0.9], generator=0)
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(range(5), [0.5, -0.5, 1.0])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(5), [0.5, 0.6])
    tp.manual_seed(5)
    first = [list(s.indices) for s in random_split(range(9), [3, 6])]
    tp.manual_seed(5)
    assert first == [list(s.indices) for s in random_split(range(9), [3, 6])]


def test_subset_takes_a_list_of_indices() -> None:
    sub = Subset(TensorDataset(tp.arange(10) * 2), [7, 3, 5])
    assert sub[[0, 2]][0].tolist() == [14, 10] and len(sub) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified"),
        ({"timeout": -1}, "timeout option should be non-negative"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
    ],
)
def test_loader_option_errors_are_pytorchs(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DataLoader(TensorDataset(tp.arange(4)), **kwargs)


def test_batch_sampler_gives_the_batches() -> None:
    loader = DataLoader(TensorDataset(tp.arange(6)), batch_sampler=[[5, 0], [1, 2, 3]])
    assert len(loader) == 2 and [b[0].tolist() for b in loader] == [[5, 0], [1, 2, 3]]


# -- samplers and iterable data sets ------------------------------------------------------------


def test_samplers() -> None:
    ds = range(7)
    assert list(SequentialSampler(ds)) == list(range(7)) and len(SequentialSampler(ds)) == 7
    rs = RandomSampler(ds, generator=3)
    first, second = list(rs), list(rs)
    assert sorted(first) == sorted(second) == list(range(7)) and first != second
    assert len(list(RandomSampler(ds, num_samples=16, generator=0))) == 16
    drawn = list(
        RandomSampler(ds, replacement=True, num_samples=50, generator=np.random.default_rng(1))
    )
    assert len(drawn) == 50 and set(drawn) <= set(range(7))
    assert sorted(SubsetRandomSampler([10, 20, 30], generator=1)) == [10, 20, 30]
    for gen in (2, np.random.default_rng(2)):
        picks = list(WeightedRandomSampler([0.0, 1.0, 3.0], 40, generator=gen))
        assert set(picks) == {1, 2} and picks.count(2) > picks.count(1)
        unique = list(
            WeightedRandomSampler([0.5, 0.0, 1.0, 2.0], 3, replacement=False, generator=gen)
        )
        assert sorted(unique) == [0, 2, 3]
    batches = BatchSampler(SequentialSampler(ds), 3, drop_last=False)
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6]] and len(batches) == 3
    assert len(BatchSampler(ds, 3, drop_last=True)) == 2
    loader = DataLoader(TensorDataset(tp.arange(7)), batch_size=3, shuffle=True)
    assert isinstance(loader.sampler, RandomSampler) and isinstance(
        loader.batch_sampler, BatchSampler
    )


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: BatchSampler([0], 0, False),
            ValueError,
            "batch_size should be a positive integer value, but got batch_size=0",
        ),
        (
            lambda: BatchSampler([0], 2, 1),
            ValueError,
            "drop_last should be a boolean value, but got drop_last=1",
        ),
        (
            lambda: RandomSampler(range(3), num_samples=0),
            ValueError,
            "num_samples should be a positive integer value, but got num_samples=0",
        ),
        (
            lambda: RandomSampler(range(3), replacement=1),
            TypeError,
            "replacement should be a boolean value, but got replacement=1",
        ),
        (
            lambda: WeightedRandomSampler([1.0, 2.0], 0),
            ValueError,
            "num_samples should be a positive integer value",
        ),
        (
            lambda: WeightedRandomSampler([[1.0, 2.0]], 2),
            ValueError,
            r"weights should be a 1d sequence but given weights have shape \(1, 2\)",
        ),
        (
            lambda: WeightedRandomSampler([1.0, 2.0], 3, replacement=False),
            RuntimeError,
            "cannot sample n_sample > prob_dist.size",
        ),
    ],
)
def test_sampler_errors_are_pytorchs(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


class Count(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Any:
        return iter(range(self.n))


def test_iterable_dataset_in_the_main_process() -> None:
    assert [b.tolist() for b in DataLoader(Count(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in DataLoader(Count(5), batch_size=2, drop_last=True)] == [
        [0, 1],
        [2, 3],
    ]
    assert list(DataLoader(Count(3), batch_size=None)) == [0, 1, 2]
    with pytest.raises(
        ValueError, match="expected unspecified shuffle option, but got shuffle=True"
    ):
        DataLoader(Count(3), shuffle=True)
    with pytest.raises(
        ValueError, match=r"expected unspecified sampler option, but got sampler=\[0\]"
    ):
        DataLoader(Count(3), sampler=[0])
    with pytest.raises(TypeError, match="has no len"):
        len(DataLoader(Count(3), batch_size=2))
