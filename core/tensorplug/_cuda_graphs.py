"""CUDA graphs with ``torch.cuda``'s names (issue 21): capture a region's kernels once,
replay them with one launch.

The backend serving ``cuda`` does the capture (its plugin's ``DeviceAPI.begin_capture``; on
CuPy a stream capture into a ``cupy.cuda.Graph``, ``tensorplug_cupy._graphs``). A replay
reruns the captured kernels on the same memory: the tensors made while capturing are static,
so new data goes in by copying into the tensors the capture read (``static_x.copy_(x)``) and
results are read from the tensors it produced, as with PyTorch::

    g = tp.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with tp.cuda.graph(g):
        loss = loss_fn(model(static_x), static_y)
        loss.backward()
        opt.step()
    for x, y in data:
        static_x.copy_(x)
        static_y.copy_(y)
        g.replay()  # forward, backward and the step: one launch

As in PyTorch, run a few steps before capturing (the optimizer's state is made on its first
step, and making it is not something to replay), and keep the Python side of the region
free of decisions on the data: only kernels are replayed. What cannot be captured raises
when it is reached, naming what to do (a copy to the host such as ``.item()``, a
data-dependent size such as ``nonzero`` or boolean indexing, a copy from a CPU tensor,
random numbers). Without a CUDA backend, the default CPU backend's kernels are captured
into a tape and replayed (``_tape_graphs``: about half the eager time of a small step,
docs/performance.md).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ._capture_state import active, capturing
from ._plugins import get_backend
from ._tape_graphs import TapeCapture
from .accelerator import _api_function, _backend_on, _serving

_MODES = ("global", "thread_local", "relaxed")


def is_current_stream_capturing() -> bool:
    """Whether the kernels launched now are being captured (``torch.cuda``'s name)."""
    return capturing()


_NAMESPACE = "tensorplug.cuda"


def _begin(index: int) -> Any:
    name, why = _serving("cuda")
    if name is None or why:
        be = get_backend()
        if be.device_type != "cpu":
            raise RuntimeError(
                f"CUDA graphs need a CUDA backend or a CPU one: no CUDA backend can run here "
                f"({why or 'none is installed'}), and the default backend {be.name!r} is on "
                f"{be.device_type}"
            )
        return TapeCapture(be)  # no GPU: a tape of the CPU backend's kernels
    # As torch.cuda.graph: wait for the queued work first; this also loads the backend, whose
    # first load runs a smoke test that a capture could not hold.
    _backend_on("cuda", index, "CUDA is unavailable").synchronize()
    begin = _api_function("cuda", "begin_capture", _NAMESPACE)
    return begin(index)


class CUDAGraph:
    """A captured sequence of GPU kernels (``torch.cuda.CUDAGraph``).

    Capture with ``tp.cuda.graph(g)`` (or ``capture_begin``/``capture_end``), then
    ``replay()``. ``keep_graph`` is accepted for PyTorch's signature (the graph is always
    kept ready to replay).
    """

    def __init__(self, keep_graph: bool = False) -> None:
        self._capture: Any = None
        self._graph: Any = None

    def capture_begin(
        self,
        pool: Any = None,
        capture_error_mode: str = "global",
        check_input_liveness: bool = False,
    ) -> None:
        """Start capturing the kernels launched on the current GPU."""
        if capture_error_mode not in _MODES:
            raise RuntimeError(
                f"Unknown capture error mode. Expected `global`, `thread_local`, or "
                f"`relaxed`, got `{capture_error_mode}`"
            )
        if self._capture is not None or self._graph is not None:
            raise RuntimeError(
                "This CUDAGraph instance already owns a captured graph. To capture a new "
                "graph, create a new instance or call reset() first."
            )
        self._capture = _begin(_current_index())
        active.append(self)

    def capture_end(self) -> None:
        """Stop capturing; the graph is ready to ``replay``."""
        if self._capture is None:
            raise RuntimeError("CUDAGraph.capture_end: capture_begin was not called")
        capture, self._capture = self._capture, None
        active.remove(self)
        self._graph = capture.end()

    def _abort(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            active.remove(self)
            capture.abort()

    def replay(self) -> None:
        """Run the captured kernels again, on the same memory."""
        if self._graph is None:
            raise RuntimeError(
                "CUDAGraph.replay: nothing was captured (capture with tp.cuda.graph(g) first)"
            )
        self._graph.replay()

    def reset(self) -> None:
        """Drop the graph and its static memory."""
        self._abort()
        self._graph = None

    def pool(self) -> Any:
        """A handle for ``graph(pool=...)``; each graph keeps its own static memory here, so
        the handle shares nothing (accepted for PyTorch's signature)."""
        return (id(self), 0)


def graph_pool_handle() -> Any:
    """A memory-pool handle for ``graph(pool=...)`` (shares nothing here: ``CUDAGraph.pool``)."""
    return (0, 0)


class graph:  # noqa: N801 - torch.cuda.graph's name
    """Capture the block's GPU kernels into ``cuda_graph`` (``torch.cuda.graph``).

    An error in the block ends the capture (the graph stays empty); an error from the
    backend because an operation cannot be captured is explained.
    """

    def __init__(
        self,
        cuda_graph: CUDAGraph,
        pool: Any = None,
        stream: Any = None,
        capture_error_mode: str = "global",
        enable_annotations: bool = False,
        check_input_liveness: bool = False,
    ) -> None:
        if not isinstance(cuda_graph, CUDAGraph):
            raise TypeError(
                f"graph(): cuda_graph must be a tp.cuda.CUDAGraph, got {type(cuda_graph).__name__}"
            )
        self.cuda_graph = cuda_graph
        self.capture_error_mode = capture_error_mode

    def __enter__(self) -> None:
        self.cuda_graph.capture_begin(capture_error_mode=self.capture_error_mode)

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if e is None:
            self.cuda_graph.capture_end()
            return
        self.cuda_graph._abort()
        if "capturing" in str(e) or "StreamCapture" in str(e):
            raise RuntimeError(
                "an operation in the captured region cannot be captured in a CUDA graph: it "
                "waits for the GPU or has a size that depends on the data (boolean indexing, "
                "nonzero, masked_select, unique, .item(), print). Do it outside the region, "
                f"or use ops of fixed size (where instead of boolean indexing). CUDA said: {e}"
            ) from e


def _current_index() -> int:
    return 0  # tensorplug has no current-device setting: the first GPU
