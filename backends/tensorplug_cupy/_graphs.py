"""CUDA graph capture on CuPy (issue 21): what ``tensorplug.cuda.CUDAGraph`` runs.

A capture makes a side stream current on the GPU and records every kernel launched there
(``Stream.begin_capture``/``end_capture``: a ``cupy.cuda.Graph``), which ``replay`` launches
again as one graph. The arrays allocated while capturing are the graph's static memory: they
come from a memory pool of the graph's own (a ``cupy.cuda.MemoryPool``, PyTorch's private
pool), kept until the graph is dropped, so that no array made after the capture is given
memory a replay writes, and a replay allocates nothing. A block freed during the capture
(a temporary of the step) is reused by a later allocation of the same capture, which is
safe as the graph runs its kernels in the order they were captured, on one stream: the
graph holds the step's peak of temporaries, not their sum.

CuPy's pool calls ``cudaMalloc`` when it has no cached block, which CUDA allows during a
capture in relaxed mode only: the capture runs relaxed whatever ``capture_error_mode`` says.
What cannot be captured is refused by the kernels, with what to do instead: a copy to the host
(``to_host``: ``.item()``, ``.tolist()``, ``.numpy()``, ``print``, ``bool()`` of a tensor), a
copy from host memory (``from_host``, ``.to("cuda")`` of a CPU tensor), random numbers, and
``unique`` (its size is data; boolean indexing, ``nonzero`` and ``masked_select`` fail in CuPy
itself, whose error the core explains).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

_capturing: dict[int, Capture] = {}
"""The capture under way on each GPU."""

_pools: list[tuple[Any, Callable[[], Any], int]] = []
"""Each capture's memory pool with its graph (a weak reference) and GPU: a pool goes once its
graph has gone and no array made from it is left (the arrays' memory is the pool's)."""


def graph_memory(index: int) -> tuple[int, int]:
    """Bytes in use and held by the graphs' pools on GPU ``index`` (``memory_allocated`` and
    ``memory_reserved`` count them, as PyTorch counts its graphs' private pools), with GPU
    ``index`` current (a pool's ``used_bytes`` is the current GPU's); drops the pools of that
    GPU that no graph nor array uses any more."""
    _pools[:] = [(p, g, i) for p, g, i in _pools if i != index or g() or p.used_bytes()]
    pools = [p for p, _, i in _pools if i == index]
    return sum(p.used_bytes() for p in pools), sum(p.total_bytes() for p in pools)


REFUSED = {
    "to_host": "copying a tensor to the host (.item(), .tolist(), .numpy(), print, bool() "
    "or a Python number of a tensor) waits for the GPU",
    "any_nonfinite": "anomaly mode reads a flag back to the host",
    "from_host": "copying host data (a list, a NumPy array, a CPU tensor) to the GPU",
    "from_foreign": "copying a tensor from another device",
    "random_uniform": "random numbers (rand, dropout, ...) are not captured yet",
    "random_normal": "random numbers (randn, init functions, ...) are not captured yet",
    "random_integers": "random numbers (randint, randperm, ...) are not captured yet",
    "unique": "unique's size depends on the data",
}
"""The kernels that cannot run inside a capture, and why."""


class CaptureError(RuntimeError):
    """An operation that a CUDA graph cannot hold was run while capturing."""


def refusing(index: int, name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    """Kernel ``f`` of GPU ``index``, raising ``CaptureError`` while that GPU captures."""
    why = REFUSED[name]

    def kernel(*args: Any) -> Any:
        if index in _capturing:
            raise CaptureError(
                f"{name}: cannot be captured in a CUDA graph: {why}. Do it before or after "
                "the captured region, or copy new data into a static tensor before replay()"
            )
        return f(*args)

    kernel.__name__ = name
    return kernel


class Capture:
    """One capture under way on GPU ``index``."""

    def __init__(self, cp: Any, index: int) -> None:
        if index in _capturing:
            raise RuntimeError(f"a CUDA graph capture is already under way on cuda:{index}")
        self.cp, self.index = cp, index
        self.device = cp.cuda.Device(index)
        self.device.__enter__()
        self.stream = cp.cuda.Stream(non_blocking=True)
        self.stream.__enter__()
        self.allocator = cp.cuda.get_allocator()
        graph_memory(index)  # this GPU current: drops the pools no longer used
        self.pool = cp.cuda.MemoryPool()  # the graph's static memory
        cp.cuda.set_allocator(self.pool.malloc)
        _capturing[index] = self
        try:
            self.stream.begin_capture(cp.cuda.runtime.streamCaptureModeRelaxed)
        except BaseException:
            self._leave()
            raise

    def _leave(self) -> None:
        _capturing.pop(self.index, None)
        self.cp.cuda.set_allocator(self.allocator)
        self.stream.__exit__(None, None, None)
        self.device.__exit__(None, None, None)

    def end(self) -> Replay:
        """Stop capturing; the graph to replay."""
        try:
            graph = self.stream.end_capture()
        finally:
            self._leave()
        replay = Replay(graph, self.stream, self.pool, self.index, self.cp)
        _pools.append((self.pool, weakref.ref(replay), self.index))
        return replay

    def abort(self) -> None:
        """Stop capturing after an error; the partial graph is dropped."""
        try:
            if self.stream.is_capturing():
                self.stream.end_capture()
        finally:
            self._leave()


class Replay:
    """A captured graph, its stream and its static memory (``pool``)."""

    def __init__(self, graph: Any, stream: Any, pool: Any, index: int, cp: Any) -> None:
        self.graph, self.stream, self.pool, self.index, self.cp = graph, stream, pool, index, cp

    def replay(self) -> None:
        """Launch the graph after the work queued on the current stream, and make later
        work there wait for it (events: the host does not wait)."""
        with self.cp.cuda.Device(self.index):
            current = self.cp.cuda.get_current_stream()
            self.stream.wait_event(current.record())
            self.graph.launch(self.stream)
            current.wait_event(self.stream.record())


def begin_capture(cp: Any, index: int) -> Capture:
    return Capture(cp, index)


def capture_error(e: BaseException) -> bool:
    """Whether ``e`` is CUDA refusing an operation in a capture (CuPy's own error)."""
    return "StreamCapture" in str(e) or "capturing" in str(e)
