"""The main process's side of ``DataLoader(num_workers=N)``: starting the workers, handing
out batches of indices, putting the batches back in order, and stopping the workers.

At most ``prefetch_factor`` tasks are outstanding per worker. Waiting for a batch, the main
process checks every ``_POLL_S`` that no worker has died, so a killed worker is an error, not
a hang. With ``persistent_workers`` the same workers serve every epoch; each task carries its
epoch, so batches of an epoch left unfinished are dropped when they arrive.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import pickle
import queue
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from ._worker import ExceptionWrapper, WorkerDone, worker_loop

_POLL_S = 0.1
_JOIN_S = 5.0


def _context(spec: Any) -> Any:
    if spec is None:
        return multiprocessing.get_context()
    if isinstance(spec, str):
        return multiprocessing.get_context(spec)
    return spec


class WorkerPool:
    """``num_workers`` processes, each with its task queue, sharing one result queue."""

    def __init__(self, loader: Any, fetch: Callable[[Any, Any], Any], base_seed: int) -> None:
        ctx = _context(loader.multiprocessing_context)
        n = loader.num_workers
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(n)]
        self.epoch = 0
        self.current = ctx.RawValue("q", 0)  # tasks of earlier epochs are skipped
        self.processes = []
        for i in range(n):
            info = (i, n, base_seed + i)
            args = (loader.dataset, fetch, self.tasks[i], self.results, info)
            p = ctx.Process(
                target=worker_loop,
                args=(*args, loader.worker_init_fn, self.current),
                daemon=True,
            )
            p.start()
            self.processes.append(p)
        self._finalizer = weakref.finalize(
            self, _shutdown, self.processes, self.tasks, self.current
        )

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def leave_epoch(self) -> None:
        """Let the workers skip what is left of the current epoch's tasks."""
        self.current.value = self.epoch + 1

    def shutdown(self, now: bool = False) -> None:
        """Stop the workers: at once (``now``, after an error), or once their tasks are done."""
        if now:
            for p in self.processes:
                p.terminate()
        self._finalizer()

    def check_alive(self) -> None:
        dead = [p for p in self.processes if not p.is_alive()]
        if dead:
            self.shutdown(now=True)
            pids = ", ".join(str(p.pid) for p in dead)
            raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")


def _shutdown(processes: list[Any], tasks: list[Any], current: Any) -> None:
    """Ask each worker to stop (skipping the tasks left), wait a little, then end those that
    do not."""
    current.value = 2**62
    for p, q in zip(processes, tasks):
        if p.is_alive():
            with contextlib.suppress(OSError, ValueError):  # its queue is already closed
                q.put(None)
    deadline = time.monotonic() + _JOIN_S
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.terminate()
            p.join()
    for q in tasks:
        q.cancel_join_thread()
        q.close()


class _Epoch:
    """The tasks of one epoch: handed to the workers still producing, in turn, and the
    results kept until their turn comes."""

    def __init__(self, pool: WorkerPool, tasks: Iterator[Any]) -> None:
        pool.epoch += 1
        self.pool, self.epoch, self.tasks = pool, pool.epoch, tasks
        self.active = list(range(len(pool.processes)))  # workers not done with the epoch
        self.owner: dict[int, int] = {}  # task number -> worker
        self.sent = self.turn = 0
        self.ready: dict[int, bytes] = {}

    def send(self, count: int) -> None:
        for indices in itertools.islice(self.tasks, count):
            if not self.active:
                return
            worker = self.active[self.turn % len(self.active)]
            self.turn += 1
            self.pool.tasks[worker].put((self.epoch, self.sent, indices))
            self.owner[self.sent] = worker
            self.sent += 1

    def take(self, number: int, in_order: bool, timeout: float) -> Any:
        """Task ``number``'s result (any ready one unless ``in_order``)."""
        while number not in self.ready and (in_order or not self.ready):
            epoch, got, payload = _receive(self.pool, timeout)
            if epoch == self.epoch:
                self.ready[got] = payload
        got = number if number in self.ready else next(iter(self.ready))
        data = pickle.loads(self.ready.pop(got))
        if isinstance(data, WorkerDone) and self.owner[got] in self.active:
            self.active.remove(self.owner[got])
        return data


def iterate(pool: WorkerPool, tasks: Iterator[Any], loader: Any) -> Iterator[Any]:
    """The batches of one epoch, in order unless ``loader.in_order`` is false; with
    ``loader.persistent_workers`` the workers keep running after it."""
    epoch = _Epoch(pool, tasks)
    try:
        epoch.send(loader.prefetch_factor * len(pool.processes))
        for number in itertools.count():
            if number == epoch.sent:
                return
            data = epoch.take(number, loader.in_order, loader.timeout)
            epoch.send(1)
            if isinstance(data, ExceptionWrapper):
                data.reraise()
            if not isinstance(data, WorkerDone):
                yield data
    finally:
        if not loader.persistent_workers:
            pool.shutdown()
        else:
            pool.leave_epoch()


def _receive(pool: WorkerPool, timeout: float) -> tuple[int, int, bytes]:
    """The next result from any worker; raises if a worker died or ``timeout`` passed."""
    start = time.monotonic()
    while True:
        try:
            return pool.results.get(timeout=_POLL_S)  # type: ignore[no-any-return]
        except queue.Empty:
            pool.check_alive()
            if timeout and time.monotonic() - start > timeout:
                pool.shutdown(now=True)
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
