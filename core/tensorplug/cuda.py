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

from typing import Any

from ._backend import Backend, BackendUnavailableError, Device, UnsupportedOperation
from ._plugins import DEFAULT, REGISTRY, DeviceAPI, _current_name, _probe, on_device

DEVICE_TYPE = "cuda"


def _status() -> tuple[str | None, str]:
    """The backend serving CUDA devices and why it cannot run (``""`` when it can).

    Chosen as ``device="cuda"`` chooses, without loading: the selected backend if it serves
    CUDA, else the first that can run (the default backend first, then by name).
    """
    REGISTRY.manager()
    names = [n for n, s in REGISTRY.specs.items() if s.device_type == DEVICE_TYPE]
    if not names:
        broken = "; ".join(f"{n}: {e}" for n, e in sorted(REGISTRY.broken.items()))
        return None, f"no installed backend provides {DEVICE_TYPE!r} devices" + (
            f" (broken plugins: {broken})" if broken else ""
        )
    current = _current_name()
    order = sorted(names, key=lambda n: (n != current, n != DEFAULT, n))
    reasons = []
    for name in order:
        ok, why = _probe(REGISTRY.specs[name])
        if ok:
            return name, ""
        reasons.append(why)
    return order[0], reasons[0]


def is_available() -> bool:
    """Whether a CUDA GPU can be used (its backend's probe; never raises)."""
    return not _status()[1]


def unavailable_reason() -> str:
    """Why ``is_available()`` is ``False`` and what to install (``""`` when it is ``True``)."""
    return _status()[1]


def _api() -> tuple[str, DeviceAPI | None] | None:
    """The serving backend and its device API; ``None`` when CUDA is unavailable."""
    name, why = _status()
    if name is None or why:
        return None
    return name, REGISTRY.device_api(name)


def _require(what: str) -> Any:
    """Function ``what`` of the serving backend's ``DeviceAPI``; ``None`` without a GPU."""
    found = _api()
    if found is None:
        return None
    name, api = found
    fn = getattr(api, what, None)
    if fn is None:
        raise UnsupportedOperation(
            f"tensorplug.cuda: backend {name!r} does not report {what} (its plugin's "
            f"tensorplug_device_api hook gives no {what})"
        )
    return fn


def device_count() -> int:
    """The number of visible GPUs; 0 without one. A backend whose plugin has no device API
    counts as one device."""
    found = _api()
    if found is None:
        return 0
    return 1 if found[1] is None else int(found[1].device_count())


def _index(device: Any) -> int:
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    dev = Device.parse(device)
    if dev.type != DEVICE_TYPE:
        raise ValueError(f"expected a CUDA device such as 'cuda:0', got {str(dev)!r}")
    return dev.index or 0


def _backend_on(device: Any) -> Backend:
    name, why = _status()
    if name is None or why:
        raise BackendUnavailableError(f"CUDA is unavailable: {why}")
    return on_device(REGISTRY.get(name), Device(DEVICE_TYPE, _index(device)))


def get_device_name(device: Any = None) -> str:
    """The GPU's name (``"NVIDIA H100 80GB HBM3"``); raises ``BackendUnavailableError`` without
    one."""
    _backend_on(device)
    return str(_require("device_name")(_index(device)))


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
    from . import _generator

    for i in range(device_count()):
        be = _backend_on(i)
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
