"""The adapter: a ``Backend`` from a ``Library`` declaration, and its registry entry."""

from __future__ import annotations

import ctypes
import functools
import importlib
import importlib.util
import sys
from importlib.metadata import PackageNotFoundError, version

from tensorplug.plugins import Backend, BackendSpec, Device, dtype_table, xp_kernels

from ._library import Context, Library

NO_DRIVER = "no NVIDIA driver found (libcuda could not be loaded)"


def nvidia_driver() -> bool:
    """Whether an NVIDIA driver is there, asked before a GPU library is imported."""
    for name in ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so"):
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def _missing(lib: Library, what: str) -> str:
    extra = f'pip install "tensorplug[{lib.extra}]"' if lib.extra else f"pip install {what}"
    return f"{what} is not installed; {extra}"


def _installed_reason(lib: Library) -> str:
    """Why the library cannot be imported, without importing it ("" when it can be)."""
    if importlib.util.find_spec(lib.module.partition(".")[0]) is None:
        return _missing(lib, lib.distribution)
    if importlib.util.find_spec("array_api_compat") is None:
        return _missing(lib, "array-api-compat")
    return ""


def probe(lib: Library) -> tuple[bool, str]:
    """``(True, "")`` when ``lib``'s backend can run here, else ``(False, why and what to do)``.

    A CPU library is only looked for; one with an ``available`` check (a GPU kind) is asked,
    once per process.
    """
    reason = _installed_reason(lib)
    if not reason and lib.available is not None:
        try:
            reason = lib.available(lib.module)
        except Exception as e:  # noqa: BLE001 - whatever the library throws means "unavailable"
            reason = f"{lib.distribution} failed to import ({type(e).__name__}: {e})"
    return not reason, reason


def _version(lib: Library) -> str:
    try:
        return version(lib.distribution)
    except PackageNotFoundError:
        return ""


def build_backend(lib: Library, index: int = 0) -> Backend:
    """The ``Backend`` of ``lib`` placing its arrays on device ``index`` of its kind.

    The kernels: ``xp_kernels`` on the ``array-api-compat`` namespace, the standard's
    indexing, creation on the device, host transfer and a host random generator
    (``_kernels``), then whatever ``lib.kernels`` replaces or adds.
    """
    import array_api_compat
    import numpy as np

    from ._kernels import HostRandom, creation, indexing

    np.seterr(all="ignore")  # host arithmetic follows IEEE silently, as the tensors do
    module = importlib.import_module(lib.module)
    if lib.setup is not None:
        lib.setup(module)
    xp = array_api_compat.array_namespace(module.asarray(0))
    dtypes = dtype_table(xp, library=lib.distribution, exclude=lib.exclude)
    device = None if lib.device is None else lib.device(module, index)
    k = xp_kernels(xp, dtypes.dtype_of)
    ctx = Context(module=module, xp=xp, dtypes=dtypes, device=device, index=index, kernels=k)
    k.update(indexing(ctx))
    k.update(creation(ctx))
    rng = HostRandom(k["from_host"])
    k.update(
        to_host=lib.to_host or np.asarray,
        random_uniform=rng.uniform,
        random_normal=rng.normal,
        random_integers=rng.integers,
    )
    for name, f in (lib.kernels(ctx) if lib.kernels is not None else {}).items():
        if f is None:  # a kernel the library gets wrong: not claimed
            k.pop(name, None)
        else:
            k[name] = f
    here = Device(lib.device_type, None if lib.device_type == "cpu" else index)
    return Backend(
        name=lib.name,
        kernels=k,
        dtypes=dtypes,
        device_type=lib.device_type,
        version=_version(lib),
        array_types=(type(k["full"]((), 0, next(iter(dtypes)))),),
        device_of=None if here.index in (None, 0) else lambda a: here,
        known_failures=lib.known_failures,
        tolerances=lib.tolerances,
        synchronize=(lambda: None) if lib.synchronize is None else lib.synchronize(module),
        manual_seed=rng.seed,
        rng=rng,
        mutable=lib.mutable,
        info={"library": lib.distribution, "namespace": xp.__name__, **lib.info},
    )


def backend_spec(lib: Library) -> BackendSpec:
    """The registry entry of ``lib``: nothing is imported until the backend is first used;
    one ``Backend`` per device index, made when a tensor first asks for that device."""
    on_device = functools.cache(functools.partial(build_backend, lib))
    return BackendSpec(
        name=lib.name,
        load=lambda: on_device(0),
        device_type=lib.device_type,
        version=functools.partial(_version, lib),
        probe=functools.cache(functools.partial(probe, lib)),
        description=lib.description,
        on_device=None if lib.device_type == "cpu" else on_device,
    )
