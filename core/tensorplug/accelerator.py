"""The accelerator, whatever its device type, with ``torch.accelerator``'s names.

Recent PyTorch code asks ``torch.accelerator`` instead of ``torch.cuda``, so that it runs on
any GPU::

    device = tp.accelerator.current_accelerator().type if tp.accelerator.is_available() else "cpu"

Here the accelerator is the backend of a device type other than ``cpu``, chosen as
``device="cuda"`` chooses a CUDA backend: the selected backend if it is one, else the first
that can run (the default first, then by name). Whether it can run is its plugin's ``probe``;
the device count and memory statistics come from its plugin's ``tensorplug_device_api`` hook,
so any GPU backend answers, not only CuPy. ``tensorplug.cuda`` is the same machinery limited to
the ``cuda`` device type. Nothing here imports an array library, and everything works on a
machine without an accelerator: ``is_available()`` is ``False`` and ``device_count()`` is ``0``.

Example:
    >>> import tensorplug as tp
    >>> device = tp.accelerator.current_accelerator() if tp.accelerator.is_available() else None
    >>> x = tp.ones(2, device=device or "cpu")
"""

from __future__ import annotations

from typing import Any

from ._backend import Backend, BackendUnavailableError, Device, UnsupportedOperation
from ._plugins import DEFAULT, REGISTRY, _current_name, _probe, on_device

CPU = "cpu"
_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def _serving(device_type: str | None) -> tuple[str | None, str]:
    """The backend serving ``device_type`` (``None``: any type but ``cpu``) and why it cannot
    run (``""`` when it can); ``(None, why)`` when no installed backend has such devices.

    Chosen without loading any backend: the selected backend if it serves that type, else the
    first that can run (the default backend first, then by name).
    """
    REGISTRY.manager()
    names = [
        n
        for n, s in REGISTRY.specs.items()
        if (s.device_type == device_type if device_type else s.device_type != CPU)
    ]
    if not names:
        broken = "; ".join(f"{n}: {e}" for n, e in sorted(REGISTRY.broken.items()))
        what = f"{device_type!r} devices" if device_type else "an accelerator (a non-CPU device)"
        return None, f"no installed backend provides {what}" + (
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


def _api_function(device_type: str | None, what: str, namespace: str) -> Any:
    """Function ``what`` of the serving backend's ``DeviceAPI``; ``None`` when that backend
    cannot run. ``namespace`` names the caller in the error of a backend without it."""
    name, why = _serving(device_type)
    if name is None or why:
        return None
    api = REGISTRY.device_api(name)
    if api is None and what == "device_count":
        return lambda: 1  # a backend without a device API counts as one device
    fn = getattr(api, what, None)
    if fn is None:
        raise UnsupportedOperation(
            f"{namespace}: backend {name!r} does not report {what} (its plugin's "
            f"tensorplug_device_api hook gives no {what})"
        )
    return fn


def _index_of(device: Any, device_type: str | None) -> int:
    """The index ``device`` names (``None``: 0), checked against ``device_type``."""
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    dev = Device.parse(device)
    if device_type is not None and dev.type != device_type:
        raise ValueError(
            f"expected a {device_type.upper()} device such as '{device_type}:0', got {str(dev)!r}"
        )
    return dev.index or 0


def _backend_on(device_type: str | None, device: Any, unavailable: str) -> Backend:
    """The serving backend's instance for ``device``; ``BackendUnavailableError`` (starting
    with ``unavailable``) when it cannot run."""
    name, why = _serving(device_type)
    if name is None or why:
        raise BackendUnavailableError(f"{unavailable}: {why}")
    be = REGISTRY.get(name)
    return on_device(be, Device(be.device_type, _index_of(device, device_type)))


# -- torch.accelerator's functions ----------------------------------------------------------


def is_available() -> bool:
    """Whether an accelerator can be used here (its backend's probe; never raises)."""
    return not _serving(None)[1]


def current_accelerator(check_available: bool = False) -> Device | None:
    """The accelerator's device type as a ``Device`` without an index (``device(type='cuda')``).

    ``None`` when no installed backend has a device other than the CPU. As in PyTorch, an
    installed accelerator backend that cannot run here (a CUDA backend on a machine without a
    GPU) is still the current accelerator unless ``check_available`` is true.
    """
    name, why = _serving(None)
    if name is None or (check_available and why):
        return None
    return Device(REGISTRY.specs[name].device_type)


def device_count() -> int:
    """The number of accelerator devices; 0 without one."""
    fn = _api_function(None, "device_count", "tensorplug.accelerator")
    return 0 if fn is None else int(fn())


def current_device_index() -> int:
    """The index of the device new accelerator tensors go to: always 0 (tensorplug has no
    ``set_device``); ``RuntimeError`` without an accelerator, as in PyTorch."""
    if not is_available():
        raise RuntimeError(_NONE_AVAILABLE)
    return 0


def synchronize(device: Any = None, /) -> None:
    """Wait until every kernel queued on ``device`` (default: device 0) has finished."""
    if not is_available():
        raise RuntimeError(_NONE_AVAILABLE)
    _backend_on(None, device, "no accelerator").synchronize()


def _stat(what: str, device: Any) -> int:
    fn = _api_function(None, what, "tensorplug.accelerator")
    return 0 if fn is None else int(fn(_index_of(device, None)))


def memory_allocated(device_index: Any = None, /) -> int:
    """Bytes held by live tensors on the device; 0 without an accelerator."""
    return _stat("memory_allocated", device_index)


def max_memory_allocated(device_index: Any = None, /) -> int:
    """The peak of ``memory_allocated`` since the backend loaded or the last reset."""
    return _stat("max_memory_allocated", device_index)


def memory_reserved(device_index: Any = None, /) -> int:
    """Bytes the backend's memory pool holds on the device: in use plus cached."""
    return _stat("memory_reserved", device_index)


def reset_peak_memory_stats(device_index: Any = None, /) -> None:
    """Restart ``max_memory_allocated`` of the device at its current use."""
    fn = _api_function(None, "reset_peak_memory_stats", "tensorplug.accelerator")
    if fn is not None:
        fn(_index_of(device_index, None))


def empty_cache() -> None:
    """Give cached, unused pool memory back to the driver."""
    fn = _api_function(None, "empty_cache", "tensorplug.accelerator")
    if fn is not None:
        fn()


__all__ = [
    "current_accelerator",
    "current_device_index",
    "device_count",
    "empty_cache",
    "is_available",
    "max_memory_allocated",
    "memory_allocated",
    "memory_reserved",
    "reset_peak_memory_stats",
    "synchronize",
]
