"""DataLoader(num_workers=N): batches, seeds, worker info, errors and dead workers, as PyTorch.

Kept quick: tiny data sets, two workers, fork (the Linux default) except for one spawn test.
"""

from __future__ import annotations

import os
import pickle
import random
import time
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    get_worker_info,
)

# JAX, once another test in this process has imported it (tests/core/test_view_strides.py runs
# views on the jax backend where it is installed), warns at every fork that its threads may
# deadlock the child; these workers never touch JAX.
pytestmark = pytest.mark.filterwarnings(r"ignore:os\.fork\(\) was called:RuntimeWarning")


class Samples(Dataset):
    """Sample ``i``: a float tensor, an int and a dict, or a failure at ``fail_at``."""

    def __init__(self, n: int = 10, fail_at: int = -1, exit_at: int = -1) -> None:
        self.n, self.fail_at, self.exit_at, self.offset = n, fail_at, exit_at, 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if i == self.fail_at:
            raise KeyError(f"no sample {i}")
        if i == self.exit_at:
            os._exit(3)  # a worker that dies without a word
        return tp.full((2,), float(i)), i + self.offset, {"even": i % 2 == 0}


class WhoAmI(Dataset):
    """Each sample says which worker made it, with what seed, and a draw of each generator."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> Any:
        info = get_worker_info()
        assert info is not None and info.dataset is self  # its copy, in this process
        draws = (random.random(), float(np.random.rand()), float(tp.rand(())))
        return {
            "id": info.id,
            "n": info.num_workers,
            "seed": info.seed,
            "pid": os.getpid(),
            "draws": draws,
        }


class Slow(Dataset):
    """``n`` samples, each taking ``seconds`` to load."""

    def __init__(self, n: int, seconds: float) -> None:
        self.n, self.seconds = n, seconds

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        time.sleep(self.seconds)
        return i


def _plain(batches: list[Any]) -> list[Any]:
    return [(x.tolist(), x.dtype, y.tolist(), d["even"].tolist()) for x, y, d in batches]


def test_workers_give_the_same_batches_in_order() -> None:
    ds = Samples()
    alone = _plain(list(DataLoader(ds, batch_size=3)))
    assert _plain(list(DataLoader(ds, batch_size=3, num_workers=2))) == alone
    shuffled = [
        DataLoader(ds, batch_size=4, shuffle=True, generator=3, num_workers=w) for w in (0, 2)
    ]
    assert _plain(list(shuffled[0])) == _plain(list(shuffled[1]))
    tensors = TensorDataset(tp.arange(7), tp.tensor([True, False] * 3 + [True]))
    got = list(DataLoader(tensors, batch_size=2, num_workers=2, prefetch_factor=1))
    assert [(a.tolist(), b.dtype) for a, b in got][-1] == ([6], tp.bool)
    anyhow = DataLoader(ds, batch_size=3, num_workers=2, in_order=False, pin_memory=True)
    assert sorted(_plain(list(anyhow))) == sorted(alone)
    unbatched = list(DataLoader(ds, batch_size=None, num_workers=2))
    assert len(unbatched) == 10 and unbatched[4][1] == 4


def test_worker_info_seeds_and_init_fn() -> None:
    assert get_worker_info() is None
    tp.manual_seed(0)
    first = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2))
    assert [s["id"] for s in first] == [0, 1, 0, 1] and {s["n"] for s in first} == {2}
    assert first[1]["seed"] == first[0]["seed"] + 1
    assert first[0]["draws"] != first[1]["draws"]  # every generator seeded per worker
    tp.manual_seed(0)
    again = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2))
    assert [s["draws"] for s in again] == [s["draws"] for s in first]  # reproducibly

    def init(worker_id: int) -> None:
        get_worker_info().dataset.offset = 100 * (worker_id + 1)

    batches = list(DataLoader(Samples(4), batch_size=1, num_workers=2, worker_init_fn=init))
    assert [int(y) for _, y, _ in batches] == [100, 201, 102, 203]


def test_an_error_in_a_worker_is_raised_with_its_traceback() -> None:
    loader = DataLoader(Samples(fail_at=5), batch_size=2, num_workers=2)
    with pytest.raises(KeyError) as info:
        list(loader)
    message = info.value.args[0]
    assert message.startswith("Caught KeyError in DataLoader worker process 0.\nOriginal Trace")
    assert 'raise KeyError(f"no sample {i}")' in message and "KeyError: 'no sample 5'" in message

    def failing_init(worker_id: int) -> None:
        raise ValueError(f"cannot start {worker_id}")

    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 0"):
        list(DataLoader(Samples(), num_workers=2, worker_init_fn=failing_init))


def test_a_dead_worker_is_an_error_not_a_hang() -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexp"):
        list(DataLoader(Samples(exit_at=3), batch_size=1, num_workers=2))
    assert time.monotonic() - start < 5


def test_timeout_waiting_for_a_worker() -> None:
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.2 seconds"):
        list(DataLoader(Slow(2, 1.0), num_workers=1, timeout=0.2))


def test_persistent_workers_serve_every_epoch() -> None:
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, persistent_workers=True)
    pids = {s["pid"] for s in loader}
    sample = next(iter(loader))  # an epoch left unfinished...
    assert {s["pid"] for s in loader} == pids  # ...leaves the next one whole, same workers
    assert [s["id"] for s in loader] == [0, 1, 0, 1]
    fresh = DataLoader(WhoAmI(), batch_size=None, num_workers=2)
    assert {s["pid"] for s in fresh}.isdisjoint({s["pid"] for s in fresh})
    assert os.getpid() not in pids and sample["n"] == 2


def test_spawned_workers_receive_tensors() -> None:
    """With ``spawn`` the data set itself is pickled to the workers: tensors cross through
    multiprocessing's pickler, while plain ``pickle`` still refuses them."""
    ds = TensorDataset(tp.arange(6, dtype=tp.float64), tp.arange(6))
    loader = DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="spawn")
    assert [(x.tolist(), x.dtype, y.tolist()) for x, y in loader] == [
        ([0.0, 1.0, 2.0, 3.0], tp.float64, [0, 1, 2, 3]),
        ([4.0, 5.0], tp.float64, [4, 5]),
    ]
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(tp.ones(2))


class Shards(IterableDataset):
    """Worker ``i`` of ``n`` yields ``i, i + n, ...`` below ``stop``; the whole range alone."""

    def __init__(self, stop: int) -> None:
        self.stop = stop

    def __iter__(self) -> Any:
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.stop, step))


def test_an_iterable_dataset_is_split_by_the_workers() -> None:
    loader = DataLoader(Shards(7), batch_size=2, num_workers=2)
    # worker 0: [0, 2], [4, 6]; worker 1: [1, 3], [5]; batches in turn, as PyTorch yields them
    assert [b.tolist() for b in loader] == [[0, 2], [1, 3], [4, 6], [5]]
    assert sorted(int(x) for x in DataLoader(Shards(5), batch_size=None, num_workers=2)) == [
        0, 1, 2, 3, 4,
    ]  # fmt: skip
    persistent = DataLoader(Shards(6), batch_size=3, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in persistent] == [b.tolist() for b in persistent]


def test_leaving_an_epoch_early_skips_the_batches_queued() -> None:
    loader = DataLoader(Slow(40, 0.3), num_workers=2, prefetch_factor=10)
    start = time.monotonic()
    for _ in loader:
        break  # 20 batches were queued: the workers skip them instead of loading them
    assert time.monotonic() - start < 2.5
    persistent = DataLoader(
        Slow(40, 0.3), num_workers=2, prefetch_factor=10, persistent_workers=True
    )
    next(iter(persistent))
    start = time.monotonic()
    assert int(next(iter(persistent))) == 0  # the next epoch does not wait for the last one's
    assert time.monotonic() - start < 2.5


def test_persistent_workers_are_replaced_after_one_died() -> None:
    ds = Samples(4, exit_at=1)
    loader = DataLoader(ds, num_workers=2, persistent_workers=True)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(loader)
    ds.exit_at = -1  # the new workers get the data set as it is now
    assert len(list(loader)) == 4
