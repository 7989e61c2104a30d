"""``DataLoader``'s worker processes: the loop each runs, what it knows about itself
(``get_worker_info``), how its errors and tensors reach the main process.

Each worker takes ``(epoch, batch number, indices)`` tasks from its own queue and puts
``(epoch, batch number, batch)`` on one result queue shared by all; the main process keeps the
batches in order. A worker's exception travels as an ``ExceptionWrapper`` holding its
traceback's text and is raised again in the main process. Tensors cross the process boundary
through ``multiprocessing``'s own pickler only (a reducer registered for it; plain ``pickle``
still refuses them, see ``Tensor.__reduce_ex__``): their host data, dtype and device.
"""

from __future__ import annotations

import functools
import os
import queue
import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

from ..._creation import as_tensor, manual_seed
from ..._tensor import Tensor

# How often a waiting worker checks that the main process still lives.
_PARENT_CHECK_S = 5.0


class WorkerDone:
    """A worker's answer when its copy of an ``IterableDataset`` has no more batches."""


@dataclass(frozen=True)
class WorkerInfo:
    """Inside a worker: its ``id`` (0 to ``num_workers - 1``), ``num_workers``, the ``seed``
    its random generators got, and its own copy of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """This worker's ``WorkerInfo``; ``None`` in the main process.

    Example:
        >>> from tensorplug.utils.data import get_worker_info
        >>> get_worker_info() is None  # not in a worker
        True
    """
    return _info


class ExceptionWrapper:
    """An exception caught in a worker, with its traceback's text, to raise again in the main
    process (as PyTorch's, with the same message)."""

    def __init__(self, where: str) -> None:
        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None
        self.exc_type = exc_type
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, tb))

    def reraise(self) -> None:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.text}"
        try:
            exception = self.exc_type(msg)
        except Exception:  # noqa: BLE001 - a type not made from one message: PyTorch's fallback
            raise RuntimeError(msg) from None
        raise exception


def _rebuild_tensor(host: Any, dtype: str, device: str, backend: str) -> Tensor:
    return as_tensor(host, dtype=dtype, device=device, backend=backend)


def _reduce_tensor(t: Tensor) -> tuple[Callable[..., Tensor], tuple[Any, ...]]:
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries.  If you just want to transfer the "
            "data, call detach() on the tensor before serializing (e.g., putting it on the queue)."
        )
    host = t.detach().numpy()
    return _rebuild_tensor, (host, t.dtype.name, str(t.device), t._backend.name)


ForkingPickler.register(Tensor, _reduce_tensor)


def _seed_worker(seed: int) -> None:
    """Seed Python's, tensorplug's and NumPy's global generators, each worker differently."""
    random.seed(seed)
    manual_seed(seed)
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed(np.random.SeedSequence(seed).generate_state(4))


def _parent_gone(parent: int) -> bool:
    return os.getppid() != parent


def worker_loop(
    dataset: Any,
    fetch: Callable[[Any, Any, int], Any],
    tasks: Any,
    results: Any,
    info: tuple[int, int, int],
    init_fn: Callable[[int], None] | None,
    current: Any = None,
) -> None:
    """Run in worker ``info[0]`` of ``info[1]`` with seed ``info[2]``: answer tasks until
    ``None`` arrives or the main process is gone. Tasks of an epoch before ``current.value``
    (a shared number the main process raises when it leaves an epoch) are skipped."""
    global _info
    worker_id, num_workers, seed = info
    where = f"in DataLoader worker process {worker_id}"
    parent = os.getppid()
    _info = WorkerInfo(worker_id, num_workers, seed, dataset)
    _seed_worker(seed)
    init_error = None
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except Exception:  # noqa: BLE001 - raised again in the main process
            init_error = ExceptionWrapper(where)
    while True:
        try:
            task = tasks.get(timeout=_PARENT_CHECK_S)
        except queue.Empty:
            if _parent_gone(parent):
                return
            continue
        except KeyboardInterrupt:  # Ctrl-C reaches the main process, which stops the workers
            continue
        if task is None:
            return
        epoch, number, indices = task
        if current is not None and epoch < current.value:
            continue  # an epoch the main process has left: nobody waits for this batch
        answer = _answer(functools.partial(fetch, dataset, indices, epoch), init_error, where)
        results.put((epoch, number, answer))


def _answer(fetch: Callable[[], Any], error: Any, where: str) -> bytes:
    """The next batch (or the error making it), pickled here rather than in the
    queue's feeder thread, so that a batch that cannot be pickled is reported, not lost."""
    if error is None:
        try:
            return bytes(ForkingPickler.dumps(fetch()))
        except Exception:  # noqa: BLE001 - raised again in the main process
            error = ExceptionWrapper(where)
    return bytes(ForkingPickler.dumps(error))
