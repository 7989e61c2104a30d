"""``Work``: the handle of a collective (``async_op=True``), and the worker thread that runs a
group's collectives in the order they were issued.

Every collective of a process group, synchronous or not, goes through that group's one worker
thread (as PyTorch's MPI process group does): MPI and NCCL need every rank to issue a group's
collectives in the same order, and a queue keeps that order while the caller's thread goes on
computing (``DistributedDataParallel`` overlaps backward with its all-reduces this way). MPI and
NumPy release the GIL while they move and add numbers, so the overlap is real.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class DistError(RuntimeError):
    """PyTorch's ``torch.distributed.DistError``: an error of the distributed package."""


class DistBackendError(DistError):
    """An error from the communication library (MPI, NCCL), or a collective that did not
    finish within the group's timeout (PyTorch's ``DistBackendError``)."""


class Work:
    """A collective in flight. ``wait()`` blocks until it finished (raising its error, or
    ``DistBackendError`` after the group's timeout) and makes its result visible in the output
    tensors; read them only after ``wait()``."""

    __slots__ = ("_done", "_exc", "_finish", "_group", "_name", "_result")

    def __init__(self, group: Any, name: str) -> None:
        self._group = group
        self._name = name
        self._done = threading.Event()
        self._exc: BaseException | None = None
        self._result: Any = None
        self._finish: Callable[[], Any] | None = None

    def is_completed(self) -> bool:
        """Whether the communication finished (``wait()`` still writes staged results)."""
        return self._done.is_set()

    def is_success(self) -> bool:
        """Whether it finished without error."""
        return self._done.is_set() and self._exc is None

    def exception(self) -> BaseException | None:
        return self._exc

    def wait(self, timeout: Any = None) -> bool:
        """Block until done; ``timeout`` (a ``timedelta`` or seconds) overrides the group's."""
        seconds = self._group.timeout_seconds(timeout)
        if not self._done.wait(seconds):
            self._group.broken = True
            raise DistBackendError(
                f"[Rank {self._group.rank()}] {self._name} timed out after {seconds:g} s "
                f"(the timeout of init_process_group/new_group): another rank may have failed, "
                f"or be waiting in a different collective"
            )
        if self._exc is not None:
            if type(self._exc).__module__.startswith(("mpi4py", "cupy")):
                raise DistBackendError(
                    f"[Rank {self._group.rank()}] {self._name} failed in "
                    f"{self._group.backend.upper()}: {self._exc}"
                ) from self._exc
            raise self._exc
        finish, self._finish = self._finish, None
        if finish is not None:
            self._result = finish()
        return True

    def result(self) -> Any:
        self.wait()
        return self._result

    def get_future(self) -> Any:
        raise NotImplementedError("Work.get_future() is not supported; call wait()")


class Worker:
    """One daemon thread running ``(work, fn)`` jobs in order; ``fn()``'s value or error goes
    into ``work``."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Work, Callable[[], Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, work: Work, fn: Callable[[], Any]) -> Work:
        self._jobs.put((work, fn))
        return work

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            work, fn = job
            try:
                work._result = fn()
            except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
                work._exc = e
            finally:
                work._done.set()
            job = work = fn = None  # type: ignore[assignment]
