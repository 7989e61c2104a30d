"""Entry point of the CuPy backend: declares it and says, cheaply, whether it can run here.

``import cupy`` succeeds on a machine without a GPU, so importing is no probe. ``probe()`` asks
the driver instead, in order: is an NVIDIA driver there at all (through ``ctypes``, before
CuPy is imported), is exactly one CuPy wheel installed, does it import, does the wheel's CUDA
major version fit the driver's, is a device visible. Each "no" names what to install or do.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import sys
from importlib.metadata import distributions
from typing import Any

from tensorplug.plugins import Backend, BackendSpec, DeviceAPI, InfoSection, hookimpl

_CUDA_SUCCESS = 0


def _driver_libraries() -> tuple[str, ...]:
    return ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so")


def driver_cuda_version() -> int | None:
    """The CUDA version the installed NVIDIA driver supports (``12040`` = 12.4), or ``None``.

    This is the "CUDA Version" that ``nvidia-smi`` prints; read with ``ctypes`` so that a
    machine without a driver is recognised without importing CuPy.
    """
    for name in _driver_libraries():
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        v = ctypes.c_int(0)
        try:
            if lib.cuDriverGetVersion(ctypes.byref(v)) == _CUDA_SUCCESS and v.value > 0:
                return v.value
        except AttributeError:
            continue
    return None


def installed_wheels() -> list[tuple[str, str]]:
    """``(distribution, version)`` of every installed CuPy package (``cupy-cuda12x``, ...)."""
    found = {}
    for dist in distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name == "cupy" or name.startswith(("cupy-cuda", "cupy-rocm")):
            found[name] = dist.version
    return sorted(found.items())


def _fmt(v: int) -> str:
    return f"{v // 1000}.{v % 1000 // 10}"


def install_hint(driver: int | None) -> str:
    """The install line that fits a driver supporting CUDA ``driver`` (``None``: unknown)."""
    if driver is not None and driver // 1000 >= 13:
        return 'pip install "tensorplug[cuda13]" (CuPy for CUDA 13.x)'
    if driver is not None and driver // 1000 == 12:
        return 'pip install "tensorplug[cuda12]" (CuPy for CUDA 12.x)'
    if driver is not None:
        return (
            f"the NVIDIA driver supports only CUDA {_fmt(driver)}; CuPy needs a driver for "
            'CUDA 12 or newer: update the driver, then pip install "tensorplug[cuda12]"'
        )
    return (
        'pip install "tensorplug[cuda12]" if `nvidia-smi` shows "CUDA Version: 12.x", or '
        '"tensorplug[cuda13]" for 13.x'
    )


_NO_DRIVER = (
    "no NVIDIA driver found (libcuda could not be loaded): the cupy backend needs an NVIDIA GPU "
    "and its driver; keep using the numpy backend on this machine"
)


def _diagnose() -> tuple[bool, str]:
    driver = driver_cuda_version()
    wheels = installed_wheels()
    if not wheels and importlib.util.find_spec("cupy") is None:
        if driver is None:
            return False, (
                f"CuPy is not installed, and {_NO_DRIVER} (on a machine with an NVIDIA GPU: "
                f"{install_hint(None)})"
            )
        return False, f"CuPy is not installed; {install_hint(driver)}"
    if len(wheels) > 1:
        names = " ".join(n for n, _ in wheels)
        return False, (
            f"several CuPy packages are installed ({', '.join(f'{n} {v}' for n, v in wheels)}); "
            f"they overwrite each other's files. Run: pip uninstall -y {names}; then "
            f"{install_hint(driver)}"
        )
    if driver is None:
        return False, _NO_DRIVER
    wheel = f"{wheels[0][0]} {wheels[0][1]}" if wheels else "cupy"
    try:
        import cupy
    except Exception as e:  # noqa: BLE001 - ImportError, OSError for a missing .so, ...
        return False, (
            f"{wheel} is installed but failed to import ({type(e).__name__}: {e}); "
            f"reinstall with {install_hint(driver)}"
        )
    return _ask_cuda(cupy, wheel, driver)


def _ask_cuda(cupy: Any, wheel: str, driver: int) -> tuple[bool, str]:
    """The runtime checks, once CuPy imported: wheel vs driver, then the device count."""
    runtime = cupy.cuda.runtime
    built = runtime.runtimeGetVersion()
    if driver // 1000 < built // 1000:
        return False, (
            f"{wheel} is built for CUDA {_fmt(built)} but the NVIDIA driver supports only CUDA "
            f"{_fmt(driver)}: pip uninstall -y {wheel.split()[0]}; then {install_hint(driver)} "
            "(or update the driver)"
        )
    try:
        count = runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001 - CUDARuntimeError: no device, driver/runtime mismatch
        return False, f"CUDA reports no usable GPU ({e}){_visible_devices_note()}"
    if count == 0:
        return False, f"no CUDA device is visible{_visible_devices_note()}"
    return True, ""


def _visible_devices_note() -> str:
    v = os.environ.get("CUDA_VISIBLE_DEVICES")
    return "" if v is None else f"; CUDA_VISIBLE_DEVICES={v!r} hides the others"


@functools.cache
def probe() -> tuple[bool, str]:
    """``(True, "")`` when the cupy backend can run here, else ``(False, why and what to do)``.

    Never raises and never crashes on CUDA errors; cached, since a machine's GPUs do not come
    and go within a process (``probe.cache_clear()`` asks again).
    """
    try:
        return _diagnose()
    except Exception as e:  # noqa: BLE001 - whatever CUDA throws means "unavailable", with why
        return False, f"probing CUDA failed: {type(e).__name__}: {e}"


def _version() -> str:
    wheels = installed_wheels()
    return wheels[0][1] if len(wheels) == 1 else ""


def _load() -> Backend:
    from ._backend import device_backend

    return device_backend(0)


def _on_device(index: int) -> Backend:
    from ._backend import device_backend

    return device_backend(index)


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="cupy",
            load=_load,
            device_type="cuda",
            version=_version,
            probe=probe,
            description="CuPy on NVIDIA GPUs (cuda:0, cuda:1, ...)",
            on_device=_on_device,
        )
    ]


@hookimpl
def tensorplug_environment_info(backend_name: str) -> dict[str, Any] | None:
    """For ``tensorplug info``: the GPUs (name, memory, compute capability) and CuPy's
    versions when usable, and on every machine the CuPy block (wheel, driver, the fix).

    Why CuPy is unusable is the probe's reason, which ``list_backends`` already shows.
    """
    if backend_name != "cupy":
        return None
    from ._doctor import TITLE, diagnose, guard

    facts: dict[str, Any] = {}
    (usable, _), _ = guard(probe, (False, ""))
    if usable:
        from ._backend import describe_devices

        devices, err = guard(describe_devices, {})
        facts.update(devices)
        if err:
            facts["devices"] = err
    facts["diagnosis"] = InfoSection(TITLE, diagnose())
    return facts


@hookimpl
def tensorplug_device_api(backend_name: str) -> DeviceAPI | None:
    """Device count, names and CuPy's memory-pool statistics for ``tensorplug.cuda``."""
    if backend_name != "cupy":
        return None
    from ._backend import device_api

    return device_api()
