"""CUDA devices, with ``torch.cuda``'s names, through whichever backend serves them.

The backend is the one ``device="cuda"`` resolves to (the built-in ``cupy`` backend, or any
GPU backend with ``device_type="cuda"``), chosen without loading it. Whether it can run is its
plugin's ``probe``; the device count, names and memory statistics come from its plugin's
``tensorplug_device_api`` hook; ``synchronize`` and ``manual_seed`` go through the backend's
instance for each device. No array library is imported here.

Everything works on a machine without a GPU: ``is_available()`` is ``False``,
``device_count()`` and the memory statistics are ``0``, ``manual_seed`` is ignored, and
``synchronize()`` raises ``BackendUnavailableError`` saying why (a silent no-op would make a GPU
timing meaningless). The backend's library is imported only once a GPU is known to be there.

Example:
    >>> import tensorplug as tp
    >>> n = tp.cuda.device_count()  # 0 without a GPU
    >>> if tp.cuda.is_available():
    ...     x = tp.randn(1024, 1024, device="cuda")
    ...     tp.cuda.synchronize()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._cuda_graphs import CUDAGraph, graph, graph_pool_handle, is_current_stream_capturing
from ._graphed_callables import make_graphed_callables
from .accelerator import _api_function, _backend_on, _index_of, _serving

if TYPE_CHECKING:
    from ._backend import Backend

DEVICE_TYPE = "cuda"
_NAMESPACE = "tensorplug.cuda"


def is_available() -> bool:
    """Whether a CUDA GPU can be used (its backend's probe; never raises)."""
    return not _serving(DEVICE_TYPE)[1]


def unavailable_reason() -> str:
    """Why ``is_available()`` is ``False`` and what to install (``""`` when it is ``True``)."""
    return _serving(DEVICE_TYPE)[1]


def _require(what: str) -> Any:
    """Function ``what`` of the serving backend's ``DeviceAPI``; ``None`` without a GPU."""
    return _api_function(DEVICE_TYPE, what, _NAMESPACE)


def device_count() -> int:
    """The number of visible GPUs; 0 without one. A backend whose plugin has no device API
    counts as one device."""
    fn = _require("device_count")
    return 0 if fn is None else int(fn())


def _index(device: Any) -> int:
    return _index_of(device, DEVICE_TYPE)


def _backend_for(device: Any) -> Backend:
    return _backend_on(DEVICE_TYPE, device, "CUDA is unavailable")


def get_device_name(device: Any = None) -> str:
    """The GPU's name (``"NVIDIA H100 80GB HBM3"``); raises ``BackendUnavailableError`` without
    one."""
    _backend_for(device)
    return str(_require("device_name")(_index(device)))


def synchronize(device: Any = None) -> None:
    """Wait until every kernel queued on ``device`` (default ``cuda:0``) has finished.

    GPU kernels run asynchronously, so time GPU code with a ``synchronize()`` before reading
    the clock. Raises ``BackendUnavailableError`` without a GPU.
    """
    _backend_for(device).synchronize()


def manual_seed(seed: int) -> None:
    """Seed the generator of every GPU; ignored without a GPU (as ``torch.cuda.manual_seed``)."""
    if not isinstance(seed, int):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    if not is_available():
        return
    from . import _generator

    for i in range(device_count()):
        be = _backend_for(i)
        be.manual_seed(seed)
        # Up to date with tp.manual_seed, whose seed is not applied over this one later
        # (a later tp.manual_seed still reseeds it).
        _generator._seeded[id(be)] = _generator._seed[0]


manual_seed_all = manual_seed


def _stat(what: str, device: Any) -> int:
    fn = _require(what)
    return 0 if fn is None else int(fn(_index(device)))


def memory_allocated(device: Any = None) -> int:
    """Bytes held by live tensors on ``device`` (the backend's memory pool); 0 without a GPU."""
    return _stat("memory_allocated", device)


def max_memory_allocated(device: Any = None) -> int:
    """The peak of ``memory_allocated`` since the backend loaded or the last reset."""
    return _stat("max_memory_allocated", device)


def memory_reserved(device: Any = None) -> int:
    """Bytes the memory pool holds on ``device``: in use plus cached for reuse."""
    return _stat("memory_reserved", device)


def reset_peak_memory_stats(device: Any = None) -> None:
    """Restart ``max_memory_allocated`` of ``device`` at its current use."""
    fn = _require("reset_peak_memory_stats")
    if fn is not None:
        fn(_index(device))


def empty_cache() -> None:
    """Give cached, unused pool memory back to the driver (visible to ``nvidia-smi``)."""
    fn = _require("empty_cache")
    if fn is not None:
        fn()


__all__ = [
    "CUDAGraph",
    "graph",
    "graph_pool_handle",
    "is_current_stream_capturing",
    "make_graphed_callables",
    "device_count",
    "empty_cache",
    "get_device_name",
    "is_available",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "memory_allocated",
    "memory_reserved",
    "reset_peak_memory_stats",
    "synchronize",
    "unavailable_reason",
]
