"""CUDA devices through the built-in ``cupy`` backend, with ``torch.cuda``'s names.

Everything here works on a machine without a GPU: ``is_available()`` is ``False``,
``device_count()`` and the memory statistics are ``0``, ``manual_seed`` is ignored, and
``synchronize()`` raises ``BackendUnavailableError`` saying why (a silent no-op would make a GPU
timing meaningless). CuPy is imported only once a GPU is known to be there.

Example:
    >>> import tensorplug as tp
    >>> n = tp.cuda.device_count()  # 0 without a GPU
    >>> if tp.cuda.is_available():
    ...     x = tp.randn(1024, 1024, device="cuda")
    ...     tp.cuda.synchronize()
"""

from __future__ import annotations

from typing import Any

from ._backend import Backend, BackendUnavailableError, Device
from ._plugins import REGISTRY, _probe

BACKEND = "cupy"


def _status() -> tuple[bool, str]:
    REGISTRY.manager()
    spec = REGISTRY.specs.get(BACKEND)
    if spec is None:
        why = REGISTRY.broken.get(BACKEND, "the cupy backend plugin is not installed")
        return False, why
    return _probe(spec)


def is_available() -> bool:
    """Whether a CUDA GPU can be used (the cupy backend's probe; never raises)."""
    return _status()[0]


def unavailable_reason() -> str:
    """Why ``is_available()`` is ``False`` and what to install (``""`` when it is ``True``)."""
    return _status()[1]


def _runtime() -> Any:
    from tensorplug_cupy import _backend

    return _backend


def device_count() -> int:
    """The number of visible GPUs; 0 without one."""
    return _runtime().device_count() if is_available() else 0


def get_device_name(device: Any = None) -> str:
    """The GPU's name (``"NVIDIA H100 80GB HBM3"``); raises ``BackendUnavailableError`` without
    one."""
    _backend_on(device)
    return str(_runtime().device_name(_index(device)))


def _index(device: Any) -> int:
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    dev = Device.parse(device)
    if dev.type != "cuda":
        raise ValueError(f"expected a CUDA device such as 'cuda:0', got {str(dev)!r}")
    return dev.index or 0


def _backend_on(device: Any) -> Backend:
    ok, why = _status()
    if not ok:
        raise BackendUnavailableError(f"CUDA is unavailable: {why}")
    from ._plugins import on_device

    return on_device(REGISTRY.get(BACKEND), Device("cuda", _index(device)))


def synchronize(device: Any = None) -> None:
    """Wait until every kernel queued on ``device`` (default ``cuda:0``) has finished.

    GPU kernels run asynchronously, so time GPU code with a ``synchronize()`` before reading
    the clock. Raises ``BackendUnavailableError`` without a GPU.
    """
    _backend_on(device).synchronize()


def manual_seed(seed: int) -> None:
    """Seed the generator of every GPU; ignored without a GPU (as ``torch.cuda.manual_seed``)."""
    if not isinstance(seed, int):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    if not is_available():
        return
    from . import _creation

    for i in range(device_count()):
        be = _backend_on(i)
        be.manual_seed(seed)
        _creation._seeded[id(be)] = seed  # a later tp.manual_seed still reseeds it


manual_seed_all = manual_seed


def _stat(name: str, device: Any) -> int:
    if not is_available():
        return 0
    return int(getattr(_runtime(), name)(_index(device)))


def memory_allocated(device: Any = None) -> int:
    """Bytes held by live tensors on ``device`` (CuPy's memory pool); 0 without a GPU."""
    return _stat("memory_allocated", device)


def max_memory_allocated(device: Any = None) -> int:
    """The peak of ``memory_allocated`` since the backend loaded or the last reset."""
    return _stat("max_memory_allocated", device)


def memory_reserved(device: Any = None) -> int:
    """Bytes the memory pool holds on ``device``: in use plus cached for reuse."""
    return _stat("memory_reserved", device)


def reset_peak_memory_stats(device: Any = None) -> None:
    if is_available():
        _runtime().reset_peak_memory_stats(_index(device))


def empty_cache() -> None:
    """Give cached, unused pool memory back to the driver (visible to ``nvidia-smi``)."""
    if is_available():
        _runtime().empty_cache()


__all__ = [
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
