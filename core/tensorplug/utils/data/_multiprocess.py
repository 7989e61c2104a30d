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

from ._worker import ExceptionWrapper, worker_loop

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
        self.processes = []
        for i in range(n):
            info = (i, n, base_seed + i)
            args = (loader.dataset, fetch, self.tasks[i], self.results, info, loader.worker_init_fn)
            p = ctx.Process(target=worker_loop, args=args, daemon=True)
            p.start()
            self.processes.append(p)
        self._finalizer = weakref.finalize(self, _shutdown, self.processes, self.tasks)

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


def _shutdown(processes: list[Any], tasks: list[Any]) -> None:
    """Ask each worker to stop, wait a little, then end those that do not."""
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


def iterate(pool: WorkerPool, batches: Iterator[Any], loader: Any) -> Iterator[Any]:
    """The batches of one epoch, in order unless ``loader.in_order`` is false; with
    ``loader.persistent_workers`` the workers keep running after it."""
    prefetch, timeout = loader.prefetch_factor, loader.timeout
    pool.epoch += 1
    epoch, n = pool.epoch, len(pool.processes)
    tasks = enumerate(batches)
    sent = 0
    ready: dict[int, bytes] = {}

    def send(count: int) -> int:
        added = 0
        for number, indices in itertools.islice(tasks, count):
            pool.tasks[number % n].put((epoch, number, indices))
            added += 1
        return added

    try:
        sent += send(prefetch * n)
        for number in range(1 << 62):
            if number == sent:
                return
            while number not in ready and not (ready and not loader.in_order):
                got_epoch, got, payload = _receive(pool, timeout)
                if got_epoch == epoch:
                    ready[got] = payload
            data = pickle.loads(ready.pop(number if number in ready else next(iter(ready))))
            sent += send(1)
            if isinstance(data, ExceptionWrapper):
                data.reraise()
            yield data
    finally:
        if not loader.persistent_workers:
            pool.shutdown()


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
